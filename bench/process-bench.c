/* process-bench — what a process costs next to a thread, and tl_ppool next
 * to tl_pool.  Three sections (name some to run only those):
 *
 *   create   pthread_create+join, fork+waitpid (the child _exits at once),
 *            posix_spawn+waitpid of /bin/true, vfork+exec+waitpid of
 *            /bin/true: µs each, and each over pthread_create's time in
 *            the same round;
 *   cpu      the same busy loop (CPU_TASKS tasks of CPU_TASK_MS) on 1, 2
 *            and 4 workers of tl_pool and of tl_ppool: the speedup over
 *            one worker of the same pool, and tl_ppool's time over
 *            tl_pool's at the same width;
 *   handoff  empty tasks submitted and waited for, one by one, through
 *            each pool (2 workers), and tl_ppool_map in chunks of 100.
 *
 * Contenders take turns within each round (bench_stats.h); timing never
 * fails the bench.  The pools are made before the rounds: their creation
 * is the "create" section's business. */
#include "bench_stats.h"
#include "tl_clock.h"
#include "tl_pool.h"
#include "tl_ppool.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static uint64_t spin_per_ms;

/* ---------------------------------------------------------------- create */

#define CREATIONS 100
static const char true_path[] = "/bin/true";

static void *nothing(void *arg)
{
	return arg;
}

static void reap(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bench_die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		bench_die("a child failed (status %#x)", (unsigned)status);
}

static double thread_us(void)
{
	uint64_t t0 = tl_mono_ns();
	for (int i = 0; i < CREATIONS; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, nothing, NULL))
			bench_die("pthread_create failed");
		pthread_join(t, NULL);
	}
	return (double)(tl_mono_ns() - t0) / 1e3 / CREATIONS;
}

static double fork_us(void)
{
	uint64_t t0 = tl_mono_ns();
	for (int i = 0; i < CREATIONS; i++) {
		pid_t pid = fork();
		if (pid < 0)
			bench_die("fork: %s", strerror(errno));
		if (pid == 0)
			_exit(0);
		reap(pid);
	}
	return (double)(tl_mono_ns() - t0) / 1e3 / CREATIONS;
}

static double spawn_us(void)
{
	char *argv[] = {(char *)true_path, NULL};
	uint64_t t0 = tl_mono_ns();
	for (int i = 0; i < CREATIONS; i++) {
		pid_t pid;
		int rc = posix_spawn(&pid, true_path, NULL, NULL, argv, environ);
		if (rc)
			bench_die("posix_spawn %s: %s", true_path, strerror(rc));
		reap(pid);
	}
	return (double)(tl_mono_ns() - t0) / 1e3 / CREATIONS;
}

/* On its own, so that no loop variable lives across the vfork (the child
 * borrows this stack frame until its exec). */
static pid_t vfork_exec(char *const argv[])
{
	pid_t pid = vfork();
	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	return pid;
}

static double vfork_us(void)
{
	char *argv[] = {(char *)true_path, NULL};
	uint64_t t0 = tl_mono_ns();
	for (int i = 0; i < CREATIONS; i++) {
		pid_t pid = vfork_exec(argv);
		if (pid < 0)
			bench_die("vfork: %s", strerror(errno));
		reap(pid);
	}
	return (double)(tl_mono_ns() - t0) / 1e3 / CREATIONS;
}

struct create {
	struct bench_series us[4], ratio[4];
};

static double (*const creators[4])(void) = {thread_us, fork_us, spawn_us, vfork_us};
static const char *const creator_names[4] = {
    "pthread_create + join", "fork + waitpid (_exit at once)", "posix_spawn /bin/true + waitpid",
    "vfork + exec /bin/true + waitpid"};

static void create_round(void *ctx)
{
	struct create *c = ctx;
	double us[4];
	for (int k = 0; k < 4; k++)
		us[k] = creators[k]();
	for (int k = 0; k < 4; k++) {
		bench_add(&c->us[k], us[k]);
		bench_add(&c->ratio[k], us[k] / us[0]);
	}
}

static void bench_create(void)
{
	static struct create c;
	struct bench_series *all[] = {&c.us[0], &c.us[1], &c.us[2], &c.us[3]};
	int rounds = bench_repeat_until_stable(create_round, &c, all, 4, 20);
	printf("Creation: %d of each per round, in turns (%d rounds)\n", CREATIONS, rounds);
	for (int k = 0; k < 4; k++) {
		bench_print_figure(creator_names[k], &c.us[k], 1, " µs");
		if (k)
			bench_print_ratio(&c.ratio[k], "pthread_create");
		printf("\n");
	}
	printf("\n");
}

/* ------------------------------------------------------------------- cpu */

#define CPU_TASKS   32
#define CPU_TASK_MS 5.0
static const int widths[3] = {1, 2, 4};

static void *tl_spin_task(void *arg)
{
	return (void *)(uintptr_t)bench_spin(*(const uint64_t *)arg);
}

static size_t pp_spin_task(const void *arg, size_t len, void *result, size_t cap)
{
	uint64_t n, x;
	(void)len, (void)cap;
	memcpy(&n, arg, sizeof n);
	x = bench_spin(n);
	memcpy(result, &x, sizeof x);
	return sizeof x;
}

static double tl_pool_run(tl_pool *p, void *(*fn)(void *), void *arg, size_t n)
{
	tl_future *fs[2000];
	uint64_t t0 = tl_mono_ns();
	for (size_t i = 0; i < n; i++)
		if (!(fs[i] = tl_pool_submit(p, fn, arg)))
			bench_die("tl_pool_submit: %s", strerror(errno));
	for (size_t i = 0; i < n; i++) {
		tl_future_result(fs[i]);
		tl_future_free(fs[i]);
	}
	return (double)(tl_mono_ns() - t0);
}

static double tl_ppool_run(tl_ppool *p, tl_ptask_fn fn, const void *arg, size_t len, size_t n)
{
	tl_pfuture *fs[2000];
	uint64_t t0 = tl_mono_ns();
	for (size_t i = 0; i < n; i++)
		if (!(fs[i] = tl_ppool_submit(p, fn, arg, len)))
			bench_die("tl_ppool_submit: %s", strerror(errno));
	for (size_t i = 0; i < n; i++) {
		if (tl_pfuture_result_wait(fs[i], -1, NULL, NULL))
			bench_die("a tl_ppool task failed");
		tl_pfuture_free(fs[i]);
	}
	return (double)(tl_mono_ns() - t0);
}

struct cpu {
	tl_pool *tl[3];
	tl_ppool *pp[3];
	uint64_t iterations;
	struct bench_series tl_ms[3], pp_ms[3], tl_speedup[3], pp_speedup[3], ratio[3];
};

static void cpu_round(void *ctx)
{
	struct cpu *c = ctx;
	double tl[3], pp[3];
	for (int k = 0; k < 3; k++) {
		tl[k] = tl_pool_run(c->tl[k], tl_spin_task, &c->iterations, CPU_TASKS) / 1e6;
		pp[k] = tl_ppool_run(c->pp[k], pp_spin_task, &c->iterations, sizeof c->iterations,
		                     CPU_TASKS) /
		        1e6;
	}
	for (int k = 0; k < 3; k++) {
		bench_add(&c->tl_ms[k], tl[k]);
		bench_add(&c->pp_ms[k], pp[k]);
		bench_add(&c->tl_speedup[k], tl[0] / tl[k]);
		bench_add(&c->pp_speedup[k], pp[0] / pp[k]);
		bench_add(&c->ratio[k], pp[k] / tl[k]);
	}
}

static void bench_cpu(void)
{
	static struct cpu c;
	c.iterations = (uint64_t)(CPU_TASK_MS * (double)spin_per_ms);
	for (int k = 0; k < 3; k++) {
		c.tl[k] = tl_pool_create(widths[k]);
		c.pp[k] = tl_ppool_create(widths[k], NULL, NULL);
		if (!c.tl[k] || !c.pp[k])
			bench_die("pool creation: %s", strerror(errno));
	}
	struct bench_series *all[] = {&c.tl_ms[0], &c.tl_ms[1], &c.tl_ms[2],
	                              &c.pp_ms[0], &c.pp_ms[1], &c.pp_ms[2]};
	int rounds = bench_repeat_until_stable(cpu_round, &c, all, 6, 15);
	printf("CPU-bound: %d tasks of %.0f ms busy loop, submitted then waited for (%d rounds)\n",
	       CPU_TASKS, CPU_TASK_MS, rounds);
	for (int k = 0; k < 3; k++) {
		char name[64];
		snprintf(name, sizeof name, "tl_pool, %d worker%s", widths[k], k ? "s" : "");
		bench_print_figure(name, &c.tl_ms[k], 1, " ms");
		if (k)
			bench_print_ratio(&c.tl_speedup[k], "speedup");
		printf("\n");
		snprintf(name, sizeof name, "tl_ppool, %d worker%s", widths[k], k ? "s" : "");
		bench_print_figure(name, &c.pp_ms[k], 1, " ms");
		if (k)
			bench_print_ratio(&c.pp_speedup[k], "speedup");
		printf("\n");
		snprintf(name, sizeof name, "  tl_ppool's time / tl_pool's");
		bench_print_figure(name, &c.ratio[k], 2, "×");
		printf("\n");
	}
	printf("  (a speedup is the 1-worker time over this one, of the same pool and round; "
	       "%ld CPUs online)\n\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	for (int k = 0; k < 3; k++) {
		tl_pool_free(c.tl[k]);
		tl_ppool_free(c.pp[k]);
	}
}

/* --------------------------------------------------------------- handoff */

#define HANDOFF_TASKS 2000
#define MAP_CHUNK     100

static void *tl_empty(void *arg)
{
	return arg;
}

static size_t pp_empty(const void *arg, size_t len, void *result, size_t cap)
{
	(void)arg, (void)len, (void)result, (void)cap;
	return 0;
}

static size_t pp_empty_item(const void *arg, size_t len, void *result, size_t cap)
{
	(void)arg, (void)len, (void)result;
	return cap;
}

struct handoff {
	tl_pool *tl;
	tl_ppool *pp;
	struct bench_series tl_us, pp_us, map_us, ratio, map_ratio;
};

static void handoff_round(void *ctx)
{
	struct handoff *h = ctx;
	static long items[HANDOFF_TASKS], results[HANDOFF_TASKS];
	double tl = tl_pool_run(h->tl, tl_empty, NULL, HANDOFF_TASKS) / 1e3 / HANDOFF_TASKS;
	double pp = tl_ppool_run(h->pp, pp_empty, NULL, 0, HANDOFF_TASKS) / 1e3 / HANDOFF_TASKS;
	uint64_t t0 = tl_mono_ns();
	if (tl_ppool_map(h->pp, pp_empty_item, items, sizeof *items, results, sizeof *results,
	                 HANDOFF_TASKS, MAP_CHUNK, 0))
		bench_die("tl_ppool_map failed");
	double map = (double)(tl_mono_ns() - t0) / 1e3 / HANDOFF_TASKS;
	bench_add(&h->tl_us, tl);
	bench_add(&h->pp_us, pp);
	bench_add(&h->map_us, map);
	bench_add(&h->ratio, pp / tl);
	bench_add(&h->map_ratio, map / tl);
}

static void bench_handoff(void)
{
	static struct handoff h;
	h.tl = tl_pool_create(2);
	h.pp = tl_ppool_create(2, NULL, NULL);
	if (!h.tl || !h.pp)
		bench_die("pool creation: %s", strerror(errno));
	struct bench_series *all[] = {&h.tl_us, &h.pp_us, &h.map_us};
	int rounds = bench_repeat_until_stable(handoff_round, &h, all, 3, 20);
	printf("Hand-off: %d empty tasks submitted, then waited for one by one; 2 workers "
	       "(%d rounds)\n",
	       HANDOFF_TASKS, rounds);
	bench_print_figure("tl_pool", &h.tl_us, 2, " µs/task");
	printf("\n");
	bench_print_figure("tl_ppool", &h.pp_us, 2, " µs/task");
	bench_print_ratio(&h.ratio, "tl_pool");
	printf("\n");
	char name[64];
	snprintf(name, sizeof name, "tl_ppool_map, chunks of %d", MAP_CHUNK);
	bench_print_figure(name, &h.map_us, 2, " µs/item");
	bench_print_ratio(&h.map_ratio, "tl_pool");
	printf("\n\n");
	tl_pool_free(h.tl);
	tl_ppool_free(h.pp);
}

/* ------------------------------------------------------------------ main */

static const struct {
	const char *name;
	void (*run)(void);
} sections[] = {{"create", bench_create}, {"cpu", bench_cpu}, {"handoff", bench_handoff}};
#define NSECTIONS (sizeof sections / sizeof sections[0])

int main(int argc, char **argv)
{
	bench_name = "process-bench";
	bool chosen[NSECTIONS] = {false};
	for (int i = 1; i < argc; i++) {
		size_t j = 0;
		while (j < NSECTIONS && strcmp(argv[i], sections[j].name))
			j++;
		if (j == NSECTIONS) {
			fprintf(stderr, "usage: process-bench [create] [cpu] [handoff]\n");
			return 2;
		}
		chosen[j] = true;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	spin_per_ms = bench_spin_per_ms();
	char load[64];
	bench_load_average(load, sizeof load);
	printf("process-bench: threads against processes, tl_pool against tl_ppool; %ld online "
	       "CPUs.\nLoad average at the start: %s.\n"
	       "Each figure is the median [min–max] of rounds in which the contenders take turns,\n"
	       "repeated until no median moved by more than %.0f %%; a ratio is taken within a "
	       "round.\nBusy loop: %" PRIu64 " iterations per ms.\n\n",
	       sysconf(_SC_NPROCESSORS_ONLN), load, BENCH_STABLE_PCT, spin_per_ms);
	for (size_t i = 0; i < NSECTIONS; i++)
		if (argc == 1 || chosen[i])
			sections[i].run();
	bench_load_average(load, sizeof load);
	printf("Load average at the end: %s.\n", load);
	return 0;
}
