/* runner_try — `threadlab try FILE.c`: a learner's own program through the
 * native run (with a hang analysis) and every detector, then one verdict.
 *
 * The verdict comes from try_weigh(), which takes what each tool gave and
 * weighs it (a native hang outranks a detector's silence, TSan's reports
 * are trusted, Helgrind's and DRD's on what TSan saw ordered are not
 * counted, ...).  It is a pure function of these structures, so the unit
 * test feeds it hand-made results, and try_from_spec() turns a lab's
 * header (what each tool really prints on it) into the same structures, so
 * that a lab's class is its header weighed the same way.
 */
#ifndef RUNNER_TRY_H
#define RUNNER_TRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tl_spec.h"
#include "tl_tool.h"
#include "tl_verdict.h"

/* One report, as the rows show it: where it first touches the program. */
struct try_report {
	enum tl_verdict verdict;
	char file[256]; /* the program's file ("" when no frame is in it) */
	int line;
	char text[160];   /* that source line, trimmed */
	char hint[64];    /* what the stacks show that Helgrind and DRD misread:
	                     "pthread_once", "an atomic", "a pipe", or "" */
	int count;        /* reports of this kind at this place */
	uint64_t seed;    /* 0, or the perturbation seed of the run that showed it */
	char detail[160]; /* the signal-handler pass: the call and its handler */
};

/* Schedule perturbation as try runs it (HACKING.md, "Schedule
 * perturbation"): a fifth of the synchronisation calls delayed, by half a
 * second each, long against a program's own timed waits (the probe's
 * 200 ms under TSan), over --perturb seeds from 1. */
#define TRY_PERTURB_DENSITY  200
#define TRY_PERTURB_DELAY_US 500000
#define TRY_PERTURB_SEEDS    16
/* A perturbed run may take as long as the TSan run did plus this many
 * delays (capped by the time limit). */
#define TRY_PERTURB_DELAYS 20

enum try_state {
	TRY_RAN,         /* it ran and its reports were read */
	TRY_UNAVAILABLE, /* the tool is not installed or not built here */
	TRY_FAILED,      /* it ran but could not be judged (why says so) */
};

struct try_tool {
	enum try_state state;
	char why[256];      /* UNAVAILABLE, FAILED: one line */
	bool hung;          /* stopped: no progress, or past its time limit */
	bool crashed;       /* the program died of a signal under it */
	tl_verdict_set got; /* the kinds it reported */
	struct try_report *reports;
	size_t nreports;
};

/* The native run. */
struct try_native {
	bool ran;
	int exit_code;   /* when it exited */
	int term_signal; /* when a signal ended it by itself */
	bool timed_out;  /* past --timeout */
	bool stopped;    /* ended by us after a hang analysis */
	/* The verdict of the exit status under the labs' contract (tl_exit.h),
	 * clean for 0, unclassified for a status outside it. */
	enum tl_verdict exit_verdict;
	/* The hang analysis: "deadlock", "stuck", "livelock", "idle", "busy",
	 * "serialised", "thread-leak", or "" when none was made. */
	char hang[16];
	char hang_file[256]; /* where a waiting thread waits, when known */
	int hang_line;
	char hang_text[160];
	char hang_why[512]; /* one line: the threads and what they wait for */
};

struct try_verdict {
	char cls[24]; /* a verdict word of tl_verdict.h, or "stuck" */
	char file[256];
	int line; /* 0: no line */
	char text[160];
	const char *confidence; /* "high", "medium", "low" */
	char because[1024];
	char discounted[1024]; /* reports not counted, and why ("" when none) */
	uint64_t seed;         /* the perturbation seed that showed it, or 0 */
};

/* Weighs the tools' results (indexed by enum tl_tool; TL_TOOL_RUN's entry
 * is not read: the native run is n) into one verdict. */
void try_weigh(const struct try_native *n, const struct try_tool tools[TL_TOOL_COUNT],
               struct try_verdict *v);
/* The same with the signal-handler pass's findings (signal-unsafe reports)
 * as one more source; sigpass may be NULL. */
void try_weigh_all(const struct try_native *n, const struct try_tool tools[TL_TOOL_COUNT],
                   const struct try_tool *sigpass, struct try_verdict *v);

/* What a lab's header expects, as if the tools had given exactly that: the
 * run's verdict as the exit verdict, each tool's verdicts, one report per
 * anchor (at its line) or per verdict without anchors.  Free with
 * try_tools_free. */
void try_from_spec(const struct tl_spec *spec, struct try_native *n,
                   struct try_tool tools[TL_TOOL_COUNT]);
void try_tools_free(struct try_tool tools[TL_TOOL_COUNT]);

/* Adds a report to t, merging it with one of the same kind and place. */
void try_tool_add(struct try_tool *t, const struct try_report *r);

#endif
