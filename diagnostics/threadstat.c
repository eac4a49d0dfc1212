/* threadstat — what the threads of a process are doing, from /proc.
 *
 *   threadstat [OPTIONS] PID            one table (CPU% over --interval)
 *   threadstat --watch [OPTIONS] PID    a sample every --interval ms
 *   threadstat [OPTIONS] -- CMD ARGS    run CMD, sample it and its descendants to the end
 *   threadstat --tree [OPTIONS] PID     PID and every process it forks
 *   threadstat doctor [OPTIONS] PID     deadlock, livelock, idle, busy, leak?
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ts_doctor.h"
#include "ts_output.h"
#include "ts_plot.h"
#include "ts_sample.h"
#include "ts_track.h"
#include "ts_tree.h"
#include "tl_clock.h"
#include "tl_procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_USAGE = 2 };

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: threadstat [OPTIONS] PID            a table of the threads of PID\n"
	    "       threadstat --watch [OPTIONS] PID    sample PID every --interval ms\n"
	    "       threadstat [OPTIONS] -- CMD [ARG..] run CMD, sample it and every process it\n"
	    "                                           forks until they all exit\n"
	    "       threadstat --tree [OPTIONS] PID     PID and every process it forks\n"
	    "       threadstat doctor [--window MS] [--proc-root DIR] PID\n"
	    "                                           deadlock, livelock, stuck, idle, busy "
	    "or thread-leak\n"
	    "       threadstat doctor --help            the doctor's verdicts and exit codes\n"
	    "       threadstat --help | --version\n"
	    "options:\n"
	    "  -w, --watch            sample repeatedly (until PID ends, --count, or Ctrl-C)\n"
	    "  -i, --interval MS      time between samples; a table's CPU%% window\n"
	    "                         (default 200 for a table, 1000 with --watch, 100 with --)\n"
	    "  -n, --count N          stop after N samples\n"
	    "  -f, --format FMT       table, csv or json (one JSON object per sample)\n"
	    "  -o, --columns LIST     %s\n"
	    "                         (default: all for a table, cheap with --watch or --)\n"
	    "  -t, --tree             follow PID's child processes too (always with -- CMD)\n"
	    "      --no-children      -- CMD: sample CMD's own process only\n"
	    "  -p, --plot FILE.png    draw CPU per thread, threads and RSS over time (gnuplot)\n"
	    "  -O, --output FILE      write the samples to FILE instead of standard output\n"
	    "      --window MS        doctor: how long to watch for progress (default 500)\n"
	    "      --proc-root DIR    read DIR instead of /proc (for recorded trees)\n"
	    "      --stacks           doctor: every thread's call stack, with file:line\n"
	    "      --no-stacks        doctor: never stop a thread, not even on a hang\n"
	    "  -h, --help             this text\n"
	    "      --version          threadstat's version\n",
	    ts_cols_names());
}

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("threadstat: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (threadstat --help)\n", stderr);
	exit(EXIT_USAGE);
}

/* A whole decimal number in [lo, hi], or a usage error naming `what`. */
static long parse_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
		fprintf(stderr,
		        "threadstat: %s must be a whole number from %ld to %ld, not '%.40s' "
		        "(threadstat --help)\n",
		        what, lo, hi, s);
		exit(EXIT_USAGE);
	}
	return v;
}

static pid_t parse_pid(const char *s)
{
	return (pid_t)parse_num(s, 1, INT_MAX, "PID");
}

/* Sleeps until *deadline (monotonic), then moves it on by ms.  Returns
 * false when a stop signal came. */
static bool wait_until(struct timespec *deadline, long ms)
{
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR)
		if (stop_signal)
			return false;
	tl_timespec_add_ms(deadline, ms);
	return !stop_signal;
}

struct run {
	const char *proc_root;
	long interval_ms;
	long count; /* 0: no limit */
	bool watch;
	bool tree;    /* follow child processes */
	long written; /* samples written (sample_loop) */
	const char *plot;
	struct ts_out out;
	struct ts_track track;
	struct ts_tree procs; /* with tree */
};

/* Milliseconds from now to the monotonic deadline, at least 0. */
static int ms_until(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

static int plot_if_asked(struct run *r)
{
	const struct ts_track *tr = &r->track;

	if (r->plot == NULL)
		return 0;
	/* A chart has one process: of a tree, the one that used most CPU. */
	for (size_t i = 0; r->tree && i < r->procs.n; i++)
		if (tr == &r->track || r->procs.p[i].cpu_ms > r->procs.p[0].cpu_ms)
			tr = &r->procs.p[i].track;
	if (ts_plot(tr, r->plot) != 0)
		return 1;
	fprintf(stderr, "threadstat: chart written to %s (%zu samples", r->plot, tr->ns);
	if (r->tree)
		fprintf(stderr, " of process %d", (int)tr->pid);
	fprintf(stderr, ")\n");
	return 0;
}

/* ------------------------------------------------------------------ PID */

static int snapshot(struct run *r, pid_t pid)
{
	struct ts_sampler *sm;
	const struct ts_sample *s;
	struct timespec deadline;
	int rc;

	if (r->interval_ms == 0)
		r->out.cols &= ~(1u << TS_COL_CPU_PCT);
	rc = ts_sampler_open(&sm, r->proc_root, pid, ts_cols_fields(r->out.cols));
	if (rc != 0)
		return ts_unreadable(pid, rc);
	rc = ts_sampler_take(sm, &s);
	if (rc == 0 && r->interval_ms > 0) {
		deadline = tl_deadline_after(r->interval_ms);
		if (!wait_until(&deadline, 0)) {
			ts_sampler_close(sm);
			return 130;
		}
		rc = ts_sampler_take(sm, &s);
	}
	if (rc != 0) {
		ts_sampler_close(sm);
		if (rc == -ESRCH) {
			fprintf(stderr, "threadstat: process %d ended\n", (int)pid);
			return 1;
		}
		return ts_unreadable(pid, rc);
	}
	ts_out_sample(&r->out, s);
	if (ts_sampler_denied(sm) & TS_READ_SYSCALL)
		fprintf(stderr,
		        "threadstat: may not read the system calls of process %d (ptrace rules): "
		        "WAIT shows wchan only\n",
		        (int)pid);
	ts_sampler_close(sm);
	return 0;
}

/* Samples until the process ends, --count samples, or a signal.  The
 * first sample is a baseline for CPU% and is not written.  Returns 0, or 1
 * when sampling failed. */
static int sample_loop(struct run *r, pid_t pid, int pidfd)
{
	struct ts_sampler *sm;
	const struct ts_sample *s;
	struct timespec deadline;
	long taken = 0;
	int rc;

	rc = ts_sampler_open(&sm, r->proc_root, pid, ts_cols_fields(r->out.cols));
	if (rc != 0)
		return pidfd >= 0 && (rc == -ENOENT || rc == -ESRCH) ? 0 : ts_unreadable(pid, rc);
	deadline = tl_deadline_after(r->interval_ms);
	for (;;) {
		rc = ts_sampler_take(sm, &s);
		if (rc == -ESRCH)
			break;
		if (rc != 0) {
			ts_sampler_close(sm);
			return ts_unreadable(pid, rc);
		}
		if (taken > 0) {
			ts_out_sample(&r->out, s);
			r->written++;
			/* The history is for a chart or a summary only. */
			if ((r->plot != NULL || pidfd >= 0) && ts_track_add(&r->track, s) != 0) {
				fprintf(stderr, "threadstat: out of memory\n");
				ts_sampler_close(sm);
				return 1;
			}
		}
		taken++;
		if (r->count > 0 && taken > r->count)
			break;
		if (pidfd >= 0) {
			/* Wait for the next sample, or wake up early when
			 * the command ends. */
			struct pollfd p = {.fd = pidfd, .events = POLLIN};

			if (poll(&p, 1, ms_until(&deadline)) > 0)
				break;
			tl_timespec_add_ms(&deadline, r->interval_ms);
		} else if (!wait_until(&deadline, r->interval_ms)) {
			break;
		}
		if (stop_signal)
			break;
	}
	fflush(r->out.f);
	ts_sampler_close(sm);
	return 0;
}

static int watch(struct run *r, pid_t pid)
{
	int rc = sample_loop(r, pid, -1);

	if (rc == 0 && !stop_signal && (r->count == 0 || r->written < r->count) &&
	    r->out.format == TS_FORMAT_TABLE)
		fprintf(stderr, "threadstat: process %d ended\n", (int)pid);
	if (rc == 0)
		rc = plot_if_asked(r);
	return rc;
}

/* ------------------------------------------------------------------ --tree */

/* One table of the tree (--tree without --watch): a baseline sample, then
 * one --interval later, written. */
static int tree_snapshot(struct run *r, pid_t pid)
{
	struct timespec deadline;
	int rc = ts_tree_open(&r->procs, r->proc_root, pid, ts_cols_fields(r->out.cols));

	if (rc != 0)
		return ts_unreadable(pid, rc);
	if ((rc = ts_tree_tick(&r->procs, r->interval_ms > 0 ? NULL : &r->out)) == 0 &&
	    r->interval_ms > 0) {
		deadline = tl_deadline_after(r->interval_ms);
		if (!wait_until(&deadline, 0))
			return 130;
		rc = ts_tree_tick(&r->procs, &r->out);
	}
	if (rc != 0) {
		fprintf(stderr, "threadstat: out of memory\n");
		return 1;
	}
	if (ts_tree_live(&r->procs) == 0) {
		fprintf(stderr, "threadstat: process %d ended\n", (int)pid);
		return 1;
	}
	return 0;
}

/* --tree --watch: until every process of the tree has ended, --count
 * samples, or a signal. */
static int tree_watch(struct run *r, pid_t pid)
{
	struct timespec deadline;
	int rc = ts_tree_open(&r->procs, r->proc_root, pid, ts_cols_fields(r->out.cols));

	if (rc != 0)
		return ts_unreadable(pid, rc);
	deadline = tl_deadline_after(r->interval_ms);
	for (;;) {
		if (ts_tree_tick(&r->procs, r->procs.ticks > 0 ? &r->out : NULL) != 0) {
			fprintf(stderr, "threadstat: out of memory\n");
			return 1;
		}
		fflush(r->out.f);
		if (ts_tree_live(&r->procs) == 0) {
			if (r->out.format == TS_FORMAT_TABLE)
				fprintf(stderr, "threadstat: process %d and its children ended\n",
				        (int)pid);
			break;
		}
		if (r->count > 0 && (long)r->procs.ticks > r->count)
			break;
		if (!wait_until(&deadline, r->interval_ms))
			break;
	}
	return 0;
}

static double ru_seconds(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

/* Waits for every child that has ended (WNOHANG), or for all of them
 * (block), recording each in the tree: its own CPU is wait4's rusage less
 * what its children used (its zombie's cutime + cstime, read before the
 * wait).  Sets *status when the command is among them.  Returns true when
 * no child is left. */
static bool reap(struct run *r, pid_t cmd, int *status, bool *cmd_done, bool block)
{
	long hz = ts_clk_tck();

	for (;;) {
		siginfo_t si;
		struct tl_task_stat st;
		struct rusage ru;
		bool have_stat;
		unsigned long long kids_ms = 0, total_ms;
		int wst;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | (block ? 0 : WNOHANG)) != 0) {
			if (errno == EINTR && !block)
				return false;
			if (errno == EINTR)
				continue;
			return true; /* ECHILD: the whole tree has been waited for */
		}
		if (si.si_pid == 0)
			return false;
		have_stat = tl_procfs_read_proc_stat(NULL, si.si_pid, &st) == 0;
		if (have_stat)
			kids_ms = st.children_time * 1000 / (unsigned long long)hz;
		while (wait4(si.si_pid, &wst, 0, &ru) < 0 && errno == EINTR)
			;
		total_ms = (unsigned long long)(ru_seconds(&ru) * 1000.0 + 0.5);
		if (ts_tree_reaped(&r->procs, si.si_pid, have_stat ? st.starttime : 0,
		                   have_stat ? st.comm : NULL,
		                   total_ms > kids_ms ? total_ms - kids_ms : 0, kids_ms) != 0)
			fprintf(stderr, "threadstat: out of memory\n");
		if (si.si_pid == cmd) {
			*status = wst;
			*cmd_done = true;
		}
	}
}

/* -- CMD, following its tree: samples until every descendant has ended
 * (threadstat is their subreaper, so orphans come back to it), --count
 * samples, or a signal (passed on to the command).  *status is the
 * command's. */
static void tree_command_loop(struct run *r, pid_t cmd, int sigfd, int *status)
{
	struct timespec deadline;
	bool cmd_done = false, all_done = false;
	int rc;

	rc = ts_tree_open(&r->procs, r->proc_root, cmd, ts_cols_fields(r->out.cols));
	if (rc == -ENOMEM) {
		fprintf(stderr, "threadstat: out of memory\n");
		all_done = reap(r, cmd, status, &cmd_done, true);
	}
	/* Otherwise it may have ended already: what it was is found when it
	 * is waited for. */
	r->procs.self_children = true;
	deadline = tl_deadline_after(r->interval_ms);
	while (!all_done && !stop_signal) {
		if (ts_tree_tick(&r->procs, r->procs.ticks > 0 ? &r->out : NULL) != 0) {
			fprintf(stderr, "threadstat: out of memory\n");
			break;
		}
		if (reap(r, cmd, status, &cmd_done, false))
			break;
		if (r->count > 0 && (long)r->procs.ticks > r->count)
			break;
		/* Until the next sample, wait for the children as they end:
		 * the sooner, the likelier their zombie still shows their
		 * parent's and their own last times. */
		for (;;) {
			struct pollfd p = {.fd = sigfd, .events = POLLIN};
			struct signalfd_siginfo ssi;
			int n = poll(&p, 1, ms_until(&deadline));

			if (n <= 0 || stop_signal)
				break;
			while (read(sigfd, &ssi, sizeof(ssi)) > 0)
				;
			if ((all_done = reap(r, cmd, status, &cmd_done, false)))
				break;
		}
		tl_timespec_add_ms(&deadline, r->interval_ms);
	}
	fflush(r->out.f);
	if (stop_signal && !cmd_done)
		kill(cmd, stop_signal); /* pass Ctrl-C or a TERM on to the command */
	while (!all_done && !cmd_done) {
		all_done = reap(r, cmd, status, &cmd_done, true);
		if (stop_signal && !cmd_done)
			kill(cmd, stop_signal);
	}
	if (!stop_signal && !all_done)
		(void)reap(r, cmd, status, &cmd_done, true);
	ts_tree_finish(&r->procs);
}

/* ------------------------------------------------------------------ -- CMD */

static void tree_summary(const struct run *r, double tree_cpu_s);

static void summary(const struct run *r, char **cmd, int status, double wall_s, double tree_cpu_s)
{
	const struct ts_track *tr = &r->track;
	size_t *idx, shown;
	char name[128];
	FILE *f = stderr;

	fprintf(f, "\nthreadstat: %s ran %.3f s and ", cmd[0], wall_s);
	if (WIFEXITED(status))
		fprintf(f, "exited with %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(f, "was killed by signal %d (%s)", WTERMSIG(status),
		        strsignal(WTERMSIG(status)));
	if (r->tree) {
		fprintf(f, "; %zu samples, one every %ld ms\n", r->procs.ticks, r->interval_ms);
		tree_summary(r, tree_cpu_s);
		return;
	}
	fprintf(f, "; %zu samples, one every %ld ms\n", tr->ns, r->interval_ms);
	if (tr->ns == 0) {
		fprintf(f, "  (it ended before a second sample: nothing to sum up)\n");
		return;
	}
	fprintf(f, "  threads: %zu seen, at most %ld at once; peak RSS %.1f MiB\n", tr->n,
	        tr->max_threads, (double)tr->max_rss_kb / 1024.0);
	idx = ts_track_by_cpu(tr);
	if (idx == NULL) {
		fprintf(f, "  (out of memory: no table of threads)\n");
		return;
	}
	fprintf(f, "  %8s %-16s %9s %17s\n", "TID", "NAME", "CPU", "SEEN (s)");
	shown = tr->n < 20 ? tr->n : 20;
	for (size_t i = 0; i < shown; i++) {
		const struct ts_track_thread *t = &tr->th[idx[i]];

		ts_name_clean(name, sizeof(name), t->name);
		fprintf(f, "  %8d %-16s %8.2fs %8.2f-%-8.2f%s\n", (int)t->tid, name,
		        (double)t->cpu_ms / 1000.0, (double)t->first_ns / 1e9,
		        (double)t->last_ns / 1e9, t->ended ? " ended" : "");
	}
	if (shown < tr->n)
		fprintf(f, "  ... and %zu more threads\n", tr->n - shown);
	free(idx);
}

static const char *cpu_source(enum ts_proc_cpu how)
{
	switch (how) {
	case TS_CPU_REAPED:
		return "at exit (wait4)";
	case TS_CPU_ZOMBIE:
		return "at exit (zombie)";
	case TS_CPU_LAST_SEEN:
		return "last sample";
	default:
		return "running";
	}
}

/* The threads of one process, busiest first, under its row. */
static void summary_threads(FILE *f, const struct ts_proc *p)
{
	const struct ts_track *tr = &p->track;
	size_t *idx = ts_track_by_cpu(tr), shown;
	char name[128];

	if (idx == NULL) {
		fprintf(f, "      (out of memory: no table of threads)\n");
		return;
	}
	shown = tr->n < 20 ? tr->n : 20;
	for (size_t i = 0; i < shown; i++) {
		const struct ts_track_thread *t = &tr->th[idx[i]];

		ts_name_clean(name, sizeof(name), t->name);
		fprintf(f, "    %8d %-14s %8.2f-%-8.2f %8.2fs%s\n", (int)t->tid, name,
		        (double)(p->first_ns + t->first_ns) / 1e9,
		        (double)(p->first_ns + t->last_ns) / 1e9, (double)t->cpu_ms / 1000.0,
		        t->ended ? "             ended" : "");
	}
	if (shown < tr->n)
		fprintf(f, "      ... and %zu more threads\n", tr->n - shown);
	free(idx);
}

/* The summary of -- CMD with its tree: a row per process, its threads under
 * it, and the tree's totals, measured (rows) and counted by the kernel
 * (rusage of everything threadstat waited for). */
static void tree_summary(const struct run *r, double tree_cpu_s)
{
	const struct ts_tree *t = &r->procs;
	size_t threads = 0, at_exit = 0;
	unsigned long long rows_ms = 0;
	char name[128];
	FILE *f = stderr;

	for (size_t i = 0; i < t->n; i++) {
		threads += t->p[i].track.n;
		at_exit += t->p[i].only_at_exit;
		rows_ms += t->p[i].cpu_ms;
	}
	fprintf(f,
	        "  processes: %zu (%zu found only at exit); threads: %zu seen, at most %ld at "
	        "once; peak RSS of the tree %.1f MiB\n",
	        t->n, at_exit, threads, t->max_threads, (double)t->max_rss_kb / 1024.0);
	fprintf(f, "  CPU: %.2f s in the processes below; %.2f s used by the whole tree (rusage)",
	        (double)rows_ms / 1000.0, tree_cpu_s);
	if (tree_cpu_s * 1000.0 > (double)rows_ms + 0.5)
		fprintf(f, "; %.2f s not seen by sampling", tree_cpu_s - (double)rows_ms / 1000.0);
	fputc('\n', f);
	fprintf(f, "  %8s %-16s %-17s %9s %10s  %s\n", "PID", "COMMAND", "SEEN (s)", "CPU",
	        "PEAK RSS", "CPU FROM");
	fprintf(f, "    %8s %-14s   (the threads of each process, under it)\n", "TID", "NAME");
	for (size_t i = 0; i < t->n; i++) {
		const struct ts_proc *p = &t->p[i];

		ts_name_clean(name, sizeof(name), p->name);
		fprintf(f, "  %8d %-16s %8.2f-%-8.2f %8.2fs %6.1f MiB  %s\n", (int)p->pid, name,
		        (double)p->first_ns / 1e9, (double)p->last_ns / 1e9,
		        (double)p->cpu_ms / 1000.0, (double)p->peak_rss_kb / 1024.0,
		        cpu_source(p->how));
		summary_threads(f, p);
	}
	if (at_exit > 0 || tree_cpu_s * 1000.0 > (double)rows_ms + 0.5)
		fprintf(f,
		        "  (not seen: what a process used after its last sample, unless it was "
		        "seen at exit;\n"
		        "   and the processes that started and ended between samples, waited for "
		        "by their own parent)\n");
}

static int run_command(struct run *r, char **cmd)
{
	int pipefd[2], pidfd = -1, sigfd = -1, status = 0, err = 0;
	struct timespec t0, t1;
	struct rusage ru;
	sigset_t chld, old;
	ssize_t n;
	pid_t child;

	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		fprintf(stderr, "threadstat: pipe: %s\n", strerror(errno));
		return 1;
	}
	if (r->tree) {
		/* Orphans of the tree become our children, so that they can be
		 * waited for and their rusage counted; SIGCHLD, through a
		 * signalfd, says when one ends. */
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
			fprintf(stderr, "threadstat: PR_SET_CHILD_SUBREAPER: %s\n",
			        strerror(errno));
			return 1;
		}
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigprocmask(SIG_BLOCK, &chld, &old);
		sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
		if (sigfd < 0) {
			fprintf(stderr, "threadstat: signalfd: %s\n", strerror(errno));
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "threadstat: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (r->tree)
			sigprocmask(SIG_SETMASK, &old, NULL);
		close(pipefd[0]);
		execvp(cmd[0], cmd);
		err = errno;
		(void)!write(pipefd[1], &err, sizeof(err));
		_exit(127);
	}
	close(pipefd[1]);
	/* The pipe closes on a successful exec: from then on the child is
	 * the command (no samples of threadstat's own fork). */
	while ((n = read(pipefd[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(err)) {
		waitpid(child, &status, 0);
		fprintf(stderr, "threadstat: cannot run %s: %s\n", cmd[0], strerror(err));
		return 127;
	}
	if (r->tree) {
		tree_command_loop(r, child, sigfd, &status);
		close(sigfd);
	} else {
		pidfd = (int)syscall(SYS_pidfd_open, child, 0);
		if (pidfd < 0) {
			fprintf(stderr, "threadstat: pidfd_open: %s\n", strerror(errno));
			kill(child, SIGKILL);
			waitpid(child, &status, 0);
			return 1;
		}
		(void)sample_loop(r, child, pidfd);
		if (stop_signal)
			kill(child, stop_signal); /* pass Ctrl-C or a TERM on to the command */
		while (waitpid(child, &status, 0) < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "threadstat: waitpid: %s\n", strerror(errno));
				close(pidfd);
				return 1;
			}
			if (stop_signal)
				kill(child, stop_signal);
		}
		close(pidfd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Before any gnuplot: the rusage of the command's tree alone. */
	getrusage(RUSAGE_CHILDREN, &ru);
	summary(r, cmd, status,
	        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	        ru_seconds(&ru));
	if (plot_if_asked(r) != 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ------------------------------------------------------------------ doctor */

static int doctor_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"window", required_argument, NULL, 'W'}, {"proc-root", required_argument, NULL, 'R'},
	    {"stacks", no_argument, NULL, 'S'},       {"no-stacks", no_argument, NULL, 'N'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct ts_doctor_opts o = {.proc_root = NULL, .window_ms = 500};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'W':
			o.window_ms = parse_num(optarg, 50, 60000, "--window");
			break;
		case 'R':
			o.proc_root = optarg;
			break;
		case 'S':
			o.stacks = true;
			break;
		case 'N':
			o.no_stacks = true;
			break;
		case 'h':
			printf(
			    "usage: threadstat doctor [--window MS] [--proc-root DIR] PID\n"
			    "Watches PID for --window ms (default 500) and says what it is doing:\n"
			    "deadlock (names the cycle of threads and mutexes), livelock, stuck\n"
			    "(every thread in an untimed wait only another of its threads could "
			    "end),\n"
			    "idle, busy, serialised (busy behind one mutex: names its holder and "
			    "waiters),\n"
			    "thread-leak.  Exit 0 idle, busy or serialised, 4 deadlock or stuck, "
			    "5 livelock,\n"
			    "6 thread leak, 1 when the process cannot be read.\n"
			    "On a deadlock, stuck or livelock it reads the stacks of the threads "
			    "concerned\n"
			    "(ptrace stops each for a moment) and names the line each waits at.\n"
			    "  --window MS      how long to watch (50 to 60000, default 500)\n"
			    "  --proc-root DIR  read DIR instead of /proc (a recorded tree: no "
			    "stacks)\n"
			    "  --stacks         every thread's call stack, whatever the verdict\n"
			    "  --no-stacks      no stacks: never stop a thread\n");
			return 0;
		default:
			fprintf(stderr, "threadstat: usage: threadstat doctor [--window MS] "
			                "[--proc-root DIR] PID\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr,
		        "threadstat: doctor takes exactly one PID (threadstat doctor --help)\n");
		return EXIT_USAGE;
	}
	return ts_doctor(parse_pid(argv[optind]), &o, stdout);
}

/* ------------------------------------------------------------------ main */

/* The command line, parsed and checked: everything but the PID, which is
 * read when it is used. */
struct opts {
	const char *proc_root;
	long interval_ms;
	long count; /* 0: no limit */
	bool watch;
	bool dashdash;    /* -- CMD [ARG..] */
	bool tree;        /* --tree */
	bool no_children; /* --no-children */
	enum ts_format format;
	unsigned cols;
	const char *plot;
	const char *output; /* NULL: standard output */
	char **args;        /* PID, or CMD [ARG..] */
};

static enum ts_format parse_format(const char *s)
{
	if (strcmp(s, "table") == 0)
		return TS_FORMAT_TABLE;
	if (strcmp(s, "csv") == 0)
		return TS_FORMAT_CSV;
	if (strcmp(s, "json") == 0)
		return TS_FORMAT_JSON;
	die_usage("--format must be table, csv or json, not '%.40s'", s);
}

static unsigned parse_columns(const char *list)
{
	unsigned cols;
	char bad[48];

	if (ts_cols_parse(list, &cols, bad, sizeof(bad)) != 0)
		die_usage("unknown column '%s'", bad);
	if (cols == 0)
		die_usage("%s", "no columns");
	return cols;
}

/* The options up to the PID or the command.  Exits on --help, --version
 * and any usage error. */
static void parse_options(int argc, char **argv, struct opts *o, const char **columns)
{
	static const struct option longopts[] = {
	    {"watch", no_argument, NULL, 'w'},
	    {"interval", required_argument, NULL, 'i'},
	    {"count", required_argument, NULL, 'n'},
	    {"format", required_argument, NULL, 'f'},
	    {"columns", required_argument, NULL, 'o'},
	    {"plot", required_argument, NULL, 'p'},
	    {"output", required_argument, NULL, 'O'},
	    {"proc-root", required_argument, NULL, 'R'},
	    {"tree", no_argument, NULL, 't'},
	    {"no-children", no_argument, NULL, 'C'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:wi:n:f:o:p:O:th", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			o->watch = true;
			break;
		case 'i':
			o->interval_ms = parse_num(optarg, 0, 3600000, "--interval");
			break;
		case 'n':
			o->count = parse_num(optarg, 1, 100000000, "--count");
			break;
		case 'f':
			o->format = parse_format(optarg);
			break;
		case 'o':
			*columns = optarg;
			break;
		case 'p':
			o->plot = optarg;
			break;
		case 'O':
			o->output = optarg;
			break;
		case 'R':
			o->proc_root = optarg;
			break;
		case 't':
			o->tree = true;
			break;
		case 'C':
			o->no_children = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("threadstat %s\n", PACKAGE_VERSION);
			exit(0);
		case ':':
			die_usage("%s needs a value", argv[optind - 1]);
		default:
			die_usage("unknown option '%.40s'", argv[optind - 1]);
		}
	}
}

/* Fills o from the command line (not the doctor's).  Exits on --help,
 * --version and any usage error. */
static void parse_args(int argc, char **argv, struct opts *o)
{
	const char *columns = NULL;

	memset(o, 0, sizeof(*o));
	o->interval_ms = -1;
	o->format = TS_FORMAT_TABLE;
	parse_options(argc, argv, o, &columns);
	o->dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
	if (o->dashdash) {
		if (optind >= argc)
			die_usage("%s", "-- needs a command to run");
	} else if (optind != argc - 1) {
		die_usage("%s", optind >= argc ? "a PID is needed" : "only one PID, please");
	}
	o->args = argv + optind;

	if (columns != NULL)
		o->cols = parse_columns(columns);
	else
		o->cols = o->watch || o->dashdash ? ts_cols_cheap() : TS_COLS_ALL;
	if (o->interval_ms < 0)
		o->interval_ms = o->dashdash ? 100 : o->watch ? 1000 : 200;
	if (o->count > 0 && !o->watch && !o->dashdash)
		die_usage("%s", "--count needs --watch");
	if (o->plot != NULL && !o->watch && !o->dashdash)
		die_usage("%s", "--plot needs --watch or -- CMD (a chart is drawn over time)");
	if (o->no_children && !o->dashdash)
		die_usage("%s",
		          "--no-children goes with -- CMD (a PID is followed alone unless --tree)");
	if (o->no_children && o->tree)
		die_usage("%s", "--tree and --no-children contradict each other");
	if (o->dashdash)
		o->tree = !o->no_children;
}

/* Where the samples go: --output, standard output, or nowhere for -- CMD
 * without --watch (the command's own output is on stdout).  NULL when it
 * cannot be opened (said on stderr). */
static FILE *open_output(const struct opts *o)
{
	FILE *f;

	if (o->output == NULL && !(o->dashdash && !o->watch))
		return stdout;
	f = fopen(o->output ? o->output : "/dev/null", "w");
	if (f == NULL) {
		if (o->output != NULL)
			fprintf(stderr, "threadstat: cannot write %s: %s\n", o->output,
			        strerror(errno));
		else
			fprintf(stderr, "threadstat: /dev/null: %s\n", strerror(errno));
	}
	return f;
}

static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run r;
	int rc;

	if (argc > 1 && strcmp(argv[1], "doctor") == 0)
		return doctor_main(argc - 1, argv + 1);
	parse_args(argc, argv, &o);

	memset(&r, 0, sizeof(r));
	r.proc_root = o.proc_root;
	r.interval_ms = o.interval_ms;
	r.count = o.count;
	r.watch = o.watch;
	r.tree = o.tree;
	r.plot = o.plot;
	r.out.format = o.format;
	r.out.cols = o.cols;
	r.out.watch = o.watch || o.dashdash;
	r.out.interval_ms = o.interval_ms;
	r.out.f = open_output(&o);
	if (r.out.f == NULL)
		return 1;
	catch_stop_signals();

	if (o.dashdash)
		rc = run_command(&r, o.args);
	else if (o.tree && o.watch)
		rc = tree_watch(&r, parse_pid(o.args[0]));
	else if (o.tree)
		rc = tree_snapshot(&r, parse_pid(o.args[0]));
	else if (o.watch)
		rc = watch(&r, parse_pid(o.args[0]));
	else
		rc = snapshot(&r, parse_pid(o.args[0]));
	ts_track_free(&r.track);
	ts_tree_free(&r.procs);
	if (fflush(r.out.f) != 0 || (r.out.f != stdout && fclose(r.out.f) != 0)) {
		if (errno != EPIPE) {
			fprintf(stderr, "threadstat: write error: %s\n", strerror(errno));
			return 1;
		}
	}
	return rc;
}
