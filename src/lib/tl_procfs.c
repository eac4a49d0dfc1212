/* tl_procfs — reading a process's threads from /proc (see tl_procfs.h).
 *
 * The parsers never trust the text to be NUL-terminated or complete: every
 * scan is bounded by the length given, so a truncated or garbled read gives
 * -EINVAL rather than a read past the buffer.  The readers use open+pread
 * and hand back the kernel's errno, so a caller can tell "thread vanished"
 * (ENOENT, ESRCH) from a real failure.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "tl_procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Large enough for any stat line: 52 numeric fields of at most 20 digits
 * plus a 64-byte comm. */
#define STAT_BUF 4096

/* ------------------------------------------------------------------ parsing */

/* A bounded cursor over text that need not end in NUL. */
struct cur {
	const char *p;
	const char *end;
};

static bool cur_skip_spaces(struct cur *c)
{
	/* The kernel writes exactly one space between fields; accepting a run
	 * costs nothing and makes hand-written fixtures forgiving.  Returns
	 * whether at least one separator was there. */
	const char *start = c->p;

	while (c->p < c->end && *c->p == ' ')
		c->p++;
	return c->p > start;
}

/* Reads an optionally signed decimal field.  strtoull is not used because it
 * would run past `end` on a buffer that is not NUL-terminated. */
static bool cur_number(struct cur *c, bool allow_sign, unsigned long long *out, bool *neg)
{
	unsigned long long v = 0;
	const char *start;

	*neg = false;
	if (c->p < c->end && *c->p == '-') {
		if (!allow_sign)
			return false;
		*neg = true;
		c->p++;
	}
	start = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (ULLONG_MAX - d) / 10)
			return false; /* overflow: not something the kernel writes */
		v = v * 10 + d;
		c->p++;
	}
	if (c->p == start)
		return false;
	/* A field must end at a separator or at the end of the line. */
	if (c->p < c->end && *c->p != ' ' && *c->p != '\n')
		return false;
	*out = v;
	return true;
}

/* Fields 2 and 3, from the " (" on: comm may hold anything, ')' and spaces
 * included, but the fields after it are numbers and one state letter, never
 * ')': so the comm ends at the LAST ')' of the text. */
static bool cur_comm_and_state(struct cur *c, struct tl_task_stat *out)
{
	const char *open = c->p, *close;
	size_t n;

	close = memrchr(open + 1, ')', (size_t)(c->end - (open + 1)));
	if (close == NULL)
		return false;
	n = (size_t)(close - (open + 1));
	if (n >= sizeof(out->comm))
		n = sizeof(out->comm) - 1; /* kworker names can run long: cut */
	memcpy(out->comm, open + 1, n);
	out->comm[n] = '\0';
	c->p = close + 1;

	/* The state, one letter. */
	if (!cur_skip_spaces(c) || c->p >= c->end)
		return false;
	if (!((*c->p >= 'A' && *c->p <= 'Z') || (*c->p >= 'a' && *c->p <= 'z')))
		return false;
	out->state = *c->p++;
	return c->p >= c->end || *c->p == ' ';
}

/* Keeps numeric field `field` of stat if it is one we want.  False when its
 * value does not fit: negative, or too big for where it goes. */
static bool keep_stat_field(int field, unsigned long long v, bool neg, struct tl_task_stat *out)
{
	switch (field) {
	case 4:
		if (neg || v > INT_MAX)
			return false;
		out->ppid = (pid_t)v;
		break;
	case 16:
	case 17: /* signed in the kernel's format, never negative in fact */
		if (neg)
			return false;
		out->children_time += v;
		break;
	case 9:
		if (neg || v > ULONG_MAX)
			return false;
		out->flags = (unsigned long)v;
		break;
	case 14:
		if (neg)
			return false;
		out->utime = v;
		break;
	case 15:
		if (neg)
			return false;
		out->stime = v;
		break;
	case 20:
		if (neg || v > INT_MAX)
			return false;
		out->num_threads = (long)v;
		break;
	case 22:
		if (neg)
			return false;
		out->starttime = v;
		break;
	case 23:
		if (neg)
			return false;
		out->vsize = v;
		break;
	case 24:
		if (neg)
			return false;
		out->rss = v;
		break;
	case 39:
		if (neg || v > INT_MAX)
			return false;
		out->processor = (int)v;
		break;
	default:
		break; /* not kept: any number will do */
	}
	return true;
}

int tl_procfs_parse_stat(const char *buf, size_t len, struct tl_task_stat *out)
{
	struct cur c;
	unsigned long long v, tid;
	bool neg;
	int field;

	if (buf == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	c.p = buf;
	c.end = buf + len;

	/* Field 1: the tid, then " (". */
	if (!cur_number(&c, false, &tid, &neg) || tid == 0 || tid > INT_MAX)
		return -EINVAL;
	if (!cur_skip_spaces(&c) || c.p >= c.end || *c.p != '(')
		return -EINVAL;
	if (!cur_comm_and_state(&c, out))
		return -EINVAL;

	/* Fields 4..39 are all numbers (some signed: priority, nice, cutime,
	 * exit_signal); we keep a few and require all of them, so that a
	 * truncated line is refused rather than half-filled. */
	for (field = 4; field <= 39; field++) {
		if (!cur_skip_spaces(&c) || !cur_number(&c, true, &v, &neg))
			return -EINVAL;
		if (!keep_stat_field(field, v, neg, out))
			return -EINVAL;
	}
	/* The kernel always writes more after field 39: without a separator
	 * here the text may have been cut inside it ("17" read as "1"). */
	if (c.p >= c.end)
		return -EINVAL;
	out->tid = (pid_t)tid;
	return 0;
}

int tl_procfs_parse_schedstat(const char *buf, size_t len, struct tl_task_sched *out)
{
	unsigned long long v[3];
	struct cur c;
	bool neg;
	int i;

	if (buf == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	c.p = buf;
	c.end = buf + len;
	for (i = 0; i < 3; i++) {
		if (i > 0 && !cur_skip_spaces(&c))
			return -EINVAL;
		if (!cur_number(&c, false, &v[i], &neg))
			return -EINVAL;
	}
	/* As for stat: the line ends in '\n'; without it the last number may
	 * have been cut. */
	if (c.p >= c.end || *c.p != '\n')
		return -EINVAL;
	out->cpu_ns = v[0];
	out->wait_ns = v[1];
	out->slices = v[2];
	return 0;
}

static bool cur_hex(struct cur *c, unsigned long long *out);

/* Finds "Key:" at the start of a line of status and reads the number after
 * the tab(s).  The number must end at a newline, so a cut line is refused. */
static bool status_number(const char *buf, size_t len, const char *key, unsigned long long *out)
{
	size_t klen = strlen(key);
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if ((size_t)(eol - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == ':') {
			struct cur c = {p + klen + 1, eol};
			bool neg;

			while (c.p < c.end && (*c.p == '\t' || *c.p == ' '))
				c.p++;
			if (nl == NULL)
				return false; /* the last line, cut: the number may be too */
			return cur_number(&c, false, out, &neg) && c.p == eol;
		}
		p = eol + (nl ? 1 : 0);
	}
	return false;
}

int tl_procfs_parse_status(const char *buf, size_t len, struct tl_task_status *out)
{
	unsigned long long tgid;

	if (buf == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!status_number(buf, len, "Tgid", &tgid) || tgid == 0 || tgid > INT_MAX)
		return -EINVAL;
	if (!status_number(buf, len, "voluntary_ctxt_switches", &out->vcsw) ||
	    !status_number(buf, len, "nonvoluntary_ctxt_switches", &out->nvcsw))
		return -EINVAL;
	out->tgid = (pid_t)tgid;
	return 0;
}

/* "0x" followed by hex digits, ending at a space or the newline. */
static bool cur_0x(struct cur *c, unsigned long long *out)
{
	if (c->end - c->p < 3 || c->p[0] != '0' || c->p[1] != 'x')
		return false;
	c->p += 2;
	if (!cur_hex(c, out))
		return false;
	return c->p < c->end && (*c->p == ' ' || *c->p == '\n');
}

int tl_procfs_parse_syscall(const char *buf, size_t len, struct tl_task_syscall *out)
{
	struct cur c;
	unsigned long long nr;
	bool neg;
	int i;

	if (buf == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	c.p = buf;
	c.end = buf + len;
	if (len == 8 && memcmp(buf, "running\n", 8) == 0) {
		out->state = TL_SYSCALL_RUNNING;
		out->nr = -1;
		return 0;
	}
	if (!cur_number(&c, true, &nr, &neg))
		return -EINVAL;
	if (neg) {
		if (nr != 1)
			return -EINVAL;
		out->state = TL_SYSCALL_NONE;
		out->nr = -1;
		if (!cur_skip_spaces(&c) || !cur_0x(&c, &out->sp) || !cur_skip_spaces(&c) ||
		    !cur_0x(&c, &out->pc))
			return -EINVAL;
	} else {
		if (nr > 100000)
			return -EINVAL;
		out->state = TL_SYSCALL_IN;
		out->nr = (long)nr;
		for (i = 0; i < 6; i++)
			if (!cur_skip_spaces(&c) || !cur_0x(&c, &out->args[i]))
				return -EINVAL;
		if (!cur_skip_spaces(&c) || !cur_0x(&c, &out->sp) || !cur_skip_spaces(&c) ||
		    !cur_0x(&c, &out->pc))
			return -EINVAL;
	}
	/* Exactly one newline ends it: anything else is not this file. */
	if (c.end - c.p != 1 || *c.p != '\n')
		return -EINVAL;
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool cur_hex(struct cur *c, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *start = c->p;
	int d;

	while (c->p < c->end && (d = hexval(*c->p)) >= 0) {
		if (v >> 60)
			return false;
		v = (v << 4) | (unsigned)d;
		c->p++;
	}
	if (c->p == start)
		return false;
	*out = v;
	return true;
}

/* Skips one whitespace-free token (offset, dev, inode). */
static bool cur_token(struct cur *c)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p != ' ' && *c->p != '\n')
		c->p++;
	return c->p > start;
}

int tl_procfs_parse_map_line(const char *line, size_t len, struct tl_map_line *m)
{
	struct cur c;
	int i;

	if (line == NULL || m == NULL)
		return -EINVAL;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	c.p = line;
	c.end = line + len;
	memset(m, 0, sizeof(*m));
	if (!cur_hex(&c, &m->lo) || c.p >= c.end || *c.p++ != '-')
		return -EINVAL;
	if (!cur_hex(&c, &m->hi) || m->hi < m->lo)
		return -EINVAL;
	if (!cur_skip_spaces(&c) || c.end - c.p < 4)
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		if (strchr("rwxps-", c.p[i]) == NULL || c.p[i] == '\0')
			return -EINVAL;
		m->perms[i] = c.p[i];
	}
	m->perms[4] = '\0';
	c.p += 4;
	/* offset (hex), dev and inode must all be there: a line cut short is
	 * refused, since its missing tail might have named a file. */
	if (!cur_skip_spaces(&c) || !cur_hex(&c, &m->offset) ||
	    (c.p < c.end && *c.p != ' ' && *c.p != '\n'))
		return -EINVAL;
	for (i = 0; i < 2; i++)
		if (!cur_skip_spaces(&c) || !cur_token(&c))
			return -EINVAL;
	cur_skip_spaces(&c);
	m->path = c.p < c.end ? c.p : NULL;
	m->path_len = (size_t)(c.end - c.p);
	m->anonymous = m->path == NULL;
	return 0;
}

int tl_procfs_count_stacks_in_maps(const char *maps, size_t len, size_t stack_size)
{
	const char *p = maps, *end = maps + len;
	struct tl_map_line prev = {0}, cur;
	bool have_prev = false;
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long tol = page > 0 ? (unsigned long long)page : 4096;
	int count = 0;

	if ((maps == NULL && len > 0) || stack_size == 0)
		return -EINVAL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n == 0) {
			/* A blank line (or a trailing one) carries nothing;
			 * it also breaks adjacency. */
			have_prev = false;
		} else {
			unsigned long long size;

			if (tl_procfs_parse_map_line(p, n, &cur) != 0)
				return -EINVAL;
			size = cur.hi - cur.lo;
			/* glibc's allocate_stack maps guard+stack in one go and
			 * mprotects the low guard to PROT_NONE: so a stack is an
			 * anonymous rw-p of stack_size bytes (give or take a
			 * page) whose lower neighbour is an anonymous ---p that
			 * ends exactly where it starts.  The guard may have merged
			 * with an adjacent PROT_NONE mapping (a malloc arena's
			 * reserve), so its own size is not checked. */
			if (have_prev && cur.anonymous && prev.anonymous &&
			    strcmp(cur.perms, "rw-p") == 0 && strcmp(prev.perms, "---p") == 0 &&
			    prev.hi == cur.lo && size + tol >= stack_size &&
			    size <= stack_size + tol) {
				if (count == INT_MAX)
					return -EINVAL;
				count++;
			}
			prev = cur;
			have_prev = true;
		}
		p += n + (nl ? 1 : 0);
	}
	return count;
}

/* ------------------------------------------------------------------ reading */

static int open_proc(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Reads up to cap-1 bytes from the start of fd with pread; NUL-terminates.
 * Returns the length or -errno (ESRCH when the task died after the open). */
static ssize_t pread_all(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got + 1 < cap) {
		ssize_t r = pread(fd, buf + got, cap - 1 - got, (off_t)got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

static int task_path(char *buf, size_t len, const char *root, pid_t pid, pid_t tid,
                     const char *leaf)
{
	int n =
	    snprintf(buf, len, "%s/%d/task/%d/%s", root ? root : "/proc", (int)pid, (int)tid, leaf);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open_proc(path);
	ssize_t r;

	if (fd < 0)
		return fd;
	r = pread_all(fd, buf, cap);
	close(fd);
	return r;
}

/* Reads ROOT/PID/task/TID/LEAF into buf.  Its length, or a negative errno;
 * an empty read means the task is being torn down: -ESRCH. */
static ssize_t read_task_file(const char *root, pid_t pid, pid_t tid, const char *leaf, char *buf,
                              size_t cap)
{
	char path[PATH_MAX];
	ssize_t r;
	int rc;

	if ((rc = task_path(path, sizeof(path), root, pid, tid, leaf)) < 0)
		return rc;
	r = read_small(path, buf, cap);
	return r == 0 ? -ESRCH : r;
}

int tl_procfs_read_task_stat(const char *root, pid_t pid, pid_t tid, struct tl_task_stat *out)
{
	char buf[STAT_BUF];
	ssize_t r = read_task_file(root, pid, tid, "stat", buf, sizeof(buf));

	return r < 0 ? (int)r : tl_procfs_parse_stat(buf, (size_t)r, out);
}

int tl_procfs_read_schedstat(const char *root, pid_t pid, pid_t tid, struct tl_task_sched *out)
{
	char buf[128];
	ssize_t r = read_task_file(root, pid, tid, "schedstat", buf, sizeof(buf));

	return r < 0 ? (int)r : tl_procfs_parse_schedstat(buf, (size_t)r, out);
}

int tl_procfs_read_status(const char *root, pid_t pid, pid_t tid, struct tl_task_status *out)
{
	char buf[STAT_BUF];
	ssize_t r = read_task_file(root, pid, tid, "status", buf, sizeof(buf));

	return r < 0 ? (int)r : tl_procfs_parse_status(buf, (size_t)r, out);
}

int tl_procfs_read_syscall(const char *root, pid_t pid, pid_t tid, struct tl_task_syscall *out)
{
	char buf[256];
	ssize_t r = read_task_file(root, pid, tid, "syscall", buf, sizeof(buf));

	return r < 0 ? (int)r : tl_procfs_parse_syscall(buf, (size_t)r, out);
}

int tl_procfs_read_proc_stat(const char *root, pid_t pid, struct tl_task_stat *out)
{
	char path[PATH_MAX], buf[STAT_BUF];
	ssize_t r;
	int n = snprintf(path, sizeof(path), "%s/%d/stat", root ? root : "/proc", (int)pid);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return (int)r;
	if (r == 0)
		return -ESRCH;
	return tl_procfs_parse_stat(buf, (size_t)r, out);
}

int tl_procfs_read_wchan(const char *root, pid_t pid, pid_t tid, char *buf, size_t len)
{
	char path[PATH_MAX], tmp[256];
	ssize_t r;
	size_t n;
	int rc;

	if (buf == NULL || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	if ((rc = task_path(path, sizeof(path), root, pid, tid, "wchan")) < 0)
		return rc;
	r = read_small(path, tmp, sizeof(tmp));
	if (r < 0)
		return (int)r;
	n = (size_t)r;
	while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == ' '))
		n--;
	tmp[n] = '\0';
	/* "0" is what the kernel prints for a running task (or when it hides
	 * the symbol): there is no wait channel to name. */
	if (n == 0 || strcmp(tmp, "0") == 0) {
		strcpy(tmp, "-");
		n = 1;
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return 0;
}

int tl_procfs_list_tasks(const char *root, pid_t pid, pid_t *tids, size_t cap)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n, count = 0;

	if (tids == NULL && cap > 0)
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/%d/task", root ? root : "/proc", (int)pid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (d == NULL)
		return -errno;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long tid;

		errno = 0;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue; /* ".", "..", or not a tid */
		tid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || tid <= 0 || tid > INT_MAX || count == INT_MAX)
			continue;
		if ((size_t)count < cap)
			tids[count] = (pid_t)tid;
		count++;
		errno = 0;
	}
	n = errno ? -errno : count;
	closedir(d);
	return n;
}

int tl_procfs_count_tasks(const char *root, pid_t pid)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n, count = 0;

	n = snprintf(path, sizeof(path), "%s/%d/task", root ? root : "/proc", (int)pid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (d == NULL)
		return -errno;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			count++;
		errno = 0;
	}
	n = errno ? -errno : count;
	closedir(d);
	return n;
}

size_t tl_procfs_default_stack_size(void)
{
	pthread_attr_t attr;
	size_t size = 0;

	if (pthread_getattr_default_np(&attr) == 0) {
		if (pthread_attr_getstacksize(&attr, &size) != 0)
			size = 0;
		pthread_attr_destroy(&attr);
	}
	return size ? size : (size_t)8 << 20;
}

int tl_procfs_count_stacks(const char *root, pid_t pid, size_t stack_size)
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t cap = 0, got = 0;
	int fd, n, rc;

	n = snprintf(path, sizeof(path), "%s/%d/maps", root ? root : "/proc", (int)pid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (stack_size == 0)
		stack_size = tl_procfs_default_stack_size();
	fd = open_proc(path);
	if (fd < 0)
		return fd;
	/* maps has no useful size in stat(2): grow until read says EOF.  Plain
	 * read, not pread: the kernel resumes maps by file position. */
	for (;;) {
		ssize_t r;

		if (cap - got < 4096) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (nb == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		r = read(fd, buf + got, cap - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	rc = tl_procfs_count_stacks_in_maps(buf ? buf : "", got, stack_size);
out:
	free(buf);
	close(fd);
	return rc;
}
