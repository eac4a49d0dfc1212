/* runner_jobs — run independent pieces of work (one lab program run each)
 * on several threads.  Each piece spawns a child and mostly waits for it,
 * so a thread per job is enough; the runner's own work between runs is
 * small.  tl_spawn forks from these threads: its pipes are close-on-exec,
 * so a child forked by one thread keeps another thread's pipe open only
 * until it execs, and the pidfd, not the pipes' end, says a child ended. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

struct jobs {
	size_t n, next, done;
	void (*work)(size_t i, void *arg);
	void (*finished)(size_t i, size_t done, void *arg);
	void *arg;
	pthread_mutex_t mu;
};

static void *jobs_thread(void *p)
{
	struct jobs *j = p;
	for (;;) {
		pthread_mutex_lock(&j->mu);
		size_t i = j->next < j->n ? j->next++ : j->n;
		pthread_mutex_unlock(&j->mu);
		if (i == j->n)
			return NULL;
		j->work(i, j->arg);
		pthread_mutex_lock(&j->mu);
		j->done++;
		if (j->finished)
			j->finished(i, j->done, j->arg);
		pthread_mutex_unlock(&j->mu);
	}
}

void runner_jobs_run(size_t n, int jobs, void (*work)(size_t i, void *arg),
                     void (*finished)(size_t i, size_t done, void *arg), void *arg)
{
	struct jobs j = {.n = n, .work = work, .finished = finished, .arg = arg};
	pthread_mutex_init(&j.mu, NULL);
	if (jobs < 1)
		jobs = 1;
	if ((size_t)jobs > n)
		jobs = n ? (int)n : 1;
	pthread_t *t = calloc((size_t)jobs, sizeof *t);
	int started = 0;
	bool short_of_threads = !t;
	/* The calling thread is one of the jobs: --jobs 1 starts no thread. */
	for (int k = 1; t && k < jobs; k++, started++)
		if (pthread_create(&t[k], NULL, jobs_thread, &j)) {
			short_of_threads = true;
			break;
		}
	jobs_thread(&j);
	for (int k = 1; t && k <= started; k++)
		pthread_join(t[k], NULL);
	free(t);
	pthread_mutex_destroy(&j.mu);
	if (short_of_threads)
		runner_error("could not start all %d jobs; fewer shared the runs", jobs);
}

int runner_parse_jobs(const char *cmd, const char *text, int *jobs)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (end == text || *end || v < 1 || v > 64) {
		runner_error("%s: --jobs: '%s' is not a number from 1 to 64", cmd, text);
		return -1;
	}
	*jobs = (int)v;
	return 0;
}
