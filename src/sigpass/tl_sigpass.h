/* tl_sigpass — a source pass that flags calls a signal handler must not make.
 *
 * A handler runs in the middle of whatever the thread was doing: if that
 * was malloc, stdio or a pthread_mutex_lock, and the handler calls into the
 * same, it finds their state half changed or their lock held by the very
 * code it interrupted (a self-deadlock no detector reports: TSan flags
 * malloc and friends, nobody flags a mutex).  POSIX lists the functions a
 * handler may call, signal-safety(7); this pass flags every other.
 *
 * It parses the program's C with libclang and finds:
 *   - handlers: functions passed to signal(), sigset(), bsd_signal() or
 *     sysv_signal(), assigned to a sa_handler or sa_sigaction member, or
 *     named anywhere in the initialiser of a struct sigaction (variable or
 *     compound literal);
 *   - in each handler, every call to a function not in signal-safety(7)'s
 *     list, and, one level deep, every such call in a function of the
 *     program the handler calls (reported at that call's line, with the
 *     function it goes through).
 * A function of the program (defined in one of the files) is not itself
 * flagged: what it calls is looked at instead.  Calls through pointers are
 * not followed.  The files given together are taken as one program.
 */
#ifndef TL_SIGPASS_H
#define TL_SIGPASS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define TL_SIG_NAME 128

struct tl_sig_finding {
	char file[PATH_MAX];
	unsigned line;
	char handler[TL_SIG_NAME];
	char callee[TL_SIG_NAME];
	char via[TL_SIG_NAME]; /* the program's function it is called in, or "" */
	bool locking;          /* a lock or a wait: a self-deadlock if interrupted */
};

struct tl_sig_findings {
	struct tl_sig_finding *v; /* by file, then line */
	size_t n;
	size_t handlers; /* handlers found */
};

/* Parses files[0..n-1] with cflags (a NULL-terminated list of compiler
 * options, or NULL) and fills out.  Returns 0, or -1 with one line in err
 * (a file that does not parse, no memory); out is then empty. */
int tl_sigpass(const char *const *files, size_t n, const char *const *cflags,
               struct tl_sig_findings *out, char *err, size_t errlen);
void tl_sig_findings_free(struct tl_sig_findings *out);

/* Whether signal-safety(7) lists name (a handler may call it). */
bool tl_sig_safe(const char *name);

#endif
