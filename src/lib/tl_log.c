/* tl_log — timestamped, thread-named lines, one write(2) each. */
#include "config.h"

#include "tl_annotate.h"
#include "tl_log.h"

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Written once by tl_log_init() before any thread starts, read after. */
static struct timespec log_start;
static atomic_bool log_quiet;

/* Lines come out in the order of their time stamps: the stamp and the write
 * happen under this flag.  It must not order anything else: a mutex here
 * would add a happens-before edge between every two threads that log, and
 * TSan, Helgrind and DRD would stop seeing the races the labs are about.
 * So it is a relaxed spin flag (TSan draws no edge through relaxed
 * atomics), hidden from Helgrind and DRD, which do not model atomics and
 * would take its store and exchange for a race. */
static atomic_flag log_writing = ATOMIC_FLAG_INIT;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - log_start.tv_sec) * 1e3 +
	       (double)(t.tv_nsec - log_start.tv_nsec) / 1e6;
}

void tl_log_init(bool quiet)
{
	VALGRIND_HG_DISABLE_CHECKING(&log_writing, sizeof log_writing);
	DRD_IGNORE_VAR(log_writing);
	clock_gettime(CLOCK_MONOTONIC, &log_start);
	atomic_store(&log_quiet, quiet);
}

double tl_log_elapsed_ms(void)
{
	return now_ms();
}

void tl_log(const char *fmt, ...)
{
	if (atomic_load_explicit(&log_quiet, memory_order_relaxed))
		return;
	char name[16] = "?", text[480], line[512];
	pthread_getname_np(pthread_self(), name, sizeof name);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	/* Another thread is between its stamp and its write: a few instructions,
	 * unless it was preempted.  Give up on the order, never on the line,
	 * after 1000 turns: a forked child whose parent's thread held the flag,
	 * or a signal handler that interrupted its own thread's line, would
	 * otherwise wait for ever. */
	bool mine = false;
	for (int turns = 0; turns < 1000 && !mine; turns++)
		if (!(mine =
		          !atomic_flag_test_and_set_explicit(&log_writing, memory_order_relaxed)))
			sched_yield();
	int n = snprintf(line, sizeof line, "[%9.3f ms] %s: %s", now_ms(), name, text);
	size_t len = n < 0 ? 0 : (size_t)n;
	if (len > sizeof line - 2) /* cut, but keep the newline */
		len = sizeof line - 2;
	line[len++] = '\n';
	/* One write per line: lines from different threads never interleave. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
	if (mine)
		atomic_flag_clear_explicit(&log_writing, memory_order_relaxed);
}

void tl_thread_name(const char *fmt, ...)
{
	char name[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	name[15] = '\0'; /* the kernel keeps 15 characters + NUL */
	pthread_setname_np(pthread_self(), name);
}
