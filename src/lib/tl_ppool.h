/* tl_ppool — a pool of worker *processes* with futures: C's form of Python's
 * ProcessPoolExecutor, with the calls of tl_pool where they fit.
 *
 *	tl_ppool *p = tl_ppool_create(2, init, NULL);  two workers, init run in each
 *	tl_pfuture *f = tl_ppool_submit(p, fn, &x, sizeof x);
 *	const void *r; size_t len;
 *	tl_pfuture_result_wait(f, -1, &r, &len);       fn's result bytes, copied back
 *	tl_pfuture_free(f);
 *	tl_ppool_free(p);                              shuts down, reaps every worker
 *
 * Workers are fork()ed children of the process that made the pool, never
 * exec'ed: a function pointer means the same function in them, and memory
 * set up before the fork (the initializer's argument, globals) is there as
 * a copy.  What crosses the boundary afterwards are bytes: the argument
 * (copied at submit), and the result bytes or the failure's code and
 * message (copied back).  Nothing a task writes reaches the parent otherwise.
 *
 * A worker runs init(init_arg) once when it starts, then tasks one at a
 * time.  A task is `fn(arg, len, result, cap)`: it writes at most `cap`
 * bytes to `result` and returns how many it wrote.  It fails with
 * tl_ptask_fail (C's raise, as tl_task_fail).
 *
 * Futures go PENDING -> RUNNING -> DONE | FAILED and PENDING -> CANCELLED,
 * as tl_pool's (enum tl_future_state): cancel wins only while the task is
 * still queued in the parent.  A task running past its time limit has its
 * worker killed (SIGKILL) and fails with TL_PPOOL_KILLED; a worker that dies
 * while running a task (a signal, or exit()) fails that task with
 * TL_PPOOL_CRASHED and a message naming the signal or status.  Either way a
 * fresh worker is forked in its place, and runs init first.  A worker that
 * dies in init breaks the pool: everything queued fails with
 * TL_PPOOL_CRASHED, and so does every later submit (errno EPIPE).
 *
 * Forking a process that has other threads copies their locks in whatever
 * state they were (deadlock/fork-locked): init and tasks must take no lock
 * that another thread of the parent may have held at the fork.  The
 * parent's unflushed stdout and stderr buffers are dropped in the worker
 * (so they are not printed twice); a task's own stdout is flushed after
 * each task.
 *
 * Processes the program forks later (without exec) inherit the parent's
 * ends of the workers' sockets; the pool does not rely on those being
 * closed: a worker is told to exit with a message, and its death is seen
 * through a pidfd (through its socket's end-of-file under Valgrind, which
 * lacks pidfd_open).
 *
 * Errors as tl_pool: int results are 0 or a positive errno value (EINVAL
 * for NULL or bad arguments), pointer results NULL with errno.  Timeouts
 * in milliseconds on the monotonic clock: < 0 for ever, 0 only looks.
 */
#ifndef TL_PPOOL_H
#define TL_PPOOL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tl_pool.h" /* enum tl_future_state, enum tl_wait_until */

typedef struct tl_ppool tl_ppool;
typedef struct tl_pfuture tl_pfuture;
typedef struct tl_pcompletion tl_pcompletion;

/* Runs in a worker process: writes at most cap bytes of result, returns
 * how many (more than cap fails the task with EMSGSIZE). */
typedef size_t (*tl_ptask_fn)(const void *arg, size_t len, void *result, size_t cap);

/* The result capacity of a submitted task (a map item has its own). */
#define TL_PPOOL_RESULT_MAX 65536
/* The largest argument of one task (a map chunk's items together). */
#define TL_PPOOL_ARG_MAX (16u << 20)

/* The code of a task whose worker was killed at its time limit. */
#define TL_PPOOL_KILLED ETIME
/* The code of a task whose worker died under it (or in its initializer). */
#define TL_PPOOL_CRASHED EPIPE

/* ------------------------------------------------------------------ pool */

/* Forks `workers` worker processes (<= 0: one per online CPU), each of
 * which calls init(init_arg) first (init may be NULL), and starts the
 * collector thread.  NULL and errno (ENOMEM, EAGAIN, EMFILE) if one could
 * not be had; then nothing is left behind. */
tl_ppool *tl_ppool_create(int workers, void (*init)(void *arg), void *init_arg);

/* The number of workers (replacements take a dead one's place). */
int tl_ppool_workers(const tl_ppool *p);

/* Copies up to n current worker pids into pids; returns how many. */
int tl_ppool_worker_pids(tl_ppool *p, pid_t *pids, int n);

/* Queues fn(arg[0..len)) without a time limit; tasks start in submit order.
 * NULL and errno: ESHUTDOWN after shutdown began, EPIPE if the pool is
 * broken, E2BIG (len > TL_PPOOL_ARG_MAX), ENOMEM, EINVAL. */
tl_pfuture *tl_ppool_submit(tl_ppool *p, tl_ptask_fn fn, const void *arg, size_t len);

/* The same, with a time limit counted from the moment a worker is handed
 * the task (timeout_ms <= 0: none).  Past it the worker is killed. */
tl_pfuture *tl_ppool_submit_timeout(tl_ppool *p, tl_ptask_fn fn, const void *arg, size_t len,
                                    long timeout_ms);

/* As tl_pool_shutdown: no more submits; cancel_pending cancels what is
 * still queued; running tasks run on (their time limits still apply);
 * wait returns once every task finished and every worker was reaped. */
void tl_ppool_shutdown(tl_ppool *p, bool wait, bool cancel_pending);

/* tl_ppool_shutdown(p, true, false), joins the collector and drops the
 * handle.  Futures stay valid until their own free.  No worker process is
 * left, not even a zombie. */
void tl_ppool_free(tl_ppool *p);

/* --------------------------------------------------------------- futures */

enum tl_future_state tl_pfuture_state(tl_pfuture *f);

/* 0 once f is finished, ETIMEDOUT, EINVAL. */
int tl_pfuture_wait(tl_pfuture *f, long timeout_ms);

/* Waits at most timeout_ms, then 0 and *data, *len = the result bytes
 * (DONE; they live as long as f); ETIMEDOUT; ECANCELED; or the task's
 * failure code.  data and len may be NULL. */
int tl_pfuture_result_wait(tl_pfuture *f, long timeout_ms, const void **data, size_t *len);

/* Waits, then 0 (DONE), ECANCELED, or the failure code; *message as
 * tl_future_error's ("cancelled", the task's text, the signal's name). */
int tl_pfuture_error(tl_pfuture *f, const char **message);

/* The pid of the worker that ran (or runs) f; 0 while it is queued. */
pid_t tl_pfuture_worker(tl_pfuture *f);

/* True if f is CANCELLED now (it was still queued); false once a worker
 * has it. */
bool tl_pfuture_cancel(tl_pfuture *f);

void tl_pfuture_free(tl_pfuture *f);

/* Called inside a task (in the worker): it fails with code (0 counts as -1)
 * and the message; the task should return at once.  Elsewhere: nothing. */
void tl_ptask_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------- several futures */

/* tl_pool_wait for futures of one pool (EINVAL if they mix pools). */
int tl_ppool_wait(tl_pfuture **fs, size_t n, enum tl_wait_until until, long timeout_ms);

/* Futures of one pool in the order they finish (those finished already
 * first, in finish order).  NULL and errno EINVAL, ENOMEM. */
tl_pcompletion *tl_ppool_as_completed(tl_pfuture **fs, size_t n);
/* The next finished future; NULL and errno ETIMEDOUT, or 0 at the end. */
tl_pfuture *tl_pcompletion_next(tl_pcompletion *c, long timeout_ms);
void tl_pcompletion_free(tl_pcompletion *c);

/* results[i] = fn(args[i]) for n items of arg_size bytes, each result
 * result_size bytes (zero-filled past what fn wrote), handed out `chunk`
 * items per task (0 counts as 1), each task with timeout_ms (<= 0: none).
 * Waits for all.  0, or the code of the first failed chunk in input order
 * (the message is not kept: submit the item alone and ask tl_pfuture_error
 * for it); chunks after it that were still queued are cancelled, and
 * results from that chunk on are zero.  ESHUTDOWN, EPIPE, ENOMEM, E2BIG, EINVAL if the
 * chunks could not be submitted. */
int tl_ppool_map(tl_ppool *p, tl_ptask_fn fn, const void *args, size_t arg_size, void *results,
                 size_t result_size, size_t n, size_t chunk, long timeout_ms);

#endif
