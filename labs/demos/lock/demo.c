/* demos/lock — a mutex guards a shared bank account
 * One mutex guards a shared account: every read-check-write is one critical section.
 * Four tellers deposit into and withdraw from one account.  Every movement reads the balance,
 * checks it, writes it back and records itself in the ledger, all under one pthread_mutex_t; at the
 * end the balance must equal the opening balance plus the sum of every movement, and never go
 * negative.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"

#define MAX_TELLERS 16
#define OPENING     100

/* One lock, and everything it guards next to it. */
static pthread_mutex_t account_lock = PTHREAD_MUTEX_INITIALIZER;
static long balance = OPENING;
static long ledger_sum;   /* sum of all movements, + for deposits */
static long ledger_count; /* movements recorded */
static long lowest = OPENING;
static long refused; /* withdrawals refused for lack of funds */

static long rounds;
static unsigned long seed;
/* Opens the bank once every teller exists, so they all compete. */
static tl_event doors_open;

struct teller {
	int id;
	long deposited, withdrawn, refusals;
};

/* Deposit or withdraw `amount` (negative = withdraw).  The check ("enough
 * money?") and the act (the new balance) happen under the same lock, so no
 * other teller can spend the money between them. */
static bool move(long amount)
{
	bool done = false;
	pthread_mutex_lock(&account_lock);
	if (balance + amount >= 0) {
		long b = balance;     /* read ...                            */
		sched_yield();        /* ... let the others run (they wait)  */
		balance = b + amount; /* ... write: nobody came between */
		ledger_sum += amount;
		ledger_count++;
		if (balance < lowest)
			lowest = balance;
		done = true;
	} else {
		refused++;
	}
	pthread_mutex_unlock(&account_lock);
	return done;
}

static void *teller(void *arg)
{
	struct teller *t = arg;
	tl_thread_name("teller-%d", t->id);
	unsigned long r = seed * 2654435761u + (unsigned long)t->id * 40503u + 1;
	tl_event_wait(&doors_open, -1);
	for (long i = 0; i < rounds; i++) {
		r = r * 6364136223846793005u + 1442695040888963407u;
		long amount = (long)((r >> 33) % 50) + 1;
		bool withdraw = (r >> 20) & 1;
		if (withdraw) {
			if (move(-amount))
				t->withdrawn += amount;
			else
				t->refusals++;
		} else if (move(amount)) {
			t->deposited += amount;
		}
	}
	tl_log("deposited %ld, withdrew %ld, %ld withdrawals refused (not enough money)",
	       t->deposited, t->withdrawn, t->refusals);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4,
	                        .iterations = 200,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = MAX_TELLERS};
	tl_lab_init(argc, argv,
	            "A mutex keeps a shared balance and its ledger in agreement across 4 tellers.",
	            &o);
	rounds = o.iterations;
	seed = o.seed;
	tl_event_init(&doors_open);
	tl_log("%ld tellers x %ld movements, opening balance %d", o.threads, rounds, OPENING);

	struct teller tt[MAX_TELLERS];
	pthread_t t[MAX_TELLERS];
	for (long i = 0; i < o.threads; i++) {
		tt[i] = (struct teller){.id = (int)i};
		tl_lab_thread_create(&t[i], teller, &tt[i]);
	}
	tl_event_set(&doors_open);
	long net = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		net += tt[i].deposited - tt[i].withdrawn;
	}
	tl_event_destroy(&doors_open);

	/* All tellers joined: no lock needed to read the account any more. */
	tl_log("balance %ld = opening %d + ledger %+ld (%ld movements, %ld refused); lowest %ld",
	       balance, OPENING, ledger_sum, ledger_count, refused, lowest);
	if (balance != OPENING + ledger_sum || ledger_sum != net || lowest < 0)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "books disagree: balance %ld, opening + ledger %ld, tellers %ld, "
		    "lowest %ld",
		    balance, OPENING + ledger_sum, OPENING + net, lowest);
	return tl_lab_result(TL_EXIT_OK, "balance %ld = %d + %ld movements summing to %+ld",
	                     balance, OPENING, ledger_count, ledger_sum);
}
