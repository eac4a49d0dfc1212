/* runner — the threadlab command: shared declarations of its parts.
 *   runner_labs.c   finding labs and reading their specs
 *   runner_exec.c   running one (program, tool) and judging the result
 *   runner_cmds.c   list, show, run, check
 *   runner_stress.c stress
 *   runner_bench.c  bench
 *   runner_try.c    try: a learner's own program (runner_try.h, runner_try_weigh.c)
 *   runner_tour.c   the guided tour
 *   runner_opts.c   the subcommands' command line parser and help texts
 */
#ifndef RUNNER_H
#define RUNNER_H

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "tl_spawn.h"
#include "tl_spec.h"
#include "tl_verdict.h"

/* Exit codes of the runner (automake's test protocol for `check --test`). */
enum {
	RUNNER_OK = 0,
	RUNNER_FAIL = 1,
	RUNNER_USAGE = 2,
	RUNNER_SKIP = 77,
	RUNNER_ERROR = 99,
};

#define LAB_VARIANTS 4 /* broken, fixed, demo, probe */

struct lab {
	char id[96];        /* "race/counter" */
	char category[48];  /* "race" */
	char dir[PATH_MAX]; /* SRCDIR/labs/race/counter */
	bool has[LAB_VARIANTS];
};

struct labs {
	struct lab *v;
	size_t n;
};

extern const char *const lab_variant_names[LAB_VARIANTS];

/* runner_paths.c: the lab sources' tree and the lab programs' tree (the
 * source and build trees, or pkgdatadir and pkglibexecdir once installed),
 * and where threadstat is. */
const char *runner_srcdir(void);
const char *runner_builddir(void);
void runner_threadstat_path(char *buf, size_t len);
bool runner_color(void);           /* stdout is a terminal and NO_COLOR is unset */
void runner_words(FILE *f);        /* threadlab help words: the glossary */
void runner_troubleshoot(FILE *f); /* threadlab help troubleshoot */
void runner_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int labs_load(struct labs *out);
void labs_free(struct labs *l);
const struct lab *labs_find(const struct labs *l, const char *id);
bool labs_has_category(const struct labs *l, const char *category);
int lab_variant_index(const char *name);      /* -1 if not a variant */
int lab_first_variant(const struct lab *lab); /* broken, else demo */
/* Source path relative to the source tree: "labs/race/counter/broken.c". */
void lab_source_rel(const struct lab *lab, int variant, char *buf, size_t len);
int lab_spec(const struct lab *lab, int variant, struct tl_spec *spec, char *err, size_t errlen);
/* Resolves a user's LAB argument: exact id, or unique "name" match. */
const struct lab *labs_resolve(const struct labs *l, const char *arg);
/* The labs a user named (ids, unique names, whole categories; all when
 * nnames is 0) as a calloc'd array of l->n flags; NULL after one line on
 * stderr. */
bool *labs_choose(const struct labs *l, char *const *names, size_t nnames);
/* LAB and an optional VARIANT (NULL: the lab's first, broken or demo) as a
 * user gave them; one line on stderr and NULL when either is not there. */
const struct lab *labs_resolve_variant(const struct labs *l, const char *lab_arg,
                                       const char *variant_arg, int *variant);

/* What one (program, tool) run gave. */
struct outcome {
	bool error; /* the harness could not judge: msg says why */
	char msg[512];
	tl_verdict_set got;      /* detector findings (tools) or the program's outcome (run) */
	enum tl_verdict program; /* the program's own outcome, from its exit status */
	struct tl_spawn_result res;
	struct tl_reports reports;
};

/* lab_args: more arguments for the program (NULL-terminated, or NULL). */
int lab_execute(const struct lab *lab, int variant, enum tl_tool tool, bool echo,
                char *const *lab_args, struct outcome *o);
void outcome_free(struct outcome *o);
/* The verdict a lab's exit code stands for (tl_exit.h), TL_V_UNCLASSIFIED
 * for any other code. */
enum tl_verdict runner_exit_code_verdict(int code);

/* What check and matrix keep of one run beyond pass or fail: the verdicts
 * seen, how many of the expectation's anchors a report pointed at, the
 * time.  check --test prints it as a "measured:" line, which is how matrix
 * reads make check's logs back. */
struct measure {
	tl_verdict_set got;
	int anchors, anchors_hit;
	double wall_ms;
};
void outcome_measure(const struct tl_spec *spec, enum tl_tool tool, const char *src_rel,
                     const struct outcome *o, struct measure *m);
void measure_print(FILE *f, const struct measure *m);
/* Reads a "measured:" line back; 0, or -1 when text has none. */
int measure_parse(const char *text, struct measure *m);

/* runner_jobs.c: work(i, arg) for every i in [0, n) on `jobs` threads (the
 * caller's among them), taken in order; finished(i, done, arg), if given,
 * after each, one at a time. */
void runner_jobs_run(size_t n, int jobs, void (*work)(size_t i, void *arg),
                     void (*finished)(size_t i, size_t done, void *arg), void *arg);
/* --jobs J's value, 1 to 64; -1 after one line on stderr. */
int runner_parse_jobs(const char *cmd, const char *text, int *jobs);
/* The program's "outcome: NAME=VALUE" line (tl_lab_outcome, printed when
 * THREADLAB_OUTCOMES=1): its name and value; false when it printed none. */
bool outcome_number(const struct outcome *o, char *name, size_t namelen, long *value);
/* Compares o with the spec's expectation for tool; appends the reasons for a
 * mismatch to why.  True when they agree. */
bool outcome_matches(const struct tl_spec *spec, enum tl_tool tool, const char *src_rel,
                     const struct outcome *o, tl_buf *why);
/* "data-race @counter-write thread-leak" — an expectation as written. */
void expectation_format(const struct tl_spec *spec, enum tl_tool tool, char *buf, size_t len);
/* One line per report: "data-race  labs/x/broken.c:23  in f". */
void outcome_print_reports(FILE *f, const struct outcome *o, const char *src_rel,
                           const char *indent);

/* One option of a subcommand. */
struct runner_option {
	const char *name;  /* the long name, without "--" */
	int key;           /* a letter (then also -letter), or RUNNER_OPT_LONG + n */
	const char *value; /* the value's name in the help ("T"); NULL: a flag */
	const char *help;  /* one line */
};

enum { RUNNER_OPT_LONG = 256, RUNNER_MAX_OPTIONS = 12 };

/* A subcommand: its command line and its help come from here. */
struct runner_command {
	const char *name;                    /* "run" */
	const char *synopsis;                /* "LAB [broken|fixed|demo] [--tool T]" */
	const char *summary;                 /* one line */
	int min_args, max_args;              /* positional arguments; max -1: no limit */
	const struct runner_option *options; /* ends with {0}; -h, --help come with every command */
	int (*run)(int argc, char **argv);   /* argv[0] is the command's name */
	bool lab_args;                       /* what follows "--" is for the lab program */
};

/* Every subcommand, in the order of threadlab --help; NULL at the end. */
extern const struct runner_command *const runner_commands[];
extern const struct runner_command runner_cmd_list, runner_cmd_show, runner_cmd_run,
    runner_cmd_check, runner_cmd_matrix, runner_cmd_stress, runner_cmd_bench, runner_cmd_tour,
    runner_cmd_try, runner_cmd_help;

const struct runner_command *runner_command_find(const char *name);
void runner_overview(FILE *f);                                       /* threadlab --help */
void runner_command_help(const struct runner_command *cmd, FILE *f); /* threadlab CMD --help */

/* A command's arguments being read:
 *	struct runner_args a;
 *	runner_args_start(&a, &runner_cmd_run, argc, argv);
 *	while ((key = runner_next_option(&a)) > 0)
 *		... key, a.value ...
 *	if (key < 0)
 *		return a.status;
 *	... a.pos[0 .. a.npos) ...
 */
struct runner_args {
	const struct runner_command *cmd;
	int argc;
	char **argv;
	const char *value; /* the value of the option just returned */
	char **pos;        /* the positional arguments, in order */
	int npos;
	char **lab_args; /* after "--", for commands that take lab arguments; NULL-terminated */
	int nlab_args;
	int status; /* the command's exit code once runner_next_option returned -1 */
	struct option longopts[RUNNER_MAX_OPTIONS + 2];
	char shortopts[2 * RUNNER_MAX_OPTIONS + 8];
};

void runner_args_start(struct runner_args *a, const struct runner_command *cmd, int argc,
                       char **argv);
/* The next option's key (its value in a->value); 0 when all are read and the
 * number of positional arguments fits; -1 when the command ends here with
 * a->status: its help was printed (0), or one line on stderr said what is
 * wrong (RUNNER_USAGE). */
int runner_next_option(struct runner_args *a);

#endif
