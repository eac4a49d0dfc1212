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
 *   busy         threads ran and the counter moved, or there is no counter.
 *   idle         no thread ran and there is no cycle: the report names what
 *                each waits in (a mutex and its owner, a join, a futex that
 *                is no locked mutex: a condition variable or the like).
 *   thread-leak  more thread stacks mapped than live threads, past what
 *                glibc's stack cache (40 MiB) keeps.
 * Where ptrace rules forbid reading the process's memory and syscalls, it
 * says so in one line and judges from what /proc alone shows.
 */
#ifndef TS_DOCTOR_H
#define TS_DOCTOR_H

#include <stdio.h>
#include <sys/types.h>

#define TS_DOCTOR_WINDOW_MS 500

struct ts_doctor_opts {
	const char *proc_root; /* NULL: "/proc" */
	long window_ms;        /* <= 0: TS_DOCTOR_WINDOW_MS */
};

/* Examines pid and prints the report on out.  Returns 0 (idle, busy or
 * serialised),
 * 4 (deadlock), 5 (livelock), 6 (thread leak), or 1 when the process cannot
 * be read at all (it does not exist, or /proc refuses even its stat); then
 * one line "threadstat: ..." goes to stderr and nothing to out. */
int ts_doctor(pid_t pid, const struct ts_doctor_opts *o, FILE *out);

#endif
