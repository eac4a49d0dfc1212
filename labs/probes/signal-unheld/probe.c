/* probes/signal-unheld — probe
 * Helgrind and DRD flag a pthread_cond_signal sent without its mutex held; TSan does not.
 * A producer sets a flag under the mutex, unlocks, then signals; the consumer waits in a loop,
 * so the program is correct.  Helgrind reports the signal as dubious ("associated lock is not
 * held by signalling thread"), DRD as "Probably a race condition: ... the associated mutex is
 * not locked by the signalling thread": the check demos/condition and deadlock/lost-wakeup
 * rely on.  TSan has no such check.
 * expect tsan:     clean
 * note: re-read labs/deadlock/lost-wakeup/README.md if this fails.
 * expect helgrind: cond-misuse @signal
 * false alarm: the flag is set under the mutex and the wait loops on it: no wake-up is lost.
 * note: re-read labs/deadlock/lost-wakeup/README.md and labs/demos/condition/README.md if this
 *       fails.
 * expect drd:      cond-misuse @signal
 * false alarm: as for Helgrind, the program is correct.
 * note: re-read labs/deadlock/lost-wakeup/README.md and labs/demos/condition/README.md if this
 *       fails.
 */
#include <pthread.h>
#include <stdbool.h>

#include "tl_lab.h"
#include "tl_stage.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static bool ready;
static tl_stage waiting; /* the consumer holds mu and is about to wait */

static void *consumer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	tl_stage_done(&waiting);
	while (!ready)
		pthread_cond_wait(&ready_cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1, .iterations = 1, .seed = 1, .threads_max = 1};
	tl_lab_init(argc, argv, "A condition variable signalled after its mutex was released.", &o);
	tl_stage_init(&waiting);
	pthread_t t;
	tl_lab_thread_create(&t, consumer, NULL);
	tl_stage_wait(&waiting, 1, -1);
	pthread_mutex_lock(
	    &mu); /* free again only once the consumer waits: the wait ties mu to it */
	ready = true;
	pthread_mutex_unlock(&mu);
	pthread_cond_signal(&ready_cv); /* @signal  the mutex is no longer held */
	pthread_join(t, NULL);
	return tl_lab_result(TL_EXIT_OK, "the consumer woke and saw the flag");
}
