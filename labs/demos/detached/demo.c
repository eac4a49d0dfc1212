/* demos/detached — background threads nobody joins, shut down properly
 * Detached threads nobody joins can still stop cleanly: tell them, then wait for their goodbye.
 * Daemon threads are created detached (nobody will join them), beat until a stop event, and report
 * their exit through a counter and a condition variable; main waits for that before it returns, and
 * /proc/self/task then shows main alone again: nothing abandoned, nothing killed mid-work.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "tl_annotate.h" /* TL_BUILT_WITH_TSAN */
#include "tl_lab.h"
#include "tl_log.h"
#include "tl_procfs.h"
#include "tl_sync.h"
#include "tl_watchdog.h" /* tl_slowdown */

#define MAX_DAEMONS 16

/* ThreadSanitizer runs a background thread of its own (started with the
 * first pthread_create): it is in /proc/self/task too. */
#define TOOL_THREADS TL_BUILT_WITH_TSAN

static tl_event stop;

/* How many daemons are busy (have done their first `min_beats` beats), and
 * how many are still running, under `lock`; `changed` is signalled when
 * either reaches its goal. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static long busy, running, daemons;
static long min_beats, tick_ms;

static void *daemon_main(void *arg)
{
	long id = (long)arg, beats = 0;
	tl_thread_name("daemon-%ld", id);
	tl_log("started (detached: nobody will join me)");
	/* The background work: one beat per tick until told to stop. */
	while (tl_event_wait(&stop, tick_ms) == -ETIMEDOUT)
		if (++beats == min_beats) {
			pthread_mutex_lock(&lock);
			if (++busy == daemons)
				pthread_cond_broadcast(&changed);
			pthread_mutex_unlock(&lock);
		}
	tl_log("stop seen after %ld beats: leaving", beats);
	/* The last thing this thread does with shared state: say it is gone.
	 * After the unlock it touches nothing main could tear down. */
	pthread_mutex_lock(&lock);
	if (--running == 0)
		pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Waits until `*count` reaches `target` (under `lock`), for at most 10 s
 * (times the tool's slowdown), so a bug ends the demo instead of hanging it. */
static int wait_count(long *count, long target, const char *what)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(10 * tl_slowdown());
	int rc = 0;
	pthread_mutex_lock(&lock);
	while (*count != target && rc == 0)
		rc = pthread_cond_timedwait(&changed, &lock, &until);
	rc = *count == target ? 0 : -1;
	pthread_mutex_unlock(&lock);
	if (rc)
		tl_log("gave up waiting until %s", what);
	return rc;
}

/* The kernel removes a thread from /proc/self/task a moment after it has
 * finished; give it up to a second (times the slowdown) to do so. */
static int tasks_after_reaping(int want)
{
	double deadline = tl_log_elapsed_ms() + 1000 * tl_slowdown();
	int n;
	while ((n = tl_procfs_count_tasks("/proc", getpid())) > want &&
	       tl_log_elapsed_ms() < deadline)
		sched_yield();
	return n;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 3,
	                        .iterations = 3,
	                        .seed = 1,
	                        .watchdog = false,
	                        .threads_min = 1,
	                        .threads_max = MAX_DAEMONS};
	tl_lab_init(argc, argv,
	            "Detached threads: stop them with an event, wait for them to leave.", &o);
	min_beats = o.iterations;
	daemons = o.threads;
	tick_ms = (long)(2 * tl_slowdown());
	tl_event_init(&stop);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	running = o.threads; /* counted before they start, so 0 means "all gone" */
	for (long i = 0; i < o.threads; i++) {
		pthread_t t; /* not kept: a detached thread cannot be joined */
		int rc = pthread_create(&t, &attr, daemon_main, (void *)i);
		if (rc != 0)
			return tl_lab_result(TL_EXIT_FAILURE, "pthread_create: error %d", rc);
	}
	pthread_attr_destroy(&attr);

	int failed = wait_count(&busy, o.threads, "every daemon got busy");
	int during = tl_procfs_count_tasks("/proc", getpid());
	tl_log("%ld daemons at work; /proc/self/task lists %d threads", o.threads, during);

	tl_log("stop");
	tl_event_set(&stop);
	failed |= wait_count(&running, 0, "every daemon left");
	tl_log("all %ld daemons said goodbye", o.threads);
	int left = tasks_after_reaping(1 + TOOL_THREADS);
	tl_log("/proc/self/task lists %d thread(s)%s", left,
	       TOOL_THREADS ? " (main and ThreadSanitizer's own)" : " (main)");
	if (!failed)
		tl_event_destroy(&stop); /* nobody uses it any more */

	if (failed || left != 1 + TOOL_THREADS || during != (int)o.threads + 1 + TOOL_THREADS)
		return tl_lab_result(TL_EXIT_WRONG, "%d threads left at the end (%d while busy)%s",
		                     left, during, failed ? ", and a daemon never reported" : "");
	return tl_lab_result(TL_EXIT_OK, "%ld detached daemons stopped and gone; main is alone",
	                     o.threads);
}
