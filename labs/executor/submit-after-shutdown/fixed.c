/* executor/submit-after-shutdown — fixed
 * Wait for a batch with tl_pool_wait, check every submit, and shut the pool down once, at the end.
 * The same two phases.  Main waits for phase 1 with tl_pool_wait(...,
 * TL_ALL_COMPLETED), which leaves the pool open, submits phase 2 to it,
 * checks every submit (a NULL and its errno would be reported, not added
 * up), and shuts the pool down once, with tl_pool_free, when both phases
 * are done.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_pool.h"

#define MAX_ITEMS 64

static void *square(void *arg)
{
	long x = (long)(intptr_t)arg;
	return (void *)(intptr_t)(x * x);
}

static void *plus_one(void *arg)
{
	long x = (long)(intptr_t)arg;
	return (void *)(intptr_t)(x + 1);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 2, .iterations = 16, .seed = 1, .watchdog = true, .threads_max = 8};
	tl_lab_init(argc, argv, "Phase 1 is waited for with tl_pool_wait; every submit is checked.",
	            &o);
	long n = o.iterations > MAX_ITEMS ? MAX_ITEMS : o.iterations;
	tl_pool *pool = tl_pool_create((int)o.threads);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));

	tl_future *phase1[MAX_ITEMS], *phase2[MAX_ITEMS];
	for (long i = 0; i < n; i++)
		if (!(phase1[i] = tl_pool_submit(pool, square, (void *)(intptr_t)(i + 1))))
			return tl_lab_result(TL_EXIT_FAILURE,
			                     "phase 1, item %ld: tl_pool_submit: %s", i,
			                     strerror(errno));
	/* Wait for phase 1; the pool stays open. */
	tl_pool_wait(phase1, (size_t)n, TL_ALL_COMPLETED, -1);

	for (long i = 0; i < n; i++) {
		long sq = (long)(intptr_t)tl_future_result(phase1[i]);
		if (!(phase2[i] = tl_pool_submit(pool, plus_one, (void *)(intptr_t)sq)))
			return tl_lab_result(TL_EXIT_FAILURE,
			                     "phase 2, item %ld: tl_pool_submit: %s", i,
			                     strerror(errno));
	}
	long sum = 0;
	for (long i = 0; i < n; i++) {
		sum += (long)(intptr_t)tl_future_result(phase2[i]);
		tl_future_free(phase1[i]);
		tl_future_free(phase2[i]);
	}
	tl_pool_free(pool); /* the one shutdown, when all work is done */

	long want = n * (n + 1) * (2 * n + 1) / 6 + n;
	tl_log("sum of (i^2 + 1) for i = 1..%ld: %ld", n, sum);
	if (sum != want)
		return tl_lab_result(TL_EXIT_WRONG, "sum %ld, expected %ld: phase 2 never ran", sum,
		                     want);
	return tl_lab_result(TL_EXIT_OK, "sum of (i^2 + 1) for i = 1..%ld = %ld", n, sum);
}
