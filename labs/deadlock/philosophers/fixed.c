/* deadlock/philosophers — fixed
 * Take the lower-numbered fork first: locks taken in one order cannot form a circle.
 * The same table, but every philosopher takes the lower-numbered of its two forks first.  For all
 * but the last that is the left fork; the last one takes fork 0 (its right) first, so the circle of
 * waiting cannot close.
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

#define MAX_PHILOSOPHERS 16

static pthread_mutex_t forks[MAX_PHILOSOPHERS];
static long fork_uses[MAX_PHILOSOPHERS]; /* each under its fork's mutex */
static long philosophers;

/* The first meal is staged: each philosopher, once it holds its first fork
 * (or has found it taken), waits until every philosopher has done the same.
 * So every philosopher holds its first fork, or waits for it, before anyone
 * reaches for a second one, on every run.  No timer decides this: a first
 * fork found taken counts as staged too (the timeout is only a safety net). */
static pthread_mutex_t staging_lock = PTHREAD_MUTEX_INITIALIZER;
static long staged_count;
static tl_event all_staged;

static void take_first_fork(pthread_mutex_t *fork, bool staged)
{
	if (!staged) {
		pthread_mutex_lock(fork);
		return;
	}
	bool got = pthread_mutex_trylock(fork) == 0;
	pthread_mutex_lock(&staging_lock);
	if (++staged_count == philosophers)
		tl_event_set(&all_staged);
	pthread_mutex_unlock(&staging_lock);
	if (!got)
		pthread_mutex_lock(fork); /* its owner is past the staging: wait for it */
	tl_event_wait(&all_staged, (long)(1000 * tl_slowdown()));
}

static void dine(long self, bool staged)
{
	long left = self, right = (self + 1) % philosophers;
	/* One order for everybody: the lower-numbered fork first. */
	long first = left < right ? left : right;
	long second = left < right ? right : left;
	take_first_fork(&forks[first], staged);
	pthread_mutex_lock(&forks[second]);
	fork_uses[left]++;
	fork_uses[right]++;
	pthread_mutex_unlock(&forks[second]);
	pthread_mutex_unlock(&forks[first]);
}

struct philosopher {
	long index, meals;
};

static void *philosopher(void *arg)
{
	struct philosopher *p = arg;
	tl_thread_name("philosopher-%ld", p->index);
	tl_watchdog_register();
	for (long i = 0; i < p->meals; i++) {
		dine(p->index, i == 0);
		tl_progress();
	}
	tl_log("ate %ld meals", p->meals);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 5,
	                        .iterations = 200,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = MAX_PHILOSOPHERS};
	tl_lab_init(argc, argv,
	            "Each philosopher takes the lower-numbered fork first: nobody waits for ever.",
	            &o);
	philosophers = o.threads;
	for (long i = 0; i < philosophers; i++)
		pthread_mutex_init(&forks[i], NULL);
	tl_event_init(&all_staged);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	pthread_t t[MAX_PHILOSOPHERS];
	struct philosopher ph[MAX_PHILOSOPHERS];
	for (long i = 0; i < philosophers; i++) {
		ph[i] = (struct philosopher){i, o.iterations};
		tl_lab_thread_create(&t[i], philosopher, &ph[i]);
	}
	for (long i = 0; i < philosophers; i++)
		pthread_join(t[i], NULL);
	tl_watchdog_stop();

	/* Every meal uses two forks. */
	long uses = 0;
	for (long i = 0; i < philosophers; i++)
		uses += fork_uses[i];
	if (uses != 2 * philosophers * o.iterations)
		return tl_lab_result(TL_EXIT_WRONG, "forks used %ld times, expected %ld", uses,
		                     2 * philosophers * o.iterations);
	return tl_lab_result(TL_EXIT_OK, "%ld philosophers ate %ld meals each", philosophers,
	                     o.iterations);
}
