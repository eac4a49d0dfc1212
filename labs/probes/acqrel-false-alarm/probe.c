/* probes/acqrel-false-alarm — probe
 * Helgrind and DRD call correct release/acquire message passing a race: they ignore C11 ordering.
 * A writer fills a message, then sets a flag with a release store; a reader spins on an acquire
 * load of the flag, then reads the message.  C11 orders the message before the read; TSan
 * models that and is silent; Helgrind and DRD see plain accesses with no synchronisation they
 * know of.  race/publication's fixed program tells them with ANNOTATE_HAPPENS_BEFORE/AFTER.
 * expect tsan:     clean
 * note: re-read labs/race/publication/README.md if this fails.
 * expect helgrind: data-race @read-body
 * note: re-read labs/race/publication/README.md and labs/livelock/handshake/README.md if this
 *       fails.
 * false alarm: the release store and the acquire load order the message.
 * expect drd:      data-race @read-body
 * note: re-read labs/race/publication/README.md if this fails.
 * false alarm: the release store and the acquire load order the message.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"

static long body;
static atomic_int ready;

static void *writer(void *arg)
{
	(void)arg;
	body = 42;
	atomic_store_explicit(&ready, 1, memory_order_release);
	return NULL;
}

static void *reader(void *arg)
{
	long *seen = arg;
	while (atomic_load_explicit(&ready, memory_order_acquire) != 1)
		sched_yield();
	*seen = body; /* @read-body */
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "A message handed over with a release store and an acquire load.",
	            &o);
	long seen = -1;
	pthread_t w, r;
	tl_lab_thread_create(&r, reader, &seen);
	tl_lab_thread_create(&w, writer, NULL);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	if (seen != 42) {
		fprintf(stderr, "probe: the reader saw %ld, not 42\n", seen);
		abort(); /* a set-up that failed must not pass */
	}
	return tl_lab_result(TL_EXIT_OK, "the reader saw the whole message");
}
