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
#include <sys/types.h>

#include "tl_buf.h"

struct tl_spawn_opts {
	char *const *argv;    /* argv[0] is looked up in PATH when it has no '/' */
	char *const *env_add; /* "NAME=value" strings added to the environment, or NULL */
	long timeout_ms;      /* <= 0: no limit */
	int xml_fd;           /* -1: none */
	bool echo;            /* also copy the child's output to ours as it comes */
	/* Keeps at most this many bytes of each of stdout and stderr, and
	 * reads and counts the rest in dropped_out / dropped_err; 0: keeps up
	 * to TL_SPAWN_OUTPUT_MAX and kills a child that writes more. */
	size_t max_output;
	/* Called with the child's pid (its process group) as soon as it runs,
	 * then every watch_ms: returning true ends the child's whole group at
	 * once (SIGKILL) and sets result->stopped. */
	bool (*watch)(int pid, void *arg);
	void *watch_arg;
	long watch_ms;
};

/* What is kept of each of stdout and stderr: a child that writes more is
 * killed with its group (result->overflowed), so that a program printing
 * without end costs neither unbounded memory nor the whole time limit. */
#define TL_SPAWN_OUTPUT_MAX (16u << 20)

struct tl_spawn_result {
	int exit_code;                   /* when exited */
	int term_signal;                 /* when killed by a signal, else 0 */
	bool timed_out;                  /* we killed it at the time limit */
	bool overflowed;                 /* killed for writing more than TL_SPAWN_OUTPUT_MAX */
	bool stopped;                    /* we killed it because watch said so */
	bool left_behind;                /* processes of its group outlived it (and were killed) */
	size_t dropped_out, dropped_err; /* bytes read past max_output */
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

/* In a child just forked by parent: it is killed (SIGKILL) when the parent
 * dies, and exits at once (127) if the parent already has.  tl_spawn's
 * children call it; so can a caller's own forks. */
void tl_spawn_die_with(pid_t parent);

#endif
