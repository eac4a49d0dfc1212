/* perf/task-granularity — fixed
 * Pool tasks of many items each: the cost of a task is paid a few times, not once per item.
 * The same pool and the same N squares, through tl_pool_map with a chunk of
 * N / (4 x workers) items per task: four tasks per worker, enough to share
 * the work out evenly, few enough that the tasks' cost vanishes beside the
 * work.  The results and the detectors' verdicts are those of the broken
 * program; only the time differs.
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

/* Items per task: four tasks per worker, rounded up. */
static size_t chunk_for(size_t n, int workers)
{
	size_t tasks = 4 * (size_t)workers;
	return (n + tasks - 1) / tasks;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 2000, .seed = 1};
	tl_lab_init(argc, argv, "Pool tasks of many items each: the work is the work.", &o);
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
