/* probes/stage-no-edge — probe
 * tl_stage orders nothing: a write and a read staged with it still race for every detector.
 * The race labs stage their bad interleaving with tl_stage, a relaxed atomic that
 * tl_stage_init hides from Helgrind and DRD, so that the detectors judge the lab's accesses as
 * if there were no staging.  Here the read waits for the write through tl_stage alone.
 * expect tsan:     data-race @read @write
 * note: re-read docs/DETECTORS.md (the labs' staging) if this fails.
 * expect helgrind: data-race @read
 * note: re-read docs/DETECTORS.md (the labs' staging) if this fails.
 * expect drd:      data-race @read
 * note: re-read docs/DETECTORS.md (the labs' staging) if this fails.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_stage.h"

static long shared;
static tl_stage written;

static void *writer(void *arg)
{
	(void)arg;
	shared = 42; /* @write */
	tl_stage_done(&written);
	return NULL;
}

static void *reader(void *arg)
{
	long *seen = arg;
	if (tl_stage_wait(&written, 1, 2000) == 0)
		*seen = shared; /* @read */
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "A read that waits for a write through tl_stage only.", &o);
	tl_stage_init(&written);
	long seen = -1;
	pthread_t w, r;
	tl_lab_thread_create(&w, writer, NULL);
	tl_lab_thread_create(&r, reader, &seen);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	if (seen != 42) {
		fprintf(stderr, "probe: the reader saw %ld, not 42\n", seen);
		abort(); /* a set-up that failed must not pass */
	}
	return tl_lab_result(TL_EXIT_OK, "the read came after the write, with no edge between");
}
