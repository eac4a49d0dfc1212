/* race/signal-handler — broken
 * A signal handler that calls malloc and touches shared state corrupts what it interrupts.
 * A worker appends lines to a log; a SIGUSR1 handler appends a line too, with strdup (malloc).  The
 * handler runs in the middle of whatever the worker was doing, here an append: one line is
 * overwritten and lost, and malloc is not async-signal-safe.
 * expect run:      wrong-result
 * expect tsan:     signal-unsafe @strdup
 * note: TSan also reports "signal handler spoils errno" at the handler's first line (@handler):
 *       errno differed when it returned.  That second report needs a signal from another thread
 *       (probes/signal-other-errno, probes/signal-self-errno); the malloc report does not
 *       (probes/signal-self-malloc).
 * expect helgrind: clean
 * miss: Helgrind checks locks and happens-before between threads; a handler runs on the interrupted
 *       thread itself, and async-signal-safety is not in its model.
 * expect drd:      clean
 * miss: as for Helgrind: DRD does not model signal handlers.
 * expect memcheck: memory-leak @strdup
 * note: the worker's line that the handler overwrote is never freed: Memcheck finds the lost line
 *       as a leak.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

static char **lines;
static long nlines;

/* Staging: the worker's first append stops between storing its line and
 * counting it, asks the sender for the signal, and waits until the handler
 * has run (or 1 s passes).  So the signal lands mid-append on every run. */
static tl_event ready;
static tl_stage delivered;

static void log_append(const char *text, bool staged)
{
	char *copy = strdup(text); /* @strdup */
	lines[nlines] = copy;
	if (staged) {
		tl_event_set(&ready);
		tl_stage_wait(&delivered, 1, 1000);
	}
	nlines++;
}

static void on_signal(int sig)
{ /* @handler */
	(void)sig;
	tl_stage_done(&delivered);
	log_append("signal: SIGUSR1", false); /* interrupts an append; calls malloc */
}

struct worker {
	pthread_t self;
	long lines;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	char text[32];
	tl_thread_name("worker");
	for (long i = 0; i < w->lines; i++) {
		snprintf(text, sizeof text, "line %ld", i);
		log_append(text, i == 0);
	}
	tl_log("appended %ld lines", w->lines);
	return NULL;
}

static void *sender(void *arg)
{
	struct worker *w = arg;
	tl_thread_name("sender");
	tl_event_wait(&ready, (long)(1000 * tl_slowdown()));
	pthread_kill(w->self, SIGUSR1);
	tl_log("sent SIGUSR1 to the worker");
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
	tl_lab_init(argc, argv,
	            "A signal handler that logs with malloc corrupts the log it interrupts.", &o);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	lines = calloc((size_t)o.iterations + 2, sizeof *lines);
	if (!lines)
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");
	tl_event_init(&ready);
	tl_stage_init(&delivered);

	struct worker w = {.lines = o.iterations};
	pthread_t s;
	tl_lab_thread_create(&w.self, worker, &w);
	tl_lab_thread_create(&s, sender, &w);
	pthread_join(s, NULL);
	pthread_join(w.self, NULL);

	/* Every worker line once, in order, and the signal's line: nothing lost. */
	long next = 0, signal_lines = 0, empty = -1, lost = -1;
	char want[32];
	for (long i = 0; i < nlines; i++) {
		snprintf(want, sizeof want, "line %ld", next);
		if (!lines[i]) {
			if (empty < 0)
				empty = i;
		} else if (!strcmp(lines[i], "signal: SIGUSR1")) {
			signal_lines++;
		} else if (!strcmp(lines[i], want)) {
			next++;
		} else if (lost < 0) {
			lost = next;
			next = strtol(lines[i] + 5, NULL, 10) + 1;
		}
		free(lines[i]);
	}
	free(lines);
	if (lost >= 0 || empty >= 0 || next != o.iterations)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "log of %ld slots: line %ld lost, slot %ld empty, %ld signal line(s)", nlines,
		    lost, empty, signal_lines);
	return tl_lab_result(TL_EXIT_OK,
	                     "log of %ld lines: all %ld worker lines in order, %ld signal line(s)",
	                     nlines, next, signal_lines);
}
