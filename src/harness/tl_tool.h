/* tl_tool — the tools a lab program runs under, in one table.
 *
 * One row per tool: the native run ("run", judged by its exit status) and
 * each detector.  A row says what the tool is called (--tool, `expect NAME:`
 * lines, test names labs/CAT/LAB/VARIANT.NAME.lab), which build of the
 * program it runs (plain or _tsan), how its command line and environment are
 * made, how much slower it makes the program (THREADLAB_SLOWDOWN), and where
 * its report comes out and which parser reads it.  Every list of tools in the
 * runner and the spec parser comes from here; adding a detector is one enum
 * constant, one row and, for a new report format, one parser (HACKING.md,
 * "Adding a detector").
 */
#ifndef TL_TOOL_H
#define TL_TOOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "tl_spawn.h"
#include "tl_verdict.h"

/* The order of the table: test names and `check --list-tests` follow it. */
enum tl_tool {
	TL_TOOL_RUN,
	TL_TOOL_TSAN,
	TL_TOOL_HELGRIND,
	TL_TOOL_DRD,
	TL_TOOL_MEMCHECK,
	TL_TOOL_COUNT
};

/* Parses everything one run wrote to the report's stream.  0, or -1 with a
 * one-line message in err (reports complete before the error are kept). */
typedef int tl_report_parser(const char *text, size_t len, struct tl_reports *out, char *err,
                             size_t errlen);

/* How a tool's reports come out and are read. */
struct tl_report_format {
	bool on_xml_fd; /* a document on TL_TOOL_XML_FD, else mixed into stderr */
	tl_report_parser *parse;
	bool read_after_timeout;  /* still read when the run was killed at the time limit */
	const char *unsymbolized; /* the message when no frame has a name or a file, or NULL */
};

/* A program that runs the lab program under it (Valgrind). */
struct tl_launcher {
	const char *path;          /* "" when configure found none */
	const char *path_env;      /* an environment variable naming another path, or NULL */
	const char *const *args;   /* every tool it runs gets these first (NULL-terminated) */
	const char *xml_fd_option; /* "--xml-fd=": sends its document to a descriptor */
	const char *suppressions;  /* relative to the source tree, passed as --suppressions= */
	const char *missing;       /* the message when path is not an executable */
};

struct tl_tool_info {
	const char *name;  /* "tsan" */
	const char *title; /* "TSan": for people */
	int slowdown;      /* THREADLAB_SLOWDOWN under it: its windows and our time limit scale */
	const char *binary_suffix; /* "": the plain build; "_tsan": the ThreadSanitizer one */
	const struct tl_launcher *launcher; /* NULL: the program runs itself */
	const char *const *args; /* the launcher's arguments for this tool (NULL-terminated) */
	const char *env;         /* one "NAME=value" for the program, or NULL */
	const struct tl_report_format *format; /* NULL: no report, the exit status is the verdict */
	int report_exit_code; /* the tool's exit code in place of the program's after a report, or 0
	                       */
	const char
	    *unbuilt; /* NULL, or why this build has no such binaries (configure's verdict) */
};

/* The row of t (TL_TOOL_RUN's for a value out of range: never NULL). */
const struct tl_tool_info *tl_tool(enum tl_tool t);
const char *tl_tool_name(enum tl_tool t); /* "?" for a value out of range */
int tl_tool_from_name(const char *name);  /* -1 when unknown */
/* "run, tsan, helgrind, drd, memcheck" into buf (cut to len). */
void tl_tool_list(char *buf, size_t len);

/* The launcher's program: its path_env when set and not empty, else path. */
const char *tl_launcher_path(const struct tl_launcher *l);

/* Whether t can run here (its binaries built, its launcher installed); when
 * not, why in `why`. */
bool tl_tool_available(enum tl_tool t, char *why, size_t len);

/* Where a launcher's document report is written (Valgrind's --xml-fd). */
#define TL_TOOL_XML_FD   3
#define TL_TOOL_MAX_ARGV 24

/* The command line and environment of one run of a program under a tool. */
struct tl_tool_command {
	char *argv[TL_TOOL_MAX_ARGV]; /* NULL-terminated */
	char *env[3];                 /* NULL-terminated: added to the runner's environment */
	int xml_fd;                   /* TL_TOOL_XML_FD or -1: for tl_spawn_opts */
	char program[PATH_MAX + 64];
	char xml_fd_option[32];
	char suppressions[PATH_MAX + 32];
	char slowdown[32];
};

/* Builds the command that runs `program` (the right build for t, see
 * binary_suffix) under t; srcdir is the source tree (for suppressions).
 * 0, or -1 with a message in err when a path is too long. */
int tl_tool_command(enum tl_tool t, const char *program, const char *srcdir,
                    struct tl_tool_command *cmd, char *err, size_t errlen);

/* The reports of a finished run under t, from the stream its format names
 * (none for a tool without a format, nor for one killed at the time limit
 * unless the format says it can be read then).  0, or -1 with a message. */
int tl_tool_read_reports(enum tl_tool t, const struct tl_spawn_result *res, struct tl_reports *out,
                         char *err, size_t errlen);

/* NULL, or why r cannot be checked against source lines: t's message for a
 * report that could not be symbolized ("TSan could not symbolize: ..."). */
const char *tl_tool_unsymbolized(enum tl_tool t, const struct tl_reports *r);

#endif
