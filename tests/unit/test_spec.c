/* Unit tests of the lab header parser (src/harness/tl_spec.c). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_spec.h"

static struct tl_spec spec;
static char err[256];

static int parse(const char *src)
{
	return tl_spec_parse(src, strlen(src), &spec, err, sizeof err);
}

static const char counter_src[] = "/* race/counter — broken\n"
                                  " * Two threads do counter++; the total comes out short.\n"
                                  " * expect run:      wrong-result\n"
                                  " * expect tsan:     data-race @counter-write\n"
                                  " * expect helgrind: data-race @counter-write @other\n"
                                  " * expect drd:      clean\n"
                                  " * miss: DRD needs --check-stack-var=yes\n"
                                  " *   for stack variables.\n"
                                  " */\n"
                                  "static long counter;\n"
                                  "static void f(void)\n"
                                  "{\n"
                                  "\tcounter++; /* @counter-write */\n"
                                  "\tcounter--; /* @other */\n"
                                  "}\n";

START_TEST(parses_the_model_header)
{
	ck_assert_int_eq(parse(counter_src), 0);
	ck_assert_str_eq(spec.title, "race/counter — broken");
	ck_assert_str_eq(spec.lesson, "Two threads do counter++; the total comes out short.");
	ck_assert(spec.expect[TL_TOOL_RUN].present);
	ck_assert_uint_eq(spec.expect[TL_TOOL_RUN].verdicts, 1u << TL_V_WRONG_RESULT);
	ck_assert_uint_eq(spec.expect[TL_TOOL_TSAN].verdicts, 1u << TL_V_DATA_RACE);
	ck_assert_uint_eq(spec.expect[TL_TOOL_TSAN].nuses, 1);
	ck_assert_int_eq(spec.expect[TL_TOOL_TSAN].uses[0].verdict, TL_V_DATA_RACE);
	ck_assert_str_eq(spec.anchors[spec.expect[TL_TOOL_TSAN].uses[0].anchor].name,
	                 "counter-write");
	ck_assert_int_eq(spec.anchors[spec.expect[TL_TOOL_TSAN].uses[0].anchor].line, 13);
	ck_assert_uint_eq(spec.expect[TL_TOOL_HELGRIND].nuses, 2);
	ck_assert_int_eq(spec.anchors[spec.expect[TL_TOOL_HELGRIND].uses[1].anchor].line, 14);
	ck_assert_uint_eq(spec.expect[TL_TOOL_DRD].verdicts, 1u << TL_V_CLEAN);
	ck_assert_str_eq(spec.expect[TL_TOOL_DRD].note,
	                 "miss: DRD needs --check-stack-var=yes for stack variables.");
	ck_assert(!spec.expect[TL_TOOL_MEMCHECK].present);
	ck_assert_uint_eq(spec.nanchors, 2);
}
END_TEST

START_TEST(several_verdicts_each_with_anchors)
{
	ck_assert_int_eq(parse("/* t — broken\n * expect tsan: data-race @a thread-leak @b\n */\n"
	                       "x; /* @a */\ny; /* @b */\n"),
	                 0);
	const struct tl_expectation *e = &spec.expect[TL_TOOL_TSAN];
	ck_assert_uint_eq(e->verdicts, (1u << TL_V_DATA_RACE) | (1u << TL_V_THREAD_LEAK));
	ck_assert_uint_eq(e->nuses, 2);
	ck_assert_int_eq(e->uses[0].verdict, TL_V_DATA_RACE);
	ck_assert_int_eq(spec.anchors[e->uses[0].anchor].line, 4);
	ck_assert_int_eq(e->uses[1].verdict, TL_V_THREAD_LEAK);
	ck_assert_int_eq(spec.anchors[e->uses[1].anchor].line, 5);
}
END_TEST

START_TEST(single_line_header)
{
	ck_assert_int_eq(parse("/* t — fixed\n * expect run: clean */\nint x;\n"), 0);
	ck_assert(spec.expect[TL_TOOL_RUN].present);
}
END_TEST

START_TEST(an_at_sign_in_code_is_not_an_anchor)
{
	/* Only '@' inside a comment marks an anchor; "a@b" in a comment neither. */
	ck_assert_int_eq(parse("/* t — b\n * expect run: clean\n */\n"
	                       "char *s = \"@x\"; /* mail a@b */\n"),
	                 0);
	ck_assert_uint_eq(spec.nanchors, 0);
}
END_TEST

/* A long note wraps onto lines indented under its keyword; tl_spec joins them. */
static const char wrapped_src[] =
    "/* t — broken\n"
    " * The lesson, whose second line\n"
    " *     is indented and still the lesson.\n"
    " * expect run:  deadlock\n"
    " * expect tsan: clean\n"
    " * miss: TSan has no check\n"
    " *       for a cycle of joins,\n"
    " *\tnor for this tab-indented line.\n"
    " *       expect drd: clean\n"
    " *       note: a keyword line, however indented, is no continuation\n"
    " *          but this is one.\n"
    " * expect helgrind: clean\n"
    " */\n";

START_TEST(indented_lines_continue_a_note)
{
	ck_assert_msg(parse(wrapped_src) == 0, "%s", err);
	ck_assert_str_eq(
	    spec.expect[TL_TOOL_TSAN].note,
	    "miss: TSan has no check for a cycle of joins, nor for this tab-indented line.");
	ck_assert(spec.expect[TL_TOOL_DRD].present);
	ck_assert_str_eq(
	    spec.expect[TL_TOOL_DRD].note,
	    "note: a keyword line, however indented, is no continuation but this is one.");
	ck_assert(spec.expect[TL_TOOL_HELGRIND].present);
	ck_assert_str_eq(spec.expect[TL_TOOL_HELGRIND].note, "");
	ck_assert_str_eq(spec.lesson,
	                 "The lesson, whose second line is indented and still the lesson.");
}
END_TEST

START_TEST(an_indented_line_after_an_expect_without_note_is_no_note)
{
	ck_assert_int_eq(
	    parse("/* t — b\n * Lesson.\n * expect run: clean\n *     more lesson\n */\n"), 0);
	ck_assert_str_eq(spec.expect[TL_TOOL_RUN].note, "");
	ck_assert_str_eq(spec.lesson, "Lesson. more lesson");
}
END_TEST

/* A perf lab's bench lines: each figure's kind, goals and arguments, and
 * none of it in the lesson. */
static const char perf_src[] = "/* perf/x — broken\n"
                               " * Adjacent counters share a cache line.\n"
                               " * expect run:      clean\n"
                               " * expect tsan:     clean\n"
                               " * note: both variants are correct\n"
                               " * bench: ratio >= 2.5 --iterations 20000000\n"
                               " * bench: speedup broken <= 1.1 fixed >= 1.8 --iterations 400\n"
                               " * bench: ratio <= 0.5\n"
                               " */\n";

START_TEST(bench_lines_give_figures_not_lesson)
{
	ck_assert_msg(parse(perf_src) == 0, "%s", err);
	ck_assert_str_eq(spec.lesson, "Adjacent counters share a cache line.");
	ck_assert_str_eq(spec.expect[TL_TOOL_TSAN].note, "note: both variants are correct");
	ck_assert_uint_eq(spec.nbench, 3);
	const struct tl_bench *b = &spec.bench[0];
	ck_assert_int_eq(b->kind, TL_BENCH_RATIO);
	ck_assert(!b->goal[0].at_most);
	ck_assert_double_eq(b->goal[0].value, 2.5);
	ck_assert_str_eq(b->goal[0].text, "2.5");
	ck_assert_uint_eq(b->nargs, 2);
	ck_assert_str_eq(b->args[0], "--iterations");
	ck_assert_str_eq(b->args[1], "20000000");
	ck_assert_int_eq(b->line, 6);
	b = &spec.bench[1];
	ck_assert_int_eq(b->kind, TL_BENCH_SPEEDUP);
	ck_assert(b->goal[0].at_most);
	ck_assert_double_eq(b->goal[0].value, 1.1);
	ck_assert(!b->goal[1].at_most);
	ck_assert_double_eq(b->goal[1].value, 1.8);
	ck_assert_uint_eq(b->nargs, 2);
	ck_assert_str_eq(b->args[1], "400");
	b = &spec.bench[2];
	ck_assert(b->goal[0].at_most);
	ck_assert_uint_eq(b->nargs, 0);
	/* A lab without bench lines has none. */
	ck_assert_int_eq(parse(counter_src), 0);
	ck_assert_uint_eq(spec.nbench, 0);
}
END_TEST

struct bad_case {
	const char *src;
	const char *needle; /* must appear in the message */
};

static const struct bad_case bad[] = {
    {"", "empty"},
    {"int x;\n", "header comment"},
    {"/* t\n * expect run: clean\n", "not closed"},
    {"/* t\n * nothing expected\n */\n", "no 'expect"},
    {"/* t\n * expect valgrind: clean\n */\n", "unknown tool 'valgrind'"},
    {"/* t\n * expect tsan: racy\n */\n", "unknown verdict 'racy'"},
    {"/* t\n * expect tsan:\n */\n", "names no verdict"},
    {"/* t\n * expect tsan data-race\n */\n", "TOOL:"},
    {"/* t\n * expect tsan: clean\n * expect tsan: clean\n */\n", "second expect"},
    {"/* t\n * expect tsan: clean data-race\n */\n", "cannot be combined"},
    {"/* t\n * expect tsan: data-race data-race\n */\n", "twice"},
    {"/* t\n * expect tsan: @a data-race\n */\n/* @a */\n", "before any verdict"},
    {"/* t\n * expect tsan: clean @a\n */\n/* @a */\n", "takes no anchor"},
    {"/* t\n * expect tsan: data-race @nowhere\n */\nx;\n", "@nowhere is not marked"},
    {"/* t\n * expect tsan: data-race @a\n */\nx; /* @a */\ny; /* @a */\n", "defined twice"},
    {"/* t\n * miss: early\n * expect tsan: clean\n */\n", "must follow"},
    {"/* t\n * expects tsan: clean\n */\n", "malformed expect"},
    {"/* t\n * expect run: data-race @a\n */\nx; /* @a */\n", "run"},
    {"/* t\n * expect tsan: unclassified\n */\n", "unknown verdict"},
    {"/* t\n * expect tsan: clean\n * miss: a\n * b not indented\n */\n", "indent it"},
    {"/* t\n * expect tsan: clean\n * miss: a\n *\n *   after a blank line\n */\n", "indent it"},
    {"/* t\n * bench: ratio >= 2\n * expect run: clean\n */\n", "before the expect lines"},
    {"/* t\n * expect run: clean\n * bench: ratio >= 2\n * expect tsan: clean\n */\n",
     "after a bench line"},
    {"/* t\n * expect run: clean\n * bench: ratio >= 2\n * note: late\n */\n", "must follow"},
    {"/* t\n * expect run: clean\n * bench: ratio > 2\n */\n", "'>=' or '<='"},
    {"/* t\n * expect run: clean\n * bench: ratio >=\n */\n", "no goal"},
    {"/* t\n * expect run: clean\n * bench: ratio >= two\n */\n", "not a positive number"},
    {"/* t\n * expect run: clean\n * bench: ratio >= 2x\n */\n", "not a positive number"},
    {"/* t\n * expect run: clean\n * bench: ratio >= -1\n */\n", "not a positive number"},
    {"/* t\n * expect run: clean\n * bench: ratio >= nan\n */\n", "not a positive number"},
    {"/* t\n * expect run: clean\n * bench: ratios >= 2\n */\n", "'ratio' or 'speedup'"},
    {"/* t\n * expect run: clean\n * bench:\n */\n", "'ratio' or 'speedup'"},
    {"/* t\n * expect run: clean\n * bench: speedup fixed >= 2 broken <= 1\n */\n",
     "speedup broken OP GOAL fixed OP GOAL"},
    {"/* t\n * expect run: clean\n * bench: speedup broken <= 1.1\n */\n",
     "speedup broken OP GOAL fixed OP GOAL"},
    {"/* t\n * expect run: clean\n * bench: speedup broken <= 1 fixed >= 2 --threads 4\n */\n",
     "sets --threads itself"},
    {"/* t\n * expect run: clean\n * bench: ratio >= 2 a b c d e f g h i\n */\n",
     "more than 8 arguments"},
    {"/* t\n * expect run: clean\n * bench: ratio >= 2 --an-argument-far-too-long-to-keep\n */\n",
     "too long"},
    {"/* t\n * expect run: clean\n * bench ratio >= 2\n */\n", "malformed bench line"},
    {"/* t\n * expect run: clean\n * bench: ratio >= 1\n * bench: ratio >= 1\n"
     " * bench: ratio >= 1\n * bench: ratio >= 1\n * bench: ratio >= 1\n */\n",
     "more than 4 bench lines"},
};

START_TEST(bad_headers_give_a_located_message)
{
	const struct bad_case *c = &bad[_i];
	ck_assert_int_eq(parse(c->src), -1);
	ck_assert_msg(strstr(err, c->needle) != NULL, "case %d: '%s' lacks '%s'", _i, err,
	              c->needle);
	ck_assert_msg(err[0] >= '0' && err[0] <= '9', "case %d: no line number in '%s'", _i, err);
}
END_TEST

/* A lesson or note longer than its field is refused, never cut short: a cut
 * sentence would read as a finished one. */
START_TEST(a_lesson_or_note_too_long_is_refused_not_cut)
{
	size_t room = sizeof spec.lesson - 1;
	char *src = malloc(2 * room + 256), *p = src;
	ck_assert_ptr_nonnull(src);
	p += sprintf(p, "/* t — b\n * ");
	memset(p, 'x', room), p += room;
	sprintf(p, "\n * expect run: clean\n */\n");
	ck_assert_int_eq(parse(src), 0);
	ck_assert_uint_eq(strlen(spec.lesson), room);
	p = src + sprintf(src, "/* t — b\n * ");
	memset(p, 'x', room), p += room;
	sprintf(p, " y\n * expect run: clean\n */\n");
	ck_assert_int_eq(parse(src), -1);
	ck_assert_msg(strstr(err, "lesson too long") != NULL, "%s", err);
	p = src + sprintf(src, "/* t — b\n * L.\n * expect run: clean\n * note: ");
	memset(p, 'n', room), p += room;
	sprintf(p, "\n */\n");
	ck_assert_int_eq(parse(src), -1);
	ck_assert_msg(strstr(err, "note too long") != NULL, "%s", err);
	free(src);
}
END_TEST

START_TEST(truncated_input_never_reads_past_the_end)
{
	/* Every prefix of a good header parses or fails cleanly (ASan checks
	 * the reads: the copy is exactly the prefix, no terminator after). */
	size_t n = strlen(counter_src);
	for (size_t k = 0; k < n; k++) {
		char *copy = malloc(k ? k : 1);
		memcpy(copy, counter_src, k);
		int rc = tl_spec_parse(copy, k, &spec, err, sizeof err);
		ck_assert(rc == 0 || rc == -1);
		if (rc)
			ck_assert(err[0] != '\0');
		free(copy);
	}
}
END_TEST

START_TEST(tool_names_round_trip)
{
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		ck_assert_int_eq(tl_tool_from_name(tl_tool_name((enum tl_tool)t)), t);
	ck_assert_int_eq(tl_tool_from_name("valgrind"), -1);
	ck_assert_int_eq(tl_tool_from_name(""), -1);
}
END_TEST

START_TEST(unknown_tool_lists_the_table)
{
	ck_assert_int_eq(parse("/* t\n * expect valgrind: clean\n */\n"), -1);
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		ck_assert_msg(strstr(err, tl_tool_name((enum tl_tool)t)) != NULL, "'%s' lacks %s",
		              err, tl_tool_name((enum tl_tool)t));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spec");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, parses_the_model_header);
	tcase_add_test(tc, several_verdicts_each_with_anchors);
	tcase_add_test(tc, single_line_header);
	tcase_add_test(tc, an_at_sign_in_code_is_not_an_anchor);
	tcase_add_test(tc, indented_lines_continue_a_note);
	tcase_add_test(tc, an_indented_line_after_an_expect_without_note_is_no_note);
	tcase_add_test(tc, bench_lines_give_figures_not_lesson);
	tcase_add_loop_test(tc, bad_headers_give_a_located_message, 0,
	                    (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, a_lesson_or_note_too_long_is_refused_not_cut);
	tcase_add_test(tc, truncated_input_never_reads_past_the_end);
	tcase_add_test(tc, tool_names_round_trip);
	tcase_add_test(tc, unknown_tool_lists_the_table);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
