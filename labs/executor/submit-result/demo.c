/* executor/submit-result — demo
 * tl_pool_submit returns a future at once; tl_future_result waits for the task and gives its value.
 * A pool of one worker gets two tasks.  The first holds the worker until
 * main lets it go, so main can watch the futures' states as Python's
 * running() and done() would show them: the first RUNNING, the second
 * PENDING behind it.  Then main lets the first go and collects both results
 * with tl_future_result, which waits until each is DONE.
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

static tl_event started; /* the first task is running */
static tl_event go;      /* main lets it finish */

static const char *state_name(enum tl_future_state s)
{
	static const char *const names[] = {"PENDING", "RUNNING", "DONE", "FAILED", "CANCELLED"};
	return names[s];
}

static void *double_it_when_told(void *arg)
{
	long x = (long)(intptr_t)arg;
	tl_watchdog_register();
	tl_event_set(&started);
	tl_event_wait(&go, -1);
	tl_progress();
	return (void *)(intptr_t)(2 * x);
}

static void *double_it(void *arg)
{
	long x = (long)(intptr_t)arg;
	tl_progress();
	return (void *)(intptr_t)(2 * x);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 1, .iterations = 21, .seed = 1, .watchdog = true, .threads_max = 1};
	tl_lab_init(argc, argv, "Submit returns a future at once; result waits for the value.", &o);
	tl_event_init(&started);
	tl_event_init(&go);
	if (o.watchdog)
		tl_watchdog_start(0, 0);

	tl_pool *pool = tl_pool_create(1);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));
	long x = o.iterations;
	tl_future *first = tl_pool_submit(pool, double_it_when_told, (void *)(intptr_t)x);
	tl_future *second = tl_pool_submit(pool, double_it, (void *)(intptr_t)(x + 1));
	if (!first || !second)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit: %s", strerror(errno));
	tl_log("submitted two tasks; both calls returned at once");

	tl_event_wait(&started, -1);
	enum tl_future_state s1 = tl_future_state(first), s2 = tl_future_state(second);
	tl_log("first is %s, second is %s (one worker, busy with the first)", state_name(s1),
	       state_name(s2));

	tl_event_set(&go);
	long r1 = (long)(intptr_t)tl_future_result(first);
	long r2 = (long)(intptr_t)tl_future_result(second);
	enum tl_future_state e1 = tl_future_state(first), e2 = tl_future_state(second);
	tl_log("result(first) = %ld, result(second) = %ld; now %s and %s", r1, r2, state_name(e1),
	       state_name(e2));
	tl_future_free(first);
	tl_future_free(second);
	tl_pool_free(pool);
	tl_watchdog_stop();

	if (s1 != TL_FUTURE_RUNNING || s2 != TL_FUTURE_PENDING || e1 != TL_FUTURE_DONE ||
	    e2 != TL_FUTURE_DONE || r1 != 2 * x || r2 != 2 * (x + 1))
		return tl_lab_result(TL_EXIT_WRONG, "unexpected states or results");
	return tl_lab_result(TL_EXIT_OK, "RUNNING and PENDING, then DONE: results %ld and %ld", r1,
	                     r2);
}
