/* ts-target — a process with many named threads for threadstat's tests and
 * benchmark.
 *
 *   ts-target --threads N [--names LIST] [--spin K] [--serial S] [--finished F]
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
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
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
	fprintf(stderr,
	        "ts-target: %s (usage: ts-target --threads N [--names A/B/...] [--spin K] "
	        "[--serial S] [--finished F])\n",
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

/* Reads stdin until end of file (or an error: nobody can write any more). */
static void wait_for_eof(void)
{
	char buf[256];

	for (;;) {
		ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));

		if (r == 0 || (r < 0 && errno != EINTR))
			return;
	}
}

int main(int argc, char **argv)
{
	long n = -1, spin = 0, serial = 0, finished = 0, i, made = 0;
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
		} else {
			return usage("unknown option");
		}
	}
	if (n < 0)
		return usage("--threads is required");
	if (spin + serial > n)
		return usage("--spin and --serial together must not exceed --threads");
	w = calloc((size_t)n, sizeof(*w));
	if (w == NULL) {
		fprintf(stderr, "ts-target: out of memory\n");
		return 1;
	}
	if (!assign_names(w, n, names)) {
		free(w);
		return usage("a name in --names is longer than 15 bytes");
	}
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
	printf("ready %ld\n", (long)getpid());
	fflush(stdout);
	wait_for_eof();
	for (i = 0; i < finished; i++)
		pthread_join(fin[i], NULL);
	free(fin);
	stop_and_join(w, made);
	free(w);
	return 0;
}
