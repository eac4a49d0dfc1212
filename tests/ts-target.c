/* ts-target — a process with many named threads for threadstat's tests and
 * benchmark.
 *
 *   ts-target --threads N [--names LIST] [--spin K] [--serial S] [--finished F]
 *             [--burn MS] [--fork P] [--grow KIB]
 *
 * Makes N threads (1..4000).  Thread i is named after the i-th entry of
 * LIST ('/'-separated, so "my worker/x) (y/(" names three), or "t-i" past
 * the end of the list.  The first K threads spin on the CPU; the next S
 * all lock one mutex and spin holding it: the first to get it keeps it,
 * the others wait for it in futex, and "holder TID" goes to stdout before
 * "ready" (busy, serialised behind one mutex, for `threadstat doctor`);
 * the others block on a condition variable.  With --finished F, F more threads end at
 * once and are never joined (until exit): their stacks stay mapped with no
 * thread, a thread leak.  Once every thread exists and has its
 * name, one line "ready PID" goes to stdout; the program then waits for
 * end of file on stdin, stops and joins its threads and exits 0.  Whoever
 * runs it decides how long it lives by closing its stdin: no timers.
 *
 * --burn MS: before making its threads, the main thread uses MS ms of CPU
 * (its own CPU clock), so that a known amount of CPU is spent and done by
 * the time "ready" is written.  --fork P: P child processes are forked
 * first (while single-threaded); each burns and makes its N threads, named
 * "cI-t-J", like the parent, and reports to it; "ready" means all of them
 * are ready.  At end of file (the children share stdin) each exits and the
 * parent waits for them: a forking server.  --grow KIB: one more thread,
 * "grower", blocked; the line "grow" on stdin makes it touch KIB more of its
 * stack and block again in that frame, and then "grown TID" is written: its
 * stack's high-water mark moved down by KIB (give or take the few bytes of
 * one frame).  "ready" and "grown" wait until the grower is blocked, so
 * that its stack pointer shows in /proc (not while it runs).
 *
 * Exit: 0 ok, 1 a thread could not be made (one line on stderr), 2 usage.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "tl_procfs.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <alloca.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS  4000
#define NAME_MAX_LEN 15 /* the kernel's TASK_COMM_LEN less the NUL */

struct worker {
	pthread_t thread;
	char name[NAME_MAX_LEN + 1];
	bool spin;
	bool serial;
	atomic_int tid;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int named;         /* threads that have set their name; under mu */
static bool stop_blocked; /* under mu */
static atomic_bool stop_spin;
static pthread_mutex_t giant = PTHREAD_MUTEX_INITIALIZER; /* the --serial threads' */
static atomic_int holder_tid;                             /* who has it, once one has */
static int name_error; /* first pthread_setname_np failure; under mu */

/* --grow: the grower thread and its one command. */
static pthread_mutex_t grow_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t grow_cv = PTHREAD_COND_INITIALIZER;
static bool grow_asked, grow_done, grow_stop; /* under grow_mu */
static pid_t grower_tid;                      /* under grow_mu */
static size_t grow_bytes;

/* Touches `bytes` of stack below this frame, then blocks in it until stop. */
static __attribute__((noinline)) void grow_and_wait(size_t bytes)
{
	volatile char *buf = alloca(bytes);

	for (size_t off = 0; off < bytes; off += 4096)
		buf[off] = 1;
	buf[bytes - 1] = 1;
	pthread_mutex_lock(&grow_mu);
	grow_done = true;
	pthread_cond_broadcast(&grow_cv);
	while (!grow_stop)
		pthread_cond_wait(&grow_cv, &grow_mu);
	pthread_mutex_unlock(&grow_mu);
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static void *grower_main(void *arg)
{
	bool go;

	pthread_setname_np(pthread_self(), "grower");
	pthread_mutex_lock(&grow_mu);
	grower_tid = gettid();
	pthread_cond_broadcast(&grow_cv);
	while (!grow_asked && !grow_stop)
		pthread_cond_wait(&grow_cv, &grow_mu);
	go = !grow_stop;
	pthread_mutex_unlock(&grow_mu);
	if (go)
		grow_and_wait(grow_bytes);
	return arg;
}

/* Uses ms of this thread's CPU time. */
static void burn(long ms)
{
	struct timespec t;
	long long end_ns;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	end_ns = (long long)t.tv_sec * 1000000000LL + t.tv_nsec + ms * 1000000LL;
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	while ((long long)t.tv_sec * 1000000000LL + t.tv_nsec < end_ns);
}

/* Waits until thread tid is blocked (state S or D), so that its stack
 * pointer can be read (a running thread's syscall file shows none).  Like
 * wait_tasks, this polls, yielding, for at most 10 s.  0 or -1. */
static int wait_blocked(pid_t tid)
{
	struct timespec t0, now;
	struct tl_task_stat st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (tl_procfs_read_task_stat(NULL, getpid(), tid, &st) != 0)
			return -1;
		if (st.state == 'S' || st.state == 'D')
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 10)
			return -1;
		sched_yield();
	}
}

/* Handles the lines of stdin ("grow") until end of file. */
static void serve_stdin(void)
{
	char buf[256];
	size_t len = 0;

	for (;;) {
		ssize_t r = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
		char *nl;

		if (r == 0 || (r < 0 && errno != EINTR))
			return;
		if (r < 0)
			continue;
		len += (size_t)r;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			if (strcmp(buf, "grow") == 0 && grow_bytes > 0) {
				pthread_mutex_lock(&grow_mu);
				grow_asked = true;
				pthread_cond_broadcast(&grow_cv);
				while (!grow_done)
					pthread_cond_wait(&grow_cv, &grow_mu);
				pthread_mutex_unlock(&grow_mu);
				if (wait_blocked(grower_tid) == 0)
					printf("grown %d\n", (int)grower_tid);
				else
					printf("not blocked %d\n", (int)grower_tid);
				fflush(stdout);
			}
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0; /* a line too long for any command */
	}
}

static void *finish_main(void *arg)
{
	return arg;
}

/* Waits until the process has exactly `want` tasks: the finished threads
 * have gone from /proc/self/task (their stacks stay).  The kernel reaps an
 * exiting thread by itself, a little after it returns; nothing signals
 * that, so this polls, yielding, for at most 10 s.  0 or -1. */
static int wait_tasks(long want)
{
	struct timespec t0, now;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		n = tl_procfs_count_tasks(NULL, getpid());
		if (n == want)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (n < 0 || now.tv_sec - t0.tv_sec > 10)
			return -1;
		sched_yield();
	}
}

/* Waits until one --serial thread holds `giant` and every other waits for
 * it in the kernel (its syscall file shows futex on the mutex).  Nothing
 * signals a thread's arrival in futex, so this polls, yielding, for at most
 * 10 s, as wait_tasks does.  The holder's tid, or -1. */
static int wait_serialised(const struct worker *w, long n)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int holder = atomic_load(&holder_tid);
		bool all = holder != 0;

		for (long i = 0; all && i < n; i++) {
			struct tl_task_syscall sc;
			int tid = atomic_load(&w[i].tid);

			if (!w[i].serial || tid == holder)
				continue;
			all = tl_procfs_read_syscall(NULL, getpid(), tid, &sc) == 0 &&
			      sc.state == TL_SYSCALL_IN && sc.nr == SYS_futex &&
			      sc.args[0] == (uintptr_t)&giant;
		}
		if (all)
			return holder;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 10)
			return -1;
		sched_yield();
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int rc = pthread_setname_np(pthread_self(), w->name);

	atomic_store(&w->tid, gettid());

	pthread_mutex_lock(&mu);
	if (rc != 0 && name_error == 0)
		name_error = rc;
	named++;
	pthread_cond_broadcast(&cv);
	if (w->spin) {
		pthread_mutex_unlock(&mu);
		while (!atomic_load_explicit(&stop_spin, memory_order_relaxed))
			;
		return NULL;
	}
	if (w->serial) {
		pthread_mutex_unlock(&mu);
		pthread_mutex_lock(&giant);
		if (!atomic_load(&stop_spin))
			atomic_store(&holder_tid, gettid());
		while (!atomic_load_explicit(&stop_spin, memory_order_relaxed))
			;
		pthread_mutex_unlock(&giant);
		return NULL;
	}
	while (!stop_blocked)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int usage(const char *why)
{
	fprintf(
	    stderr,
	    "ts-target: %s (usage: ts-target --threads N [--names A/B/...] [--spin K] [--serial S] "
	    "[--finished F] [--burn MS] [--fork P] [--grow KIB])\n",
	    why);
	return 2;
}

/* A whole decimal number in [lo, hi], or -1. */
static long number(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

/* Gives each worker its name: the LIST entries in order, then "t-INDEX".
 * Returns false when an entry is too long for the kernel. */
static bool assign_names(struct worker *w, long n, const char *list)
{
	const char *p = list;
	long i;

	for (i = 0; i < n; i++) {
		if (p != NULL) {
			const char *slash = strchr(p, '/');
			size_t len = slash ? (size_t)(slash - p) : strlen(p);

			if (len > NAME_MAX_LEN)
				return false;
			memcpy(w[i].name, p, len);
			w[i].name[len] = '\0';
			p = slash ? slash + 1 : NULL;
		} else {
			snprintf(w[i].name, sizeof(w[i].name), "t-%hu", (unsigned short)i);
		}
	}
	/* Entries past the N-th are checked too: a typo should not pass
	 * silently because N happened to be small. */
	while (p != NULL) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len > NAME_MAX_LEN)
			return false;
		p = slash ? slash + 1 : NULL;
	}
	return true;
}

/* Ends every thread made so far and waits for it. */
static void stop_and_join(struct worker *w, long made)
{
	long i;

	atomic_store_explicit(&stop_spin, true, memory_order_relaxed);
	pthread_mutex_lock(&mu);
	stop_blocked = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < made; i++)
		pthread_join(w[i].thread, NULL);
}

/* Joins the finished threads, ends the others: the way out after an error. */
static int end_early(pthread_t *fin, long finished, struct worker *w, long made)
{
	for (long i = 0; i < finished; i++)
		pthread_join(fin[i], NULL);
	free(fin);
	stop_and_join(w, made);
	free(w);
	return 1;
}

/* --fork: makes P children; in each child returns its index (1..P) with
 * *report the descriptor to write its one byte to when ready; in the
 * parent returns 0 with the children's pids in kids[] and *report the
 * descriptor to read P bytes from.  -1 on failure. */
static long fork_children(long p, pid_t *kids, int *report)
{
	int fds[2];

	if (pipe(fds) != 0)
		return -1;
	for (long k = 0; k < p; k++) {
		kids[k] = fork();
		if (kids[k] < 0)
			return -1;
		if (kids[k] == 0) {
			close(fds[0]);
			*report = fds[1];
			return k + 1;
		}
	}
	close(fds[1]);
	*report = fds[0];
	return 0;
}

int main(int argc, char **argv)
{
	long n = -1, spin = 0, serial = 0, finished = 0, i, made = 0, burn_ms = 0, forks = 0,
	     grow_kib = 0;
	long child = 0;
	pid_t kids[64];
	pthread_t grower;
	int report = -1;
	pthread_t *fin;
	const char *names = NULL;
	struct worker *w;
	int rc, i_arg;

	for (i_arg = 1; i_arg < argc; i_arg++) {
		const char *opt = argv[i_arg];

		if (i_arg + 1 >= argc)
			return usage("missing value or unknown option");
		if (strcmp(opt, "--threads") == 0) {
			n = number(argv[++i_arg], 1, MAX_THREADS);
			if (n < 0)
				return usage("--threads takes a number from 1 to 4000");
		} else if (strcmp(opt, "--spin") == 0) {
			spin = number(argv[++i_arg], 0, MAX_THREADS);
			if (spin < 0)
				return usage("--spin takes a number from 0 to 4000");
		} else if (strcmp(opt, "--serial") == 0) {
			serial = number(argv[++i_arg], 0, MAX_THREADS);
			if (serial < 0)
				return usage("--serial takes a number from 0 to 4000");
		} else if (strcmp(opt, "--finished") == 0) {
			finished = number(argv[++i_arg], 0, MAX_THREADS);
			if (finished < 0)
				return usage("--finished takes a number from 0 to 4000");
		} else if (strcmp(opt, "--names") == 0) {
			names = argv[++i_arg];
		} else if (strcmp(opt, "--burn") == 0) {
			burn_ms = number(argv[++i_arg], 0, 60000);
			if (burn_ms < 0)
				return usage("--burn takes a number of ms from 0 to 60000");
		} else if (strcmp(opt, "--fork") == 0) {
			forks = number(argv[++i_arg], 0, 64);
			if (forks < 0)
				return usage("--fork takes a number from 0 to 64");
		} else if (strcmp(opt, "--grow") == 0) {
			grow_kib = number(argv[++i_arg], 0, 4096);
			if (grow_kib < 0)
				return usage("--grow takes a number of KiB from 0 to 4096");
		} else {
			return usage("unknown option");
		}
	}
	if (n < 0)
		return usage("--threads is required");
	if (spin + serial > n)
		return usage("--spin and --serial together must not exceed --threads");
	if (forks > 0 && (child = fork_children(forks, kids, &report)) < 0) {
		fprintf(stderr, "ts-target: fork: %s\n", strerror(errno));
		return 1;
	}
	burn(burn_ms);
	w = calloc((size_t)n, sizeof(*w));
	if (w == NULL) {
		fprintf(stderr, "ts-target: out of memory\n");
		return 1;
	}
	if (!assign_names(w, n, names)) {
		free(w);
		return usage("a name in --names is longer than 15 bytes");
	}
	for (i = 0; child > 0 && i < n; i++)
		snprintf(w[i].name, sizeof(w[i].name), "c%ld-t-%hu", child, (unsigned short)i);
	/* The reader of "ready" may go away; that is no reason to die. */
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < n; i++) {
		w[i].spin = i < spin;
		w[i].serial = i >= spin && i < spin + serial;
		rc = pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
		if (rc != 0) {
			fprintf(stderr, "ts-target: pthread_create (thread %ld of %ld): %s\n",
			        i + 1, n, strerror(rc));
			stop_and_join(w, made);
			free(w);
			return 1;
		}
		made++;
	}
	pthread_mutex_lock(&mu);
	while (named < n)
		pthread_cond_wait(&cv, &mu);
	rc = name_error;
	pthread_mutex_unlock(&mu);
	if (rc != 0) {
		fprintf(stderr, "ts-target: pthread_setname_np: %s\n", strerror(rc));
		stop_and_join(w, made);
		free(w);
		return 1;
	}

	fin = calloc((size_t)finished + 1, sizeof(*fin));
	if (fin == NULL) {
		fprintf(stderr, "ts-target: out of memory\n");
		stop_and_join(w, made);
		free(w);
		return 1;
	}
	for (i = 0; i < finished; i++) {
		rc = pthread_create(&fin[i], NULL, finish_main, NULL);
		if (rc != 0) {
			fprintf(stderr, "ts-target: pthread_create (finished thread %ld): %s\n",
			        i + 1, strerror(rc));
			finished = i;
			break;
		}
	}
	if (rc != 0 || (finished > 0 && wait_tasks(n + 1) != 0)) {
		if (rc == 0)
			fprintf(stderr,
			        "ts-target: the finished threads did not leave /proc/self/task\n");
		return end_early(fin, finished, w, made);
	}

	if (serial > 0) {
		int holder = wait_serialised(w, n);

		if (holder < 0) {
			fprintf(stderr, "ts-target: the --serial threads did not all reach the "
			                "mutex within 10 s\n");
			return end_early(fin, finished, w, made);
		}
		printf("holder %d\n", holder);
	}
	grow_bytes = (size_t)grow_kib * 1024;
	if (grow_bytes > 0) {
		rc = pthread_create(&grower, NULL, grower_main, NULL);
		if (rc != 0) {
			fprintf(stderr, "ts-target: pthread_create (grower): %s\n", strerror(rc));
			return 1;
		}
		pthread_mutex_lock(&grow_mu);
		while (grower_tid == 0)
			pthread_cond_wait(&grow_cv, &grow_mu);
		pthread_mutex_unlock(&grow_mu);
		if (wait_blocked(grower_tid) != 0) {
			fprintf(stderr, "ts-target: the grower thread did not block\n");
			return 1;
		}
	}
	if (child > 0) {
		(void)!write(report, "r", 1); /* ready, to the parent */
		close(report);
	} else {
		for (i = 0; i < forks; i++) {
			char c;

			if (read(report, &c, 1) != 1) {
				fprintf(stderr, "ts-target: a child process did not get ready\n");
				return 1;
			}
		}
		printf("ready %ld\n", (long)getpid());
		fflush(stdout);
	}
	serve_stdin();
	if (grow_bytes > 0) {
		pthread_mutex_lock(&grow_mu);
		grow_stop = true;
		pthread_cond_broadcast(&grow_cv);
		pthread_mutex_unlock(&grow_mu);
		pthread_join(grower, NULL);
	}
	for (i = 0; child == 0 && i < forks; i++) {
		int st;

		if (waitpid(kids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "ts-target: child process %d failed\n", (int)kids[i]);
			return 1;
		}
	}
	for (i = 0; i < finished; i++)
		pthread_join(fin[i], NULL);
	free(fin);
	stop_and_join(w, made);
	free(w);
	return 0;
}
