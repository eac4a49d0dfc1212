/* tl_pool — worker threads, one mutex per pool, an intrusive FIFO of
 * futures carved from slabs, and waiters that sleep on condition variables
 * of their own.  The contract is in tl_pool.h; the design in HACKING.md
 * ("tl_pool").
 *
 * Three words are touched without the pool's lock: a future's reference
 * count, its slab's count of live futures, and the pool's count of slabs
 * (plus its handle).  After they are set up, they are only ever changed by
 * atomic read-modify-writes, which Helgrind and DRD take for reads (so
 * they never see two of them race), and the ordering each one gives is told
 * to them with ANNOTATE_HAPPENS_BEFORE/AFTER.  A future's state is written
 * under the lock, by atomic add for the same reason, and read without
 * it by the "finished already?" fast paths: seeing a final state there is
 * annotated as the happens-after of the finish (see set_state). */
#include "config.h"

#include "tl_pool.h"
#include "tl_sync.h"

#include "tl_annotate.h"
#include "tl_clock.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Someone waiting for one or more futures: tl_future_wait, tl_pool_wait or
 * a completion.  A future finishing (under its pool's lock) counts itself
 * here under `mu`, so a waiter can watch futures of several pools at once. */
struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* waits without a deadline */
	int bell;          /* waits with one (tl_bell, opened on the first): rung at every change */
	size_t done;       /* futures seen finished */
	size_t failed;     /* of which FAILED */
	struct wlink *ready, **ready_tail; /* finished, oldest first (completions) */
};

/* One (future, waiter) pair: in the future's list of waiters while it is
 * unfinished, then in the waiter's ready list. */
struct wlink {
	struct wlink *next;       /* the future's waiters */
	struct wlink *ready_next; /* the waiter's ready list */
	struct waiter *w;
	tl_future *f;
};

struct callback {
	struct callback *next;
	void (*fn)(tl_future *f, void *arg);
	void *arg;
};

struct slab;

/* 72 bytes, in a slab: no allocation of its own. */
struct tl_future {
	tl_future *next; /* the pool's queue */
	struct slab *slab;
	void *(*fn)(void *);
	union {
		void *arg;    /* until it runs */
		void *result; /* once DONE */
	};
	char *message;              /* tl_task_fail's text */
	struct wlink *waiters;      /* until finished */
	struct callback *callbacks; /* newest first until finished, then oldest first */
	int error;                  /* written by its task only, read once finished */
	atomic_uint refs;
	atomic_uchar state; /* enum tl_future_state */
};

/* Futures are handed out from a slab in turn and never reused: the slab
 * goes when its last future is freed.  One malloc serves SLAB_FUTURES
 * submits, and a future costs 72 bytes plus its share of the header. */
#define SLAB_FUTURES 64

struct slab {
	atomic_uint live; /* futures not yet freed, and 1 while submits still
	                   * take from it: set to SLAB_FUTURES + 1 at first */
	tl_pool *pool;
	struct tl_future futures[SLAB_FUTURES];
};

struct tl_pool {
	pthread_mutex_t mu;  /* guards everything here and every future's state,
	                      * waiters, callbacks, result and queue link */
	pthread_cond_t work; /* workers sleep here for tasks */
	pthread_cond_t gone; /* shutdown(wait) sleeps here for the workers to leave */
	tl_future *head, *tail;
	struct slab *slab; /* submits take futures from here */
	unsigned slab_used;
	unsigned sleepers; /* workers asleep on `work` */
	unsigned wakeups;  /* signals sent to them that none has woken from yet */
	int workers;       /* started, for the joins */
	int alive;         /* not yet left */
	bool shutdown;
	atomic_size_t holds; /* slabs alive, and 1 for the handle: at 0 it goes */
	pthread_t *threads;
};

static _Thread_local tl_future *running_task; /* the task this thread runs */
static _Thread_local tl_pool *worker_of;      /* the pool this thread works for */

static tl_pool *pool_of(const tl_future *f)
{
	return f->slab->pool;
}

/* Under the pool's lock (the state only changes there). */
static bool finished(tl_future *f)
{
	return atomic_load_explicit(&f->state, memory_order_relaxed) >= TL_FUTURE_DONE;
}

/* Without the lock: true once f is final, and then everything its task and
 * its finish wrote is visible (the release in set_state). */
static bool finished_acquire(tl_future *f)
{
	if (atomic_load_explicit(&f->state, memory_order_acquire) < TL_FUTURE_DONE)
		return false;
	ANNOTATE_HAPPENS_AFTER(&f->state);
	return true;
}

/* Under the pool's lock.  States only go up (PENDING < RUNNING < DONE,
 * FAILED, CANCELLED), so this is an atomic add, not a store or an
 * exchange: Valgrind sees a locked add as a read (and x86's xchg as a
 * write), so Helgrind and DRD never see it race with the fast paths'
 * loads; the annotation gives them the order. */
static void set_state(tl_future *f, enum tl_future_state state)
{
	unsigned char now = atomic_load_explicit(&f->state, memory_order_relaxed);
	if (state >= TL_FUTURE_DONE)
		ANNOTATE_HAPPENS_BEFORE(&f->state);
	atomic_fetch_add_explicit(&f->state, (unsigned char)(state - now), memory_order_release);
}

/* -------------------------------------------------------------- lifetime */

static void destroy_pool(tl_pool *p)
{
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->gone);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}

/* Each of these drops `n` from a count that only atomic read-modify-writes
 * touch; whoever brings it to 0 frees the object.  acq_rel orders every
 * drop before the free (TSan, which takes a free for a write, sees that).
 * Helgrind and DRD do not take a free for an access, and the fields the
 * last one reads (s->pool, p->threads) were written before the futures
 * were handed out: no annotation needed. */
static void pool_drop(tl_pool *p)
{
	if (atomic_fetch_sub_explicit(&p->holds, 1, memory_order_acq_rel) == 1)
		destroy_pool(p);
}

static void slab_drop(struct slab *s, unsigned n)
{
	if (atomic_fetch_sub_explicit(&s->live, n, memory_order_acq_rel) == n) {
		tl_pool *p = s->pool;
		free(s);
		pool_drop(p);
	}
}

/* Safe under the pool's lock too: a worker, a canceller and shutdown all
 * drop while the pool's handle is still held, so no drop of theirs can
 * reach the pool's own count.  The last drop reads nothing the task wrote
 * unless it failed with a message: then (and only then, so that DRD, whose
 * cost grows with the number of annotated addresses, is not slowed down
 * for every future) the annotation on f->message orders the task's write
 * before the free for Helgrind and DRD (see worker_main). */
static void unref(tl_future *f)
{
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1) {
		if (atomic_load_explicit(&f->state, memory_order_relaxed) == TL_FUTURE_FAILED) {
			ANNOTATE_HAPPENS_AFTER(&f->message);
			free(f->message);
		}
		slab_drop(f->slab, 1);
	}
}

static void ref(tl_future *f)
{
	atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

/* Under the pool's lock: submits stop taking from the current slab. */
static void retire_slab_locked(tl_pool *p)
{
	if (p->slab)
		slab_drop(p->slab, SLAB_FUTURES - p->slab_used + 1);
	p->slab = NULL;
	p->slab_used = SLAB_FUTURES;
}

/* Under the pool's lock: a fresh future, or NULL. */
static tl_future *take_future_locked(tl_pool *p)
{
	if (p->slab_used == SLAB_FUTURES) {
		struct slab *s = malloc(sizeof *s);
		if (!s)
			return NULL;
		atomic_init(&s->live, SLAB_FUTURES + 1);
		s->pool = p;
		atomic_fetch_add_explicit(&p->holds, 1, memory_order_relaxed);
		retire_slab_locked(p);
		p->slab = s;
		p->slab_used = 0;
	}
	return &p->slab->futures[p->slab_used++];
}

/* ---------------------------------------------------------- finishing */

/* l's future is finished (its pool's lock held): count it, and queue l
 * on its waiter's ready list. */
static void tell_waiter(struct wlink *l, bool failed)
{
	struct waiter *w = l->w;
	pthread_mutex_lock(&w->mu);
	w->done++;
	if (failed)
		w->failed++;
	l->ready_next = NULL;
	*w->ready_tail = l;
	w->ready_tail = &l->ready_next;
	pthread_cond_signal(&w->cv);
	if (w->bell >= 0)
		tl_bell_ring(w->bell);
	pthread_mutex_unlock(&w->mu);
}

/* f becomes final (under its pool's lock): its waiters hear of it now, and
 * its callbacks are put in the order they were added, for the finishing
 * thread to run with run_callbacks once the lock is let go.  No other
 * thread touches f->callbacks after this: tl_future_on_done sees the final
 * state and runs its callback itself. */
static void finish_locked(tl_future *f, enum tl_future_state state)
{
	set_state(f, state);
	for (struct wlink *l = f->waiters; l; l = l->next)
		tell_waiter(l, state == TL_FUTURE_FAILED);
	f->waiters = NULL;
	struct callback *oldest_first = NULL;
	while (f->callbacks) {
		struct callback *c = f->callbacks;
		f->callbacks = c->next;
		c->next = oldest_first;
		oldest_first = c;
	}
	f->callbacks = oldest_first;
}

/* The caller holds a reference to f, so a callback may free the owner's. */
static void run_callbacks(tl_future *f)
{
	struct callback *c = f->callbacks;
	f->callbacks = NULL;
	while (c) {
		struct callback *next = c->next;
		c->fn(f, c->arg);
		free(c);
		c = next;
	}
}

/* --------------------------------------------------------------- workers */

static void *worker_main(void *arg)
{
	tl_pool *p = arg;

	worker_of = p;
#ifdef HAVE_PTHREAD_SETNAME_NP
	pthread_setname_np(pthread_self(), "tl_pool");
#endif
	pthread_mutex_lock(&p->mu);
	for (;;) {
		tl_future *f = p->head;
		if (!f) {
			if (p->shutdown)
				break;
			p->sleepers++;
			pthread_cond_wait(&p->work, &p->mu);
			p->sleepers--;
			if (p->wakeups)
				p->wakeups--;
			continue;
		}
		p->head = f->next;
		if (atomic_load_explicit(&f->state, memory_order_relaxed) == TL_FUTURE_CANCELLED) {
			/* tl_future_cancel left it queued, with the pool's
			 * reference for us to drop. */
			unref(f);
			continue;
		}
		/* The one place a task starts: under the lock cancel takes. */
		set_state(f, TL_FUTURE_RUNNING);
		pthread_mutex_unlock(&p->mu);

		running_task = f;
		void *result = f->fn(f->arg);
		running_task = NULL;

		if (f->message)
			ANNOTATE_HAPPENS_BEFORE(&f->message); /* see unref */
		pthread_mutex_lock(&p->mu);
		f->result = f->error ? NULL : result;
		finish_locked(f, f->error ? TL_FUTURE_FAILED : TL_FUTURE_DONE);
		if (f->callbacks) {
			pthread_mutex_unlock(&p->mu);
			run_callbacks(f);
			pthread_mutex_lock(&p->mu);
		}
		unref(f);
	}
	if (--p->alive == 0)
		pthread_cond_broadcast(&p->gone);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

tl_pool *tl_pool_create(int workers)
{
	if (workers <= 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		workers = cpus < 1 ? 1 : cpus > INT_MAX ? INT_MAX : (int)cpus;
	}
	tl_pool *p = calloc(1, sizeof *p);
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->threads = calloc((size_t)workers, sizeof *p->threads);
	int rc = p->threads ? 0 : ENOMEM;
	if (!rc)
		rc = pthread_mutex_init(&p->mu, NULL);
	if (rc) {
		free(p->threads);
		free(p);
		errno = rc;
		return NULL;
	}
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->gone, NULL);
	p->slab_used = SLAB_FUTURES; /* no slab yet */
	atomic_init(&p->holds, 1);

	pthread_mutex_lock(&p->mu);
	for (; p->workers < workers; p->workers++) {
		rc = pthread_create(&p->threads[p->workers], NULL, worker_main, p);
		if (rc)
			break;
		p->alive++;
	}
	pthread_mutex_unlock(&p->mu);
	if (rc) {
		tl_pool_shutdown(p, false, false);
		for (int i = 0; i < p->workers; i++)
			pthread_join(p->threads[i], NULL);
		destroy_pool(p);
		errno = rc;
		return NULL;
	}
	return p;
}

int tl_pool_workers(const tl_pool *p)
{
	if (!p) {
		errno = EINVAL;
		return -1;
	}
	return p->workers;
}

tl_future *tl_pool_submit(tl_pool *p, void *(*fn)(void *arg), void *arg)
{
	if (!p || !fn) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&p->mu);
	int err = p->shutdown ? ESHUTDOWN : 0;
	tl_future *f = err ? NULL : take_future_locked(p);
	if (!f) {
		pthread_mutex_unlock(&p->mu);
		errno = err ? err : ENOMEM;
		return NULL;
	}
	f->next = NULL;
	f->slab = p->slab;
	f->fn = fn;
	f->arg = arg;
	f->message = NULL;
	f->waiters = NULL;
	f->callbacks = NULL;
	f->error = 0;
	atomic_init(&f->refs, 2);
	atomic_init(&f->state, TL_FUTURE_PENDING);
	if (p->head)
		p->tail->next = f;
	else
		p->head = f;
	p->tail = f;
	/* Wake a worker only if one sleeps that no signal is on its way to
	 * yet: a busy worker comes back for the queue by itself, and a second
	 * signal to the same sleeper would be a wasted system call. */
	if (p->sleepers > p->wakeups) {
		p->wakeups++;
		pthread_cond_signal(&p->work);
	}
	pthread_mutex_unlock(&p->mu);
	return f;
}

void tl_pool_shutdown(tl_pool *p, bool wait, bool cancel_pending)
{
	if (!p)
		return;
	/* Cancelled by this call, in queue order: their callbacks are ours to
	 * run. */
	tl_future *cancelled = NULL, **last = &cancelled;

	pthread_mutex_lock(&p->mu);
	p->shutdown = true;
	while (cancel_pending && p->head) {
		tl_future *f = p->head;
		p->head = f->next;
		if (atomic_load_explicit(&f->state, memory_order_relaxed) == TL_FUTURE_PENDING) {
			finish_locked(f, TL_FUTURE_CANCELLED);
			f->next = NULL;
			*last = f;
			last = &f->next;
		} else {
			unref(f); /* cancelled before: the pool's reference */
		}
	}
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);

	/* The pool's references, still held, keep them valid here. */
	while (cancelled) {
		tl_future *f = cancelled;
		cancelled = f->next;
		run_callbacks(f);
		unref(f);
	}

	if (wait && worker_of != p) {
		pthread_mutex_lock(&p->mu);
		while (p->alive > 0)
			pthread_cond_wait(&p->gone, &p->mu);
		pthread_mutex_unlock(&p->mu);
	}
}

void tl_pool_free(tl_pool *p)
{
	if (!p)
		return;
	if (worker_of == p) {
		fputs("tl_pool_free: called on one of the pool's own workers\n", stderr);
		abort();
	}
	tl_pool_shutdown(p, false, false);
	for (int i = 0; i < p->workers; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_lock(&p->mu);
	retire_slab_locked(p);
	pthread_mutex_unlock(&p->mu);
	/* The handle's hold: the last slab to go frees the pool if futures
	 * are still alive. */
	pool_drop(p);
}

/* --------------------------------------------------------------- futures */

enum tl_future_state tl_future_state(tl_future *f)
{
	if (!f) {
		errno = EINVAL;
		return TL_FUTURE_FAILED;
	}
	enum tl_future_state s = atomic_load_explicit(&f->state, memory_order_acquire);
	if (s >= TL_FUTURE_DONE)
		ANNOTATE_HAPPENS_AFTER(&f->state); /* as finished_acquire */
	return s;
}

int tl_future_wait(tl_future *f, long timeout_ms)
{
	if (!f)
		return EINVAL;
	if (finished_acquire(f))
		return 0;
	return tl_pool_wait(&f, 1, TL_ALL_COMPLETED, timeout_ms);
}

/* f's outcome once it is finished (and seen so by this thread): 0 and its
 * result, ECANCELED, or the code it failed with.  A finished future never
 * changes, so no lock. */
static int outcome(tl_future *f, void **result, const char **message)
{
	*result = NULL;
	*message = NULL;
	switch (atomic_load_explicit(&f->state, memory_order_relaxed)) {
	case TL_FUTURE_DONE:
		*result = f->result;
		return 0;
	case TL_FUTURE_CANCELLED:
		*message = "cancelled";
		return ECANCELED;
	default:
		*message = f->message;
		return f->error;
	}
}

int tl_future_result_wait(tl_future *f, long timeout_ms, void **result)
{
	const char *message;
	void *ignored = NULL;
	void **out = result ? result : &ignored;

	*out = NULL;
	int rc = tl_future_wait(f, timeout_ms);
	return rc ? rc : outcome(f, out, &message);
}

void *tl_future_result(tl_future *f)
{
	void *result;

	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	tl_future_result_wait(f, -1, &result);
	return result;
}

int tl_future_error(tl_future *f, const char **message)
{
	const char *text;
	void *result;

	if (message)
		*message = NULL;
	int rc = tl_future_wait(f, -1);
	if (rc)
		return rc;
	rc = outcome(f, &result, &text);
	if (message)
		*message = text;
	return rc;
}

void tl_task_fail(int code, const char *fmt, ...)
{
	tl_future *f = running_task;

	/* Only the running task writes these, and nobody reads them before it
	 * is finished: no lock needed. */
	if (!f || f->error)
		return;
	f->error = code ? code : -1;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&f->message, fmt, ap) < 0)
			f->message = NULL;
		va_end(ap);
	}
}

tl_future *tl_task_current(void)
{
	return running_task;
}

bool tl_future_cancel(tl_future *f)
{
	if (!f)
		return false;
	tl_pool *p = pool_of(f);
	bool now = false;

	pthread_mutex_lock(&p->mu);
	if (atomic_load_explicit(&f->state, memory_order_relaxed) == TL_FUTURE_PENDING) {
		/* It stays queued, with the pool's reference: the worker that
		 * reaches it drops that.  Ours keeps f alive through callbacks
		 * that free the owner's reference. */
		finish_locked(f, TL_FUTURE_CANCELLED);
		now = f->callbacks != NULL;
		if (now)
			ref(f);
	}
	bool cancelled =
	    atomic_load_explicit(&f->state, memory_order_relaxed) == TL_FUTURE_CANCELLED;
	pthread_mutex_unlock(&p->mu);
	if (now) {
		run_callbacks(f);
		unref(f);
	}
	return cancelled;
}

int tl_future_on_done(tl_future *f, void (*cb)(tl_future *f, void *arg), void *arg)
{
	if (!f || !cb)
		return EINVAL;
	tl_pool *p = pool_of(f);
	pthread_mutex_lock(&p->mu);
	if (!finished(f)) {
		struct callback *c = malloc(sizeof *c);
		if (c) {
			*c = (struct callback){.next = f->callbacks, .fn = cb, .arg = arg};
			f->callbacks = c;
		}
		pthread_mutex_unlock(&p->mu);
		return c ? 0 : ENOMEM;
	}
	pthread_mutex_unlock(&p->mu);
	cb(f, arg);
	return 0;
}

void tl_future_free(tl_future *f)
{
	if (f)
		unref(f);
}

/* ------------------------------------------------------- several futures */

static int waiter_init(struct waiter *w)
{
	int rc = -tl_cond_init_monotonic(&w->cv);
	if (rc)
		return rc;
	rc = pthread_mutex_init(&w->mu, NULL);
	if (rc) {
		pthread_cond_destroy(&w->cv);
		return rc;
	}
	w->bell = -1;
	w->done = w->failed = 0;
	w->ready = NULL;
	w->ready_tail = &w->ready;
	return 0;
}

static void waiter_destroy(struct waiter *w)
{
	if (w->bell >= 0)
		tl_bell_close(w->bell);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

/* Starts l watching l->f (holding a reference if `take_ref`): into f's waiters,
 * or straight into the waiter's ready list if f is finished already. */
static void watch(struct wlink *l, bool take_ref)
{
	tl_future *f = l->f;
	tl_pool *p = pool_of(f);
	pthread_mutex_lock(&p->mu);
	if (take_ref)
		ref(f);
	if (finished(f)) {
		tell_waiter(l, atomic_load_explicit(&f->state, memory_order_relaxed) ==
		                   TL_FUTURE_FAILED);
	} else {
		l->next = f->waiters;
		f->waiters = l;
	}
	pthread_mutex_unlock(&p->mu);
}

/* Stops l watching, and drops the reference watch took if `unref_too`.
 * Once this returns no finishing future can reach l's waiter any more. */
static void unwatch(struct wlink *l, bool unref_too)
{
	tl_future *f = l->f;
	tl_pool *p = pool_of(f);
	pthread_mutex_lock(&p->mu);
	if (!finished(f)) {
		struct wlink **pp = &f->waiters;
		while (*pp != l)
			pp = &(*pp)->next;
		*pp = l->next;
	}
	pthread_mutex_unlock(&p->mu);
	if (unref_too)
		unref(f);
}

static bool wait_holds(size_t done, size_t failed, size_t n, enum tl_wait_until until)
{
	switch (until) {
	case TL_FIRST_COMPLETED:
		return done > 0;
	case TL_FIRST_FAILED:
		return failed > 0 || done == n;
	case TL_ALL_COMPLETED:
		break;
	}
	return done == n;
}

/* Waits (w->mu held) until ready() holds or the deadline passes: 0 or
 * ETIMEDOUT.  The predicate is checked again after a timeout, so a future
 * that finished at the last moment counts.  Without a deadline it sleeps on
 * w->cv; with one, on a tl_bell (tl_sync.h says why not
 * pthread_cond_timedwait): silenced under w->mu before the mutex is let go,
 * rung under it at every change, so no wake-up is lost. */
static int wait_for(struct waiter *w, long timeout_ms, const struct timespec *deadline,
                    bool (*ready)(const struct waiter *w, const void *ctx), const void *ctx)
{
	while (!ready(w, ctx)) {
		if (timeout_ms == 0)
			return ETIMEDOUT;
		if (timeout_ms < 0) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		if (w->bell < 0 && (w->bell = tl_bell_open()) < 0) {
			/* No descriptor left: the condition variable still works. */
			if (pthread_cond_timedwait(&w->cv, &w->mu, deadline) == ETIMEDOUT)
				return ready(w, ctx) ? 0 : ETIMEDOUT;
			continue;
		}
		tl_bell_silence(w->bell);
		if (tl_bell_wait_released(w->bell, &w->mu, deadline) == -ETIMEDOUT)
			return ready(w, ctx) ? 0 : ETIMEDOUT;
	}
	return 0;
}

struct wait_goal {
	size_t n;
	enum tl_wait_until until;
};

static bool goal_met(const struct waiter *w, const void *ctx)
{
	const struct wait_goal *g = ctx;
	return wait_holds(w->done, w->failed, g->n, g->until);
}

int tl_pool_wait(tl_future **fs, size_t n, enum tl_wait_until until, long timeout_ms)
{
	if ((!fs && n > 0) ||
	    (until != TL_FIRST_COMPLETED && until != TL_FIRST_FAILED && until != TL_ALL_COMPLETED))
		return EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!fs[i])
			return EINVAL;
	if (n == 0)
		return 0;
	/* Holds already?  Then no lock is taken at all. */
	size_t done = 0, failed = 0;
	for (size_t i = 0; i < n; i++)
		if (finished_acquire(fs[i])) {
			done++;
			failed += atomic_load_explicit(&fs[i]->state, memory_order_relaxed) ==
			          TL_FUTURE_FAILED;
		}
	if (wait_holds(done, failed, n, until))
		return 0;
	if (timeout_ms == 0)
		return ETIMEDOUT;

	struct timespec deadline = {0, 0};
	if (timeout_ms > 0)
		deadline = tl_deadline_after(timeout_ms);
	struct wlink on_stack[8];
	struct wlink *links = n <= 8 ? on_stack : calloc(n, sizeof *links);
	if (!links)
		return ENOMEM;
	struct waiter w;
	int rc = waiter_init(&w);
	if (rc) {
		if (links != on_stack)
			free(links);
		return rc;
	}

	for (size_t i = 0; i < n; i++) {
		links[i] = (struct wlink){.w = &w, .f = fs[i]};
		watch(&links[i], false);
	}
	struct wait_goal goal = {n, until};
	pthread_mutex_lock(&w.mu);
	rc = wait_for(&w, timeout_ms, &deadline, goal_met, &goal);
	pthread_mutex_unlock(&w.mu);
	for (size_t i = 0; i < n; i++)
		unwatch(&links[i], false);

	waiter_destroy(&w);
	if (links != on_stack)
		free(links);
	return rc;
}

/* ----------------------------------------------------------- completions */

/* Links are never moved (futures point at them): they come in blocks. */
struct link_block {
	struct link_block *next;
	size_t used, size;
	struct wlink links[];
};

struct tl_completion {
	struct waiter w; /* w.mu guards the fields below too */
	size_t added, returned;
	bool sealed;
	struct link_block *blocks;
};

tl_completion *tl_completion_new(void)
{
	tl_completion *c = calloc(1, sizeof *c);
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	int rc = waiter_init(&c->w);
	if (rc) {
		free(c);
		errno = rc;
		return NULL;
	}
	return c;
}

/* A fresh link in c (c->w.mu held), or NULL. */
static struct wlink *new_link(tl_completion *c, size_t hint)
{
	struct link_block *b = c->blocks;
	if (!b || b->used == b->size) {
		size_t size = hint > 16 ? hint : 16;
		b = malloc(sizeof *b + size * sizeof b->links[0]);
		if (!b)
			return NULL;
		b->next = c->blocks;
		b->used = 0;
		b->size = size;
		c->blocks = b;
	}
	return &b->links[b->used++];
}

static int completion_add(tl_completion *c, tl_future *f, size_t hint)
{
	pthread_mutex_lock(&c->w.mu);
	struct wlink *l = c->sealed ? NULL : new_link(c, hint);
	if (l) {
		*l = (struct wlink){.w = &c->w, .f = f};
		c->added++;
	}
	int rc = l ? 0 : c->sealed ? EINVAL : ENOMEM;
	pthread_mutex_unlock(&c->w.mu);
	if (l)
		watch(l, true);
	return rc;
}

int tl_completion_add(tl_completion *c, tl_future *f)
{
	if (!c || !f)
		return EINVAL;
	return completion_add(c, f, 0);
}

void tl_completion_seal(tl_completion *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->w.mu);
	c->sealed = true;
	pthread_cond_broadcast(&c->w.cv);
	pthread_mutex_unlock(&c->w.mu);
}

tl_completion *tl_as_completed(tl_future **fs, size_t n)
{
	if (!fs && n > 0) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!fs[i]) {
			errno = EINVAL;
			return NULL;
		}
	tl_completion *c = tl_completion_new();
	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int rc = completion_add(c, fs[i], n - i);
		if (rc) {
			tl_completion_free(c);
			errno = rc;
			return NULL;
		}
	}
	tl_completion_seal(c);
	return c;
}

static bool completion_ready(const struct waiter *w, const void *ctx)
{
	const tl_completion *c = ctx;
	return w->ready || (c->sealed && c->returned == c->added);
}

tl_future *tl_completion_next(tl_completion *c, long timeout_ms)
{
	if (!c) {
		errno = EINVAL;
		return NULL;
	}
	struct timespec deadline = {0, 0};
	if (timeout_ms > 0)
		deadline = tl_deadline_after(timeout_ms);
	tl_future *f = NULL;
	pthread_mutex_lock(&c->w.mu);
	int rc = wait_for(&c->w, timeout_ms, &deadline, completion_ready, c);
	struct wlink *l = c->w.ready;
	if (l) {
		c->w.ready = l->ready_next;
		if (!c->w.ready)
			c->w.ready_tail = &c->w.ready;
		c->returned++;
		f = l->f;
		rc = 0;
		/* Others in next() may be waiting to hear of the end. */
		if (c->sealed && c->returned == c->added)
			pthread_cond_broadcast(&c->w.cv);
	}
	pthread_mutex_unlock(&c->w.mu);
	if (!f)
		errno = rc;
	return f;
}

void tl_completion_free(tl_completion *c)
{
	if (!c)
		return;
	while (c->blocks) {
		struct link_block *b = c->blocks;
		for (size_t i = 0; i < b->used; i++)
			unwatch(&b->links[i], true);
		c->blocks = b->next;
		free(b);
	}
	waiter_destroy(&c->w);
	free(c);
}

/* ------------------------------------------------------------------- map */

struct map_job {
	void *(*fn)(void *);
	void **args, **results;
	size_t n, chunk;
	pthread_mutex_t mu;
	size_t first_failed; /* the lowest chunk that failed so far (nchunks: none) */
};

struct map_chunk {
	struct map_job *job;
	size_t index;
	size_t failed_at; /* the item whose fn failed, written by the task */
};

/* A chunk after one that failed does not start its items: the map's
 * answer is already that failure, and with one worker nothing after it
 * runs at all.  Chunks before it run, so the failure reported is the first
 * in input order whatever the timing. */
static void *map_chunk_run(void *arg)
{
	struct map_chunk *c = arg;
	struct map_job *job = c->job;
	size_t start = c->index * job->chunk;
	size_t end = job->n - start > job->chunk ? start + job->chunk : job->n;

	pthread_mutex_lock(&job->mu);
	bool skip = job->first_failed < c->index;
	pthread_mutex_unlock(&job->mu);
	for (size_t i = start; i < end && !skip; i++) {
		void *r = job->fn(job->args[i]);
		if (running_task->error) {
			c->failed_at = i;
			pthread_mutex_lock(&job->mu);
			if (c->index < job->first_failed)
				job->first_failed = c->index;
			pthread_mutex_unlock(&job->mu);
			break;
		}
		job->results[i] = r;
	}
	return NULL;
}

int tl_pool_map(tl_pool *p, void *(*fn)(void *), void **args, void **results, size_t n,
                size_t chunk)
{
	if (!p || !fn || (n > 0 && (!args || !results)))
		return EINVAL;
	if (n == 0)
		return 0;
	if (chunk == 0)
		chunk = 1;
	size_t nchunks = n / chunk + (n % chunk != 0);
	struct map_job job = {.fn = fn,
	                      .args = args,
	                      .results = results,
	                      .n = n,
	                      .chunk = chunk,
	                      .first_failed = nchunks};
	int submit_rc = pthread_mutex_init(&job.mu, NULL);
	if (submit_rc)
		return submit_rc;
	struct map_chunk *chunks = calloc(nchunks, sizeof *chunks);
	tl_future **fs = calloc(nchunks, sizeof(tl_future *));
	if (!chunks || !fs)
		submit_rc = ENOMEM;
	size_t submitted = 0;

	while (!submit_rc && submitted < nchunks) {
		struct map_chunk *c = &chunks[submitted];
		*c = (struct map_chunk){&job, submitted, 0};
		fs[submitted] = tl_pool_submit(p, map_chunk_run, c);
		if (fs[submitted])
			submitted++;
		else
			submit_rc = errno;
	}

	/* In input order, like Python's map: the failure reported is the
	 * first in input order, and what comes after it is cancelled. */
	int code = 0;
	size_t failed_item = n;
	for (size_t i = 0; i < submitted; i++) {
		if (submit_rc || code) {
			tl_future_cancel(fs[i]);
			continue;
		}
		int err = tl_future_error(fs[i], NULL);
		if (err) {
			code = err;
			/* Cancelled by someone else (a shutdown): none of its
			 * items ran. */
			failed_item = tl_future_state(fs[i]) == TL_FUTURE_CANCELLED
			                  ? i * chunk
			                  : chunks[i].failed_at;
		}
	}
	/* The running ones still read args and write results. */
	for (size_t i = 0; i < submitted; i++) {
		tl_future_wait(fs[i], -1);
		tl_future_free(fs[i]);
	}
	free(fs);
	free(chunks);
	pthread_mutex_destroy(&job.mu);
	if (submit_rc)
		failed_item = 0;
	for (size_t i = failed_item; i < n; i++)
		results[i] = NULL;
	return submit_rc ? submit_rc : code;
}
