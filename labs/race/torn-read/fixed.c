/* race/torn-read — fixed
 * One mutex around the whole update and the whole copy: no reader sees half an update.
 * The same writer and reader, with a mutex around the update and the copy: the reader sees the pair
 * before or after an update, never in the middle.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"

struct pair {
	long lo, hi; /* invariant: hi == 2 * lo */
};

static struct pair shared;
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;

/* The first update is staged, in steps: the writer stores lo (1), the reader
 * copies the pair (2), the writer stores hi (3).  Each wait gives up after a
 * while (x slowdown), so the program always ends.  A tl_stage orders
 * nothing: the detectors judge the program's own accesses as if there were
 * no staging. */
static tl_stage step;

/* Calls keep the compiler from merging or hoisting the loops' accesses. */
static __attribute__((noinline)) void write_pair(long v, bool staged)
{
	pthread_mutex_lock(&shared_lock);
	shared.lo = v;
	if (staged) {
		tl_stage_done(&step);
		tl_stage_wait(&step, 2, 100); /* the only wait the fixed program sits out */
	}
	shared.hi = 2 * v;
	pthread_mutex_unlock(&shared_lock);
	if (staged)
		tl_stage_done(&step);
}

static __attribute__((noinline)) struct pair read_pair(bool staged)
{
	if (staged)
		tl_stage_wait(&step, 1, 2000);
	pthread_mutex_lock(&shared_lock); /* waits until the update is whole */
	struct pair p = shared;
	pthread_mutex_unlock(&shared_lock);
	if (staged) {
		tl_stage_done(&step);
		tl_stage_wait(&step, 3, 2000);
	}
	return p;
}

struct reader {
	long reads, torn;
	struct pair first_torn;
};

static void *writer(void *arg)
{
	long updates = *(long *)arg;
	tl_thread_name("writer");
	for (long i = 1; i <= updates; i++)
		write_pair(i, i == 1);
	tl_log("made %ld updates", updates);
	return NULL;
}

static void *reader(void *arg)
{
	struct reader *r = arg;
	tl_thread_name("reader");
	for (long i = 0; i < r->reads; i++) {
		struct pair p = read_pair(i == 0);
		if (p.hi != 2 * p.lo && r->torn++ == 0)
			r->first_torn = p;
	}
	tl_log("made %ld reads", r->reads);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 200,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2};
	tl_lab_init(argc, argv, "A mutex makes the two-word update and the copy whole.", &o);
	tl_stage_init(&step);
	long updates = o.iterations;
	struct reader r = {.reads = o.iterations};
	pthread_t t[2];
	tl_lab_thread_create(&t[0], writer, &updates);
	tl_lab_thread_create(&t[1], reader, &r);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);

	if (r.torn)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "%ld of %ld reads torn; first: lo = %ld, hi = %ld (hi must be 2 x lo)", r.torn,
		    r.reads, r.first_torn.lo, r.first_torn.hi);
	return tl_lab_result(TL_EXIT_OK, "%ld reads, every one whole (hi = 2 x lo)", r.reads);
}
