/* race/volatile — broken
 * volatile is not a lock: a volatile flag's test and set are two steps, so two threads get in.
 * A `volatile int busy` flag used as a lock around counter++: spin while it is set, then set it.
 * volatile makes every access really happen, but not the test and the set one step: two threads get
 * in at once.
 * expect run:      wrong-result
 * expect tsan:     data-race @take @count
 * expect helgrind: data-race @take @count
 * expect drd:      data-race @take @count
 */
#include <pthread.h>
#include <stdatomic.h>

#include "tl_annotate.h"

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"
#include "tl_sync.h"

static volatile long counter;
static volatile int busy; /* "the lock": 1 while someone is counting */
static long adders;

/* The first increment of each thread is staged, so that the bad interleaving
 * happens on every run: between its test and its set, a thread waits until
 * the others have tested the flag too; between its load and its store of the
 * counter, until the others have loaded it too (each wait ends after 100 ms
 * at most). */
static tl_event tested[8], loaded[8];

static void volatile_lock(long self, bool staged)
{
	while (busy) /* @test */
		;
	if (staged)
		tl_stage_meet(tested, adders, self, 100);
	busy = 1; /* @take */
}

static void volatile_unlock(void)
{
	busy = 0;
}

/* The program's own check of the lock: how many threads are between lock
 * and unlock.  Only ever touched atomically; it orders nothing. */
static atomic_long inside;

/* Returns whether another thread was inside when this one got in. */
static __attribute__((noinline)) bool increment(long self, bool staged)
{
	volatile_lock(self, staged);
	bool crowded = atomic_fetch_add(&inside, 1) > 0;
	long value = counter; /* counter++ written out: load ... */
	if (staged)
		tl_stage_meet(loaded, adders, self, 100);
	counter = value + 1; /* ... add, store @count */
	atomic_fetch_sub(&inside, 1);
	volatile_unlock();
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
	tl_lab_init(argc, argv, "A volatile flag is not a lock: two threads get in at once.", &o);
	adders = o.threads;
	VALGRIND_HG_DISABLE_CHECKING(&inside, sizeof inside); /* the check, not the lesson */
	DRD_IGNORE_VAR(inside);
	pthread_t t[8];
	static struct adder a[8];
	for (long i = 0; i < o.threads; i++) {
		tl_event_init(&tested[i]);
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
