/* tl_watchdog — progress counter and stall verdict (see tl_watchdog.h).
 *
 * How a verdict is reached
 *   The watchdog thread wakes every stall/5 on CLOCK_MONOTONIC and reads the
 *   counter and every registered worker's CPU clock.  When the counter moves
 *   it remembers that instant and each worker's CPU time then.  A stall is
 *   declared only when a sample taken at least a whole window ago already
 *   showed the current count: the counter is monotonic, so that proves no
 *   progress at all during the window, however loaded the machine is.  Each
 *   worker's busy time over exactly that span, CPU time plus time spent
 *   runnable in the run queue (schedstat), is then classified by
 *   tl_watchdog_classify().  The run-queue part matters on a loaded
 *   machine: measured with 3 CPU hogs on 2 cores, two sched_yield()
 *   spinners got 0 ms of CPU in a 100 ms window, all of it queued.
 *
 *   The verdict comes between one window and one window plus a tick
 *   (window/5) after the last progress: the change is seen at the next
 *   tick, and the watchdog then wakes exactly when the window is full.
 *
 *   If the watchdog itself slept through a whole window (process stopped,
 *   machine overloaded), it cannot know whether the workers ran either, so
 *   it starts the window again rather than judge: late, never wrong.
 *
 * No registered workers
 *   Then "the workers" are all the process's other threads together: the
 *   process CPU clock minus the watchdog's own thread clock, plus the
 *   run-queue time of the live ones.  Their combined busy time over the
 *   window against a fifth of the window gives the verdict.
 *
 * Synchronisation (so that Helgrind, DRD and TSan have nothing to say about
 * libthreadlab itself)
 *   - the counter is a C11 atomic, incremented and read relaxed: the
 *     watchdog only asks "did it change", it never uses the value to reach
 *     other data, so no ordering is needed.  TSan models it exactly.
 *     Helgrind and DRD do not model C11 atomics, but they take a LOCK-
 *     prefixed add for a read, so a counter that is only ever incremented
 *     and loaded draws no report from them either (probed with gcc and
 *     clang builds: 2 workers x 1M increments while the watchdog samples
 *     every 40 ms).  Never store to it plainly, or that changes.
 *   - the worker table, including the watchdog's per-worker bookkeeping,
 *     lives under reg_mu;
 *   - the stop flag lives under ctl_mu.  The watchdog sleeps in ppoll() on
 *     an eventfd (poll timeouts run on the monotonic clock) that
 *     tl_watchdog_stop() writes to wake it at once.  Not a condition
 *     variable: when a timed wait times out just as it is signalled, glibc
 *     2.36 passes the signal on from inside pthread_cond_timedwait without
 *     the mutex, and Helgrind reports that (seen in a probe) against us;
 *     the eventfd carries no data, so no tool has an opinion on it;
 *   - start/stop are serialised by life_mu, held across the join;
 *   - the configuration is written before pthread_create, which orders it
 *     before the thread reads it.
 *
 * The verdict line is one write(2) to fd 2, at most PIPE_BUF bytes so it is
 * atomic even on a pipe, written whatever --quiet says, then _exit().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "tl_clock.h"
#include "tl_exit.h"
#include "tl_watchdog.h"
#include "tl_procfs.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The watchdog runs little code: a small stack keeps it cheap and, being
 * smaller than the default, keeps it out of tl_procfs_count_stacks(). */
#define WD_STACK_SIZE ((size_t)256 * 1024)

/* One write(2) of at most PIPE_BUF bytes cannot interleave with others. */
#define WD_LINE_MAX 4096

_Atomic uint64_t tl_progress_counter;

struct worker {
	pid_t tid; /* 0: free slot */
	clockid_t clock;
	char name[16];
	/* The watchdog's bookkeeping: CPU time when the current stall began. */
	bool have_base;
	bool base_wait_ok;
	uint64_t base_cpu_ns;
	uint64_t base_wait_ns;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct worker workers[TL_WATCHDOG_MAX_WORKERS];

static pthread_mutex_t life_mu = PTHREAD_MUTEX_INITIALIZER;
static bool running;     /* under life_mu */
static bool atfork_done; /* under life_mu */
static pthread_t wd_thread;

static pthread_mutex_t ctl_mu = PTHREAD_MUTEX_INITIALIZER;
static bool stop_requested; /* under ctl_mu */
static int wake_fd = -1;    /* eventfd, one per run; set before the thread starts */

/* Written by tl_watchdog_start before pthread_create, read by the thread. */
static struct {
	uint64_t stall_ns, hard_ns, tick_ns;
	uint64_t hold_ns; /* 0: a verdict ends the process at once */
} cfg;

static long hold_ms_req; /* under life_mu: tl_watchdog_hold() */

/* The exit code a held process ends with when SIGTERM/SIGINT arrives. */
static volatile sig_atomic_t hold_code;

/* ------------------------------------------------------------------ counter */

void tl_progress(void)
{
	atomic_fetch_add_explicit(&tl_progress_counter, 1, memory_order_relaxed);
}

uint64_t tl_progress_count(void)
{
	return atomic_load_explicit(&tl_progress_counter, memory_order_relaxed);
}

/* ------------------------------------------------------------------ rule */

enum tl_stall tl_watchdog_classify(uint64_t progress_delta, uint64_t max_worker_cpu_ns,
                                   uint64_t window_ns)
{
	if (progress_delta > 0 || window_ns == 0)
		return TL_STALL_NONE; /* moved, or nothing observed to judge */
	/* cpu >= window/5, rounded up and without overflowing cpu*5. */
	if (max_worker_cpu_ns >= window_ns / 5 + (window_ns % 5 != 0))
		return TL_STALL_LIVELOCK;
	return TL_STALL_DEADLOCK;
}

/* ------------------------------------------------------------------ helpers */

double tl_slowdown(void)
{
	const char *s = getenv("THREADLAB_SLOWDOWN");
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return 1.0;
	errno = 0;
	v = strtod(s, &end);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 1.0)
		return 1.0;
	/* Keep ms * factor in nanoseconds far from uint64 overflow. */
	return v > 1e6 ? 1e6 : v;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

static uint64_t clock_ns(clockid_t clk, bool *ok)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts) != 0) {
		if (ok)
			*ok = false;
		return 0;
	}
	if (ok)
		*ok = true;
	return ts_ns(&ts);
}

static struct timespec ns_ts(uint64_t ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ns / 1000000000ULL);
	ts.tv_nsec = (long)(ns % 1000000000ULL);
	return ts;
}

static uint64_t ms_to_ns(long ms, double factor)
{
	double ns = (double)ms * factor * (double)NS_PER_MS;

	return ns > 1e18 ? (uint64_t)1e18 : (uint64_t)ns;
}

/* ------------------------------------------------------------------ workers */

void tl_watchdog_register(void)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	clockid_t clk;
	char name[16] = "";
	int i, slot = -1;

	/* Only the calling thread's own clock and name are read, so nothing
	 * here can race with the thread ending. */
	if (pthread_getcpuclockid(pthread_self(), &clk) != 0)
		return;
	if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0)
		name[0] = '\0';

	pthread_mutex_lock(&reg_mu);
	for (i = 0; i < TL_WATCHDOG_MAX_WORKERS; i++) {
		if (workers[i].tid == tid) {
			slot = i; /* registering twice is harmless */
			break;
		}
		if (slot < 0 && workers[i].tid == 0)
			slot = i;
	}
	/* A full table drops the extra worker: the verdict then rests on the
	 * first TL_WATCHDOG_MAX_WORKERS, which is still a sound sample. */
	if (slot >= 0) {
		workers[slot].tid = tid;
		workers[slot].clock = clk;
		memcpy(workers[slot].name, name, sizeof(name));
		workers[slot].have_base = false;
	}
	pthread_mutex_unlock(&reg_mu);
}

/* Forgets workers whose thread has ended: their CPU clock no longer reads.
 * (A thread CPU clock of another process's or a dead thread's tid gives
 * EINVAL, which also clears a table inherited through fork.) */
static void prune_workers_locked(void)
{
	int i;

	for (i = 0; i < TL_WATCHDOG_MAX_WORKERS; i++) {
		bool ok;

		if (workers[i].tid == 0)
			continue;
		clock_ns(workers[i].clock, &ok);
		if (!ok)
			workers[i].tid = 0;
	}
}

/* ------------------------------------------------------------------ report */

struct line {
	char buf[WD_LINE_MAX];
	size_t len;
	bool full;
};

static void line_add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line_add(struct line *l, const char *fmt, ...)
{
	size_t room = sizeof(l->buf) - 1 - l->len; /* keep one byte for '\n' */
	va_list ap;
	int n;

	if (l->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, room + 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > room) {
		/* Too many workers for one atomic line: end it visibly cut. */
		l->len = sizeof(l->buf) - 1 - 3;
		memcpy(l->buf + l->len, "...", 3);
		l->len += 3;
		l->full = true;
		return;
	}
	l->len += (size_t)n;
}

static void line_emit(struct line *l)
{
	l->buf[l->len++] = '\n';
	/* One write, whatever its outcome: a second one could interleave. */
	if (write(STDERR_FILENO, l->buf, l->len) < 0) {
		/* nowhere left to complain */
	}
}

static _Noreturn void line_emit_and_exit(struct line *l, int code)
{
	line_emit(l);
	_exit(code);
}

/* ------------------------------------------------------------------ hold */

static void hold_signal(int sig)
{
	(void)sig;
	_exit(hold_code); /* async-signal-safe */
}

/* Sleeps in the kernel until `deadline` (monotonic ns) or a wake-up from
 * tl_watchdog_stop(), whichever comes first: no busy waiting.  Returns
 * whether a stop was asked for. */
static bool sleep_or_stop(uint64_t deadline)
{
	struct pollfd pfd = {.fd = wake_fd, .events = POLLIN};
	uint64_t now = tl_mono_ns();
	bool stop;

	if (now < deadline) {
		struct timespec ts = ns_ts(deadline - now);

		ppoll(&pfd, 1, &ts, NULL);
	}
	pthread_mutex_lock(&ctl_mu);
	stop = stop_requested;
	pthread_mutex_unlock(&ctl_mu);
	return stop;
}

/* After a stall verdict under tl_watchdog_hold(): keeps the process as it
 * is for cfg.hold_ns, then ends it with the verdict's code.  The handlers
 * are in place before the line is written, so whoever reads the line may
 * SIGTERM at once and get that code.  This thread blocks every signal; a
 * handler runs on some stuck thread, which is all the same for _exit. */
static _Noreturn void hold_and_exit(int code)
{
	struct sigaction sa;
	struct line l;
	uint64_t end = tl_mono_ns() + cfg.hold_ns;
	int pid = (int)getpid();

	hold_code = code;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hold_signal;
	sigfillset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	l.len = 0;
	l.full = false;
	line_add(&l, "watchdog: holding pid %d for examination (threadstat doctor %d); ends in ",
	         pid, pid);
	if (cfg.hold_ns % (1000 * NS_PER_MS) == 0)
		line_add(&l, "%llu s", (unsigned long long)(cfg.hold_ns / (1000 * NS_PER_MS)));
	else
		line_add(&l, "%llu ms", (unsigned long long)(cfg.hold_ns / NS_PER_MS));
	line_emit(&l);

	/* tl_watchdog_stop() ends the hold too: it is waiting to join. */
	while (tl_mono_ns() < end)
		if (sleep_or_stop(end))
			break;
	_exit(code);
}

struct snap {
	pid_t tid;
	char name[16];
	uint64_t cpu_ns;  /* on CPU since the stall began */
	uint64_t wait_ns; /* runnable but waiting for a CPU, same span */
};

/* Appends "NAME (tid N) S WCHAN cpu N ms queued N ms" for one worker. */
static void describe_worker(struct line *l, const struct snap *w)
{
	struct tl_task_stat st;
	char wchan[64] = "-";
	const char *name = w->name;
	char state = '?';
	pid_t pid = getpid();

	if (tl_procfs_read_task_stat("/proc", pid, w->tid, &st) == 0) {
		state = st.state;
		if (st.comm[0] != '\0')
			name = st.comm; /* the thread may have renamed itself */
	}
	if (tl_procfs_read_wchan("/proc", pid, w->tid, wchan, sizeof(wchan)) != 0)
		strcpy(wchan, "-");
	if (strcmp(wchan, "-") == 0 && state != 'R' && state != '?') {
		/* Hidden wait channel: the syscall number says as much. */
		char path[64], buf[128];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)w->tid);
		f = fopen(path, "re");
		if (f != NULL) {
			char *end;
			long nr = fgets(buf, sizeof(buf), f) != NULL ? strtol(buf, &end, 10) : -1;

			if (nr >= 0 && end != buf)
				snprintf(wchan, sizeof(wchan), "syscall-%ld", nr);
			fclose(f);
		}
	}
	line_add(l, "%s (tid %d) %c %s cpu %llu ms queued %llu ms", name[0] ? name : "?",
	         (int)w->tid, state, wchan, (unsigned long long)(w->cpu_ns / NS_PER_MS),
	         (unsigned long long)(w->wait_ns / NS_PER_MS));
}

/* ------------------------------------------------------------------ thread */

/* Another thread, when nobody registered: where its run-queue delay and
 * its count of voluntary switches stood when the window began. */
#define WD_MAX_OTHERS 128
struct other {
	pid_t tid;
	uint64_t base_wait_ns;
	unsigned long long base_vcsw;
};

struct wd_state {
	pid_t self_tid;
	uint64_t start_ns;
	uint64_t last_tick_ns;
	uint64_t last_count;
	uint64_t stall_since_ns;
	/* Used when no worker is registered: all other threads together. */
	bool proc_have_base;
	uint64_t proc_base_cpu_ns;
	struct other others[WD_MAX_OTHERS];
	int n_others;
};

/* A thread's run-queue delay so far, or false when schedstat cannot be
 * read (thread gone, or a kernel without CONFIG_SCHED_INFO). */
static bool task_wait_ns(pid_t tid, uint64_t *ns)
{
	struct tl_task_sched ss;

	if (tl_procfs_read_schedstat("/proc", getpid(), tid, &ss) != 0)
		return false;
	*ns = ss.wait_ns;
	return true;
}

/* CPU used by every thread of the process except the watchdog; the process
 * clock keeps the time of threads that have ended, too. */
static uint64_t others_cpu_ns(void)
{
	uint64_t all = clock_ns(CLOCK_PROCESS_CPUTIME_ID, NULL);
	uint64_t mine = clock_ns(CLOCK_THREAD_CPUTIME_ID, NULL);

	return all > mine ? all - mine : 0;
}

/* Run-queue delay since the window began of the other threads that did not
 * block in it, summed.  A thread that went to sleep by itself during the
 * window was not spinning: its queued time is its wake-ups' (TSan's own
 * background thread wakes every 100 ms and, on a loaded machine, waited 27
 * ms of a 100 ms window to run: summed with the rest, a deadlock looked like
 * a livelock).  A spinner, sched_yield() ones included, never blocks.
 * Threads first seen mid-window count from then; threads that end take
 * theirs with them and threads past WD_MAX_OTHERS are not measured, both of
 * which can only understate it. */
static uint64_t others_wait_ns(struct wd_state *s, bool rebase)
{
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d = opendir("/proc/self/task");

	if (rebase)
		s->n_others = 0;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		long tid = strtol(de->d_name, NULL, 10);
		struct tl_task_status st;
		uint64_t w;
		int i;

		if (tid <= 0 || tid == (long)s->self_tid || !task_wait_ns((pid_t)tid, &w) ||
		    tl_procfs_read_status("/proc", getpid(), (pid_t)tid, &st) != 0)
			continue;
		for (i = 0; i < s->n_others && s->others[i].tid != (pid_t)tid; i++)
			;
		if (i == s->n_others) {
			if (i < WD_MAX_OTHERS) {
				s->others[i] = (struct other){(pid_t)tid, w, st.vcsw};
				s->n_others++;
			}
			continue;
		}
		if (st.vcsw == s->others[i].base_vcsw && w > s->others[i].base_wait_ns)
			sum += w - s->others[i].base_wait_ns;
	}
	closedir(d);
	return sum;
}

static void report_workers(struct line *l, const struct snap *snap, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			line_add(l, ", ");
		describe_worker(l, &snap[i]);
	}
}

/* What one tick saw: each live worker's busy time since the window began,
 * or, with no worker registered, all the other threads' together. */
struct sample {
	struct snap workers[TL_WATCHDOG_MAX_WORKERS];
	int n;                  /* 0: nobody registered */
	uint64_t others_cpu_ns; /* when n == 0 */
	uint64_t others_wait_ns;
	uint64_t max_busy_ns; /* the busiest worker's cpu + queued (the others' when n == 0) */
};

/* The window starts again now if the counter moved since the last tick, or
 * if the watchdog itself did not run for a whole window: then it knows
 * nothing about that span.  Returns whether it did. */
static bool restart_window_if_moved(struct wd_state *s, uint64_t now, uint64_t count)
{
	bool restart = count != s->last_count || now - s->last_tick_ns > cfg.stall_ns;

	if (restart) {
		s->last_count = count;
		s->stall_since_ns = now;
		s->proc_have_base = false;
	}
	s->last_tick_ns = now;
	return restart;
}

/* A worker is busy for the time it was on a CPU or runnable and waiting for
 * one.  The CPU clock alone would call a sched_yield() spinner on an
 * overloaded machine blocked: it runs for microseconds per turn and waits in
 * the run queue the rest of the time, yet it never sleeps.  A thread blocked
 * in a futex accrues neither.  Each worker is measured from the start of the
 * window, or from now on when first seen mid-window. */
static void sample_workers(bool window_restarted, struct sample *smp)
{
	int i;

	smp->n = 0;
	smp->max_busy_ns = 0;
	smp->others_cpu_ns = 0;
	smp->others_wait_ns = 0;
	pthread_mutex_lock(&reg_mu);
	for (i = 0; i < TL_WATCHDOG_MAX_WORKERS; i++) {
		struct worker *w = &workers[i];
		struct snap *sn = &smp->workers[smp->n];
		uint64_t cpu, wait = 0;
		bool ok, wait_ok;

		if (w->tid == 0)
			continue;
		cpu = clock_ns(w->clock, &ok);
		if (!ok) {
			w->tid = 0; /* the thread ended */
			continue;
		}
		wait_ok = task_wait_ns(w->tid, &wait);
		if (window_restarted || !w->have_base) {
			w->base_cpu_ns = cpu;
			w->base_wait_ns = wait;
			w->base_wait_ok = wait_ok;
			w->have_base = true;
		}
		sn->tid = w->tid;
		memcpy(sn->name, w->name, sizeof(sn->name));
		sn->cpu_ns = cpu > w->base_cpu_ns ? cpu - w->base_cpu_ns : 0;
		sn->wait_ns = wait_ok && w->base_wait_ok && wait > w->base_wait_ns
		                  ? wait - w->base_wait_ns
		                  : 0;
		if (sn->cpu_ns + sn->wait_ns > smp->max_busy_ns)
			smp->max_busy_ns = sn->cpu_ns + sn->wait_ns;
		smp->n++;
	}
	pthread_mutex_unlock(&reg_mu);
}

/* Nobody registered: the other threads together, measured from the start of
 * the window like a worker. */
static void sample_others(struct wd_state *s, struct sample *smp)
{
	uint64_t cpu = others_cpu_ns();
	uint64_t wait = others_wait_ns(s, !s->proc_have_base);

	if (!s->proc_have_base) {
		s->proc_base_cpu_ns = cpu;
		s->proc_have_base = true;
	}
	smp->others_cpu_ns = cpu > s->proc_base_cpu_ns ? cpu - s->proc_base_cpu_ns : 0;
	smp->others_wait_ns = wait;
	smp->max_busy_ns = smp->others_cpu_ns + smp->others_wait_ns;
}

/* The deadlock or livelock line, then the exit with its code, or the hold. */
static _Noreturn void report_stall(const struct sample *smp, uint64_t stalled_ns,
                                   enum tl_stall verdict)
{
	bool livelock = verdict == TL_STALL_LIVELOCK;
	int code = livelock ? TL_EXIT_LIVELOCK : TL_EXIT_DEADLOCK;
	struct line l = {.len = 0, .full = false};

	line_add(&l, "watchdog: %s: no progress for %llu ms; ", livelock ? "livelock" : "deadlock",
	         (unsigned long long)(stalled_ns / NS_PER_MS));
	if (smp->n == 0) {
		line_add(&l, "no registered workers; other threads: cpu %llu ms queued %llu ms",
		         (unsigned long long)(smp->others_cpu_ns / NS_PER_MS),
		         (unsigned long long)(smp->others_wait_ns / NS_PER_MS));
	} else {
		line_add(&l, "workers %s CPU: ", livelock ? "on" : "off");
		report_workers(&l, smp->workers, smp->n);
	}
	if (cfg.hold_ns == 0)
		line_emit_and_exit(&l, code);
	/* Held: the hard limit is never reached from here. */
	line_emit(&l);
	hold_and_exit(code);
}

/* Progress trickled for the whole hard limit: the timeout line, exit 7. */
static _Noreturn void report_timeout(const struct sample *smp, uint64_t ran_ns, uint64_t count)
{
	struct line l = {.len = 0, .full = false};

	line_add(&l, "watchdog: timeout: no verdict within %llu ms (progress count %llu); ",
	         (unsigned long long)(ran_ns / NS_PER_MS), (unsigned long long)count);
	if (smp->n == 0) {
		line_add(&l, "no registered workers");
	} else {
		line_add(&l, "workers: ");
		report_workers(&l, smp->workers, smp->n);
	}
	line_emit_and_exit(&l, TL_EXIT_TIMEOUT);
}

/* One look, every tick: sample, then the rule (HACKING.md, "The watchdog"). */
static void tick(struct wd_state *s, uint64_t now)
{
	uint64_t count = tl_progress_count();
	bool restarted = restart_window_if_moved(s, now, count);
	uint64_t stalled = now - s->stall_since_ns;
	struct sample smp;

	sample_workers(restarted, &smp);
	if (smp.n == 0)
		sample_others(s, &smp);

	/* No progress for the whole window: deadlock if the busiest worker ran
	 * or waited to run for less than a fifth of it, livelock if more. */
	if (stalled >= cfg.stall_ns)
		report_stall(&smp, stalled, tl_watchdog_classify(0, smp.max_busy_ns, stalled));
	/* Progress trickled in, so no stall, but the run outlasted the hard limit. */
	if (now - s->start_ns >= cfg.hard_ns)
		report_timeout(&smp, now - s->start_ns, count);
}

static void *wd_main(void *arg)
{
	struct wd_state s;
	uint64_t deadline;

	(void)arg;
	pthread_setname_np(pthread_self(), "watchdog");
	memset(&s, 0, sizeof(s));
	s.self_tid = (pid_t)syscall(SYS_gettid);
	s.start_ns = tl_mono_ns();
	s.last_tick_ns = s.start_ns;
	s.last_count = tl_progress_count();
	s.stall_since_ns = s.start_ns;
	/* Baselines for workers already registered. */
	tick(&s, s.start_ns);
	deadline = s.start_ns + (cfg.tick_ns < cfg.hard_ns ? cfg.tick_ns : cfg.hard_ns);

	for (;;) {
		uint64_t now;

		if (sleep_or_stop(deadline))
			break;
		now = tl_mono_ns();
		if (now < deadline)
			continue; /* EINTR or an early return: sleep the rest */
		tick(&s, now);
		/* Fixed cadence; after an oversleep, one tick from now.  But
		 * wake exactly when the current stall would fill the window
		 * or the hard limit is reached: waiting for the next regular
		 * tick would add up to a tick to the verdict. */
		deadline += cfg.tick_ns;
		if (deadline <= now)
			deadline = now + cfg.tick_ns;
		if (s.stall_since_ns + cfg.stall_ns < deadline)
			deadline = s.stall_since_ns + cfg.stall_ns;
		if (s.start_ns + cfg.hard_ns < deadline)
			deadline = s.start_ns + cfg.hard_ns;
	}
	return NULL;
}

/* ------------------------------------------------------------------ fork */

/* A fork()ed child has no watchdog thread: forget it there.  All three
 * mutexes are held across fork (in the order start/stop use: life, reg,
 * ctl), so the child's copies are consistent and are released by the same
 * thread that took them, which is what every checker expects. */
static void atfork_prepare(void)
{
	pthread_mutex_lock(&life_mu);
	pthread_mutex_lock(&reg_mu);
	pthread_mutex_lock(&ctl_mu);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&ctl_mu);
	pthread_mutex_unlock(&reg_mu);
	pthread_mutex_unlock(&life_mu);
}

static void atfork_child(void)
{
	if (running && wake_fd >= 0)
		close(wake_fd);
	wake_fd = -1;
	running = false;
	atfork_parent();
}

/* ------------------------------------------------------------------ control */

void tl_watchdog_hold(long hold_ms)
{
	pthread_mutex_lock(&life_mu);
	hold_ms_req = hold_ms > 0 ? hold_ms : 0;
	pthread_mutex_unlock(&life_mu);
	/* Best effort: EINVAL where there is no Yama, and then no need. */
	if (hold_ms > 0)
		prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
}

int tl_watchdog_start(long stall_ms, long hard_limit_ms)
{
	double factor = tl_slowdown();
	pthread_attr_t attr;
	sigset_t all, old;
	int rc, i;

	if (stall_ms <= 0)
		stall_ms = TL_WATCHDOG_STALL_MS;
	if (hard_limit_ms <= 0)
		hard_limit_ms = TL_WATCHDOG_HARD_LIMIT_MS;

	pthread_mutex_lock(&life_mu);
	if (running) {
		pthread_mutex_unlock(&life_mu);
		return -EBUSY;
	}
	if (!atfork_done) {
		if (pthread_atfork(atfork_prepare, atfork_parent, atfork_child) == 0)
			atfork_done = true;
	}

	cfg.stall_ns = ms_to_ns(stall_ms, factor);
	cfg.hard_ns = ms_to_ns(hard_limit_ms, factor);
	cfg.tick_ns = cfg.stall_ns / 5;
	if (cfg.tick_ns < NS_PER_MS)
		cfg.tick_ns = NS_PER_MS;
	cfg.hold_ns = hold_ms_req > 0 ? ms_to_ns(hold_ms_req, factor) : 0;

	/* Bookkeeping from an earlier run means nothing now. */
	pthread_mutex_lock(&reg_mu);
	prune_workers_locked();
	for (i = 0; i < TL_WATCHDOG_MAX_WORKERS; i++)
		workers[i].have_base = false;
	pthread_mutex_unlock(&reg_mu);

	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_fd < 0) {
		rc = errno;
		goto fail;
	}
	pthread_mutex_lock(&ctl_mu);
	stop_requested = false;
	pthread_mutex_unlock(&ctl_mu);

	if ((rc = pthread_attr_init(&attr)) != 0)
		goto fail_fd;
	pthread_attr_setstacksize(&attr, WD_STACK_SIZE);
	/* The watchdog must not take signals meant for the lab (a handler
	 * running on the watchdog would change what a signal lab shows):
	 * it inherits a full mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&wd_thread, &attr, wd_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		goto fail_fd;
	running = true;
	pthread_mutex_unlock(&life_mu);
	return 0;

fail_fd:
	close(wake_fd);
	wake_fd = -1;
fail:
	pthread_mutex_unlock(&life_mu);
	return -rc;
}

void tl_watchdog_stop(void)
{
	uint64_t one = 1;

	pthread_mutex_lock(&life_mu);
	if (!running) {
		pthread_mutex_unlock(&life_mu);
		return;
	}
	pthread_mutex_lock(&ctl_mu);
	stop_requested = true;
	pthread_mutex_unlock(&ctl_mu);
	/* The flag is read under ctl_mu after any wake-up; this only cuts the
	 * sleep short.  An eventfd write of 1 cannot block or fail here. */
	if (write(wake_fd, &one, sizeof(one)) < 0) {
		/* then the watchdog sees the flag at its next tick */
	}
	pthread_join(wd_thread, NULL);
	close(wake_fd);
	wake_fd = -1;
	running = false;
	pthread_mutex_unlock(&life_mu);

	/* Workers of this run that have ended should not linger into the
	 * next one. */
	pthread_mutex_lock(&reg_mu);
	prune_workers_locked();
	pthread_mutex_unlock(&reg_mu);
}
