/* probes/event-edge — probe
 * tl_event orders: a read that waits for a write through a tl_event does not race.
 * tl_event is a mutex and a condition variable, so setting it happens before a wait that sees
 * it set, for TSan, Helgrind and DRD alike.  Labs stage with it where that edge is harmless
 * (deadlock and leak labs, race/balance's checks); race labs use tl_stage (probes/stage-no-edge).
 * expect tsan:     clean
 * note: re-read docs/DETECTORS.md (the labs' staging) if this fails.
 * expect helgrind: clean
 * note: re-read docs/DETECTORS.md (the labs' staging) if this fails.
 * expect drd:      clean
 * note: re-read docs/DETECTORS.md (the labs' staging) if this fails.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_sync.h"

static long shared;
static tl_event written;

static void *writer(void *arg)
{
	(void)arg;
	shared = 42;
	tl_event_set(&written);
	return NULL;
}

static void *reader(void *arg)
{
	long *seen = arg;
	if (tl_event_wait(&written, -1) == 0)
		*seen = shared;
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "A read that waits for a write through a tl_event.", &o);
	tl_event_init(&written);
	long seen = -1;
	pthread_t w, r;
	tl_lab_thread_create(&w, writer, NULL);
	tl_lab_thread_create(&r, reader, &seen);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	tl_event_destroy(&written);
	if (seen != 42) {
		fprintf(stderr, "probe: the reader saw %ld, not 42\n", seen);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK, "the read came after the write, through a tl_event");
}
