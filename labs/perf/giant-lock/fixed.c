/* perf/giant-lock — fixed
 * Hold the lock only to take a job and to add its result: the work itself runs in parallel.
 * The same jobs and the same shared total, but the mutex is taken twice per
 * job, briefly: once to take the job, once to add its result.  The
 * computation runs outside it, so two threads compute at the same time and
 * two cores finish the work in about half the time.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 * bench: speedup broken <= 1.1 fixed >= 1.8 --iterations 2000
 */
#include <pthread.h>
#include <stdint.h>

#include "tl_clock.h"
#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

#define STEPS 100000 /* about 0.15 ms of arithmetic per job, natively */

static pthread_mutex_t giant = PTHREAD_MUTEX_INITIALIZER;
static long next_job, jobs;
static uint64_t total;

/* CPU-bound work whose result depends on every step: nothing to fold away. */
static __attribute__((noinline)) uint64_t work(uint64_t job)
{
	uint64_t x = job * 2654435761u + 1;
	for (int i = 0; i < STEPS; i++)
		x = x * 6364136223846793005u + 1442695040888963407u;
	return x;
}

static void *worker(void *arg)
{
	long index = (long)(intptr_t)arg, done = 0;
	tl_thread_name("worker-%ld", index);
	for (;;) {
		pthread_mutex_lock(&giant);
		if (next_job == jobs) {
			pthread_mutex_unlock(&giant);
			break;
		}
		long job = next_job++;
		pthread_mutex_unlock(&giant);
		uint64_t result = work((uint64_t)job); /* @work-outside-lock */
		pthread_mutex_lock(&giant);
		total += result;
		pthread_mutex_unlock(&giant);
		done++;
		tl_progress(); /* what threadstat doctor reads to tell busy from livelock */
	}
	tl_log("did %ld jobs", done);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 20, .seed = 1, .watchdog = true};
	tl_lab_init(argc, argv, "CPU-bound jobs computed outside the lock that guards their total.",
	            &o);
	pthread_t t[TL_MAX_THREADS];
	jobs = o.iterations;
	uint64_t t0 = tl_mono_ns();
	for (long i = 0; i < o.threads; i++)
		tl_lab_thread_create(&t[i], worker, (void *)(intptr_t)i);
	for (long i = 0; i < o.threads; i++)
		pthread_join(t[i], NULL);
	uint64_t elapsed = tl_mono_ns() - t0;
	tl_lab_outcome("ns", (long)elapsed);

	uint64_t want = 0;
	for (long j = 0; j < jobs; j++)
		want += work((uint64_t)j);
	if (total != want)
		return tl_lab_result(TL_EXIT_WRONG, "total %#llx, expected %#llx",
		                     (unsigned long long)total, (unsigned long long)want);
	return tl_lab_result(TL_EXIT_OK, "%ld jobs on %ld thread%s in %.1f ms, total correct", jobs,
	                     o.threads, o.threads == 1 ? "" : "s", (double)elapsed / 1e6);
}
