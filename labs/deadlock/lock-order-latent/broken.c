/* deadlock/lock-order-latent — broken
 * A lock-order inversion is a bug even in a run that did not hang, and detectors see it there.
 * The two lock orders of deadlock/lock-order, but apart in time: one thread moves money A->B
 * (locking A then B) and ends, and only then does a second thread move it B->A (locking B then A).
 * Nothing hangs, yet the bug is there: a detector sees the order, not the hang.
 * expect run:      clean
 * note: the two orders never overlap in time, so this run cannot deadlock; the next change in
 *       timing can.
 * expect tsan:     lock-order @lock-first @lock-second
 * expect helgrind: lock-order @lock-first @lock-second
 * expect drd:      clean
 * miss: DRD does not check lock order at all.
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account accounts[2] = {
    {PTHREAD_MUTEX_INITIALIZER, 1000},
    {PTHREAD_MUTEX_INITIALIZER, 1000},
};

static void transfer(struct account *from, struct account *to, long amount)
{
	pthread_mutex_lock(&from->lock); /* @lock-first */
	pthread_mutex_lock(&to->lock);   /* @lock-second */
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}

struct teller {
	int self;
	long transfers;
};

static void *teller(void *arg)
{
	struct teller *t = arg;
	tl_thread_name("teller-%c%c", "AB"[t->self], "BA"[t->self]);
	tl_watchdog_register();
	for (long i = 0; i < t->transfers; i++) {
		transfer(&accounts[t->self], &accounts[!t->self], 1);
		tl_progress();
	}
	tl_log("made %ld transfers", t->transfers);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 1000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2};
	tl_lab_init(argc, argv,
	            "Two threads lock two mutexes in opposite orders, one after the other.", &o);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	/* One teller after the other: the second starts only once the first has
	 * been joined, so the two orders can never meet. */
	struct teller tellers[2] = {{0, o.iterations}, {1, o.iterations}};
	for (int i = 0; i < 2; i++) {
		pthread_t t;
		tl_lab_thread_create(&t, teller, &tellers[i]);
		pthread_join(t, NULL);
	}
	tl_watchdog_stop();

	long total = accounts[0].balance + accounts[1].balance;
	if (total != 2000)
		return tl_lab_result(TL_EXIT_WRONG, "money changed: %ld, expected 2000", total);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld transfers each way, one way after the other, total still %ld",
	                     o.iterations, total);
}
