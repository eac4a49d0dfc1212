/* ts_sample — samples the threads of one process from /proc, cheaply.
 *
 * A sampler keeps a directory descriptor on /proc/PID/task and, per thread,
 * descriptors on the files it was asked to read, which it re-reads with
 * pread(2) on every sample (about half the cost of open+read+close).  Only
 * the files behind the requested fields are read: stat alone costs about a
 * third of stat+status.  Threads are keyed by (tid, start time), so a reused
 * tid is a new thread.  A thread that ends between the listing and the read
 * (ENOENT, ESRCH, an empty read) is left out of that sample, never an error.
 *
 * With TS_READ_SCHED, a sleeping thread whose schedstat (CPU time and the
 * number of times it got a CPU) has not moved since the last sample has not
 * run since: its stat fields cannot have changed, so stat (4x the cost of
 * schedstat) is not read again, except on every TS_REFRESH_EVERY-th sample.
 * The price: a thread woken but not yet run, or renamed by another thread,
 * shows its old state or name until it runs or the next refresh.
 */
#ifndef TS_SAMPLE_H
#define TS_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Which files to read, per thread. */
enum ts_field {
	TS_READ_STAT = 1 << 0,    /* name, state, user/sys time, last CPU, start */
	TS_READ_SCHED = 1 << 1,   /* schedstat: CPU time in ns, run-queue wait */
	TS_READ_STATUS = 1 << 2,  /* voluntary / involuntary context switches */
	TS_READ_WCHAN = 1 << 3,   /* the kernel function a sleeper waits in */
	TS_READ_SYSCALL = 1 << 4, /* the system call it is in (needs ptrace rights) */
	/* The processes each thread forked (task/TID/children).  Read only for
	 * threads that ran since the last sample, like stat: a thread that
	 * did not run forked nothing. */
	TS_READ_CHILDREN = 1 << 5,
	/* Each thread's stack (the mapping its stack pointer is in: needs
	 * syscall, see below) from the process's smaps and pagemap, and the
	 * process's heap and anonymous memory. */
	TS_READ_MEM = 1 << 6,
};
#define TS_READ_ALL                                                                                \
	(TS_READ_STAT | TS_READ_SCHED | TS_READ_STATUS | TS_READ_WCHAN | TS_READ_SYSCALL)

/* The syscall column when there is no number to show. */
enum { TS_SYSCALL_UNKNOWN = -3, TS_SYSCALL_RUNNING = -2, TS_SYSCALL_NONE = -1 };

struct ts_thread {
	pid_t tid;
	unsigned long long starttime; /* clock ticks after boot */
	char name[64];                /* as the kernel has it (raw bytes) */
	char state;
	unsigned long long utime_ms, stime_ms;
	unsigned long long cpu_ns, wait_ns; /* TS_READ_SCHED */
	unsigned long long slices;          /* TS_READ_SCHED: times it got a CPU */
	unsigned long long vcsw, nvcsw;     /* TS_READ_STATUS */
	char wchan[48];                     /* TS_READ_WCHAN; "-" when not waiting */
	long syscall;                       /* TS_READ_SYSCALL: number or TS_SYSCALL_* */
	int processor;
	bool kernel;           /* a kernel thread (PF_KTHREAD) */
	unsigned long long sp; /* TS_READ_SYSCALL: stack pointer, 0 when running */
	/* TS_READ_MEM: the thread's stack mapping, its size, what is resident
	 * of it, and its high-water mark (top less the lowest page held). */
	unsigned long long stack_kb, stack_rss_kb, stack_hwm_kb;
	double cpu_pct; /* over the interval since this thread's previous sample; -1: new */
	bool is_new;    /* not in the previous sample */
	unsigned have;  /* which TS_READ_* were read for this sample */
};

struct ts_sample {
	uint64_t t_ns; /* since the sampler was opened */
	pid_t pid;
	char name[64]; /* the process's (main thread's) name */
	long threads;  /* threads the kernel counts */
	pid_t ppid;
	unsigned long long cpu_ms;      /* user + system of the whole process, ended threads too */
	unsigned long long children_ms; /* of the children it has waited for (cutime + cstime) */
	unsigned long long rss_kb, vsize_kb;
	unsigned long long heap_kb, anon_kb; /* TS_READ_MEM (have_mem) */
	bool have_mem;
	unsigned long long starttime; /* the process's, clock ticks after boot */
	struct ts_thread *thr;        /* sorted by tid */
	size_t n;
	/* Threads of the previous sample that are gone (ended, or their tid
	 * now belongs to a newer thread). */
	struct ts_thread *gone;
	size_t n_gone;
	/* TS_READ_CHILDREN: processes forked by the threads read this time
	 * (maybe with repeats). */
	pid_t *children;
	size_t n_children;
};

struct ts_sampler;

#define TS_REFRESH_EVERY 10

/* Opens a sampler on ROOT/PID (root NULL means "/proc").  `fields` is a mask
 * of TS_READ_*; TS_READ_STAT is always added.  Returns 0 or a negative
 * errno: -ENOENT/-ESRCH no such process, -EACCES/-EPERM may not read it. */
int ts_sampler_open(struct ts_sampler **out, const char *root, pid_t pid, unsigned fields);

/* Takes one sample into *s (owned by the sampler, valid until the next call
 * or close).  Returns 0, -ESRCH when the process has ended, or another
 * negative errno. */
int ts_sampler_take(struct ts_sampler *sm, const struct ts_sample **s);

/* True when the sampler last found the process a zombie (it ended and its
 * parent has not waited for it yet): then *cpu_ms and *children_ms are its
 * final user + system times, its own and its waited-for children's, and
 * *starttime and name its start time and name. */
bool ts_sampler_exit_times(const struct ts_sampler *sm, unsigned long long *cpu_ms,
                           unsigned long long *children_ms, unsigned long long *starttime,
                           char name[64]);

/* Files the sampler failed to read for lack of rights (TS_READ_* mask):
 * /proc/PID/task/TID/syscall needs ptrace access, and so may wchan. */
unsigned ts_sampler_denied(const struct ts_sampler *sm);

void ts_sampler_close(struct ts_sampler *sm);

/* Says on stderr, in one line, why process pid cannot be read (rc: a
 * negative errno from opening or reading it) and returns 1, the exit code:
 * "threadstat: no process N", "may not read process N: ...", or
 * "cannot read process N: ...". */
int ts_unreadable(pid_t pid, int rc);

/* The name of system call `nr` on this machine ("futex"), or NULL. */
const char *ts_syscall_name(long nr);

/* Copies a thread name for display: printable ASCII and valid UTF-8 are
 * kept, every other byte (control characters, stray bytes) becomes '?'. */
void ts_name_clean(char *dst, size_t cap, const char *src);

/* Makes *p (an array of *cap elements of `size` bytes) hold at least `need`,
 * doubling from 64.  0 or -ENOMEM (then *p is unchanged). */
int ts_grow(void **p, size_t *cap, size_t need, size_t size);

/* Clock ticks per second (sysconf(_SC_CLK_TCK)). */
long ts_clk_tck(void);

#endif
