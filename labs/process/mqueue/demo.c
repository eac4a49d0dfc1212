/* process/mqueue — a bounded queue between processes: a POSIX message queue
 * A message queue holds at most mq_maxmsg messages: a full queue makes the sender wait.
 * A child sends N numbers through a POSIX message queue that holds 4; the parent does not receive
 * until the child has found the queue full, then takes all N in order with mq_timedreceive.  A last
 * timed receive, with the child gone, gives up at its deadline (ETIMEDOUT).
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

#define CAPACITY 4
#define END      (-1L) /* the producer's last message */

/* mq_timedsend and mq_timedreceive take an absolute CLOCK_REALTIME deadline. */
static struct timespec deadline_in(long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static double mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The child: sends 1..n, then END.  The first time a send finds the queue
 * full (a deadline already past gives ETIMEDOUT at once instead of waiting), it
 * tells the parent how many messages are in it, then waits for room. */
static void producer(mqd_t q, long n, int full_wr, long patience_ms)
{
	tl_thread_name("producer");
	bool told = false;
	for (long i = 1; i <= n + 1; i++) {
		long msg = i <= n ? i : END;
		static const struct timespec past = {0, 0};
		if (mq_timedsend(q, (const char *)&msg, sizeof msg, 0, &past) == 0)
			continue;
		if (errno != ETIMEDOUT)
			_exit(1);
		if (!told) {
			long in_queue = i - 1;
			tl_log("queue full with %ld messages: message %ld waits for room", in_queue,
			       i);
			if (write(full_wr, &in_queue, sizeof in_queue) != sizeof in_queue)
				_exit(1);
			told = true;
		}
		struct timespec until = deadline_in(patience_ms);
		if (mq_timedsend(q, (const char *)&msg, sizeof msg, 0, &until) != 0)
			_exit(1);
	}
	_exit(told ? 0 : 1);
}

/* Ends the child on an error path, so that none is left behind. */
static int fail(pid_t pid, mqd_t q, const char *what)
{
	int err = errno;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	mq_close(q);
	return tl_lab_result(TL_EXIT_FAILURE, "%s: %s", what, strerror(err));
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1,
	                        .iterations = 20,
	                        .seed = 1,
	                        .threads_min = 1,
	                        .threads_max = 1,
	                        .iterations_min = CAPACITY + 1};
	tl_lab_init(argc, argv, "A POSIX message queue of 4 between processes; timed receive.", &o);
	long patience_ms = (long)(10000 * tl_slowdown());
	long empty_wait_ms = (long)(20 * tl_slowdown());

	/* A name nobody else uses, removed at once: the queue lives on as long
	 * as a descriptor to it is open (ours and, after fork, the child's). */
	char name[64];
	snprintf(name, sizeof name, "/threadlab-mqueue-%d", (int)getpid());
	struct mq_attr attr = {.mq_maxmsg = CAPACITY, .mq_msgsize = sizeof(long)};
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (q == (mqd_t)-1)
		return tl_lab_result(TL_EXIT_FAILURE, "mq_open %s: %s", name, strerror(errno));
	mq_unlink(name);

	int full[2];
	if (pipe(full) != 0) {
		mq_close(q);
		return tl_lab_result(TL_EXIT_FAILURE, "pipe: %s", strerror(errno));
	}
	pid_t pid = fork();
	if (pid < 0) {
		mq_close(q);
		return tl_lab_result(TL_EXIT_FAILURE, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(full[0]);
		producer(q, o.iterations, full[1], patience_ms);
	}
	close(full[1]);

	/* Receive nothing until the child has found the queue full. */
	struct pollfd p = {.fd = full[0], .events = POLLIN};
	long in_queue = -1;
	if (poll(&p, 1, (int)patience_ms) != 1 ||
	    read(full[0], &in_queue, sizeof in_queue) != sizeof in_queue)
		return fail(pid, q, "no word from the producer");
	close(full[0]);
	struct mq_attr now;
	mq_getattr(q, &now);
	tl_log("the producer found the queue full: %ld messages in it (mq_curmsgs %ld of %ld)",
	       in_queue, (long)now.mq_curmsgs, (long)now.mq_maxmsg);

	long expect = 1, msg;
	for (;;) {
		struct timespec until = deadline_in(patience_ms);
		if (mq_timedreceive(q, (char *)&msg, sizeof msg, NULL, &until) != sizeof msg)
			return fail(pid, q, "mq_timedreceive");
		if (msg == END)
			break;
		if (msg != expect) {
			kill(pid, SIGKILL); /* out of order: stop the producer */
			break;
		}
		expect++;
	}
	int status = 0;
	waitpid(pid, &status, 0);
	tl_log("received 1..%ld in order, then the end mark; producer exited", expect - 1);

	/* The producer is gone and the queue is empty: a timed receive is how
	 * a receiver finds that out instead of waiting for ever. */
	double t0 = mono_ms();
	struct timespec until = deadline_in(empty_wait_ms);
	ssize_t r = mq_timedreceive(q, (char *)&msg, sizeof msg, NULL, &until);
	int err = errno;
	double waited = mono_ms() - t0;
	tl_log("empty queue: mq_timedreceive gave %s after %.1f ms",
	       r >= 0             ? "a message"
	       : err == ETIMEDOUT ? "ETIMEDOUT"
	                          : strerror(err),
	       waited);
	mq_close(q);

	bool ok = in_queue == CAPACITY && now.mq_curmsgs == CAPACITY && msg == END &&
	          expect == o.iterations + 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	          r < 0 && err == ETIMEDOUT && waited >= (double)empty_wait_ms - 1;
	if (!ok)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "full at %ld (want %d), %ld of %ld messages in order, producer "
		    "status 0x%x, last receive %zd (%s) after %.1f ms",
		    in_queue, CAPACITY, expect - 1, o.iterations, (unsigned)status, r,
		    strerror(err), waited);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld messages through a queue of %d, in order; the receive on the "
	                     "empty queue timed out after %ld ms",
	                     o.iterations, CAPACITY, empty_wait_ms);
}
