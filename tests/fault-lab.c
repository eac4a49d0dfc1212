/* fault-lab — a lab program that misbehaves on purpose, for the fault tests
 * (tests/faults-lab.sh, tests/faults-interrupt.sh): run by the runner from a
 * fixture tree as labs/faults/NAME/broken would be.
 *
 *   fault-lab [--flood] [--orphan] [--ignore-term] [--hang]
 *
 * --flood: writes to stdout without end.  --orphan: forks a child that
 * outlives the program (it waits on a pipe nobody writes).  --ignore-term:
 * SIGTERM is ignored, by the program and its child.  --hang: blocks for
 * good once ready.  When FAULT_LAB_READY names a file (a fifo), the line
 * "lab PID child CPID" (CPID 0 without --orphan) is written to it once the
 * child exists: the test waits on that, not on time.  Without --hang or
 * --flood the program exits 0 at once after that.
 *
 * Exit: 0, 1 when a system call failed (one line on stderr), 2 usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what)
{
	perror(what);
	return 1;
}

/* Blocks until the process is killed: a read on a pipe whose write end this
 * process holds too, so it never ends by itself. */
static void block_for_good(void)
{
	int p[2];
	char c;

	if (pipe(p) != 0)
		_exit(1);
	while (read(p[0], &c, 1) != 0)
		continue;
	_exit(1);
}

int main(int argc, char **argv)
{
	bool flood = false, orphan = false, ignore_term = false, hang = false;
	pid_t kid = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--flood") == 0)
			flood = true;
		else if (strcmp(argv[i], "--orphan") == 0)
			orphan = true;
		else if (strcmp(argv[i], "--ignore-term") == 0)
			ignore_term = true;
		else if (strcmp(argv[i], "--hang") == 0)
			hang = true;
		else {
			fprintf(stderr,
			        "fault-lab: unknown argument '%s' (--flood --orphan "
			        "--ignore-term --hang)\n",
			        argv[i]);
			return 2;
		}
	}
	if (ignore_term && signal(SIGTERM, SIG_IGN) == SIG_ERR)
		return fail("fault-lab: signal");
	if (orphan) {
		int up[2];
		char c;

		if (pipe(up) != 0)
			return fail("fault-lab: pipe");
		kid = fork();
		if (kid < 0)
			return fail("fault-lab: fork");
		if (kid == 0) {
			close(up[0]);
			close(up[1]); /* the parent's read sees the end: the child exists */
			block_for_good();
		}
		close(up[1]);
		if (read(up[0], &c, 1) != 0)
			return fail("fault-lab: read");
		close(up[0]);
	}
	const char *ready = getenv("FAULT_LAB_READY");
	if (ready != NULL && *ready != '\0') {
		FILE *f = fopen(ready, "w");

		if (f == NULL)
			return fail(ready);
		fprintf(f, "lab %d child %d\n", (int)getpid(), (int)kid);
		if (fclose(f) != 0)
			return fail(ready);
	}
	if (flood) {
		static char line[4096];

		memset(line, 'x', sizeof line - 1);
		line[sizeof line - 1] = '\n';
		while (fwrite(line, 1, sizeof line, stdout) == sizeof line)
			continue;
		return fail("fault-lab: write");
	}
	if (hang)
		block_for_good();
	return 0;
}
