/* Unit tests for tl_verdict: every fixture under tests/fixtures is a real
 * report captured on this machine (see tests/fixtures/README.md) or one
 * derived from such a report by cutting or corrupting it. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_verdict.h"

#ifndef TL_FIXTURES
#error "build with -DTL_FIXTURES='\"/abs/path/to/tests/fixtures\"'"
#endif

/* Reads a fixture into a buffer of exactly its size, without a NUL after
 * it, so that AddressSanitizer catches a parser reading past len. */
static char *load(const char *rel, size_t *len)
{
	char path[1024];
	char *buf = NULL;
	size_t cap = 0, n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", TL_FIXTURES, rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	for (;;) {
		size_t got;

		if (n == cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	buf = realloc(buf, n ? n : 1);
	ck_assert_ptr_nonnull(buf);
	*len = n;
	return buf;
}

static bool is_xml(const char *rel)
{
	size_t n = strlen(rel);

	return n > 4 && strcmp(rel + n - 4, ".xml") == 0;
}

static int parse_fixture(const char *rel, struct tl_reports *r, char *err, size_t errlen)
{
	size_t len;
	char *text = load(rel, &len);
	int rc = is_xml(rel) ? tl_parse_valgrind_xml(text, len, r, err, errlen)
	                     : tl_parse_tsan(text, len, r, err, errlen);

	free(text);
	return rc;
}

/* ------------------------------------------------------------------ table */

struct want_report {
	enum tl_verdict verdict;
	const char *kind;
	const char *file; /* suffix of the probe source a top frame is in; NULL:
	                   * no frame there (a thread exiting in libc) */
	int line;
};

struct fixture_case {
	const char *path; /* under TL_FIXTURES */
	int rc;
	size_t n;            /* reports kept, also when rc is -1 */
	const char *err_has; /* a piece of the message when rc is -1 */
	struct want_report r[4];
};

/* For each report: its verdict, the tool's kind, and the line of the probe
 * the first frame in the probe source points at (tl_report_first_frame_in). */
/* clang-format off */
static const struct fixture_case cases[] = {
	{"tsan/check-failed.txt", -1, 0, "ThreadSanitizer: CHECK failed", {{0}}},
	{"tsan/clean.txt", 0, 0, NULL, {{0}}},
	{"tsan/crash-segv.txt", 0, 1, NULL, {
		{TL_V_CRASH, "SEGV on unknown address", "probes/crash_null.c", 11}}},
	{"tsan/data-race.txt", 0, 1, NULL, {
		{TL_V_DATA_RACE, "data race", "probes/data_race.c", 13}}},
	{"tsan/destroy-locked.txt", 0, 1, NULL, {
		{TL_V_DESTROY_LOCKED, "destroy of a locked mutex", "probes/destroy_locked.c", 13}}},
	{"tsan/double-lock.txt", 0, 1, NULL, {
		{TL_V_DOUBLE_LOCK, "double lock of a mutex", "probes/double_lock.c", 24}}},
	{"tsan/errno-spoil.txt", 0, 1, NULL, {
		{TL_V_SIGNAL_UNSAFE, "signal handler spoils errno", "probes/errno_spoil.c", 12}}},
	{"tsan/fatal-mapping.txt", -1, 0,
	 "FATAL: ThreadSanitizer: unexpected memory mapping", {{0}}},
	{"tsan/invalid-mutex.txt", 0, 1, NULL, {
		{TL_V_MUTEX_MISUSE, "use of an invalid mutex (e.g. uninitialized or destroyed)",
		 "probes/invalid_mutex.c", 15}}},
	{"tsan/lock-order-relpath.txt", 0, 1, NULL, {
		{TL_V_LOCK_ORDER, "lock-order-inversion (potential deadlock)",
		 "probes/lock_order.c", 13}}},
	{"tsan/lock-order.txt", 0, 1, NULL, {
		{TL_V_LOCK_ORDER, "lock-order-inversion (potential deadlock)",
		 "probes/lock_order.c", 13}}},
	{"tsan/malformed-lost-report.txt", -1, 2, "reported 3 warnings but only 2", {
		{TL_V_SIGNAL_UNSAFE, "signal-unsafe call inside of a signal",
		 "probes/signal_unsafe.c", 15},
		{TL_V_SIGNAL_UNSAFE, "signal handler spoils errno", "probes/signal_unsafe.c", 13}}},
	{"tsan/malformed-no-kind.txt", -1, 1, "line 11: report without a kind", {
		{TL_V_SIGNAL_UNSAFE, "signal-unsafe call inside of a signal",
		 "probes/signal_unsafe.c", 14}}},
	{"tsan/signal-unsafe.txt", 0, 3, NULL, {
		{TL_V_SIGNAL_UNSAFE, "signal-unsafe call inside of a signal",
		 "probes/signal_unsafe.c", 14},
		{TL_V_SIGNAL_UNSAFE, "signal-unsafe call inside of a signal",
		 "probes/signal_unsafe.c", 15},
		{TL_V_SIGNAL_UNSAFE, "signal handler spoils errno", "probes/signal_unsafe.c", 13}}},
	{"tsan/thread-leak.txt", 0, 1, NULL, {
		{TL_V_THREAD_LEAK, "thread leak", "probes/thread_leak.c", 26}}},
	{"tsan/truncated-midline.txt", -1, 0,
	 "report 1 (\"data race\", line 2) is truncated", {{0}}},
	{"tsan/truncated-signal-unsafe.txt", -1, 2,
	 "report 3 (\"signal handler spoils errno\", line 20) is truncated", {
		{TL_V_SIGNAL_UNSAFE, "signal-unsafe call inside of a signal",
		 "probes/signal_unsafe.c", 14},
		{TL_V_SIGNAL_UNSAFE, "signal-unsafe call inside of a signal",
		 "probes/signal_unsafe.c", 15}}},
	{"tsan/unlock-foreign.txt", 0, 1, NULL, {
		{TL_V_BAD_UNLOCK, "unlock of an unlocked mutex (or by a wrong thread)",
		 "probes/unlock_foreign.c", 27}}},
	{"tsan/unlock-unlocked.txt", 0, 1, NULL, {
		{TL_V_BAD_UNLOCK, "unlock of an unlocked mutex (or by a wrong thread)",
		 "probes/unlock_unlocked.c", 10}}},
	/* No symbolizer: every frame "<null> <null> (module+0xoff)". */
	{"tsan/unsymbolized-race-counter.txt", 0, 1, NULL, {
		{TL_V_DATA_RACE, "data race", NULL, 0}}},
	{"tsan/use-after-free.txt", 0, 1, NULL, {
		{TL_V_MEMORY_ERROR, "heap-use-after-free", "probes/use_after_free.c", 15}}},
	{"valgrind/drd-clean.xml", 0, 0, NULL, {{0}}},
	{"valgrind/drd-cond-reinit.xml", 0, 2, NULL, {
		{TL_V_COND_MISUSE, "CondErr", "probes/cond_reinit.c", 10},
		{TL_V_COND_MISUSE, "CondErr", "probes/cond_reinit.c", 12}}},
	{"valgrind/drd-cond-unheld.xml", 0, 2, NULL, {
		{TL_V_COND_MISUSE, "CondRaceErr", "probes/cond_unheld.c", 34},
		{TL_V_BAD_UNLOCK, "MutexErr", "probes/cond_unheld.c", 39}}},
	{"valgrind/drd-data-race.xml", 0, 2, NULL, {
		{TL_V_DATA_RACE, "ConflictingAccess", "probes/data_race.c", 13},
		{TL_V_DATA_RACE, "ConflictingAccess", "probes/data_race.c", 13}}},
	{"valgrind/drd-destroy-locked.xml", 0, 1, NULL, {
		{TL_V_DESTROY_LOCKED, "MutexErr", "probes/destroy_locked.c", 13}}},
	{"valgrind/drd-double-lock.xml", 0, 3, NULL, {
		{TL_V_MUTEX_MISUSE, "MutexErr", "probes/double_lock.c", 22},
		{TL_V_MUTEX_MISUSE, "MutexErr", "probes/double_lock.c", 23},
		{TL_V_DOUBLE_LOCK, "MutexErr", "probes/double_lock.c", 24}}},
	{"valgrind/drd-lock-order.xml", 0, 0, NULL, {{0}}},
	{"valgrind/drd-relock.xml", 0, 1, NULL, {
		{TL_V_DOUBLE_LOCK, "MutexErr", "probes/relock.c", 23}}},
	{"valgrind/drd-rwlock-unheld.xml", 0, 1, NULL, {
		{TL_V_BAD_UNLOCK, "RwlockErr", "probes/rwlock_unheld.c", 12}}},
	{"valgrind/drd-sem-invalid.xml", 0, 1, NULL, {
		{TL_V_MUTEX_MISUSE, "GenericErr", "probes/sem_invalid.c", 11}}},
	{"valgrind/drd-unlock-bogus.xml", 0, 1, NULL, {
		{TL_V_BAD_UNLOCK, "MutexErr", "probes/unlock_bogus.c", 10}}},
	{"valgrind/drd-unlock-foreign.xml", 0, 3, NULL, {
		{TL_V_BAD_UNLOCK, "MutexErr", "probes/unlock_foreign.c", 27},
		{TL_V_MUTEX_MISUSE, "MutexErr", "probes/unlock_foreign.c", 29},
		{TL_V_DESTROY_LOCKED, "MutexErr", "probes/unlock_foreign.c", 31}}},
	{"valgrind/drd-unlock-unlocked.xml", 0, 1, NULL, {
		{TL_V_BAD_UNLOCK, "MutexErr", "probes/unlock_unlocked.c", 10}}},
	{"valgrind/helgrind-clean.xml", 0, 0, NULL, {{0}}},
	{"valgrind/helgrind-cond-unheld.xml", 0, 3, NULL, {
		{TL_V_COND_MISUSE, "Misc", "probes/cond_unheld.c", 34},
		{TL_V_COND_MISUSE, "Misc", "probes/cond_unheld.c", 39},
		{TL_V_BAD_UNLOCK, "UnlockUnlocked", "probes/cond_unheld.c", 40}}},
	{"valgrind/helgrind-data-race.xml", 0, 2, NULL, {
		{TL_V_DATA_RACE, "Race", "probes/data_race.c", 13},
		{TL_V_DATA_RACE, "Race", "probes/data_race.c", 13}}},
	{"valgrind/helgrind-destroy-locked.xml", 0, 2, NULL, {
		{TL_V_DESTROY_LOCKED, "Misc", "probes/destroy_locked.c", 13},
		{TL_V_DESTROY_LOCKED, "PthAPIerror", "probes/destroy_locked.c", 13}}},
	{"valgrind/helgrind-double-lock.xml", 0, 3, NULL, {
		{TL_V_MUTEX_MISUSE, "Misc", NULL, 0},
		{TL_V_DOUBLE_LOCK, "Misc", "probes/double_lock.c", 24},
		{TL_V_BAD_UNLOCK, "UnlockForeign", "probes/double_lock.c", 25}}},
	{"valgrind/helgrind-lock-order.xml", 0, 1, NULL, {
		{TL_V_LOCK_ORDER, "LockOrder", "probes/lock_order.c", 26}}},
	{"valgrind/helgrind-relock-errorcheck.xml", 0, 2, NULL, {
		{TL_V_DOUBLE_LOCK, "Misc", "probes/relock_errorcheck.c", 16},
		{TL_V_DOUBLE_LOCK, "PthAPIerror", "probes/relock_errorcheck.c", 16}}},
	{"valgrind/helgrind-relock.xml", 0, 2, NULL, {
		{TL_V_DOUBLE_LOCK, "Misc", "probes/relock.c", 23},
		{TL_V_MUTEX_MISUSE, "Misc", "probes/relock.c", 12}}},
	{"valgrind/helgrind-rwlock-unheld.xml", 0, 1, NULL, {
		{TL_V_BAD_UNLOCK, "UnlockUnlocked", "probes/rwlock_unheld.c", 12}}},
	{"valgrind/helgrind-unlock-bogus.xml", 0, 1, NULL, {
		{TL_V_BAD_UNLOCK, "UnlockBogus", "probes/unlock_bogus.c", 10}}},
	{"valgrind/helgrind-unlock-foreign.xml", 0, 3, NULL, {
		{TL_V_BAD_UNLOCK, "UnlockForeign", "probes/unlock_foreign.c", 27},
		{TL_V_MUTEX_MISUSE, "Misc", NULL, 0},
		{TL_V_DESTROY_LOCKED, "Misc", "probes/unlock_foreign.c", 31}}},
	{"valgrind/helgrind-unlock-unlocked.xml", 0, 2, NULL, {
		{TL_V_BAD_UNLOCK, "UnlockUnlocked", "probes/unlock_unlocked.c", 10},
		{TL_V_DESTROY_LOCKED, "PthAPIerror", "probes/unlock_unlocked.c", 11}}},
	{"valgrind/malformed-mismatched-tag.xml", -1, 1, "mismatched tag at line 214", {
		{TL_V_DATA_RACE, "Race", "probes/data_race.c", 13}}},
	{"valgrind/malformed-not-valgrind.xml", -1, 0,
	 "not a Valgrind XML document (root element <testsuite>)", {{0}}},
	{"valgrind/malformed-protocol-3.xml", -1, 0, "unsupported protocol version \"3\"", {{0}}},
	{"valgrind/memcheck-clean.xml", 0, 0, NULL, {{0}}},
	{"valgrind/memcheck-invalid-access.xml", 0, 3, NULL, {
		{TL_V_MEMORY_ERROR, "InvalidWrite", "probes/invalid_access.c", 12},
		{TL_V_MEMORY_ERROR, "InvalidRead", "probes/invalid_access.c", 13},
		{TL_V_MEMORY_ERROR, "InvalidFree", "probes/invalid_access.c", 15}}},
	{"valgrind/memcheck-leaks.xml", 0, 3, NULL, {
		{TL_V_MEMORY_LEAK, "Leak_IndirectlyLost", "probes/leaks.c", 20},
		{TL_V_MEMORY_LEAK, "Leak_PossiblyLost", "probes/leaks.c", 17},
		{TL_V_MEMORY_LEAK, "Leak_DefinitelyLost", "probes/leaks.c", 19}}},
	{"valgrind/memcheck-thread-leak.xml", 0, 1, NULL, {
		{TL_V_THREAD_LEAK, "Leak_PossiblyLost", "probes/thread_leak.c", 26}}},
	{"valgrind/truncated-memcheck-invalid-access.xml", -1, 2, "no element found at line 121", {
		{TL_V_MEMORY_ERROR, "InvalidWrite", "probes/invalid_access.c", 12},
		{TL_V_MEMORY_ERROR, "InvalidRead", "probes/invalid_access.c", 13}}},
	{"valgrind/truncated-no-footer.xml", -1, 1, "truncated document", {
		{TL_V_LOCK_ORDER, "LockOrder", "probes/lock_order.c", 26}}},
};
/* clang-format on */

#define NCASES (sizeof cases / sizeof cases[0])

START_TEST(test_fixture)
{
	const struct fixture_case *c = &cases[_i];
	struct tl_reports r;
	char err[256];
	tl_verdict_set want = 0;
	int rc = parse_fixture(c->path, &r, err, sizeof err);

	ck_assert_msg(rc == c->rc, "%s: rc %d, want %d (err: %s)", c->path, rc, c->rc, err);
	ck_assert_msg(r.n == c->n, "%s: %zu reports, want %zu", c->path, r.n, c->n);
	for (size_t j = 0; j < r.n; j++) {
		const struct want_report *w = &c->r[j];
		const struct tl_report *got = &r.v[j];
		const struct tl_frame *f;

		ck_assert_msg(got->verdict == w->verdict, "%s #%zu: verdict %s, want %s", c->path,
		              j, tl_verdict_name(got->verdict), tl_verdict_name(w->verdict));
		ck_assert_str_eq(got->kind, w->kind);
		ck_assert_ptr_nonnull(got->what);
		ck_assert_msg(got->what[0] != '\0' && strchr(got->what, '\n') == NULL,
		              "%s #%zu: what '%s'", c->path, j, got->what);
		ck_assert_uint_ge(got->nstacks, 1);
		want |= 1u << w->verdict;
		if (w->file == NULL)
			continue;
		f = tl_report_first_frame_in(got, w->file);
		ck_assert_msg(f != NULL, "%s #%zu: no frame in %s", c->path, j, w->file);
		ck_assert_msg(f->line == w->line, "%s #%zu: %s:%d, want line %d", c->path, j,
		              f->file, f->line, w->line);
		ck_assert(tl_report_points_at(got, w->file, w->line));
		ck_assert(!tl_report_points_at(got, w->file, w->line + 1000));
	}
	ck_assert_uint_eq(tl_reports_verdicts(&r), want);
	if (c->rc != 0) {
		ck_assert_msg(err[0] != '\0', "%s: empty message", c->path);
		ck_assert_msg(strstr(err, c->err_has) != NULL, "%s: message '%s' lacks '%s'",
		              c->path, err, c->err_has);
		ck_assert_ptr_null(strchr(err, '\n'));
	} else {
		ck_assert_str_eq(err, "");
	}
	tl_reports_free(&r);
	ck_assert_ptr_null(r.v);
	ck_assert_uint_eq(r.n, 0);
}
END_TEST

/* Only the report made without a symbolizer has no named frame at all. */
START_TEST(test_fixture_symbolized)
{
	const struct fixture_case *c = &cases[_i];
	struct tl_reports r;
	char err[256];

	(void)parse_fixture(c->path, &r, err, sizeof err);
	ck_assert_msg(tl_reports_unsymbolized(&r) == (strstr(c->path, "unsymbolized") != NULL),
	              "%s", c->path);
	tl_reports_free(&r);
}
END_TEST

START_TEST(test_unsymbolized_frames)
{
	struct tl_frame addr_only[] = {{NULL, NULL, 0}, {NULL, NULL, 0}};
	struct tl_frame named[] = {{NULL, NULL, 0}, {"pthread_create", NULL, 0}};
	struct tl_stack st = {NULL, addr_only, 2};
	struct tl_report rep = {TL_V_DATA_RACE, NULL, NULL, &st, 1};
	struct tl_reports r = {&rep, 1};

	ck_assert(tl_reports_unsymbolized(&r));
	st.frames = named; /* a function name alone is a symbolized frame */
	ck_assert(!tl_reports_unsymbolized(&r));
	st.nframes = 0; /* no frames: nothing to symbolize */
	ck_assert(!tl_reports_unsymbolized(&r));
	r.n = 0;
	ck_assert(!tl_reports_unsymbolized(&r));
	ck_assert(!tl_reports_unsymbolized(NULL));
}
END_TEST

/* ------------------------------------------------------------------ TSan details */

START_TEST(test_tsan_data_race_stacks)
{
	struct tl_reports r;
	char err[256];
	const struct tl_report *d;

	ck_assert_int_eq(parse_fixture("tsan/data-race.txt", &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 1);
	d = &r.v[0];
	ck_assert_uint_eq(d->nstacks, 4);
	ck_assert_ptr_nonnull(strstr(d->what, "Write of size 4 at 0x"));
	ck_assert_ptr_nonnull(strstr(d->stacks[0].title, "Write of size 4 at 0x"));
	ck_assert_ptr_nonnull(strstr(d->stacks[1].title, "Previous write of size 4"));
	ck_assert_ptr_nonnull(strstr(d->stacks[2].title, "created by main thread at"));
	ck_assert_uint_eq(d->stacks[0].nframes, 1);
	ck_assert_str_eq(d->stacks[0].frames[0].func, "worker");
	ck_assert_str_eq(d->stacks[0].frames[0].file,
	                 "/build/threadlab/tests/fixtures/probes/data_race.c");
	ck_assert_int_eq(d->stacks[0].frames[0].line, 13);
	/* "#0 pthread_create <null> (module+0x...)": no file, no line */
	ck_assert_uint_eq(d->stacks[2].nframes, 2);
	ck_assert_str_eq(d->stacks[2].frames[0].func, "pthread_create");
	ck_assert_ptr_null(d->stacks[2].frames[0].file);
	ck_assert_int_eq(d->stacks[2].frames[0].line, 0);
	ck_assert_int_eq(d->stacks[2].frames[1].line, 24);
	ck_assert_int_eq(d->stacks[3].frames[1].line, 23);
	tl_reports_free(&r);
}
END_TEST

START_TEST(test_tsan_frame_forms)
{
	struct tl_reports r;
	char err[256];
	const struct tl_frame *f;

	ck_assert_int_eq(parse_fixture("tsan/signal-unsafe.txt", &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_uint_eq(r.v[0].nstacks, 1);
	ck_assert_uint_eq(r.v[0].stacks[0].nframes, 4);
	/* A C++ signature with spaces, located in an object file. */
	f = &r.v[0].stacks[0].frames[2];
	ck_assert_str_eq(f->func,
	                 "__tsan::CallUserSignalHandler(__tsan::ThreadState*, bool, bool, int, "
	                 "__sanitizer::__sanitizer_siginfo*, void*)");
	ck_assert_str_eq(f->file, "tsan_interceptors_posix.cpp.o");
	ck_assert_int_eq(f->line, 0);
	/* "file:line" without a column */
	f = &r.v[2].stacks[0].frames[0];
	ck_assert_str_eq(f->func, "handler");
	ck_assert_int_eq(f->line, 13);
	/* the report has no description line: its what is the SUMMARY */
	ck_assert_ptr_nonnull(strstr(r.v[2].what, "signal handler spoils errno"));
	ck_assert_ptr_null(strstr(r.v[0].what, "BuildId"));
	tl_reports_free(&r);

	/* A crash: "==PID==" prefixed lines, libc frames with relative paths. */
	ck_assert_int_eq(parse_fixture("tsan/crash-segv.txt", &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.v[0].stacks[0].nframes, 4);
	ck_assert_str_eq(r.v[0].stacks[0].frames[2].file, "nptl/./nptl/pthread_create.c");
	ck_assert_int_eq(r.v[0].stacks[0].frames[2].line, 442);
	ck_assert_ptr_nonnull(strstr(r.v[0].what, "SEGV on unknown address"));
	tl_reports_free(&r);

	/* A stack without a title, then "and:" */
	ck_assert_int_eq(parse_fixture("tsan/destroy-locked.txt", &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.v[0].nstacks, 3);
	ck_assert_ptr_null(r.v[0].stacks[0].title);
	ck_assert_str_eq(r.v[0].stacks[1].title, "and");
	ck_assert_int_eq(r.v[0].stacks[1].frames[1].line, 12);
	ck_assert_str_eq(r.v[0].what, "destroy of a locked mutex in pthread_mutex_destroy");
	tl_reports_free(&r);
}
END_TEST

/* Concatenates fixtures (and literal text) into one exact-size buffer. */
static char *concat(size_t *len, const char *const *parts, size_t nparts)
{
	char *out = NULL;
	size_t n = 0;

	for (size_t i = 0; i < nparts; i++) {
		size_t pn;
		char *p;

		if (parts[i][0] == '=') { /* "=text": literal */
			p = strdup(parts[i] + 1);
			ck_assert_ptr_nonnull(p);
			pn = strlen(p);
		} else {
			p = load(parts[i], &pn);
		}
		out = realloc(out, n + pn + 1);
		ck_assert_ptr_nonnull(out);
		memcpy(out + n, p, pn);
		n += pn;
		free(p);
	}
	out = realloc(out, n ? n : 1);
	ck_assert_ptr_nonnull(out);
	*len = n;
	return out;
}

START_TEST(test_tsan_interleaved)
{
	static const char *const parts[] = {
	    "=program: starting\n", "tsan/data-race.txt",   "=program: half way\n",
	    "tsan/lock-order.txt",  "tsan/thread-leak.txt", "=program: done\n",
	};
	struct tl_reports r;
	char err[256];
	size_t len;
	char *text = concat(&len, parts, sizeof parts / sizeof parts[0]);

	ck_assert_int_eq(tl_parse_tsan(text, len, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_uint_eq(tl_reports_verdicts(&r), (1u << TL_V_DATA_RACE) |
	                                               (1u << TL_V_LOCK_ORDER) |
	                                               (1u << TL_V_THREAD_LEAK));
	tl_reports_free(&r);
	free(text);
}
END_TEST

START_TEST(test_tsan_fatal_keeps_reports)
{
	static const char *const parts[] = {"tsan/data-race.txt", "tsan/fatal-mapping.txt",
	                                    "tsan/lock-order.txt"};
	struct tl_reports r;
	char err[256];
	size_t len;
	char *text = concat(&len, parts, sizeof parts / sizeof parts[0]);

	ck_assert_int_eq(tl_parse_tsan(text, len, &r, err, sizeof err), -1);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.v[0].verdict, TL_V_DATA_RACE);
	ck_assert_ptr_nonnull(strstr(err, "FATAL: ThreadSanitizer"));
	ck_assert_ptr_nonnull(strstr(err, "1 reports kept"));
	tl_reports_free(&r);
	free(text);
}
END_TEST

START_TEST(test_tsan_crlf)
{
	struct tl_reports r;
	char err[256];
	size_t len, n = 0;
	char *text = load("tsan/lock-order.txt", &len);
	char *crlf = malloc(len * 2);

	ck_assert_ptr_nonnull(crlf);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			crlf[n++] = '\r';
		crlf[n++] = text[i];
	}
	ck_assert_int_eq(tl_parse_tsan(crlf, n, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.v[0].verdict, TL_V_LOCK_ORDER);
	ck_assert(tl_report_points_at(&r.v[0], "probes/lock_order.c", 13));
	ck_assert_str_eq(r.v[0].stacks[0].title,
	                 "Mutex M1 acquired here while holding mutex M0 in thread T1");
	tl_reports_free(&r);
	free(crlf);
	free(text);
}
END_TEST

START_TEST(test_tsan_bad_warning_lines)
{
	static const char *const bad[] = {
	    "WARNING: ThreadSanitizer:\n==================\n",
	    "WARNING: ThreadSanitizer: \n",
	    "WARNING: ThreadSanitizer: (pid=12)\n==================\n",
	};
	struct tl_reports r;
	char err[256];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(tl_parse_tsan(bad[i], strlen(bad[i]), &r, err, sizeof err), -1);
		ck_assert_ptr_nonnull(strstr(err, "without a kind"));
		ck_assert_uint_eq(r.n, 0);
		tl_reports_free(&r);
	}
	/* A report cut short by the next one: the first is lost, not the
	 * complete one before it. */
	static const char two[] =
	    "==================\nWARNING: ThreadSanitizer: data race (pid=1)\n"
	    "  Write of size 4 at 0x1 by thread T1:\n    #0 f a.c:1:2 (x+0x1)\n"
	    "==================\nWARNING: ThreadSanitizer: data race (pid=1)\n"
	    "    #0 f a.c:1:2 (x+0x1)\n"
	    "WARNING: ThreadSanitizer: thread leak (pid=1)\n==================\n";
	ck_assert_int_eq(tl_parse_tsan(two, strlen(two), &r, err, sizeof err), -1);
	ck_assert_uint_eq(r.n, 1);
	ck_assert(tl_report_points_at(&r.v[0], "a.c", 1));
	ck_assert_ptr_nonnull(strstr(err, "report 2 (\"data race\", line 6) is truncated"));
	tl_reports_free(&r);
	/* Empty input and no input */
	ck_assert_int_eq(tl_parse_tsan(NULL, 0, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_int_eq(tl_parse_tsan("x", 1, NULL, err, sizeof err), -1);
	ck_assert_int_eq(tl_parse_tsan(NULL, 5, &r, err, sizeof err), -1);
	/* A kind no rule knows is kept, unclassified. */
	static const char odd[] =
	    "WARNING: ThreadSanitizer: something new (pid=3)\n    #0 f b.c:7 (x+0x1)\n"
	    "==================\n";
	ck_assert_int_eq(tl_parse_tsan(odd, strlen(odd), &r, NULL, 0), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.v[0].verdict, TL_V_UNCLASSIFIED);
	ck_assert_str_eq(r.v[0].kind, "something new");
	ck_assert(tl_report_points_at(&r.v[0], "b.c", 7));
	tl_reports_free(&r);
}
END_TEST

/* Every prefix of a real report: the parser must neither crash nor read
 * past the prefix (the buffer is exactly that long), and must say so when
 * it cuts a report. */
START_TEST(test_tsan_every_prefix)
{
	size_t len;
	char *text = load("tsan/signal-unsafe.txt", &len);

	for (size_t cut = 0; cut <= len; cut++) {
		struct tl_reports r;
		char err[256];
		char *p = malloc(cut ? cut : 1);
		int rc;

		ck_assert_ptr_nonnull(p);
		memcpy(p, text, cut);
		rc = tl_parse_tsan(p, cut, &r, err, sizeof err);
		ck_assert(rc == 0 || rc == -1);
		ck_assert(r.n <= 3);
		if (rc < 0)
			ck_assert(err[0] != '\0');
		if (cut == len)
			ck_assert(rc == 0 && r.n == 3);
		tl_reports_free(&r);
		free(p);
	}
	free(text);
}
END_TEST

START_TEST(test_tsan_garbage)
{
	uint32_t x = 12345;
	char buf[4096];

	for (int round = 0; round < 200; round++) {
		struct tl_reports r;
		char err[64];

		/* Deterministic noise biased towards the characters the parser
		 * looks for. */
		for (size_t i = 0; i < sizeof buf; i++) {
			static const char alphabet[] =
			    "=\n #0123456789:()+xWARNING: ThreadSanitizer:.c/<null>";

			x = x * 1103515245u + 12345u;
			buf[i] = (x >> 16) % 7 == 0 ? (char)(x >> 8)
			                            : alphabet[(x >> 16) % (sizeof alphabet - 1)];
		}
		(void)tl_parse_tsan(buf, sizeof buf, &r, err, sizeof err);
		tl_reports_free(&r);
	}
}
END_TEST

/* ------------------------------------------------------------------ Valgrind details */

START_TEST(test_vg_stacks_and_titles)
{
	struct tl_reports r;
	char err[256];
	const struct tl_report *e;

	ck_assert_int_eq(parse_fixture("valgrind/helgrind-data-race.xml", &r, err, sizeof err), 0);
	e = &r.v[0];
	ck_assert_uint_eq(e->nstacks, 2);
	ck_assert_ptr_null(e->stacks[0].title);
	ck_assert_str_eq(e->stacks[1].title,
	                 "This conflicts with a previous write of size 4 by thread #2");
	ck_assert_str_eq(e->stacks[0].frames[0].func, "worker");
	ck_assert_str_eq(e->stacks[0].frames[0].file,
	                 "/build/threadlab/tests/fixtures/probes/data_race.c");
	ck_assert_int_eq(e->stacks[0].frames[0].line, 13);
	/* a frame Valgrind could only give an address for */
	ck_assert_ptr_null(e->stacks[0].frames[1].func);
	ck_assert_ptr_null(e->stacks[0].frames[1].file);
	ck_assert_int_eq(e->stacks[0].frames[1].line, 0);
	ck_assert_str_eq(e->stacks[0].frames[2].file, "./nptl/./nptl/pthread_create.c");
	tl_reports_free(&r);

	ck_assert_int_eq(parse_fixture("valgrind/helgrind-lock-order.xml", &r, err, sizeof err), 0);
	e = &r.v[0];
	ck_assert_uint_eq(e->nstacks, 5);
	ck_assert_str_eq(e->stacks[1].title,
	                 "Required order was established by acquisition of lock at 0x10C060");
	ck_assert_str_eq(e->stacks[2].title, "followed by a later acquisition of lock at 0x10C038");
	ck_assert_int_eq(tl_report_first_frame_in(e, "lock_order.c")->line, 26);
	ck_assert(tl_report_points_at(e, "probes/lock_order.c", 12));
	ck_assert(tl_report_points_at(e, "probes/lock_order.c", 13));
	tl_reports_free(&r);

	/* DRD's nested <first_observed_at> stack, and its <what> that must not
	 * replace the error's. */
	ck_assert_int_eq(parse_fixture("valgrind/drd-cond-reinit.xml", &r, err, sizeof err), 0);
	e = &r.v[0];
	ck_assert_uint_eq(e->nstacks, 2);
	ck_assert_str_eq(e->stacks[1].title, "cond first observed at");
	ck_assert_ptr_nonnull(strstr(e->what, "initialized twice"));
	ck_assert_str_eq(e->stacks[0].frames[0].func, "pthread_cond_init@*");
	ck_assert_int_eq(e->stacks[1].frames[1].line, 9);
	tl_reports_free(&r);

	/* xwhat text and what joined into one line */
	ck_assert_int_eq(
	    parse_fixture("valgrind/helgrind-relock-errorcheck.xml", &r, err, sizeof err), 0);
	ck_assert_str_eq(r.v[1].what,
	                 "Thread #1's call to pthread_mutex_lock failed with error code 35 "
	                 "(EDEADLK: Resource deadlock would occur)");
	ck_assert_str_eq(r.v[0].stacks[1].title, "Lock was previously acquired");
	tl_reports_free(&r);

	/* a leak's allocation stack through pthread_create */
	ck_assert_int_eq(parse_fixture("valgrind/memcheck-thread-leak.xml", &r, err, sizeof err),
	                 0);
	ck_assert_str_eq(r.v[0].stacks[0].frames[5].func, "pthread_create@@GLIBC_2.34");
	tl_reports_free(&r);
}
END_TEST

START_TEST(test_vg_bad_documents)
{
	static const char *const docs[] = {
	    "",
	    "<valgrindoutput></valgrindoutput>",
	    "<valgrindoutput>\n<protocolversion>4</protocolversion>\n<error>", /* cut */
	    "not xml at all",
	    "<valgrindoutput><protocolversion>4</protocolversion></valgrindoutput><extra/>",
	};
	struct tl_reports r;
	char err[256];

	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		ck_assert_int_eq(
		    tl_parse_valgrind_xml(docs[i], strlen(docs[i]), &r, err, sizeof err), -1);
		ck_assert_msg(strncmp(err, "valgrind xml: ", 14) == 0, "doc %zu: '%s'", i, err);
		ck_assert_uint_eq(r.n, 0);
		tl_reports_free(&r);
	}
	ck_assert_int_eq(tl_parse_valgrind_xml("x", 1, NULL, err, sizeof err), -1);
	/* the smallest valid document */
	static const char ok[] =
	    "<valgrindoutput><protocolversion>4</protocolversion>"
	    "<error><kind>Race</kind><what>w</what><stack><frame><fn>f</fn>"
	    "<file>a.c</file><line>3</line></frame></stack></error></valgrindoutput>";
	ck_assert_int_eq(tl_parse_valgrind_xml(ok, strlen(ok), &r, NULL, 0), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_str_eq(r.v[0].stacks[0].frames[0].file, "a.c"); /* no <dir>: as printed */
	ck_assert(tl_report_points_at(&r.v[0], "a.c", 3));
	tl_reports_free(&r);
}
END_TEST

/* Every prefix (in steps) of a real document: only the whole one parses. */
START_TEST(test_vg_every_prefix)
{
	size_t len;
	char *xml = load("valgrind/helgrind-lock-order.xml", &len);
	const char *end = "</valgrindoutput>";

	for (size_t cut = 0; cut <= len; cut += (cut + 13 < len ? 13 : 1)) {
		struct tl_reports r;
		char err[256];
		char *p = malloc(cut ? cut : 1);
		bool complete = false;
		int rc;

		ck_assert_ptr_nonnull(p);
		memcpy(p, xml, cut);
		for (size_t i = 0; i + strlen(end) <= cut; i++)
			if (memcmp(p + i, end, strlen(end)) == 0)
				complete = true;
		rc = tl_parse_valgrind_xml(p, cut, &r, err, sizeof err);
		ck_assert_msg(rc == (complete ? 0 : -1), "cut %zu: rc %d", cut, rc);
		ck_assert(r.n <= 1);
		if (rc < 0)
			ck_assert(err[0] != '\0');
		tl_reports_free(&r);
		free(p);
	}
	free(xml);
}
END_TEST

/* Real documents with one byte changed: any outcome but a crash, a leak or
 * an out-of-bounds read is fine. */
START_TEST(test_vg_mutations)
{
	static const char alphabet[] = "<>/&\"' =a1\n";
	size_t len;
	char *xml = load("valgrind/drd-unlock-foreign.xml", &len);
	uint32_t x = 777;

	for (int round = 0; round < 300; round++) {
		struct tl_reports r;
		char err[128];
		char *p = malloc(len);
		size_t at;

		ck_assert_ptr_nonnull(p);
		memcpy(p, xml, len);
		x = x * 1103515245u + 12345u;
		at = (x >> 8) % len;
		x = x * 1103515245u + 12345u;
		p[at] = (x >> 16) % 5 == 0 ? '\0' : alphabet[(x >> 16) % (sizeof alphabet - 1)];
		if (tl_parse_valgrind_xml(p, len, &r, err, sizeof err) < 0)
			ck_assert(err[0] != '\0');
		ck_assert(r.n <= 3);
		tl_reports_free(&r);
		free(p);
	}
	free(xml);
}
END_TEST

/* ------------------------------------------------------------------ matching */

START_TEST(test_suffix_matching)
{
	struct tl_frame frames[] = {
	    {NULL, "/work/main/labs/race/counter/broken.c", 10},
	    {NULL, "labs/race/counter/broken.c", 11},
	    {NULL, "xlabs/race/counter/broken.c", 12},
	    {NULL, "../labs/race/counter/broken.c", 13},
	    {NULL, "./labs/race/counter/broken.c", 14},
	    {NULL, "/build/tsan/../labs/race/counter/broken.c", 15},
	    {NULL, NULL, 16},
	};
	struct tl_stack st = {NULL, NULL, 1};
	struct tl_report rep = {TL_V_DATA_RACE, NULL, NULL, &st, 1};
	const char *s = "labs/race/counter/broken.c";

	/* one frame at a time: which paths a suffix matches */
	for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
		bool want = i != 2 && i != 6;

		st.frames = &frames[i];
		ck_assert_msg(tl_report_points_at(&rep, s, frames[i].line) == want, "frame %zu", i);
		ck_assert_msg((tl_report_first_frame_in(&rep, s) != NULL) == want, "frame %zu", i);
		ck_assert(!tl_report_points_at(&rep, s, frames[i].line + 1));
	}
	st.frames = &frames[0];
	ck_assert(tl_report_points_at(&rep, "./labs/race/counter/broken.c", 10));
	ck_assert(tl_report_points_at(&rep, "../labs/race/counter/broken.c", 10));
	ck_assert(tl_report_points_at(&rep, "broken.c", 10));
	ck_assert(tl_report_points_at(&rep, "/work/main/labs/race/counter/broken.c", 10));
	ck_assert(tl_report_points_at(&rep, "race//counter/broken.c", 10));
	ck_assert(!tl_report_points_at(&rep, "roken.c", 10));
	ck_assert(!tl_report_points_at(&rep, "counter", 10));
	ck_assert(!tl_report_points_at(&rep, "", 10));
	ck_assert(!tl_report_points_at(&rep, NULL, 10));
	ck_assert(!tl_report_points_at(&rep, "other/labs/race/counter/broken.c", 10));
	st.frames = &frames[5]; /* "/build/tsan/../labs/...": ".." cancels "tsan" */
	ck_assert(tl_report_points_at(&rep, "build/labs/race/counter/broken.c", 15));
	ck_assert(!tl_report_points_at(&rep, "tsan/labs/race/counter/broken.c", 15));
	ck_assert(!tl_report_points_at(NULL, s, 1));
	ck_assert_ptr_null(tl_report_first_frame_in(NULL, s));
}
END_TEST

START_TEST(test_points_at_first_frame_per_stack)
{
	struct tl_frame a[] = {
	    {"lib", "/usr/lib/lib.c", 5}, {"f", "src/x.c", 10}, {"g", "src/x.c", 20}};
	struct tl_frame b[] = {{"h", "src/x.c", 30}};
	struct tl_stack st[] = {{"first", a, 3}, {"second", b, 1}};
	struct tl_report rep = {TL_V_DATA_RACE, NULL, NULL, st, 2};

	ck_assert(tl_report_points_at(&rep, "x.c", 10));
	ck_assert(!tl_report_points_at(&rep, "x.c", 20)); /* not the first in its stack */
	ck_assert(tl_report_points_at(&rep, "x.c", 30));
	ck_assert(tl_report_points_at(&rep, "lib.c", 5));
	ck_assert_ptr_eq(tl_report_first_frame_in(&rep, "src/x.c"), &a[1]);
	ck_assert_ptr_eq(tl_report_first_frame_in(&rep, "lib/lib.c"), &a[0]);
	ck_assert_ptr_null(tl_report_first_frame_in(&rep, "y.c"));
	st[0].nframes = 1;
	ck_assert_ptr_eq(tl_report_first_frame_in(&rep, "x.c"), &b[0]);
}
END_TEST

START_TEST(test_relative_fixture_paths)
{
	struct tl_reports r;
	char err[256];

	/* "./../probes/lock_order.c" as a build with -fdebug-prefix-map prints */
	ck_assert_int_eq(parse_fixture("tsan/lock-order-relpath.txt", &r, err, sizeof err), 0);
	ck_assert_str_eq(tl_report_first_frame_in(&r.v[0], "probes/lock_order.c")->file,
	                 "./../probes/lock_order.c");
	ck_assert_ptr_null(tl_report_first_frame_in(&r.v[0], "fixtures/probes/lock_order.c"));
	tl_reports_free(&r);
	ck_assert_int_eq(parse_fixture("tsan/lock-order.txt", &r, err, sizeof err), 0);
	ck_assert_ptr_nonnull(
	    tl_report_first_frame_in(&r.v[0], "tests/fixtures/probes/lock_order.c"));
	tl_reports_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ names */

START_TEST(test_verdict_names)
{
	static const char *const words[TL_V_COUNT] = {
	    "clean",          "wrong-result", "deadlock",      "livelock",     "timeout",
	    "thread-leak",    "data-race",    "lock-order",    "double-lock",  "bad-unlock",
	    "destroy-locked", "cond-misuse",  "signal-unsafe", "mutex-misuse", "memory-leak",
	    "memory-error",   "crash",        "unclassified",
	};
	char buf[512];

	for (int v = 0; v < TL_V_COUNT; v++) {
		ck_assert_str_eq(tl_verdict_name((enum tl_verdict)v), words[v]);
		ck_assert_int_eq(tl_verdict_from_name(words[v]), v);
	}
	ck_assert_int_eq(tl_verdict_from_name("Clean"), -1);
	ck_assert_int_eq(tl_verdict_from_name("data_race"), -1);
	ck_assert_int_eq(tl_verdict_from_name(""), -1);
	ck_assert_int_eq(tl_verdict_from_name(NULL), -1);
	ck_assert_str_eq(tl_verdict_name(TL_V_COUNT), "invalid");

	tl_verdict_set_format(0, buf, sizeof buf);
	ck_assert_str_eq(buf, "clean");
	tl_verdict_set_format(1u << TL_V_DATA_RACE, buf, sizeof buf);
	ck_assert_str_eq(buf, "data-race");
	tl_verdict_set_format((1u << TL_V_LOCK_ORDER) | (1u << TL_V_DATA_RACE) | (1u << TL_V_CRASH),
	                      buf, sizeof buf);
	ck_assert_str_eq(buf, "data-race lock-order crash");
	tl_verdict_set_format((1u << TL_V_COUNT) - 1, buf, sizeof buf);
	ck_assert_str_eq(
	    buf, "clean wrong-result deadlock livelock timeout thread-leak data-race lock-order "
	         "double-lock bad-unlock destroy-locked cond-misuse signal-unsafe mutex-misuse "
	         "memory-leak memory-error crash unclassified");
	/* truncation stays inside the buffer and NUL-terminated */
	memset(buf, 'x', sizeof buf);
	tl_verdict_set_format((1u << TL_V_DATA_RACE) | (1u << TL_V_LOCK_ORDER), buf, 8);
	ck_assert_str_eq(buf, "data-ra");
	ck_assert_int_eq(buf[8], 'x');
	tl_verdict_set_format(1u << TL_V_DATA_RACE, buf, 0); /* must not write */
	ck_assert_int_eq(buf[0], 'd');
	tl_verdict_set_format(1u << TL_V_DATA_RACE, NULL, 10);
}
END_TEST

START_TEST(test_free_twice)
{
	struct tl_reports r;
	char err[256];

	ck_assert_int_eq(parse_fixture("valgrind/drd-unlock-foreign.xml", &r, err, sizeof err), 0);
	tl_reports_free(&r);
	tl_reports_free(&r);
	tl_reports_free(NULL);
	ck_assert_uint_eq(tl_reports_verdicts(NULL), 0);
}
END_TEST

static Suite *verdict_suite(void)
{
	Suite *s = suite_create("tl_verdict");
	TCase *tc = tcase_create("fixtures");

	tcase_add_loop_test(tc, test_fixture, 0, (int)NCASES);
	tcase_add_loop_test(tc, test_fixture_symbolized, 0, (int)NCASES);
	tcase_add_test(tc, test_unsymbolized_frames);
	suite_add_tcase(s, tc);

	tc = tcase_create("tsan");
	tcase_add_test(tc, test_tsan_data_race_stacks);
	tcase_add_test(tc, test_tsan_frame_forms);
	tcase_add_test(tc, test_tsan_interleaved);
	tcase_add_test(tc, test_tsan_fatal_keeps_reports);
	tcase_add_test(tc, test_tsan_crlf);
	tcase_add_test(tc, test_tsan_bad_warning_lines);
	tcase_add_test(tc, test_tsan_every_prefix);
	tcase_add_test(tc, test_tsan_garbage);
	suite_add_tcase(s, tc);

	tc = tcase_create("valgrind");
	tcase_add_test(tc, test_vg_stacks_and_titles);
	tcase_add_test(tc, test_vg_bad_documents);
	tcase_add_test(tc, test_vg_every_prefix);
	tcase_add_test(tc, test_vg_mutations);
	suite_add_tcase(s, tc);

	tc = tcase_create("matching");
	tcase_add_test(tc, test_suffix_matching);
	tcase_add_test(tc, test_points_at_first_frame_per_stack);
	tcase_add_test(tc, test_relative_fixture_paths);
	tcase_add_test(tc, test_verdict_names);
	tcase_add_test(tc, test_free_twice);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(verdict_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
