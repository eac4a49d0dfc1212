/* probes/signal-self-malloc — probe
 * TSan flags malloc in a signal handler even when the thread sent the signal to itself.
 * Only its errno check wants the signal to come from another thread (probes/signal-self-errno,
 * probes/signal-other-errno).
 * expect run:      clean
 * note: re-read labs/race/signal-handler/README.md if this fails.
 * expect tsan:     signal-unsafe @malloc
 * note: re-read labs/race/signal-handler/README.md if this fails.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_lab.h"

static char *copy;
static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	(void)sig;
	copy = strdup("from the handler"); /* @malloc */
	handled = 1;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1, .iterations = 1, .seed = 1, .threads_max = 1};
	tl_lab_init(argc, argv, "malloc in a handler for a signal the thread sent itself.", &o);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pthread_kill(pthread_self(), SIGUSR1); /* to itself: delivered before this returns */
	if (!handled || !copy) {
		fprintf(stderr, "probe: the handler did not run\n");
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	free(copy);
	return tl_lab_result(TL_EXIT_OK, "the handler ran and called strdup (malloc)");
}
