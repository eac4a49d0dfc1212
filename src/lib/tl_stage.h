/* tl_stage — staging: making a lab's bad interleaving happen on every run.
 *
 * A lab whose bug shows once in a thousand runs teaches nothing (HACKING.md,
 * "Making bugs show every time").  These helpers hold threads back until the
 * others have reached a given point, without sleeping.  What matters most is
 * whether a helper creates a happens-before edge: a race lab's staging must
 * NOT, or the detectors would judge a program that is better ordered than the
 * one the lab is about.  Each helper says which kind it is.
 *
 * Every timeout here is in milliseconds at THREADLAB_SLOWDOWN 1 and is
 * multiplied by tl_slowdown(): a staging wait must stretch with the detector.
 */
#ifndef TL_STAGE_H
#define TL_STAGE_H

#include <pthread.h>
#include <stdatomic.h>

#include "tl_sync.h"

/* tl_stage: a step counter.  Threads count steps with tl_stage_done and wait
 * with tl_stage_wait until the count reaches n (spinning on sched_yield, so a
 * waiting thread stays runnable), or until the time runs out, so a lab
 * always ends even when its fixed twin never takes the step.
 *
 * It orders NOTHING: the word is a relaxed atomic, which gives TSan no
 * happens-before edge, and tl_stage_init hides it from Helgrind and DRD
 * (VALGRIND_HG_DISABLE_CHECKING, DRD_IGNORE_VAR), which do not model C11
 * atomics and would otherwise take its accesses for racing plain ones.  So
 * the detectors judge the lab's own accesses as if there were no staging.
 * Both calls are also compiler barriers, so a lab's plain accesses stay on
 * their side of a step.
 *
 *	tl_stage_init(&stage);             before the threads start
 *	tl_stage_done(&stage);             thread A: step 1 done
 *	tl_stage_wait(&stage, 1, 1000);    thread B: after step 1, or 1 s x slowdown
 */
typedef struct tl_stage {
	atomic_long steps;
} tl_stage;

void tl_stage_init(tl_stage *st);
/* Counts one step; async-signal-safe (a lock-free atomic add). */
void tl_stage_done(tl_stage *st);
/* Waits until at least n steps are done; ms < 0 waits for ever.  Returns 0,
 * or -ETIMEDOUT when ms x slowdown ran out first. */
int tl_stage_wait(tl_stage *st, long n, long ms);

/* tl_stage_meet: sets ev[self], then waits until all n events are set or
 * ms x slowdown has passed in all.  "Wait here until every other thread has
 * got here too."  Returns 0, or -ETIMEDOUT.
 *
 * It DOES order memory: tl_event is a mutex and a condition variable, so
 * each thread's accesses before its set happen before the others' after
 * their wait.  A lab's expectations are written with that edge in place
 * (race/balance notes it); use tl_stage where it must not exist. */
int tl_stage_meet(tl_event *ev, long n, long self, long ms);

/* tl_lockstep: a barrier that spins (sched_yield) instead of sleeping, so a
 * waiting thread stays on CPU, which is what the watchdog must see in a
 * livelock.  Threads with the same code and timing fall into step on their
 * own now and then; the barrier makes it happen on every round, every run,
 * even on a loaded machine.  A thread that is done calls tl_lockstep_leave,
 * so the others are not left waiting for it.
 *
 * It orders memory (a mutex): it is for labs about progress, not races. */
typedef struct tl_lockstep {
	pthread_mutex_t mu;
	unsigned long phase; /* under mu */
	long arrived;        /* under mu */
	long parties;        /* under mu */
} tl_lockstep;

#define TL_LOCKSTEP_INITIALIZER(parties)                                                           \
	{                                                                                          \
		PTHREAD_MUTEX_INITIALIZER, 0, 0, (parties)                                         \
	}

void tl_lockstep_init(tl_lockstep *ls, long parties);
/* Returns when all parties still taking part have arrived. */
void tl_lockstep_wait(tl_lockstep *ls);
void tl_lockstep_leave(tl_lockstep *ls);

#endif
