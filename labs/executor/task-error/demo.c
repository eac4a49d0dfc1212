/* executor/task-error — demo
 * A task fails with tl_task_fail, C's raise; its caller catches the failure with tl_future_error.
 * Tasks read amounts like "12.50" from text.  Two of the texts are not
 * amounts: their tasks fail with a code (EINVAL, ERANGE) and a message.
 * Main asks every future for its error: a failed one has state FAILED, its
 * result is NULL, and tl_future_error gives the code and the message, the
 * way Python's result() re-raises the exception.  Then tl_pool_map over the
 * same texts stops at the first failure in input order and returns its code.
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

#define N_TEXTS 6

static const char *const texts[N_TEXTS] = {"12.50", "3.20", "7,99", "0.45", "99999.00", "19.99"};
/* What each should give: cents, or the error its task fails with. */
static const long want_cents[N_TEXTS] = {1250, 320, 0, 45, 0, 1999};
static const int want_error[N_TEXTS] = {0, 0, EINVAL, 0, ERANGE, 0};

/* "D.CC" with at most 4 digits before the point, into cents. */
static void *read_amount(void *arg)
{
	const char *s = arg;
	long units = 0;
	int digits = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		units = units * 10 + (*p - '0');
	if (digits == 0 || p[0] != '.' || !(p[1] >= '0' && p[1] <= '9') ||
	    !(p[2] >= '0' && p[2] <= '9') || p[3] != '\0') {
		tl_task_fail(EINVAL, "'%s' is not an amount like 12.50", s);
		return NULL; /* raise: ignored, the future is FAILED */
	}
	if (digits > 4) {
		tl_task_fail(ERANGE, "'%s' is more than 9999.99", s);
		return NULL;
	}
	return (void *)(intptr_t)(units * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .watchdog = true};
	tl_lab_init(argc, argv,
	            "A task's error comes back through its future: ask tl_future_error.", &o);
	tl_pool *pool = tl_pool_create((int)o.threads);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));

	tl_future *futures[N_TEXTS];
	for (int i = 0; i < N_TEXTS; i++)
		if (!(futures[i] = tl_pool_submit(pool, read_amount, (void *)texts[i])))
			return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit: %s",
			                     strerror(errno));

	long total = 0, wrong = 0;
	int failed = 0;
	for (int i = 0; i < N_TEXTS; i++) {
		const char *message;
		int err = tl_future_error(futures[i], &message); /* waits, like result() */
		if (err) {
			/* The "except" branch: state FAILED, result NULL. */
			failed++;
			tl_log("text %d failed: %s (%s); state %s, result %p", i, message,
			       strerror(err),
			       tl_future_state(futures[i]) == TL_FUTURE_FAILED ? "FAILED" : "?",
			       tl_future_result(futures[i]));
		} else {
			long cents = (long)(intptr_t)tl_future_result(futures[i]);
			tl_log("text %d: %s -> %ld cents", i, texts[i], cents);
			total += cents;
			wrong += cents != want_cents[i];
		}
		wrong += err != want_error[i];
		tl_future_free(futures[i]);
	}

	/* map: all or nothing, and the first failure in input order wins. */
	void *results[N_TEXTS];
	int rc = tl_pool_map(pool, read_amount, (void **)texts, results, N_TEXTS, 1);
	tl_log("tl_pool_map over the same texts: %s; results[0] = %ld, results[2] = %p",
	       strerror(rc), (long)(intptr_t)results[0], results[2]);
	wrong += rc != EINVAL || (intptr_t)results[0] != 1250 || results[2] != NULL;
	tl_pool_free(pool);

	if (wrong)
		return tl_lab_result(TL_EXIT_WRONG, "%ld outcomes not as expected", wrong);
	return tl_lab_result(TL_EXIT_OK,
	                     "%d texts read (%ld cents), %d failures caught and reported",
	                     N_TEXTS - failed, total, failed);
}
