/* probes/tsan-history — probe
 * TSan misses a race when the earlier access lies far back in its thread's history.
 * Thread w writes `shared` 1,000,000 times, through a call each time, and is done; then
 * thread r writes it once.  The two are ordered only by tl_stage (a relaxed atomic: no
 * happens-before), so it is a race on every run.  TSan finds the earlier write in its shadow
 * memory, but to report it must restore w's stack from the bounded history it keeps of each
 * thread; w's write is too far back in it, and TSan drops the race without a word.  With one
 * write instead of 1,000,000 it reports (probes/stage-no-edge).  Helgrind and DRD keep the
 * last access to each address and report it.
 * expect tsan:     clean
 * note: re-read docs/DETECTORS.md (TSan's bounded history) and race/counter's lesson if this fails.
 * miss: the earlier write is past the history TSan keeps of its thread (history_size=7).
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

static void *writer(void *arg)
{
	long n = *(long *)arg;
	for (long i = 1; i <= n; i++)
		write_shared(i);
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
	pthread_t w, r;
	tl_lab_thread_create(&w, writer, &o.iterations);
	tl_lab_thread_create(&r, last_writer, &waited);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	if (!waited || shared != -1) {
		fprintf(stderr, "probe: the last write did not come after the others\n");
		abort(); /* a set-up that failed must not pass */
	}
	return tl_lab_result(
	    TL_EXIT_OK, "the last write came after %ld writes, with no edge between", o.iterations);
}
