/* executor/error-ignored — broken
 * A failed task's result is NULL, and NULL adds up as 0: never ask for errors and you lose them.
 * Tasks read the amounts of a statement's lines ("12.50") into cents; two
 * lines are not amounts ("7,99", "1O.00"), and their tasks fail with
 * tl_task_fail.  Main adds up tl_future_result of every line, never asking
 * tl_future_error: the failed lines add NULL, that is 0, and the total it
 * prints for "all 12 lines" is wrong.  Its own check, against the
 * statement's answer key, says so.
 * expect run:      wrong-result
 * expect tsan:     clean
 * miss: an error nobody reads is a logic bug, not a race: the pool orders every access to a result.
 * expect helgrind: clean
 * miss: likewise: the futures order every access, and no lock is misused.
 * expect drd:      clean
 * miss: likewise: the futures order every access.
 * expect memcheck: clean
 * miss: the failure's message is freed with its future: nothing leaks and no memory is misused.
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
	            "Results are added up without asking for errors: failures count as 0.", &o);
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
	int counted = 0;
	for (int i = 0; i < LINES; i++) {
		/* A failed task's result is NULL: it adds 0, silently. */
		total += (long)(intptr_t)tl_future_result(f[i]); /* @lost */
		counted++;
		tl_future_free(f[i]);
	}
	tl_pool_free(pool);
	tl_log("statement: %d lines, total %ld.%02ld", counted, total / 100, total % 100);

	/* The check: the answer key's total over the lines this total claims. */
	long key = 0;
	int unreadable = 0;
	for (int i = 0; i < LINES; i++) {
		key += statement[i].cents;
		unreadable += !statement[i].readable;
	}
	if (total != key)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "claims all %d lines total %ld.%02ld, but they total %ld.%02ld: "
		    "%d failed lines were read as 0 and nobody said so",
		    counted, total / 100, total % 100, key / 100, key % 100, unreadable);
	return tl_lab_result(TL_EXIT_OK, "%d lines, total %ld.%02ld", counted, total / 100,
	                     total % 100);
}
