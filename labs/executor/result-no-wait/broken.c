/* executor/result-no-wait — broken
 * What a task writes is yours to read only once its future has finished: reading sooner is a race.
 * Main gives each task a job struct to fill in (output = input squared),
 * submits the tasks, and reads the outputs straight away: "they are tiny,
 * they must be done".  It never waits on a future.  Nothing orders the
 * tasks' writes before main's reads.  Here main reads before any task has
 * written (the tasks are staged to wait until main has read): every output
 * is still 0.
 * expect run:      wrong-result
 * expect tsan:     data-race @read @write
 * expect helgrind: data-race @read @write
 * expect drd:      data-race @write
 * note: DRD names the task's write, and for the other side only main's segment between a submit and
 *       a tl_future_free, which holds the read.
 * expect memcheck: clean
 * miss: Memcheck checks memory, not ordering: every byte read was initialised, and all is freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_pool.h"
#include "tl_stage.h"

#define MAX_JOBS 8

struct job {
	long input;
	long output; /* written by the task */
};

/* The staging: main reads once every task is running (a task that had not
 * started yet would be taken from the queue under the pool's lock after
 * main's read, which orders the two); a task writes only once main has read
 * the outputs, or 100 ms x slowdown later.  tl_stage orders nothing, so the
 * detectors judge the program as if it were not there. */
static tl_stage running, main_has_read;

static void *square(void *arg)
{
	struct job *j = arg;
	tl_stage_done(&running);
	tl_stage_wait(&main_has_read, 1, 100);
	j->output = j->input * j->input; /* @write */
	return NULL;
}

/* What the task wrote.  Out of line so that the read has a line of its own:
 * inlined into main's loop, Helgrind named the loop's line for it in half
 * of the runs. */
static __attribute__((noinline)) long output_of(const struct job *j)
{
	return j->output; /* @read */
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 4, .iterations = 1, .seed = 1, .watchdog = true, .threads_max = MAX_JOBS};
	tl_lab_init(argc, argv,
	            "Outputs are read right after submit, without waiting on the futures.", &o);
	tl_stage_init(&running);
	tl_stage_init(&main_has_read);
	long n = o.threads;
	tl_pool *pool = tl_pool_create((int)n); /* a worker per job */
	if (!pool)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_create: %s", strerror(errno));
	struct job *jobs = calloc((size_t)n, sizeof *jobs);
	tl_future *f[MAX_JOBS];
	if (!jobs)
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");
	for (long i = 0; i < n; i++) {
		jobs[i] = (struct job){.input = i + 1};
		if (!(f[i] = tl_pool_submit(pool, square, &jobs[i])))
			return tl_lab_result(TL_EXIT_FAILURE, "tl_pool_submit: %s",
			                     strerror(errno));
	}

	tl_stage_wait(&running, n, 1000);
	long sum = 0;
	for (long i = 0; i < n; i++)
		sum += output_of(&jobs[i]);
	tl_stage_done(&main_has_read);

	for (long i = 0; i < n; i++)
		tl_future_free(f[i]);
	tl_pool_free(pool);
	free(jobs);
	long want = n * (n + 1) * (2 * n + 1) / 6;
	tl_log("sum of squares 1..%ld: read %ld", n, sum);
	if (sum != want)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "read %ld, expected %ld: outputs read before their "
		                     "tasks wrote them",
		                     sum, want);
	return tl_lab_result(TL_EXIT_OK, "sum of squares 1..%ld = %ld", n, sum);
}
