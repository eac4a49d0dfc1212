/* perf/oversubscribed — fixed
 * As many threads as cores, each taking several chunks: a step waits for 2 threads, not 16.
 * The same ring, steps and 16 chunks, but only as many threads as the
 * process has CPUs; thread w computes chunks w, w + workers, ...  Each step
 * costs one wake-up per core instead of one per chunk, and no thread waits
 * in a run queue behind another of the same program.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 * bench: ratio >= 1.8 --iterations 2000
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tl_clock.h"
#include "tl_lab.h"
#include "tl_log.h"

#define CELLS_PER_CHUNK 256

static long chunks, steps, cells, workers;
static uint32_t *ring[2]; /* step s reads ring[s % 2] and writes the other */
static pthread_barrier_t step_done;

static void step_chunk(const uint32_t *in, uint32_t *out, long chunk)
{
	for (long i = chunk * CELLS_PER_CHUNK; i < (chunk + 1) * CELLS_PER_CHUNK; i++) {
		uint32_t left = in[(i + cells - 1) % cells], right = in[(i + 1) % cells];
		out[i] = (left ^ (in[i] * 2654435761u)) + right;
	}
}

static void *worker(void *arg)
{
	long w = (long)(intptr_t)arg;
	tl_thread_name("worker-%ld", w);
	for (long s = 0; s < steps; s++) {
		for (long c = w; c < chunks; c += workers)
			step_chunk(ring[s % 2], ring[(s + 1) % 2], c);
		pthread_barrier_wait(&step_done);
	}
	return NULL;
}

/* The CPUs this process may run on. */
static long cores(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 1;
	return CPU_COUNT(&set);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 16, .iterations = 40, .seed = 1, .watchdog = true};
	tl_lab_init(argc, argv,
	            "Barrier-stepped work on a thread per core, each taking several chunks.", &o);
	chunks = o.threads;
	steps = o.iterations;
	cells = chunks * CELLS_PER_CHUNK;
	workers = chunks < cores() ? chunks : cores(); /* @pool-per-core */
	uint32_t *start = malloc((size_t)cells * sizeof *start);
	ring[0] = malloc((size_t)cells * sizeof *ring[0]);
	ring[1] = malloc((size_t)cells * sizeof *ring[1]);
	if (!start || !ring[0] || !ring[1])
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");
	for (long i = 0; i < cells; i++)
		start[i] = (uint32_t)(i * 7919 + o.seed);
	memcpy(ring[0], start, (size_t)cells * sizeof *start);
	pthread_barrier_init(&step_done, NULL, (unsigned)workers);
	pthread_t t[TL_MAX_THREADS];
	uint64_t t0 = tl_mono_ns();
	for (long w = 0; w < workers; w++)
		tl_lab_thread_create(&t[w], worker, (void *)(intptr_t)w);
	for (long w = 0; w < workers; w++)
		pthread_join(t[w], NULL);
	uint64_t elapsed = tl_mono_ns() - t0;
	tl_lab_outcome("ns", (long)elapsed);
	pthread_barrier_destroy(&step_done);

	/* The same steps on one thread, into the other buffer and `start`. */
	uint32_t *mine[2] = {start, ring[steps % 2 ? 0 : 1]};
	for (long s = 0; s < steps; s++)
		for (long c = 0; c < chunks; c++)
			step_chunk(mine[s % 2], mine[(s + 1) % 2], c);
	bool same = !memcmp(mine[steps % 2], ring[steps % 2], (size_t)cells * sizeof *start);
	free(start);
	free(ring[0]);
	free(ring[1]);
	if (!same)
		return tl_lab_result(TL_EXIT_WRONG, "the ring differs from a one-thread run");
	return tl_lab_result(
	    TL_EXIT_OK, "%ld steps of %ld chunks on %ld thread%s in %.1f ms, ring correct", steps,
	    chunks, workers, workers == 1 ? "" : "s", (double)elapsed / 1e6);
}
