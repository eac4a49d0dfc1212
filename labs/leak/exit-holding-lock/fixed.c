/* leak/exit-holding-lock — fixed
 * Unlock on every way out of a locked region, error paths included.
 * The importer's error path unlocks before it returns: giving up leaves the ledger free, and the
 * auditor sees it is done.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>
#include <stdbool.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

static pthread_mutex_t ledger_lock;
static long records, balance, imported, rejected, audits;
static bool importer_done;

/* Record r's amount; one record in the middle is malformed (negative). */
static long amount_of(long r)
{
	return r == records / 2 ? -1 : r % 97 + 1;
}

static void *importer(void *arg)
{
	(void)arg;
	tl_thread_name("importer");
	tl_watchdog_register();
	for (long r = 0; r < records; r++) {
		pthread_mutex_lock(&ledger_lock);
		long amount = amount_of(r);
		if (amount < 0) {
			rejected++;
			importer_done = true;
			tl_log("record %ld is malformed: giving up", r);
			pthread_mutex_unlock(&ledger_lock); /* every way out unlocks */
			return NULL;
		}
		balance += amount;
		imported++;
		pthread_mutex_unlock(&ledger_lock);
		tl_progress();
	}
	pthread_mutex_lock(&ledger_lock);
	importer_done = true;
	pthread_mutex_unlock(&ledger_lock);
	return NULL;
}

/* Checks the ledger again and again until the importer is done. */
static void *auditor(void *arg)
{
	(void)arg;
	tl_thread_name("auditor");
	tl_watchdog_register();
	for (bool done = false; !done;) {
		pthread_mutex_lock(&ledger_lock);
		done = importer_done;
		audits += balance >= 0;
		pthread_mutex_unlock(&ledger_lock);
		tl_progress();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 2000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2,
	                        .iterations_min = 2};
	tl_lab_init(argc, argv, "Every way out of a locked region must unlock.", &o);
	pthread_mutex_init(&ledger_lock, NULL);
	records = o.iterations;
	long expect = 0; /* the records before the malformed one */
	for (long r = 0; r < records / 2; r++)
		expect += amount_of(r);
	if (o.watchdog)
		tl_watchdog_start(0, 0);

	pthread_t imp, aud;
	tl_lab_thread_create(&imp, importer, NULL);
	tl_lab_thread_create(&aud, auditor, NULL);
	pthread_join(imp, NULL);
	pthread_join(aud, NULL);
	tl_watchdog_stop();
	pthread_mutex_destroy(&ledger_lock);

	if (balance != expect)
		return tl_lab_result(TL_EXIT_WRONG, "ledger off: balance %ld, expected %ld",
		                     balance, expect);
	return tl_lab_result(
	    TL_EXIT_OK, "%ld records imported, %ld rejected, balance %ld, ledger audited %ld times",
	    imported, rejected, balance, audits);
}
