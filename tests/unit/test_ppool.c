/* Unit tests for tl_ppool: results in order, map in chunks, the
 * initializer once per worker (and again in a replacement), a task killed
 * at its time limit, a crashing task, cancel, shutdown, and no child left
 * behind (nor a zombie) as /proc shows it.  No sleeps: a task is held in its
 * worker by a read on a pipe made before the pool (so every worker has it),
 * which the test writes to when the task may go on. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "tl_annotate.h" /* TL_BUILT_WITH_TSAN */
#include "tl_ppool.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* How a worker's SIGSEGV ends: by the signal, except under TSan, whose
 * handler prints the crash and exits with its exit code instead. */
#if TL_BUILT_WITH_TSAN
#define CRASH_WORDS "exited with status 66"
#else
#define CRASH_WORDS "died of SIGSEGV (Segmentation fault)"
#endif

/* Shared with every worker: how many times an initializer ran, in all. */
static atomic_int *init_runs;
/* In each worker process: how many times the initializer ran there. */
static int init_runs_here;
/* A gate: a held task reads one byte from gate[0]. */
static int gate[2];

static void count_init(void *arg)
{
	(void)arg;
	atomic_fetch_add(init_runs, 1);
	init_runs_here++;
}

static void setup(void)
{
	init_runs = mmap(NULL, sizeof *init_runs, PROT_READ | PROT_WRITE,
	                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(init_runs, MAP_FAILED);
	atomic_init(init_runs, 0);
	ck_assert_int_eq(pipe(gate), 0);
}

static void teardown(void)
{
	munmap(init_runs, sizeof *init_runs);
	close(gate[0]);
	close(gate[1]);
}

static void open_gate(int tasks)
{
	for (int i = 0; i < tasks; i++)
		ck_assert_int_eq(write(gate[1], "x", 1), 1);
}

struct answer {
	long value;
	pid_t pid;
	int init_runs_here;
};

static size_t square(const void *arg, size_t len, void *result, size_t cap)
{
	long x;
	if (len != sizeof x) {
		tl_ptask_fail(EINVAL, "%zu argument bytes", len);
		return 0;
	}
	memcpy(&x, arg, sizeof x);
	struct answer a = {.value = x * x, .pid = getpid(), .init_runs_here = init_runs_here};
	if (cap < sizeof a)
		return cap + 1;
	memcpy(result, &a, sizeof a);
	return sizeof a;
}

static size_t held_square(const void *arg, size_t len, void *result, size_t cap)
{
	char c;
	if (read(gate[0], &c, 1) != 1)
		tl_ptask_fail(EIO, "the gate closed");
	return square(arg, len, result, cap);
}

static size_t stuck(const void *arg, size_t len, void *result, size_t cap)
{
	(void)arg, (void)len, (void)result, (void)cap;
	for (;;)
		pause();
	return 0; /* never reached: the pool kills it */
}

static size_t crash(const void *arg, size_t len, void *result, size_t cap)
{
	(void)arg, (void)len, (void)result, (void)cap;
	raise(SIGSEGV);
	return 0;
}

static size_t fail_odd(const void *arg, size_t len, void *result, size_t cap)
{
	long x;
	memcpy(&x, arg, sizeof x);
	if (x % 2)
		tl_ptask_fail(EDOM, "%ld is odd", x);
	(void)len, (void)result, (void)cap;
	return 0;
}

/* The square as a map item: result_size bytes of long. */
static size_t square_item(const void *arg, size_t len, void *result, size_t cap)
{
	long x;
	(void)len;
	memcpy(&x, arg, sizeof x);
	x = x * x;
	memcpy(result, &x, cap < sizeof x ? cap : sizeof x);
	return sizeof x;
}

static struct answer answer_of(tl_pfuture *f)
{
	const void *data;
	size_t len;
	struct answer a = {0};
	ck_assert_int_eq(tl_pfuture_result_wait(f, -1, &data, &len), 0);
	ck_assert_uint_eq(len, sizeof a);
	memcpy(&a, data, sizeof a);
	return a;
}

/* Children of this process in /proc, and how many of them are zombies. */
static void count_children(int *children, int *zombies)
{
	*children = *zombies = 0;
	DIR *d = opendir("/proc");
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char path[300], buf[512]; /* a d_name is at most 255 bytes */
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue; /* gone meanwhile */
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		/* The name may hold spaces and ')': the fields follow the last ')'. */
		char *rp = strrchr(buf, ')');
		char state;
		int ppid;
		if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2 || ppid != getpid())
			continue;
		++*children;
		*zombies += state == 'Z';
	}
	closedir(d);
}

START_TEST(results_in_submit_order)
{
	tl_ppool *p = tl_ppool_create(2, count_init, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(tl_ppool_workers(p), 2);
	enum { N = 40 };
	tl_pfuture *fs[N];
	for (long i = 0; i < N; i++) {
		fs[i] = tl_ppool_submit(p, square, &i, sizeof i);
		ck_assert_ptr_nonnull(fs[i]);
	}
	pid_t pids[2];
	ck_assert_int_eq(tl_ppool_worker_pids(p, pids, 2), 2);
	for (long i = 0; i < N; i++) {
		struct answer a = answer_of(fs[i]);
		ck_assert_int_eq(a.value, i * i);
		ck_assert(a.pid == pids[0] || a.pid == pids[1]);
		ck_assert_int_ne(a.pid, getpid());
		ck_assert_int_eq(a.pid, tl_pfuture_worker(fs[i]));
		ck_assert_int_eq(tl_pfuture_state(fs[i]), TL_FUTURE_DONE);
		tl_pfuture_free(fs[i]);
	}
	tl_ppool_free(p);
}
END_TEST

START_TEST(initializer_once_per_worker)
{
	tl_ppool *p = tl_ppool_create(3, count_init, NULL);
	ck_assert_ptr_nonnull(p);
	enum { N = 30 };
	tl_pfuture *fs[N];
	for (long i = 0; i < N; i++)
		fs[i] = tl_ppool_submit(p, square, &i, sizeof i);
	for (long i = 0; i < N; i++) {
		ck_assert_int_eq(answer_of(fs[i]).init_runs_here, 1);
		tl_pfuture_free(fs[i]);
	}
	tl_ppool_free(p);
	ck_assert_int_eq(atomic_load(init_runs), 3);
	/* Not in this process: the initializer ran only in the workers. */
	ck_assert_int_eq(init_runs_here, 0);
}
END_TEST

START_TEST(map_in_chunks)
{
	tl_ppool *p = tl_ppool_create(2, NULL, NULL);
	enum { N = 103 };
	long in[N], out[N];
	for (long i = 0; i < N; i++)
		in[i] = i - 50;
	for (size_t chunk = 0; chunk <= 20; chunk += 7) {
		memset(out, 0xff, sizeof out);
		ck_assert_int_eq(
		    tl_ppool_map(p, square_item, in, sizeof *in, out, sizeof *out, N, chunk, 0), 0);
		for (long i = 0; i < N; i++)
			ck_assert_int_eq(out[i], in[i] * in[i]);
	}
	/* The first failed chunk's code; results from that chunk on are zero. */
	long odd_at_9[N];
	for (long i = 0; i < N; i++)
		odd_at_9[i] = i == 9 ? 9 : 2 * i;
	ck_assert_int_eq(
	    tl_ppool_map(p, fail_odd, odd_at_9, sizeof(long), out, sizeof *out, N, 4, 0), EDOM);
	ck_assert_int_eq(tl_ppool_map(p, NULL, in, sizeof *in, out, sizeof *out, N, 4, 0), EINVAL);
	tl_ppool_free(p);
}
END_TEST

START_TEST(task_failure_and_message)
{
	tl_ppool *p = tl_ppool_create(1, NULL, NULL);
	long three = 3;
	tl_pfuture *f = tl_ppool_submit(p, fail_odd, &three, sizeof three);
	const char *message;
	ck_assert_int_eq(tl_pfuture_error(f, &message), EDOM);
	ck_assert_str_eq(message, "3 is odd");
	ck_assert_int_eq(tl_pfuture_result_wait(f, 0, NULL, NULL), EDOM);
	ck_assert_int_eq(tl_pfuture_state(f), TL_FUTURE_FAILED);
	tl_pfuture_free(f);
	/* Outside a task (here, in the parent) it does nothing. */
	tl_ptask_fail(EDOM, "ignored");
	tl_ppool_free(p);
}
END_TEST

START_TEST(timeout_kills_and_replaces)
{
	tl_ppool *p = tl_ppool_create(1, count_init, NULL);
	pid_t before;
	ck_assert_int_eq(tl_ppool_worker_pids(p, &before, 1), 1);
	tl_pfuture *f = tl_ppool_submit_timeout(p, stuck, NULL, 0, 100);
	const char *message;
	ck_assert_int_eq(tl_pfuture_error(f, &message), TL_PPOOL_KILLED);
	ck_assert_ptr_nonnull(strstr(message, "killed (SIGKILL)"));
	ck_assert_int_eq(tl_pfuture_worker(f), before);
	tl_pfuture_free(f);
	/* The stuck worker is gone and reaped; its replacement runs init and
	 * then the next task. */
	ck_assert_int_eq(kill(before, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	long seven = 7;
	f = tl_ppool_submit(p, square, &seven, sizeof seven);
	struct answer a = answer_of(f);
	ck_assert_int_eq(a.value, 49);
	ck_assert_int_ne(a.pid, before);
	ck_assert_int_eq(a.init_runs_here, 1);
	tl_pfuture_free(f);
	tl_ppool_free(p);
	ck_assert_int_eq(atomic_load(init_runs), 2);
}
END_TEST

START_TEST(crash_fails_the_task_only)
{
	tl_ppool *p = tl_ppool_create(2, count_init, NULL);
	tl_pfuture *f = tl_ppool_submit(p, crash, NULL, 0);
	const char *message;
	ck_assert_int_eq(tl_pfuture_error(f, &message), TL_PPOOL_CRASHED);
	ck_assert_msg(strstr(message, CRASH_WORDS), "message: %s", message);
	tl_pfuture_free(f);
	int children, zombies;
	count_children(&children, &zombies);
	ck_assert_int_eq(zombies, 0); /* reaped before the future failed */
	long i = 5;
	f = tl_ppool_submit(p, square, &i, sizeof i);
	ck_assert_int_eq(answer_of(f).value, 25);
	tl_pfuture_free(f);
	tl_ppool_free(p);
	ck_assert_int_eq(atomic_load(init_runs), 3);
}
END_TEST

START_TEST(cancel_pending_only)
{
	tl_ppool *p = tl_ppool_create(1, NULL, NULL);
	long one = 1, two = 2;
	tl_pfuture *running = tl_ppool_submit(p, held_square, &one, sizeof one);
	tl_pfuture *queued = tl_ppool_submit(p, square, &two, sizeof two);
	/* The running one cannot be cancelled once a worker has it; it is
	 * held, so it is RUNNING until the gate opens. */
	while (tl_pfuture_state(running) == TL_FUTURE_PENDING)
		ck_assert_int_eq(tl_pfuture_wait(running, 10), ETIMEDOUT);
	ck_assert(!tl_pfuture_cancel(running));
	ck_assert(tl_pfuture_cancel(queued));
	ck_assert(tl_pfuture_cancel(queued)); /* cancelled already */
	ck_assert_int_eq(tl_pfuture_result_wait(queued, 0, NULL, NULL), ECANCELED);
	const char *message;
	ck_assert_int_eq(tl_pfuture_error(queued, &message), ECANCELED);
	ck_assert_str_eq(message, "cancelled");
	ck_assert_int_eq(tl_pfuture_worker(queued), 0);
	open_gate(1);
	ck_assert_int_eq(answer_of(running).value, 1);
	ck_assert(!tl_pfuture_cancel(running));
	tl_pfuture_free(running);
	tl_pfuture_free(queued);
	tl_ppool_free(p);
}
END_TEST

START_TEST(wait_and_as_completed)
{
	tl_ppool *p = tl_ppool_create(2, NULL, NULL);
	long x[3] = {1, 2, 3};
	tl_pfuture *fs[3];
	fs[0] = tl_ppool_submit(p, held_square, &x[0], sizeof x[0]);
	fs[1] = tl_ppool_submit(p, square, &x[1], sizeof x[1]);
	ck_assert_int_eq(tl_ppool_wait(fs, 2, TL_FIRST_COMPLETED, -1), 0);
	ck_assert_int_eq(tl_pfuture_state(fs[1]), TL_FUTURE_DONE);
	ck_assert_int_eq(tl_ppool_wait(fs, 2, TL_ALL_COMPLETED, 20), ETIMEDOUT);
	fs[2] = tl_ppool_submit(p, fail_odd, &x[2], sizeof x[2]);
	ck_assert_int_eq(tl_ppool_wait(fs, 3, TL_FIRST_FAILED, -1), 0);
	tl_pcompletion *c = tl_ppool_as_completed(fs, 3);
	ck_assert_ptr_nonnull(c);
	/* fs[1] finished before fs[2], and fs[0] is still held. */
	ck_assert_ptr_eq(tl_pcompletion_next(c, -1), fs[1]);
	ck_assert_ptr_eq(tl_pcompletion_next(c, -1), fs[2]);
	ck_assert_ptr_null(tl_pcompletion_next(c, 0));
	ck_assert_int_eq(errno, ETIMEDOUT);
	open_gate(1);
	ck_assert_ptr_eq(tl_pcompletion_next(c, -1), fs[0]);
	errno = EINVAL;
	ck_assert_ptr_null(tl_pcompletion_next(c, -1));
	ck_assert_int_eq(errno, 0);
	for (int i = 0; i < 3; i++)
		tl_pfuture_free(fs[i]);
	/* The completion's references keep them valid until it goes. */
	tl_pcompletion_free(c);
	tl_ppool *q = tl_ppool_create(1, NULL, NULL);
	tl_pfuture *mixed[2] = {tl_ppool_submit(p, square, &x[0], sizeof x[0]),
	                        tl_ppool_submit(q, square, &x[0], sizeof x[0])};
	ck_assert_int_eq(tl_ppool_wait(mixed, 2, TL_ALL_COMPLETED, -1), EINVAL);
	tl_pfuture_free(mixed[0]);
	tl_pfuture_free(mixed[1]);
	tl_ppool_free(q);
	tl_ppool_free(p);
}
END_TEST

START_TEST(shutdown_cancel_pending)
{
	tl_ppool *p = tl_ppool_create(1, NULL, NULL);
	long one = 1;
	tl_pfuture *running = tl_ppool_submit(p, held_square, &one, sizeof one);
	while (tl_pfuture_state(running) == TL_FUTURE_PENDING)
		ck_assert_int_eq(tl_pfuture_wait(running, 10), ETIMEDOUT);
	tl_pfuture *queued = tl_ppool_submit(p, square, &one, sizeof one);
	tl_ppool_shutdown(p, false, true);
	ck_assert_int_eq(tl_pfuture_state(queued), TL_FUTURE_CANCELLED);
	ck_assert_ptr_null(tl_ppool_submit(p, square, &one, sizeof one));
	ck_assert_int_eq(errno, ESHUTDOWN);
	open_gate(1);
	tl_ppool_shutdown(p, true, false);
	ck_assert_int_eq(answer_of(running).value, 1);
	tl_pfuture_free(running);
	tl_pfuture_free(queued);
	tl_ppool_free(p);
}
END_TEST

START_TEST(shutdown_waits_for_the_queue)
{
	tl_ppool *p = tl_ppool_create(2, NULL, NULL);
	enum { N = 20 };
	tl_pfuture *fs[N];
	for (long i = 0; i < N; i++)
		fs[i] = tl_ppool_submit(p, square, &i, sizeof i);
	tl_ppool_shutdown(p, true, false);
	for (long i = 0; i < N; i++) {
		ck_assert_int_eq(tl_pfuture_state(fs[i]), TL_FUTURE_DONE);
		tl_pfuture_free(fs[i]);
	}
	int children, zombies;
	count_children(&children, &zombies);
	ck_assert_int_eq(children, 0);
	tl_ppool_free(p);
}
END_TEST

START_TEST(no_children_left_after_free)
{
	int children, zombies;
	count_children(&children, &zombies);
	ck_assert_int_eq(children, 0);
	tl_ppool *p = tl_ppool_create(3, count_init, NULL);
	count_children(&children, &zombies);
	ck_assert_int_eq(children, 3);
	/* A kill and a crash on the way: their workers are reaped too. */
	tl_pfuture *f = tl_ppool_submit_timeout(p, stuck, NULL, 0, 50);
	tl_pfuture *g = tl_ppool_submit(p, crash, NULL, 0);
	ck_assert_int_eq(tl_pfuture_error(f, NULL), TL_PPOOL_KILLED);
	ck_assert_int_eq(tl_pfuture_error(g, NULL), TL_PPOOL_CRASHED);
	tl_pfuture_free(f);
	tl_pfuture_free(g);
	tl_ppool_free(p);
	count_children(&children, &zombies);
	ck_assert_int_eq(children, 0);
	ck_assert_int_eq(zombies, 0);
	ck_assert_int_eq(atomic_load(init_runs), 5);
}
END_TEST

/* Every later fork copies the parent's end of each worker's socket: freeing
 * a pool must not wait for those copies to close (another pool's workers,
 * the program's own child). */
START_TEST(free_while_others_hold_copies)
{
	tl_ppool *first = tl_ppool_create(1, NULL, NULL);
	tl_ppool *second = tl_ppool_create(1, NULL, NULL);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char c;
		_exit(read(gate[0], &c, 1) == 1 ? 0 : 1);
	}
	long two = 2;
	tl_pfuture *f = tl_ppool_submit(first, square, &two, sizeof two);
	ck_assert_int_eq(answer_of(f).value, 4);
	tl_pfuture_free(f);
	tl_ppool_free(first); /* hung here when workers were told to exit by end-of-file */
	f = tl_ppool_submit(second, square, &two, sizeof two);
	ck_assert_int_eq(answer_of(f).value, 4);
	tl_pfuture_free(f);
	tl_ppool_free(second);
	open_gate(1);
	int status;
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x",
	              (unsigned)status);
}
END_TEST

START_TEST(broken_initializer)
{
	tl_ppool *p = tl_ppool_create(1, (void (*)(void *))abort, NULL);
	ck_assert_ptr_nonnull(p);
	long one = 1;
	tl_pfuture *f = tl_ppool_submit(p, square, &one, sizeof one);
	const char *message;
	if (f) { /* queued before the worker died, or refused after */
		ck_assert_int_eq(tl_pfuture_error(f, &message), TL_PPOOL_CRASHED);
		ck_assert_msg(strstr(message, "in its initializer"), "message: %s", message);
		tl_pfuture_free(f);
	} else {
		ck_assert_int_eq(errno, TL_PPOOL_CRASHED);
	}
	tl_ppool_free(p);
	int children, zombies;
	count_children(&children, &zombies);
	ck_assert_int_eq(children, 0);
}
END_TEST

START_TEST(bad_arguments)
{
	ck_assert_ptr_null(tl_ppool_submit(NULL, square, NULL, 0));
	ck_assert_int_eq(errno, EINVAL);
	tl_ppool *p = tl_ppool_create(1, NULL, NULL);
	ck_assert_ptr_null(tl_ppool_submit(p, NULL, NULL, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(tl_ppool_submit(p, square, NULL, 8));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tl_pfuture_wait(NULL, 0), EINVAL);
	ck_assert_int_eq(tl_ppool_wait(NULL, 1, TL_ALL_COMPLETED, 0), EINVAL);
	ck_assert_int_eq(tl_ppool_wait(NULL, 0, TL_ALL_COMPLETED, 0), 0);
	tl_ppool_free(p);
	tl_ppool_free(NULL);
}
END_TEST

static Suite *ppool_suite(void)
{
	Suite *s = suite_create("ppool");
	TCase *tc = tcase_create("ppool");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, results_in_submit_order);
	tcase_add_test(tc, initializer_once_per_worker);
	tcase_add_test(tc, map_in_chunks);
	tcase_add_test(tc, task_failure_and_message);
	tcase_add_test(tc, timeout_kills_and_replaces);
	tcase_add_test(tc, crash_fails_the_task_only);
	tcase_add_test(tc, cancel_pending_only);
	tcase_add_test(tc, wait_and_as_completed);
	tcase_add_test(tc, shutdown_cancel_pending);
	tcase_add_test(tc, shutdown_waits_for_the_queue);
	tcase_add_test(tc, no_children_left_after_free);
	tcase_add_test(tc, free_while_others_hold_copies);
	tcase_add_test(tc, broken_initializer);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ppool_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
