/* leak/detach-forgotten — fixed
 * Create fire-and-forget threads detached: each gives its stack back when it ends.
 * The same shop creates its fire-and-forget threads detached: each gives its stack back the moment
 * it ends, and the counter still says when all are done.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_procfs.h"

struct order {
	long id;
	long receipt;
};

/* How the shop learns that every confirmation went out: a counter and a
 * condition variable, not pthread_join (it keeps no thread handles). */
static pthread_mutex_t sent_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sent_cond = PTHREAD_COND_INITIALIZER;
static long sent;

static void *confirm(void *arg)
{
	struct order *ord = arg;
	ord->receipt = ord->id * 7919 % 10007;
	pthread_mutex_lock(&sent_lock);
	sent++;
	pthread_cond_signal(&sent_cond);
	pthread_mutex_unlock(&sent_lock);
	return NULL;
}

/* Fire and forget, detached: nobody will join, so nobody has to. */
static void fire(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	pthread_attr_t detached;
	pthread_attr_init(&detached);
	pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &detached, fn, arg);
	pthread_attr_destroy(&detached);
	if (rc) {
		fprintf(stderr, "%s: cannot start a thread: %s\n", tl_lab_name(), strerror(rc));
		exit(TL_EXIT_FAILURE);
	}
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 8,
	                        .iterations = 4,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_max = 64,
	                        .iterations_min = 2};
	tl_lab_init(argc, argv, "Threads nobody will join must be created detached.", &o);
	size_t stack_size = tl_procfs_default_stack_size();

	static struct order orders[64];
	int tasks = 0, stacks = 0;
	for (long round = 0; round < o.iterations; round++) {
		for (long i = 0; i < o.threads; i++) {
			orders[i].id = round * o.threads + i;
			fire(confirm, &orders[i]);
		}
		pthread_mutex_lock(&sent_lock);
		while (sent < (round + 1) * o.threads)
			pthread_cond_wait(&sent_cond, &sent_lock);
		pthread_mutex_unlock(&sent_lock);
		/* Tasks first: a thread alive then is either still alive in maps
		 * or has given its stack back, so no stack is counted unowned by
		 * mistake. */
		tasks = tl_procfs_count_tasks("/proc", getpid());
		stacks = tl_procfs_count_stacks("/proc", getpid(), stack_size);
		tl_log(
		    "round %ld: %ld confirmations sent; %d threads alive, %d thread stacks mapped",
		    round, sent, tasks, stacks);
	}
	if (tasks < 0 || stacks < 0)
		return tl_lab_result(TL_EXIT_FAILURE,
		                     "cannot read /proc/self/task or /proc/self/maps");

	/* Every live thread but main owns one stack; glibc may keep up to
	 * 40 MiB of stacks of ended detached threads for reuse.  Anything
	 * beyond that belongs to a thread that ended and was never reaped. */
	long unowned = stacks - (tasks - 1);
	long cached_max = (long)((40u << 20) / stack_size);
	if (unowned > cached_max)
		return tl_lab_result(TL_EXIT_LEAK,
		                     "%ld thread stacks (%ld MiB) mapped, %d threads alive: ended "
		                     "threads were never joined nor detached",
		                     (long)stacks, stacks * (long)(stack_size >> 20), tasks);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld confirmations sent; %d thread stacks mapped, %d threads alive",
	                     sent, stacks, tasks);
}
