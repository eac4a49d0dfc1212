/* race/balance — fixed
 * Hold one lock across the check and the act: only one ATM at a time decides and withdraws.
 * The same ATMs, with the check and the withdrawal under one mutex: only one ATM at a time can look
 * at the balance and take from it.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"
#include "tl_sync.h"

#define DEPOSIT 100

static long balance;
static pthread_mutex_t account_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t round_start, round_end;

/* Round 1 is staged: an ATM that has seen enough money waits until every
 * other ATM has looked at the balance too (or 100 ms pass) before it pays
 * out.  So the fatal interleaving happens on every run, not once in a while. */
static tl_event checked[8];
static long atms;

/* Pays out `amount` if the account holds that much. */
static bool withdraw(long self, long amount, bool staged)
{
	bool paid = false;
	pthread_mutex_lock(&account_lock); /* check and act as one step */
	if (balance >= amount) {
		if (staged)
			tl_stage_meet(checked, atms, self, 100);
		balance -= amount;
		paid = true;
	} else if (staged) {
		tl_event_set(&checked[self]);
	}
	pthread_mutex_unlock(&account_lock);
	return paid;
}

struct atm {
	long self, rounds, paid;
};

static struct atm atm_state[8];
static long bad_rounds, paid_total;

static void *atm(void *arg)
{
	struct atm *a = arg;
	tl_thread_name("atm-%ld", a->self);
	for (long r = 0; r < a->rounds; r++) {
		pthread_barrier_wait(&round_start);
		if (withdraw(a->self, DEPOSIT, r == 0))
			a->paid += DEPOSIT;
		/* The last one out checks the round and fills the account again. */
		if (pthread_barrier_wait(&round_end) == PTHREAD_BARRIER_SERIAL_THREAD) {
			long paid = 0;
			for (long i = 0; i < atms; i++)
				paid += atm_state[i].paid;
			if (paid - paid_total != DEPOSIT || balance != 0) {
				if (bad_rounds++ == 0)
					tl_log("round %ld: paid out %ld from %d, balance now %ld",
					       r + 1, paid - paid_total, DEPOSIT, balance);
			}
			paid_total = paid;
			balance = DEPOSIT;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 100,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 8};
	tl_lab_init(argc, argv,
	            "The check and the withdrawal under one mutex: never more paid than deposited.",
	            &o);
	atms = o.threads;
	balance = DEPOSIT;
	pthread_barrier_init(&round_start, NULL, (unsigned)o.threads);
	pthread_barrier_init(&round_end, NULL, (unsigned)o.threads);
	pthread_t t[8];
	for (long i = 0; i < o.threads; i++) {
		tl_event_init(&checked[i]);
		atm_state[i] = (struct atm){i, o.iterations, 0};
		tl_lab_thread_create(&t[i], atm, &atm_state[i]);
	}
	for (long i = 0; i < o.threads; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&round_start);
	pthread_barrier_destroy(&round_end);

	long deposited = o.iterations * DEPOSIT;
	if (bad_rounds)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "paid out %ld from %ld deposited: %ld created in %ld of %ld rounds", paid_total,
		    deposited, paid_total - deposited, bad_rounds, o.iterations);
	return tl_lab_result(TL_EXIT_OK, "paid out %ld from %ld deposited, as expected", paid_total,
	                     deposited);
}
