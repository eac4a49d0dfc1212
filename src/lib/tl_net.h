/* tl_net — the loopback sockets the eventloop labs and bench-eventloop
 * share: a listener on 127.0.0.1 at a port the kernel picks, a client
 * connection to it, and whole-buffer reads and sends on blocking sockets.
 * Nothing here binds or connects outside 127.0.0.1.
 */
#ifndef TL_NET_H
#define TL_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* A listening TCP socket on 127.0.0.1, port 0 (the kernel picks a free
 * one), with `flags` (SOCK_NONBLOCK ...) added to SOCK_STREAM |
 * SOCK_CLOEXEC.  Its port, in network byte order, goes to *port.  Returns
 * the descriptor, or -1 with errno set. */
int tl_listen_loopback(int flags, int backlog, in_port_t *port);

/* A blocking TCP connection to 127.0.0.1:port (network byte order).
 * Returns the descriptor, or -1 with errno set. */
int tl_connect_loopback(in_port_t port);

/* Reads exactly n bytes (retrying on EINTR and short reads).  False on end
 * of file or an error. */
bool tl_read_full(int fd, void *buf, size_t n);

/* Echoes what comes on a blocking socket back to its sender until the peer
 * hangs up (end of file) or an error; does not close fd.  The handler of a
 * server that gives each connection a thread of its own. */
void tl_echo_until_eof(int fd);

/* Sends all n bytes with MSG_NOSIGNAL (a peer that hung up gives EPIPE,
 * not SIGPIPE).  False on an error. */
bool tl_send_full(int fd, const void *buf, size_t n);

#endif
