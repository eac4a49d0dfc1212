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

#include <errno.h>
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
	int sc_rc;        /* reading syscall: 0 or a negative errno */
	struct tl_task_syscall sc;
	enum wait_kind kind;
	uint64_t uaddr; /* the futex word (WAIT_*) */
	bool word_ok;   /* the word could be read */
	uint32_t word;
	pid_t other; /* WAIT_MUTEX, _ORPHAN: owner; WAIT_JOIN: the joined thread */
	char wchan[64];
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
	const char *word; /* "deadlock", "livelock", "thread-leak", "busy", "idle" */
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

static void look_at(struct doc *d, struct thr *t, int k)
{
	struct look *l = &t->l[k];
	struct tl_task_stat st;
	struct tl_task_sched ss;

	memset(l, 0, sizeof(*l));
	if (tl_procfs_read_task_stat(d->root, d->pid, t->tid, &st) != 0)
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

/* ------------------------------------------------------------------ report */

static const char *name_of(const struct doc *d, pid_t tid)
{
	int i = find_tid(d, tid);

	if (i < 0 || !d->t[i].l[1].ok)
		return "?";
	return d->t[i].l[1].comm;
}

static void print_addr(const struct doc *d, FILE *out, uint64_t addr)
{
	char sym[128];

	fprintf(out, "0x%" PRIx64, addr);
	if (ts_syms_describe(&d->syms, addr, sym, sizeof(sym)) != NULL)
		fprintf(out, " (%s)", sym);
}

/* A condition variable that is a whole named object: glibc 2.36 waiters
 * sleep on __g_signals[0] or [1], at offsets 40 and 44 of the 48 bytes of a
 * pthread_cond_t.  One inside a larger object is only "a futex". */
static bool is_condvar(const struct doc *d, const struct look *l)
{
	uint64_t off;
	const struct ts_sym *y = ts_syms_lookup(&d->syms, l->uaddr, &off);

	return y != NULL && y->size == sizeof(pthread_cond_t) &&
	       (off == offsetof(pthread_cond_t, __data.__g_signals[0]) ||
	        off == offsetof(pthread_cond_t, __data.__g_signals[1]));
}

/* What a thread waits in, as of the second look. */
static void print_wait(const struct doc *d, FILE *out, const struct thr *t)
{
	const struct look *l = &t->l[1];
	uint64_t off;

	switch (l->kind) {
	case WAIT_MUTEX:
		fprintf(out, "waits for mutex ");
		print_addr(d, out, l->uaddr);
		if (l->other == t->tid)
			fprintf(out, " held by itself");
		else
			fprintf(out, " held by %s (tid %d)", name_of(d, l->other), (int)l->other);
		return;
	case WAIT_JOIN:
		fprintf(out, "waits to join %s (tid %d)", name_of(d, l->other), (int)l->other);
		return;
	case WAIT_ORPHAN:
		fprintf(out, "waits on futex ");
		print_addr(d, out, l->uaddr);
		fprintf(out,
		        ", a locked mutex by its look, whose owner tid %d is no thread of "
		        "this process (it ended holding the lock?)",
		        (int)l->other);
		return;
	case WAIT_FUTEX:
		if (is_condvar(d, l)) {
			fprintf(out, "waits on condition variable %s (futex 0x%" PRIx64 ")",
			        ts_syms_lookup(&d->syms, l->uaddr, &off)->name, l->uaddr);
			return;
		}
		fprintf(out, "waits on futex ");
		print_addr(d, out, l->uaddr);
		if (l->word_ok)
			fprintf(out,
			        ", value %" PRIu32
			        ": no locked mutex (a condition variable, barrier, semaphore ...)",
			        l->word);
		return;
	case WAIT_NONE:
		break;
	}
	if (l->sc_rc == 0 && l->sc.state == TL_SYSCALL_RUNNING)
		fprintf(out, "running");
	else if (l->sc_rc == 0 && l->sc.state == TL_SYSCALL_IN && ts_syscall_name(l->sc.nr))
		fprintf(out, "in %s%s%s", ts_syscall_name(l->sc.nr),
		        strcmp(l->wchan, "-") ? ", " : "", strcmp(l->wchan, "-") ? l->wchan : "");
	else if (l->sc_rc == 0 && l->sc.state == TL_SYSCALL_IN)
		fprintf(out, "in syscall %ld%s%s", l->sc.nr, strcmp(l->wchan, "-") ? ", " : "",
		        strcmp(l->wchan, "-") ? l->wchan : "");
	else if (strcmp(l->wchan, "-") != 0)
		fprintf(out, "in %s", l->wchan);
	else
		fprintf(out, l->state == 'R' ? "running" : "-");
}

static void print_cycle(const struct doc *d, FILE *out, int c)
{
	size_t i, members = 0;
	int start = -1, k;

	for (i = 0; i < d->n; i++) {
		if (d->t[i].cycle != c)
			continue;
		members++;
		if (start < 0 || d->t[i].tid < d->t[start].tid)
			start = (int)i;
	}
	if (members == 1)
		fprintf(out, "deadlock: 1 thread waits for a mutex it holds itself\n");
	else
		fprintf(out, "deadlock: %zu threads in a cycle\n", members);
	k = start;
	do {
		const struct thr *t = &d->t[k];

		fprintf(out, "  %s (tid %d) ", t->l[1].comm, (int)t->tid);
		print_wait(d, out, t);
		fputc('\n', out);
		k = t->next;
	} while (k != start);
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

	for (size_t i = 0; i < d->n; i++)
		if (d->t[i].l[1].ok)
			d->alive++;
	if (d->alive == 0 || tl_procfs_read_proc_stat(d->root, d->pid, &ps) != 0) {
		fprintf(stderr, "threadstat: process %d ended while being examined\n", (int)d->pid);
		return 1;
	}
	d->stack_size = tl_procfs_default_stack_size(); /* ours standing in for the target's */
	d->stacks = tl_procfs_count_stacks(d->root, d->pid, d->stack_size);
	orphan_stacks(d);
	return 0;
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

static void judge(struct doc *d, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->window_ns = d->at_ns[1] - d->at_ns[0];
	v->cycles = find_cycles(d);
	for (size_t i = 0; i < d->n; i++)
		if (busy_delta(&d->t[i]) > v->max_busy)
			v->max_busy = busy_delta(&d->t[i]);
	/* The watchdog's rule: busy for a fifth of the window is "on CPU". */
	v->cpu_moving = tl_watchdog_classify(0, v->max_busy, v->window_ns) == TL_STALL_LIVELOCK;
	v->counter_known = d->counter_ok[0] && d->counter_ok[1];

	if (v->cycles > 0) {
		v->word = "deadlock";
		v->code = TL_EXIT_DEADLOCK;
	} else if (v->cpu_moving && v->counter_known && d->counter[1] == d->counter[0]) {
		v->word = "livelock";
		v->code = TL_EXIT_LIVELOCK;
	} else if (leaked(d)) {
		v->word = "thread-leak";
		v->code = TL_EXIT_LEAK;
	} else if (v->cpu_moving && (v->serialised = find_serialised(d, v))) {
		v->word = "serialised";
		v->code = 0;
	} else {
		v->word = v->cpu_moving ? "busy" : "idle";
		v->code = 0;
	}
}

/* ------------------------------------------------------------------ print */

static void print_head(const struct doc *d, const struct verdict *v, FILE *out)
{
	fprintf(out, "verdict: %s\n", v->word);
	fprintf(out, "pid %d (%s): %zu thread%s, looked twice %" PRIu64 " ms apart\n", (int)d->pid,
	        d->comm, d->alive, d->alive == 1 ? "" : "s", v->window_ns / NS_PER_MS);
	if (!d->denied)
		return;
	fprintf(out,
	        "cannot read memory of pid %d (ptrace rules): no lock owners; verdict "
	        "from /proc only\n",
	        (int)d->pid);
	if (!v->cpu_moving)
		fprintf(out, "idle: no thread ran; without lock owners a deadlock would "
		             "look the same\n");
}

/* The cycles, then the other threads that wait for something. */
static void print_waits(const struct doc *d, const struct verdict *v, FILE *out)
{
	size_t blocked = 0;

	for (int c = 0; c < v->cycles; c++)
		print_cycle(d, out, c);
	for (size_t i = 0; i < d->n; i++) {
		const struct thr *t = &d->t[i];

		if (!t->l[1].ok || t->cycle >= 0 || t->l[1].kind == WAIT_NONE)
			continue;
		if (blocked++ == 0)
			fprintf(out, "%s\n",
			        v->cycles > 0 ? "blocked, not in a cycle:" : "blocked:");
		fprintf(out, "  %s (tid %d) ", t->l[1].comm, (int)t->tid);
		print_wait(d, out, t);
		fputc('\n', out);
	}
}

/* The mutex the busy threads took turns at, its holders and its waiters. */
static void print_serial(const struct doc *d, const struct verdict *v, FILE *out)
{
	size_t rows = 0;

	if (!v->serialised)
		return;
	fprintf(out, "serialised: busy, but behind one mutex ");
	print_addr(d, out, d->watched[v->serial]);
	fprintf(out,
	        ": held by a running thread at %d of the %d glances since it was first seen "
	        "contended, others waiting for it at %d of %d\n",
	        v->serial_held, v->serial_looked, v->serial_turns, GLANCES);
	fprintf(out,
	        "  on CPU together %" PRIu64 " ms of the %" PRIu64
	        " ms window: no more than one CPU gives (they took turns)\n",
	        v->serial_cpu_ns / NS_PER_MS, v->window_ns / NS_PER_MS);
	for (int role = 0; role < 2; role++)
		for (size_t i = 0; i < d->n; i++) {
			const struct thr *t = &d->t[i];
			int n = role == 0 ? t->held : t->waited;

			if (n == 0 || ++rows > DOCTOR_ROWS)
				continue;
			fprintf(out, "  %s %s (tid %d) at %d glance%s\n",
			        role == 0 ? "held by" : "waiting", t->l[1].ok ? t->l[1].comm : "?",
			        (int)t->tid, n, n == 1 ? "" : "s");
		}
	if (rows > DOCTOR_ROWS)
		fprintf(out, "  ... and %zu more\n", rows - DOCTOR_ROWS);
}

static void print_cpu(const struct verdict *v, FILE *out)
{
	fprintf(out,
	        "cpu: the busiest thread ran or waited for a CPU %" PRIu64 " ms of %" PRIu64
	        " ms (%s)\n",
	        v->max_busy / NS_PER_MS, v->window_ns / NS_PER_MS,
	        v->cpu_moving ? "on CPU: a fifth or more" : "off CPU: under a fifth");
}

/* The progress counter, or why livelock and busy cannot be told apart. */
static void print_progress(const struct doc *d, const struct verdict *v, FILE *out)
{
	if (v->counter_known)
		fprintf(out, "progress: tl_progress_counter %" PRIu64 " -> %" PRIu64 " (%s)\n",
		        d->counter[0], d->counter[1],
		        d->counter[1] == d->counter[0] ? "standing still" : "moving");
	else if (d->counter_sym != NULL)
		fprintf(out, "progress: tl_progress_counter exported but unreadable: cannot tell "
		             "livelock from busy\n");
	else if (d->syms_rc == -ENOENT)
		fprintf(out, "progress: no executable (a kernel thread?): cannot tell livelock "
		             "from busy\n");
	else if (d->syms_rc < 0 && !is_denied(d->syms_rc))
		fprintf(out,
		        "progress: cannot read the executable's symbols (%s): cannot tell "
		        "livelock from busy\n",
		        strerror(-d->syms_rc));
	else if (d->syms_rc == 0)
		fprintf(out, "progress: no progress counter exported: cannot tell livelock from "
		             "busy\n");
	else
		fprintf(out, "progress: executable unreadable: cannot tell livelock from busy\n");
}

static void print_stacks(const struct doc *d, const struct verdict *v, FILE *out)
{
	if (d->stacks < 0) {
		fprintf(out, "stacks: cannot read %s/%d/maps (%s)\n", d->root, (int)d->pid,
		        strerror(-d->stacks));
		return;
	}
	fprintf(out,
	        "stacks: %d thread stacks of %zu KiB mapped, %zu threads besides main: "
	        "%zu without a thread, glibc caches up to %zu: %s\n",
	        d->stacks, d->stack_size / 1024, d->alive - 1,
	        (size_t)d->stacks + 1 > d->alive ? (size_t)d->stacks + 1 - d->alive : 0,
	        GLIBC_STACK_CACHE / d->stack_size,
	        v->code == TL_EXIT_LEAK ? "thread leak" : "no leak");
	if (d->orphans_rc == 0)
		fprintf(out,
		        "stack memory: %zu stacks hold no thread's stack pointer, %llu KiB of "
		        "them resident (%zu threads running: not placed)\n",
		        d->orphans, d->orphans_kb, d->unplaced);
}

/* Every live thread (the first DOCTOR_ROWS) and what it waits in. */
static void print_threads(const struct doc *d, FILE *out)
{
	size_t shown = 0;

	fprintf(out, "threads:\n  %7s  %-15s  %s  %7s  %s\n", "TID", "NAME", "S", "BUSY_MS",
	        "WAITING IN");
	for (size_t i = 0; i < d->n; i++) {
		const struct thr *t = &d->t[i];

		if (!t->l[1].ok)
			continue; /* ended while we looked */
		if (++shown > DOCTOR_ROWS) {
			fprintf(out, "  ... and %zu more (threadstat %d lists them all)\n",
			        d->alive - DOCTOR_ROWS, (int)d->pid);
			break;
		}
		fprintf(out, "  %7d  %-15s  %c  %7" PRIu64 "  ", (int)t->tid, t->l[1].comm,
		        t->l[1].state, busy_delta(t) / NS_PER_MS);
		print_wait(d, out, t);
		fputc('\n', out);
	}
}

static void report(const struct doc *d, const struct verdict *v, FILE *out)
{
	print_head(d, v, out);
	print_serial(d, v, out);
	print_waits(d, v, out);
	print_cpu(v, out);
	print_progress(d, v, out);
	print_stacks(d, v, out);
	print_threads(d, out);
	fflush(out);
}

int ts_doctor(pid_t pid, const struct ts_doctor_opts *o, FILE *out)
{
	struct doc d;
	struct verdict v;
	long window_ms = o && o->window_ms > 0 ? o->window_ms : TS_DOCTOR_WINDOW_MS;
	int rc;

	if (pid <= 0)
		return ts_unreadable(pid, -ESRCH);
	memset(&d, 0, sizeof(d));
	d.root = o && o->proc_root ? o->proc_root : "/proc";
	d.pid = pid;
	d.mem_fd = -1;
	rc = gather(&d, window_ms);
	if (rc < 0) {
		rc = ts_unreadable(pid, rc);
	} else if (rc == 0) {
		judge(&d, &v);
		report(&d, &v, out);
		rc = v.code;
	}
	if (d.mem_fd >= 0)
		close(d.mem_fd);
	ts_syms_free(&d.syms);
	free(d.t);
	return rc;
}
