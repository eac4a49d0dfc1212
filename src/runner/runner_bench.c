/* runner_bench — time a perf lab's broken and fixed programs side by side
 * and compare the figures of its header's bench lines with their goals.
 *
 * Both programs of a perf lab are correct; the lesson is a ratio of times.
 * Each program times its own measured section and reports it with
 * tl_lab_outcome("ns", ...).  A round runs every program a bench line needs
 * once, in turns (the order reversed every other round, so that neither
 * always runs first on a warm or a cold machine), and the figure is taken
 * within the round; rounds repeat until the medians are stable
 * (bench_stats.h).  Timing never fails the command, a program that fails
 * does.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_stats.h"
#include "runner.h"

enum { BROKEN = 0, FIXED = 1 };    /* lab_variant_names' order */
enum { BENCH_MAX_USER_ARGS = 64 }; /* after "--", in place of a bench line's own */

/* One program run of a round: a variant with its arguments. */
struct bench_prog {
	int variant;
	char *argv[TL_BENCH_MAX_ARGS + BENCH_MAX_USER_ARGS + 3]; /* ARGS [--threads N] NULL */
	char label[256]; /* "perf/x fixed --iterations 400 --threads 2" */
	struct bench_series ns;
};

/* One bench line being measured. */
struct bench_job {
	const struct lab *lab;
	const struct tl_bench *b;
	struct bench_prog prog[4]; /* ratio: broken, fixed; speedup: broken 1, 2; fixed 1, 2 */
	int nprog;
	struct bench_series figure[2]; /* ratio: [0]; speedup: broken's, fixed's */
	int rounds;
	bool failed; /* a run failed: one line said which; the rounds add nothing more */
};

/* prog's argv: the bench line's arguments, or the user's in their place,
 * then "--threads THREADS" unless threads is NULL. */
static void prog_setup(struct bench_prog *p, const struct lab *lab, int variant,
                       const struct tl_bench *b, char *const *user_args, int nuser,
                       const char *threads)
{
	size_t n = 0, off = 0;
	memset(p, 0, sizeof *p);
	p->variant = variant;
	if (user_args)
		for (int i = 0; i < nuser; i++)
			p->argv[n++] = user_args[i];
	else
		for (size_t i = 0; i < b->nargs; i++)
			p->argv[n++] = (char *)b->args[i];
	if (threads) {
		p->argv[n++] = "--threads";
		p->argv[n++] = (char *)threads;
	}
	p->argv[n] = NULL;
	off += (size_t)snprintf(p->label, sizeof p->label, "%s %s", lab->id,
	                        lab_variant_names[variant]);
	for (size_t i = 0; i < n && off < sizeof p->label; i++)
		off += (size_t)snprintf(p->label + off, sizeof p->label - off, " %s", p->argv[i]);
}

/* One run of p: its time in ns, or -1 with why in msg (which run failed
 * and how). */
static double prog_run(const struct lab *lab, const struct bench_prog *p, char *msg, size_t len)
{
	struct outcome o;
	char name[64] = "";
	long ns = -1;
	bool ok = false;
	lab_execute(lab, p->variant, TL_TOOL_RUN, false, p->argv, &o);
	if (o.error)
		snprintf(msg, len, "bench: %s: %s", p->label, o.msg);
	else if (o.program != TL_V_CLEAN)
		snprintf(msg, len,
		         "bench: %s: %s (exit %d, signal %d): both programs of a perf lab must be "
		         "correct",
		         p->label, tl_verdict_name(o.program), o.res.exit_code, o.res.term_signal);
	else if (!outcome_number(&o, name, sizeof name, &ns) || strcmp(name, "ns") || ns <= 0)
		snprintf(msg, len,
		         "bench: %s printed no 'outcome: ns=N' line with N > 0 "
		         "(tl_lab_outcome(\"ns\", elapsed))",
		         p->label);
	else
		ok = true;
	outcome_free(&o);
	return ok ? (double)ns : -1;
}

static void bench_round(void *ctx)
{
	struct bench_job *j = ctx;
	double ns[4] = {0}; /* clang-tidy cannot tell that the turns fill each slot */
	char msg[800];
	if (j->failed)
		return;
	for (int k = 0; k < j->nprog; k++) {
		int i = j->rounds % 2 ? j->nprog - 1 - k : k;
		bool tty = isatty(STDERR_FILENO);
		if (tty) {
			fprintf(stderr, "\r\033[K[round %d] %s ...", j->rounds + 1,
			        j->prog[i].label);
			fflush(stderr);
		}
		ns[i] = prog_run(j->lab, &j->prog[i], msg, sizeof msg);
		if (tty)
			fputs("\r\033[K", stderr);
		if (ns[i] < 0) {
			runner_error("%s", msg);
			j->failed = true;
			return;
		}
	}
	for (int i = 0; i < j->nprog; i++)
		bench_add(&j->prog[i].ns, ns[i] / 1e6);
	bench_add(&j->figure[0], ns[0] / ns[1]);
	if (j->b->kind == TL_BENCH_SPEEDUP)
		bench_add(&j->figure[1], ns[2] / ns[3]);
	j->rounds++;
}

/* "ratio ≥ 2.5" / "speedup broken ≤ 1.1 fixed ≥ 1.8" */
static void bench_title(const struct tl_bench *b, char *buf, size_t len)
{
	const struct tl_bench_goal *g = b->goal;
#define OP(g) ((g).at_most ? "≤" : "≥")
	if (b->kind == TL_BENCH_RATIO)
		snprintf(buf, len, "ratio %s %s", OP(g[0]), g[0].text);
	else
		snprintf(buf, len, "speedup broken %s %s fixed %s %s", OP(g[0]), g[0].text,
		         OP(g[1]), g[1].text);
#undef OP
}

/* Measures one bench line and prints its figures; false if a run failed. */
static bool bench_line(const struct lab *lab, const struct tl_bench *b, char *const *user_args,
                       int nuser)
{
	struct bench_job *j = calloc(1, sizeof *j);
	if (!j) {
		runner_error("bench: out of memory");
		return false;
	}
	j->lab = lab;
	j->b = b;
	if (b->kind == TL_BENCH_RATIO) {
		prog_setup(&j->prog[0], lab, BROKEN, b, user_args, nuser, NULL);
		prog_setup(&j->prog[1], lab, FIXED, b, user_args, nuser, NULL);
		j->nprog = 2;
	} else {
		prog_setup(&j->prog[0], lab, BROKEN, b, user_args, nuser, "1");
		prog_setup(&j->prog[1], lab, BROKEN, b, user_args, nuser, "2");
		prog_setup(&j->prog[2], lab, FIXED, b, user_args, nuser, "1");
		prog_setup(&j->prog[3], lab, FIXED, b, user_args, nuser, "2");
		j->nprog = 4;
	}
	int nfig = b->kind == TL_BENCH_RATIO ? 1 : 2;
	struct bench_series *const figs[2] = {&j->figure[0], &j->figure[1]};
	double load[2][3] = {{0}};
	getloadavg(load[0], 3);
	bench_repeat_until_stable(bench_round, j, figs, nfig, BENCH_MAX_ROUNDS);
	getloadavg(load[1], 3);

	char title[96], args[256] = "";
	bench_title(b, title, sizeof title);
	/* The arguments the programs really got, without the added --threads. */
	size_t shown = 0, off = 0;
	while (j->prog[0].argv[shown])
		shown++;
	if (b->kind == TL_BENCH_SPEEDUP)
		shown -= 2;
	for (size_t i = 0; i < shown && off < sizeof args; i++)
		off += (size_t)snprintf(args + off, sizeof args - off, "%s%s", i ? " " : "",
		                        j->prog[0].argv[i]);
	printf("%s: %s%s%s\n", lab->id, title, *args ? ", " : "", args);
	if (j->failed) {
		free(j);
		return false;
	}
	printf("  %d rounds%s, load average %.2f before, %.2f after\n", j->rounds,
	       j->rounds == BENCH_MAX_ROUNDS ? " (the cap)" : "", load[0][0], load[1][0]);
	for (int i = 0; i < j->nprog; i++) {
		char name[64];
		snprintf(name, sizeof name, "%s%s", lab_variant_names[j->prog[i].variant],
		         b->kind == TL_BENCH_SPEEDUP ? (i % 2 ? ", 2 threads" : ", 1 thread") : "");
		bench_print_figure(name, &j->prog[i].ns, 2, " ms");
		putchar('\n');
	}
	for (int f = 0; f < nfig; f++) {
		const char *name = b->kind == TL_BENCH_RATIO ? "ratio broken / fixed"
		                   : f == 0                  ? "speedup broken (1 / 2 threads)"
		                                             : "speedup fixed (1 / 2 threads)";
		bench_print_figure(name, &j->figure[f], 2, "×");
		bench_print_goal(bench_median(&j->figure[f]), b->goal[f].at_most, b->goal[f].value,
		                 b->goal[f].text);
		putchar('\n');
	}
	free(j);
	return true;
}

static bool bench_goal_same(const struct tl_bench_goal *x, const struct tl_bench_goal *y)
{
	return x->at_most == y->at_most && x->value == y->value;
}

/* Whether two headers' bench lines say the same. */
static bool bench_lines_same(const struct tl_spec *x, const struct tl_spec *y)
{
	if (x->nbench != y->nbench)
		return false;
	for (size_t i = 0; i < x->nbench; i++) {
		const struct tl_bench *a = &x->bench[i], *b = &y->bench[i];
		if (a->kind != b->kind || a->nargs != b->nargs ||
		    !bench_goal_same(&a->goal[0], &b->goal[0]) ||
		    (a->kind == TL_BENCH_SPEEDUP && !bench_goal_same(&a->goal[1], &b->goal[1])))
			return false;
		for (size_t k = 0; k < a->nargs; k++)
			if (strcmp(a->args[k], b->args[k]))
				return false;
	}
	return true;
}

/* The bench lines of a lab into *spec (broken.c's header, or fixed.c's if
 * only it has them; if both have, they must agree): RUNNER_OK;
 * RUNNER_SKIP for a lab of a named category that has none; else, after one
 * line on stderr, RUNNER_USAGE (a lab named on its own has none) or
 * RUNNER_ERROR (a header does not parse, or fixed.c's bench lines differ
 * from broken.c's). */
static int bench_spec(const struct lab *lab, bool named, struct tl_spec *spec)
{
	char err[320];
	struct tl_spec fixed;
	if (!lab->has[BROKEN] || !lab->has[FIXED]) {
		if (named)
			runner_error("bench: %s has no broken and fixed pair to compare", lab->id);
		return named ? RUNNER_USAGE : RUNNER_SKIP;
	}
	if (lab_spec(lab, BROKEN, spec, err, sizeof err) ||
	    lab_spec(lab, FIXED, &fixed, err, sizeof err)) {
		runner_error("%s", err);
		return RUNNER_ERROR;
	}
	if (!spec->nbench) { /* only fixed.c's header has them, if any */
		memcpy(spec->bench, fixed.bench, sizeof spec->bench);
		spec->nbench = fixed.nbench;
	} else if (fixed.nbench && !bench_lines_same(spec, &fixed)) {
		runner_error("bench: labs/%s/fixed.c's bench lines differ from broken.c's",
		             lab->id);
		return RUNNER_ERROR;
	}
	if (!spec->nbench) {
		if (named)
			runner_error("bench: %s has no bench line in its header (threadlab list "
			             "perf shows the labs that have)",
			             lab->id);
		return named ? RUNNER_USAGE : RUNNER_SKIP;
	}
	return RUNNER_OK;
}

static int cmd_bench(int argc, char **argv)
{
	struct runner_args a;
	runner_args_start(&a, &runner_cmd_bench, argc, argv);
	if (runner_next_option(&a))
		return a.status;
	struct labs labs;
	if (labs_load(&labs))
		return RUNNER_ERROR;
	int rc = RUNNER_USAGE;
	struct tl_spec *specs = calloc(labs.n ? labs.n : 1, sizeof *specs);
	bool *chosen = NULL;
	bool *named = calloc(labs.n ? labs.n : 1, sizeof *named);
	if (!specs || !named) {
		runner_error("bench: out of memory");
		rc = RUNNER_ERROR;
		goto out;
	}
	chosen = labs_choose(&labs, a.pos, (size_t)a.npos);
	if (!chosen)
		goto out;
	/* A lab named on its own must have bench lines; a category gives those
	 * of its labs that have. */
	for (int k = 0; k < a.npos; k++)
		if (!labs_has_category(&labs, a.pos[k]))
			named[labs_resolve(&labs, a.pos[k]) - labs.v] = true;
	size_t nlabs = 0;
	for (size_t i = 0; i < labs.n; i++) {
		if (!chosen[i])
			continue;
		int src = bench_spec(&labs.v[i], named[i], &specs[i]);
		if (src == RUNNER_SKIP) {
			chosen[i] = false;
			continue;
		}
		if (src != RUNNER_OK) {
			rc = src;
			goto out;
		}
		nlabs++;
	}
	if (!nlabs) {
		runner_error("bench: no lab of %s%s has a bench line (threadlab list perf)",
		             a.pos[0], a.npos > 1 ? " ..." : "");
		goto out;
	}
	if (a.nlab_args > BENCH_MAX_USER_ARGS) {
		runner_error("bench: more than %d arguments after '--'", BENCH_MAX_USER_ARGS);
		goto out;
	}
	/* The programs print their "outcome: ns=N" line only when asked. */
	setenv("THREADLAB_OUTCOMES", "1", 1);
	bench_name = "threadlab bench";
	rc = RUNNER_OK;
	for (size_t i = 0; i < labs.n; i++)
		for (size_t k = 0; chosen[i] && k < specs[i].nbench; k++)
			if (!bench_line(&labs.v[i], &specs[i].bench[k],
			                a.nlab_args ? a.lab_args : NULL, a.nlab_args))
				rc = RUNNER_FAIL;
out:
	free(named);
	free(chosen);
	free(specs);
	labs_free(&labs);
	return rc;
}

const struct runner_command runner_cmd_bench = {
    "bench",
    "LAB|CATEGORY... [-- LAB-ARGS]",
    "time broken against fixed: a perf lab's figures and goals",
    1,
    -1,
    NULL,
    cmd_bench,
    true,
};
