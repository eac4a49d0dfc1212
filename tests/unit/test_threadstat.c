/* Unit tests for threadstat's sampler and output, on a recorded /proc tree
 * (tests/fixtures/threadstat/README.md) and on copies of it that the tests
 * change between two samples (a thread ends, a tid is reused). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ts_doctor.h"
#include "ts_mem.h"
#include "ts_output.h"
#include "ts_sample.h"
#include "ts_track.h"

#include <check.h>
#include <errno.h>
#include <json.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_annotate.h" /* TL_BUILT_WITH_TSAN */

#ifndef TL_FIXTURES
#error "TL_FIXTURES must name the tests/fixtures directory (the Makefile passes it)"
#endif

#define ROOT  TL_FIXTURES "/threadstat/root"
#define PROBE 7394 /* a process with 5 threads, see the README */

static const struct ts_thread *find(const struct ts_sample *s, pid_t tid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->thr[i].tid == tid)
			return &s->thr[i];
	return NULL;
}

/* ------------------------------------------------------------------ sampler */

START_TEST(sample_fixture_tree)
{
	struct ts_sampler *sm;
	const struct ts_sample *s;
	const struct ts_thread *t;

	ck_assert_int_eq(ts_sampler_open(&sm, ROOT, PROBE, TS_READ_ALL), 0);
	ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
	/* task/7400 has no files (ended mid-listing) and task/7401's stat is
	 * cut short (ended mid-read): both are skipped, not errors. */
	ck_assert_uint_eq(s->n, 5);
	ck_assert_int_eq(s->threads, 5);
	ck_assert_str_eq(s->name, "probe.bin");
	ck_assert_uint_eq(s->rss_kb, 1588);    /* 397 pages */
	ck_assert_uint_eq(s->vsize_kb, 35260); /* 36106240 bytes */
	for (size_t i = 1; i < s->n; i++)
		ck_assert_int_lt(s->thr[i - 1].tid, s->thr[i].tid);

	t = find(s, 7395);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "my worker 1");
	ck_assert_int_eq(t->state, 'S');
	ck_assert_uint_eq(t->utime_ms, 160); /* it spun before it slept */
	ck_assert_uint_eq(t->nvcsw, 11);
	ck_assert_str_eq(t->wchan, "__do_sys_pause");
	ck_assert_str_eq(ts_syscall_name(t->syscall), "pause");
	ck_assert(t->is_new);
	ck_assert(t->cpu_pct < 0); /* no interval yet */

	t = find(s, 7397);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "x) (y) z)");
	ck_assert_str_eq(ts_syscall_name(t->syscall), "futex");
	ck_assert_str_eq(t->wchan, "futex_do_wait");

	t = find(s, 7398);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "(");
	/* Its status is cut before the switch counts: the row stays, the
	 * counts are left out. */
	ck_assert(!(t->have & TS_READ_STATUS));
	ck_assert(t->have & TS_READ_SYSCALL);

	t = find(s, 7399);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "a,b \"q\"");
	ck_assert(!t->kernel);

	/* Again: the same threads, nothing new, nothing gone, 0% CPU. */
	ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
	ck_assert_uint_eq(s->n, 5);
	ck_assert_uint_eq(s->n_gone, 0);
	for (size_t i = 0; i < s->n; i++) {
		ck_assert(!s->thr[i].is_new);
		ck_assert(s->thr[i].cpu_pct == 0.0);
	}
	ts_sampler_close(sm);
}
END_TEST

START_TEST(sample_kernel_thread)
{
	struct ts_sampler *sm;
	const struct ts_sample *s;

	ck_assert_int_eq(ts_sampler_open(&sm, ROOT, 2, TS_READ_ALL), 0);
	ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
	ck_assert_uint_eq(s->n, 1);
	ck_assert_str_eq(s->thr[0].name, "kthreadd");
	ck_assert(s->thr[0].kernel);
	/* The kernel shows a kernel thread's zeroed registers as syscall 0
	 * ("read"): it never made one. */
	ck_assert_int_eq(s->thr[0].syscall, TS_SYSCALL_NONE);
	ck_assert_uint_eq(s->rss_kb, 0);
	ts_sampler_close(sm);
}
END_TEST

START_TEST(sample_no_such_process)
{
	struct ts_sampler *sm;

	ck_assert_int_eq(ts_sampler_open(&sm, ROOT, 12345, TS_READ_ALL), -ENOENT);
	ck_assert_ptr_null(sm);
	ck_assert_int_eq(ts_sampler_open(&sm, ROOT, 0, TS_READ_ALL), -EINVAL);
}
END_TEST

START_TEST(sample_few_descriptors)
{
	/* The sampler keeps 64 descriptors in reserve.  At a limit of 70, 6
	 * stay open for 5 threads x 5 files and the rest are read by
	 * open/read/close; at 20 none is kept.  Either way nothing is lost.
	 * (Check runs each test in its own process: the limit dies with it.) */
	static const rlim_t limits[] = {70, 20};

	for (size_t k = 0; k < 2; k++) {
		struct rlimit rl = {limits[k], limits[k]};
		struct ts_sampler *sm;
		const struct ts_sample *s;

		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
		ck_assert_int_eq(ts_sampler_open(&sm, ROOT, PROBE, TS_READ_ALL), 0);
		for (int round = 0; round < 3; round++) {
			ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
			ck_assert_uint_eq(s->n, 5);
			for (size_t i = 0; i < s->n; i++) {
				unsigned want = TS_READ_ALL;

				if (s->thr[i].tid == 7398)
					want &= ~(unsigned)TS_READ_STATUS; /* its status is cut */
				ck_assert_uint_eq(s->thr[i].have, want);
			}
		}
		ts_sampler_close(sm);
	}
}
END_TEST

START_TEST(doctor_fixture_tree)
{
	/* No mem, maps or exe in a recorded tree: the doctor says what /proc
	 * alone shows, and nothing ran between its two looks: idle. */
	struct ts_doctor_opts o = {.proc_root = ROOT, .window_ms = 50};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ts_doctor(PROBE, &o, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(strncmp(text, "verdict: idle\n", 14) == 0, "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "pid 7394 (probe.bin): 5 threads"));
	ck_assert_ptr_nonnull(strstr(text, "  x) (y) z) (tid 7397) waits on futex 0x"));
	ck_assert_ptr_null(strstr(text, "deadlock"));
	free(text);
	ck_assert_int_eq(ts_doctor(12345, &o, stdout), 1); /* no such process */
}
END_TEST

START_TEST(diagnose_fixture_tree)
{
	/* The structure ts_doctor prints from: no memory in a recorded tree,
	 * so a futex wait is only that (no word, so nobody knows who could
	 * end it), and no stacks. */
	struct ts_doctor_opts o = {.proc_root = ROOT, .window_ms = 50};
	struct ts_diagnosis g;
	const struct ts_thread_diag *t = NULL;

	ck_assert_int_eq(ts_diagnose(PROBE, &o, &g), 0);
	ck_assert_int_eq(g.verdict, TS_VERDICT_IDLE);
	ck_assert_str_eq(g.word, "idle");
	ck_assert_int_eq(g.pid, PROBE);
	ck_assert_str_eq(g.name, "probe.bin");
	ck_assert_uint_eq(g.alive, 5);
	ck_assert_int_eq(g.frames_rc, 1);
	for (size_t i = 0; i < g.nthreads; i++)
		if (g.threads[i].tid == 7397)
			t = &g.threads[i];
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "x) (y) z)");
	ck_assert_int_eq(t->wait, TS_WAIT_FUTEX);
	ck_assert(!t->word_known);
	ck_assert_int_eq(t->waker, TS_WAKER_UNKNOWN);
	ck_assert_int_eq(t->cycle, -1);
	ck_assert_uint_eq(t->nframes, 0);
	ts_diagnosis_free(&g);
	ck_assert_ptr_null(g.threads);
	ck_assert_int_eq(ts_diagnose(12345, &o, &g), 1); /* no such process: nothing to free */
	ck_assert_ptr_null(g.threads);
}
END_TEST

/* ------------------------------------------------------------------ stuck */

/* A child process of two threads that can never go on: the second waits on
 * a semaphore nobody posts, the first joins it. */
static sem_t never_posted;
static const int sem_wait_line = __LINE__ + 9;

/* Says its tid on the descriptor arg points to, then waits for ever. */
static __attribute__((noinline)) void *wait_for_post(void *arg)
{
	pid_t tid = gettid();

	if (write(*(int *)arg, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	sem_wait(&never_posted);
	return arg;
}

static pid_t start_stuck_child(pid_t *waiter)
{
	int fds[2];
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pthread_t t;

		/* A failed assertion must not leave it stuck for ever. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
			_exit(1);
		sem_init(&never_posted, 0, 0);
		pthread_create(&t, NULL, wait_for_post, &fds[1]);
		pthread_join(t, NULL);
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], waiter, sizeof(*waiter)), (ssize_t)sizeof(*waiter));
	close(fds[0]);
	return pid;
}

/* True once tid is in an untimed futex wait (its syscall file). */
static bool in_untimed_futex(pid_t pid, pid_t tid)
{
	char path[64], buf[256];
	FILE *f;
	unsigned long nr, a0, a1, a2, a3;
	bool yes;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	yes = fgets(buf, sizeof(buf), f) != NULL &&
	      sscanf(buf, "%lu %lx %lx %lx %lx", &nr, &a0, &a1, &a2, &a3) == 5 && nr == 202 &&
	      a3 == 0;
	fclose(f);
	return yes;
}

START_TEST(diagnose_stuck_child)
{
	struct ts_doctor_opts o = {.window_ms = 50};
	struct ts_diagnosis g;
	pid_t waiter, pid = start_stuck_child(&waiter);
	const struct ts_thread_diag *w = NULL, *m = NULL;
	int status;

	/* Bounded by Check's timeout: both threads reach their waits. */
	while (!in_untimed_futex(pid, waiter) || !in_untimed_futex(pid, pid))
		sched_yield();
	ck_assert_int_eq(ts_diagnose(pid, &o, &g), 4);
	ck_assert_int_eq(g.verdict, TS_VERDICT_STUCK);
	ck_assert_str_eq(g.word, "stuck");
	ck_assert_int_eq(g.frames_rc, 0);
	size_t runtime = 0;

	for (size_t i = 0; i < g.nthreads; i++) {
		if (g.threads[i].tid == waiter)
			w = &g.threads[i];
		if (g.threads[i].tid == pid)
			m = &g.threads[i];
		runtime += g.threads[i].runtime;
	}
	/* Built with TSan (make check-self), the child has TSan's background
	 * thread too (one per fork it descends from), sleeping with a timeout:
	 * told apart and left out.  The program's two threads never are. */
	if (TL_BUILT_WITH_TSAN)
		ck_assert_uint_ge(runtime, 1);
	else
		ck_assert_uint_eq(runtime, 0);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(m);
	ck_assert(!w->runtime && !m->runtime);
	ck_assert_int_eq(m->wait, TS_WAIT_JOIN);
	ck_assert_int_eq(m->other, waiter);
	ck_assert_int_eq(m->waker, TS_WAKER_THREAD);
	ck_assert_int_eq(w->wait, TS_WAIT_FUTEX);
	ck_assert_int_eq(w->waker, TS_WAKER_INSIDE);
	ck_assert(!w->timed);
	ck_assert(w->same_wait);
	ck_assert_int_eq(w->stack_rc, 0);
	ck_assert_int_ge(w->where, 0);
	ck_assert_str_eq(w->frames[w->where].function, "wait_for_post");
	ck_assert_ptr_nonnull(w->frames[w->where].file);
	ck_assert_ptr_nonnull(strstr(w->frames[w->where].file, "test_threadstat.c"));
	ck_assert_int_eq(w->frames[w->where].line, sem_wait_line);
	ts_diagnosis_free(&g);
	/* Stopped and let go: still in the same wait, and still stuck. */
	ck_assert(in_untimed_futex(pid, waiter));
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}
END_TEST

/* A private copy of the fixture tree, to change between samples. */
static void copy_tree(char *dir, size_t len)
{
	char cmd[8192];

	snprintf(dir, len, "%s/ts-root.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -R '%s/.' '%s'", ROOT, dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void remove_tree(const char *dir)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(sample_thread_ends)
{
	struct ts_sampler *sm;
	const struct ts_sample *s;
	char dir[4096], cmd[8192];

	copy_tree(dir, sizeof(dir));
	ck_assert_int_eq(ts_sampler_open(&sm, dir, PROBE, TS_READ_STAT | TS_READ_SCHED), 0);
	ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
	ck_assert_uint_eq(s->n, 5);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%d/task/7397'", dir, PROBE);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
	ck_assert_uint_eq(s->n, 4);
	ck_assert_ptr_null(find(s, 7397));
	ck_assert_uint_eq(s->n_gone, 1);
	ck_assert_int_eq(s->gone[0].tid, 7397);
	ck_assert_str_eq(s->gone[0].name, "x) (y) z)");
	ts_sampler_close(sm);
	remove_tree(dir);
}
END_TEST

START_TEST(sample_tid_reused)
{
	struct ts_sampler *sm;
	const struct ts_sample *s;
	const struct ts_thread *t;
	char dir[4096], path[8192];

	copy_tree(dir, sizeof(dir));
	ck_assert_int_eq(ts_sampler_open(&sm, dir, PROBE, TS_READ_ALL), 0);
	ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
	/* tid 7399 now belongs to a newer thread: another start time (field
	 * 22) and name. */
	snprintf(path, sizeof(path), "%s/%d/task/7399/stat", dir, PROBE);
	write_file(path, "7399 (newcomer) R 1 7394 1 0 -1 4194368 0 0 0 0 5 1 0 0 20 0 5 0 "
	                 "999999 36102144 398 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 "
	                 "-1 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
	t = find(s, 7399);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "newcomer");
	ck_assert(t->is_new);
	ck_assert(t->cpu_pct < 0);
	ck_assert_uint_eq(s->n_gone, 1);
	ck_assert_str_eq(s->gone[0].name, "a,b \"q\"");
	ts_sampler_close(sm);
	remove_tree(dir);
}
END_TEST

START_TEST(sample_process_ends)
{
	struct ts_sampler *sm;
	const struct ts_sample *s;
	char dir[4096], path[8192];

	copy_tree(dir, sizeof(dir));
	ck_assert_int_eq(ts_sampler_open(&sm, dir, PROBE, TS_READ_STAT), 0);
	ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
	/* A zombie: ended, waiting for its parent. */
	snprintf(path, sizeof(path), "%s/%d/stat", dir, PROBE);
	write_file(path, "7394 (probe.bin) Z 1 7394 1 0 -1 4194368 0 0 0 0 0 0 0 0 20 0 1 0 "
	                 "999 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 "
	                 "17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	ck_assert_int_eq(ts_sampler_take(sm, &s), -ESRCH);
	ts_sampler_close(sm);
	remove_tree(dir);
}
END_TEST

/* ------------------------------------------------------------------ output */

START_TEST(name_clean)
{
	char out[64];

	ts_name_clean(out, sizeof(out), "plain name");
	ck_assert_str_eq(out, "plain name");
	ts_name_clean(out, sizeof(out), "tab\there\x1b[31m");
	ck_assert_str_eq(out, "tab?here?[31m");
	ts_name_clean(out, sizeof(out), "w\xc3\xb6rker"); /* UTF-8 kept */
	ck_assert_str_eq(out, "w\xc3\xb6rker");
	ts_name_clean(out, sizeof(out), "bad\xc3(\xff\xed\xa0\x80"); /* stray bytes, a surrogate */
	ck_assert_str_eq(out, "bad?(????");
	ts_name_clean(out, 4, "abcdef");
	ck_assert_str_eq(out, "abc");
}
END_TEST

START_TEST(columns_parse)
{
	unsigned cols;
	char bad[48];

	ck_assert_int_eq(ts_cols_parse("tid,name,state", &cols, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(cols, (1u << TS_COL_TID) | (1u << TS_COL_NAME) | (1u << TS_COL_STATE));
	ck_assert_uint_eq(ts_cols_fields(cols), TS_READ_STAT);
	ck_assert_int_eq(ts_cols_parse("all", &cols, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(cols, TS_COLS_ALL);
	ck_assert_uint_eq(ts_cols_fields(cols), TS_READ_ALL | TS_READ_MEM);
	/* The stack columns find stacks by the stack pointer in syscall. */
	ck_assert_int_eq(ts_cols_parse("mem", &cols, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(cols, (1u << TS_COL_TID) | (1u << TS_COL_NAME) | (1u << TS_COL_STACK) |
	                            (1u << TS_COL_STACK_RSS) | (1u << TS_COL_STACK_HWM));
	ck_assert_uint_eq(ts_cols_fields(cols), TS_READ_STAT | TS_READ_SYSCALL | TS_READ_MEM);
	ck_assert_int_eq(ts_cols_parse("cheap", &cols, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(ts_cols_fields(cols), TS_READ_STAT | TS_READ_SCHED);
	ck_assert_int_eq(ts_cols_parse("tid,bogus,name", &cols, bad, sizeof(bad)), -1);
	ck_assert_str_eq(bad, "bogus");
	ck_assert_int_eq(ts_cols_parse("", &cols, bad, sizeof(bad)), -1);
}
END_TEST

START_TEST(columns_table)
{
	/* The names --help lists are every column, each known to -o. */
	const char *names = ts_cols_names();
	const char *end = strstr(names, " (or all, cheap, mem)");
	char list[256], bad[48];
	unsigned cols;

	ck_assert_ptr_nonnull(end);
	ck_assert_int_eq(end[strlen(" (or all, cheap, mem)")], '\0');
	snprintf(list, sizeof(list), "%.*s", (int)(end - names), names);
	ck_assert_int_eq(ts_cols_parse(list, &cols, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(cols, TS_COLS_ALL);
	/* cheap: what stat and schedstat give. */
	ck_assert_int_eq(ts_cols_parse("cheap", &cols, bad, sizeof(bad)), 0);
	ck_assert_uint_eq(cols, ts_cols_cheap());
	ck_assert_uint_eq(cols, (1u << TS_COL_TID) | (1u << TS_COL_NAME) | (1u << TS_COL_STATE) |
	                            (1u << TS_COL_CPU_PCT) | (1u << TS_COL_USER) |
	                            (1u << TS_COL_SYS) | (1u << TS_COL_CPU) | (1u << TS_COL_START));
}
END_TEST

/* Takes one sample of the fixture and writes it in `format`. */
static char *render(enum ts_format format, unsigned cols)
{
	struct ts_sampler *sm;
	const struct ts_sample *s;
	struct ts_out o = {.format = format, .cols = cols, .interval_ms = 200};
	char *text = NULL;
	size_t len = 0;

	o.f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(o.f);
	ck_assert_int_eq(ts_sampler_open(&sm, ROOT, PROBE, ts_cols_fields(cols)), 0);
	ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
	ts_out_sample(&o, s);
	ts_sampler_close(sm);
	ck_assert_int_eq(fclose(o.f), 0);
	return text;
}

START_TEST(output_csv)
{
	char *text = render(TS_FORMAT_CSV, TS_COLS_ALL);

	ck_assert_ptr_nonnull(strstr(text, "time_ms,pid,tid,name,state,cpu_pct,user_ms,sys_ms,"
	                                   "vcsw,nvcsw,wchan,syscall,cpu,start_s,stack_kb,"
	                                   "stack_rss_kb,stack_hwm_kb\n"));
	/* A comma or quote in a name: quoted, quotes doubled. */
	ck_assert_ptr_nonnull(strstr(text, ",7399,\"a,b \"\"q\"\"\",S,"));
	ck_assert_ptr_nonnull(strstr(text, ",7397,x) (y) z),S,,0,0,2,0,futex_do_wait,futex,1,"));
	/* Status cut short: the counts are empty, not 0. */
	ck_assert_ptr_nonnull(strstr(text, ",7398,(,S,,0,0,,,__do_sys_pause,pause,"));
	free(text);
}
END_TEST

START_TEST(output_json)
{
	char *text = render(TS_FORMAT_JSON, TS_COLS_ALL);
	json_object *root = json_tokener_parse(text), *tasks, *t, *v;
	bool seen = false;

	ck_assert_ptr_nonnull(root);
	ck_assert(json_object_object_get_ex(root, "tasks", &tasks));
	ck_assert_int_eq((int)json_object_array_length(tasks), 5);
	ck_assert(json_object_object_get_ex(root, "threads", &v));
	ck_assert_int_eq(json_object_get_int(v), 5);
	for (size_t i = 0; i < json_object_array_length(tasks); i++) {
		t = json_object_array_get_idx(tasks, i);
		ck_assert(json_object_object_get_ex(t, "name", &v));
		if (strcmp(json_object_get_string(v), "a,b \"q\"") == 0) {
			ck_assert(json_object_object_get_ex(t, "tid", &v));
			ck_assert_int_eq(json_object_get_int(v), 7399);
			seen = true;
		}
	}
	ck_assert(seen);
	json_object_put(root);
	free(text);
}
END_TEST

START_TEST(output_table)
{
	char *text = render(TS_FORMAT_TABLE, TS_COLS_ALL);

	ck_assert_ptr_nonnull(strstr(text, "pid 7394 (probe.bin): 5 threads, RSS 1.6 MiB"));
	/* Wait (syscall and wchan) last, in one column. */
	ck_assert_ptr_nonnull(
	    strstr(text, "\n     TID NAME             S   CPU%      USER       SYS"
	                 "     VCSW    NVCSW CPU    START  STACK STK-RSS STK-HWM WAIT\n"));
	ck_assert_ptr_nonnull(strstr(text, "    7397 x) (y) z)        S "));
	ck_assert_ptr_nonnull(strstr(text, "futex in futex_do_wait\n"));
	free(text);
}
END_TEST

START_TEST(smaps_stacks)
{
	/* Three mappings: the heap, a thread stack (its guard first), the
	 * main stack; Anonymous lines add up. */
	static const char text[] =
	    "55d0a0000000-55d0a0021000 rw-p 00000000 00:00 0                          [heap]\n"
	    "Size:                132 kB\n"
	    "Rss:                  12 kB\n"
	    "Anonymous:            12 kB\n"
	    "Swap:                  0 kB\n"
	    "SwapPss:               0 kB\n"
	    "7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
	    "Rss:                   0 kB\n"
	    "Anonymous:             0 kB\n"
	    "7f0000001000-7f0000801000 rw-p 00000000 00:00 0 \n"
	    "Size:               8192 kB\n"
	    "Rss:                 264 kB\n"
	    "Anonymous:           260 kB\n"
	    "Swap:                  8 kB\n"
	    "VmFlags: rd wr mr mw me ac sd\n"
	    "7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]\n"
	    "Rss:                  16 kB\n"
	    "Anonymous:            16 kB\n";
	struct ts_smaps m = {0};
	const struct ts_mapping *k;

	ck_assert_int_eq(ts_smaps_parse(text, strlen(text), &m), 0);
	ck_assert_uint_eq(m.n, 4);
	ck_assert_uint_eq(m.heap_kb, 12);
	ck_assert_uint_eq(m.anon_kb, 12 + 260 + 16);
	k = ts_smaps_find(&m, 0x7f0000700000ull);
	ck_assert_ptr_nonnull(k);
	ck_assert_uint_eq(k->lo, 0x7f0000001000ull);
	ck_assert_uint_eq(k->rss_kb, 264);
	ck_assert_uint_eq(k->swap_kb, 8);
	ck_assert(k->guarded); /* above its ---p guard: a thread stack */
	ck_assert(!m.v[0].guarded && !m.v[3].guarded);
	ck_assert_ptr_null(ts_smaps_find(&m, 0x7f0000801000ull));
	ck_assert_ptr_null(ts_smaps_find(&m, 0x1000));
	ck_assert_int_eq(ts_smaps_parse("not smaps\n", 10, &m), 0);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_int_eq(ts_smaps_parse("zz-1 rw-p\n", 10, &m), 0);
	ts_smaps_free(&m);
}
END_TEST

START_TEST(pagemap_lowest_page)
{
	/* A pagemap stand-in for pages 0..999: held (bit 63 present, or 62
	 * swapped) are 990..999, and 500, a lone page deep down. */
	char path[] = "/tmp/ts-pagemap.XXXXXX";
	int fd = mkstemp(path);
	uint64_t e[1000] = {0}, lowest;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	for (int i = 990; i < 1000; i++)
		e[i] = 1ull << 63;
	e[995] = 1ull << 62;
	e[500] = 1ull << 63;
	ck_assert_int_eq(write(fd, e, sizeof(e)), (ssize_t)sizeof(e));
	/* Told of all 11 held pages, it finds the lone one too. */
	ck_assert_int_eq(ts_lowest_held_page(fd, 0, 1000 * 4096ull, 11, &lowest), 0);
	ck_assert_uint_eq(lowest, 500 * 4096ull);
	/* Told of 10, it stops at the run under the top. */
	ck_assert_int_eq(ts_lowest_held_page(fd, 0, 1000 * 4096ull, 10, &lowest), 0);
	ck_assert_uint_eq(lowest, 990 * 4096ull);
	/* Nothing held in [0, 400): the top itself. */
	ck_assert_int_eq(ts_lowest_held_page(fd, 0, 400 * 4096ull, 5, &lowest), 0);
	ck_assert_uint_eq(lowest, 400 * 4096ull);
	close(fd);
}
END_TEST

START_TEST(track_threads)
{
	struct ts_sampler *sm;
	const struct ts_sample *s;
	struct ts_track tr = {0};

	ck_assert_int_eq(ts_sampler_open(&sm, ROOT, PROBE, TS_READ_STAT | TS_READ_SCHED), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(ts_sampler_take(sm, &s), 0);
		ck_assert_int_eq(ts_track_add(&tr, s), 0);
	}
	ck_assert_uint_eq(tr.ns, 3);
	ck_assert_uint_eq(tr.n, 5);
	ck_assert_int_eq(tr.max_threads, 5);
	/* CPU% points exist from the second sample on: 2 x 5. */
	ck_assert_uint_eq(tr.np, 10);
	ts_track_free(&tr);
	ts_sampler_close(sm);
}
END_TEST

static Suite *threadstat_suite(void)
{
	Suite *s = suite_create("threadstat");
	TCase *tc = tcase_create("sampler");

	tcase_add_test(tc, sample_fixture_tree);
	tcase_add_test(tc, sample_kernel_thread);
	tcase_add_test(tc, sample_no_such_process);
	tcase_add_test(tc, sample_thread_ends);
	tcase_add_test(tc, sample_tid_reused);
	tcase_add_test(tc, sample_process_ends);
	tcase_add_test(tc, track_threads);
	tcase_add_test(tc, sample_few_descriptors);
	tcase_add_test(tc, doctor_fixture_tree);
	tcase_add_test(tc, diagnose_fixture_tree);
	tcase_add_test(tc, diagnose_stuck_child);
	suite_add_tcase(s, tc);
	tc = tcase_create("output");
	tcase_add_test(tc, name_clean);
	tcase_add_test(tc, columns_parse);
	tcase_add_test(tc, columns_table);
	tcase_add_test(tc, output_csv);
	tcase_add_test(tc, output_json);
	tcase_add_test(tc, output_table);
	tcase_add_test(tc, smaps_stacks);
	tcase_add_test(tc, pagemap_lowest_page);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(threadstat_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
