/* executor/map-as-completed — demo
 * tl_pool_map gives results in input order; tl_as_completed gives futures in the order they finish.
 * The same items are squared twice on a pool with a worker per item: once
 * with tl_pool_map, once with one tl_pool_submit each and a loop over
 * tl_completion_next.  The items finish in a fixed order that is not their
 * input order (each waits for its turn), so the run is the same every time:
 * map's results still come in input order, the completion in finish order.
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
#include "tl_sync.h"
#include "tl_watchdog.h"

#define MAX_ITEMS 8

/* The order items finish in, for 8 items; fewer keep the same relative order. */
static const int finish_order8[MAX_ITEMS] = {5, 2, 7, 0, 3, 6, 1, 4};

struct item {
	long index;
	long x;
	int turn; /* this item finishes turn-th (0 first) */
};

/* turn[t] is set once the item finishing (t-1)-th is DONE. */
static tl_event turn[MAX_ITEMS + 1];

static void let_next_finish(tl_future *f, void *arg)
{
	(void)f;
	struct item *it = arg;
	tl_event_set(&turn[it->turn + 1]);
}

/* Stands for work of varying length.  The next item is let go by a
 * done-callback on this task's own future, which runs once the future is
 * DONE, so the futures finish in turn order too, not just the functions. */
static void *square_in_turn(void *arg)
{
	struct item *it = arg;
	tl_future_on_done(tl_task_current(), let_next_finish, it);
	tl_event_wait(&turn[it->turn], -1);
	tl_log("item %ld (x = %ld) finishes %d%s", it->index, it->x, it->turn + 1,
	       it->turn == 0   ? "st"
	       : it->turn == 1 ? "nd"
	       : it->turn == 2 ? "rd"
	                       : "th");
	tl_progress();
	return (void *)(intptr_t)(it->x * it->x);
}

static void reset_turns(long n)
{
	for (long t = 0; t <= n; t++)
		tl_event_clear(&turn[t]);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 6,
	                        .iterations = 1,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = MAX_ITEMS};
	tl_lab_init(argc, argv, "map gives results in input order; as_completed in finish order.",
	            &o);
	long n = o.threads;
	struct item items[MAX_ITEMS];
	void *args[MAX_ITEMS], *results[MAX_ITEMS];
	for (long i = 0; i < n; i++) {
		int turn_of_i = 0;
		for (long j = 0; j < n; j++)
			turn_of_i += finish_order8[j] < finish_order8[i];
		items[i] = (struct item){.index = i, .x = 10 + i, .turn = turn_of_i};
		args[i] = &items[i];
	}
	for (long t = 0; t <= n; t++)
		tl_event_init(&turn[t]);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	/* A worker per item: every item must be running to wait for its turn. */
	tl_pool *pool = tl_pool_create((int)n);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));
	long wrong = 0;

	tl_log("tl_pool_map over %ld items:", n);
	reset_turns(n);
	tl_event_set(&turn[0]);
	int rc = tl_pool_map(pool, square_in_turn, args, results, (size_t)n, 1);
	if (rc)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_map: %s", strerror(rc));
	for (long i = 0; i < n; i++) {
		long r = (long)(intptr_t)results[i];
		tl_log("map result %ld: %ld^2 = %ld", i, items[i].x, r);
		wrong += r != items[i].x * items[i].x;
	}

	tl_log("tl_pool_submit each, then tl_as_completed:");
	reset_turns(n);
	tl_future *futures[MAX_ITEMS];
	for (long i = 0; i < n; i++)
		if (!(futures[i] = tl_pool_submit(pool, square_in_turn, &items[i])))
			return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit: %s",
			                     strerror(errno));
	tl_completion *done = tl_as_completed(futures, (size_t)n);
	if (!done)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_as_completed: %s", strerror(errno));
	/* Only now: futures that finished before tl_as_completed saw them would
	 * come first in the order given, not the order they finished. */
	tl_event_set(&turn[0]);
	tl_future *f;
	int seen = 0;
	while ((f = tl_completion_next(done, -1)) != NULL) {
		long i = 0;
		while (futures[i] != f)
			i++;
		long r = (long)(intptr_t)tl_future_result(f); /* finished: no wait */
		tl_log("completed: item %ld, %ld^2 = %ld", i, items[i].x, r);
		wrong += r != items[i].x * items[i].x || items[i].turn != seen;
		seen++;
	}
	tl_completion_free(done);
	for (long i = 0; i < n; i++)
		tl_future_free(futures[i]);
	tl_pool_free(pool);
	tl_watchdog_stop();
	for (long t = 0; t <= n; t++)
		tl_event_destroy(&turn[t]);

	if (wrong || seen != n)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%ld results wrong or out of order, %d of %ld seen", wrong,
		                     seen, n);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld items: map in input order, as_completed in finish order", n);
}
