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
#include "tl_stage.h"
#include "tl_sync.h"

static atomic_long stock;

/* Staging (the same in fixed.c): every seller must see the last item before
 * any takes it.  Left alone, two sellers can both see 2 and both take one,
 * and nobody ever sees the last item.  So near the end (no more items than
 * sellers) the others hold back and check again later, seller-0 waits until
 * they have and sells alone down to the last item, and then all meet there.
 * Every wait ends after 1 s x slowdown, whatever happens. */
static tl_stage held_back; /* sellers other than seller-0 that stopped near the end */
static tl_event last_item; /* seller-0 has seen the last item */
static tl_event saw_last[TL_MAX_THREADS];
static long sellers;

struct seller {
	long index, sold;
	bool near_end, staged;
};

/* What a seller's check saw -> the stock it decides on. */
static long stage(struct seller *s, long seen)
{
	if (!s->near_end && seen > 1 && seen <= sellers) {
		s->near_end = true;
		if (s->index != 0) {
			tl_stage_done(&held_back);
			(void)tl_event_wait(&last_item, 1000);
		} else {
			(void)tl_stage_wait(&held_back, sellers - 1, 1000);
		}
		seen = atomic_load(&stock); /* the check again: nobody else acts now */
	}
	if (seen == 1 && !s->staged) {
		s->staged = true;
		if (s->index == 0)
			tl_event_set(&last_item);
		else
			tl_stage_done(&held_back);
		(void)tl_stage_meet(saw_last, sellers, s->index, 1000);
	}
	return seen;
}

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
	sellers = o.threads;
	atomic_store(&stock, o.iterations);
	pthread_t t[TL_MAX_THREADS];
	static struct seller ss[TL_MAX_THREADS];
	tl_stage_init(&held_back);
	tl_event_init(&last_item);
	for (long i = 0; i < sellers; i++)
		tl_event_init(&saw_last[i]);
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
