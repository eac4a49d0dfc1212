/* pool-bench — tl_pool against GLib's GThreadPool, measured in one run.
 *
 *   pool-bench                   every measurement, then the seeds' table
 *   pool-bench --ir tl|glib N    a 1-worker pool runs N empty tasks (what
 *                                callgrind counts; N = 0 is the start-up)
 *   pool-bench --mem tl|glib N   prints the RSS growth per pending task
 *                                for N tasks queued behind blocked workers
 *
 * Every timed figure is the median [min–max] of rounds in which the
 * contenders take turns (tl_pool, GLib, tl_pool, GLib ...), so a change in
 * the machine's load falls on all of them alike; ratios are taken within a
 * round.  Rounds go on until each median moved by less than BENCH_STABLE_PCT in
 * the last round (at least BENCH_MIN_ROUNDS, at most each section's cap).  GLib's
 * pools are exclusive (their threads start with the pool and serve it
 * alone), as tl_pool's are.  Instruction counts come from callgrind
 * ($VALGRIND, else valgrind on PATH; none: the line says so), memory from
 * /proc/self/statm in a fresh process.  Goals are printed beside the
 * figures with a verdict; timing never makes the program fail, only a
 * measurement that cannot run does (exit 1).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "bench_stats.h"
#include "tl_clock.h"
#include "tl_pool.h"
#include "tl_sync.h"

#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------------------ work */

static uint64_t spin_per_ms; /* busy-loop iterations in 1 ms of CPU */

/* Blocks for `ms` on a timer fd: the thread sleeps in read(2) like one
 * waiting for a socket, and costs no CPU. */
static void block_ms(long ms)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0)
		bench_die("timerfd_create: %s", strerror(errno));
	struct itimerspec when = {.it_value = {ms / 1000, (ms % 1000) * 1000000L}};
	if (timerfd_settime(fd, 0, &when, NULL) < 0)
		bench_die("timerfd_settime: %s", strerror(errno));
	uint64_t expirations;
	while (read(fd, &expirations, sizeof expirations) < 0)
		if (errno != EINTR)
			bench_die("read(timerfd): %s", strerror(errno));
	close(fd);
}

/* One task's work: cpu_ms of busy loop, then block_ms of waiting. */
struct work {
	double cpu_ms;
	long block_ms;
};

static void do_work(const struct work *w)
{
	if (w->cpu_ms > 0)
		bench_spin((uint64_t)(w->cpu_ms * (double)spin_per_ms));
	if (w->block_ms > 0)
		block_ms(w->block_ms);
}

/* ------------------------------------------------------ finishing a batch */

/* How a GLib or textbook task says it is done (they have no futures): the
 * last of a batch wakes the thread waiting for it. */
struct batch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_size_t left;
	bool done;
};

static void batch_init(struct batch *b)
{
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	atomic_init(&b->left, 0);
	b->done = true;
}

static void batch_destroy(struct batch *b)
{
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
}

/* Only between batches: no task of the last one is still running. */
static void batch_start(struct batch *b, size_t n)
{
	atomic_store(&b->left, n);
	b->done = n == 0;
}

static void batch_task_done(struct batch *b)
{
	if (atomic_fetch_sub(&b->left, 1) != 1)
		return;
	pthread_mutex_lock(&b->mu);
	b->done = true;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

static void batch_wait(struct batch *b)
{
	pthread_mutex_lock(&b->mu);
	while (!b->done)
		pthread_cond_wait(&b->cv, &b->mu);
	pthread_mutex_unlock(&b->mu);
}

/* ----------------------------------------------------------- the pools */

/* What every GLib task gets: the batch it belongs to is the pool's
 * user_data, and the work is the task's data (GLib refuses NULL data). */
static void glib_task(gpointer data, gpointer user_data)
{
	do_work(data);
	batch_task_done(user_data);
}

static GThreadPool *glib_pool_new(int workers, struct batch *b)
{
	GError *error = NULL;
	GThreadPool *gp = g_thread_pool_new(glib_task, b, workers, TRUE, &error);
	if (!gp)
		bench_die("g_thread_pool_new: %s", error ? error->message : "failed");
	return gp;
}

/* The pushes of the pools without futures take any pool, so that one
 * loop times both (handoff_push_ns). */
static void glib_push(void *gp, const struct work *w)
{
	GError *error = NULL;
	if (!g_thread_pool_push(gp, (gpointer)w, &error))
		bench_die("g_thread_pool_push: %s", error ? error->message : "failed");
}

static void *tl_task(void *arg)
{
	do_work(arg);
	return arg;
}

static tl_pool *tl_pool_new(int workers)
{
	tl_pool *p = tl_pool_create(workers);
	if (!p)
		bench_die("tl_pool_create(%d): %s", workers, strerror(errno));
	return p;
}

static void tl_submit_all(tl_pool *p, tl_future **fs, size_t n, const struct work *w)
{
	for (size_t i = 0; i < n; i++) {
		fs[i] = tl_pool_submit(p, tl_task, (void *)w);
		if (!fs[i])
			bench_die("tl_pool_submit: %s", strerror(errno));
	}
}

/* Python's [f.result() for f in fs]: each in turn, freed once it is done. */
static void tl_wait_each(tl_future **fs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tl_future_wait(fs[i], -1);
		tl_future_free(fs[i]);
	}
}

/* n tasks doing w, submitted, then each waited for in turn. */
static void tl_run_all(tl_pool *p, tl_future **fs, size_t n, const struct work *w)
{
	tl_submit_all(p, fs, n, w);
	tl_wait_each(fs, n);
}

/* The textbook pool: one mutex, one condition variable, a linked list of
 * tasks, a signal for every task; no futures. */
struct tb_task {
	struct tb_task *next;
	const struct work *w;
};

struct tb_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tb_task *head, **tail;
	bool stop;
	struct batch *batch;
	int workers;
	pthread_t threads[];
};

static void *tb_worker(void *arg)
{
	struct tb_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		struct tb_task *t = p->head;
		if (!t)
			break;
		p->head = t->next;
		if (!p->head)
			p->tail = &p->head;
		pthread_mutex_unlock(&p->mu);
		do_work(t->w);
		free(t);
		batch_task_done(p->batch);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static struct tb_pool *tb_pool_new(int workers, struct batch *b)
{
	struct tb_pool *p = calloc(1, sizeof *p + (size_t)workers * sizeof p->threads[0]);
	if (!p)
		bench_die("out of memory");
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->tail = &p->head;
	p->batch = b;
	for (; p->workers < workers; p->workers++)
		if (pthread_create(&p->threads[p->workers], NULL, tb_worker, p))
			bench_die("pthread_create failed");
	return p;
}

static void tb_submit(void *pool, const struct work *w)
{
	struct tb_pool *p = pool;
	struct tb_task *t = malloc(sizeof *t);
	if (!t)
		bench_die("out of memory");
	*t = (struct tb_task){NULL, w};
	pthread_mutex_lock(&p->mu);
	*p->tail = t;
	p->tail = &t->next;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void tb_pool_free(struct tb_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->workers; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static tl_future **future_array(size_t n)
{
	tl_future **fs = calloc(n ? n : 1, sizeof *fs);
	if (!fs)
		bench_die("out of memory");
	return fs;
}

/* ------------------------------------------------------------- hand-off */

#define HANDOFF_TASKS 100000
static const struct work nothing = {0, 0};

struct handoff {
	tl_pool *tl;
	GThreadPool *glib;
	struct tb_pool *tb;
	struct batch glib_batch, tb_batch;
	tl_future **fs;
	struct bench_series glib_ns, tb_ns, tl_each_ns, tl_all_ns;
	struct bench_series tb_ratio, tl_each_ratio, tl_all_ratio;
};

static double per_task_ns(uint64_t t0)
{
	return (double)(tl_mono_ns() - t0) / HANDOFF_TASKS;
}

/* Hand-off for a pool without futures: its tasks count themselves done. */
static double handoff_push_ns(void (*push)(void *pool, const struct work *w), void *pool,
                              struct batch *b)
{
	batch_start(b, HANDOFF_TASKS);
	uint64_t t0 = tl_mono_ns();
	for (size_t i = 0; i < HANDOFF_TASKS; i++)
		push(pool, &nothing);
	batch_wait(b);
	return per_task_ns(t0);
}

static void handoff_round(void *ctx)
{
	struct handoff *h = ctx;
	size_t n = HANDOFF_TASKS;

	uint64_t t0 = tl_mono_ns();
	tl_run_all(h->tl, h->fs, n, &nothing);
	double tl_each = per_task_ns(t0);

	double glib = handoff_push_ns(glib_push, h->glib, &h->glib_batch);

	t0 = tl_mono_ns();
	tl_submit_all(h->tl, h->fs, n, &nothing);
	if (tl_pool_wait(h->fs, n, TL_ALL_COMPLETED, -1))
		bench_die("tl_pool_wait failed");
	for (size_t i = 0; i < n; i++)
		tl_future_free(h->fs[i]);
	double tl_all = per_task_ns(t0);

	double tb = handoff_push_ns(tb_submit, h->tb, &h->tb_batch);

	bench_add(&h->glib_ns, glib);
	bench_add(&h->tb_ns, tb);
	bench_add(&h->tl_each_ns, tl_each);
	bench_add(&h->tl_all_ns, tl_all);
	bench_add(&h->tb_ratio, tb / glib);
	bench_add(&h->tl_each_ratio, tl_each / glib);
	bench_add(&h->tl_all_ratio, tl_all / glib);
}

static void bench_handoff(void)
{
	static struct handoff h;
	batch_init(&h.glib_batch);
	batch_init(&h.tb_batch);
	h.tl = tl_pool_new(2);
	h.glib = glib_pool_new(2, &h.glib_batch);
	h.tb = tb_pool_new(2, &h.tb_batch);
	h.fs = future_array(HANDOFF_TASKS);

	struct bench_series *all[] = {&h.glib_ns, &h.tb_ns, &h.tl_each_ns, &h.tl_all_ns,
	                              &h.tl_each_ratio};
	int rounds = bench_repeat_until_stable(handoff_round, &h, all, 5, 25);
	printf("Hand-off: %d empty tasks submitted, then waited for; 2 workers (%d rounds)\n",
	       HANDOFF_TASKS, rounds);
	bench_print_figure("GLib GThreadPool", &h.glib_ns, 0, " ns/task");
	printf("\n");
	bench_print_figure("textbook mutex+condvar pool", &h.tb_ns, 0, " ns/task");
	bench_print_ratio(&h.tb_ratio, "GLib");
	printf("\n");
	bench_print_figure("tl_pool, tl_pool_wait(all), free", &h.tl_all_ns, 0, " ns/task");
	bench_print_ratio(&h.tl_all_ratio, "GLib");
	printf("\n");
	bench_print_figure("tl_pool, wait and free each", &h.tl_each_ns, 0, " ns/task");
	bench_print_ratio(&h.tl_each_ratio, "GLib");
	bench_print_goal(bench_median(&h.tl_each_ratio), true, 0.7, "0.70× GLib");
	printf("\n\n");

	tl_pool_free(h.tl);
	g_thread_pool_free(h.glib, FALSE, TRUE);
	tb_pool_free(h.tb);
	free(h.fs);
	batch_destroy(&h.glib_batch);
	batch_destroy(&h.tb_batch);
}

/* ------------------------------------------- child processes: Ir, memory */

static char self_exe[4096];

/* Runs argv (argv[0] looked up on PATH) with stdout into `out` (NUL-ended,
 * cut to outlen); dies unless it exits 0. */
static void run_child(char *const argv[], char *out, size_t outlen)
{
	int fds[2];
	if (pipe(fds))
		bench_die("pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc)
		bench_die("cannot run %s: %s", argv[0], strerror(rc));
	size_t len = 0;
	ssize_t got;
	char sink[256];
	while ((got = read(fds[0], len + 1 < outlen ? out + len : sink,
	                   len + 1 < outlen ? outlen - 1 - len : sizeof sink)) != 0) {
		if (got < 0 && errno != EINTR)
			bench_die("read: %s", strerror(errno));
		if (got > 0 && len + 1 < outlen)
			len += (size_t)got;
	}
	out[len] = '\0';
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bench_die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		bench_die("%s %s %s %s failed (status %d)", argv[0], argv[1], argv[2],
		          argv[3] ? argv[3] : "", status);
}

#define IR_TASKS 20000

/* --ir: the work callgrind counts.  Both runs, N tasks and none, first run
 * IR_TASKS tasks on the same pool, so that the count is of a pool and a
 * heap in their steady state (malloc reusing freed chunks, GLib's slices
 * in their magazines), and everything but the N tasks is alike: the
 * difference is the tasks' own cost. */
static int ir_mode(const char *impl, size_t n)
{
	if (!strcmp(impl, "tl")) {
		tl_pool *p = tl_pool_new(1);
		tl_future **fs = future_array(n > IR_TASKS ? n : IR_TASKS);
		tl_run_all(p, fs, IR_TASKS, &nothing);
		tl_run_all(p, fs, n, &nothing);
		tl_pool_free(p);
		free(fs);
	} else {
		struct batch b;
		batch_init(&b);
		GThreadPool *gp = glib_pool_new(1, &b);
		const size_t batches[] = {IR_TASKS, n};
		for (int i = 0; i < 2; i++) {
			batch_start(&b, batches[i]);
			for (size_t j = 0; j < batches[i]; j++)
				glib_push(gp, &nothing);
			batch_wait(&b);
		}
		g_thread_pool_free(gp, FALSE, TRUE);
		batch_destroy(&b);
	}
	return 0;
}

/* Instructions (Ir) of `pool-bench --ir IMPL N` under callgrind. */
static double callgrind_ir(const char *valgrind, const char *impl, size_t n)
{
	char outfile[4200], opt[4300], count[32], text[64];
	char dir[] = "/tmp/pool-bench.XXXXXX";
	if (!mkdtemp(dir))
		bench_die("mkdtemp: %s", strerror(errno));
	snprintf(outfile, sizeof outfile, "%s/callgrind.out", dir);
	snprintf(opt, sizeof opt, "--callgrind-out-file=%s", outfile);
	snprintf(count, sizeof count, "%zu", n);
	char *argv[] = {(char *)valgrind, "--tool=callgrind", "-q",  opt, self_exe,
	                "--ir",           (char *)impl,       count, NULL};
	run_child(argv, text, sizeof text);

	FILE *f = fopen(outfile, "r");
	if (!f)
		bench_die("%s: %s", outfile, strerror(errno));
	char line[512];
	double ir = -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "totals:", 7) || !strncmp(line, "summary:", 8))
			ir = strtod(strchr(line, ':') + 1, NULL);
	fclose(f);
	unlink(outfile);
	rmdir(dir);
	if (ir < 0)
		bench_die("%s: no totals line", outfile);
	return ir;
}

static void bench_instructions(void)
{
	const char *valgrind = getenv("VALGRIND");
	if (!valgrind)
		valgrind = "valgrind";
	printf("Instructions per task: 1 worker, callgrind, (Ir(%d tasks) − Ir(0)) / %d", IR_TASKS,
	       IR_TASKS);
	if (!*valgrind) {
		printf(": skipped, no valgrind (configure found none)\n\n");
		return;
	}
	struct bench_series glib = {0}, tl = {0}, ratio = {0};
	for (int r = 0; r < BENCH_MIN_ROUNDS; r++) {
		double t =
		    (callgrind_ir(valgrind, "tl", IR_TASKS) - callgrind_ir(valgrind, "tl", 0)) /
		    IR_TASKS;
		double g =
		    (callgrind_ir(valgrind, "glib", IR_TASKS) - callgrind_ir(valgrind, "glib", 0)) /
		    IR_TASKS;
		bench_add(&tl, t);
		bench_add(&glib, g);
		bench_add(&ratio, t / g);
	}
	printf(" (%d rounds)\n", BENCH_MIN_ROUNDS);
	bench_print_figure("GLib GThreadPool", &glib, 0, " Ir/task");
	printf("\n");
	bench_print_figure("tl_pool, wait and free each", &tl, 0, " Ir/task");
	bench_print_ratio(&ratio, "GLib");
	bench_print_goal(bench_median(&tl), true, 400, "400");
	printf("\n\n");
}

/* --mem: RSS growth per task for n tasks queued while every worker is held
 * in a task that waits at a gate.  The gate tasks, the array of futures
 * and the pool exist before the first reading, so only the queued tasks
 * count. */
#define MEM_TASKS   1000000
#define MEM_WORKERS 2

struct gate {
	tl_event open;
	pthread_barrier_t in; /* every worker inside, and the main thread */
};

static void gate_hold(struct gate *g)
{
	pthread_barrier_wait(&g->in);
	tl_event_wait(&g->open, -1);
}

static void *tl_gate_task(void *arg)
{
	gate_hold(arg);
	return NULL;
}

static struct gate *gate_for_glib;

static void glib_gate_or_task(gpointer data, gpointer user_data)
{
	if (data == gate_for_glib)
		gate_hold(data);
	else
		glib_task(data, user_data);
}

static size_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size, resident;
	if (!f || fscanf(f, "%lu %lu", &size, &resident) != 2)
		bench_die("cannot read /proc/self/statm");
	fclose(f);
	return resident * (size_t)sysconf(_SC_PAGESIZE);
}

static int mem_mode(const char *impl, size_t n)
{
	struct gate g;
	tl_event_init(&g.open);
	pthread_barrier_init(&g.in, NULL, MEM_WORKERS + 1);
	size_t before, after;

	if (!strcmp(impl, "tl")) {
		tl_pool *p = tl_pool_new(MEM_WORKERS);
		tl_future *gates[MEM_WORKERS];
		for (int i = 0; i < MEM_WORKERS; i++)
			if (!(gates[i] = tl_pool_submit(p, tl_gate_task, &g)))
				bench_die("tl_pool_submit: %s", strerror(errno));
		pthread_barrier_wait(&g.in);
		tl_future **fs = future_array(n);
		memset(fs, 0xff, n * sizeof *fs); /* its pages are not the futures' */
		before = rss_bytes();
		tl_submit_all(p, fs, n, &nothing);
		after = rss_bytes();
		tl_event_set(&g.open);
		tl_wait_each(gates, MEM_WORKERS);
		tl_wait_each(fs, n);
		tl_pool_free(p);
		free(fs);
	} else {
		struct batch b;
		batch_init(&b);
		GError *error = NULL;
		GThreadPool *gp =
		    g_thread_pool_new(glib_gate_or_task, &b, MEM_WORKERS, TRUE, &error);
		if (!gp)
			bench_die("g_thread_pool_new: %s", error ? error->message : "failed");
		gate_for_glib = &g;
		for (int i = 0; i < MEM_WORKERS; i++)
			if (!g_thread_pool_push(gp, &g, &error))
				bench_die("g_thread_pool_push: %s",
				          error ? error->message : "failed");
		pthread_barrier_wait(&g.in);
		batch_start(&b, n);
		before = rss_bytes();
		for (size_t i = 0; i < n; i++)
			glib_push(gp, &nothing);
		after = rss_bytes();
		tl_event_set(&g.open);
		batch_wait(&b);
		g_thread_pool_free(gp, FALSE, TRUE);
		batch_destroy(&b);
	}
	pthread_barrier_destroy(&g.in);
	tl_event_destroy(&g.open);
	printf("%.2f\n", n ? (double)(after - before) / (double)n : 0.0);
	return 0;
}

static double pending_bytes(const char *impl)
{
	char count[32], text[64];
	snprintf(count, sizeof count, "%d", MEM_TASKS);
	char *argv[] = {self_exe, "--mem", (char *)impl, count, NULL};
	run_child(argv, text, sizeof text);
	return strtod(text, NULL);
}

static void bench_memory(void)
{
	struct bench_series glib = {0}, tl = {0};
	for (int r = 0; r < BENCH_MIN_ROUNDS; r++) {
		bench_add(&tl, pending_bytes("tl"));
		bench_add(&glib, pending_bytes("glib"));
	}
	printf("Memory per pending task: RSS growth for %d tasks queued behind %d workers held "
	       "at a gate\n(a fresh process each time; %d rounds)\n",
	       MEM_TASKS, MEM_WORKERS, BENCH_MIN_ROUNDS);
	bench_print_figure("GLib GThreadPool (no future)", &glib, 1, " B");
	printf("\n");
	bench_print_figure("tl_pool (a future)", &tl, 1, " B");
	bench_print_goal(bench_median(&tl), true, 128, "128 B");
	printf("\n\n");
}

/* ------------------------------------------------------ CPU and IO bound */

/* A timed stretch: wall time, and how many CPUs the process had on average
 * meanwhile (the CPU time of all its threads over the wall time).  On a
 * machine that other processes keep busy, the second says why a speedup
 * stayed low. */
struct timing {
	double ms, cpus;
};

struct stopwatch {
	uint64_t wall, cpu;
};

static uint64_t process_cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static struct stopwatch stopwatch_start(void)
{
	return (struct stopwatch){tl_mono_ns(), process_cpu_ns()};
}

static struct timing stopwatch_read(struct stopwatch sw)
{
	double wall = (double)(tl_mono_ns() - sw.wall);
	double cpu = (double)(process_cpu_ns() - sw.cpu);
	return (struct timing){wall / 1e6, wall > 0 ? cpu / wall : 0};
}

/* One batch of n tasks doing w on a pool of `workers` made for it: its
 * start-up counts, and so does its shutdown when `teardown` (as in
 * Python's `with ThreadPoolExecutor(...)` block). */
static struct timing tl_batch(int workers, size_t n, const struct work *w, bool teardown)
{
	tl_future *fs[64];
	if (n > 64)
		bench_die("batch too large");
	struct stopwatch sw = stopwatch_start();
	tl_pool *p = tl_pool_new(workers);
	tl_run_all(p, fs, n, w);
	if (teardown)
		tl_pool_free(p);
	struct timing t = stopwatch_read(sw);
	if (!teardown)
		tl_pool_free(p);
	return t;
}

static struct timing glib_batch(int workers, size_t n, const struct work *w, bool teardown)
{
	struct batch b;
	batch_init(&b);
	batch_start(&b, n);
	struct stopwatch sw = stopwatch_start();
	GThreadPool *gp = glib_pool_new(workers, &b);
	for (size_t i = 0; i < n; i++)
		glib_push(gp, w);
	batch_wait(&b);
	if (teardown)
		g_thread_pool_free(gp, FALSE, TRUE);
	struct timing t = stopwatch_read(sw);
	if (!teardown)
		g_thread_pool_free(gp, FALSE, TRUE);
	batch_destroy(&b);
	return t;
}

static struct timing sequential(size_t n, const struct work *w)
{
	struct stopwatch sw = stopwatch_start();
	for (size_t i = 0; i < n; i++)
		do_work(w);
	return stopwatch_read(sw);
}

static void *thread_work(void *arg)
{
	do_work(arg);
	return NULL;
}

static struct timing thread_per_task(size_t n, const struct work *w)
{
	pthread_t t[64];
	if (n > 64)
		bench_die("batch too large");
	struct stopwatch sw = stopwatch_start();
	for (size_t i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, thread_work, (void *)w))
			bench_die("pthread_create failed");
	for (size_t i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return stopwatch_read(sw);
}

/* How many CPUs the bench had while each contender ran: on a machine that
 * others share, what a speedup could reach. */
static void print_cpus(const struct bench_series *const *s, const char *const *names, int n)
{
	printf("  CPUs the bench had (its CPU time / wall time):");
	for (int i = 0; i < n; i++)
		printf("%s %s %.2f", i ? "," : "", names[i], bench_median(s[i]));
	printf(" of %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
}

#define CPU_TASKS   64
#define CPU_TASK_MS 5.0
#define CPU_WORKERS 2

struct cpu_bound {
	struct bench_series seq_ms, tl, glib, ratio, seq_cpus, tl_cpus, glib_cpus;
};

static void cpu_round(void *ctx)
{
	struct cpu_bound *c = ctx;
	const struct work w = {CPU_TASK_MS, 0};
	struct timing seq = sequential(CPU_TASKS, &w);
	struct timing tl = tl_batch(CPU_WORKERS, CPU_TASKS, &w, true);
	struct timing glib = glib_batch(CPU_WORKERS, CPU_TASKS, &w, true);
	bench_add(&c->seq_ms, seq.ms);
	bench_add(&c->tl, seq.ms / tl.ms);
	bench_add(&c->glib, seq.ms / glib.ms);
	bench_add(&c->ratio, tl.ms / glib.ms);
	bench_add(&c->seq_cpus, seq.cpus);
	bench_add(&c->tl_cpus, tl.cpus);
	bench_add(&c->glib_cpus, glib.cpus);
}

static void bench_cpu_bound(void)
{
	struct cpu_bound c = {0};
	struct bench_series *all[] = {&c.tl, &c.glib};
	int rounds = bench_repeat_until_stable(cpu_round, &c, all, 2, 15);
	printf("CPU-bound speedup: %d tasks of %.0f ms CPU (busy loop) on %d workers over "
	       "sequential\n(%.0f ms), pool start-up and shutdown included (%d rounds)\n",
	       CPU_TASKS, CPU_TASK_MS, CPU_WORKERS, bench_median(&c.seq_ms), rounds);
	bench_print_figure("GLib GThreadPool", &c.glib, 3, "×");
	printf("\n");
	bench_print_figure("tl_pool", &c.tl, 3, "×");
	bench_print_ratio(&c.ratio, "GLib");
	bench_print_goal(bench_median(&c.tl), false, 1.97, "1.97×");
	printf("\n");
	const struct bench_series *cpus[] = {&c.seq_cpus, &c.tl_cpus, &c.glib_cpus};
	const char *names[] = {"sequential", "tl_pool", "GLib"};
	print_cpus(cpus, names, 3);
	printf("\n");
}

#define IO_TASKS   32
#define IO_TASK_MS 20

struct io_bound {
	struct bench_series tl, glib, threads, tl_ms, glib_ms, threads_ms, ratio;
};

static double io_efficiency(double ms)
{
	return 100.0 * IO_TASK_MS / ms;
}

static void io_round(void *ctx)
{
	struct io_bound *o = ctx;
	const struct work w = {0, IO_TASK_MS};
	double tl = tl_batch(IO_TASKS, IO_TASKS, &w, false).ms;
	double glib = glib_batch(IO_TASKS, IO_TASKS, &w, false).ms;
	double threads = thread_per_task(IO_TASKS, &w).ms;
	bench_add(&o->tl_ms, tl);
	bench_add(&o->glib_ms, glib);
	bench_add(&o->threads_ms, threads);
	bench_add(&o->tl, io_efficiency(tl));
	bench_add(&o->glib, io_efficiency(glib));
	bench_add(&o->threads, io_efficiency(threads));
	bench_add(&o->ratio, tl / glib);
}

static void bench_io_bound(void)
{
	struct io_bound o = {0};
	struct bench_series *all[] = {&o.tl, &o.glib, &o.threads};
	int rounds = bench_repeat_until_stable(io_round, &o, all, 3, 30);
	printf("IO overlap: %d tasks that each wait %d ms on a timer fd, %d workers, pool "
	       "start-up included;\n%% of the ideal %d ms (%d rounds)\n",
	       IO_TASKS, IO_TASK_MS, IO_TASKS, IO_TASK_MS, rounds);
	bench_print_figure("one thread per task (reference)", &o.threads, 1, " %");
	printf("  %.2f ms\n", bench_median(&o.threads_ms));
	bench_print_figure("GLib GThreadPool", &o.glib, 1, " %");
	printf("  %.2f ms\n", bench_median(&o.glib_ms));
	bench_print_figure("tl_pool", &o.tl, 1, " %");
	printf("  %.2f ms", bench_median(&o.tl_ms));
	bench_print_ratio(&o.ratio, "GLib");
	bench_print_goal(bench_median(&o.tl), false, 96, "96 %");
	printf("\n\n");
}

/* ------------------------------------------------------ the seeds' table */

#define TABLE_TASKS 16
static const int table_workers[] = {1, 2, 4, 8};
#define NWORKERS (int)(sizeof table_workers / sizeof table_workers[0])

struct kind {
	const char *name, *task; /* "IO-bound", what each task does */
	struct work w;
	struct bench_series seq, threads, exec[NWORKERS];
	struct bench_series seq_cpus, exec2_cpus; /* CPUs had: sequential, 2 workers */
};

static void table_round(void *ctx)
{
	struct kind *k = ctx;
	struct timing seq = sequential(TABLE_TASKS, &k->w);
	bench_add(&k->seq, seq.ms);
	bench_add(&k->seq_cpus, seq.cpus);
	bench_add(&k->threads, thread_per_task(TABLE_TASKS, &k->w).ms);
	for (int i = 0; i < NWORKERS; i++) {
		struct timing t = tl_batch(table_workers[i], TABLE_TASKS, &k->w, true);
		bench_add(&k->exec[i], t.ms);
		if (table_workers[i] == 2)
			bench_add(&k->exec2_cpus, t.cpus);
	}
}

static void print_row(const char *name, const struct bench_series *s, double seq)
{
	printf("  %-24s %7.1f ms [%.1f–%.1f]  %5.2f×\n", name, bench_median(s), bench_lowest(s),
	       bench_highest(s), seq / bench_median(s));
}

/* The sentence under the table, from its CPU-bound figures. */
static void print_cpu_verdict(const struct kind *cpu)
{
	double seq = bench_median(&cpu->seq);
	double two = bench_median(&cpu->exec[1]), threads = bench_median(&cpu->threads);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	printf("C threads do speed up CPU-bound work, unlike the tutorials' Python threads, which "
	       "the GIL\nruns one at a time: %d × %.0f ms of busy loop took %.1f ms in one thread "
	       "and %.1f ms on\nthe executor's 2 workers (%.2f×), %.1f ms on a thread per task "
	       "(%.2f×). With %ld cores, %ld× is\nthe ceiling: 4 workers gave %.2f×, 8 workers "
	       "%.2f×.\n",
	       TABLE_TASKS, cpu->w.cpu_ms, seq, two, seq / two, threads, seq / threads, cores,
	       cores, seq / bench_median(&cpu->exec[2]), seq / bench_median(&cpu->exec[3]));
	if (bench_median(&cpu->exec2_cpus) < 1.8)
		printf("This run could not show it in full: other processes held the CPUs, and the "
		       "bench had\n%.2f CPUs while 2 workers ran (%.2f while one thread did).\n",
		       bench_median(&cpu->exec2_cpus), bench_median(&cpu->seq_cpus));
}

static void bench_table(void)
{
	static struct kind kinds[] = {
	    {.name = "IO-bound", .task = "that each wait 10 ms on a timer fd", .w = {0, 10}},
	    {.name = "CPU-bound", .task = "of 5 ms CPU each", .w = {5, 0}},
	    {.name = "hybrid", .task = "of 5 ms CPU, then a 10 ms wait", .w = {5, 10}},
	};
	printf("The seeds' table: sequential, one thread per task, and the executor (tl_pool, "
	       "start-up and\nshutdown included) at 1/2/4/8 workers; median wall time [min–max], "
	       "speedup over sequential\n");
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct kind *k = &kinds[i];
		struct bench_series *all[2 + NWORKERS] = {&k->seq, &k->threads};
		for (int j = 0; j < NWORKERS; j++)
			all[2 + j] = &k->exec[j];
		int rounds = bench_repeat_until_stable(table_round, k, all, 2 + NWORKERS, 15);
		printf("%s: %d tasks %s (%d rounds)\n", k->name, TABLE_TASKS, k->task, rounds);
		double seq = bench_median(&k->seq);
		print_row("sequential", &k->seq, seq);
		print_row("one thread per task", &k->threads, seq);
		for (int j = 0; j < NWORKERS; j++) {
			char name[40];
			snprintf(name, sizeof name, "executor, %d worker%s", table_workers[j],
			         table_workers[j] > 1 ? "s" : "");
			print_row(name, &k->exec[j], seq);
		}
	}
	print_cpu_verdict(&kinds[1]);
	printf("\n");
}

/* ------------------------------------------------------------------ main */

/* The three load averages, from /proc/loadavg. */
static void print_header(void)
{
	char load[64];
	bench_load_average(load, sizeof load);
	printf(
	    "pool-bench: tl_pool against GLib %u.%u.%u's GThreadPool (exclusive pools), %ld "
	    "online CPUs.\nLoad average at the start: %s.\n"
	    "Each figure is the median [min–max] of rounds in which the contenders take turns,\n"
	    "repeated until no median moved by more than %.0f %%. A ratio is tl_pool's time over "
	    "GLib's\nin the same round (N.NN× GLib: below 1 is faster). Busy loop: %" PRIu64
	    " iterations per ms.\n\n",
	    glib_major_version, glib_minor_version, glib_micro_version,
	    sysconf(_SC_NPROCESSORS_ONLN), load, BENCH_STABLE_PCT, spin_per_ms);
}

static size_t count_arg(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || end == s)
		bench_die("not a count: %s", s);
	return (size_t)v;
}

static const struct section {
	const char *name;
	void (*run)(void);
} sections[] = {
    {"handoff", bench_handoff}, {"instructions", bench_instructions},
    {"cpu", bench_cpu_bound},   {"io", bench_io_bound},
    {"memory", bench_memory},   {"table", bench_table},
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

static void usage(void)
{
	fprintf(stderr, "usage: pool-bench [SECTION...]   (sections:");
	for (size_t i = 0; i < NSECTIONS; i++)
		fprintf(stderr, " %s", sections[i].name);
	fprintf(stderr, "; default: all)\n       pool-bench --ir|--mem tl|glib N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	bench_name = "pool-bench";
	if (argc == 4 && (!strcmp(argv[2], "tl") || !strcmp(argv[2], "glib"))) {
		if (!strcmp(argv[1], "--ir"))
			return ir_mode(argv[2], count_arg(argv[3]));
		if (!strcmp(argv[1], "--mem"))
			return mem_mode(argv[2], count_arg(argv[3]));
	}
	bool chosen[NSECTIONS] = {false};
	for (int i = 1; i < argc; i++) {
		size_t j = 0;
		while (j < NSECTIONS && strcmp(argv[i], sections[j].name))
			j++;
		if (j == NSECTIONS)
			usage();
		chosen[j] = true;
	}
	ssize_t len = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	if (len < 0)
		bench_die("/proc/self/exe: %s", strerror(errno));
	self_exe[len] = '\0';

	setvbuf(stdout, NULL, _IOLBF, 0);
	spin_per_ms = bench_spin_per_ms();
	print_header();
	for (size_t i = 0; i < NSECTIONS; i++)
		if (argc == 1 || chosen[i])
			sections[i].run();
	char load[64];
	bench_load_average(load, sizeof load);
	printf("Load average at the end: %s.\n", load);
	return 0;
}
