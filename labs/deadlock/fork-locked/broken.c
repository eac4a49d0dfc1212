/* deadlock/fork-locked — broken
 * fork() copies a mutex another thread holds, but not that thread: the child hangs on it.
 * A program with a logging thread forks helper processes.  fork() copies all memory, including a
 * mutex the logger holds at that moment, but only the thread that called it: in the child the mutex
 * stays locked by a thread that does not exist there, and the helper hangs on its first log line.
 * expect run:      deadlock
 * expect tsan:     clean
 * miss: in the parent every lock is used correctly, and after a fork() with the logger running
 *       TSan turns reporting and interception off in the child (probes/fork-child-silent); a
 *       child that did not hang would report nothing either.
 * expect helgrind: clean
 * miss: The parent uses the lock correctly; the child runs silent (--child-silent-after-fork=yes),
 *       and even with its output on, Helgrind has nothing to say about a process blocked on a lock
 *       whose owner was never copied.
 * expect drd:      clean
 * miss: Like Helgrind: nothing is wrong in the parent, and DRD does not model a lock inherited
 *       through fork().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_procfs.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

/* Log lines are numbered; the lock keeps the numbers in order. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static long log_lines; /* under log_mu */

static void log_line(const char *who, long n)
{
	pthread_mutex_lock(&log_mu); /* @log-lock */
	log_lines++;
	tl_log("line %ld: %s %ld", log_lines, who, n);
	pthread_mutex_unlock(&log_mu);
}

/* The first fork is staged: the logger holds log_mu until main has forked
 * (or 100 ms x slowdown pass), so the lock is held at fork time on every run. */
static tl_event holding, forked;

static void *logger(void *arg)
{
	long lines = *(long *)arg;
	tl_thread_name("logger");
	for (long i = 1; i <= lines; i++) {
		pthread_mutex_lock(&log_mu);
		if (i == 1) {
			tl_event_set(&holding);
			tl_event_wait(&forked, (long)(100 * tl_slowdown()));
		}
		log_lines++;
		tl_log("line %ld: logger tick %ld", log_lines, i);
		pthread_mutex_unlock(&log_mu);
	}
	return NULL;
}

/* What a helper process does: log, work, log, exit.  It ends with the
 * exit_group system call itself: under TSan, a child forked when the
 * parent's other threads had all finished is watched, and its _exit() reports
 * those finished, unjoined threads as leaked and turns the exit status into
 * 66 (probes/fork-child-reports).  The fixed program forks its second helper
 * after the logger has finished. */
static void helper(long n)
{
	log_line("helper started, job", n);
	long square = n * n;
	log_line("helper done, square", square);
	syscall(SYS_exit_group, 0);
}

/* Waits for the child to end: its end of the pipe closes when it exits.
 * Returns false if it is still running after timeout_ms (< 0: for ever). */
static bool child_ended(int pipe_rd, long timeout_ms)
{
	struct pollfd p = {.fd = pipe_rd, .events = POLLIN};
	int rc;
	do
		rc = poll(&p, 1, (int)timeout_ms);
	while (rc < 0 && errno == EINTR);
	return rc != 0;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1,
	                        .iterations = 4,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = 1};
	tl_lab_init(
	    argc, argv,
	    "fork() while another thread holds a mutex: the child finds it locked for ever.", &o);
	tl_event_init(&holding);
	tl_event_init(&forked);
	/* The parent is the child's watchdog: it gives each helper as long as
	 * the watchdog gives a stalled thread, then looks at it in /proc. */
	long limit_ms = o.watchdog ? (long)(TL_WATCHDOG_STALL_MS * tl_slowdown()) : -1;

	pthread_t t;
	long ticks = o.iterations;
	tl_lab_thread_create(&t, logger, &ticks);
	for (long i = 1; i <= o.iterations; i++) {
		if (i == 1)
			tl_event_wait(&holding, (long)(2000 * tl_slowdown()));
		int fd[2];
		if (pipe2(fd, O_CLOEXEC) != 0)
			return tl_lab_result(TL_EXIT_FAILURE, "pipe: %s", strerror(errno));
		pid_t pid = fork(); /* @fork */
		if (pid < 0)
			return tl_lab_result(TL_EXIT_FAILURE, "fork: %s", strerror(errno));
		if (pid == 0) {
			close(fd[0]);
			helper(i);
		}
		if (i == 1)
			tl_event_set(&forked);
		close(fd[1]);
		bool ended = child_ended(fd[0], limit_ms);
		close(fd[0]);
		if (!ended) {
			struct tl_task_stat st = {.state = '?'};
			char wchan[64] = "?";
			tl_procfs_read_task_stat("/proc", pid, pid, &st);
			tl_procfs_read_wchan("/proc", pid, pid, wchan, sizeof wchan);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			pthread_join(t, NULL);
			return tl_lab_result(TL_EXIT_DEADLOCK,
			                     "deadlock: helper %ld (pid %d) made no progress for "
			                     "%ld ms: state %c, wchan %s; killed",
			                     i, (int)pid, limit_ms, st.state, wchan);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return tl_lab_result(TL_EXIT_WRONG, "helper %ld ended with status %#x", i,
			                     status);
	}
	pthread_join(t, NULL);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld helpers forked, each took the log lock, logged and exited",
	                     o.iterations);
}
