/* tl_spawn — run a child program with a time limit, capturing its output.
 *
 * stdout and stderr are captured separately.  With xml_fd >= 0 the child also
 * gets an anonymous temporary file at that descriptor number (for Valgrind's
 * --xml-fd), whose contents end up in result->xml.  The child leads its own
 * process group; at the time limit the whole group gets SIGKILL.
 */
#ifndef TL_SPAWN_H
#define TL_SPAWN_H

#include <stdbool.h>

#include "tl_buf.h"

struct tl_spawn_opts {
	char *const *argv;    /* argv[0] is looked up in PATH when it has no '/' */
	char *const *env_add; /* "NAME=value" strings added to the environment, or NULL */
	long timeout_ms;      /* <= 0: no limit */
	int xml_fd;           /* -1: none */
	bool echo;            /* also copy the child's output to ours as it comes */
};

/* What is kept of each of stdout and stderr: a child that writes more is
 * killed with its group (result->overflowed), so that a program printing
 * without end costs neither unbounded memory nor the whole time limit. */
#define TL_SPAWN_OUTPUT_MAX (16u << 20)

struct tl_spawn_result {
	int exit_code;   /* when exited */
	int term_signal; /* when killed by a signal, else 0 */
	bool timed_out;  /* we killed it at the time limit */
	bool overflowed; /* we killed it for writing more than TL_SPAWN_OUTPUT_MAX */
	double wall_ms;
	tl_buf out, err, xml;
};

/* 0 when the child ran (whatever its status), or a negative errno when it
 * could not be started (then result->err holds a message). */
int tl_spawn(const struct tl_spawn_opts *opts, struct tl_spawn_result *result);
void tl_spawn_result_free(struct tl_spawn_result *r);

/* SIGKILL to the process group of every child tl_spawn is running, in any
 * thread; async-signal-safe, for a handler of SIGINT or SIGTERM (the
 * children lead their own groups, so a terminal's ^C never reaches them).
 * It first waits (at most a second) for forks in flight to be recorded. */
void tl_spawn_kill_all(void);

#endif
