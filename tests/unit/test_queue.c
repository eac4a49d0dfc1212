/* Unit tests for tl_queue: order and limits on one thread, timeouts on the
 * monotonic clock, puts that land as timed gets expire, close waking blocked
 * threads, and a many-to-many stress whose checksum proves no item was lost
 * or delivered twice.  No sleeps: a blocked thread is recognised by its state
 * in /proc. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "tl_clock.h"
#include "tl_procfs.h"
#include "tl_queue.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* ------------------------------------------------------------ one thread */

START_TEST(fifo_order)
{
	tl_queue q;
	long v[5] = {10, 20, 30, 40, 50};
	void *got;
	int round, i;

	ck_assert_int_eq(tl_queue_init(&q, 3), 0);
	/* Several rounds, so the ring wraps around. */
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 3; i++)
			ck_assert_int_eq(tl_queue_put(&q, &v[(round + i) % 5], 0), 0);
		ck_assert_uint_eq(tl_queue_len(&q), 3);
		for (i = 0; i < 3; i++) {
			ck_assert_int_eq(tl_queue_get(&q, &got, 0), 0);
			ck_assert_ptr_eq(got, &v[(round + i) % 5]);
		}
		ck_assert_uint_eq(tl_queue_len(&q), 0);
	}
	tl_queue_destroy(&q);
}
END_TEST

START_TEST(init_rejects_zero)
{
	tl_queue q;

	ck_assert_int_eq(tl_queue_init(&q, 0), -EINVAL);
}
END_TEST

START_TEST(put_full_try)
{
	tl_queue q;
	int x = 1, y = 2;
	void *got;

	ck_assert_int_eq(tl_queue_init(&q, 2), 0);
	ck_assert_int_eq(tl_queue_put(&q, &x, 0), 0);
	ck_assert_int_eq(tl_queue_put(&q, &x, 0), 0);
	ck_assert_int_eq(tl_queue_put(&q, &y, 0), -ETIMEDOUT);
	ck_assert_uint_eq(tl_queue_len(&q), 2);
	/* A full queue with a short timeout gives up too, and loses nothing. */
	ck_assert_int_eq(tl_queue_put(&q, &y, 5), -ETIMEDOUT);
	ck_assert_int_eq(tl_queue_get(&q, &got, 0), 0);
	ck_assert_ptr_eq(got, &x);
	ck_assert_int_eq(tl_queue_put(&q, &y, 0), 0);
	tl_queue_destroy(&q);
}
END_TEST

START_TEST(get_empty_try)
{
	tl_queue q;
	void *got = &q;

	ck_assert_int_eq(tl_queue_init(&q, 1), 0);
	ck_assert_int_eq(tl_queue_get(&q, &got, 0), -ETIMEDOUT);
	ck_assert_ptr_eq(got, &q); /* untouched */
	tl_queue_destroy(&q);
}
END_TEST

START_TEST(get_timeout_measured)
{
	tl_queue q;
	void *got;
	double t0, waited;

	ck_assert_int_eq(tl_queue_init(&q, 4), 0);
	t0 = tl_mono_ms();
	ck_assert_int_eq(tl_queue_get(&q, &got, 50), -ETIMEDOUT);
	waited = tl_mono_ms() - t0;
	/* Never early; late only by scheduling (generous: a loaded machine,
	 * or Valgrind). */
	ck_assert_msg(waited >= 50.0, "returned after %.3f ms", waited);
	ck_assert_msg(waited < 5000.0, "returned after %.3f ms", waited);
	tl_queue_destroy(&q);
}
END_TEST

START_TEST(close_drains_then_fails)
{
	tl_queue q;
	int a = 1, b = 2;
	void *got;

	ck_assert_int_eq(tl_queue_init(&q, 4), 0);
	ck_assert_int_eq(tl_queue_put(&q, &a, 0), 0);
	ck_assert_int_eq(tl_queue_put(&q, &b, 0), 0);
	tl_queue_close(&q);
	ck_assert_int_eq(tl_queue_put(&q, &a, -1), -EPIPE);
	ck_assert_int_eq(tl_queue_get(&q, &got, -1), 0);
	ck_assert_ptr_eq(got, &a);
	ck_assert_int_eq(tl_queue_get(&q, &got, -1), 0);
	ck_assert_ptr_eq(got, &b);
	ck_assert_int_eq(tl_queue_get(&q, &got, -1), -EPIPE);
	ck_assert_int_eq(tl_queue_get(&q, &got, 0), -EPIPE);
	tl_queue_close(&q); /* twice is harmless */
	tl_queue_destroy(&q);
}
END_TEST

/* ------------------------------------------- items that meet a timeout */

/* A getter that ticks in 1 ms timed gets while, each round, an item is put
 * once it has timed out at least once: so puts keep landing as gets time
 * out.  Natively the items must all arrive, in order.  Under Helgrind
 * (tests/unit-helgrind.sh) the collisions must draw no report: on
 * pthread_cond_timedwait, glibc 2.36 passes such a wake-up on from inside the
 * wait without the mutex, and Helgrind blamed it on the getter (3 runs of 5). */
#define TICK_ROUNDS 100

static tl_queue tick_q;
static atomic_long tick_rounds_waited; /* rounds in which the getter timed out */

static void *ticking_getter(void *arg)
{
	long *misordered = arg;
	for (long r = 0; r < TICK_ROUNDS; r++) {
		void *item;
		long ticks = 0;
		while (tl_queue_get(&tick_q, &item, 1) == -ETIMEDOUT)
			if (ticks++ == 0)
				atomic_fetch_add(&tick_rounds_waited, 1);
		*misordered += (long)(intptr_t)item != r;
	}
	return NULL;
}

START_TEST(put_reaches_a_getter_mid_tick)
{
	pthread_t t;
	long misordered = 0;

	atomic_store(&tick_rounds_waited, 0);
	ck_assert_int_eq(tl_queue_init(&tick_q, 2), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, ticking_getter, &misordered), 0);
	for (long r = 0; r < TICK_ROUNDS; r++) {
		while (atomic_fetch_add(&tick_rounds_waited, 0) < r + 1)
			sched_yield();
		ck_assert_int_eq(tl_queue_put(&tick_q, (void *)(intptr_t)r, -1), 0);
	}
	pthread_join(t, NULL);
	ck_assert_int_eq(misordered, 0);
	tl_queue_destroy(&tick_q);
}
END_TEST

/* ----------------------------------------------------- close wakes waiters */

struct waiter {
	tl_queue *q;
	bool putter;    /* else a getter */
	atomic_int tid; /* set just before the blocking call */
	int rc;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	void *got;

	atomic_store(&w->tid, (int)gettid());
	w->rc = w->putter ? tl_queue_put(w->q, w, -1) : tl_queue_get(w->q, &got, -1);
	return NULL;
}

/* Waits, within a bound, until the thread is asleep in the kernel.  Without
 * that, close would usually come first and only the "already closed" path
 * would be tested.  Past the bound the test goes on anyway: close must be
 * right in either order (and under Valgrind 'S' may mean "waiting for
 * Valgrind's lock", not "blocked in the queue"). */
static void wait_until_asleep(struct waiter *w)
{
	struct tl_task_stat st;
	double t0 = tl_mono_ms();
	int tid;

	while ((tid = atomic_load(&w->tid)) == 0 && tl_mono_ms() - t0 < 5000.0)
		sched_yield();
	while (tl_mono_ms() - t0 < 5000.0) {
		if (tl_procfs_read_task_stat("/proc", getpid(), tid, &st) == 0 && st.state == 'S')
			return;
		sched_yield();
	}
}

static void close_wakes(bool putter, bool close_first)
{
	tl_queue q;
	int filler = 0;
	struct waiter w = {.q = &q, .putter = putter, .rc = 1};
	pthread_t t;

	atomic_init(&w.tid, 0);
	ck_assert_int_eq(tl_queue_init(&q, 1), 0);
	if (putter)
		ck_assert_int_eq(tl_queue_put(&q, &filler, 0), 0); /* full: put blocks */
	if (close_first)
		tl_queue_close(&q);
	ck_assert_int_eq(pthread_create(&t, NULL, waiter_main, &w), 0);
	if (!close_first) {
		wait_until_asleep(&w);
		tl_queue_close(&q);
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(w.rc, -EPIPE);
	tl_queue_destroy(&q);
}

START_TEST(close_wakes_getter)
{
	close_wakes(false, false);
}
END_TEST
START_TEST(close_wakes_putter)
{
	close_wakes(true, false);
}
END_TEST
START_TEST(close_before_getter)
{
	close_wakes(false, true);
}
END_TEST
START_TEST(close_before_putter)
{
	close_wakes(true, true);
}
END_TEST

/* Several blocked getters: close must wake all of them, not one. */
START_TEST(close_wakes_all_getters)
{
	enum { N = 4 };
	tl_queue q;
	struct waiter w[N];
	pthread_t t[N];
	int i;

	ck_assert_int_eq(tl_queue_init(&q, 2), 0);
	for (i = 0; i < N; i++) {
		w[i] = (struct waiter){.q = &q, .putter = false, .rc = 1};
		atomic_init(&w[i].tid, 0);
		ck_assert_int_eq(pthread_create(&t[i], NULL, waiter_main, &w[i]), 0);
	}
	for (i = 0; i < N; i++)
		wait_until_asleep(&w[i]);
	tl_queue_close(&q);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(w[i].rc, -EPIPE);
	}
	tl_queue_destroy(&q);
}
END_TEST

/* ------------------------------------------------------------------ stress */

enum { PRODUCERS = 4, CONSUMERS = 4 };

struct stress {
	tl_queue q;
	long items; /* in all; producer p puts p, p + P, p + 2P ... */
	atomic_long next_id;
	atomic_long put_failures; /* counted, not asserted: ck_assert belongs
	                           * to the test's own thread */
};

struct consumer {
	struct stress *s;
	long count;
	int last_rc;
	unsigned long long sum;
	unsigned long long sum_sq; /* with sum: a lost item and a duplicate cannot cancel out */
};

static void *producer_main(void *arg)
{
	struct stress *s = arg;
	long p = atomic_fetch_add(&s->next_id, 1);

	/* Items are the numbers 1..items, as pointers (never NULL). */
	for (long v = p + 1; v <= s->items; v += PRODUCERS)
		if (tl_queue_put(&s->q, (void *)(uintptr_t)v, -1) != 0)
			atomic_fetch_add(&s->put_failures, 1);
	return NULL;
}

static void *consumer_main(void *arg)
{
	struct consumer *c = arg;
	void *item;
	int rc;

	while ((rc = tl_queue_get(&c->s->q, &item, -1)) == 0) {
		unsigned long long v = (uintptr_t)item;
		c->count++;
		c->sum += v;
		c->sum_sq += v * v;
	}
	c->last_rc = rc;
	return NULL;
}

/* THREADLAB_QUEUE_ITEMS makes it smaller (e.g. under Helgrind). */
static long stress_items(void)
{
	const char *e = getenv("THREADLAB_QUEUE_ITEMS");
	long n = e ? atol(e) : 0;

	return n > 0 ? n : 100000;
}

START_TEST(stress_many_to_many)
{
	struct stress s = {.items = stress_items()};
	struct consumer c[CONSUMERS];
	pthread_t pt[PRODUCERS], ct[CONSUMERS];
	unsigned long long n, sum = 0, sum_sq = 0, want_sum, want_sq;
	long count = 0;
	int i;

	atomic_init(&s.next_id, 0);
	atomic_init(&s.put_failures, 0);
	ck_assert_int_eq(tl_queue_init(&s.q, 8), 0);
	for (i = 0; i < CONSUMERS; i++) {
		c[i] = (struct consumer){.s = &s};
		ck_assert_int_eq(pthread_create(&ct[i], NULL, consumer_main, &c[i]), 0);
	}
	for (i = 0; i < PRODUCERS; i++)
		ck_assert_int_eq(pthread_create(&pt[i], NULL, producer_main, &s), 0);
	for (i = 0; i < PRODUCERS; i++)
		ck_assert_int_eq(pthread_join(pt[i], NULL), 0);
	/* Every item is in; close lets the consumers drain and stop. */
	tl_queue_close(&s.q);
	for (i = 0; i < CONSUMERS; i++) {
		ck_assert_int_eq(pthread_join(ct[i], NULL), 0);
		ck_assert_int_eq(c[i].last_rc, -EPIPE);
		count += c[i].count;
		sum += c[i].sum;
		sum_sq += c[i].sum_sq;
	}
	ck_assert_int_eq(atomic_load(&s.put_failures), 0);
	n = (unsigned long long)s.items;
	want_sum = n * (n + 1) / 2;
	want_sq = n * (n + 1) * (2 * n + 1) / 6;
	ck_assert_int_eq(count, s.items);
	ck_assert_uint_eq(sum, want_sum);
	ck_assert_uint_eq(sum_sq, want_sq);
	ck_assert_uint_eq(tl_queue_len(&s.q), 0);
	tl_queue_destroy(&s.q);
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("single");

	tcase_add_test(tc, fifo_order);
	tcase_add_test(tc, init_rejects_zero);
	tcase_add_test(tc, put_full_try);
	tcase_add_test(tc, get_empty_try);
	tcase_add_test(tc, get_timeout_measured);
	tcase_add_test(tc, close_drains_then_fails);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, close_wakes_getter);
	tcase_add_test(tc, close_wakes_putter);
	tcase_add_test(tc, close_before_getter);
	tcase_add_test(tc, close_before_putter);
	tcase_add_test(tc, close_wakes_all_getters);
	tcase_add_test(tc, stress_many_to_many);
	tcase_add_test(tc, put_reaches_a_getter_mid_tick);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(queue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
