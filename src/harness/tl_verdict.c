/* tl_verdict — the verdict words, and what a parsed report says about a
 * lab's source: which verdicts, and whether a report points at a line.
 *
 * The parsers that turn what a detector printed into reports are
 * report_tsan.c (ThreadSanitizer text) and report_valgrind.c (Valgrind XML);
 * report_common.c builds and frees the reports.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tl_verdict.h"

#include <stdio.h>
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

bool tl_reports_unsymbolized(const struct tl_reports *r)
{
	bool any_frame = false;

	if (r == NULL)
		return false;
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < r->v[i].nstacks; j++)
			for (size_t k = 0; k < r->v[i].stacks[j].nframes; k++) {
				const struct tl_frame *f = &r->v[i].stacks[j].frames[k];

				if (f->func != NULL || f->file != NULL)
					return false;
				any_frame = true;
			}
	return any_frame;
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
