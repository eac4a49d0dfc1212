/* runner_stress — run one program many times natively and show what came
 * out, as an outcome histogram in the manner of jcstress: which verdicts,
 * how often, which of them the lesson is about, and the spread of the
 * number a lab reports with tl_lab_outcome() ("outcome: lost=96220"). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

/* Bars of a histogram over decades: 0, 1..9, 10..99, ... */
static void print_decades(const long *v, size_t n)
{
	size_t count[20] = {0};
	int top = 0;
	for (size_t i = 0; i < n; i++) {
		int d = 0;
		for (long x = v[i] < 0 ? -v[i] : v[i]; x > 0 && d < 19; x /= 10)
			d++;
		count[d]++;
		if (d > top)
			top = d;
	}
	size_t most = 1;
	for (int d = 0; d <= top; d++)
		if (count[d] > most)
			most = count[d];
	for (int d = 0; d <= top; d++) {
		long lo = 1, hi;
		for (int k = 1; k < d; k++)
			lo *= 10;
		hi = lo * 10 - 1;
		char range[48];
		if (d == 0)
			snprintf(range, sizeof range, "0");
		else
			snprintf(range, sizeof range, "%ld..%ld", lo, hi);
		printf("    %21s %6zu  ", range, count[d]);
		for (size_t k = 0; k < (count[d] * 40 + most - 1) / most; k++)
			putchar('#');
		putchar('\n');
	}
}

enum { OPT_RUNS = RUNNER_OPT_LONG };

static const struct runner_option stress_options[] = {
    {"runs", OPT_RUNS, "N", "how many runs, 1 to 100000 (default 100)"},
    {0},
};

/* What N runs of one program gave. */
struct tally {
	size_t per_verdict[TL_V_COUNT];
	long *values; /* the outcome numbers, one per run that printed one */
	size_t nvalues;
	char outcome_name[64];
	double wall_ms;
};

/* Runs the program `runs` times natively (a progress count on a terminal).
 * 0, or -1 after one line on stderr. */
static int stress_collect(const struct lab *lab, int variant, char *const *lab_args, long runs,
                          struct tally *t)
{
	t->values = calloc((size_t)runs, sizeof *t->values);
	if (!t->values) {
		runner_error("out of memory for %ld runs", runs);
		return -1;
	}
	for (long r = 0; r < runs; r++) {
		struct outcome o;
		lab_execute(lab, variant, TL_TOOL_RUN, false, lab_args, &o);
		if (o.error) {
			runner_error("run %ld: %s", r + 1, o.msg);
			outcome_free(&o);
			return -1;
		}
		t->per_verdict[o.program]++;
		t->wall_ms += o.res.wall_ms;
		long v;
		if (outcome_number(&o, t->outcome_name, sizeof t->outcome_name, &v))
			t->values[t->nvalues++] = v;
		outcome_free(&o);
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "\r[%ld/%ld]", r + 1, runs);
	}
	if (isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	return 0;
}

/* The histogram: each outcome seen (and the expected one, even if never
 * seen), what it means, the one the header expects marked; then the spread
 * of the outcome number. */
static void stress_print(const struct lab *lab, int variant, const struct tl_spec *spec,
                         bool own_args, long runs, struct tally *t)
{
	tl_verdict_set want = spec->expect[TL_TOOL_RUN].verdicts;
	printf("%s %s: %ld runs, %.2f s\n\n", lab->id, lab_variant_names[variant], runs,
	       t->wall_ms / 1000);
	printf("  %-14s %6s  %s\n", "outcome", "runs", "meaning");
	for (int v = 0; v < TL_V_COUNT; v++) {
		if (!t->per_verdict[v] && !(want & (1u << v)))
			continue;
		/* jcstress sorts outcomes into acceptable and forbidden; here a
		 * clean run is correct, anything else is a bug showing itself. */
		printf("  %-14s %6zu  %s%s\n", tl_verdict_name((enum tl_verdict)v),
		       t->per_verdict[v], v == TL_V_CLEAN ? "correct" : "the bug showed",
		       !(want & (1u << v)) ? ""
		       : own_args          ? "   <- expected with the lab's default arguments"
		                           : "   <- what this program is expected to do");
	}
	if (t->nvalues) {
		qsort(t->values, t->nvalues, sizeof *t->values, cmp_long);
		printf("\n  %s: min %ld, median %ld, max %ld (over %zu runs)\n", t->outcome_name,
		       t->values[0], t->values[t->nvalues / 2], t->values[t->nvalues - 1],
		       t->nvalues);
		print_decades(t->values, t->nvalues);
	}
}

static int cmd_stress(int argc, char **argv)
{
	struct runner_args a;
	int key;
	long runs = 100;
	runner_args_start(&a, &runner_cmd_stress, argc, argv);
	while ((key = runner_next_option(&a)) > 0) {
		char *end;
		errno = 0;
		runs = strtol(a.value, &end, 10);
		if (errno || end == a.value || *end || runs < 1 || runs > 100000) {
			runner_error("--runs: '%s' is not a number from 1 to 100000", a.value);
			return RUNNER_USAGE;
		}
	}
	if (key < 0)
		return a.status;
	struct labs labs;
	if (labs_load(&labs))
		return RUNNER_ERROR;
	int rc = RUNNER_USAGE, variant;
	struct tally t = {0};
	struct tl_spec spec;
	char err[320];
	const struct lab *lab =
	    labs_resolve_variant(&labs, a.pos[0], a.npos > 1 ? a.pos[1] : NULL, &variant);
	if (!lab)
		goto out;
	rc = RUNNER_ERROR;
	if (lab_spec(lab, variant, &spec, err, sizeof err)) {
		runner_error("%s", err);
		goto out;
	}
	/* Ask the programs for their "outcome:" lines (tl_lab_outcome). */
	setenv("THREADLAB_OUTCOMES", "1", 1);
	if (stress_collect(lab, variant, a.lab_args, runs, &t))
		goto out;
	stress_print(lab, variant, &spec, a.nlab_args > 0, runs, &t);
	rc = RUNNER_OK;
out:
	free(t.values);
	labs_free(&labs);
	return rc;
}

const struct runner_command runner_cmd_stress = {
    "stress",
    "LAB [broken|fixed|demo] [--runs N] [-- LAB-ARGS]",
    "run N times natively: outcome histogram",
    1,
    2,
    stress_options,
    cmd_stress,
    true,
};
