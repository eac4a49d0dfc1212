/* demos/queue-timeout — waiting for an item, but not for ever
 * A wait with a timeout gives up at one deadline on the monotonic clock, then carries on.
 * A consumer takes items with a timeout; its producer comes late, twice. Each get that times out is
 * measured on the monotonic clock, counted and printed, and the consumer carries on; the items
 * still arrive in order.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_queue.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

#define BURSTS   2
#define PATIENCE 3 /* timed-out gets in a row before the consumer calls for work */

static tl_queue queue;
/* Set by the consumer when it has timed out PATIENCE times in a row: the
 * producer waits for it, so it comes late by construction, not by sleeping. */
static tl_event idle;
static long timeout_ms;
static long burst_items;

struct result {
	long received;
	long timeouts;
	long early; /* timed-out gets that returned before their timeout */
	long misordered;
};

static void *producer(void *arg)
{
	(void)arg;
	tl_thread_name("producer");
	long v = 1;
	for (int b = 0; b < BURSTS; b++) {
		tl_event_wait(&idle, -1);
		tl_event_clear(&idle);
		tl_log("arriving late with %ld items", burst_items);
		for (long i = 0; i < burst_items; i++, v++)
			tl_queue_put(&queue, (void *)(intptr_t)v, -1);
	}
	tl_log("done: closing the queue");
	tl_queue_close(&queue);
	return NULL;
}

static void *consumer(void *arg)
{
	struct result *r = arg;
	tl_thread_name("consumer");
	long streak = 0, expect = 1;
	for (;;) {
		void *item;
		double t0 = tl_log_elapsed_ms();
		int rc = tl_queue_get(&queue, &item, timeout_ms);
		double waited = tl_log_elapsed_ms() - t0;
		if (rc == -EPIPE)
			break;
		if (rc == -ETIMEDOUT) {
			r->timeouts++;
			r->early += waited < (double)timeout_ms;
			tl_log("nothing within %ld ms (waited %.1f ms): timeout #%ld", timeout_ms,
			       waited, r->timeouts);
			if (++streak == PATIENCE)
				tl_event_set(&idle);
			continue;
		}
		long v = (long)(intptr_t)item;
		tl_log("got item %ld after %.1f ms", v, waited);
		r->misordered += v != expect++;
		r->received++;
		streak = 0;
	}
	tl_log("queue closed: %ld items, %ld timed-out gets", r->received, r->timeouts);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 3,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2};
	tl_lab_init(argc, argv, "A get with a timeout on an empty queue; the producer comes late.",
	            &o);
	burst_items = o.iterations;
	/* 10 ms, stretched under TSan and Valgrind so the story stays the same. */
	timeout_ms = (long)(10 * tl_slowdown());
	if (tl_queue_init(&queue, 4) != 0 || tl_event_init(&idle) != 0)
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");

	tl_log("each get waits at most %ld ms; the producer comes after %d timeouts in a row",
	       timeout_ms, PATIENCE);
	struct result r = {0};
	pthread_t pt, ct;
	tl_lab_thread_create(&ct, consumer, &r);
	tl_lab_thread_create(&pt, producer, NULL);
	pthread_join(pt, NULL);
	pthread_join(ct, NULL);
	tl_queue_destroy(&queue);
	tl_event_destroy(&idle);

	long want = BURSTS * burst_items;
	if (r.received != want || r.misordered || r.early || r.timeouts < BURSTS * PATIENCE)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%ld/%ld items, %ld out of order, %ld timeouts (%ld early)",
		                     r.received, want, r.misordered, r.timeouts, r.early);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld gets timed out while the producer was late; %ld items in order",
	                     r.timeouts, r.received);
}
