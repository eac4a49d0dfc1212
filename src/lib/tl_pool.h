/* tl_pool — a fixed pool of worker threads that runs submitted calls and
 * hands back futures: C's form of Python's concurrent.futures executor.
 *
 *	tl_pool *p = tl_pool_create(0);              one worker per online CPU
 *	tl_future *f = tl_pool_submit(p, fn, arg);
 *	void *r = tl_future_result(f);               waits; fn's return value
 *	tl_future_free(f);
 *	tl_pool_free(p);                             shuts down and waits
 *
 * Futures.  A future is PENDING (queued), RUNNING (a worker is calling fn),
 * then DONE (fn returned), FAILED (fn called tl_task_fail) or CANCELLED (it
 * was cancelled while pending, and fn is never called).  The last three are
 * "finished" and final: a finished future never changes again.
 *
 *	PENDING --worker takes it--> RUNNING --fn returns--> DONE or FAILED
 *	PENDING --tl_future_cancel, shutdown(cancel_pending), map failure--> CANCELLED
 *
 * Cancel and start race on one lock: a worker moves a future PENDING ->
 * RUNNING under the same lock that tl_future_cancel moves it PENDING ->
 * CANCELLED under, so exactly one of them wins; cancel returns false once
 * the worker has won, and then fn runs to the end.
 *
 * Ownership.  Each future is reference-counted: tl_pool_submit gives one
 * reference to the caller (dropped by tl_future_free) and keeps one for the
 * pool (dropped once the future is finished and its callbacks have run).  So
 * a future freed before it finishes is safe: fn still runs, its callbacks
 * still run, and the memory goes when both are done.  A completion
 * (tl_as_completed) holds a reference to each future it was given until it
 * is freed.  Once tl_future_free returns, the caller's handle is gone: do
 * not pass it to any call, nor free it while another thread still uses it.
 * Futures may outlive their pool (tl_pool_free waits for every task, so they
 * are all finished by then).
 *
 * Errors.  Functions that return int return 0 or a positive errno value
 * (EINVAL for NULL or bad arguments); functions that return a pointer
 * return NULL and set errno.  Timeouts are in milliseconds on the monotonic
 * clock: < 0 waits for ever, 0 only looks, > 0 waits at most that long.
 * Nothing here waits busily: every wait sleeps on a condition variable.
 */
#ifndef TL_POOL_H
#define TL_POOL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tl_pool tl_pool;
typedef struct tl_future tl_future;
typedef struct tl_completion tl_completion;

enum tl_future_state {
	TL_FUTURE_PENDING,
	TL_FUTURE_RUNNING,
	TL_FUTURE_DONE,
	TL_FUTURE_FAILED,
	TL_FUTURE_CANCELLED,
};

enum tl_wait_until {
	TL_FIRST_COMPLETED, /* any future finished (cancelled counts) */
	TL_FIRST_FAILED,    /* any future FAILED; if none fails, all finished */
	TL_ALL_COMPLETED,   /* every future finished */
};

/* ------------------------------------------------------------------ pool */

/* Starts `workers` threads (<= 0: one per online CPU) named "tl_pool".
 * NULL and errno (ENOMEM, EAGAIN) if a thread or memory could not be had;
 * then nothing is left behind. */
tl_pool *tl_pool_create(int workers);

/* The number of worker threads the pool started. -1 and EINVAL for NULL. */
int tl_pool_workers(const tl_pool *p);

/* Queues fn(arg) and returns its future, PENDING.  Tasks start in the order
 * they were submitted (first in, first out).  NULL and errno: ESHUTDOWN once
 * tl_pool_shutdown or tl_pool_free has begun, ENOMEM, EINVAL (p or fn
 * NULL).  May be called from inside a task or a callback. */
tl_future *tl_pool_submit(tl_pool *p, void *(*fn)(void *arg), void *arg);

/* Stops the pool taking tasks: tl_pool_submit fails with ESHUTDOWN from now
 * on.  cancel_pending: every PENDING task is cancelled now (its waiters
 * wake, its callbacks run in this thread before this returns); otherwise
 * the workers run the whole queue first.  RUNNING tasks always run to the
 * end: nothing interrupts a call.  wait: returns only once every task has
 * finished and every worker has left, callbacks included; without it,
 * returns at once.  Called on one of this pool's workers (in a task, or a
 * callback run there), wait is ignored: a worker cannot wait for itself.  Any number of calls,
 * from any threads; NULL is ignored. */
void tl_pool_shutdown(tl_pool *p, bool wait, bool cancel_pending);

/* tl_pool_shutdown(p, true, false), then the workers are joined and the
 * pool's handle is gone.  Futures stay valid until their own free.  Calling
 * it on one of the pool's own workers is a bug: it aborts. */
void tl_pool_free(tl_pool *p);

/* --------------------------------------------------------------- futures */

/* The current state (it may change right after, unless it is final).
 * TL_FUTURE_FAILED and errno EINVAL for NULL. */
enum tl_future_state tl_future_state(tl_future *f);

/* Waits until f is finished (DONE, FAILED or CANCELLED).  0 once finished,
 * ETIMEDOUT if the time ran out first, EINVAL for NULL.  Waiters wake as
 * soon as the state is final, which may be before f's callbacks have run. */
int tl_future_wait(tl_future *f, long timeout_ms);

/* Waits without limit, then returns fn's return value; NULL if f failed or
 * was cancelled (and errno EINVAL for NULL). */
void *tl_future_result(tl_future *f);

/* Python's result(timeout): waits at most timeout_ms, then 0 and *result =
 * fn's return value (DONE); ETIMEDOUT; ECANCELED (CANCELLED); or the code
 * the task failed with (FAILED).  *result is NULL unless DONE; result may
 * be NULL.  EINVAL for NULL f. */
int tl_future_result_wait(tl_future *f, long timeout_ms, void **result);

/* Waits without limit, then returns 0 if f is DONE, ECANCELED if it was
 * cancelled, or the code it failed with.  If message is not NULL, *message
 * is the failure's text (NULL if none), "cancelled", or NULL when DONE; it
 * lives as long as f.  EINVAL for NULL f. */
int tl_future_error(tl_future *f, const char **message);

/* Called from inside a task: the task fails with `code` and the message
 * printf(fmt, ...) (fmt may be NULL: no message).  This is C's raise, but
 * it does not unwind: it records the failure and returns, and the task
 * should then return at once; whatever it returns is ignored, and its
 * future becomes FAILED when it returns.  Only the first call in a task
 * counts.  A code of 0 is recorded as -1, so a failure is never 0.
 * Outside a task (on any other thread, or in a done-callback, which runs
 * after its task has finished) it does nothing. */
void tl_task_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The future whose task this thread is running now; NULL outside a task. */
tl_future *tl_task_current(void);

/* Cancels f if it has not started: true if it is CANCELLED now (it was
 * PENDING, or it had been cancelled already) — its task will never run;
 * false if it is RUNNING or finished (or NULL).  A successful cancel wakes
 * f's waiters and runs its callbacks in this thread before returning. */
bool tl_future_cancel(tl_future *f);

/* Calls cb(f, arg) once f is finished, exactly once.  If f is finished
 * already, cb runs at once in this thread before this returns; otherwise it
 * runs in the thread that finishes f (the worker, or the thread that
 * cancels it), after f's waiters were woken and before the pool drops its
 * reference, so f is valid inside cb even if its owner freed it.  Callbacks
 * added before f finished run in the order they were added; one added while
 * f is finishing either joins that list or, if f is already final, runs at
 * once — never both, never neither.  0, EINVAL (f or cb NULL), ENOMEM. */
int tl_future_on_done(tl_future *f, void (*cb)(tl_future *f, void *arg), void *arg);

/* Drops the caller's reference (see Ownership).  NULL is ignored. */
void tl_future_free(tl_future *f);

/* ------------------------------------------------------- several futures */

/* Waits until `until` holds for fs[0..n) (futures of any pools): 0 when it
 * holds (at once if it already does; n == 0 holds at once), ETIMEDOUT,
 * EINVAL (fs NULL with n > 0, a NULL entry, a bad `until`), ENOMEM. */
int tl_pool_wait(tl_future **fs, size_t n, enum tl_wait_until until, long timeout_ms);

/* An iterator over futures in the order they finish.  Those already
 * finished when given come first, in the order given; the others follow as
 * they finish.  Each entry given is returned once (a future given twice
 * comes back twice).  The completion holds a reference to each future until
 * tl_completion_free, so a returned future is valid until then.  Futures may
 * belong to any pools, and tasks may go on being submitted meanwhile.  NULL
 * and errno: EINVAL (fs NULL with n > 0, a NULL entry), ENOMEM. */
tl_completion *tl_as_completed(tl_future **fs, size_t n);

/* An empty, open completion, for futures that are still being submitted:
 * tl_completion_add them one by one (from any thread), then
 * tl_completion_seal it.  Until sealed, tl_completion_next never reports
 * the end: it waits for more.  NULL and errno ENOMEM. */
tl_completion *tl_completion_new(void);
/* 0, EINVAL (c or f NULL, or c sealed), ENOMEM. */
int tl_completion_add(tl_completion *c, tl_future *f);
/* No more adds; wakes a tl_completion_next waiting for them. */
void tl_completion_seal(tl_completion *c);

/* The next future to have finished.  NULL and errno: ETIMEDOUT if none
 * finished in time; 0 at the end (every future given, and the completion
 * sealed, has been returned); EINVAL for NULL.  Safe from several threads
 * at once (each future goes to one of them). */
tl_future *tl_completion_next(tl_completion *c, long timeout_ms);

/* Frees c and drops its references; no thread may be in tl_completion_next
 * on it.  Futures not yet finished are unaffected.  NULL is ignored. */
void tl_completion_free(tl_completion *c);

/* results[i] = fn(args[i]) for i < n, run on the pool `chunk` items per
 * task (0 counts as 1), results in input order.  Waits for all.  0 on
 * success; else the code of the first failed item in input order (fn
 * called tl_task_fail; ECANCELED if a shutdown cancelled a task of the
 * map): the tasks after it that had not started are cancelled, a task
 * that starts after a failure before it runs none of its items (so with
 * one worker nothing after the failure runs), running ones are waited for,
 * and results[] before that item hold their values and from it on are
 * NULL.  Which code comes back does not depend on timing: every item
 * before the first failure runs.  ESHUTDOWN, ENOMEM or EINVAL (NULL p or
 * fn, NULL args or results with n > 0) if the tasks could not all be
 * submitted (those submitted are cancelled or waited for; results[] are
 * all NULL).  Calling it from a task of the same pool can deadlock, as
 * waiting for any future there can. */
int tl_pool_map(tl_pool *p, void *(*fn)(void *), void **args, void **results, size_t n,
                size_t chunk);

#endif
