/* executor/pool-not-freed — broken
 * tl_pool_shutdown only stops a pool: without tl_pool_free its workers are never joined, and leak.
 * A server makes a pool for each batch of requests, collects the batch's
 * futures, then calls tl_pool_shutdown(pool, wait) — which in Python would
 * also end the executor's threads — and forgets the pool.  The workers do
 * end, but nobody joins them: each keeps its stack mapped, and the pool's
 * memory is never freed.  The program counts the thread stacks mapped after
 * each batch and sees them grow.
 * expect run:      thread-leak
 * expect tsan:     thread-leak @pool
 * expect helgrind: clean
 * miss: Helgrind checks synchronisation, not the lifetime of threads or memory.
 * expect drd:      clean
 * miss: DRD checks synchronisation, not the lifetime of threads or memory.
 * expect memcheck: thread-leak @pool
 * note: each unjoined worker's thread block (allocated by pthread_create in tl_pool_create) is
 *       possibly lost; the pools are still reachable, not lost: the unjoined workers' stacks, still
 *       mapped, point at them.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_pool.h"
#include "tl_procfs.h"

#define MAX_REQUESTS 16

static void *answer(void *arg)
{
	long id = (long)(intptr_t)arg;
	return (void *)(intptr_t)(id * id);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 4,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_max = 8,
	                        .iterations_min = 2 /* growth shows from batch 2 */};
	tl_lab_init(argc, argv, "A pool per batch is shut down but never freed: its workers leak.",
	            &o);
	size_t stack_size = tl_procfs_default_stack_size();
	long answered = 0, wrong = 0;
	int first = 0, last = 0;
	for (long batch = 0; batch < o.iterations; batch++) {
		tl_pool *pool = tl_pool_create((int)o.threads); /* @pool */
		if (!pool)
			return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s",
			                     strerror(errno));
		tl_future *f[MAX_REQUESTS];
		for (long i = 0; i < MAX_REQUESTS; i++)
			if (!(f[i] = tl_pool_submit(pool, answer, (void *)(intptr_t)i)))
				return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit: %s",
				                     strerror(errno));
		for (long i = 0; i < MAX_REQUESTS; i++) {
			wrong += (intptr_t)tl_future_result(f[i]) != i * i;
			answered++;
			tl_future_free(f[i]);
		}
		/* Stops the pool and waits for its workers to end — and that is all. */
		tl_pool_shutdown(pool, true, false);

		last = tl_procfs_count_stacks("/proc", getpid(), stack_size);
		if (batch == 0)
			first = last;
		tl_log("batch %ld: %ld requests answered, %d thread stacks mapped", batch, answered,
		       last);
	}

	/* Joined threads' stacks are reused (glibc caches a few), so with every
	 * pool freed the count stays flat; here it grows by a stack per worker. */
	long grown = last - first;
	if (last < 0)
		return tl_lab_result(TL_EXIT_FAILURE, "cannot read /proc/self/maps");
	if (wrong)
		return tl_lab_result(TL_EXIT_WRONG, "%ld wrong answers", wrong);
	if (grown >= o.threads * (o.iterations - 1) / 2)
		return tl_lab_result(
		    TL_EXIT_LEAK,
		    "%ld thread stacks (%ld MiB) more after %ld batches: the pools' "
		    "workers ended but were never joined",
		    grown, grown * (long)(stack_size >> 20), o.iterations);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld requests answered; thread stacks mapped: %d after batch 1, %d at "
	                     "the end",
	                     answered, first, last);
}
