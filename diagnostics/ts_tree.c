/* ts_tree — following a process and every process it forks (ts_tree.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "ts_tree.h"

#include "tl_clock.h"
#include "tl_procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t ts_tree_now(const struct ts_tree *t)
{
	return tl_mono_ns() - t->t0;
}

static struct ts_proc *add_entry(struct ts_tree *t, pid_t pid)
{
	struct ts_proc *p;

	if (ts_grow((void **)&t->p, &t->cap, t->n + 1, sizeof(*t->p)))
		return NULL;
	p = &t->p[t->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->first_ns = p->last_ns = ts_tree_now(t);
	return p;
}

/* Starts sampling pid.  0, or a negative errno (the process is gone
 * already, or may not be read). */
static int follow(struct ts_tree *t, pid_t pid)
{
	struct ts_sampler *sm;
	struct ts_proc *p;
	int rc = ts_sampler_open(&sm, t->proc_root, pid, t->fields);

	if (rc != 0)
		return rc;
	p = add_entry(t, pid);
	if (p == NULL) {
		ts_sampler_close(sm);
		return -ENOMEM;
	}
	p->sm = sm;
	return 0;
}

int ts_tree_open(struct ts_tree *t, const char *proc_root, pid_t pid, unsigned fields)
{
	memset(t, 0, sizeof(*t));
	t->proc_root = proc_root;
	t->fields = fields | TS_READ_CHILDREN;
	t->t0 = tl_mono_ns();
	return follow(t, pid);
}

/* The process ended (its sampler said so): keep its final times if it was
 * found a zombie. */
static void ended(struct ts_tree *t, struct ts_proc *p)
{
	unsigned long long cpu, kids, start;
	char name[64];

	if (ts_sampler_exit_times(p->sm, &cpu, &kids, &start, name)) {
		p->cpu_ms = cpu;
		p->children_ms = kids;
		p->how = TS_CPU_ZOMBIE;
		memcpy(p->name, name, sizeof(p->name)); /* after its last exec */
		if (p->track.ns == 0) {
			/* Never sampled alive: found at exit. */
			p->only_at_exit = true;
			p->starttime = start;
		}
	} else {
		p->how = TS_CPU_LAST_SEEN;
	}
	ts_sampler_close(p->sm);
	p->sm = NULL;
	(void)t;
}

/* The newest entry of pid, or NULL. */
static struct ts_proc *find_newest(struct ts_tree *t, pid_t pid)
{
	for (size_t i = t->n; i-- > 0;)
		if (t->p[i].pid == pid)
			return &t->p[i];
	return NULL;
}

/* Is pid, listed as a child, a process already followed to its end?  A
 * zombie stays in its parent's children file until the parent waits for it
 * (later, on a busy machine): it must not come back as a new process each
 * sample.  One stat read, for a pid seen before only. */
static bool seen_to_end(struct ts_tree *t, pid_t pid)
{
	struct ts_proc *old = find_newest(t, pid);
	struct tl_task_stat st;

	if (old == NULL)
		return false;
	if (old->sm != NULL)
		return true; /* followed now */
	if (tl_procfs_read_proc_stat(t->proc_root, pid, &st) != 0)
		return true; /* gone since */
	return st.starttime == old->starttime;
}

/* Follows the pids listed (children of a sampled thread, or ours). */
static int follow_all(struct ts_tree *t, const pid_t *pids, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		int rc;

		if (seen_to_end(t, pids[k]))
			continue;
		rc = follow(t, pids[k]);
		if (rc == -ENOMEM)
			return rc; /* else it ended already, or is not ours to read */
	}
	return 0;
}

/* threadstat's own children: orphans of the tree come to it as subreaper,
 * and one whose parent ended between samples is listed nowhere else. */
static int follow_self_children(struct ts_tree *t)
{
	char path[64], buf[4096];
	pid_t pids[512];
	size_t n = 0;
	ssize_t len;
	char *p = buf, *end;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)gettid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	while (n < sizeof(pids) / sizeof(pids[0])) {
		long pid = strtol(p, &end, 10);

		if (end == p || pid <= 0)
			break;
		pids[n++] = (pid_t)pid;
		p = end;
	}
	return follow_all(t, pids, n);
}

int ts_tree_tick(struct ts_tree *t, struct ts_out *out)
{
	long threads = 0;
	unsigned long long rss = 0;
	int rc;

	if (t->self_children && (rc = follow_self_children(t)) != 0)
		return rc;
	/* t->n grows as children are found: they are sampled in this tick. */
	for (size_t i = 0; i < t->n; i++) {
		struct ts_proc *p = &t->p[i];
		const struct ts_sample *s;

		if (p->sm == NULL)
			continue;
		rc = ts_sampler_take(p->sm, &s);
		if (rc != 0) {
			/* Ended (-ESRCH), or no longer readable: either way it
			 * is followed no further. */
			ended(t, p);
			continue;
		}
		p->last_ns = ts_tree_now(t);
		p->ppid = s->ppid;
		p->starttime = s->starttime;
		memcpy(p->name, s->name, sizeof(p->name));
		p->cpu_ms = s->cpu_ms;
		p->children_ms = s->children_ms;
		p->how = TS_CPU_RUNNING;
		if (s->rss_kb > p->peak_rss_kb)
			p->peak_rss_kb = s->rss_kb;
		threads += (long)s->n;
		rss += s->rss_kb;
		if (ts_track_add(&p->track, s) != 0)
			return -ENOMEM;
		if (out != NULL)
			ts_out_sample(out, s);
		/* p may move when the array grows: nothing of it is used after. */
		if ((rc = follow_all(t, s->children, s->n_children)) != 0)
			return rc;
	}
	if (threads > t->max_threads)
		t->max_threads = threads;
	if (rss > t->max_rss_kb)
		t->max_rss_kb = rss;
	t->ticks++;
	return 0;
}

int ts_tree_reaped(struct ts_tree *t, pid_t pid, unsigned long long starttime, const char *name,
                   unsigned long long cpu_ms, unsigned long long children_ms)
{
	struct ts_proc *p = NULL;

	/* The newest entry of that pid, if it is this process. */
	for (size_t i = t->n; i-- > 0;)
		if (t->p[i].pid == pid) {
			if (starttime == 0 || t->p[i].starttime == starttime ||
			    t->p[i].track.ns == 0)
				p = &t->p[i];
			break;
		}
	if (p == NULL) {
		p = add_entry(t, pid);
		if (p == NULL)
			return -ENOMEM;
		p->only_at_exit = true;
		p->starttime = starttime;
		snprintf(p->name, sizeof(p->name), "%s", name ? name : "?");
	}
	if (p->sm != NULL) {
		ts_sampler_close(p->sm);
		p->sm = NULL;
	}
	if (p->track.ns == 0)
		p->only_at_exit = true;
	if (name != NULL) /* its last name: the command it exec'd last */
		snprintf(p->name, sizeof(p->name), "%s", name);
	p->last_ns = ts_tree_now(t);
	p->cpu_ms = cpu_ms;
	p->children_ms = children_ms;
	p->how = TS_CPU_REAPED;
	return 0;
}

void ts_tree_finish(struct ts_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct ts_sample *s;

		if (t->p[i].sm != NULL && ts_sampler_take(t->p[i].sm, &s) != 0)
			ended(t, &t->p[i]);
	}
}

size_t ts_tree_live(const struct ts_tree *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->p[i].sm != NULL;
	return n;
}

void ts_tree_free(struct ts_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		ts_sampler_close(t->p[i].sm);
		ts_track_free(&t->p[i].track);
	}
	free(t->p);
	memset(t, 0, sizeof(*t));
}
