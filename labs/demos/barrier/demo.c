/* demos/barrier — computing in phases
 * A barrier ends a phase for all threads at once; its serial thread sums the phase up.
 * Workers each sum their slice of an array, phase after phase.  A barrier ends each phase; the one
 * thread that gets PTHREAD_BARRIER_SERIAL_THREAD adds the partial sums up and sets the next phase's
 * factor, and a second barrier holds the others until it has.  Main redoes it all on one thread and
 * compares.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_log.h"

#define PHASES      3
#define MAX_WORKERS 16

static pthread_barrier_t phase_end;
static long workers, slice;
static long *data;
static long long partial[MAX_WORKERS];
/* Written only by the serial thread between the two barriers of a phase,
 * read by everybody after the second: the barriers order it all. */
static long factor = 1;
static long long totals[PHASES];
static int summaries;

static long next_factor(long long total)
{
	return (long)(total / 1000 % 7) + 2;
}

static void *worker(void *arg)
{
	long id = (long)(intptr_t)arg;
	tl_thread_name("worker-%ld", id);
	for (int p = 0; p < PHASES; p++) {
		long long sum = 0;
		for (long j = id * slice; j < (id + 1) * slice; j++)
			sum += data[j] * factor;
		partial[id] = sum;
		tl_log("phase %d: partial sum %lld", p + 1, sum);
		/* Barrier 1: every partial is written. */
		if (pthread_barrier_wait(&phase_end) == PTHREAD_BARRIER_SERIAL_THREAD) {
			/* Exactly one thread gets here per phase, whichever
			 * arrived last; the others are already past barrier 1
			 * and wait at barrier 2. */
			long long total = 0;
			for (long i = 0; i < workers; i++)
				total += partial[i];
			totals[p] = total;
			summaries++;
			tl_log("phase %d summary: total %lld, next factor %ld", p + 1, total,
			       next_factor(total));
			factor = next_factor(total);
		}
		/* Barrier 2: the summary is done.  Without it a fast worker
		 * would start the next phase with the old factor and
		 * overwrite its partial before the summary had read it. */
		pthread_barrier_wait(&phase_end);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4,
	                        .iterations = 1000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = MAX_WORKERS};
	tl_lab_init(argc, argv,
	            "Workers compute in phases; the barrier's serial thread sums each one up.", &o);
	workers = o.threads;
	slice = o.iterations;
	data = malloc((size_t)(workers * slice) * sizeof *data);
	if (!data || pthread_barrier_init(&phase_end, NULL, (unsigned)workers) != 0)
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");
	for (long j = 0; j < workers * slice; j++)
		data[j] = j + 1;
	tl_log("%ld workers x %ld numbers, %d phases", workers, slice, PHASES);

	pthread_t t[MAX_WORKERS];
	for (long i = 0; i < workers; i++)
		tl_lab_thread_create(&t[i], worker, (void *)(intptr_t)i);
	for (long i = 0; i < workers; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&phase_end);

	/* The same computation on one thread. */
	long f = 1, wrong = 0;
	for (int p = 0; p < PHASES; p++) {
		long long total = 0;
		for (long j = 0; j < workers * slice; j++)
			total += data[j] * f;
		wrong += total != totals[p];
		f = next_factor(total);
	}
	free(data);
	tl_log("single-threaded check: %ld of %d phase totals differ; %d summaries", wrong, PHASES,
	       summaries);
	if (wrong || summaries != PHASES)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%ld phase totals wrong, %d summaries for %d phases", wrong,
		                     summaries, PHASES);
	return tl_lab_result(TL_EXIT_OK, "%d phases, each summed up once, totals match (last %lld)",
	                     PHASES, totals[PHASES - 1]);
}
