/* process/fork-wait — fork children, wait for each, and read how it ended
 * waitpid's status says how a child ended: its exit code, or the signal that killed it.
 * The parent forks four children that end four ways: exit 0, exit 3, killed by SIGTERM, and
 * abort() (SIGABRT, with its core dump turned off).  It waits for every one of them and decodes
 * each status with WIFEXITED/WEXITSTATUS, WIFSIGNALED/WTERMSIG (strsignal) and WCOREDUMP.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"

enum ending { EXIT_ZERO, EXIT_THREE, KILLED, ABORTS };

#define CHILDREN 4

/* What a child does.  The one the parent kills waits in pause() for it
 * (SIGTERM ends it wherever it is, so no hand-shake is needed). */
static void child(enum ending how)
{
	switch (how) {
	case EXIT_ZERO:
		_exit(0);
	case EXIT_THREE:
		_exit(3);
	case KILLED:
		for (;;)
			pause();
	case ABORTS:
		/* No core file: with RLIMIT_CORE 0 none is written to disk, and a
		 * process that is not dumpable is not dumped at all, not even to a
		 * core_pattern pipe; so WCOREDUMP is false on every machine. */
		setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});
		prctl(PR_SET_DUMPABLE, 0);
		abort();
	}
	_exit(1);
}

/* The status, decoded as the <sys/wait.h> macros read it. */
static void describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited, status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(status),
		         strsignal(WTERMSIG(status)),
		         WCOREDUMP(status) ? ", core dumped" : ", no core dump");
	else
		snprintf(buf, len, "neither exited nor killed");
}

/* Whether the status is the one the child was made to end with. */
static bool as_made(enum ending how, int status)
{
	switch (how) {
	case EXIT_ZERO:
		return WIFEXITED(status) && WEXITSTATUS(status) == 0;
	case EXIT_THREE:
		return WIFEXITED(status) && WEXITSTATUS(status) == 3;
	case KILLED:
		return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM && !WCOREDUMP(status);
	case ABORTS:
		return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && !WCOREDUMP(status);
	}
	return false;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 1, .iterations = 1, .seed = 1, .threads_min = 1, .threads_max = 1};
	tl_lab_init(argc, argv, "waitpid tells how each child ended: exit code or signal.", &o);
	static const char *const names[CHILDREN] = {"_exit(0)", "_exit(3)",
	                                            "SIGTERM from the parent", "abort()"};
	pid_t pids[CHILDREN];
	for (int i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			int err = errno;
			for (int j = 0; j < i; j++)
				kill(pids[j], SIGKILL);
			for (int j = 0; j < i; j++)
				waitpid(pids[j], NULL, 0);
			return tl_lab_result(TL_EXIT_FAILURE, "fork: %s", strerror(err));
		}
		if (pids[i] == 0)
			child((enum ending)i);
		tl_log("forked pid %d; its end: %s", (int)pids[i], names[i]);
	}
	kill(pids[KILLED], SIGTERM);

	int wrong = 0;
	for (int i = 0; i < CHILDREN; i++) {
		int status;
		while (waitpid(pids[i], &status, 0) < 0)
			if (errno != EINTR)
				return tl_lab_result(TL_EXIT_FAILURE, "waitpid: %s",
				                     strerror(errno));
		char what[128];
		describe(status, what, sizeof what);
		tl_log("pid %d (%s): status 0x%04x: %s", (int)pids[i], names[i], (unsigned)status,
		       what);
		wrong += !as_made((enum ending)i, status);
	}
	/* Every child has been waited for: none is left, not even a zombie. */
	bool none_left = waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
	if (wrong || !none_left)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%d of %d children ended otherwise than made to%s", wrong,
		                     CHILDREN, none_left ? "" : "; a child is left");
	return tl_lab_result(
	    TL_EXIT_OK, "%d children forked, each waited for and its ending decoded", CHILDREN);
}
