/* demos/condition — producer/consumer on condition variables
 * Condition variables: wait in a while loop, signal one waiter per item, broadcast to all.
 * One producer hands 60 items to three consumers through a 4-slot queue. Each new item wakes one
 * consumer with pthread_cond_signal; closing the queue is a change every consumer must see, so it
 * wakes them all with pthread_cond_broadcast.  Every wait sits in a while loop that re-checks its
 * predicate; the wake-ups are counted and printed.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#include "tl_lab.h"
#include "tl_log.h"

#define CAPACITY      4
#define MAX_CONSUMERS 15

/* One mutex guards the whole queue state; three condition variables name
 * the three things a thread may wait for. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER; /* an item, or closing */
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;  /* a free slot */
static pthread_cond_t all_idle = PTHREAD_COND_INITIALIZER;  /* every consumer waiting */
static long queue[CAPACITY];
static int head, count;
static bool closing;
static int waiting; /* consumers inside pthread_cond_wait(&not_empty) */
static long consumers;

struct consumer {
	int id;
	long items, sum;
	long wakeups;       /* returns from pthread_cond_wait */
	long empty_wakeups; /* ... that found nothing to do (another took the item) */
	bool saw_close;
};

static void *consumer(void *arg)
{
	struct consumer *c = arg;
	tl_thread_name("consumer-%d", c->id);
	pthread_mutex_lock(&lock);
	for (;;) {
		/* The predicate loop: wait while there is nothing to do, and
		 * check again after every wake-up — the item may be gone. */
		while (count == 0 && !closing) {
			if (++waiting == consumers)
				pthread_cond_signal(&all_idle);
			pthread_cond_wait(&not_empty, &lock);
			waiting--;
			c->wakeups++;
			if (count == 0 && !closing)
				c->empty_wakeups++;
		}
		if (count == 0) { /* closing, and nothing left */
			c->saw_close = true;
			break;
		}
		long item = queue[head];
		head = (head + 1) % CAPACITY;
		count--;
		pthread_cond_signal(&not_full); /* one slot: one producer */
		pthread_mutex_unlock(&lock);
		c->items++; /* "process" the item outside the lock, */
		c->sum += item;
		sched_yield(); /* taking a while, so the others get items too */
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	tl_log("took %ld items, woken %ld times (%ld found the queue empty), saw \"closing\"",
	       c->items, c->wakeups, c->empty_wakeups);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 3,
	                        .iterations = 60,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = MAX_CONSUMERS};
	tl_lab_init(argc, argv,
	            "cond_signal hands each item to one consumer; cond_broadcast tells all of them "
	            "the queue closed.",
	            &o);
	tl_thread_name("producer");
	consumers = o.threads;
	long items = o.iterations;
	tl_log("%ld items for %ld consumers through a %d-slot queue", items, consumers, CAPACITY);

	struct consumer cs[MAX_CONSUMERS];
	pthread_t t[MAX_CONSUMERS];
	for (long i = 0; i < consumers; i++) {
		cs[i] = (struct consumer){.id = (int)i};
		tl_lab_thread_create(&t[i], consumer, &cs[i]);
	}

	long produced_sum = 0, full_waits = 0, signals = 0;
	pthread_mutex_lock(&lock);
	for (long n = 1; n <= items; n++) {
		while (count == CAPACITY) {
			full_waits++;
			pthread_cond_wait(&not_full, &lock);
		}
		queue[(head + count) % CAPACITY] = n;
		count++;
		produced_sum += n;
		/* One item: one consumer needs to know.  signal, not broadcast,
		 * or every waiting consumer wakes to fight over it. */
		pthread_cond_signal(&not_empty);
		signals++;
	}
	/* Let the queue drain and every consumer go back to waiting, so the
	 * broadcast below really has all of them to wake. */
	while (count > 0 || waiting < consumers)
		pthread_cond_wait(&all_idle, &lock);
	tl_log("produced %ld items (%ld signals, queue full %ld times); all %d consumers waiting",
	       items, signals, full_waits, waiting);
	/* Closing concerns every consumer: broadcast.  A signal here would
	 * wake one, and the others would wait for ever. */
	closing = true;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&lock);
	tl_log("closing: one pthread_cond_broadcast for %ld waiters", consumers);

	long got = 0, sum = 0, wakeups = 0, empty = 0, closed = 0;
	for (long i = 0; i < consumers; i++) {
		pthread_join(t[i], NULL);
		got += cs[i].items;
		sum += cs[i].sum;
		wakeups += cs[i].wakeups;
		empty += cs[i].empty_wakeups;
		closed += cs[i].saw_close;
	}
	/* Every consumer was waiting at the broadcast, so its last wake-up
	 * came from it; the others came from the per-item signals. */
	tl_log("consumed %ld items (sum %ld of %ld); wake-ups: %ld from %ld signals (%ld found "
	       "nothing), %ld from 1 broadcast; %ld of %ld consumers saw \"closing\"",
	       got, sum, produced_sum, wakeups - closed, signals, empty, closed, closed, consumers);
	if (got != items || sum != produced_sum || closed != consumers)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "lost items or consumers: %ld of %ld, %ld closed", got, items,
		                     closed);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld items consumed once each, %ld wake-ups, all %ld consumers closed",
	                     got, wakeups, consumers);
}
