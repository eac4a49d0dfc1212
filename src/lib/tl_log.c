/* tl_log — timestamped, thread-named lines, one write(2) each. */
#include "config.h"

#include "tl_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Written once by tl_log_init() before any thread starts, read after. */
static struct timespec log_start;
static atomic_bool log_quiet;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - log_start.tv_sec) * 1e3 +
	       (double)(t.tv_nsec - log_start.tv_nsec) / 1e6;
}

void tl_log_init(bool quiet)
{
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
	char line[512];
	char name[16] = "?";
	pthread_getname_np(pthread_self(), name, sizeof name);
	int n = snprintf(line, sizeof line, "[%9.3f] %s: ", now_ms(), name);
	if (n < 0 || (size_t)n >= sizeof line)
		return;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof line - 2) /* cut, but keep the newline */
		len = sizeof line - 2;
	line[len++] = '\n';
	/* One write per line: lines from different threads never interleave. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
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
