/* Unit tests for tl_watchdog: the classification rule as a table, then real
 * verdicts.  Each verdict scenario runs in a fork()ed child whose stderr is
 * a pipe; the child always ends, because its own watchdog has a hard limit,
 * so the parent simply reads to EOF and waitpid()s. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "tl_clock.h"
#include "tl_watchdog.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ rule */

START_TEST(classify_table)
{
	static const struct {
		uint64_t progress, cpu, window;
		enum tl_stall want;
	} t[] = {
	    {1, 0, 500000000, TL_STALL_NONE},
	    {1, 500000000, 500000000, TL_STALL_NONE}, /* busy but moving */
	    {UINT64_MAX, UINT64_MAX, 1, TL_STALL_NONE},
	    {0, 0, 500000000, TL_STALL_DEADLOCK},
	    {0, 99999999, 500000000, TL_STALL_DEADLOCK},  /* just under a fifth */
	    {0, 100000000, 500000000, TL_STALL_LIVELOCK}, /* exactly a fifth */
	    {0, 500000000, 500000000, TL_STALL_LIVELOCK},
	    {0, 2000000000, 500000000, TL_STALL_LIVELOCK}, /* several CPUs' worth */
	    {0, 1, 6, TL_STALL_DEADLOCK},                  /* 6/5 = 1.2: 1 is under it */
	    {0, 2, 6, TL_STALL_LIVELOCK},
	    {0, 0, 4, TL_STALL_DEADLOCK}, /* 4/5 = 0.8 */
	    {0, 1, 4, TL_STALL_LIVELOCK},
	    {0, UINT64_MAX, UINT64_MAX, TL_STALL_LIVELOCK}, /* no overflow */
	    /* 2^64-1 is a multiple of 5 */
	    {0, UINT64_MAX / 5 - 1, UINT64_MAX, TL_STALL_DEADLOCK},
	    {0, UINT64_MAX / 5, UINT64_MAX, TL_STALL_LIVELOCK},
	    {0, UINT64_MAX / 10, UINT64_MAX - 1, TL_STALL_DEADLOCK},
	    {0, 0, 0, TL_STALL_NONE}, /* an empty window shows nothing */
	    {0, 7, 0, TL_STALL_NONE},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(tl_watchdog_classify(t[i].progress, t[i].cpu, t[i].window) ==
		                  t[i].want,
		              "row %zu", i);
}
END_TEST

START_TEST(slowdown_parse)
{
	static const struct {
		const char *v;
		double want;
	} t[] = {
	    {"3", 3.0},   {"2.5", 2.5}, {"1", 1.0},   {" 4", 4.0},    {"4\n", 4.0},
	    {"0.5", 1.0}, {"0", 1.0},   {"-3", 1.0},  {"abc", 1.0},   {"3x", 1.0},
	    {"", 1.0},    {"nan", 1.0}, {"inf", 1.0}, {"1e400", 1.0}, {"1e9", 1e6},
	};
	size_t i;

	unsetenv("THREADLAB_SLOWDOWN");
	ck_assert(tl_slowdown() == 1.0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setenv("THREADLAB_SLOWDOWN", t[i].v, 1);
		ck_assert_msg(tl_slowdown() == t[i].want, "'%s' gave %g", t[i].v, tl_slowdown());
	}
	unsetenv("THREADLAB_SLOWDOWN");
}
END_TEST

START_TEST(counter_counts)
{
	uint64_t before = tl_progress_count();
	int i;

	for (i = 0; i < 1000; i++)
		tl_progress();
	ck_assert_uint_eq(tl_progress_count() - before, 1000);
	ck_assert_uint_eq(atomic_load(&tl_progress_counter), tl_progress_count());
}
END_TEST

START_TEST(start_stop_api)
{
	unsetenv("THREADLAB_SLOWDOWN");
	tl_watchdog_stop(); /* never started: a no-op */
	ck_assert_int_eq(tl_watchdog_start(10000, 0), 0);
	ck_assert_int_eq(tl_watchdog_start(10000, 0), -EBUSY);
	tl_watchdog_stop();
	tl_watchdog_stop();
	ck_assert_int_eq(tl_watchdog_start(0, 0), 0); /* the defaults */
	tl_watchdog_stop();
}
END_TEST

/* ------------------------------------------------------------------ children */

struct outcome {
	int status;
	double ms; /* fork to reaped, CLOCK_MONOTONIC */
	char err[16384];
};

/* Runs scenario() in a child with stderr captured; THREADLAB_SLOWDOWN set to
 * `slowdown`, or unset when NULL.  A scenario that returns exits 0. */
static void run_child(void (*scenario)(void), const char *slowdown, struct outcome *o)
{
	int fds[2];
	size_t got = 0;
	double t0;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	t0 = tl_mono_ms();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		if (slowdown)
			setenv("THREADLAB_SLOWDOWN", slowdown, 1);
		else
			unsetenv("THREADLAB_SLOWDOWN");
		scenario();
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], o->err + got, sizeof(o->err) - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == sizeof(o->err) - 1)
			break;
	}
	o->err[got] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &o->status, 0), pid);
	o->ms = tl_mono_ms() - t0;
}

static void assert_exit(const struct outcome *o, int code)
{
	ck_assert_msg(WIFEXITED(o->status) && WEXITSTATUS(o->status) == code,
	              "child status 0x%x, expected exit %d; stderr: %s", o->status, code, o->err);
}

/* The verdict is exactly one line. */
static void assert_one_line(const struct outcome *o)
{
	size_t n = strlen(o->err);

	ck_assert_msg(n > 0 && o->err[n - 1] == '\n' && strchr(o->err, '\n') == o->err + n - 1,
	              "not one line: '%s'", o->err);
}

/* Names the calling thread PREFIX-N, as a lab's worker would be. */
static void name_self(const char *prefix, int i)
{
	char name[16];

	snprintf(name, sizeof(name), "%s-%d", prefix, i);
	pthread_setname_np(pthread_self(), name);
}

/* (a) deadlock: lock order inversion made certain by a barrier. */
static pthread_mutex_t mu_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mu_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *deadlock_worker(void *arg)
{
	int i = (int)(long)arg;
	pthread_mutex_t *first = i == 0 ? &mu_a : &mu_b;
	pthread_mutex_t *second = i == 0 ? &mu_b : &mu_a;

	name_self("worker", i + 1);
	tl_watchdog_register();
	pthread_mutex_lock(first);
	pthread_barrier_wait(&both_hold);
	/* The window starts once both are past the barrier: the one it woke
	 * may wait long for a CPU on a loaded machine (23 ms of a 100 ms window
	 * at load 24), and that wait, inside the window, would count as busy. */
	tl_progress();
	pthread_mutex_lock(second); /* never returns */
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
	return NULL;
}

static void scenario_deadlock(void)
{
	pthread_t t[2];
	int i;

	pthread_barrier_init(&both_hold, NULL, 2);
	if (tl_watchdog_start(100, 20000) != 0)
		_exit(90);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, deadlock_worker, (void *)(long)i);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	_exit(91); /* unreachable: the watchdog ends the process */
}

START_TEST(verdict_deadlock)
{
	static struct outcome o;

	run_child(scenario_deadlock, NULL, &o);
	assert_exit(&o, 4);
	assert_one_line(&o);
	ck_assert_msg(strncmp(o.err, "watchdog: deadlock: no progress for ", 36) == 0, "%s", o.err);
	ck_assert_msg(strstr(o.err, "workers off CPU: ") != NULL, "%s", o.err);
	ck_assert_msg(strstr(o.err, "worker-1 (tid ") != NULL, "%s", o.err);
	ck_assert_msg(strstr(o.err, "worker-2 (tid ") != NULL, "%s", o.err);
	ck_assert_msg(strstr(o.err, ") S ") != NULL, "%s", o.err);
	/* The wait channel (or the syscall number) shows the futex wait. */
	ck_assert_msg(strstr(o.err, "futex") != NULL || strstr(o.err, "syscall-202") != NULL, "%s",
	              o.err);
	ck_assert_msg(o.ms >= 100, "verdict after %.0f ms", o.ms);
}
END_TEST

/* (b) livelock: workers spin politely and never get anywhere. */
static atomic_bool never;

static void *livelock_worker(void *arg)
{
	name_self("spinner", (int)(long)arg + 1);
	tl_watchdog_register();
	while (!atomic_load_explicit(&never, memory_order_relaxed))
		sched_yield();
	return NULL;
}

static void scenario_livelock(void)
{
	pthread_t t[2];
	int i;

	if (tl_watchdog_start(100, 20000) != 0)
		_exit(90);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, livelock_worker, (void *)(long)i);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	_exit(91);
}

START_TEST(verdict_livelock)
{
	static struct outcome o;

	run_child(scenario_livelock, NULL, &o);
	assert_exit(&o, 5);
	assert_one_line(&o);
	ck_assert_msg(strncmp(o.err, "watchdog: livelock: no progress for ", 36) == 0, "%s", o.err);
	ck_assert_msg(strstr(o.err, "workers on CPU: ") != NULL, "%s", o.err);
	ck_assert_msg(strstr(o.err, "spinner-1 (tid ") != NULL, "%s", o.err);
	ck_assert_msg(strstr(o.err, "spinner-2 (tid ") != NULL, "%s", o.err);
}
END_TEST

/* (c) steady progress for about two and a half windows, then done: no
 * verdict, twice in a row (start after stop). */
static double progress_until;
static double progress_every;

static void *progress_worker(void *arg)
{
	double next = tl_mono_ms();

	name_self("busy", (int)(long)arg + 1);
	tl_watchdog_register();
	for (;;) {
		double t = tl_mono_ms();

		if (t >= progress_until)
			break;
		if (t >= next) {
			tl_progress();
			next = t + progress_every;
		}
	}
	return NULL;
}

static void progress_round(long stall_ms, double every_ms, double run_ms)
{
	pthread_t t[2];
	int i;

	progress_every = every_ms;
	progress_until = tl_mono_ms() + run_ms;
	if (tl_watchdog_start(stall_ms, 20000) != 0)
		_exit(90);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, progress_worker, (void *)(long)i);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	tl_watchdog_stop();
}

static void scenario_progress(void)
{
	progress_round(100, 0, 250);  /* as fast as it goes */
	progress_round(100, 40, 250); /* a unit every 40 ms: still steady */
}

START_TEST(verdict_none_on_progress)
{
	static struct outcome o;

	run_child(scenario_progress, NULL, &o);
	assert_exit(&o, 0);
	ck_assert_msg(o.err[0] == '\0', "unexpected: %s", o.err);
}
END_TEST

/* (d) THREADLAB_SLOWDOWN=3 stretches a 100 ms window to 300 ms. */
START_TEST(verdict_slowdown)
{
	static struct outcome o;
	unsigned long stalled = 0;

	run_child(scenario_deadlock, "3", &o);
	assert_exit(&o, 4);
	ck_assert_msg(o.ms >= 300, "deadlock verdict after %.0f ms, before 3 x 100", o.ms);
	ck_assert_msg(o.ms < 5000, "deadlock verdict only after %.0f ms", o.ms);
	ck_assert_int_eq(sscanf(o.err, "watchdog: deadlock: no progress for %lu ms", &stalled), 1);
	ck_assert_uint_ge(stalled, 300);
}
END_TEST

/* (e) progress trickles on past the hard limit. */
static void scenario_timeout(void)
{
	pthread_t t[2];
	int i;

	progress_every = 5;
	progress_until = tl_mono_ms() + 60000;
	if (tl_watchdog_start(100, 400) != 0)
		_exit(90);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, progress_worker, (void *)(long)i);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	_exit(91);
}

START_TEST(verdict_timeout)
{
	static struct outcome o;

	run_child(scenario_timeout, NULL, &o);
	assert_exit(&o, 7);
	assert_one_line(&o);
	ck_assert_msg(strncmp(o.err, "watchdog: timeout: ", 19) == 0, "%s", o.err);
	ck_assert_msg(strstr(o.err, "busy-1 (tid ") != NULL, "%s", o.err);
	ck_assert_msg(o.ms >= 400, "timeout after %.0f ms", o.ms);
}
END_TEST

/* (f) nobody registered: the rest of the process is judged as a whole. */
static pthread_mutex_t idle_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;

static void *idle_thread(void *arg)
{
	pthread_mutex_lock(&idle_mu);
	for (;;)
		pthread_cond_wait(&idle_cv, &idle_mu); /* nobody signals */
	return arg;
}

static void scenario_unregistered_blocked(void)
{
	pthread_t t;

	if (tl_watchdog_start(100, 20000) != 0)
		_exit(90);
	pthread_create(&t, NULL, idle_thread, NULL);
	pthread_join(t, NULL);
	_exit(91);
}

static void scenario_unregistered_spinning(void)
{
	if (tl_watchdog_start(100, 20000) != 0)
		_exit(90);
	while (!atomic_load_explicit(&never, memory_order_relaxed))
		;
	_exit(91);
}

START_TEST(verdict_unregistered)
{
	static struct outcome o;

	run_child(scenario_unregistered_blocked, NULL, &o);
	assert_exit(&o, 4);
	assert_one_line(&o);
	ck_assert_msg(strstr(o.err, "watchdog: deadlock: ") == o.err, "%s", o.err);
	ck_assert_msg(strstr(o.err, "no registered workers") != NULL, "%s", o.err);

	run_child(scenario_unregistered_spinning, NULL, &o);
	assert_exit(&o, 5);
	ck_assert_msg(strstr(o.err, "watchdog: livelock: ") == o.err, "%s", o.err);
}
END_TEST

/* More workers than the table holds: the extra are ignored, and the line
 * naming 64 of them still fits one atomic write. */
static pthread_mutex_t crowd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t crowd_cv = PTHREAD_COND_INITIALIZER;   /* never signalled */
static pthread_cond_t crowd_main = PTHREAD_COND_INITIALIZER; /* "one more is in" */
static int crowd_in; /* workers registered and waiting; under crowd_mu */

/* Each registers, counts itself in and waits for good, all under crowd_mu:
 * when the main thread holds crowd_mu and sees them all counted, every one
 * is inside pthread_cond_wait.  (Behind a barrier, all 70 woke at once and
 * their time waiting for a CPU on a loaded machine could fill a fifth of
 * the window: taken for spinning, a livelock.) */
static void *crowd_worker(void *arg)
{
	name_self("crowd", (int)(long)arg);
	tl_watchdog_register();
	pthread_mutex_lock(&crowd_mu);
	crowd_in++;
	pthread_cond_signal(&crowd_main);
	for (;;)
		pthread_cond_wait(&crowd_cv, &crowd_mu); /* never ends */
	return NULL;
}

#define CROWD (TL_WATCHDOG_MAX_WORKERS + 6)

static void scenario_crowd(void)
{
	pthread_t t[CROWD];
	int i;

	for (i = 0; i < CROWD; i++)
		if (pthread_create(&t[i], NULL, crowd_worker, (void *)(long)i) != 0)
			_exit(92);
	pthread_mutex_lock(&crowd_mu);
	while (crowd_in < CROWD)
		pthread_cond_wait(&crowd_main, &crowd_mu);
	pthread_mutex_unlock(&crowd_mu);
	if (tl_watchdog_start(100, 20000) != 0)
		_exit(90);
	for (i = 0; i < CROWD; i++)
		pthread_join(t[i], NULL);
	_exit(91);
}

START_TEST(verdict_crowd)
{
	static struct outcome o;
	size_t n;
	const char *p;
	int named = 0;

	run_child(scenario_crowd, NULL, &o);
	assert_exit(&o, 4);
	assert_one_line(&o);
	n = strlen(o.err);
	ck_assert_uint_le(n, 4096);
	for (p = o.err; (p = strstr(p, "crowd-")) != NULL; p++)
		named++;
	ck_assert_int_ge(named, 1);
	ck_assert_int_le(named, TL_WATCHDOG_MAX_WORKERS);
}
END_TEST

/* A fork()ed child of a watched process has no watchdog: stop is a no-op
 * there (not a join of a thread that does not exist), and the registry's
 * mutex is usable. */
static void scenario_fork(void)
{
	pid_t pid;
	int status;

	if (tl_watchdog_start(100, 20000) != 0)
		_exit(90);
	tl_progress();
	pid = fork();
	if (pid == 0) {
		/* No new thread here: POSIX allows only async-signal-safe
		 * calls after a multithreaded fork, and TSan refuses it. */
		tl_watchdog_stop();
		tl_watchdog_register(); /* its lock was not left held */
		tl_progress();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		_exit(94);
	tl_watchdog_stop();
}

START_TEST(fork_child_has_no_watchdog)
{
	static struct outcome o;

	run_child(scenario_fork, NULL, &o);
	assert_exit(&o, 0);
	ck_assert_msg(o.err[0] == '\0', "unexpected: %s", o.err);
}
END_TEST

/* (g) --hold: the verdict, then a second line, then the process stays at
 * its hang until the hold limit or SIGTERM/SIGINT, and exits with the
 * verdict's code; the hard limit does not cut the hold short. */
static long hold_ms;
static long held_hard_ms;

static void scenario_held_deadlock(void)
{
	pthread_t t[2];
	int i;

	tl_watchdog_hold(hold_ms);
	pthread_barrier_init(&both_hold, NULL, 2);
	if (tl_watchdog_start(100, held_hard_ms) != 0)
		_exit(90);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, deadlock_worker, (void *)(long)i);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	_exit(91);
}

static void scenario_held_livelock(void)
{
	pthread_t t[2];
	int i;

	tl_watchdog_hold(hold_ms);
	if (tl_watchdog_start(100, held_hard_ms) != 0)
		_exit(90);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, livelock_worker, (void *)(long)i);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	_exit(91);
}

/* As run_child, but once the holding line has been read, sends `sig` (if
 * not 0) and notes when.  The child's own hold limit bounds every read. */
static void run_held_child(void (*scenario)(void), int sig, struct outcome *o, double *held_ms)
{
	int fds[2];
	size_t got = 0;
	bool sent = false;
	double t0;
	pid_t pid;

	*held_ms = -1;
	ck_assert_int_eq(pipe(fds), 0);
	t0 = tl_mono_ms();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		unsetenv("THREADLAB_SLOWDOWN");
		scenario();
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], o->err + got, sizeof(o->err) - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		o->err[got] = '\0';
		if (*held_ms < 0 && strstr(o->err, "for examination") != NULL &&
		    o->err[got - 1] == '\n') {
			*held_ms = tl_mono_ms() - t0;
			if (sig != 0 && !sent) {
				ck_assert_int_eq(kill(pid, sig), 0);
				sent = true;
			}
		}
		if (got == sizeof(o->err) - 1)
			break;
	}
	o->err[got] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &o->status, 0), pid);
	o->ms = tl_mono_ms() - t0;
}

/* Exactly two lines: the verdict, then the holding line for this pid. */
static void assert_held_lines(const struct outcome *o, const char *verdict, long ms)
{
	const char *nl = strchr(o->err, '\n');
	char want[128];

	ck_assert_msg(strncmp(o->err, verdict, strlen(verdict)) == 0, "%s", o->err);
	ck_assert_msg(nl != NULL, "%s", o->err);
	ck_assert_msg(strncmp(nl + 1, "watchdog: holding pid ", 22) == 0, "%s", o->err);
	ck_assert_msg(strchr(nl + 1, '\n') == o->err + strlen(o->err) - 1, "%s", o->err);
	snprintf(want, sizeof(want), "(threadstat doctor %d); ends in %ld %s\n", atoi(nl + 1 + 22),
	         ms % 1000 ? ms : ms / 1000, ms % 1000 ? "ms" : "s");
	ck_assert_msg(strstr(nl + 1, want) != NULL, "want '%s' in: %s", want, o->err);
}

START_TEST(hold_until_limit)
{
	static struct outcome o;
	double held;

	/* A hard limit shorter than verdict + hold: holding must outlast it. */
	hold_ms = 1500;
	held_hard_ms = 1000;
	run_held_child(scenario_held_deadlock, 0, &o, &held);
	assert_exit(&o, 4);
	assert_held_lines(&o, "watchdog: deadlock: no progress for ", 1500);
	ck_assert_msg(held >= 100, "held after %.0f ms", held);
	ck_assert_msg(o.ms >= held + 1400, "hold ended %.0f ms after the line", o.ms - held);
}
END_TEST

START_TEST(hold_ends_on_signal)
{
	static struct outcome o;
	double held;

	hold_ms = 20000; /* a bound, never reached: the signal ends it */
	held_hard_ms = 20000;
	run_held_child(scenario_held_deadlock, SIGTERM, &o, &held);
	assert_exit(&o, 4);
	assert_held_lines(&o, "watchdog: deadlock: ", 20000);
	ck_assert_msg(held >= 0 && o.ms < 15000, "SIGTERM ended the hold after %.0f ms", o.ms);

	run_held_child(scenario_held_livelock, SIGINT, &o, &held);
	assert_exit(&o, 5);
	assert_held_lines(&o, "watchdog: livelock: ", 20000);
	ck_assert_msg(held >= 0 && o.ms < 15000, "SIGINT ended the hold after %.0f ms", o.ms);
}
END_TEST

static Suite *watchdog_suite(void)
{
	Suite *s = suite_create("watchdog");
	TCase *tc = tcase_create("rule");

	tcase_add_test(tc, classify_table);
	tcase_add_test(tc, slowdown_parse);
	tcase_add_test(tc, counter_counts);
	tcase_add_test(tc, start_stop_api);
	suite_add_tcase(s, tc);

	tc = tcase_create("verdict");
	/* Each child ends by its own hard limit (20 s at most). */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, verdict_deadlock);
	tcase_add_test(tc, verdict_livelock);
	tcase_add_test(tc, verdict_none_on_progress);
	tcase_add_test(tc, verdict_slowdown);
	tcase_add_test(tc, verdict_timeout);
	tcase_add_test(tc, verdict_unregistered);
	tcase_add_test(tc, verdict_crowd);
	tcase_add_test(tc, fork_child_has_no_watchdog);
	tcase_add_test(tc, hold_until_limit);
	tcase_add_test(tc, hold_ends_on_signal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(watchdog_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
