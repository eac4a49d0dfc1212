/* tl_queue — a bounded multi-producer, multi-consumer queue of pointers.
 *
 * A ring of `capacity` slots guarded by one mutex, with two condition
 * variables: producers wait on `not_full`, consumers on `not_empty`.  A wait
 * with a timeout sleeps on the matching tl_bell instead (see tl_sync.h for
 * why).  Closing it wakes everybody: puts then fail at once, gets drain what
 * is left and then fail, so consumers know when to stop.
 *
 * Timeouts: timeout_ms < 0 waits for ever, 0 only tries, > 0 waits at most
 * that many milliseconds.  Returns 0, -ETIMEDOUT, or -EPIPE once closed.
 */
#ifndef TL_QUEUE_H
#define TL_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct tl_queue {
	pthread_mutex_t mu;
	pthread_cond_t not_full;  /* signalled when a slot frees up */
	pthread_cond_t not_empty; /* signalled when an item arrives */
	/* Readable exactly while a put (a get) would not wait: see sync_bells. */
	int room_bell, items_bell;
	bool room_rung, items_rung;
	void **items; /* ring of `capacity` slots */
	size_t capacity;
	size_t head; /* next slot to get from */
	size_t len;  /* items in the ring */
	bool closed;
} tl_queue;

/* 0, -EINVAL (capacity 0), -ENOMEM, or another negative errno. */
int tl_queue_init(tl_queue *q, size_t capacity);
/* No thread may be using the queue any more. */
void tl_queue_destroy(tl_queue *q);
int tl_queue_put(tl_queue *q, void *item, long timeout_ms);
int tl_queue_get(tl_queue *q, void **item, long timeout_ms);
/* Wakes every waiter; puts fail from now on, gets fail once it is empty. */
void tl_queue_close(tl_queue *q);
size_t tl_queue_len(tl_queue *q);

#endif
