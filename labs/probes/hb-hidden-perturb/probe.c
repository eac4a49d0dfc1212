/* probes/hb-hidden-perturb — probe
 * A hidden race that schedule perturbation shows: delay the writer at its lock and TSan reports.
 * Thread w writes `shared` with no lock, then takes and drops a mutex that has nothing to do
 * with it; thread r waits at most 50 ms x slowdown for w to be done with the mutex (a relaxed
 * step counter: no happens-before), takes and drops the mutex, then reads `shared`.  Left
 * alone, w is done long before the wait ends, the hand-off orders the two accesses and TSan
 * is silent.  Under threadlab's perturbation shim, a seed that delays w at its lock (and not
 * r) lets r time out and take the mutex first: the accesses are unordered and TSan reports,
 * with every run of that seed (tests/perturb.sh).
 * expect tsan:     clean
 * note: re-read labs/probes/hb-hidden-perturb/README.md if this fails.
 * miss: the mutex hand-off orders the two accesses in this run.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "tl_lab.h"
#include "tl_stage.h"

static long shared;
static pthread_mutex_t unrelated = PTHREAD_MUTEX_INITIALIZER;
static tl_stage unlocked; /* orders nothing itself: only the mutex does */

static void *writer(void *arg)
{
	shared = (long)(intptr_t)arg; /* @write */
	pthread_mutex_lock(&unrelated);
	pthread_mutex_unlock(&unrelated);
	tl_stage_done(&unlocked);
	return NULL;
}

static void *reader(void *arg)
{
	long *seen = arg;
	/* The program's natural order: w is nearly always done by now.  The
	 * wait has an end, as a real program's would, so a w that is late
	 * does not hold r back. */
	(void)tl_stage_wait(&unlocked, 1, 50);
	pthread_mutex_lock(&unrelated);
	pthread_mutex_unlock(&unrelated);
	*seen = shared; /* @read */
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "An unlocked write and read, ordered by a mutex only by timing.",
	            &o);
	tl_stage_init(&unlocked);
	long seen = -1;
	pthread_t w, r;
	tl_lab_thread_create(&w, writer, (void *)(intptr_t)42);
	tl_lab_thread_create(&r, reader, &seen);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	printf("the reader saw %ld\n", seen);
	return tl_lab_result(TL_EXIT_OK, "the reader read after its wait");
}
