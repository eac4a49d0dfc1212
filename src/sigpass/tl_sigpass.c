/* tl_sigpass — calls a signal handler must not make, found in the source
 * with libclang (the contract is in tl_sigpass.h). */
#include <clang-c/Index.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_sigpass.h"

/* signal-safety(7) (POSIX.1-2008 TC2 and the additions it lists), plus
 * __errno_location, which is what reading errno calls in glibc. */
static const char *const safe_calls[] = {
    "_Exit",
    "_exit",
    "__errno_location",
    "abort",
    "accept",
    "access",
    "aio_error",
    "aio_return",
    "aio_suspend",
    "alarm",
    "bind",
    "cfgetispeed",
    "cfgetospeed",
    "cfsetispeed",
    "cfsetospeed",
    "chdir",
    "chmod",
    "chown",
    "clock_gettime",
    "close",
    "connect",
    "creat",
    "dup",
    "dup2",
    "execl",
    "execle",
    "execv",
    "execve",
    "faccessat",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchown",
    "fchownat",
    "fcntl",
    "fdatasync",
    "fexecve",
    "ffs",
    "fork",
    "fstat",
    "fstatat",
    "fsync",
    "ftruncate",
    "futimens",
    "getegid",
    "geteuid",
    "getgid",
    "getgroups",
    "getpeername",
    "getpgrp",
    "getpid",
    "getppid",
    "getsockname",
    "getsockopt",
    "getuid",
    "htonl",
    "htons",
    "kill",
    "link",
    "linkat",
    "listen",
    "longjmp",
    "lseek",
    "lstat",
    "memccpy",
    "memchr",
    "memcmp",
    "memcpy",
    "memmove",
    "memset",
    "mkdir",
    "mkdirat",
    "mkfifo",
    "mkfifoat",
    "mknod",
    "mknodat",
    "ntohl",
    "ntohs",
    "open",
    "openat",
    "pause",
    "pipe",
    "poll",
    "posix_trace_event",
    "pselect",
    "pthread_kill",
    "pthread_self",
    "pthread_sigmask",
    "raise",
    "read",
    "readlink",
    "readlinkat",
    "recv",
    "recvfrom",
    "recvmsg",
    "rename",
    "renameat",
    "rmdir",
    "select",
    "sem_post",
    "send",
    "sendmsg",
    "sendto",
    "setgid",
    "setpgid",
    "setsid",
    "setsockopt",
    "setuid",
    "shutdown",
    "sigaction",
    "sigaddset",
    "sigdelset",
    "sigemptyset",
    "sigfillset",
    "sigismember",
    "siglongjmp",
    "signal",
    "sigpause",
    "sigpending",
    "sigprocmask",
    "sigqueue",
    "sigset",
    "sigsuspend",
    "sleep",
    "sockatmark",
    "socket",
    "socketpair",
    "stat",
    "stpcpy",
    "stpncpy",
    "strcat",
    "strchr",
    "strcmp",
    "strcpy",
    "strcspn",
    "strlen",
    "strncat",
    "strncmp",
    "strncpy",
    "strnlen",
    "strpbrk",
    "strrchr",
    "strspn",
    "strstr",
    "strtok_r",
    "symlink",
    "symlinkat",
    "tcdrain",
    "tcflow",
    "tcflush",
    "tcgetattr",
    "tcgetpgrp",
    "tcsendbreak",
    "tcsetattr",
    "tcsetpgrp",
    "time",
    "timer_getoverrun",
    "timer_gettime",
    "timer_settime",
    "times",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimes",
    "wait",
    "waitpid",
    "wcpcpy",
    "wcpncpy",
    "wcscat",
    "wcschr",
    "wcscmp",
    "wcscpy",
    "wcscspn",
    "wcslen",
    "wcsncat",
    "wcsncmp",
    "wcsncpy",
    "wcsnlen",
    "wcspbrk",
    "wcsrchr",
    "wcsspn",
    "wcsstr",
    "wcstok",
    "wmemchr",
    "wmemcmp",
    "wmemcpy",
    "wmemmove",
    "wmemset",
    "write",
};

/* Calls that wait for another thread: interrupting their holder makes a
 * handler that calls them wait for ever. */
static const char *const locking_calls[] = {
    "pthread_mutex_lock",    "pthread_mutex_timedlock",
    "pthread_mutex_trylock", "pthread_rwlock_rdlock",
    "pthread_rwlock_wrlock", "pthread_spin_lock",
    "pthread_cond_wait",     "pthread_cond_timedwait",
    "pthread_join",          "sem_wait",
    "sem_timedwait",         "flockfile",
};

/* The functions that install a handler given as their second argument. */
static const char *const installers[] = {"signal", "sigset", "bsd_signal", "sysv_signal"};

#define IN(name, list) in_list((name), (list), sizeof(list) / sizeof((list)[0]))

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

bool tl_sig_safe(const char *name)
{
	/* clang's atomic builtins (what <stdatomic.h> expands to) are
	 * instructions, lock-free for the sizes a handler uses; the other
	 * builtins are the library's functions under another name. */
	if (!strncmp(name, "__c11_atomic_", 13) || !strncmp(name, "__atomic_", 9) ||
	    !strncmp(name, "__sync_", 7))
		return true;
	if (!strncmp(name, "__builtin_", 10))
		name += 10;
	return IN(name, safe_calls);
}

static bool locking(const char *name)
{
	return IN(name, locking_calls);
}

struct call {
	char *callee, *callee_usr, *file;
	unsigned line;
};

struct func {
	char *usr, *name;
	struct call *calls;
	size_t n, cap;
};

struct handler {
	char *usr, *name;
};

struct pass {
	const char *file; /* the translation unit being read */
	struct func *funcs;
	size_t nfuncs, capfuncs;
	struct handler *handlers;
	size_t nhandlers, caphandlers;
	bool nomem;
};

static void *grow(struct pass *p, void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	size_t c = *cap ? *cap * 2 : 16;
	void *nv = realloc(v, c * size);
	if (!nv) {
		p->nomem = true;
		return NULL;
	}
	*cap = c;
	return nv;
}

static char *take(struct pass *p, CXString s)
{
	const char *c = clang_getCString(s);
	char *copy = strdup(c ? c : "");
	clang_disposeString(s);
	if (!copy)
		p->nomem = true;
	return copy;
}

/* A function's name across the program: its USR, which for a static
 * function names only the file's base name (two labs' static on_signal in
 * two probe.c are one USR), so that one gets its translation unit's path
 * in front. */
static char *key(struct pass *p, CXCursor fn)
{
	char *usr = take(p, clang_getCursorUSR(fn));
	if (!usr || clang_getCursorLinkage(fn) != CXLinkage_Internal)
		return usr;
	size_t len = strlen(p->file) + strlen(usr) + 2;
	char *k = malloc(len);
	if (k)
		snprintf(k, len, "%s|%s", p->file, usr);
	else
		p->nomem = true;
	free(usr);
	return k;
}

static void add_handler(struct pass *p, CXCursor fn)
{
	char *usr = key(p, fn);
	if (!usr)
		return;
	for (size_t i = 0; i < p->nhandlers; i++)
		if (!strcmp(p->handlers[i].usr, usr)) {
			free(usr);
			return;
		}
	struct handler *h = grow(p, p->handlers, &p->caphandlers, p->nhandlers, sizeof *h);
	if (!h) {
		free(usr);
		return;
	}
	p->handlers = h;
	p->handlers[p->nhandlers++] = (struct handler){usr, take(p, clang_getCursorSpelling(fn))};
}

/* Every function named in an expression (not called in it) is a handler. */
static enum CXChildVisitResult handler_refs(CXCursor c, CXCursor parent, CXClientData data)
{
	(void)parent;
	if (c.kind == CXCursor_CallExpr)
		return CXChildVisit_Continue;
	if (c.kind == CXCursor_DeclRefExpr) {
		CXCursor ref = clang_getCursorReferenced(c);
		if (ref.kind == CXCursor_FunctionDecl)
			add_handler(data, ref);
	}
	return CXChildVisit_Recurse;
}

static void handlers_in(struct pass *p, CXCursor expr)
{
	handler_refs(expr, clang_getNullCursor(), p);
	if (expr.kind != CXCursor_CallExpr)
		clang_visitChildren(expr, handler_refs, p);
}

static bool is_sigaction(CXCursor c)
{
	CXString s = clang_getTypeSpelling(clang_getCanonicalType(clang_getCursorType(c)));
	bool yes = !strcmp(clang_getCString(s), "struct sigaction");
	clang_disposeString(s);
	return yes;
}

static bool spelled(CXCursor c, const char *a, const char *b)
{
	CXString s = clang_getCursorSpelling(c);
	const char *name = clang_getCString(s);
	bool yes = !strcmp(name, a) || (b && !strcmp(name, b));
	clang_disposeString(s);
	return yes;
}

static bool installs(CXCursor fn)
{
	CXString s = clang_getCursorSpelling(fn);
	bool yes = IN(clang_getCString(s), installers);
	clang_disposeString(s);
	return yes;
}

static enum CXChildVisitResult first_two(CXCursor c, CXCursor parent, CXClientData data)
{
	(void)parent;
	CXCursor *kids = data;
	if (clang_Cursor_isNull(kids[0]))
		kids[0] = c;
	else {
		kids[1] = c;
		return CXChildVisit_Break;
	}
	return CXChildVisit_Continue;
}

static void add_call(struct pass *p, struct func *f, CXCursor call, CXCursor callee)
{
	struct call *v = grow(p, f->calls, &f->cap, f->n, sizeof *v);
	if (!v)
		return;
	f->calls = v;
	CXFile file;
	unsigned line;
	clang_getExpansionLocation(clang_getCursorLocation(call), &file, &line, NULL, NULL);
	f->calls[f->n++] = (struct call){take(p, clang_getCursorSpelling(callee)), key(p, callee),
	                                 take(p, clang_getFileName(file)), line};
}

struct visit {
	struct pass *p;
	struct func *f; /* the definition being read, or NULL */
};

static enum CXChildVisitResult visit(CXCursor c, CXCursor parent, CXClientData data)
{
	(void)parent;
	struct visit *v = data;
	switch (c.kind) {
	case CXCursor_CallExpr: {
		CXCursor callee = clang_getCursorReferenced(c);
		if (callee.kind != CXCursor_FunctionDecl)
			break; /* through a pointer: not followed */
		if (v->f)
			add_call(v->p, v->f, c, callee);
		if (clang_Cursor_getNumArguments(c) >= 2 && installs(callee))
			handlers_in(v->p, clang_Cursor_getArgument(c, 1));
		break;
	}
	case CXCursor_VarDecl:
	case CXCursor_CompoundLiteralExpr:
		if (is_sigaction(c))
			clang_visitChildren(c, handler_refs, v->p);
		break;
	case CXCursor_BinaryOperator: {
		CXCursor kids[2] = {clang_getNullCursor(), clang_getNullCursor()};
		clang_visitChildren(c, first_two, kids);
		if (kids[0].kind == CXCursor_MemberRefExpr && !clang_Cursor_isNull(kids[1]) &&
		    spelled(kids[0], "sa_handler", "sa_sigaction"))
			handlers_in(v->p, kids[1]);
		break;
	}
	default:
		break;
	}
	return CXChildVisit_Recurse;
}

/* The translation unit's own declarations (not its headers'): each
 * function definition is read with its calls. */
static enum CXChildVisitResult top(CXCursor c, CXCursor parent, CXClientData data)
{
	(void)parent;
	struct pass *p = data;
	if (!clang_Location_isFromMainFile(clang_getCursorLocation(c)))
		return CXChildVisit_Continue;
	struct visit v = {p, NULL};
	if (c.kind == CXCursor_FunctionDecl && clang_isCursorDefinition(c)) {
		struct func *f = grow(p, p->funcs, &p->capfuncs, p->nfuncs, sizeof *f);
		if (!f)
			return CXChildVisit_Break;
		p->funcs = f;
		v.f = &p->funcs[p->nfuncs++];
		*v.f = (struct func){key(p, c), take(p, clang_getCursorSpelling(c)), NULL, 0, 0};
	}
	visit(c, parent, &v);
	clang_visitChildren(c, visit, &v);
	return p->nomem ? CXChildVisit_Break : CXChildVisit_Continue;
}

static const struct func *defined(const struct pass *p, const char *usr)
{
	for (size_t i = 0; i < p->nfuncs; i++)
		if (p->funcs[i].usr && usr && !strcmp(p->funcs[i].usr, usr))
			return &p->funcs[i];
	return NULL;
}

static int report(struct tl_sig_findings *out, size_t *cap, const struct handler *h,
                  const struct call *c, const char *via)
{
	for (size_t i = 0; i < out->n; i++) {
		const struct tl_sig_finding *f = &out->v[i];
		if (f->line == c->line && !strcmp(f->file, c->file) &&
		    !strcmp(f->handler, h->name) && !strcmp(f->callee, c->callee))
			return 0;
	}
	if (out->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct tl_sig_finding *v = realloc(out->v, nc * sizeof *v);
		if (!v)
			return -1;
		out->v = v;
		*cap = nc;
	}
	struct tl_sig_finding *f = &out->v[out->n++];
	memset(f, 0, sizeof *f);
	snprintf(f->file, sizeof f->file, "%s", c->file);
	f->line = c->line;
	snprintf(f->handler, sizeof f->handler, "%s", h->name);
	snprintf(f->callee, sizeof f->callee, "%s", c->callee);
	snprintf(f->via, sizeof f->via, "%s", via);
	f->locking = locking(c->callee);
	return 0;
}

/* A handler's calls, and one level deep those of the program's functions
 * it calls. */
static int judge(const struct pass *p, struct tl_sig_findings *out)
{
	size_t cap = 0;
	for (size_t h = 0; h < p->nhandlers; h++) {
		const struct func *f = defined(p, p->handlers[h].usr);
		for (size_t i = 0; f && i < f->n; i++) {
			const struct call *c = &f->calls[i];
			const struct func *g = defined(p, c->callee_usr);
			if (!g) {
				if (!tl_sig_safe(c->callee) &&
				    report(out, &cap, &p->handlers[h], c, "") != 0)
					return -1;
				continue;
			}
			for (size_t j = 0; j < g->n; j++) {
				const struct call *d = &g->calls[j];
				if (!defined(p, d->callee_usr) && !tl_sig_safe(d->callee) &&
				    report(out, &cap, &p->handlers[h], d, g->name) != 0)
					return -1;
			}
		}
	}
	return 0;
}

static int by_place(const void *a, const void *b)
{
	const struct tl_sig_finding *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	c = strcmp(x->handler, y->handler);
	return c ? c : strcmp(x->callee, y->callee);
}

static void pass_free(struct pass *p)
{
	for (size_t i = 0; i < p->nfuncs; i++) {
		for (size_t j = 0; j < p->funcs[i].n; j++) {
			free(p->funcs[i].calls[j].callee);
			free(p->funcs[i].calls[j].callee_usr);
			free(p->funcs[i].calls[j].file);
		}
		free(p->funcs[i].calls);
		free(p->funcs[i].usr);
		free(p->funcs[i].name);
	}
	free(p->funcs);
	for (size_t i = 0; i < p->nhandlers; i++) {
		free(p->handlers[i].usr);
		free(p->handlers[i].name);
	}
	free(p->handlers);
}

__attribute__((format(printf, 3, 4))) static void say(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	err[strcspn(err, "\n")] = '\0'; /* one line */
}

/* The first error libclang met in tu, as "FILE:LINE:COL: error: ...". */
static bool parse_error(CXTranslationUnit tu, char *err, size_t errlen)
{
	for (unsigned i = 0, n = clang_getNumDiagnostics(tu); i < n; i++) {
		CXDiagnostic d = clang_getDiagnostic(tu, i);
		bool error = clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error;
		if (error) {
			CXString s = clang_formatDiagnostic(d, CXDiagnostic_DisplaySourceLocation |
			                                           CXDiagnostic_DisplayColumn);
			say(err, errlen, "%s", clang_getCString(s));
			clang_disposeString(s);
		}
		clang_disposeDiagnostic(d);
		if (error)
			return true;
	}
	return false;
}

int tl_sigpass(const char *const *files, size_t n, const char *const *cflags,
               struct tl_sig_findings *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	int nflags = 0;
	while (cflags && cflags[nflags])
		nflags++;
	struct pass p = {0};
	CXIndex index = clang_createIndex(0, 0);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (access(files[i], R_OK) != 0) {
			say(err, errlen, "%s: cannot read it", files[i]);
			rc = -1;
			break;
		}
		CXTranslationUnit tu;
		enum CXErrorCode e = clang_parseTranslationUnit2(
		    index, files[i], cflags, nflags, NULL, 0, CXTranslationUnit_None, &tu);
		if (e != CXError_Success) {
			say(err, errlen, "%s: libclang could not parse it (error %d)", files[i],
			    (int)e);
			rc = -1;
			break;
		}
		if (parse_error(tu, err, errlen))
			rc = -1;
		else {
			p.file = files[i];
			clang_visitChildren(clang_getTranslationUnitCursor(tu), top, &p);
		}
		clang_disposeTranslationUnit(tu);
	}
	clang_disposeIndex(index);
	if (rc == 0 && p.nomem) {
		say(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc == 0 && judge(&p, out) != 0) {
		say(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc == 0) {
		out->handlers = p.nhandlers;
		if (out->n)
			qsort(out->v, out->n, sizeof *out->v, by_place);
	} else
		tl_sig_findings_free(out);
	pass_free(&p);
	return rc;
}

void tl_sig_findings_free(struct tl_sig_findings *out)
{
	free(out->v);
	memset(out, 0, sizeof *out);
}
