/* leak/unjoined — broken
 * A joinable thread keeps its stack after it ends until joined: never joining leaks stacks.
 * A server starts one thread per request and never joins it.  Each request ends, but a joinable
 * thread that ended keeps its stack until someone joins it: the process grows by a whole stack per
 * request.
 * expect run:      thread-leak
 * expect tsan:     thread-leak @spawn
 * expect helgrind: clean
 * miss: Helgrind checks synchronisation, not the lifetime of threads.
 * expect drd:      clean
 * miss: DRD checks synchronisation, not the lifetime of threads.
 * expect memcheck: thread-leak @spawn
 * note: Memcheck sees each unjoined thread's DTV (dynamic thread vector, allocated in
 *       pthread_create by _dl_allocate_tls) as possibly lost.
 */
#include <pthread.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_procfs.h"

struct request {
	long id;
	long answer;
};

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static long done;

static void *handle(void *arg)
{
	struct request *r = arg;
	r->answer = r->id * r->id;
	pthread_mutex_lock(&done_lock);
	done++;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&done_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 8,
	                        .iterations = 4,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_max = 64,
	                        .iterations_min = 2 /* growth shows from round 2 */};
	tl_lab_init(argc, argv, "Threads that are never joined keep their stacks.", &o);
	size_t stack_size = tl_procfs_default_stack_size();

	/* Rounds of o.threads requests; after each, count the stacks mapped. */
	static struct request req[64];
	pthread_t t[64];
	int first = 0, last = 0;
	for (long round = 0; round < o.iterations; round++) {
		for (long i = 0; i < o.threads; i++) {
			req[i].id = round * o.threads + i;
			tl_lab_thread_create(&t[i], handle, &req[i]); /* @spawn */
		}
		pthread_mutex_lock(&done_lock);
		while (done < (round + 1) * o.threads)
			pthread_cond_wait(&done_cond, &done_lock);
		pthread_mutex_unlock(&done_lock);
		last = tl_procfs_count_stacks("/proc", getpid(), stack_size);
		if (round == 0)
			first = last;
		tl_log("round %ld: %ld requests answered, %d thread stacks mapped", round, done,
		       last);
	}

	/* Joined threads' stacks are reused (glibc caches a few), so a correct
	 * server's count stays flat; a leaking one grows by a stack per request. */
	long grown = last - first;
	if (last < 0)
		return tl_lab_result(TL_EXIT_FAILURE, "cannot read /proc/self/maps");
	if (grown >= o.threads * (o.iterations - 1) / 2)
		return tl_lab_result(
		    TL_EXIT_LEAK,
		    "%ld thread stacks (%ld MiB of address space) more after %ld rounds: threads "
		    "ended but were never joined",
		    grown, grown * (long)(stack_size >> 20), o.iterations);
	return tl_lab_result(
	    TL_EXIT_OK,
	    "%ld requests answered; thread stacks mapped: %d after round 1, %d at the end", done,
	    first, last);
}
