/* runner_try_weigh — the one verdict of `threadlab try`, weighed from what
 * the native run and each detector gave (see runner_try.h).
 *
 * The rules, in the order they decide:
 *   1. A hang seen natively (the program's own watchdog, or the hang
 *      analysis: deadlock, stuck, livelock) is the verdict: no detector
 *      reports a deadlock that really happens, so their silence weighs
 *      nothing against it.
 *   2. Reports are counted, except Helgrind's and DRD's of a kind TSan looks
 *      for too (races, lock order, unlock and destroy misuse) when TSan ran
 *      on the same program, did not confirm them, and the program itself
 *      showed nothing wrong: both model neither C11 atomics nor
 *      pthread_once nor a hand-over through a pipe, which TSan orders, so
 *      such reports are likely false alarms.  They are listed as discounted.
 *   3. Of the counted findings (and the native run's crash, wrong result,
 *      thread leak), the first in `rank` below is the class; its place is
 *      the one most tools point at.
 *   4. Confidence: high when two sources agree (two tools, or a tool and the
 *      native run), medium for one; a clean verdict is high only when every
 *      detector ran.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner_try.h"

#define BIT(v) (1u << (v))

/* The kinds TSan looks for as well as Helgrind and DRD. */
static const tl_verdict_set tsan_also_sees = BIT(TL_V_DATA_RACE) | BIT(TL_V_LOCK_ORDER) |
                                             BIT(TL_V_BAD_UNLOCK) | BIT(TL_V_DESTROY_LOCKED) |
                                             BIT(TL_V_MUTEX_MISUSE);

/* Which finding is the verdict when there are several: the root cause
 * before its symptoms (a race before the wrong result it makes, a memory
 * error before the crash). */
static const enum tl_verdict rank[] = {
    TL_V_DATA_RACE,   TL_V_MEMORY_ERROR, TL_V_CRASH,          TL_V_SIGNAL_UNSAFE, TL_V_LOCK_ORDER,
    TL_V_DOUBLE_LOCK, TL_V_BAD_UNLOCK,   TL_V_DESTROY_LOCKED, TL_V_MUTEX_MISUSE,  TL_V_COND_MISUSE,
    TL_V_THREAD_LEAK, TL_V_WRONG_RESULT, TL_V_MEMORY_LEAK,    TL_V_TIMEOUT,       TL_V_UNCLASSIFIED,
};

static const enum tl_tool detectors[] = {TL_TOOL_TSAN, TL_TOOL_HELGRIND, TL_TOOL_DRD,
                                         TL_TOOL_MEMCHECK};
#define NDETECTORS (sizeof detectors / sizeof detectors[0])

static bool ran(const struct try_tool *t)
{
	return t->state == TRY_RAN;
}

/* Whether a Helgrind or DRD report r is counted (rule 2). */
static bool counted(const struct try_native *n, const struct try_tool tools[TL_TOOL_COUNT],
                    enum tl_tool tool, const struct try_report *r)
{
	if (tool != TL_TOOL_HELGRIND && tool != TL_TOOL_DRD)
		return true;
	if (!(BIT(r->verdict) & tsan_also_sees))
		return true;
	const struct try_tool *tsan = &tools[TL_TOOL_TSAN];
	if (!ran(tsan) || tsan->hung || (tsan->got & BIT(r->verdict)))
		return true;
	/* The program's own run went wrong: the report may explain it. */
	return n->exit_verdict != TL_V_CLEAN || n->term_signal || n->hang[0] == 'd' ||
	       n->hang[0] == 's' || n->hang[0] == 'l';
}

static void __attribute__((format(printf, 3, 4)))
appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t off = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	if (off < len)
		vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
}

/* The discounted reports, and why, into v->discounted. */
static void list_discounted(const struct try_native *n, const struct try_tool tools[TL_TOOL_COUNT],
                            struct try_verdict *v)
{
	for (size_t d = 0; d < NDETECTORS; d++) {
		const struct try_tool *t = &tools[detectors[d]];
		for (size_t i = 0; ran(t) && i < t->nreports; i++) {
			const struct try_report *r = &t->reports[i];
			if (counted(n, tools, detectors[d], r))
				continue;
			const char *base =
			    strrchr(r->file, '/') ? strrchr(r->file, '/') + 1 : r->file;
			appendf(v->discounted, sizeof v->discounted, "%s%s %s",
			        v->discounted[0] ? "; " : "", tl_tool(detectors[d])->title,
			        tl_verdict_name(r->verdict));
			if (r->line)
				appendf(v->discounted, sizeof v->discounted, " at %s:%d", base,
				        r->line);
			if (r->hint[0])
				appendf(v->discounted, sizeof v->discounted, " (on %s)", r->hint);
		}
	}
	if (v->discounted[0])
		appendf(
		    v->discounted, sizeof v->discounted,
		    ": likely false alarms: TSan looks for the same, and models what Helgrind "
		    "and DRD do not (C11 atomics, pthread_once, a hand-over through a pipe); it "
		    "saw nothing there, and the program ran clean");
}

/* A source of findings: a detector, or the signal-handler pass (tool
 * TL_TOOL_COUNT: always counted). */
struct source {
	const struct try_tool *t;
	enum tl_tool tool;
	const char *title;
};

static size_t sources(const struct try_tool tools[TL_TOOL_COUNT], const struct try_tool *sigpass,
                      struct source out[NDETECTORS + 1])
{
	size_t k = 0;
	for (size_t d = 0; d < NDETECTORS; d++)
		out[k++] = (struct source){&tools[detectors[d]], detectors[d],
		                           tl_tool(detectors[d])->title};
	if (sigpass)
		out[k++] = (struct source){sigpass, TL_TOOL_COUNT, "the signal-handler pass"};
	return k;
}

/* Where the finding of class c is: the place the most sources point at. */
static void place(const struct try_native *n, const struct try_tool tools[TL_TOOL_COUNT],
                  const struct try_tool *sigpass, enum tl_verdict c, struct try_verdict *v,
                  int *agree, char *names, size_t nameslen)
{
	struct source src[NDETECTORS + 1];
	size_t ns = sources(tools, sigpass, src);
	int best = 0;
	names[0] = '\0';
	for (size_t d = 0; d < ns; d++) {
		const struct try_tool *t = src[d].t;
		for (size_t i = 0; ran(t) && i < t->nreports; i++) {
			const struct try_report *r = &t->reports[i];
			if (r->verdict != c || !counted(n, tools, src[d].tool, r))
				continue;
			/* How many sources report c at this place. */
			int k = 0;
			for (size_t e = 0; e < ns; e++) {
				const struct try_tool *u = src[e].t;
				for (size_t j = 0; ran(u) && j < u->nreports; j++)
					if (u->reports[j].verdict == c &&
					    u->reports[j].line == r->line &&
					    !strcmp(u->reports[j].file, r->file) &&
					    counted(n, tools, src[e].tool, &u->reports[j])) {
						k++;
						break;
					}
			}
			/* A place in the program beats none. */
			if (k > best || (k == best && r->line && !v->line)) {
				best = k;
				snprintf(v->file, sizeof v->file, "%s", r->file);
				v->line = r->line;
				snprintf(v->text, sizeof v->text, "%s", r->text);
				v->seed = r->seed;
			}
		}
	}
	*agree = best;
	/* Which sources found c at all. */
	for (size_t d = 0; d < ns; d++) {
		const struct try_tool *t = src[d].t;
		bool found = false;
		for (size_t i = 0; ran(t) && i < t->nreports && !found; i++)
			found = t->reports[i].verdict == c &&
			        counted(n, tools, src[d].tool, &t->reports[i]);
		if (found) {
			size_t off = strlen(names);
			snprintf(names + off, nameslen - off, "%s%s", off ? ", " : "",
			         src[d].title);
		}
	}
}

static bool native_has(const struct try_native *n, enum tl_verdict c)
{
	if (!n->ran)
		return false;
	if (c == TL_V_CRASH)
		return n->term_signal != 0;
	if (c == TL_V_TIMEOUT)
		return n->timed_out;
	return n->exit_verdict == c;
}

static const char *native_words(enum tl_verdict c)
{
	switch (c) {
	case TL_V_CRASH:
		return "the program crashed";
	case TL_V_WRONG_RESULT:
		return "the program's own check failed (exit 3)";
	case TL_V_THREAD_LEAK:
		return "the program found threads it leaked (exit 6)";
	case TL_V_TIMEOUT:
		return "the program did not end within the time limit";
	default:
		return "the native run agrees";
	}
}

/* Rule 1: the native run hung. */
static bool native_hang(const struct try_native *n, const struct try_tool tools[TL_TOOL_COUNT],
                        struct try_verdict *v)
{
	const char *cls = NULL;
	if (!strcmp(n->hang, "deadlock") || !strcmp(n->hang, "stuck") ||
	    !strcmp(n->hang, "livelock"))
		cls = n->hang;
	else if (n->exit_verdict == TL_V_DEADLOCK || n->exit_verdict == TL_V_LIVELOCK)
		cls = tl_verdict_name(n->exit_verdict);
	if (!cls)
		return false;
	snprintf(v->cls, sizeof v->cls, "%s", cls);
	v->confidence = "high";
	if (n->hang_line) {
		snprintf(v->file, sizeof v->file, "%s", n->hang_file);
		v->line = n->hang_line;
		snprintf(v->text, sizeof v->text, "%s", n->hang_text);
	} else {
		/* A detector's lock report often names the lock the program hangs on. */
		static const enum tl_verdict lockish[] = {TL_V_DOUBLE_LOCK, TL_V_LOCK_ORDER,
		                                          TL_V_MUTEX_MISUSE};
		for (size_t k = 0; k < sizeof lockish / sizeof lockish[0] && !v->line; k++) {
			int agree;
			char names[128];
			place(n, tools, NULL, lockish[k], v, &agree, names, sizeof names);
		}
	}
	if (n->hang_why[0])
		snprintf(v->because, sizeof v->because, "the program hung natively: %s",
		         n->hang_why);
	else
		snprintf(v->because, sizeof v->because,
		         "the program hung natively and its own watchdog said %s (exit %d)",
		         tl_verdict_name(n->exit_verdict), n->exit_code);
	size_t off = strlen(v->because);
	snprintf(v->because + off, sizeof v->because - off,
	         "; a hang that happens outranks the detectors, which see no deadlock that "
	         "really happens");
	return true;
}

void try_weigh(const struct try_native *n, const struct try_tool tools[TL_TOOL_COUNT],
               struct try_verdict *v)
{
	try_weigh_all(n, tools, NULL, v);
}

void try_weigh_all(const struct try_native *n, const struct try_tool tools[TL_TOOL_COUNT],
                   const struct try_tool *sigpass, struct try_verdict *v)
{
	memset(v, 0, sizeof *v);
	list_discounted(n, tools, v);
	if (native_hang(n, tools, v))
		return;
	for (size_t k = 0; k < sizeof rank / sizeof rank[0]; k++) {
		enum tl_verdict c = rank[k];
		int agree = 0;
		char names[128];
		place(n, tools, sigpass, c, v, &agree, names, sizeof names);
		bool native = native_has(n, c);
		if (!names[0] && !native)
			continue;
		snprintf(v->cls, sizeof v->cls, "%s", tl_verdict_name(c));
		int nsources = (names[0] ? 1 : 0) + (strchr(names, ',') ? 1 : 0) + (native ? 1 : 0);
		/* A race makes the wrong results a program's own check catches; a
		 * memory error, the crash. */
		bool symptom = (c == TL_V_DATA_RACE && native_has(n, TL_V_WRONG_RESULT)) ||
		               (c == TL_V_MEMORY_ERROR && native_has(n, TL_V_CRASH));
		v->confidence = nsources + symptom >= 2 ? "high" : "medium";
		if (c == TL_V_THREAD_LEAK &&
		    !(tools[TL_TOOL_TSAN].got & BIT(c) && tools[TL_TOOL_MEMCHECK].got & BIT(c)) &&
		    !native)
			v->confidence = "medium"; /* confirmed only by TSan and Memcheck together */
		if (names[0] && native)
			snprintf(v->because, sizeof v->because, "%s report%s %s; %s", names,
			         strchr(names, ',') ? "" : "s", tl_verdict_name(c),
			         native_words(c));
		else if (names[0])
			snprintf(v->because, sizeof v->because, "%s report%s %s%s", names,
			         strchr(names, ',') ? "" : "s", tl_verdict_name(c),
			         !symptom              ? ""
			         : c == TL_V_DATA_RACE ? ", and the program's own check failed"
			                               : ", and the program crashed natively");
		else
			snprintf(v->because, sizeof v->because, "%s", native_words(c));
		for (size_t i = 0; sigpass && c == TL_V_SIGNAL_UNSAFE && i < sigpass->nreports; i++)
			if (sigpass->reports[i].line == v->line &&
			    !strcmp(sigpass->reports[i].file, v->file)) {
				appendf(v->because, sizeof v->because,
				        "; %s, which signal-safety(7) does not list",
				        sigpass->reports[i].detail);
				break;
			}
		if (v->seed)
			appendf(v->because, sizeof v->because,
			        "; shown under schedule perturbation with seed %" PRIu64
			        ": THREADLAB_PERTURB_SEED=%" PRIu64
			        " THREADLAB_PERTURB_DENSITY=%d THREADLAB_PERTURB_DELAY_US=%d with "
			        "the perturbation shim preloaded (LD_PRELOAD) under the TSan build "
			        "replays it",
			        v->seed, v->seed, TRY_PERTURB_DENSITY, TRY_PERTURB_DELAY_US);
		if (c == TL_V_TIMEOUT && n->hang_why[0]) {
			size_t off = strlen(v->because);
			snprintf(v->because + off, sizeof v->because - off, ": %s", n->hang_why);
		}
		return;
	}
	snprintf(v->cls, sizeof v->cls, "clean");
	char missing[160] = "";
	for (size_t d = 0; d < NDETECTORS; d++)
		if (!ran(&tools[detectors[d]])) {
			size_t off = strlen(missing);
			snprintf(missing + off, sizeof missing - off, "%s%s", off ? ", " : "",
			         tl_tool(detectors[d])->title);
		}
	v->confidence = missing[0] || !n->ran ? "medium" : "high";
	if (missing[0])
		snprintf(v->because, sizeof v->because,
		         "the program ran clean and the detectors that ran report nothing counted; "
		         "not run: %s",
		         missing);
	else
		snprintf(v->because, sizeof v->because,
		         "the program ran clean and no detector reports anything counted");
}

void try_tool_add(struct try_tool *t, const struct try_report *r)
{
	for (size_t i = 0; i < t->nreports; i++) {
		struct try_report *o = &t->reports[i];
		if (o->verdict == r->verdict && o->line == r->line && !strcmp(o->file, r->file)) {
			o->count += r->count ? r->count : 1;
			if (!o->hint[0])
				snprintf(o->hint, sizeof o->hint, "%s", r->hint);
			return;
		}
	}
	struct try_report *v = realloc(t->reports, (t->nreports + 1) * sizeof *v);
	if (!v)
		return;
	t->reports = v;
	v[t->nreports] = *r;
	if (!v[t->nreports].count)
		v[t->nreports].count = 1;
	t->nreports++;
	t->got |= BIT(r->verdict);
}

void try_from_spec(const struct tl_spec *spec, struct try_native *n,
                   struct try_tool tools[TL_TOOL_COUNT])
{
	memset(n, 0, sizeof *n);
	memset(tools, 0, TL_TOOL_COUNT * sizeof *tools);
	n->ran = true;
	n->exit_verdict = TL_V_CLEAN;
	const struct tl_expectation *run = &spec->expect[TL_TOOL_RUN];
	for (int w = 0; run->present && w < TL_V_COUNT; w++)
		if (run->verdicts & BIT(w) && w != TL_V_CLEAN) {
			n->exit_verdict = (enum tl_verdict)w;
			break;
		}
	if (n->exit_verdict == TL_V_CRASH) {
		n->exit_verdict = TL_V_CLEAN;
		n->term_signal = 11;
	} else if (n->exit_verdict == TL_V_TIMEOUT) {
		n->exit_verdict = TL_V_CLEAN;
		n->timed_out = true;
	}
	for (size_t d = 0; d < NDETECTORS; d++) {
		const struct tl_expectation *e = &spec->expect[detectors[d]];
		struct try_tool *t = &tools[detectors[d]];
		if (!e->present) {
			t->state = TRY_UNAVAILABLE;
			snprintf(t->why, sizeof t->why, "no expectation in the header");
			continue;
		}
		for (int w = 0; w < TL_V_COUNT; w++) {
			if (!(e->verdicts & BIT(w)) || w == TL_V_CLEAN)
				continue;
			struct try_report r = {.verdict = (enum tl_verdict)w};
			bool anchored = false;
			for (size_t u = 0; u < e->nuses; u++)
				if ((int)e->uses[u].verdict == w) {
					r.line = spec->anchors[e->uses[u].anchor].line;
					try_tool_add(t, &r);
					anchored = true;
				}
			if (!anchored)
				try_tool_add(t, &r);
			if (w == TL_V_CRASH)
				t->crashed = true;
			if (w == TL_V_TIMEOUT)
				t->hung = true;
		}
	}
}

void try_tools_free(struct try_tool tools[TL_TOOL_COUNT])
{
	for (int t = 0; t < TL_TOOL_COUNT; t++) {
		free(tools[t].reports);
		tools[t].reports = NULL;
		tools[t].nreports = 0;
	}
}
