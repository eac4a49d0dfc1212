/* deadlock/lost-wakeup — fixed
 * Wait for a state kept under the mutex, not for a signal: a late waiter sees the state.
 * The same hand-off, with the state the wake-ups are about: a flag `full` set and cleared under the
 * mutex, and each wait in a loop that checks it first.  A signal sent before the wait is no longer
 * needed: the flag says so.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t job_taken = PTHREAD_COND_INITIALIZER;
static long job;  /* under mu */
static bool full; /* under mu: a job is waiting to be taken */

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
		full = true;
		pthread_cond_signal(&job_ready);
		if (i == 1)
			tl_event_set(&signalled);
		while (full)
			pthread_cond_wait(&job_taken, &mu);
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
		while (!full)
			pthread_cond_wait(&job_ready, &mu);
		sum += job;
		full = false;
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
	    "A flag under the mutex, checked in a loop, remembers a signal sent before the wait.",
	    &o);
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
