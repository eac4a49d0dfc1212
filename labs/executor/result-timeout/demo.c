/* executor/result-timeout — demo
 * A timed result gives up the wait, not the task: ETIMEDOUT now, the value once the task is done.
 * A task waits for input that main has not sent yet.  Main asks for its
 * result with a timeout (tl_future_result_wait): ETIMEDOUT, and the task is
 * still RUNNING — the timeout ended main's wait, nothing else.  Main then
 * sends the input and asks again: 0, and the value.
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

static tl_event started;
static tl_event input_ready;
static long input; /* written before input_ready is set */

static void *wait_for_input_then_square(void *arg)
{
	(void)arg;
	tl_watchdog_register();
	tl_event_set(&started);
	tl_event_wait(&input_ready, -1);
	tl_progress();
	return (void *)(intptr_t)(input * input);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 1, .iterations = 12, .seed = 1, .watchdog = true, .threads_max = 1};
	tl_lab_init(argc, argv,
	            "result with a timeout: ETIMEDOUT while the task runs, then the value.", &o);
	tl_event_init(&started);
	tl_event_init(&input_ready);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	tl_pool *pool = tl_pool_create(1);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));
	tl_future *f = tl_pool_submit(pool, wait_for_input_then_square, NULL);
	if (!f)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit: %s", strerror(errno));

	tl_event_wait(&started, -1); /* so that it is RUNNING, not still PENDING */
	void *value;
	long timeout_ms = 50;
	int first = tl_future_result_wait(f, timeout_ms, &value);
	enum tl_future_state state = tl_future_state(f);
	tl_log("result within %ld ms: %s; the task is still %s", timeout_ms,
	       first == ETIMEDOUT ? "ETIMEDOUT" : strerror(first),
	       state == TL_FUTURE_RUNNING ? "RUNNING" : "not RUNNING");

	input = o.iterations;
	tl_event_set(&input_ready);
	/* Ready soon now; the limit only keeps a broken program from hanging. */
	long limit_ms = (long)(10000 * tl_slowdown());
	int second = tl_future_result_wait(f, limit_ms, &value);
	tl_log("sent the input; result within %ld ms: %s, value %ld", limit_ms,
	       second ? strerror(second) : "0", (long)(intptr_t)value);
	tl_future_free(f);
	tl_pool_free(pool);
	tl_watchdog_stop();

	if (first != ETIMEDOUT || state != TL_FUTURE_RUNNING || second != 0 ||
	    (intptr_t)value != o.iterations * o.iterations)
		return tl_lab_result(TL_EXIT_WRONG, "first wait %d, second wait %d, value %ld",
		                     first, second, (long)(intptr_t)value);
	return tl_lab_result(TL_EXIT_OK, "ETIMEDOUT after %ld ms, then %ld", timeout_ms,
	                     (long)(intptr_t)value);
}
