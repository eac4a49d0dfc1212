/* probes/atomic-store-load — probe
 * Helgrind and DRD report a relaxed atomic store racing an atomic load or read-modify-write.
 * Neither models C11 atomics: a store is a write, a load or a lock-prefixed read-modify-write is
 * a read, and a write and a read with no happens-before between them conflict.  TSan knows that
 * atomics never race.
 * expect tsan:     clean
 * note: re-read labs/race/atomic-check-act/README.md if this fails.
 * expect helgrind: data-race @load @rmw
 * false alarm: Helgrind does not model C11 atomics; the program is correct.
 * note: re-read labs/race/atomic-check-act/README.md and docs/DETECTORS.md if this fails.
 * expect drd:      data-race @load @rmw
 * false alarm: DRD does not model C11 atomics either.
 * note: re-read labs/race/atomic-check-act/README.md and docs/DETECTORS.md if this fails.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_stage.h"

static atomic_long flag, count;
static tl_stage stored; /* orders nothing: the detectors see no edge */

static void *writer(void *arg)
{
	(void)arg;
	atomic_store_explicit(&flag, 1, memory_order_relaxed); /* @store */
	atomic_store_explicit(&count, 10, memory_order_relaxed);
	tl_stage_done(&stored);
	return NULL;
}

static void *reader(void *arg)
{
	long *seen = arg;
	/* After the stores in time, so that DRD, which names the later access, names these. */
	if (tl_stage_wait(&stored, 1, 2000) != 0)
		return NULL;
	seen[0] = atomic_load_explicit(&flag, memory_order_relaxed); /* @load */
	seen[1] = atomic_fetch_add(&count, 1);                       /* @rmw */
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "A relaxed atomic store and an atomic load in two threads.", &o);
	tl_stage_init(&stored);
	long seen[2] = {-1, -1};
	pthread_t w, r;
	tl_lab_thread_create(&w, writer, NULL);
	tl_lab_thread_create(&r, reader, seen);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	if (seen[0] != 1 || seen[1] != 10) {
		fprintf(stderr, "probe: the reader saw %ld and %ld, not 1 and 10\n", seen[0],
		        seen[1]);
		abort(); /* a set-up that failed must not pass */
	}
	return tl_lab_result(TL_EXIT_OK, "the load and the fetch_add came after the stores");
}
