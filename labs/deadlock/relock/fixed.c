/* deadlock/relock — fixed
 * Split the function: a _locked variant for callers that hold the mutex, so nobody locks twice.
 * The same log buffer, with the flush split in two: log_flush_locked() for callers that already
 * hold the mutex, log_flush() for those that do not. Nobody takes the mutex twice.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

#define LOG_CAPACITY 64

/* A log buffer: records collect in `pending` and are flushed (here, added to
 * a running checksum) when the buffer is full or when someone asks. */
static struct {
	pthread_mutex_t lock;
	long pending[LOG_CAPACITY];
	int npending;
	long flushed, flushes, checksum;
} logbuf;

/* Writes out everything pending.  The caller holds logbuf.lock. */
static void log_flush_locked(void)
{
	for (int i = 0; i < logbuf.npending; i++)
		logbuf.checksum += logbuf.pending[i];
	logbuf.flushed += logbuf.npending;
	logbuf.npending = 0;
	logbuf.flushes++;
}

/* Public: writes out everything pending. */
static void log_flush(void)
{
	pthread_mutex_lock(&logbuf.lock);
	log_flush_locked();
	pthread_mutex_unlock(&logbuf.lock);
}

/* Public: adds one record, flushing first if the buffer is full. */
static void log_append(long record)
{
	pthread_mutex_lock(&logbuf.lock);
	if (logbuf.npending == LOG_CAPACITY)
		log_flush_locked(); /* we hold logbuf.lock already */
	logbuf.pending[logbuf.npending++] = record;
	pthread_mutex_unlock(&logbuf.lock);
}

struct writer {
	long index, records;
};

static void *writer(void *arg)
{
	struct writer *w = arg;
	tl_thread_name("writer-%ld", w->index);
	tl_watchdog_register();
	for (long i = 0; i < w->records; i++) {
		log_append(w->index * w->records + i);
		tl_progress();
	}
	tl_log("appended %ld records", w->records);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 2, .iterations = 1000, .seed = 1, .watchdog = true, .threads_max = 8};
	tl_lab_init(argc, argv, "The helper has a _locked variant for callers holding the mutex.",
	            &o);
	/* Made at run time, not with PTHREAD_MUTEX_INITIALIZER: see README. */
	pthread_mutex_init(&logbuf.lock, NULL);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	pthread_t t[8];
	struct writer writers[8];
	for (long i = 0; i < o.threads; i++) {
		writers[i] = (struct writer){i, o.iterations};
		tl_lab_thread_create(&t[i], writer, &writers[i]);
	}
	for (long i = 0; i < o.threads; i++)
		pthread_join(t[i], NULL);
	tl_watchdog_stop();
	log_flush();
	pthread_mutex_destroy(&logbuf.lock);

	/* Every record 0 .. n-1 exactly once: n records, checksum n(n-1)/2. */
	long n = o.threads * o.iterations;
	if (logbuf.flushed != n || logbuf.checksum != n * (n - 1) / 2)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%ld records flushed (checksum %ld), expected %ld (%ld)",
		                     logbuf.flushed, logbuf.checksum, n, n * (n - 1) / 2);
	return tl_lab_result(TL_EXIT_OK, "%ld records written in %ld flushes, checksum %ld",
	                     logbuf.flushed, logbuf.flushes, logbuf.checksum);
}
