/* leak/detach-forgotten — broken
 * A thread never joined nor detached keeps its stack after it ends: fire-and-forget leaks.
 * A shop fires off one thread per order and throws the handle away, but it never created the
 * threads detached.  Each one ends, yet keeps its 8 MiB stack for a join that can never come:
 * stacks pile up while the live threads stay few.
 * expect run:      thread-leak
 * expect tsan:     thread-leak @fire
 * expect helgrind: clean
 * miss: Helgrind checks synchronisation, not whether a thread is ever joined or detached.
 * expect drd:      clean
 * miss: DRD checks synchronisation, not whether a thread is ever joined or detached.
 * expect memcheck: thread-leak @fire
 * note: each ended, unreaped thread's DTV (dynamic thread vector, allocated in pthread_create by
 *       _dl_allocate_tls) is possibly lost at exit.
 */
#include <pthread.h>
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

/* Fire and forget: the handle is thrown away at once. */
static void fire(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	tl_lab_thread_create(&t, fn, arg); /* @fire */
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 8,
	                        .iterations = 4,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_max = 64,
	                        .iterations_min = 2};
	tl_lab_init(argc, argv, "Fire-and-forget threads that were not detached keep their stacks.",
	            &o);
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
		return tl_lab_result(
		    TL_EXIT_LEAK,
		    "%ld thread stacks (%ld MiB of address space) mapped, %d threads alive: ended "
		    "threads were never joined nor detached",
		    (long)stacks, stacks * (long)(stack_size >> 20), tasks);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld confirmations sent; %d thread stacks mapped, %d threads alive",
	                     sent, stacks, tasks);
}
