/* process/robust-mutex — broken
 * A process dies holding a process-shared mutex: every other process waits for it for ever.
 * Two accounts in shared memory are guarded by a PTHREAD_PROCESS_SHARED mutex.  A process is
 * killed in the middle of a transfer, with the mutex held; the teller thread of the surviving
 * process then waits for a mutex nobody will ever unlock.
 * expect run:      deadlock
 * expect tsan:     clean
 * miss: No detector reports a deadlock that really happens: the teller just sleeps on a
 *       futex.  And the owner locked the mutex in another process, which this process's
 *       TSan never saw.
 * expect helgrind: clean
 * miss: Helgrind watches this process only: to it the mutex was never locked, so the
 *       teller waits for nobody it knows of.  The doomed child runs under a Valgrind of its
 *       own, silent, and is killed before it could say anything.
 * expect drd:      clean
 * miss: Like Helgrind: DRD never saw the other process take the mutex.
 * expect memcheck: thread-leak @teller-create
 * note: Not the bug: the watchdog ends the process with _exit() while the teller is still
 *       blocked, and the thread's blocks are left "possibly lost".
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
};

static struct shared *sh;

/* One transfer of `amount`, under the mutex. */
static void transfer(long amount)
{
	pthread_mutex_lock(&sh->mu); /* @lock */
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
	tl_lab_init(argc, argv, "A process dies holding a shared mutex: the others wait for ever.",
	            &o);
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return tl_lab_result(TL_EXIT_FAILURE, "mmap: %s", strerror(errno));
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
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
		tl_lab_thread_create(&t[i], teller, &tellers[i]); /* @teller-create */
	}
	for (long i = 0; i < o.threads; i++)
		pthread_join(t[i], NULL);
	tl_watchdog_stop();

	long from = sh->from, to = sh->to, moving = sh->moving, transfers = sh->transfers;
	pthread_mutex_destroy(&sh->mu);
	munmap(sh, sizeof *sh);
	if (from + to != TOTAL || moving != 0 || transfers != o.threads * o.iterations)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "from %ld + to %ld != %d (moving %ld) after %ld transfers: the "
		    "books do not balance",
		    from, to, TOTAL, moving, transfers);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld transfers after the owner's death; from %ld + to %ld = %d",
	                     transfers, from, to, TOTAL);
}
