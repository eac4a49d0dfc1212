/* deadlock/lock-order — fixed
 * Take the locks in one global order everywhere, and no cycle of waiting can form.
 * The same transfers, but every thread locks the two accounts in one global order (lower address
 * first), so no cycle of waiting can form.
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

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account accounts[2] = {
    {PTHREAD_MUTEX_INITIALIZER, 1000},
    {PTHREAD_MUTEX_INITIALIZER, 1000},
};

/* The first transfer of each thread is staged: it holds its first lock until
 * the other thread holds its own (or 100 ms pass).  So the fatal interleaving
 * happens on every run, not once in a thousand. */
static tl_event holding[2];

static void transfer(int self, struct account *from, struct account *to, long amount, bool staged)
{
	/* One order for everybody: the account with the lower address first. */
	struct account *first = from < to ? from : to;
	struct account *second = from < to ? to : from;
	pthread_mutex_lock(&first->lock);
	if (staged) {
		tl_event_set(&holding[self]);
		tl_event_wait(&holding[!self], (long)(100 * tl_slowdown()));
	}
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
		transfer(t->self, &accounts[t->self], &accounts[!t->self], 1, i == 0);
		tl_progress();
	}
	tl_log("made %ld transfers", t->transfers);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 10000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2};
	tl_lab_init(argc, argv, "Both threads lock the two mutexes in one global order.", &o);
	tl_event_init(&holding[0]);
	tl_event_init(&holding[1]);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	struct teller tellers[2] = {{0, o.iterations}, {1, o.iterations}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		tl_lab_thread_create(&t[i], teller, &tellers[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	tl_watchdog_stop();

	long total = accounts[0].balance + accounts[1].balance;
	if (total != 2000)
		return tl_lab_result(TL_EXIT_WRONG, "money changed: %ld, expected 2000", total);
	return tl_lab_result(TL_EXIT_OK, "%ld transfers each way, total still %ld", o.iterations,
	                     total);
}
