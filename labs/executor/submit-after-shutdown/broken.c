/* executor/submit-after-shutdown — broken
 * Shutdown ends a pool, it is no barrier: a later submit returns NULL (ESHUTDOWN) and never runs.
 * A job in two phases on one pool: phase 1 squares each input, phase 2
 * adds one to each square.  To wait for phase 1, main shuts the pool down
 * with wait, as if shutdown meant "wait for everything so far", then
 * submits phase 2 to the same pool.  Every one of those submits returns
 * NULL with errno ESHUTDOWN; main never looks, tl_future_result(NULL) gives
 * NULL, and phase 2's answers all come out 0.
 * expect run:      wrong-result
 * expect tsan:     clean
 * miss: a refused submit is a return value nobody checked, not a race: no task of phase 2 ever
 *       runs.
 * expect helgrind: clean
 * miss: likewise: no task of phase 2 ever runs, and no lock is misused.
 * expect drd:      clean
 * miss: likewise: no task of phase 2 ever runs.
 * expect memcheck: clean
 * miss: the NULL futures are never dereferenced (the pool's calls take NULL and return at once),
 *       and nothing leaks.
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
	tl_lab_init(argc, argv,
	            "Shutdown is used to wait for phase 1; phase 2's submits then fail.", &o);
	long n = o.iterations > MAX_ITEMS ? MAX_ITEMS : o.iterations;
	tl_pool *pool = tl_pool_create((int)o.threads);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));

	tl_future *phase1[MAX_ITEMS], *phase2[MAX_ITEMS];
	for (long i = 0; i < n; i++)
		phase1[i] = tl_pool_submit(pool, square, (void *)(intptr_t)(i + 1));
	/* "Wait for phase 1": it does, and it also ends the pool. */
	tl_pool_shutdown(pool, true, false); /* @shutdown */

	for (long i = 0; i < n; i++) {
		long sq = (long)(intptr_t)tl_future_result(phase1[i]);
		phase2[i] = tl_pool_submit(pool, plus_one, (void *)(intptr_t)sq); /* @late-submit */
	}
	long sum = 0;
	for (long i = 0; i < n; i++) {
		sum += (long)(intptr_t)tl_future_result(phase2[i]); /* NULL in, NULL out */
		tl_future_free(phase1[i]);
		tl_future_free(phase2[i]);
	}
	tl_pool_free(pool);

	long want = n * (n + 1) * (2 * n + 1) / 6 + n;
	tl_log("sum of (i^2 + 1) for i = 1..%ld: %ld", n, sum);
	if (sum != want)
		return tl_lab_result(TL_EXIT_WRONG, "sum %ld, expected %ld: phase 2 never ran", sum,
		                     want);
	return tl_lab_result(TL_EXIT_OK, "sum of (i^2 + 1) for i = 1..%ld = %ld", n, sum);
}
