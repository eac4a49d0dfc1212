/* executor/shutdown — demo
 * Shutdown refuses new tasks; `wait` says if you wait for the rest, `cancel_pending` if they run.
 * Three pools of one worker, each with a task that holds the worker until
 * main lets it go and three more queued behind it:
 *  1. shutdown(wait) returns only when every task has run;
 *  2. shutdown(no wait) returns at once: the held task is still RUNNING,
 *     the queued ones still PENDING and still to run; a submit now fails
 *     with ESHUTDOWN; tl_pool_free then waits for them all;
 *  3. shutdown(no wait, cancel_pending): the queued tasks are CANCELLED at
 *     once; the running one is not interrupted and finishes.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_pool.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

#define QUEUED 3

static tl_event started; /* the held task is running */
static tl_event go;      /* main lets it finish */

static void *held_task(void *arg)
{
	tl_watchdog_register();
	tl_event_set(&started);
	tl_event_wait(&go, -1);
	tl_progress();
	return arg;
}

static void *quick_task(void *arg)
{
	tl_progress();
	return arg;
}

/* A pool of one worker: held_task running, QUEUED quick tasks behind it. */
static tl_pool *busy_pool(tl_future **f)
{
	tl_event_clear(&started);
	tl_event_clear(&go);
	tl_pool *pool = tl_pool_create(1);
	if (!pool)
		return NULL;
	for (long i = 0; i <= QUEUED; i++) {
		f[i] = tl_pool_submit(pool, i == 0 ? held_task : quick_task, (void *)(intptr_t)i);
		if (!f[i]) {
			tl_event_set(&go);
			tl_pool_free(pool);
			return NULL;
		}
	}
	tl_event_wait(&started, -1);
	return pool;
}

/* "RUNNING PENDING PENDING PENDING" */
static const char *states(tl_future **f, char *buf, size_t len)
{
	static const char *const names[] = {"PENDING", "RUNNING", "DONE", "FAILED", "CANCELLED"};
	size_t used = 0;
	buf[0] = '\0';
	for (long i = 0; i <= QUEUED && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "",
		                         names[tl_future_state(f[i])]);
	return buf;
}

static int count_in(tl_future **f, enum tl_future_state s)
{
	int n = 0;
	for (long i = 0; i <= QUEUED; i++)
		n += tl_future_state(f[i]) == s;
	return n;
}

static void free_all(tl_future **f)
{
	for (long i = 0; i <= QUEUED; i++)
		tl_future_free(f[i]);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 1, .iterations = 1, .seed = 1, .watchdog = true, .threads_max = 1};
	tl_lab_init(argc, argv, "Shutdown with and without waiting, and with cancel_pending.", &o);
	tl_event_init(&started);
	tl_event_init(&go);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	tl_future *f[QUEUED + 1];
	char buf[80];
	int wrong = 0;

	/* 1: shutdown(wait).  The held task is let go first: waiting for a task
	 * only main could release would wait for ever. */
	tl_pool *pool = busy_pool(f);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "pool: %s", strerror(errno));
	tl_log("1. before shutdown:          %s", states(f, buf, sizeof buf));
	tl_event_set(&go);
	tl_pool_shutdown(pool, true, false);
	tl_log("   after shutdown(wait):     %s", states(f, buf, sizeof buf));
	wrong += count_in(f, TL_FUTURE_DONE) != QUEUED + 1;
	free_all(f);
	tl_pool_free(pool);

	/* 2: shutdown(no wait), then tl_pool_free waits. */
	pool = busy_pool(f);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "pool: %s", strerror(errno));
	tl_pool_shutdown(pool, false, false);
	tl_log("2. after shutdown(no wait):  %s", states(f, buf, sizeof buf));
	wrong +=
	    tl_future_state(f[0]) != TL_FUTURE_RUNNING || count_in(f, TL_FUTURE_PENDING) != QUEUED;
	tl_future *late = tl_pool_submit(pool, quick_task, NULL);
	int late_errno = errno;
	tl_log("   submit now:               %s (%s)", late ? "a future" : "NULL",
	       late_errno == ESHUTDOWN ? "ESHUTDOWN" : strerror(late_errno));
	wrong += late != NULL || late_errno != ESHUTDOWN;
	tl_event_set(&go);
	tl_pool_free(pool);
	tl_log("   after tl_pool_free:       %s", states(f, buf, sizeof buf));
	wrong += count_in(f, TL_FUTURE_DONE) != QUEUED + 1;
	free_all(f);

	/* 3: shutdown(no wait, cancel_pending). */
	pool = busy_pool(f);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "pool: %s", strerror(errno));
	tl_pool_shutdown(pool, false, true);
	tl_log("3. after shutdown(cancel):   %s", states(f, buf, sizeof buf));
	wrong += tl_future_state(f[0]) != TL_FUTURE_RUNNING ||
	         count_in(f, TL_FUTURE_CANCELLED) != QUEUED;
	tl_event_set(&go);
	tl_pool_free(pool);
	tl_log("   after tl_pool_free:       %s", states(f, buf, sizeof buf));
	wrong +=
	    tl_future_state(f[0]) != TL_FUTURE_DONE || count_in(f, TL_FUTURE_CANCELLED) != QUEUED;
	free_all(f);
	tl_watchdog_stop();

	if (wrong)
		return tl_lab_result(TL_EXIT_WRONG, "%d states not as described", wrong);
	return tl_lab_result(TL_EXIT_OK, "wait ran all 4, no wait returned at once, cancel_pending "
	                                 "cancelled the 3 queued");
}
