/* tl_verdict — turn what ThreadSanitizer and Valgrind printed into verdicts.
 *
 * Kind -> verdict, as the tools really print it here (clang 14 TSan,
 * Valgrind 3.19, glibc 2.36; the probes and reports are in tests/fixtures):
 *
 * ThreadSanitizer ("WARNING: ThreadSanitizer: <kind> (pid=N)"), by prefix:
 *   data race, race on external object               data-race
 *   heap-use-after-free                               memory-error
 *   lock-order-inversion (potential deadlock)         lock-order
 *   thread leak                                       thread-leak
 *   signal-unsafe call inside of a signal             signal-unsafe
 *   signal handler spoils errno                       signal-unsafe
 *   destroy of a locked mutex                         destroy-locked
 *   unlock of an unlocked mutex (or by a wrong thread) bad-unlock
 *   read unlock of a write locked mutex               bad-unlock
 *   double lock of a mutex                            double-lock
 *   read lock of a write locked mutex                 double-lock
 *   use of an invalid mutex (e.g. uninitialized ...)  mutex-misuse
 *   mutex held in the wrong context                   mutex-misuse
 *   "==PID==ERROR: ThreadSanitizer: SEGV on ..."      crash
 *   anything else                                     unclassified
 *
 * Valgrind <kind> (and <what>/<xwhat> text where one kind covers several):
 *   Helgrind Race, DRD ConflictingAccess              data-race
 *   Helgrind LockOrder                                lock-order
 *   Helgrind UnlockUnlocked/UnlockForeign/UnlockBogus bad-unlock
 *   Helgrind Misc "Attempt to re-lock a non-recursive lock I already hold"
 *                                                     double-lock
 *   Helgrind Misc "Bug in libpthread: write lock granted on mutex/rwlock
 *                 which is currently wr-held by a different thread"
 *                                                     double-lock
 *   Helgrind Misc "pthread_mutex_destroy of a locked mutex"  destroy-locked
 *   Helgrind Misc "pthread_cond_...": dubious signal, wait with an un-held
 *                 or invalid mutex, destroy of an unknown cond  cond-misuse
 *   Helgrind Misc "Exiting thread still holds N lock(s)", other Misc
 *                                                     mutex-misuse
 *   Helgrind PthAPIerror: pthread_mutex_destroy + EBUSY      destroy-locked
 *                         any call failing with EDEADLK      double-lock
 *                         an unlock failing with EPERM       bad-unlock
 *                         pthread_cond_*                     cond-misuse
 *                         anything else                      mutex-misuse
 *   DRD MutexErr "Recursive locking not allowed",
 *                "The impossible happened: mutex is locked simultaneously
 *                 by two threads"                     double-lock
 *   DRD MutexErr "Destroying locked mutex"            destroy-locked
 *   DRD MutexErr "Mutex not locked[ by calling thread]" bad-unlock
 *   DRD MutexErr "... is not a mutex" in pthread_mutex_unlock  bad-unlock
 *   DRD MutexErr other ("Mutex still locked at thread exit", "Mutex
 *                reinitialization", "is not a mutex" elsewhere)  mutex-misuse
 *   DRD CondErr, CondRaceErr, CondWaitErr, CondDestrErr  cond-misuse
 *   DRD RwlockErr "... not locked ..."                bad-unlock
 *   DRD RwlockErr other, SemaphoreErr, BarrierErr, GenericErr ("Not a
 *       semaphore"), HoldtimeErr                      mutex-misuse
 *   Memcheck Invalid* (InvalidRead, InvalidWrite, InvalidFree, ...),
 *       MismatchedFree, Uninit*, SyscallParam, Overlap, FishyValue,
 *       ClientCheck, ReallocSizeZero                  memory-error
 *   Memcheck Leak_* with a frame whose fn starts with "pthread_create"
 *       (a never-joined thread's TLS/stack block)     thread-leak
 *   Memcheck other Leak_* (Leak_StillReachable too, when asked for)
 *                                                     memory-leak
 *   anything else                                     unclassified
 *
 * Stack titles: TSan's "...:" line before a stack ("Previous write of size
 * 4 ... by thread T1"); Valgrind's <auxwhat> or <xauxwhat><text> just before
 * a stack; DRD's nested stacks are "mutex first observed at", "other
 * segment start", "other segment end".  The first Valgrind stack (where the
 * error happened) has none: its description is the report's what.
 *
 * Failures (-1 and one line in err): TSan: a report that never ends (no
 * closing "=====" line, or the next report starts first), a WARNING without
 * a kind, a "FATAL: ThreadSanitizer" or "ThreadSanitizer: CHECK failed" line,
 * a "ThreadSanitizer: reported N warnings" line counting more reports than
 * were found.  Valgrind: any expat error (with its line and column; at the
 * end of the input that means a truncated document), a root element other
 * than <valgrindoutput>, a <protocolversion> other than 4, or none.
 *
 * Both parsers overwrite *out (it need not be initialised) and leave in it
 * every report that was complete before an error; tl_reports_free() frees it
 * on every path.  Input is taken as (pointer, length): no NUL needed, never
 * read past len.
 */
/* config.h (AC_USE_SYSTEM_EXTENSIONS) first, as everywhere; guarded so the
 * parsers also build on their own, outside the autotools tree. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tl_verdict.h"

#include <expat.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[TL_V_COUNT] = {
    [TL_V_CLEAN] = "clean",
    [TL_V_WRONG_RESULT] = "wrong-result",
    [TL_V_DEADLOCK] = "deadlock",
    [TL_V_LIVELOCK] = "livelock",
    [TL_V_TIMEOUT] = "timeout",
    [TL_V_THREAD_LEAK] = "thread-leak",
    [TL_V_DATA_RACE] = "data-race",
    [TL_V_LOCK_ORDER] = "lock-order",
    [TL_V_DOUBLE_LOCK] = "double-lock",
    [TL_V_BAD_UNLOCK] = "bad-unlock",
    [TL_V_DESTROY_LOCKED] = "destroy-locked",
    [TL_V_COND_MISUSE] = "cond-misuse",
    [TL_V_SIGNAL_UNSAFE] = "signal-unsafe",
    [TL_V_MUTEX_MISUSE] = "mutex-misuse",
    [TL_V_MEMORY_LEAK] = "memory-leak",
    [TL_V_MEMORY_ERROR] = "memory-error",
    [TL_V_CRASH] = "crash",
    [TL_V_UNCLASSIFIED] = "unclassified",
};

const char *tl_verdict_name(enum tl_verdict v)
{
	if ((unsigned)v >= TL_V_COUNT)
		return "invalid";
	return verdict_names[v];
}

int tl_verdict_from_name(const char *word)
{
	if (word == NULL)
		return -1;
	for (int v = 0; v < TL_V_COUNT; v++)
		if (strcmp(word, verdict_names[v]) == 0)
			return v;
	return -1;
}

void tl_verdict_set_format(tl_verdict_set s, char *buf, size_t len)
{
	size_t used = 0;
	bool any = false;

	if (buf == NULL || len == 0)
		return;
	buf[0] = '\0';
	for (int v = 0; v < TL_V_COUNT; v++) {
		if (!(s & (1u << v)))
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", any ? " " : "", verdict_names[v]);
		any = true;
		if (w < 0 || (size_t)w >= len - used)
			return; /* truncated, but still NUL-terminated */
		used += (size_t)w;
	}
	if (!any)
		snprintf(buf, len, "clean");
}

/* ------------------------------------------------------------------ common */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* The message is one line even when it quotes the input. */
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* Arrays in the public structs carry no capacity, so it is implied by the
 * count: at least 4, then the next power of two.  Call before storing
 * element n. */
static int vec_reserve(void **v, size_t n, size_t elem)
{
	size_t cap;
	void *nv;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return 0;
	cap = n == 0 ? 4 : n * 2;
	if (cap > SIZE_MAX / elem)
		return -1;
	nv = realloc(*v, cap * elem);
	if (nv == NULL)
		return -1;
	*v = nv;
	return 0;
}

static void stack_free(struct tl_stack *s)
{
	for (size_t i = 0; i < s->nframes; i++) {
		free(s->frames[i].func);
		free(s->frames[i].file);
	}
	free(s->frames);
	free(s->title);
	memset(s, 0, sizeof *s);
}

static void report_free(struct tl_report *r)
{
	for (size_t i = 0; i < r->nstacks; i++)
		stack_free(&r->stacks[i]);
	free(r->stacks);
	free(r->kind);
	free(r->what);
	memset(r, 0, sizeof *r);
}

void tl_reports_free(struct tl_reports *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		report_free(&r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* Takes ownership of title (may be NULL) even on failure. */
static int report_add_stack(struct tl_report *r, char *title)
{
	if (vec_reserve((void **)&r->stacks, r->nstacks, sizeof *r->stacks) < 0) {
		free(title);
		return -1;
	}
	memset(&r->stacks[r->nstacks], 0, sizeof r->stacks[0]);
	r->stacks[r->nstacks].title = title;
	r->nstacks++;
	return 0;
}

/* Takes ownership of f's strings even on failure. */
static int stack_add_frame(struct tl_stack *s, struct tl_frame *f)
{
	if (vec_reserve((void **)&s->frames, s->nframes, sizeof *s->frames) < 0) {
		free(f->func);
		free(f->file);
		return -1;
	}
	s->frames[s->nframes++] = *f;
	return 0;
}

/* Moves *r into out; on failure *r is freed.  Either way *r is left empty. */
static int reports_push(struct tl_reports *out, struct tl_report *r)
{
	if (vec_reserve((void **)&out->v, out->n, sizeof *out->v) < 0) {
		report_free(r);
		return -1;
	}
	out->v[out->n++] = *r;
	memset(r, 0, sizeof *r);
	return 0;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix);

	return n >= pn && memcmp(s, prefix, pn) == 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((*s)[*n - 1]))
		(*n)--;
}

/* Parses the decimal digits s[0..n); -1 when empty, not all digits, or too
 * big for an int. */
static int parse_uint(const char *s, size_t n)
{
	long v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > INT_MAX)
			return -1;
	}
	return (int)v;
}

/* Last occurrence of needle in s[0..n), or NULL. */
static const char *find_last(const char *s, size_t n, const char *needle)
{
	size_t nn = strlen(needle);

	if (nn > n)
		return NULL;
	for (size_t i = n - nn + 1; i-- > 0;)
		if (memcmp(s + i, needle, nn) == 0)
			return s + i;
	return NULL;
}

static const char *find_first(const char *s, size_t n, const char *needle)
{
	size_t nn = strlen(needle);

	if (nn > n)
		return NULL;
	for (size_t i = 0; i + nn <= n; i++)
		if (memcmp(s + i, needle, nn) == 0)
			return s + i;
	return NULL;
}

/* ------------------------------------------------------------------ TSan */

struct kind_rule {
	const char *prefix;
	enum tl_verdict verdict;
};

static const struct kind_rule tsan_rules[] = {
    {"data race", TL_V_DATA_RACE},
    {"race on external object", TL_V_DATA_RACE},
    {"heap-use-after-free", TL_V_MEMORY_ERROR},
    {"lock-order-inversion", TL_V_LOCK_ORDER},
    {"thread leak", TL_V_THREAD_LEAK},
    {"signal-unsafe call inside of a signal", TL_V_SIGNAL_UNSAFE},
    {"signal handler spoils errno", TL_V_SIGNAL_UNSAFE},
    {"destroy of a locked mutex", TL_V_DESTROY_LOCKED},
    {"unlock of an unlocked mutex", TL_V_BAD_UNLOCK},
    {"read unlock of a write locked mutex", TL_V_BAD_UNLOCK},
    {"double lock of a mutex", TL_V_DOUBLE_LOCK},
    {"read lock of a write locked mutex", TL_V_DOUBLE_LOCK},
    {"use of an invalid mutex", TL_V_MUTEX_MISUSE},
    {"mutex held in the wrong context", TL_V_MUTEX_MISUSE},
};

static enum tl_verdict tsan_verdict(const char *kind)
{
	for (size_t i = 0; i < sizeof tsan_rules / sizeof tsan_rules[0]; i++)
		if (strncmp(kind, tsan_rules[i].prefix, strlen(tsan_rules[i].prefix)) == 0)
			return tsan_rules[i].verdict;
	return TL_V_UNCLASSIFIED;
}

#define TSAN_SEPARATOR "=================="

struct tsan_parser {
	struct tl_reports *out;
	char *err;
	size_t errlen;
	bool in_report;
	bool crash;        /* an ERROR block: ends at "==PID==ABORTING" */
	size_t start_line; /* where the report began, for messages */
	struct tl_report cur;
	bool stack_open;     /* the next frame goes to the last stack of cur */
	char *pending_title; /* a "...:" line waiting for its first frame */
	char *summary;       /* SUMMARY text, the what of a report with no other */
};

static void tsan_drop_current(struct tsan_parser *p)
{
	report_free(&p->cur);
	free(p->pending_title);
	free(p->summary);
	p->pending_title = NULL;
	p->summary = NULL;
	p->in_report = false;
	p->crash = false;
	p->stack_open = false;
}

static int tsan_oom(struct tsan_parser *p)
{
	tsan_drop_current(p);
	set_err(p->err, p->errlen, "tsan: out of memory");
	return -1;
}

static int tsan_begin(struct tsan_parser *p, const char *kind, size_t kn, const char *what,
                      size_t wn, bool crash, size_t lineno)
{
	p->in_report = true;
	p->crash = crash;
	p->start_line = lineno;
	p->cur.kind = dup_n(kind, kn);
	if (p->cur.kind == NULL)
		return tsan_oom(p);
	if (what != NULL) {
		p->cur.what = dup_n(what, wn);
		if (p->cur.what == NULL)
			return tsan_oom(p);
	}
	p->cur.verdict = crash ? TL_V_CRASH : tsan_verdict(p->cur.kind);
	return 0;
}

static int tsan_finish(struct tsan_parser *p)
{
	if (p->cur.what == NULL) {
		/* Reports like "signal handler spoils errno" start with a bare
		 * stack: the SUMMARY line says it best. */
		p->cur.what = p->summary != NULL ? p->summary : strdup(p->cur.kind);
		p->summary = NULL;
		if (p->cur.what == NULL)
			return tsan_oom(p);
	}
	if (reports_push(p->out, &p->cur) < 0)
		return tsan_oom(p);
	tsan_drop_current(p);
	return 0;
}

static int tsan_truncated(struct tsan_parser *p, const char *why)
{
	set_err(p->err, p->errlen, "tsan: report %zu (\"%s\", line %zu) is truncated: %s",
	        p->out->n + 1, p->cur.kind ? p->cur.kind : "?", p->start_line, why);
	tsan_drop_current(p);
	return -1;
}

/* Cuts a trailing " (prefix...)" group off s[0..*n) when its inside holds
 * must_hold (if not NULL). */
static bool strip_group(const char *s, size_t *n, const char *prefix, const char *must_hold)
{
	const char *open, *in;
	size_t inn;

	if (*n == 0 || s[*n - 1] != ')')
		return false;
	open = find_last(s, *n, " (");
	if (open == NULL)
		return false;
	in = open + 1;
	inn = *n - (size_t)(in - s);
	if (!starts(in, inn, prefix) ||
	    (must_hold != NULL && find_first(in, inn, must_hold) == NULL))
		return false;
	*n = (size_t)(open - s);
	return true;
}

/* "    #3 func file:line:col (module+0xoff) (BuildId: hex)"; s is what
 * follows "#3".  The function name may hold spaces (C++ signatures), so the
 * line is taken apart from its end: build id, module, then the location. */
static int tsan_frame(const char *s, size_t n, struct tl_frame *f)
{
	const char *loc, *sp, *c1;
	size_t ln, fnlen;
	int line = 0;

	memset(f, 0, sizeof *f);
	trim(&s, &n);
	strip_group(s, &n, "(BuildId:", NULL);
	trim(&s, &n);
	strip_group(s, &n, "(", "+0x"); /* (module+0xoffset) */
	trim(&s, &n);
	sp = find_last(s, n, " ");
	if (sp == NULL) {
		/* Only an address or a name survived symbolization. */
		if (n > 0 && !starts(s, n, "0x") && !starts(s, n, "<null>")) {
			f->func = dup_n(s, n);
			if (f->func == NULL)
				return -1;
		}
		return 0;
	}
	loc = sp + 1;
	ln = n - (size_t)(loc - s);
	fnlen = (size_t)(sp - s);
	trim(&s, &fnlen);
	if (fnlen > 0 && !(fnlen == 6 && memcmp(s, "<null>", 6) == 0)) {
		f->func = dup_n(s, fnlen);
		if (f->func == NULL)
			return -1;
	}
	if (ln == 6 && memcmp(loc, "<null>", 6) == 0)
		return 0;
	/* file:line:col or file:line; anything else is an object file name. */
	c1 = find_last(loc, ln, ":");
	if (c1 != NULL && parse_uint(c1 + 1, ln - (size_t)(c1 + 1 - loc)) >= 0) {
		const char *c0 = find_last(loc, (size_t)(c1 - loc), ":");
		int a = parse_uint(c1 + 1, ln - (size_t)(c1 + 1 - loc));
		int b = c0 ? parse_uint(c0 + 1, (size_t)(c1 - c0 - 1)) : -1;

		if (b >= 0) {
			line = b;
			ln = (size_t)(c0 - loc);
		} else {
			line = a;
			ln = (size_t)(c1 - loc);
		}
	}
	f->file = dup_n(loc, ln);
	if (f->file == NULL) {
		free(f->func);
		f->func = NULL;
		return -1;
	}
	f->line = line;
	return 0;
}

/* The SUMMARY text without its "(module+0xoff)" and "(BuildId: ...)"
 * groups: "destroy of a locked mutex in pthread_mutex_destroy". */
static char *summary_dup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	size_t o = 0;

	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n;) {
		if (s[i] == ' ' && i + 1 < n && s[i + 1] == '(') {
			const char *close = memchr(s + i, ')', n - i);
			size_t gn = close ? (size_t)(close - (s + i)) + 1 : 0;

			if (close != NULL && (starts(s + i + 1, gn - 1, "(BuildId:") ||
			                      find_first(s + i, gn, "+0x") != NULL)) {
				i += gn;
				continue;
			}
		}
		d[o++] = s[i++];
	}
	d[o] = '\0';
	return d;
}

static int tsan_report_line(struct tsan_parser *p, const char *t, size_t tn, const char *u,
                            size_t un)
{
	if (tn > 1 && t[0] == '#' && is_digit(t[1])) {
		struct tl_frame f;
		size_t i = 1;

		while (i < tn && is_digit(t[i]))
			i++;
		if (tsan_frame(t + i, tn - i, &f) < 0)
			return tsan_oom(p);
		if (!p->stack_open) {
			if (report_add_stack(&p->cur, p->pending_title) < 0) {
				p->pending_title = NULL;
				free(f.func);
				free(f.file);
				return tsan_oom(p);
			}
			p->pending_title = NULL;
			p->stack_open = true;
		}
		if (stack_add_frame(&p->cur.stacks[p->cur.nstacks - 1], &f) < 0)
			return tsan_oom(p);
		return 0;
	}
	p->stack_open = false;
	free(p->pending_title);
	p->pending_title = NULL;
	if (tn == 0)
		return 0;
	if (starts(t, tn, "SUMMARY: ThreadSanitizer: ")) {
		size_t k = strlen("SUMMARY: ThreadSanitizer: ");

		free(p->summary);
		p->summary = summary_dup(t + k, tn - k);
		return p->summary ? 0 : tsan_oom(p);
	}
	/* A description line; "...:" introduces a stack.  Crash blocks carry
	 * a "==PID==" prefix on theirs. */
	if (p->crash) {
		t = u;
		tn = un;
	}
	if (tn > 0 && t[tn - 1] == ':') {
		p->pending_title = dup_n(t, tn - 1);
		if (p->pending_title == NULL)
			return tsan_oom(p);
	}
	/* Only a line before the first stack describes the report: later ones
	 * ("and:", "Location is ...") describe a part of it. */
	if (p->cur.what == NULL && p->cur.nstacks == 0) {
		p->cur.what = dup_n(t, tn > 0 && t[tn - 1] == ':' ? tn - 1 : tn);
		if (p->cur.what == NULL)
			return tsan_oom(p);
	}
	return 0;
}

static bool is_separator(const char *t, size_t tn)
{
	if (tn < strlen(TSAN_SEPARATOR))
		return false;
	for (size_t i = 0; i < tn; i++)
		if (t[i] != '=')
			return false;
	return true;
}

static int tsan_line(struct tsan_parser *p, const char *line, size_t n, size_t lineno)
{
	const char *t = line, *u;
	size_t tn = n, un;

	trim(&t, &tn);
	/* Sanitizer runtime messages may carry a "==PID==" prefix. */
	u = t;
	un = tn;
	if (un > 2 && u[0] == '=' && u[1] == '=' && is_digit(u[2])) {
		size_t i = 2;

		while (i < un && is_digit(u[i]))
			i++;
		if (i + 1 < un && u[i] == '=' && u[i + 1] == '=') {
			u += i + 2;
			un -= i + 2;
		}
	}

	if (starts(u, un, "FATAL: ThreadSanitizer") ||
	    starts(u, un, "ThreadSanitizer: CHECK failed")) {
		size_t kept = p->out->n;

		tsan_drop_current(p);
		set_err(p->err, p->errlen, "tsan: line %zu: %.*s (%zu reports kept)", lineno,
		        (int)(un > 200 ? 200 : un), u, kept);
		return -1;
	}

	if (p->in_report) {
		if (p->crash && starts(u, un, "ABORTING") && u != t)
			return tsan_finish(p);
		if (!p->crash && is_separator(t, tn))
			return tsan_finish(p);
		if (starts(t, tn, "WARNING: ThreadSanitizer:") ||
		    (u != t && starts(u, un, "ERROR: ThreadSanitizer:")))
			return tsan_truncated(p, "another report starts before it ends");
		if (starts(t, tn, "ThreadSanitizer: reported "))
			return tsan_truncated(p, "the final count follows it");
		return tsan_report_line(p, t, tn, u, un);
	}

	if (starts(t, tn, "WARNING: ThreadSanitizer:")) {
		const char *k = t + strlen("WARNING: ThreadSanitizer:");
		size_t kn = tn - strlen("WARNING: ThreadSanitizer:");
		const char *pid = find_last(k, kn, "(pid=");

		if (pid != NULL)
			kn = (size_t)(pid - k);
		trim(&k, &kn);
		if (kn == 0) {
			set_err(p->err, p->errlen,
			        "tsan: line %zu: report without a kind: \"%.*s\"", lineno,
			        (int)(tn > 200 ? 200 : tn), t);
			return -1;
		}
		return tsan_begin(p, k, kn, NULL, 0, false, lineno);
	}
	if (u != t && starts(u, un, "ERROR: ThreadSanitizer:")) {
		/* "SEGV on unknown address 0x0 (pc ...)": the kind is the words
		 * before the first address or parenthesis. */
		const char *w = u + strlen("ERROR: ThreadSanitizer:");
		size_t wn = un - strlen("ERROR: ThreadSanitizer:");
		const char *cut1, *cut2;
		size_t kn;

		trim(&w, &wn);
		cut1 = find_first(w, wn, " 0x");
		cut2 = find_first(w, wn, " (");
		kn = wn;
		if (cut1 != NULL && (size_t)(cut1 - w) < kn)
			kn = (size_t)(cut1 - w);
		if (cut2 != NULL && (size_t)(cut2 - w) < kn)
			kn = (size_t)(cut2 - w);
		if (kn == 0) {
			set_err(p->err, p->errlen, "tsan: line %zu: error report without a kind",
			        lineno);
			return -1;
		}
		return tsan_begin(p, w, kn, w, wn, true, lineno);
	}
	if (starts(t, tn, "ThreadSanitizer: reported ")) {
		/* Each process prints its own count after all of its reports, so
		 * a count above what was parsed means reports were lost. */
		const char *d = t + strlen("ThreadSanitizer: reported ");
		size_t dn = tn - strlen("ThreadSanitizer: reported ");
		size_t i = 0;
		int count;

		while (i < dn && is_digit(d[i]))
			i++;
		count = parse_uint(d, i);
		if (count >= 0 && (size_t)count > p->out->n) {
			set_err(p->err, p->errlen,
			        "tsan: line %zu: TSan reported %d warnings but only %zu reports "
			        "were found",
			        lineno, count, p->out->n);
			return -1;
		}
	}
	return 0; /* the program's own output, separators, DEADLYSIGNAL, ... */
}

int tl_parse_tsan(const char *text, size_t len, struct tl_reports *out, char *err, size_t errlen)
{
	struct tsan_parser p;
	size_t pos = 0, lineno = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || (text == NULL && len > 0)) {
		set_err(err, errlen, "tsan: invalid argument");
		return -1;
	}
	out->v = NULL;
	out->n = 0;
	memset(&p, 0, sizeof p);
	p.out = out;
	p.err = err;
	p.errlen = errlen;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (tsan_line(&p, line, n, lineno) < 0)
			return -1;
	}
	if (p.in_report)
		return tsan_truncated(&p, p.crash ? "no \"==PID==ABORTING\" line"
		                                  : "no closing \"" TSAN_SEPARATOR "\" line");
	return 0;
}

/* ------------------------------------------------------------------ Valgrind */

static bool has(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

static bool any_frame_fn_starts(const struct tl_report *r, const char *prefix)
{
	for (size_t i = 0; i < r->nstacks; i++)
		for (size_t j = 0; j < r->stacks[i].nframes; j++) {
			const char *fn = r->stacks[i].frames[j].func;

			if (fn != NULL && strncmp(fn, prefix, strlen(prefix)) == 0)
				return true;
		}
	return false;
}

/* The first named frame of the first stack: the pthread call an error is
 * about (Valgrind's own intercept frame). */
static const char *first_fn(const struct tl_report *r)
{
	if (r->nstacks == 0)
		return NULL;
	for (size_t j = 0; j < r->stacks[0].nframes; j++)
		if (r->stacks[0].frames[j].func != NULL)
			return r->stacks[0].frames[j].func;
	return NULL;
}

static enum tl_verdict valgrind_verdict(const struct tl_report *r)
{
	const char *k = r->kind, *w = r->what;

	if (k == NULL)
		return TL_V_UNCLASSIFIED;
	/* Helgrind */
	if (!strcmp(k, "Race") || !strcmp(k, "ConflictingAccess"))
		return TL_V_DATA_RACE;
	if (!strcmp(k, "LockOrder"))
		return TL_V_LOCK_ORDER;
	if (!strcmp(k, "UnlockUnlocked") || !strcmp(k, "UnlockForeign") ||
	    !strcmp(k, "UnlockBogus"))
		return TL_V_BAD_UNLOCK;
	if (!strcmp(k, "Misc")) {
		if (has(w, "re-lock"))
			return TL_V_DOUBLE_LOCK;
		if (has(w, "pthread_mutex_destroy of a locked mutex"))
			return TL_V_DESTROY_LOCKED;
		/* "Bug in libpthread: write lock granted on mutex/rwlock which is
		 * currently wr-held by a different thread": a lock that succeeded
		 * while Helgrind thinks another thread owns it (a re-initialised
		 * locked mutex), what TSan calls "double lock of a mutex". */
		if (has(w, "currently wr-held by a different thread"))
			return TL_V_DOUBLE_LOCK;
		if (has(w, "pthread_cond_"))
			return TL_V_COND_MISUSE;
		return TL_V_MUTEX_MISUSE; /* "Exiting thread still holds 1 lock", ... */
	}
	if (!strcmp(k, "PthAPIerror")) {
		if (has(w, "pthread_mutex_destroy") && has(w, "EBUSY"))
			return TL_V_DESTROY_LOCKED;
		if (has(w, "EDEADLK"))
			return TL_V_DOUBLE_LOCK;
		if (has(w, "unlock") && has(w, "EPERM"))
			return TL_V_BAD_UNLOCK;
		if (has(w, "pthread_cond_"))
			return TL_V_COND_MISUSE;
		return TL_V_MUTEX_MISUSE;
	}
	/* DRD */
	if (!strcmp(k, "MutexErr")) {
		if (has(w, "Recursive locking not allowed") ||
		    has(w, "locked simultaneously by two threads"))
			return TL_V_DOUBLE_LOCK;
		if (has(w, "Destroying locked mutex"))
			return TL_V_DESTROY_LOCKED;
		if (has(w, "Mutex not locked"))
			return TL_V_BAD_UNLOCK;
		if (has(w, "is not a mutex") && has(first_fn(r), "pthread_mutex_unlock"))
			return TL_V_BAD_UNLOCK;
		return TL_V_MUTEX_MISUSE;
	}
	if (!strcmp(k, "CondErr") || !strcmp(k, "CondRaceErr") || !strcmp(k, "CondWaitErr") ||
	    !strcmp(k, "CondDestrErr"))
		return TL_V_COND_MISUSE;
	if (!strcmp(k, "RwlockErr"))
		return has(w, "not locked") ? TL_V_BAD_UNLOCK : TL_V_MUTEX_MISUSE;
	if (!strcmp(k, "SemaphoreErr") || !strcmp(k, "BarrierErr") || !strcmp(k, "GenericErr") ||
	    !strcmp(k, "HoldtimeErr"))
		return TL_V_MUTEX_MISUSE;
	/* Memcheck */
	if (!strncmp(k, "Leak_", 5))
		return any_frame_fn_starts(r, "pthread_create") ? TL_V_THREAD_LEAK
		                                                : TL_V_MEMORY_LEAK;
	if (!strncmp(k, "Invalid", 7) || !strncmp(k, "Uninit", 6) || !strcmp(k, "MismatchedFree") ||
	    !strcmp(k, "SyscallParam") || !strcmp(k, "Overlap") || !strcmp(k, "FishyValue") ||
	    !strcmp(k, "ClientCheck") || !strcmp(k, "ReallocSizeZero"))
		return TL_V_MEMORY_ERROR;
	return TL_V_UNCLASSIFIED;
}

/* Elements the parser cares about, named by their place in the document;
 * everything else is VX_OTHER and only counted. */
enum vx_elem {
	VX_OTHER,
	VX_ROOT,
	VX_PROTOCOL,
	VX_ERROR,
	VX_KIND,
	VX_WHAT,
	VX_XWHAT,
	VX_AUXWHAT,
	VX_XAUXWHAT,
	VX_TEXT,    /* xwhat/text or xauxwhat/text */
	VX_NESTED,  /* DRD's first_observed_at, other_segment_start/end */
	VX_SUBWHAT, /* the <what> inside a VX_NESTED */
	VX_STACK,
	VX_FRAME,
	VX_FN,
	VX_DIR,
	VX_FILE,
	VX_LINE,
};

#define VX_MAXDEPTH 32
#define VX_MAXTEXT  (64 * 1024) /* longer text is cut: only one line is kept */

struct vx {
	XML_Parser xp;
	struct tl_reports *out;
	enum vx_elem elems[VX_MAXDEPTH];
	const char *nested_name[VX_MAXDEPTH];
	unsigned depth;
	bool failed; /* our own error (message in msg), parser stopped */
	char msg[256];
	bool saw_root;
	bool saw_protocol;
	char text[VX_MAXTEXT];
	size_t textlen;
	/* the <error> being read */
	struct tl_report cur;
	char *xwhat;
	char *plain_what;
	char *aux;     /* the latest (x)auxwhat not yet used as a stack title */
	char *subwhat; /* "mutex", "cond": what a nested stack is about */
	bool frame_open;
	char *fn, *dir, *file;
	int line;
};

static void vx_fail(struct vx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void vx_fail(struct vx *v, const char *fmt, ...)
{
	va_list ap;

	if (v->failed)
		return;
	v->failed = true;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof v->msg, fmt, ap);
	va_end(ap);
	XML_StopParser(v->xp, XML_FALSE);
}

static void vx_clear_frame(struct vx *v)
{
	free(v->fn);
	free(v->dir);
	free(v->file);
	v->fn = v->dir = v->file = NULL;
	v->line = 0;
	v->frame_open = false;
}

static void vx_clear_error(struct vx *v)
{
	report_free(&v->cur);
	free(v->xwhat);
	free(v->plain_what);
	free(v->aux);
	free(v->subwhat);
	v->xwhat = v->plain_what = v->aux = v->subwhat = NULL;
	vx_clear_frame(v);
}

static enum vx_elem vx_classify(enum vx_elem parent, const char *name)
{
	switch (parent) {
	case VX_ROOT:
		if (!strcmp(name, "protocolversion"))
			return VX_PROTOCOL;
		if (!strcmp(name, "error"))
			return VX_ERROR;
		return VX_OTHER;
	case VX_ERROR:
		if (!strcmp(name, "kind"))
			return VX_KIND;
		if (!strcmp(name, "what"))
			return VX_WHAT;
		if (!strcmp(name, "xwhat"))
			return VX_XWHAT;
		if (!strcmp(name, "auxwhat"))
			return VX_AUXWHAT;
		if (!strcmp(name, "xauxwhat"))
			return VX_XAUXWHAT;
		if (!strcmp(name, "stack"))
			return VX_STACK;
		if (!strcmp(name, "first_observed_at") || !strcmp(name, "other_segment_start") ||
		    !strcmp(name, "other_segment_end"))
			return VX_NESTED;
		return VX_OTHER;
	case VX_XWHAT:
	case VX_XAUXWHAT:
		return !strcmp(name, "text") ? VX_TEXT : VX_OTHER;
	case VX_NESTED:
		if (!strcmp(name, "stack"))
			return VX_STACK;
		if (!strcmp(name, "what"))
			return VX_SUBWHAT;
		return VX_OTHER;
	case VX_STACK:
		return !strcmp(name, "frame") ? VX_FRAME : VX_OTHER;
	case VX_FRAME:
		if (!strcmp(name, "fn"))
			return VX_FN;
		if (!strcmp(name, "dir"))
			return VX_DIR;
		if (!strcmp(name, "file"))
			return VX_FILE;
		if (!strcmp(name, "line"))
			return VX_LINE;
		return VX_OTHER;
	default:
		return VX_OTHER;
	}
}

static bool vx_is_leaf(enum vx_elem e)
{
	switch (e) {
	case VX_PROTOCOL:
	case VX_KIND:
	case VX_WHAT:
	case VX_AUXWHAT:
	case VX_TEXT:
	case VX_SUBWHAT:
	case VX_FN:
	case VX_DIR:
	case VX_FILE:
	case VX_LINE:
		return true;
	default:
		return false;
	}
}

/* The collected text, trimmed and cut at its first line break. */
static char *vx_text_dup(struct vx *v)
{
	const char *s = v->text;
	size_t n = v->textlen;
	const char *nl;

	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
		s++;
		n--;
	}
	nl = memchr(s, '\n', n);
	if (nl != NULL)
		n = (size_t)(nl - s);
	trim(&s, &n);
	if (n > 0 && s[n - 1] == '\r')
		n--;
	return dup_n(s, n);
}

static void XMLCALL vx_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct vx *v = ud;
	enum vx_elem parent =
	    v->depth > 0 && v->depth <= VX_MAXDEPTH ? v->elems[v->depth - 1] : VX_OTHER;
	enum vx_elem e;

	(void)attrs;
	if (v->failed)
		return;
	if (v->depth == 0) {
		if (strcmp(name, "valgrindoutput") != 0) {
			vx_fail(v, "not a Valgrind XML document (root element <%.64s>)", name);
			return;
		}
		v->saw_root = true;
		e = VX_ROOT;
	} else {
		e = vx_classify(parent, name);
	}
	if (v->depth < VX_MAXDEPTH) {
		v->elems[v->depth] = e;
		v->nested_name[v->depth] = NULL;
	} else {
		e = VX_OTHER; /* too deep to be anything we read */
	}
	v->depth++;
	v->textlen = 0;

	switch (e) {
	case VX_ERROR:
		vx_clear_error(v);
		break;
	case VX_NESTED:
		free(v->subwhat);
		v->subwhat = NULL;
		v->nested_name[v->depth - 1] =
		    !strcmp(name, "first_observed_at")     ? "first observed at"
		    : !strcmp(name, "other_segment_start") ? "other segment start"
		                                           : "other segment end";
		break;
	case VX_STACK: {
		char *title = NULL;

		if (parent == VX_ERROR) {
			/* Helgrind and Memcheck put an (x)auxwhat just before
			 * the stack it describes. */
			title = v->aux;
			v->aux = NULL;
		} else {
			const char *what = v->nested_name[v->depth - 2];
			size_t tl = strlen(what) + (v->subwhat ? strlen(v->subwhat) : 0) + 2;

			title = malloc(tl);
			if (title != NULL)
				snprintf(title, tl, "%s%s%s", v->subwhat ? v->subwhat : "",
				         v->subwhat ? " " : "", what);
			if (title == NULL) {
				vx_fail(v, "out of memory");
				return;
			}
		}
		if (report_add_stack(&v->cur, title) < 0)
			vx_fail(v, "out of memory");
		break;
	}
	case VX_FRAME:
		vx_clear_frame(v);
		v->frame_open = true;
		break;
	default:
		break;
	}
}

static void XMLCALL vx_chars(void *ud, const XML_Char *s, int len)
{
	struct vx *v = ud;
	size_t n;

	if (v->failed || v->depth == 0 || v->depth > VX_MAXDEPTH ||
	    !vx_is_leaf(v->elems[v->depth - 1]) || len <= 0)
		return;
	n = (size_t)len;
	if (n > sizeof v->text - 1 - v->textlen)
		n = sizeof v->text - 1 - v->textlen;
	memcpy(v->text + v->textlen, s, n);
	v->textlen += n;
}

/* Replaces *slot with the collected text. */
static void vx_store(struct vx *v, char **slot)
{
	char *s = vx_text_dup(v);

	if (s == NULL) {
		vx_fail(v, "out of memory");
		return;
	}
	free(*slot);
	*slot = s;
}

static void vx_end_frame(struct vx *v)
{
	struct tl_frame f = {0};
	struct tl_stack *st;

	if (!v->frame_open || v->cur.nstacks == 0)
		return;
	st = &v->cur.stacks[v->cur.nstacks - 1];
	f.func = v->fn;
	v->fn = NULL;
	f.line = v->line;
	if (v->file != NULL && v->dir != NULL && v->dir[0] != '\0') {
		size_t n = strlen(v->dir) + strlen(v->file) + 2;

		f.file = malloc(n);
		if (f.file == NULL) {
			free(f.func);
			vx_fail(v, "out of memory");
			return;
		}
		snprintf(f.file, n, "%s/%s", v->dir, v->file);
	} else {
		f.file = v->file;
		v->file = NULL;
	}
	vx_clear_frame(v);
	if (stack_add_frame(st, &f) < 0)
		vx_fail(v, "out of memory");
}

static void vx_end_error(struct vx *v)
{
	struct tl_report *r = &v->cur;

	if (r->kind == NULL)
		r->kind = strdup("");
	/* Helgrind's PthAPIerror has both: "Thread #1's call to
	 * pthread_mutex_lock failed" + "with error code 35 (EDEADLK: ...)". */
	if (v->xwhat != NULL && v->plain_what != NULL) {
		size_t n = strlen(v->xwhat) + strlen(v->plain_what) + 2;

		r->what = malloc(n);
		if (r->what != NULL)
			snprintf(r->what, n, "%s %s", v->xwhat, v->plain_what);
	} else if (v->xwhat != NULL || v->plain_what != NULL) {
		r->what = v->xwhat != NULL ? v->xwhat : v->plain_what;
		if (v->xwhat != NULL)
			v->xwhat = NULL;
		else
			v->plain_what = NULL;
	} else if (r->kind != NULL) {
		r->what = strdup(r->kind);
	}
	if (r->kind == NULL || r->what == NULL) {
		vx_fail(v, "out of memory");
		return;
	}
	r->verdict = valgrind_verdict(r);
	if (reports_push(v->out, r) < 0)
		vx_fail(v, "out of memory");
	vx_clear_error(v);
}

static void XMLCALL vx_end(void *ud, const XML_Char *name)
{
	struct vx *v = ud;
	enum vx_elem e, parent;

	(void)name;
	if (v->failed || v->depth == 0)
		return;
	v->depth--;
	if (v->depth >= VX_MAXDEPTH)
		return;
	e = v->elems[v->depth];
	parent = v->depth > 0 ? v->elems[v->depth - 1] : VX_OTHER;
	switch (e) {
	case VX_PROTOCOL: {
		char *ver = vx_text_dup(v);

		if (ver == NULL) {
			vx_fail(v, "out of memory");
			return;
		}
		v->saw_protocol = true;
		if (strcmp(ver, "4") != 0)
			vx_fail(v, "unsupported protocol version \"%.32s\" (expected 4)", ver);
		free(ver);
		break;
	}
	case VX_KIND:
		vx_store(v, &v->cur.kind);
		break;
	case VX_WHAT:
		vx_store(v, &v->plain_what);
		break;
	case VX_AUXWHAT:
		vx_store(v, &v->aux);
		break;
	case VX_TEXT:
		vx_store(v, parent == VX_XWHAT ? &v->xwhat : &v->aux);
		break;
	case VX_SUBWHAT:
		vx_store(v, &v->subwhat);
		break;
	case VX_FN:
		vx_store(v, &v->fn);
		break;
	case VX_DIR:
		vx_store(v, &v->dir);
		break;
	case VX_FILE:
		vx_store(v, &v->file);
		break;
	case VX_LINE: {
		char *s = vx_text_dup(v);
		int line;

		if (s == NULL) {
			vx_fail(v, "out of memory");
			return;
		}
		line = parse_uint(s, strlen(s));
		v->line = line > 0 ? line : 0;
		free(s);
		break;
	}
	case VX_FRAME:
		vx_end_frame(v);
		break;
	case VX_ERROR:
		vx_end_error(v);
		break;
	default:
		break;
	}
	v->textlen = 0;
}

int tl_parse_valgrind_xml(const char *xml, size_t len, struct tl_reports *out, char *err,
                          size_t errlen)
{
	struct vx *v;
	size_t pos = 0;
	enum XML_Status st = XML_STATUS_OK;
	int rc = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || (xml == NULL && len > 0)) {
		set_err(err, errlen, "valgrind xml: invalid argument");
		return -1;
	}
	out->v = NULL;
	out->n = 0;
	if (len == 0) {
		set_err(err, errlen, "valgrind xml: empty document");
		return -1;
	}
	/* On the heap: the text buffer is too big for a thread's stack. */
	v = calloc(1, sizeof *v);
	if (v == NULL) {
		set_err(err, errlen, "valgrind xml: out of memory");
		return -1;
	}
	v->out = out;
	v->xp = XML_ParserCreate(NULL);
	if (v->xp == NULL) {
		free(v);
		set_err(err, errlen, "valgrind xml: out of memory");
		return -1;
	}
	XML_SetUserData(v->xp, v);
	XML_SetElementHandler(v->xp, vx_start, vx_end);
	XML_SetCharacterDataHandler(v->xp, vx_chars);
	/* XML_Parse takes an int length: feed big documents in pieces. */
	while (st == XML_STATUS_OK && !v->failed) {
		size_t chunk = len - pos;
		bool last = chunk <= INT_MAX / 2;

		if (!last)
			chunk = INT_MAX / 2;
		st = XML_Parse(v->xp, xml + pos, (int)chunk, last);
		pos += chunk;
		if (last)
			break;
	}
	if (v->failed) {
		set_err(err, errlen, "valgrind xml: %s (%zu complete errors kept)", v->msg, out->n);
		rc = -1;
	} else if (st != XML_STATUS_OK) {
		enum XML_Error code = XML_GetErrorCode(v->xp);
		bool at_end = code == XML_ERROR_NO_ELEMENTS || code == XML_ERROR_UNCLOSED_TOKEN ||
		              code == XML_ERROR_PARTIAL_CHAR ||
		              code == XML_ERROR_UNCLOSED_CDATA_SECTION;

		set_err(err, errlen,
		        "valgrind xml: %s at line %lu, column %lu%s (%zu complete errors kept)",
		        XML_ErrorString(code), (unsigned long)XML_GetCurrentLineNumber(v->xp),
		        (unsigned long)XML_GetCurrentColumnNumber(v->xp),
		        at_end ? ": truncated document (no </valgrindoutput>)" : "", out->n);
		rc = -1;
	} else if (!v->saw_protocol) {
		set_err(err, errlen, "valgrind xml: no <protocolversion> in the document");
		rc = -1;
	}
	vx_clear_error(v);
	XML_ParserFree(v->xp);
	free(v);
	return rc;
}

/* ------------------------------------------------------------------ matching */

/* Steps backwards through the components of a path, dropping "." and
 * empty ones and letting ".." cancel the component before it, so that
 * "./../labs/x.c" and "/src/tree/labs/x.c" both end in "labs", "x.c". */
struct comp_iter {
	const char *s;
	size_t end;
};

static bool comp_prev(struct comp_iter *it, const char **c, size_t *cn)
{
	size_t skip = 0;

	for (;;) {
		size_t b;

		while (it->end > 0 && it->s[it->end - 1] == '/')
			it->end--;
		if (it->end == 0)
			return false;
		b = it->end;
		while (b > 0 && it->s[b - 1] != '/')
			b--;
		*c = it->s + b;
		*cn = it->end - b;
		it->end = b;
		if (*cn == 1 && (*c)[0] == '.')
			continue;
		if (*cn == 2 && (*c)[0] == '.' && (*c)[1] == '.') {
			skip++;
			continue;
		}
		if (skip > 0) {
			skip--;
			continue;
		}
		return true;
	}
}

static bool path_has_suffix(const char *path, const char *suffix)
{
	struct comp_iter p, s;
	const char *pc, *sc;
	size_t pn, sn;
	bool any = false;

	if (path == NULL || suffix == NULL)
		return false;
	p.s = path;
	p.end = strlen(path);
	s.s = suffix;
	s.end = strlen(suffix);
	while (comp_prev(&s, &sc, &sn)) {
		any = true;
		if (!comp_prev(&p, &pc, &pn) || pn != sn || memcmp(pc, sc, sn) != 0)
			return false;
	}
	return any; /* an empty suffix names no file */
}

static const struct tl_frame *stack_first_in(const struct tl_stack *s, const char *path_suffix)
{
	for (size_t j = 0; j < s->nframes; j++)
		if (path_has_suffix(s->frames[j].file, path_suffix))
			return &s->frames[j];
	return NULL;
}

tl_verdict_set tl_reports_verdicts(const struct tl_reports *r)
{
	tl_verdict_set s = 0;

	if (r == NULL)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if ((unsigned)r->v[i].verdict < TL_V_COUNT)
			s |= 1u << r->v[i].verdict;
	return s;
}

bool tl_report_points_at(const struct tl_report *r, const char *path_suffix, int line)
{
	if (r == NULL)
		return false;
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct tl_frame *f = stack_first_in(&r->stacks[i], path_suffix);

		if (f != NULL && f->line == line)
			return true;
	}
	return false;
}

const struct tl_frame *tl_report_first_frame_in(const struct tl_report *r, const char *path_suffix)
{
	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct tl_frame *f = stack_first_in(&r->stacks[i], path_suffix);

		if (f != NULL)
			return f;
	}
	return NULL;
}
