/* runner_tour — the main job: a short guided run of the flagship labs.
 * Each step runs a real program and says what it showed; the tour fails
 * (exit 1) if a step does not show what its lab's header expects. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"
#include "tl_buf.h"
#include "tl_clock.h"
#include "tl_exit.h"
#include "tl_spawn.h" /* tl_spawn_die_with */

static void say(const char *text)
{
	fputs(text, stdout);
	fflush(stdout);
}

/* Prints line `line` of a source file, trimmed. */
static void quote_line(const struct lab *lab, int variant, int line)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/%s.c", lab->dir, lab_variant_names[variant]);
	tl_buf src = {0};
	if (tl_buf_read_file(&src, path) == 0) {
		const char *p = src.data;
		for (int i = 1; i < line && p; i++)
			if ((p = strchr(p, '\n')))
				p++;
		if (p) {
			while (*p == ' ' || *p == '\t')
				p++;
			printf("        %d | %.*s\n", line, (int)strcspn(p, "\n"), p);
		}
	}
	tl_buf_free(&src);
}

/* What the tool reported and, apart from it, how the program itself ended:
 * under a detector a program can deadlock while the detector reports
 * nothing, and "clean" alone would say the opposite. */
static void print_verdict(enum tl_tool tool, const struct outcome *o)
{
	const struct tl_tool_info *ti = tl_tool(tool);
	double secs = o->res.wall_ms / 1000;
	if (tool == TL_TOOL_RUN) {
		printf("   the program: %s (%.2f s)\n", tl_verdict_name(o->program), secs);
		return;
	}
	char got[256] = "nothing";
	if (o->got != 0 && o->got != 1u << TL_V_CLEAN)
		tl_verdict_set_format(o->got, got, sizeof got);
	if (ti->report_exit_code && o->res.exit_code == ti->report_exit_code)
		printf("   %s reported: %s; the program: exit %d, %s's code for a report "
		       "in place of its own (%.2f s)\n",
		       ti->title, got, ti->report_exit_code, ti->title, secs);
	else
		printf("   %s reported: %s; the program: %s (%.2f s)\n", ti->title, got,
		       tl_verdict_name(o->program), secs);
}

/* Runs one program under one tool, prints the verdict, checks it. */
static bool step(const struct labs *labs, const char *id, int variant, enum tl_tool tool)
{
	const struct lab *lab = labs_find(labs, id);
	char why[256], rel[PATH_MAX], err[320];
	if (!lab || !lab->has[variant]) {
		printf("   (lab %s is missing)\n", id);
		return false;
	}
	if (!tl_tool_available(tool, why, sizeof why)) {
		printf("   skipped: %s\n", why);
		return true;
	}
	struct tl_spec spec;
	if (lab_spec(lab, variant, &spec, err, sizeof err)) {
		printf("   %s\n", err);
		return false;
	}
	lab_source_rel(lab, variant, rel, sizeof rel);
	printf("\n$ threadlab run %s %s --tool %s\n", id, lab_variant_names[variant],
	       tl_tool_name(tool));
	fflush(stdout);
	struct outcome o;
	lab_execute(lab, variant, tool, tool == TL_TOOL_RUN, NULL, &o);
	bool ok = false;
	if (o.error) {
		printf("   %s\n", o.msg);
	} else {
		print_verdict(tool, &o);
		outcome_print_reports(stdout, &o, rel, "     ");
		for (size_t i = 0; i < o.reports.n; i++) {
			const struct tl_frame *f = tl_report_first_frame_in(&o.reports.v[i], rel);
			if (f && f->line > 0) {
				quote_line(lab, variant, f->line);
				break;
			}
		}
		tl_buf whybuf = {0};
		ok = outcome_matches(&spec, tool, rel, &o, &whybuf);
		if (!ok)
			printf("   NOT what %s expects:\n%s", rel, whybuf.data);
		tl_buf_free(&whybuf);
	}
	outcome_free(&o);
	return ok;
}

/* Waits for a child, retrying on EINTR; its wait status, or -1. */
static int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/* Starts a lab's broken program with --hold (its stderr into *errfd) and
 * echoes that stderr until the watchdog's "holding pid" line, for at most
 * 30 s.  The child's pid once it holds at its hang; -1 (child reaped) if
 * it never does. */
static pid_t start_held(const char *bin, int *errfd)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -1;
	pid_t parent = getpid();
	pid_t lab = fork();
	if (lab < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (lab == 0) {
		/* A SIGTERM or SIGINT that kills the runner mid-tour would else
		 * leave the held lab holding for its 60 s, and the doctor looking. */
		tl_spawn_die_with(parent);
		int null = open("/dev/null", O_WRONLY);
		dup2(pipefd[1], 2);
		if (null >= 0)
			dup2(null, 1);
		unsetenv("THREADLAB_SLOWDOWN");
		execl(bin, bin, "--hold", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	*errfd = pipefd[0];
	static const char holding[] = "watchdog: holding pid ";
	char chunk[1024];
	struct tl_buf err = {0};
	bool held = false;
	for (int waited_ms = 0; !held && waited_ms < 30000;) {
		struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
		if (poll(&p, 1, 1000) <= 0) {
			waited_ms += 1000;
			continue;
		}
		ssize_t n = read(pipefd[0], chunk, sizeof chunk);
		if (n <= 0)
			break;
		tl_buf_append(&err, chunk, (size_t)n);
		char *nl;
		while (err.data && (nl = memchr(err.data, '\n', err.len)) != NULL) {
			size_t len = (size_t)(nl - err.data) + 1;
			printf("   %.*s", (int)len, err.data);
			if (len > sizeof holding &&
			    !strncmp(err.data, holding, sizeof holding - 1) &&
			    strtol(err.data + sizeof holding - 1, NULL, 10) == (long)lab)
				held = true;
			memmove(err.data, err.data + len, err.len - len + 1);
			err.len -= len;
		}
	}
	tl_buf_free(&err);
	if (held)
		return lab;
	printf("   the lab never held at its hang\n");
	kill(lab, SIGKILL);
	reap(lab);
	close(pipefd[0]);
	return -1;
}

/* Runs a lab's broken program with --hold, shows `threadstat doctor` on it
 * at its hang, then ends the hold with SIGTERM.  True when the doctor said
 * deadlock and the lab ended with its deadlock code. */
static bool doctor_step(const char *id)
{
	char bin[PATH_MAX], ts[PATH_MAX], pidarg[32];
	snprintf(bin, sizeof bin, "%s/labs/%s/broken", runner_builddir(), id);
	runner_threadstat_path(ts, sizeof ts);
	if (access(ts, X_OK) != 0) {
		printf("   skipped: %s is not built\n", ts);
		return true;
	}
	printf("\n$ labs/%s/broken --hold &\n", id);
	fflush(stdout);
	int errfd;
	pid_t lab = start_held(bin, &errfd);
	if (lab < 0)
		return false;
	snprintf(pidarg, sizeof pidarg, "%d", (int)lab);
	printf("\n$ threadstat doctor %s\n", pidarg);
	fflush(stdout);
	int st_doc = -1;
	pid_t parent = getpid();
	pid_t doc = fork();
	if (doc == 0) {
		tl_spawn_die_with(parent);
		execl(ts, ts, "doctor", pidarg, (char *)NULL);
		_exit(127);
	}
	if (doc > 0)
		st_doc = reap(doc);
	kill(lab, SIGTERM);
	int st_lab = reap(lab);
	close(errfd);
	return st_doc >= 0 && WIFEXITED(st_doc) && WEXITSTATUS(st_doc) == TL_EXIT_DEADLOCK &&
	       st_lab >= 0 && WIFEXITED(st_lab) && WEXITSTATUS(st_lab) == TL_EXIT_DEADLOCK;
}

/* The tour: each step says its text, then runs a lab's program under a
 * tool (TOUR_DOCTOR: holds the deadlock and shows threadstat doctor). */
enum { VARIANT_BROKEN = 0, VARIANT_FIXED = 1, TOUR_DOCTOR = -1 };
static const struct tour_step {
	const char *text; /* NULL: none, the step follows the one before */
	const char *lab;
	int variant;
	int tool; /* enum tl_tool, or TOUR_DOCTOR */
} tour[] = {
    {"threadlab tour: threading bugs you can watch happen, and what each\n"
     "detector says about them.\n"
     "\n"
     "1. A race.  Two threads add 1 to a shared counter, each at least\n"
     "   100,000 times, and each keeps going until the two have been seen\n"
     "   running side by side for 2 ms, so that they really collide: the\n"
     "   counts differ from run to run.  counter++ is a load, an add and a\n"
     "   store; when both threads load the same value, one addition is lost.\n",
     "race/counter", VARIANT_BROKEN, TL_TOOL_RUN},
    {"\n2. The same program under ThreadSanitizer.  For each word of memory it\n"
     "   remembers which threads touched it and what each had synchronised\n"
     "   with (a mutex released and then taken, a join ...); two accesses,\n"
     "   one a write, with no such happens-before order between them are a\n"
     "   race.  It names the line.  (Under it each thread adds 5,000 times and\n"
     "   stops: TSan rebuilds the other access's stack from a bounded history,\n"
     "   and drops a race on a word one thread wrote very many times.)\n",
     "race/counter", VARIANT_BROKEN, TL_TOOL_TSAN},
    {"\n   Valgrind's Helgrind and DRD decide races the same way, by\n"
     "   happens-before, and run the threads one at a time, many times slower:\n",
     "race/counter", VARIANT_BROKEN, TL_TOOL_HELGRIND},
    {NULL, "race/counter", VARIANT_BROKEN, TL_TOOL_DRD},
    {"\n3. The fix is one mutex around the increment (threadlab show counter\n"
     "   prints the diff).  Now the total is exact and TSan is silent.  (The\n"
     "   threads again run until they have overlapped for 2 ms, so their\n"
     "   counts say nothing about speed.)\n",
     "race/counter", VARIANT_FIXED, TL_TOOL_RUN},
    {NULL, "race/counter", VARIANT_FIXED, TL_TOOL_TSAN},
    {"\n4. A deadlock.  Two threads take the same two mutexes in opposite\n"
     "   orders.  Nothing crashes: the program just stops.  Its watchdog\n"
     "   sees no progress and no CPU use, and ends it with a verdict:\n",
     "deadlock/lock-order", VARIANT_BROKEN, TL_TOOL_RUN},
    {"\n   TSan draws an edge A -> B in its lock graph when a thread holding A\n"
     "   gets B, and reports a cycle when a thread asks for a lock.  Here\n"
     "   neither thread ever gets its second mutex, so there is no edge and\n"
     "   no report; the program still deadlocks under it:\n",
     "deadlock/lock-order", VARIANT_BROKEN, TL_TOOL_TSAN},
    {"\n   Now one thread completes A then B, and only then does the other,\n"
     "   holding B, ask for A.  That request closes the cycle A -> B -> A and\n"
     "   TSan names the lines, though nothing hung: a detector sees the\n"
     "   order, not the hang.\n",
     "deadlock/lock-order-latent", VARIANT_BROKEN, TL_TOOL_TSAN},
    {"\n5. A livelock.  Two polite threads take one lock, try the other,\n"
     "   back off and retry, in lockstep.  They never block, so this is no\n"
     "   deadlock: the watchdog sees their CPU time climb while progress\n"
     "   stands still.\n",
     "livelock/polite-trylock", VARIANT_BROKEN, TL_TOOL_RUN},
    {"\n6. A thread leak.  Threads started and never joined keep their stacks\n"
     "   mapped (address space, not memory in use); the program counts them\n"
     "   in /proc/self/maps:\n",
     "leak/unjoined", VARIANT_BROKEN, TL_TOOL_RUN},
    {"\n   Memcheck sees the same leak from the heap: glibc allocates a small\n"
     "   block for each thread (its DTV, the table of its thread-local\n"
     "   storage), and for the threads nobody joined it finds those blocks\n"
     "   possibly lost:\n",
     "leak/unjoined", VARIANT_BROKEN, TL_TOOL_MEMCHECK},
    {"\n7. Looking from outside.  threadstat reads a live process's threads\n"
     "   from /proc; its doctor reads who owns each mutex a thread waits for\n"
     "   from the process's memory, and names the cycle.  --hold keeps the\n"
     "   deadlocked lab at its hang so there is something to look at:\n",
     "deadlock/lock-order", VARIANT_BROKEN, TOUR_DOCTOR},
};

static int cmd_tour(int argc, char **argv)
{
	struct runner_args a;
	runner_args_start(&a, &runner_cmd_tour, argc, argv);
	if (runner_next_option(&a))
		return a.status;
	struct labs labs;
	if (labs_load(&labs))
		return RUNNER_ERROR;
	bool ok = true;
	double start = tl_mono_ms();
	for (size_t i = 0; i < sizeof tour / sizeof tour[0]; i++) {
		const struct tour_step *t = &tour[i];
		if (t->text)
			say(t->text);
		if (t->tool == TOUR_DOCTOR)
			ok &= doctor_step(t->lab);
		else
			ok &= step(&labs, t->lab, t->variant, (enum tl_tool)t->tool);
	}
	printf("\nThat took %.0f s.\n", (tl_mono_ms() - start) / 1000);
	say("\nNext: threadlab list        every lab and its lesson\n"
	    "      threadlab show LAB    the lesson and the broken -> fixed diff\n"
	    "      threadlab help words  what the words above mean\n"
	    "      threadstat PID        the threads of any process (diagnostics/ in a build "
	    "tree)\n"
	    "      make check            every program under every detector\n");
	labs_free(&labs);
	if (!ok)
		say("\nThe tour did not go as its labs expect: see above.\n");
	return ok ? RUNNER_OK : RUNNER_FAIL;
}

const struct runner_command runner_cmd_tour = {
    "tour", "", "a guided run of the flagship labs", 0, 0, NULL, cmd_tour, false,
};
