/* report_valgrind — a Valgrind --xml=yes document (Helgrind, DRD, Memcheck)
 * into tl_reports, with expat.
 *
 * Kind -> verdict, as Valgrind 3.19 prints it here (glibc 2.36; the probes
 * and reports are in tests/fixtures), by <kind> and, where one kind covers
 * several, by <what>/<xwhat> text:
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
 * Stack titles: the <auxwhat> or <xauxwhat><text> just before a stack; DRD's
 * nested stacks are "mutex first observed at", "other segment start", "other
 * segment end".  The first stack (where the error happened) has none: its
 * description is the report's what.
 *
 * Failures (-1 and one line in err): any expat error (with its line and
 * column; at the end of the input that means a truncated document), a root
 * element other than <valgrindoutput>, a <protocolversion> other than 4, or
 * none.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "report_internal.h"

#include <expat.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	text_trim(&s, &n);
	if (n > 0 && s[n - 1] == '\r')
		n--;
	return report_strndup(s, n);
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
	if (report_stack_add_frame(st, &f) < 0)
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
	if (report_push(v->out, r) < 0)
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
		line = text_parse_uint(s, strlen(s));
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

	if (report_parse_begin("valgrind xml", xml, len, out, err, errlen) < 0)
		return -1;
	if (len == 0) {
		report_set_err(err, errlen, "valgrind xml: empty document");
		return -1;
	}
	/* On the heap: the text buffer is too big for a thread's stack. */
	v = calloc(1, sizeof *v);
	if (v == NULL) {
		report_set_err(err, errlen, "valgrind xml: out of memory");
		return -1;
	}
	v->out = out;
	v->xp = XML_ParserCreate(NULL);
	if (v->xp == NULL) {
		free(v);
		report_set_err(err, errlen, "valgrind xml: out of memory");
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
		report_set_err(err, errlen, "valgrind xml: %s (%zu complete errors kept)", v->msg,
		               out->n);
		rc = -1;
	} else if (st != XML_STATUS_OK) {
		enum XML_Error code = XML_GetErrorCode(v->xp);
		bool at_end = code == XML_ERROR_NO_ELEMENTS || code == XML_ERROR_UNCLOSED_TOKEN ||
		              code == XML_ERROR_PARTIAL_CHAR ||
		              code == XML_ERROR_UNCLOSED_CDATA_SECTION;

		report_set_err(
		    err, errlen,
		    "valgrind xml: %s at line %lu, column %lu%s (%zu complete errors kept)",
		    XML_ErrorString(code), (unsigned long)XML_GetCurrentLineNumber(v->xp),
		    (unsigned long)XML_GetCurrentColumnNumber(v->xp),
		    at_end ? ": truncated document (no </valgrindoutput>)" : "", out->n);
		rc = -1;
	} else if (!v->saw_protocol) {
		report_set_err(err, errlen, "valgrind xml: no <protocolversion> in the document");
		rc = -1;
	}
	vx_clear_error(v);
	XML_ParserFree(v->xp);
	free(v);
	return rc;
}
