/* tl_stage — staging helpers; see tl_stage.h for which of them order memory. */
#include "config.h"

#include "tl_stage.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "tl_annotate.h"
#include "tl_clock.h"

#include "tl_watchdog.h" /* tl_slowdown */

/* ms x slowdown from now, in ns; INT64_MAX for "never". */
static int64_t deadline_ns(long ms)
{
	if (ms < 0)
		return INT64_MAX;
	return (int64_t)tl_mono_ns() + (int64_t)((double)ms * 1e6 * tl_slowdown());
}

void tl_stage_init(tl_stage *st)
{
	atomic_init(&st->steps, 0);
	/* Staging only: hidden from Helgrind and DRD, which do not model C11
	 * atomics (no-ops outside Valgrind).  Nothing must be ordered by it. */
	VALGRIND_HG_DISABLE_CHECKING(st, sizeof *st);
	DRD_IGNORE_VAR(*st);
}

void tl_stage_done(tl_stage *st)
{
	atomic_signal_fence(memory_order_seq_cst); /* the caller's accesses stay before it */
	atomic_fetch_add_explicit(&st->steps, 1, memory_order_relaxed);
}

int tl_stage_wait(tl_stage *st, long n, long ms)
{
	int64_t end = deadline_ns(ms);
	int rc = 0;
	/* A relaxed read-modify-write, not a load: it always reads the latest
	 * count, and like a relaxed load it gives TSan no edge. */
	while (atomic_fetch_add_explicit(&st->steps, 0, memory_order_relaxed) < n) {
		if ((int64_t)tl_mono_ns() >= end) {
			rc = -ETIMEDOUT;
			break;
		}
		sched_yield();
	}
	atomic_signal_fence(memory_order_seq_cst); /* the caller's accesses stay after it */
	return rc;
}

int tl_stage_meet(tl_event *ev, long n, long self, long ms)
{
	tl_event_set(&ev[self]);
	int64_t end = deadline_ns(ms);
	int rc = 0;
	for (long i = 0; i < n; i++) {
		if (i == self)
			continue;
		long left = 0;
		if (end == INT64_MAX)
			left = -1;
		else if (end > (int64_t)tl_mono_ns())
			left = (long)((end - (int64_t)tl_mono_ns()) / 1000000);
		if (tl_event_wait(&ev[i], left) < 0)
			rc = -ETIMEDOUT;
	}
	return rc;
}

void tl_lockstep_init(tl_lockstep *ls, long parties)
{
	pthread_mutex_init(&ls->mu, NULL);
	ls->phase = 0;
	ls->arrived = 0;
	ls->parties = parties;
}

void tl_lockstep_wait(tl_lockstep *ls)
{
	pthread_mutex_lock(&ls->mu);
	unsigned long phase = ls->phase;
	if (++ls->arrived == ls->parties) {
		ls->arrived = 0;
		ls->phase++;
	}
	/* Spin, do not sleep: a waiting thread must stay on CPU (and keep the
	 * mutex free for the others between looks). */
	while (ls->phase == phase) {
		pthread_mutex_unlock(&ls->mu);
		sched_yield();
		pthread_mutex_lock(&ls->mu);
	}
	pthread_mutex_unlock(&ls->mu);
}

void tl_lockstep_leave(tl_lockstep *ls)
{
	pthread_mutex_lock(&ls->mu);
	/* The one leaving may have been the last the others were waiting for. */
	if (--ls->parties > 0 && ls->arrived == ls->parties) {
		ls->arrived = 0;
		ls->phase++;
	}
	pthread_mutex_unlock(&ls->mu);
}
