/* probes/fork-child-silent — probe
 * After fork() in a multithreaded process, TSan turns itself off in the child: it reports nothing.
 * Like probes/fork-child-reports, main forks when one thread has ended unjoined, and the child
 * leaves with _exit(); but here a second thread is still running at the fork.  So TSan switches
 * reporting and interception off in the child, and the ended thread, which fork-child-reports'
 * child reports as leaked, goes unreported.  With TSAN_OPTIONS=verbosity=1 TSan says why:
 * "forked new process with pid N, parent had 2 threads" (tests/probe-tool-flags.sh checks it).
 * expect run:      clean
 * note: re-read labs/deadlock/fork-locked/README.md if this fails.
 * expect tsan:     clean
 * note: re-read labs/deadlock/fork-locked/README.md if this fails.
 * miss: the child of a process with two threads running is not watched at all.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_clock.h"
#include "tl_lab.h"
#include "tl_sync.h"
#include "tl_watchdog.h" /* tl_slowdown */

static tl_event started, forked;
static pid_t finisher_tid;

static void *finisher(void *arg)
{
	(void)arg;
	finisher_tid = (pid_t)syscall(SYS_gettid);
	tl_event_set(&started);
	return NULL; /* ends at once; main joins it only after the fork */
}

static void *bystander(void *arg)
{
	(void)arg;
	tl_event_wait(&forked, -1); /* running across the fork */
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "A child forked while another thread runs; one more has ended.",
	            &o);
	tl_event_init(&started);
	tl_event_init(&forked);
	pthread_t f, b;
	tl_lab_thread_create(&f, finisher, NULL);
	tl_lab_thread_create(&b, bystander, NULL);
	tl_event_wait(&started, -1);
	char task[64];
	snprintf(task, sizeof task, "/proc/self/task/%d", (int)finisher_tid);
	uint64_t deadline = tl_mono_ns() + (uint64_t)(2e9 * tl_slowdown());
	bool gone;
	while (!(gone = access(task, F_OK) != 0 && errno == ENOENT) && tl_mono_ns() < deadline)
		sched_yield(); /* until the finisher has ended */
	if (!gone) {
		fprintf(stderr, "probe: the finisher did not end\n");
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0); /* what fork-child-reports' child reports a leak at */
	int status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	tl_event_set(&forked);
	pthread_join(f, NULL);
	pthread_join(b, NULL);
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "probe: the child ended with status %#x\n", status);
		abort(); /* under TSan, 66 would mean it reported */
	}
	return tl_lab_result(TL_EXIT_OK, "the child ended with _exit(0), unreported");
}
