/* tl_verdict — the verdict words, and the parsers that turn what a detector
 * printed into them (report_tsan.c, report_valgrind.c; which tool uses which
 * is in tl_tool.h).
 *
 * ThreadSanitizer writes text reports to stderr, one per
 *   ==================
 *   WARNING: ThreadSanitizer: <kind> (pid=N)
 *     <stack title>:
 *       #0 func file:line:col (module+0xoff)
 *   ...
 *   SUMMARY: ThreadSanitizer: <kind> file:line in func
 *   ==================
 * Valgrind (Helgrind, DRD, Memcheck) with --xml=yes writes <error> elements
 * with a <kind> and one or more <stack>s of <frame>s (<file>, <dir>, <line>).
 * Both become a list of tl_report: a verdict word, the tool's own kind text,
 * a one-line description, and the stacks.
 */
#ifndef TL_VERDICT_H
#define TL_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tl_verdict {
	TL_V_CLEAN,
	TL_V_WRONG_RESULT,
	TL_V_DEADLOCK,
	TL_V_LIVELOCK,
	TL_V_TIMEOUT,
	TL_V_THREAD_LEAK,
	TL_V_DATA_RACE,
	TL_V_LOCK_ORDER,
	TL_V_DOUBLE_LOCK,
	TL_V_BAD_UNLOCK,
	TL_V_DESTROY_LOCKED,
	TL_V_COND_MISUSE,
	TL_V_SIGNAL_UNSAFE,
	TL_V_MUTEX_MISUSE,
	TL_V_MEMORY_LEAK,
	TL_V_MEMORY_ERROR,
	TL_V_CRASH,
	TL_V_UNCLASSIFIED, /* a report kind no rule maps: never matches an expectation */
	TL_V_COUNT
};

typedef uint32_t tl_verdict_set; /* bit (1u << verdict) */

const char *tl_verdict_name(enum tl_verdict v);
/* Returns the verdict for a word, or -1 when the word is not one. */
int tl_verdict_from_name(const char *word);
/* Writes the set as space-separated words ("clean" when empty) into buf. */
void tl_verdict_set_format(tl_verdict_set s, char *buf, size_t len);

struct tl_frame {
	char *func; /* may be NULL */
	char *file; /* path as the tool printed it (dir/file for Valgrind); may be NULL */
	int line;   /* 0 when unknown */
};

struct tl_stack {
	char *title; /* "Write of size 4 ... by thread T1", Valgrind's auxwhat, ...; may be NULL */
	struct tl_frame *frames;
	size_t nframes;
};

struct tl_report {
	enum tl_verdict verdict;
	char *kind; /* the tool's own name: "data race", "Race", "Leak_PossiblyLost" */
	char *what; /* one line of description */
	struct tl_stack *stacks;
	size_t nstacks;
};

struct tl_reports {
	struct tl_report *v;
	size_t n;
};

/* Parse everything a program under TSan wrote to stderr (its own output may
 * be mixed in).  0 on success; -1 with a one-line message in err when a
 * report is malformed or truncated.  Reports parsed before an error are kept. */
int tl_parse_tsan(const char *text, size_t len, struct tl_reports *out, char *err, size_t errlen);

/* Parse a Valgrind --xml=yes document (Helgrind, DRD or Memcheck).  0 or -1
 * with a message in err (malformed or truncated XML, wrong protocol). */
int tl_parse_valgrind_xml(const char *xml, size_t len, struct tl_reports *out, char *err,
                          size_t errlen);

void tl_reports_free(struct tl_reports *r);

/* The set of verdicts in r (empty set = clean). */
tl_verdict_set tl_reports_verdicts(const struct tl_reports *r);

/* True when r holds frames but not one names a function or a file: the tool
 * could not symbolize (TSan without llvm-symbolizer prints "<null> <null>
 * (module+0xoff)"), so no report can point at a line. */
bool tl_reports_unsymbolized(const struct tl_reports *r);

/* Where a report points in one source file: for each stack, the first frame
 * whose file path ends with path_suffix (at a '/' boundary or whole).  True if
 * one of those frames is at `line`. */
bool tl_report_points_at(const struct tl_report *r, const char *path_suffix, int line);

/* The first such frame of the first stack that has one, or NULL. */
const struct tl_frame *tl_report_first_frame_in(const struct tl_report *r, const char *path_suffix);

#endif
