/* tl_procfs — reading a process's threads from /proc.
 *
 * Parsers take text and never touch the file system, so they can be tested
 * on fixtures; readers take a proc root ("/proc" normally) and a pid.  A
 * thread that vanished mid-read gives -ENOENT or -ESRCH: callers skip it.
 */
#ifndef TL_PROCFS_H
#define TL_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tl_task_stat {
	pid_t tid;
	char comm[64];           /* between the first '(' and the LAST ')' */
	char state;              /* R, S, D, T, t, Z, X, I ... */
	unsigned long long utime;    /* clock ticks */
	unsigned long long stime;    /* clock ticks */
	unsigned long long starttime; /* clock ticks after boot */
	int processor;           /* last CPU */
};

/* Parses the text of /proc/PID/task/TID/stat.  0 or -EINVAL. */
int tl_procfs_parse_stat(const char *buf, size_t len, struct tl_task_stat *out);

/* Reads ROOT/PID/task/TID/stat.  0, or a negative errno. */
int tl_procfs_read_task_stat(const char *root, pid_t pid, pid_t tid, struct tl_task_stat *out);

/* Reads ROOT/PID/task/TID/wchan into buf ("0" becomes "-").  0 or -errno. */
int tl_procfs_read_wchan(const char *root, pid_t pid, pid_t tid, char *buf, size_t len);

/* /proc/PID/task/TID/schedstat: time on CPU, time spent runnable but
 * waiting for a CPU (run-queue delay), and the number of time slices.  A
 * spinning thread on an overloaded machine shows little of the first and
 * much of the second; a blocked thread shows neither. */
struct tl_task_sched {
	unsigned long long cpu_ns;
	unsigned long long wait_ns;
	unsigned long long slices;
};

/* Parses the text of a schedstat file ("CPU WAIT SLICES\n").  0 or -EINVAL. */
int tl_procfs_parse_schedstat(const char *buf, size_t len, struct tl_task_sched *out);

/* Reads ROOT/PID/task/TID/schedstat.  0, or a negative errno (-ENOENT also
 * when the kernel lacks CONFIG_SCHED_INFO). */
int tl_procfs_read_schedstat(const char *root, pid_t pid, pid_t tid, struct tl_task_sched *out);

/* Number of entries in ROOT/PID/task, or a negative errno. */
int tl_procfs_count_tasks(const char *root, pid_t pid);

/* Counts, in the text of /proc/PID/maps, the thread stacks glibc made: a
 * private rw mapping of `stack_size` bytes (give or take one guard page) right
 * after an inaccessible guard mapping.  Returns the count or -EINVAL.
 *
 * What glibc 2.36 does (measured, x86_64, RLIMIT_STACK 8 MiB): a thread with
 * default attributes gets one anonymous mapping, a 4 KiB ---p guard at the
 * bottom and exactly 8 MiB (the default stacksize) rw-p above it; the thread
 * descriptor and TLS live at the top of the rw-p part.  Malloc arenas look
 * different (rw-p first, then a ---p reserve up to 64 MiB).  A malformed or
 * cut line gives -EINVAL, so a partial read is never taken for a count.
 *
 * This counts MAPPED stacks, not threads:
 *   - a finished thread that was never joined keeps its stack mapped (it is
 *     gone from /proc/PID/task): 20 such threads = 20 stacks;
 *   - glibc caches the stacks of JOINED (or detached, finished) threads, up
 *     to 40 MiB, to reuse them: with 8 MiB stacks 4 stay mapped (20 created
 *     and joined in parallel, or in batches of 5: 4 remain; one at a time:
 *     1 remains, reused each time);
 *   - ThreadSanitizer's background thread adds one.
 * So a leak shows as growth from round to round (5 more per round of 5
 * unjoined threads), not as an absolute count above zero. */
int tl_procfs_count_stacks_in_maps(const char *maps, size_t len, size_t stack_size);

/* The same on ROOT/PID/maps.  Count or a negative errno.  stack_size 0 means
 * the size glibc gives a thread with default attributes
 * (pthread_getattr_default_np, from RLIMIT_STACK). */
int tl_procfs_count_stacks(const char *root, pid_t pid, size_t stack_size);

#endif
