/* Unit tests for try_weigh (runner_try_weigh.c): hand-made tool results,
 * one rule each, and the headers of two labs weighed as try weighs them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner_try.h"

/* A native run that exited with `v` (the labs' contract). */
static struct try_native native(enum tl_verdict v)
{
	struct try_native n = {.ran = true, .exit_verdict = v};
	return n;
}

/* Every detector ran, clean. */
static void all_ran(struct try_tool t[TL_TOOL_COUNT])
{
	memset(t, 0, TL_TOOL_COUNT * sizeof *t);
	for (int i = 0; i < TL_TOOL_COUNT; i++)
		t[i].state = TRY_RAN;
}

static void add(struct try_tool *t, enum tl_verdict v, int line, const char *hint)
{
	struct try_report r = {.verdict = v, .line = line};
	snprintf(r.file, sizeof r.file, "/home/l/prog.c");
	snprintf(r.hint, sizeof r.hint, "%s", hint);
	try_tool_add(t, &r);
}

START_TEST(clean_when_nothing_reported)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "clean");
	ck_assert_str_eq(v.confidence, "high");
}
END_TEST

START_TEST(missing_detector_weakens_clean)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	t[TL_TOOL_TSAN].state = TRY_UNAVAILABLE;
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "clean");
	ck_assert_str_eq(v.confidence, "medium");
	ck_assert_ptr_nonnull(strstr(v.because, "TSan"));
}
END_TEST

START_TEST(race_agreed_at_line)
{
	struct try_native n = native(TL_V_WRONG_RESULT);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	add(&t[TL_TOOL_TSAN], TL_V_DATA_RACE, 23, "");
	add(&t[TL_TOOL_HELGRIND], TL_V_DATA_RACE, 40, "");
	add(&t[TL_TOOL_HELGRIND], TL_V_DATA_RACE, 23, "");
	add(&t[TL_TOOL_DRD], TL_V_DATA_RACE, 23, "");
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "data-race");
	ck_assert_int_eq(v.line, 23); /* where most tools point */
	ck_assert_str_eq(v.confidence, "high");
	try_tools_free(t);
}
END_TEST

START_TEST(helgrind_alone_on_atomics_not_counted)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	add(&t[TL_TOOL_HELGRIND], TL_V_DATA_RACE, 12, "an atomic");
	add(&t[TL_TOOL_DRD], TL_V_DATA_RACE, 12, "an atomic");
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "clean");
	ck_assert_ptr_nonnull(
	    strstr(v.discounted, "Helgrind data-race at prog.c:12 (on an atomic)"));
	ck_assert_ptr_nonnull(strstr(v.discounted, "DRD data-race"));
	try_tools_free(t);
}
END_TEST

START_TEST(helgrind_alone_counts_without_tsan)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	t[TL_TOOL_TSAN].state = TRY_UNAVAILABLE;
	add(&t[TL_TOOL_HELGRIND], TL_V_DATA_RACE, 12, "");
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "data-race");
	ck_assert_str_eq(v.confidence, "medium");
	ck_assert_str_eq(v.discounted, "");
	try_tools_free(t);
}
END_TEST

START_TEST(helgrind_counts_when_the_run_went_wrong)
{
	struct try_native n = native(TL_V_WRONG_RESULT);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	add(&t[TL_TOOL_DRD], TL_V_DATA_RACE, 30, "");
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "data-race");
	ck_assert_int_eq(v.line, 30);
	try_tools_free(t);
}
END_TEST

START_TEST(native_deadlock_outranks_silence)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	n.stopped = true;
	snprintf(n.hang, sizeof n.hang, "deadlock");
	snprintf(n.hang_why, sizeof n.hang_why, "2 threads in a cycle");
	add(&t[TL_TOOL_MEMCHECK], TL_V_THREAD_LEAK, 50, "");
	add(&t[TL_TOOL_HELGRIND], TL_V_MUTEX_MISUSE, 17, "");
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "deadlock");
	ck_assert_str_eq(v.confidence, "high");
	ck_assert_int_eq(v.line, 17); /* the lock a detector named */
	ck_assert_ptr_nonnull(strstr(v.because, "2 threads in a cycle"));
	try_tools_free(t);
}
END_TEST

START_TEST(stuck_is_a_class)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	snprintf(n.hang, sizeof n.hang, "stuck");
	snprintf(n.hang_file, sizeof n.hang_file, "/home/l/prog.c");
	n.hang_line = 9;
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "stuck");
	ck_assert_int_eq(v.line, 9);
}
END_TEST

START_TEST(idle_analysis_is_no_hang)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	snprintf(n.hang, sizeof n.hang, "idle");
	n.timed_out = true;
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "timeout");
}
END_TEST

START_TEST(thread_leak_confirmed_by_two)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	add(&t[TL_TOOL_MEMCHECK], TL_V_THREAD_LEAK, 8, "");
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "thread-leak");
	ck_assert_str_eq(v.confidence, "medium");
	add(&t[TL_TOOL_TSAN], TL_V_THREAD_LEAK, 8, "");
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.confidence, "high");
	try_tools_free(t);
}
END_TEST

START_TEST(crash_with_memory_error)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	n.term_signal = 11;
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "crash");
	add(&t[TL_TOOL_MEMCHECK], TL_V_MEMORY_ERROR, 14, "");
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "memory-error"); /* the cause before the symptom */
	ck_assert_int_eq(v.line, 14);
	try_tools_free(t);
}
END_TEST

START_TEST(lock_misuse_false_alarm_when_tsan_clean)
{
	/* process/robust-mutex fixed: Helgrind and DRD misread EOWNERDEAD. */
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	add(&t[TL_TOOL_HELGRIND], TL_V_MUTEX_MISUSE, 60, "");
	add(&t[TL_TOOL_HELGRIND], TL_V_BAD_UNLOCK, 70, "");
	add(&t[TL_TOOL_DRD], TL_V_BAD_UNLOCK, 70, "");
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "clean");
	ck_assert_ptr_nonnull(strstr(v.discounted, "bad-unlock"));
	try_tools_free(t);
}
END_TEST

START_TEST(from_spec_weighs_a_header)
{
	static const char src[] = "/* x/y — broken\n"
	                          " * A lesson.\n"
	                          " * expect run:      wrong-result\n"
	                          " * expect tsan:     data-race @w\n"
	                          " * expect helgrind: data-race @w\n"
	                          " * expect memcheck: clean\n"
	                          " */\n"
	                          "int x;\n"
	                          "void f(void) { x++; /* @w */ }\n";
	struct tl_spec spec;
	char err[256];
	ck_assert_int_eq(tl_spec_parse(src, sizeof src - 1, &spec, err, sizeof err), 0);
	struct try_native n;
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	try_from_spec(&spec, &n, t);
	ck_assert_int_eq(t[TL_TOOL_DRD].state, TRY_UNAVAILABLE); /* no expect drd line */
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "data-race");
	ck_assert_int_eq(v.line, 9);
	try_tools_free(t);
}
END_TEST

/* A race TSan showed only under schedule perturbation: TSan alone, one
 * source (medium), the seed in the verdict and the settings that replay it;
 * Helgrind's race at the same line, discounted while TSan was silent, now
 * agrees (high). */
START_TEST(perturbed_race_names_its_seed)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT];
	struct try_verdict v;
	all_ran(t);
	struct try_report r = {.verdict = TL_V_DATA_RACE, .line = 43, .seed = 16};
	snprintf(r.file, sizeof r.file, "/home/l/prog.c");
	try_tool_add(&t[TL_TOOL_TSAN], &r);
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "data-race");
	ck_assert_int_eq(v.line, 43);
	ck_assert_str_eq(v.confidence, "medium");
	ck_assert_uint_eq(v.seed, 16);
	ck_assert_ptr_nonnull(strstr(v.because, "schedule perturbation with seed 16"));
	ck_assert_ptr_nonnull(strstr(v.because, "THREADLAB_PERTURB_SEED=16 "));
	add(&t[TL_TOOL_HELGRIND], TL_V_DATA_RACE, 43, "");
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.confidence, "high");
	ck_assert_str_eq(v.discounted, "");
	try_tools_free(t);
}
END_TEST

/* The signal-handler pass alone: signal-unsafe at its line, medium, with
 * the call in the because; with TSan's signal-unsafe at the same line,
 * high; a race outranks it. */
START_TEST(sigpass_finding_is_the_verdict)
{
	struct try_native n = native(TL_V_CLEAN);
	struct try_tool t[TL_TOOL_COUNT], sp = {.state = TRY_RAN};
	struct try_verdict v;
	all_ran(t);
	struct try_report r = {.verdict = TL_V_SIGNAL_UNSAFE, .line = 16};
	snprintf(r.file, sizeof r.file, "/home/l/prog.c");
	snprintf(r.detail, sizeof r.detail, "the handler on_usr1 calls pthread_mutex_lock");
	try_tool_add(&sp, &r);
	try_weigh(&n, t, &v);
	ck_assert_str_eq(v.cls, "clean");
	try_weigh_all(&n, t, &sp, &v);
	ck_assert_str_eq(v.cls, "signal-unsafe");
	ck_assert_int_eq(v.line, 16);
	ck_assert_str_eq(v.confidence, "medium");
	ck_assert_ptr_nonnull(strstr(v.because, "signal-handler pass"));
	ck_assert_ptr_nonnull(strstr(v.because, "calls pthread_mutex_lock"));
	add(&t[TL_TOOL_TSAN], TL_V_SIGNAL_UNSAFE, 16, "");
	try_weigh_all(&n, t, &sp, &v);
	ck_assert_str_eq(v.confidence, "high");
	add(&t[TL_TOOL_TSAN], TL_V_DATA_RACE, 30, "");
	try_weigh_all(&n, t, &sp, &v);
	ck_assert_str_eq(v.cls, "data-race");
	free(sp.reports);
	try_tools_free(t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("try");
	TCase *tc = tcase_create("weigh");
	tcase_add_test(tc, clean_when_nothing_reported);
	tcase_add_test(tc, missing_detector_weakens_clean);
	tcase_add_test(tc, race_agreed_at_line);
	tcase_add_test(tc, helgrind_alone_on_atomics_not_counted);
	tcase_add_test(tc, helgrind_alone_counts_without_tsan);
	tcase_add_test(tc, helgrind_counts_when_the_run_went_wrong);
	tcase_add_test(tc, native_deadlock_outranks_silence);
	tcase_add_test(tc, stuck_is_a_class);
	tcase_add_test(tc, idle_analysis_is_no_hang);
	tcase_add_test(tc, thread_leak_confirmed_by_two);
	tcase_add_test(tc, crash_with_memory_error);
	tcase_add_test(tc, lock_misuse_false_alarm_when_tsan_clean);
	tcase_add_test(tc, from_spec_weighs_a_header);
	tcase_add_test(tc, perturbed_race_names_its_seed);
	tcase_add_test(tc, sigpass_finding_is_the_verdict);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
