/* race/publication — fixed
 * Publish with a release store, read with an acquire load: who sees the flag sees the data.
 * The flag is a C11 atomic: the writer sets it with a release store, the reader reads it with an
 * acquire load, so whoever sees the flag sees the whole message.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "tl_annotate.h"
#include "tl_lab.h"
#include "tl_log.h"

struct message {
	long seq;
	long body[4];
	long sum;
};

static struct message msg;
static atomic_int ready; /* 1: msg holds a message for the reader; 0: it is free */

/* Each poll calls sched_yield(), which also makes the compiler load `ready`
 * again every time round: in a loop without calls, -O1 loads it once and
 * spins for ever (which is a bug of its own). */
static void wait_until_ready_is(int want)
{
	while (atomic_load_explicit(&ready, memory_order_acquire) != want)
		sched_yield();
	ANNOTATE_HAPPENS_AFTER(&ready); /* for Valgrind: see set_ready() */
}

/* Helgrind and DRD see a C11 release store and an acquire load as plain
 * accesses (on x86 both are a plain mov), so they would report the message
 * as racing.  These two annotations state the ordering the atomics give;
 * outside Valgrind they are a few no-op instructions. */
static void set_ready(int value)
{
	ANNOTATE_HAPPENS_BEFORE(&ready);
	atomic_store_explicit(&ready, value, memory_order_release);
}

static void *writer(void *arg)
{
	long n = *(long *)arg;
	tl_thread_name("writer");
	for (long seq = 1; seq <= n; seq++) {
		wait_until_ready_is(0);
		msg.seq = seq;
		msg.sum = seq;
		for (int i = 0; i < 4; i++) {
			msg.body[i] = seq * (i + 1);
			msg.sum += msg.body[i];
		}
		set_ready(1);
	}
	return NULL;
}

static long bad, first_bad_seq, first_bad_got;

static void *reader(void *arg)
{
	long n = *(long *)arg;
	tl_thread_name("reader");
	for (long seq = 1; seq <= n; seq++) {
		wait_until_ready_is(1);
		long sum = msg.seq;
		for (int i = 0; i < 4; i++)
			sum += msg.body[i];
		if (msg.seq != seq || sum != msg.sum) {
			if (bad++ == 0) {
				first_bad_seq = seq;
				first_bad_got = msg.seq;
			}
		}
		set_ready(0);
	}
	tl_log("read %ld messages", n);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 2000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2};
	tl_lab_init(argc, argv, "A release store and an acquire load publish the message safely.",
	            &o);
	/* The flag itself is only ever touched atomically. */
	ANNOTATE_BENIGN_RACE_SIZED(&ready, sizeof ready, "C11 atomic");
	pthread_t w, r;
	tl_lab_thread_create(&r, reader, &o.iterations);
	tl_lab_thread_create(&w, writer, &o.iterations);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	if (bad)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "%ld of %ld messages read half-written (first: expected #%ld, saw #%ld)", bad,
		    o.iterations, first_bad_seq, first_bad_got);
	return tl_lab_result(TL_EXIT_OK, "%ld messages, each read whole", o.iterations);
}
