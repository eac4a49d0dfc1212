/* Unit tests of the tool table (src/harness/tl_tool.c), generated from the
 * table itself: every row is walked, so a new detector is tested as soon as
 * its row exists, and fails here until it has a parser and a real captured
 * report (tests/fixtures) that the parser classifies. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_tool.h"

#ifndef TL_FIXTURES
#error "build with -DTL_FIXTURES='\"/abs/path/to/tests/fixtures\"'"
#endif

/* One real report per detector, captured as tests/fixtures/README.md says,
 * and what its parser must make of it. */
struct tool_fixture {
	const char *tool;
	const char *path; /* under TL_FIXTURES */
	enum tl_verdict verdict;
	const char *probe; /* the probe source the report points into */
	int line;
};

static const struct tool_fixture fixtures[] = {
    {"tsan", "tsan/data-race.txt", TL_V_DATA_RACE, "probes/data_race.c", 13},
    {"helgrind", "valgrind/helgrind-data-race.xml", TL_V_DATA_RACE, "probes/data_race.c", 13},
    {"drd", "valgrind/drd-data-race.xml", TL_V_DATA_RACE, "probes/data_race.c", 13},
    {"memcheck", "valgrind/memcheck-leaks.xml", TL_V_MEMORY_LEAK, "probes/leaks.c", 19},
};

#define NFIXTURES (sizeof fixtures / sizeof fixtures[0])

static void load(const char *rel, tl_buf *b)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", TL_FIXTURES, rel);
	ck_assert_msg(tl_buf_read_file(b, path) == 0, "cannot read %s", path);
}

static bool has_arg(const struct tl_tool_command *cmd, const char *arg)
{
	for (char *const *a = cmd->argv; *a; a++)
		if (strcmp(*a, arg) == 0)
			return true;
	return false;
}

static bool has_env(const struct tl_tool_command *cmd, const char *var)
{
	for (char *const *e = cmd->env; *e; e++)
		if (strcmp(*e, var) == 0)
			return true;
	return false;
}

START_TEST(every_row_is_complete)
{
	const struct tl_tool_info *ti = tl_tool((enum tl_tool)_i);

	ck_assert_ptr_nonnull(ti->name);
	ck_assert_msg(ti->name[0] != '\0', "row %d has no name", _i);
	ck_assert_int_eq(tl_tool_from_name(ti->name), _i);
	ck_assert_str_eq(tl_tool_name((enum tl_tool)_i), ti->name);
	ck_assert_ptr_nonnull(ti->title);
	ck_assert_ptr_nonnull(ti->binary_suffix);
	ck_assert_int_ge(ti->slowdown, 1);
	for (int j = 0; j < _i; j++)
		ck_assert_str_ne(tl_tool_name((enum tl_tool)j), ti->name);
	if (ti->format == NULL) {
		/* Native: the exit status is the verdict, nothing slows it. */
		ck_assert_int_eq(ti->slowdown, 1);
		ck_assert_ptr_null(ti->launcher);
		ck_assert_int_eq(ti->report_exit_code, 0);
	} else {
		ck_assert_msg(ti->format->parse != NULL, "%s has no parser", ti->name);
	}
	if (ti->launcher != NULL) {
		ck_assert_ptr_nonnull(ti->launcher->path);
		ck_assert_ptr_nonnull(ti->launcher->missing);
	}
}
END_TEST

START_TEST(names_and_list)
{
	char list[256], want[256] = "";

	for (int t = 0; t < TL_TOOL_COUNT; t++) {
		if (t)
			strcat(want, ", ");
		strcat(want, tl_tool_name((enum tl_tool)t));
	}
	tl_tool_list(list, sizeof list);
	ck_assert_str_eq(list, want);
	tl_tool_list(list, 5); /* cut, still terminated */
	ck_assert_uint_eq(strlen(list), 4);
	ck_assert_int_eq(tl_tool_from_name("valgrind"), -1);
	ck_assert_int_eq(tl_tool_from_name(""), -1);
	ck_assert_int_eq(tl_tool_from_name(NULL), -1);
	ck_assert_str_eq(tl_tool_name(TL_TOOL_COUNT), "?");
	ck_assert_ptr_eq(tl_tool(TL_TOOL_COUNT), tl_tool(TL_TOOL_RUN));
	ck_assert_str_eq(tl_tool_name(TL_TOOL_RUN), "run");
}
END_TEST

/* The parser of each detector classifies a real report, read from the
 * stream the row names: the other stream holds the program's own noise,
 * which no parser takes for a report. */
START_TEST(every_detector_reads_a_real_fixture)
{
	const struct tl_tool_info *ti = tl_tool((enum tl_tool)_i);
	const struct tool_fixture *fx = NULL;
	struct tl_spawn_result res = {0};
	struct tl_reports r;
	char err[256] = "";

	if (ti->format == NULL)
		return;
	for (size_t k = 0; k < NFIXTURES; k++)
		if (strcmp(fixtures[k].tool, ti->name) == 0)
			fx = &fixtures[k];
	ck_assert_msg(fx != NULL, "detector %s has no fixture in test_tool.c", ti->name);
	load(fx->path, ti->format->on_xml_fd ? &res.xml : &res.err);
	if (ti->format->on_xml_fd)
		tl_buf_printf(&res.err, "probe: counter=2000\n");
	ck_assert_msg(tl_tool_read_reports((enum tl_tool)_i, &res, &r, err, sizeof err) == 0,
	              "%s: %s", fx->path, err);
	ck_assert_uint_ge(r.n, 1);
	ck_assert_msg(tl_reports_verdicts(&r) & (1u << fx->verdict), "%s: no %s", fx->path,
	              tl_verdict_name(fx->verdict));
	ck_assert(!(tl_reports_verdicts(&r) & (1u << TL_V_UNCLASSIFIED)));
	bool pointed = false;
	for (size_t k = 0; k < r.n; k++)
		pointed |= tl_report_points_at(&r.v[k], fx->probe, fx->line);
	ck_assert_msg(pointed, "%s: no report points at %s:%d", fx->path, fx->probe, fx->line);
	ck_assert_ptr_null(tl_tool_unsymbolized((enum tl_tool)_i, &r));
	tl_reports_free(&r);
	tl_spawn_result_free(&res);
}
END_TEST

START_TEST(every_fixture_names_a_detector)
{
	int t = tl_tool_from_name(fixtures[_i].tool);

	ck_assert_msg(t >= 0 && tl_tool((enum tl_tool)t)->format != NULL, "%s", fixtures[_i].tool);
}
END_TEST

START_TEST(command_of_every_row)
{
	const struct tl_tool_info *ti = tl_tool((enum tl_tool)_i);
	struct tl_tool_command cmd;
	char program[64], slow[48], err[128];
	size_t n = 0;

	snprintf(program, sizeof program, "/b/labs/race/counter/broken%s", ti->binary_suffix);
	ck_assert_int_eq(tl_tool_command((enum tl_tool)_i, program, "/src", &cmd, err, sizeof err),
	                 0);
	while (cmd.argv[n])
		n++;
	ck_assert_uint_ge(n, 1);
	ck_assert_str_eq(cmd.argv[n - 1], program);
	snprintf(slow, sizeof slow, "THREADLAB_SLOWDOWN=%d", ti->slowdown);
	ck_assert(has_env(&cmd, slow));
	if (ti->env)
		ck_assert(has_env(&cmd, ti->env));
	if (ti->launcher) {
		ck_assert_str_eq(cmd.argv[0], ti->launcher->path);
		for (const char *const *a = ti->args; a && *a; a++)
			ck_assert_msg(has_arg(&cmd, *a), "%s: no %s", ti->name, *a);
		for (const char *const *a = ti->launcher->args; a && *a; a++)
			ck_assert_msg(has_arg(&cmd, *a), "%s: no %s", ti->name, *a);
	} else {
		ck_assert_uint_eq(n, 1);
	}
	if (ti->format && ti->format->on_xml_fd) {
		ck_assert_int_eq(cmd.xml_fd, TL_TOOL_XML_FD);
		if (ti->launcher && ti->launcher->xml_fd_option) {
			char opt[48];
			snprintf(opt, sizeof opt, "%s%d", ti->launcher->xml_fd_option,
			         TL_TOOL_XML_FD);
			ck_assert_msg(has_arg(&cmd, opt), "%s: no %s", ti->name, opt);
		}
	} else
		ck_assert_int_eq(cmd.xml_fd, -1);
	if (ti->report_exit_code) {
		char code[32];
		snprintf(code, sizeof code, "exitcode=%d", ti->report_exit_code);
		ck_assert_ptr_nonnull(ti->env);
		ck_assert_ptr_nonnull(strstr(ti->env, code));
	}
}
END_TEST

/* What HACKING.md's "The harness" section promises of each command line. */
START_TEST(the_documented_settings)
{
	struct tl_tool_command cmd;
	char err[128];

	ck_assert_int_eq(tl_tool_command(TL_TOOL_TSAN, "/b/p_tsan", "/src", &cmd, err, sizeof err),
	                 0);
	ck_assert(has_env(&cmd, "THREADLAB_SLOWDOWN=4"));
	ck_assert(has_env(&cmd, "TSAN_OPTIONS=halt_on_error=0 atexit_sleep_ms=0 exitcode=66 "
	                        "second_deadlock_stack=1 history_size=7"));
	ck_assert_str_eq(tl_tool(TL_TOOL_TSAN)->binary_suffix, "_tsan");
	ck_assert_int_eq(tl_tool_command(TL_TOOL_DRD, "/b/p", "/src", &cmd, err, sizeof err), 0);
	ck_assert(has_arg(&cmd, "--tool=drd"));
	ck_assert(has_arg(&cmd, "--vex-guest-chase=no"));
	ck_assert(has_arg(&cmd, "--xml-fd=3"));
	ck_assert(has_arg(&cmd, "--suppressions=/src/tests/valgrind.supp"));
	ck_assert(has_env(&cmd, "THREADLAB_SLOWDOWN=10"));
	ck_assert_int_eq(tl_tool_command(TL_TOOL_MEMCHECK, "/b/p", "/src", &cmd, err, sizeof err),
	                 0);
	ck_assert(has_arg(&cmd, "--leak-check=full"));
	ck_assert(has_arg(&cmd, "--show-leak-kinds=definite,possible"));
	ck_assert(!has_arg(&cmd, "--vex-guest-chase=no"));
	ck_assert_int_eq(tl_tool_command(TL_TOOL_RUN, "/b/p", "/src", &cmd, err, sizeof err), 0);
	ck_assert_ptr_null(cmd.env[1]); /* no TSAN_OPTIONS for a native run */
}
END_TEST

START_TEST(too_long_a_path)
{
	static char longpath[PATH_MAX + 200];
	struct tl_tool_command cmd;
	char err[128] = "";

	memset(longpath, 'a', sizeof longpath - 1);
	ck_assert_int_eq(tl_tool_command(TL_TOOL_RUN, longpath, "/src", &cmd, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	err[0] = '\0';
	ck_assert_int_eq(tl_tool_command(TL_TOOL_HELGRIND, "/b/p", longpath, &cmd, err, sizeof err),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
}
END_TEST

START_TEST(what_a_killed_run_leaves)
{
	struct tl_spawn_result res = {0};
	struct tl_reports r;
	char err[256];

	res.timed_out = true;
	load("valgrind/helgrind-data-race.xml", &res.xml);
	load("tsan/data-race.txt", &res.err);
	/* Valgrind's document of a killed run is not read: the hang is the finding. */
	ck_assert_int_eq(tl_tool_read_reports(TL_TOOL_HELGRIND, &res, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 0);
	/* TSan's reports are whole as soon as written. */
	ck_assert_int_eq(tl_tool_read_reports(TL_TOOL_TSAN, &res, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 1);
	tl_reports_free(&r);
	/* Native: no reports, whatever the streams hold. */
	res.timed_out = false;
	ck_assert_int_eq(tl_tool_read_reports(TL_TOOL_RUN, &res, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 0);
	tl_spawn_result_free(&res);
}
END_TEST

/* A lab run where llvm-symbolizer is missing: the kind is known, but no
 * frame has a function or a file:line, and the run must say why. */
START_TEST(unsymbolized_tsan_says_so)
{
	struct tl_spawn_result res = {0};
	struct tl_reports r;
	char err[256];
	const char *why;

	load("tsan/unsymbolized-race-counter.txt", &res.err);
	ck_assert_int_eq(tl_tool_read_reports(TL_TOOL_TSAN, &res, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.v[0].verdict, TL_V_DATA_RACE);
	ck_assert(tl_reports_unsymbolized(&r));
	why = tl_tool_unsymbolized(TL_TOOL_TSAN, &r);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, "TSan could not symbolize: install llvm-14 (llvm-symbolizer)");
	tl_reports_free(&r);
	tl_spawn_result_free(&res);

	/* Valgrind symbolizes by itself: an address-only frame is not that. */
	static const char doc[] =
	    "<valgrindoutput><protocolversion>4</protocolversion>"
	    "<error><kind>Race</kind><what>w</what><stack><frame><ip>0x1</ip></frame>"
	    "</stack></error></valgrindoutput>";
	tl_buf_append(&res.xml, doc, sizeof doc - 1);
	ck_assert_int_eq(tl_tool_read_reports(TL_TOOL_HELGRIND, &res, &r, err, sizeof err), 0);
	ck_assert(tl_reports_unsymbolized(&r));
	ck_assert_ptr_null(tl_tool_unsymbolized(TL_TOOL_HELGRIND, &r));
	tl_reports_free(&r);
	tl_spawn_result_free(&res);
}
END_TEST

START_TEST(availability)
{
	char why[256] = "";

	ck_assert(tl_tool_available(TL_TOOL_RUN, why, sizeof why));
#ifdef HAVE_TSAN
	ck_assert(tl_tool_available(TL_TOOL_TSAN, why, sizeof why));
#else
	ck_assert(!tl_tool_available(TL_TOOL_TSAN, why, sizeof why));
	ck_assert_ptr_nonnull(strstr(why, "ThreadSanitizer"));
#endif
	for (int t = 0; t < TL_TOOL_COUNT; t++) {
		const struct tl_tool_info *ti = tl_tool((enum tl_tool)t);
		bool ok;

		why[0] = '\0';
		ok = tl_tool_available((enum tl_tool)t, why, sizeof why);
		if (!ok)
			ck_assert_msg(why[0] != '\0', "%s: unavailable without a reason", ti->name);
		if (ti->launcher && ti->unbuilt == NULL)
			ck_assert_int_eq(ok, ti->launcher->path[0] != '\0' &&
			                         access(ti->launcher->path, X_OK) == 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tl_tool");
	TCase *tc = tcase_create("table");

	tcase_add_loop_test(tc, every_row_is_complete, 0, TL_TOOL_COUNT);
	tcase_add_test(tc, names_and_list);
	tcase_add_loop_test(tc, every_detector_reads_a_real_fixture, 0, TL_TOOL_COUNT);
	tcase_add_loop_test(tc, every_fixture_names_a_detector, 0, (int)NFIXTURES);
	tcase_add_loop_test(tc, command_of_every_row, 0, TL_TOOL_COUNT);
	tcase_add_test(tc, the_documented_settings);
	tcase_add_test(tc, too_long_a_path);
	tcase_add_test(tc, what_a_killed_run_leaves);
	tcase_add_test(tc, unsymbolized_tsan_says_so);
	tcase_add_test(tc, availability);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
