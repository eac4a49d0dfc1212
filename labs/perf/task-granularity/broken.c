/* perf/task-granularity — broken
 * One pool task per tiny item: each item pays for a task, a hundred times its own work.
 * A tl_pool of two workers squares N numbers with tl_pool_map, one task per
 * number (chunk 1).  Every result is right and every detector calls the
 * program clean; but squaring a number takes a nanosecond, and each task
 * costs a future, the pool's lock twice, the queue, and now and then the
 * wake-up of a sleeping worker.  The fixed program hands out the same items
 * in a few large chunks.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 * bench: ratio >= 100 --iterations 1000000
 */
#include <stdint.h>
#include <stdlib.h>

#include "tl_clock.h"
#include "tl_lab.h"
#include "tl_pool.h"

static void *square(void *arg)
{
	intptr_t x = (intptr_t)arg;
	return (void *)(x * x);
}

/* Items per task: one. */
static size_t chunk_for(size_t n, int workers)
{
	(void)n, (void)workers;
	return 1;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 2000, .seed = 1};
	tl_lab_init(argc, argv, "A pool task per tiny item: the overhead is the work.", &o);
	size_t n = (size_t)o.iterations;
	void **args = malloc(n * sizeof *args), **results = calloc(n, sizeof *results);
	tl_pool *pool = tl_pool_create((int)o.threads);
	if (!args || !results || !pool)
		return tl_lab_result(TL_EXIT_WRONG, "out of memory or threads for %zu items", n);
	for (size_t i = 0; i < n; i++)
		args[i] = (void *)(intptr_t)i;
	uint64_t t0 = tl_mono_ns();
	int rc = tl_pool_map(pool, square, args, results, n, chunk_for(n, (int)o.threads));
	uint64_t ns = tl_mono_ns() - t0;
	tl_pool_free(pool);
	tl_lab_outcome("ns", (long)ns);
	size_t wrong = 0;
	for (size_t i = 0; i < n; i++)
		wrong += (intptr_t)results[i] != (intptr_t)(i * i);
	free(args);
	free(results);
	if (rc || wrong)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "tl_pool_map returned %d; %zu of %zu squares wrong", rc, wrong,
		                     n);
	return tl_lab_result(TL_EXIT_OK, "%zu squares, all right, in %.1f ms", n, (double)ns / 1e6);
}
