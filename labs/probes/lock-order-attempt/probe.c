/* probes/lock-order-attempt — probe
 * TSan reports a lock-order inversion at the attempt: one done A->B plus a blocked try at B->A.
 * Thread ab takes A then B and ends.  Then main holds A, and thread ba, holding B, asks for A:
 * it blocks for ever, and the watchdog ends the run.  TSan added the edge A->B when ab acquired
 * B while holding A, and looks for a cycle when a lock is requested, so it reports while ba is
 * still waiting.  In deadlock/lock-order neither thread ever acquires its second lock: no edge,
 * no report.
 * expect run:      deadlock
 * note: re-read labs/deadlock/lock-order/README.md and lock-order-latent/README.md if this fails.
 * expect tsan:     lock-order @ba-attempt @ab-second
 * note: re-read labs/deadlock/lock-order/README.md and lock-order-latent/README.md if this fails.
 * expect helgrind: mutex-misuse
 * note: re-read labs/deadlock/lock-order/README.md if this fails.
 * miss: Helgrind adds to its lock graph and checks it when a lock is acquired, and ba never
 *       acquires A; "Exiting thread still holds 1 lock" is all it says as the watchdog ends it.
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;
static tl_event holds_b;

static void *ab(void *arg)
{
	(void)arg;
	tl_thread_name("ab");
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_b); /* @ab-second  the edge A -> B */
	pthread_mutex_unlock(&lock_b);
	pthread_mutex_unlock(&lock_a);
	return NULL;
}

static void *ba(void *arg)
{
	(void)arg;
	tl_thread_name("ba");
	tl_watchdog_register();
	pthread_mutex_lock(&lock_b);
	tl_event_set(&holds_b);
	pthread_mutex_lock(&lock_a); /* @ba-attempt  main holds A: waits for ever */
	pthread_mutex_unlock(&lock_a);
	pthread_mutex_unlock(&lock_b);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 2, .iterations = 1, .seed = 1, .watchdog = true, .threads_max = 2};
	tl_lab_init(argc, argv, "One completed A->B, then a blocked attempt at B->A.", &o);
	tl_event_init(&holds_b);
	pthread_t t1, t2;
	tl_lab_thread_create(&t1, ab, NULL);
	pthread_join(t1, NULL); /* the order A -> B has been taken once, to the end */
	pthread_mutex_lock(&lock_a);
	if (o.watchdog)
		tl_watchdog_start(50, 0); /* a short window: the hang is the point, not a bug */
	tl_lab_thread_create(&t2, ba, NULL);
	tl_event_wait(&holds_b, -1);
	tl_log("ba holds B and asks for A, which main holds: neither will let go");
	pthread_join(t2, NULL);
	pthread_mutex_unlock(&lock_a);
	tl_watchdog_stop();
	return tl_lab_result(TL_EXIT_OK, "ba got A: the attempt did not block");
}
