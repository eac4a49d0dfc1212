/* eventloop/echo-servers — demo
 * One client load served three ways: an epoll loop on one thread, a thread per connection, a pool.
 * Each of --threads client threads opens a connection to 127.0.0.1 and
 * sends --iterations requests on it, one at a time, checking every reply.
 * The same load goes to an event loop (one thread, non-blocking sockets,
 * epoll), to a server that starts a thread per connection, and to a
 * tl_pool of two workers that runs one connection per task.  The program
 * checks every reply and says how many threads each server used.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_net.h"
#include "tl_pool.h"
#include "tl_watchdog.h"

#define MAX_CONNS    32
#define MSG          32 /* bytes per request and per reply */
#define POOL_WORKERS 2

static long conns, requests;

static _Noreturn void fail(const char *what)
{
	exit(tl_lab_result(TL_EXIT_FAILURE, "%s: %s", what, strerror(errno)));
}

/* ---- the client load: the same for every server ---- */

struct client {
	long id;
	in_port_t port;
	long good; /* replies equal to their request; read by main after the join */
};

static void *client(void *arg)
{
	struct client *c = arg;
	tl_thread_name("client-%ld", c->id);
	tl_watchdog_register();
	int fd = tl_connect_loopback(c->port);
	if (fd < 0)
		fail("connect");
	for (long k = 0; k < requests; k++) {
		char req[MSG] = {0}, rep[MSG];
		snprintf(req, sizeof req, "client %ld, request %ld", c->id, k);
		if (!tl_send_full(fd, req, MSG) || !tl_read_full(fd, rep, MSG))
			break; /* the server hung up: the missing replies count as wrong */
		c->good += !memcmp(req, rep, MSG);
		tl_progress();
	}
	close(fd);
	return NULL;
}

/* ---- server 1: an event loop, one thread, non-blocking sockets ---- */

struct conn {
	int fd;
	size_t len, off;  /* buf[off, len) still to be sent back */
	bool waiting_out; /* registered for EPOLLOUT: the socket's send buffer was full */
	char buf[4 * MSG];
};

static void accept_ready(int ep, int lfd)
{
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = calloc(1, sizeof *c);
		if (!c)
			fail("calloc");
		c->fd = fd;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			fail("epoll_ctl");
	}
	if (errno != EAGAIN)
		fail("accept4");
}

/* Called when epoll says c's socket is ready: reads what came (unless a
 * reply is still waiting to go out), sends back what it can, and waits for
 * EPOLLOUT instead of EPOLLIN while the send buffer is full.  Level-triggered:
 * whatever is left is reported again.  False: the connection is over. */
static bool conn_ready(int ep, struct conn *c)
{
	if (c->off == c->len) {
		ssize_t n = read(c->fd, c->buf, sizeof c->buf);
		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->len = (size_t)n, c->off = 0;
	}
	while (c->off < c->len) {
		ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return false;
		c->off += (size_t)n;
	}
	bool full = c->off < c->len;
	if (full != c->waiting_out) {
		struct epoll_event ev = {.events = full ? EPOLLOUT : EPOLLIN, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
			fail("epoll_ctl");
		c->waiting_out = full;
	}
	return true;
}

static int event_loop(int lfd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL: the listener */
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		fail("epoll");
	for (long closed = 0; closed < conns;) {
		struct epoll_event ready[16];
		int n = epoll_wait(ep, ready, 16, -1);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = ready[i].data.ptr;
			if (!c) {
				accept_ready(ep, lfd);
			} else if (!conn_ready(ep, c)) {
				close(c->fd); /* also takes it out of the epoll set */
				free(c);
				closed++;
			}
		}
	}
	close(ep);
	return 1;
}

/* ---- servers 2 and 3: blocking sockets, one connection per thread ---- */

/* Serves one connection to its end; the thread that runs it does nothing else meanwhile. */
static void *serve_connection(void *arg)
{
	int fd = (int)(intptr_t)arg;
	tl_echo_until_eof(fd); /* read, send it back, until read returns 0 */
	close(fd);
	return NULL;
}

static int accept_one(int lfd)
{
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		if (errno != EINTR)
			fail("accept4");
	return fd;
}

static int thread_per_connection(int lfd)
{
	pthread_t t[MAX_CONNS];
	for (long i = 0; i < conns; i++)
		tl_lab_thread_create(&t[i], serve_connection, (void *)(intptr_t)accept_one(lfd));
	for (long i = 0; i < conns; i++)
		pthread_join(t[i], NULL);
	return 1 + (int)conns;
}

static int pool_server(int lfd)
{
	tl_pool *pool = tl_pool_create(POOL_WORKERS);
	if (!pool)
		fail("tl_pool_create");
	tl_future *f[MAX_CONNS];
	/* A connection queued behind busy workers waits for one of them to
	 * finish a whole connection: its client's first request waits too. */
	for (long i = 0; i < conns; i++)
		if (!(f[i] = tl_pool_submit(pool, serve_connection,
		                            (void *)(intptr_t)accept_one(lfd))))
			fail("tl_pool_submit");
	for (long i = 0; i < conns; i++) {
		tl_future_result(f[i]);
		tl_future_free(f[i]);
	}
	tl_pool_free(pool);
	return 1 + POOL_WORKERS;
}

/* ---- main: the same load against each server in turn ---- */

static const struct server {
	const char *name;
	int flags;       /* for the listening socket */
	int (*run)(int); /* serves until every client hung up; returns the threads it used */
} servers[] = {
    {"event loop", SOCK_NONBLOCK, event_loop},
    {"thread per connection", 0, thread_per_connection},
    {"pool of 2 workers", 0, pool_server},
};

/* Serves the load with s on this thread; returns the good replies. */
static long serve_load(const struct server *s)
{
	in_port_t port; /* the kernel picks a free one */
	int lfd = tl_listen_loopback(s->flags, MAX_CONNS, &port);
	if (lfd < 0)
		fail("listen on 127.0.0.1");

	struct client cl[MAX_CONNS];
	pthread_t t[MAX_CONNS];
	for (long i = 0; i < conns; i++) {
		cl[i] = (struct client){.id = i, .port = port};
		tl_lab_thread_create(&t[i], client, &cl[i]);
	}
	int threads = s->run(lfd);
	long good = 0;
	for (long i = 0; i < conns; i++) {
		pthread_join(t[i], NULL);
		good += cl[i].good;
	}
	close(lfd);
	tl_log("%s: %d thread%s served %ld connections, %ld of %ld replies right", s->name, threads,
	       threads == 1 ? "" : "s", conns, good, conns * requests);
	return good;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {
	    .threads = 4, .iterations = 20, .seed = 1, .watchdog = true, .threads_max = MAX_CONNS};
	tl_lab_init(argc, argv, "The same echo load served by an event loop, threads and a pool.",
	            &o);
	conns = o.threads, requests = o.iterations;
	tl_watchdog_register(); /* main is each server's first thread */
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	long good = 0;
	for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++)
		good += serve_load(&servers[i]);
	tl_watchdog_stop();
	long want = 3 * conns * requests;
	if (good != want)
		return tl_lab_result(TL_EXIT_WRONG, "%ld of %ld replies right", good, want);
	return tl_lab_result(TL_EXIT_OK, "3 servers, %ld connections each, all %ld replies right",
	                     conns, want);
}
