/* probes/lock-order-trylock — probe
 * A failed trylock in the other order draws no lock-order report: only a blocking request does.
 * Thread ab takes A then B and ends; then main holds A, and thread ba, holding B, only *tries*
 * A, which fails with EBUSY.  TSan checks its lock graph for a cycle when pthread_mutex_lock is
 * called, and adds an edge only when a lock is acquired: a trylock that fails does neither
 * (compare probes/lock-order-attempt, where ba blocks in pthread_mutex_lock).  Helgrind, which
 * looks at acquired locks only, is silent too.
 * expect tsan:     clean
 * note: re-read labs/livelock/polite-trylock/README.md and docs/DETECTORS.md if this fails.
 * expect helgrind: clean
 * note: re-read labs/livelock/polite-trylock/README.md if this fails.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *ab(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b); /* the edge A -> B */
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	return NULL;
}

static void *ba(void *arg)
{
	int *err = arg;
	pthread_mutex_lock(&lock_b);
	*err = pthread_mutex_trylock(&lock_a); /* main holds A: EBUSY */
	if (*err == 0)
		pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "One completed A->B, then a failed trylock at B->A.", &o);
	pthread_t t1, t2;
	int err = 0;
	tl_lab_thread_create(&t1, ab, NULL);
	pthread_join(t1, NULL);
	pthread_mutex_lock(&lock_a);
	tl_lab_thread_create(&t2, ba, &err);
	pthread_join(t2, NULL);
	pthread_mutex_unlock(&lock_a);
	if (err != EBUSY) {
		fprintf(stderr, "probe: the trylock returned %d, not EBUSY\n", err);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK, "the trylock at B->A failed with EBUSY");
}
