/* runner_try — `threadlab try FILE.c ...`: build a learner's program as the
 * labs are built, run it natively under a hang analysis, then under every
 * detector, print one row per tool and ONE weighed verdict
 * (runner_try_weigh.c), with the lab that teaches its class.
 *
 * Everything it makes lives in one temporary directory (mkdtemp under
 * $TMPDIR), which is also the children's TMPDIR and working directory, and
 * which goes at exit, also on SIGINT and SIGTERM: the handler kills the
 * process groups that are running, and the main flow, which polls for the
 * signal between steps and in every child's watch, removes the directory
 * and dies of the same signal.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <inttypes.h>
#include <json.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "runner_try.h"
#include "tl_clock.h"
#include "tl_exit.h"
#include "tl_perturb.h"
#include "tl_procfs.h"
#include "tl_sigpass.h"
#include "tl_watchdog.h"
#include "ts_doctor.h"

/* How the labs are built (configure's compiler and flags, from Makefile.am). */
#ifndef TL_TRY_CC
#define TL_TRY_CC "cc"
#endif
#ifndef TL_TRY_CFLAGS
#define TL_TRY_CFLAGS "-O1 -g -gdwarf-4"
#endif
#ifndef TL_TRY_TSAN_CFLAGS
#define TL_TRY_TSAN_CFLAGS "-fsanitize=thread -O1 -g"
#endif
#ifndef TL_TRY_LIBS
#define TL_TRY_LIBS ""
#endif

#define TRY_DEFAULT_TIMEOUT_S 20
#define TRY_MAX_OUTPUT        ((size_t)1024 * 1024) /* kept per stream of a run */
#define TRY_MAX_SOURCES       32
#define TRY_MAX_ARGS          256
#define TRY_TICK_MS           100
#define TRY_MAX_THREADS       512
#define TRY_MAX_OWNED         40 /* flag strings per command line */

enum {
	OPT_CFLAGS = RUNNER_OPT_LONG,
	OPT_LDFLAGS,
	OPT_TIMEOUT,
	OPT_FORMAT,
	OPT_CHECK_HEADER,
	OPT_PERTURB
};
#define TRY_MAX_SEEDS 256

static const struct runner_option try_options[] = {
    {"cflags", OPT_CFLAGS, "FLAGS", "more compiler flags, split at spaces (-I..., -D...)"},
    {"ldflags", OPT_LDFLAGS, "FLAGS", "more linker flags, split at spaces (-lcurl ...)"},
    {"timeout", OPT_TIMEOUT, "S",
     "the native run's time limit in seconds, 1 to 3600 (default 20; detectors get it "
     "times their slowdown)"},
    {"format", OPT_FORMAT, "F", "text (the default) or json"},
    {"perturb", OPT_PERTURB, "K",
     "when TSan and the native run find nothing, re-run the TSan build under schedule "
     "perturbation with seeds 1 to K, 0 to 256 (default 16; 0: not at all)"},
    {"check-header", OPT_CHECK_HEADER, NULL,
     "FILE is a lab source: compare each tool and the verdict with its expect lines"},
    {0},
};

/* ------------------------------------------------------------ the temp dir */

static char try_dir[PATH_MAX];
static volatile sig_atomic_t interrupted;
/* The process groups running now (one per job), for the signal handler. */
#define TRY_SLOTS 8
static _Atomic int running[TRY_SLOTS];

static void on_signal(int sig)
{
	interrupted = sig;
	tl_spawn_kill_all(); /* every detector run, as the runner's own handler does */
	for (int i = 0; i < TRY_SLOTS; i++) {
		int pid = atomic_load(&running[i]);
		if (pid > 0)
			kill(-pid, SIGKILL);
	}
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void remove_dir(void)
{
	if (try_dir[0])
		nftw(try_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	try_dir[0] = '\0';
}

/* After a SIGINT or SIGTERM: clean up and die of it. */
static void die_if_interrupted(void)
{
	if (!interrupted)
		return;
	int sig = interrupted;
	remove_dir();
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

static int make_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(try_dir, sizeof try_dir, "%s/threadlab-try.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(try_dir)) {
		runner_error("try: cannot make a temporary directory in %s: %s",
		             tmp && *tmp ? tmp : "/tmp", strerror(errno));
		try_dir[0] = '\0';
		return -1;
	}
	atexit(remove_dir);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return 0;
}

/* ------------------------------------------------------------ the watch */

/* What a watch keeps of a child: the window of the watchdog's rule. */
struct watch {
	bool native;       /* analyse a hang (else only end a run that sits idle) */
	bool idle_ends;    /* a stall ends the run (native: after the analysis) */
	int slot;          /* in running[] */
	uint64_t start_ns; /* the child's start */
	uint64_t limit_ns; /* the time limit (past it: analyse, end) */
	uint64_t window_ns;
	/* At the window's start: when, the blocking count, each thread's busy time. */
	bool window_set;
	uint64_t ws_ns;
	unsigned long long ws_vcsw;
	size_t ws_n;
	pid_t ws_tid[TRY_MAX_THREADS];
	uint64_t ws_busy[TRY_MAX_THREADS];
	bool analysed;        /* this stall */
	bool hung;            /* ended: no progress */
	bool past_limit;      /* ended: past its time limit */
	struct try_native *n; /* native: where the analysis goes */
	char report[4096];    /* the doctor's report */
};

/* One look: each thread's CPU + run-queue time and the blocks made so far. */
static int sample(pid_t pid, size_t *n, pid_t *tids, uint64_t *busy, unsigned long long *vcsw)
{
	int k = tl_procfs_list_tasks("/proc", pid, tids, TRY_MAX_THREADS);
	if (k < 0)
		return k;
	*n = (size_t)k < TRY_MAX_THREADS ? (size_t)k : TRY_MAX_THREADS;
	*vcsw = 0;
	for (size_t i = 0; i < *n; i++) {
		struct tl_task_sched ss = {0};
		struct tl_task_status st = {0};
		tl_procfs_read_schedstat("/proc", pid, tids[i], &ss);
		tl_procfs_read_status("/proc", pid, tids[i], &st);
		busy[i] = ss.cpu_ns + ss.wait_ns;
		*vcsw += st.vcsw;
	}
	return 0;
}

/* Where a hang waits: of the threads the verdict is about (a deadlock's
 * cycle, or every waiting thread when stuck), the first whose stack reaches
 * the program, at its innermost frame there. */
static void hang_place(const struct ts_diagnosis *d, struct try_native *n)
{
	for (size_t i = 0; i < d->nthreads; i++) {
		const struct ts_thread_diag *t = &d->threads[i];
		if (d->verdict == TS_VERDICT_DEADLOCK && t->cycle < 0)
			continue;
		if (t->where < 0 || (size_t)t->where >= t->nframes)
			continue;
		const struct ts_frame *f = &t->frames[t->where];
		if (f->file && f->line > 0) {
			snprintf(n->hang_file, sizeof n->hang_file, "%s", f->file);
			n->hang_line = f->line;
			return;
		}
	}
}

/* The doctor's diagnosis of pid into w->n (native runs): its verdict, the
 * lines of its report that say why, joined into one, and where it waits. */
static void analyse(struct watch *w, pid_t pid)
{
	struct try_native *n = w->n;
	struct ts_doctor_opts o = {.window_ms = TS_DOCTOR_WINDOW_MS};
	struct ts_diagnosis d;
	if (ts_diagnose(pid, &o, &d) == 1)
		return; /* it ended meanwhile */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f) {
		ts_diagnosis_print(&d, f);
		fclose(f);
	}
	snprintf(n->hang, sizeof n->hang, "%s", d.word);
	/* Every program linking libthreadlab exports tl_progress_counter; one
	 * that never moved it (no watchdog: a long computation, a perf lab
	 * under load) standing still says nothing of a livelock. */
	bool never_counted = d.counter_known && d.counter[0] == 0 && d.counter[1] == 0;
	if (d.verdict == TS_VERDICT_LIVELOCK && never_counted)
		snprintf(n->hang, sizeof n->hang, "busy");
	snprintf(w->report, sizeof w->report, "%s", text ? text : "");
	n->hang_why[0] = '\0';
	n->hang_line = 0;
	hang_place(&d, n);
	ts_diagnosis_free(&d);
	const char *p = text ? strchr(text, '\n') : NULL;
	for (int lines = 0; p && p[1] && lines < 6; lines++) {
		p++;
		size_t l = strcspn(p, "\n");
		size_t off = strlen(n->hang_why);
		const char *s = p;
		while (*s == ' ' && l)
			s++, l--;
		size_t hl = strlen(n->hang);
		if (!strncmp(s, n->hang, hl) && s[hl] == ':' && l > hl + 2)
			s += hl + 2, l -= hl + 2; /* "deadlock: 2 threads ..." */
		bool after_colon = off && n->hang_why[off - 1] == ':';
		if (strncmp(s, "pid ", 4) != 0)
			snprintf(n->hang_why + off, sizeof n->hang_why - off, "%s%.*s",
			         !off          ? ""
			         : after_colon ? " "
			                       : "; ",
			         (int)l, s);
		p = strchr(p, '\n');
	}
	free(text);
}

static bool decisive(const char *hang)
{
	return !strcmp(hang, "deadlock") || !strcmp(hang, "livelock") || !strcmp(hang, "stuck");
}

/* tl_spawn's watch: true ends the child's group. */
static bool watch_child(int pid, void *arg)
{
	struct watch *w = arg;
	atomic_store(&running[w->slot], pid);
	if (interrupted)
		return true;
	uint64_t now = tl_mono_ns();
	if (!w->start_ns)
		w->start_ns = now;
	pid_t tids[TRY_MAX_THREADS];
	uint64_t busy[TRY_MAX_THREADS];
	size_t nt = 0;
	unsigned long long vcsw = 0;
	if (w->limit_ns && now - w->start_ns >= w->limit_ns) {
		if (w->native && !decisive(w->n->hang))
			analyse(w, pid);
		w->past_limit = true;
		return true;
	}
	if (sample(pid, &nt, tids, busy, &vcsw) != 0)
		return false; /* it is ending */
	/* Progress: a thread blocked and woke, or threads came or went (under a
	 * detector only the latter: see below). */
	if (!w->window_set || (w->native && vcsw != w->ws_vcsw) || nt != w->ws_n) {
		w->window_set = true;
		w->ws_ns = now;
		w->ws_vcsw = vcsw;
		w->ws_n = nt;
		memcpy(w->ws_tid, tids, nt * sizeof *tids);
		memcpy(w->ws_busy, busy, nt * sizeof *busy);
		w->analysed = false;
		return false;
	}
	if (!w->idle_ends || now - w->ws_ns < w->window_ns)
		return false;
	uint64_t max_busy = 0;
	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < w->ws_n; j++)
			if (tids[i] == w->ws_tid[j] && busy[i] - w->ws_busy[j] > max_busy)
				max_busy = busy[i] - w->ws_busy[j];
	enum tl_stall stall = tl_watchdog_classify(0, max_busy, now - w->ws_ns);
	if (!w->native) {
		/* Under a detector, once the native run hung, a run that sits
		 * idle is ended early; what blocks and wakes without using the
		 * CPU (TSan's own thread does) is no progress here. */
		w->hung = stall == TL_STALL_DEADLOCK;
		return w->hung;
	}
	if (stall == TL_STALL_NONE || w->analysed)
		return false;
	/* No CPU, or CPU without a single block: look before ending it. */
	w->analysed = true;
	analyse(w, pid);
	w->hung = decisive(w->n->hang);
	return w->hung;
}

/* ------------------------------------------------------------ the runs */

struct source {
	char path[PATH_MAX]; /* absolute: the debug information names it so */
	char *text;          /* the file, for the source lines */
};

struct try_run {
	const char *what; /* "build", "build (TSan)", a tool's title */
	long timeout_ms;
	char *env[TL_PERTURB_ENV_COUNT + 4];
	char *owned[TRY_MAX_OWNED]; /* copies add_words split */
	struct outcome o;
	char *argv[TRY_MAX_ARGS + 1];
	struct watch w;
	int argc;
	int xml_fd; /* Valgrind's document, or -1 */
	int nowned;
	bool echo;
	bool skipped; /* not run: o.msg says why */
	char err[256];
};

struct try_ctx {
	struct source src[TRY_MAX_SOURCES];
	size_t nsrc;
	struct try_run build[2]; /* plain, TSan */
	struct try_run run[TL_TOOL_COUNT];
	struct tl_tool_command cmd[TL_TOOL_COUNT];
	char prog[PATH_MAX + 16], prog_tsan[PATH_MAX + 16];
	char tmpdir_env[PATH_MAX + 16];
	long timeout_s;
	double slowdown;
	bool json;
	struct try_native native;
	struct try_tool tools[TL_TOOL_COUNT];
	char doctor_report[4096];
	struct try_tool sigpass; /* the signal-handler pass's findings */
	/* Schedule perturbation: seeds 1..perturb_k under TSan. */
	long perturb_k;
	long perturb_runs;         /* seeds run */
	uint64_t perturb_seed;     /* the first that showed a race, or 0 */
	char perturb_note[256];    /* why it did not run, or stopped ("" otherwise) */
	char replay[2 * PATH_MAX]; /* the environment and program that replay the seed */
};

static void add_arg(struct try_run *r, const char *s)
{
	if (r->argc < TRY_MAX_ARGS)
		r->argv[r->argc++] = (char *)s;
	r->argv[r->argc] = NULL;
}

/* Adds each space-separated word of s; the words live in a copy the run
 * keeps. */
static void add_words(struct try_run *r, const char *s)
{
	if (r->nowned == TRY_MAX_OWNED)
		return;
	char *copy = strdup(s ? s : ""), *save = NULL;
	if (!copy)
		return;
	r->owned[r->nowned++] = copy;
	for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		add_arg(r, w);
}

static void run_one(size_t i, void *arg)
{
	struct try_run *r = ((struct try_run **)arg)[i];
	if (r->skipped || interrupted)
		return;
	r->w.slot = (int)i;
	struct tl_spawn_opts so = {
	    .argv = r->argv,
	    .env_add = r->env,
	    .timeout_ms = r->timeout_ms + 60000, /* the watch ends it first */
	    .xml_fd = -1,
	    .echo = r->echo,
	    .max_output = TRY_MAX_OUTPUT,
	    .watch = watch_child,
	    .watch_arg = &r->w,
	    .watch_ms = TRY_TICK_MS,
	};
	r->w.limit_ns = (uint64_t)r->timeout_ms * 1000000u;
	if (r->w.window_ns == 0)
		r->w.window_ns = r->w.limit_ns;
	so.xml_fd = r->xml_fd;
	if (tl_spawn(&so, &r->o.res) != 0) {
		r->o.error = true;
		snprintf(r->o.msg, sizeof r->o.msg, "%s",
		         r->o.res.err.data ? r->o.res.err.data : "could not start it");
	}
	atomic_store(&running[i], 0);
}

/* Runs the runs on up to `jobs` threads. */
static void run_all(struct try_run **runs, size_t n, int jobs)
{
	runner_jobs_run(n, jobs, run_one, NULL, runs);
	die_if_interrupted();
}

/* The first line of what a run wrote to stderr, for one-line messages. */
static void first_line(const tl_buf *b, char *out, size_t len)
{
	const char *s = b->data ? b->data : "";
	snprintf(out, len, "%.*s", (int)strcspn(s, "\n"), s);
}

static int build(struct try_ctx *c, char *const *cflags, size_t ncflags, char *const *ldflags,
                 size_t nldflags)
{
	const char *src = runner_srcdir(), *bld = runner_builddir();
	static char inc[PATH_MAX + 16], lib[2][PATH_MAX + 32];
	snprintf(inc, sizeof inc, "-I%s/src/lib", src);
	snprintf(lib[0], sizeof lib[0], "%s/src/lib/libthreadlab.a", bld);
	snprintf(lib[1], sizeof lib[1], "%s/src/lib/libthreadlab_tsan.a", bld);
	snprintf(c->prog, sizeof c->prog, "%s/program", try_dir);
	snprintf(c->prog_tsan, sizeof c->prog_tsan, "%s/program_tsan", try_dir);
	struct try_run *runs[2];
	size_t n = 0;
	for (int k = 0; k < 2; k++) {
		struct try_run *r = &c->build[k];
		r->what = k ? "the TSan build" : "the build";
		char why[256];
		if (k == 1 && !tl_tool_available(TL_TOOL_TSAN, why, sizeof why)) {
			r->skipped = true;
			snprintf(r->o.msg, sizeof r->o.msg, "%s", why);
			continue;
		}
		if (access(lib[k], R_OK) != 0) {
			runner_error("try: %s: %s (run make, or set THREADLAB_HOME)", lib[k],
			             strerror(errno));
			return -1;
		}
		add_words(r, TL_TRY_CC);
		if (k)
			add_words(r, TL_TRY_TSAN_CFLAGS);
		add_words(r, TL_TRY_CFLAGS);
		add_arg(r, "-pthread");
		add_arg(r, "-D_GNU_SOURCE");
		add_arg(r, inc);
		for (size_t i = 0; i < ncflags; i++)
			add_words(r, cflags[i]);
		add_arg(r, "-o");
		add_arg(r, k ? c->prog_tsan : c->prog);
		for (size_t i = 0; i < c->nsrc; i++)
			add_arg(r, c->src[i].path);
		add_arg(r, lib[k]);
		for (size_t i = 0; i < nldflags; i++)
			add_words(r, ldflags[i]);
		add_arg(r, "-pthread");
		if (k)
			add_arg(r, "-fsanitize=thread");
		add_words(r, TL_TRY_LIBS);
		r->env[0] = c->tmpdir_env;
		r->timeout_ms = 300000;
		r->w.window_ns = 0; /* no stall rule for the compiler: only its time limit */
		r->w.limit_ns = 0;
		/* The compiler's own messages as they come (the TSan build's would
		 * repeat them: shown only if it alone fails). */
		r->echo = k == 0 && !c->json;
		r->xml_fd = -1;
		runs[n++] = r;
	}
	run_all(runs, n, 2);
	struct try_run *plain = &c->build[0], *tsan = &c->build[1];
	if (plain->o.error || plain->o.res.exit_code || plain->o.res.term_signal ||
	    plain->o.res.stopped) {
		if (c->json || plain->o.error)
			fwrite(plain->o.res.err.data ? plain->o.res.err.data : "", 1,
			       plain->o.res.err.len, stderr);
		runner_error("try: the program did not build (%s exited with %d)", plain->argv[0],
		             plain->o.res.exit_code);
		return -1;
	}
	if (!tsan->skipped && (tsan->o.error || tsan->o.res.exit_code)) {
		char line[200];
		first_line(&tsan->o.res.err, line, sizeof line);
		snprintf(tsan->o.msg, sizeof tsan->o.msg, "the TSan build failed: %s", line);
		tsan->skipped = true;
	}
	return 0;
}

/* The text of line `line` of a source, trimmed, into out. */
static void source_line(const struct try_ctx *c, const char *file, int line, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < c->nsrc; i++) {
		if (strcmp(c->src[i].path, file) || !c->src[i].text || line < 1)
			continue;
		const char *p = c->src[i].text;
		for (int l = 1; l < line && p; l++)
			p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
		if (!p)
			return;
		while (*p == ' ' || *p == '\t')
			p++;
		snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p);
		return;
	}
}

/* What the stacks show that Helgrind and DRD misread. */
static void report_hint(const struct tl_report *r, const char *text, char *hint, size_t len)
{
	hint[0] = '\0';
	if (strstr(text, "atomic") || strstr(text, "_Atomic")) {
		snprintf(hint, len, "an atomic");
		return;
	}
	for (size_t s = 0; s < r->nstacks; s++)
		for (size_t f = 0; f < r->stacks[s].nframes; f++) {
			const char *fn = r->stacks[s].frames[f].func;
			if (fn && strstr(fn, "pthread_once")) {
				snprintf(hint, len, "pthread_once");
				return;
			}
			if (fn && (strstr(fn, "__atomic") || strstr(fn, "atomic_"))) {
				snprintf(hint, len, "an atomic");
				return;
			}
		}
}

/* A tool's reports, as rows: where each first touches the program. */
static void tool_rows(const struct try_ctx *c, const struct outcome *o, struct try_tool *t)
{
	for (size_t i = 0; i < o->reports.n; i++) {
		const struct tl_report *r = &o->reports.v[i];
		struct try_report row = {.verdict = r->verdict};
		for (size_t s = 0; s < c->nsrc; s++) {
			const struct tl_frame *f = tl_report_first_frame_in(r, c->src[s].path);
			if (f) {
				snprintf(row.file, sizeof row.file, "%s", c->src[s].path);
				row.line = f->line;
				break;
			}
		}
		source_line(c, row.file, row.line, row.text, sizeof row.text);
		report_hint(r, row.text, row.hint, sizeof row.hint);
		try_tool_add(t, &row);
	}
}

/* The native run's outcome, as lab_execute would judge it. */
static void judge_native(struct try_ctx *c)
{
	struct try_run *r = &c->run[TL_TOOL_RUN];
	struct try_native *n = &c->native;
	const struct tl_spawn_result *res = &r->o.res;
	if (r->o.error)
		return;
	n->ran = true;
	n->exit_code = res->exit_code;
	n->term_signal = res->stopped || res->timed_out ? 0 : res->term_signal;
	n->stopped = res->stopped && r->w.hung;
	n->timed_out = r->w.past_limit || res->timed_out;
	n->exit_verdict = res->stopped || res->timed_out || res->term_signal
	                      ? TL_V_CLEAN
	                      : runner_exit_code_verdict(n->exit_code);
	/* A status outside the labs' contract is the program's own business. */
	if (n->exit_verdict == TL_V_UNCLASSIFIED || n->exit_verdict == TL_V_TIMEOUT)
		n->exit_verdict = TL_V_CLEAN;
	snprintf(c->doctor_report, sizeof c->doctor_report, "%s", r->w.report);
	source_line(c, n->hang_file, n->hang_line, n->hang_text, sizeof n->hang_text);
	/* As lab_execute: the run's verdict set. */
	if (n->term_signal)
		r->o.got = 1u << TL_V_CRASH;
	else if (n->timed_out && !decisive(n->hang))
		r->o.got = 1u << TL_V_TIMEOUT;
	else if (decisive(n->hang))
		r->o.got = strcmp(n->hang, "livelock") ? 1u << TL_V_DEADLOCK : 1u << TL_V_LIVELOCK;
	else
		r->o.got = 1u << n->exit_verdict;
}

/* Judges run r under tool t into tt. */
static void judge_run(struct try_ctx *c, enum tl_tool t, struct try_run *r, struct try_tool *tt)
{
	if (r->skipped) {
		tt->state = TRY_UNAVAILABLE;
		snprintf(tt->why, sizeof tt->why, "%s", r->o.msg);
		return;
	}
	struct outcome *o = &r->o;
	if (o->error) {
		tt->state = TRY_FAILED;
		snprintf(tt->why, sizeof tt->why, "%s", o->msg);
		return;
	}
	tt->hung = o->res.stopped || o->res.timed_out || r->w.past_limit;
	tt->crashed = !tt->hung && o->res.term_signal;
	/* A run ended early is read as one killed at the time limit. */
	struct tl_spawn_result res = o->res;
	res.timed_out = tt->hung;
	char err[256] = "";
	int rc = tl_tool_read_reports(t, &res, &o->reports, err, sizeof err);
	o->got = tl_reports_verdicts(&o->reports);
	if (tt->crashed)
		o->got |= 1u << TL_V_CRASH;
	if (tt->hung)
		o->got |= 1u << TL_V_TIMEOUT;
	const char *unsym = tl_tool_unsymbolized(t, &o->reports);
	if (unsym || (rc && !tt->hung && !tt->crashed)) {
		tt->state = TRY_FAILED;
		snprintf(tt->why, sizeof tt->why, "%s", unsym ? unsym : err);
		o->error = true;
		snprintf(o->msg, sizeof o->msg, "%s", tt->why);
		return;
	}
	tt->state = TRY_RAN;
	tool_rows(c, o, tt);
	tt->got = o->got;
}

static void judge_tool(struct try_ctx *c, enum tl_tool t)
{
	judge_run(c, t, &c->run[t], &c->tools[t]);
}

static void prepare_run(struct try_ctx *c, enum tl_tool t, char *const *lab_args)
{
	struct try_run *r = &c->run[t];
	r->what = tl_tool(t)->title;
	char why[256];
	if (t != TL_TOOL_RUN && !tl_tool_available(t, why, sizeof why)) {
		r->skipped = true;
		snprintf(r->o.msg, sizeof r->o.msg, "%s", why);
		return;
	}
	if (t == TL_TOOL_TSAN && c->build[1].skipped) {
		r->skipped = true;
		snprintf(r->o.msg, sizeof r->o.msg, "%s", c->build[1].o.msg);
		return;
	}
	const char *prog = tl_tool(t)->binary_suffix[0] ? c->prog_tsan : c->prog;
	if (tl_tool_command(t, prog, runner_srcdir(), &c->cmd[t], r->o.msg, sizeof r->o.msg)) {
		r->o.error = true;
		r->skipped = true;
		return;
	}
	for (char *const *a = c->cmd[t].argv; *a; a++)
		add_arg(r, *a);
	for (char *const *a = lab_args; a && *a; a++)
		add_arg(r, *a);
	size_t e = 0;
	for (char *const *v = c->cmd[t].env; *v && e < 2; v++)
		r->env[e++] = *v;
	r->env[e++] = c->tmpdir_env; /* Valgrind's and the program's scratch files */
	r->env[e] = NULL;
	int slow = tl_tool(t)->slowdown;
	r->timeout_ms = (long)((double)c->timeout_s * 1000 * slow);
	r->w.native = t == TL_TOOL_RUN;
	r->w.idle_ends = r->w.native;
	r->w.n = &c->native;
	/* The watchdog's window, 500 ms, is for programs that report progress;
	 * without a counter, blocking is the only sign: a longer window. */
	r->w.window_ns = (uint64_t)(2e9 * c->slowdown * (t == TL_TOOL_RUN ? 1 : 2));
	r->xml_fd = c->cmd[t].xml_fd;
}

/* ------------------------------------------------------------ the signal-handler pass */

/* The pass over the program's sources, with libthreadlab's own when they
 * are there (a build tree): the program links it, and a handler calling
 * tl_stage_done (one atomic add) is read, not guessed at.  Findings become
 * signal-unsafe reports of one more row. */
static void run_sigpass(struct try_ctx *c, char *const *cflags, size_t ncflags)
{
	struct try_tool *t = &c->sigpass;
	const char *files[TRY_MAX_SOURCES + 64];
	size_t nfiles = 0;
	for (size_t i = 0; i < c->nsrc; i++)
		files[nfiles++] = c->src[i].path;
	char pattern[PATH_MAX + 32];
	snprintf(pattern, sizeof pattern, "%s/src/lib/*.c", runner_srcdir());
	glob_t g = {0};
	if (glob(pattern, 0, NULL, &g) == 0)
		for (size_t i = 0; i < g.gl_pathc && nfiles < sizeof files / sizeof files[0]; i++)
			files[nfiles++] = g.gl_pathv[i];
	/* The flags the build gives (-D_GNU_SOURCE, libthreadlab's headers)
	 * and the learner's, split at spaces; libthreadlab's sources read
	 * config.h. */
	struct try_run words = {0};
	char inc[PATH_MAX + 16], config[PATH_MAX + 16];
	snprintf(inc, sizeof inc, "-I%s/src/lib", runner_srcdir());
	snprintf(config, sizeof config, "-I%s", runner_builddir()); /* config.h */
	add_arg(&words, "-D_GNU_SOURCE");
	add_arg(&words, inc);
	add_arg(&words, config);
	for (size_t i = 0; i < ncflags; i++)
		add_words(&words, cflags[i]);
	struct tl_sig_findings out;
	char err[512];
	if (tl_sigpass(files, nfiles, (const char *const *)words.argv, &out, err, sizeof err)) {
		t->state = TRY_FAILED;
		snprintf(t->why, sizeof t->why, "%s", err);
	} else {
		t->state = TRY_RAN;
		for (size_t i = 0; i < out.n; i++) {
			const struct tl_sig_finding *f = &out.v[i];
			struct try_report r = {.verdict = TL_V_SIGNAL_UNSAFE, .line = (int)f->line};
			snprintf(r.file, sizeof r.file, "%s", f->file);
			source_line(c, r.file, r.line, r.text, sizeof r.text);
			snprintf(r.detail, sizeof r.detail, "the handler %s calls %s%s%s%s",
			         f->handler, f->callee, f->via[0] ? " in " : "", f->via,
			         f->locking ? " (a lock: the code it interrupted may hold it)"
			                    : "");
			try_tool_add(t, &r);
		}
		tl_sig_findings_free(&out);
	}
	globfree(&g);
	for (int i = 0; i < words.nowned; i++)
		free(words.owned[i]);
}

/* ------------------------------------------------------------ schedule perturbation */

/* "NAME=value" as a shell would take it back. */
static void append_env(char *buf, size_t len, const char *nv)
{
	size_t off = strlen(buf);
	const char *eq = strchr(nv, '=');
	if (eq && strchr(eq, ' '))
		snprintf(buf + off, len - off, "%.*s'%s' ", (int)(eq - nv + 1), nv, eq + 1);
	else
		snprintf(buf + off, len - off, "%s ", nv);
}

/* Prepares r as the TSan run under seed's delays. */
static int perturbed_run(struct try_ctx *c, uint64_t seed, struct try_run *r,
                         struct tl_perturb_env *pe)
{
	const struct try_run *tsan = &c->run[TL_TOOL_TSAN];
	struct tl_perturb p = {
	    .seed = seed, .density = TRY_PERTURB_DENSITY, .delay_us = TRY_PERTURB_DELAY_US};
	if (tl_perturb_env(runner_builddir(), &p, pe, c->perturb_note, sizeof c->perturb_note))
		return -1;
	memset(r, 0, sizeof *r);
	r->what = "TSan under schedule perturbation";
	memcpy(r->argv, tsan->argv, sizeof r->argv);
	r->argc = tsan->argc;
	size_t e = 0;
	for (char *const *v = tsan->env; *v; v++)
		r->env[e++] = *v;
	for (char *const *v = pe->env; *v; v++)
		r->env[e++] = *v;
	r->env[e] = NULL;
	/* As long as TSan's own run took, and TRY_PERTURB_DELAYS delays more:
	 * a program with many synchronisation calls would otherwise sleep to
	 * the limit with every seed.  A race shown before the end is still read
	 * (TSan prints each report as it finds it). */
	r->timeout_ms =
	    (long)tsan->o.res.wall_ms + TRY_PERTURB_DELAYS * TRY_PERTURB_DELAY_US / 1000;
	if (r->timeout_ms > tsan->timeout_ms)
		r->timeout_ms = tsan->timeout_ms;
	r->w.window_ns = tsan->w.window_ns;
	r->w.n = &c->native;
	r->xml_fd = -1;
	return 0;
}

/* Whether the program ran clean natively and TSan saw nothing: only then
 * may a race hide behind the order the threads happened to run in. */
static bool perturbation_due(const struct try_ctx *c)
{
	const struct try_native *n = &c->native;
	const struct try_tool *t = &c->tools[TL_TOOL_TSAN];
	return n->ran && n->exit_verdict == TL_V_CLEAN && !n->term_signal && !n->timed_out &&
	       !n->stopped && !n->hang[0] && t->state == TRY_RAN && t->nreports == 0 && !t->hung &&
	       !t->crashed;
}

/* Seeds 1..K under TSan, two at a time, until one shows a race (the lower
 * of a pair), one does not end within the limit (more delays would not
 * either), or the seeds run out.  The race goes in TSan's row with its
 * seed. */
static void perturb(struct try_ctx *c)
{
	if (c->perturb_k == 0 || !perturbation_due(c))
		return;
	for (uint64_t seed = 1; seed <= (uint64_t)c->perturb_k && !c->perturb_seed;) {
		static struct try_run runs[2];
		static struct tl_perturb_env envs[2];
		struct try_run *batch[2];
		size_t n = 0;
		for (; n < 2 && seed + n <= (uint64_t)c->perturb_k; n++) {
			if (perturbed_run(c, seed + n, &runs[n], &envs[n]))
				return;
			batch[n] = &runs[n];
		}
		run_all(batch, n, 2);
		for (size_t i = 0; i < n; i++) {
			struct try_tool t = {0};
			judge_run(c, TL_TOOL_TSAN, &runs[i], &t);
			c->perturb_runs++;
			bool race = false;
			for (size_t k = 0; k < t.nreports; k++)
				race |= t.reports[k].verdict == TL_V_DATA_RACE;
			if (!c->perturb_seed && !c->perturb_note[0] && race) {
				c->perturb_seed = seed + i;
				for (size_t k = 0; k < t.nreports; k++) {
					if (t.reports[k].verdict != TL_V_DATA_RACE)
						continue;
					t.reports[k].seed = seed + i;
					try_tool_add(&c->tools[TL_TOOL_TSAN], &t.reports[k]);
				}
				for (char *const *v = runs[i].env; *v; v++)
					if (strncmp(*v, "TMPDIR=", 7))
						append_env(c->replay, sizeof c->replay, *v);
				size_t off = strlen(c->replay);
				snprintf(c->replay + off, sizeof c->replay - off,
				         "./a.out  (the program built with -fsanitize=thread)");
			} else if (!c->perturb_seed && !c->perturb_note[0] &&
			           (t.state != TRY_RAN || t.hung)) {
				if (t.state != TRY_RAN)
					snprintf(c->perturb_note, sizeof c->perturb_note,
					         "stopped at seed %" PRIu64 ": %s", seed + i,
					         t.why);
				else
					snprintf(c->perturb_note, sizeof c->perturb_note,
					         "stopped at seed %" PRIu64
					         ": it did not end within %.1f s under the delays "
					         "(%.1f s "
					         "without them), and no race showed",
					         seed + i, (double)runs[i].timeout_ms / 1000,
					         c->run[TL_TOOL_TSAN].o.res.wall_ms / 1000);
			}
			free(t.reports);
			outcome_free(&runs[i].o);
		}
		if (c->perturb_note[0])
			return;
		seed += n;
	}
}

/* ------------------------------------------------------------ the lab */

/* Where the course (docs/PATH.md) first names lab id: earlier is more basic.
 * SIZE_MAX when it does not. */
static size_t course_position(const tl_buf *path_md, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = path_md->data; p && (p = strstr(p, id)); p += n) {
		char next = p[n];
		if (!(next >= 'a' && next <= 'z') && next != '-')
			return (size_t)(p - path_md->data);
	}
	return SIZE_MAX;
}

/* The lab that teaches cls: a broken program whose header, weighed as try
 * weighs tools, gives cls; of those one whose category is in the word
 * ("race" in data-race), then the one the course takes first.  "stuck" has
 * no lab of its own: the deadlock lab about a lost wake-up teaches it. */
static bool lab_for(const char *cls, char *out, size_t len)
{
	struct labs labs;
	if (!strcmp(cls, "clean") || labs_load(&labs) != 0)
		return false;
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/docs/PATH.md", runner_srcdir());
	tl_buf course = {0};
	tl_buf_read_file(&course, path); /* without it: the labs' own order */
	bool stuck = !strcmp(cls, "stuck");
	const char *want = stuck ? "deadlock" : cls;
	bool found = false, best_in_word = false;
	size_t best_pos = SIZE_MAX;
	for (size_t i = 0; i < labs.n; i++) {
		const struct lab *lab = &labs.v[i];
		int variant = lab_variant_index("broken");
		if (!lab->has[variant])
			continue;
		struct tl_spec spec;
		char err[256];
		if (lab_spec(lab, variant, &spec, err, sizeof err))
			continue;
		struct try_native n;
		struct try_tool tools[TL_TOOL_COUNT];
		struct try_verdict v;
		try_from_spec(&spec, &n, tools);
		try_weigh(&n, tools, &v);
		try_tools_free(tools);
		if (strcmp(v.cls, want) || (stuck && !strstr(spec.lesson, "wak")))
			continue;
		bool in_word = strstr(cls, lab->category) != NULL;
		size_t pos = course_position(&course, lab->id);
		if (!found || (in_word && !best_in_word) ||
		    (in_word == best_in_word && pos < best_pos)) {
			found = true;
			best_in_word = in_word;
			best_pos = pos;
			snprintf(out, len, "%s", lab->id);
		}
	}
	tl_buf_free(&course);
	labs_free(&labs);
	return found;
}

/* ------------------------------------------------------------ printing */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void print_status(const struct try_ctx *c)
{
	const struct try_native *n = &c->native;
	const struct try_run *r = &c->run[TL_TOOL_RUN];
	printf("  %-9s ", "native");
	if (r->o.error) {
		printf("could not run: %s\n", r->o.msg);
		return;
	}
	if (n->timed_out)
		printf("did not end within %ld s: ended", c->timeout_s);
	else if (r->o.res.stopped)
		printf("hung: ended after %.1f s", r->o.res.wall_ms / 1000);
	else if (n->term_signal)
		printf("crashed: %s, after %.2f s", strsignal(n->term_signal),
		       r->o.res.wall_ms / 1000);
	else
		printf("exited with %d (%s) in %.2f s", n->exit_code,
		       tl_verdict_name(n->exit_verdict), r->o.res.wall_ms / 1000);
	if (r->o.res.left_behind)
		printf("; processes it started (a forked child) outlived it: ended with its "
		       "process group");
	size_t dropped = r->o.res.dropped_out + r->o.res.dropped_err;
	if (dropped)
		printf("; printed %zu bytes, the first %zu of each stream kept",
		       r->o.res.out.len + r->o.res.err.len + dropped, TRY_MAX_OUTPUT);
	putchar('\n');
	if (n->hang[0])
		printf("  %-9s hang analysis: %s%s%s\n", "", n->hang, n->hang_why[0] ? ": " : "",
		       n->hang_why);
}

static void print_row(const char *label, const struct try_tool *tt)
{
	/* A label wider than the tools' column goes on a line of its own when
	 * rows follow it. */
	if (strlen(label) <= 9)
		printf("  %-9s ", label);
	else if (tt->state == TRY_RAN && tt->nreports)
		printf("  %s:\n  %-9s ", label, "");
	else
		printf("  %s: ", label);
	if (tt->state == TRY_UNAVAILABLE) {
		printf("not run: %s\n", tt->why);
		return;
	}
	if (tt->state == TRY_FAILED) {
		printf("failed: %s\n", tt->why);
		return;
	}
	const char *note = tt->hung      ? " (it hung under the tool: ended)"
	                   : tt->crashed ? " (the program crashed under it)"
	                                 : "";
	if (tt->nreports == 0) {
		printf("clean%s\n", note);
		return;
	}
	for (size_t i = 0; i < tt->nreports; i++) {
		const struct try_report *r = &tt->reports[i];
		if (i)
			printf("  %-9s ", "");
		printf("%-14s", tl_verdict_name(r->verdict));
		if (r->line)
			printf(" %s:%d", base_name(r->file), r->line);
		else
			printf(" (no frame in the program)");
		if (r->count > 1)
			printf(" x%d", r->count);
		if (r->text[0])
			printf("  %s", r->text);
		if (r->seed)
			printf("  [schedule perturbation, seed %" PRIu64 "]", r->seed);
		if (r->detail[0])
			printf("  [%s]", r->detail);
		printf("%s\n", i == 0 ? note : "");
	}
}

static void print_perturbation(const struct try_ctx *c)
{
	if (c->perturb_runs == 0 && !c->perturb_note[0])
		return;
	printf("  %-9s TSan with delays at synchronisation calls, %ld seed%s: ", "perturbed",
	       c->perturb_runs, c->perturb_runs == 1 ? "" : "s");
	if (c->perturb_seed)
		printf("seed %" PRIu64 " shows a data race\n", c->perturb_seed);
	else if (c->perturb_note[0])
		printf("%s\n", c->perturb_note);
	else
		printf("no race\n");
}

static void print_text(const struct try_ctx *c, const struct try_verdict *v, const char *lab)
{
	printf("threadlab try:");
	for (size_t i = 0; i < c->nsrc; i++)
		printf(" %s", base_name(c->src[i].path));
	printf("\n");
	print_status(c);
	for (int t = TL_TOOL_TSAN; t < TL_TOOL_COUNT; t++) {
		print_row(tl_tool((enum tl_tool)t)->title, &c->tools[t]);
		if (t == TL_TOOL_TSAN)
			print_perturbation(c);
	}
	print_row("signal-handler pass", &c->sigpass);
	printf("verdict: %s", v->cls);
	if (v->line)
		printf(" at %s:%d", base_name(v->file), v->line);
	printf(" (confidence %s)\n", v->confidence);
	if (v->text[0])
		printf("  %s\n", v->text);
	printf("  because: %s\n", v->because);
	if (v->discounted[0])
		printf("  not counted: %s\n", v->discounted);
	if (v->seed)
		printf("  replay: %s\n", c->replay);
	if (lab)
		printf("see: threadlab show %s\n", lab);
}

static json_object *json_str(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static json_object *json_report(const struct try_report *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", json_str(tl_verdict_name(r->verdict)));
	json_object_object_add(o, "file", r->line ? json_str(r->file) : NULL);
	json_object_object_add(o, "line", r->line ? json_object_new_int(r->line) : NULL);
	json_object_object_add(o, "text", json_str(r->text));
	json_object_object_add(o, "count", json_object_new_int(r->count));
	if (r->seed)
		json_object_object_add(o, "seed", json_object_new_int64((int64_t)r->seed));
	if (r->detail[0])
		json_object_object_add(o, "detail", json_str(r->detail));
	return o;
}

static json_object *json_tool(const char *name, const struct try_tool *tt)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "tool", json_str(name));
	const char *verdict = "clean";
	char set[256];
	if (tt->state == TRY_UNAVAILABLE)
		verdict = "not-available";
	else if (tt->state == TRY_FAILED)
		verdict = "failed";
	else if (tt->got) {
		tl_verdict_set_format(tt->got, set, sizeof set);
		verdict = set;
	}
	json_object_object_add(o, "verdict", json_str(verdict));
	if (tt->state != TRY_RAN)
		json_object_object_add(o, "why", json_str(tt->why));
	json_object *reports = json_object_new_array();
	for (size_t i = 0; i < tt->nreports; i++)
		json_object_array_add(reports, json_report(&tt->reports[i]));
	json_object_object_add(o, "reports", reports);
	return o;
}

static json_object *json_native(const struct try_ctx *c)
{
	const struct try_native *n = &c->native;
	const struct try_run *r = &c->run[TL_TOOL_RUN];
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ran", json_object_new_boolean(n->ran));
	bool exited = n->ran && !n->term_signal && !n->timed_out && !r->o.res.stopped;
	json_object_object_add(o, "exit_code", exited ? json_object_new_int(n->exit_code) : NULL);
	json_object_object_add(o, "signal",
	                       n->term_signal ? json_str(strsignal(n->term_signal)) : NULL);
	json_object_object_add(o, "timed_out", json_object_new_boolean(n->timed_out));
	json_object_object_add(o, "ended_hung", json_object_new_boolean(n->stopped));
	json_object_object_add(o, "wall_s", json_object_new_double(r->o.res.wall_ms / 1000));
	json_object_object_add(o, "left_processes", json_object_new_boolean(r->o.res.left_behind));
	json_object_object_add(
	    o, "output_bytes",
	    json_object_new_int64((int64_t)(r->o.res.out.len + r->o.res.err.len +
	                                    r->o.res.dropped_out + r->o.res.dropped_err)));
	json_object *hang = NULL;
	if (n->hang[0]) {
		hang = json_object_new_object();
		json_object_object_add(hang, "verdict", json_str(n->hang));
		json_object_object_add(hang, "why", json_str(n->hang_why));
		json_object_object_add(hang, "report", json_str(c->doctor_report));
	}
	json_object_object_add(o, "hang_analysis", hang);
	return o;
}

static json_object *json_all(const struct try_ctx *c, const struct try_verdict *v, const char *lab)
{
	json_object *root = json_object_new_object();
	json_object *verdict = json_object_new_object();
	json_object_object_add(verdict, "class", json_str(v->cls));
	json_object_object_add(verdict, "file", v->line ? json_str(v->file) : NULL);
	json_object_object_add(verdict, "line", v->line ? json_object_new_int(v->line) : NULL);
	json_object_object_add(verdict, "text", json_str(v->text));
	json_object_object_add(verdict, "confidence", json_str(v->confidence));
	json_object_object_add(verdict, "because", json_str(v->because));
	json_object_object_add(verdict, "not_counted", json_str(v->discounted));
	json_object_object_add(verdict, "see", lab ? json_str(lab) : NULL);
	json_object_object_add(verdict, "perturb_seed",
	                       v->seed ? json_object_new_int64((int64_t)v->seed) : NULL);
	json_object_object_add(root, "verdict", verdict);
	json_object *tools = json_object_new_array();
	for (int t = TL_TOOL_TSAN; t < TL_TOOL_COUNT; t++)
		json_object_array_add(tools,
		                      json_tool(tl_tool_name((enum tl_tool)t), &c->tools[t]));
	json_object_object_add(root, "tools", tools);
	json_object_object_add(root, "sigpass", json_tool("sigpass", &c->sigpass));
	json_object *p = json_object_new_object();
	json_object_object_add(p, "seeds_run", json_object_new_int64(c->perturb_runs));
	json_object_object_add(
	    p, "seed", c->perturb_seed ? json_object_new_int64((int64_t)c->perturb_seed) : NULL);
	json_object_object_add(p, "density_per_mille", json_object_new_int(TRY_PERTURB_DENSITY));
	json_object_object_add(p, "delay_us", json_object_new_int(TRY_PERTURB_DELAY_US));
	json_object_object_add(p, "note", json_str(c->perturb_note));
	json_object_object_add(p, "replay", c->perturb_seed ? json_str(c->replay) : NULL);
	json_object_object_add(root, "perturb", p);
	json_object_object_add(root, "native", json_native(c));
	return root;
}

/* ------------------------------------------------------------ --check-header */

/* Compares each tool and the verdict with the first source's expect lines;
 * prints what differs.  True when all agree. */
static bool check_header(struct try_ctx *c, const struct try_verdict *v, json_object *root)
{
	struct tl_spec spec;
	char err[256];
	const struct source *s = &c->src[0];
	if (tl_spec_parse(s->text, strlen(s->text), &spec, err, sizeof err)) {
		runner_error("try: %s: not a lab header: %s", s->path, err);
		return false;
	}
	tl_buf why = {0};
	bool ok = true;
	json_object *tools = json_object_new_object();
	for (int t = 0; t < TL_TOOL_COUNT; t++) {
		if (!spec.expect[t].present)
			continue;
		const char *state = "agrees";
		if (c->run[t].skipped) {
			state = "skipped";
		} else {
			tl_buf one = {0};
			if (!outcome_matches(&spec, (enum tl_tool)t, s->path, &c->run[t].o, &one)) {
				ok = false;
				state = "differs";
				tl_buf_printf(&why, "%s: %s", tl_tool_name((enum tl_tool)t),
				              one.data);
			}
			tl_buf_free(&one);
		}
		json_object_object_add(tools, tl_tool_name((enum tl_tool)t), json_str(state));
		if (!root)
			printf("header %-9s %s\n", tl_tool_name((enum tl_tool)t), state);
	}
	struct try_native n;
	struct try_tool tt[TL_TOOL_COUNT];
	struct try_verdict want;
	try_from_spec(&spec, &n, tt);
	try_weigh(&n, tt, &want);
	try_tools_free(tt);
	/* At the line: the verdict names a line the header's expectations
	 * mark (an anchor a report must point at: where the lesson's bug is). */
	bool at_line = false;
	for (int t = 0; t < TL_TOOL_COUNT; t++) {
		const struct tl_expectation *e = &spec.expect[t];
		for (size_t u = 0; u < e->nuses; u++)
			if (v->line && spec.anchors[e->uses[u].anchor].line == v->line)
				at_line = true;
	}
	bool class_ok = !strcmp(want.cls, v->cls);
	ok = ok && class_ok;
	if (root) {
		json_object *h = json_object_new_object();
		json_object_object_add(h, "agrees", json_object_new_boolean(ok));
		json_object_object_add(h, "class", json_str(want.cls));
		json_object_object_add(h, "at_line", json_object_new_boolean(at_line));
		json_object_object_add(h, "tools", tools);
		json_object_object_add(h, "differences", json_str(why.data));
		json_object_object_add(root, "header", h);
	} else {
		json_object_put(tools);
		printf("header class: %s (verdict %s: %s)%s\n", want.cls, v->cls,
		       class_ok ? "agrees" : "differs", at_line ? " at the line" : "");
		if (why.len)
			printf("%s", why.data);
	}
	tl_buf_free(&why);
	return ok;
}

/* ------------------------------------------------------------ main */

static int parse_timeout(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 3600) {
		runner_error("try: --timeout: '%s' is not a number of seconds from 1 to 3600", s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_seeds(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > TRY_MAX_SEEDS) {
		runner_error("try: --perturb: '%s' is not a number of seeds from 0 to %d", s,
		             TRY_MAX_SEEDS);
		return -1;
	}
	*out = v;
	return 0;
}

static int load_sources(struct try_ctx *c, char **files, int n)
{
	if (n > TRY_MAX_SOURCES) {
		runner_error("try: at most %d source files", TRY_MAX_SOURCES);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(files[i], &st) != 0 || !S_ISREG(st.st_mode) ||
		    !realpath(files[i], c->src[i].path)) {
			runner_error("try: %s: %s", files[i],
			             errno && !S_ISDIR(st.st_mode) ? strerror(errno)
			                                           : "not a regular file");
			return -1;
		}
		tl_buf b = {0};
		if (tl_buf_read_file(&b, c->src[i].path) != 0) {
			runner_error("try: %s: cannot read it", files[i]);
			tl_buf_free(&b);
			return -1;
		}
		c->src[i].text = b.data ? b.data : strdup("");
		c->nsrc++;
	}
	return 0;
}

static int cmd_try(int argc, char **argv)
{
	static struct try_ctx ctx;
	struct try_ctx *c = &ctx;
	struct runner_args a;
	char *cflags[16], *ldflags[16];
	size_t ncflags = 0, nldflags = 0;
	bool header = false;
	int key;
	c->timeout_s = TRY_DEFAULT_TIMEOUT_S;
	c->perturb_k = TRY_PERTURB_SEEDS;
	runner_args_start(&a, &runner_cmd_try, argc, argv);
	while ((key = runner_next_option(&a)) > 0) {
		switch (key) {
		case OPT_CFLAGS:
		case OPT_LDFLAGS: {
			char **list = key == OPT_CFLAGS ? cflags : ldflags;
			size_t *n = key == OPT_CFLAGS ? &ncflags : &nldflags;
			if (*n == 16) {
				runner_error("try: at most 16 --cflags and 16 --ldflags");
				return RUNNER_USAGE;
			}
			list[(*n)++] = (char *)a.value;
			break;
		}
		case OPT_TIMEOUT:
			if (parse_timeout(a.value, &c->timeout_s))
				return RUNNER_USAGE;
			break;
		case OPT_FORMAT:
			if (strcmp(a.value, "text") && strcmp(a.value, "json")) {
				runner_error("try: --format: '%s' is not text or json", a.value);
				return RUNNER_USAGE;
			}
			c->json = !strcmp(a.value, "json");
			break;
		case OPT_CHECK_HEADER:
			header = true;
			break;
		case OPT_PERTURB:
			if (parse_seeds(a.value, &c->perturb_k))
				return RUNNER_USAGE;
			break;
		}
	}
	if (key < 0)
		return a.status;
	if (load_sources(c, a.pos, a.npos))
		return RUNNER_USAGE;
	c->slowdown = tl_slowdown(); /* THREADLAB_SLOWDOWN, as the watchdog reads it */
	c->timeout_s = (long)((double)c->timeout_s * c->slowdown);
	if (make_dir())
		return RUNNER_FAIL;
	snprintf(c->tmpdir_env, sizeof c->tmpdir_env, "TMPDIR=%s", try_dir);
	/* Whatever the program writes to its working directory (a core, its
	 * own files) stays in the temporary directory too.  A tree named by a
	 * relative path must then be named absolutely (runner_paths.c reads
	 * these at its first use, which comes later). */
	static const char *const tree_vars[] = {"THREADLAB_HOME", "THREADLAB_SRCDIR",
	                                        "THREADLAB_BUILDDIR"};
	for (size_t i = 0; i < sizeof tree_vars / sizeof tree_vars[0]; i++) {
		const char *v = getenv(tree_vars[i]);
		char abs[PATH_MAX];
		if (v && *v && *v != '/' && realpath(v, abs))
			setenv(tree_vars[i], abs, 1);
	}
	if (chdir(try_dir) != 0) {
		runner_error("try: cannot enter %s: %s", try_dir, strerror(errno));
		return RUNNER_FAIL;
	}
	if (build(c, cflags, ncflags, ldflags, nldflags))
		return RUNNER_FAIL;
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		prepare_run(c, (enum tl_tool)t, a.lab_args);
	/* The source pass: the program built, so its sources parse. */
	run_sigpass(c, cflags, ncflags);

	/* The native run first, alone: its hang analysis reads CPU times. */
	struct try_run *native = &c->run[TL_TOOL_RUN];
	run_all(&native, 1, 1);
	judge_native(c);
	if (native->o.error) {
		runner_error("try: the program could not run: %s", native->o.msg);
		return RUNNER_FAIL;
	}
	/* A program we had to end natively will hang under the detectors
	 * too: there a whole window without CPU ends the run.  Otherwise they
	 * run to their limits: slowed down, a correct program may sit waiting
	 * for long, and one with a watchdog of its own (a lab) ends itself. */
	bool hung = c->native.timed_out || c->run[TL_TOOL_RUN].o.res.stopped;
	for (int t = TL_TOOL_TSAN; t < TL_TOOL_COUNT; t++)
		c->run[t].w.idle_ends = hung;

	/* The detectors, two at a time (two cores). */
	struct try_run *runs[TL_TOOL_COUNT - 1];
	for (int t = TL_TOOL_TSAN; t < TL_TOOL_COUNT; t++)
		runs[t - 1] = &c->run[t];
	run_all(runs, TL_TOOL_COUNT - 1, 2);
	for (int t = TL_TOOL_TSAN; t < TL_TOOL_COUNT; t++)
		judge_tool(c, (enum tl_tool)t);
	/* Schedule perturbation needs TSan's answer: only a program that
	 * looked clean to it and to the native run is run again. */
	perturb(c);

	struct try_verdict v;
	try_weigh_all(&c->native, c->tools, &c->sigpass, &v);
	char lab[128];
	bool has_lab = lab_for(v.cls, lab, sizeof lab);
	int rc = strcmp(v.cls, "clean") ? RUNNER_FAIL : RUNNER_OK;
	if (c->json) {
		json_object *root = json_all(c, &v, has_lab ? lab : NULL);
		if (header)
			rc = check_header(c, &v, root) ? RUNNER_OK : RUNNER_FAIL;
		printf("%s\n", json_object_to_json_string_ext(
		                   root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else {
		print_text(c, &v, has_lab ? lab : NULL);
		if (header)
			rc = check_header(c, &v, NULL) ? RUNNER_OK : RUNNER_FAIL;
	}
	fflush(stdout);
	return rc;
}

const struct runner_command runner_cmd_try = {
    "try",
    "FILE.c [MORE.c...] [--timeout S] [--perturb K] [-- ARGS]",
    "your own program: every detector and a hang analysis, one verdict",
    1,
    -1,
    try_options,
    cmd_try,
    true,
};
