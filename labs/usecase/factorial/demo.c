/* usecase/factorial — demo
 * n! with GMP, its factors split into ranges over threads and over processes.
 * The numbers 2..n are cut into one range per worker (--threads, default
 * 4); each worker multiplies its range by halves (a product tree), and the
 * workers' products are multiplied together the same way.  First the
 * workers are threads writing into slots of their own; then processes, each
 * sending its product back through a pipe in GMP's raw format
 * (mpz_out_raw / mpz_inp_raw).  Both results must equal GMP's own
 * mpz_fac_ui(n).  n is --iterations (default 20000); from 100000 on, the
 * program also times 1, 2 and 4 workers of each kind, with the naive
 * left-to-right product for scale.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <stdio.h> /* before gmp.h: it declares mpz_out_raw only after FILE */
#include <gmp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_clock.h"
#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

#define MAX_WORKERS 16
#define MAX_N       10000000L
#define TIMING_FROM 100000L /* n from which the timing table is printed */
#define LEAF        16      /* a range this short is multiplied one by one */
#define ROUNDS      5       /* of the timing table */

/* Progress made in the worker processes, which the parent hands on to its
 * watchdog (a child's own tl_progress counts in its copy of the memory). */
static _Atomic uint64_t *child_progress;

/* lo * (lo+1) * ... * (hi-1), by halves: GMP multiplies two numbers of
 * like size far faster than it grows one long number by a word at a time. */
static void range_product(mpz_t out, unsigned long lo, unsigned long hi)
{
	if (hi - lo <= LEAF || hi <= lo) {
		mpz_set_ui(out, 1);
		for (unsigned long k = lo; k < hi; k++)
			mpz_mul_ui(out, out, k);
		tl_progress();
		if (child_progress != NULL)
			atomic_fetch_add_explicit(child_progress, 1, memory_order_relaxed);
		return;
	}
	unsigned long mid = lo + (hi - lo) / 2;
	mpz_t right;
	mpz_init(right);
	range_product(out, lo, mid);
	range_product(right, mid, hi);
	mpz_mul(out, out, right);
	mpz_clear(right);
}

/* Multiplies part[0..n) together, pairwise (a product tree); the result
 * ends in part[0]. */
static void combine(mpz_t *part, long n)
{
	for (long step = 1; step < n; step *= 2)
		for (long i = 0; i + step < n; i += 2 * step)
			mpz_mul(part[i], part[i], part[i + step]);
}

/* Worker i of w takes an equal share of 2..n. */
static void share(unsigned long n, long i, long w, unsigned long *lo, unsigned long *hi)
{
	unsigned long count = n - 1; /* the numbers 2..n */
	*lo = 2 + count * (unsigned long)i / (unsigned long)w;
	*hi = 2 + count * (unsigned long)(i + 1) / (unsigned long)w;
}

/* ---- threads: each writes its product into its own slot ---- */

struct slot {
	unsigned long lo, hi;
	mpz_t product; /* written by its thread; read by main after the join */
};

static void *thread_worker(void *arg)
{
	struct slot *s = arg;
	tl_watchdog_register();
	range_product(s->product, s->lo, s->hi);
	return NULL;
}

static void by_threads(mpz_t out, unsigned long n, long workers)
{
	struct slot slots[MAX_WORKERS];
	pthread_t t[MAX_WORKERS];
	for (long i = 0; i < workers; i++) {
		share(n, i, workers, &slots[i].lo, &slots[i].hi);
		mpz_init(slots[i].product);
		tl_lab_thread_create(&t[i], thread_worker, &slots[i]);
	}
	mpz_t part[MAX_WORKERS];
	for (long i = 0; i < workers; i++) {
		pthread_join(t[i], NULL);
		mpz_init_set(part[i], slots[i].product);
		mpz_clear(slots[i].product);
	}
	combine(part, workers);
	mpz_set(out, part[0]);
	for (long i = 0; i < workers; i++)
		mpz_clear(part[i]);
}

/* ---- processes: each sends its product back through a pipe ---- */

static void child_work(int fd, unsigned long lo, unsigned long hi)
{
	mpz_t x;
	mpz_init(x);
	range_product(x, lo, hi);
	FILE *f = fdopen(fd, "w");
	bool ok = f != NULL && mpz_out_raw(f, x) != 0;
	ok = f != NULL && fclose(f) == 0 && ok;
	_exit(ok ? 0 : 1);
}

/* Waits until every pipe has data (its child is done computing), handing
 * the children's progress on to the watchdog meanwhile. */
static void await_children(const int *fds, long workers)
{
	struct pollfd p[MAX_WORKERS];
	for (long i = 0; i < workers; i++)
		p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	uint64_t seen = 0;
	for (long ready = 0; ready < workers;) {
		int rc = poll(p, (nfds_t)workers, 100);
		if (rc < 0 && errno != EINTR)
			break;
		for (long i = 0; i < workers && rc > 0; i++)
			if (p[i].revents != 0) {
				p[i].fd = -1; /* poll skips it from now on */
				ready++;
			}
		uint64_t now = atomic_load_explicit(child_progress, memory_order_relaxed);
		if (now != seen)
			tl_progress();
		seen = now;
	}
}

static bool by_processes(mpz_t out, unsigned long n, long workers)
{
	int fds[MAX_WORKERS];
	pid_t pids[MAX_WORKERS];
	fflush(stdout);
	pid_t parent = getpid();
	for (long i = 0; i < workers; i++) {
		int pfd[2];
		if (pipe(pfd) != 0)
			return false;
		unsigned long lo, hi;
		share(n, i, workers, &lo, &hi);
		pids[i] = fork();
		if (pids[i] < 0)
			return false;
		if (pids[i] == 0) {
			/* Killed when main's thread ends: after a watchdog verdict a
			 * child would otherwise compute on, outliving the lab. */
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
				_exit(1);
			close(pfd[0]);
			for (long j = 0; j < i; j++)
				close(fds[j]);
			child_work(pfd[1], lo, hi);
		}
		close(pfd[1]);
		fds[i] = pfd[0];
	}
	await_children(fds, workers);
	mpz_t part[MAX_WORKERS];
	bool ok = true;
	for (long i = 0; i < workers; i++) {
		mpz_init(part[i]);
		FILE *f = fdopen(fds[i], "r");
		ok = f != NULL && mpz_inp_raw(part[i], f) != 0 && ok;
		if (f != NULL)
			fclose(f);
		int status;
		ok = waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status) &&
		     WEXITSTATUS(status) == 0 && ok;
	}
	combine(part, workers);
	mpz_set(out, part[0]);
	for (long i = 0; i < workers; i++)
		mpz_clear(part[i]);
	return ok;
}

/* ---- the timing table (only when asked for a big n) ---- */

static void naive(mpz_t out, unsigned long n)
{
	mpz_set_ui(out, 1);
	for (unsigned long k = 2; k <= n; k++) {
		mpz_mul_ui(out, out, k);
		tl_progress();
	}
}

enum way { NAIVE, THREADS, PROCESSES, GMP };
struct row {
	enum way way;
	long workers;
	const char *name;
	double ms[ROUNDS];
	double cpu_per_wall[ROUNDS]; /* above 1: more than one CPU at once */
};

/* CPU time of this process's threads and of its waited-for children. */
static double cpu_ms(void)
{
	struct rusage self, children;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + children.ru_utime.tv_sec +
	                children.ru_stime.tv_sec) *
	           1e3 +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + children.ru_utime.tv_usec +
	                children.ru_stime.tv_usec) /
	           1e3;
}

static void time_one(struct row *r, int round, unsigned long n, mpz_t scratch)
{
	uint64_t start = tl_mono_ns();
	double cpu_start = cpu_ms();
	if (r->way == NAIVE)
		naive(scratch, n);
	else if (r->way == THREADS)
		by_threads(scratch, n, r->workers);
	else if (r->way == PROCESSES)
		by_processes(scratch, n, r->workers);
	else
		mpz_fac_ui(scratch, n);
	r->ms[round] = (double)(tl_mono_ns() - start) / 1e6;
	r->cpu_per_wall[round] = (cpu_ms() - cpu_start) / r->ms[round];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* ROUNDS rounds, the ways taken in turns within each, so that a change in
 * the machine's load falls on all of them; the median of the rounds, for
 * the time and for the CPU time over it (how many CPUs the way kept busy). */
static void timing_table(unsigned long n)
{
	struct row rows[] = {
	    {NAIVE, 1, "naive, left to right", {0}, {0}},
	    {THREADS, 1, "tree, 1 thread", {0}, {0}},
	    {THREADS, 2, "tree, 2 threads", {0}, {0}},
	    {THREADS, 4, "tree, 4 threads", {0}, {0}},
	    {PROCESSES, 1, "tree, 1 process", {0}, {0}},
	    {PROCESSES, 2, "tree, 2 processes", {0}, {0}},
	    {PROCESSES, 4, "tree, 4 processes", {0}, {0}},
	    {GMP, 1, "mpz_fac_ui", {0}, {0}},
	};
	size_t nrows = sizeof rows / sizeof rows[0];
	mpz_t scratch;
	mpz_init(scratch);
	for (int round = 0; round < ROUNDS; round++)
		for (size_t i = 0; i < nrows; i++)
			time_one(&rows[i], round, n, scratch);
	mpz_clear(scratch);
	double load[3] = {0};
	getloadavg(load, 3);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("%lu!: median of %d rounds; %ld CPUs, load average %.2f %.2f %.2f\n", n, ROUNDS,
	       cpus, load[0], load[1], load[2]);
	printf("%-22s %10s %8s %8s\n", "way", "ms", "speed-up", "CPU/wall");
	double base_threads = 0, base_procs = 0;
	for (size_t i = 0; i < nrows; i++) {
		qsort(rows[i].ms, ROUNDS, sizeof rows[i].ms[0], cmp_double);
		qsort(rows[i].cpu_per_wall, ROUNDS, sizeof rows[i].ms[0], cmp_double);
		double ms = rows[i].ms[ROUNDS / 2], cpus_used = rows[i].cpu_per_wall[ROUNDS / 2];
		if (rows[i].way == THREADS && rows[i].workers == 1)
			base_threads = ms;
		if (rows[i].way == PROCESSES && rows[i].workers == 1)
			base_procs = ms;
		double base = rows[i].way == THREADS     ? base_threads
		              : rows[i].way == PROCESSES ? base_procs
		                                         : 0;
		if (base > 0)
			printf("%-22s %10.1f %7.2fx %8.2f\n", rows[i].name, ms, base / ms,
			       cpus_used);
		else
			printf("%-22s %10.1f %8s %8.2f\n", rows[i].name, ms, "", cpus_used);
	}
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4,
	                        .iterations = 20000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_max = MAX_WORKERS};
	tl_lab_init(argc, argv, "n! with GMP over threads and over processes, checked.", &o);
	if (o.iterations > MAX_N) {
		fprintf(stderr, "%s: --iterations: n = %ld, at most %ld\n", tl_lab_name(),
		        o.iterations, MAX_N);
		return TL_EXIT_USAGE;
	}
	unsigned long n = (unsigned long)o.iterations;
	child_progress = mmap(NULL, sizeof *child_progress, PROT_READ | PROT_WRITE,
	                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (child_progress == MAP_FAILED)
		return tl_lab_result(TL_EXIT_FAILURE, "mmap: %s", strerror(errno));
	/* A big n runs the timing table too: a longer bound. */
	bool timing = o.iterations >= TIMING_FROM;
	if (o.watchdog)
		tl_watchdog_start(timing ? 10000 : 0, timing ? 600000 : 0);

	mpz_t want, threads, procs;
	mpz_inits(want, threads, procs, NULL);
	mpz_fac_ui(want, n);
	tl_log("%ld threads", o.threads);
	by_threads(threads, n, o.threads);
	tl_log("%ld processes", o.threads);
	bool piped = by_processes(procs, n, o.threads);
	size_t bits = mpz_sizeinbase(want, 2);
	bool same = mpz_cmp(threads, want) == 0 && piped && mpz_cmp(procs, want) == 0;
	tl_log("threads %s, processes %s mpz_fac_ui",
	       mpz_cmp(threads, want) ? "differ from" : "agree with",
	       piped && !mpz_cmp(procs, want) ? "agree with" : "differ from");
	mpz_clears(want, threads, procs, NULL);
	if (same && timing)
		timing_table(n);
	tl_watchdog_stop();
	munmap(child_progress, sizeof *child_progress);
	if (!same)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%lu! over %ld workers differs from mpz_fac_ui%s", n,
		                     o.threads, piped ? "" : " (a worker process failed)");
	return tl_lab_result(TL_EXIT_OK,
	                     "%lu! (%zu bits) over %ld threads and over %ld "
	                     "processes equals mpz_fac_ui's",
	                     n, bits, o.threads, o.threads);
}
