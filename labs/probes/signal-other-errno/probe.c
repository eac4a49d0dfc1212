/* probes/signal-other-errno — probe
 * TSan reports a handler that spoils errno when the signal comes from another thread.
 * Main blocks SIGUSR1, starts a sender and waits in sigsuspend; the handler changes errno.
 * expect run:      clean
 * note: re-read labs/race/signal-handler/README.md if this fails.
 * expect tsan:     signal-unsafe @handler
 * note: re-read labs/race/signal-handler/README.md if this fails.
 * note: the report ("signal handler spoils errno") names the handler's first line.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tl_lab.h"

static volatile sig_atomic_t handled;
static pthread_t main_thread;

static void on_signal(int sig)
{ /* @handler */
	(void)sig;
	close(-1); /* EBADF: errno changes behind the interrupted code */
	handled = 1;
}

static void *sender(void *arg)
{
	(void)arg;
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1, .iterations = 1, .seed = 1, .threads_max = 1};
	tl_lab_init(argc, argv, "A handler spoils errno for a signal sent by another thread.", &o);
	main_thread = pthread_self();
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pthread_t t;
	tl_lab_thread_create(&t, sender, NULL);
	while (!handled)
		sigsuspend(&old); /* the signal can only arrive in here */
	pthread_join(t, NULL);
	return tl_lab_result(TL_EXIT_OK, "the handler ran on a signal from another thread");
}
