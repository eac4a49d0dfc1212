/* ts_tree — following a process and every process it forks.
 *
 * Each process gets its own sampler.  New processes are found each sample
 * in task/TID/children of the threads that ran since the last sample (a
 * thread that did not run forked nothing); a process, once found, is
 * followed until it ends, whoever its parent becomes.  Processes are keyed
 * by (pid, start time).
 *
 * A process's CPU is its own (all its threads, ended ones too): exact when
 * threadstat waited for it (wait4's rusage less what its children used, the
 * subreaper case), or when a sample found it a zombie; otherwise as last
 * sampled, which misses what it used after that sample.  A process that
 * starts and ends between two samples and is waited for by its own parent
 * is missed altogether: its CPU shows only in the tree's total (rusage).
 */
#ifndef TS_TREE_H
#define TS_TREE_H

#include "ts_output.h"
#include "ts_sample.h"
#include "ts_track.h"

/* How a process's CPU figure was obtained. */
enum ts_proc_cpu {
	TS_CPU_RUNNING,   /* still running when the sampling stopped */
	TS_CPU_LAST_SEEN, /* ended; as of its last sample */
	TS_CPU_ZOMBIE,    /* final: a sample found it ended, not yet waited for */
	TS_CPU_REAPED,    /* final: threadstat waited for it (wait4) */
};

struct ts_proc {
	pid_t pid, ppid;
	unsigned long long starttime;
	char name[64];
	struct ts_sampler *sm;          /* NULL once it ended */
	struct ts_track track;          /* its threads; times since first_ns */
	uint64_t first_ns, last_ns;     /* on the tree's clock */
	unsigned long long cpu_ms;      /* its own, see enum ts_proc_cpu */
	unsigned long long children_ms; /* of the children it waited for */
	unsigned long long peak_rss_kb;
	enum ts_proc_cpu how;
	bool only_at_exit; /* never sampled: known from wait4 alone */
};

struct ts_tree {
	const char *proc_root;
	unsigned fields;    /* TS_READ_*; TS_READ_CHILDREN is added */
	bool self_children; /* also follow threadstat's own children (subreaper) */
	uint64_t t0;
	struct ts_proc *p; /* in order of discovery */
	size_t n, cap;
	size_t ticks;
	long max_threads; /* threads of the tree at one sample, at most */
	unsigned long long max_rss_kb;
};

/* Starts the tree at pid.  0 or a negative errno (ts_unreadable's). */
int ts_tree_open(struct ts_tree *t, const char *proc_root, pid_t pid, unsigned fields);

/* Samples every live process and follows the new ones; each sample is
 * written to out when out is not NULL.  0, or -ENOMEM. */
int ts_tree_tick(struct ts_tree *t, struct ts_out *out);

/* Records a process threadstat has waited for: pid, its start time and
 * name as its zombie showed them (start 0 and name NULL when unreadable),
 * and its own CPU. */
int ts_tree_reaped(struct ts_tree *t, pid_t pid, unsigned long long starttime, const char *name,
                   unsigned long long cpu_ms, unsigned long long children_ms);

/* After the sampling: a process followed until now that has ended since its
 * last sample gets its final state (TS_CPU_LAST_SEEN, or what its zombie
 * shows); the others stay TS_CPU_RUNNING. */
void ts_tree_finish(struct ts_tree *t);

/* Processes still being sampled. */
size_t ts_tree_live(const struct ts_tree *t);

/* The tree's clock, ns since ts_tree_open. */
uint64_t ts_tree_now(const struct ts_tree *t);

void ts_tree_free(struct ts_tree *t);

#endif
