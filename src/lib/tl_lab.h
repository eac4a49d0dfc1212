/* tl_lab — what every lab program shares: its command line and exit codes.
 *
 * A lab calls tl_lab_init() first thing in main().  Bad input ends the
 * program with one line on stderr and exit 2; --help prints usage, exit 0.
 */
#ifndef TL_LAB_H
#define TL_LAB_H

#include <pthread.h>
#include <stdbool.h>

#include "tl_exit.h"

#define TL_MAX_THREADS 1024

struct tl_lab_opts {
	long threads;        /* --threads N, 1..TL_MAX_THREADS */
	long iterations;     /* --iterations N, 1..1e9 */
	unsigned long seed;  /* --seed N */
	bool quiet;          /* --quiet: no tl_log lines, only the result */
	bool watchdog;       /* false with --no-watchdog: let a hang hang */
	bool hold;           /* --hold: after a stall verdict, keep the process at its
	                      * hang for examination (tl_watchdog_hold) */
	long threads_min;    /* the lab's own bounds for --threads; 0 means 1 */
	long threads_max;    /* 0 means TL_MAX_THREADS */
	long iterations_min; /* the lab's own lower bound for --iterations; 0 means 1 */
};

/* Parses argv into *opts, whose fields hold the lab's defaults on entry.
 * `lesson` is the one-line summary printed by --help. */
void tl_lab_init(int argc, char **argv, const char *lesson, struct tl_lab_opts *opts);

/* Prints the program's result line on stdout (always, even with --quiet)
 * and returns `code`, so a lab can end with `return tl_lab_result(...)`. */
int tl_lab_result(enum tl_exit code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "outcome: NAME=VALUE" on stdout: the one number that describes this
 * run (updates lost, items oversold ...), which `threadlab stress` gathers
 * over many runs into a histogram.  Only when THREADLAB_OUTCOMES=1 is in the
 * environment (stress sets it): a machine line stays out of people's way. */
void tl_lab_outcome(const char *name, long value);

/* pthread_create, or one line on stderr and exit 1 (e.g. --threads 1024
 * past the process's limits). */
void tl_lab_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);

/* Pins the calling thread to the index-th CPU it may run on (modulo their
 * number), so that threads given different indexes really run at the same
 * time even when other processes keep some CPUs busy.  Returns the number of
 * CPUs available (1 means no parallelism is possible here). */
int tl_lab_pin_cpu(long index);

/* Program name as given to tl_lab_init (for messages). */
const char *tl_lab_name(void);

#endif
