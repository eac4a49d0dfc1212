/* livelock/handshake — fixed
 * The same two threads, with Peterson's tie-breaker: each raises its flag and
 * then gives the other the turn.  Only one write to `turn` can be the last,
 * so when both flags are up exactly one thread waits and the other goes in.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * note: Without the ANNOTATE_HAPPENS_BEFORE/AFTER marks, Helgrind reports races on `inside` and `visits` (false alarms): it does not model the ordering seq_cst atomics give Peterson's lock.
 * expect drd:      clean
 * note: DRD honours the same Helgrind annotations; without them it reports the same false races.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

/* Helgrind and DRD do not see the ordering C11 atomics give (TSan does): the
 * handshake tells them itself, with the annotations Valgrind provides. */
#if defined(__has_include)
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#endif
#endif
#ifndef ANNOTATE_HAPPENS_BEFORE
#define ANNOTATE_HAPPENS_BEFORE(obj) ((void)(obj))
#define ANNOTATE_HAPPENS_AFTER(obj) ((void)(obj))
#endif

static atomic_bool want[2]; /* "I would like to go in" */
static atomic_int turn;    /* who goes first when both want to */
static int inside;          /* who is in the room; guarded by the handshake */
static long visits;         /* likewise */

/* Keeps the two threads in step, one attempt at a time: a barrier that
 * spins (sched_yield) instead of sleeping, so a waiting thread stays on CPU.
 * Two threads with the same code and the same timing fall into step on
 * their own now and then; the barrier makes it happen on every attempt, on
 * every run, even on a loaded machine. */
struct lockstep {
	pthread_mutex_t mu;
	unsigned long phase; /* under mu */
	long arrived;        /* under mu */
	long parties;        /* under mu */
};

static struct lockstep step = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 2};

static void lockstep_wait(struct lockstep *ls)
{
	pthread_mutex_lock(&ls->mu);
	unsigned long phase = ls->phase;
	if (++ls->arrived == ls->parties) {
		ls->arrived = 0;
		ls->phase++;
	}
	while (ls->phase == phase) {
		pthread_mutex_unlock(&ls->mu);
		sched_yield();
		pthread_mutex_lock(&ls->mu);
	}
	pthread_mutex_unlock(&ls->mu);
}

/* A thread that is done stops taking part, so the other is not left waiting. */
static void lockstep_leave(struct lockstep *ls)
{
	pthread_mutex_lock(&ls->mu);
	if (--ls->parties > 0 && ls->arrived == ls->parties) {
		ls->arrived = 0;
		ls->phase++;
	}
	pthread_mutex_unlock(&ls->mu);
}

/* Waits until the room is ours, politely.  Returns how many attempts it took. */
static long enter(int self)
{
	int other = !self;
	atomic_store(&want[self], true);
	atomic_store(&turn, other); /* "after you" — but only one of us has the last word */
	lockstep_wait(&step);       /* both have raised their flags */
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
		if (inside != 0) /* @room */
			tl_log("guest-%d is already inside!", inside - 1);
		inside = g->self + 1;
		visits++;
		inside = 0;
		ANNOTATE_HAPPENS_BEFORE(&inside); /* whoever goes in next */
		leave(g->self);
		tl_progress();
	}
	lockstep_leave(&step);
	tl_log("went in %ld times in %ld attempts", g->visits, g->attempts);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 200, .seed = 1, .watchdog = true,
				.threads_min = 2, .threads_max = 2};
	tl_lab_init(argc, argv, "Peterson's turn variable breaks the tie between two polite threads.", &o);
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
		return tl_lab_result(TL_EXIT_WRONG, "%ld visits counted, expected %ld: two were inside at once",
				     visits, 2 * o.iterations);
	return tl_lab_result(TL_EXIT_OK, "%ld visits each in %ld attempts, one at a time", o.iterations,
			     guests[0].attempts + guests[1].attempts);
}
