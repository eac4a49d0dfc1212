/* tl_sync — small primitives pthreads lacks.
 *
 * tl_event: a flag threads can wait for (set, clear, is_set, wait with a
 * timeout), built on a mutex, a condition variable and a tl_bell.
 *
 * tl_bell: what the waits with a deadline (tl_event, tl_bsem, tl_queue) sleep on
 * instead of pthread_cond_timedwait.  When a timed wait on a condition
 * variable times out just as the variable is signalled or broadcast, glibc
 * 2.36 passes the wake-up on with a pthread_cond_signal of its own, made from
 * inside pthread_cond_timedwait before it takes the mutex back; Helgrind
 * takes that call for the program's and reports
 * "pthread_cond_{signal,broadcast}: associated lock is not held" against the
 * waiter (6 runs in 60 of demos/detached under load).  Waits without a
 * deadline never time out, so they stay on the condition variable.
 */
#ifndef TL_SYNC_H
#define TL_SYNC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

/* An eventfd that is readable exactly while its owner's condition holds: the
 * owner rings it when the condition becomes true and silences it when it
 * becomes false, both under the mutex that guards the condition.  A timed
 * waiter checks the condition under that mutex, lets go of it and waits for
 * the bell: a change made in between leaves it readable, so no wake-up is
 * lost.  The bell carries no data (the condition is read under the mutex), so
 * no detector has anything to say about it. */
int tl_bell_open(void); /* the descriptor, or a negative errno */
void tl_bell_close(int bell);
void tl_bell_ring(int bell);
void tl_bell_silence(int bell);
/* Sleeps until the bell is readable or the CLOCK_MONOTONIC deadline has
 * passed: 0 (maybe early: re-check the condition) or -ETIMEDOUT. */
int tl_bell_wait(int bell, const struct timespec *deadline);
/* tl_bell_wait with `mu` (held, and guarding the bell's condition) let go
 * meanwhile and taken back before it returns. */
int tl_bell_wait_released(int bell, pthread_mutex_t *mu, const struct timespec *deadline);
/* One wait under `mu` for a condition guarded by it: on `cv` when timeout_ms
 * < 0, on `bell` (mu let go meanwhile) when > 0; -ETIMEDOUT at once when 0
 * or once the deadline has passed, else 0 (the caller re-checks either way).
 * tl_event, tl_bsem and tl_queue wait with it. */
int tl_bell_cond_wait(pthread_mutex_t *mu, pthread_cond_t *cv, int bell, long timeout_ms,
                      const struct timespec *deadline);

typedef struct tl_event {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* waits without a deadline */
	int bell;          /* waits with one: readable exactly while set */
	bool set;
} tl_event;

int tl_event_init(tl_event *ev);
void tl_event_destroy(tl_event *ev);
void tl_event_set(tl_event *ev);
void tl_event_clear(tl_event *ev);
bool tl_event_is_set(tl_event *ev);
/* Waits until set; timeout_ms < 0 waits for ever.  Returns 0 when set,
 * -ETIMEDOUT when the time ran out first. */
int tl_event_wait(tl_event *ev, long timeout_ms);

/* tl_bsem: a bounded counting semaphore.  Like a POSIX semaphore, but it
 * knows its ceiling and refuses a release that would pass it (-EOVERFLOW):
 * an extra release is a bug (a slot given back twice), and a plain sem_post
 * would silently let one more thread in than there are slots. */
typedef struct tl_bsem {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* acquires without a deadline */
	int bell;          /* acquires with one: readable exactly while value > 0 */
	unsigned value, max;
} tl_bsem;

int tl_bsem_init(tl_bsem *s, unsigned value, unsigned max); /* -EINVAL if value > max */
void tl_bsem_destroy(tl_bsem *s);
/* Takes a slot; timeout_ms < 0 waits for ever.  0 or -ETIMEDOUT. */
int tl_bsem_acquire(tl_bsem *s, long timeout_ms);
/* Gives a slot back.  0, or -EOVERFLOW if all slots are already free. */
int tl_bsem_release(tl_bsem *s);
unsigned tl_bsem_value(tl_bsem *s);

/* tl_overlap: makes the work of several threads overlap in time, whatever
 * the scheduler does.  Each thread does at least `share` steps and keeps
 * stepping until (1) every thread has done its share and (2) all threads have
 * been seen running at the same moment for TL_OVERLAP_TOGETHER_MS in total.
 * Every 64 steps a thread stamps the monotonic clock into its slot; a stamp
 * taken while every other thread's latest stamp is under 20 us old counts
 * the time since the previous such stamp as "together" (with more threads
 * than CPUs: while as many threads as there are CPUs are, since no more can
 * run at once).  So a race lab's
 * threads really run in parallel even when other processes keep the CPUs
 * busy and a share would fit in one time slice.  (2) is for native runs
 * only: TSan and Valgrind see a race without any collision (and Valgrind runs
 * one thread at a time).  Past TL_OVERLAP_LIMIT_MS of trying, it gives up on
 * (2) rather than hang.  Under TSan neither holds: each thread does
 * min(share, TL_OVERLAP_TSAN_STEPS) steps and stops, because TSan drops a
 * race when it cannot rebuild the earlier access's stack from its bounded
 * history, which a word written very many times by one thread defeats
 * (probes/tsan-history): before this rule, race/counter's TSan run missed its
 * race in 7 of 200 runs, when one adder ran far ahead of a late one.
 *
 *	long steps = 0;
 *	bool counted = false;
 *	while (tl_overlap_more(&ov, steps, share, &counted)) {
 *		step();
 *		steps++;
 *	}
 */
#define TL_OVERLAP_SLOTS       64
#define TL_OVERLAP_TOGETHER_MS 2
#define TL_OVERLAP_LIMIT_MS    5000
#define TL_OVERLAP_TSAN_STEPS  5000

typedef struct tl_overlap {
	atomic_long finished;        /* threads that have done their share */
	atomic_long joined;          /* slots handed out */
	atomic_ullong together_ns;   /* time all threads were seen running at once */
	atomic_ullong first_done_ns; /* when the first thread finished its share */
	atomic_ullong stamp[TL_OVERLAP_SLOTS];
	long threads;
	long together_of;   /* how many fresh stamps make "together": min(threads, CPUs) */
	bool need_together; /* false under TSan and Valgrind */
} tl_overlap;

void tl_overlap_init(tl_overlap *ov, long threads);
bool tl_overlap_more(tl_overlap *ov, long steps, long share, bool *counted);
/* Milliseconds the threads were seen running together (for a lab's log). */
double tl_overlap_together_ms(tl_overlap *ov);

#endif
