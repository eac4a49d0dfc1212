/* livelock/handshake — broken
 * Two threads share a room that holds one.  To go in, each raises its flag;
 * if the other's flag is up too, it lowers its own ("after you") and tries
 * again.  In step, both always see the other's flag: both bow out, for ever.
 * expect run:      livelock
 * expect tsan:     clean
 * miss: The flags are C11 atomics, so there is no data race, and no lock is involved: nothing TSan checks goes wrong. Only the watchdog, which sees both threads on CPU and nobody ever inside, can tell a livelock.
 * expect helgrind: clean
 * miss: Helgrind checks races and locking, not progress; the flags are ordered by the lockstep barrier's mutex, so it has nothing to say at all.
 * expect drd:      clean
 * miss: DRD checks races and lock misuse, not progress; the livelock goes unseen.
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
	for (long attempts = 1;; attempts++) {
		atomic_store(&want[self], true);
		lockstep_wait(&step); /* both have raised their flags */
		if (!atomic_load(&want[other])) /* @look */
			return attempts;
		lockstep_wait(&step); /* both have looked */
		atomic_store(&want[self], false); /* "after you" — and try again */
	}
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
	tl_lab_init(argc, argv, "Two threads both say \"after you\", in step, for ever.", &o);
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
