/* leak/pool-no-shutdown — broken
 * A thread pool nobody shuts down still has its workers asleep at exit: threads leaked.
 * A tiny pool's workers wait on a condition variable for jobs.  Main submits its jobs, waits for
 * them, and returns without shutting the pool down: the workers are still asleep in the pool when
 * the process ends.
 * expect run:      thread-leak
 * note: the program's own check finds the workers in /proc/self/task, by name, after main's work is
 *       done.
 * expect tsan:     clean
 * miss: TSan reports a leak only for a thread that ended and was not joined; these never end, they
 *       are still asleep at exit.
 * expect helgrind: clean
 * miss: Helgrind checks synchronisation, not the lifetime of threads.
 * expect drd:      clean
 * miss: DRD checks synchronisation, not the lifetime of threads.
 * expect memcheck: thread-leak @spawn
 * note: each worker still alive at exit leaves its DTV (dynamic thread vector, allocated in
 *       pthread_create by _dl_allocate_tls) possibly lost.
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_procfs.h"
#include "tl_watchdog.h" /* tl_slowdown */

#define QUEUE_MAX   64
#define MAX_WORKERS 8

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t work;    /* a job was queued, or stop was set */
	pthread_cond_t drained; /* a job finished */
	long queue[QUEUE_MAX];
	long head, tail; /* queue[head % QUEUE_MAX] .. tail */
	long finished;
	long total; /* sum of the jobs' results */
	bool stop;
};

static struct pool pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
                           .work = PTHREAD_COND_INITIALIZER,
                           .drained = PTHREAD_COND_INITIALIZER};

static void *worker(void *arg)
{
	tl_thread_name("worker-%ld", (long)arg);
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (pool.head == pool.tail && !pool.stop)
			pthread_cond_wait(&pool.work, &pool.lock); /* @idle */
		if (pool.head == pool.tail)
			break; /* stop, and nothing left to do */
		long job = pool.queue[pool.head++ % QUEUE_MAX];
		pthread_mutex_unlock(&pool.lock);
		long result = job * job;
		pthread_mutex_lock(&pool.lock);
		pool.total += result;
		pool.finished++;
		pthread_cond_signal(&pool.drained);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

static void submit(long job)
{
	pthread_mutex_lock(&pool.lock);
	while (pool.tail - pool.head == QUEUE_MAX)
		pthread_cond_wait(&pool.drained, &pool.lock);
	pool.queue[pool.tail++ % QUEUE_MAX] = job;
	pthread_cond_signal(&pool.work);
	pthread_mutex_unlock(&pool.lock);
}

/* Threads of this process whose name starts with `prefix`. */
static int count_tasks_named(const char *prefix)
{
	DIR *d = opendir("/proc/self/task");
	if (d == NULL)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct tl_task_stat st;
		if (e->d_name[0] == '.' ||
		    tl_procfs_read_task_stat("/proc", getpid(), (pid_t)atoi(e->d_name), &st) != 0)
			continue; /* gone meanwhile */
		n += strncmp(st.comm, prefix, strlen(prefix)) == 0;
	}
	closedir(d);
	return n;
}

/* Workers still alive at the end.  A thread that was joined can still be
 * listed for a moment while the kernel reaps it, so give them 50 ms (times
 * the tool's slowdown) to vanish. */
static int workers_left(void)
{
	double deadline = tl_log_elapsed_ms() + 50 * tl_slowdown();
	int n;
	while ((n = count_tasks_named("worker-")) > 0 && tl_log_elapsed_ms() < deadline)
		sched_yield();
	return n;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4,
	                        .iterations = 1000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_max = MAX_WORKERS};
	tl_lab_init(argc, argv, "A thread pool nobody shuts down: its workers outlive main.", &o);
	pthread_t t[MAX_WORKERS];
	for (long i = 0; i < o.threads; i++)
		tl_lab_thread_create(&t[i], worker, (void *)i); /* @spawn */

	long expect = 0;
	for (long j = 1; j <= o.iterations; j++) {
		submit(j);
		expect += j * j;
	}
	pthread_mutex_lock(&pool.lock);
	while (pool.finished < o.iterations)
		pthread_cond_wait(&pool.drained, &pool.lock);
	long total = pool.total;
	pthread_mutex_unlock(&pool.lock);
	tl_log("all %ld jobs done, total %ld", o.iterations, total);

	/* Done: return from main.  The pool is never told to stop. */

	int left = workers_left();
	if (left < 0)
		return tl_lab_result(TL_EXIT_FAILURE, "cannot read /proc/self/task");
	if (total != expect)
		return tl_lab_result(TL_EXIT_WRONG, "total %ld, expected %ld", total, expect);
	if (left > 0)
		return tl_lab_result(TL_EXIT_LEAK,
		                     "%ld jobs done, but %d of %ld workers still alive as main "
		                     "returns: the pool was never shut down",
		                     o.iterations, left, o.threads);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld jobs done, total %ld; all %ld workers stopped and joined",
	                     o.iterations, total, o.threads);
}
