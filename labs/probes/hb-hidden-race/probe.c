/* probes/hb-hidden-race — probe
 * A race hidden behind an unrelated lock's happens-before goes unseen: the detectors use HB.
 * Thread w writes `shared` with no lock, then takes and drops a mutex that has nothing to do
 * with it; thread r takes and drops the same mutex, then reads `shared`.  In this run the
 * unlock came before the lock, so the write happens before the read and TSan, Helgrind and DRD
 * are silent.  Were r first to the mutex, the two accesses would be unordered.  A lockset
 * detector (Eraser, Helgrind before 3.4) would report: no lock is held at either access.
 * expect tsan:     clean
 * note: re-read docs/DETECTORS.md (happens-before, not locksets) if this fails.
 * miss: the mutex hand-off orders the two accesses in this run.
 * expect helgrind: clean
 * note: re-read docs/DETECTORS.md (happens-before, not locksets) if this fails.
 * miss: the mutex hand-off orders the two accesses in this run.
 * expect drd:      clean
 * note: re-read docs/DETECTORS.md (happens-before, not locksets) if this fails.
 * miss: the mutex hand-off orders the two accesses in this run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_stage.h"

static long shared;
static pthread_mutex_t unrelated = PTHREAD_MUTEX_INITIALIZER;
static tl_stage unlocked; /* orders nothing itself: only the mutex does */

static void *writer(void *arg)
{
	(void)arg;
	shared = 42; /* no lock held */
	pthread_mutex_lock(&unrelated);
	pthread_mutex_unlock(&unrelated);
	tl_stage_done(&unlocked);
	return NULL;
}

static void *reader(void *arg)
{
	long *seen = arg;
	if (tl_stage_wait(&unlocked, 1, 2000) != 0)
		return NULL;
	pthread_mutex_lock(&unrelated);
	pthread_mutex_unlock(&unrelated);
	*seen = shared; /* no lock held either */
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "An unlocked write and read, ordered by an unrelated mutex.", &o);
	tl_stage_init(&unlocked);
	long seen = -1;
	pthread_t w, r;
	tl_lab_thread_create(&w, writer, NULL);
	tl_lab_thread_create(&r, reader, &seen);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	if (seen != 42) {
		fprintf(stderr, "probe: the reader saw %ld, not 42\n", seen);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK,
	                     "the read came after the write, through an unrelated mutex");
}
