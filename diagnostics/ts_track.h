/* ts_track — what a run of samples adds up to: every thread seen (keyed by
 * tid and start time), the peaks, and the series a chart is drawn from. */
#ifndef TS_TRACK_H
#define TS_TRACK_H

#include "ts_sample.h"

struct ts_track_thread {
	pid_t tid;
	unsigned long long starttime;
	char name[64];
	uint64_t first_ns, last_ns; /* first and last sample it was in */
	unsigned long long cpu_ms;  /* user + system, as last seen */
	bool ended;                 /* seen to end while sampled */
};

/* One sample's totals. */
struct ts_track_sample {
	double t_s; /* since the first sample was taken */
	long threads;
	double rss_mib;
};

struct ts_point {
	uint32_t sample;
	uint32_t thread; /* index into th[] */
	float cpu_pct;
};

struct ts_track {
	struct ts_track_thread *th; /* in order of first sight */
	size_t n, cap;
	size_t *order; /* indexes into th[], sorted by (tid, start) */
	size_t cap_order;
	struct ts_track_sample *s; /* per sample: time, threads, RSS */
	size_t ns, cap_s;
	struct ts_point *pts; /* per sample and thread: CPU% */
	size_t np, cap_p;
	long max_threads;
	unsigned long long max_rss_kb;
	char name[64];
	pid_t pid;
};

/* Adds a sample.  0 or -ENOMEM. */
int ts_track_add(struct ts_track *tr, const struct ts_sample *s);
void ts_track_free(struct ts_track *tr);

/* The indexes of th[], busiest first (CPU time as last seen): a new array
 * of tr->n entries for the caller to free, or NULL when out of memory. */
size_t *ts_track_by_cpu(const struct ts_track *tr);

#endif
