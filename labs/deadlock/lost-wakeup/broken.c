/* deadlock/lost-wakeup — broken
 * A condition signal is a wake-up, not a message: sent before anyone waits, it is lost.
 * A producer hands jobs one at a time to a consumer with a condition variable, but nothing records
 * that a job is waiting: a signal is a wake-up, not a message.  Sent before the consumer waits, it
 * is lost, and both threads sleep for ever.
 * expect run:      deadlock
 * expect tsan:     clean
 * miss: TSan checks data races and lock use; a wake-up that nobody was waiting for is neither.
 * expect helgrind: clean
 * miss: Helgrind sees the signal sent with the mutex held, as it should be; it does not check that
 *       a waiter was there to receive it.
 * expect drd:      clean
 * miss: DRD checks how condition variables are used, not whether a wake-up arrives.
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t job_taken = PTHREAD_COND_INITIALIZER;
static long job; /* under mu */

/* The first hand-off is staged: the consumer starts waiting only after the
 * producer has signalled, so the signal comes first on every run.  (The
 * timeout only guards against a producer that never starts.) */
static tl_event signalled;

static void *producer(void *arg)
{
	long jobs = *(long *)arg;
	tl_thread_name("producer");
	tl_watchdog_register();
	for (long i = 1; i <= jobs; i++) {
		pthread_mutex_lock(&mu);
		job = i;
		pthread_cond_signal(&job_ready); /* @signal */
		if (i == 1)
			tl_event_set(&signalled);
		pthread_cond_wait(&job_taken, &mu); /* @wait-taken */
		pthread_mutex_unlock(&mu);
		tl_progress();
	}
	tl_log("handed over %ld jobs", jobs);
	return NULL;
}

static long sum;

static void *consumer(void *arg)
{
	long jobs = *(long *)arg;
	tl_thread_name("consumer");
	tl_watchdog_register();
	for (long i = 1; i <= jobs; i++) {
		if (i == 1)
			tl_event_wait(&signalled, (long)(2000 * tl_slowdown()));
		pthread_mutex_lock(&mu);
		pthread_cond_wait(&job_ready, &mu); /* @wait-ready */
		sum += job;
		pthread_cond_signal(&job_taken);
		pthread_mutex_unlock(&mu);
		tl_progress();
	}
	tl_log("took %ld jobs", jobs);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 2000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2};
	tl_lab_init(
	    argc, argv,
	    "A condition signal sent before anyone waits is lost; the waiter sleeps for ever.", &o);
	tl_event_init(&signalled);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	pthread_t p, c;
	tl_lab_thread_create(&c, consumer, &o.iterations);
	tl_lab_thread_create(&p, producer, &o.iterations);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	tl_watchdog_stop();

	long want = o.iterations * (o.iterations + 1) / 2;
	if (sum != want)
		return tl_lab_result(TL_EXIT_WRONG, "jobs added up to %ld, expected %ld", sum,
		                     want);
	return tl_lab_result(TL_EXIT_OK, "%ld jobs handed over one at a time, sum %ld",
	                     o.iterations, sum);
}
