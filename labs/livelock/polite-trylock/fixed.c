/* livelock/polite-trylock — fixed
 * One global lock order makes trylock and back-off work: every attempt makes a transfer.
 * The same polite threads, but both take the two locks in one global order (lower address first):
 * in every attempt one of them gets both, so every attempt makes a transfer.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>
#include <stdbool.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"
#include "tl_watchdog.h"

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account accounts[2] = {
    {PTHREAD_MUTEX_INITIALIZER, 1000},
    {PTHREAD_MUTEX_INITIALIZER, 1000},
};

/* Keeps the two threads in step, one attempt at a time: a spinning barrier
 * (tl_lockstep), so they meet on every attempt of every run. */
static tl_lockstep step = TL_LOCKSTEP_INITIALIZER(2);

/* Takes both locks or neither, and never waits for a lock: "polite".
 * Returns how many attempts it took. */
static long lock_both_politely(pthread_mutex_t *first, pthread_mutex_t *second)
{
	for (long attempts = 1;; attempts++) {
		bool got_first = pthread_mutex_trylock(first) == 0; /* @try-first */
		tl_lockstep_wait(&step); /* both have tried their first lock */
		bool got_second = got_first && pthread_mutex_trylock(second) == 0; /* @try-second */
		tl_lockstep_wait(&step); /* both have tried their second lock */
		if (got_second)
			return attempts;
		if (got_first)
			pthread_mutex_unlock(first); /* "after you" — and start again */
	}
}

struct teller {
	int self;
	long transfers, attempts;
};

static void *teller(void *arg)
{
	struct teller *t = arg;
	struct account *from = &accounts[t->self], *to = &accounts[!t->self];
	tl_thread_name("teller-%c%c", "AB"[t->self], "BA"[t->self]);
	tl_watchdog_register();
	for (long i = 0; i < t->transfers; i++) {
		/* One order for everybody: the lock with the lower address first. */
		pthread_mutex_t *first = from < to ? &from->lock : &to->lock;
		pthread_mutex_t *second = from < to ? &to->lock : &from->lock;
		t->attempts += lock_both_politely(first, second);
		from->balance -= 1;
		to->balance += 1;
		pthread_mutex_unlock(second);
		pthread_mutex_unlock(first);
		tl_progress();
	}
	tl_lockstep_leave(&step);
	tl_log("made %ld transfers in %ld attempts", t->transfers, t->attempts);
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
	tl_lab_init(argc, argv, "Two polite threads take their locks in one global order.", &o);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	struct teller tellers[2] = {{0, o.iterations, 0}, {1, o.iterations, 0}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		tl_lab_thread_create(&t[i], teller, &tellers[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	tl_watchdog_stop();

	long total = accounts[0].balance + accounts[1].balance;
	if (total != 2000)
		return tl_lab_result(TL_EXIT_WRONG, "money changed: %ld, expected 2000", total);
	return tl_lab_result(TL_EXIT_OK, "%ld transfers each way in %ld attempts, total still %ld",
	                     o.iterations, tellers[0].attempts + tellers[1].attempts, total);
}
