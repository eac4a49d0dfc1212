/* runner_matrix — every program under every tool its header names, as a
 * detector matrix in the manner of DataRaceBench: per tool the true and
 * false positives and negatives, precision, recall, F1, whether reports
 * point at the anchored line, and the time each tool takes.
 *
 * What is a bug comes from the headers alone: a broken program has one
 * (unless it is a perf lab's, with bench: lines: correct, only slow), a
 * fixed program or a demo has none, and a probe has one unless every report
 * expected of it is marked `false alarm:` (a probe whose tools are all
 * silent and which documents no `miss:` is a control).  A detector's
 * positive is any report it made; a crash or a hang under it is not one.
 *
 * Verdicts measured by make check (each .lab test's log ends with a
 * "measured:" line) are taken over when the log is newer than the program
 * and its source; the rest are run here. */
#include "config.h"

#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"

enum cls { CLS_NONE, CLS_TP, CLS_FN, CLS_FP, CLS_TN, CLS_COUNT };
static const char *const cls_names[CLS_COUNT] = {"-", "TP", "FN", "FP", "TN"};

enum source { SRC_NONE, SRC_LOG, SRC_RUN, SRC_ERROR };

struct cell {
	bool present; /* the header expects something of this tool */
	enum source source;
	struct measure m;
	bool agrees; /* measured as the header expects (check's PASS) */
	char error[256];
};

struct program {
	const struct lab *lab;
	int variant;
	struct tl_spec spec;
	char rel[PATH_MAX];
	bool buggy;
	struct cell cell[TL_TOOL_COUNT];
	int pending; /* cells still to run */
};

struct matrix {
	struct program *p;
	size_t n;
	bool tools[TL_TOOL_COUNT];
	size_t reused, ran, errors;
	/* the cells to run: (program, tool) */
	size_t *todo_prog;
	int *todo_tool;
	size_t ntodo;
	size_t programs_left;
	bool progress_tty;
};

/* ---------------------------------------------------------- classifying */

static const tl_verdict_set NOT_A_REPORT =
    (1u << TL_V_CLEAN) | (1u << TL_V_CRASH) | (1u << TL_V_TIMEOUT);

static bool is_detector(int t)
{
	return tl_tool((enum tl_tool)t)->format != NULL;
}

/* A detector's positive is a report; the native run's, any outcome but
 * clean (the program's own check or the watchdog caught something). */
static bool positive_for(int t, tl_verdict_set s)
{
	if (!is_detector(t))
		return (s & ~(1u << TL_V_CLEAN)) != 0;
	return (s & ~NOT_A_REPORT) != 0;
}

/* The text of the note's `kind` ("miss:" or "false alarm:") up to the next
 * note, or NULL. */
static const char *note_part(const char *note, const char *kind, int *len)
{
	const char *p = strstr(note, kind);
	if (!p)
		return NULL;
	p += strlen(kind);
	p += strspn(p, " ");
	const char *end = p + strlen(p);
	static const char *const kinds[] = {" miss: ", " false alarm: ", " note: "};
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		const char *q = strstr(p, kinds[k]);
		if (q && q < end)
			end = q;
	}
	*len = (int)(end - p);
	return p;
}

static bool has_note(const struct tl_expectation *e, const char *kind)
{
	int len;
	return note_part(e->note, kind, &len) != NULL;
}

/* Whether the program has a bug, from its header (see the top). */
static bool program_buggy(int variant, const struct tl_spec *spec)
{
	const char *v = lab_variant_names[variant];
	/* A performance pitfall's broken program (it has bench: lines) is
	 * correct, only slow: no detector should find anything in it. */
	if (!strcmp(v, "broken"))
		return spec->nbench == 0;
	if (strcmp(v, "probe"))
		return false;
	for (int t = 0; t < TL_TOOL_COUNT; t++) {
		const struct tl_expectation *e = &spec->expect[t];
		if (!e->present || !is_detector(t))
			continue;
		if (has_note(e, "miss:"))
			return true;
		if (positive_for(t, e->verdicts) && !has_note(e, "false alarm:"))
			return true;
	}
	return false;
}

static enum cls classify(int t, bool buggy, tl_verdict_set got)
{
	if (buggy)
		return positive_for(t, got) ? CLS_TP : CLS_FN;
	return positive_for(t, got) ? CLS_FP : CLS_TN;
}

/* ---------------------------------------------------------- totals */

struct totals {
	size_t c[CLS_COUNT];
	size_t anchored, at_line; /* measured TPs with anchors; those whose anchors all hit */
	size_t timed;
	double wall_sum, wall_max;
	double tool_ms, native_ms; /* over programs measured both natively and under the tool */
};

static double ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : -1;
}

static double precision(const struct totals *t)
{
	return ratio(t->c[CLS_TP], t->c[CLS_TP] + t->c[CLS_FP]);
}

static double recall(const struct totals *t)
{
	return ratio(t->c[CLS_TP], t->c[CLS_TP] + t->c[CLS_FN]);
}

static double f1(const struct totals *t)
{
	return ratio(2 * t->c[CLS_TP], 2 * t->c[CLS_TP] + t->c[CLS_FP] + t->c[CLS_FN]);
}

static bool measured(const struct cell *c)
{
	return c->source == SRC_LOG || c->source == SRC_RUN;
}

/* A tool's totals: from the headers (expected) or from the runs. */
static void tool_totals(const struct matrix *mx, int t, bool expected, struct totals *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < mx->n; i++) {
		const struct program *p = &mx->p[i];
		const struct cell *c = &p->cell[t];
		if (!c->present || (!expected && !measured(c)))
			continue;
		tl_verdict_set s = expected ? p->spec.expect[t].verdicts : c->m.got;
		enum cls k = classify(t, p->buggy, s);
		out->c[k]++;
		if (expected)
			continue;
		if (k == CLS_TP && c->m.anchors) {
			out->anchored++;
			out->at_line += c->m.anchors_hit == c->m.anchors;
		}
		out->timed++;
		out->wall_sum += c->m.wall_ms;
		if (c->m.wall_ms > out->wall_max)
			out->wall_max = c->m.wall_ms;
		const struct cell *native = &p->cell[TL_TOOL_RUN];
		if (native->present && measured(native)) {
			out->tool_ms += c->m.wall_ms;
			out->native_ms += native->m.wall_ms;
		}
	}
}

/* Whether any detector (expected: is expected to) report on p; false with
 * *any = false when no detector looks at it at all. */
static bool any_detector(const struct matrix *mx, const struct program *p, bool expected,
                         bool *looked)
{
	bool hit = false;
	*looked = false;
	for (int t = 0; t < TL_TOOL_COUNT; t++) {
		const struct cell *c = &p->cell[t];
		if (!mx->tools[t] || !is_detector(t) || !c->present || (!expected && !measured(c)))
			continue;
		*looked = true;
		hit |= positive_for(t, expected ? p->spec.expect[t].verdicts : c->m.got);
	}
	return hit;
}

static void union_totals(const struct matrix *mx, bool expected, struct totals *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < mx->n; i++) {
		bool looked, hit = any_detector(mx, &mx->p[i], expected, &looked);
		if (looked)
			out->c[classify(TL_TOOL_TSAN, mx->p[i].buggy, hit ? ~NOT_A_REPORT : 0)]++;
	}
}

/* A buggy program that no detector reports: caught by its own check or the
 * watchdog (the native run's verdict is not clean), or by nothing. */
static bool run_only(const struct matrix *mx, const struct program *p, bool expected, bool *caught)
{
	bool looked;
	const struct cell *native = &p->cell[TL_TOOL_RUN];
	*caught = false;
	if (!p->buggy || any_detector(mx, p, expected, &looked))
		return false;
	if (native->present && (expected || measured(native))) {
		tl_verdict_set s = expected ? p->spec.expect[TL_TOOL_RUN].verdicts : native->m.got;
		*caught = s != (1u << TL_V_CLEAN);
	}
	return true;
}

/* ---------------------------------------------------------- measuring */

static double mtime_of(const char *path)
{
	struct stat st;
	if (stat(path, &st))
		return -1;
	return (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
}

/* The cell's verdicts from make check's log, when that is newer than the
 * program and its source. */
static bool reuse_log(const struct program *p, int t, struct measure *m)
{
	char log[PATH_MAX + 128], bin[PATH_MAX + 128], src[PATH_MAX + 128];
	const char *v = lab_variant_names[p->variant];
	snprintf(log, sizeof log, "%s/labs/%s/%s.%s.log", runner_builddir(), p->lab->id, v,
	         tl_tool_name((enum tl_tool)t));
	snprintf(bin, sizeof bin, "%s/labs/%s/%s%s", runner_builddir(), p->lab->id, v,
	         tl_tool((enum tl_tool)t)->binary_suffix);
	snprintf(src, sizeof src, "%s/%s", runner_srcdir(), p->rel);
	/* This runner judged the log's run: a harness rebuilt since may judge
	 * it differently. */
	double lt = mtime_of(log), bt = mtime_of(bin), st = mtime_of(src),
	       rt = mtime_of("/proc/self/exe");
	if (lt < 0 || bt < 0 || st < 0 || lt <= bt || lt <= st || lt <= rt)
		return false;
	tl_buf b = {0};
	bool ok = tl_buf_read_file(&b, log) == 0 && b.data && measure_parse(b.data, m) == 0;
	tl_buf_free(&b);
	return ok;
}

static void run_cell(size_t i, void *arg)
{
	struct matrix *mx = arg;
	struct program *p = &mx->p[mx->todo_prog[i]];
	int t = mx->todo_tool[i];
	struct cell *c = &p->cell[t];
	char why[256];
	if (!tl_tool_available((enum tl_tool)t, why, sizeof why)) {
		c->source = SRC_ERROR;
		snprintf(c->error, sizeof c->error, "skipped: %s", why);
		return;
	}
	struct outcome o;
	lab_execute(p->lab, p->variant, (enum tl_tool)t, false, NULL, &o);
	if (o.error) {
		c->source = SRC_ERROR;
		snprintf(c->error, sizeof c->error, "%s", o.msg);
	} else {
		tl_buf dummy = {0};
		outcome_measure(&p->spec, (enum tl_tool)t, p->rel, &o, &c->m);
		c->agrees = outcome_matches(&p->spec, (enum tl_tool)t, p->rel, &o, &dummy);
		tl_buf_free(&dummy);
		c->source = SRC_RUN;
	}
	outcome_free(&o);
}

/* One line on stderr per program done (a pipe), or a counter (a terminal). */
static void program_line(const struct matrix *mx, const struct program *p)
{
	fprintf(stderr, "matrix: %-28s %-6s", p->lab->id, lab_variant_names[p->variant]);
	for (int t = 0; t < TL_TOOL_COUNT; t++) {
		const struct cell *c = &p->cell[t];
		if (!c->present || !mx->tools[t])
			continue;
		char got[128] = "error";
		if (measured(c))
			tl_verdict_set_format(c->m.got, got, sizeof got);
		fprintf(stderr, "  %s: %s%s", tl_tool_name((enum tl_tool)t), got,
		        measured(c) && !c->agrees ? " (NOT as expected)" : "");
	}
	fputc('\n', stderr);
}

static void cell_done(size_t i, size_t done, void *arg)
{
	struct matrix *mx = arg;
	struct program *p = &mx->p[mx->todo_prog[i]];
	if (--p->pending == 0) {
		mx->programs_left--;
		if (!mx->progress_tty)
			program_line(mx, p);
	}
	if (mx->progress_tty) {
		fprintf(stderr, "\r\033[K[%zu/%zu] %zu programs to go, last: %s %s %s", done,
		        mx->ntodo, mx->programs_left, p->lab->id, lab_variant_names[p->variant],
		        tl_tool_name((enum tl_tool)mx->todo_tool[i]));
		fflush(stderr);
	}
}

/* Fills every cell: from a log, or by running it (rerun: always). */
static void matrix_measure(struct matrix *mx, bool rerun, int jobs)
{
	size_t cap = 0;
	for (size_t i = 0; i < mx->n; i++)
		for (int t = 0; t < TL_TOOL_COUNT; t++)
			cap += mx->p[i].cell[t].present;
	mx->todo_prog = calloc(cap ? cap : 1, sizeof *mx->todo_prog);
	mx->todo_tool = calloc(cap ? cap : 1, sizeof *mx->todo_tool);
	for (size_t i = 0; i < mx->n; i++) {
		struct program *p = &mx->p[i];
		for (int t = 0; t < TL_TOOL_COUNT; t++) {
			struct cell *c = &p->cell[t];
			if (!c->present)
				continue;
			if (!rerun && reuse_log(p, t, &c->m)) {
				c->source = SRC_LOG;
				c->agrees = true;
				/* the log's own verdict decides: compare as check did */
				tl_verdict_set want = p->spec.expect[t].verdicts;
				tl_verdict_set got = c->m.got;
				if (want == (1u << TL_V_CLEAN))
					want = 0;
				if (got == (1u << TL_V_CLEAN))
					got = 0;
				c->agrees = want == got && c->m.anchors_hit == c->m.anchors;
				mx->reused++;
				continue;
			}
			mx->todo_prog[mx->ntodo] = i;
			mx->todo_tool[mx->ntodo++] = t;
			p->pending++;
		}
		if (p->pending)
			mx->programs_left++;
	}
	mx->progress_tty = isatty(STDERR_FILENO);
	runner_jobs_run(mx->ntodo, jobs, run_cell, cell_done, mx);
	if (mx->progress_tty && mx->ntodo)
		fputs("\r\033[K", stderr);
	for (size_t k = 0; k < mx->ntodo; k++) {
		const struct cell *c = &mx->p[mx->todo_prog[k]].cell[mx->todo_tool[k]];
		if (c->source == SRC_RUN)
			mx->ran++;
		else
			mx->errors++;
	}
}

/* ---------------------------------------------------------- output */

static void fmt_ratio(char *buf, size_t len, double r)
{
	if (r < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", r);
}

static void expected_words(const struct program *p, int t, char *buf, size_t len)
{
	expectation_format(&p->spec, (enum tl_tool)t, buf, len);
}

/* The tool's name in a table's first column. */
static const char *row_name(int t)
{
	if (t == TL_TOOL_COUNT)
		return "any detector";
	if (!is_detector(t))
		return "run (own check, watchdog)";
	return tl_tool_name((enum tl_tool)t);
}

static const char *source_sentence(const struct matrix *mx)
{
	static char s[256];
	snprintf(s, sizeof s,
	         "%zu verdicts taken from make check's logs (newer than the programs), %zu run "
	         "now, %zu not measured",
	         mx->reused, mx->ran, mx->errors);
	return s;
}

/* "[race/counter broken](../labs/race/counter/broken.c#L4)" */
static void md_program_link(FILE *f, const struct program *p, int line)
{
	fprintf(f, "[%s %s](../%s#L%d)", p->lab->id, lab_variant_names[p->variant], p->rel, line);
}

static void md_expected(const struct matrix *mx, FILE *f)
{
	fputs("## Expected, from the lab headers\n\n"
	      "A broken program has a bug (a perf lab's, with `bench:` lines, is only slow); a "
	      "fixed\n"
	      "program or a demo has none; a probe has one unless each report expected of it is\n"
	      "marked `false alarm:`.  A tool's positive is\n"
	      "any report it makes (a crash or a hang under it is not one).\n\n"
	      "| tool | programs | TP | FN | FP | TN | precision | recall | F1 |\n"
	      "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
	      f);
	for (int t = 0; t < TL_TOOL_COUNT + 1; t++) {
		struct totals tt;
		const char *name = row_name(t);
		if (t == TL_TOOL_COUNT)
			union_totals(mx, true, &tt);
		else if (mx->tools[t])
			tool_totals(mx, t, true, &tt);
		else
			continue;
		char pr[16], rc[16], fs[16];
		fmt_ratio(pr, sizeof pr, precision(&tt));
		fmt_ratio(rc, sizeof rc, recall(&tt));
		fmt_ratio(fs, sizeof fs, f1(&tt));
		size_t all = tt.c[CLS_TP] + tt.c[CLS_FN] + tt.c[CLS_FP] + tt.c[CLS_TN];
		fprintf(f, "| %s | %zu | %zu | %zu | %zu | %zu | %s | %s | %s |\n", name, all,
		        tt.c[CLS_TP], tt.c[CLS_FN], tt.c[CLS_FP], tt.c[CLS_TN], pr, rc, fs);
	}
	fputs("\n### Bugs only the program's own check or the watchdog catches\n\n", f);
	size_t none = 0;
	for (size_t i = 0; i < mx->n; i++) {
		bool caught;
		const struct program *p = &mx->p[i];
		if (!run_only(mx, p, true, &caught))
			continue;
		if (!caught) {
			none++;
			continue;
		}
		char w[128];
		expected_words(p, TL_TOOL_RUN, w, sizeof w);
		fputs("- ", f);
		md_program_link(f, p, p->spec.expect[TL_TOOL_RUN].line);
		fprintf(f, ": run says %s\n", w);
	}
	fprintf(f, "\n%zu buggy program%s caught by nothing at all%s\n", none, none == 1 ? "" : "s",
	        none ? ":" : ".");
	for (size_t i = 0; i < mx->n; i++) {
		bool caught;
		const struct program *p = &mx->p[i];
		if (run_only(mx, p, true, &caught) && !caught) {
			fputs("- ", f);
			md_program_link(f, p, 1);
			fputc('\n', f);
		}
	}
	const char *heads[2] = {"False negatives, and why (the `miss:` lines)",
	                        "False positives, and why (the `false alarm:` lines)"};
	for (int k = 0; k < 2; k++) {
		fprintf(f, "\n### %s\n\n", heads[k]);
		for (int t = 0; t < TL_TOOL_COUNT; t++) {
			if (!mx->tools[t] || !is_detector(t))
				continue;
			for (size_t i = 0; i < mx->n; i++) {
				const struct program *p = &mx->p[i];
				const struct tl_expectation *e = &p->spec.expect[t];
				if (!p->cell[t].present ||
				    classify(t, p->buggy, e->verdicts) != (k ? CLS_FP : CLS_FN))
					continue;
				int len;
				const char *why =
				    note_part(e->note, k ? "false alarm:" : "miss:", &len);
				fprintf(f, "- %s: ", tl_tool_name((enum tl_tool)t));
				md_program_link(f, p, e->line);
				if (why)
					fprintf(f, " — %.*s\n", len, why);
				else
					fprintf(f, " — **undocumented** (no `%s` line)\n",
					        k ? "false alarm:" : "miss:");
			}
		}
	}
	fputc('\n', f);
}

/* "data-race @1/1" as expected, or "expected clean, got data-race". */
static void cell_text(const struct program *p, int t, char *buf, size_t len)
{
	const struct cell *c = &p->cell[t];
	if (!c->present) {
		buf[0] = '\0';
		return;
	}
	if (!measured(c)) {
		snprintf(buf, len, "not measured");
		return;
	}
	char got[128], want[256];
	tl_verdict_set_format(c->m.got, got, sizeof got);
	expected_words(p, t, want, sizeof want);
	size_t off;
	if (c->agrees)
		off = (size_t)snprintf(buf, len, "%s", got);
	else
		off = (size_t)snprintf(buf, len, "**%s ≠ expected %s**", got, want);
	if (c->m.anchors && off < len)
		snprintf(buf + off, len - off, " @%d/%d", c->m.anchors_hit, c->m.anchors);
}

static void md_measured(const struct matrix *mx, FILE *f)
{
	fprintf(f,
	        "## Measured\n\n"
	        "Verdicts: %s.  Times are wall seconds on a shared machine (ratios in one run); "
	        "slowdown is a tool's time over the native run's, summed over the programs "
	        "measured both ways.  hit@line: of the true positives whose expectation "
	        "names anchors, the share where reports pointed at every one.\n\n"
	        "| tool | programs | TP | FN | FP | TN | precision | recall | F1 | hit@line | "
	        "mean s | max s | slowdown |\n"
	        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
	        source_sentence(mx));
	for (int t = 0; t < TL_TOOL_COUNT + 1; t++) {
		struct totals tt;
		const char *name = row_name(t);
		if (t == TL_TOOL_COUNT)
			union_totals(mx, false, &tt);
		else if (mx->tools[t])
			tool_totals(mx, t, false, &tt);
		else
			continue;
		char pr[16], rc[16], fs[16], hit[32] = "-", mean[16] = "-", max[16] = "-",
		                             slow[16] = "-";
		fmt_ratio(pr, sizeof pr, precision(&tt));
		fmt_ratio(rc, sizeof rc, recall(&tt));
		fmt_ratio(fs, sizeof fs, f1(&tt));
		if (tt.anchored)
			snprintf(hit, sizeof hit, "%.2f (%zu/%zu)", ratio(tt.at_line, tt.anchored),
			         tt.at_line, tt.anchored);
		if (tt.timed) {
			snprintf(mean, sizeof mean, "%.2f", tt.wall_sum / (double)tt.timed / 1000);
			snprintf(max, sizeof max, "%.2f", tt.wall_max / 1000);
		}
		if (tt.native_ms > 0 && t < TL_TOOL_COUNT)
			snprintf(slow, sizeof slow, "%.1f×", tt.tool_ms / tt.native_ms);
		size_t all = tt.c[CLS_TP] + tt.c[CLS_FN] + tt.c[CLS_FP] + tt.c[CLS_TN];
		fprintf(f,
		        "| %s | %zu | %zu | %zu | %zu | %zu | %s | %s | %s | %s | %s | %s | %s |\n",
		        name, all, tt.c[CLS_TP], tt.c[CLS_FN], tt.c[CLS_FP], tt.c[CLS_TN], pr, rc,
		        fs, hit, mean, max, slow);
	}
	fputs("\n### Bugs only the program's own check or the watchdog caught\n\n", f);
	size_t only = 0;
	for (size_t i = 0; i < mx->n; i++) {
		bool caught;
		const struct program *p = &mx->p[i];
		if (run_only(mx, p, false, &caught) && caught) {
			char got[128];
			tl_verdict_set_format(p->cell[TL_TOOL_RUN].m.got, got, sizeof got);
			fprintf(f, "- %s %s: %s\n", p->lab->id, lab_variant_names[p->variant], got);
			only++;
		}
	}
	if (!only)
		fputs("None.\n", f);
	fputs("\n### Per program\n\n"
	      "Each cell: what the tool said, in bold with the header's expectation where they\n"
	      "differ; @h/n: reports pointed at h of the expectation's n anchored lines.\n\n"
	      "| program | bug |",
	      f);
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		if (mx->tools[t])
			fprintf(f, " %s |", tl_tool_name((enum tl_tool)t));
	fputs("\n|---|---|", f);
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		if (mx->tools[t])
			fputs("---|", f);
	fputc('\n', f);
	for (size_t i = 0; i < mx->n; i++) {
		const struct program *p = &mx->p[i];
		fprintf(f, "| %s %s | %s |", p->lab->id, lab_variant_names[p->variant],
		        p->buggy ? "yes" : "no");
		for (int t = 0; t < TL_TOOL_COUNT; t++) {
			if (!mx->tools[t])
				continue;
			char text[256];
			cell_text(p, t, text, sizeof text);
			fprintf(f, " %s |", text);
		}
		fputc('\n', f);
	}
}

static void print_md(const struct matrix *mx, bool expected_only, FILE *f)
{
	if (!expected_only)
		fputs("# The detector matrix\n\n"
		      "Every lab program under every tool its header names, written by `make "
		      "matrix`\n(`threadlab matrix --format md`).  The first part follows from the "
		      "headers alone\n(tests/matrix.sh compares it with `threadlab matrix "
		      "--expected`); "
		      "the second is\nwhat the tools printed.\n\n",
		      f);
	md_expected(mx, f);
	if (!expected_only)
		md_measured(mx, f);
}

static void csv_field(FILE *f, const char *s, bool last)
{
	if (strpbrk(s, ",\"\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static void print_csv(const struct matrix *mx, bool expected_only, FILE *f)
{
	fputs("lab,variant,tool,bug,expected,expected_class,note", f);
	fputs(expected_only ? "\n"
	                    : ",measured,measured_class,agrees,anchors_hit,anchors,"
	                      "wall_ms,source\n",
	      f);
	for (size_t i = 0; i < mx->n; i++) {
		const struct program *p = &mx->p[i];
		for (int t = 0; t < TL_TOOL_COUNT; t++) {
			const struct cell *c = &p->cell[t];
			if (!c->present || !mx->tools[t])
				continue;
			char want[256], got[128] = "";
			expected_words(p, t, want, sizeof want);
			csv_field(f, p->lab->id, false);
			csv_field(f, lab_variant_names[p->variant], false);
			csv_field(f, tl_tool_name((enum tl_tool)t), false);
			csv_field(f, p->buggy ? "yes" : "no", false);
			csv_field(f, want, false);
			csv_field(f, cls_names[classify(t, p->buggy, p->spec.expect[t].verdicts)],
			          false);
			csv_field(f, p->spec.expect[t].note, expected_only);
			if (expected_only)
				continue;
			if (measured(c))
				tl_verdict_set_format(c->m.got, got, sizeof got);
			csv_field(f, got, false);
			csv_field(f, measured(c) ? cls_names[classify(t, p->buggy, c->m.got)] : "-",
			          false);
			fprintf(f, "%s,%d,%d,%.1f,", measured(c) ? (c->agrees ? "yes" : "no") : "",
			        c->m.anchors_hit, c->m.anchors, c->m.wall_ms);
			csv_field(f,
			          c->source == SRC_LOG   ? "log"
			          : c->source == SRC_RUN ? "run"
			                                 : c->error,
			          true);
		}
	}
}

static json_object *json_ratio(double r)
{
	return r < 0 ? NULL : json_object_new_double(r);
}

/* TP, FN, FP, TN and the ratios; measured totals of one tool add hit@line
 * and times. */
static json_object *json_totals(const struct totals *tt, bool with_times)
{
	json_object *o = json_object_new_object();
	for (int k = CLS_TP; k < CLS_COUNT; k++)
		json_object_object_add(o, cls_names[k], json_object_new_int64((int64_t)tt->c[k]));
	json_object_object_add(o, "precision", json_ratio(precision(tt)));
	json_object_object_add(o, "recall", json_ratio(recall(tt)));
	json_object_object_add(o, "f1", json_ratio(f1(tt)));
	if (!with_times)
		return o;
	json_object_object_add(o, "hit_at_line", json_ratio(ratio(tt->at_line, tt->anchored)));
	json_object_object_add(o, "hits_anchored", json_object_new_int64((int64_t)tt->anchored));
	json_object_object_add(o, "hits_at_line", json_object_new_int64((int64_t)tt->at_line));
	json_object_object_add(
	    o, "mean_s",
	    tt->timed ? json_object_new_double(tt->wall_sum / (double)tt->timed / 1000) : NULL);
	json_object_object_add(o, "max_s",
	                       tt->timed ? json_object_new_double(tt->wall_max / 1000) : NULL);
	json_object_object_add(
	    o, "slowdown",
	    tt->native_ms > 0 ? json_object_new_double(tt->tool_ms / tt->native_ms) : NULL);
	return o;
}

static json_object *json_string_or_null(const char *s, int len)
{
	return s ? json_object_new_string_len(s, len) : NULL;
}

static void print_json(const struct matrix *mx, bool expected_only, FILE *f)
{
	json_object *root = json_object_new_object();
	json_object_object_add(root, "generator", json_object_new_string("threadlab matrix"));
	json_object_object_add(root, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(root, "measured", json_object_new_boolean(!expected_only));
	if (!expected_only) {
		json_object *src = json_object_new_object();
		json_object_object_add(src, "from_logs",
		                       json_object_new_int64((int64_t)mx->reused));
		json_object_object_add(src, "run", json_object_new_int64((int64_t)mx->ran));
		json_object_object_add(src, "not_measured",
		                       json_object_new_int64((int64_t)mx->errors));
		json_object_object_add(root, "verdicts", src);
	}
	json_object *tools = json_object_new_array();
	for (int t = 0; t < TL_TOOL_COUNT + 1; t++) {
		struct totals te, tm;
		bool is_union = t == TL_TOOL_COUNT;
		if (is_union) {
			union_totals(mx, true, &te);
			union_totals(mx, false, &tm);
		} else {
			if (!mx->tools[t])
				continue;
			tool_totals(mx, t, true, &te);
			tool_totals(mx, t, false, &tm);
		}
		bool det = is_union || is_detector(t);
		json_object *o = json_object_new_object();
		json_object_object_add(
		    o, "tool",
		    json_object_new_string(is_union ? "any" : tl_tool_name((enum tl_tool)t)));
		json_object_object_add(o, "detector", json_object_new_boolean(det));
		json_object_object_add(o, "expected", json_totals(&te, false));
		if (!expected_only)
			json_object_object_add(o, "measured", json_totals(&tm, !is_union));
		json_object_array_add(tools, o);
	}
	json_object_object_add(root, "tools", tools);
	json_object *progs = json_object_new_array();
	for (size_t i = 0; i < mx->n; i++) {
		const struct program *p = &mx->p[i];
		json_object *po = json_object_new_object();
		json_object_object_add(po, "lab", json_object_new_string(p->lab->id));
		json_object_object_add(po, "variant",
		                       json_object_new_string(lab_variant_names[p->variant]));
		json_object_object_add(po, "source", json_object_new_string(p->rel));
		json_object_object_add(po, "bug", json_object_new_boolean(p->buggy));
		bool caught;
		bool only = run_only(mx, p, expected_only, &caught);
		json_object_object_add(po, "only_run_catches",
		                       json_object_new_boolean(only && caught));
		json_object *cells = json_object_new_array();
		for (int t = 0; t < TL_TOOL_COUNT; t++) {
			const struct cell *c = &p->cell[t];
			if (!c->present || !mx->tools[t])
				continue;
			const struct tl_expectation *e = &p->spec.expect[t];
			json_object *co = json_object_new_object();
			char want[256], got[128];
			expected_words(p, t, want, sizeof want);
			json_object_object_add(
			    co, "tool", json_object_new_string(tl_tool_name((enum tl_tool)t)));
			json_object_object_add(co, "expected", json_object_new_string(want));
			json_object_object_add(co, "line", json_object_new_int(e->line));
			json_object_object_add(
			    co, "expected_class",
			    json_object_new_string(cls_names[classify(t, p->buggy, e->verdicts)]));
			int len;
			const char *miss = note_part(e->note, "miss:", &len);
			json_object_object_add(co, "miss", json_string_or_null(miss, len));
			const char *fa = note_part(e->note, "false alarm:", &len);
			json_object_object_add(co, "false_alarm", json_string_or_null(fa, len));
			if (!expected_only) {
				bool ok = measured(c);
				if (ok)
					tl_verdict_set_format(c->m.got, got, sizeof got);
				json_object_object_add(co, "measured",
				                       ok ? json_object_new_string(got) : NULL);
				json_object_object_add(
				    co, "measured_class",
				    ok ? json_object_new_string(
				             cls_names[classify(t, p->buggy, c->m.got)])
				       : NULL);
				json_object_object_add(
				    co, "agrees", ok ? json_object_new_boolean(c->agrees) : NULL);
				json_object_object_add(co, "anchors",
				                       json_object_new_int(c->m.anchors));
				json_object_object_add(co, "anchors_hit",
				                       json_object_new_int(c->m.anchors_hit));
				json_object_object_add(
				    co, "wall_s",
				    ok ? json_object_new_double(c->m.wall_ms / 1000) : NULL);
				json_object_object_add(
				    co, "from",
				    json_object_new_string(c->source == SRC_LOG   ? "log"
				                           : c->source == SRC_RUN ? "run"
				                                                  : "none"));
				if (!ok)
					json_object_object_add(co, "error",
					                       json_object_new_string(c->error));
			}
			json_object_array_add(cells, co);
		}
		json_object_object_add(po, "tools", cells);
		json_object_array_add(progs, po);
	}
	json_object_object_add(root, "programs", progs);
	fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
	fputc('\n', f);
	json_object_put(root);
}

/* ---------------------------------------------------------- the command */

enum { OPT_FORMAT = RUNNER_OPT_LONG, OPT_TOOLS, OPT_JOBS, OPT_RERUN, OPT_EXPECTED };

static const struct runner_option matrix_options[] = {
    {"format", OPT_FORMAT, "F", "md (the default), csv or json"},
    {"tools", OPT_TOOLS, "T,...", "only these tools (default: all)"},
    {"jobs", OPT_JOBS, "J", "run J programs at a time (default 1)"},
    {"rerun", OPT_RERUN, NULL, "run everything, even what make check's logs hold"},
    {"expected", OPT_EXPECTED, NULL, "only what the headers expect: run nothing"},
    {0},
};

static int parse_tools(const char *list, bool *tools)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", list);
	memset(tools, 0, sizeof(bool) * TL_TOOL_COUNT);
	for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int t = tl_tool_from_name(w);
		if (t < 0) {
			char names[128];
			tl_tool_list(names, sizeof names);
			runner_error("matrix: unknown tool '%s' (%s)", w, names);
			return -1;
		}
		tools[t] = true;
	}
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		if (tools[t])
			return 0;
	runner_error("matrix: --tools names no tool");
	return -1;
}

/* The programs of the chosen labs, with the cells of the chosen tools. */
static int matrix_load(struct matrix *mx, const struct labs *labs, const bool *chosen)
{
	mx->p = calloc(labs->n * LAB_VARIANTS + 1, sizeof *mx->p);
	if (!mx->p) {
		runner_error("out of memory");
		return -1;
	}
	for (size_t i = 0; i < labs->n; i++) {
		for (int v = 0; chosen[i] && v < LAB_VARIANTS; v++) {
			if (!labs->v[i].has[v])
				continue;
			struct program *p = &mx->p[mx->n];
			char err[320];
			if (lab_spec(&labs->v[i], v, &p->spec, err, sizeof err)) {
				runner_error("%s", err);
				return -1;
			}
			p->lab = &labs->v[i];
			p->variant = v;
			lab_source_rel(p->lab, v, p->rel, sizeof p->rel);
			p->buggy = program_buggy(v, &p->spec);
			bool any = false;
			for (int t = 0; t < TL_TOOL_COUNT; t++) {
				p->cell[t].present = mx->tools[t] && p->spec.expect[t].present;
				any |= p->cell[t].present;
			}
			if (any)
				mx->n++;
		}
	}
	return 0;
}

static int cmd_matrix(int argc, char **argv)
{
	struct runner_args a;
	int key, jobs = 1;
	bool rerun = false, expected_only = false;
	const char *format = "md";
	struct matrix mx = {0};
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		mx.tools[t] = true;
	runner_args_start(&a, &runner_cmd_matrix, argc, argv);
	while ((key = runner_next_option(&a)) > 0) {
		if (key == OPT_FORMAT) {
			format = a.value;
			if (strcmp(format, "md") && strcmp(format, "csv") &&
			    strcmp(format, "json")) {
				runner_error("matrix: --format: '%s' is not md, csv or json",
				             format);
				return RUNNER_USAGE;
			}
		} else if (key == OPT_TOOLS) {
			if (parse_tools(a.value, mx.tools))
				return RUNNER_USAGE;
		} else if (key == OPT_JOBS) {
			if (runner_parse_jobs("matrix", a.value, &jobs))
				return RUNNER_USAGE;
		} else if (key == OPT_RERUN) {
			rerun = true;
		} else if (key == OPT_EXPECTED) {
			expected_only = true;
		}
	}
	if (key < 0)
		return a.status;
	if (rerun && expected_only) {
		runner_error("matrix: --rerun and --expected do not go together (--expected runs "
		             "nothing)");
		return RUNNER_USAGE;
	}
	struct labs labs;
	if (labs_load(&labs))
		return RUNNER_ERROR;
	int rc = RUNNER_USAGE;
	bool *chosen = labs_choose(&labs, a.pos, (size_t)a.npos);
	if (!chosen)
		goto out;
	rc = RUNNER_ERROR;
	if (matrix_load(&mx, &labs, chosen))
		goto out;
	if (!expected_only) {
		matrix_measure(&mx, rerun, jobs);
		fprintf(stderr, "matrix: %s\n", source_sentence(&mx));
	}
	if (!strcmp(format, "md"))
		print_md(&mx, expected_only, stdout);
	else if (!strcmp(format, "csv"))
		print_csv(&mx, expected_only, stdout);
	else
		print_json(&mx, expected_only, stdout);
	rc = RUNNER_OK;
out:
	free(chosen);
	free(mx.p);
	free(mx.todo_prog);
	free(mx.todo_tool);
	labs_free(&labs);
	return rc;
}

const struct runner_command runner_cmd_matrix = {
    "matrix",
    "[LAB|CATEGORY...] [--format F] [--tools T,...]",
    "every program under every tool: the detector matrix",
    0,
    -1,
    matrix_options,
    cmd_matrix,
    false,
};
