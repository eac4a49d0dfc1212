/* bench-run — the CPU time a command costs, measured by the kernel.
 *
 *   bench-run [-n RUNS] -- CMD [ARG...]
 *
 * Runs CMD RUNS times (default 1), one after the other, its stdout going to
 * /dev/null, and prints the median of its user+system CPU time in
 * microseconds, from wait4's rusage: only the child's own time, no shell or
 * timing program in between.  A run that fails (non-zero exit, signal, more
 * than 120 s) is reported with the first line the command wrote on stderr,
 * and bench-run exits 1.  Usage errors exit 2.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_RUNS    1000
#define RUN_LIMIT_S 120

static volatile sig_atomic_t child_pid;

static void on_alarm(int sig)
{
	(void)sig;
	if (child_pid > 0)
		kill((pid_t)child_pid, SIGKILL);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* Prints the first line of what the command wrote on stderr. */
static void show_stderr(int fd)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *nl;

	if (n <= 0)
		return;
	buf[n] = '\0';
	nl = strchr(buf, '\n');
	if (nl != NULL)
		*nl = '\0';
	fprintf(stderr, "bench-run:   %s\n", buf);
}

/* One run: its user+system time in microseconds, or -1 (said on stderr). */
static long long run_once(char **cmd)
{
	struct rusage ru;
	int status, errfd, nullfd;
	pid_t pid;

	errfd = memfd_create("bench-run-stderr", MFD_CLOEXEC);
	nullfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (errfd < 0 || nullfd < 0) {
		fprintf(stderr, "bench-run: %s\n", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench-run: fork: %s\n", strerror(errno));
		close(errfd);
		close(nullfd);
		return -1;
	}
	if (pid == 0) {
		if (dup2(nullfd, STDOUT_FILENO) < 0 || dup2(errfd, STDERR_FILENO) < 0)
			_exit(126);
		execvp(cmd[0], cmd);
		fprintf(stderr, "cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	child_pid = pid;
	alarm(RUN_LIMIT_S);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "bench-run: wait4: %s\n", strerror(errno));
			close(errfd);
			close(nullfd);
			return -1;
		}
	}
	alarm(0);
	child_pid = 0;
	close(nullfd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFEXITED(status))
			fprintf(stderr, "bench-run: %s exited %d\n", cmd[0], WEXITSTATUS(status));
		else
			fprintf(stderr, "bench-run: %s killed by signal %d%s\n", cmd[0],
			        WTERMSIG(status),
			        WTERMSIG(status) == SIGKILL ? " (over the time limit?)" : "");
		show_stderr(errfd);
		close(errfd);
		return -1;
	}
	close(errfd);
	return (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
	       (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench-run [-n RUNS] -- CMD [ARG...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static long long cpu[MAX_RUNS];
	struct sigaction sa;
	long runs = 1;
	int i = 1;

	if (i + 1 < argc && strcmp(argv[i], "-n") == 0) {
		char *end;

		errno = 0;
		runs = strtol(argv[i + 1], &end, 10);
		if (errno != 0 || *end != '\0' || end == argv[i + 1] || runs < 1 || runs > MAX_RUNS)
			return usage();
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc)
		return usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	for (long r = 0; r < runs; r++) {
		cpu[r] = run_once(argv + i + 1);
		if (cpu[r] < 0)
			return 1;
	}
	qsort(cpu, (size_t)runs, sizeof(cpu[0]), cmp_ll);
	printf("%lld\n", runs % 2 ? cpu[runs / 2] : (cpu[runs / 2 - 1] + cpu[runs / 2]) / 2);
	return 0;
}
