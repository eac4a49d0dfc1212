/* demos/queue — producers and consumers over a bounded queue
 * A bounded queue hands items from producers to consumers; closing it tells consumers to stop.
 * Several producers put numbered items into a small tl_queue while as many consumers take them out;
 * when the producers are done the queue is closed, the consumers drain it and stop.  Every item is
 * then checked off: none lost, none delivered twice.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_queue.h"

/* Small on purpose: producers often find it full and consumers empty, so
 * both kinds of waiting really happen. */
#define CAPACITY 8

static tl_queue queue;
static long per_producer;
/* seen[v - 1] counts the deliveries of item v.  Each consumer writes only
 * the items it got, and main reads them after joining everybody, so no
 * lock is needed — unless an item were delivered twice, which is what the
 * check below is for. */
static unsigned char *seen;

struct consumer {
	int id;
	long count;
	unsigned long long sum;
};

static void *producer(void *arg)
{
	long id = (long)(intptr_t)arg;
	tl_thread_name("producer-%ld", id);
	/* Items are 1..producers*per_producer, as pointers (never NULL). */
	long first = id * per_producer + 1;
	for (long v = first; v < first + per_producer; v++)
		if (tl_queue_put(&queue, (void *)(intptr_t)v, -1) != 0) {
			tl_log("put failed: queue closed too early");
			return NULL;
		}
	tl_log("put items %ld..%ld", first, first + per_producer - 1);
	return NULL;
}

static void *consumer(void *arg)
{
	struct consumer *c = arg;
	tl_thread_name("consumer-%d", c->id);
	void *item;
	int rc;
	/* Blocks while the queue is empty; -EPIPE means closed and drained. */
	while ((rc = tl_queue_get(&queue, &item, -1)) == 0) {
		long v = (long)(intptr_t)item;
		seen[v - 1]++;
		c->count++;
		c->sum += (unsigned long long)v;
	}
	tl_log("queue closed and drained (%s): got %ld items, sum %llu",
	       rc == -EPIPE ? "EPIPE" : "?", c->count, c->sum);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 3,
	                        .iterations = 2000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = 16};
	tl_lab_init(argc, argv,
	            "N producers and N consumers share a bounded queue; nothing is lost.", &o);
	long n = o.threads;
	per_producer = o.iterations;
	long total = n * per_producer;
	seen = calloc((size_t)total, 1);
	if (!seen || tl_queue_init(&queue, CAPACITY) != 0)
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");

	tl_log("%ld producers x %ld items, %ld consumers, queue capacity %d", n, per_producer, n,
	       CAPACITY);
	struct consumer cons[16];
	pthread_t pt[16], ct[16];
	for (long i = 0; i < n; i++) {
		cons[i] = (struct consumer){.id = (int)i};
		tl_lab_thread_create(&ct[i], consumer, &cons[i]);
	}
	for (long i = 0; i < n; i++)
		tl_lab_thread_create(&pt[i], producer, (void *)(intptr_t)i);
	for (long i = 0; i < n; i++)
		pthread_join(pt[i], NULL);
	/* Only now: closing earlier would make late puts fail.  Consumers
	 * still get everything already in the queue before they see EPIPE. */
	tl_log("all producers done, %zu items still queued: closing", tl_queue_len(&queue));
	tl_queue_close(&queue);
	long count = 0;
	unsigned long long sum = 0;
	for (long i = 0; i < n; i++) {
		pthread_join(ct[i], NULL);
		count += cons[i].count;
		sum += cons[i].sum;
	}
	tl_queue_destroy(&queue);

	long missing = 0, twice = 0;
	for (long v = 0; v < total; v++) {
		missing += seen[v] == 0;
		twice += seen[v] > 1;
	}
	free(seen);
	unsigned long long want = (unsigned long long)total * (unsigned long long)(total + 1) / 2;
	tl_log("checksum: %ld items, sum %llu (expected %ld, %llu)", count, sum, total, want);
	if (count != total || sum != want || missing || twice)
		return tl_lab_result(TL_EXIT_WRONG, "%ld items missing, %ld delivered twice",
		                     missing, twice);
	return tl_lab_result(TL_EXIT_OK, "%ld items, each delivered exactly once", total);
}
