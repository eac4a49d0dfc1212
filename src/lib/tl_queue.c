/* tl_queue — a bounded MPMC queue on a mutex, two condition variables and
 * two tl_bells for the waits with a timeout. */
#include "config.h"

#include "tl_queue.h"

#include "tl_clock.h"
#include "tl_sync.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* Rings or silences `bell` so that it is readable exactly while `want`. */
static void keep_bell(int bell, bool *rung, bool want)
{
	if (want == *rung)
		return;
	if (want)
		tl_bell_ring(bell);
	else
		tl_bell_silence(bell);
	*rung = want;
}

/* Under q->mu, after every change of len or closed. */
static void sync_bells(tl_queue *q)
{
	keep_bell(q->room_bell, &q->room_rung, q->closed || q->len < q->capacity);
	keep_bell(q->items_bell, &q->items_rung, q->closed || q->len > 0);
}

int tl_queue_init(tl_queue *q, size_t capacity)
{
	if (capacity == 0)
		return -EINVAL;
	q->items = calloc(capacity, sizeof *q->items);
	if (!q->items)
		return -ENOMEM;
	int rc = tl_cond_init_monotonic(&q->not_full);
	if (rc)
		goto fail_items;
	rc = tl_cond_init_monotonic(&q->not_empty);
	if (rc)
		goto fail_not_full;
	rc = tl_bell_open();
	if (rc < 0)
		goto fail_not_empty;
	q->room_bell = rc;
	rc = tl_bell_open();
	if (rc < 0)
		goto fail_room_bell;
	q->items_bell = rc;
	rc = -pthread_mutex_init(&q->mu, NULL);
	if (rc)
		goto fail_items_bell;
	q->capacity = capacity;
	q->head = 0;
	q->len = 0;
	q->closed = false;
	q->room_rung = q->items_rung = false;
	sync_bells(q);
	return 0;

fail_items_bell:
	tl_bell_close(q->items_bell);
fail_room_bell:
	tl_bell_close(q->room_bell);
fail_not_empty:
	pthread_cond_destroy(&q->not_empty);
fail_not_full:
	pthread_cond_destroy(&q->not_full);
fail_items:
	free(q->items);
	q->items = NULL;
	return rc;
}

void tl_queue_destroy(tl_queue *q)
{
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	pthread_mutex_destroy(&q->mu);
	tl_bell_close(q->room_bell);
	tl_bell_close(q->items_bell);
	free(q->items);
	q->items = NULL;
}

int tl_queue_put(tl_queue *q, void *item, long timeout_ms)
{
	struct timespec deadline;
	if (timeout_ms > 0)
		deadline = tl_deadline_after(timeout_ms);
	int rc = 0;
	pthread_mutex_lock(&q->mu);
	/* A loop, not an if: another producer may take the slot we were woken
	 * for, and wake-ups can be spurious.  The predicate is re-checked after
	 * a timeout too, so a slot freed at the last moment is not wasted. */
	for (;;) {
		if (q->closed) {
			rc = -EPIPE;
			break;
		}
		if (q->len < q->capacity) {
			q->items[(q->head + q->len) % q->capacity] = item;
			q->len++;
			sync_bells(q);
			/* signal, not broadcast: one item can satisfy one consumer.
			 * Close is the only event every waiter must hear. */
			pthread_cond_signal(&q->not_empty);
			rc = 0;
			break;
		}
		if (rc == -ETIMEDOUT)
			break;
		rc = tl_bell_cond_wait(&q->mu, &q->not_full, q->room_bell, timeout_ms, &deadline);
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int tl_queue_get(tl_queue *q, void **item, long timeout_ms)
{
	struct timespec deadline;
	if (timeout_ms > 0)
		deadline = tl_deadline_after(timeout_ms);
	int rc = 0;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		/* Items first, close second: what was put before close is
		 * still delivered. */
		if (q->len > 0) {
			*item = q->items[q->head];
			q->head = (q->head + 1) % q->capacity;
			q->len--;
			sync_bells(q);
			pthread_cond_signal(&q->not_full);
			rc = 0;
			break;
		}
		if (q->closed) {
			rc = -EPIPE;
			break;
		}
		if (rc == -ETIMEDOUT)
			break;
		rc = tl_bell_cond_wait(&q->mu, &q->not_empty, q->items_bell, timeout_ms, &deadline);
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void tl_queue_close(tl_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	sync_bells(q);
	/* Broadcast: every waiter must see the close, not just one. */
	pthread_cond_broadcast(&q->not_full);
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

size_t tl_queue_len(tl_queue *q)
{
	pthread_mutex_lock(&q->mu);
	size_t n = q->len;
	pthread_mutex_unlock(&q->mu);
	return n;
}
