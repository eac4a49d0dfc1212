/* runner_stress — run one program many times natively and show what came
 * out, as an outcome histogram in the manner of jcstress: which verdicts,
 * how often, graded as jcstress does (acceptable, interesting, forbidden),
 * and the spread of the number a lab reports with tl_lab_outcome()
 * ("outcome: lost=96220").  --jobs runs copies side by side: each run is
 * still judged alone. */
#include "config.h"

#include <errno.h>
#include <json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

enum { OPT_RUNS = RUNNER_OPT_LONG, OPT_JOBS, OPT_FORMAT };

static const struct runner_option stress_options[] = {
    {"runs", OPT_RUNS, "N", "how many runs, 1 to 100000 (default 100)"},
    {"jobs", OPT_JOBS, "J", "run J copies at a time, 1 to 64 (default 1)"},
    {"format", OPT_FORMAT, "F", "text (the default) or json"},
    {0},
};

/* One run's result. */
struct run {
	enum tl_verdict verdict;
	bool has_value;
	long value;
	double wall_ms;
	char value_name[64];
	char error[512]; /* the harness could not judge the run */
};

/* What N runs of one program gave. */
struct tally {
	size_t per_verdict[TL_V_COUNT];
	long *values; /* the outcome numbers, one per run that printed one */
	size_t nvalues;
	char outcome_name[64];
	double wall_ms, elapsed_ms;
};

struct stress {
	const struct lab *lab;
	int variant;
	char *const *lab_args;
	struct run *runs;
	long n;
	bool tty;
};

static void stress_one(size_t i, void *arg)
{
	struct stress *s = arg;
	struct run *r = &s->runs[i];
	struct outcome o;
	lab_execute(s->lab, s->variant, TL_TOOL_RUN, false, s->lab_args, &o);
	if (o.error) {
		snprintf(r->error, sizeof r->error, "%s", o.msg);
	} else {
		r->verdict = o.program;
		r->wall_ms = o.res.wall_ms;
		r->has_value = outcome_number(&o, r->value_name, sizeof r->value_name, &r->value);
	}
	outcome_free(&o);
}

static void stress_progress(size_t i, size_t done, void *arg)
{
	struct stress *s = arg;
	(void)i;
	if (s->tty)
		fprintf(stderr, "\r[%zu/%ld]", done, s->n);
}

/* Runs the program `runs` times natively, `jobs` at a time (a progress
 * count on a terminal).  Each run is judged alone, as with one job: only
 * the wall time of the whole changes.  0, or -1 after one line on stderr. */
static int stress_collect(const struct lab *lab, int variant, char *const *lab_args, long runs,
                          int jobs, struct tally *t)
{
	struct stress s = {lab,      variant,
	                   lab_args, calloc((size_t)runs, sizeof(struct run)),
	                   runs,     isatty(STDERR_FILENO)};
	t->values = calloc((size_t)runs, sizeof *t->values);
	if (!t->values || !s.runs) {
		free(s.runs);
		runner_error("out of memory for %ld runs", runs);
		return -1;
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	runner_jobs_run((size_t)runs, jobs, stress_one, stress_progress, &s);
	clock_gettime(CLOCK_MONOTONIC, &b);
	t->elapsed_ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	if (s.tty)
		fputs("\r\033[K", stderr);
	int rc = 0;
	for (long r = 0; r < runs; r++) {
		const struct run *x = &s.runs[r];
		if (x->error[0]) {
			runner_error("run %ld: %s", r + 1, x->error);
			rc = -1;
			break;
		}
		t->per_verdict[x->verdict]++;
		t->wall_ms += x->wall_ms;
		if (x->has_value) {
			snprintf(t->outcome_name, sizeof t->outcome_name, "%s", x->value_name);
			t->values[t->nvalues++] = x->value;
		}
	}
	free(s.runs);
	return rc;
}

/* jcstress's three grades of an outcome, for a lab program. */
enum grade { ACCEPTABLE, INTERESTING, FORBIDDEN };
static const char *const grade_names[] = {"acceptable", "interesting", "forbidden"};
static const char *const grade_words[] = {
    "a correct run",
    "the bug the lesson is about, showing itself",
    "neither a correct run nor the expected bug: the lesson does not explain it",
};

/* The expected outcome is the lesson: interesting when it is a bug,
 * acceptable when it is a clean run.  A clean run the header does not
 * expect is acceptable too (the bug hid this time); anything else is
 * forbidden. */
static enum grade grade_of(enum tl_verdict v, tl_verdict_set want)
{
	if (v == TL_V_CLEAN)
		return ACCEPTABLE;
	return want & (1u << v) ? INTERESTING : FORBIDDEN;
}

static void print_grades(FILE *f)
{
	fputs("\n  acceptable: a correct run.  interesting: the bug the lesson is about, showing\n"
	      "  itself.  forbidden: neither, something the lesson does not explain.\n",
	      f);
}

/* The histogram: each outcome seen (and the expected one, even if never
 * seen), its grade, the one the header expects marked; then the spread
 * of the outcome number. */
static void stress_print(const struct lab *lab, int variant, const struct tl_spec *spec,
                         bool own_args, long runs, int jobs, struct tally *t)
{
	tl_verdict_set want = spec->expect[TL_TOOL_RUN].verdicts;
	printf("%s %s: %ld runs, %d at a time, %.2f s\n\n", lab->id, lab_variant_names[variant],
	       runs, jobs, t->elapsed_ms / 1000);
	printf("  %-14s %6s  %-11s  %s\n", "outcome", "runs", "grade", "meaning");
	for (int v = 0; v < TL_V_COUNT; v++) {
		if (!t->per_verdict[v] && !(want & (1u << v)))
			continue;
		enum grade g = grade_of((enum tl_verdict)v, want);
		printf("  %-14s %6zu  %-11s  %s%s\n", tl_verdict_name((enum tl_verdict)v),
		       t->per_verdict[v], grade_names[g],
		       v == TL_V_CLEAN ? "correct" : "the bug showed",
		       !(want & (1u << v)) ? ""
		       : own_args          ? "   <- expected with the lab's default arguments"
		                           : "   <- what this program is expected to do");
	}
	print_grades(stdout);
	if (t->nvalues) {
		qsort(t->values, t->nvalues, sizeof *t->values, cmp_long);
		printf("\n  %s: min %ld, median %ld, max %ld (over %zu runs)\n", t->outcome_name,
		       t->values[0], t->values[t->nvalues / 2], t->values[t->nvalues - 1],
		       t->nvalues);
		print_decades(t->values, t->nvalues);
	}
}

static void stress_print_json(const struct lab *lab, int variant, const struct tl_spec *spec,
                              bool own_args, long runs, int jobs, struct tally *t)
{
	tl_verdict_set want = spec->expect[TL_TOOL_RUN].verdicts;
	json_object *root = json_object_new_object();
	json_object_object_add(root, "lab", json_object_new_string(lab->id));
	json_object_object_add(root, "variant", json_object_new_string(lab_variant_names[variant]));
	json_object_object_add(root, "runs", json_object_new_int64(runs));
	json_object_object_add(root, "jobs", json_object_new_int(jobs));
	json_object_object_add(root, "lab_args", json_object_new_boolean(own_args));
	json_object_object_add(root, "wall_s", json_object_new_double(t->elapsed_ms / 1000));
	json_object *outs = json_object_new_array();
	for (int v = 0; v < TL_V_COUNT; v++) {
		if (!t->per_verdict[v] && !(want & (1u << v)))
			continue;
		enum grade g = grade_of((enum tl_verdict)v, want);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "outcome",
		                       json_object_new_string(tl_verdict_name((enum tl_verdict)v)));
		json_object_object_add(o, "runs",
		                       json_object_new_int64((int64_t)t->per_verdict[v]));
		json_object_object_add(o, "grade", json_object_new_string(grade_names[g]));
		json_object_object_add(o, "meaning", json_object_new_string(grade_words[g]));
		json_object_object_add(o, "expected", json_object_new_boolean(want & (1u << v)));
		json_object_array_add(outs, o);
	}
	json_object_object_add(root, "outcomes", outs);
	if (t->nvalues) {
		qsort(t->values, t->nvalues, sizeof *t->values, cmp_long);
		json_object *val = json_object_new_object();
		json_object_object_add(val, "name", json_object_new_string(t->outcome_name));
		json_object_object_add(val, "runs", json_object_new_int64((int64_t)t->nvalues));
		json_object_object_add(val, "min", json_object_new_int64(t->values[0]));
		json_object_object_add(val, "median",
		                       json_object_new_int64(t->values[t->nvalues / 2]));
		json_object_object_add(val, "max",
		                       json_object_new_int64(t->values[t->nvalues - 1]));
		json_object *all = json_object_new_array();
		for (size_t i = 0; i < t->nvalues; i++)
			json_object_array_add(all, json_object_new_int64(t->values[i]));
		json_object_object_add(val, "values", all);
		json_object_object_add(root, "value", val);
	}
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
	                                              JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static int cmd_stress(int argc, char **argv)
{
	struct runner_args a;
	int key, jobs = 1;
	long runs = 100;
	bool json = false;
	runner_args_start(&a, &runner_cmd_stress, argc, argv);
	while ((key = runner_next_option(&a)) > 0) {
		if (key == OPT_JOBS) {
			if (runner_parse_jobs("stress", a.value, &jobs))
				return RUNNER_USAGE;
			continue;
		}
		if (key == OPT_FORMAT) {
			if (strcmp(a.value, "text") && strcmp(a.value, "json")) {
				runner_error("stress: --format: '%s' is not text or json", a.value);
				return RUNNER_USAGE;
			}
			json = !strcmp(a.value, "json");
			continue;
		}
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
	if (stress_collect(lab, variant, a.lab_args, runs, jobs, &t))
		goto out;
	if (json)
		stress_print_json(lab, variant, &spec, a.nlab_args > 0, runs, jobs, &t);
	else
		stress_print(lab, variant, &spec, a.nlab_args > 0, runs, jobs, &t);
	rc = RUNNER_OK;
out:
	free(t.values);
	labs_free(&labs);
	return rc;
}

const struct runner_command runner_cmd_stress = {
    "stress",
    "LAB [broken|fixed|demo] [--runs N] [--jobs J] [-- LAB-ARGS]",
    "run N times natively: outcome histogram",
    1,
    2,
    stress_options,
    cmd_stress,
    true,
};
