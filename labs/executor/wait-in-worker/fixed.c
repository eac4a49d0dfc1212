/* executor/wait-in-worker — fixed
 * Submit from a task if you like, but wait outside the pool: a waiting caller holds no worker.
 * The same reports on the same pool of two workers, with the same staging.
 * A report still splits its customer's orders into parts and submits them,
 * but it does not wait for them: it returns, handing its parts' futures to
 * main, and main waits for the parts and adds them up.  No task ever waits,
 * so the workers are always free to run what is queued.
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

/* Plans the report and starts its parts; the caller adds them up. */
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
	tl_progress();
	return r; /* no wait here: the worker is free for the parts */
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
	            "Tasks submit their parts and return; the caller waits for the parts.", &o);
	reports = o.threads; /* as many reports as workers */
	for (long i = 0; i < reports; i++)
		tl_event_init(&holding[i]);
	pool = tl_pool_create((int)o.threads);
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
		struct report *planned = tl_future_result(f[c]);
		tl_future_free(f[c]);
		long t = 0;
		for (int i = 0; i < PARTS; i++) {
			/* Main waits: it is not a worker, so nothing queued needs it. */
			t += (long)(intptr_t)tl_future_result(planned->futures[i]);
			tl_future_free(planned->futures[i]);
		}
		tl_log("customer %ld: orders worth %ld", c, t);
		total += t;
	}
	tl_pool_free(pool);
	tl_watchdog_stop();

	long n = reports * ORDERS;
	if (total != n * (n - 1) / 2)
		return tl_lab_result(TL_EXIT_WRONG, "total %ld, expected %ld", total,
		                     n * (n - 1) / 2);
	return tl_lab_result(TL_EXIT_OK, "%ld reports, orders worth %ld in all", reports, total);
}
