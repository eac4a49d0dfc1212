/* perf/thread-per-request — fixed
 * Reuse threads: a pool of --threads workers takes the requests from a queue.
 * The same requests, submitted to a tl_pool of --threads workers made once.
 * A request costs a queue entry and a future; a worker that finds more
 * requests waiting runs them one after another without a system call.
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
#include "tl_pool.h"

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
	tl_lab_init(argc, argv, "Tiny requests handed to a pool of reused workers.", &o);
	long n = o.iterations;
	struct request *req = calloc((size_t)n, sizeof *req);
	if (!req)
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");
	for (long i = 0; i < n; i++)
		req[i].id = i;
	tl_future **f = calloc((size_t)n, sizeof *f);
	if (!f)
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");
	uint64_t t0 = tl_mono_ns();
	tl_pool *pool = tl_pool_create((int)o.threads);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create failed");
	for (long i = 0; i < n; i++)
		if (!(f[i] = tl_pool_submit(pool, handle, &req[i]))) /* @submit */
			return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit failed");
	for (long i = 0; i < n; i++) {
		tl_future_result(f[i]); /* handle returns NULL: only the wait matters */
		tl_future_free(f[i]);
	}
	tl_pool_free(pool);
	uint64_t elapsed = tl_mono_ns() - t0;
	tl_lab_outcome("ns", (long)elapsed);

	long wrong = 0;
	for (long i = 0; i < n; i++)
		wrong += req[i].answer != reply(i);
	free(req);
	free(f);
	if (wrong)
		return tl_lab_result(TL_EXIT_WRONG, "%ld of %ld answers wrong", wrong, n);
	return tl_lab_result(TL_EXIT_OK, "%ld requests on a pool of %ld in %.1f ms, all answered",
	                     n, o.threads, (double)elapsed / 1e6);
}
