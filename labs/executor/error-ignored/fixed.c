/* executor/error-ignored — fixed
 * Ask each future for its error before using its result: report what failed, add up only the rest.
 * The same statement and tasks.  Main asks each future tl_future_error
 * first: the two unreadable lines are reported with their messages and
 * left out of the total, and the total says which lines it covers.  The
 * same check, against the same answer key, passes: the claim is true.
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

#define LINES 12

struct line {
	const char *text;
	long cents; /* the answer key: what the line is worth, if it is readable */
	bool readable;
};

static const struct line statement[LINES] = {
    {"12.50", 1250, true}, {"3.20", 320, true}, {"7,99", 799, false},   {"0.45", 45, true},
    {"19.99", 1999, true}, {"5.00", 500, true}, {"1O.00", 1000, false}, {"8.75", 875, true},
    {"42.00", 4200, true}, {"0.99", 99, true},  {"6.10", 610, true},    {"2.30", 230, true},
};

/* "D.CC" into cents; anything else fails with EINVAL. */
static void *read_amount(void *arg)
{
	const char *s = arg;
	long units = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++)
		units = units * 10 + (*p - '0');
	if (p == s || p[0] != '.' || !(p[1] >= '0' && p[1] <= '9') ||
	    !(p[2] >= '0' && p[2] <= '9') || p[3] != '\0') {
		tl_task_fail(EINVAL, "'%s' is not an amount like 12.50", s);
		return NULL;
	}
	return (void *)(intptr_t)(units * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .watchdog = true};
	tl_lab_init(argc, argv,
	            "Each future's error is checked first; failures are reported, not added.", &o);
	tl_pool *pool = tl_pool_create((int)o.threads);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));
	tl_future *f[LINES];
	for (int i = 0; i < LINES; i++)
		if (!(f[i] =
		          tl_pool_submit(pool, read_amount, (void *)(uintptr_t)statement[i].text)))
			return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit: %s",
			                     strerror(errno));

	long total = 0;
	int counted = 0, failed = 0;
	bool covered[LINES] = {false};
	for (int i = 0; i < LINES; i++) {
		const char *why;
		int err = tl_future_error(f[i], &why);
		if (err) {
			tl_log("line %d failed: %s (%s)", i + 1, why ? why : "no message",
			       strerror(err));
			failed++;
		} else {
			total += (long)(intptr_t)tl_future_result(f[i]);
			covered[i] = true;
			counted++;
		}
		tl_future_free(f[i]);
	}
	tl_pool_free(pool);
	tl_log("statement: %d of %d lines read, total %ld.%02ld; %d lines failed (above)", counted,
	       LINES, total / 100, total % 100, failed);

	/* The check: the answer key's total over the lines this total claims. */
	long key = 0;
	int unreadable = 0;
	for (int i = 0; i < LINES; i++) {
		if (covered[i])
			key += statement[i].cents;
		unreadable += !statement[i].readable;
	}
	if (total != key || counted + failed != LINES || failed != unreadable)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "claims %d lines total %ld.%02ld, but they total %ld.%02ld",
		                     counted, total / 100, total % 100, key / 100, key % 100);
	return tl_lab_result(TL_EXIT_OK, "%d lines total %ld.%02ld; %d unreadable lines reported",
	                     counted, total / 100, total % 100, failed);
}
