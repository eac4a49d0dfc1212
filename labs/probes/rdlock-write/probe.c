/* probes/rdlock-write — probe
 * A read lock does not protect writes: TSan, Helgrind and DRD report counters updated under it.
 * Two threads hold the same rwlock for reading at once (each waits inside until the other is
 * in) and both add to one counter.  The read lock gives no happens-before between two readers.
 * expect tsan:     data-race @count
 * note: re-read labs/demos/rwlock/README.md if this fails.
 * expect helgrind: data-race @count
 * note: re-read labs/demos/rwlock/README.md if this fails.
 * expect drd:      data-race @count
 * note: re-read labs/demos/rwlock/README.md if this fails.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_stage.h"

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static long lookups;
static tl_stage inside; /* orders nothing: the readers only meet inside */

static void *reader(void *arg)
{
	long *both_in = arg;
	pthread_rwlock_rdlock(&table_lock);
	tl_stage_done(&inside);
	*both_in = tl_stage_wait(&inside, 2, 2000) == 0;
	lookups++; /* @count  under the read lock only */
	pthread_rwlock_unlock(&table_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "Two readers update a counter under a shared read lock.", &o);
	tl_stage_init(&inside);
	long both_in[2] = {0, 0};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		tl_lab_thread_create(&t[i], reader, &both_in[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (!both_in[0] || !both_in[1]) {
		fprintf(stderr, "probe: the two readers were never inside together\n");
		abort(); /* a set-up that failed must not pass */
	}
	return tl_lab_result(TL_EXIT_OK, "both readers held the read lock at once, %ld lookups",
	                     lookups);
}
