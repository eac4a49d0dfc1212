/* process/shared-counter — broken
 * counter++ from two processes on shared memory loses updates, and no detector sees it.
 * Two processes (parent and child) each do counter++ at least 20,000 times on a counter in a
 * MAP_SHARED mapping; the total comes out short, as with two threads.  But each detector
 * watches one process.
 * expect run:      wrong-result
 * expect tsan:     clean
 * miss: TSan's shadow memory and clocks belong to one process.  The parent is an adder too,
 *       with its reports on, and it sees only its own writes to the shared page: the
 *       child's are made in another process, so the race between them is invisible.
 * expect helgrind: clean
 * miss: Valgrind follows fork(), and each process gets a Helgrind of its own.  The parent's
 *       (whose output is on) sees one thread writing memory nobody else in its process
 *       touches; the child's writes happen in another process.
 * expect drd:      clean
 * miss: Like Helgrind: one DRD per process, none of them sees the other process's accesses.
 * expect memcheck: clean
 * note: Memcheck checks memory, not ordering: a race is invisible to it.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"

#define MAX_ADDERS 16

/* What the processes share: one anonymous MAP_SHARED mapping made before
 * fork(), so every child sees the same pages (a MAP_PRIVATE one would be
 * copied on the first write).  tl_overlap is only atomics, so it works across
 * processes as it does across threads. */
struct shared {
	long counter;
	long made[MAX_ADDERS]; /* each adder's own count, read after it ended */
	tl_overlap overlap;
};

static struct shared *sh;

/* A call per step keeps the compiler from folding the loop into one
 * "counter += n": each step really is load, add, store. */
static __attribute__((noinline)) void increment(void)
{
	sh->counter++;
}

/* One adder: on its own CPU, adding until all have done their share and have
 * been seen running at the same moment.  The parent is adder 0, each child
 * one more. */
static void adder(long index, long share)
{
	tl_thread_name("adder-%ld", index);
	tl_lab_pin_cpu(index);
	long made = 0;
	bool counted = false;
	while (tl_overlap_more(&sh->overlap, made, share, &counted)) {
		increment();
		made++;
	}
	sh->made[index] = made;
	tl_log("pid %d made %ld increments", (int)getpid(), made);
}

/* Ends the children forked so far (an error path): none is left behind. */
static void kill_all(const pid_t *pids, long n)
{
	for (long i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (long i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 20000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = MAX_ADDERS};
	tl_lab_init(argc, argv, "Processes share counter++ in shared memory without a lock.", &o);
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return tl_lab_result(TL_EXIT_FAILURE, "mmap: %s", strerror(errno));
	tl_overlap_init(&sh->overlap, o.threads);

	pid_t pids[MAX_ADDERS];
	long children = o.threads - 1;
	for (long i = 0; i < children; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			kill_all(pids, i);
			return tl_lab_result(TL_EXIT_FAILURE, "fork: %s", strerror(errno));
		}
		if (pids[i] == 0) {
			adder(i + 1, o.iterations);
			_exit(0);
		}
	}
	adder(0, o.iterations);
	bool all_exited = true;
	for (long i = 0; i < children; i++) {
		int status = 0;
		waitpid(pids[i], &status, 0);
		all_exited = all_exited && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	if (!all_exited)
		return tl_lab_result(TL_EXIT_FAILURE, "an adder process failed");

	long want = 0;
	for (long i = 0; i < o.threads; i++)
		want += sh->made[i];
	long counter = sh->counter;
	munmap(sh, sizeof *sh);
	tl_lab_outcome("lost", want - counter);
	if (counter != want)
		return tl_lab_result(TL_EXIT_WRONG, "counter = %ld, expected %ld: %ld updates lost",
		                     counter, want, want - counter);
	return tl_lab_result(TL_EXIT_OK, "counter = %ld, as expected", counter);
}
