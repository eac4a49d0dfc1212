/* probes/stack-field-tsan — probe
 * clang 14 does not instrument stores to the fields of a stack struct whose address escaped.
 * main's frame passes &job to a thread, then rewrites job.count with no ordering while the
 * thread reads it.  clang 14's TSan pass skips a stack access when the address it uses (here the
 * field's, &job + 8) is not itself captured: only &job is, so the store gets no __tsan_write8
 * (objdump -d probe_tsan shows a bare mov) and TSan never sees it.  Helgrind sees the machine's
 * stores; DRD leaves stack variables out unless --check-stack-var=yes.
 * expect tsan:     clean
 * note: re-read labs/lifetime/dangling-stack/README.md if this fails.
 * miss: the store to job.count is not instrumented.
 * expect helgrind: data-race @read
 * note: re-read labs/lifetime/dangling-stack/README.md if this fails.
 * expect drd:      clean
 * note: re-read labs/race/loop-var/README.md if this fails.
 * miss: job lives on main's stack; the harness does not pass --check-stack-var=yes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_stage.h"

struct job {
	long first;
	long count;
};

static tl_stage rewritten; /* orders nothing: the detectors see no edge */

static void *reader(void *arg)
{
	const struct job *j = arg;
	if (tl_stage_wait(&rewritten, 1, 2000) != 0)
		return (void *)-1L;
	return (void *)j->count; /* @read */
}

static __attribute__((noinline)) long run_job(void)
{
	struct job job = {1000, 1};
	pthread_t t;
	tl_lab_thread_create(&t, reader, &job);
	job.count = 2; /* @store  after the thread started: unordered with its read */
	tl_stage_done(&rewritten);
	void *seen;
	pthread_join(t, &seen);
	return (long)seen;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1, .iterations = 1, .seed = 1, .threads_max = 1};
	tl_lab_init(argc, argv, "A store to a stack struct's field races a thread's read of it.",
	            &o);
	tl_stage_init(&rewritten);
	long seen = run_job();
	if (seen != 2) {
		fprintf(stderr, "probe: the thread read count %ld, not the rewritten 2\n", seen);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK, "the thread read the field main rewrote, unordered");
}
