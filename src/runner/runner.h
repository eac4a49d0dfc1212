/* runner — the threadlab command: shared declarations of its parts.
 *   runner_labs.c   finding labs and reading their specs
 *   runner_exec.c   running one (program, tool) and judging the result
 *   runner_cmds.c   list, show, run, check
 *   runner_tour.c   the guided tour
 */
#ifndef RUNNER_H
#define RUNNER_H

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
	char id[96];         /* "race/counter" */
	char category[48];   /* "race" */
	char dir[PATH_MAX];  /* SRCDIR/labs/race/counter */
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
bool runner_color(void); /* stdout is a terminal and NO_COLOR is unset */
void runner_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int labs_load(struct labs *out);
void labs_free(struct labs *l);
const struct lab *labs_find(const struct labs *l, const char *id);
bool labs_has_category(const struct labs *l, const char *category);
int lab_variant_index(const char *name); /* -1 if not a variant */
int lab_first_variant(const struct lab *lab); /* broken, else demo */
/* Source path relative to the source tree: "labs/race/counter/broken.c". */
void lab_source_rel(const struct lab *lab, int variant, char *buf, size_t len);
int lab_spec(const struct lab *lab, int variant, struct tl_spec *spec, char *err, size_t errlen);
/* Resolves a user's LAB argument: exact id, or unique "name" match. */
const struct lab *labs_resolve(const struct labs *l, const char *arg);
/* LAB and an optional VARIANT (NULL: the lab's first, broken or demo) as a
 * user gave them; one line on stderr and NULL when either is not there. */
const struct lab *labs_resolve_variant(const struct labs *l, const char *lab_arg,
				       const char *variant_arg, int *variant);

/* What one (program, tool) run gave. */
struct outcome {
	bool error;               /* the harness could not judge: msg says why */
	char msg[512];
	tl_verdict_set got;       /* detector findings (tools) or the program's outcome (run) */
	enum tl_verdict program;  /* the program's own outcome, from its exit status */
	struct tl_spawn_result res;
	struct tl_reports reports;
};

int lab_execute(const struct lab *lab, int variant, enum tl_tool tool, bool echo,
		struct outcome *o);
void outcome_free(struct outcome *o);
/* Compares o with the spec's expectation for tool; appends the reasons for a
 * mismatch to why.  True when they agree. */
bool outcome_matches(const struct tl_spec *spec, enum tl_tool tool, const char *src_rel,
		     const struct outcome *o, tl_buf *why);
/* "data-race @counter-write thread-leak" — an expectation as written. */
void expectation_format(const struct tl_spec *spec, enum tl_tool tool, char *buf, size_t len);
/* One line per report: "data-race  labs/x/broken.c:23  in f". */
void outcome_print_reports(FILE *f, const struct outcome *o, const char *src_rel, const char *indent);

int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_stress(int argc, char **argv);
int cmd_tour(int argc, char **argv);

#endif
