/* perf/thread-per-request — broken
 * A new thread for every tiny request: making and joining the thread costs far more than the work.
 * Each of --iterations requests is a few hundred nanoseconds of arithmetic,
 * handled on a thread made for it (pthread_create) and joined when its slot
 * is needed again, with at most --threads in flight.  Every request pays for
 * a clone, a stack, a scheduling and a join.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 * bench: ratio >= 4 --iterations 20000
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "tl_clock.h"
#include "tl_lab.h"
#include "tl_log.h"

#define STEPS 100 /* the request's own work: well under a microsecond */

struct request {
	long id;
	uint64_t answer;
};

static uint64_t reply(long id)
{
	uint64_t x = (uint64_t)id * 2654435761u + 1;
	for (int i = 0; i < STEPS; i++)
		x = x * 6364136223846793005u + 1442695040888963407u;
	return x;
}

static void *handle(void *arg)
{
	struct request *r = arg;
	r->answer = reply(r->id);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 200, .seed = 1, .watchdog = true};
	tl_lab_init(argc, argv, "A thread made and joined for every tiny request.", &o);
	long n = o.iterations;
	struct request *req = calloc((size_t)n, sizeof *req);
	if (!req)
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");
	for (long i = 0; i < n; i++)
		req[i].id = i;
	pthread_t t[TL_MAX_THREADS];
	uint64_t t0 = tl_mono_ns();
	for (long i = 0; i < n; i++) {
		pthread_t *slot = &t[i % o.threads];
		if (i >= o.threads)
			pthread_join(*slot, NULL);
		tl_lab_thread_create(slot, handle, &req[i]); /* @thread-per-request */
	}
	for (long i = n > o.threads ? n - o.threads : 0; i < n; i++)
		pthread_join(t[i % o.threads], NULL);
	uint64_t elapsed = tl_mono_ns() - t0;
	tl_lab_outcome("ns", (long)elapsed);

	long wrong = 0;
	for (long i = 0; i < n; i++)
		wrong += req[i].answer != reply(i);
	free(req);
	if (wrong)
		return tl_lab_result(TL_EXIT_WRONG, "%ld of %ld answers wrong", wrong, n);
	return tl_lab_result(TL_EXIT_OK, "%ld requests, a thread each, in %.1f ms, all answered", n,
	                     (double)elapsed / 1e6);
}
