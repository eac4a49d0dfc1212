/* leak/daemon-killed — broken
 * Returning from main kills detached threads mid-work: a daemon's output is cut short.
 * A detached flusher writes a service's log to a file.  Main finishes its work and returns; the
 * process ends and kills the flusher half-way through the file.  The service runs in a forked
 * child, so that the parent can check the file it left.
 * expect run:      wrong-result
 * note: only the parent's check of the file sees it: the end line is missing and records are cut
 *       off.
 * expect tsan:     clean
 * miss: nothing racy happens, and a thread still running at exit is no report for TSan (a leak is a
 *       thread that ended unjoined).
 * expect helgrind: clean
 * miss: the harness silences a forked child; shown the child, Helgrind still reports nothing: the
 *       synchronisation is correct.
 * expect drd:      clean
 * miss: as for Helgrind: nothing wrong with the synchronisation, and the child is silenced anyway.
 * expect memcheck: clean
 * miss: the harness silences a forked child; shown the child, Memcheck reports the flusher's DTV
 *       (dynamic thread vector, from _dl_allocate_tls) as possibly lost, a live thread at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"
#include "tl_watchdog.h" /* tl_slowdown */

/* The log: records 0 .. appended-1 exist; the flusher has written up to
 * `written`.  Main sets `work` after appending, `closing` to shut down. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static long appended;
static tl_event work, closing, flushed;
static int out_fd;

/* One line, one write(2): what is on disk is whole lines. */
static __attribute__((format(printf, 1, 2))) void write_line(const char *fmt, ...)
{
	char line[96];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (write(out_fd, line, (size_t)n) != n) {
		perror("write");
		exit(TL_EXIT_FAILURE);
	}
}

static long value_of(long r)
{
	return r * 7919 % 10007;
}

static void *flusher(void *arg)
{
	(void)arg;
	tl_thread_name("flusher");
	for (long written = 0;;) {
		tl_event_wait(&work, -1);
		tl_event_clear(&work);
		bool last = tl_event_is_set(&closing);
		pthread_mutex_lock(&log_lock);
		long upto = appended;
		pthread_mutex_unlock(&log_lock);
		for (; written < upto; written++)
			write_line("record %ld: %ld\n", written, value_of(written)); /* @write */
		tl_event_set(&flushed);
		if (last) {
			write_line("end: %ld records\n", written);
			return NULL;
		}
	}
}

static void append(long from, long to)
{
	pthread_mutex_lock(&log_lock);
	appended = to;
	pthread_mutex_unlock(&log_lock);
	tl_log("records %ld..%ld logged", from, to - 1);
	tl_event_set(&work);
}

/* The service proper: its main(). */
static int service(const char *path, long records)
{
	out_fd = open(path, O_WRONLY | O_TRUNC);
	if (out_fd < 0) {
		perror(path);
		return TL_EXIT_FAILURE;
	}
	tl_event_init(&work);
	tl_event_init(&closing);
	tl_event_init(&flushed);
	pthread_attr_t daemon;
	pthread_attr_init(&daemon);
	pthread_attr_setdetachstate(&daemon, PTHREAD_CREATE_DETACHED); /* nobody waits for it */
	pthread_t t;
	if (pthread_create(&t, &daemon, flusher, NULL) != 0) /* @daemon */
		return TL_EXIT_FAILURE;
	pthread_attr_destroy(&daemon);

	/* The work: log the records in two halves.  Staging: the first half
	 * is on disk before the second is logged, so the file always has
	 * something, and is always cut somewhere after it. */
	append(0, records / 2);
	tl_event_wait(&flushed, (long)(1000 * tl_slowdown()));
	append(records / 2, records);
	tl_log("work done, returning");
	return TL_EXIT_OK; /* the process ends here, the flusher with it */
}

/* Reads the file back: how many records, and is the end line there? */
static long check_file(const char *path, long records, bool *complete)
{
	FILE *f = fopen(path, "r");
	*complete = false;
	if (f == NULL)
		return -1;
	char line[128];
	long n = 0, end = -1;
	while (fgets(line, sizeof line, f) != NULL) {
		long r, v;
		if (sscanf(line, "record %ld: %ld", &r, &v) == 2 && r == n && v == value_of(r) &&
		    strchr(line, '\n') != NULL)
			n++;
		else if (sscanf(line, "end: %ld records", &end) != 1)
			break;
	}
	fclose(f);
	*complete = n == records && end == records;
	return n;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 1,
	                        .iterations = 1000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_max = 1,
	                        .iterations_min = 2};
	tl_lab_init(argc, argv, "A detached writer is killed half-way when main returns.", &o);
	char path[] = "/tmp/threadlab-daemon-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return tl_lab_result(TL_EXIT_FAILURE, "cannot create a file in /tmp: %s",
		                     strerror(errno));
	close(fd);

	pid_t pid = fork(); /* before any thread: the child is the service */
	if (pid < 0)
		return tl_lab_result(TL_EXIT_FAILURE, "fork: %s", strerror(errno));
	if (pid == 0)
		exit(service(path, o.iterations)); /* as if its main returned */
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	bool complete;
	long got = check_file(path, o.iterations, &complete);
	unlink(path);
	if (!WIFEXITED(status) || got < 0)
		return tl_lab_result(TL_EXIT_FAILURE, "the service did not run (status %#x)",
		                     (unsigned)status);
	if (!complete)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "output cut short: %ld of %ld records, no end line: the "
		                     "writer was killed when main returned",
		                     got, o.iterations);
	return tl_lab_result(TL_EXIT_OK, "output complete: %ld records and the end line", got);
}
