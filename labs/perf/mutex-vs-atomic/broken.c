/* perf/mutex-vs-atomic — broken
 * One shared counter, a mutex around each increment: a lock, an unlock, at times a sleep.
 * Two threads, each pinned to its own CPU, increment one shared counter N
 * times each, with a mutex around each increment (race/counter's fix).  The
 * count is exact and every detector calls it clean, but the lock costs two
 * atomic operations per increment on a cache line of its own, besides the
 * counter's, and a thread that finds it taken asks the kernel to put it to
 * sleep (futex) until the unlock wakes it.  The fixed program makes the
 * increment one atomic add.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 * bench: ratio >= 2.5 --iterations 5000000
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tl_clock.h"
#include "tl_lab.h"

static long counter;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static long iterations;
static uint64_t began[TL_MAX_THREADS], ended[TL_MAX_THREADS]; /* each thread's own clock */

static void *increment(void *arg)
{
	long index = (long)(intptr_t)arg;
	tl_lab_pin_cpu(index);
	pthread_barrier_wait(&start);
	began[index] = tl_mono_ns();
	for (long k = 0; k < iterations; k++) {
		pthread_mutex_lock(&counter_lock);
		counter++;
		pthread_mutex_unlock(&counter_lock);
	}
	ended[index] = tl_mono_ns();
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 20000, .seed = 1};
	tl_lab_init(argc, argv, "One shared counter, a mutex around each increment.", &o);
	iterations = o.iterations;
	pthread_t t[TL_MAX_THREADS];
	pthread_barrier_init(&start, NULL, (unsigned)o.threads);
	for (long i = 0; i < o.threads; i++)
		tl_lab_thread_create(&t[i], increment, (void *)(intptr_t)i);
	/* The time from the first thread's start to the last one's end, as the
	 * threads saw it: main may not even be on a CPU meanwhile. */
	uint64_t first = UINT64_MAX, last = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		first = began[i] < first ? began[i] : first;
		last = ended[i] > last ? ended[i] : last;
	}
	uint64_t ns = last - first;
	pthread_barrier_destroy(&start);
	tl_lab_outcome("ns", (long)ns);
	long want = o.threads * iterations;
	if (counter != want)
		return tl_lab_result(TL_EXIT_WRONG, "counter = %ld, expected %ld", (long)counter,
		                     want);
	return tl_lab_result(TL_EXIT_OK, "counter = %ld, as expected, in %.1f ms", (long)counter,
	                     (double)ns / 1e6);
}
