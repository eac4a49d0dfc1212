/* tl_procfs — reading a process's threads from /proc.
 *
 * Parsers take text and never touch the file system, so they can be tested
 * on fixtures; readers take a proc root ("/proc" normally) and a pid.  A
 * thread that vanished mid-read gives -ENOENT or -ESRCH: callers skip it.
 */
#ifndef TL_PROCFS_H
#define TL_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tl_task_stat {
	pid_t tid;
	char comm[64];                /* between the first '(' and the LAST ')' */
	char state;                   /* R, S, D, T, t, Z, X, I ... */
	unsigned long long utime;     /* clock ticks */
	unsigned long long stime;     /* clock ticks */
	unsigned long long starttime; /* clock ticks after boot */
	int processor;                /* last CPU */
	unsigned long flags;          /* field 9: PF_* (PF_KTHREAD 0x00200000: a kernel thread) */
	/* Process-wide fields (the same in every task of a process): */
	pid_t ppid;                       /* field 4 */
	unsigned long long children_time; /* fields 16 + 17, cutime + cstime: waited-for children */
	long num_threads;                 /* field 20 */
	unsigned long long vsize;         /* field 23, bytes */
	unsigned long long rss;           /* field 24, pages */
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

/* The fields of /proc/PID/task/TID/status that stat lacks.  Reading status
 * costs about twice what stat costs (TOOLS.md): read it only for these. */
struct tl_task_status {
	pid_t tgid;
	unsigned long long vcsw;  /* voluntary_ctxt_switches: it blocked */
	unsigned long long nvcsw; /* nonvoluntary_ctxt_switches: it was preempted */
};

/* Parses the text of a status file.  All three fields are required (a
 * truncated read gives -EINVAL).  0 or -EINVAL. */
int tl_procfs_parse_status(const char *buf, size_t len, struct tl_task_status *out);

/* /proc/PID/task/TID/syscall: what a thread is doing in the kernel.  The
 * kernel writes "running" for a thread on CPU, "-1 SP PC" for one stopped
 * outside a system call, else "NR ARG1..ARG6 SP PC" in hex.  Reading it needs
 * ptrace access to the process (EACCES/EPERM otherwise). */
struct tl_task_syscall {
	int state; /* one of the three below */
	long nr;   /* TL_SYSCALL_IN: the number */
	unsigned long long args[6];
	unsigned long long sp, pc;
};
enum { TL_SYSCALL_RUNNING = 0, TL_SYSCALL_NONE = 1, TL_SYSCALL_IN = 2 };

/* Parses the text of a syscall file.  0 or -EINVAL. */
int tl_procfs_parse_syscall(const char *buf, size_t len, struct tl_task_syscall *out);

/* Reads ROOT/PID/task/TID/status and syscall.  0, or a negative errno. */
int tl_procfs_read_status(const char *root, pid_t pid, pid_t tid, struct tl_task_status *out);
int tl_procfs_read_syscall(const char *root, pid_t pid, pid_t tid, struct tl_task_syscall *out);

/* Reads ROOT/PID/stat (the process as a whole).  0, or a negative errno. */
int tl_procfs_read_proc_stat(const char *root, pid_t pid, struct tl_task_stat *out);

/* Lists the tids in ROOT/PID/task into tids[0..cap) in directory order.
 * Returns how many there are (which may exceed cap: call again with more
 * room), or a negative errno. */
int tl_procfs_list_tasks(const char *root, pid_t pid, pid_t *tids, size_t cap);

/* Number of entries in ROOT/PID/task, or a negative errno. */
int tl_procfs_count_tasks(const char *root, pid_t pid);

/* One line of /proc/PID/maps: "lo-hi perms offset dev inode [path]". */
struct tl_map_line {
	unsigned long long lo, hi, offset;
	char perms[5];
	bool anonymous;   /* no path and no [pseudo] name */
	const char *path; /* into the line (not NUL-terminated), or NULL */
	size_t path_len;
};

/* Parses one line of maps (without or with its '\n').  0 or -EINVAL (a line
 * cut before its inode is refused). */
int tl_procfs_parse_map_line(const char *line, size_t len, struct tl_map_line *m);

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

/* The size glibc gives a thread made with default attributes in THIS
 * process: the process default (pthread_setattr_default_np), itself
 * RLIMIT_STACK at startup, 8 MiB here. */
size_t tl_procfs_default_stack_size(void);

/* The same on ROOT/PID/maps.  Count or a negative errno.  stack_size 0 means
 * the size glibc gives a thread with default attributes
 * (pthread_getattr_default_np, from RLIMIT_STACK). */
int tl_procfs_count_stacks(const char *root, pid_t pid, size_t stack_size);

#endif
