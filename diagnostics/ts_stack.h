/* ts_stack — the call stacks of a process's threads, with file:line, read
 * with libdw (elfutils).
 *
 * Unwinding needs each thread's registers, hence ptrace: libdw attaches to
 * one thread at a time (PTRACE_ATTACH), walks its stack by the CFI and
 * detaches it; only the program counters are taken meanwhile, and names and
 * lines are looked up once every thread runs again.  A thread blocked in a
 * system call resumes it (restarted by the kernel) when let go.  The same
 * rights as /proc/PID/mem are needed (same user, or CAP_SYS_PTRACE; Yama's
 * ptrace_scope 1 allows only an ancestor, or what the process allowed with
 * PR_SET_PTRACER, which the labs' --hold does).
 */
#ifndef TS_STACK_H
#define TS_STACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One frame of a thread's stack, innermost first. */
struct ts_frame {
	uint64_t pc;
	char *function; /* NULL when unknown; for inlined code, the inlined function */
	char *file;     /* source file from the debug information, or NULL */
	int line;       /* 0 when unknown */
	char *module;   /* the executable or library it is in, or NULL */
};

struct ts_stack {
	pid_t tid;               /* in: the thread */
	int rc;                  /* out: 0, or a negative errno (-EPERM: ptrace refused) */
	struct ts_frame *frames; /* innermost first */
	size_t n;
	int in_program; /* the first frame outside the C library (glibc, ld.so), or -1 */
};

#define TS_STACK_MAX_FRAMES 64

/* Reads the stacks of the n threads of pid in s[] (tid set by the caller).
 * Returns 0 when each thread's stack was tried (each s[i].rc says how it
 * went), or a negative errno when none could be (the process's modules
 * could not be read, or libdw is missing).  *stopped_ns: how long threads
 * were stopped, one after the other, in total. */
int ts_stacks_read(pid_t pid, struct ts_stack *s, size_t n, uint64_t *stopped_ns);

/* Frees the frames of s[0..n). */
void ts_stacks_free(struct ts_stack *s, size_t n);

#endif
