/* eventloop/edge-triggered — fixed
 * With EPOLLET, read until EAGAIN on every event: nothing is left for an edge that never comes.
 * An event loop on main's thread echoes 16-byte messages for --threads
 * clients, its connections registered edge-triggered (EPOLLIN | EPOLLET).
 * Each client sends its messages two at a time, in one write, and waits
 * for both replies.  The server reads until the socket says EAGAIN on
 * every event, so it answers both messages of a pair, and the next pair's
 * arrival raises the next edge.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_net.h"
#include "tl_watchdog.h"

#define MAX_CLIENTS 16
#define MSG         16 /* bytes per message and per reply */

static long pairs; /* per client */

static _Noreturn void fail(const char *what)
{
	exit(tl_lab_result(TL_EXIT_FAILURE, "%s: %s", what, strerror(errno)));
}

/* ---- the clients: blocking sockets, two messages per write ---- */

struct client {
	long id;
	in_port_t port;
	long good; /* replies equal to their message; read by main after the join */
};

static void *client(void *arg)
{
	struct client *c = arg;
	tl_thread_name("client-%ld", c->id);
	tl_watchdog_register();
	int fd = tl_connect_loopback(c->port);
	if (fd < 0)
		fail("connect");
	for (long k = 0; k < pairs; k++) {
		char two[2 * MSG] = {0}, back[2 * MSG];
		snprintf(two, MSG, "%ld: %ld a", c->id, k);
		snprintf(two + MSG, MSG, "%ld: %ld b", c->id, k);
		/* One write, so both messages reach the server's socket together:
		 * one segment, one readiness edge for both. */
		if (send(fd, two, sizeof two, MSG_NOSIGNAL) != sizeof two)
			break;
		if (!tl_read_full(fd, back, sizeof back))
			break; /* the server hung up: the missing replies count as wrong */
		c->good += !memcmp(two, back, MSG) + !memcmp(two + MSG, back + MSG, MSG);
		tl_progress();
	}
	close(fd);
	return NULL;
}

/* ---- the server: an edge-triggered event loop ---- */

struct conn {
	int fd;
	size_t have; /* bytes of the next message in buf */
	char buf[MSG];
};

/* Counts n more bytes of c's message; a whole one is echoed at once (a
 * 16-byte reply fits in the socket's send buffer: a client waits for its
 * replies before it sends more).  False: the reply could not be sent. */
static bool got(struct conn *c, size_t n)
{
	c->have += n;
	if (c->have < MSG)
		return true;
	c->have = 0;
	return send(c->fd, c->buf, MSG, MSG_NOSIGNAL) == MSG;
}

/* Epoll said c is readable.  False: the connection is over. */
static bool on_readable(struct conn *c)
{
	/* Edge-triggered epoll reports only new arrivals: read until the socket
	 * is empty (EAGAIN), or what is left waits for an edge that never comes. */
	for (;;) {
		ssize_t n = read(c->fd, c->buf + c->have, MSG - c->have); /* @drain */
		if (n == 0)
			return false;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		if (!got(c, (size_t)n))
			return false;
	}
}

static struct conn conns[MAX_CLIENTS];
static long accepted;

/* A new connection, registered edge-triggered. */
static void accept_conn(int ep, int lfd)
{
	struct conn *c = &conns[accepted++];
	if ((c->fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0)
		fail("accept");
	/* A pair's two replies go out in two sends: without TCP_NODELAY the
	 * second waits for the client's delayed acknowledgement of the first. */
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = c};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		fail("epoll_ctl");
}

static void serve(int lfd, long clients)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	/* The listener stays level-triggered: one accept per event is right there. */
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		fail("epoll");
	for (long closed = 0; closed < clients;) {
		struct epoll_event ready[16];
		int n = epoll_wait(ep, ready, 16, -1);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = ready[i].data.ptr;
			if (!c) {
				accept_conn(ep, lfd);
			} else if (!on_readable(c)) {
				close(c->fd);
				closed++;
			} else {
				tl_progress();
			}
		}
	}
	close(ep);
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 10,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_max = MAX_CLIENTS};
	tl_lab_init(argc, argv,
	            "Edge-triggered epoll, read until EAGAIN: every message is answered.", &o);
	pairs = o.iterations;
	tl_thread_name("server");
	tl_watchdog_register();

	in_port_t port; /* the kernel picks a free one */
	int lfd = tl_listen_loopback(0, MAX_CLIENTS, &port);
	if (lfd < 0)
		fail("listen on 127.0.0.1");
	if (o.watchdog)
		tl_watchdog_start(0, 0);

	struct client cl[MAX_CLIENTS];
	pthread_t t[MAX_CLIENTS];
	for (long i = 0; i < o.threads; i++) {
		cl[i] = (struct client){.id = i, .port = port};
		tl_lab_thread_create(&t[i], client, &cl[i]);
	}
	serve(lfd, o.threads);
	long good = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		good += cl[i].good;
		tl_log("client %ld: %ld of %ld replies right", i, cl[i].good, 2 * pairs);
	}
	close(lfd);
	tl_watchdog_stop();
	if (good != 2 * pairs * o.threads)
		return tl_lab_result(TL_EXIT_WRONG, "%ld of %ld replies right", good,
		                     2 * pairs * o.threads);
	return tl_lab_result(TL_EXIT_OK, "%ld clients, %ld messages each, every reply right",
	                     o.threads, 2 * pairs);
}
