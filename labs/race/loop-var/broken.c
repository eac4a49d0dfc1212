/* race/loop-var — broken
 * Passing &i to pthread_create shares the loop variable: workers read whatever i is by then.
 * main starts each worker with &i, the address of its loop variable.  The workers read their id
 * through that pointer after the loop has moved on: ids come out wrong and duplicated.
 * expect run:      wrong-result
 * expect tsan:     data-race @read-id @pass-addr
 * expect helgrind: data-race @read-id
 * expect drd:      clean
 * miss: i lives on main's stack, and DRD checks stack variables only with --check-stack-var=yes,
 *       which the harness does not pass (probes/stack-scalar).
 */
#include <pthread.h>
#include <stdio.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static long seen[TL_MAX_THREADS], nseen, out_of_range;
static long ids_in_order[TL_MAX_THREADS];

/* Staging: every worker waits until main's loop is over before it reads its
 * id, so the bad interleaving happens on every run.  The flag is a tl_stage
 * on purpose: it orders nothing for the detectors, so they judge the read of
 * the id exactly as they would without the staging. */
static tl_stage loop_over;

static void *worker(void *arg)
{
	tl_stage_wait(&loop_over, 1, -1);
	long id = *(long *)arg; /* @read-id */
	tl_thread_name("worker-%ld", id);
	pthread_mutex_lock(&seen_lock);
	if (id >= 0 && id < TL_MAX_THREADS)
		seen[id]++;
	else
		out_of_range++;
	ids_in_order[nseen++] = id;
	pthread_mutex_unlock(&seen_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4,
	                        .iterations = 1,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 64};
	tl_lab_init(argc, argv,
	            "Passing &i to pthread_create gives every thread the same, moving id.", &o);
	tl_stage_init(&loop_over);
	pthread_t t[64];
	long i;
	for (i = 0; i < o.threads; i++)
		tl_lab_thread_create(&t[i], worker, &i); /* @pass-addr */
	tl_stage_done(&loop_over);
	for (long k = 0; k < o.threads; k++)
		pthread_join(t[k], NULL);

	char list[64 * 8] = "";
	size_t off = 0;
	long wrong = out_of_range;
	for (long k = 0; k < o.threads; k++) {
		off += (size_t)snprintf(list + off, sizeof list - off, "%s%ld", k ? " " : "",
		                        ids_in_order[k]);
		if (seen[k] != 1)
			wrong++;
	}
	if (wrong)
		return tl_lab_result(TL_EXIT_WRONG, "ids seen: %s; expected each of 0..%ld once",
		                     list, o.threads - 1);
	return tl_lab_result(TL_EXIT_OK, "ids seen: %s; each of 0..%ld once", list, o.threads - 1);
}
