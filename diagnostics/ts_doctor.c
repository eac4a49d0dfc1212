/* ts_doctor — a verdict on a stuck process (see ts_doctor.h).
 *
 * What a glibc 2.36 thread blocked on a lock looks like (measured on the
 * deadlock labs, x86_64): /proc/PID/task/TID/syscall shows futex (202) with
 * op FUTEX_WAIT|FUTEX_PRIVATE_FLAG (0x80), expected value 2, on the mutex's
 * first word, and that word holds 2 (locked, with waiters).  The mutex keeps
 * its owner's TID at offset 8 (__data.__owner), for every mutex type.  A
 * robust mutex's word is its owner's TID with FUTEX_WAITERS set, and a PI
 * mutex waits in FUTEX_LOCK_PI with the owner's TID in the word.
 *
 * Other futex waits must not be taken for locks (measured too):
 *   - pthread_join waits with FUTEX_WAIT_BITSET (op 0x109) on the joined
 *     thread's tid field, expecting (and holding) that TID: "join";
 *   - pthread_cond_wait waits on __g_signals, expecting 0; the word 8 bytes
 *     further is whatever follows, and may hold anything;
 *   - barriers and semaphores wait on counters that are rarely 2.
 * So a wait counts as a wait for a mutex only when the word still holds what
 * the thread expects, looks like a locked mutex (2, or TID|FUTEX_WAITERS)
 * AND the owner field names a thread of this very process.  A join is an
 * edge waiter -> joined thread as well.  An edge
 * waiter -> owner must be seen the same at both looks: a lock handed on in
 * between makes no edge, so a cycle is never assembled from two moments.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "ts_doctor.h"
#include "ts_mem.h"
#include "ts_sample.h"
#include "tl_clock.h"
#include "tl_procfs.h"
#include "tl_exit.h"
#include "tl_watchdog.h"

#include <dirent.h>
#include <elf.h> /* STT_FUNC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_CMD_MASK       127
#define FUTEX_PRIVATE        128
#define FUTEX_OP_WAIT        0
#define FUTEX_OP_LOCK_PI     6
#define FUTEX_OP_WAIT_BITSET 9
#define FUTEX_OP_LOCK_PI2    13
#define FUTEX_WAITERS_BIT    0x80000000u
#define FUTEX_TID_BITS       0x3fffffffu

#define MUTEX_OWNER_OFFSET 8 /* glibc's struct __pthread_mutex_s: __owner */
#define LOCKED_CONTENDED   2 /* lll_lock: locked, and somebody waits */

/* glibc keeps the stacks of ended threads for reuse up to this much. */
#define GLIBC_STACK_CACHE ((size_t)40 << 20)

#define DOCTOR_ROWS 32 /* threads listed; a crowd is summed up */

/* Glances at who waits for whom, spread over the window, the two looks
 * included.  A thread woken by an unlock reads "running" in its syscall
 * file until it is back in its futex wait, and under load it waits for a
 * CPU for much of that time: on perf/giant-lock's broken program (2
 * workers, load 4 to 13) 1 to 12 glances in 20 showed it waiting; at the
 * others both workers read "running".  So a wait only points at the
 * mutex; from the first one seen on, each glance reads the mutex itself,
 * and some thread must hold it and run at two thirds of those glances (at
 * least a quarter of the window's).  Threads that take turns also ran,
 * together, for no more than about one CPU's worth of the window. */
#define GLANCES        20
#define SERIAL_WATCHED 8 /* mutexes read at each glance, once seen contended */
/* Together on CPU for at most 5/4 of the window: one CPU and the hand-overs. */
#define SERIAL_CPU_NUM 5
#define SERIAL_CPU_DEN 4

enum wait_kind {
	WAIT_NONE,   /* not in a futex wait */
	WAIT_MUTEX,  /* for a mutex held by a thread of this process */
	WAIT_JOIN,   /* for a thread of this process to end */
	WAIT_ORPHAN, /* for a locked mutex whose owner is no thread of ours */
	WAIT_FUTEX,  /* some other futex: condition variable, barrier ... */
};

/* One look at one thread. */
struct look {
	bool ok; /* stat was read: the thread was there */
	char state;
	char comm[64];
	bool sched_ok;
	uint64_t busy_ns; /* on CPU + waiting for one, since it started */
	uint64_t cpu_ns;  /* on CPU alone */
	int stat_rc; /* reading stat: 0, or a negative errno (-EINVAL: not the kernel's format) */
	int sc_rc;   /* reading syscall: 0 or a negative errno */
	struct tl_task_syscall sc;
	enum wait_kind kind;
	uint64_t uaddr; /* the futex word (WAIT_*) */
	bool word_ok;   /* the word could be read */
	uint32_t word;
	pid_t other; /* WAIT_MUTEX, _ORPHAN: owner; WAIT_JOIN: the joined thread */
	char wchan[64];
	bool timed;       /* the system call it is in has a timeout */
	bool shared;      /* a futex wait without FUTEX_PRIVATE_FLAG: other processes may wake it */
	int fd;           /* a read's descriptor, or -1 */
	char fd_link[64]; /* what that descriptor names */
};

/* What one glance saw of a thread's waiting. */
struct glance {
	bool ok; /* its syscall file was read */
	enum wait_kind kind;
	uint64_t uaddr;
	pid_t other;
};

struct thr {
	pid_t tid;
	struct look l[2];
	struct glance g[GLANCES]; /* g[0] and g[GLANCES - 1] are the two looks */
	int held, waited;         /* glances it held, or waited for, the serialising mutex */
	int next;                 /* index of the owner it waits for, at both looks; -1 */
	int cycle;                /* number of the cycle it is in, or -1 */
	bool runtime;             /* a sanitizer runtime's own thread, not the program's */
};

struct doc {
	const char *root;
	pid_t pid;
	char comm[64];
	struct thr *t;
	size_t n;
	int mem_fd;  /* or a negative errno */
	bool denied; /* ptrace rules kept memory or syscalls from us */
	struct ts_syms syms;
	int syms_rc;
	struct ts_syms funcs; /* the executable's functions, read only for a sanitizer build */
	const struct ts_sym *counter_sym;
	bool counter_ok[2];
	uint64_t counter[2];
	uint64_t at_ns[2];
	size_t alive;      /* threads there at the second look */
	size_t stack_size; /* a thread stack's, as glibc makes them by default */
	int stacks;        /* thread stacks mapped, or a negative errno */
	/* Mutexes seen with a waiter and a running holder, read at every
	 * glance from the first such sighting on: who held each. */
	size_t nwatched;
	uint64_t watched[SERIAL_WATCHED];
	int watched_from[SERIAL_WATCHED];     /* the glance it was first seen at */
	pid_t owner[SERIAL_WATCHED][GLANCES]; /* its holder at that glance; 0 free or unread */
	int orphans_rc; /* the stacks no thread's sp is in (threadstat -o mem's numbers) */
	size_t orphans, unplaced; /* unplaced: threads without a stack pointer (running) */
	unsigned long long orphans_kb;
};

/* What the doctor makes of the two looks. */
struct verdict {
	enum ts_verdict kind;
	const char *word; /* "deadlock", "livelock", "stuck", "thread-leak", "busy", "idle" */
	int code;         /* the exit code */
	int cycles;
	uint64_t window_ns; /* between the two looks */
	uint64_t max_busy;  /* the busiest thread's busy_delta */
	bool cpu_moving;    /* the watchdog's rule: busy for a fifth of the window */
	bool counter_known; /* tl_progress_counter read at both looks */
	/* Serialised: this mutex was held by a running thread at most glances
	 * and waited for at some; its holders and waiters were on CPU
	 * together for about one CPU's worth of the window. */
	bool serialised;
	size_t serial;          /* index in watched[] */
	int serial_turns;       /* glances with a waiter and a running holder */
	int serial_looked;      /* glances the mutex was read at */
	int serial_held;        /* ... and held by a running thread */
	uint64_t serial_cpu_ns; /* the holders' and waiters' CPU time, summed */
};

static bool is_denied(int rc)
{
	return rc == -EACCES || rc == -EPERM;
}

static int find_tid(const struct doc *d, pid_t tid)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->t[i].tid == tid)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ looking */

/* What a thread in a futex system call waits for. */
static void classify_futex(struct doc *d, struct look *l)
{
	unsigned op = (unsigned)(l->sc.args[1] & FUTEX_CMD_MASK);
	int32_t owner = 0;

	if (op != FUTEX_OP_WAIT && op != FUTEX_OP_WAIT_BITSET && op != FUTEX_OP_LOCK_PI &&
	    op != FUTEX_OP_LOCK_PI2)
		return; /* a wake, a requeue ...: no wait */
	l->kind = WAIT_FUTEX;
	l->uaddr = l->sc.args[0];
	l->timed = l->sc.args[3] != 0; /* the timeout's pointer */
	l->shared = (l->sc.args[1] & FUTEX_PRIVATE) == 0;
	if (d->mem_fd < 0)
		return;
	if (ts_mem_read(d->mem_fd, l->uaddr, &l->word, sizeof(l->word)) != 0)
		return;
	l->word_ok = true;
	if (op == FUTEX_OP_LOCK_PI || op == FUTEX_OP_LOCK_PI2) {
		owner = (int32_t)(l->word & FUTEX_TID_BITS);
	} else {
		/* A waiter whose word no longer holds what it expects is
		 * being woken: it waits for nothing. */
		if (l->word != (uint32_t)l->sc.args[2]) {
			l->kind = WAIT_NONE;
			return;
		}
		if (l->word == LOCKED_CONTENDED ||
		    ((l->word & FUTEX_WAITERS_BIT) && (l->word & FUTEX_TID_BITS) != 0)) {
			if (ts_mem_read(d->mem_fd, l->uaddr + MUTEX_OWNER_OFFSET, &owner,
			                sizeof(owner)) != 0)
				owner = 0;
			if (l->word != LOCKED_CONTENDED &&
			    (uint32_t)owner != (l->word & FUTEX_TID_BITS))
				owner = 0; /* a robust mutex names its owner twice */
		}
	}
	if (owner > 0) {
		/* An owner that is no thread of ours: the lock's holder ended
		 * without unlocking, or this is no mutex after all (hence no
		 * edge, only a description). */
		l->kind = find_tid(d, owner) >= 0 ? WAIT_MUTEX : WAIT_ORPHAN;
		l->other = owner;
		return;
	}
	/* pthread_join waits on the joined thread's tid field, which holds
	 * that tid until the thread ends. */
	if (op == FUTEX_OP_WAIT_BITSET || op == FUTEX_OP_WAIT) {
		if (l->word > 0 && l->word <= INT32_MAX && find_tid(d, (pid_t)l->word) >= 0) {
			l->kind = WAIT_JOIN;
			l->other = (pid_t)l->word;
		}
	}
}

/* Whether a blocking system call other than futex was given a timeout, and
 * for a read, what its descriptor names. */
static void classify_syscall(struct doc *d, struct look *l)
{
	const unsigned long long *a = l->sc.args;
	char path[64];
	ssize_t n;

	switch (l->sc.nr) {
	case SYS_nanosleep:
	case SYS_clock_nanosleep:
		l->timed = true;
		break;
	case SYS_poll:
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
		l->timed = (int)(a[l->sc.nr == SYS_poll ? 2 : 3] & 0xffffffffu) >= 0;
		break;
	case SYS_ppoll:
	case SYS_rt_sigtimedwait:
		l->timed = a[2] != 0;
		break;
	case SYS_select:
	case SYS_pselect6:
		l->timed = a[4] != 0;
		break;
	case SYS_read:
	case SYS_readv:
		if (a[0] > INT32_MAX)
			break;
		l->fd = (int)a[0];
		snprintf(path, sizeof(path), "%s/%d/fd/%d", d->root, (int)d->pid, l->fd);
		n = readlink(path, l->fd_link, sizeof(l->fd_link) - 1);
		l->fd_link[n > 0 ? n : 0] = '\0';
		break;
	default:
		break;
	}
}

static void look_at(struct doc *d, struct thr *t, int k)
{
	struct look *l = &t->l[k];
	struct tl_task_stat st;
	struct tl_task_sched ss;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if ((l->stat_rc = tl_procfs_read_task_stat(d->root, d->pid, t->tid, &st)) != 0)
		return; /* gone (or unreadable, which here means the same) */
	l->ok = true;
	l->state = st.state;
	memcpy(l->comm, st.comm, sizeof(l->comm));
	if (tl_procfs_read_schedstat(d->root, d->pid, t->tid, &ss) == 0) {
		l->sched_ok = true;
		l->busy_ns = ss.cpu_ns + ss.wait_ns;
		l->cpu_ns = ss.cpu_ns;
	}
	if (tl_procfs_read_wchan(d->root, d->pid, t->tid, l->wchan, sizeof(l->wchan)) != 0)
		strcpy(l->wchan, "-");
	l->sc_rc = tl_procfs_read_syscall(d->root, d->pid, t->tid, &l->sc);
	if (is_denied(l->sc_rc))
		d->denied = true;
	if (l->sc_rc == 0 && l->sc.state == TL_SYSCALL_IN && l->sc.nr == SYS_futex)
		classify_futex(d, l);
	else if (l->sc_rc == 0 && l->sc.state == TL_SYSCALL_IN)
		classify_syscall(d, l);
}

/* A thread in pthread_mutex_lock's futex wait (expecting 2) whose word
 * reads 1 has been woken by an unlock, but another thread has locked the
 * mutex again since (glibc's mutexes let a running thread barge in): it
 * will find it locked and wait again.  classify_futex calls that "being
 * woken", rightly for a cycle, which must stand still; for a glance at who
 * takes turns it is still a wait for the holder.  Only an owner that is a
 * thread of ours counts. */
static void woken_to_wait_again(struct doc *d, struct look *l)
{
	int32_t owner;

	if ((l->sc.args[1] & FUTEX_CMD_MASK) != FUTEX_OP_WAIT ||
	    l->sc.args[2] != LOCKED_CONTENDED || !l->word_ok || l->word != 1 ||
	    ts_mem_read(d->mem_fd, l->uaddr + MUTEX_OWNER_OFFSET, &owner, sizeof(owner)) != 0 ||
	    owner <= 0 || find_tid(d, owner) < 0)
		return;
	l->kind = WAIT_MUTEX;
	l->other = owner;
}

/* The thread that holds the mutex t waits for at glance g, if that thread
 * waits for nothing itself (it runs, or is in some other system call): -1
 * otherwise. */
static int running_holder(const struct doc *d, const struct thr *t, int g)
{
	const struct glance *w = &t->g[g];
	int j;

	if (!w->ok || w->kind != WAIT_MUTEX || w->other == t->tid)
		return -1;
	j = find_tid(d, w->other);
	if (j < 0 || !d->t[j].g[g].ok || d->t[j].g[g].kind != WAIT_NONE)
		return -1;
	return j;
}

/* Starts watching the mutexes glance g shows contended, and reads who
 * holds each watched one now. */
static void watch_mutexes(struct doc *d, int g)
{
	for (size_t i = 0; i < d->n; i++) {
		uint64_t m = d->t[i].g[g].uaddr;
		size_t k;

		if (running_holder(d, &d->t[i], g) < 0)
			continue;
		for (k = 0; k < d->nwatched && d->watched[k] != m; k++)
			;
		if (k == d->nwatched && k < SERIAL_WATCHED) {
			d->watched[k] = m;
			d->watched_from[k] = g;
			d->nwatched++;
		}
	}
	for (size_t k = 0; k < d->nwatched; k++) {
		uint32_t word;
		int32_t owner;

		if (ts_mem_read(d->mem_fd, d->watched[k], &word, sizeof(word)) == 0 && word != 0 &&
		    ts_mem_read(d->mem_fd, d->watched[k] + MUTEX_OWNER_OFFSET, &owner,
		                sizeof(owner)) == 0 &&
		    owner > 0 && find_tid(d, owner) >= 0)
			d->owner[k][g] = owner;
	}
}

/* One glance: what each thread waits for, from its syscall file alone. */
static void glance_at(struct doc *d, int g)
{
	for (size_t i = 0; i < d->n; i++) {
		struct look l;

		memset(&l, 0, sizeof(l));
		if (tl_procfs_read_syscall(d->root, d->pid, d->t[i].tid, &l.sc) != 0)
			continue;
		if (l.sc.state == TL_SYSCALL_IN && l.sc.nr == SYS_futex) {
			classify_futex(d, &l);
			if (l.kind == WAIT_NONE)
				woken_to_wait_again(d, &l);
		}
		d->t[i].g[g] = (struct glance){true, l.kind, l.uaddr, l.other};
	}
	watch_mutexes(d, g);
}

/* A full look is a glance too (its own kinds stay as the cycles need them). */
static void glance_from_look(struct doc *d, int k, int g)
{
	for (size_t i = 0; i < d->n; i++) {
		struct look l = d->t[i].l[k];

		if (l.kind == WAIT_NONE && l.sc_rc == 0 && l.sc.state == TL_SYSCALL_IN &&
		    l.sc.nr == SYS_futex)
			woken_to_wait_again(d, &l);
		d->t[i].g[g] = (struct glance){l.ok && l.sc_rc == 0, l.kind, l.uaddr, l.other};
	}
	watch_mutexes(d, g);
}

static void look(struct doc *d, int k)
{
	size_t i;

	d->at_ns[k] = tl_mono_ns();
	if (d->counter_sym != NULL && d->mem_fd >= 0)
		d->counter_ok[k] = ts_mem_read(d->mem_fd, d->counter_sym->addr, &d->counter[k],
		                               sizeof(d->counter[k])) == 0;
	for (i = 0; i < d->n; i++)
		look_at(d, &d->t[i], k);
}

/* Lists the threads.  0 or a negative errno. */
static int list_threads(struct doc *d)
{
	size_t cap = 64;

	for (;;) {
		pid_t *tids = calloc(cap, sizeof(*tids));
		int n, i;

		if (tids == NULL)
			return -ENOMEM;
		n = tl_procfs_list_tasks(d->root, d->pid, tids, cap);
		if (n < 0) {
			free(tids);
			return n;
		}
		if ((size_t)n > cap) {
			free(tids);
			cap = (size_t)n + 64; /* more came: try again */
			continue;
		}
		d->t = calloc(n > 0 ? (size_t)n : 1, sizeof(*d->t));
		if (d->t == NULL) {
			free(tids);
			return -ENOMEM;
		}
		for (i = 0; i < n; i++) {
			d->t[i].tid = tids[i];
			d->t[i].next = -1;
			d->t[i].cycle = -1;
		}
		d->n = (size_t)n;
		free(tids);
		return 0;
	}
}

/* ------------------------------------------------------------------ cycles */

/* Each thread waits for at most one owner, so the wait-for graph is a
 * function: follow it from every thread, and a walk that meets itself has
 * found a cycle.  Returns the number of cycles. */
static int find_cycles(struct doc *d)
{
	int *mark = calloc(d->n ? d->n : 1, sizeof(*mark)); /* 0 new, walk number + 1 */
	int cycles = 0;
	size_t i;

	if (mark == NULL)
		return 0;
	for (i = 0; i < d->n; i++) {
		const struct look *a = &d->t[i].l[0], *b = &d->t[i].l[1];
		int j;

		/* A join waits for a thread as surely as a lock does: threads
		 * joining each other round a ring are deadlocked too. */
		if (!a->ok || !b->ok || (b->kind != WAIT_MUTEX && b->kind != WAIT_JOIN) ||
		    a->kind != b->kind || a->uaddr != b->uaddr || a->other != b->other)
			continue;
		j = find_tid(d, b->other);
		if (j >= 0 && d->t[j].l[1].ok)
			d->t[i].next = j;
	}
	for (i = 0; i < d->n; i++) {
		int walk = (int)i + 1, j = (int)i;

		while (j >= 0 && mark[j] == 0) {
			mark[j] = walk;
			j = d->t[j].next;
		}
		if (j >= 0 && mark[j] == walk) {
			/* j is on a cycle met in this very walk */
			int k = j;

			do {
				d->t[k].cycle = cycles;
				k = d->t[k].next;
			} while (k != j);
			cycles++;
		}
	}
	free(mark);
	return cycles;
}

/* ------------------------------------------------------------------ turns */

static uint64_t busy_delta(const struct thr *t)
{
	const struct look *a = &t->l[0], *b = &t->l[1];

	if (!a->ok || !b->ok || !a->sched_ok || !b->sched_ok || b->busy_ns < a->busy_ns)
		return 0;
	return b->busy_ns - a->busy_ns;
}

/* Glances at which some thread waited for `mutex` while its holder ran. */
static int turn_glances(const struct doc *d, uint64_t mutex)
{
	int n = 0;

	for (int g = 0; g < GLANCES; g++)
		for (size_t i = 0; i < d->n; i++)
			if (d->t[i].g[g].uaddr == mutex && running_holder(d, &d->t[i], g) >= 0) {
				n++;
				break;
			}
	return n;
}

/* Busy but serialised, on the watched mutex seen contended most often: at
 * some glance a thread waited for it while its holder ran; it was read at a quarter of the glances
 * or more and held by a running thread at two thirds of those; every thread that was busy over the
 * window is among its holders and waiters (nothing ran beside it); and those ran, together, for at
 * most 5/4 of the window (they took turns).  Fills v->serial* and each thread's held and waited
 * counts. */
static bool find_serialised(struct doc *d, struct verdict *v)
{
	size_t k;

	for (k = 0; k < d->nwatched; k++) {
		int n = turn_glances(d, d->watched[k]);

		if (n > v->serial_turns) {
			v->serial_turns = n;
			v->serial = k;
		}
	}
	if (v->serial_turns == 0)
		return false;
	k = v->serial;
	v->serial_looked = GLANCES - d->watched_from[k];
	for (int g = d->watched_from[k]; g < GLANCES; g++) {
		int j = d->owner[k][g] > 0 ? find_tid(d, d->owner[k][g]) : -1;

		if (j < 0 || !d->t[j].g[g].ok || d->t[j].g[g].kind != WAIT_NONE)
			continue;
		v->serial_held++;
		d->t[j].held++;
		for (size_t i = 0; i < d->n; i++)
			if (d->t[i].g[g].kind == WAIT_MUTEX &&
			    d->t[i].g[g].uaddr == d->watched[k] && (int)i != j)
				d->t[i].waited++;
	}
	if (v->serial_looked * 4 < GLANCES || v->serial_held * 3 < v->serial_looked * 2)
		return false;
	for (size_t i = 0; i < d->n; i++) {
		const struct thr *t = &d->t[i];

		if (t->held == 0 && t->waited == 0) {
			if (tl_watchdog_classify(0, busy_delta(t), v->window_ns) ==
			    TL_STALL_LIVELOCK)
				return false; /* it ran beside the lock: no serialisation */
			continue;
		}
		if (t->l[0].sched_ok && t->l[1].sched_ok && t->l[1].cpu_ns >= t->l[0].cpu_ns)
			v->serial_cpu_ns += t->l[1].cpu_ns - t->l[0].cpu_ns;
	}
	return v->serial_cpu_ns * SERIAL_CPU_DEN <= v->window_ns * SERIAL_CPU_NUM;
}

/* ------------------------------------------------------------------ gather */

/* The stacks without a thread and what they hold, by the second look's
 * stack pointers. */
static void orphan_stacks(struct doc *d)
{
	uint64_t *sp = calloc(d->n + 1, sizeof(*sp));
	size_t n = 0;

	d->orphans_rc = -ENOMEM;
	if (sp == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		const struct look *l = &d->t[i].l[1];

		if (l->ok && l->sc_rc == 0 && l->sc.state != TL_SYSCALL_RUNNING)
			sp[n++] = l->sc.sp;
		else if (l->ok)
			d->unplaced++;
	}
	d->orphans_rc = ts_stacks_without_thread(d->root, d->pid, sp, n, d->stack_size, &d->orphans,
	                                         &d->orphans_kb);
	free(sp);
}

/* A program built with a sanitizer carries its runtime, and its data. */
static bool sanitizer_build(const struct ts_syms *syms)
{
	for (size_t i = 0; i < syms->n; i++)
		if (ts_sanitizer_runtime_symbol(syms->v[i].name))
			return true;
	return false;
}

/* Lists the threads, opens the process's memory and symbols, looks twice
 * window_ms apart and counts the stacks.  0, a negative errno when the
 * process cannot be read at all, or 1 when it ended meanwhile (said on
 * stderr). */
static int gather(struct doc *d, long window_ms)
{
	struct tl_task_stat ps;
	struct timespec start, until;
	int rc;

	rc = tl_procfs_read_proc_stat(d->root, d->pid, &ps);
	if (rc == 0)
		rc = list_threads(d);
	if (rc < 0)
		return rc;
	memcpy(d->comm, ps.comm, sizeof(d->comm));

	d->mem_fd = ts_mem_open(d->root, d->pid);
	if (is_denied(d->mem_fd))
		d->denied = true;
	d->syms_rc = ts_syms_load(d->root, d->pid, &d->syms);
	if (is_denied(d->syms_rc))
		d->denied = true;
	if (d->syms_rc == 0)
		d->counter_sym = ts_syms_find(&d->syms, "tl_progress_counter");
	if (d->syms_rc == 0 && sanitizer_build(&d->syms) &&
	    ts_syms_load_type(d->root, d->pid, STT_FUNC, &d->funcs) < 0)
		memset(&d->funcs, 0, sizeof(d->funcs));

	look(d, 0);
	glance_from_look(d, 0, 0);
	start = tl_deadline_after(0);
	for (int g = 1; g < GLANCES; g++) {
		until = start;
		tl_timespec_add_ms(&until, window_ms * g / (GLANCES - 1));
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
			;
		if (g < GLANCES - 1)
			glance_at(d, g);
	}
	look(d, 1);
	glance_from_look(d, 1, GLANCES - 1);

	size_t garbled = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (d->t[i].l[1].ok)
			d->alive++;
		garbled += d->t[i].l[1].stat_rc == -EINVAL;
	}
	rc = tl_procfs_read_proc_stat(d->root, d->pid, &ps);
	if (d->alive == 0 && garbled > 0 && rc == 0)
		return ts_unreadable(d->pid, -EILSEQ); /* as the sampler says it */
	if (d->alive == 0 || rc != 0) {
		fprintf(stderr, "threadstat: process %d ended while being examined\n", (int)d->pid);
		return 1;
	}
	d->stack_size = tl_procfs_default_stack_size(); /* ours standing in for the target's */
	d->stacks = tl_procfs_count_stacks(d->root, d->pid, d->stack_size);
	orphan_stacks(d);
	return 0;
}

/* ------------------------------------------------------------------ wakers */

/* Whether descriptor fd of process pid was opened for writing (its fdinfo's
 * flags, in octal). */
static bool open_for_writing(const char *root, long pid, const char *fd)
{
	char path[PATH_MAX], info[256];
	const char *at;
	unsigned long flags;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%ld/fdinfo/%s", root, pid, fd);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	n = fread(info, 1, sizeof(info) - 1, f);
	fclose(f);
	info[n] = '\0';
	at = strstr(info, "flags:");
	if (at == NULL)
		return false;
	flags = strtoul(at + 6, NULL, 8);
	return (flags & O_ACCMODE) != O_RDONLY;
}

/* Counts the descriptors open for writing on the pipe `link` names
 * ("pipe:[INODE]"), in pid and in every other process.  0, or a negative
 * errno when some process's descriptors could not be read, so that
 * *elsewhere may fall short. */
static int pipe_writers(const char *root, pid_t pid, const char *link, size_t *here,
                        size_t *elsewhere)
{
	DIR *procs = opendir(root);
	struct dirent *p;
	int rc = 0;

	*here = *elsewhere = 0;
	if (procs == NULL)
		return -errno;
	while ((p = readdir(procs)) != NULL) {
		char path[PATH_MAX];
		DIR *fds;
		struct dirent *f;
		long other = strtol(p->d_name, NULL, 10);

		if (other <= 0)
			continue;
		snprintf(path, sizeof(path), "%s/%ld/fd", root, other);
		fds = opendir(path);
		if (fds == NULL) {
			if (errno != ENOENT)
				rc = -errno; /* another user's: it may hold one */
			continue;
		}
		while ((f = readdir(fds)) != NULL) {
			char target[64];
			ssize_t n;

			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%ld/fd/%s", root, other, f->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, link) != 0 || !open_for_writing(root, other, f->d_name))
				continue;
			if (other == pid)
				(*here)++;
			else
				(*elsewhere)++;
		}
		closedir(fds);
	}
	closedir(procs);
	return rc;
}

/* Who can end thread t's wait, as of the second look. */
static enum ts_waker waker_of(const struct doc *d, const struct look *l)
{
	size_t here, elsewhere;

	if (!l->ok || l->sc_rc != 0 || l->sc.state != TL_SYSCALL_IN)
		return TS_WAKER_UNKNOWN;
	if (l->timed)
		return TS_WAKER_TIMEOUT;
	switch (l->kind) {
	case WAIT_MUTEX:
	case WAIT_JOIN:
		return TS_WAKER_THREAD;
	case WAIT_ORPHAN:
	case WAIT_FUTEX:
		/* Without the word, a locked mutex cannot be told from the rest. */
		if (!l->word_ok)
			return TS_WAKER_UNKNOWN;
		return l->shared ? TS_WAKER_OUTSIDE : TS_WAKER_INSIDE;
	case WAIT_NONE:
		break;
	}
	if (l->sc.nr == SYS_futex)
		return TS_WAKER_UNKNOWN; /* being woken, or no wait */
	if (l->fd >= 0 && strncmp(l->fd_link, "pipe:[", 6) == 0) {
		if (pipe_writers(d->root, d->pid, l->fd_link, &here, &elsewhere) != 0 &&
		    elsewhere == 0)
			return TS_WAKER_UNKNOWN;
		return elsewhere > 0 ? TS_WAKER_OUTSIDE : TS_WAKER_INSIDE;
	}
	/* A socket, a terminal, a signal, a child ...: something else may come. */
	return TS_WAKER_OUTSIDE;
}

/* The same wait at both looks, and the thread neither ran nor waited for a
 * CPU in between: nothing woke it, not even for a moment. */
static bool same_wait(const struct thr *t)
{
	const struct look *a = &t->l[0], *b = &t->l[1];

	return a->ok && b->ok && a->sc_rc == 0 && b->sc_rc == 0 && a->sc.state == TL_SYSCALL_IN &&
	       b->sc.state == TL_SYSCALL_IN && a->sc.nr == b->sc.nr &&
	       a->sc.args[0] == b->sc.args[0] && a->sc.args[1] == b->sc.args[1] && a->sched_ok &&
	       b->sched_ok && a->busy_ns == b->busy_ns;
}

static bool endless(enum ts_waker w)
{
	return w == TS_WAKER_THREAD || w == TS_WAKER_INSIDE;
}

/* A thread of the sanitizer runtime itself: it waits in the runtime's own
 * system call code (TSan's background thread sleeps 100 ms at a time in
 * __sanitizer::internal_usleep), not in the C library for the program. */
static bool runtime_thread(const struct doc *d, const struct look *l)
{
	const struct ts_sym *f;
	uint64_t off;

	if (d->funcs.n == 0 || !l->ok || l->sc_rc != 0 || l->sc.state == TL_SYSCALL_RUNNING)
		return false;
	f = ts_syms_lookup(&d->funcs, l->sc.pc, &off);
	return f != NULL && ts_sanitizer_runtime_symbol(f->name);
}

/* Stuck: every thread still there waits, untimed, for something only a
 * thread of this process could do, and none of them ran.  A sanitizer's own
 * thread is not the program's: it sleeps with a timeout by design. */
static bool find_stuck(const struct doc *d, const enum ts_waker *wk)
{
	size_t waiting = 0;

	if (d->denied || d->mem_fd < 0)
		return false;
	for (size_t i = 0; i < d->n; i++) {
		/* A zombie (a main thread gone by pthread_exit) does nothing. */
		if (!d->t[i].l[1].ok || d->t[i].l[1].state == 'Z' || d->t[i].runtime)
			continue;
		if (!endless(wk[i]) || !same_wait(&d->t[i]))
			return false;
		waiting++;
	}
	return waiting > 0;
}

/* ------------------------------------------------------------------ judge */

static bool leaked(const struct doc *d)
{
	size_t unjoined;

	if (d->stacks < 0 || (size_t)d->stacks + 1 <= d->alive)
		return false;
	unjoined = (size_t)d->stacks + 1 - d->alive;
	return unjoined > GLIBC_STACK_CACHE / d->stack_size;
}

static void judge(struct doc *d, struct verdict *v, const enum ts_waker *wk)
{
	memset(v, 0, sizeof(*v));
	v->window_ns = d->at_ns[1] - d->at_ns[0];
	for (size_t i = 0; i < d->n; i++)
		d->t[i].runtime = runtime_thread(d, &d->t[i].l[1]);
	v->cycles = find_cycles(d);
	for (size_t i = 0; i < d->n; i++)
		if (busy_delta(&d->t[i]) > v->max_busy)
			v->max_busy = busy_delta(&d->t[i]);
	/* The watchdog's rule: busy for a fifth of the window is "on CPU". */
	v->cpu_moving = tl_watchdog_classify(0, v->max_busy, v->window_ns) == TL_STALL_LIVELOCK;
	v->counter_known = d->counter_ok[0] && d->counter_ok[1];

	if (v->cycles > 0) {
		v->word = "deadlock";
		v->kind = TS_VERDICT_DEADLOCK;
		v->code = TL_EXIT_DEADLOCK;
	} else if (v->cpu_moving && v->counter_known && d->counter[1] == d->counter[0]) {
		v->word = "livelock";
		v->kind = TS_VERDICT_LIVELOCK;
		v->code = TL_EXIT_LIVELOCK;
	} else if (find_stuck(d, wk)) {
		v->word = "stuck";
		v->kind = TS_VERDICT_STUCK;
		v->code = TL_EXIT_DEADLOCK;
	} else if (leaked(d)) {
		v->word = "thread-leak";
		v->kind = TS_VERDICT_THREAD_LEAK;
		v->code = TL_EXIT_LEAK;
	} else if (v->cpu_moving && (v->serialised = find_serialised(d, v))) {
		v->word = "serialised";
		v->kind = TS_VERDICT_SERIALISED;
		v->code = 0;
	} else {
		v->word = v->cpu_moving ? "busy" : "idle";
		v->kind = v->cpu_moving ? TS_VERDICT_BUSY : TS_VERDICT_IDLE;
		v->code = 0;
	}
}

/* ------------------------------------------------------------------ fill */

/* A condition variable that is a whole named object: glibc 2.36 waiters
 * sleep on __g_signals[0] or [1], at offsets 40 and 44 of the 48 bytes of a
 * pthread_cond_t.  One inside a larger object is only "a futex". */
static const struct ts_sym *condvar_of(const struct doc *d, const struct look *l)
{
	uint64_t off;
	const struct ts_sym *y = ts_syms_lookup(&d->syms, l->uaddr, &off);

	if (y != NULL && y->size == sizeof(pthread_cond_t) &&
	    (off == offsetof(pthread_cond_t, __data.__g_signals[0]) ||
	     off == offsetof(pthread_cond_t, __data.__g_signals[1])))
		return y;
	return NULL;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void fill_thread(const struct doc *d, const struct thr *t, enum ts_waker waker,
                        struct ts_thread_diag *o)
{
	const struct look *l = &t->l[1];
	const struct ts_sym *cv;
	static const enum ts_wait kinds[] = {
	    [WAIT_MUTEX] = TS_WAIT_MUTEX,
	    [WAIT_JOIN] = TS_WAIT_JOIN,
	    [WAIT_ORPHAN] = TS_WAIT_ORPHAN,
	    [WAIT_FUTEX] = TS_WAIT_FUTEX,
	};

	o->tid = t->tid;
	o->alive = l->ok;
	copy_str(o->name, sizeof(o->name), l->ok ? l->comm : "?");
	o->state = l->ok ? l->state : '?';
	o->busy_ns = busy_delta(t);
	o->waker = waker;
	o->timed = l->timed;
	o->same_wait = same_wait(t);
	o->syscall = l->sc_rc == 0 && l->sc.state == TL_SYSCALL_IN ? l->sc.nr : -1;
	if (o->syscall >= 0)
		copy_str(o->syscall_name, sizeof(o->syscall_name), ts_syscall_name(o->syscall));
	copy_str(o->wchan, sizeof(o->wchan), l->ok ? l->wchan : "-");
	o->fd = l->fd;
	o->cycle = t->cycle;
	o->runtime = t->runtime;
	o->next = t->cycle >= 0 ? t->next : -1;
	o->held = t->held;
	o->waited = t->waited;
	o->stack_rc = 1;
	o->where = -1;
	if (l->kind != WAIT_NONE) {
		o->wait = kinds[l->kind];
		o->addr = l->uaddr;
		o->word_known = l->word_ok;
		o->word = l->word;
		o->other = l->other;
		if (ts_syms_describe(&d->syms, l->uaddr, o->symbol, sizeof(o->symbol)) == NULL)
			o->symbol[0] = '\0';
		if (l->kind == WAIT_FUTEX && (cv = condvar_of(d, l)) != NULL) {
			o->wait = TS_WAIT_CONDVAR;
			copy_str(o->object, sizeof(o->object), cv->name);
		}
	} else if (!l->ok || l->sc_rc != 0) {
		o->wait = !l->ok || l->state != 'R' ? TS_WAIT_UNKNOWN : TS_WAIT_RUNNING;
	} else if (l->sc.state == TL_SYSCALL_RUNNING) {
		o->wait = TS_WAIT_RUNNING;
	} else if (l->fd >= 0 && strncmp(l->fd_link, "pipe:[", 6) == 0) {
		o->wait = TS_WAIT_PIPE;
	} else {
		o->wait = TS_WAIT_SYSCALL;
	}
	if (l->fd >= 0)
		copy_str(o->fd_target, sizeof(o->fd_target), l->fd_link);
}

static int fill(const struct doc *d, const struct verdict *v, const enum ts_waker *wk,
                struct ts_diagnosis *o)
{
	memset(o, 0, sizeof(*o));
	o->threads = calloc(d->n ? d->n : 1, sizeof(*o->threads));
	if (o->threads == NULL)
		return -ENOMEM;
	o->verdict = v->kind;
	o->word = v->word;
	o->code = v->code;
	o->pid = d->pid;
	copy_str(o->name, sizeof(o->name), d->comm);
	o->nthreads = d->n;
	o->alive = d->alive;
	for (size_t i = 0; i < d->n; i++)
		fill_thread(d, &d->t[i], wk[i], &o->threads[i]);
	o->window_ns = v->window_ns;
	o->denied = d->denied;
	o->cycles = v->cycles;
	o->counter_known = v->counter_known;
	o->counter[0] = d->counter[0];
	o->counter[1] = d->counter[1];
	if (d->counter_sym != NULL)
		o->counter_rc = 0;
	else if (d->syms_rc == 0)
		o->counter_rc = -ESRCH; /* the symbols were read: none exported */
	else
		o->counter_rc = d->syms_rc;
	o->max_busy_ns = v->max_busy;
	o->cpu_moving = v->cpu_moving;
	o->glances = GLANCES;
	if (v->serialised) {
		o->serial_mutex = d->watched[v->serial];
		if (ts_syms_describe(&d->syms, o->serial_mutex, o->serial_symbol,
		                     sizeof(o->serial_symbol)) == NULL)
			o->serial_symbol[0] = '\0';
		o->serial_turns = v->serial_turns;
		o->serial_looked = v->serial_looked;
		o->serial_held = v->serial_held;
		o->serial_cpu_ns = v->serial_cpu_ns;
	}
	o->stacks = d->stacks;
	o->stack_size = d->stack_size;
	o->stack_cache = GLIBC_STACK_CACHE / d->stack_size;
	o->orphans_rc = d->orphans_rc;
	o->orphans = d->orphans;
	o->unplaced = d->unplaced;
	o->orphans_kb = d->orphans_kb;
	o->frames_rc = 1;
	return 0;
}

/* ------------------------------------------------------------------ stacks */

/* Whose stacks matter to the verdict: a cycle's threads, every thread of a
 * stuck process, the threads that ran in a livelock; every thread when
 * asked.  Nothing for the other verdicts: the process is never stopped for
 * them. */
static bool stack_wanted(const struct ts_diagnosis *g, const struct ts_thread_diag *t, bool all)
{
	if (!t->alive)
		return false;
	if (all)
		return true;
	switch (g->verdict) {
	case TS_VERDICT_DEADLOCK:
		return t->cycle >= 0;
	case TS_VERDICT_STUCK:
		return true;
	case TS_VERDICT_LIVELOCK:
		return t->busy_ns > 0;
	default:
		return false;
	}
}

/* Reads the stacks that matter (at most DOCTOR_ROWS), after both looks so
 * that stopping threads cannot change the verdict. */
static void read_stacks(struct ts_diagnosis *g, bool all)
{
	struct ts_stack s[DOCTOR_ROWS];
	size_t idx[DOCTOR_ROWS], n = 0;
	int rc;

	for (size_t i = 0; i < g->nthreads && n < DOCTOR_ROWS; i++)
		if (stack_wanted(g, &g->threads[i], all)) {
			idx[n] = i;
			s[n++].tid = g->threads[i].tid;
		}
	if (n == 0)
		return;
	rc = ts_stacks_read(g->pid, s, n, &g->stopped_ns);
	g->frames_rc = rc;
	if (rc != 0)
		return;
	for (size_t k = 0; k < n; k++) {
		struct ts_thread_diag *t = &g->threads[idx[k]];

		t->stack_rc = s[k].rc;
		t->frames = s[k].frames;
		t->nframes = s[k].n;
		t->where = s[k].in_program;
		if (s[k].rc != 0 && g->frames_rc == 0)
			g->frames_rc = s[k].rc; /* the first thread's reason */
	}
	for (size_t k = 0; k < n && g->frames_rc != 0; k++)
		if (s[k].rc == 0)
			g->frames_rc = 0; /* some were read: said per thread */
}

/* ------------------------------------------------------------------ print */

static const struct ts_thread_diag *thread_of(const struct ts_diagnosis *g, pid_t tid)
{
	for (size_t i = 0; i < g->nthreads; i++)
		if (g->threads[i].tid == tid)
			return &g->threads[i];
	return NULL;
}

static const char *name_of(const struct ts_diagnosis *g, pid_t tid)
{
	const struct ts_thread_diag *t = thread_of(g, tid);

	return t != NULL && t->alive ? t->name : "?";
}

static void print_addr(FILE *out, uint64_t addr, const char *symbol)
{
	fprintf(out, "0x%" PRIx64, addr);
	if (symbol[0] != '\0')
		fprintf(out, " (%s)", symbol);
}

/* What a thread waits in, as of the second look. */
static void print_wait(const struct ts_diagnosis *g, FILE *out, const struct ts_thread_diag *t)
{
	bool wchan = strcmp(t->wchan, "-") != 0;

	switch (t->wait) {
	case TS_WAIT_MUTEX:
		fprintf(out, "waits for mutex ");
		print_addr(out, t->addr, t->symbol);
		if (t->other == t->tid)
			fprintf(out, " held by itself");
		else
			fprintf(out, " held by %s (tid %d)", name_of(g, t->other), (int)t->other);
		return;
	case TS_WAIT_JOIN:
		fprintf(out, "waits to join %s (tid %d)", name_of(g, t->other), (int)t->other);
		return;
	case TS_WAIT_ORPHAN:
		fprintf(out, "waits on futex ");
		print_addr(out, t->addr, t->symbol);
		fprintf(out,
		        ", a locked mutex by its look, whose owner tid %d is no thread of "
		        "this process (it ended holding the lock?)",
		        (int)t->other);
		return;
	case TS_WAIT_CONDVAR:
		fprintf(out, "waits on condition variable %s (futex 0x%" PRIx64 ")", t->object,
		        t->addr);
		return;
	case TS_WAIT_FUTEX:
		fprintf(out, "waits on futex ");
		print_addr(out, t->addr, t->symbol);
		if (t->word_known)
			fprintf(out,
			        ", value %" PRIu32
			        ": no locked mutex (a condition variable, barrier, semaphore ...)",
			        t->word);
		return;
	case TS_WAIT_RUNNING:
		fprintf(out, "running");
		return;
	case TS_WAIT_PIPE:
	case TS_WAIT_SYSCALL:
		if (t->syscall_name[0] != '\0')
			fprintf(out, "in %s%s%s", t->syscall_name, wchan ? ", " : "",
			        wchan ? t->wchan : "");
		else
			fprintf(out, "in syscall %ld%s%s", t->syscall, wchan ? ", " : "",
			        wchan ? t->wchan : "");
		return;
	case TS_WAIT_UNKNOWN:
		break;
	}
	if (wchan)
		fprintf(out, "in %s", t->wchan);
	else
		fprintf(out, t->state == 'R' ? "running" : "-");
}

/* Where in the program a thread waits: its first frame outside the C
 * library (the line that called into it), else its innermost one. */
static void print_where(const struct ts_thread_diag *t, FILE *out)
{
	const struct ts_frame *f;

	if (t->stack_rc != 0 || t->nframes == 0)
		return;
	f = &t->frames[t->where >= 0 ? t->where : 0];
	fprintf(out, "    at ");
	if (f->file != NULL && f->line > 0)
		fprintf(out, "%s:%d", f->file, f->line);
	else
		fprintf(out, "0x%" PRIx64, f->pc);
	fprintf(out, " in %s%s%s%s\n", f->function ? f->function : "?",
	        t->where < 0 && f->module ? " (" : "", t->where < 0 && f->module ? f->module : "",
	        t->where < 0 && f->module ? "; no frame outside the C library)" : "");
}

/* Every frame of the stacks read, when all were asked for. */
static void print_frames(const struct ts_diagnosis *g, FILE *out)
{
	if (g->frames_rc == 1)
		return;
	if (g->frames_rc != 0) {
		fprintf(out, "call stacks: cannot read them (ptrace: %s)\n",
		        strerror(-g->frames_rc));
		return;
	}
	fprintf(out,
	        "call stacks: read with ptrace, one thread stopped at a time, %" PRIu64
	        " us in all\n",
	        g->stopped_ns / 1000);
	if (!g->all_stacks)
		return;
	for (size_t i = 0; i < g->nthreads; i++) {
		const struct ts_thread_diag *t = &g->threads[i];

		if (t->stack_rc == 1)
			continue;
		fprintf(out, "  %s (tid %d)", t->name, (int)t->tid);
		if (t->stack_rc != 0) {
			fprintf(out, ": %s\n", strerror(-t->stack_rc));
			continue;
		}
		fputc('\n', out);
		for (size_t k = 0; k < t->nframes; k++) {
			const struct ts_frame *f = &t->frames[k];

			fprintf(out, "    #%-2zu %s", k, f->function ? f->function : "?");
			if (f->file != NULL && f->line > 0)
				fprintf(out, " at %s:%d", f->file, f->line);
			else
				fprintf(out, " at 0x%" PRIx64, f->pc);
			if (f->module != NULL)
				fprintf(out, " (%s)", f->module);
			fputc('\n', out);
		}
	}
}

static void print_cycle(const struct ts_diagnosis *g, FILE *out, int c)
{
	size_t i, members = 0;
	int start = -1, k;

	for (i = 0; i < g->nthreads; i++) {
		if (g->threads[i].cycle != c)
			continue;
		members++;
		if (start < 0 || g->threads[i].tid < g->threads[start].tid)
			start = (int)i;
	}
	if (members == 1)
		fprintf(out, "deadlock: 1 thread waits for a mutex it holds itself\n");
	else
		fprintf(out, "deadlock: %zu threads in a cycle\n", members);
	k = start;
	do {
		const struct ts_thread_diag *t = &g->threads[k];

		fprintf(out, "  %s (tid %d) ", t->name, (int)t->tid);
		print_wait(g, out, t);
		fputc('\n', out);
		print_where(t, out);
		k = t->next;
	} while (k != start && k >= 0);
}

static void print_head(const struct ts_diagnosis *g, FILE *out)
{
	fprintf(out, "verdict: %s\n", g->word);
	fprintf(out, "pid %d (%s): %zu thread%s, looked twice %" PRIu64 " ms apart\n", (int)g->pid,
	        g->name, g->alive, g->alive == 1 ? "" : "s", g->window_ns / NS_PER_MS);
	if (!g->denied)
		return;
	fprintf(out,
	        "cannot read memory of pid %d (ptrace rules): no lock owners; verdict "
	        "from /proc only\n",
	        (int)g->pid);
	if (!g->cpu_moving)
		fprintf(out, "idle: no thread ran; without lock owners a deadlock would "
		             "look the same\n");
}

/* Why nothing will end a thread's wait. */
static void print_why(const struct ts_diagnosis *g, FILE *out, const struct ts_thread_diag *t)
{
	switch (t->wait) {
	case TS_WAIT_MUTEX:
		fprintf(out, "until %s unlocks it, which waits too", name_of(g, t->other));
		break;
	case TS_WAIT_JOIN:
		fprintf(out, "until %s ends, which waits too", name_of(g, t->other));
		break;
	case TS_WAIT_ORPHAN:
		fprintf(out, "no timeout, and its owner is gone");
		break;
	case TS_WAIT_PIPE:
		fprintf(out, "no timeout, on %s whose write ends only this process holds",
		        t->fd_target);
		break;
	default:
		fprintf(out, "no timeout, no owner: only a thread of this process could wake it");
		break;
	}
}

/* Stuck: each thread's wait, and why none will end. */
static void print_stuck(const struct ts_diagnosis *g, FILE *out)
{
	if (g->verdict != TS_VERDICT_STUCK)
		return;
	fprintf(out, "stuck: every thread waits with no timeout, for another thread of this "
	             "process, and none ran\n");
	for (size_t i = 0; i < g->nthreads; i++) {
		const struct ts_thread_diag *t = &g->threads[i];

		if (!t->alive)
			continue;
		if (t->runtime) {
			fprintf(out, "  (tid %d: the sanitizer runtime's own thread, left out)\n",
			        (int)t->tid);
			continue;
		}
		fprintf(out, "  %s (tid %d) ", t->name, (int)t->tid);
		print_wait(g, out, t);
		fprintf(out, ": ");
		print_why(g, out, t);
		fputc('\n', out);
		print_where(t, out);
	}
	fprintf(out, "  a lost wake-up is the usual cause: a signal, post or write that came "
	             "before the wait, or never came\n");
}

/* The cycles, then the other threads that wait for something. */
static void print_waits(const struct ts_diagnosis *g, FILE *out)
{
	size_t blocked = 0;

	for (int c = 0; c < g->cycles; c++)
		print_cycle(g, out, c);
	if (g->verdict == TS_VERDICT_STUCK)
		return; /* print_stuck listed them all */
	for (size_t i = 0; i < g->nthreads; i++) {
		const struct ts_thread_diag *t = &g->threads[i];

		if (!t->alive || t->cycle >= 0 || t->wait < TS_WAIT_MUTEX ||
		    t->wait > TS_WAIT_FUTEX)
			continue;
		if (blocked++ == 0)
			fprintf(out, "%s\n",
			        g->cycles > 0 ? "blocked, not in a cycle:" : "blocked:");
		fprintf(out, "  %s (tid %d) ", t->name, (int)t->tid);
		print_wait(g, out, t);
		fputc('\n', out);
		print_where(t, out);
	}
}

/* Idle, but most threads stuck: which waits can still end. */
static void print_not_stuck(const struct ts_diagnosis *g, FILE *out)
{
	size_t stuck = 0;

	if (g->verdict != TS_VERDICT_IDLE || g->denied)
		return;
	for (size_t i = 0; i < g->nthreads; i++)
		if (g->threads[i].alive && g->threads[i].same_wait && endless(g->threads[i].waker))
			stuck++;
	if (stuck == 0)
		return;
	fprintf(out, "not stuck: %zu of %zu threads wait with no timeout for another thread, but\n",
	        stuck, g->alive);
	for (size_t i = 0; i < g->nthreads; i++) {
		const struct ts_thread_diag *t = &g->threads[i];

		if (!t->alive || t->state == 'Z' || (t->same_wait && endless(t->waker)))
			continue;
		fprintf(out, "  %s (tid %d) ", t->name, (int)t->tid);
		print_wait(g, out, t);
		fprintf(out, ": %s\n",
		        t->waker == TS_WAKER_TIMEOUT   ? "has a timeout"
		        : t->waker == TS_WAKER_OUTSIDE ? "another process can end it"
		        : !t->same_wait                ? "it ran, or its wait changed"
		                                       : "cannot tell what would end it");
	}
}

/* The mutex the busy threads took turns at, its holders and its waiters. */
static void print_serial(const struct ts_diagnosis *g, FILE *out)
{
	size_t rows = 0;

	if (g->verdict != TS_VERDICT_SERIALISED)
		return;
	fprintf(out, "serialised: busy, but behind one mutex ");
	print_addr(out, g->serial_mutex, g->serial_symbol);
	fprintf(out,
	        ": held by a running thread at %d of the %d glances since it was first seen "
	        "contended, others waiting for it at %d of %d\n",
	        g->serial_held, g->serial_looked, g->serial_turns, g->glances);
	fprintf(out,
	        "  on CPU together %" PRIu64 " ms of the %" PRIu64
	        " ms window: no more than one CPU gives (they took turns)\n",
	        g->serial_cpu_ns / NS_PER_MS, g->window_ns / NS_PER_MS);
	for (int role = 0; role < 2; role++)
		for (size_t i = 0; i < g->nthreads; i++) {
			const struct ts_thread_diag *t = &g->threads[i];
			int n = role == 0 ? t->held : t->waited;

			if (n == 0 || ++rows > DOCTOR_ROWS)
				continue;
			fprintf(out, "  %s %s (tid %d) at %d glance%s\n",
			        role == 0 ? "held by" : "waiting", t->name, (int)t->tid, n,
			        n == 1 ? "" : "s");
		}
	if (rows > DOCTOR_ROWS)
		fprintf(out, "  ... and %zu more\n", rows - DOCTOR_ROWS);
}

static void print_cpu(const struct ts_diagnosis *g, FILE *out)
{
	fprintf(out,
	        "cpu: the busiest thread ran or waited for a CPU %" PRIu64 " ms of %" PRIu64
	        " ms (%s)\n",
	        g->max_busy_ns / NS_PER_MS, g->window_ns / NS_PER_MS,
	        g->cpu_moving ? "on CPU: a fifth or more" : "off CPU: under a fifth");
}

/* The progress counter, or why livelock and busy cannot be told apart. */
static void print_progress(const struct ts_diagnosis *g, FILE *out)
{
	if (g->counter_known)
		fprintf(out, "progress: tl_progress_counter %" PRIu64 " -> %" PRIu64 " (%s)\n",
		        g->counter[0], g->counter[1],
		        g->counter[1] == g->counter[0] ? "standing still" : "moving");
	else if (g->counter_rc == 0)
		fprintf(out, "progress: tl_progress_counter exported but unreadable: cannot tell "
		             "livelock from busy\n");
	else if (g->counter_rc == -ENOENT)
		fprintf(out, "progress: no executable (a kernel thread?): cannot tell livelock "
		             "from busy\n");
	else if (g->counter_rc == -ESRCH)
		fprintf(out, "progress: no progress counter exported: cannot tell livelock from "
		             "busy\n");
	else if (!is_denied(g->counter_rc))
		fprintf(out,
		        "progress: cannot read the executable's symbols (%s): cannot tell "
		        "livelock from busy\n",
		        strerror(-g->counter_rc));
	else
		fprintf(out, "progress: executable unreadable: cannot tell livelock from busy\n");
}

static void print_stack_maps(const struct ts_diagnosis *g, const char *root, FILE *out)
{
	if (g->stacks < 0) {
		fprintf(out, "stacks: cannot read %s/%d/maps (%s)\n", root, (int)g->pid,
		        strerror(-g->stacks));
		return;
	}
	fprintf(out,
	        "stacks: %d thread stacks of %zu KiB mapped, %zu threads besides main: "
	        "%zu without a thread, glibc caches up to %zu: %s\n",
	        g->stacks, g->stack_size / 1024, g->alive - 1,
	        (size_t)g->stacks + 1 > g->alive ? (size_t)g->stacks + 1 - g->alive : 0,
	        g->stack_cache, g->verdict == TS_VERDICT_THREAD_LEAK ? "thread leak" : "no leak");
	if (g->orphans_rc == 0)
		fprintf(out,
		        "stack memory: %zu stacks hold no thread's stack pointer, %llu KiB of "
		        "them resident (%zu threads running: not placed)\n",
		        g->orphans, g->orphans_kb, g->unplaced);
}

/* Every live thread (the first DOCTOR_ROWS) and what it waits in. */
static void print_threads(const struct ts_diagnosis *g, FILE *out)
{
	size_t shown = 0;

	fprintf(out, "threads:\n  %7s  %-15s  %s  %7s  %s\n", "TID", "NAME", "S", "BUSY_MS",
	        "WAITING IN");
	for (size_t i = 0; i < g->nthreads; i++) {
		const struct ts_thread_diag *t = &g->threads[i];

		if (!t->alive)
			continue; /* ended while we looked */
		if (++shown > DOCTOR_ROWS) {
			fprintf(out, "  ... and %zu more (threadstat %d lists them all)\n",
			        g->alive - DOCTOR_ROWS, (int)g->pid);
			break;
		}
		fprintf(out, "  %7d  %-15s  %c  %7" PRIu64 "  ", (int)t->tid, t->name, t->state,
		        t->busy_ns / NS_PER_MS);
		print_wait(g, out, t);
		fputc('\n', out);
	}
}

static void report(const struct ts_diagnosis *g, const char *root, FILE *out)
{
	print_head(g, out);
	print_serial(g, out);
	print_stuck(g, out);
	print_waits(g, out);
	print_not_stuck(g, out);
	print_cpu(g, out);
	print_progress(g, out);
	print_stack_maps(g, root, out);
	print_threads(g, out);
	print_frames(g, out);
	fflush(out);
}

void ts_diagnosis_print(const struct ts_diagnosis *g, FILE *out)
{
	report(g, "/proc", out);
}

/* ------------------------------------------------------------------ api */

static int diagnose(pid_t pid, const struct ts_doctor_opts *o, const char *root,
                    struct ts_diagnosis *out)
{
	static const struct ts_doctor_opts defaults;

	struct doc d;
	struct verdict v;
	enum ts_waker *wk = NULL;
	long window_ms;
	int rc;

	memset(out, 0, sizeof(*out));
	if (o == NULL)
		o = &defaults;
	if (pid <= 0)
		return ts_unreadable(pid, -ESRCH);
	window_ms = o->window_ms > 0 ? o->window_ms : TS_DOCTOR_WINDOW_MS;
	memset(&d, 0, sizeof(d));
	d.root = root;
	d.pid = pid;
	d.mem_fd = -1;
	rc = gather(&d, window_ms);
	if (rc < 0) {
		rc = ts_unreadable(pid, rc);
	} else if (rc == 0) {
		wk = calloc(d.n ? d.n : 1, sizeof(*wk));
		if (wk == NULL) {
			rc = ts_unreadable(pid, -ENOMEM);
		} else {
			for (size_t i = 0; i < d.n; i++)
				wk[i] = waker_of(&d, &d.t[i].l[1]);
			judge(&d, &v, wk);
			rc = fill(&d, &v, wk, out);
			rc = rc < 0 ? ts_unreadable(pid, rc) : v.code;
			/* A recorded tree (proc_root) has no process to stop. */
			if (rc == v.code && o->proc_root == NULL && !o->no_stacks && !d.denied) {
				out->all_stacks = o->stacks;
				read_stacks(out, o->stacks);
			}
		}
	}
	free(wk);
	if (d.mem_fd >= 0)
		close(d.mem_fd);
	ts_syms_free(&d.syms);
	ts_syms_free(&d.funcs);
	free(d.t);
	return rc;
}

int ts_diagnose(pid_t pid, const struct ts_doctor_opts *o, struct ts_diagnosis *out)
{
	return diagnose(pid, o, o && o->proc_root ? o->proc_root : "/proc", out);
}

void ts_diagnosis_free(struct ts_diagnosis *g)
{
	if (g == NULL || g->threads == NULL)
		return;
	for (size_t i = 0; i < g->nthreads; i++) {
		for (size_t k = 0; k < g->threads[i].nframes; k++) {
			free(g->threads[i].frames[k].function);
			free(g->threads[i].frames[k].file);
			free(g->threads[i].frames[k].module);
		}
		free(g->threads[i].frames);
	}
	free(g->threads);
	memset(g, 0, sizeof(*g));
}

int ts_doctor(pid_t pid, const struct ts_doctor_opts *o, FILE *out)
{
	struct ts_diagnosis g;
	const char *root = o && o->proc_root ? o->proc_root : "/proc";
	int rc = diagnose(pid, o, root, &g);

	if (g.threads == NULL)
		return rc; /* said on stderr */
	report(&g, root, out);
	ts_diagnosis_free(&g);
	return rc;
}
