/* livelock/philosophers-polite — broken
 * Putting a fork down and trying again turns the philosophers' deadlock into a livelock.
 * Five philosophers sit round a table with a fork between each two.  Each picks up the fork on the
 * left, then tries the one on the right; if it is busy, puts the left one down and tries again.  In
 * step, every philosopher holds a left fork and finds the right one taken: all think hard, none
 * eats.
 * expect run:      livelock
 * expect tsan:     clean
 * miss: No lock call ever waits and every access is under a lock: nothing TSan checks goes wrong.
 *       Only the watchdog, which sees the philosophers on CPU and no meal eaten, can tell a
 *       livelock.
 * expect helgrind: mutex-misuse
 * miss: Helgrind checks locking, not progress. Its only words are "Exiting thread still holds 1
 *       lock" when the watchdog ends the process (each philosopher still holds its left fork, at
 *       whatever line it was spinning); no lock-order report, since no right fork is ever taken.
 * expect drd:      clean
 * miss: DRD checks races and lock misuse, not progress; the livelock goes unseen.
 */
#include <pthread.h>
#include <stdbool.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"
#include "tl_watchdog.h"

#define MAX_PHILOSOPHERS 16

struct fork {
	pthread_mutex_t lock;
	long uses; /* under lock */
};

static struct fork forks[MAX_PHILOSOPHERS];

/* Keeps the philosophers in step, one attempt at a time: a spinning barrier
 * (tl_lockstep), so the livelock happens on every attempt of every run. */
static tl_lockstep step;

/* Picks up both forks or neither, and never waits for one: "polite".
 * Returns how many attempts it took. */
static long pick_up_politely(struct fork *first, struct fork *second)
{
	for (long attempts = 1;; attempts++) {
		bool got_first = pthread_mutex_trylock(&first->lock) == 0; /* @try-first */
		tl_lockstep_wait(&step); /* all have tried their first fork */
		bool got_second =
		    got_first && pthread_mutex_trylock(&second->lock) == 0; /* @try-second */
		tl_lockstep_wait(&step); /* all have tried their second fork */
		if (got_second)
			return attempts;
		if (got_first)
			pthread_mutex_unlock(&first->lock); /* put it down, try again */
	}
}

struct philosopher {
	long seat, seats, meals, attempts;
};

static void *philosopher(void *arg)
{
	struct philosopher *p = arg;
	struct fork *left = &forks[p->seat], *right = &forks[(p->seat + 1) % p->seats];
	tl_thread_name("philosopher-%ld", p->seat);
	tl_watchdog_register();
	for (long i = 0; i < p->meals; i++) {
		/* Left fork first. */
		struct fork *first = left, *second = right;
		p->attempts += pick_up_politely(first, second);
		first->uses++;
		second->uses++;
		pthread_mutex_unlock(&second->lock);
		pthread_mutex_unlock(&first->lock);
		tl_progress();
	}
	tl_lockstep_leave(&step);
	tl_log("ate %ld meals in %ld attempts", p->meals, p->attempts);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 5,
	                        .iterations = 20,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 3,
	                        .threads_max = MAX_PHILOSOPHERS};
	tl_lab_init(argc, argv,
	            "Polite philosophers all put their left fork down, in step, for ever.", &o);
	for (long i = 0; i < o.threads; i++)
		pthread_mutex_init(&forks[i].lock, NULL);
	tl_lockstep_init(&step, o.threads);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	struct philosopher ps[MAX_PHILOSOPHERS];
	pthread_t t[MAX_PHILOSOPHERS];
	for (long i = 0; i < o.threads; i++) {
		ps[i] = (struct philosopher){i, o.threads, o.iterations, 0};
		tl_lab_thread_create(&t[i], philosopher, &ps[i]);
	}
	long attempts = 0, uses = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		attempts += ps[i].attempts;
	}
	tl_watchdog_stop();

	for (long i = 0; i < o.threads; i++)
		uses += forks[i].uses;
	if (uses != 2 * o.threads * o.iterations)
		return tl_lab_result(TL_EXIT_WRONG, "forks used %ld times, expected %ld", uses,
		                     2 * o.threads * o.iterations);
	return tl_lab_result(TL_EXIT_OK, "%ld philosophers ate %ld meals each in %ld attempts",
	                     o.threads, o.iterations, attempts);
}
