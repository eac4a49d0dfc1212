/* tl_spec — a lab's header comment is its specification.
 *
 *   / * race/counter — broken
 *    * Two threads do counter++ ...; the total comes out short.
 *    * expect run:      wrong-result
 *    * expect tsan:     data-race @counter-write
 *    * expect helgrind: clean
 *    * miss: why the tool misses it
 *    * /
 *   ...  counter++;   / * @counter-write * /
 *
 * A performance lab (both variants correct) adds bench lines after its
 * expect lines, one per figure that `threadlab bench` measures:
 *
 *    * bench: ratio >= 2.5 --iterations 20000000
 *    * bench: speedup broken <= 1.1 fixed >= 1.8 --iterations 400
 *
 * ratio: ns(broken ARGS) / ns(fixed ARGS).  speedup: for each variant,
 * ns(ARGS --threads 1) / ns(ARGS --threads 2).
 *
 * Anchor tokens follow the verdict word they qualify.  An anchor must be
 * defined exactly once in the file as a comment "@name" on a code line.
 */
#ifndef TL_SPEC_H
#define TL_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "tl_tool.h"
#include "tl_verdict.h"

#define TL_SPEC_MAX_ANCHORS 16
#define TL_SPEC_MAX_USES    16
#define TL_SPEC_MAX_BENCH   4
#define TL_BENCH_MAX_ARGS   8

struct tl_anchor {
	char name[48];
	int line; /* 1-based line in the file */
};

struct tl_anchor_use {
	enum tl_verdict verdict; /* the word the anchor follows */
	int anchor;              /* index in spec->anchors */
};

struct tl_expectation {
	bool present;
	tl_verdict_set verdicts;
	struct tl_anchor_use uses[TL_SPEC_MAX_USES];
	size_t nuses;
	char note[1024]; /* the "miss:"/"false alarm:"/"note:" lines after it, joined */
	int line;        /* header line of the expect */
};

enum tl_bench_kind {
	TL_BENCH_RATIO,   /* one goal: broken's time over fixed's */
	TL_BENCH_SPEEDUP, /* two goals, broken's and fixed's: time at 1 thread over 2 */
};

struct tl_bench_goal {
	bool at_most; /* "<=" (else ">=") */
	double value;
	char text[16]; /* the number as written, for messages */
};

struct tl_bench {
	enum tl_bench_kind kind;
	struct tl_bench_goal goal[2];     /* ratio: [0]; speedup: [0] broken, [1] fixed */
	char args[TL_BENCH_MAX_ARGS][32]; /* the programs' arguments, "--iterations" "400" */
	size_t nargs;
	int line; /* header line of the bench line */
};

struct tl_spec {
	char title[96];                              /* "race/counter — broken" */
	char lesson[1024];                           /* the header's prose, joined into one line */
	struct tl_expectation expect[TL_TOOL_COUNT]; /* by tool (tl_tool.h) */
	struct tl_anchor anchors[TL_SPEC_MAX_ANCHORS];
	size_t nanchors;
	struct tl_bench bench[TL_SPEC_MAX_BENCH]; /* the "bench:" lines, in order */
	size_t nbench;
};

/* Parses a lab source.  0, or -1 with "LINE: message" in err. */
int tl_spec_parse(const char *src, size_t len, struct tl_spec *spec, char *err, size_t errlen);

#endif
