/* probes/stack-scalar — probe
 * DRD checks no stack variable unless run with --check-stack-var=yes; TSan and Helgrind do.
 * main passes &value, a local, to a thread, then rewrites it with no ordering while the thread
 * reads it.  tests/probe-tool-flags.sh runs this probe under DRD with --check-stack-var=yes and
 * gets the report.  (A scalar's own address escapes, so clang instruments the store: compare
 * probes/stack-field-tsan.)
 * expect tsan:     data-race @read @store
 * note: re-read labs/race/loop-var/README.md if this fails.
 * expect helgrind: data-race @read
 * note: re-read labs/race/loop-var/README.md if this fails.
 * expect drd:      clean
 * note: re-read labs/race/loop-var/README.md and labs/lifetime/dangling-stack/README.md if this
 *       fails.
 * miss: value lives on main's stack; the harness does not pass --check-stack-var=yes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_stage.h"

static tl_stage rewritten; /* orders nothing: the detectors see no edge */

static void *reader(void *arg)
{
	const long *value = arg;
	if (tl_stage_wait(&rewritten, 1, 2000) != 0)
		return (void *)-1L;
	return (void *)*value; /* @read */
}

static __attribute__((noinline)) long share_local(void)
{
	long value = 1;
	pthread_t t;
	tl_lab_thread_create(&t, reader, &value);
	value = 2; /* @store  after the thread started: unordered with its read */
	tl_stage_done(&rewritten);
	void *seen;
	pthread_join(t, &seen);
	return (long)seen;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1, .iterations = 1, .seed = 1, .threads_max = 1};
	tl_lab_init(argc, argv, "A store to a local whose address a thread reads.", &o);
	tl_stage_init(&rewritten);
	long seen = share_local();
	if (seen != 2) {
		fprintf(stderr, "probe: the thread read %ld, not the rewritten 2\n", seen);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK, "the thread read the local main rewrote, unordered");
}
