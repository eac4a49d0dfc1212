/* tl_log — timestamped, thread-named log lines, one write(2) per line, so
 * lines from many threads never interleave mid-line.
 *
 *   [   12.345 ms] worker-1: took lock A
 *
 * The time is milliseconds on the monotonic clock since tl_log_init(), and
 * lines come out in its order (a stamp and its write are not separated by
 * another thread's line; see tl_log.c for why that costs no
 * happens-before edge).
 */
#ifndef TL_LOG_H
#define TL_LOG_H

#include <stdbool.h>

void tl_log_init(bool quiet);
void tl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Names the calling thread (visible in logs, /proc/.../comm, gdb, reports).
 * Longer names are cut to the kernel's 15 characters. */
void tl_thread_name(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Milliseconds since tl_log_init() on CLOCK_MONOTONIC. */
double tl_log_elapsed_ms(void);

#endif
