/* tl_tool — the table of tools (see tl_tool.h) and what is built from it:
 * names, command lines, the reading of reports. */
#include "config.h"

#include "tl_tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STR_(x) #x
#define STR(x)  STR_(x)

/* TSan's exit code after a report; it replaces the program's own. */
#define TSAN_EXIT_CODE 66

/* clang-format off */
static const struct tl_report_format tsan_text = {
	.on_xml_fd = false,
	.parse = tl_parse_tsan,
	/* Each report is written whole when found: a killed run's are complete. */
	.read_after_timeout = true,
	.unsymbolized = "TSan could not symbolize: install llvm-14 (llvm-symbolizer)",
};

static const struct tl_report_format valgrind_xml = {
	.on_xml_fd = true,
	.parse = tl_parse_valgrind_xml,
	/* A killed run leaves the document unclosed: its hang is the finding. */
	.read_after_timeout = false,
	/* Valgrind reads the debug information itself. */
	.unsymbolized = NULL,
};

static const struct tl_launcher valgrind = {
	.path = VALGRIND_PATH,
	/* Another Valgrind, or a stand-in that fails on purpose (tests/faults-detector.sh). */
	.path_env = "THREADLAB_VALGRIND",
	.args = (const char *const[]){"--xml=yes", "--child-silent-after-fork=yes",
				      "--num-callers=30", NULL},
	.xml_fd_option = "--xml-fd=",
	.suppressions = "tests/valgrind.supp",
	.missing = "Valgrind is not installed (configure found none)",
};

static const struct tl_tool_info tools[TL_TOOL_COUNT] = {
	[TL_TOOL_RUN] = {
		.name = "run",
		.title = "native",
		.slowdown = 1,
		.binary_suffix = "",
	},
	[TL_TOOL_TSAN] = {
		.name = "tsan",
		.title = "TSan",
		.slowdown = 4,
		.binary_suffix = "_tsan",
		/* Keep going after a report, report leaks at once, and give both
		 * stacks of a lock-order inversion (for anchors).  TSan drops a
		 * race whose earlier access it cannot trace back to a stack any
		 * more: with the default history (128K accesses per thread),
		 * race/counter under TSan went unreported in 13 of 270 runs at
		 * load 7-9; with the largest (4M), 1 of 270. */
		.env = "TSAN_OPTIONS=halt_on_error=0 atexit_sleep_ms=0 "
		       "exitcode=" STR(TSAN_EXIT_CODE) " second_deadlock_stack=1 history_size=7",
		.format = &tsan_text,
		.report_exit_code = TSAN_EXIT_CODE,
#ifndef HAVE_TSAN
		.unbuilt = "ThreadSanitizer is not available "
		           "(configure could not build a TSan program)",
#endif
	},
	[TL_TOOL_HELGRIND] = {
		.name = "helgrind",
		.title = "Helgrind",
		.slowdown = 10,
		.binary_suffix = "",
		.launcher = &valgrind,
		.args = (const char *const[]){"--tool=helgrind", NULL},
		.format = &valgrind_xml,
	},
	[TL_TOOL_DRD] = {
		.name = "drd",
		.title = "DRD",
		.slowdown = 10,
		.binary_suffix = "",
		.launcher = &valgrind,
		/* With Valgrind's default chasing, DRD blames an access in a
		 * small leaf function on its caller's line. */
		.args = (const char *const[]){"--tool=drd", "--vex-guest-chase=no", NULL},
		.format = &valgrind_xml,
	},
	[TL_TOOL_MEMCHECK] = {
		.name = "memcheck",
		.title = "Memcheck",
		.slowdown = 10,
		.binary_suffix = "",
		.launcher = &valgrind,
		.args = (const char *const[]){"--tool=memcheck", "--leak-check=full",
					      "--show-leak-kinds=definite,possible",
					      "--errors-for-leak-kinds=definite,possible", NULL},
		.format = &valgrind_xml,
	},
};
/* clang-format on */

const struct tl_tool_info *tl_tool(enum tl_tool t)
{
	return &tools[(unsigned)t < TL_TOOL_COUNT ? t : TL_TOOL_RUN];
}

const char *tl_tool_name(enum tl_tool t)
{
	return (unsigned)t < TL_TOOL_COUNT ? tools[t].name : "?";
}

int tl_tool_from_name(const char *name)
{
	for (int i = 0; i < TL_TOOL_COUNT; i++)
		if (name != NULL && strcmp(name, tools[i].name) == 0)
			return i;
	return -1;
}

void tl_tool_list(char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; i < TL_TOOL_COUNT && off < len; i++) {
		int w = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", tools[i].name);

		if (w < 0)
			return;
		off += (size_t)w;
	}
}

const char *tl_launcher_path(const struct tl_launcher *l)
{
	const char *p = l->path_env != NULL ? getenv(l->path_env) : NULL;

	return p != NULL && *p != '\0' ? p : l->path;
}

bool tl_tool_available(enum tl_tool t, char *why, size_t len)
{
	const struct tl_tool_info *ti = tl_tool(t);
	const struct tl_launcher *l = ti->launcher;

	if (ti->unbuilt != NULL) {
		snprintf(why, len, "%s", ti->unbuilt);
		return false;
	}
	const char *path = l != NULL ? tl_launcher_path(l) : NULL;
	if (path != NULL && (path[0] == '\0' || access(path, X_OK) != 0)) {
		if (path != l->path)
			snprintf(why, len, "%s=%s is not an executable", l->path_env, path);
		else
			snprintf(why, len, "%s", l->missing);
		return false;
	}
	return true;
}

/* Appends s to cmd->argv; false when it is full. */
static bool add_arg(struct tl_tool_command *cmd, size_t *n, const char *s)
{
	if (*n + 1 >= TL_TOOL_MAX_ARGV)
		return false;
	cmd->argv[(*n)++] = (char *)s;
	return true;
}

/* The launcher, its own arguments, where its document goes, the
 * suppressions, then the tool's arguments. */
static bool add_launcher_args(struct tl_tool_command *cmd, size_t *n, const struct tl_tool_info *ti)
{
	const struct tl_launcher *l = ti->launcher;
	bool ok = add_arg(cmd, n, tl_launcher_path(l));

	for (const char *const *a = l->args; ok && a != NULL && *a != NULL; a++)
		ok = add_arg(cmd, n, *a);
	if (ok && cmd->xml_fd_option[0] != '\0')
		ok = add_arg(cmd, n, cmd->xml_fd_option);
	if (ok && l->suppressions != NULL)
		ok = add_arg(cmd, n, cmd->suppressions);
	for (const char *const *a = ti->args; ok && a != NULL && *a != NULL; a++)
		ok = add_arg(cmd, n, *a);
	return ok;
}

int tl_tool_command(enum tl_tool t, const char *program, const char *srcdir,
                    struct tl_tool_command *cmd, char *err, size_t errlen)
{
	const struct tl_tool_info *ti = tl_tool(t);
	const struct tl_launcher *l = ti->launcher;
	size_t n = 0, e = 0;
	int w;

	memset(cmd, 0, sizeof *cmd);
	w = snprintf(cmd->program, sizeof cmd->program, "%s", program);
	if (w < 0 || (size_t)w >= sizeof cmd->program) {
		snprintf(err, errlen, "path too long: %s", program);
		return -1;
	}
	if (l != NULL && l->suppressions != NULL) {
		w = snprintf(cmd->suppressions, sizeof cmd->suppressions, "--suppressions=%s/%s",
		             srcdir, l->suppressions);
		if (w < 0 || (size_t)w >= sizeof cmd->suppressions) {
			snprintf(err, errlen, "path too long: %s/%s", srcdir, l->suppressions);
			return -1;
		}
	}
	cmd->xml_fd = ti->format != NULL && ti->format->on_xml_fd ? TL_TOOL_XML_FD : -1;
	if (l != NULL && l->xml_fd_option != NULL && cmd->xml_fd >= 0)
		snprintf(cmd->xml_fd_option, sizeof cmd->xml_fd_option, "%s%d", l->xml_fd_option,
		         cmd->xml_fd);
	if ((l != NULL && !add_launcher_args(cmd, &n, ti)) || !add_arg(cmd, &n, cmd->program)) {
		snprintf(err, errlen, "%s: more than %d arguments", ti->name, TL_TOOL_MAX_ARGV - 1);
		return -1;
	}
	cmd->argv[n] = NULL;
	snprintf(cmd->slowdown, sizeof cmd->slowdown, "THREADLAB_SLOWDOWN=%d", ti->slowdown);
	cmd->env[e++] = cmd->slowdown;
	if (ti->env != NULL)
		cmd->env[e++] = (char *)ti->env;
	cmd->env[e] = NULL;
	return 0;
}

int tl_tool_read_reports(enum tl_tool t, const struct tl_spawn_result *res, struct tl_reports *out,
                         char *err, size_t errlen)
{
	const struct tl_report_format *f = tl_tool(t)->format;
	const tl_buf *b;

	out->v = NULL;
	out->n = 0;
	if (f == NULL || (res->timed_out && !f->read_after_timeout))
		return 0;
	b = f->on_xml_fd ? &res->xml : &res->err;
	return f->parse(b->data != NULL ? b->data : "", b->len, out, err, errlen);
}

const char *tl_tool_unsymbolized(enum tl_tool t, const struct tl_reports *r)
{
	const struct tl_report_format *f = tl_tool(t)->format;

	return f != NULL && f->unsymbolized != NULL && tl_reports_unsymbolized(r) ? f->unsymbolized
	                                                                          : NULL;
}
