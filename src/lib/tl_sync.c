/* tl_sync — tl_event, tl_bsem and the tl_bell their timed waits sleep on;
 * tl_overlap. */
#include "config.h"

#include "tl_sync.h"

#include "tl_clock.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "tl_annotate.h"

int tl_bell_open(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

void tl_bell_close(int bell)
{
	close(bell);
}

void tl_bell_ring(int bell)
{
	uint64_t one = 1;
	while (write(bell, &one, sizeof one) < 0 && errno == EINTR)
		;
}

void tl_bell_silence(int bell)
{
	uint64_t count; /* one read takes the whole count; EAGAIN if already 0 */
	while (read(bell, &count, sizeof count) < 0 && errno == EINTR)
		;
}

int tl_bell_wait(int bell, const struct timespec *deadline)
{
	struct timespec now, left;
	clock_gettime(CLOCK_MONOTONIC, &now);
	left.tv_sec = deadline->tv_sec - now.tv_sec;
	left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (left.tv_nsec < 0) {
		left.tv_sec--;
		left.tv_nsec += 1000000000L;
	}
	if (left.tv_sec < 0)
		return -ETIMEDOUT;
	struct pollfd p = {.fd = bell, .events = POLLIN};
	/* An interrupted poll (-1, EINTR) counts as an early return. */
	return ppoll(&p, 1, &left, NULL) == 0 ? -ETIMEDOUT : 0;
}

int tl_bell_wait_released(int bell, pthread_mutex_t *mu, const struct timespec *deadline)
{
	pthread_mutex_unlock(mu);
	int rc = tl_bell_wait(bell, deadline);
	pthread_mutex_lock(mu);
	return rc;
}

/* Opens the bell, then the mutex and the condition variable: 0 or a negative
 * errno, with nothing left open. */
static int open_waitable(pthread_mutex_t *mu, pthread_cond_t *cv, int *bell)
{
	int rc = tl_bell_open();
	if (rc < 0)
		return rc;
	*bell = rc;
	rc = pthread_cond_init(cv, NULL);
	if (rc)
		goto fail_bell;
	rc = pthread_mutex_init(mu, NULL);
	if (rc)
		goto fail_cv;
	return 0;

fail_cv:
	pthread_cond_destroy(cv);
fail_bell:
	tl_bell_close(*bell);
	return -rc;
}

static void close_waitable(pthread_mutex_t *mu, pthread_cond_t *cv, int bell)
{
	pthread_cond_destroy(cv);
	pthread_mutex_destroy(mu);
	tl_bell_close(bell);
}

int tl_bell_cond_wait(pthread_mutex_t *mu, pthread_cond_t *cv, int bell, long timeout_ms,
                      const struct timespec *deadline)
{
	if (timeout_ms == 0)
		return -ETIMEDOUT;
	if (timeout_ms > 0)
		return tl_bell_wait_released(bell, mu, deadline);
	pthread_cond_wait(cv, mu);
	return 0;
}

int tl_event_init(tl_event *ev)
{
	ev->set = false;
	return open_waitable(&ev->mu, &ev->cv, &ev->bell);
}

void tl_event_destroy(tl_event *ev)
{
	close_waitable(&ev->mu, &ev->cv, ev->bell);
}

void tl_event_set(tl_event *ev)
{
	pthread_mutex_lock(&ev->mu);
	if (!ev->set)
		tl_bell_ring(ev->bell);
	ev->set = true;
	pthread_cond_broadcast(&ev->cv);
	pthread_mutex_unlock(&ev->mu);
}

void tl_event_clear(tl_event *ev)
{
	pthread_mutex_lock(&ev->mu);
	if (ev->set)
		tl_bell_silence(ev->bell);
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
	struct timespec deadline = {0, 0};
	if (timeout_ms >= 0)
		deadline = tl_deadline_after(timeout_ms);
	int rc = 0;
	pthread_mutex_lock(&ev->mu);
	/* A loop, not an if: wake-ups can be spurious or stolen. */
	while (!ev->set && rc == 0)
		rc = tl_bell_cond_wait(&ev->mu, &ev->cv, ev->bell, timeout_ms, &deadline);
	if (ev->set)
		rc = 0;
	pthread_mutex_unlock(&ev->mu);
	return rc;
}

int tl_bsem_init(tl_bsem *s, unsigned value, unsigned max)
{
	if (value > max)
		return -EINVAL;
	int rc = open_waitable(&s->mu, &s->cv, &s->bell);
	if (rc)
		return rc;
	s->value = value;
	s->max = max;
	if (value > 0)
		tl_bell_ring(s->bell);
	return 0;
}

void tl_bsem_destroy(tl_bsem *s)
{
	close_waitable(&s->mu, &s->cv, s->bell);
}

int tl_bsem_acquire(tl_bsem *s, long timeout_ms)
{
	struct timespec deadline = {0, 0};
	if (timeout_ms >= 0)
		deadline = tl_deadline_after(timeout_ms);
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	while (s->value == 0 && rc == 0)
		rc = tl_bell_cond_wait(&s->mu, &s->cv, s->bell, timeout_ms, &deadline);
	if (s->value > 0) { /* a slot may have come just as the time ran out */
		if (--s->value == 0)
			tl_bell_silence(s->bell);
		rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int tl_bsem_release(tl_bsem *s)
{
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	if (s->value == s->max) {
		rc = -EOVERFLOW;
	} else {
		if (s->value++ == 0)
			tl_bell_ring(s->bell);
		pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

unsigned tl_bsem_value(tl_bsem *s)
{
	pthread_mutex_lock(&s->mu);
	unsigned v = s->value;
	pthread_mutex_unlock(&s->mu);
	return v;
}

void tl_overlap_init(tl_overlap *ov, long threads)
{
	atomic_init(&ov->finished, 0);
	atomic_init(&ov->joined, 0);
	atomic_init(&ov->together_ns, 0);
	atomic_init(&ov->first_done_ns, 0);
	for (int i = 0; i < TL_OVERLAP_SLOTS; i++)
		atomic_init(&ov->stamp[i], 0);
	ov->threads = threads;
	cpu_set_t cpus;
	long ncpu = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
	ov->together_of = threads < ncpu ? threads : ncpu;
	if (ov->together_of > TL_OVERLAP_SLOTS)
		ov->together_of = TL_OVERLAP_SLOTS;
	/* Only a native run needs the threads to collide for real: TSan and
	 * Valgrind find a race from the missing happens-before, whatever the
	 * timing (and Valgrind runs one thread at a time, so "together" could
	 * never happen there). */
	ov->need_together = !TL_BUILT_WITH_TSAN && !RUNNING_ON_VALGRIND && threads > 1;
	/* These words are only ever touched atomically and order nothing: tell
	 * Helgrind and DRD, which do not model C11 atomics, not to check them.
	 * (No-ops outside Valgrind.) */
	VALGRIND_HG_DISABLE_CHECKING(ov, sizeof *ov);
	DRD_IGNORE_VAR(*ov);
}

/* Per thread: its slot and its last stamp (a lab has one tl_overlap). */
static _Thread_local struct {
	const tl_overlap *ov;
	long slot;
	uint64_t last;
	bool was_together;
} me;

#define TOGETHER_WINDOW_NS 20000u /* a stamp this fresh means "running now" */

static void stamp(tl_overlap *ov)
{
	if (me.ov != ov) {
		me.ov = ov;
		me.slot = atomic_fetch_add_explicit(&ov->joined, 1, memory_order_relaxed);
		me.last = 0;
		me.was_together = false;
	}
	uint64_t now = tl_mono_ns();
	if (me.slot < TL_OVERLAP_SLOTS)
		atomic_store_explicit(&ov->stamp[me.slot], now, memory_order_relaxed);
	long n = ov->threads < TL_OVERLAP_SLOTS ? ov->threads : TL_OVERLAP_SLOTS;
	long fresh = 0;
	if (atomic_load_explicit(&ov->joined, memory_order_relaxed) >= n)
		for (long i = 0; i < n; i++)
			fresh += atomic_load_explicit(&ov->stamp[i], memory_order_relaxed) +
			             TOGETHER_WINDOW_NS >=
			         now;
	bool together = fresh >= ov->together_of;
	/* Count the span since the previous stamp only if both ends were
	 * "together" and it is short (no time slice lost in between).  Only
	 * the thread in slot 0 counts, so time is not counted once per thread. */
	if (me.slot == 0 && together && me.was_together && now - me.last < TOGETHER_WINDOW_NS)
		atomic_fetch_add_explicit(&ov->together_ns, now - me.last, memory_order_relaxed);
	me.was_together = together;
	me.last = now;
}

bool tl_overlap_more(tl_overlap *ov, long steps, long share, bool *counted)
{
	if (ov->need_together && steps % 64 == 0)
		stamp(ov);
	if (TL_BUILT_WITH_TSAN) {
		/* TSan reports a race only if it can rebuild the earlier
		 * access's stack from the bounded history it keeps, and a word
		 * one thread writes very many times defeats that
		 * (probes/tsan-history: 150,000 writes reported, 200,000 not,
		 * with the harness's history_size=7; 20,000 and not 100,000
		 * with TSan's default).  So under TSan each thread makes a
		 * short share and stops, however late the others are. */
		return steps < (share < TL_OVERLAP_TSAN_STEPS ? share : TL_OVERLAP_TSAN_STEPS);
	}
	if (steps < share)
		return true;
	if (!*counted) {
		*counted = true;
		atomic_fetch_add_explicit(&ov->finished, 1, memory_order_relaxed);
		unsigned long long zero = 0;
		atomic_compare_exchange_strong(&ov->first_done_ns, &zero, tl_mono_ns());
	}
	if (atomic_load_explicit(&ov->finished, memory_order_relaxed) < ov->threads) {
		/* Now and then offer the CPU: under Valgrind, which runs one
		 * thread at a time, this lets the others do their share instead
		 * of watching this one spin through a whole time slice.  On a CPU
		 * of its own, sched_yield returns at once. */
		if ((steps - share) % 64 == 63)
			sched_yield();
		return true;
	}
	if (!ov->need_together || atomic_load_explicit(&ov->together_ns, memory_order_relaxed) >=
	                              TL_OVERLAP_TOGETHER_MS * 1000000ull)
		return false;
	/* Everybody has done their share but they have not yet run side by
	 * side long enough: keep going, within a limit. */
	uint64_t first = atomic_load_explicit(&ov->first_done_ns, memory_order_relaxed);
	return tl_mono_ns() - first < (uint64_t)TL_OVERLAP_LIMIT_MS * 1000000u;
}

double tl_overlap_together_ms(tl_overlap *ov)
{
	return (double)atomic_load_explicit(&ov->together_ns, memory_order_relaxed) / 1e6;
}
