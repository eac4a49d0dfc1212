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

/* Number of entries in ROOT/PID/task, or a negative errno. */
int tl_procfs_count_tasks(const char *root, pid_t pid);

/* Counts, in the text of /proc/PID/maps, the thread stacks glibc made: a
 * private rw mapping of `stack_size` bytes (give or take one guard page) right
 * after an inaccessible guard mapping.  Returns the count or -EINVAL. */
int tl_procfs_count_stacks_in_maps(const char *maps, size_t len, size_t stack_size);

/* The same on ROOT/PID/maps.  Count or a negative errno. */
int tl_procfs_count_stacks(const char *root, pid_t pid, size_t stack_size);

#endif
