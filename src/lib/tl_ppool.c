/* tl_ppool — worker processes fed by one collector thread.  The contract is
 * in tl_ppool.h; the design in HACKING.md ("tl_ppool").
 *
 * Each worker has one socketpair (AF_UNIX, stream) with the parent: tasks go
 * down it, replies come up it.  Its death is watched through a pidfd, not
 * through the socket's end-of-file, and it is told to exit with a message,
 * not by closing the socket: every process forked later (another pool's
 * workers, the program's own children) inherits the parent's end of the
 * socket, which would keep it open.  One thread, the collector, owns every worker: it hands
 * queued tasks to idle workers, polls their sockets and its wake-up eventfd
 * with the nearest task deadline as the timeout, reads the replies, kills
 * workers whose task ran out of time, reaps the dead and forks their
 * replacements.  Callers only queue, cancel and wait, under the pool's one
 * mutex; no caller ever touches a socket or a pid, so a waiting caller
 * cannot miss a death, and reaping has one owner. */
#include "config.h"

#include "tl_ppool.h"
#include "tl_sync.h"

#include "tl_annotate.h"
#include "tl_clock.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MSG_TASK, MSG_CHUNK, MSG_EXIT, MSG_READY, MSG_DONE, MSG_FAILED };

/* Parent -> worker, then count * item_len argument bytes. */
struct task_msg {
	uint32_t
	    kind; /* MSG_TASK: one call, result up to TL_PPOOL_RESULT_MAX; MSG_CHUNK: map items */
	uint32_t count;
	uint64_t fn;
	uint64_t item_len;
	uint64_t result_size;
};

/* Worker -> parent, then len bytes: the result, or the failure's message. */
struct reply_msg {
	uint32_t kind;
	int32_t code;
	uint64_t len;
};

struct tl_pfuture {
	tl_ppool *pool;
	tl_pfuture *next; /* the queue */
	tl_ptask_fn fn;
	uint32_t kind, count;
	size_t item_len, result_size;
	long timeout_ms;
	void *arg; /* count * item_len bytes, freed once sent */
	/* Under pool->mu: */
	enum tl_future_state state;
	pid_t worker;
	int code;
	char *message;
	void *data;
	size_t len;
	uint64_t finish_seq;
	atomic_uint refs; /* the caller's, and the pool's while queued or running */
};

enum worker_state { W_STARTING, W_IDLE, W_BUSY, W_GONE };

struct worker {
	pid_t pid;
	int fd;
	int pidfd; /* readable once the worker has exited; -1 if the kernel has none */
	enum worker_state state;
	tl_pfuture *task;
	uint64_t deadline_ns; /* 0: none */
};

/* A thread waiting with a deadline sleeps on a bell of its own, rung by
 * every finish (see tl_sync.h for why not pthread_cond_timedwait). */
struct pwaiter {
	struct pwaiter *next;
	int bell;
};

struct tl_ppool {
	pthread_mutex_t mu;
	pthread_cond_t changed; /* a future finished, or the pool stopped */
	struct pwaiter *waiters;
	tl_pfuture *head, *tail;
	struct worker *w; /* written by the collector (and create) under mu */
	/* The collector's poll set: [0] the wake-up, then each worker's socket
	 * and pidfd, in pairs; the worker's index and pid for each entry (a
	 * replacement made meanwhile is not the one polled). */
	struct pollfd *pfd;
	int *who;
	pid_t *polled;
	int nworkers;
	int wake; /* eventfd: the collector's poll wakes on it */
	void (*init)(void *);
	void *init_arg;
	pthread_t collector;
	pid_t owner;
	bool shutting, stopped, broken;
	uint64_t finish_seq;
	atomic_uint refs; /* the handle, and one per live future */
};

/* ------------------------------------------------------------ the worker */

static bool in_task;
static int task_code;
static char task_message[1024];

void tl_ptask_fail(int code, const char *fmt, ...)
{
	if (!in_task || task_code)
		return;
	task_code = code ? code : -1;
	task_message[0] = 0;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(task_message, sizeof task_message, fmt, ap);
		va_end(ap);
	}
}

static int read_full(int fd, void *buf, size_t len)
{
	char *b = buf;
	while (len) {
		ssize_t r = read(fd, b, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		len -= (size_t)r;
	}
	return 0;
}

static int send_full(int fd, const void *buf, size_t len)
{
	const char *b = buf;
	while (len) {
		ssize_t r = send(fd, b, len, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		len -= (size_t)r;
	}
	return 0;
}

static int reply(int fd, uint32_t kind, int code, const void *data, size_t len)
{
	struct reply_msg m = {.kind = kind, .code = code, .len = len};
	if (send_full(fd, &m, sizeof m))
		return -1;
	return len ? send_full(fd, data, len) : 0;
}

/* Runs one message's items; the reply is the results, or the first failure. */
static int run_task(int fd, const struct task_msg *m, const char *arg)
{
	size_t cap = m->kind == MSG_TASK ? TL_PPOOL_RESULT_MAX : m->result_size;
	char *out = calloc(m->count ? m->count : 1, cap ? cap : 1);
	if (!out)
		return reply(fd, MSG_FAILED, ENOMEM, "worker: out of memory", 21);
	tl_ptask_fn fn = (tl_ptask_fn)(uintptr_t)m->fn;
	size_t written = 0;
	int rc = 0;
	for (uint32_t i = 0; i < m->count; i++) {
		in_task = true;
		task_code = 0;
		written = fn(arg + i * m->item_len, m->item_len, out + i * cap, cap);
		in_task = false;
		fflush(stdout);
		if (!task_code && written > cap) {
			task_code = EMSGSIZE;
			snprintf(task_message, sizeof task_message,
			         "the task wrote %zu result bytes, more than its %zu", written,
			         cap);
		}
		if (task_code) {
			char msg[sizeof task_message + 32];
			if (m->kind == MSG_CHUNK)
				snprintf(msg, sizeof msg, "item %u of the chunk: %s", i,
				         task_message);
			else
				snprintf(msg, sizeof msg, "%s", task_message);
			rc = reply(fd, MSG_FAILED, task_code, msg, strlen(msg));
			free(out);
			return rc;
		}
	}
	rc = reply(fd, MSG_DONE, 0, out, m->kind == MSG_TASK ? written : m->count * cap);
	free(out);
	return rc;
}

/* The worker process: never returns.  Its parent's end-of-file ends it. */
static void worker_main(int fd, void (*init)(void *), void *init_arg)
{
	/* The parent's unflushed output was copied in: drop it, or it would be
	 * printed twice. */
	__fpurge(stdout);
	__fpurge(stderr);
	pthread_setname_np(pthread_self(), "tl_ppool-worker"); /* in ps, and in tl_log lines */
	if (init)
		init(init_arg);
	fflush(stdout);
	if (reply(fd, MSG_READY, 0, NULL, 0))
		_exit(0);
	for (;;) {
		struct task_msg m;
		if (read_full(fd, &m, sizeof m) || m.kind == MSG_EXIT)
			_exit(0);
		size_t len = (size_t)m.count * m.item_len;
		char *arg = malloc(len ? len : 1);
		if (!arg || read_full(fd, arg, len))
			_exit(1);
		int rc = run_task(fd, &m, arg);
		free(arg);
		if (rc)
			_exit(0);
	}
}

/* ------------------------------------------------------------ references */

static void pool_drop(tl_ppool *p)
{
	ANNOTATE_HAPPENS_BEFORE(&p->refs); /* as in unref */
	if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1)
		return;
	ANNOTATE_HAPPENS_AFTER(&p->refs);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->changed);
	free(p->w);
	free(p->pfd);
	free(p->who);
	free(p->polled);
	free(p);
}

/* The acq_rel decrement orders every holder's last use before the free;
 * Helgrind and DRD do not see atomics, so the same edge is told to them. */
static void unref(tl_pfuture *f)
{
	ANNOTATE_HAPPENS_BEFORE(&f->refs);
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
		return;
	ANNOTATE_HAPPENS_AFTER(&f->refs);
	tl_ppool *p = f->pool;
	free(f->arg);
	free(f->message);
	free(f->data);
	free(f);
	pool_drop(p);
}

/* --------------------------------------------------------------- finishing */

static void notify_locked(tl_ppool *p)
{
	pthread_cond_broadcast(&p->changed);
	for (struct pwaiter *w = p->waiters; w; w = w->next)
		tl_bell_ring(w->bell);
}

/* Under mu.  Takes ownership of data and message; drops the pool's reference
 * (which a caller's reference outlives while the caller holds f). */
static void finish_locked(tl_pfuture *f, enum tl_future_state state, int code, char *message,
                          void *data, size_t len)
{
	tl_ppool *p = f->pool;
	f->state = state;
	f->code = state == TL_FUTURE_DONE ? 0 : code;
	f->message = message;
	f->data = data;
	f->len = len;
	f->finish_seq = ++p->finish_seq;
	notify_locked(p);
}

static char *text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *text(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* "died of SIGSEGV (Segmentation fault)" or "exited with status 3". */
static char *death(pid_t pid, int status, const char *when)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		const char *abbrev = sigabbrev_np(sig);
		return text("worker %d died of SIG%s (%s) %s", (int)pid, abbrev ? abbrev : "?",
		            strsignal(sig), when);
	}
	return text("worker %d exited with status %d %s", (int)pid, WEXITSTATUS(status), when);
}

static void cancel_queue_locked(tl_ppool *p, int code, const char *why)
{
	while (p->head) {
		tl_pfuture *f = p->head;
		p->head = f->next;
		finish_locked(f, code == ECANCELED ? TL_FUTURE_CANCELLED : TL_FUTURE_FAILED, code,
		              why ? strdup(why) : NULL, NULL, 0);
		unref(f);
	}
	p->tail = NULL;
}

/* ------------------------------------------------------------- the workers */

/* Held from socketpair to the parent's close of the worker's end, so that
 * no other pool's fork copies that end (a copy would keep the socket open
 * after the worker died mid-reply, and the collector's read would wait on
 * it).  The program's own forks are not covered: see tl_ppool.h. */
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;

/* Forks worker i.  The child closes this pool's other descriptors: they
 * are no business of its. */
static int spawn(tl_ppool *p, int i)
{
	int sv[2];
	pthread_mutex_lock(&spawn_lock);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		pthread_mutex_unlock(&spawn_lock);
		return errno;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		pthread_mutex_unlock(&spawn_lock);
		return e;
	}
	if (pid == 0) {
		pthread_mutex_unlock(&spawn_lock); /* the child's copy, held by its only thread */
		close(sv[0]);
		close(p->wake);
		for (int j = 0; j < p->nworkers; j++) {
			if (p->w[j].fd >= 0)
				close(p->w[j].fd);
			if (p->w[j].pidfd >= 0)
				close(p->w[j].pidfd);
		}
		worker_main(sv[1], p->init, p->init_arg);
	}
	close(sv[1]);
	pthread_mutex_unlock(&spawn_lock);
	/* Valgrind 3.19 does not know pidfd_open (it warns on each call and
	 * fails it): there the socket's end-of-file alone tells of a death. */
	int pidfd = RUNNING_ON_VALGRIND ? -1 : pidfd_open(pid, 0);
	if (pidfd >= 0)
		fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	pthread_mutex_lock(&p->mu);
	p->w[i] = (struct worker){.pid = pid, .fd = sv[0], .pidfd = pidfd, .state = W_STARTING};
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Tells an idle or starting worker to exit; a dead one does not mind. */
static void tell_exit(struct worker *w)
{
	struct task_msg m = {.kind = MSG_EXIT};
	send_full(w->fd, &m, sizeof m);
}

static void reap(struct worker *w, int *status)
{
	while (waitpid(w->pid, status, 0) < 0 && errno == EINTR)
		;
}

/* Worker i is dead, or must die because its task ran past timeout_ms (> 0):
 * its task (if any) fails, it is reaped, and a new worker takes its place
 * unless the pool is broken. */
static void replace(tl_ppool *p, int i, long timeout_ms)
{
	struct worker *w = &p->w[i];
	if (timeout_ms > 0)
		kill(w->pid, SIGKILL);
	close(w->fd);
	if (w->pidfd >= 0)
		close(w->pidfd);
	int status = 0;
	reap(w, &status);
	pthread_mutex_lock(&p->mu);
	tl_pfuture *f = w->task;
	enum worker_state was = w->state;
	int code = timeout_ms > 0 ? TL_PPOOL_KILLED : TL_PPOOL_CRASHED;
	char *why =
	    timeout_ms > 0
	        ? text("the task ran past its %ld ms: worker %d killed (SIGKILL) and replaced",
	               timeout_ms, (int)w->pid)
	        : death(w->pid, status, was == W_BUSY ? "while running the task" : "while idle");
	w->task = NULL;
	w->fd = w->pidfd = -1;
	w->state = W_GONE;
	if (was == W_STARTING && !p->broken) {
		p->broken = true;
		char *b = death(w->pid, status, "in its initializer: the pool is broken");
		cancel_queue_locked(p, TL_PPOOL_CRASHED, b);
		free(b);
	}
	if (f) {
		finish_locked(f, TL_FUTURE_FAILED, code, why, NULL, 0);
		why = NULL;
	}
	bool again = !p->broken;
	pthread_mutex_unlock(&p->mu);
	free(why);
	if (f)
		unref(f);
	int rc = again ? spawn(p, i) : 0;
	if (rc) {
		/* No worker in its place: rather than leave tasks queued for a worker
		 * that may never come, the pool breaks. */
		char *b = text("could not fork a replacement worker: %s", strerror(rc));
		pthread_mutex_lock(&p->mu);
		p->broken = true;
		cancel_queue_locked(p, TL_PPOOL_CRASHED, b);
		pthread_mutex_unlock(&p->mu);
		free(b);
	}
}

/* A reply from worker i, read in full (the worker wrote it in one go). */
static void read_reply(tl_ppool *p, int i)
{
	struct worker *w = &p->w[i];
	struct reply_msg m;
	char *data = NULL;
	if (read_full(w->fd, &m, sizeof m) ||
	    (m.len && (!(data = malloc(m.len)) || read_full(w->fd, data, m.len)))) {
		free(data);
		replace(p, i, 0);
		return;
	}
	pthread_mutex_lock(&p->mu);
	tl_pfuture *f = w->task;
	if (m.kind == MSG_READY) {
		w->state = W_IDLE;
	} else if (f) {
		char *message = NULL;
		if (m.kind == MSG_FAILED && (message = malloc(m.len + 1))) {
			if (m.len)
				memcpy(message, data, m.len);
			message[m.len] = 0;
		}
		if (m.kind == MSG_FAILED) {
			free(data);
			data = NULL;
		}
		finish_locked(f, m.kind == MSG_DONE ? TL_FUTURE_DONE : TL_FUTURE_FAILED, m.code,
		              message, data, m.kind == MSG_DONE ? m.len : 0);
		data = NULL;
		w->task = NULL;
		w->state = W_IDLE;
		w->deadline_ns = 0;
	}
	pthread_mutex_unlock(&p->mu);
	free(data);
	if (f)
		unref(f);
}

/* Under mu: hands the oldest queued task to worker i; the caller sends it
 * with the lock let go. */
static tl_pfuture *hand_out_locked(tl_ppool *p, int i)
{
	tl_pfuture *f = p->head;
	p->head = f->next;
	if (!p->head)
		p->tail = NULL;
	f->state = TL_FUTURE_RUNNING;
	f->worker = p->w[i].pid;
	p->w[i].task = f;
	p->w[i].state = W_BUSY;
	p->w[i].deadline_ns =
	    f->timeout_ms > 0 ? tl_mono_ns() + (uint64_t)f->timeout_ms * 1000000u : 0;
	return f;
}

static void send_task(tl_ppool *p, int i, tl_pfuture *f)
{
	struct task_msg m = {.kind = f->kind,
	                     .count = f->count,
	                     .fn = (uint64_t)(uintptr_t)f->fn,
	                     .item_len = f->item_len,
	                     .result_size = f->result_size};
	/* A failed send means the worker died: its end-of-file, seen by the
	 * next poll, fails the task. */
	if (!send_full(p->w[i].fd, &m, sizeof m))
		send_full(p->w[i].fd, f->arg, f->count * f->item_len);
}

static void *collector_main(void *arg)
{
	tl_ppool *p = arg;
	pthread_setname_np(pthread_self(), "tl_ppool-coll");
	struct pollfd *pfd = p->pfd;
	int *who = p->who;
	pid_t *pid = p->polled;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		for (int i = 0; i < p->nworkers && p->head; i++) {
			if (p->w[i].state != W_IDLE)
				continue;
			tl_pfuture *f = hand_out_locked(p, i);
			pthread_mutex_unlock(&p->mu);
			send_task(p, i, f);
			pthread_mutex_lock(&p->mu);
		}
		int busy = 0, n = 1;
		uint64_t next_deadline = 0;
		for (int i = 0; i < p->nworkers; i++) {
			struct worker *w = &p->w[i];
			if (w->state == W_GONE)
				continue;
			busy += w->state == W_BUSY;
			if (w->deadline_ns && (!next_deadline || w->deadline_ns < next_deadline))
				next_deadline = w->deadline_ns;
			pfd[n] = (struct pollfd){.fd = w->fd, .events = POLLIN};
			who[n++] = i;
			pfd[n] = (struct pollfd){.fd = w->pidfd, .events = POLLIN};
			pid[n] = w->pid;
			who[n++] = i;
		}
		if (p->shutting && !p->head && !busy)
			break;
		pthread_mutex_unlock(&p->mu);

		pfd[0] = (struct pollfd){.fd = p->wake, .events = POLLIN};
		int timeout = -1;
		if (next_deadline) {
			uint64_t now = tl_mono_ns();
			timeout =
			    next_deadline <= now ? 0 : (int)((next_deadline - now) / 1000000u) + 1;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			pfd[0].revents = 0;
		if (pfd[0].revents & POLLIN) {
			uint64_t v;
			if (read(p->wake, &v, sizeof v) < 0)
				v = 0;
		}
		/* Replies first: a worker that answered and then died had its answer
		 * counted before its death is. */
		for (int k = 1; k < n; k += 2)
			if (pfd[k].revents)
				read_reply(p, who[k]);
		for (int k = 2; k < n; k += 2)
			if (pfd[k].revents && p->w[who[k]].pid == pid[k])
				replace(p, who[k], 0);
		uint64_t now = tl_mono_ns();
		for (int i = 0; i < p->nworkers; i++) {
			struct worker *w = &p->w[i];
			if (w->state != W_BUSY || !w->deadline_ns || w->deadline_ns > now)
				continue;
			replace(p, i, w->task->timeout_ms);
		}
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	/* Every worker is idle or starting: told to exit, then reaped. */
	for (int i = 0; i < p->nworkers; i++)
		if (p->w[i].state != W_GONE)
			tell_exit(&p->w[i]);
	for (int i = 0; i < p->nworkers; i++) {
		struct worker *w = &p->w[i];
		if (w->state == W_GONE)
			continue;
		close(w->fd);
		if (w->pidfd >= 0)
			close(w->pidfd);
		int status;
		reap(w, &status);
		pthread_mutex_lock(&p->mu);
		w->fd = w->pidfd = -1;
		w->state = W_GONE;
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->stopped = true;
	notify_locked(p);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void wake_collector(tl_ppool *p)
{
	uint64_t one = 1;
	if (write(p->wake, &one, sizeof one) < 0)
		return; /* only a full counter fails: it is awake anyway */
}

/* ------------------------------------------------------------------ pool */

tl_ppool *tl_ppool_create(int workers, void (*init)(void *arg), void *init_arg)
{
	if (workers <= 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		workers = cpus > 0 ? (int)cpus : 1;
	}
	tl_ppool *p = calloc(1, sizeof *p);
	size_t slots = 2 * (size_t)workers + 1;
	if (!p || !(p->w = calloc((size_t)workers, sizeof *p->w)) ||
	    !(p->pfd = calloc(slots, sizeof *p->pfd)) ||
	    !(p->who = calloc(slots, sizeof *p->who)) ||
	    !(p->polled = calloc(slots, sizeof *p->polled))) {
		if (p) {
			free(p->w);
			free(p->pfd);
			free(p->who);
		}
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->nworkers = workers;
	p->init = init;
	p->init_arg = init_arg;
	p->owner = getpid();
	atomic_init(&p->refs, 1);
	for (int i = 0; i < workers; i++)
		p->w[i] = (struct worker){.fd = -1, .pidfd = -1, .state = W_GONE};
	int rc = 0;
	pthread_mutex_init(&p->mu, NULL);
	tl_cond_init_monotonic(&p->changed);
	p->wake = eventfd(0, EFD_CLOEXEC);
	if (p->wake < 0)
		rc = errno;
	for (int i = 0; i < workers && !rc; i++)
		rc = spawn(p, i);
	if (!rc)
		rc = pthread_create(&p->collector, NULL, collector_main, p);
	if (rc) {
		for (int i = 0; i < workers; i++)
			if (p->w[i].state != W_GONE)
				tell_exit(&p->w[i]);
		for (int i = 0; i < workers; i++) {
			if (p->w[i].state == W_GONE)
				continue;
			close(p->w[i].fd);
			if (p->w[i].pidfd >= 0)
				close(p->w[i].pidfd);
			int status;
			reap(&p->w[i], &status);
		}
		if (p->wake >= 0)
			close(p->wake);
		pool_drop(p);
		errno = rc;
		return NULL;
	}
	return p;
}

int tl_ppool_workers(const tl_ppool *p)
{
	if (!p) {
		errno = EINVAL;
		return -1;
	}
	return p->nworkers;
}

int tl_ppool_worker_pids(tl_ppool *p, pid_t *pids, int n)
{
	if (!p || (!pids && n > 0))
		return 0;
	int k = 0;
	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < p->nworkers && k < n; i++)
		if (p->w[i].state != W_GONE)
			pids[k++] = p->w[i].pid;
	pthread_mutex_unlock(&p->mu);
	return k;
}

static tl_pfuture *submit(tl_ppool *p, tl_ptask_fn fn, uint32_t kind, const void *arg,
                          size_t item_len, uint32_t count, size_t result_size, long timeout_ms)
{
	if (!p || !fn || (!arg && item_len && count) || p->owner != getpid()) {
		errno = EINVAL;
		return NULL;
	}
	if (count && item_len > TL_PPOOL_ARG_MAX / count) {
		errno = E2BIG;
		return NULL;
	}
	tl_pfuture *f = calloc(1, sizeof *f);
	size_t len = item_len * count;
	if (!f || !(f->arg = malloc(len ? len : 1))) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	if (len)
		memcpy(f->arg, arg, len);
	f->pool = p;
	f->fn = fn;
	f->kind = kind;
	f->count = count;
	f->item_len = item_len;
	f->result_size = result_size;
	f->timeout_ms = timeout_ms;
	f->state = TL_FUTURE_PENDING;
	atomic_init(&f->refs, 2);
	pthread_mutex_lock(&p->mu);
	int refused = p->shutting ? ESHUTDOWN : p->broken ? TL_PPOOL_CRASHED : 0;
	if (!refused) {
		atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
		if (p->tail)
			p->tail->next = f;
		else
			p->head = f;
		p->tail = f;
	}
	pthread_mutex_unlock(&p->mu);
	if (refused) {
		free(f->arg);
		free(f);
		errno = refused;
		return NULL;
	}
	wake_collector(p);
	return f;
}

tl_pfuture *tl_ppool_submit_timeout(tl_ppool *p, tl_ptask_fn fn, const void *arg, size_t len,
                                    long timeout_ms)
{
	return submit(p, fn, MSG_TASK, arg, len, 1, TL_PPOOL_RESULT_MAX, timeout_ms);
}

tl_pfuture *tl_ppool_submit(tl_ppool *p, tl_ptask_fn fn, const void *arg, size_t len)
{
	return tl_ppool_submit_timeout(p, fn, arg, len, 0);
}

/* One wait step under p->mu (see struct pwaiter): 0 or ETIMEDOUT. */
static int wait_step(tl_ppool *p, struct pwaiter *w, long timeout_ms,
                     const struct timespec *deadline)
{
	if (timeout_ms > 0 && w->bell < 0) {
		w->bell = tl_bell_open();
		if (w->bell < 0)
			return -w->bell;
		w->next = p->waiters;
		p->waiters = w;
	}
	int rc = tl_bell_cond_wait(&p->mu, &p->changed, w->bell, timeout_ms, deadline);
	if (w->bell >= 0)
		tl_bell_silence(w->bell);
	return rc ? -rc : 0;
}

static void wait_end(tl_ppool *p, struct pwaiter *w)
{
	if (w->bell < 0)
		return;
	for (struct pwaiter **l = &p->waiters; *l; l = &(*l)->next)
		if (*l == w) {
			*l = w->next;
			break;
		}
	tl_bell_close(w->bell);
}

void tl_ppool_shutdown(tl_ppool *p, bool wait, bool cancel_pending)
{
	if (!p || p->owner != getpid())
		return;
	pthread_mutex_lock(&p->mu);
	p->shutting = true;
	if (cancel_pending)
		cancel_queue_locked(p, ECANCELED, "cancelled");
	pthread_mutex_unlock(&p->mu);
	wake_collector(p);
	pthread_mutex_lock(&p->mu);
	while (wait && !p->stopped)
		pthread_cond_wait(&p->changed, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void tl_ppool_free(tl_ppool *p)
{
	if (!p || p->owner != getpid())
		return;
	tl_ppool_shutdown(p, true, false);
	pthread_join(p->collector, NULL);
	close(p->wake);
	pool_drop(p);
}

/* --------------------------------------------------------------- futures */

static bool is_final(enum tl_future_state s)
{
	return s == TL_FUTURE_DONE || s == TL_FUTURE_FAILED || s == TL_FUTURE_CANCELLED;
}

enum tl_future_state tl_pfuture_state(tl_pfuture *f)
{
	if (!f) {
		errno = EINVAL;
		return TL_FUTURE_FAILED;
	}
	pthread_mutex_lock(&f->pool->mu);
	enum tl_future_state s = f->state;
	pthread_mutex_unlock(&f->pool->mu);
	return s;
}

/* Under mu: waits until f is final; 0 or ETIMEDOUT. */
static int wait_final_locked(tl_pfuture *f, long timeout_ms)
{
	tl_ppool *p = f->pool;
	struct timespec deadline = tl_deadline_after(timeout_ms > 0 ? timeout_ms : 0);
	struct pwaiter w = {.bell = -1};
	int rc = 0;
	while (!is_final(f->state) && !rc)
		rc = wait_step(p, &w, timeout_ms, &deadline);
	wait_end(p, &w);
	return is_final(f->state) ? 0 : rc ? rc : ETIMEDOUT;
}

int tl_pfuture_wait(tl_pfuture *f, long timeout_ms)
{
	if (!f)
		return EINVAL;
	pthread_mutex_lock(&f->pool->mu);
	int rc = wait_final_locked(f, timeout_ms);
	pthread_mutex_unlock(&f->pool->mu);
	return rc;
}

int tl_pfuture_result_wait(tl_pfuture *f, long timeout_ms, const void **data, size_t *len)
{
	if (data)
		*data = NULL;
	if (len)
		*len = 0;
	if (!f)
		return EINVAL;
	pthread_mutex_lock(&f->pool->mu);
	int rc = wait_final_locked(f, timeout_ms);
	if (!rc) {
		rc = f->state == TL_FUTURE_CANCELLED ? ECANCELED : f->code;
		if (f->state == TL_FUTURE_DONE) {
			if (data)
				*data = f->data;
			if (len)
				*len = f->len;
		}
	}
	pthread_mutex_unlock(&f->pool->mu);
	return rc;
}

int tl_pfuture_error(tl_pfuture *f, const char **message)
{
	if (message)
		*message = NULL;
	if (!f)
		return EINVAL;
	pthread_mutex_lock(&f->pool->mu);
	wait_final_locked(f, -1);
	int rc = f->state == TL_FUTURE_CANCELLED ? ECANCELED : f->code;
	if (message)
		*message = f->state == TL_FUTURE_CANCELLED ? "cancelled" : f->message;
	pthread_mutex_unlock(&f->pool->mu);
	return rc;
}

pid_t tl_pfuture_worker(tl_pfuture *f)
{
	if (!f)
		return 0;
	pthread_mutex_lock(&f->pool->mu);
	pid_t pid = f->worker;
	pthread_mutex_unlock(&f->pool->mu);
	return pid;
}

bool tl_pfuture_cancel(tl_pfuture *f)
{
	if (!f)
		return false;
	tl_ppool *p = f->pool;
	bool unlinked = false;
	pthread_mutex_lock(&p->mu);
	if (f->state == TL_FUTURE_PENDING) {
		tl_pfuture *prev = NULL;
		for (tl_pfuture *q = p->head; q; prev = q, q = q->next) {
			if (q != f)
				continue;
			if (prev)
				prev->next = f->next;
			else
				p->head = f->next;
			if (p->tail == f)
				p->tail = prev;
			unlinked = true;
			break;
		}
		finish_locked(f, TL_FUTURE_CANCELLED, ECANCELED, NULL, NULL, 0);
	}
	bool cancelled = f->state == TL_FUTURE_CANCELLED;
	pthread_mutex_unlock(&p->mu);
	if (unlinked)
		unref(f);
	return cancelled;
}

void tl_pfuture_free(tl_pfuture *f)
{
	if (f)
		unref(f);
}

/* ------------------------------------------------------- several futures */

static tl_ppool *one_pool(tl_pfuture **fs, size_t n)
{
	if (!fs && n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!fs[i] || fs[i]->pool != fs[0]->pool)
			return NULL;
	return n ? fs[0]->pool : NULL;
}

static bool wait_holds_locked(tl_pfuture **fs, size_t n, enum tl_wait_until until)
{
	size_t done = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		done += is_final(fs[i]->state);
		failed += fs[i]->state == TL_FUTURE_FAILED;
	}
	if (until == TL_FIRST_COMPLETED)
		return done > 0;
	if (until == TL_FIRST_FAILED && failed)
		return true;
	return done == n;
}

int tl_ppool_wait(tl_pfuture **fs, size_t n, enum tl_wait_until until, long timeout_ms)
{
	if (until != TL_FIRST_COMPLETED && until != TL_FIRST_FAILED && until != TL_ALL_COMPLETED)
		return EINVAL;
	if (n == 0)
		return 0;
	tl_ppool *p = one_pool(fs, n);
	if (!p)
		return EINVAL;
	struct timespec deadline = tl_deadline_after(timeout_ms > 0 ? timeout_ms : 0);
	struct pwaiter w = {.bell = -1};
	int rc = 0;
	pthread_mutex_lock(&p->mu);
	while (!wait_holds_locked(fs, n, until) && !rc)
		rc = wait_step(p, &w, timeout_ms, &deadline);
	if (wait_holds_locked(fs, n, until))
		rc = 0;
	wait_end(p, &w);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

struct tl_pcompletion {
	tl_ppool *pool;
	size_t n, left;
	tl_pfuture **fs; /* a reference each, until tl_pcompletion_free */
	bool *given;
};

tl_pcompletion *tl_ppool_as_completed(tl_pfuture **fs, size_t n)
{
	tl_ppool *p = one_pool(fs, n);
	if (n && !p) {
		errno = EINVAL;
		return NULL;
	}
	tl_pcompletion *c = calloc(1, sizeof *c);
	if (!c || !(c->fs = malloc((n ? n : 1) * sizeof(tl_pfuture *))) ||
	    !(c->given = calloc(n ? n : 1, sizeof *c->given))) {
		if (c)
			free(c->fs);
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->pool = p;
	c->n = c->left = n;
	for (size_t i = 0; i < n; i++) {
		c->fs[i] = fs[i];
		atomic_fetch_add_explicit(&fs[i]->refs, 1, memory_order_relaxed);
	}
	return c;
}

tl_pfuture *tl_pcompletion_next(tl_pcompletion *c, long timeout_ms)
{
	if (!c) {
		errno = EINVAL;
		return NULL;
	}
	if (!c->left) {
		errno = 0;
		return NULL;
	}
	tl_ppool *p = c->pool;
	struct timespec deadline = tl_deadline_after(timeout_ms > 0 ? timeout_ms : 0);
	struct pwaiter w = {.bell = -1};
	tl_pfuture *found = NULL;
	int rc = 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		size_t best = c->n;
		for (size_t i = 0; i < c->n; i++)
			if (!c->given[i] && is_final(c->fs[i]->state) &&
			    (best == c->n || c->fs[i]->finish_seq < c->fs[best]->finish_seq))
				best = i;
		if (best < c->n) {
			found = c->fs[best];
			c->given[best] = true;
			c->left--;
			break;
		}
		if (rc)
			break;
		rc = wait_step(p, &w, timeout_ms, &deadline);
	}
	wait_end(p, &w);
	pthread_mutex_unlock(&p->mu);
	if (found)
		return found;
	errno = rc ? rc : ETIMEDOUT;
	return NULL;
}

void tl_pcompletion_free(tl_pcompletion *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		unref(c->fs[i]);
	free(c->fs);
	free(c->given);
	free(c);
}

/* ------------------------------------------------------------------- map */

int tl_ppool_map(tl_ppool *p, tl_ptask_fn fn, const void *args, size_t arg_size, void *results,
                 size_t result_size, size_t n, size_t chunk, long timeout_ms)
{
	if (!p || !fn || (n && (!args || !results)) || !result_size)
		return EINVAL;
	if (!chunk)
		chunk = 1;
	size_t nchunks = (n + chunk - 1) / chunk;
	memset(results, 0, n * result_size);
	tl_pfuture **fs = calloc(nchunks ? nchunks : 1, sizeof(tl_pfuture *));
	if (!fs)
		return ENOMEM;
	int rc = 0;
	size_t submitted = 0;
	for (; submitted < nchunks; submitted++) {
		size_t first = submitted * chunk;
		size_t count = n - first < chunk ? n - first : chunk;
		fs[submitted] = submit(p, fn, MSG_CHUNK, (const char *)args + first * arg_size,
		                       arg_size, (uint32_t)count, result_size, timeout_ms);
		if (!fs[submitted]) {
			rc = errno;
			break;
		}
	}
	int first_failure = 0;
	for (size_t k = 0; k < submitted; k++) {
		if (rc || first_failure)
			tl_pfuture_cancel(fs[k]);
		const void *data;
		size_t len;
		int code = tl_pfuture_result_wait(fs[k], -1, &data, &len);
		if (!rc && !first_failure && code)
			first_failure = code;
		if (!rc && !first_failure && len)
			memcpy((char *)results + k * chunk * result_size, data, len);
		tl_pfuture_free(fs[k]);
	}
	free(fs);
	if (rc)
		memset(results, 0, n * result_size);
	return rc ? rc : first_failure;
}
