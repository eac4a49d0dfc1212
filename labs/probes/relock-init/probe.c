/* probes/relock-init — probe
 * Helgrind reports re-locking a default mutex that pthread_mutex_init made; DRD does too.
 * A thread locks a mutex it already holds and waits for itself until the watchdog ends the run.
 * Helgrind learns a mutex's type in pthread_mutex_init, so it knows this one is not recursive
 * and says so at the second lock, before the thread blocks.  probes/relock-initializer makes the
 * same mutex with PTHREAD_MUTEX_INITIALIZER: Helgrind is silent, DRD is not.
 * expect run:      deadlock
 * note: re-read labs/deadlock/relock/README.md if this fails.
 * expect helgrind: double-lock @relock mutex-misuse
 * note: re-read labs/deadlock/relock/README.md if this fails.
 * note: mutex-misuse is "Exiting thread still holds 1 lock" as the watchdog ends the run.
 * expect drd:      double-lock @relock
 * note: re-read labs/deadlock/relock/README.md if this fails.
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

static pthread_mutex_t lock;

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
	tl_lab_init(argc, argv, "A thread re-locks a default mutex made by pthread_mutex_init.",
	            &o);
	pthread_mutex_init(&lock, NULL);
	if (o.watchdog)
		tl_watchdog_start(50, 0); /* a short window: the hang is the point */
	pthread_t t;
	tl_lab_thread_create(&t, relocker, NULL);
	pthread_join(t, NULL);
	tl_watchdog_stop();
	return tl_lab_result(TL_EXIT_OK, "the second lock returned");
}
