/* ts_sample — samples the threads of one process from /proc (ts_sample.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ts_sample.h"

#include "ts_mem.h"

#include "tl_clock.h"
#include "tl_procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The files behind the TS_READ_* bits, in bit order. */
enum { F_STAT, F_SCHED, F_STATUS, F_WCHAN, F_SYSCALL, F_CHILDREN, F_COUNT };
static const char *const leaf_name[F_COUNT] = {"stat",  "schedstat", "status",
                                               "wchan", "syscall",   "children"};

/* A thread as the sampler remembers it between samples. */
struct rec {
	pid_t tid;
	unsigned long long starttime;
	int fd[F_COUNT]; /* -1: not open (yet, or no descriptor to spare) */
	struct ts_thread last;
	bool have_last;
	uint64_t last_t_ns;
	uint64_t stack_lo; /* TS_READ_MEM: the mapping its sp was last seen in */
	bool reused;       /* this sample is its last one (unchanged) */
};

struct ts_sampler {
	pid_t pid;
	size_t n_garbled; /* threads skipped in this sample: their stat did not parse */
	unsigned fields;
	unsigned denied;
	int task_fd;    /* ROOT/PID/task, for listing and openat */
	int stat_fd;    /* ROOT/PID/stat */
	long fds_kept;  /* per-thread descriptors held open */
	long fd_budget; /* how many may be: the limit less a reserve */
	uint64_t t0;
	long hz;
	unsigned long long samples; /* taken so far */
	struct rec *recs;           /* sorted by tid */
	size_t n_recs, cap_recs;
	struct rec *next;
	size_t cap_next;
	pid_t *tids;
	size_t cap_tids;
	struct ts_thread *thr, *gone;
	size_t cap_thr, cap_gone;
	pid_t *kids; /* TS_READ_CHILDREN, this sample */
	size_t n_kids, cap_kids;
	int smaps_fd, pagemap_fd; /* TS_READ_MEM */
	char *smaps_text;
	size_t cap_smaps;
	struct ts_smaps smaps;
	bool live_proc; /* /proc itself, not a recorded tree (same_threads) */
	bool zombie;    /* read_process found it ended: exit_* are final */
	unsigned long long exit_cpu_ms, exit_children_ms;
	unsigned long long exit_starttime;
	char exit_name[64];
	struct ts_sample sample;
	char dents[32768];
};

long ts_clk_tck(void)
{
	long hz = sysconf(_SC_CLK_TCK);

	return hz > 0 ? hz : 100;
}

/* ------------------------------------------------------------------ names */

const char *ts_syscall_name(long nr)
{
	static char *cache[1024];
	static bool tried[1024];

	if (nr < 0 || nr >= 1024)
		return NULL;
	if (!tried[nr]) {
		/* libseccomp's table for the architecture we run on. */
		cache[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);
		tried[nr] = true;
	}
	return cache[nr];
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void ts_name_clean(char *dst, size_t cap, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strlen(src), i = 0, o = 0;

	if (cap == 0)
		return;
	while (i < n && o + 1 < cap) {
		size_t u;

		if (s[i] >= 0x20 && s[i] < 0x7f) {
			dst[o++] = (char)s[i++];
		} else if ((u = utf8_len(s + i, n - i)) > 0) {
			if (o + u >= cap)
				break;
			memcpy(dst + o, s + i, u);
			o += u;
			i += u;
		} else {
			dst[o++] = '?';
			i++;
		}
	}
	dst[o] = '\0';
}

/* ------------------------------------------------------------------ reading */

static bool gone_errno(int e)
{
	return e == ENOENT || e == ESRCH;
}

/* One pread from offset 0; a second only if the buffer filled up.  Returns
 * the length (NUL-terminated) or -errno; an empty read is -ESRCH (the task
 * is being torn down). */
static ssize_t pread_text(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	for (;;) {
		ssize_t r = pread(fd, buf + got, cap - 1 - got, (off_t)got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
		if (r == 0 || got + 1 >= cap || got < cap / 2)
			break;
	}
	buf[got] = '\0';
	return got == 0 ? -ESRCH : (ssize_t)got;
}

static int open_leaf(struct ts_sampler *sm, pid_t tid, int which)
{
	char path[64];

	snprintf(path, sizeof(path), "%d/%s", (int)tid, leaf_name[which]);
	return openat(sm->task_fd, path, O_RDONLY | O_CLOEXEC);
}

/* Reads one file of a thread, keeping its descriptor while the budget
 * lasts; past it (thousands of threads, a low RLIMIT_NOFILE) the file is
 * opened, read and closed each time. */
static ssize_t read_leaf(struct ts_sampler *sm, struct rec *r, int which, char *buf, size_t cap)
{
	ssize_t n;
	int fd = r->fd[which];

	if (fd >= 0)
		return pread_text(fd, buf, cap);
	fd = open_leaf(sm, r->tid, which);
	if (fd < 0)
		return -errno;
	if (sm->fds_kept < sm->fd_budget) {
		r->fd[which] = fd;
		sm->fds_kept++;
		return pread_text(fd, buf, cap);
	}
	n = pread_text(fd, buf, cap);
	close(fd);
	return n;
}

static void rec_close(struct ts_sampler *sm, struct rec *r)
{
	for (int i = 0; i < F_COUNT; i++) {
		if (r->fd[i] >= 0) {
			close(r->fd[i]);
			sm->fds_kept--;
		}
		r->fd[i] = -1;
	}
}

/* Did this thread stay off CPU since its last sample, asleep?  Then what
 * every file of it says is as it was (see ts_sample.h): its stat fields,
 * its context switches (counted when it leaves a CPU), where it waits
 * (wchan, syscall, stack pointer), what it forked. */
static bool unchanged(const struct ts_sampler *sm, const struct rec *r,
                      const struct tl_task_sched *sc)
{
	const struct ts_thread *l = &r->last;

	if (!r->have_last || sm->samples % TS_REFRESH_EVERY == 0)
		return false;
	/* In a recorded tree a file is rewritten in place, where the
	 * kernel would end the thread and fail its descriptors: there, only
	 * stat is trusted to this rule (what fixtures are written for). */
	if (!sm->live_proc &&
	    (sm->fields & ~(unsigned)(TS_READ_STAT | TS_READ_SCHED | TS_READ_CHILDREN)))
		return false;
	if (!(l->have & TS_READ_SCHED) || l->cpu_ns != sc->cpu_ns || l->slices != sc->slices)
		return false;
	if ((sm->fields & ~(unsigned)(TS_READ_CHILDREN | TS_READ_MEM)) & ~l->have & ~sm->denied)
		return false; /* a file it failed to read last time: try again */
	return l->state == 'S' || l->state == 'I' || l->state == 'D' || l->state == 'T' ||
	       l->state == 't';
}

/* stat, which every sample needs.  0, -ESRCH when the thread ended (or no
 * descriptor was to be had), or another negative errno. */
static int read_stat(struct ts_sampler *sm, struct rec *r, struct ts_thread *t, char *buf,
                     size_t cap)
{
	struct tl_task_stat st;
	ssize_t n = read_leaf(sm, r, F_STAT, buf, cap);
	unsigned long long hz = (unsigned long long)sm->hz;

	if (n == -EMFILE || n == -ENFILE)
		return -ESRCH; /* no descriptor even for a moment: skip it */
	if (n < 0)
		return gone_errno((int)-n) ? -ESRCH : (int)n;
	if (tl_procfs_parse_stat(buf, (size_t)n, &st) != 0) {
		sm->n_garbled++; /* torn-down task, half-written line: skipped */
		return -ESRCH;
	}
	t->starttime = st.starttime;
	memcpy(t->name, st.comm, sizeof(t->name));
	t->state = st.state;
	t->utime_ms = st.utime * 1000 / hz;
	t->stime_ms = st.stime * 1000 / hz;
	t->processor = st.processor;
	t->kernel = (st.flags & 0x00200000UL) != 0; /* PF_KTHREAD */
	t->have = TS_READ_STAT;
	return 0;
}

/* The optional files: a failure leaves the field out of this sample (a
 * thread that ends between two reads, a file we may not read). */

static void read_status(struct ts_sampler *sm, struct rec *r, struct ts_thread *t, char *buf,
                        size_t cap)
{
	struct tl_task_status ss;
	ssize_t n = read_leaf(sm, r, F_STATUS, buf, cap);

	if (n > 0 && tl_procfs_parse_status(buf, (size_t)n, &ss) == 0) {
		t->vcsw = ss.vcsw;
		t->nvcsw = ss.nvcsw;
		t->have |= TS_READ_STATUS;
	}
}

static void read_wchan(struct ts_sampler *sm, struct rec *r, struct ts_thread *t, char *buf,
                       size_t cap)
{
	ssize_t n = read_leaf(sm, r, F_WCHAN, buf, cap);
	size_t len;

	if (n == -EACCES || n == -EPERM)
		sm->denied |= TS_READ_WCHAN;
	if (n <= 0)
		return;
	len = (size_t)n;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	buf[len] = '\0';
	if (len == 0 || strcmp(buf, "0") == 0)
		strcpy(t->wchan, "-");
	else
		ts_name_clean(t->wchan, sizeof(t->wchan), buf);
	t->have |= TS_READ_WCHAN;
}

static void read_syscall(struct ts_sampler *sm, struct rec *r, struct ts_thread *t, char *buf,
                         size_t cap)
{
	struct tl_task_syscall sys;
	ssize_t n = read_leaf(sm, r, F_SYSCALL, buf, cap);

	if (n == -EACCES || n == -EPERM) {
		sm->denied |= TS_READ_SYSCALL; /* for every thread: stop trying */
		return;
	}
	if (n <= 0 || tl_procfs_parse_syscall(buf, (size_t)n, &sys) != 0)
		return;
	if (sys.state != TL_SYSCALL_RUNNING)
		t->sp = sys.sp;
	t->syscall = sys.state == TL_SYSCALL_RUNNING ? TS_SYSCALL_RUNNING
	             : sys.state == TL_SYSCALL_NONE  ? TS_SYSCALL_NONE
	                                             : sys.nr;
	/* A kernel thread never made a system call: the kernel shows its
	 * zeroed registers as "0" (read). */
	if (t->kernel && t->syscall >= 0)
		t->syscall = TS_SYSCALL_NONE;
	t->have |= TS_READ_SYSCALL;
}

/* Adds the pids in a children file ("12 34 ") to sm->kids. */
static void read_children(struct ts_sampler *sm, struct rec *r, char *buf, size_t cap)
{
	ssize_t n = read_leaf(sm, r, F_CHILDREN, buf, cap);
	char *p = buf, *end;

	if (n <= 0)
		return;
	for (;;) {
		long pid = strtol(p, &end, 10);

		if (end == p || pid <= 0 || pid > INT_MAX)
			return;
		if (ts_grow((void **)&sm->kids, &sm->cap_kids, sm->n_kids + 1, sizeof(*sm->kids)))
			return;
		sm->kids[sm->n_kids++] = (pid_t)pid;
		p = end;
	}
}

/* Reads a thread's files into t.  0, -ESRCH when it ended, or another
 * negative errno when its stat cannot be read: either way, skip it. */
static int read_thread(struct ts_sampler *sm, struct rec *r, struct ts_thread *t)
{
	char buf[4096];
	struct tl_task_sched sc;
	bool have_sc = false;
	int rc;

	memset(t, 0, sizeof(*t));
	t->tid = r->tid;
	t->syscall = TS_SYSCALL_UNKNOWN;
	t->cpu_pct = -1;
	if (sm->fields & TS_READ_SCHED) {
		ssize_t n = read_leaf(sm, r, F_SCHED, buf, sizeof(buf));

		if (n < 0 && gone_errno((int)-n))
			return -ESRCH;
		have_sc = n > 0 && tl_procfs_parse_schedstat(buf, (size_t)n, &sc) == 0;
		r->reused = have_sc && unchanged(sm, r, &sc);
		if (r->reused) {
			*t = r->last;
			t->cpu_pct = -1;
			t->is_new = false;
			return 0;
		}
	}
	rc = read_stat(sm, r, t, buf, sizeof(buf));
	if (rc != 0)
		return rc;
	if (have_sc) {
		t->cpu_ns = sc.cpu_ns;
		t->wait_ns = sc.wait_ns;
		t->slices = sc.slices;
		t->have |= TS_READ_SCHED;
	}
	if (sm->fields & TS_READ_STATUS)
		read_status(sm, r, t, buf, sizeof(buf));
	if (sm->fields & TS_READ_WCHAN)
		read_wchan(sm, r, t, buf, sizeof(buf));
	if ((sm->fields & TS_READ_SYSCALL) && !(sm->denied & TS_READ_SYSCALL))
		read_syscall(sm, r, t, buf, sizeof(buf));
	if (sm->fields & TS_READ_CHILDREN)
		read_children(sm, r, buf, sizeof(buf));
	return 0;
}

/* ------------------------------------------------------------------ listing */

static int cmp_tid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Lists the tids in task/ into sm->tids, sorted.  Count or -errno. */
static long list_tids(struct ts_sampler *sm)
{
	size_t n = 0;

	if (lseek(sm->task_fd, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		long got = syscall(SYS_getdents64, sm->task_fd, sm->dents, sizeof(sm->dents));
		long off = 0;

		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		while (off < got) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(sm->dents + off);
			char *end;
			long tid;

			off += d->d_reclen;
			if (d->d_name[0] < '1' || d->d_name[0] > '9')
				continue;
			tid = strtol(d->d_name, &end, 10);
			if (*end != '\0' || tid <= 0 || tid > INT_MAX)
				continue;
			if (ts_grow((void **)&sm->tids, &sm->cap_tids, n + 1, sizeof(*sm->tids)))
				return -ENOMEM;
			sm->tids[n++] = (pid_t)tid;
		}
	}
	qsort(sm->tids, n, sizeof(*sm->tids), cmp_tid);
	return (long)n;
}

int ts_grow(void **p, size_t *cap, size_t need, size_t size)
{
	void *q;
	size_t c = *cap ? *cap : 64;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * size);
	if (q == NULL)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* ------------------------------------------------------------------ the sampler */

/* More descriptors let more threads keep theirs: raise the soft limit to
 * the hard one (a per-process limit, ours alone). */
static long raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur > (rlim_t)LONG_MAX ? LONG_MAX : (long)rl.rlim_cur;
}

int ts_sampler_open(struct ts_sampler **out, const char *root, pid_t pid, unsigned fields)
{
	struct ts_sampler *sm;
	char path[PATH_MAX];
	int e;

	*out = NULL;
	if (pid <= 0)
		return -EINVAL;
	sm = calloc(1, sizeof(*sm));
	if (sm == NULL)
		return -ENOMEM;
	sm->pid = pid;
	sm->live_proc = root == NULL;
	sm->fields = fields | TS_READ_STAT;
	sm->hz = ts_clk_tck();
	sm->task_fd = sm->stat_fd = sm->smaps_fd = sm->pagemap_fd = -1;
	/* Keep 64 descriptors for everything else (output, gnuplot, the
	 * transient reads past the budget). */
	sm->fd_budget = raise_nofile() - 64;
	snprintf(path, sizeof(path), "%s/%d/task", root ? root : "/proc", (int)pid);
	sm->task_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sm->task_fd < 0)
		goto fail;
	snprintf(path, sizeof(path), "%s/%d/stat", root ? root : "/proc", (int)pid);
	sm->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (sm->stat_fd < 0)
		goto fail;
	if (sm->fields & TS_READ_MEM) {
		/* Each needs ptrace read rights: without them the memory
		 * columns stay empty (ts_sampler_denied). */
		snprintf(path, sizeof(path), "%s/%d/smaps", root ? root : "/proc", (int)pid);
		sm->smaps_fd = open(path, O_RDONLY | O_CLOEXEC);
		snprintf(path, sizeof(path), "%s/%d/pagemap", root ? root : "/proc", (int)pid);
		sm->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (sm->smaps_fd < 0)
			sm->denied |= TS_READ_MEM;
	}
	sm->t0 = tl_mono_ns();
	*out = sm;
	return 0;
fail:
	e = errno;
	ts_sampler_close(sm);
	return -e;
}

bool ts_sampler_exit_times(const struct ts_sampler *sm, unsigned long long *cpu_ms,
                           unsigned long long *children_ms, unsigned long long *starttime,
                           char name[64])
{
	if (!sm->zombie)
		return false;
	*starttime = sm->exit_starttime;
	memcpy(name, sm->exit_name, 64);
	*cpu_ms = sm->exit_cpu_ms;
	*children_ms = sm->exit_children_ms;
	return true;
}

unsigned ts_sampler_denied(const struct ts_sampler *sm)
{
	return sm->denied;
}

/* The process's own stat.  0, or -ESRCH when it has ended (a zombie
 * included: only its parent's wait is left), or another negative errno. */
static int read_process(struct ts_sampler *sm, struct tl_task_stat *ps)
{
	char buf[4096];
	ssize_t r = pread_text(sm->stat_fd, buf, sizeof(buf));

	if (r < 0)
		return gone_errno((int)-r) ? -ESRCH : (int)r;
	/* The kernel writes a process's stat whole, even while it exits: a
	 * line that does not parse is a damaged tree, not an ended process. */
	if (tl_procfs_parse_stat(buf, (size_t)r, ps) != 0)
		return -EBADMSG;
	if (ps->state == 'Z' || ps->state == 'X') {
		/* A zombie's times are final: the last chance to see them
		 * unless we are the one to wait for it. */
		sm->zombie = true;
		memcpy(sm->exit_name, ps->comm, sizeof(sm->exit_name));
		sm->exit_starttime = ps->starttime;
		sm->exit_cpu_ms = (ps->utime + ps->stime) * 1000 / (unsigned long long)sm->hz;
		sm->exit_children_ms = ps->children_time * 1000 / (unsigned long long)sm->hz;
		return -ESRCH;
	}
	return 0;
}

/* A thread of the previous sample that is not in this one: ended, or its
 * tid taken by a newer thread. */
static void retire(struct ts_sampler *sm, const struct ts_thread *last, size_t *n_gone)
{
	sm->gone[(*n_gone)++] = *last;
}

/* CPU% since the thread's previous sample, from schedstat's nanoseconds
 * when both samples have them, else from stat's ticks. */
static double cpu_pct(const struct rec *old, const struct ts_thread *t, uint64_t now)
{
	double dt = (double)(now - old->last_t_ns);
	double used;

	if ((t->have & TS_READ_SCHED) && (old->last.have & TS_READ_SCHED))
		used = (double)(t->cpu_ns - old->last.cpu_ns);
	else
		used = (double)((t->utime_ms + t->stime_ms) -
		                (old->last.utime_ms + old->last.stime_ms)) *
		       1e6;
	return used < 0 ? 0 : 100.0 * used / dt;
}

/* Samples thread tid (old: its record from the previous sample, or NULL)
 * into thr[n], with its record in next[n].  True when it was sampled;
 * false when it is left out of this sample. */
static bool take_thread(struct ts_sampler *sm, pid_t tid, const struct rec *old, uint64_t now,
                        size_t n, size_t *n_gone)
{
	struct rec *r = &sm->next[n];
	struct ts_thread *t = &sm->thr[n];
	int rc;

	if (old != NULL) {
		*r = *old;
	} else {
		memset(r, 0, sizeof(*r));
		r->tid = tid;
		for (int k = 0; k < F_COUNT; k++)
			r->fd[k] = -1;
	}
	rc = read_thread(sm, r, t);
	if (rc == -ESRCH && old != NULL) {
		/* The descriptors may belong to a thread that ended while a
		 * new one took its tid: try once afresh, as a new thread. */
		rec_close(sm, r);
		r->have_last = false;
		rc = read_thread(sm, r, t);
	}
	if (rc != 0) {
		/* Ended mid-read (ESRCH), or its stat may not be read
		 * (hidepid, a thread of another credential): left out of this
		 * sample, never the end of the sampling. */
		if (old != NULL)
			retire(sm, &old->last, n_gone);
		rec_close(sm, r);
		return false;
	}
	if (old != NULL && old->starttime != t->starttime) {
		retire(sm, &old->last, n_gone); /* a new thread, same tid */
		old = NULL;
	}
	t->is_new = old == NULL;
	if (old != NULL && now > old->last_t_ns)
		t->cpu_pct = cpu_pct(old, t, now);
	r->starttime = t->starttime;
	r->last = *t;
	r->have_last = true;
	r->last_t_ns = now;
	return true;
}

/* Merges the sorted listing (n_tids in tids[]) with the sorted records of
 * the previous sample into thr[] and next[].  Returns how many threads
 * were sampled; *n_gone counts the ones that went. */
static size_t take_threads(struct ts_sampler *sm, size_t n_tids, uint64_t now, size_t *n_gone)
{
	size_t i = 0, n = 0;

	for (size_t j = 0; j < n_tids; j++) {
		pid_t tid = sm->tids[j];
		const struct rec *old = NULL;

		for (; i < sm->n_recs && sm->recs[i].tid < tid; i++) {
			retire(sm, &sm->recs[i].last, n_gone);
			rec_close(sm, &sm->recs[i]);
		}
		if (i < sm->n_recs && sm->recs[i].tid == tid)
			old = &sm->recs[i++];
		if (take_thread(sm, tid, old, now, n, n_gone))
			n++;
	}
	for (; i < sm->n_recs; i++) {
		retire(sm, &sm->recs[i].last, n_gone);
		rec_close(sm, &sm->recs[i]);
	}
	return n;
}

/* The records of this sample become the previous ones. */
static void swap_records(struct ts_sampler *sm, size_t n)
{
	struct rec *tmp = sm->recs;
	size_t cap = sm->cap_recs;

	sm->recs = sm->next;
	sm->cap_recs = sm->cap_next;
	sm->next = tmp;
	sm->cap_next = cap;
	sm->n_recs = n;
}

/* The whole of smaps, from offset 0 on the kept descriptor.  0 or -errno. */
static int read_smaps(struct ts_sampler *sm, size_t *len)
{
	size_t got = 0;

	for (;;) {
		ssize_t r;

		if (sm->cap_smaps - got < 4096 &&
		    ts_grow((void **)&sm->smaps_text, &sm->cap_smaps, got + 65536, 1))
			return -ENOMEM;
		r = pread(sm->smaps_fd, sm->smaps_text + got, sm->cap_smaps - got - 1, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	sm->smaps_text[got] = '\0';
	*len = got;
	return 0;
}

/* A thread's stack: the mapping its stack pointer is in now, or was in
 * when last seen off CPU ("running" shows no stack pointer). */
static void thread_stack(struct ts_sampler *sm, struct rec *r, struct ts_thread *t)
{
	const struct ts_mapping *m = NULL;
	uint64_t lowest;

	if (t->sp != 0)
		m = ts_smaps_find(&sm->smaps, t->sp);
	if (m == NULL && r->stack_lo != 0)
		m = ts_smaps_find(&sm->smaps, r->stack_lo);
	if (m == NULL)
		return;
	r->stack_lo = m->lo;
	t->stack_kb = (m->hi - m->lo) / 1024;
	t->stack_rss_kb = m->rss_kb;
	if (sm->pagemap_fd >= 0 && ts_lowest_held_page(sm->pagemap_fd, m->lo, m->hi,
	                                               (m->rss_kb + m->swap_kb) / 4, &lowest) == 0)
		t->stack_hwm_kb = (m->hi - lowest) / 1024;
	else
		t->stack_hwm_kb = m->rss_kb + m->swap_kb; /* a stack is touched from the top */
	t->have |= TS_READ_MEM;
}

/* TS_READ_MEM for the sample just taken (thr[i] and recs[i] go together). */
static void read_mem(struct ts_sampler *sm, struct ts_sample *out)
{
	size_t len = 0;

	if (sm->smaps_fd < 0 || read_smaps(sm, &len) != 0 ||
	    ts_smaps_parse(sm->smaps_text, len, &sm->smaps) != 0)
		return;
	out->heap_kb = sm->smaps.heap_kb;
	out->anon_kb = sm->smaps.anon_kb;
	out->have_mem = true;
	for (size_t i = 0; i < sm->n_recs; i++) {
		struct rec *r = &sm->recs[i];

		/* A thread that did not run has not touched its stack. */
		if (r->reused && (r->last.have & TS_READ_MEM))
			continue;
		thread_stack(sm, r, &sm->thr[i]);
		r->last = sm->thr[i];
	}
}

/* Can the listing of task/ be skipped?  Listing 1000 threads costs about
 * as much as reading all their schedstat files.  If the kernel counts as
 * many threads as we hold records of, and each record's descriptors still
 * read (a descriptor of an ended thread gives ESRCH, even when its tid is
 * reused), no thread has come: one that ends makes its read fail and is
 * left out, and the count differs at the next sample, which lists again.
 * The price: a thread that starts while another ends, both between two
 * samples, is seen one sample later.  Not under --proc-root, where a removed
 * file stays readable through a kept descriptor; and every
 * TS_REFRESH_EVERY-th sample lists anyway. */
static bool same_threads(const struct ts_sampler *sm, const struct tl_task_stat *ps)
{
	return sm->live_proc && sm->n_recs > 0 && ps->num_threads == (long)sm->n_recs &&
	       sm->samples % TS_REFRESH_EVERY != 0;
}

/* The tids of the previous sample, as list_tids would give them.  Count or
 * -ENOMEM. */
static long reuse_tids(struct ts_sampler *sm)
{
	if (ts_grow((void **)&sm->tids, &sm->cap_tids, sm->n_recs, sizeof(*sm->tids)))
		return -ENOMEM;
	for (size_t i = 0; i < sm->n_recs; i++)
		sm->tids[i] = sm->recs[i].tid;
	return (long)sm->n_recs;
}

int ts_sampler_take(struct ts_sampler *sm, const struct ts_sample **s)
{
	struct tl_task_stat ps;
	struct ts_sample *out = &sm->sample;
	size_t n_thr, n_gone = 0;
	uint64_t now;
	long n;
	int rc;

	*s = NULL;
	rc = read_process(sm, &ps);
	if (rc != 0)
		return rc;
	n = same_threads(sm, &ps) ? reuse_tids(sm) : list_tids(sm);
	if (n < 0)
		return gone_errno((int)-n) ? -ESRCH : (int)n;
	now = tl_mono_ns() - sm->t0;
	if (ts_grow((void **)&sm->next, &sm->cap_next, (size_t)n, sizeof(*sm->next)) ||
	    ts_grow((void **)&sm->thr, &sm->cap_thr, (size_t)n, sizeof(*sm->thr)) ||
	    ts_grow((void **)&sm->gone, &sm->cap_gone, sm->n_recs, sizeof(*sm->gone)))
		return -ENOMEM;
	sm->n_kids = 0;
	sm->n_garbled = 0;
	n_thr = take_threads(sm, (size_t)n, now, &n_gone);
	/* Threads listed, none read, and some because their stat made no
	 * sense: that is a damaged tree, not a sample of no threads. */
	if (n_thr == 0 && sm->n_garbled > 0)
		return -EILSEQ;
	swap_records(sm, n_thr);
	sm->samples++;

	memset(out, 0, sizeof(*out));
	out->t_ns = now;
	out->pid = sm->pid;
	memcpy(out->name, ps.comm, sizeof(out->name));
	out->threads = ps.num_threads;
	out->ppid = ps.ppid;
	out->cpu_ms = (ps.utime + ps.stime) * 1000 / (unsigned long long)sm->hz;
	out->children_ms = ps.children_time * 1000 / (unsigned long long)sm->hz;
	out->children = sm->kids;
	out->n_children = sm->n_kids;
	out->starttime = ps.starttime;
	out->rss_kb = ps.rss * ((unsigned long long)sysconf(_SC_PAGESIZE) / 1024);
	out->vsize_kb = ps.vsize / 1024;
	out->thr = sm->thr;
	out->n = n_thr;
	out->gone = sm->gone;
	out->n_gone = n_gone;
	if (sm->fields & TS_READ_MEM)
		read_mem(sm, out);
	*s = out;
	return 0;
}

int ts_unreadable(pid_t pid, int rc)
{
	if (rc == -ENOENT || rc == -ESRCH || pid <= 0)
		fprintf(stderr, "threadstat: no process %d\n", (int)pid);
	else if (rc == -EACCES || rc == -EPERM)
		fprintf(stderr, "threadstat: may not read process %d: %s\n", (int)pid,
		        strerror(-rc));
	else if (rc == -EILSEQ)
		fprintf(stderr,
		        "threadstat: cannot read process %d: no thread's stat is in the kernel's "
		        "format (a damaged --proc-root tree?)\n",
		        (int)pid);
	else if (rc == -EBADMSG || rc == -EINVAL)
		fprintf(stderr,
		        "threadstat: cannot read process %d: its stat is not in the kernel's "
		        "format (a damaged --proc-root tree?)\n",
		        (int)pid);
	else
		fprintf(stderr, "threadstat: cannot read process %d: %s\n", (int)pid,
		        strerror(-rc));
	return 1;
}

void ts_sampler_close(struct ts_sampler *sm)
{
	if (sm == NULL)
		return;
	for (size_t i = 0; i < sm->n_recs; i++)
		rec_close(sm, &sm->recs[i]);
	if (sm->task_fd >= 0)
		close(sm->task_fd);
	if (sm->stat_fd >= 0)
		close(sm->stat_fd);
	if (sm->smaps_fd >= 0)
		close(sm->smaps_fd);
	if (sm->pagemap_fd >= 0)
		close(sm->pagemap_fd);
	free(sm->smaps_text);
	ts_smaps_free(&sm->smaps);
	free(sm->recs);
	free(sm->next);
	free(sm->tids);
	free(sm->thr);
	free(sm->gone);
	free(sm->kids);
	free(sm);
}
