/* livelock/handshake — fixed
 * A tie-breaker (Peterson's turn) lets exactly one of two polite threads go first.
 * The same two threads, with Peterson's tie-breaker: each raises its flag and then gives the other
 * the turn.  Only one write to `turn` can be the last, so when both flags are up exactly one thread
 * waits and the other goes in.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * note: Without the ANNOTATE_HAPPENS_BEFORE/AFTER marks, Helgrind reports races on `inside` and
 *       `visits` (false alarms): it does not model the ordering seq_cst atomics give Peterson's
 *       lock.
 * expect drd:      clean
 * note: DRD honours the same Helgrind annotations; without them it reports the same false races.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "tl_annotate.h" /* Helgrind and DRD do not see what C11 atomics order */
#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"
#include "tl_watchdog.h"

static atomic_bool want[2]; /* "I would like to go in" */
static atomic_int turn;     /* who goes first when both want to */
static int inside;          /* who is in the room; guarded by the handshake */
static long visits;         /* likewise */

/* Keeps the two threads in step, one attempt at a time: a spinning barrier
 * (tl_lockstep), so they meet on every attempt of every run. */
static tl_lockstep step = TL_LOCKSTEP_INITIALIZER(2);

/* Waits until the room is ours, politely.  Returns how many attempts it took. */
static long enter(int self)
{
	int other = !self;
	atomic_store(&want[self], true);
	atomic_store(&turn, other); /* "after you" — but only one of us has the last word */
	tl_lockstep_wait(&step);    /* both have raised their flags */
	while (atomic_load(&want[other]) && atomic_load(&turn) == other)
		sched_yield();
	return 1;
}

static void leave(int self)
{
	atomic_store(&want[self], false);
}

struct guest {
	int self;
	long visits, attempts;
};

static void *guest(void *arg)
{
	struct guest *g = arg;
	tl_thread_name("guest-%d", g->self);
	tl_watchdog_register();
	for (long i = 0; i < g->visits; i++) {
		g->attempts += enter(g->self);
		ANNOTATE_HAPPENS_AFTER(&inside); /* whoever left the room before us */
		if (inside != 0)                 /* @room */
			tl_log("guest-%d is already inside!", inside - 1);
		inside = g->self + 1;
		visits++;
		inside = 0;
		ANNOTATE_HAPPENS_BEFORE(&inside); /* whoever goes in next */
		leave(g->self);
		tl_progress();
	}
	tl_lockstep_leave(&step);
	tl_log("went in %ld times in %ld attempts", g->visits, g->attempts);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 200,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2};
	tl_lab_init(argc, argv,
	            "Peterson's turn variable breaks the tie between two polite threads.", &o);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	struct guest guests[2] = {{0, o.iterations, 0}, {1, o.iterations, 0}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		tl_lab_thread_create(&t[i], guest, &guests[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	tl_watchdog_stop();

	if (visits != 2 * o.iterations)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%ld visits counted, expected %ld: two were inside at once",
		                     visits, 2 * o.iterations);
	return tl_lab_result(TL_EXIT_OK, "%ld visits each in %ld attempts, one at a time",
	                     o.iterations, guests[0].attempts + guests[1].attempts);
}
