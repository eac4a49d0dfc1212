/* tl_sync — small primitives pthreads lacks.
 *
 * tl_event: a flag threads can wait for (set, clear, is_set, wait with a
 * timeout), built on a mutex and a CLOCK_MONOTONIC condition variable.
 */
#ifndef TL_SYNC_H
#define TL_SYNC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct tl_event {
	pthread_mutex_t mu;
	pthread_cond_t cv;
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

/* tl_overlap: makes the work of several threads overlap in time, whatever
 * the scheduler does.  Each thread does at least `share` steps and keeps
 * stepping until every thread has done its share, so the last thread's steps
 * all happen while the others are still stepping.  A race lab uses it so that
 * its threads really run at the same time even on a busy machine.
 *
 *	long steps = 0;
 *	bool counted = false;
 *	while (tl_overlap_more(&ov, steps, share, &counted)) {
 *		step();
 *		steps++;
 *	}
 */
typedef struct tl_overlap {
	atomic_long finished; /* threads that have done their share */
	long threads;
} tl_overlap;

void tl_overlap_init(tl_overlap *ov, long threads);
bool tl_overlap_more(tl_overlap *ov, long steps, long share, bool *counted);

#endif
