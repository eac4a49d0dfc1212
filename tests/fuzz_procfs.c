/* fuzz_procfs — every text parser of tl_procfs on arbitrary bytes.
 *
 * The first byte picks the parser: 's' stat, 't' status, 'c' schedstat,
 * 'y' syscall, 'm' maps; any other byte runs them all.  The rest is the
 * text, in a buffer of exactly its size, so a parser that reads one byte
 * past the length given is caught by AddressSanitizer.  Whatever a parser
 * returns must be 0 or -EINVAL (a count for maps), and what it fills in on
 * success must be consistent.
 *
 * tests/fuzz.sh puts each file of tests/fixtures/procfs behind every
 * selector; fuzz.h says how the target is built and replayed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "fuzz.h"
#include "tl_procfs.h"

#include <errno.h>
#include <string.h>

#define MIB ((size_t)1 << 20)

static void fuzz_stat(const char *buf, size_t len)
{
	struct tl_task_stat st;
	int rc = tl_procfs_parse_stat(buf, len, &st);

	REQUIRE(rc == 0 || rc == -EINVAL);
	if (rc == 0) {
		REQUIRE(st.tid > 0);
		REQUIRE(memchr(st.comm, '\0', sizeof(st.comm)) != NULL);
		REQUIRE((st.state >= 'A' && st.state <= 'Z') ||
		        (st.state >= 'a' && st.state <= 'z'));
		REQUIRE(st.processor >= 0);
		REQUIRE(st.num_threads >= 0);
	}
}

static void fuzz_status(const char *buf, size_t len)
{
	struct tl_task_status ts;
	int rc = tl_procfs_parse_status(buf, len, &ts);

	REQUIRE(rc == 0 || rc == -EINVAL);
	if (rc == 0)
		REQUIRE(ts.tgid > 0);
}

static void fuzz_schedstat(const char *buf, size_t len)
{
	struct tl_task_sched ss;
	int rc = tl_procfs_parse_schedstat(buf, len, &ss);

	REQUIRE(rc == 0 || rc == -EINVAL);
	/* A whole schedstat line always ends in its newline. */
	if (rc == 0)
		REQUIRE(len > 0 && memchr(buf, '\n', len) != NULL);
}

static void fuzz_syscall(const char *buf, size_t len)
{
	struct tl_task_syscall sc;
	int rc = tl_procfs_parse_syscall(buf, len, &sc);

	REQUIRE(rc == 0 || rc == -EINVAL);
	if (rc == 0) {
		REQUIRE(sc.state == TL_SYSCALL_RUNNING || sc.state == TL_SYSCALL_NONE ||
		        sc.state == TL_SYSCALL_IN);
		REQUIRE(sc.state == TL_SYSCALL_IN ? sc.nr >= 0 : sc.nr == -1);
		REQUIRE(len > 0 && buf[len - 1] == '\n');
	}
}

static void fuzz_maps(const char *buf, size_t len)
{
	int a = tl_procfs_count_stacks_in_maps(buf, len, 8 * MIB);
	int b = tl_procfs_count_stacks_in_maps(buf, len, 4096);

	REQUIRE(a >= 0 || a == -EINVAL);
	/* Whether the text is well formed does not depend on the size asked. */
	REQUIRE((a == -EINVAL) == (b == -EINVAL));
	/* A stack is two lines at least. */
	REQUIRE(a <= (int)(len / 2) && b <= (int)(len / 2));

	/* The first line on its own: a path, if any, lies inside it. */
	{
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;
		struct tl_map_line m;

		if (tl_procfs_parse_map_line(buf, n, &m) == 0) {
			REQUIRE(m.lo <= m.hi);
			REQUIRE(m.anonymous == (m.path == NULL));
			REQUIRE(m.path == NULL || (m.path > buf && m.path + m.path_len <= buf + n));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	size_t len;

	if (size == 0)
		return 0;
	len = size - 1;
	buf = fuzz_exact_copy(data + 1, len);
	if (buf == NULL)
		return 0;
	switch (data[0]) {
	case 's':
		fuzz_stat(buf, len);
		break;
	case 't':
		fuzz_status(buf, len);
		break;
	case 'c':
		fuzz_schedstat(buf, len);
		break;
	case 'y':
		fuzz_syscall(buf, len);
		break;
	case 'm':
		fuzz_maps(buf, len);
		break;
	default:
		fuzz_stat(buf, len);
		fuzz_status(buf, len);
		fuzz_schedstat(buf, len);
		fuzz_syscall(buf, len);
		fuzz_maps(buf, len);
		break;
	}
	free(buf);
	return 0;
}
