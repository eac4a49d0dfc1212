/* probes/relock-initializer — probe
 * Helgrind is silent on re-locking a PTHREAD_MUTEX_INITIALIZER mutex; DRD reports it.
 * A thread locks a mutex it already holds and waits for itself until the watchdog ends the run.
 * Helgrind first meets this mutex in pthread_mutex_lock and cannot tell it from a recursive one
 * (PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP looks the same to it), so it does not report the
 * second lock; DRD reads the type from the mutex itself.  Compare probes/relock-init.
 * expect run:      deadlock
 * note: re-read labs/deadlock/relock/README.md if this fails.
 * expect helgrind: mutex-misuse
 * note: re-read labs/deadlock/relock/README.md if this fails.
 * miss: no "re-lock" report; mutex-misuse is "Exiting thread still holds 1 lock" as the watchdog
 *       ends the run.
 * expect drd:      double-lock @relock
 * note: re-read labs/deadlock/relock/README.md if this fails.
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *relocker(void *arg)
{
	(void)arg;
	tl_thread_name("relocker");
	tl_watchdog_register();
	pthread_mutex_lock(&lock);
	pthread_mutex_lock(&lock); /* @relock  waits for itself */
	pthread_mutex_unlock(&lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 1, .iterations = 1, .seed = 1, .watchdog = true, .threads_max = 1};
	tl_lab_init(argc, argv, "A thread re-locks a PTHREAD_MUTEX_INITIALIZER mutex.", &o);
	if (o.watchdog)
		tl_watchdog_start(50, 0); /* a short window: the hang is the point */
	pthread_t t;
	tl_lab_thread_create(&t, relocker, NULL);
	pthread_join(t, NULL);
	tl_watchdog_stop();
	return tl_lab_result(TL_EXIT_OK, "the second lock returned");
}
