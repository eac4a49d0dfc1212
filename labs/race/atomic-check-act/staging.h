/* race/atomic-check-act — what broken.c and fixed.c share: the stock and
 * the staging that makes every seller see the last item.  How a seller
 * takes an item, where the two differ, is in each program.
 */
#ifndef ATOMIC_CHECK_ACT_STAGING_H
#define ATOMIC_CHECK_ACT_STAGING_H

#include <stdatomic.h>
#include <stdbool.h>

#include "tl_lab.h"
#include "tl_stage.h"
#include "tl_sync.h"

static atomic_long stock;

/* Staging: every seller must see the last item before
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

/* Before the sellers start: n of them, and `items` in stock. */
static void stage_init(long n, long items)
{
	sellers = n;
	atomic_store(&stock, items);
	tl_stage_init(&held_back);
	tl_event_init(&last_item);
	for (long i = 0; i < n; i++)
		tl_event_init(&saw_last[i]);
}

#endif
