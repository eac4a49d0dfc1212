/* Unit tests for tl_pool: every call and state, the races the header
 * defines (cancel against start, callbacks added while a task finishes,
 * shutdown with running tasks, as-completed while tasks are still being
 * submitted), and a million tiny tasks.  No sleeps: tasks are held with
 * tl_event gates, and a thread blocked in a call is recognised by its state
 * in /proc.
 *
 * Under Valgrind (Helgrind, DRD, Memcheck: RUNNING_ON_VALGRIND) the
 * repeated and bulk tests run fewer rounds, so those runs stay near a
 * minute; natively and under TSan they run in full. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "tl_annotate.h"
#include "tl_pool.h"
#include "tl_procfs.h"
#include "tl_sync.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Rounds for the repeated and bulk tests: full natively and under TSan,
 * fewer under Valgrind, which runs one thread at a time 50-300x slower. */
static long rounds(long native, long valgrind)
{
	return RUNNING_ON_VALGRIND ? valgrind : native;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Waits, within a bound, until thread `tid` sleeps in the kernel (it has
 * reached the blocking call the test is about).  Past the bound the test
 * goes on: the outcome must be right in either order, and under Valgrind
 * 'S' may mean "waiting for Valgrind's lock". */
static void wait_until_asleep(atomic_int *tid_slot)
{
	struct tl_task_stat st;
	double t0 = now_ms();
	int tid;

	while ((tid = atomic_load(tid_slot)) == 0 && now_ms() - t0 < 5000.0)
		sched_yield();
	while (now_ms() - t0 < 5000.0) {
		if (tl_procfs_read_task_stat("/proc", getpid(), tid, &st) == 0 && st.state == 'S')
			return;
		sched_yield();
	}
}

/* ------------------------------------------------------------ test tasks */

static void *add_one(void *arg)
{
	return (void *)((uintptr_t)arg + 1);
}

/* A task held until the test lets it go: `started` says it is running. */
struct gate {
	tl_event started, go;
	int runs; /* read once the task is finished */
};

static void gate_init(struct gate *g)
{
	ck_assert_int_eq(tl_event_init(&g->started), 0);
	ck_assert_int_eq(tl_event_init(&g->go), 0);
	g->runs = 0;
}

static void gate_destroy(struct gate *g)
{
	tl_event_destroy(&g->started);
	tl_event_destroy(&g->go);
}

static void *gated(void *arg)
{
	struct gate *g = arg;

	g->runs++;
	tl_event_set(&g->started);
	tl_event_wait(&g->go, -1);
	return g;
}

/* Submits a gated task and waits until it runs (its worker is taken). */
static tl_future *submit_running(tl_pool *p, struct gate *g)
{
	tl_future *f = tl_pool_submit(p, gated, g);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(tl_event_wait(&g->started, -1), 0);
	return f;
}

static void *count_run(void *arg)
{
	(*(int *)arg)++;
	return arg;
}

/* A task that takes a little while (a few thousand instructions of work,
 * not a wait), so the workers are still busy with the queue while the
 * test thread races them. */
static void *work_a_little(void *arg)
{
	volatile unsigned x = 0;

	for (int i = 0; i < 2000; i++)
		x = x + (unsigned)i;
	(void)x;
	if (arg)
		(*(int *)arg)++;
	return arg;
}

/* Offers the CPU every 16th step: Valgrind runs one thread at a time, and
 * without this the test thread would do all its steps in one time slice,
 * before any worker ran, and the race would never be run there. */
static void yield_now_and_then(long step)
{
	if (step % 16 == 15)
		sched_yield();
}

/* The k-th of n visited in a scattered order (7919 is prime, and n is
 * not one of its multiples): a bijection of 0..n-1. */
static long scattered(long k, long n)
{
	return (long)(((unsigned long long)k * 7919u) % (unsigned long long)n);
}

/* Callbacks record what ran, where, in which order. */
struct cb_log {
	pthread_mutex_t mu;
	int calls;
	int order[8];
	pthread_t thread[8];
	tl_future *seen;
};

static void cb_log_init(struct cb_log *log)
{
	memset(log, 0, sizeof *log);
	pthread_mutex_init(&log->mu, NULL);
}

struct cb_arg {
	struct cb_log *log;
	int id;
};

static void record_cb(tl_future *f, void *arg)
{
	struct cb_arg *a = arg;

	pthread_mutex_lock(&a->log->mu);
	if (a->log->calls < 8) {
		a->log->order[a->log->calls] = a->id;
		a->log->thread[a->log->calls] = pthread_self();
	}
	a->log->calls++;
	a->log->seen = f;
	pthread_mutex_unlock(&a->log->mu);
}

static int cb_calls(struct cb_log *log)
{
	pthread_mutex_lock(&log->mu);
	int n = log->calls;
	pthread_mutex_unlock(&log->mu);
	return n;
}

/* --------------------------------------------------------- pool, futures */

START_TEST(create_default_workers)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int asks[] = {0, -1, -100};

	for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
		tl_pool *p = tl_pool_create(asks[i]);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(tl_pool_workers(p), cpus > 0 ? cpus : 1);
		tl_future *f = tl_pool_submit(p, add_one, (void *)41);
		ck_assert_ptr_eq(tl_future_result(f), (void *)42);
		tl_future_free(f);
		tl_pool_free(p);
	}
	tl_pool *p = tl_pool_create(3);
	ck_assert_int_eq(tl_pool_workers(p), 3);
	tl_pool_free(p);
}
END_TEST

START_TEST(result_and_error_of_done)
{
	tl_pool *p = tl_pool_create(2);
	tl_future *f = tl_pool_submit(p, add_one, (void *)1);
	const char *msg = "untouched";
	void *r = NULL;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_eq(tl_future_result(f), (void *)2);
	ck_assert_int_eq(tl_future_state(f), TL_FUTURE_DONE);
	ck_assert_int_eq(tl_future_wait(f, 0), 0);
	ck_assert_int_eq(tl_future_error(f, &msg), 0);
	ck_assert_ptr_null(msg);
	ck_assert_int_eq(tl_future_error(f, NULL), 0);
	ck_assert_int_eq(tl_future_result_wait(f, 0, &r), 0);
	ck_assert_ptr_eq(r, (void *)2);
	ck_assert(!tl_future_cancel(f));
	tl_future_free(f);
	tl_pool_free(p);
}
END_TEST

/* One worker runs tasks in the order they were submitted. */
struct fifo_slot {
	int *order, *pos, id;
};

static void *note_order(void *arg)
{
	struct fifo_slot *sl = arg;

	/* One worker: these tasks never overlap. */
	sl->order[(*sl->pos)++] = sl->id;
	return sl;
}

START_TEST(fifo_on_one_worker)
{
	enum { N = 50 };
	int order[N] = {0}, pos = 0;
	struct fifo_slot slots[N];
	tl_future *fs[N];
	tl_pool *p = tl_pool_create(1);
	struct gate g;

	gate_init(&g);
	tl_future *hold = submit_running(p, &g); /* everything queues behind it */
	for (int i = 0; i < N; i++) {
		slots[i] = (struct fifo_slot){order, &pos, i};
		fs[i] = tl_pool_submit(p, note_order, &slots[i]);
		ck_assert_int_eq(tl_future_state(fs[i]), TL_FUTURE_PENDING);
	}
	tl_event_set(&g.go);
	for (int i = 0; i < N; i++) {
		ck_assert_ptr_eq(tl_future_result(fs[i]), &slots[i]);
		tl_future_free(fs[i]);
	}
	ck_assert_int_eq(pos, N);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(order[i], i);
	tl_future_free(hold);
	tl_pool_free(p);
	gate_destroy(&g);
}
END_TEST

START_TEST(states_through_life)
{
	tl_pool *p = tl_pool_create(1);
	struct gate g;

	gate_init(&g);
	tl_future *a = submit_running(p, &g);
	tl_future *b = tl_pool_submit(p, add_one, (void *)5);
	ck_assert_int_eq(tl_future_state(a), TL_FUTURE_RUNNING);
	ck_assert_int_eq(tl_future_state(b), TL_FUTURE_PENDING);
	ck_assert_int_eq(tl_future_wait(b, 0), ETIMEDOUT);
	tl_event_set(&g.go);
	ck_assert_int_eq(tl_future_wait(b, -1), 0);
	ck_assert_int_eq(tl_future_state(b), TL_FUTURE_DONE);
	/* b ran after a on the one worker: a is finished too. */
	ck_assert_int_eq(tl_future_state(a), TL_FUTURE_DONE);
	ck_assert_ptr_eq(tl_future_result(a), &g);
	ck_assert_int_eq(g.runs, 1);
	tl_future_free(a);
	tl_future_free(b);
	tl_pool_free(p);
	gate_destroy(&g);
}
END_TEST

/* ------------------------------------------------------------ failures */

struct fail_spec {
	int code;
	const char *text;   /* NULL: no message */
	tl_future *current; /* tl_task_current() seen inside */
};

static void *failing(void *arg)
{
	struct fail_spec *s = arg;

	s->current = tl_task_current();
	if (s->text)
		tl_task_fail(s->code, "%s %d", s->text, s->code);
	else
		tl_task_fail(s->code, NULL);
	tl_task_fail(99, "a second failure does not count");
	return (void *)1; /* ignored */
}

START_TEST(fail_inside_task)
{
	tl_pool *p = tl_pool_create(2);
	struct fail_spec s1 = {42, "item failed:", NULL}, s2 = {0, NULL, NULL};
	const char *msg;
	void *r = (void *)1;

	tl_future *f1 = tl_pool_submit(p, failing, &s1);
	tl_future *f2 = tl_pool_submit(p, failing, &s2);
	ck_assert_ptr_null(tl_future_result(f1));
	ck_assert_int_eq(tl_future_state(f1), TL_FUTURE_FAILED);
	ck_assert_ptr_eq(s1.current, f1);
	ck_assert_int_eq(tl_future_error(f1, &msg), 42);
	ck_assert_str_eq(msg, "item failed: 42");
	ck_assert_int_eq(tl_future_result_wait(f1, 0, &r), 42);
	ck_assert_ptr_null(r);
	ck_assert(!tl_future_cancel(f1));

	/* Code 0 becomes -1: a failure is never 0.  No format, no message. */
	ck_assert_int_eq(tl_future_error(f2, &msg), -1);
	ck_assert_ptr_null(msg);
	ck_assert_int_eq(tl_future_state(f2), TL_FUTURE_FAILED);
	ck_assert_ptr_eq(s2.current, f2);
	tl_future_free(f1);
	tl_future_free(f2);
	tl_pool_free(p);
}
END_TEST

static void fail_in_callback(tl_future *f, void *arg)
{
	(void)f;
	tl_task_fail(7, "too late");
	*(tl_future **)arg = tl_task_current();
}

START_TEST(fail_outside_task)
{
	tl_pool *p = tl_pool_create(1);
	tl_future *seen = (tl_future *)&seen;

	/* On a thread that runs no task: nothing happens. */
	tl_task_fail(5, "no task here %d", 1);
	ck_assert_ptr_null(tl_task_current());

	/* In a callback (after its task finished, on the worker): nothing
	 * happens either, and the future stays DONE. */
	struct gate g;
	gate_init(&g);
	tl_future *f = submit_running(p, &g);
	ck_assert_int_eq(tl_future_on_done(f, fail_in_callback, &seen), 0);
	tl_event_set(&g.go);
	tl_pool_shutdown(p, true, false); /* callbacks have run */
	ck_assert_ptr_null(seen);
	ck_assert_int_eq(tl_future_state(f), TL_FUTURE_DONE);
	ck_assert_int_eq(tl_future_error(f, NULL), 0);
	tl_future_free(f);
	tl_pool_free(p);
	gate_destroy(&g);
}
END_TEST

/* --------------------------------------------------------------- timeouts */

START_TEST(wait_and_result_time_out)
{
	tl_pool *p = tl_pool_create(1);
	struct gate g;
	void *r = (void *)1;

	gate_init(&g);
	tl_future *f = submit_running(p, &g);
	ck_assert_int_eq(tl_future_wait(f, 0), ETIMEDOUT);
	double t0 = now_ms();
	ck_assert_int_eq(tl_future_wait(f, 30), ETIMEDOUT);
	double waited = now_ms() - t0;
	ck_assert_msg(waited >= 30.0 && waited < 5000.0, "waited %.3f ms", waited);
	t0 = now_ms();
	ck_assert_int_eq(tl_future_result_wait(f, 20, &r), ETIMEDOUT);
	waited = now_ms() - t0;
	ck_assert_msg(waited >= 20.0 && waited < 5000.0, "waited %.3f ms", waited);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(tl_future_state(f), TL_FUTURE_RUNNING);
	tl_event_set(&g.go);
	ck_assert_int_eq(tl_future_result_wait(f, 60000, &r), 0);
	ck_assert_ptr_eq(r, &g);
	tl_future_free(f);
	tl_pool_free(p);
	gate_destroy(&g);
}
END_TEST

/* Several threads wait for one future: all wake when it finishes. */
struct waiter_arg {
	tl_future *f;
	atomic_int tid;
	int rc;
	void *result;
};

static void *waiter_main(void *arg)
{
	struct waiter_arg *w = arg;

	atomic_store(&w->tid, (int)gettid());
	w->rc = tl_future_wait(w->f, -1);
	w->result = tl_future_result(w->f);
	return NULL;
}

START_TEST(many_waiters_one_future)
{
	enum { W = 4 };
	tl_pool *p = tl_pool_create(1);
	struct gate g;
	struct waiter_arg w[W];
	pthread_t t[W];

	gate_init(&g);
	tl_future *f = submit_running(p, &g);
	for (int i = 0; i < W; i++) {
		w[i] = (struct waiter_arg){.f = f, .rc = -1};
		atomic_init(&w[i].tid, 0);
		ck_assert_int_eq(pthread_create(&t[i], NULL, waiter_main, &w[i]), 0);
	}
	for (int i = 0; i < W; i++)
		wait_until_asleep(&w[i].tid);
	tl_event_set(&g.go);
	for (int i = 0; i < W; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(w[i].rc, 0);
		ck_assert_ptr_eq(w[i].result, &g);
	}
	tl_future_free(f);
	tl_pool_free(p);
	gate_destroy(&g);
}
END_TEST

/* ---------------------------------------------------------------- cancel */

START_TEST(cancel_pending_only)
{
	tl_pool *p = tl_pool_create(1);
	struct gate g;
	struct cb_log log;
	struct cb_arg a1, a2;
	int ran = 0;
	const char *msg;
	void *r = (void *)1;

	gate_init(&g);
	cb_log_init(&log);
	a1 = (struct cb_arg){&log, 1};
	a2 = (struct cb_arg){&log, 2};
	tl_future *running = submit_running(p, &g);
	tl_future *pending = tl_pool_submit(p, count_run, &ran);
	ck_assert_int_eq(tl_future_on_done(pending, record_cb, &a1), 0);
	ck_assert_int_eq(tl_future_on_done(pending, record_cb, &a2), 0);

	ck_assert(!tl_future_cancel(running)); /* RUNNING: too late */
	ck_assert(tl_future_cancel(pending));
	/* Its callbacks ran here, in order, before cancel returned. */
	ck_assert_int_eq(cb_calls(&log), 2);
	ck_assert_int_eq(log.order[0], 1);
	ck_assert_int_eq(log.order[1], 2);
	ck_assert(pthread_equal(log.thread[0], pthread_self()));
	ck_assert_ptr_eq(log.seen, pending);
	ck_assert_int_eq(tl_future_state(pending), TL_FUTURE_CANCELLED);
	ck_assert_int_eq(tl_future_wait(pending, 0), 0);
	ck_assert_ptr_null(tl_future_result(pending));
	ck_assert_int_eq(tl_future_error(pending, &msg), ECANCELED);
	ck_assert_str_eq(msg, "cancelled");
	ck_assert_int_eq(tl_future_result_wait(pending, 0, &r), ECANCELED);
	ck_assert_ptr_null(r);
	/* Cancelled already: still true, callbacks not run again. */
	ck_assert(tl_future_cancel(pending));
	ck_assert_int_eq(cb_calls(&log), 2);

	tl_event_set(&g.go);
	ck_assert_int_eq(tl_future_wait(running, -1), 0);
	ck_assert(!tl_future_cancel(running)); /* DONE */
	tl_pool_free(p);
	ck_assert_int_eq(ran, 0); /* the cancelled task never ran */
	ck_assert_int_eq(tl_future_state(running), TL_FUTURE_DONE);
	tl_future_free(running);
	tl_future_free(pending);
	gate_destroy(&g);
	pthread_mutex_destroy(&log.mu);
}
END_TEST

/* Cancels race the workers taking tasks off the queue (all submitted
 * first, then cancelled in a scattered order while the workers run them):
 * exactly one side wins, every time.  True <=> the task never ran <=>
 * CANCELLED. */
START_TEST(cancel_races_start)
{
	long n = rounds(20000, 2000);
	tl_pool *p = tl_pool_create(2);
	tl_future **fs = calloc((size_t)n, sizeof *fs);
	bool *won = calloc((size_t)n, sizeof *won);
	int *ran = calloc((size_t)n, sizeof *ran);
	long cancelled = 0, wrong = 0;

	/* Counted, then asserted once: in Check's fork mode every ck_assert
	 * is a write to the parent, too slow for a loop this long. */
	for (long i = 0; i < n; i++)
		fs[i] = tl_pool_submit(p, work_a_little, &ran[i]);
	for (long k = 0; k < n; k++) {
		long i = scattered(k, n);
		won[i] = tl_future_cancel(fs[i]);
		yield_now_and_then(k);
	}
	tl_pool_shutdown(p, true, false);
	for (long i = 0; i < n; i++) {
		enum tl_future_state s = tl_future_state(fs[i]);
		wrong += !fs[i] || ran[i] != (won[i] ? 0 : 1) ||
		         s != (won[i] ? TL_FUTURE_CANCELLED : TL_FUTURE_DONE);
		cancelled += won[i];
		tl_future_free(fs[i]);
	}
	printf("cancel_races_start: %ld of %ld cancelled before they started\n", cancelled, n);
	ck_assert_int_eq(wrong, 0);
	tl_pool_free(p);
	free(fs);
	free(won);
	free(ran);
}
END_TEST

/* ----------------------------------------------------------- callbacks */

START_TEST(callbacks_order_and_thread)
{
	tl_pool *p = tl_pool_create(1);
	struct gate g;
	struct cb_log log;
	struct cb_arg a[4];

	gate_init(&g);
	cb_log_init(&log);
	for (int i = 0; i < 4; i++)
		a[i] = (struct cb_arg){&log, i};
	tl_future *f = submit_running(p, &g);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tl_future_on_done(f, record_cb, &a[i]), 0);
	ck_assert_int_eq(cb_calls(&log), 0);
	tl_event_set(&g.go);
	tl_pool_shutdown(p, true, false); /* the worker has run them */
	ck_assert_int_eq(cb_calls(&log), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(log.order[i], i);
		ck_assert(!pthread_equal(log.thread[i], pthread_self()));
	}
	/* Finished: a new callback runs at once, here. */
	ck_assert_int_eq(tl_future_on_done(f, record_cb, &a[3]), 0);
	ck_assert_int_eq(cb_calls(&log), 4);
	ck_assert_int_eq(log.order[3], 3);
	ck_assert(pthread_equal(log.thread[3], pthread_self()));
	tl_future_free(f);
	tl_pool_free(p);
	gate_destroy(&g);
	pthread_mutex_destroy(&log.mu);
}
END_TEST

struct once_count {
	int calls; /* written by the one run of its callback only */
	bool on_test_thread;
};

static pthread_t test_thread;

static void count_cb(tl_future *f, void *arg)
{
	struct once_count *c = arg;

	(void)f;
	c->calls++;
	c->on_test_thread = pthread_equal(pthread_self(), test_thread);
}

/* Callbacks added while the task is finishing: each runs exactly once,
 * on the worker (added in time) or at once in the adder (too late). */
START_TEST(callbacks_while_finishing)
{
	long n = rounds(20000, 2000);
	tl_pool *p = tl_pool_create(2);
	struct once_count *c = calloc((size_t)n, sizeof *c);
	tl_future **kept = calloc((size_t)n, sizeof *kept);
	long here = 0, wrong = 0;

	test_thread = pthread_self();
	/* All submitted first, then callbacks added in a scattered order
	 * while the workers finish tasks. */
	for (long i = 0; i < n; i++)
		kept[i] = tl_pool_submit(p, work_a_little, NULL);
	for (long k = 0; k < n; k++) {
		long i = scattered(k, n);
		wrong += tl_future_on_done(kept[i], count_cb, &c[i]) != 0;
		yield_now_and_then(k);
		/* Every other one, the owner lets go at once: the pool's
		 * reference alone keeps it alive for its callback. */
		if (i % 2 == 0) {
			tl_future_free(kept[i]);
			kept[i] = NULL;
		}
	}
	tl_pool_shutdown(p, true, false);
	for (long i = 0; i < n; i++) {
		wrong += c[i].calls != 1;
		here += c[i].on_test_thread;
		tl_future_free(kept[i]);
	}
	printf("callbacks_while_finishing: %ld of %ld ran at once in the adder\n", here, n);
	ck_assert_int_eq(wrong, 0);
	tl_pool_free(p);
	free(c);
	free(kept);
}
END_TEST

/* A callback may free the owner's reference: the pool still holds one. */
static void free_in_callback(tl_future *f, void *arg)
{
	(void)arg;
	tl_future_free(f);
}

START_TEST(free_before_finish)
{
	tl_pool *p = tl_pool_create(1);
	struct gate g;
	struct cb_log log;
	struct cb_arg a = {&log, 1};
	int ran = 0;

	gate_init(&g);
	cb_log_init(&log);
	tl_future *running = submit_running(p, &g);
	ck_assert_int_eq(tl_future_on_done(running, record_cb, &a), 0);
	tl_future_free(running); /* running, freed by its owner */
	tl_future *pending = tl_pool_submit(p, count_run, &ran);
	ck_assert_int_eq(tl_future_on_done(pending, record_cb, &a), 0);
	tl_future_free(pending); /* pending, freed, then cancelled */
	tl_future *freed_by_cb = tl_pool_submit(p, count_run, &ran);
	ck_assert_int_eq(tl_future_on_done(freed_by_cb, free_in_callback, NULL), 0);
	tl_pool_shutdown(p, false, true); /* cancels both pending ones */
	ck_assert_int_eq(cb_calls(&log), 1);
	tl_event_set(&g.go);
	tl_pool_free(p);
	ck_assert_int_eq(cb_calls(&log), 2);
	ck_assert_int_eq(ran, 0);
	gate_destroy(&g);
	pthread_mutex_destroy(&log.mu);
	/* Memcheck's leak check is the rest of this test. */
}
END_TEST

/* Futures outlive their pool; the pool's memory goes with the last one. */
START_TEST(futures_outlive_pool)
{
	tl_pool *p = tl_pool_create(2);
	struct cb_log log;
	struct cb_arg a = {&log, 9};

	cb_log_init(&log);
	tl_future *f = tl_pool_submit(p, add_one, (void *)10);
	tl_future *g = tl_pool_submit(p, add_one, (void *)20);
	tl_pool_free(p);
	ck_assert_int_eq(tl_future_state(f), TL_FUTURE_DONE);
	ck_assert_ptr_eq(tl_future_result(f), (void *)11);
	ck_assert_int_eq(tl_future_wait(g, 0), 0);
	ck_assert(!tl_future_cancel(g));
	ck_assert_int_eq(tl_future_on_done(g, record_cb, &a), 0);
	ck_assert_int_eq(cb_calls(&log), 1);
	tl_completion *c = tl_as_completed((tl_future *[]){f, g}, 2);
	ck_assert_ptr_eq(tl_completion_next(c, 0), f);
	ck_assert_ptr_eq(tl_completion_next(c, 0), g);
	tl_future_free(f);
	tl_future_free(g); /* the completion still holds both */
	tl_completion_free(c);
	pthread_mutex_destroy(&log.mu);
}
END_TEST

/* -------------------------------------------------------------- shutdown */

struct shutdown_call {
	tl_pool *p;
	bool wait, cancel_pending;
	atomic_int tid;
	tl_future *watched[3];
	enum tl_future_state after[3]; /* states right after shutdown returned */
};

static void *shutdown_main(void *arg)
{
	struct shutdown_call *s = arg;

	atomic_store(&s->tid, (int)gettid());
	tl_pool_shutdown(s->p, s->wait, s->cancel_pending);
	for (int i = 0; i < 3; i++)
		s->after[i] = tl_future_state(s->watched[i]);
	return NULL;
}

/* One worker runs a held task; two more are queued.  Shutdown with each
 * combination of wait and cancel_pending. */
static void shutdown_with_running(bool wait, bool cancel_pending)
{
	tl_pool *p = tl_pool_create(1);
	struct gate g;
	int ran[2] = {0, 0};
	struct shutdown_call s = {.p = p, .wait = wait, .cancel_pending = cancel_pending};
	pthread_t t;

	atomic_init(&s.tid, 0);
	gate_init(&g);
	tl_future *a = submit_running(p, &g);
	tl_future *b = tl_pool_submit(p, count_run, &ran[0]);
	tl_future *c = tl_pool_submit(p, count_run, &ran[1]);
	s.watched[0] = a;
	s.watched[1] = b;
	s.watched[2] = c;
	struct cb_log log;
	struct cb_arg cb_b = {&log, 1}, cb_c = {&log, 2};
	cb_log_init(&log);
	ck_assert_int_eq(tl_future_on_done(c, record_cb, &cb_c), 0);
	ck_assert_int_eq(tl_future_on_done(b, record_cb, &cb_b), 0);
	enum tl_future_state queued = cancel_pending ? TL_FUTURE_CANCELLED : TL_FUTURE_DONE;

	if (wait) {
		/* It blocks until the held task is let go, so from a thread. */
		ck_assert_int_eq(pthread_create(&t, NULL, shutdown_main, &s), 0);
		wait_until_asleep(&s.tid);
		ck_assert_ptr_null(tl_pool_submit(p, add_one, NULL));
		ck_assert_int_eq(errno, ESHUTDOWN);
		tl_event_set(&g.go);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		/* It returned only once every task was finished. */
		ck_assert_int_eq(s.after[0], TL_FUTURE_DONE);
		ck_assert_int_eq(s.after[1], queued);
		ck_assert_int_eq(s.after[2], queued);
	} else {
		shutdown_main(&s);
		/* Returned at once: the held task still runs. */
		ck_assert_int_eq(s.after[0], TL_FUTURE_RUNNING);
		ck_assert_int_eq(s.after[1],
		                 cancel_pending ? TL_FUTURE_CANCELLED : TL_FUTURE_PENDING);
		ck_assert_int_eq(s.after[2],
		                 cancel_pending ? TL_FUTURE_CANCELLED : TL_FUTURE_PENDING);
		ck_assert_ptr_null(tl_pool_submit(p, add_one, NULL));
		ck_assert_int_eq(errno, ESHUTDOWN);
		/* Cancelled ones: their callbacks ran here, in queue order. */
		ck_assert_int_eq(cb_calls(&log), cancel_pending ? 2 : 0);
		tl_event_set(&g.go);
	}
	tl_pool_shutdown(p, true, false); /* again: harmless, and waits */
	ck_assert_int_eq(tl_future_state(a), TL_FUTURE_DONE);
	ck_assert_int_eq(tl_future_state(b), queued);
	ck_assert_int_eq(tl_future_state(c), queued);
	ck_assert_int_eq(ran[0], !cancel_pending);
	ck_assert_int_eq(ran[1], !cancel_pending);
	ck_assert_int_eq(cb_calls(&log), 2);
	ck_assert_int_eq(log.order[0], 1);
	ck_assert_int_eq(log.order[1], 2);
	pthread_mutex_destroy(&log.mu);
	tl_pool_free(p);
	tl_future_free(a);
	tl_future_free(b);
	tl_future_free(c);
	gate_destroy(&g);
}

START_TEST(shutdown_nowait_keep)
{
	shutdown_with_running(false, false);
}
END_TEST
START_TEST(shutdown_nowait_cancel)
{
	shutdown_with_running(false, true);
}
END_TEST
START_TEST(shutdown_wait_keep)
{
	shutdown_with_running(true, false);
}
END_TEST
START_TEST(shutdown_wait_cancel)
{
	shutdown_with_running(true, true);
}
END_TEST

struct self_shutdown {
	tl_pool *p;
	int submit_errno;
	tl_future *submitted;
};

static void *shutdown_own_pool(void *arg)
{
	struct self_shutdown *s = arg;

	tl_pool_shutdown(s->p, true, false); /* wait ignored: no deadlock */
	s->submitted = tl_pool_submit(s->p, add_one, NULL);
	s->submit_errno = errno;
	return s;
}

START_TEST(shutdown_inside_task)
{
	tl_pool *p = tl_pool_create(2);
	struct self_shutdown s = {p, 0, NULL};

	tl_future *f = tl_pool_submit(p, shutdown_own_pool, &s);
	ck_assert_ptr_eq(tl_future_result(f), &s);
	ck_assert_ptr_null(s.submitted);
	ck_assert_int_eq(s.submit_errno, ESHUTDOWN);
	tl_future_free(f);
	tl_pool_free(p);
}
END_TEST

static void *free_own_pool(void *arg)
{
	tl_pool_free(arg);
	return NULL;
}

/* tl_pool_free on the pool's own worker aborts (a fork, so the abort is
 * the child's).  Not under Valgrind: the child's abort would leave a core
 * file of Valgrind's. */
START_TEST(free_inside_task_aborts)
{
	if (RUNNING_ON_VALGRIND)
		return;
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		tl_pool *p = tl_pool_create(1);
		tl_future *f = tl_pool_submit(p, free_own_pool, p);
		tl_future_wait(f, 60000);
		_exit(2);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status %#x", status);
}
END_TEST

START_TEST(submit_after_shutdown)
{
	tl_pool *p = tl_pool_create(1);

	tl_pool_shutdown(p, false, false);
	errno = 0;
	ck_assert_ptr_null(tl_pool_submit(p, add_one, NULL));
	ck_assert_int_eq(errno, ESHUTDOWN);
	void *r[2], *args[2] = {NULL, NULL};
	ck_assert_int_eq(tl_pool_map(p, add_one, args, r, 2, 1), ESHUTDOWN);
	ck_assert_ptr_null(r[0]);
	ck_assert_ptr_null(r[1]);
	tl_pool_free(p);
}
END_TEST

/* ------------------------------------------------------ several futures */

START_TEST(as_completed_finish_order)
{
	tl_pool *p = tl_pool_create(3);
	struct gate g[3];
	tl_future *fs[4];

	for (int i = 0; i < 3; i++) {
		gate_init(&g[i]);
		fs[i] = submit_running(p, &g[i]);
	}
	fs[3] = tl_pool_submit(p, add_one, NULL); /* queued behind the three */
	tl_completion *c = tl_as_completed(fs, 4);
	ck_assert_ptr_nonnull(c);
	errno = 0;
	ck_assert_ptr_null(tl_completion_next(c, 0));
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_ptr_null(tl_completion_next(c, 20));
	ck_assert_int_eq(errno, ETIMEDOUT);
	int release[3] = {2, 0, 1};
	for (int k = 0; k < 3; k++) {
		tl_event_set(&g[release[k]].go);
		tl_future *f = tl_completion_next(c, -1);
		if (k == 0) {
			/* The freed worker may run fs[3] too: either may be first. */
			if (f == fs[3])
				f = tl_completion_next(c, -1);
		}
		if (f == fs[3])
			f = tl_completion_next(c, -1);
		ck_assert_ptr_eq(f, fs[release[k]]);
	}
	tl_pool_shutdown(p, true, false);
	/* fs[3] is returned once, wherever it fell; then the end. */
	tl_future *rest;
	int rest_count = 0;
	while ((rest = tl_completion_next(c, 0)))
		rest_count++;
	ck_assert_int_eq(errno, 0);
	ck_assert_int_le(rest_count, 1);
	tl_completion_free(c);

	/* Finished before: they come first, in the order given. */
	tl_future *order[3] = {fs[1], fs[3], fs[0]};
	c = tl_as_completed(order, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_eq(tl_completion_next(c, 0), order[i]);
	errno = ETIMEDOUT;
	ck_assert_ptr_null(tl_completion_next(c, -1));
	ck_assert_int_eq(errno, 0);
	tl_completion_free(c);

	for (int i = 0; i < 4; i++)
		tl_future_free(fs[i]);
	for (int i = 0; i < 3; i++)
		gate_destroy(&g[i]);
	tl_pool_free(p);
}
END_TEST

/* A producer submits and adds to an open completion while the test thread
 * takes futures out as they finish; meanwhile a third thread submits to the
 * same pool and waits on a fixed as_completed of its own. */
struct producer {
	tl_pool *p;
	tl_completion *c;
	long n;
	tl_future **fs;
	int add_errors;
};

static void *producer_main(void *arg)
{
	struct producer *pr = arg;

	for (long i = 0; i < pr->n; i++) {
		pr->fs[i] = tl_pool_submit(pr->p, add_one, (void *)(uintptr_t)i);
		if (!pr->fs[i] || tl_completion_add(pr->c, pr->fs[i]) != 0)
			pr->add_errors++;
	}
	tl_completion_seal(pr->c);
	return NULL;
}

struct side_submitter {
	tl_pool *p;
	long n;
	long returned;
	long wrong;
};

static void *side_main(void *arg)
{
	struct side_submitter *s = arg;
	tl_future **fs = calloc((size_t)s->n, sizeof *fs);

	for (long i = 0; i < s->n; i++)
		fs[i] = tl_pool_submit(s->p, add_one, (void *)(uintptr_t)i);
	tl_completion *c = tl_as_completed(fs, (size_t)s->n);
	tl_future *f;
	while ((f = tl_completion_next(c, -1))) {
		s->returned++;
		if (tl_future_state(f) != TL_FUTURE_DONE)
			s->wrong++;
	}
	tl_completion_free(c);
	for (long i = 0; i < s->n; i++)
		tl_future_free(fs[i]);
	free(fs);
	return NULL;
}

START_TEST(as_completed_during_submission)
{
	long n = rounds(20000, 2000);
	tl_pool *p = tl_pool_create(2);
	struct producer pr = {p, tl_completion_new(), n, calloc((size_t)n, sizeof(tl_future *)), 0};
	struct side_submitter side = {p, n / 2, 0, 0};
	char *seen = calloc((size_t)n, 1);
	pthread_t tp, ts;

	ck_assert_ptr_nonnull(pr.c);
	ck_assert_int_eq(pthread_create(&tp, NULL, producer_main, &pr), 0);
	ck_assert_int_eq(pthread_create(&ts, NULL, side_main, &side), 0);
	long got = 0, wrong = 0;
	tl_future *f;
	while ((f = tl_completion_next(pr.c, -1))) {
		uintptr_t v = (uintptr_t)tl_future_result(f);
		if (v < 1 || v > (uintptr_t)n || seen[v - 1]) /* each once */
			wrong++;
		else
			seen[v - 1] = 1;
		got++;
	}
	ck_assert_int_eq(errno, 0);
	ck_assert_int_eq(wrong, 0);
	ck_assert_int_eq(pthread_join(tp, NULL), 0);
	ck_assert_int_eq(pthread_join(ts, NULL), 0);
	ck_assert_int_eq(pr.add_errors, 0);
	ck_assert_int_eq(got, n);
	ck_assert_int_eq(side.returned, side.n);
	ck_assert_int_eq(side.wrong, 0);
	/* Sealed: nothing more can be added. */
	ck_assert_int_eq(tl_completion_add(pr.c, pr.fs[0]), EINVAL);
	tl_completion_free(pr.c);
	for (long i = 0; i < n; i++)
		tl_future_free(pr.fs[i]);
	free(pr.fs);
	free(seen);
	tl_pool_free(p);
}
END_TEST

/* Several threads take from one completion: each future goes to one. */
struct taker {
	tl_completion *c;
	long got;
	uintptr_t sum;
	int end_errno;
};

static void *taker_main(void *arg)
{
	struct taker *t = arg;
	tl_future *f;

	while ((f = tl_completion_next(t->c, -1))) {
		t->got++;
		t->sum += (uintptr_t)tl_future_result(f);
	}
	t->end_errno = errno;
	return NULL;
}

START_TEST(completion_many_takers)
{
	enum { T = 3 };
	long n = rounds(5000, 1000);
	tl_pool *p = tl_pool_create(2);
	tl_future **fs = calloc((size_t)n, sizeof *fs);
	struct taker tk[T];
	pthread_t t[T];

	for (long i = 0; i < n; i++)
		fs[i] = tl_pool_submit(p, add_one, (void *)(uintptr_t)i);
	tl_completion *c = tl_as_completed(fs, (size_t)n);
	for (int i = 0; i < T; i++) {
		tk[i] = (struct taker){.c = c};
		ck_assert_int_eq(pthread_create(&t[i], NULL, taker_main, &tk[i]), 0);
	}
	long got = 0;
	uintptr_t sum = 0;
	for (int i = 0; i < T; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(tk[i].end_errno, 0);
		got += tk[i].got;
		sum += tk[i].sum;
	}
	ck_assert_int_eq(got, n);
	ck_assert_uint_eq(sum, (uintptr_t)n * (uintptr_t)(n + 1) / 2);
	tl_completion_free(c);
	for (long i = 0; i < n; i++)
		tl_future_free(fs[i]);
	free(fs);
	tl_pool_free(p);
}
END_TEST

START_TEST(wait_first_completed)
{
	tl_pool *p = tl_pool_create(2);
	struct gate g[2];
	tl_future *fs[2];

	for (int i = 0; i < 2; i++) {
		gate_init(&g[i]);
		fs[i] = submit_running(p, &g[i]);
	}
	ck_assert_int_eq(tl_pool_wait(fs, 2, TL_FIRST_COMPLETED, 0), ETIMEDOUT);
	double t0 = now_ms();
	ck_assert_int_eq(tl_pool_wait(fs, 2, TL_FIRST_COMPLETED, 25), ETIMEDOUT);
	ck_assert(now_ms() - t0 >= 25.0);
	tl_event_set(&g[1].go);
	ck_assert_int_eq(tl_pool_wait(fs, 2, TL_FIRST_COMPLETED, -1), 0);
	ck_assert_int_eq(tl_future_state(fs[1]), TL_FUTURE_DONE);
	ck_assert_int_eq(tl_future_state(fs[0]), TL_FUTURE_RUNNING);
	/* Holds already: at once, whatever the timeout. */
	ck_assert_int_eq(tl_pool_wait(fs, 2, TL_FIRST_COMPLETED, 0), 0);
	ck_assert_int_eq(tl_pool_wait(fs, 2, TL_ALL_COMPLETED, 10), ETIMEDOUT);
	tl_event_set(&g[0].go);
	ck_assert_int_eq(tl_pool_wait(fs, 2, TL_ALL_COMPLETED, 60000), 0);
	for (int i = 0; i < 2; i++) {
		tl_future_free(fs[i]);
		gate_destroy(&g[i]);
	}
	tl_pool_free(p);
}
END_TEST

START_TEST(wait_first_failed)
{
	tl_pool *p = tl_pool_create(2);
	struct gate g;
	struct fail_spec s = {13, "failed", NULL};

	gate_init(&g);
	tl_future *fs[2];
	fs[0] = submit_running(p, &g);
	/* None failed yet: FIRST_FAILED waits like ALL_COMPLETED. */
	ck_assert_int_eq(tl_pool_wait(fs, 1, TL_FIRST_FAILED, 10), ETIMEDOUT);
	fs[1] = tl_pool_submit(p, failing, &s);
	ck_assert_int_eq(tl_pool_wait(fs, 2, TL_FIRST_FAILED, -1), 0);
	ck_assert_int_eq(tl_future_state(fs[0]), TL_FUTURE_RUNNING);
	ck_assert_int_eq(tl_future_state(fs[1]), TL_FUTURE_FAILED);
	tl_event_set(&g.go);
	/* No failure among these: it holds once all are finished. */
	ck_assert_int_eq(tl_pool_wait(fs, 1, TL_FIRST_FAILED, -1), 0);
	ck_assert_int_eq(tl_future_state(fs[0]), TL_FUTURE_DONE);
	for (int i = 0; i < 2; i++)
		tl_future_free(fs[i]);
	tl_pool_free(p);

	/* A cancelled future is finished but has not failed. */
	p = tl_pool_create(1);
	gate_destroy(&g);
	gate_init(&g);
	fs[0] = submit_running(p, &g);
	fs[1] = tl_pool_submit(p, add_one, NULL);
	ck_assert(tl_future_cancel(fs[1]));
	ck_assert_int_eq(tl_pool_wait(fs, 2, TL_FIRST_FAILED, 0), ETIMEDOUT);
	ck_assert_int_eq(tl_pool_wait(fs, 2, TL_FIRST_COMPLETED, 0), 0);
	tl_event_set(&g.go);
	ck_assert_int_eq(tl_pool_wait(fs, 2, TL_FIRST_FAILED, -1), 0);
	ck_assert_int_eq(tl_future_state(fs[0]), TL_FUTURE_DONE);
	for (int i = 0; i < 2; i++)
		tl_future_free(fs[i]);
	gate_destroy(&g);
	tl_pool_free(p);
}
END_TEST

/* More futures than fit on the stack, from two pools, some already done. */
START_TEST(wait_many_two_pools)
{
	enum { N = 40 };
	tl_pool *p1 = tl_pool_create(1), *p2 = tl_pool_create(2);
	struct gate g;
	tl_future *fs[N];

	gate_init(&g);
	fs[0] = submit_running(p1, &g);
	for (int i = 1; i < N; i++)
		fs[i] = tl_pool_submit(i % 2 ? p2 : p1, add_one, (void *)(uintptr_t)i);
	ck_assert_int_eq(tl_pool_wait(fs + 1, N - 1, TL_FIRST_COMPLETED, -1), 0);
	ck_assert_int_eq(tl_pool_wait(fs, N, TL_ALL_COMPLETED, 0), ETIMEDOUT);
	tl_event_set(&g.go);
	ck_assert_int_eq(tl_pool_wait(fs, N, TL_ALL_COMPLETED, -1), 0);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(tl_future_state(fs[i]), TL_FUTURE_DONE);
		tl_future_free(fs[i]);
	}
	ck_assert_int_eq(tl_pool_wait(fs, 0, TL_FIRST_COMPLETED, -1), 0);
	ck_assert_int_eq(tl_pool_wait(NULL, 0, TL_ALL_COMPLETED, -1), 0);
	gate_destroy(&g);
	tl_pool_free(p1);
	tl_pool_free(p2);
}
END_TEST

/* -------------------------------------------------------------------- map */

static void *square(void *arg)
{
	uintptr_t v = (uintptr_t)arg;
	return (void *)(v * v);
}

START_TEST(map_in_order)
{
	enum { N = 103 };
	tl_pool *p = tl_pool_create(2);
	void *args[N], *results[N];
	size_t chunks[] = {1, 3, 0, 10, N, N + 5};

	for (int i = 0; i < N; i++)
		args[i] = (void *)(uintptr_t)i;
	for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
		memset(results, 0xff, sizeof results);
		ck_assert_int_eq(tl_pool_map(p, square, args, results, N, chunks[k]), 0);
		for (int i = 0; i < N; i++)
			ck_assert_ptr_eq(results[i], (void *)(uintptr_t)(i * i));
	}
	ck_assert_int_eq(tl_pool_map(p, square, NULL, NULL, 0, 1), 0);
	tl_pool_free(p);
}
END_TEST

/* fn for map: item v fails (code 70 + v) if bad[v]; counts its calls. */
struct map_probe {
	const bool *bad;
	int *calls;
	uintptr_t v;
};

static void *probe_item(void *arg)
{
	struct map_probe *m = arg;

	m->calls[m->v]++;
	if (m->bad[m->v])
		tl_task_fail(70 + (int)m->v, "item %lu", (unsigned long)m->v);
	return (void *)(m->v + 1000);
}

static void map_failure(int workers, size_t chunk)
{
	enum { N = 40 };
	tl_pool *p = tl_pool_create(workers);
	bool bad[N] = {false};
	int calls[N] = {0};
	struct map_probe probes[N];
	void *args[N], *results[N];

	bad[5] = bad[9] = true;
	for (int i = 0; i < N; i++) {
		probes[i] = (struct map_probe){bad, calls, (uintptr_t)i};
		args[i] = &probes[i];
	}
	ck_assert_int_eq(tl_pool_map(p, probe_item, args, results, N, chunk), 75);
	for (int i = 0; i < N; i++) {
		if (i < 5)
			ck_assert_ptr_eq(results[i], (void *)(uintptr_t)(i + 1000));
		else
			ck_assert_ptr_null(results[i]);
	}
	for (int i = 0; i <= 5; i++)
		ck_assert_int_eq(calls[i], 1);
	if (workers == 1) {
		/* One worker: nothing after the failure starts. */
		for (int i = 6; i < N; i++)
			ck_assert_int_eq(calls[i], 0);
	}
	tl_pool_free(p);
}

START_TEST(map_failure_chunk1_one_worker)
{
	map_failure(1, 1);
}
END_TEST
START_TEST(map_failure_chunk4_one_worker)
{
	map_failure(1, 4);
}
END_TEST
START_TEST(map_failure_chunk1_two_workers)
{
	map_failure(2, 1);
}
END_TEST
START_TEST(map_failure_chunk3_two_workers)
{
	map_failure(2, 3);
}
END_TEST

/* ------------------------------------------------------------------- bulk */

/* A million tiny tasks (fewer under Valgrind): every result right, every
 * future freed. */
START_TEST(million_tiny_tasks)
{
	long n = rounds(1000000, 3000);
	/* Natively all are queued at once.  Under Valgrind they go in
	 * batches: DRD's cost grows with the number of annotated futures
	 * alive at once (POOL-HACKING.md). */
	long batch = rounds(n, 250);
	tl_pool *p = tl_pool_create(2);
	tl_future **fs = malloc((size_t)n * sizeof *fs);
	long wrong = 0;

	ck_assert_ptr_nonnull(fs);
	/* Counted, then asserted once (see cancel_races_start). */
	double t0 = now_ms();
	for (long start = 0; start < n; start += batch) {
		long end = start + batch < n ? start + batch : n;
		for (long i = start; i < end; i++)
			fs[i] = tl_pool_submit(p, add_one, (void *)(uintptr_t)i);
		for (long i = start; i < end; i++) {
			wrong += !fs[i] || tl_future_result(fs[i]) != (void *)(uintptr_t)(i + 1);
			tl_future_free(fs[i]);
		}
	}
	double ms = now_ms() - t0;
	printf("million_tiny_tasks: %ld tasks on 2 workers in %.1f ms (%.0f ns each)\n", n, ms,
	       ms * 1e6 / (double)n);
	ck_assert_int_eq(wrong, 0);
	/* And through map, in chunks. */
	void **args = malloc((size_t)n * sizeof *args),
	     **results = malloc((size_t)n * sizeof *results);
	for (long i = 0; i < n; i++)
		args[i] = (void *)(uintptr_t)i;
	ck_assert_int_eq(tl_pool_map(p, add_one, args, results, (size_t)n, 1000), 0);
	for (long i = 0; i < n; i++)
		wrong += results[i] != (void *)(uintptr_t)(i + 1);
	ck_assert_int_eq(wrong, 0);
	free(args);
	free(results);
	free(fs);
	tl_pool_free(p);
}
END_TEST

/* ---------------------------------------------------------- bad arguments */

static void never_cb(tl_future *f, void *arg)
{
	(void)f;
	(void)arg;
}

START_TEST(bad_arguments)
{
	const char *msg = "x";
	void *r = (void *)1;
	tl_pool *p = tl_pool_create(1);
	tl_future *f = tl_pool_submit(p, add_one, NULL);
	tl_future *with_null[2] = {f, NULL};
	void *args[1] = {NULL}, *results[1];

	errno = 0;
	ck_assert_ptr_null(tl_pool_submit(NULL, add_one, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tl_pool_submit(p, NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tl_pool_workers(NULL), -1);
	tl_pool_shutdown(NULL, true, true);
	tl_pool_free(NULL);

	errno = 0;
	ck_assert_int_eq(tl_future_state(NULL), TL_FUTURE_FAILED);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tl_future_wait(NULL, -1), EINVAL);
	errno = 0;
	ck_assert_ptr_null(tl_future_result(NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tl_future_result_wait(NULL, -1, &r), EINVAL);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(tl_future_result_wait(f, -1, NULL), 0);
	ck_assert_int_eq(tl_future_error(NULL, &msg), EINVAL);
	ck_assert_ptr_null(msg);
	ck_assert(!tl_future_cancel(NULL));
	ck_assert_int_eq(tl_future_on_done(NULL, never_cb, NULL), EINVAL);
	ck_assert_int_eq(tl_future_on_done(f, NULL, NULL), EINVAL);
	tl_future_free(NULL);

	ck_assert_int_eq(tl_pool_wait(NULL, 1, TL_ALL_COMPLETED, -1), EINVAL);
	ck_assert_int_eq(tl_pool_wait(with_null, 2, TL_ALL_COMPLETED, -1), EINVAL);
	ck_assert_int_eq(tl_pool_wait(&f, 1, (enum tl_wait_until)42, -1), EINVAL);
	errno = 0;
	ck_assert_ptr_null(tl_as_completed(NULL, 1));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tl_as_completed(with_null, 2));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tl_completion_next(NULL, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tl_completion_add(NULL, f), EINVAL);
	tl_completion_seal(NULL);
	tl_completion_free(NULL);
	tl_completion *empty = tl_as_completed(NULL, 0);
	ck_assert_ptr_nonnull(empty);
	errno = ETIMEDOUT;
	ck_assert_ptr_null(tl_completion_next(empty, -1)); /* the end at once */
	ck_assert_int_eq(errno, 0);
	ck_assert_int_eq(tl_completion_add(empty, NULL), EINVAL);
	ck_assert_int_eq(tl_completion_add(empty, f), EINVAL); /* sealed */
	tl_completion_free(empty);

	ck_assert_int_eq(tl_pool_map(NULL, add_one, args, results, 1, 1), EINVAL);
	ck_assert_int_eq(tl_pool_map(p, NULL, args, results, 1, 1), EINVAL);
	ck_assert_int_eq(tl_pool_map(p, add_one, NULL, results, 1, 1), EINVAL);
	ck_assert_int_eq(tl_pool_map(p, add_one, args, NULL, 1, 1), EINVAL);
	tl_future_free(f);
	tl_pool_free(p);
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("futures");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, create_default_workers);
	tcase_add_test(tc, result_and_error_of_done);
	tcase_add_test(tc, fifo_on_one_worker);
	tcase_add_test(tc, states_through_life);
	tcase_add_test(tc, fail_inside_task);
	tcase_add_test(tc, fail_outside_task);
	tcase_add_test(tc, wait_and_result_time_out);
	tcase_add_test(tc, many_waiters_one_future);
	tcase_add_test(tc, cancel_pending_only);
	tcase_add_test(tc, callbacks_order_and_thread);
	tcase_add_test(tc, free_before_finish);
	tcase_add_test(tc, futures_outlive_pool);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("shutdown");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, shutdown_nowait_keep);
	tcase_add_test(tc, shutdown_nowait_cancel);
	tcase_add_test(tc, shutdown_wait_keep);
	tcase_add_test(tc, shutdown_wait_cancel);
	tcase_add_test(tc, shutdown_inside_task);
	tcase_add_test(tc, free_inside_task_aborts);
	tcase_add_test(tc, submit_after_shutdown);
	suite_add_tcase(s, tc);

	tc = tcase_create("several");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, as_completed_finish_order);
	tcase_add_test(tc, as_completed_during_submission);
	tcase_add_test(tc, completion_many_takers);
	tcase_add_test(tc, wait_first_completed);
	tcase_add_test(tc, wait_first_failed);
	tcase_add_test(tc, wait_many_two_pools);
	tcase_add_test(tc, map_in_order);
	tcase_add_test(tc, map_failure_chunk1_one_worker);
	tcase_add_test(tc, map_failure_chunk4_one_worker);
	tcase_add_test(tc, map_failure_chunk1_two_workers);
	tcase_add_test(tc, map_failure_chunk3_two_workers);
	suite_add_tcase(s, tc);

	tc = tcase_create("races");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, cancel_races_start);
	tcase_add_test(tc, callbacks_while_finishing);
	tcase_add_test(tc, million_tiny_tasks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
