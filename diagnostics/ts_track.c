/* ts_track — the history of a run of samples (ts_track.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ts_track.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int key_cmp(const struct ts_track_thread *a, pid_t tid, unsigned long long start)
{
	if (a->tid != tid)
		return a->tid < tid ? -1 : 1;
	if (a->starttime != start)
		return a->starttime < start ? -1 : 1;
	return 0;
}

/* Index into th[] of (tid, start), created when new; -1 on ENOMEM. */
static long find_or_add(struct ts_track *tr, const struct ts_thread *t, uint64_t now)
{
	size_t lo = 0, hi = tr->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = key_cmp(&tr->th[tr->order[mid]], t->tid, t->starttime);

		if (c == 0)
			return (long)tr->order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ts_grow((void **)&tr->th, &tr->cap, tr->n + 1, sizeof(*tr->th)))
		return -1;
	if (ts_grow((void **)&tr->order, &tr->cap_order, tr->n + 1, sizeof(*tr->order)))
		return -1;
	memmove(&tr->order[lo + 1], &tr->order[lo], (tr->n - lo) * sizeof(*tr->order));
	tr->order[lo] = tr->n;
	memset(&tr->th[tr->n], 0, sizeof(tr->th[0]));
	tr->th[tr->n].tid = t->tid;
	tr->th[tr->n].starttime = t->starttime;
	tr->th[tr->n].first_ns = now;
	return (long)tr->n++;
}

int ts_track_add(struct ts_track *tr, const struct ts_sample *s)
{
	size_t k = tr->ns;

	if (ts_grow((void **)&tr->s, &tr->cap_s, k + 1, sizeof(*tr->s)))
		return -ENOMEM;
	tr->s[k].t_s = (double)s->t_ns / 1e9;
	tr->s[k].threads = (long)s->n;
	tr->s[k].rss_mib = (double)s->rss_kb / 1024.0;
	tr->ns++;
	if ((long)s->n > tr->max_threads)
		tr->max_threads = (long)s->n;
	if (s->rss_kb > tr->max_rss_kb)
		tr->max_rss_kb = s->rss_kb;
	memcpy(tr->name, s->name, sizeof(tr->name));
	tr->pid = s->pid;

	if (ts_grow((void **)&tr->pts, &tr->cap_p, tr->np + s->n, sizeof(*tr->pts)))
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		const struct ts_thread *t = &s->thr[i];
		long idx = find_or_add(tr, t, s->t_ns);
		struct ts_track_thread *tt;

		if (idx < 0)
			return -ENOMEM;
		tt = &tr->th[idx];
		memcpy(tt->name, t->name, sizeof(tt->name));
		tt->last_ns = s->t_ns;
		tt->cpu_ms = t->utime_ms + t->stime_ms;
		if (t->cpu_pct >= 0) {
			tr->pts[tr->np].sample = (uint32_t)k;
			tr->pts[tr->np].thread = (uint32_t)idx;
			tr->pts[tr->np].cpu_pct = (float)t->cpu_pct;
			tr->np++;
		}
	}
	for (size_t i = 0; i < s->n_gone; i++) {
		const struct ts_thread *g = &s->gone[i];
		size_t lo = 0, hi = tr->n;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int c = key_cmp(&tr->th[tr->order[mid]], g->tid, g->starttime);

			if (c == 0) {
				tr->th[tr->order[mid]].ended = true;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return 0;
}

void ts_track_free(struct ts_track *tr)
{
	free(tr->th);
	free(tr->order);
	free(tr->s);
	free(tr->pts);
	memset(tr, 0, sizeof(*tr));
}

static int cmp_cpu_desc(const void *a, const void *b, void *arg)
{
	const struct ts_track *tr = arg;
	unsigned long long x = tr->th[*(const size_t *)a].cpu_ms;
	unsigned long long y = tr->th[*(const size_t *)b].cpu_ms;

	return (x < y) - (x > y);
}

size_t *ts_track_by_cpu(const struct ts_track *tr)
{
	size_t *idx = malloc((tr->n ? tr->n : 1) * sizeof(*idx));

	if (idx == NULL)
		return NULL;
	for (size_t i = 0; i < tr->n; i++)
		idx[i] = i;
	qsort_r(idx, tr->n, sizeof(*idx), cmp_cpu_desc, (void *)tr);
	return idx;
}
