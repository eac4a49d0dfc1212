/* tl_sync — an event on a mutex and a CLOCK_MONOTONIC condition variable. */
#include "config.h"

#include "tl_sync.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

#include <valgrind/drd.h>
#include <valgrind/helgrind.h>

int tl_event_init(tl_event *ev)
{
	pthread_condattr_t ca;
	int rc = pthread_condattr_init(&ca);
	if (rc)
		return -rc;
	/* Monotonic, so that a clock step cannot stretch or cut a timeout. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&ev->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rc)
		return -rc;
	rc = pthread_mutex_init(&ev->mu, NULL);
	if (rc) {
		pthread_cond_destroy(&ev->cv);
		return -rc;
	}
	ev->set = false;
	return 0;
}

void tl_event_destroy(tl_event *ev)
{
	pthread_cond_destroy(&ev->cv);
	pthread_mutex_destroy(&ev->mu);
}

void tl_event_set(tl_event *ev)
{
	pthread_mutex_lock(&ev->mu);
	ev->set = true;
	pthread_cond_broadcast(&ev->cv);
	pthread_mutex_unlock(&ev->mu);
}

void tl_event_clear(tl_event *ev)
{
	pthread_mutex_lock(&ev->mu);
	ev->set = false;
	pthread_mutex_unlock(&ev->mu);
}

bool tl_event_is_set(tl_event *ev)
{
	pthread_mutex_lock(&ev->mu);
	bool s = ev->set;
	pthread_mutex_unlock(&ev->mu);
	return s;
}

int tl_event_wait(tl_event *ev, long timeout_ms)
{
	struct timespec deadline;
	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	int rc = 0;
	pthread_mutex_lock(&ev->mu);
	/* A loop, not an if: wake-ups can be spurious or stolen. */
	while (!ev->set && rc == 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&ev->cv, &ev->mu);
		else if (pthread_cond_timedwait(&ev->cv, &ev->mu, &deadline) == ETIMEDOUT)
			rc = -ETIMEDOUT;
	}
	if (ev->set)
		rc = 0;
	pthread_mutex_unlock(&ev->mu);
	return rc;
}

void tl_overlap_init(tl_overlap *ov, long threads)
{
	atomic_init(&ov->finished, 0);
	ov->threads = threads;
	/* The counter is only ever touched atomically and orders nothing: tell
	 * Helgrind and DRD, which do not model C11 atomics, not to check it.
	 * (No-ops outside Valgrind.) */
	VALGRIND_HG_DISABLE_CHECKING(&ov->finished, sizeof ov->finished);
	DRD_IGNORE_VAR(ov->finished);
}

bool tl_overlap_more(tl_overlap *ov, long steps, long share, bool *counted)
{
	if (steps < share)
		return true;
	if (!*counted) {
		*counted = true;
		atomic_fetch_add_explicit(&ov->finished, 1, memory_order_relaxed);
	}
	if (atomic_load_explicit(&ov->finished, memory_order_relaxed) >= ov->threads)
		return false;
	/* Now and then offer the CPU: under Valgrind, which runs one thread at
	 * a time, this lets the others do their share instead of watching this
	 * one spin through a whole time slice.  On a CPU of its own, sched_yield
	 * returns at once. */
	if ((steps - share) % 64 == 63)
		sched_yield();
	return true;
}
