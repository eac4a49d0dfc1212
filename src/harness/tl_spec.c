/* tl_spec — parse a lab's header comment and its @anchor marks. */
#include "config.h"

#include "tl_spec.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
	const char *p, *end;
	int line;
};

/* Next line without its newline; false at the end. */
static bool next_line(struct cursor *c, const char **s, size_t *n)
{
	if (c->p >= c->end)
		return false;
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	*s = c->p;
	*n = nl ? (size_t)(nl - c->p) : (size_t)(c->end - c->p);
	c->p = nl ? nl + 1 : c->end;
	c->line++;
	return true;
}

static int fail(char *err, size_t errlen, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int line, const char *fmt, ...)
{
	int n = snprintf(err, errlen, "%d: ", line);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	/* Messages quote the source: a control character in it must not
	 * reach the terminal (one clear line). */
	for (char *p = err; errlen && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

static void trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s))
		(*s)++, (*n)--;
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* Appends one header line to a lesson or note, joined by a space; false
 * (and dst unchanged) when it would not fit: a cut lesson reads as a
 * finished one, so the parser refuses it instead. */
static bool append_text(char *dst, size_t cap, const char *s, size_t n)
{
	size_t len = strlen(dst);
	size_t sep = len ? 1 : 0;
	if (len + sep + n >= cap)
		return false;
	if (sep)
		dst[len++] = ' ';
	memcpy(dst + len, s, n);
	dst[len + n] = '\0';
	return true;
}

static bool is_anchor_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_';
}

static int find_anchor(const struct tl_spec *spec, const char *name, size_t n)
{
	for (size_t i = 0; i < spec->nanchors; i++)
		if (strlen(spec->anchors[i].name) == n &&
		    memcmp(spec->anchors[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

/* "@name" marks inside comments on lines after the header define anchors. */
static int scan_anchors(struct cursor c, struct tl_spec *spec, char *err, size_t errlen)
{
	const char *s;
	size_t n;
	while (next_line(&c, &s, &n)) {
		const char *end = s + n;
		const char *com = NULL;
		for (const char *q = s; q + 1 < end; q++)
			if (q[0] == '/' && q[1] == '*') {
				com = q + 2;
				break;
			}
		if (!com)
			continue;
		for (const char *q = com; q < end; q++) {
			if (*q != '@' || (q > com && is_anchor_char(q[-1])))
				continue;
			const char *name = q + 1;
			size_t len = 0;
			while (name + len < end && is_anchor_char(name[len]))
				len++;
			if (len == 0)
				continue;
			if (len >= sizeof spec->anchors[0].name)
				return fail(err, errlen, c.line, "anchor name too long");
			if (find_anchor(spec, name, len) >= 0)
				return fail(err, errlen, c.line, "anchor @%.*s defined twice",
				            (int)len, name);
			if (spec->nanchors == TL_SPEC_MAX_ANCHORS)
				return fail(err, errlen, c.line, "more than %d anchors",
				            TL_SPEC_MAX_ANCHORS);
			struct tl_anchor *a = &spec->anchors[spec->nanchors++];
			memcpy(a->name, name, len);
			a->name[len] = '\0';
			a->line = c.line;
			q = name + len - 1;
		}
	}
	return 0;
}

struct pending_use {
	enum tl_tool tool;
	enum tl_verdict verdict;
	char name[48];
	int line;
};

/* Anchor uses seen in expect lines, resolved once every mark is known. */
struct pending {
	struct pending_use v[(size_t)TL_SPEC_MAX_USES * TL_TOOL_COUNT];
	size_t n;
};

/* "TOOL" before the colon of an expect line: its index, or -1 after fail(). */
static int expect_tool(const char *s, const char *colon, int line, char *tool, size_t toolsz,
                       char *err, size_t errlen)
{
	const char *t = s;
	size_t tn = (size_t)(colon - s);
	trim(&t, &tn);
	if (tn == 0 || tn >= toolsz)
		return fail(err, errlen, line, "expect line has no tool name");
	memcpy(tool, t, tn);
	tool[tn] = '\0';
	int ti = tl_tool_from_name(tool);
	if (ti < 0) {
		char tools[128];
		tl_tool_list(tools, sizeof tools);
		return fail(err, errlen, line, "unknown tool '%s' (%s)", tool, tools);
	}
	return ti;
}

/* "@name" after verdict `last` on tool ti's expect line. */
static int add_anchor_use(const char *w, size_t wn, int last, int ti, int line,
                          struct tl_expectation *e, struct pending *pend, char *err, size_t errlen)
{
	if (last < 0)
		return fail(err, errlen, line, "anchor %.*s before any verdict", (int)wn, w);
	if (last == TL_V_CLEAN)
		return fail(err, errlen, line, "'clean' takes no anchor");
	if (tl_tool(ti)->format == NULL)
		return fail(err, errlen, line,
		            "expect %s: takes no anchor (only detectors point at lines)",
		            tl_tool_name(ti));
	if (wn - 1 >= sizeof pend->v[0].name || wn == 1)
		return fail(err, errlen, line, "bad anchor '%.*s'", (int)wn, w);
	if (pend->n == sizeof pend->v / sizeof pend->v[0] || e->nuses == TL_SPEC_MAX_USES)
		return fail(err, errlen, line, "too many anchors");
	struct pending_use *u = &pend->v[pend->n++];
	u->tool = (enum tl_tool)ti;
	u->verdict = (enum tl_verdict)last;
	memcpy(u->name, w + 1, wn - 1);
	u->name[wn - 1] = '\0';
	u->line = line;
	e->nuses++; /* filled in once anchors are known */
	return 0;
}

/* A verdict word of an expect line: its value, or -1 after fail(). */
static int add_verdict(const char *w, size_t wn, int line, struct tl_expectation *e, char *err,
                       size_t errlen)
{
	char word[32];
	if (wn >= sizeof word)
		return fail(err, errlen, line, "unknown verdict '%.*s'", (int)wn, w);
	memcpy(word, w, wn);
	word[wn] = '\0';
	int v = tl_verdict_from_name(word);
	if (v < 0 || v == TL_V_UNCLASSIFIED)
		return fail(err, errlen, line, "unknown verdict '%s'", word);
	if (e->verdicts & (1u << v))
		return fail(err, errlen, line, "verdict '%s' given twice", word);
	e->verdicts |= 1u << v;
	return v;
}

/* s[0..n) follows "expect": "TOOL: VERDICT [@anchor...] ...". */
static int parse_expect(const char *s, size_t n, int line, struct tl_spec *spec,
                        struct pending *pend, enum tl_tool *tool_out, char *err, size_t errlen)
{
	const char *colon = memchr(s, ':', n);
	if (!colon)
		return fail(err, errlen, line, "expect line needs 'TOOL:'");
	char tool[16];
	int ti = expect_tool(s, colon, line, tool, sizeof tool, err, errlen);
	if (ti < 0)
		return -1;
	struct tl_expectation *e = &spec->expect[ti];
	if (e->present)
		return fail(err, errlen, line, "second expect line for %s", tool);
	e->present = true;
	e->line = line;
	*tool_out = (enum tl_tool)ti;

	const char *p = colon + 1, *end = s + n;
	int last = -1;
	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		const char *w = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		size_t wn = (size_t)(p - w);
		if (wn == 0)
			break;
		if (w[0] == '@') {
			if (add_anchor_use(w, wn, last, ti, line, e, pend, err, errlen))
				return -1;
		} else if ((last = add_verdict(w, wn, line, e, err, errlen)) < 0) {
			return -1;
		}
	}
	if (last < 0)
		return fail(err, errlen, line, "expect %s: names no verdict", tool);
	if ((e->verdicts & (1u << TL_V_CLEAN)) && e->verdicts != (1u << TL_V_CLEAN))
		return fail(err, errlen, line, "'clean' cannot be combined with other verdicts");
	return 0;
}

/* The next blank-separated word of [*p, end): *w and *wn; false at the end. */
static bool next_word(const char **p, const char *end, const char **w, size_t *wn)
{
	while (*p < end && isspace((unsigned char)**p))
		(*p)++;
	*w = *p;
	while (*p < end && !isspace((unsigned char)**p))
		(*p)++;
	*wn = (size_t)(*p - *w);
	return *wn > 0;
}

static bool word_is(const char *w, size_t wn, const char *lit)
{
	return wn == strlen(lit) && memcmp(w, lit, wn) == 0;
}

/* "OP GOAL" of a bench line into *g; what names the figure in messages. */
static int bench_goal(const char **p, const char *end, const char *what, int line,
                      struct tl_bench_goal *g, char *err, size_t errlen)
{
	const char *w;
	size_t wn;
	if (!next_word(p, end, &w, &wn) || !(word_is(w, wn, ">=") || word_is(w, wn, "<=")))
		return fail(err, errlen, line,
		            "bench: %s needs '>=' or '<=' then a goal, not '%.*s'", what, (int)wn,
		            w);
	g->at_most = w[0] == '<';
	if (!next_word(p, end, &w, &wn) || wn >= sizeof g->text)
		return fail(err, errlen, line, "bench: %s has no goal after '%s'", what,
		            g->at_most ? "<=" : ">=");
	memcpy(g->text, w, wn);
	g->text[wn] = '\0';
	char *stop;
	g->value = strtod(g->text, &stop);
	if (*stop || stop == g->text || !isfinite(g->value) || g->value <= 0)
		return fail(err, errlen, line, "bench: %s goal '%s' is not a positive number", what,
		            g->text);
	return 0;
}

/* s[0..n) follows "bench:": "ratio OP GOAL ARGS..." or
 * "speedup broken OP GOAL fixed OP GOAL ARGS...". */
static int parse_bench(const char *s, size_t n, int line, struct tl_spec *spec, char *err,
                       size_t errlen)
{
	if (spec->nbench == TL_SPEC_MAX_BENCH)
		return fail(err, errlen, line, "more than %d bench lines", TL_SPEC_MAX_BENCH);
	struct tl_bench *b = &spec->bench[spec->nbench];
	memset(b, 0, sizeof *b);
	b->line = line;
	const char *p = s, *end = s + n, *w;
	size_t wn;
	next_word(&p, end, &w, &wn);
	if (word_is(w, wn, "ratio")) {
		b->kind = TL_BENCH_RATIO;
		if (bench_goal(&p, end, "ratio", line, &b->goal[0], err, errlen))
			return -1;
	} else if (word_is(w, wn, "speedup")) {
		b->kind = TL_BENCH_SPEEDUP;
		static const char *const variant[2] = {"broken", "fixed"};
		for (int i = 0; i < 2; i++) {
			if (!next_word(&p, end, &w, &wn) || !word_is(w, wn, variant[i]))
				return fail(err, errlen, line,
				            "bench: want 'speedup broken OP GOAL fixed OP GOAL', "
				            "not '%.*s' for '%s'",
				            (int)wn, w, variant[i]);
			if (bench_goal(&p, end, variant[i], line, &b->goal[i], err, errlen))
				return -1;
		}
	} else {
		return fail(err, errlen, line, "bench: want 'ratio' or 'speedup', not '%.*s'",
		            (int)wn, w);
	}
	while (next_word(&p, end, &w, &wn)) {
		if (b->nargs == TL_BENCH_MAX_ARGS)
			return fail(err, errlen, line, "bench: more than %d arguments",
			            TL_BENCH_MAX_ARGS);
		if (wn >= sizeof b->args[0])
			return fail(err, errlen, line, "bench: argument '%.*s' too long", (int)wn,
			            w);
		/* The speedup's two runs differ only in the --threads it adds. */
		if (b->kind == TL_BENCH_SPEEDUP &&
		    (word_is(w, wn, "--threads") || (wn > 10 && !memcmp(w, "--threads=", 10))))
			return fail(err, errlen, line,
			            "bench: speedup sets --threads itself (1, then 2)");
		memcpy(b->args[b->nargs], w, wn);
		b->args[b->nargs++][wn] = '\0';
	}
	spec->nbench++;
	return 0;
}

static bool is_bench_line(const char *s, size_t n)
{
	return n >= 6 && memcmp(s, "bench:", 6) == 0;
}

/* "bench ratio ...": a bench line without its colon, refused rather than
 * taken for the lesson's prose. */
static bool is_malformed_bench_line(const char *s, size_t n)
{
	const char *p = s, *end = s + n, *w;
	size_t wn;
	return next_word(&p, end, &w, &wn) && word_is(w, wn, "bench") &&
	       next_word(&p, end, &w, &wn) &&
	       (word_is(w, wn, "ratio") || word_is(w, wn, "speedup") || word_is(w, wn, ":"));
}

/* One line of the header comment: *s and *n become its text, without the
 * comment's leading '*' and the blanks around it, and *closes is set if the
 * comment ends on it.  Returns the text's column (tabs to the next multiple
 * of 8): a note's continuation lines are indented under it. */
static int header_text(const char **s, size_t *n, bool *closes)
{
	const char *line = *s;
	for (size_t i = 0; i + 1 < *n; i++)
		if ((*s)[i] == '*' && (*s)[i + 1] == '/') {
			*n = i;
			*closes = true;
			break;
		}
	trim(s, n);
	if (*n && (*s)[0] == '*' && !(*n > 1 && (*s)[1] == '/'))
		(*s)++, (*n)--;
	trim(s, n);
	int col = 0;
	for (const char *q = line; q < *s; q++)
		col = *q == '\t' ? (col / 8 + 1) * 8 : col + 1;
	return col;
}

/* "miss:", "false alarm:" or "note:": a note on the expect line above. */
static bool is_note_line(const char *s, size_t n)
{
	return (n > 5 && memcmp(s, "miss:", 5) == 0) ||
	       (n > 12 && memcmp(s, "false alarm:", 12) == 0) ||
	       (n > 5 && memcmp(s, "note:", 5) == 0);
}

/* The first line, "/ * category/name — variant": the title. */
static int parse_title(struct cursor *c, struct tl_spec *spec, char *err, size_t errlen)
{
	const char *s;
	size_t n;
	if (!next_line(c, &s, &n))
		return fail(err, errlen, 1, "empty file");
	trim(&s, &n);
	if (n < 2 || s[0] != '/' || s[1] != '*')
		return fail(err, errlen, 1,
		            "a lab starts with its header comment '/* category/name — variant'");
	s += 2, n -= 2;
	trim(&s, &n);
	if (n == 0 || n >= sizeof spec->title)
		return fail(err, errlen, 1, "header comment needs a title line");
	memcpy(spec->title, s, n);
	spec->title[n] = '\0';
	return 0;
}

/* One line of the header comment, its " * " taken off: an expect line, a
 * note on the one before, or the lesson's prose.  *last_tool is the tool of
 * the latest expect line (-1 before the first). */
static int header_line(const char *s, size_t n, int line, struct tl_spec *spec,
                       struct pending *pend, int *last_tool, char *err, size_t errlen)
{
	if (n > 7 && memcmp(s, "expect", 6) == 0 && isspace((unsigned char)s[6])) {
		if (spec->nbench)
			return fail(err, errlen, line,
			            "expect line after a bench line: bench lines "
			            "come after every expect line");
		enum tl_tool t = TL_TOOL_RUN;
		if (parse_expect(s + 6, n - 6, line, spec, pend, &t, err, errlen))
			return -1;
		*last_tool = (int)t;
	} else if (is_bench_line(s, n)) {
		if (*last_tool < 0)
			return fail(err, errlen, line,
			            "bench line before the expect lines: it comes "
			            "after them");
		if (parse_bench(s + 6, n - 6, line, spec, err, errlen))
			return -1;
	} else if (is_malformed_bench_line(s, n)) {
		return fail(err, errlen, line,
		            "malformed bench line (want 'bench: ratio|speedup ...')");
	} else if (is_note_line(s, n)) {
		if (*last_tool < 0 || spec->nbench) {
			const char *colon = memchr(s, ':', n);
			return fail(err, errlen, line, "'%.*s' must follow an expect line",
			            (int)(colon ? colon - s + 1 : 1), s);
		}
		struct tl_expectation *e = &spec->expect[*last_tool];
		if (!append_text(e->note, sizeof e->note, s, n))
			return fail(err, errlen, line, "note too long (over %zu characters)",
			            sizeof e->note - 1);
	} else if (n >= 6 && memcmp(s, "expect", 6) == 0) {
		return fail(err, errlen, line,
		            "malformed expect line (want 'expect TOOL: VERDICT...')");
	} else if (*last_tool >= 0 && spec->expect[*last_tool].note[0]) {
		return fail(err, errlen, line,
		            "text after a note: indent it under the note to continue it");
	} else {
		if (!append_text(spec->lesson, sizeof spec->lesson, s, n))
			return fail(err, errlen, line, "lesson too long (over %zu characters)",
			            sizeof spec->lesson - 1);
	}
	return 0;
}

/* Every anchor use of the expect lines, now that every mark is known. */
static int resolve_uses(struct tl_spec *spec, const struct pending *pend, char *err, size_t errlen)
{
	size_t fill[TL_TOOL_COUNT] = {0};
	for (size_t i = 0; i < pend->n; i++) {
		const struct pending_use *u = &pend->v[i];
		int a = find_anchor(spec, u->name, strlen(u->name));
		if (a < 0)
			return fail(err, errlen, u->line, "anchor @%s is not marked in the file",
			            u->name);
		struct tl_expectation *e = &spec->expect[u->tool];
		e->uses[fill[u->tool]++] = (struct tl_anchor_use){u->verdict, a};
	}
	return 0;
}

int tl_spec_parse(const char *src, size_t len, struct tl_spec *spec, char *err, size_t errlen)
{
	memset(spec, 0, sizeof *spec);
	if (errlen)
		err[0] = '\0';
	/* Every string the header gives would end at a NUL byte, silently
	 * cutting a title or note and turning a bench argument into "". */
	const char *nul = len ? memchr(src, '\0', len) : NULL;
	if (nul) {
		int line = 1;
		for (const char *q = src; q < nul; q++)
			line += *q == '\n';
		return fail(err, errlen, line, "NUL byte in the source");
	}
	struct cursor c = {src, src + len, 0};
	if (parse_title(&c, spec, err, errlen))
		return -1;
	struct pending pend = {.n = 0};
	int last_tool = -1;
	int note_col = -1; /* column of the note that an indented line continues; -1: none */
	bool closed = false;
	const char *s;
	size_t n;
	while (!closed && next_line(&c, &s, &n)) {
		int col = header_text(&s, &n, &closed);
		if (n == 0) {
			note_col = -1; /* a blank line ends a note */
			continue;
		}
		bool note = is_note_line(s, n);
		bool keyword =
		    note || is_bench_line(s, n) || (n >= 6 && memcmp(s, "expect", 6) == 0);
		if (note_col >= 0 && col > note_col && !keyword) {
			/* A long note wrapped onto lines indented under it. */
			struct tl_expectation *e = &spec->expect[last_tool];
			if (!append_text(e->note, sizeof e->note, s, n))
				return fail(err, errlen, c.line,
				            "note too long (over %zu characters)",
				            sizeof e->note - 1);
			continue;
		}
		note_col = note ? col : -1;
		if (header_line(s, n, c.line, spec, &pend, &last_tool, err, errlen))
			return -1;
	}
	if (!closed)
		return fail(err, errlen, c.line, "header comment is not closed");
	if (last_tool < 0)
		return fail(err, errlen, c.line, "header has no 'expect TOOL: VERDICT' line");
	if (scan_anchors(c, spec, err, errlen))
		return -1;
	return resolve_uses(spec, &pend, err, errlen);
}
