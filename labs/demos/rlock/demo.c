/* demos/rlock — a recursive mutex: a locked function calls locked functions
 * A recursive mutex lets a locked function call other functions that lock the same mutex.
 * A bank of four accounts behind one mutex made PTHREAD_MUTEX_RECURSIVE. deposit() and withdraw()
 * lock it; transfer() locks it too and calls them, so the whole transfer is one critical section
 * and the owner takes the mutex a second time without deadlocking.  An auditor checks, under the
 * same lock, that money is never created or lost in the middle of a transfer.
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

#define ACCOUNTS   4
#define OPENING    1000
#define MAX_CLERKS 15

static struct {
	pthread_mutex_t lock; /* recursive: see bank_init() */
	long balance[ACCOUNTS];
	int depth; /* how many times the owner holds the lock now */
	int max_depth;
	long transfers, audits, bad_audits;
} bank;

static long rounds;
static unsigned long seed;
static tl_event open_for_business;

static int bank_init(void)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	int rc = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	if (rc == 0)
		rc = pthread_mutex_init(&bank.lock, &a);
	pthread_mutexattr_destroy(&a);
	for (int i = 0; i < ACCOUNTS; i++)
		bank.balance[i] = OPENING;
	return rc;
}

static void bank_lock(void)
{
	pthread_mutex_lock(&bank.lock);
	if (++bank.depth > bank.max_depth)
		bank.max_depth = bank.depth;
}

static void bank_unlock(void)
{
	bank.depth--;
	pthread_mutex_unlock(&bank.lock);
}

/* Public: callable alone, takes the lock itself. */
static void deposit(int acct, long amount)
{
	bank_lock();
	bank.balance[acct] += amount;
	bank_unlock();
}

/* Public: callable alone, takes the lock itself. */
static bool withdraw(int acct, long amount)
{
	bool ok = false;
	bank_lock();
	if (bank.balance[acct] >= amount) {
		bank.balance[acct] -= amount;
		ok = true;
	}
	bank_unlock();
	return ok;
}

/* Public: holds the lock across both halves, and calls the public functions
 * above, which lock it again — a second level on the recursive mutex. */
static bool transfer(int from, int to, long amount)
{
	bank_lock();
	bool ok = withdraw(from, amount); /* depth 2 inside */
	sched_yield();                    /* money is "in flight": let the auditor try to look */
	if (ok) {
		deposit(to, amount); /* depth 2 again */
		bank.transfers++;
	}
	bank_unlock();
	return ok;
}

/* Public: the sum of all balances, under the lock. */
static long total(void)
{
	bank_lock();
	long sum = 0;
	for (int i = 0; i < ACCOUNTS; i++)
		sum += bank.balance[i];
	bank_unlock();
	return sum;
}

struct clerk {
	int id;
	long done, refused;
};

static void *clerk(void *arg)
{
	struct clerk *c = arg;
	tl_thread_name("clerk-%d", c->id);
	unsigned long r = seed * 2654435761u + (unsigned long)c->id * 40503u + 1;
	tl_event_wait(&open_for_business, -1);
	for (long i = 0; i < rounds; i++) {
		r = r * 6364136223846793005u + 1442695040888963407u;
		int from = (int)((r >> 33) % ACCOUNTS);
		int to = (from + 1 + (int)((r >> 40) % (ACCOUNTS - 1))) % ACCOUNTS;
		long amount = (long)((r >> 20) % 300) + 1;
		if (transfer(from, to, amount))
			c->done++;
		else
			c->refused++;
	}
	tl_log("%ld transfers, %ld refused (not enough money)", c->done, c->refused);
	return NULL;
}

static void *auditor(void *arg)
{
	(void)arg;
	tl_thread_name("auditor");
	tl_event_wait(&open_for_business, -1);
	for (long i = 0; i < rounds; i++) {
		/* total() takes the lock once here, or twice when called from
		 * a function that already holds it: either way it sees no
		 * transfer half done. */
		bank_lock();
		long sum = total();
		bank.audits++;
		if (sum != (long)ACCOUNTS * OPENING)
			bank.bad_audits++;
		bank_unlock();
		sched_yield();
	}
	tl_log("%ld audits, every one found %ld in the bank", bank.audits,
	       (long)ACCOUNTS * OPENING);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 3,
	                        .iterations = 100,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = MAX_CLERKS};
	tl_lab_init(argc, argv,
	            "A recursive mutex lets transfer() call the locked deposit() and withdraw().",
	            &o);
	rounds = o.iterations;
	seed = o.seed;
	if (bank_init() != 0)
		return tl_lab_result(TL_EXIT_FAILURE, "cannot make a recursive mutex");
	tl_event_init(&open_for_business);
	tl_log("%ld clerks x %ld transfers between %d accounts of %d", o.threads, rounds, ACCOUNTS,
	       OPENING);

	struct clerk cl[MAX_CLERKS];
	pthread_t t[MAX_CLERKS + 1];
	for (long i = 0; i < o.threads; i++) {
		cl[i] = (struct clerk){.id = (int)i};
		tl_lab_thread_create(&t[i], clerk, &cl[i]);
	}
	tl_lab_thread_create(&t[o.threads], auditor, NULL);
	tl_event_set(&open_for_business);
	long done = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		done += cl[i].done;
	}
	pthread_join(t[o.threads], NULL);
	tl_event_destroy(&open_for_business);

	long sum = total();
	pthread_mutex_destroy(&bank.lock);
	tl_log("%ld transfers, %ld audits (%ld bad), lock held at most %d deep; total %ld", done,
	       bank.audits, bank.bad_audits, bank.max_depth, sum);
	if (sum != (long)ACCOUNTS * OPENING || bank.bad_audits || bank.transfers != done ||
	    bank.depth != 0 || (done > 0 && bank.max_depth < 2))
		return tl_lab_result(TL_EXIT_WRONG, "books disagree: total %ld, %ld bad audits",
		                     sum, bank.bad_audits);
	return tl_lab_result(TL_EXIT_OK, "%ld transfers, total stays %ld, nesting depth %d", done,
	                     sum, bank.max_depth);
}
