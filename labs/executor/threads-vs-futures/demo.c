/* executor/threads-vs-futures — demo
 * A thread leaves its result in memory you may read only after the join; a future hands it back.
 * The same jobs run twice: first on one plain thread each, every thread
 * writing its answer into a slot of its own that main reads only after
 * pthread_join; then on a tl_pool, each job's answer coming back through
 * its future.  The program checks that both ways give the same answers.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_pool.h"

#define MAX_JOBS 16
#define SPAN     2000 /* numbers per job */

/* The work: how many primes lie in [from, from + SPAN). */
static long primes_in(long from)
{
	long count = 0;
	for (long n = from; n < from + SPAN; n++) {
		bool prime = n >= 2;
		for (long d = 2; prime && d * d <= n; d++)
			prime = n % d != 0;
		count += prime;
	}
	return count;
}

/* ---- way 1: a thread per job, the answer left in the job's own slot ---- */

struct slot {
	int id;
	long from;
	long primes; /* written by its thread; read by main after the join */
};

static void *count_into_slot(void *arg)
{
	struct slot *s = arg;
	tl_thread_name("thread-%d", s->id);
	s->primes = primes_in(s->from);
	tl_log("[%ld, %ld): %ld primes", s->from, s->from + SPAN, s->primes);
	return NULL;
}

/* ---- way 2: a task per job, the answer as the task's return value ---- */

static void *count_task(void *arg)
{
	long from = (long)(intptr_t)arg;
	long primes = primes_in(from);
	tl_log("task [%ld, %ld): %ld primes", from, from + SPAN, primes);
	return (void *)(intptr_t)primes;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 4, .iterations = 1, .seed = 1, .watchdog = true, .threads_max = MAX_JOBS};
	tl_lab_init(
	    argc, argv,
	    "Plain threads with results collected by hand, then the same jobs with futures.", &o);
	long jobs = o.threads;

	tl_log("way 1: %ld threads, each writes its answer into its own slot", jobs);
	struct slot slots[MAX_JOBS];
	pthread_t threads[MAX_JOBS];
	for (long i = 0; i < jobs; i++) {
		slots[i] = (struct slot){.id = (int)i, .from = i * SPAN};
		tl_lab_thread_create(&threads[i], count_into_slot, &slots[i]);
	}
	/* Only the join makes a thread's write to its slot visible here. */
	for (long i = 0; i < jobs; i++)
		pthread_join(threads[i], NULL);
	long by_hand[MAX_JOBS];
	for (long i = 0; i < jobs; i++)
		by_hand[i] = slots[i].primes;

	tl_log("way 2: a pool of 2 workers, %ld tasks, each answer comes back in its future", jobs);
	tl_pool *pool = tl_pool_create(2);
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));
	tl_future *futures[MAX_JOBS];
	for (long i = 0; i < jobs; i++) {
		futures[i] = tl_pool_submit(pool, count_task, (void *)(intptr_t)(i * SPAN));
		if (!futures[i])
			return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit: %s",
			                     strerror(errno));
	}
	long mismatches = 0, total = 0;
	for (long i = 0; i < jobs; i++) {
		/* Waits for the task, then hands over what it returned. */
		long primes = (long)(intptr_t)tl_future_result(futures[i]);
		tl_future_free(futures[i]);
		if (primes != by_hand[i])
			mismatches++;
		total += primes;
	}
	tl_pool_free(pool);

	if (mismatches)
		return tl_lab_result(TL_EXIT_WRONG, "%ld of %ld jobs gave different answers",
		                     mismatches, jobs);
	return tl_lab_result(TL_EXIT_OK, "%ld jobs, %ld primes in all, the same both ways", jobs,
	                     total);
}
