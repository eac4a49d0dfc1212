/* leak/exit-holding-lock — broken
 * A thread that returns holding a mutex leaves it locked for ever: later lockers hang.
 * An importer and an auditor share a ledger's mutex.  On a malformed record the importer's error
 * path returns without unlocking: the lock outlives its owner, and the auditor waits for it for
 * ever.
 * expect run:      deadlock
 * expect tsan:     clean
 * miss: TSan does not check what a thread holds when it ends; the hang itself it cannot see.
 * expect helgrind: mutex-misuse
 * note: "Exiting thread still holds 1 lock", reported as the importer ends; its stack is all in
 *       libc, so there is no line to point at.
 * expect drd:      mutex-misuse @join-importer
 * note: DRD says "Mutex still locked at thread exit" when the thread is joined, so it points at the
 *       join.
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
			return NULL; /* still holding ledger_lock */
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
	tl_lab_init(argc, argv,
	            "A thread returns with a mutex locked; everyone else waits for ever.", &o);
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
	pthread_join(imp, NULL); /* @join-importer */
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
