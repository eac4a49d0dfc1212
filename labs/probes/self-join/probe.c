/* probes/self-join — probe
 * glibc refuses a thread's join of itself with EDEADLK, and only Helgrind reports the failed call.
 * A thread calls pthread_join on itself: glibc returns EDEADLK at once instead of hanging.
 * Helgrind reports every pthread function that returns an error ("call to pthread_join failed
 * with error code 35"); TSan and DRD say nothing.  A cycle of two or more joins does hang, and
 * no detector reports it (deadlock/join-self).
 * expect run:      clean
 * note: re-read labs/deadlock/join-self/README.md if this fails.
 * expect tsan:     clean
 * miss: TSan does not check the error codes pthread calls return.
 * note: re-read labs/deadlock/join-self/README.md if this fails.
 * expect helgrind: double-lock @self-join
 * note: re-read labs/deadlock/join-self/README.md if this fails.
 * note: the harness files every call failing with EDEADLK under double-lock; the report says
 *       "call to pthread_join failed with error code 35 (EDEADLK ...)".
 * expect drd:      clean
 * miss: DRD does not report a pthread_join that fails with EDEADLK.
 * note: re-read labs/deadlock/join-self/README.md if this fails.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_sync.h"

static tl_event created; /* the handle is filled in: TSan registers it after pthread_create */
static tl_event tried;   /* the self-join has returned */
static tl_event never;

static void *joiner(void *arg)
{
	int *err = arg;
	tl_event_wait(&created, -1);
	*err = pthread_join(pthread_self(), NULL); /* @self-join */
	tl_event_set(&tried);
	/* Stays until the process ends: under clang 14's TSan a failed join still
	 * consumes the thread's id, and joining it later trips a CHECK in TSan. */
	tl_event_wait(&never, -1);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1, .iterations = 1, .seed = 1, .threads_max = 1};
	tl_lab_init(argc, argv, "A thread joins itself.", &o);
	int err = 0;
	tl_event_init(&created);
	tl_event_init(&tried);
	tl_event_init(&never);
	pthread_t t;
	tl_lab_thread_create(&t, joiner, &err);
	tl_event_set(&created);
	tl_event_wait(&tried, -1);
	if (err != EDEADLK) {
		fprintf(stderr, "probe: the self-join returned %d, not EDEADLK\n", err);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK, "pthread_join of itself failed with EDEADLK");
}
