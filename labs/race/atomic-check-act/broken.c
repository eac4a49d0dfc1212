/* race/atomic-check-act — broken
 * Two atomic steps are not one: a check and an act on an atomic can still oversell.
 * Sellers take items from a shared stock with "if (load(stock) > 0) fetch_sub(stock, 1)".  Each
 * step is atomic; the pair is not: two sellers both see the last item and both take it, and the
 * stock goes negative.
 * expect run:      wrong-result
 * expect tsan:     clean
 * miss: every access is atomic, so there is no data race to report; the bug is in the logic between
 *       two atomic steps.
 * expect helgrind: clean
 * miss: Helgrind does not model C11 atomics, but it counts the lock-prefixed fetch_sub as a read,
 *       like the loads, and two reads never conflict (probes/atomic-rmw); a relaxed store would
 *       be reported (probes/atomic-store-load).  It could not tie the check to the act anyway.
 * expect drd:      clean
 * miss: as for Helgrind: to DRD the loads and the locked subtract are all reads, and reads do not
 *       conflict (probes/atomic-rmw).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "tl_lab.h"
#include "tl_log.h"

#include "staging.h"

static bool sell(struct seller *s)
{
	long seen = stage(s, atomic_load(&stock)); /* check ... */
	if (seen > 0) {
		atomic_fetch_sub(&stock, 1); /* ... then act: the stock may have changed */
		return true;
	}
	return false;
}

static void *seller(void *arg)
{
	struct seller *s = arg;
	tl_thread_name("seller-%ld", s->index);
	while (sell(s))
		s->sold++;
	tl_log("sold %ld items", s->sold);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 1000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 16};
	tl_lab_init(argc, argv,
	            "Check-then-act on an atomic stock: each step atomic, the pair not.", &o);
	stage_init(o.threads, o.iterations);
	pthread_t t[TL_MAX_THREADS];
	static struct seller ss[TL_MAX_THREADS];
	for (long i = 0; i < sellers; i++) {
		ss[i] = (struct seller){.index = i};
		tl_lab_thread_create(&t[i], seller, &ss[i]);
	}
	long sold = 0;
	for (long i = 0; i < sellers; i++) {
		pthread_join(t[i], NULL);
		sold += ss[i].sold;
	}

	long left = atomic_load(&stock);
	if (left != 0 || sold != o.iterations)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "sold %ld of %ld items: stock is %ld, oversold by %ld", sold,
		                     o.iterations, left, sold - o.iterations);
	return tl_lab_result(TL_EXIT_OK, "sold %ld of %ld items, stock 0", sold, o.iterations);
}
