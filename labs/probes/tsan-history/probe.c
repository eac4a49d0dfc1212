/* probes/tsan-history — probe
 * TSan drops a race when it cannot rebuild the earlier access's stack from its bounded history.
 * Thread w writes `shared` 1,000,000 times, through a call each time, and is done; then
 * thread r writes it once.  The two are ordered only by tl_stage (a relaxed atomic: no
 * happens-before), so it is a race on every run.  TSan sees it in its shadow memory, but a
 * report needs w's stack, rebuilt from the history of events TSan keeps, and here it cannot
 * rebuild it: it drops the race without a word.  Helgrind and DRD report it.  --seed K: only
 * every K-th call of w writes `shared`, the others write `scratch`.  What decides is the
 * number of writes, not their age: with K = 10 (100,000 writes, the first 999,990 calls
 * back) TSan reports with history_size=7 (tests/probe-tool-flags.sh).
 * expect tsan:     clean
 * note: re-read docs/DETECTORS.md (TSan's bounded history) and race/counter's lesson if this fails.
 * miss: TSan cannot rebuild w's stack from its history (history_size=7), so it drops the race.
 * expect helgrind: data-race @last
 * note: re-read docs/DETECTORS.md (TSan's bounded history) if this fails.
 * expect drd:      data-race @last
 * note: re-read docs/DETECTORS.md (TSan's bounded history) if this fails.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_stage.h"

static long shared;
static tl_stage written;

/* A call per write, as in race/counter: each write is its own access, with
 * a call and a return around it in the thread's history. */
static __attribute__((noinline)) void write_shared(long v)
{
	shared = v; /* @write */
}

/* --seed K: every K-th call writes `shared`, the others `scratch` (K = 1,
 * the default: every call writes `shared`). */
static long scratch;

static __attribute__((noinline)) void write_scratch(long v)
{
	scratch = v;
}

struct plan {
	long calls, every;
};

static void *writer(void *arg)
{
	const struct plan *p = arg;
	for (long i = 1; i <= p->calls; i++) {
		if (i % p->every == 0)
			write_shared(i);
		else
			write_scratch(i);
	}
	tl_stage_done(&written);
	return NULL;
}

static void *last_writer(void *arg)
{
	bool *waited = arg;
	*waited = tl_stage_wait(&written, 1, 60000) == 0;
	shared = -1; /* @last */
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1000000, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "A race whose earlier access is a million writes back.", &o);
	tl_stage_init(&written);
	bool waited = false;
	struct plan plan = {o.iterations, o.seed == 0 ? 1 : (long)o.seed};
	pthread_t w, r;
	tl_lab_thread_create(&w, writer, &plan);
	tl_lab_thread_create(&r, last_writer, &waited);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	if (!waited || shared != -1) {
		fprintf(stderr, "probe: the last write did not come after the others\n");
		abort(); /* a set-up that failed must not pass */
	}
	return tl_lab_result(
	    TL_EXIT_OK, "the last write came after %ld calls, with no edge between", o.iterations);
}
