/* eventloop-bench — three shapes of echo server under one client load, on loopback.
 *
 *   eventloop-bench              10, 100 and 1,000 concurrent connections
 *   eventloop-bench N...         those connection counts only (1..MAX_CONNS)
 *
 * The servers: an event loop (one thread, non-blocking sockets, epoll), a
 * thread per connection (blocking sockets), and a tl_pool of POOL_WORKERS
 * workers running one connection per task.  The client load is one epoll
 * loop of its own that opens every connection first, then keeps one request
 * in flight on each until each connection has made its share of
 * REQUESTS_TOTAL requests, checking every reply byte for byte.  Everything
 * binds and connects to 127.0.0.1 only.
 *
 * Each measurement runs in a forked child, so that its memory starts from
 * the same point: glibc keeps the stacks of ended threads and the heap of
 * freed connections, which would hide the next server's growth.  There a
 * warm-up with 2 connections faults in the code and the malloc arenas
 * first, so that the RSS growth is what the connections cost.  Within a
 * round the three servers take turns; figures are median [min–max] over
 * rounds, repeated until no throughput median moved by more than
 * BENCH_STABLE_PCT (bench_stats).  Timing never fails the benchmark; a
 * measurement that cannot run (a descriptor limit too low, a wrong reply)
 * does, with one line.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "bench_stats.h"
#include "tl_clock.h"
#include "tl_net.h"
#include "tl_pool.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MSG            32    /* bytes per request and reply */
#define REQUESTS_TOTAL 20000 /* per measurement, shared out among the connections */
#define MIN_REQUESTS   20    /* per connection, whatever the count */
#define POOL_WORKERS   8
#define MAX_CONNS      1000
#define ROUNDS_CAP     12

enum shape { EVENT_LOOP, THREAD_PER_CONN, POOL, SHAPES };
static const char *const shape_names[SHAPES] = {"event loop (1 thread)", "thread per connection",
                                                "tl_pool, 8 workers"};
_Static_assert(POOL_WORKERS == 8, "shape_names[POOL] names the pool's size");

/* What one measurement hands back to the parent through a pipe. */
struct result {
	double requests_per_s;
	double rss_kib; /* the process's peak RSS growth */
	double threads; /* the server's threads at their peak */
};

static _Atomic int threads_now, threads_peak;

static long requests_per_conn(long conns)
{
	return REQUESTS_TOTAL / conns > MIN_REQUESTS ? REQUESTS_TOTAL / conns : MIN_REQUESTS;
}

static void thread_started(void)
{
	int now = atomic_fetch_add(&threads_now, 1) + 1;
	int peak = atomic_load(&threads_peak);
	while (now > peak && !atomic_compare_exchange_weak(&threads_peak, &peak, now))
		;
}

static void thread_ended(void)
{
	atomic_fetch_sub(&threads_now, 1);
}

/* --------------------------------------------------------------- servers */

struct server {
	int lfd;
	long conns;
};

/* The event loop's connections, indexed by descriptor; a reply that did
 * not fit in the send buffer waits in out[] for EPOLLOUT. */
struct loop_conn {
	size_t len, off;
	bool waiting_out; /* registered for EPOLLOUT instead of EPOLLIN */
	char out[4 * MSG];
};

/* The connections by descriptor, grown as descriptors come: the memory
 * follows the connections. */
struct loop_table {
	struct loop_conn *v;
	size_t n;
};

static struct loop_conn *loop_slot(struct loop_table *t, int fd)
{
	if ((size_t)fd >= t->n) {
		size_t n = t->n ? t->n : 64;
		while (n <= (size_t)fd)
			n *= 2;
		struct loop_conn *v = realloc(t->v, n * sizeof *v);
		if (!v)
			bench_die("out of memory");
		t->v = v, t->n = n;
	}
	return &t->v[fd];
}

static void loop_watch(int ep, int op, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	if (epoll_ctl(ep, op, fd, &ev) < 0)
		bench_die("epoll_ctl: %s", strerror(errno));
}

/* Reads and answers what fd has; false when the connection is over. */
static bool loop_serve(int ep, int fd, struct loop_conn *c)
{
	if (c->off == c->len) {
		ssize_t n = read(fd, c->out, sizeof c->out);
		if (n <= 0)
			return n < 0 && (errno == EAGAIN || errno == EINTR);
		c->len = (size_t)n, c->off = 0;
	}
	ssize_t n = send(fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return false;
	c->off += n > 0 ? (size_t)n : 0;
	if ((c->off < c->len) != c->waiting_out) {
		c->waiting_out = !c->waiting_out;
		loop_watch(ep, EPOLL_CTL_MOD, fd, c->waiting_out ? EPOLLOUT : EPOLLIN);
	}
	return true;
}

static void *event_loop_server(void *arg)
{
	struct server *s = arg;
	thread_started();
	struct loop_table table = {0};
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		bench_die("epoll_create1: %s", strerror(errno));
	loop_watch(ep, EPOLL_CTL_ADD, s->lfd, EPOLLIN);
	for (long closed = 0; closed < s->conns;) {
		struct epoll_event ready[64];
		int n = epoll_wait(ep, ready, 64, -1);
		for (int i = 0; i < n; i++) {
			int fd = ready[i].data.fd;
			if (fd == s->lfd) {
				int c;
				while ((c = accept4(s->lfd, NULL, NULL,
				                    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					*loop_slot(&table, c) = (struct loop_conn){0};
					loop_watch(ep, EPOLL_CTL_ADD, c, EPOLLIN);
				}
			} else if (!loop_serve(ep, fd, &table.v[fd])) {
				close(fd);
				closed++;
			}
		}
	}
	close(ep);
	free(table.v);
	thread_ended();
	return NULL;
}

/* The blocking servers' handler: one connection to its end. */
static void *serve_connection(void *arg)
{
	int fd = (int)(intptr_t)arg;
	tl_echo_until_eof(fd);
	close(fd);
	return NULL;
}

static void *connection_thread(void *arg)
{
	thread_started();
	serve_connection(arg);
	thread_ended();
	return NULL;
}

static int accept_blocking(int lfd)
{
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		if (errno != EINTR)
			bench_die("accept4: %s", strerror(errno));
	return fd;
}

static void *thread_per_connection_server(void *arg)
{
	struct server *s = arg;
	thread_started();
	pthread_t *t = calloc((size_t)s->conns, sizeof *t);
	if (!t)
		bench_die("out of memory");
	for (long i = 0; i < s->conns; i++) {
		int rc = pthread_create(&t[i], NULL, connection_thread,
		                        (void *)(intptr_t)accept_blocking(s->lfd));
		if (rc)
			bench_die("pthread_create: %s", strerror(rc));
	}
	for (long i = 0; i < s->conns; i++)
		pthread_join(t[i], NULL);
	free(t);
	thread_ended();
	return NULL;
}

static void *pool_server(void *arg)
{
	struct server *s = arg;
	thread_started();
	tl_pool *pool = tl_pool_create(POOL_WORKERS);
	tl_future **f = calloc((size_t)s->conns, sizeof *f);
	if (!pool || !f)
		bench_die("tl_pool_create: %s", strerror(errno));
	for (int i = 0; i < POOL_WORKERS; i++)
		thread_started(); /* the workers start with the pool */
	for (long i = 0; i < s->conns; i++)
		if (!(f[i] = tl_pool_submit(pool, serve_connection,
		                            (void *)(intptr_t)accept_blocking(s->lfd))))
			bench_die("tl_pool_submit: %s", strerror(errno));
	for (long i = 0; i < s->conns; i++) {
		tl_future_result(f[i]);
		tl_future_free(f[i]);
	}
	tl_pool_free(pool);
	free(f);
	for (int i = 0; i < POOL_WORKERS; i++)
		thread_ended();
	thread_ended();
	return NULL;
}

static void *(*const server_main[SHAPES])(void *) = {event_loop_server,
                                                     thread_per_connection_server, pool_server};

/* ---------------------------------------------------------------- client */

struct client_conn {
	int fd;
	long done; /* replies received */
	size_t got;
	char req[MSG], rep[MSG];
};

static void next_request(struct client_conn *c, long id)
{
	memset(c->req, 0, MSG);
	snprintf(c->req, MSG, "conn %ld request %ld", id, c->done);
	c->got = 0;
	/* 32 bytes into an empty send buffer: always sent whole. */
	if (send(c->fd, c->req, MSG, MSG_NOSIGNAL) != MSG)
		bench_die("client send: %s", strerror(errno));
}

/* Runs the load on this thread: connects n connections to port, then
 * keeps one request in flight on each; returns requests per second. */
static double client_load(in_port_t port, long n, long per_conn)
{
	struct client_conn *cs = calloc((size_t)n, sizeof *cs);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cs || ep < 0)
		bench_die("client: %s", strerror(errno));
	for (long i = 0; i < n; i++) {
		/* Blocking connects: each completes in the listener's backlog,
		 * whether or not the server has accepted it yet. */
		if ((cs[i].fd = tl_connect_loopback(port)) < 0)
			bench_die("client connect (connection %ld): %s", i + 1, strerror(errno));
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0)
			bench_die("client epoll_ctl: %s", strerror(errno));
	}
	uint64_t start = tl_mono_ns();
	for (long i = 0; i < n; i++)
		next_request(&cs[i], i);
	for (long finished = 0; finished < n;) {
		struct epoll_event ready[64];
		int k = epoll_wait(ep, ready, 64, -1);
		for (int j = 0; j < k; j++) {
			long i = (long)ready[j].data.u64;
			struct client_conn *c = &cs[i];
			ssize_t got = read(c->fd, c->rep + c->got, MSG - c->got);
			if (got <= 0) {
				if (got < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				bench_die("connection %ld: the server hung up", i + 1);
			}
			if ((c->got += (size_t)got) < MSG)
				continue;
			if (memcmp(c->req, c->rep, MSG))
				bench_die("connection %ld: a reply differs from its request",
				          i + 1);
			if (++c->done < per_conn) {
				next_request(c, i);
			} else {
				close(c->fd); /* the server sees the end and lets go */
				finished++;
			}
		}
	}
	double seconds = (double)(tl_mono_ns() - start) / 1e9;
	close(ep);
	free(cs);
	return (double)(n * per_conn) / seconds;
}

/* ------------------------------------------------------- one measurement */

static long status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t len = strlen(field);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, field, len) && line[len] == ':')
			v = strtol(line + len + 1, NULL, 10);
	if (f)
		fclose(f);
	if (v < 0)
		bench_die("no %s in /proc/self/status", field);
	return v;
}

/* Serves conns connections with shape, under the client load; returns the
 * requests per second. */
static double serve_once(enum shape shape, long conns)
{
	in_port_t port;
	int lfd = tl_listen_loopback(shape == EVENT_LOOP ? SOCK_NONBLOCK : 0, (int)conns, &port);
	if (lfd < 0)
		bench_die("listen on 127.0.0.1: %s", strerror(errno));
	struct server s = {.lfd = lfd, .conns = conns};
	pthread_t t;
	int rc = pthread_create(&t, NULL, server_main[shape], &s);
	if (rc)
		bench_die("pthread_create: %s", strerror(rc));
	double rate = client_load(port, conns, requests_per_conn(conns));
	pthread_join(t, NULL);
	close(lfd);
	return rate;
}

static struct result measure(enum shape shape, long conns)
{
	/* A warm-up with 2 connections first faults in the code and starts
	 * the malloc arenas, so that the growth measured next is what the
	 * connections cost; then the peak is reset to the present RSS. */
	serve_once(shape, 2);
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (!f || fputs("5", f) < 0 || fclose(f))
		bench_die("cannot reset the peak RSS (/proc/self/clear_refs): %s", strerror(errno));
	atomic_store(&threads_peak, 0);
	long before_kib = status_kib("VmRSS");
	struct result r = {.requests_per_s = serve_once(shape, conns)};
	r.rss_kib = (double)(status_kib("VmHWM") - before_kib);
	r.threads = atomic_load(&threads_peak);
	return r;
}

/* measure() in a fresh child: the same starting memory for every server. */
static struct result measure_in_child(enum shape shape, long conns)
{
	int fds[2];
	if (pipe(fds))
		bench_die("pipe: %s", strerror(errno));
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		struct result r = measure(shape, conns);
		_exit(write(fds[1], &r, sizeof r) == sizeof r ? 0 : 1);
	}
	close(fds[1]);
	struct result r;
	ssize_t got = read(fds[0], &r, sizeof r);
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bench_die("waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		bench_die("%s, %ld connections: killed by signal %d", shape_names[shape], conns,
		          WTERMSIG(status));
	if (got != sizeof r || !WIFEXITED(status) || WEXITSTATUS(status))
		exit(1); /* the child said why, on stderr */
	return r;
}

/* ------------------------------------------------------------------ main */

struct section {
	long conns;
	struct bench_series rate[SHAPES], rss[SHAPES], threads[SHAPES];
};

static void round_of(void *arg)
{
	struct section *s = arg;
	for (int k = 0; k < SHAPES; k++) {
		struct result r = measure_in_child((enum shape)k, s->conns);
		bench_add(&s->rate[k], r.requests_per_s);
		bench_add(&s->rss[k], r.rss_kib);
		bench_add(&s->threads[k], r.threads);
	}
}

static void run_section(long conns)
{
	struct section s = {.conns = conns};
	struct bench_series *stable[SHAPES];
	for (int k = 0; k < SHAPES; k++)
		stable[k] = &s.rate[k];
	int rounds = bench_repeat_until_stable(round_of, &s, stable, SHAPES, ROUNDS_CAP);
	long per_conn = requests_per_conn(conns);
	printf("%ld concurrent connections, %ld requests each (%d rounds)\n", conns, per_conn,
	       rounds);
	for (int k = 0; k < SHAPES; k++) {
		bench_print_figure(shape_names[k], &s.rate[k], 0, " req/s");
		struct bench_series ratio = {0};
		for (int i = 0; i < s.rate[k].n; i++)
			bench_add(&ratio, s.rate[k].v[i] / s.rate[EVENT_LOOP].v[i]);
		if (k != EVENT_LOOP)
			bench_print_ratio(&ratio, "event loop");
		double kib = bench_median(&s.rss[k]);
		printf("\n  %*s RSS +%.0f KiB [%.0f–%.0f] = %.0f B/connection, %.0f thread%s\n",
		       BENCH_NAME_WIDTH, "", kib, bench_lowest(&s.rss[k]), bench_highest(&s.rss[k]),
		       kib * 1024 / (double)s.conns, bench_median(&s.threads[k]),
		       bench_median(&s.threads[k]) == 1 ? "" : "s");
	}
	printf("\n");
}

/* Two descriptors per connection (client and server share the process),
 * plus a few: raise the soft limit to the hard one if that is short. */
static void raise_nofile(long conns)
{
	rlim_t need = (rlim_t)(2 * conns + 64);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		bench_die("getrlimit: %s", strerror(errno));
	if (rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		bench_die("%ld connections need %lu descriptors, but RLIMIT_NOFILE's hard limit is "
		          "%lu (ulimit -Hn)",
		          conns, (unsigned long)need, (unsigned long)rl.rlim_max);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		bench_die("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
}

static void print_load(const char *when)
{
	double l[3];
	if (getloadavg(l, 3) == 3)
		printf("Load average %s: %.2f %.2f %.2f.\n", when, l[0], l[1], l[2]);
}

int main(int argc, char **argv)
{
	bench_name = "eventloop-bench";
	long counts[8] = {10, 100, 1000};
	int n = 3;
	if (argc > 1) {
		if (argc - 1 > 8)
			bench_die("at most 8 connection counts");
		for (n = 0; n < argc - 1; n++) {
			char *end;
			errno = 0;
			counts[n] = strtol(argv[n + 1], &end, 10);
			if (errno || *end || end == argv[n + 1] || counts[n] < 1 ||
			    counts[n] > MAX_CONNS)
				bench_die("not a connection count from 1 to %d: %s", MAX_CONNS,
				          argv[n + 1]);
		}
	}
	for (int i = 0; i < n; i++)
		raise_nofile(counts[i]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf(
	    "eventloop-bench: echo servers on 127.0.0.1 under one client load (an epoll loop in "
	    "the\nsame process, one %d-byte request in flight per connection, every reply "
	    "checked).\nA figure is the median [min–max] of rounds in which the servers take "
	    "turns, each\nin a fresh process; N.NN× event loop is a server's rate over the event "
	    "loop's in\nthe same round. Memory: the process's peak RSS growth while it serves the "
	    "connections\n(VmHWM minus VmRSS before the listener, after a warm-up with 2 "
	    "connections and a\nreset of the peak), client side included: the same for all "
	    "three.\nThreads: the server's own threads at their peak (the client's not "
	    "counted).\n",
	    MSG);
	print_load("at the start");
	printf("\n");
	for (int i = 0; i < n; i++)
		run_section(counts[i]);
	print_load("at the end");
	return 0;
}
