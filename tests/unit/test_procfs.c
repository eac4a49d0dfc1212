/* Unit tests for tl_procfs: the parsers on captured fixtures (see
 * tests/fixtures/procfs/README.md), the readers on a fake proc root and on
 * this very process. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "tl_procfs.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TL_FIXTURES
#error "TL_FIXTURES must name the tests/fixtures directory (the Makefile passes it)"
#endif

#define FIX TL_FIXTURES "/procfs/"
#define MIB ((size_t)1 << 20)

/* Reads a fixture into a buffer of exactly its size: no NUL after it, so
 * a parser that reads past the length reads past the allocation. */
static char *slurp(const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s%s", FIX, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open fixture %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc(n > 0 ? (size_t)n : 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* ------------------------------------------------------------------ stat */

struct stat_case {
	const char *file;
	int rc;
	pid_t tid;
	const char *comm;
	char state;
	unsigned long long utime, stime, starttime;
	int processor;
};

static const struct stat_case stat_cases[] = {
    {"stat_spaces", 0, 28693, "my worker 1", 'S', 10, 0, 193096, 1},
    {"stat_parens_inside", 0, 28694, "x) (y) z)", 'S', 0, 0, 193096, 0},
    {"stat_close_paren", 0, 28695, ")", 'S', 0, 0, 193096, 0},
    {"stat_open_paren", 0, 28696, "(", 'S', 0, 0, 193096, 1},
    {"stat_fake_fields", 0, 28697, "a) R 1 2 3 4", 'S', 0, 0, 193096, 0},
    {"stat_kworker", 0, 11, "kworker/0:1-events", 'I', 0, 4, 24, 0},
    {"stat_kworker_long", 0, 6, "kworker/R-kvfree_rcu_reclaim", 'I', 0, 0, 24, 0},
    {"stat_bignum", 0, 28693, "my worker 1", 'S', 4294967296123ULL, 42, 18446744073709551615ULL,
     17},
    {"stat_overflow", -EINVAL, 0, NULL, 0, 0, 0, 0, 0},
    {"stat_truncated", -EINVAL, 0, NULL, 0, 0, 0, 0, 0},
    {"stat_empty", -EINVAL, 0, NULL, 0, 0, 0, 0, 0},
    {"stat_garbage", -EINVAL, 0, NULL, 0, 0, 0, 0, 0},
};

START_TEST(stat_fixture)
{
	const struct stat_case *c = &stat_cases[_i];
	struct tl_task_stat st;
	size_t len;
	char *buf = slurp(c->file, &len);
	int rc = tl_procfs_parse_stat(buf, len, &st);

	ck_assert_msg(rc == c->rc, "%s: rc %d, expected %d", c->file, rc, c->rc);
	if (c->rc == 0) {
		ck_assert_int_eq(st.tid, c->tid);
		ck_assert_str_eq(st.comm, c->comm);
		ck_assert_int_eq(st.state, c->state);
		ck_assert_uint_eq(st.utime, c->utime);
		ck_assert_uint_eq(st.stime, c->stime);
		ck_assert_uint_eq(st.starttime, c->starttime);
		ck_assert_int_eq(st.processor, c->processor);
	}
	free(buf);
}
END_TEST

/* Every cut of a real line either fails or, once the line is whole up to
 * and past field 39, parses to the same values: never a half-filled
 * struct, never a read past the cut. */
START_TEST(stat_every_prefix)
{
	size_t len, k, end39 = 0;
	char *buf = slurp("stat_spaces", &len);
	const char *close = memrchr(buf, ')', len);
	int spaces = 0;

	/* Independently find where field 39 ends: field 3 starts after ") ",
	 * each following space starts the next field. */
	ck_assert_ptr_nonnull(close);
	for (k = (size_t)(close - buf) + 2; k < len; k++) {
		if (buf[k] == ' ' && ++spaces == 39 - 3 + 1) {
			end39 = k;
			break;
		}
	}
	ck_assert_uint_gt(end39, 0);
	for (k = 0; k <= len; k++) {
		char *cut = malloc(k ? k : 1);
		struct tl_task_stat st;
		int rc;

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, buf, k);
		rc = tl_procfs_parse_stat(cut, k, &st);
		if (k > end39) {
			ck_assert_msg(rc == 0, "prefix %zu: rc %d", k, rc);
			ck_assert_str_eq(st.comm, "my worker 1");
			ck_assert_uint_eq(st.utime, 10);
			ck_assert_int_eq(st.processor, 1);
		} else {
			ck_assert_msg(rc == -EINVAL, "prefix %zu of %zu: rc %d", k, end39, rc);
		}
		free(cut);
	}
	free(buf);
}
END_TEST

/* Fields 23..37 of a stat line, all zero. */
#define ZERO15 " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"

START_TEST(stat_odd_inputs)
{
	struct tl_task_stat st;
	char line[512], name[101];
	/* Fields 3..41: 14 utime, 15 stime, 22 starttime, 38 exit_signal,
	 * 39 processor. */
	const char *tail = " S 1 1 1 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 99" ZERO15 " -1 3 0 0\n";

	ck_assert_int_eq(tl_procfs_parse_stat(NULL, 10, &st), -EINVAL);
	ck_assert_int_eq(tl_procfs_parse_stat("1 (x) S", 7, NULL), -EINVAL);
	/* No closing parenthesis, no opening one, no state, tid 0. */
	ck_assert_int_eq(tl_procfs_parse_stat("12 (abc S 1 2", 13, &st), -EINVAL);
	ck_assert_int_eq(tl_procfs_parse_stat("12 abc) S 1 2", 13, &st), -EINVAL);
	snprintf(line, sizeof(line), "12 (x)%s", " 1 1 1\n");
	ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), -EINVAL);
	snprintf(line, sizeof(line), "0 (x)%s", tail);
	ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), -EINVAL);

	/* An empty name is legal (prctl(PR_SET_NAME, "")). */
	snprintf(line, sizeof(line), "12 ()%s", tail);
	ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), 0);
	ck_assert_str_eq(st.comm, "");
	ck_assert_uint_eq(st.utime, 7);
	ck_assert_uint_eq(st.stime, 8);
	ck_assert_uint_eq(st.starttime, 99);
	ck_assert_int_eq(st.processor, 3);

	/* A name longer than the struct holds is cut, not overflowed. */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(line, sizeof(line), "12 (%s)%s", name, tail);
	ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), 0);
	ck_assert_uint_eq(strlen(st.comm), sizeof(st.comm) - 1);

	/* A letter where a number belongs. */
	snprintf(line, sizeof(line), "12 (x)%s", tail);
	*strstr(line, " 7 ") = '\0'; /* keep up to field 13, then spoil 14 */
	strcat(line, " 7x 8 0 0 20 0 1 0 99" ZERO15 " -1 3 0 0\n");
	ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), -EINVAL);
	strstr(line, "7x")[1] = ' ';
	ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), 0); /* the control */
}
END_TEST

/* The process-wide fields of stat: the same parse, fields 20, 23 and 24. */
START_TEST(stat_process_fields)
{
	struct tl_task_stat st;
	size_t len;
	char *buf = slurp("stat_spaces", &len);

	ck_assert_int_eq(tl_procfs_parse_stat(buf, len, &st), 0);
	ck_assert_int_eq(st.num_threads, 7);
	ck_assert_uint_eq(st.vsize, 464990208ULL);
	ck_assert_uint_eq(st.rss, 449);
	free(buf);
	buf = slurp("stat_kworker", &len);
	ck_assert_int_eq(tl_procfs_parse_stat(buf, len, &st), 0);
	ck_assert_int_eq(st.num_threads, 1);
	ck_assert_uint_eq(st.vsize, 0); /* kernel threads have no memory of their own */
	ck_assert_uint_eq(st.rss, 0);
	free(buf);
	{
		/* A negative thread count or size is not something the kernel writes. */
		char line[512];
		const char *head = "12 (x) S 1 1 1 0 -1 0 0 0 0 0 7 8 0 0 20 0 ";
		const char *tail = " 0 0 0 0 0 0 0 0 0 0 0 0 0 -1 3 0 0\n";

		snprintf(line, sizeof(line), "%s%s%s", head, "5 0 99 4096 2", tail);
		ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), 0);
		ck_assert_int_eq(st.num_threads, 5);
		ck_assert_uint_eq(st.vsize, 4096);
		ck_assert_uint_eq(st.rss, 2);
		snprintf(line, sizeof(line), "%s%s%s", head, "-5 0 99 4096 2", tail);
		ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), -EINVAL);
		snprintf(line, sizeof(line), "%s%s%s", head, "5 0 99 -4096 2", tail);
		ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), -EINVAL);
		snprintf(line, sizeof(line), "%s%s%s", head, "5 0 99 4096 -2", tail);
		ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), -EINVAL);
		snprintf(line, sizeof(line), "%s%s%s", head, "2147483648 0 99 4096 2", tail);
		ck_assert_int_eq(tl_procfs_parse_stat(line, strlen(line), &st), -EINVAL);
	}
}
END_TEST

/* ------------------------------------------------------------------ status */

struct status_case {
	const char *file;
	int rc;
	pid_t tgid;
	unsigned long long vcsw, nvcsw;
};

static const struct status_case status_cases[] = {
    {"status_running", 0, 807, 0, 3},       {"status_futex_waiter", 0, 807, 1, 0},
    {"status_stopped", 0, 807, 1, 4},       {"status_kthread", 0, 2, 74, 0},
    {"status_truncated", -EINVAL, 0, 0, 0}, {"status_cut_early", -EINVAL, 0, 0, 0},
    {"stat_spaces", -EINVAL, 0, 0, 0},      {"stat_garbage", -EINVAL, 0, 0, 0},
    {"stat_empty", -EINVAL, 0, 0, 0},
};

START_TEST(status_fixture)
{
	const struct status_case *c = &status_cases[_i];
	struct tl_task_status ts;
	size_t len;
	char *buf = slurp(c->file, &len);
	int rc = tl_procfs_parse_status(buf, len, &ts);

	ck_assert_msg(rc == c->rc, "%s: rc %d, expected %d", c->file, rc, c->rc);
	if (c->rc == 0) {
		ck_assert_int_eq(ts.tgid, c->tgid);
		ck_assert_uint_eq(ts.vcsw, c->vcsw);
		ck_assert_uint_eq(ts.nvcsw, c->nvcsw);
	}
	free(buf);
}
END_TEST

/* The counters are the last lines of status: every cut before the final
 * newline loses one of them or cuts its number. */
START_TEST(status_every_prefix)
{
	size_t len, k;
	char *buf = slurp("status_stopped", &len);

	for (k = 0; k <= len; k++) {
		char *cut = malloc(k ? k : 1);
		struct tl_task_status ts;
		int rc;

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, buf, k);
		rc = tl_procfs_parse_status(cut, k, &ts);
		ck_assert_msg(rc == (k == len ? 0 : -EINVAL), "prefix %zu of %zu: rc %d", k, len,
		              rc);
		free(cut);
	}
	free(buf);
}
END_TEST

START_TEST(status_odd_inputs)
{
	static const struct {
		const char *text;
		int rc;
		unsigned long long vcsw, nvcsw;
	} cases[] = {
	    {"Tgid:\t5\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t8\n", 0, 7, 8},
	    /* order does not matter, spaces or tabs after the colon */
	    {"nonvoluntary_ctxt_switches: 8\nvoluntary_ctxt_switches:  7\nTgid:\t5\n", 0, 7, 8},
	    /* "voluntary_..." must start its line: "nonvoluntary_..." is not it */
	    {"Tgid:\t5\nnonvoluntary_ctxt_switches:\t8\n", -EINVAL, 0, 0},
	    {"Tgid:\t5\nxvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t8\n", -EINVAL, 0,
	     0},
	    /* no Tgid, Tgid 0, a key without its colon */
	    {"voluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t8\n", -EINVAL, 0, 0},
	    {"Tgid:\t0\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t8\n", -EINVAL, 0,
	     0},
	    {"Tgid 5\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t8\n", -EINVAL, 0,
	     0},
	    /* a number with junk after it, a negative one, an empty one */
	    {"Tgid:\t5\nvoluntary_ctxt_switches:\t7x\nnonvoluntary_ctxt_switches:\t8\n", -EINVAL, 0,
	     0},
	    {"Tgid:\t5\nvoluntary_ctxt_switches:\t-7\nnonvoluntary_ctxt_switches:\t8\n", -EINVAL, 0,
	     0},
	    {"Tgid:\t5\nvoluntary_ctxt_switches:\t\nnonvoluntary_ctxt_switches:\t8\n", -EINVAL, 0,
	     0},
	    {"", -EINVAL, 0, 0},
	    {"\n\n\n", -EINVAL, 0, 0},
	};
	struct tl_task_status ts;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = tl_procfs_parse_status(cases[i].text, strlen(cases[i].text), &ts);

		ck_assert_msg(rc == cases[i].rc, "case %zu: rc %d, expected %d", i, rc,
		              cases[i].rc);
		if (rc == 0) {
			ck_assert_int_eq(ts.tgid, 5);
			ck_assert_uint_eq(ts.vcsw, cases[i].vcsw);
			ck_assert_uint_eq(ts.nvcsw, cases[i].nvcsw);
		}
	}
	ck_assert_int_eq(tl_procfs_parse_status(NULL, 4, &ts), -EINVAL);
	ck_assert_int_eq(tl_procfs_parse_status("x", 1, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ syscall */

START_TEST(syscall_fixtures)
{
	struct tl_task_syscall sc;
	size_t len;
	char *buf;

	/* A thread on the CPU. */
	buf = slurp("syscall_running", &len);
	ck_assert_int_eq(tl_procfs_parse_syscall(buf, len, &sc), 0);
	ck_assert_int_eq(sc.state, TL_SYSCALL_RUNNING);
	ck_assert_int_eq(sc.nr, -1);
	free(buf);

	/* The same thread stopped by SIGSTOP in user space: no system call. */
	buf = slurp("syscall_stopped", &len);
	ck_assert_int_eq(tl_procfs_parse_syscall(buf, len, &sc), 0);
	ck_assert_int_eq(sc.state, TL_SYSCALL_NONE);
	ck_assert_int_eq(sc.nr, -1);
	ck_assert_uint_eq(sc.sp, 0x7fcab397aec0ULL);
	ck_assert_uint_eq(sc.pc, 0x5631bfde8a07ULL);
	free(buf);

	/* A condition-variable waiter: futex (202), FUTEX_WAIT_BITSET_PRIVATE
	 * | FUTEX_CLOCK_REALTIME (0x189), bitset all ones. */
	buf = slurp("syscall_futex", &len);
	ck_assert_int_eq(tl_procfs_parse_syscall(buf, len, &sc), 0);
	ck_assert_int_eq(sc.state, TL_SYSCALL_IN);
	ck_assert_int_eq(sc.nr, 202);
	ck_assert_uint_eq(sc.args[0], 0x5631bfdeb138ULL);
	ck_assert_uint_eq(sc.args[1], 0x189);
	ck_assert_uint_eq(sc.args[2], 0);
	ck_assert_uint_eq(sc.args[5], 0xffffffffULL);
	ck_assert_uint_eq(sc.sp, 0x7fcab3179dc0ULL);
	ck_assert_uint_eq(sc.pc, 0x7fcab3a04f16ULL);
	/* Every cut of it is refused. */
	for (size_t k = 0; k < len; k++) {
		char *cut = malloc(k ? k : 1);

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, buf, k);
		ck_assert_msg(tl_procfs_parse_syscall(cut, k, &sc) == -EINVAL, "prefix %zu", k);
		free(cut);
	}
	free(buf);

	/* The main thread in read(0, ...). */
	buf = slurp("syscall_read", &len);
	ck_assert_int_eq(tl_procfs_parse_syscall(buf, len, &sc), 0);
	ck_assert_int_eq(sc.state, TL_SYSCALL_IN);
	ck_assert_int_eq(sc.nr, 0);
	ck_assert_uint_eq(sc.args[2], 0x100);
	free(buf);

	/* A kernel thread: nr 0 and all zeros. */
	buf = slurp("syscall_kthread", &len);
	ck_assert_int_eq(tl_procfs_parse_syscall(buf, len, &sc), 0);
	ck_assert_int_eq(sc.state, TL_SYSCALL_IN);
	ck_assert_int_eq(sc.nr, 0);
	ck_assert_uint_eq(sc.pc, 0);
	free(buf);

	buf = slurp("syscall_truncated", &len);
	ck_assert_int_eq(tl_procfs_parse_syscall(buf, len, &sc), -EINVAL);
	free(buf);
	buf = slurp("syscall_garbage", &len);
	ck_assert_int_eq(tl_procfs_parse_syscall(buf, len, &sc), -EINVAL);
	free(buf);
	buf = slurp("stat_garbage", &len);
	ck_assert_int_eq(tl_procfs_parse_syscall(buf, len, &sc), -EINVAL);
	free(buf);
}
END_TEST

START_TEST(syscall_odd_inputs)
{
	static const char *const bad[] = {
	    "",
	    "running",     /* no newline */
	    "running\n\n", /* more than one */
	    "Running\n",
	    "-1\n",                                    /* no sp, pc */
	    "-1 0x10\n",                               /* no pc */
	    "-2 0x10 0x20\n",                          /* only -1 means "none" */
	    "-1 0x10 0x20 \n",                         /* a trailing space */
	    "-1 10 0x20\n",                            /* no 0x */
	    "-1 0x 0x20\n",                            /* no digits */
	    "-1 0x10 0x20",                            /* no newline */
	    "1 0x1 0x2 0x3 0x4 0x5 0x6 0x7\n",         /* one argument short */
	    "1 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 0x9\n", /* one too many */
	    "100001 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8\n",
	    "1 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x10000000000000000\n", /* 65 bits */
	    "1 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0xg\n",
	    "x 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8\n",
	};
	struct tl_task_syscall sc;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(tl_procfs_parse_syscall(bad[i], strlen(bad[i]), &sc) == -EINVAL,
		              "case %zu (%s) accepted", i, bad[i]);
	/* The controls. */
	ck_assert_int_eq(tl_procfs_parse_syscall("-1 0x10 0x20\n", 13, &sc), 0);
	ck_assert_int_eq(sc.state, TL_SYSCALL_NONE);
	ck_assert_uint_eq(sc.sp, 0x10);
	ck_assert_uint_eq(sc.pc, 0x20);
	{
		const char *max = "1 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0xfFfFfFfFfFfFfFfF\n";

		ck_assert_int_eq(tl_procfs_parse_syscall(max, strlen(max), &sc), 0);
	}
	ck_assert_int_eq(sc.nr, 1);
	ck_assert_uint_eq(sc.args[5], 6);
	ck_assert_uint_eq(sc.pc, 0xffffffffffffffffULL);
	ck_assert_int_eq(tl_procfs_parse_syscall(NULL, 8, &sc), -EINVAL);
	ck_assert_int_eq(tl_procfs_parse_syscall("running\n", 8, NULL), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ schedstat */

START_TEST(schedstat_parse)
{
	struct tl_task_sched ss;
	size_t len;
	char *buf;

	buf = slurp("schedstat_blocked", &len);
	ck_assert_int_eq(tl_procfs_parse_schedstat(buf, len, &ss), 0);
	ck_assert_uint_eq(ss.cpu_ns, 17576);
	ck_assert_uint_eq(ss.wait_ns, 99697);
	ck_assert_uint_eq(ss.slices, 1);
	free(buf);
	buf = slurp("schedstat_shell", &len);
	ck_assert_int_eq(tl_procfs_parse_schedstat(buf, len, &ss), 0);
	ck_assert_uint_eq(ss.cpu_ns, 230434510);
	ck_assert_uint_eq(ss.wait_ns, 52156992);
	ck_assert_uint_eq(ss.slices, 738);
	/* Every cut before the newline is refused. */
	for (size_t k = 0; k < len; k++)
		ck_assert_int_eq(tl_procfs_parse_schedstat(buf, k, &ss), -EINVAL);
	free(buf);
	buf = slurp("schedstat_truncated", &len);
	ck_assert_int_eq(tl_procfs_parse_schedstat(buf, len, &ss), -EINVAL);
	free(buf);
	ck_assert_int_eq(tl_procfs_parse_schedstat("1 2\n", 4, &ss), -EINVAL);
	ck_assert_int_eq(tl_procfs_parse_schedstat("1 -2 3\n", 7, &ss), -EINVAL);
	ck_assert_int_eq(tl_procfs_parse_schedstat("1 2 3 \n", 7, &ss), -EINVAL);
	ck_assert_int_eq(tl_procfs_parse_schedstat(NULL, 0, &ss), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ maps */

START_TEST(maps_fixture)
{
	size_t len;
	char *buf = slurp("maps_threads", &len);

	/* 5 live + 2 finished-unjoined default stacks; the 1 MiB one and the
	 * malloc arenas (rw-p then ---p) are not 8 MiB stacks. */
	ck_assert_int_eq(tl_procfs_count_stacks_in_maps(buf, len, 8 * MIB), 7);
	ck_assert_int_eq(tl_procfs_count_stacks_in_maps(buf, len, 1 * MIB), 1);
	ck_assert_int_eq(tl_procfs_count_stacks_in_maps(buf, len, 4 * MIB), 0);
	ck_assert_int_eq(tl_procfs_count_stacks_in_maps(buf, len, 0), -EINVAL);
	ck_assert_int_eq(tl_procfs_count_stacks_in_maps(buf, 0, 8 * MIB), 0);
	free(buf);

	buf = slurp("maps_truncated", &len);
	ck_assert_int_eq(tl_procfs_count_stacks_in_maps(buf, len, 8 * MIB), -EINVAL);
	free(buf);
}
END_TEST

START_TEST(maps_every_prefix)
{
	size_t len, k;
	char *buf = slurp("maps_threads", &len);
	int last = 0;

	for (k = 0; k <= len; k++) {
		char *cut = malloc(k ? k : 1);
		int rc;

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, buf, k);
		rc = tl_procfs_count_stacks_in_maps(cut, k, 8 * MIB);
		ck_assert_msg(rc == -EINVAL || (rc >= 0 && rc <= 7), "prefix %zu: %d", k, rc);
		if (k == len || buf[k] == '\n') {
			/* Cut at a line end: a valid, shorter listing. */
			ck_assert_msg(rc >= last, "prefix %zu: %d after %d", k, rc, last);
			last = rc;
		}
		free(cut);
	}
	ck_assert_int_eq(last, 7);
	free(buf);
}
END_TEST

START_TEST(map_line_fields)
{
	static const char exe[] =
	    "55dae18d1000-55dae18d2000 r-xp 00001000 fe:01 1234567  /work/a b/broken (deleted)\n";
	static const char anon[] = "7f00a0000000-7f00a0800000 rw-p 00000000 00:00 0 ";
	struct tl_map_line m;

	ck_assert_int_eq(tl_procfs_parse_map_line(exe, strlen(exe), &m), 0);
	ck_assert_uint_eq(m.lo, 0x55dae18d1000ULL);
	ck_assert_uint_eq(m.hi, 0x55dae18d2000ULL);
	ck_assert_uint_eq(m.offset, 0x1000);
	ck_assert_str_eq(m.perms, "r-xp");
	ck_assert(!m.anonymous);
	ck_assert_uint_eq(m.path_len, strlen("/work/a b/broken (deleted)"));
	ck_assert_int_eq(memcmp(m.path, "/work/a b/broken (deleted)", m.path_len), 0);

	ck_assert_int_eq(tl_procfs_parse_map_line(anon, strlen(anon), &m), 0);
	ck_assert(m.anonymous);
	ck_assert_ptr_null(m.path);
	ck_assert_str_eq(m.perms, "rw-p");

	/* Cut before the inode, or with a bad offset: refused. */
	ck_assert_int_eq(tl_procfs_parse_map_line(exe, 35, &m), -EINVAL);
	ck_assert_int_eq(tl_procfs_parse_map_line("1000-2000 r-xp 0z00 fe:01 1 /x", 30, &m),
	                 -EINVAL);
	ck_assert_int_eq(tl_procfs_parse_map_line("2000-1000 r-xp 0 fe:01 1 /x", 27, &m), -EINVAL);
}
END_TEST

START_TEST(maps_hand_made)
{
	/* Each case: a guard then an 8 MiB rw-p (0x800000), varied. */
	static const struct {
		const char *text;
		int count;
	} cases[] = {
	    {"7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
	     "7f0000001000-7f0000801000 rw-p 00000000 00:00 0 \n",
	     1},
	    /* last line without its newline is still whole */
	    {"7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
	     "7f0000001000-7f0000801000 rw-p 00000000 00:00 0",
	     1},
	    /* a gap between guard and stack: not glibc's layout */
	    {"7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
	     "7f0000002000-7f0000802000 rw-p 00000000 00:00 0 \n",
	     0},
	    /* a guard merged with a neighbouring PROT_NONE reserve */
	    {"7f0000000000-7f0000101000 ---p 00000000 00:00 0 \n"
	     "7f0000101000-7f0000901000 rw-p 00000000 00:00 0 \n",
	     1},
	    /* one page more or less than 8 MiB: still a stack */
	    {"7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
	     "7f0000001000-7f0000802000 rw-p 00000000 00:00 0 \n"
	     "7f0000802000-7f0000803000 ---p 00000000 00:00 0 \n"
	     "7f0000803000-7f0001002000 rw-p 00000000 00:00 0 \n",
	     2},
	    /* two pages more: not */
	    {"7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
	     "7f0000001000-7f0000803000 rw-p 00000000 00:00 0 \n",
	     0},
	    /* a file mapping and a shared one are not stacks */
	    {"7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n"
	     "7f0000001000-7f0000801000 rw-p 00000000 08:01 42   /tmp/x\n"
	     "7f0000801000-7f0000802000 ---p 00000000 00:00 0 \n"
	     "7f0000802000-7f0001002000 rw-s 00000000 00:01 7 \n",
	     0},
	    /* an arena: rw-p then ---p is the other way round */
	    {"7f0000000000-7f0000800000 rw-p 00000000 00:00 0 \n"
	     "7f0000800000-7f0004000000 ---p 00000000 00:00 0 \n",
	     0},
	    /* a blank line breaks adjacency */
	    {"7f0000000000-7f0000001000 ---p 00000000 00:00 0 \n\n"
	     "7f0000001000-7f0000801000 rw-p 00000000 00:00 0 \n",
	     0},
	    /* lines cut short, bad addresses, bad permissions */
	    {"7f0000000000-7f0000001000 ---p 00000000 00:00\n", -EINVAL},
	    {"7f0000000000-7f0000001000 ---p\n", -EINVAL},
	    {"7f0000000000-7f00\n", -EINVAL},
	    {"7f0000001000-7f0000000000 ---p 00000000 00:00 0 \n", -EINVAL},
	    {"7f0000000000-7f0000001000 rwzp 00000000 00:00 0 \n", -EINVAL},
	    {"hello world\n", -EINVAL},
	    {"\n\n", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc =
		    tl_procfs_count_stacks_in_maps(cases[i].text, strlen(cases[i].text), 8 * MIB);

		ck_assert_msg(rc == cases[i].count, "case %zu: %d, expected %d", i, rc,
		              cases[i].count);
	}
}
END_TEST

/* ------------------------------------------------------------------ readers */

#define ROOT TL_FIXTURES "/procfs/root"

START_TEST(readers_fake_root)
{
	struct tl_task_stat st;
	char wchan[64];

	ck_assert_int_eq(tl_procfs_read_task_stat(ROOT, 28692, 28693, &st), 0);
	ck_assert_str_eq(st.comm, "my worker 1");
	ck_assert_uint_eq(st.utime, 10);
	ck_assert_int_eq(tl_procfs_read_task_stat(ROOT, 28692, 28694, &st), 0);
	ck_assert_str_eq(st.comm, "x) (y) z)");
	ck_assert_int_eq(tl_procfs_read_task_stat(ROOT, 28692, 1, &st), -ENOENT);

	ck_assert_int_eq(tl_procfs_read_wchan(ROOT, 28692, 28693, wchan, sizeof(wchan)), 0);
	ck_assert_str_eq(wchan, "futex_do_wait");
	ck_assert_int_eq(tl_procfs_read_wchan(ROOT, 28692, 28693, wchan, 6), 0);
	ck_assert_str_eq(wchan, "futex"); /* cut to the buffer */
	ck_assert_int_eq(tl_procfs_read_wchan(ROOT, 28692, 28694, wchan, sizeof(wchan)), 0);
	ck_assert_str_eq(wchan, "-"); /* "0" means none */
	ck_assert_int_eq(tl_procfs_read_wchan(ROOT, 28692, 28693, wchan, 0), -EINVAL);
	ck_assert_int_eq(tl_procfs_read_wchan(ROOT, 28692, 1, wchan, sizeof(wchan)), -ENOENT);

	{
		struct tl_task_sched ss;

		ck_assert_int_eq(tl_procfs_read_schedstat(ROOT, 28692, 28693, &ss), 0);
		ck_assert_uint_eq(ss.wait_ns, 99697);
		ck_assert_int_eq(tl_procfs_read_schedstat(ROOT, 28692, 28694, &ss), -ENOENT);
	}

	ck_assert_int_eq(tl_procfs_count_tasks(ROOT, 28692), 2);
	ck_assert_int_eq(tl_procfs_count_tasks(ROOT, 1), -ENOENT);
	ck_assert_int_eq(tl_procfs_count_stacks(ROOT, 28692, 8 * MIB), 7);
	ck_assert_int_eq(tl_procfs_count_stacks(ROOT, 28692, 1 * MIB), 1);
	ck_assert_int_eq(tl_procfs_count_stacks(ROOT, 1, 8 * MIB), -ENOENT);
}
END_TEST

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* root/28692: two whole tasks.  root/28700: its main thread, and 28701,
 * a thread that ended between the listing and the reads (its directory is
 * there, its files are not). */
START_TEST(readers_fake_root_tasks)
{
	pid_t tids[8];
	struct tl_task_stat st;
	struct tl_task_status ts;
	struct tl_task_syscall sc;
	char wchan[64];
	int n;

	n = tl_procfs_list_tasks(ROOT, 28692, tids, 8);
	ck_assert_int_eq(n, 2);
	qsort(tids, (size_t)n, sizeof(tids[0]), cmp_pid);
	ck_assert_int_eq(tids[0], 28693);
	ck_assert_int_eq(tids[1], 28694);
	/* Too little room: the count still says how many there are. */
	tids[1] = -7;
	ck_assert_int_eq(tl_procfs_list_tasks(ROOT, 28692, tids, 1), 2);
	ck_assert_int_eq(tids[1], -7);
	ck_assert(tids[0] == 28693 || tids[0] == 28694);
	ck_assert_int_eq(tl_procfs_list_tasks(ROOT, 28692, NULL, 0), 2);
	ck_assert_int_eq(tl_procfs_list_tasks(ROOT, 28692, NULL, 2), -EINVAL);
	ck_assert_int_eq(tl_procfs_list_tasks(ROOT, 1, tids, 8), -ENOENT);

	ck_assert_int_eq(tl_procfs_read_status(ROOT, 28692, 28693, &ts), 0);
	ck_assert_int_eq(ts.tgid, 28692);
	ck_assert_uint_eq(ts.vcsw, 57);
	ck_assert_uint_eq(ts.nvcsw, 3);
	ck_assert_int_eq(tl_procfs_read_status(ROOT, 28692, 28694, &ts), 0);
	ck_assert_uint_eq(ts.vcsw, 1);
	ck_assert_int_eq(tl_procfs_read_syscall(ROOT, 28692, 28693, &sc), 0);
	ck_assert_int_eq(sc.state, TL_SYSCALL_IN);
	ck_assert_int_eq(sc.nr, 202);
	ck_assert_int_eq(tl_procfs_read_syscall(ROOT, 28692, 28694, &sc), -ENOENT);

	n = tl_procfs_list_tasks(ROOT, 28700, tids, 8);
	ck_assert_int_eq(n, 2);
	qsort(tids, (size_t)n, sizeof(tids[0]), cmp_pid);
	ck_assert_int_eq(tids[0], 28700);
	ck_assert_int_eq(tids[1], 28701);
	ck_assert_int_eq(tl_procfs_count_tasks(ROOT, 28700), 2);
	ck_assert_int_eq(tl_procfs_read_task_stat(ROOT, 28700, 28700, &st), 0);
	ck_assert_str_eq(st.comm, "ts-target");
	ck_assert_int_eq(tl_procfs_read_syscall(ROOT, 28700, 28700, &sc), 0);
	ck_assert_int_eq(sc.nr, 0); /* read(2) on its stdin */
	ck_assert_int_eq(tl_procfs_read_wchan(ROOT, 28700, 28700, wchan, sizeof(wchan)), 0);
	ck_assert_str_eq(wchan, "-");
	/* The vanished thread: every reader says ENOENT, none crashes. */
	ck_assert_int_eq(tl_procfs_read_task_stat(ROOT, 28700, 28701, &st), -ENOENT);
	ck_assert_int_eq(tl_procfs_read_status(ROOT, 28700, 28701, &ts), -ENOENT);
	ck_assert_int_eq(tl_procfs_read_syscall(ROOT, 28700, 28701, &sc), -ENOENT);
	ck_assert_int_eq(tl_procfs_read_wchan(ROOT, 28700, 28701, wchan, sizeof(wchan)), -ENOENT);

	/* The process as a whole: totals from its own stat. */
	ck_assert_int_eq(tl_procfs_read_proc_stat(ROOT, 28700, &st), 0);
	ck_assert_int_eq(st.tid, 28700);
	ck_assert_int_eq(st.num_threads, 3);
	ck_assert_uint_eq(st.vsize, 19320832ULL);
	ck_assert_uint_eq(st.rss, 342);
	ck_assert_int_eq(tl_procfs_read_proc_stat(ROOT, 28692, &st), -ENOENT);
}
END_TEST

/* Three threads that publish their tid and then block on a condition. */
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t live_cv = PTHREAD_COND_INITIALIZER;
static pid_t live_tids[3];
static int live_ready;
static bool live_go;

static void *live_thread(void *arg)
{
	int i = (int)(long)arg;

	pthread_setname_np(pthread_self(), i == 0 ? "live (0)" : "live-n");
	pthread_mutex_lock(&live_mu);
	live_tids[i] = (pid_t)syscall(SYS_gettid);
	live_ready++;
	pthread_cond_broadcast(&live_cv);
	while (!live_go)
		pthread_cond_wait(&live_cv, &live_mu);
	pthread_mutex_unlock(&live_mu);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(readers_live)
{
	pthread_t t[3];
	pid_t pid = getpid();
	struct tl_task_stat st;
	char wchan[64];
	int i, n;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, live_thread, (void *)(long)i), 0);
	pthread_mutex_lock(&live_mu);
	while (live_ready < 3)
		pthread_cond_wait(&live_cv, &live_mu);
	pthread_mutex_unlock(&live_mu);

	n = tl_procfs_count_tasks("/proc", pid);
	ck_assert_int_ge(n, 4);
	ck_assert_int_ge(tl_procfs_count_stacks("/proc", pid, 0), 3);

	for (i = 0; i < 3; i++) {
		/* A thread that published its tid may not be asleep yet: look
		 * again, yielding, for a bounded time. */
		double deadline = now_s() + 10.0;
		int rc;

		for (;;) {
			rc = tl_procfs_read_task_stat("/proc", pid, live_tids[i], &st);
			ck_assert_int_eq(rc, 0);
			if (st.state == 'S' || now_s() > deadline)
				break;
			sched_yield();
		}
		ck_assert_int_eq(st.state, 'S');
		ck_assert_int_eq(st.tid, live_tids[i]);
		ck_assert_str_eq(st.comm, i == 0 ? "live (0)" : "live-n");
		ck_assert_int_eq(
		    tl_procfs_read_wchan("/proc", pid, live_tids[i], wchan, sizeof(wchan)), 0);
		ck_assert_uint_gt(strlen(wchan), 0);
	}

	pthread_mutex_lock(&live_mu);
	live_go = true;
	pthread_cond_broadcast(&live_cv);
	pthread_mutex_unlock(&live_mu);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);

	/* Joined: their /proc entries are gone. */
	for (i = 0; i < 3; i++) {
		struct tl_task_sched ss;
		int rc = tl_procfs_read_task_stat("/proc", pid, live_tids[i], &st);

		ck_assert_msg(rc == -ENOENT || rc == -ESRCH, "tid %d: %d", live_tids[i], rc);
		rc = tl_procfs_read_wchan("/proc", pid, live_tids[i], wchan, sizeof(wchan));
		ck_assert_msg(rc == -ENOENT || rc == -ESRCH, "tid %d: %d", live_tids[i], rc);
		rc = tl_procfs_read_schedstat("/proc", pid, live_tids[i], &ss);
		ck_assert_msg(rc == -ENOENT || rc == -ESRCH, "tid %d: %d", live_tids[i], rc);
	}
	{
		/* This thread has run: it has CPU time and time slices. */
		struct tl_task_sched ss;

		ck_assert_int_eq(tl_procfs_read_schedstat("/proc", pid, pid, &ss), 0);
		ck_assert_uint_gt(ss.cpu_ns, 0);
		ck_assert_uint_gt(ss.slices, 0);
	}
	ck_assert_int_eq(tl_procfs_count_tasks("/proc", pid), n - 3);
}
END_TEST

START_TEST(readers_vanished_process)
{
	pid_t child = fork();
	int status;

	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	/* Reaped: the pid is free (reuse this soon is vanishingly unlikely). */
	ck_assert_int_eq(tl_procfs_count_tasks("/proc", child), -ENOENT);
	ck_assert_int_eq(tl_procfs_count_stacks("/proc", child, 0), -ENOENT);
	{
		struct tl_task_stat st;
		int rc = tl_procfs_read_task_stat("/proc", child, child, &st);

		ck_assert_msg(rc == -ENOENT || rc == -ESRCH, "%d", rc);
	}
}
END_TEST

static Suite *procfs_suite(void)
{
	Suite *s = suite_create("procfs");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, stat_fixture, 0, (int)(sizeof(stat_cases) / sizeof(stat_cases[0])));
	tcase_add_test(tc, stat_every_prefix);
	tcase_add_test(tc, stat_odd_inputs);
	tcase_add_test(tc, stat_process_fields);
	tcase_add_loop_test(tc, status_fixture, 0,
	                    (int)(sizeof(status_cases) / sizeof(status_cases[0])));
	tcase_add_test(tc, status_every_prefix);
	tcase_add_test(tc, status_odd_inputs);
	tcase_add_test(tc, syscall_fixtures);
	tcase_add_test(tc, syscall_odd_inputs);
	tcase_add_test(tc, schedstat_parse);
	tcase_add_test(tc, maps_fixture);
	tcase_add_test(tc, maps_every_prefix);
	tcase_add_test(tc, maps_hand_made);
	tcase_add_test(tc, map_line_fields);
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, readers_fake_root);
	tcase_add_test(tc, readers_fake_root_tasks);
	tcase_add_test(tc, readers_live);
	tcase_add_test(tc, readers_vanished_process);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(procfs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
