/* tl_spawn — run a child with a time limit, capturing stdout, stderr and an
 * optional extra descriptor (Valgrind's XML).
 *
 * The parent polls the two pipes and a pidfd for the child, so it notices the
 * child's end even if something else keeps the pipes open, and never waits
 * past the deadline: then the child's whole process group is killed.
 */
#include "config.h"

#include "tl_spawn.h"

#include "tl_clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	return (double)tl_mono_ns() / 1e6;
}

/* The children running now, by pid (0: a free slot).  More children than
 * slots run unrecorded: the runner runs at most 64 jobs. */
#define RUNNING_SLOTS 128
static _Atomic pid_t running[RUNNING_SLOTS];
/* Forks whose child is not recorded yet: tl_spawn_kill_all waits for them. */
static atomic_int forks_in_flight;

static int running_add(pid_t pid)
{
	for (int i = 0; i < RUNNING_SLOTS; i++) {
		pid_t free_slot = 0;
		if (atomic_compare_exchange_strong(&running[i], &free_slot, pid))
			return i;
	}
	return -1;
}

void tl_spawn_kill_all(void)
{
	/* A fork between its start and its record takes microseconds. */
	for (int i = 0; i < 1000 && atomic_load(&forks_in_flight) > 0; i++)
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	for (int i = 0; i < RUNNING_SLOTS; i++) {
		pid_t pid = atomic_load(&running[i]);
		if (pid > 0)
			kill(-pid, SIGKILL);
	}
}

/* The signals that end a runner: blocked from fork to record, so that no
 * handler in this thread waits for this thread's fork. */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

void tl_spawn_die_with(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
}

/* In the child: never returns. */
static void child(const struct tl_spawn_opts *o, int out_w, int err_w, int xml, int status_w,
                  pid_t parent, const sigset_t *mask)
{
	setpgid(0, 0);
	/* Should the runner die before it could end us (SIGKILL, a crash),
	 * we go too. */
	tl_spawn_die_with(parent);
	pthread_sigmask(SIG_SETMASK, mask, NULL);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	dup2(out_w, STDOUT_FILENO);
	dup2(err_w, STDERR_FILENO);
	if (xml >= 0 && dup2(xml, o->xml_fd) < 0)
		goto fail;
	for (char *const *e = o->env_add; e && *e; e++)
		if (putenv(*e) != 0)
			goto fail;
	signal(SIGPIPE, SIG_DFL);
	execvp(o->argv[0], o->argv);
fail:;
	int e = errno;
	ssize_t w = write(status_w, &e, sizeof e);
	(void)w;
	_exit(127);
}

/* Moves what is readable on *fd into b, up to max bytes in all (the rest
 * is counted in *dropped), and to echo_fd; closes *fd at EOF.  max 0 means
 * TL_SPAWN_OUTPUT_MAX, past which *overflowed is set. */
static void drain(int *fd, tl_buf *b, size_t max, size_t *dropped, bool *overflowed, int echo_fd)
{
	char chunk[16384];
	ssize_t n = read(*fd, chunk, sizeof chunk);
	if (n > 0) {
		size_t cap = max > 0 ? max : TL_SPAWN_OUTPUT_MAX;
		size_t keep = (size_t)n;
		if (b->len + keep > cap) {
			keep = b->len < cap ? cap - b->len : 0;
			if (max == 0)
				*overflowed = true;
		}
		tl_buf_append(b, chunk, keep);
		*dropped += (size_t)n - keep;
		/* Past the default limit the child is killed: echo no more than was kept. */
		if (echo_fd >= 0) {
			ssize_t w = write(echo_fd, chunk, max > 0 ? (size_t)n : keep);
			(void)w;
		}
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(*fd);
	*fd = -1;
}

/* Polls the child's pipes (*out_r, *err_r: closed and set to -1 at EOF) and
 * its pidfd until it ends, or until the deadline, when its whole group is
 * killed.  0 or a negative errno; the wait status in *status. */
static int wait_child(const struct tl_spawn_opts *o, struct tl_spawn_result *r, pid_t pid,
                      int pidfd, int *out_r, int *err_r, double start, int *status)
{
	double deadline = o->timeout_ms > 0 ? start + (double)o->timeout_ms : 0;
	double next_watch = start; /* the first look comes at once */

	for (;;) {
		struct pollfd p[3] = {{*out_r, POLLIN, 0}, {*err_r, POLLIN, 0}, {pidfd, POLLIN, 0}};
		if (o->watch && now_ms() >= next_watch) {
			if (o->watch(pid, o->watch_arg)) {
				kill(-pid, SIGKILL);
				waitpid(pid, status, 0);
				r->stopped = true;
				return 0;
			}
			next_watch = now_ms() + (double)(o->watch_ms > 0 ? o->watch_ms : 100);
		}
		int wait_ms = -1;
		if (deadline > 0) {
			double left = deadline - now_ms();
			wait_ms = left > 0 ? (int)left + 1 : 0;
		}
		if (o->watch) {
			double left = next_watch - now_ms();
			int w = left > 0 ? (int)left + 1 : 0;
			if (wait_ms < 0 || w < wait_ms)
				wait_ms = w;
		}
		if (pidfd < 0 && *out_r < 0 && *err_r < 0) {
			/* No pidfd (old kernel) and the pipes are shut: block. */
			waitpid(pid, status, 0);
			return 0;
		}
		int n = poll(p, 3, wait_ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (p[0].revents)
			drain(out_r, &r->out, o->max_output, &r->dropped_out, &r->overflowed,
			      o->echo ? STDOUT_FILENO : -1);
		if (p[1].revents)
			drain(err_r, &r->err, o->max_output, &r->dropped_err, &r->overflowed,
			      o->echo ? STDERR_FILENO : -1);
		if ((pidfd >= 0 && p[2].revents) || (pidfd < 0 && *out_r < 0 && *err_r < 0)) {
			waitpid(pid, status, 0);
			return 0;
		}
		bool late = deadline > 0 && now_ms() >= deadline;
		if (late || r->overflowed) {
			kill(-pid, SIGKILL);
			waitpid(pid, status, 0);
			r->timed_out = late && !r->overflowed;
			return 0;
		}
	}
}

/* Collects what was written before the end, without waiting on descendants
 * that might still hold the pipes. */
static void drain_rest(const struct tl_spawn_opts *o, struct tl_spawn_result *r, int *out_r,
                       int *err_r)
{
	for (int *fd = out_r; fd; fd = (fd == out_r ? err_r : NULL)) {
		while (*fd >= 0) {
			struct pollfd p = {*fd, POLLIN, 0};
			if (poll(&p, 1, 0) <= 0)
				break;
			drain(fd, fd == out_r ? &r->out : &r->err, o->max_output,
			      fd == out_r ? &r->dropped_out : &r->dropped_err, &r->overflowed,
			      o->echo ? (fd == out_r ? STDOUT_FILENO : STDERR_FILENO) : -1);
		}
	}
}

int tl_spawn(const struct tl_spawn_opts *o, struct tl_spawn_result *r)
{
	memset(r, 0, sizeof *r);
	int out[2] = {-1, -1}, err[2] = {-1, -1}, st[2] = {-1, -1}, xml = -1, pidfd = -1;
	int rc = 0;
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(st, O_CLOEXEC)) {
		rc = -errno;
		goto out;
	}
	if (o->xml_fd >= 0 && (xml = memfd_create("threadlab-xml", MFD_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	double start = now_ms();
	fflush(NULL);
	sigset_t block, old;
	stop_signals(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	atomic_fetch_add(&forks_in_flight, 1);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		child(o, out[1], err[1], xml, st[1], parent, &old);
	int slot = -1;
	if (pid > 0) {
		setpgid(pid, pid); /* also here: no race with an early kill */
		slot = running_add(pid);
	}
	int fork_errno = errno;
	atomic_fetch_sub(&forks_in_flight, 1);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		rc = -fork_errno;
		goto out;
	}
	close(out[1]), out[1] = -1;
	close(err[1]), err[1] = -1;
	close(st[1]), st[1] = -1;

	int exec_errno = 0;
	if (read(st[0], &exec_errno, sizeof exec_errno) == (ssize_t)sizeof exec_errno) {
		waitpid(pid, NULL, 0);
		if (slot >= 0)
			atomic_store(&running[slot], 0);
		tl_buf_printf(&r->err, "cannot run %s: %s", o->argv[0], strerror(exec_errno));
		rc = -exec_errno;
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);

	int status = 0;
	rc = wait_child(o, r, pid, pidfd, &out[0], &err[0], start, &status);
	r->wall_ms = now_ms() - start;
	/* Whatever the child left behind in its group goes with it. */
	r->left_behind = kill(-pid, 0) == 0;
	kill(-pid, SIGKILL);
	if (slot >= 0)
		atomic_store(&running[slot], 0);
	drain_rest(o, r, &out[0], &err[0]);
	if (WIFEXITED(status))
		r->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->term_signal = WTERMSIG(status);
	if (xml >= 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", xml);
		tl_buf_read_file(&r->xml, path);
	}
out:
	for (int *fds[] = {out, err, st}, i = 0; i < 3; i++)
		for (int j = 0; j < 2; j++)
			if (fds[i][j] >= 0)
				close(fds[i][j]);
	if (xml >= 0)
		close(xml);
	if (pidfd >= 0)
		close(pidfd);
	return rc;
}

void tl_spawn_result_free(struct tl_spawn_result *r)
{
	tl_buf_free(&r->out);
	tl_buf_free(&r->err);
	tl_buf_free(&r->xml);
}
