/* process/pool-timeout — demo
 * A stuck task's worker process is killed at its time limit and replaced; a thread cannot be.
 * A process pool with one worker and an initializer.  The first task hangs (it waits for a signal
 * that never comes); it was submitted with a 200 ms limit, so the pool kills its worker with
 * SIGKILL, fails the task with a message saying so, and forks a fresh worker, which runs the
 * initializer again before it takes the next task.  A thread pool can only stop waiting for such a
 * task (executor/result-timeout): nothing can stop the thread.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_ppool.h"
#include "tl_watchdog.h" /* tl_slowdown */

/* Shared with the workers (MAP_SHARED): how many initializers ran. */
static atomic_long *inits;

static void init_worker(void *arg)
{
	(void)arg;
	long n = atomic_fetch_add(inits, 1) + 1;
	tl_log("initializer %ld runs in worker %d", n, (int)getpid());
}

static size_t hang(const void *arg, size_t len, void *out, size_t cap)
{
	(void)arg, (void)len, (void)out, (void)cap;
	for (;;)
		pause(); /* @stuck */
	return 0;        /* never reached: the pool kills it */
}

static size_t double_it(const void *arg, size_t len, void *out, size_t cap)
{
	long x;
	(void)len, (void)cap;
	memcpy(&x, arg, sizeof x);
	x *= 2;
	memcpy(out, &x, sizeof x);
	return sizeof x;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1, .iterations = 21, .threads_max = 1};
	tl_lab_init(argc, argv, "a stuck task's worker process is killed and replaced.", &o);
	inits =
	    mmap(NULL, sizeof *inits, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (inits == MAP_FAILED)
		return tl_lab_result(TL_EXIT_FAILURE, "mmap: %s", strerror(errno));
	atomic_init(inits, 0);
	tl_ppool *p = tl_ppool_create(1, init_worker, NULL);
	if (!p)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_ppool_create: %s", strerror(errno));

	long limit_ms = 200;
	tl_pfuture *stuck = tl_ppool_submit_timeout(p, hang, NULL, 0, limit_ms);
	long x = o.iterations;
	tl_pfuture *next = tl_ppool_submit(p, double_it, &x, sizeof x);
	if (!stuck || !next)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_ppool_submit: %s", strerror(errno));
	/* The pool ends the task in 200 ms; this limit only keeps a broken
	 * program from hanging. */
	long safety_ms = (long)(10000 * tl_slowdown());
	if (tl_pfuture_wait(stuck, safety_ms) || tl_pfuture_wait(next, safety_ms))
		return tl_lab_result(TL_EXIT_TIMEOUT, "the stuck task still runs after %ld ms",
		                     safety_ms);
	const char *why;
	int code = tl_pfuture_error(stuck, &why);
	pid_t killed = tl_pfuture_worker(stuck);
	tl_log("stuck task: %s: %s", code == TL_PPOOL_KILLED ? "TL_PPOOL_KILLED" : strerror(code),
	       why ? why : "(no message)");
	const void *data;
	size_t len;
	int rc = tl_pfuture_result_wait(next, -1, &data, &len);
	long doubled = 0;
	if (!rc && len == sizeof doubled)
		memcpy(&doubled, data, sizeof doubled);
	pid_t replacement = tl_pfuture_worker(next);
	tl_log("next task: %s, %ld, in worker %d", rc ? strerror(rc) : "0", doubled,
	       (int)replacement);
	tl_pfuture_free(stuck);
	tl_pfuture_free(next);
	tl_ppool_free(p);
	long ran = atomic_load(inits);
	munmap(inits, sizeof *inits);

	if (code != TL_PPOOL_KILLED || rc || doubled != 2 * x || replacement == killed || ran != 2)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "stuck task code %d, next task %d value %ld, initializers %ld",
		                     code, rc, doubled, ran);
	return tl_lab_result(
	    TL_EXIT_OK, "worker %d killed after %ld ms, worker %d (initialized again) gave %ld",
	    (int)killed, limit_ms, (int)replacement, doubled);
}
