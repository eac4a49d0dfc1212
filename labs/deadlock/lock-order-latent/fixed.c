/* deadlock/lock-order-latent — fixed
 * One global lock order leaves no inversion to report and none for timing to turn into a hang.
 * The same transfers, one thread after the other, but every transfer locks the two accounts in one
 * global order (lower address first): there is no inversion left for a detector to see, nor for a
 * change in timing to turn into a hang.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
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
	/* One order for everybody: the account with the lower address first. */
	struct account *first = from < to ? from : to;
	struct account *second = from < to ? to : from;
	pthread_mutex_lock(&first->lock);
	pthread_mutex_lock(&second->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
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
	            "Two threads, one after the other, lock two mutexes in one global order.", &o);
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
