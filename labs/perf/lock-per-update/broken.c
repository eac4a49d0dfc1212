/* perf/lock-per-update — broken
 * A mutex taken for every item added to a shared total: the threads spend their time on the lock.
 * Two threads, each pinned to its own CPU, add N items each into one shared
 * total, locking a mutex around every single addition.  The total is always
 * right and every detector calls the program clean; but each addition costs
 * a lock and an unlock, the mutex's and the total's cache lines move between
 * the cores on every addition, and the threads add one at a time.  The
 * fixed program adds into a local sum and takes the lock once.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 * bench: ratio >= 100 --iterations 20000000
 */
#include <pthread.h>
#include <stdint.h>

#include "tl_clock.h"
#include "tl_lab.h"

#define NITEMS 4096 /* the items, read round and round: a power of two */

static long items[NITEMS];
static long total;
static pthread_mutex_t total_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static long iterations;
static uint64_t began[TL_MAX_THREADS], ended[TL_MAX_THREADS]; /* each adder's own clock */

static void *add(void *arg)
{
	long index = (long)(intptr_t)arg;
	tl_lab_pin_cpu(index);
	pthread_barrier_wait(&start);
	began[index] = tl_mono_ns();
	for (long k = 0; k < iterations; k++) {
		pthread_mutex_lock(&total_lock);
		total += items[k % NITEMS];
		pthread_mutex_unlock(&total_lock);
	}
	ended[index] = tl_mono_ns();
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 20000, .seed = 1};
	tl_lab_init(argc, argv, "A mutex taken for every item added to a shared total.", &o);
	iterations = o.iterations;
	unsigned long x = o.seed;
	for (long k = 0; k < NITEMS; k++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL; /* an LCG: any items do */
		items[k] = (long)(x >> 54);
	}
	long want = 0;
	for (long k = 0; k < iterations; k++)
		want += items[k % NITEMS];
	want *= o.threads;
	pthread_t t[TL_MAX_THREADS];
	pthread_barrier_init(&start, NULL, (unsigned)o.threads);
	for (long i = 0; i < o.threads; i++)
		tl_lab_thread_create(&t[i], add, (void *)(intptr_t)i);
	/* The time from the first adder's start to the last one's end, as the
	 * adders saw it: main may not even be on a CPU meanwhile. */
	uint64_t first = UINT64_MAX, last = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		first = began[i] < first ? began[i] : first;
		last = ended[i] > last ? ended[i] : last;
	}
	uint64_t ns = last - first;
	pthread_barrier_destroy(&start);
	tl_lab_outcome("ns", (long)ns);
	if (total != want)
		return tl_lab_result(TL_EXIT_WRONG, "total = %ld, expected %ld", total, want);
	return tl_lab_result(TL_EXIT_OK, "total = %ld, as expected, in %.1f ms", total,
	                     (double)ns / 1e6);
}
