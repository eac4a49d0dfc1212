/* perf/false-sharing-store — fixed
 * Each plain counter padded to a cache line of its own: each core keeps its line.
 * The same two threads and volatile counters, each counter aligned to 64
 * bytes (alignas), so that each lives alone in its cache line and stays in
 * its core's cache.  The result and the detectors' verdicts are those of the
 * broken program; only the time differs.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 * bench: ratio >= 4 --iterations 200000000
 */
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>

#include "tl_clock.h"
#include "tl_lab.h"

struct slot {
	alignas(64) volatile long n; /* padded: one slot per 64-byte cache line */
};

static struct slot slots[TL_MAX_THREADS];
static pthread_barrier_t start;
static long iterations;
static uint64_t began[TL_MAX_THREADS], ended[TL_MAX_THREADS]; /* each counter's own clock */

static void *count(void *arg)
{
	long index = (long)(intptr_t)arg;
	tl_lab_pin_cpu(index);
	pthread_barrier_wait(&start);
	began[index] = tl_mono_ns();
	for (long k = 0; k < iterations; k++)
		slots[index].n++; /* volatile: one load and one store per step */
	ended[index] = tl_mono_ns();
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 20000, .seed = 1};
	tl_lab_init(argc, argv, "Per-thread plain counters, each in its own cache line.", &o);
	iterations = o.iterations;
	pthread_t t[TL_MAX_THREADS];
	pthread_barrier_init(&start, NULL, (unsigned)o.threads);
	for (long i = 0; i < o.threads; i++)
		tl_lab_thread_create(&t[i], count, (void *)(intptr_t)i);
	/* The time from the first counter's start to the last one's end, as
	 * the counters saw it: main may not even be on a CPU meanwhile. */
	uint64_t first = UINT64_MAX, last = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		first = began[i] < first ? began[i] : first;
		last = ended[i] > last ? ended[i] : last;
	}
	uint64_t ns = last - first;
	pthread_barrier_destroy(&start);
	tl_lab_outcome("ns", (long)ns);
	for (long i = 0; i < o.threads; i++)
		if (slots[i].n != iterations)
			return tl_lab_result(TL_EXIT_WRONG, "counter %ld = %ld, expected %ld", i,
			                     slots[i].n, iterations);
	return tl_lab_result(TL_EXIT_OK, "%ld counters of %ld each, as expected, in %.1f ms",
	                     o.threads, iterations, (double)ns / 1e6);
}
