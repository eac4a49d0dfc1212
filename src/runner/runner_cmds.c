/* runner_cmds — list, show, run and check. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"
#include "tl_buf.h"

/* ------------------------------------------------------------------ list */

enum { LIST_NAMES = RUNNER_OPT_LONG, LIST_TOOLS, LIST_COMMANDS, LIST_VARIANTS };

static const struct runner_option list_options[] = {
    {"names", LIST_NAMES, NULL, "the labs' ids only, one a line (of CATEGORY, if given)"},
    {"tools", LIST_TOOLS, NULL, "the tools --tool takes, one a line"},
    {"commands", LIST_COMMANDS, NULL, "threadlab's commands, one a line"},
    {"variants", LIST_VARIANTS, "LAB", "LAB's programs (broken, fixed, demo), one a line"},
    {0},
};

/* Every lab (of cat, unless NULL) with the first sentence of its lesson, by
 * category; or (names_only) just the ids. */
static int list_labs(const struct labs *labs, const char *cat, bool names_only)
{
	int rc = RUNNER_OK, width = 0;
	const char *prev = "";
	for (size_t i = 0; i < labs->n; i++) /* the lessons in one column */
		if (!cat || !strcmp(labs->v[i].category, cat))
			if ((int)strlen(labs->v[i].id) > width)
				width = (int)strlen(labs->v[i].id);
	for (size_t i = 0; i < labs->n; i++) {
		const struct lab *lab = &labs->v[i];
		if (cat && strcmp(lab->category, cat))
			continue;
		if (names_only) {
			puts(lab->id);
			continue;
		}
		if (strcmp(prev, lab->category))
			printf("%s%s\n", *prev ? "\n" : "", lab->category);
		prev = lab->category;
		struct tl_spec spec;
		char err[320];
		if (lab_spec(lab, lab_first_variant(lab), &spec, err, sizeof err)) {
			runner_error("%s", err);
			rc = RUNNER_ERROR;
			continue;
		}
		/* One line: the lesson's first sentence. */
		const char *stop = strstr(spec.lesson, ". ");
		int len = stop ? (int)(stop - spec.lesson) + 1 : (int)strlen(spec.lesson);
		printf("  %-*s  %.*s\n", width, lab->id, len, spec.lesson);
	}
	return rc;
}

static int cmd_list(int argc, char **argv)
{
	struct runner_args a;
	int key, what = 0;
	const char *variants_of = NULL;
	runner_args_start(&a, &runner_cmd_list, argc, argv);
	while ((key = runner_next_option(&a)) > 0) {
		if (what && what != key) {
			runner_error(
			    "list: one of --names, --tools, --commands, --variants at a time");
			return RUNNER_USAGE;
		}
		what = key;
		if (key == LIST_VARIANTS)
			variants_of = a.value;
	}
	if (key < 0)
		return a.status;
	const char *cat = a.npos ? a.pos[0] : NULL;
	if (cat && what && what != LIST_NAMES) {
		runner_error("list: CATEGORY goes with the lab list or --names only");
		return RUNNER_USAGE;
	}
	if (what == LIST_TOOLS) {
		for (int t = 0; t < TL_TOOL_COUNT; t++)
			puts(tl_tool_name((enum tl_tool)t));
		return RUNNER_OK;
	}
	if (what == LIST_COMMANDS) {
		for (const struct runner_command *const *c = runner_commands; *c; c++)
			puts((*c)->name);
		return RUNNER_OK;
	}
	struct labs labs;
	if (labs_load(&labs))
		return RUNNER_ERROR;
	int rc = RUNNER_USAGE;
	if (what == LIST_VARIANTS) {
		const struct lab *lab = labs_resolve(&labs, variants_of);
		for (int v = 0; lab && v < LAB_VARIANTS; v++)
			if (lab->has[v])
				puts(lab_variant_names[v]);
		if (lab)
			rc = RUNNER_OK;
	} else if (cat && !labs_has_category(&labs, cat)) {
		runner_error("unknown category '%s'", cat);
	} else {
		rc = list_labs(&labs, cat, what == LIST_NAMES);
	}
	labs_free(&labs);
	return rc;
}

const struct runner_command runner_cmd_list = {
    "list", "[CATEGORY]", "labs with their one-line lessons", 0, 1, list_options, cmd_list, false,
};

/* ------------------------------------------------------------------ show */

/* Whether a program is on PATH. */
static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	for (const char *p = path && *path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		char file[PATH_MAX];
		snprintf(file, sizeof file, "%.*s/%s", (int)n, n ? p : ".", prog);
		if (access(file, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* What show pages through: $PAGER, or less -R when PAGER is unset and less is
 * installed; NULL for none (stdout not a terminal, PAGER empty or cat). */
static const char *pager_command(void)
{
	if (!isatty(STDOUT_FILENO))
		return NULL;
	const char *p = getenv("PAGER");
	if (p) {
		p += strspn(p, " \t");
		return *p && strcmp(p, "cat") ? p : NULL;
	}
	return on_path("less") ? "less -R" : NULL;
}

/* Sends our stdout through the pager; its pid, or 0 when there is none. */
static pid_t pager_start(const char *command)
{
	int fd[2];
	if (!command || pipe2(fd, O_CLOEXEC))
		return 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[0], STDIN_FILENO);
		/* As git does: quit at once when it fits on one screen, and
		 * leave the text on the terminal. */
		setenv("LESS", "FRX", 0);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		dup2(fd[1], STDOUT_FILENO);
	close(fd[0]);
	close(fd[1]);
	if (pid < 0)
		return 0;
	/* A reader who quits early drops the rest, which is no error; ^C
	 * is the pager's to handle, and we wait for it. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	return pid;
}

static void pager_end(pid_t pid)
{
	if (!pid)
		return;
	fflush(stdout);
	close(STDOUT_FILENO); /* the pager sees the end */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		continue;
}

static int cmd_show(int argc, char **argv)
{
	struct runner_args args;
	runner_args_start(&args, &runner_cmd_show, argc, argv);
	if (runner_next_option(&args))
		return args.status;
	struct labs labs;
	if (labs_load(&labs))
		return RUNNER_ERROR;
	const struct lab *lab = labs_resolve(&labs, args.pos[0]);
	if (!lab) {
		labs_free(&labs);
		return RUNNER_USAGE;
	}
	/* The terminal decides, not the pager's pipe: less -R shows colour. */
	bool color = runner_color();
	pid_t pager = pager_start(pager_command());
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/README.md", lab->dir);
	tl_buf readme = {0};
	if (tl_buf_read_file(&readme, path) == 0)
		fwrite(readme.data, 1, readme.len, stdout);
	else
		printf("(%s has no README.md)\n", lab->id);
	tl_buf_free(&readme);
	int rc = RUNNER_OK;
	if (lab->has[0] && lab->has[1]) {
		char a[PATH_MAX + 16], b[PATH_MAX + 16], la[PATH_MAX], lb[PATH_MAX];
		snprintf(a, sizeof a, "%s/broken.c", lab->dir);
		snprintf(b, sizeof b, "%s/fixed.c", lab->dir);
		lab_source_rel(lab, 0, la, sizeof la);
		lab_source_rel(lab, 1, lb, sizeof lb);
		printf("\n## The diff: broken -> fixed\n\n");
		fflush(stdout);
		char *dargv[] = {"diff",    "-u", color ? "--color=always" : "--color=never",
		                 "--label", la,   "--label",
		                 lb,        a,    b,
		                 NULL};
		struct tl_spawn_opts so = {
		    .argv = dargv, .timeout_ms = 10000, .xml_fd = -1, .echo = true};
		struct tl_spawn_result res;
		/* diff exits 1 when the files differ: that is the point here. */
		if (tl_spawn(&so, &res) != 0 || res.exit_code > 1) {
			runner_error("diff failed: %s", res.err.data ? res.err.data : "?");
			rc = RUNNER_ERROR;
		}
		tl_spawn_result_free(&res);
	}
	pager_end(pager);
	labs_free(&labs);
	return rc;
}

const struct runner_command runner_cmd_show = {
    "show", "LAB", "the lesson, then the broken -> fixed diff", 1, 1, NULL, cmd_show, false,
};

/* ------------------------------------------------------------------ run */

static int parse_tool(const char *name)
{
	int t = tl_tool_from_name(name);
	if (t < 0) {
		char tools[128];
		tl_tool_list(tools, sizeof tools);
		runner_error("unknown tool '%s' (%s)", name, tools);
	}
	return t;
}

enum { OPT_TOOL = RUNNER_OPT_LONG, OPT_TEST, OPT_LIST_TESTS };

static const struct runner_option run_options[] = {
    {"tool", OPT_TOOL, "T", "run natively (the default) or under a detector (list --tools)"},
    {0},
};

static int cmd_run(int argc, char **argv)
{
	struct runner_args a;
	int key, tool = TL_TOOL_RUN;
	runner_args_start(&a, &runner_cmd_run, argc, argv);
	while ((key = runner_next_option(&a)) > 0)
		if ((tool = parse_tool(a.value)) < 0)
			return RUNNER_USAGE;
	if (key < 0)
		return a.status;
	const char *lab_arg = a.pos[0], *variant_arg = a.npos > 1 ? a.pos[1] : NULL;
	struct labs labs;
	if (labs_load(&labs))
		return RUNNER_ERROR;
	int rc = RUNNER_USAGE;
	int variant;
	const struct lab *lab = labs_resolve_variant(&labs, lab_arg, variant_arg, &variant);
	if (!lab)
		goto out;
	char why[256];
	if (!tl_tool_available((enum tl_tool)tool, why, sizeof why)) {
		runner_error("%s", why);
		rc = RUNNER_SKIP;
		goto out;
	}
	struct tl_spec spec;
	char err[320], rel[PATH_MAX];
	if (lab_spec(lab, variant, &spec, err, sizeof err)) {
		runner_error("%s", err);
		rc = RUNNER_ERROR;
		goto out;
	}
	lab_source_rel(lab, variant, rel, sizeof rel);
	printf("== %s %s under %s\n", lab->id, lab_variant_names[variant], tl_tool_name(tool));
	fflush(stdout);
	struct outcome o;
	lab_execute(lab, variant, (enum tl_tool)tool, true, a.lab_args, &o);
	if (o.error) {
		runner_error("%s", o.msg);
		rc = RUNNER_ERROR;
	} else {
		char got[256];
		tl_verdict_set_format(o.got, got, sizeof got);
		printf("== verdict: %s   (%.2f s)\n", got, o.res.wall_ms / 1000);
		outcome_print_reports(stdout, &o, rel, "   ");
		const struct tl_tool_info *ti = tl_tool((enum tl_tool)tool);
		if (ti->report_exit_code && o.res.exit_code == ti->report_exit_code)
			printf("   program: exit %d, %s's code for 'reported something' (it hides "
			       "the program's own)\n",
			       ti->report_exit_code, ti->title);
		else if (tool != TL_TOOL_RUN)
			printf("   program: %s (exit %d)\n", tl_verdict_name(o.program),
			       o.res.exit_code);
		if (spec.expect[tool].present) {
			tl_buf mismatch = {0};
			char want[256];
			expectation_format(&spec, (enum tl_tool)tool, want, sizeof want);
			bool ok = outcome_matches(&spec, (enum tl_tool)tool, rel, &o, &mismatch);
			printf("== expected: %s — %s%s\n", want,
			       ok ? "as expected" : "NOT as expected",
			       a.nlab_args
			           ? " (the header expects it with the lab's default arguments)"
			           : "");
			if (!ok)
				fputs(mismatch.data, stdout);
			if (spec.expect[tool].note[0])
				printf("   %s\n", spec.expect[tool].note);
			tl_buf_free(&mismatch);
		} else {
			printf("== (the header has no expectation for %s)\n", tl_tool_name(tool));
		}
		rc = RUNNER_OK;
	}
	outcome_free(&o);
out:
	labs_free(&labs);
	return rc;
}

const struct runner_command runner_cmd_run = {
    "run",
    "LAB [broken|fixed|demo] [--tool T] [-- LAB-ARGS]",
    "run one program, print its verdict",
    1,
    2,
    run_options,
    cmd_run,
    true,
};

/* ------------------------------------------------------------------ check */

struct selection {
	bool tools[TL_TOOL_COUNT];
	bool any_tool;
};

/* Prints the tail of a captured stream, at most `lines` lines. */
static void print_tail(const char *label, const tl_buf *b, int lines)
{
	if (!b->len)
		return;
	const char *p = b->data + b->len;
	int seen = 0;
	while (p > b->data && seen <= lines)
		if (*--p == '\n')
			seen++;
	if (*p == '\n')
		p++;
	printf("   --- %s%s ---\n", label, p > b->data ? " (tail)" : "");
	fwrite(p, 1, (size_t)(b->data + b->len - p), stdout);
	if (b->data[b->len - 1] != '\n')
		putchar('\n');
}

/* One (program, tool) pair: returns RUNNER_OK, RUNNER_FAIL, RUNNER_SKIP or RUNNER_ERROR. */
static int check_one(const struct lab *lab, int variant, enum tl_tool tool, bool verbose,
                     const char *progress)
{
	char rel[PATH_MAX], err[320], why_na[256];
	lab_source_rel(lab, variant, rel, sizeof rel);
	struct tl_spec spec;
	if (lab_spec(lab, variant, &spec, err, sizeof err)) {
		printf("ERROR %s\n", err);
		return RUNNER_ERROR;
	}
	if (!spec.expect[tool].present) {
		printf("ERROR %s has no 'expect %s:' line\n", rel, tl_tool_name(tool));
		return RUNNER_ERROR;
	}
	char want[256];
	expectation_format(&spec, tool, want, sizeof want);
	if (!tl_tool_available(tool, why_na, sizeof why_na)) {
		printf("SKIP  %-26s %-6s %-8s %s\n", lab->id, lab_variant_names[variant],
		       tl_tool_name(tool), why_na);
		return RUNNER_SKIP;
	}
	if (progress && isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r\033[K%s %s %s %s ...", progress, lab->id,
		        lab_variant_names[variant], tl_tool_name(tool));
		fflush(stderr);
	}
	struct outcome o;
	lab_execute(lab, variant, tool, false, NULL, &o);
	if (progress && isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	tl_buf why = {0};
	bool ok = outcome_matches(&spec, tool, rel, &o, &why);
	printf("%s  %-26s %-6s %-8s %-40s %6.2f s\n",
	       ok        ? "PASS"
	       : o.error ? "ERROR"
	                 : "FAIL",
	       lab->id, lab_variant_names[variant], tl_tool_name(tool), want, o.res.wall_ms / 1000);
	if (!ok)
		printf("%s", why.data);
	if (!ok || verbose) {
		outcome_print_reports(stdout, &o, rel, "   report: ");
		if (tool != TL_TOOL_RUN)
			printf("   program: %s (exit %d, signal %d)\n", tl_verdict_name(o.program),
			       o.res.exit_code, o.res.term_signal);
		if (spec.expect[tool].note[0])
			printf("   %s\n", spec.expect[tool].note);
		print_tail("program stdout", &o.res.out, 10);
		const struct tl_tool_info *ti = tl_tool(tool);
		char label[64] = "program stderr";
		if (ti->format && !ti->format->on_xml_fd)
			snprintf(label, sizeof label, "stderr (%s reports)", ti->title);
		print_tail(label, &o.res.err, verbose ? 60 : 30);
	}
	fflush(stdout);
	tl_buf_free(&why);
	int rc = ok ? RUNNER_OK : o.error ? RUNNER_ERROR : RUNNER_FAIL;
	outcome_free(&o);
	return rc;
}

/* "labs/race/counter/broken.tsan.lab", maybe with a directory in front
 * (".lab" is automake's test extension; it may be left out). */
static int check_test_file(const char *arg)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", arg);
	size_t len = strlen(path);
	if (len > 4 && !strcmp(path + len - 4, ".lab"))
		path[len - 4] = '\0';
	const char *p = strstr(path, "labs/");
	while (p && p != path && p[-1] != '/') /* "xlabs/" is not "labs/" */
		p = strstr(p + 1, "labs/");
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (!p || !dot || !slash || dot < slash) {
		runner_error("--test: '%s' is not labs/CATEGORY/NAME/VARIANT.TOOL", path);
		return RUNNER_USAGE;
	}
	char id[96], variant[16], tool[16];
	int idn = (int)(slash - (p + 5));
	int vn = (int)(dot - slash - 1);
	if (idn <= 0 || idn >= (int)sizeof id || vn <= 0 || vn >= (int)sizeof variant ||
	    strlen(dot + 1) >= sizeof tool) {
		runner_error("--test: '%s' is not labs/CATEGORY/NAME/VARIANT.TOOL", path);
		return RUNNER_USAGE;
	}
	snprintf(id, sizeof id, "%.*s", idn, p + 5);
	snprintf(variant, sizeof variant, "%.*s", vn, slash + 1);
	snprintf(tool, sizeof tool, "%s", dot + 1);
	int t = tl_tool_from_name(tool), v = lab_variant_index(variant);
	if (t < 0 || v < 0) {
		runner_error("--test: '%s': unknown tool or variant", path);
		return RUNNER_USAGE;
	}
	struct labs labs;
	if (labs_load(&labs))
		return RUNNER_ERROR;
	const struct lab *lab = labs_find(&labs, id);
	int rc;
	if (!lab || !lab->has[v]) {
		runner_error("--test: no lab program labs/%s/%s.c", id, variant);
		rc = RUNNER_ERROR;
	} else {
		rc = check_one(lab, v, (enum tl_tool)t, true, NULL);
	}
	labs_free(&labs);
	return rc;
}

static int list_tests(const struct labs *labs)
{
	for (size_t i = 0; i < labs->n; i++)
		for (int v = 0; v < LAB_VARIANTS; v++) {
			if (!labs->v[i].has[v])
				continue;
			struct tl_spec spec;
			char err[320];
			if (lab_spec(&labs->v[i], v, &spec, err, sizeof err)) {
				runner_error("%s", err);
				return RUNNER_ERROR;
			}
			for (int t = 0; t < TL_TOOL_COUNT; t++)
				if (spec.expect[t].present)
					printf("labs/%s/%s.%s.lab\n", labs->v[i].id,
					       lab_variant_names[v], tl_tool_name(t));
		}
	return RUNNER_OK;
}

struct tally {
	size_t total, done;
	size_t counts[4]; /* passed, failed, skipped, errors */
};

static void tally_add(struct tally *t, int rc)
{
	t->counts[rc == RUNNER_OK ? 0 : rc == RUNNER_FAIL ? 1 : rc == RUNNER_SKIP ? 2 : 3]++;
}

/* Counts (count_only) or checks every (variant, tool) pair of one lab. */
static void check_lab(const struct lab *lab, const struct selection *sel, bool verbose,
                      bool count_only, struct tally *t)
{
	for (int v = 0; v < LAB_VARIANTS; v++) {
		struct tl_spec spec;
		char err[320];
		if (!lab->has[v])
			continue;
		if (lab_spec(lab, v, &spec, err, sizeof err)) {
			if (count_only) {
				t->total++;
			} else {
				printf("ERROR %s\n", err);
				tally_add(t, RUNNER_ERROR);
			}
			continue;
		}
		for (int tool = 0; tool < TL_TOOL_COUNT; tool++) {
			if (!spec.expect[tool].present || (sel->any_tool && !sel->tools[tool]))
				continue;
			if (count_only) {
				t->total++;
				continue;
			}
			char progress[32];
			snprintf(progress, sizeof progress, "[%zu/%zu]", ++t->done, t->total);
			tally_add(t, check_one(lab, v, (enum tl_tool)tool, verbose, progress));
		}
	}
}

static const struct runner_option check_options[] = {
    {"tool", OPT_TOOL, "T", "only this tool's expectations (again for more; default: all)"},
    {"verbose", 'v', NULL, "also print the reports and output of passing programs"},
    {"list-tests", OPT_LIST_TESTS, NULL, "print the test names make check runs, one a line"},
    {"test", OPT_TEST, "FILE", "one test, labs/CATEGORY/NAME/VARIANT.TOOL[.lab] (make check)"},
    {0},
};

static int cmd_check(int argc, char **argv)
{
	struct selection sel = {0};
	struct runner_args a;
	bool verbose = false, list = false;
	const char *test = NULL;
	int key;
	runner_args_start(&a, &runner_cmd_check, argc, argv);
	while ((key = runner_next_option(&a)) > 0) {
		if (key == OPT_TOOL) {
			int t = parse_tool(a.value);
			if (t < 0)
				return RUNNER_USAGE;
			sel.tools[t] = sel.any_tool = true;
		} else if (key == 'v') {
			verbose = true;
		} else if (key == OPT_LIST_TESTS) {
			list = true;
		} else if (key == OPT_TEST) {
			test = a.value;
		}
	}
	if (key < 0)
		return a.status;
	if (test && (a.npos || sel.any_tool || list)) {
		runner_error(
		    "check: --test FILE goes alone (the file names the lab, program and tool)");
		return RUNNER_USAGE;
	}
	if (test)
		return check_test_file(test);
	char **names = a.pos;
	size_t nnames = (size_t)a.npos;
	struct labs labs;
	if (labs_load(&labs))
		return RUNNER_ERROR;
	int rc;
	if (list) {
		rc = list_tests(&labs);
		labs_free(&labs);
		return rc;
	}
	/* Which labs: named ones, whole categories, or all. */
	bool *chosen = calloc(labs.n ? labs.n : 1, sizeof *chosen);
	if (labs_select(&labs, names, nnames, chosen)) {
		free(chosen);
		labs_free(&labs);
		return RUNNER_USAGE;
	}
	struct tally t = {0};
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < labs.n; i++)
			if (!nnames || chosen[i])
				check_lab(&labs.v[i], &sel, verbose, pass == 0, &t);
	printf("\n%zu passed, %zu failed, %zu skipped, %zu errors (of %zu)\n", t.counts[0],
	       t.counts[1], t.counts[2], t.counts[3], t.total);
	rc = t.counts[1] || t.counts[3]          ? RUNNER_FAIL
	     : t.counts[2] == t.total && t.total ? RUNNER_SKIP
	                                         : RUNNER_OK;
	free(chosen);
	labs_free(&labs);
	return rc;
}

const struct runner_command runner_cmd_check = {
    "check",
    "[LAB|CATEGORY...] [--tool T] [--verbose]",
    "run programs and compare with their expectations",
    0,
    -1,
    check_options,
    cmd_check,
    false,
};
