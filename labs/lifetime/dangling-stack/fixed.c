/* lifetime/dangling-stack — fixed
 * Give a thread data that outlives the frame that started it: a heap block the thread frees.
 * start_job() gives each thread its own job on the heap, which lives until the thread has read it
 * and freed it: the next call may reuse the stack.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"
#include "tl_watchdog.h" /* tl_slowdown */

#define MAX_JOBS 16

/* A job: sum the `count` numbers from `first` on. */
struct job {
	long first;
	long count;
};

/* Staging, not part of the lesson: thread k reads its job only when main
 * is inside the NEXT call, start_job(k + 1), and main waits there until it
 * has.  So start_job's frame holds job k + 1 while thread k reads: a dead
 * frame of job k is always overwritten first.  The last thread reads while
 * its own start_job is still running.  The threads check in one by one so
 * that each knows its k. */
static tl_event checked_in, may_read[MAX_JOBS], has_read[MAX_JOBS];
static atomic_long next_k;
static long njobs;
static long count_limit; /* a garbage count must not make a sum run for ever */

static void stage(long k)
{
	long wait_ms = (long)(1000 * tl_slowdown());
	tl_event_wait(&checked_in, wait_ms); /* thread k knows its k */
	tl_event_clear(&checked_in);
	for (long r = k > 0 ? k - 1 : k; r <= k; r++) {
		if (r == k && k < njobs - 1)
			break; /* thread k reads during the next call */
		tl_event_set(&may_read[r]);
		tl_event_wait(&has_read[r], wait_ms);
	}
}

static void *sum_job(void *arg)
{
	long k = atomic_fetch_add(&next_k, 1);
	tl_thread_name("summer-%ld", k);
	tl_event_set(&checked_in);
	tl_event_wait(&may_read[k], (long)(1000 * tl_slowdown()));
	struct job *j = arg;
	long first = j->first;
	long count = j->count;
	free(j); /* the thread owns its job */
	tl_event_set(&has_read[k]);
	if (count < 0 || count > count_limit)
		count = count_limit;
	tl_log("my job: the %ld numbers from %ld on", count, first);
	long sum = 0;
	for (long i = 0; i < count; i++)
		sum += first + i;
	return (void *)(intptr_t)sum;
}

/* Starts a thread on job k and returns its handle. */
static __attribute__((noinline)) pthread_t start_job(long k, long first, long count)
{
	struct job *j = malloc(sizeof *j); /* outlives this frame */
	if (j == NULL) {
		fprintf(stderr, "%s: out of memory\n", tl_lab_name());
		exit(TL_EXIT_FAILURE);
	}
	*j = (struct job){first, count};
	pthread_t t;
	tl_lab_thread_create(&t, sum_job, j);
	stage(k);
	return t;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4,
	                        .iterations = 1000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = MAX_JOBS - 1,
	                        .iterations_min = 1};
	tl_lab_init(argc, argv, "Data a thread reads must outlive the frame that started it.", &o);
	tl_event_init(&checked_in);
	for (int k = 0; k < MAX_JOBS; k++) {
		tl_event_init(&may_read[k]);
		tl_event_init(&has_read[k]);
	}
	njobs = o.threads;
	count_limit = o.iterations;

	pthread_t t[MAX_JOBS];
	for (long k = 0; k < o.threads; k++)
		t[k] = start_job(k, k * o.iterations, o.iterations);

	long wrong = 0, bad = 0, want = 0;
	for (long k = 0; k < o.threads; k++) {
		void *ret;
		pthread_join(t[k], &ret);
		long got = (long)(intptr_t)ret;
		long expect =
		    o.iterations * (k * o.iterations) + o.iterations * (o.iterations - 1) / 2;
		tl_log("job %ld: sum %ld, expected %ld", k, got, expect);
		if (got != expect && wrong++ == 0) {
			bad = got;
			want = expect;
		}
	}
	if (wrong)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%ld of %ld jobs summed the wrong numbers (job 0: %ld, "
		                     "expected %ld): they read a dead stack frame",
		                     wrong, o.threads, bad, want);
	return tl_lab_result(TL_EXIT_OK, "%ld jobs of %ld numbers summed right", o.threads,
	                     o.iterations);
}
