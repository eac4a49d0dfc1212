/* executor/wait-in-worker — broken
 * A task that waits for its own pool's tasks holds a worker they need: once all wait, nothing runs.
 * Each report is a task on a pool of two workers.  A report splits its
 * customer's orders into parts, submits the parts to the same pool, and
 * waits for their results to add them up.  Two reports take both workers;
 * their parts sit in the queue behind them with no worker left to run them.
 * expect run:      deadlock
 * expect tsan:     clean
 * miss: every thread sleeps on a condition variable with its mutex released: no lock cycle, no
 *       race.
 * expect helgrind: clean
 * miss: Helgrind checks locks and races; a wait for a future nobody will run breaks no rule it has.
 * expect drd:      clean
 * miss: DRD, likewise, has no rule for a wait that can never end.
 * expect memcheck: thread-leak @pool
 * note: the watchdog ends the process with the pool's workers (and its own thread) still alive:
 *       Memcheck reports each one's thread block, allocated by pthread_create, as possibly lost.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_pool.h"
#include "tl_stage.h"
#include "tl_watchdog.h"

#define MAX_WORKERS 8
#define PARTS       2
#define ORDERS      1000 /* per customer */

static tl_pool *pool;

/* The reports' staging: each report holds its worker until every report
 * holds one (or 100 ms x slowdown pass).  So all workers are taken before
 * any part is submitted, on every run. */
static tl_event holding[MAX_WORKERS];
static long reports;

struct part {
	long first, count; /* order numbers */
};

/* The value of orders first .. first+count-1 (order k is worth k). */
static void *add_up_part(void *arg)
{
	struct part *p = arg;
	long sum = 0;
	for (long k = p->first; k < p->first + p->count; k++)
		sum += k;
	tl_progress();
	return (void *)(intptr_t)sum;
}

struct report {
	long customer;
	struct part parts[PARTS];
	tl_future *futures[PARTS];
};

static void *make_report(void *arg)
{
	struct report *r = arg;
	tl_watchdog_register(); /* this worker: the watchdog names it if it stalls */
	tl_stage_meet(holding, reports, r->customer, 100);

	long first = r->customer * ORDERS;
	for (int i = 0; i < PARTS; i++) {
		r->parts[i] = (struct part){first + i * (ORDERS / PARTS), ORDERS / PARTS};
		r->futures[i] = tl_pool_submit(pool, add_up_part, &r->parts[i]);
	}
	long total = 0;
	for (int i = 0; i < PARTS; i++) {
		/* Waits here, on a worker, for a task that needs a worker. */
		total += (long)(intptr_t)tl_future_result(r->futures[i]); /* @wait-inside */
		tl_future_free(r->futures[i]);
	}
	tl_progress();
	return (void *)(intptr_t)total;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 1,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = MAX_WORKERS};
	tl_lab_init(argc, argv,
	            "Tasks wait inside the pool for parts that need the pool's workers.", &o);
	reports = o.threads; /* as many reports as workers */
	for (long i = 0; i < reports; i++)
		tl_event_init(&holding[i]);
	pool = tl_pool_create((int)o.threads); /* @pool */
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));
	if (o.watchdog)
		tl_watchdog_start(0, 0);

	struct report r[MAX_WORKERS];
	tl_future *f[MAX_WORKERS];
	for (long c = 0; c < reports; c++) {
		r[c] = (struct report){.customer = c};
		if (!(f[c] = tl_pool_submit(pool, make_report, &r[c])))
			return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit: %s",
			                     strerror(errno));
	}
	long total = 0;
	for (long c = 0; c < reports; c++) {
		long t = (long)(intptr_t)tl_future_result(f[c]);
		tl_log("customer %ld: orders worth %ld", c, t);
		total += t;
		tl_future_free(f[c]);
	}
	tl_pool_free(pool);
	tl_watchdog_stop();

	long n = reports * ORDERS;
	if (total != n * (n - 1) / 2)
		return tl_lab_result(TL_EXIT_WRONG, "total %ld, expected %ld", total,
		                     n * (n - 1) / 2);
	return tl_lab_result(TL_EXIT_OK, "%ld reports, orders worth %ld in all", reports, total);
}
