/* race/volatile — fixed
 * A real mutex does what the volatile flag was hoped to: one thread inside, no update lost.
 * A real mutex around counter++: one thread at a time is inside, and no update is lost.  (volatile
 * is gone: the mutex does what it was hoped for.)
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>
#include <stdatomic.h>

#include "tl_annotate.h"

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"
#include "tl_sync.h"

static long counter;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long adders;

/* The first increment of each thread is staged as in the broken program:
 * between its load and its store of the counter, a thread waits until the
 * others have loaded it too.  Here they are blocked on the mutex, so the wait
 * ends after 100 ms. */
static tl_event loaded[8];

/* The program's own check of the lock: how many threads are between lock
 * and unlock.  Only ever touched atomically; it orders nothing. */
static atomic_long inside;

/* Returns whether another thread was inside when this one got in. */
static __attribute__((noinline)) bool increment(long self, bool staged)
{
	pthread_mutex_lock(&counter_lock);
	bool crowded = atomic_fetch_add(&inside, 1) > 0;
	long value = counter; /* counter++ written out: load ... */
	if (staged)
		tl_stage_meet(loaded, adders, self, 100);
	counter = value + 1; /* ... add, store */
	atomic_fetch_sub(&inside, 1);
	pthread_mutex_unlock(&counter_lock);
	return crowded;
}

struct adder {
	long index, share, made, crowded;
};

static void *worker(void *arg)
{
	struct adder *a = arg;
	tl_thread_name("adder-%ld", a->index);
	for (; a->made < a->share; a->made++)
		a->crowded += increment(a->index, a->made == 0);
	tl_log("made %ld increments", a->made);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 10000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 8};
	tl_lab_init(argc, argv, "A mutex lets one thread in at a time; no update is lost.", &o);
	adders = o.threads;
	VALGRIND_HG_DISABLE_CHECKING(&inside, sizeof inside); /* the check, not the lesson */
	DRD_IGNORE_VAR(inside);
	pthread_t t[8];
	static struct adder a[8];
	for (long i = 0; i < o.threads; i++) {
		tl_event_init(&loaded[i]);
	}
	for (long i = 0; i < o.threads; i++) {
		a[i] = (struct adder){i, o.iterations, 0, 0};
		tl_lab_thread_create(&t[i], worker, &a[i]);
	}
	for (long i = 0; i < o.threads; i++)
		pthread_join(t[i], NULL);

	long want = o.threads * o.iterations, crowded = 0;
	for (long i = 0; i < o.threads; i++)
		crowded += a[i].crowded;
	if (crowded || counter != want)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%ld of %ld entries found another thread inside; counter = "
		                     "%ld, expected %ld (%ld lost)",
		                     crowded, want, counter, want, want - counter);
	return tl_lab_result(TL_EXIT_OK,
	                     "no entry found another thread inside; counter = %ld, as expected",
	                     counter);
}
