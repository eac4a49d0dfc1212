/* process/pool-zombies — broken
 * A child that exits stays a zombie until its parent waits for it: never waiting piles them up.
 * A hand-made process pool: each round forks one worker per job, reads each worker's answer from
 * its pipe until end-of-file, and goes on.  Every answer arrives, but nobody calls waitpid: each
 * finished worker stays in the process table as a zombie, round after round, until the parent
 * itself ends.  The program counts its zombie children in /proc after each round.
 * expect run:      wrong-result
 * expect tsan:     clean
 * miss: TSan checks the threads of one process, not the lifetime of its children.
 * expect helgrind: clean
 * miss: Helgrind checks synchronisation, not the lifetime of child processes.
 * expect drd:      clean
 * miss: DRD checks synchronisation, not the lifetime of child processes.
 * expect memcheck: clean
 * miss: a zombie holds no memory of the parent's: it is an entry in the kernel's process table.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"

/* This process's children in /proc, and how many of them are zombies. */
static void count_children(int *children, int *zombies)
{
	*children = *zombies = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[300], buf[512]; /* a d_name is at most 255 bytes */
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue; /* ended meanwhile */
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		char *name_end = strrchr(buf, ')'); /* a name may hold ')' */
		char state;
		int ppid;
		if (!name_end || sscanf(name_end + 1, " %c %d", &state, &ppid) != 2 ||
		    ppid != getpid())
			continue;
		++*children;
		*zombies += state == 'Z';
	}
	closedir(d);
}

/* Forks a worker that writes job * job to a pipe and exits; returns the
 * pipe's read end. */
static int start_worker(long job, pid_t *pid)
{
	int fds[2];
	if (pipe(fds))
		exit(tl_lab_result(TL_EXIT_FAILURE, "pipe: %s", strerror(errno)));
	*pid = fork();
	if (*pid < 0)
		exit(tl_lab_result(TL_EXIT_FAILURE, "fork: %s", strerror(errno)));
	if (*pid == 0) {
		long answer = job * job;
		close(fds[0]);
		_exit(write(fds[1], &answer, sizeof answer) == sizeof answer ? 0 : 1);
	}
	close(fds[1]);
	return fds[0];
}

/* The answer, read until end-of-file: the worker has closed its end, so
 * it has exited (or is exiting). */
static long collect(int fd)
{
	long answer = 0, extra;
	if (read(fd, &answer, sizeof answer) != sizeof answer || read(fd, &extra, 1) != 0)
		exit(tl_lab_result(TL_EXIT_FAILURE, "a worker sent no answer"));
	close(fd);
	return answer;
}

/* Staging, not the fix: waits until the worker has exited but leaves it
 * unreaped (WNOWAIT), so that every run counts the same zombies. */
static void until_exited(pid_t pid)
{
	siginfo_t info;
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4, .iterations = 3, .threads_max = 64};
	tl_lab_init(argc, argv, "finished children nobody waits for stay zombies.", &o);
	pid_t pid[64];
	int fd[64];
	long job = 0, total = 0, expected = 0;
	int children = 0, zombies = 0;
	for (long round = 1; round <= o.iterations; round++) {
		for (long i = 0; i < o.threads; i++) {
			fd[i] = start_worker(++job, &pid[i]);
			expected += job * job;
		}
		for (long i = 0; i < o.threads; i++) {
			total += collect(fd[i]);
			until_exited(pid[i]); /* @no-wait */
		}
		count_children(&children, &zombies);
		tl_log("round %ld: %ld answers in, %d children left, %d of them zombies", round,
		       o.threads, children, zombies);
	}
	if (total != expected)
		return tl_lab_result(TL_EXIT_WRONG, "total %ld, expected %ld", total, expected);
	if (zombies)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "all %ld answers in (total %ld), but %d zombie children left: "
		                     "nobody waited for them",
		                     job, total, zombies);
	return tl_lab_result(TL_EXIT_OK, "all %ld answers in (total %ld), no zombie left", job,
	                     total);
}
