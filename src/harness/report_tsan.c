/* report_tsan — ThreadSanitizer's text reports (what a -fsanitize=thread
 * program writes to stderr) into tl_reports.
 *
 * Kind -> verdict, as clang 14's TSan prints it here (the probes and reports
 * are in tests/fixtures), "WARNING: ThreadSanitizer: <kind> (pid=N)", by prefix:
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
 * Stack titles: the "...:" line before a stack ("Previous write of size 4 ...
 * by thread T1").  A frame is "#N func file:line:col (module+0xoff)"; without
 * a symbolizer it is "#N <null> <null> (module+0xoff)": no function, no file.
 *
 * Failures (-1 and one line in err): a report that never ends (no closing
 * "=====" line, or the next report starts first), a WARNING without a kind, a
 * "FATAL: ThreadSanitizer" or "ThreadSanitizer: CHECK failed" line, a
 * "ThreadSanitizer: reported N warnings" line counting more reports than were
 * found.
 */
/* config.h (AC_USE_SYSTEM_EXTENSIONS) first, as everywhere; guarded so the
 * parsers also build on their own, outside the autotools tree. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "report_internal.h"

#include <stdlib.h>
#include <string.h>

static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix);

	return n >= pn && memcmp(s, prefix, pn) == 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
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
	report_set_err(p->err, p->errlen, "tsan: out of memory");
	return -1;
}

static int tsan_begin(struct tsan_parser *p, const char *kind, size_t kn, const char *what,
                      size_t wn, bool crash, size_t lineno)
{
	p->in_report = true;
	p->crash = crash;
	p->start_line = lineno;
	p->cur.kind = report_strndup(kind, kn);
	if (p->cur.kind == NULL)
		return tsan_oom(p);
	if (what != NULL) {
		p->cur.what = report_strndup(what, wn);
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
	if (report_push(p->out, &p->cur) < 0)
		return tsan_oom(p);
	tsan_drop_current(p);
	return 0;
}

static int tsan_truncated(struct tsan_parser *p, const char *why)
{
	report_set_err(p->err, p->errlen, "tsan: report %zu (\"%s\", line %zu) is truncated: %s",
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
	text_trim(&s, &n);
	strip_group(s, &n, "(BuildId:", NULL);
	text_trim(&s, &n);
	strip_group(s, &n, "(", "+0x"); /* (module+0xoffset) */
	text_trim(&s, &n);
	sp = find_last(s, n, " ");
	if (sp == NULL) {
		/* Only an address or a name survived symbolization. */
		if (n > 0 && !starts(s, n, "0x") && !starts(s, n, "<null>")) {
			f->func = report_strndup(s, n);
			if (f->func == NULL)
				return -1;
		}
		return 0;
	}
	loc = sp + 1;
	ln = n - (size_t)(loc - s);
	fnlen = (size_t)(sp - s);
	text_trim(&s, &fnlen);
	if (fnlen > 0 && !(fnlen == 6 && memcmp(s, "<null>", 6) == 0)) {
		f->func = report_strndup(s, fnlen);
		if (f->func == NULL)
			return -1;
	}
	if (ln == 6 && memcmp(loc, "<null>", 6) == 0)
		return 0;
	/* file:line:col or file:line; anything else is an object file name. */
	c1 = find_last(loc, ln, ":");
	if (c1 != NULL && text_parse_uint(c1 + 1, ln - (size_t)(c1 + 1 - loc)) >= 0) {
		const char *c0 = find_last(loc, (size_t)(c1 - loc), ":");
		int a = text_parse_uint(c1 + 1, ln - (size_t)(c1 + 1 - loc));
		int b = c0 ? text_parse_uint(c0 + 1, (size_t)(c1 - c0 - 1)) : -1;

		if (b >= 0) {
			line = b;
			ln = (size_t)(c0 - loc);
		} else {
			line = a;
			ln = (size_t)(c1 - loc);
		}
	}
	f->file = report_strndup(loc, ln);
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
		if (report_stack_add_frame(&p->cur.stacks[p->cur.nstacks - 1], &f) < 0)
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
		p->pending_title = report_strndup(t, tn - 1);
		if (p->pending_title == NULL)
			return tsan_oom(p);
	}
	/* Only a line before the first stack describes the report: later ones
	 * ("and:", "Location is ...") describe a part of it. */
	if (p->cur.what == NULL && p->cur.nstacks == 0) {
		p->cur.what = report_strndup(t, tn > 0 && t[tn - 1] == ':' ? tn - 1 : tn);
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

/* Sanitizer runtime messages may carry a "==PID==" prefix: *u, *un is t
 * without it (or t itself). */
static void strip_pid_prefix(const char *t, size_t tn, const char **u, size_t *un)
{
	*u = t;
	*un = tn;
	if (tn > 2 && t[0] == '=' && t[1] == '=' && is_digit(t[2])) {
		size_t i = 2;

		while (i < tn && is_digit(t[i]))
			i++;
		if (i + 1 < tn && t[i] == '=' && t[i + 1] == '=') {
			*u = t + i + 2;
			*un = tn - (i + 2);
		}
	}
}

#define TSAN_WARNING "WARNING: ThreadSanitizer:"
#define TSAN_ERROR   "ERROR: ThreadSanitizer:"
#define TSAN_COUNT   "ThreadSanitizer: reported "

/* "WARNING: ThreadSanitizer: data race (pid=12)" starts a report. */
static int tsan_warning(struct tsan_parser *p, const char *t, size_t tn, size_t lineno)
{
	const char *k = t + strlen(TSAN_WARNING);
	size_t kn = tn - strlen(TSAN_WARNING);
	const char *pid = find_last(k, kn, "(pid=");

	if (pid != NULL)
		kn = (size_t)(pid - k);
	text_trim(&k, &kn);
	if (kn == 0) {
		report_set_err(p->err, p->errlen, "tsan: line %zu: report without a kind: \"%.*s\"",
		               lineno, (int)(tn > 200 ? 200 : tn), t);
		return -1;
	}
	return tsan_begin(p, k, kn, NULL, 0, false, lineno);
}

/* "ERROR: ThreadSanitizer: SEGV on unknown address 0x0 (pc ...)" (after the
 * "==PID==" prefix) starts a crash block: the kind is the words before the
 * first address or parenthesis. */
static int tsan_error(struct tsan_parser *p, const char *u, size_t un, size_t lineno)
{
	const char *w = u + strlen(TSAN_ERROR);
	size_t wn = un - strlen(TSAN_ERROR);
	const char *cut1, *cut2;
	size_t kn;

	text_trim(&w, &wn);
	cut1 = find_first(w, wn, " 0x");
	cut2 = find_first(w, wn, " (");
	kn = wn;
	if (cut1 != NULL && (size_t)(cut1 - w) < kn)
		kn = (size_t)(cut1 - w);
	if (cut2 != NULL && (size_t)(cut2 - w) < kn)
		kn = (size_t)(cut2 - w);
	if (kn == 0) {
		report_set_err(p->err, p->errlen, "tsan: line %zu: error report without a kind",
		               lineno);
		return -1;
	}
	return tsan_begin(p, w, kn, w, wn, true, lineno);
}

/* "ThreadSanitizer: reported 3 warnings".  Each process prints its own count
 * after all of its reports, so a count above what was parsed means reports
 * were lost. */
static int tsan_count(struct tsan_parser *p, const char *t, size_t tn, size_t lineno)
{
	const char *d = t + strlen(TSAN_COUNT);
	size_t dn = tn - strlen(TSAN_COUNT);
	size_t i = 0;
	int count;

	while (i < dn && is_digit(d[i]))
		i++;
	count = text_parse_uint(d, i);
	if (count >= 0 && (size_t)count > p->out->n) {
		report_set_err(p->err, p->errlen,
		               "tsan: line %zu: TSan reported %d warnings but only %zu reports "
		               "were found",
		               lineno, count, p->out->n);
		return -1;
	}
	return 0;
}

static int tsan_line(struct tsan_parser *p, const char *line, size_t n, size_t lineno)
{
	const char *t = line, *u;
	size_t tn = n, un;

	text_trim(&t, &tn);
	strip_pid_prefix(t, tn, &u, &un);
	if (starts(u, un, "FATAL: ThreadSanitizer") ||
	    starts(u, un, "ThreadSanitizer: CHECK failed")) {
		size_t kept = p->out->n;

		tsan_drop_current(p);
		report_set_err(p->err, p->errlen, "tsan: line %zu: %.*s (%zu reports kept)", lineno,
		               (int)(un > 200 ? 200 : un), u, kept);
		return -1;
	}
	if (p->in_report) {
		if (p->crash && starts(u, un, "ABORTING") && u != t)
			return tsan_finish(p);
		if (!p->crash && is_separator(t, tn))
			return tsan_finish(p);
		if (starts(t, tn, TSAN_WARNING) || (u != t && starts(u, un, TSAN_ERROR)))
			return tsan_truncated(p, "another report starts before it ends");
		if (starts(t, tn, TSAN_COUNT))
			return tsan_truncated(p, "the final count follows it");
		return tsan_report_line(p, t, tn, u, un);
	}
	if (starts(t, tn, TSAN_WARNING))
		return tsan_warning(p, t, tn, lineno);
	if (u != t && starts(u, un, TSAN_ERROR))
		return tsan_error(p, u, un, lineno);
	if (starts(t, tn, TSAN_COUNT))
		return tsan_count(p, t, tn, lineno);
	return 0; /* the program's own output, separators, DEADLYSIGNAL, ... */
}

int tl_parse_tsan(const char *text, size_t len, struct tl_reports *out, char *err, size_t errlen)
{
	struct tsan_parser p;
	size_t pos = 0, lineno = 0;

	if (report_parse_begin("tsan", text, len, out, err, errlen) < 0)
		return -1;
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
