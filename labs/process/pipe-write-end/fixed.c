/* process/pipe-write-end — fixed
 * The parent closes its write end before it waits: the child's read() returns 0, and it replies.
 * The same exchange, with the write end closed as soon as the last number is sent: closing is how
 * a writer says "no more" through a pipe.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

/* write(2) until all of buf is written; a pipe may take part of it. */
static bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* read(2) until buf is full or end of file: the bytes read (short only at
 * EOF), or -1. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The child: sums what comes down `in` until EOF, sends the sum up `out`. */
static void adder(int in, int out)
{
	tl_thread_name("child");
	long sum = 0, count = 0, x;
	ssize_t n;
	while ((n = read_full(in, &x, sizeof x)) == (ssize_t)sizeof x) {
		sum += x;
		count++;
	}
	tl_log("read() returned 0 (EOF) after %ld numbers: sending their sum", count);
	long reply[2] = {count, sum};
	_exit(n == 0 && write_all(out, reply, sizeof reply) ? 0 : 1);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1,
	                        .iterations = 20000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = 1};
	tl_lab_init(argc, argv, "Closing the write end before waiting lets the child see EOF.", &o);
	int down[2], up[2];
	if (pipe(down) != 0)
		return tl_lab_result(TL_EXIT_FAILURE, "pipe: %s", strerror(errno));
	if (pipe(up) != 0)
		return tl_lab_result(TL_EXIT_FAILURE, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		return tl_lab_result(TL_EXIT_FAILURE, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* The child reads down[0] and writes up[1]; its copies of the
		 * other two ends go, or its own down[1] would keep EOF away. */
		close(down[1]);
		close(up[0]);
		adder(down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	/* Started after fork(): the child is a copy of a one-thread process. */
	tl_watchdog_register();
	if (o.watchdog)
		tl_watchdog_start(0, 0); /* @watchdog-start */

	/* 8 bytes a number: the default 20,000 make 160 kB, more than a pipe
	 * holds (64 KiB), so write() also waits for the child to read. */
	bool sent = true;
	for (long i = 1; i <= o.iterations && sent; i++) {
		sent = write_all(down[1], &i, sizeof i);
		tl_progress();
	}
	tl_log("sent 1..%ld; closing the write end: that is the end of the input", o.iterations);
	close(down[1]);

	long reply[2] = {0, 0}, extra;
	ssize_t got = read_full(up[0], reply, sizeof reply);
	ssize_t after = read_full(up[0], &extra, sizeof extra);
	close(up[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	tl_watchdog_stop();
	long want = o.iterations * (o.iterations + 1) / 2;
	if (!sent || got != (ssize_t)sizeof reply || after != 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "the exchange failed: sent %d, reply %zd bytes, "
		                     "then %zd more, child status 0x%x",
		                     sent, got, after, (unsigned)status);
	tl_log("reply: %ld numbers, sum %ld; then EOF: the child closed its end and exited",
	       reply[0], reply[1]);
	if (reply[0] != o.iterations || reply[1] != want)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "child counted %ld numbers summing to %ld, "
		                     "expected %ld summing to %ld",
		                     reply[0], reply[1], o.iterations, want);
	return tl_lab_result(TL_EXIT_OK, "the child added 1..%ld: %ld, as expected", o.iterations,
	                     want);
}
