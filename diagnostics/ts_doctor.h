/* ts_doctor — a verdict on a stuck (or busy) process: `threadstat doctor`.
 *
 * It looks at the process twice, window_ms apart, and says which of these
 * it is, on the first line of its report ("verdict: WORD"):
 *   deadlock     threads wait in futex on glibc mutexes whose owners (the
 *                TID a mutex keeps at offset 8, read through /proc/PID/mem)
 *                wait in turn, round a cycle; the same at both looks.  A
 *                pthread_join is a wait for the joined thread, so a ring of
 *                joins is a cycle too, and so is a thread waiting for a mutex
 *                it holds itself.
 *   livelock     threads ran (or waited for a CPU) for at least a fifth of
 *                the window, the watchdog's rule, while the program's
 *                exported progress counter (tl_progress_counter, found in
 *                the executable's symbol table) stood still.
 *   serialised   busy, but behind one mutex: of 20 glances over the
 *                window, one saw a thread wait for it in futex while its
 *                holder ran, and from then on (a quarter of the glances at
 *                least) a running thread held it at two thirds of them;
 *                every thread that ran is among its holders and waiters,
 *                and together they were on CPU for at most 5/4 of the
 *                window.  The report names the mutex, its holders and its
 *                waiters.
 *   stuck        no cycle, but every thread waits with no timeout for
 *                something only a thread of this process could do, and none
 *                ran between the looks: an untimed private futex wait with no
 *                owner to read (a condition variable, a semaphore, a Python
 *                threading.Lock), a join or a mutex whose thread waits too,
 *                a read on a pipe whose write ends only this process holds.
 *                A wait with a timeout, on a socket or a terminal, or on a
 *                shared futex can still end: idle.  Measured on glibc 2.36:
 *                sem_wait, pthread_cond_wait and pthread_join wait in futex
 *                with a NULL timeout (its fourth argument in the syscall
 *                file), their timed forms with one.
 *   busy         threads ran and the counter moved, or there is no counter.
 *   idle         no thread ran and there is no cycle: the report names what
 *                each waits in (a mutex and its owner, a join, a futex that
 *                is no locked mutex: a condition variable or the like), and
 *                when most threads look stuck, which waits can still end.
 *   thread-leak  more thread stacks mapped than live threads, past what
 *                glibc's stack cache (40 MiB) keeps.
 * Where ptrace rules forbid reading the process's memory and syscalls, it
 * says so in one line and judges from what /proc alone shows.
 */
#ifndef TS_DOCTOR_H
#define TS_DOCTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ts_stack.h" /* struct ts_frame */

#define TS_DOCTOR_WINDOW_MS 500

struct ts_doctor_opts {
	const char *proc_root; /* NULL: "/proc" */
	long window_ms;        /* <= 0: TS_DOCTOR_WINDOW_MS */
	bool stacks;           /* read every thread's stack, whatever the verdict */
	bool no_stacks;        /* never stop the process to read stacks */
};

enum ts_verdict {
	TS_VERDICT_IDLE,
	TS_VERDICT_BUSY,
	TS_VERDICT_SERIALISED,
	TS_VERDICT_DEADLOCK,
	TS_VERDICT_LIVELOCK,
	TS_VERDICT_THREAD_LEAK,
	TS_VERDICT_STUCK,
};

/* What a thread waits in, as of the second look. */
enum ts_wait {
	TS_WAIT_UNKNOWN, /* its syscall file could not be read */
	TS_WAIT_RUNNING, /* on a CPU or waiting for one */
	TS_WAIT_SYSCALL, /* some other system call (syscall, wchan) */
	TS_WAIT_MUTEX,   /* a mutex held by thread `other` of this process */
	TS_WAIT_JOIN,    /* the end of thread `other` (pthread_join) */
	TS_WAIT_ORPHAN,  /* a locked mutex whose owner `other` is no thread of ours */
	TS_WAIT_CONDVAR, /* a condition variable, a whole named object (`object`) */
	TS_WAIT_FUTEX,   /* another futex: a semaphore, a barrier, a condition variable inside
	                  * a larger object ... */
	TS_WAIT_PIPE,    /* a read on a pipe */
};

/* Who can end a thread's wait. */
enum ts_waker {
	TS_WAKER_UNKNOWN, /* cannot tell, or it is not waiting */
	TS_WAKER_TIMEOUT, /* the wait has a timeout: it ends by itself */
	TS_WAKER_OUTSIDE, /* another process: a socket, a tty, a shared futex, a pipe it writes */
	TS_WAKER_THREAD,  /* thread `other` of this process, by unlocking or ending */
	TS_WAKER_INSIDE,  /* only some thread of this process (a private futex with no owner to
	                   * read, a pipe whose write ends only this process holds) */
};

struct ts_thread_diag {
	pid_t tid;
	bool alive; /* there at the second look (else it ended while looked at) */
	char name[64];
	char state;        /* as in stat: R, S, D ... */
	uint64_t busy_ns;  /* on CPU or waiting for one between the looks */
	enum ts_wait wait; /* as of the second look */
	enum ts_waker waker;
	bool timed;              /* the wait has a timeout */
	bool same_wait;          /* the same wait at both looks, and it did not run between them */
	long syscall;            /* the system call it is in, or -1 */
	char syscall_name[32];   /* "" when unknown */
	char wchan[64];          /* the kernel function it sleeps in, or "-" */
	uint64_t addr;           /* the futex word (TS_WAIT_MUTEX .. TS_WAIT_FUTEX) */
	char symbol[128];        /* the data object holding addr, "NAME+OFF", or "" */
	char object[128];        /* TS_WAIT_CONDVAR: the variable's name */
	bool word_known;         /* the futex word was read */
	uint32_t word;           /* its value */
	pid_t other;             /* the owner (MUTEX, ORPHAN), the joined thread (JOIN), or 0 */
	int fd;                  /* TS_WAIT_PIPE: the descriptor read, else -1 */
	char fd_target[64];      /* what it names, "pipe:[INODE]", or "" */
	int cycle;               /* the deadlock cycle it is in, or -1 */
	bool runtime;            /* a sanitizer runtime's own thread (TSan's background one) */
	int next;                /* in a cycle: index of the thread it waits for, else -1 */
	int held, waited;        /* serialised: glances it held, or waited for, the mutex */
	int stack_rc;            /* 0 when frames were read, else a negative errno; 1 not asked */
	struct ts_frame *frames; /* innermost first */
	size_t nframes;
	int where; /* index of the first frame outside the C library (the program's call), or -1 */
};

struct ts_diagnosis {
	enum ts_verdict verdict;
	const char *word; /* "idle", "busy", "serialised", "deadlock", "livelock", "thread-leak",
	                   * "stuck" */
	int code;         /* the exit code ts_doctor returns */
	pid_t pid;
	char name[64];
	size_t nthreads; /* threads listed at the first look */
	size_t alive;    /* ... and still there at the second */
	struct ts_thread_diag *threads;
	uint64_t window_ns; /* between the two looks */
	bool denied;        /* ptrace rules kept memory or syscalls from us */
	int cycles;
	/* The progress counter (tl_progress_counter). */
	bool counter_known;
	uint64_t counter[2];
	/* 0 exported; -ESRCH symbols read, none exported; -ENOENT no executable
	 * (a kernel thread); else why the symbols could not be read. */
	int counter_rc;
	/* CPU: the busiest thread, and the watchdog's rule. */
	uint64_t max_busy_ns;
	bool cpu_moving;
	/* Serialised: the mutex, and how often it was seen held and waited for. */
	uint64_t serial_mutex;
	char serial_symbol[128];
	int serial_turns, serial_looked, serial_held, glances;
	uint64_t serial_cpu_ns;
	/* Thread stacks mapped (or a negative errno) and those no thread uses. */
	int stacks;
	size_t stack_size, stack_cache;
	int orphans_rc;
	size_t orphans, unplaced;
	unsigned long long orphans_kb;
	/* The threads' call stacks: 0 read, 1 not asked for, else a negative errno. */
	int frames_rc;
	uint64_t stopped_ns; /* how long the process was stopped to read them */
	bool all_stacks;     /* every thread's was asked for (opts.stacks) */
};

/* Examines pid (window_ms between two looks) and fills out; on a deadlock,
 * stuck or livelock verdict (or o->stacks) it then reads the stacks of the
 * threads concerned, unless o->no_stacks or o->proc_root.  Returns the
 * exit code (out->code), or 1 when the process cannot be read at all (it
 * does not exist, or /proc refuses even its stat) or ended while being
 * examined: then one line "threadstat: ..." has gone to stderr and out holds
 * nothing to free.  Otherwise free it with ts_diagnosis_free. */
int ts_diagnose(pid_t pid, const struct ts_doctor_opts *o, struct ts_diagnosis *out);
void ts_diagnosis_free(struct ts_diagnosis *d);

/* Prints a diagnosis as `threadstat doctor` does. */
void ts_diagnosis_print(const struct ts_diagnosis *d, FILE *out);

/* Examines pid and prints the report on out.  Returns 0 (idle, busy or
 * serialised), 4 (deadlock or stuck), 5 (livelock), 6 (thread leak), or 1 when
 * the process cannot be read at all (it does not exist, or /proc refuses even
 * its stat); then one line "threadstat: ..." goes to stderr and nothing to out. */
int ts_doctor(pid_t pid, const struct ts_doctor_opts *o, FILE *out);

#endif
