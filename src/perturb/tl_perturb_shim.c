/* libtlperturb.so — the LD_PRELOAD shim of schedule perturbation (see
 * tl_perturb.h for the contract and HACKING.md for why it is a shim).
 *
 * Each wrapper counts the call for its thread, delays when
 * tl_perturb_delays says so, and calls the next definition (glibc's, found
 * with dlsym(RTLD_NEXT)).  A call that may block, waiting for another
 * thread, is delayed before it runs, so the others get there first; a call
 * that lets another thread go (unlock, signal, post) after it has run, so
 * the thread it freed runs first.  A delay before unlock would only
 * hold the lock longer and order the threads the same way.
 *
 * The shim's own work must not order anything: under TSan an intercepted
 * call made here (write, nanosleep) would add happens-before edges of its
 * own, so it sleeps and writes through syscall(2), which TSan does not
 * intercept.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tl_perturb.h"

/* Exported: every function in this file that is not a wrapper is static. */
#define SHIM_API __attribute__((visibility("default")))

static struct {
	bool on;
	bool log;
	uint64_t seed;
	unsigned density;
	unsigned delay_us;
} cfg;

static atomic_uint_fast64_t threads_created; /* numbers threads: main is 0 */
/* initial-exec: a preloaded object has static TLS, and a thread reads these
 * before TSan has set the thread up, where its __tls_get_addr interceptor
 * must not run. */
#define SHIM_TLS _Thread_local __attribute__((tls_model("initial-exec")))
static SHIM_TLS uint64_t my_thread;
static SHIM_TLS uint64_t my_calls;

static void say(const char *text)
{
	(void)syscall(SYS_write, 2, text, strlen(text));
}

static void fail(const char *name, const char *value, const char *why)
{
	char line[256];
	snprintf(line, sizeof line, "threadlab perturb: %s='%s': %s\n", name, value, why);
	say(line);
	_exit(2);
}

static unsigned long long number(const char *name, unsigned long long dflt, unsigned long long lo,
                                 unsigned long long hi)
{
	const char *s = getenv(name);
	if (!s)
		return dflt;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-')
		fail(name, s, "not a number");
	if (v < lo || v > hi) {
		char why[80];
		snprintf(why, sizeof why, "out of range %llu-%llu", lo, hi);
		fail(name, s, why);
	}
	return v;
}

/* Read once, before main (the constructor), or at the first call, which
 * under TSan can come earlier: its runtime starts its own thread from the
 * first pthread_create. */
static void configure(void)
{
	static atomic_int state; /* 0 unread, 1 reading, 2 read */
	int expected = 0;
	if (atomic_load_explicit(&state, memory_order_acquire) == 2)
		return;
	if (!atomic_compare_exchange_strong(&state, &expected, 1)) {
		while (atomic_load_explicit(&state, memory_order_acquire) != 2)
			(void)syscall(SYS_sched_yield);
		return;
	}
	cfg.on = getenv("THREADLAB_PERTURB_SEED") != NULL;
	cfg.seed = number("THREADLAB_PERTURB_SEED", 0, 0, UINT64_MAX);
	cfg.density = (unsigned)number("THREADLAB_PERTURB_DENSITY", TL_PERTURB_DENSITY, 0, 1000);
	cfg.delay_us = (unsigned)number("THREADLAB_PERTURB_DELAY_US", TL_PERTURB_DELAY_US, 1,
	                                TL_PERTURB_DELAY_US_MAX);
	const char *log = getenv("THREADLAB_PERTURB_LOG");
	cfg.log = log && !strcmp(log, "1");
	atomic_store_explicit(&state, 2, memory_order_release);
}

/* Only this process is perturbed: the programs it runs (TSan's
 * llvm-symbolizer among them) are not, or their own locks would be delayed
 * too. */
__attribute__((constructor)) static void shim_init(void)
{
	configure();
	unsetenv("LD_PRELOAD");
}

/* The next definition of name (glibc's), looked up once per name: each
 * wrapper keeps its own in a static. */
#define next(name)                                                                                 \
	({                                                                                         \
		static void *found;                                                                \
		void *f = __atomic_load_n(&found, __ATOMIC_RELAXED);                               \
		if (!f) {                                                                          \
			f = dlsym(RTLD_NEXT, name);                                                \
			if (!f)                                                                    \
				fail("symbol", name, "no next definition (dlsym RTLD_NEXT)");      \
			__atomic_store_n(&found, f, __ATOMIC_RELAXED);                             \
		}                                                                                  \
		f;                                                                                 \
	})

static void sleep_us(unsigned us)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += us / 1000000;
	until.tv_nsec += (long)(us % 1000000) * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while (syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) != 0 &&
	       errno == EINTR)
		;
}

/* One synchronisation call of this thread: its rank decides. */
static void maybe_delay(const char *what)
{
	configure();
	uint64_t call = my_calls++;
	if (!cfg.on || !tl_perturb_delays(cfg.seed, cfg.density, my_thread, call))
		return;
	if (cfg.log) {
		char line[160];
		snprintf(line, sizeof line,
		         "threadlab perturb: seed %" PRIu64 " thread %" PRIu64 " call %" PRIu64
		         " %s: delay %u us\n",
		         cfg.seed, my_thread, call, what, cfg.delay_us);
		say(line);
	}
	sleep_us(cfg.delay_us);
}

/* NOLINTBEGIN(bugprone-macro-parentheses): ret, params and args are a type
 * and lists, which parentheses would break. */

/* A wrapper whose call may wait for another thread: delay, then call. */
#define BEFORE(ret, name, params, args)                                                            \
	SHIM_API ret name params                                                                   \
	{                                                                                          \
		ret(*real) params = (ret(*) params)next(#name);                                    \
		maybe_delay(#name);                                                                \
		return real args;                                                                  \
	}

/* A wrapper whose call lets another thread go: call, then delay. */
#define AFTER(ret, name, params, args)                                                             \
	SHIM_API ret name params                                                                   \
	{                                                                                          \
		ret(*real) params = (ret(*) params)next(#name);                                    \
		ret r = real args;                                                                 \
		maybe_delay(#name);                                                                \
		return r;                                                                          \
	}

/* NOLINTEND(bugprone-macro-parentheses) */

BEFORE(int, pthread_mutex_lock, (pthread_mutex_t * m), (m))
BEFORE(int, pthread_mutex_trylock, (pthread_mutex_t * m), (m))
BEFORE(int, pthread_mutex_timedlock, (pthread_mutex_t * m, const struct timespec *t), (m, t))
AFTER(int, pthread_mutex_unlock, (pthread_mutex_t * m), (m))
BEFORE(int, pthread_rwlock_rdlock, (pthread_rwlock_t * l), (l))
BEFORE(int, pthread_rwlock_wrlock, (pthread_rwlock_t * l), (l))
AFTER(int, pthread_rwlock_unlock, (pthread_rwlock_t * l), (l))
BEFORE(int, pthread_cond_wait, (pthread_cond_t * c, pthread_mutex_t *m), (c, m))
BEFORE(int, pthread_cond_timedwait,
       (pthread_cond_t * c, pthread_mutex_t *m, const struct timespec *t), (c, m, t))
AFTER(int, pthread_cond_signal, (pthread_cond_t * c), (c))
AFTER(int, pthread_cond_broadcast, (pthread_cond_t * c), (c))
BEFORE(int, sem_wait, (sem_t * s), (s))
BEFORE(int, sem_trywait, (sem_t * s), (s))
BEFORE(int, sem_timedwait, (sem_t * s, const struct timespec *t), (s, t))
AFTER(int, sem_post, (sem_t * s), (s))
BEFORE(int, pthread_join, (pthread_t t, void **ret), (t, ret))
BEFORE(int, pthread_barrier_wait, (pthread_barrier_t * b), (b))

/* pthread_create: the creator numbers the new thread (so the numbers
 * follow the program's order of creation, not the scheduler's order of
 * starting) and may be delayed before it creates it; the new thread may be
 * delayed before its start routine.  Under TSan the two are tied: TSan's
 * pthread_create waits for the new thread to reach its own start routine,
 * and that thread waits for TSan's pthread_create to go on, so a delay in
 * either holds both (which is why the creator's delay comes before the
 * call: after it, it would hold the new thread too).
 *
 * The new thread's start routine, argument and number travel in a slot of
 * a fixed table, not in malloc'ed memory: under TSan the new thread runs
 * start_thread before TSan has set it up, where its free() would crash.
 */
struct start {
	void *(*fn)(void *);
	void *arg;
	uint64_t thread;
};

#define START_SLOTS 1024
static struct start slots[START_SLOTS];
static atomic_bool slot_busy[START_SLOTS];

/* A free slot; with every slot busy (1024 threads created, none started
 * yet) it waits for a thread to start. */
static struct start *slot_take(uint64_t thread)
{
	for (uint64_t i = thread;; i++) {
		if (!atomic_exchange(&slot_busy[i % START_SLOTS], true))
			return &slots[i % START_SLOTS];
		if (i % START_SLOTS == START_SLOTS - 1)
			(void)syscall(SYS_sched_yield);
	}
}

static void slot_give_back(struct start *slot)
{
	atomic_store(&slot_busy[slot - slots], false);
}

static void *start_thread(void *p)
{
	struct start s = *(struct start *)p;
	slot_give_back(p);
	my_thread = s.thread;
	my_calls = 0;
	maybe_delay("thread start");
	return s.fn(s.arg);
}

SHIM_API int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
                            void *arg)
{
	int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) = (int (*)(
	    pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))next("pthread_create");
	maybe_delay("pthread_create");
	uint64_t thread = atomic_fetch_add(&threads_created, 1) + 1;
	struct start *s = slot_take(thread);
	*s = (struct start){fn, arg, thread};
	int r = real(t, attr, start_thread, s);
	if (r != 0)
		slot_give_back(s);
	return r;
}
