/* tl_clock — the monotonic clock, as libthreadlab's timed waits use it.
 *
 * Every timeout here is measured on CLOCK_MONOTONIC, so that a step of the
 * wall clock can neither stretch nor cut it, and every timed wait computes
 * its deadline once, before waiting: a loop that restarted the timeout after
 * each spurious or stolen wake-up could wait for ever.
 */
#ifndef TL_CLOCK_H
#define TL_CLOCK_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#define NS_PER_MS UINT64_C(1000000)

/* Nanoseconds on the monotonic clock. */
static inline uint64_t tl_mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Milliseconds on the monotonic clock, with their fraction: for timing waits. */
static inline double tl_mono_ms(void)
{
	return (double)tl_mono_ns() / 1e6;
}

/* Moves *t on by ms (>= 0), keeping tv_nsec under a second. */
static inline void tl_timespec_add_ms(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

/* The monotonic time timeout_ms (>= 0) from now, for pthread_cond_timedwait. */
static inline struct timespec tl_deadline_after(long timeout_ms)
{
	struct timespec d;
	clock_gettime(CLOCK_MONOTONIC, &d);
	tl_timespec_add_ms(&d, timeout_ms);
	return d;
}

/* A condition variable whose timed waits run on the monotonic clock.
 * 0 or a negative errno. */
static inline int tl_cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	int rc = pthread_condattr_init(&ca);
	if (rc)
		return -rc;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
	return -rc;
}

#endif
