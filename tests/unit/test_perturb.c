/* Unit tests of schedule perturbation's plan and environment
 * (src/perturb/tl_perturb.[ch]); tests/perturb.sh runs the shim itself. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_perturb.h"

static char err[256];

/* The build tree (make check sets it), where the shim is built. */
static const char *builddir(void)
{
	const char *b = getenv("THREADLAB_BUILDDIR");
	return b && *b ? b : ".";
}

static long delayed(uint64_t seed, unsigned density, long threads, long calls)
{
	long n = 0;
	for (long t = 0; t < threads; t++)
		for (long c = 0; c < calls; c++)
			n += tl_perturb_delays(seed, density, (uint64_t)t, (uint64_t)c);
	return n;
}

START_TEST(density_is_the_share_of_calls_delayed)
{
	ck_assert_int_eq(delayed(7, 0, 100, 1000), 0);
	ck_assert_int_eq(delayed(7, 1000, 100, 1000), 100000);
	long n = delayed(7, 100, 100, 1000); /* 10 % of 100,000: 10,000 +- 3 %  */
	ck_assert_msg(n > 9700 && n < 10300, "density 100: %ld of 100000 delayed", n);
}
END_TEST

START_TEST(a_seed_gives_the_same_plan_and_seeds_differ)
{
	long same = 0, differ = 0;
	for (uint64_t c = 0; c < 10000; c++) {
		bool a = tl_perturb_delays(1, 200, 2, c), b = tl_perturb_delays(2, 200, 2, c);
		same += a == tl_perturb_delays(1, 200, 2, c);
		differ += a != b;
	}
	ck_assert_int_eq(same, 10000);
	/* independent plans at 20 % differ at 2 x 0.2 x 0.8 = 32 % of calls */
	ck_assert_msg(differ > 2900 && differ < 3500, "seeds 1 and 2 differ at %ld calls", differ);
	/* threads and calls are not interchangeable: (t, c) and (c, t) differ */
	long swapped = 0;
	for (uint64_t t = 0; t < 100; t++)
		for (uint64_t c = 0; c < t; c++)
			swapped +=
			    tl_perturb_delays(3, 500, t, c) != tl_perturb_delays(3, 500, c, t);
	ck_assert_msg(swapped > 1900 && swapped < 3000, "swapped pairs differ: %ld of 4950",
	              swapped);
}
END_TEST

START_TEST(env_names_the_shim_and_the_settings)
{
	struct tl_perturb p = {
	    .seed = 18446744073709551615ULL, .density = 250, .delay_us = 1500, .log = true};
	struct tl_perturb_env e;
	ck_assert_int_eq(tl_perturb_env(builddir(), &p, &e, err, sizeof err), 0);
	char want[PATH_MAX + 32];
	snprintf(want, sizeof want, "LD_PRELOAD=%s/%s", builddir(), TL_PERTURB_SHIM);
	ck_assert_str_eq(e.env[0], want);
	ck_assert_str_eq(e.env[1], "THREADLAB_PERTURB_SEED=18446744073709551615");
	ck_assert_str_eq(e.env[2], "THREADLAB_PERTURB_DENSITY=250");
	ck_assert_str_eq(e.env[3], "THREADLAB_PERTURB_DELAY_US=1500");
	ck_assert_str_eq(e.env[4], "THREADLAB_PERTURB_LOG=1");
	ck_assert_ptr_null(e.env[5]);
}
END_TEST

START_TEST(bad_settings_and_a_missing_shim_are_one_line)
{
	struct tl_perturb_env e;
	struct tl_perturb p = {.seed = 1, .density = 1001, .delay_us = 10};
	ck_assert_int_eq(tl_perturb_env(builddir(), &p, &e, err, sizeof err), -1);
	ck_assert_str_eq(err, "perturbation density 1001 is over 1000 per mille");
	p.density = 10;
	p.delay_us = 0;
	ck_assert_int_eq(tl_perturb_env(builddir(), &p, &e, err, sizeof err), -1);
	ck_assert_str_eq(err, "perturbation delay 0 us is not in 1-10000000");
	p.delay_us = 10;
	ck_assert_int_eq(tl_perturb_env("/nonexistent", &p, &e, err, sizeof err), -1);
	ck_assert_str_eq(err, "no perturbation shim at /nonexistent/" TL_PERTURB_SHIM
	                      " (is threadlab built?)");
	ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("perturb");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, density_is_the_share_of_calls_delayed);
	tcase_add_test(tc, a_seed_gives_the_same_plan_and_seeds_differ);
	tcase_add_test(tc, env_names_the_shim_and_the_settings);
	tcase_add_test(tc, bad_settings_and_a_missing_shim_are_one_line);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
