/* tl_watchdog — a progress counter and a thread that turns a stall into a
 * verdict, so that a lab that hangs still ends, and says how it hung.
 *
 * Workers call tl_progress() whenever they get something done and
 * tl_watchdog_register() once at start.  If the counter stands still for the
 * stall window, the watchdog compares the registered workers' CPU time over
 * that window: not moving means they are all blocked (deadlock, exit 4);
 * moving means they spin without getting anywhere (livelock, exit 5).  It
 * prints one line naming each worker and its state, then _exit()s.  Past the
 * hard limit with progress still trickling, it ends the program with exit 7.
 *
 * Both times are multiplied by THREADLAB_SLOWDOWN (a number >= 1, default 1),
 * which the harness sets when a tool slows the program down.
 */
#ifndef TL_WATCHDOG_H
#define TL_WATCHDOG_H

#include <stdint.h>

#define TL_WATCHDOG_STALL_MS      500
#define TL_WATCHDOG_HARD_LIMIT_MS 30000
#define TL_WATCHDOG_MAX_WORKERS   64
#define TL_WATCHDOG_HOLD_MS       60000

enum tl_stall {
	TL_STALL_NONE,     /* progress was made */
	TL_STALL_DEADLOCK, /* no progress, workers off CPU */
	TL_STALL_LIVELOCK, /* no progress, workers burning CPU */
};

/* The counter itself, under a stable exported name so that an outside tool
 * (threadstat) can read it from /proc/PID/mem at the address of this symbol
 * in the executable's symbol table.  Code should use the two functions
 * below; the watchdog only ever asks whether it changed. */
extern _Atomic uint64_t tl_progress_counter;

/* Counts one unit of progress (relaxed atomic increment; cheap). */
void tl_progress(void);
uint64_t tl_progress_count(void);

/* Registers the calling thread as a worker the watchdog watches (at most
 * TL_WATCHDOG_MAX_WORKERS at a time; more are ignored).  Workers whose
 * thread has ended are forgotten by the watchdog.  Registering before or
 * after tl_watchdog_start() both work. */
void tl_watchdog_register(void);

/* Starts the watchdog thread.  stall_ms/hard_limit_ms <= 0 mean the defaults.
 * Returns 0 or a negative errno (-EBUSY if already running).
 *
 * The stall window starts at this call: start the watchdog once set-up is
 * done.  A stall is declared only when the counter stood still for the whole
 * window, as sampled every window/5, so the verdict comes one window to one
 * window plus a fifth after the last progress.  A worker's "CPU time" in the
 * window counts the time it was runnable but waiting for a CPU too
 * (schedstat), so that a spinner on an overloaded machine is not taken for a
 * blocked one.  With no registered worker, all the process's other threads
 * are judged together.  The verdict is one line, one write(2) to fd 2 (even
 * with --quiet), then _exit(4, 5 or 7):
 *   watchdog: deadlock: no progress for 500 ms; workers off CPU: worker-1
 *   (tid 123) S futex_do_wait cpu 0 ms queued 0 ms, worker-2 (tid 124) ...
 * The watchdog thread blocks all signals, and a fork()ed child has no
 * watchdog (tl_watchdog_stop() there is a no-op). */
int tl_watchdog_start(long stall_ms, long hard_limit_ms);

/* Makes a stall verdict hold the process at its hang instead of ending it,
 * so that an outside tool (`threadstat doctor PID`) can examine the stuck
 * threads: after its usual verdict line the watchdog writes a second one,
 *   watchdog: holding pid 123 for examination (threadstat doctor 123); ends in 60 s
 * and keeps the process as it is for hold_ms x THREADLAB_SLOWDOWN, or until
 * SIGTERM or SIGINT arrives (a handler installed at that moment), or until
 * tl_watchdog_stop(); then it _exit()s with the verdict's code (4 or 5) as
 * without holding.  The hard limit (exit 7) does not apply while holding.
 * hold_ms <= 0 turns holding off again.  Takes effect at the next
 * tl_watchdog_start().  This is the labs' --hold option.
 *
 * Holding also calls prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY): where the
 * Yama LSM restricts ptrace to ancestors (kernel.yama.ptrace_scope = 1),
 * this lets a tool that is not our parent read /proc/PID/mem and
 * /proc/PID/task/TID/syscall.  It does not lift the usual uid checks. */
void tl_watchdog_hold(long hold_ms);

/* Stops and joins the watchdog thread (call before returning from main).
 * Safe when it was never started; it may be started again afterwards. */
void tl_watchdog_stop(void);

/* THREADLAB_SLOWDOWN as a factor >= 1 (bad values count as 1). */
double tl_slowdown(void);

/* The rule itself, apart from the thread: given the progress made and the
 * largest CPU time any worker used in a window of window_ns, what stalled?
 * A worker on CPU for at least a fifth of the window counts as spinning.
 * A window of 0 ns shows nothing: TL_STALL_NONE. */
enum tl_stall tl_watchdog_classify(uint64_t progress_delta, uint64_t max_worker_cpu_ns,
                                   uint64_t window_ns);

#endif
