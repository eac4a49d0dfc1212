/* probes/fork-child-reports — probe
 * TSan keeps watching a forked child if the parent's other threads had all finished at the fork.
 * The parent's second thread has ended (not joined) when main forks, so TSan counts one running
 * thread and leaves the child as it is: the child's malloc in a signal handler is reported, and
 * at its _exit() the inherited, finished, unjoined thread is reported as leaked.  Compare
 * probes/fork-child-silent, where the other thread is still running.
 * expect run:      clean
 * note: re-read labs/deadlock/fork-locked/README.md if this fails.
 * expect tsan:     signal-unsafe @malloc thread-leak @create
 * note: re-read labs/deadlock/fork-locked/README.md if this fails.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_clock.h"
#include "tl_lab.h"
#include "tl_sync.h"
#include "tl_watchdog.h" /* tl_slowdown */

static tl_event started;
static pid_t finisher_tid;
static char *copy;
static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	(void)sig;
	copy = strdup("from the handler"); /* @malloc */
	handled = 1;
}

static void *finisher(void *arg)
{
	(void)arg;
	finisher_tid = (pid_t)syscall(SYS_gettid);
	tl_event_set(&started);
	return NULL; /* ends at once; main joins it only after the fork */
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv,
	            "A child forked after the other thread ended does TSan-visible things.", &o);
	tl_event_init(&started);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t t;
	tl_lab_thread_create(&t, finisher, NULL); /* @create */
	tl_event_wait(&started, -1);
	char task[64];
	snprintf(task, sizeof task, "/proc/self/task/%d", (int)finisher_tid);
	uint64_t deadline = tl_mono_ns() + (uint64_t)(2e9 * tl_slowdown());
	bool gone;
	while (!(gone = access(task, F_OK) != 0 && errno == ENOENT) && tl_mono_ns() < deadline)
		sched_yield(); /* until the finisher has ended */
	if (!gone) {
		fprintf(stderr, "probe: the finisher did not end\n");
		abort(); /* a set-up that failed must not pass */
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		raise(SIGUSR1);
		_exit(handled && copy ? 0 : 3);
	}
	int status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	pthread_join(t, NULL); /* the parent leaks nothing: the leak report is the child's */
	if (pid < 0 || !WIFEXITED(status) ||
	    (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 66)) {
		fprintf(stderr, "probe: the child did not run its handler (status %#x)\n", status);
		abort(); /* a set-up that failed must not pass */
	}
	return tl_lab_result(TL_EXIT_OK, "the child ran its handler and ended with _exit()");
}
