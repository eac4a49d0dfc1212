/* probes/signal-self-errno — probe
 * TSan's errno check needs a signal from another thread: a self-sent one goes unreported.
 * TSan treats a signal the thread sent itself as synchronous and does not compare errno across
 * its handler; probes/signal-other-errno sends the same handler a signal from another thread.
 * expect run:      clean
 * note: re-read labs/race/signal-handler/README.md if this fails.
 * expect tsan:     clean
 * note: re-read labs/race/signal-handler/README.md if this fails.
 * miss: the handler does change errno (the probe checks it), but TSan compares errno only for a
 *       signal from elsewhere.  (Under TSan the interrupted code never sees the change: TSan
 *       restores errno after every handler.)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tl_lab.h"

static volatile sig_atomic_t handled, handler_errno;

static void on_signal(int sig)
{
	(void)sig;
	close(-1); /* EBADF: errno changes behind the interrupted code */
	handler_errno = errno;
	handled = 1;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1, .iterations = 1, .seed = 1, .threads_max = 1};
	tl_lab_init(argc, argv, "A handler spoils errno for a signal the thread sent itself.", &o);
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	pthread_kill(pthread_self(), SIGUSR1); /* to itself: delivered before this returns */
	if (!handled || handler_errno != EBADF) {
		fprintf(stderr, "probe: handler ran %d, errno in it %d (want EBADF)\n",
		        (int)handled, (int)handler_errno);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK, "the handler ran and changed errno to EBADF");
}
