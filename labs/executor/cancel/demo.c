/* executor/cancel — demo
 * Cancel stops only a task that has not started; a running task runs on until it stops itself.
 * A pool of one worker: the first task works in small steps until it is
 * asked to stop; two more wait in the queue behind it.  Cancelling the
 * second (PENDING) succeeds: it becomes CANCELLED and its function never
 * runs.  Cancelling the first (RUNNING) returns false, and it goes on; only
 * the stop request main then sets ends it, after its current step, with its
 * result.  The third task runs as usual.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_pool.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

static tl_event started;      /* the long task is running */
static tl_event stop_request; /* main asks it to stop */

/* How many times each task's function was called (by the one worker;
 * main reads them after tl_pool_free has joined it). */
static int calls[3];

static const char *state_name(enum tl_future_state s)
{
	static const char *const names[] = {"PENDING", "RUNNING", "DONE", "FAILED", "CANCELLED"};
	return names[s];
}

/* Works until asked to stop: cancellation of a running task is cooperative.
 * A step here is a wait of up to a millisecond on the stop request, standing
 * for a slice of real work.  Spinning on tl_event_is_set instead would keep
 * the event's mutex busy, and where one thread runs at a time (one core, or
 * Valgrind) main could wait minutes for it to set the request. */
static void *long_task(void *arg)
{
	(void)arg;
	calls[0]++;
	tl_watchdog_register();
	long steps = 0;
	do {
		steps++;
		tl_progress();
		if (steps == 1)
			tl_event_set(&started);
	} while (tl_event_wait(&stop_request, 1) != 0);
	tl_log("asked to stop: returns after %ld step%s", steps, steps == 1 ? "" : "s");
	return (void *)(intptr_t)steps;
}

static void *short_task(void *arg)
{
	long which = (long)(intptr_t)arg;
	calls[which]++;
	tl_log("task %ld runs", which);
	return arg;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 1, .iterations = 1, .seed = 1, .watchdog = true, .threads_max = 1};
	tl_lab_init(argc, argv,
	            "Cancel stops a pending task; a running one runs until it stops itself.", &o);
	tl_event_init(&started);
	tl_event_init(&stop_request);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	tl_pool *pool = tl_pool_create(1);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));
	tl_future *f[3] = {tl_pool_submit(pool, long_task, NULL),
	                   tl_pool_submit(pool, short_task, (void *)1),
	                   tl_pool_submit(pool, short_task, (void *)2)};
	if (!f[0] || !f[1] || !f[2])
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit: %s", strerror(errno));
	tl_event_wait(&started, -1);

	bool pending_cancelled = tl_future_cancel(f[1]);
	tl_log("cancel(task 1, %s) -> %s; now %s", "PENDING", pending_cancelled ? "true" : "false",
	       state_name(tl_future_state(f[1])));
	bool running_cancelled = tl_future_cancel(f[0]);
	tl_log("cancel(task 0, %s) -> %s; still %s", "RUNNING",
	       running_cancelled ? "true" : "false", state_name(tl_future_state(f[0])));
	tl_event_set(&stop_request);

	void *r0 = tl_future_result(f[0]);
	const char *why;
	int err1 = tl_future_error(f[1], &why);
	void *r2 = tl_future_result(f[2]);
	enum tl_future_state s0 = tl_future_state(f[0]);
	tl_log("task 0: %s, result %ld; task 1: %s (%s); task 2: %s, result %ld", state_name(s0),
	       (long)(intptr_t)r0, state_name(tl_future_state(f[1])), why,
	       state_name(tl_future_state(f[2])), (long)(intptr_t)r2);
	for (int i = 0; i < 3; i++)
		tl_future_free(f[i]);
	tl_pool_free(pool);
	tl_watchdog_stop();

	if (!pending_cancelled || running_cancelled || err1 != ECANCELED || s0 != TL_FUTURE_DONE ||
	    (intptr_t)r2 != 2 || calls[0] != 1 || calls[1] != 0 || calls[2] != 1)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "cancel did not behave as described (calls %d %d %d)",
		                     calls[0], calls[1], calls[2]);
	return tl_lab_result(TL_EXIT_OK,
	                     "the pending task never ran; the running one finished when asked");
}
