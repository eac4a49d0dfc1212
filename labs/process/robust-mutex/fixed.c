/* process/robust-mutex — fixed
 * A robust mutex tells the next locker that its owner died (EOWNERDEAD): it repairs, goes on.
 * The same accounts, with the mutex made PTHREAD_MUTEX_ROBUST: the first teller to lock it after
 * the owner's death gets EOWNERDEAD with the mutex held, rolls back the half-done transfer from
 * its journal and calls pthread_mutex_consistent; later locks work as usual.
 * expect run:      clean
 * expect tsan:     clean
 * note: TSan knows that a lock returning EOWNERDEAD is held.
 * expect helgrind: mutex-misuse @lock bad-unlock @unlock
 * false alarm: Helgrind takes any non-zero return of pthread_mutex_lock for a failure (it
 *       cannot even name error 130, EOWNERDEAD), so to it the teller never got the mutex,
 *       and the unlock that ends the repaired transfer unlocks "a not-locked lock".
 * expect drd:      bad-unlock @unlock
 * false alarm: Like Helgrind, DRD counts a lock as taken only when it returns 0: "Mutex not
 *       locked" at the unlock.
 * expect memcheck: clean
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

#define TOTAL 100000

/* The shared state: money moves from one account to the other.  A transfer
 * first writes down what it moves (`moving`, its journal), then changes the
 * accounts, then clears the journal: whenever the mutex is free,
 * from + to == TOTAL and moving == 0; a transfer cut short leaves
 * from + to == TOTAL - moving. */
struct shared {
	pthread_mutex_t mu; /* PTHREAD_PROCESS_SHARED: guards the rest */
	long from, to, moving;
	long transfers; /* completed */
	long repairs;   /* transfers rolled back after an owner died */
};

static struct shared *sh;

/* Takes the mutex.  If its owner died holding it, the lock is ours anyway,
 * with EOWNERDEAD: the state may be half-changed, so put it right from the
 * journal, then mark the mutex consistent (without that, unlocking it would
 * make it unusable for everybody: ENOTRECOVERABLE). */
static void lock_repairing(void)
{
	int rc = pthread_mutex_lock(&sh->mu); /* @lock */
	if (rc == EOWNERDEAD) {
		tl_log("owner died holding the mutex: rolling back its transfer of %ld",
		       sh->moving);
		sh->from += sh->moving;
		sh->moving = 0;
		sh->repairs++;
		rc = pthread_mutex_consistent(&sh->mu);
	}
	if (rc != 0) { /* e.g. ENOTRECOVERABLE: a repair was skipped */
		tl_lab_result(TL_EXIT_WRONG, "the mutex cannot be taken: %s", strerror(rc));
		_exit(TL_EXIT_WRONG);
	}
}

/* One transfer of `amount`, under the mutex. */
static void transfer(long amount)
{
	lock_repairing();
	sh->moving = amount;
	sh->from -= amount;
	sh->to += amount;
	sh->moving = 0;
	sh->transfers++;
	pthread_mutex_unlock(&sh->mu); /* @unlock */
}

/* The process that dies: it takes the mutex, does the first half of a
 * transfer, tells the parent so, and waits to be killed (or for the parent's
 * end of `never` to close, if the parent goes first). */
static void doomed(int holding_wr, int never_rd)
{
	tl_thread_name("doomed");
	pthread_mutex_lock(&sh->mu);
	sh->moving = 100;
	sh->from -= 100;
	tl_log("pid %d holds the mutex, half-way through a transfer", (int)getpid());
	char c = 'h';
	if (write(holding_wr, &c, 1) != 1)
		_exit(1);
	while (read(never_rd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(1);
}

struct teller {
	long index, transfers;
};

static void *teller(void *arg)
{
	struct teller *t = arg;
	tl_thread_name("teller-%ld", t->index);
	tl_watchdog_register();
	for (long i = 0; i < t->transfers; i++) {
		transfer(1);
		tl_progress();
	}
	return NULL;
}

/* Forks the doomed process, waits until it holds the mutex, kills it and
 * reaps it: when this returns, the mutex's owner is certainly dead.  False
 * (with the child gone) if the child could not be made to hold it. */
static bool kill_owner_holding(void)
{
	int holding[2], never[2];
	if (pipe(holding) != 0)
		return false;
	if (pipe(never) != 0) {
		close(holding[0]);
		close(holding[1]);
		return false;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(holding[0]);
		close(never[1]);
		doomed(holding[1], never[0]);
	}
	close(holding[1]);
	close(never[0]);
	char c;
	bool held = false;
	if (pid > 0) {
		/* The child's end closes if it dies first: then read sees EOF. */
		struct pollfd p = {.fd = holding[0], .events = POLLIN};
		if (poll(&p, 1, (int)(10000 * tl_slowdown())) == 1)
			held = read(holding[0], &c, 1) == 1;
		kill(pid, SIGKILL);
		int status = 0;
		waitpid(pid, &status, 0);
		held = held && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		if (held)
			tl_log("pid %d killed while holding the mutex", (int)pid);
	}
	close(holding[0]);
	close(never[1]);
	return held;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1,
	                        .iterations = 1000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = 16};
	tl_lab_init(argc, argv, "A robust mutex hands EOWNERDEAD to the next locker, who repairs.",
	            &o);
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return tl_lab_result(TL_EXIT_FAILURE, "mmap: %s", strerror(errno));
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&sh->mu, &attr);
	pthread_mutexattr_destroy(&attr);
	sh->from = TOTAL;

	/* Forked before any thread starts, so the child is a plain copy. */
	if (!kill_owner_holding())
		return tl_lab_result(TL_EXIT_FAILURE, "could not kill a process holding the mutex");

	if (o.watchdog)
		tl_watchdog_start(0, 0);
	pthread_t t[16];
	struct teller tellers[16];
	for (long i = 0; i < o.threads; i++) {
		tellers[i] = (struct teller){i + 1, o.iterations};
		tl_lab_thread_create(&t[i], teller, &tellers[i]);
	}
	for (long i = 0; i < o.threads; i++)
		pthread_join(t[i], NULL);
	tl_watchdog_stop();

	long from = sh->from, to = sh->to, moving = sh->moving, transfers = sh->transfers;
	long repairs = sh->repairs;
	pthread_mutex_destroy(&sh->mu);
	munmap(sh, sizeof *sh);
	if (from + to != TOTAL || moving != 0 || transfers != o.threads * o.iterations ||
	    repairs != 1)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "from %ld + to %ld != %d (moving %ld) after %ld transfers and "
		                     "%ld repairs: the books do not balance",
		                     from, to, TOTAL, moving, transfers, repairs);
	return tl_lab_result(
	    TL_EXIT_OK,
	    "%ld transfers after the owner's death and 1 repair; from %ld + to %ld = %d", transfers,
	    from, to, TOTAL);
}
