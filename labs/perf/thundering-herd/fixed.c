/* perf/thundering-herd — fixed
 * One item, one wake-up: pthread_cond_signal wakes a single waiter.
 * The same producer, slot and 8 consumers, but each item is announced with
 * pthread_cond_signal: one consumer wakes and takes it, the others sleep on.
 * Every waiter waits for the same condition and any one of them can take
 * the item, so waking one is enough.  The end, which every consumer must
 * see, is still a broadcast.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 * bench: ratio >= 2 --iterations 20000
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "tl_clock.h"
#include "tl_lab.h"
#include "tl_log.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t item_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t slot_free = PTHREAD_COND_INITIALIZER;
static bool full, closed; /* the slot holds an item; no more items will come */
static long slot;

struct consumer {
	long index, taken, sum, wakeups;
};

static void *consumer(void *arg)
{
	struct consumer *c = arg;
	tl_thread_name("consumer-%ld", c->index);
	pthread_mutex_lock(&mu);
	for (;;) {
		while (!full && !closed) {
			pthread_cond_wait(&item_ready, &mu);
			c->wakeups++;
		}
		if (!full)
			break; /* closed and empty */
		c->sum += slot;
		c->taken++;
		full = false;
		pthread_cond_signal(&slot_free); /* only the producer waits there */
	}
	pthread_mutex_unlock(&mu);
	tl_log("took %ld items, woke %ld times", c->taken, c->wakeups);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 8, .iterations = 200, .seed = 1, .watchdog = true};
	tl_lab_init(argc, argv, "One item at a time, announced to one of 8 waiters by signal.", &o);
	pthread_t t[TL_MAX_THREADS];
	static struct consumer c[TL_MAX_THREADS];
	uint64_t t0 = tl_mono_ns();
	for (long i = 0; i < o.threads; i++) {
		c[i] = (struct consumer){.index = i};
		tl_lab_thread_create(&t[i], consumer, &c[i]);
	}
	for (long item = 1; item <= o.iterations; item++) {
		pthread_mutex_lock(&mu);
		while (full)
			pthread_cond_wait(&slot_free, &mu);
		slot = item;
		full = true;
		pthread_cond_signal(&item_ready); /* @wake-one */
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	closed = true;
	pthread_cond_broadcast(&item_ready); /* the end is news for every consumer */
	pthread_mutex_unlock(&mu);
	for (long i = 0; i < o.threads; i++)
		pthread_join(t[i], NULL);
	uint64_t elapsed = tl_mono_ns() - t0;
	tl_lab_outcome("ns", (long)elapsed);

	long taken = 0, sum = 0, wakeups = 0;
	for (long i = 0; i < o.threads; i++) {
		taken += c[i].taken;
		sum += c[i].sum;
		wakeups += c[i].wakeups;
	}
	if (taken != o.iterations || sum != o.iterations * (o.iterations + 1) / 2)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%ld items taken, sum %ld: items lost or doubled", taken, sum);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld items through %ld consumers in %.1f ms, none lost; %ld wake-ups",
	                     taken, o.threads, (double)elapsed / 1e6, wakeups);
}
