/* deadlock/if-not-while — broken
 * Wait on a condition in a while loop: with if, a woken consumer takes from an empty queue.
 * Consumers wait on a condition variable while a queue is empty, with `if` instead of `while`.  The
 * producer puts one item and broadcasts: every consumer wakes, the first takes the item, the others
 * do not look again and take from an empty queue.  (Filed under deadlock: it is about condition
 * waits.)
 * expect run:      wrong-result
 * expect tsan:     clean
 * miss: every access is under the mutex and every wait is a correct call: there is no race or lock
 *       misuse to report.
 * expect helgrind: clean
 * miss: Helgrind checks that the mutex is held around waits and signals, not what the program tests
 *       after waking.
 * expect drd:      clean
 * miss: DRD checks how condition variables are used, not the predicate around the wait.
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

#define QUEUE_SIZE 16

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static long ring[QUEUE_SIZE]; /* under mu, like everything below */
static long head, count;
static bool closed;      /* no more items will come */
static long empty_takes; /* the queue's own check failed */

static void put(long item)
{
	ring[(head + count) % QUEUE_SIZE] = item;
	count++;
}

static long take(void)
{
	if (count == 0) { /* nothing there: a real queue would return garbage */
		empty_takes++;
		return 0;
	}
	long item = ring[head];
	head = (head + 1) % QUEUE_SIZE;
	count--;
	return item;
}

/* The first item is staged: the producer puts it only when every consumer
 * is inside pthread_cond_wait, and puts the next one only when all of them
 * have woken up.  So its broadcast wakes them all for one item, every run. */
static long consumers, waiting, woken; /* under mu */
static tl_event all_waiting, all_woken;

static void stage_before_wait(void)
{
	if (++waiting == consumers)
		tl_event_set(&all_waiting);
}

static void stage_after_wait(void)
{
	waiting--;
	if (++woken == consumers)
		tl_event_set(&all_woken);
}

struct consumer {
	long index, taken, sum;
};

static void *consumer(void *arg)
{
	struct consumer *c = arg;
	tl_thread_name("consumer-%ld", c->index);
	tl_watchdog_register();
	pthread_mutex_lock(&mu);
	for (;;) {
		if (count == 0 && !closed) { /* @if-empty */
			stage_before_wait();
			pthread_cond_wait(&not_empty, &mu);
			stage_after_wait();
		}
		if (count == 0 && closed)
			break;
		c->sum += take();
		c->taken++;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&mu);
		tl_progress();
		pthread_mutex_lock(&mu);
	}
	pthread_mutex_unlock(&mu);
	tl_log("took %ld items", c->taken);
	return NULL;
}

static void *producer(void *arg)
{
	long items = *(long *)arg;
	long stage_ms = (long)(2000 * tl_slowdown());
	tl_thread_name("producer");
	tl_watchdog_register();
	for (long i = 1; i <= items; i++) {
		if (i == 1)
			tl_event_wait(&all_waiting, stage_ms);
		pthread_mutex_lock(&mu);
		while (count == QUEUE_SIZE)
			pthread_cond_wait(&not_full, &mu);
		put(i);
		/* Wake every consumer: one of them will take it (and a broadcast
		 * is needed anyway to tell them all when the queue closes). */
		pthread_cond_broadcast(&not_empty);
		pthread_mutex_unlock(&mu);
		if (i == 1)
			tl_event_wait(&all_woken, stage_ms);
		tl_progress();
	}
	pthread_mutex_lock(&mu);
	closed = true;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&mu);
	tl_log("put %ld items", items);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 2000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 16};
	tl_lab_init(argc, argv,
	            "`if` around a condition wait lets a woken consumer take from an empty queue.",
	            &o);
	consumers = o.threads;
	tl_event_init(&all_waiting);
	tl_event_init(&all_woken);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	pthread_t p, t[16];
	struct consumer c[16];
	for (long i = 0; i < o.threads; i++) {
		c[i] = (struct consumer){i + 1, 0, 0};
		tl_lab_thread_create(&t[i], consumer, &c[i]);
	}
	tl_lab_thread_create(&p, producer, &o.iterations);
	pthread_join(p, NULL);
	long taken = 0, sum = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		taken += c[i].taken;
		sum += c[i].sum;
	}
	tl_watchdog_stop();

	long want = o.iterations * (o.iterations + 1) / 2;
	if (empty_takes > 0 || taken != o.iterations || sum != want)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "consumers took %ld items, %ld were put: %ld taken from an empty queue", taken,
		    o.iterations, empty_takes);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld consumers took %ld items, sum %ld, none from an empty queue",
	                     o.threads, taken, sum);
}
