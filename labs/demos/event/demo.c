/* demos/event — start and stop signals for a crew of workers
 * An event is state, not a wake-up: a late waiter still sees it set; clearing re-arms it.
 * Workers wait for a start event, tick until a stop event, and do it again for a second shift:
 * tl_event set, clear, is_set and wait with a timeout. A set event stays set, so a worker that
 * comes late to the wait is not left behind, and clearing it re-arms it for the next shift.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

#define SHIFTS      2
#define MAX_WORKERS 16

static tl_event start, stop;
/* Workers report back to main with events too: the last one to reach
 * `min_ticks` sets `busy`, the last one to stop sets `parked`. */
static tl_event busy, parked;
static atomic_long reached, stopped;
static long workers, min_ticks, tick_ms;

struct worker {
	int id;
	long ticks[SHIFTS];
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	tl_thread_name("worker-%d", w->id);
	for (int s = 0; s < SHIFTS; s++) {
		tl_event_wait(&start, -1);
		tl_log("shift %d: started", s + 1);
		/* The stop wait doubles as the tick: -ETIMEDOUT means "not yet,
		 * do another unit of work", 0 means stop. */
		while (tl_event_wait(&stop, tick_ms) == -ETIMEDOUT)
			if (++w->ticks[s] == min_ticks &&
			    atomic_fetch_add(&reached, 1) + 1 == workers)
				tl_event_set(&busy);
		tl_log("shift %d: stopped after %ld ticks", s + 1, w->ticks[s]);
		if (atomic_fetch_add(&stopped, 1) + 1 == workers)
			tl_event_set(&parked);
	}
	return NULL;
}

/* A generous bound, so a bug ends the demo with exit 3 instead of a hang. */
static int wait_or_fail(tl_event *ev, const char *what)
{
	if (tl_event_wait(ev, (long)(10000 * tl_slowdown())) == 0)
		return 0;
	tl_log("gave up waiting until %s", what);
	return -1;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 3,
	                        .iterations = 3,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = MAX_WORKERS};
	tl_lab_init(argc, argv, "Workers wait for a start event, then work until a stop event.",
	            &o);
	workers = o.threads;
	min_ticks = o.iterations;
	tick_ms = (long)(2 * tl_slowdown());
	tl_event_init(&start);
	tl_event_init(&stop);
	tl_event_init(&busy);
	tl_event_init(&parked);

	struct worker w[MAX_WORKERS];
	pthread_t t[MAX_WORKERS];
	for (long i = 0; i < workers; i++) {
		w[i] = (struct worker){.id = (int)i};
		tl_lab_thread_create(&t[i], worker, &w[i]);
	}
	int failed = 0;
	for (int s = 0; s < SHIFTS && !failed; s++) {
		atomic_store(&reached, 0);
		atomic_store(&stopped, 0);
		/* Workers may or may not be waiting yet: an event, unlike a bare
		 * condition-variable signal, stays set until cleared. */
		tl_log("shift %d: start", s + 1);
		tl_event_set(&start);
		failed |= wait_or_fail(&busy, "every worker ticked");
		/* Clear start before setting stop: a worker that finishes the
		 * shift must find the gate closed, not run a second lap. */
		tl_event_clear(&start);
		tl_event_clear(&busy);
		tl_log("shift %d: every worker did %ld ticks: stop", s + 1, min_ticks);
		tl_event_set(&stop);
		failed |= wait_or_fail(&parked, "every worker stopped");
		tl_event_clear(&parked);
		tl_log("shift %d: all stopped (stop is_set=%d, start is_set=%d); re-arming", s + 1,
		       tl_event_is_set(&stop), tl_event_is_set(&start));
		tl_event_clear(&stop);
	}
	if (failed) {
		/* Let any worker still waiting finish, so it can be joined. */
		tl_event_set(&stop);
		tl_event_set(&start);
	}
	for (long i = 0; i < workers; i++)
		pthread_join(t[i], NULL);
	tl_event_destroy(&start);
	tl_event_destroy(&stop);
	tl_event_destroy(&busy);
	tl_event_destroy(&parked);

	long short_shifts = 0;
	for (long i = 0; i < workers; i++)
		for (int s = 0; s < SHIFTS; s++)
			short_shifts += w[i].ticks[s] < min_ticks;
	if (failed || short_shifts)
		return tl_lab_result(TL_EXIT_WRONG, "%ld worker shifts ended early%s", short_shifts,
		                     failed ? ", and a signal never came" : "");
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld workers x %d shifts, each started and stopped on its signal",
	                     workers, SHIFTS);
}
