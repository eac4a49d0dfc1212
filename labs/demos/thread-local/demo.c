/* demos/thread-local — per-thread state without locks
 * Per-thread state needs no lock: _Thread_local counters and a pthread key with a destructor.
 * Each worker counts into its own _Thread_local counter (no lock, no sharing) and hands the total
 * over under a mutex once, at the end; each also gets a scratch buffer through a pthread key whose
 * destructor frees it when the thread exits, so nothing leaks however the thread ends.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_watchdog.h"

#define MAX_WORKERS 16
#define BUF_SIZE    64

/* One copy per thread: each starts at 0, and no other thread can reach it
 * by name, so it needs no lock. */
static _Thread_local long events_seen;

/* Shared totals, under `lock`. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long total;
static long destructor_calls;

/* A per-thread buffer, made on first use; the key's destructor frees it at
 * thread exit (for every thread whose value is not NULL). */
static pthread_key_t buf_key;
static long iterations; /* set by main before the threads start */

static void free_buffer(void *p)
{
	tl_log("destructor: freeing my buffer (\"%s\")", (char *)p);
	free(p);
	pthread_mutex_lock(&lock);
	destructor_calls++;
	pthread_mutex_unlock(&lock);
}

static char *my_buffer(void)
{
	char *b = pthread_getspecific(buf_key);
	if (b == NULL) {
		b = malloc(BUF_SIZE);
		if (b == NULL)
			abort();
		b[0] = '\0';
		pthread_setspecific(buf_key, b);
	}
	return b;
}

/* Deep in the call chain, with no context argument: it finds this
 * thread's counter and buffer by itself. */
static void record_event(long id, long i)
{
	events_seen++;
	snprintf(my_buffer(), BUF_SIZE, "last event %ld of worker %ld", i, id);
}

static void *worker(void *arg)
{
	long id = (long)arg, n = iterations * (id + 1);
	tl_thread_name("worker-%ld", id);
	for (long i = 1; i <= n; i++)
		record_event(id, i);
	tl_log("counted %ld events in my own counter at %p", events_seen, (void *)&events_seen);
	pthread_mutex_lock(&lock);
	total += events_seen; /* the only shared write: one per thread */
	long now = total;
	pthread_mutex_unlock(&lock);
	tl_log("handed over %ld: total now %ld", events_seen, now);
	return NULL; /* the key's destructor runs after this, in this thread */
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4,
	                        .iterations = 1000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = MAX_WORKERS};
	tl_lab_init(argc, argv,
	            "Per-thread counters (_Thread_local) and buffers (pthread key + destructor).",
	            &o);
	iterations = o.iterations;
	if (pthread_key_create(&buf_key, free_buffer) != 0)
		return tl_lab_result(TL_EXIT_WRONG, "pthread_key_create failed");
	pthread_t t[MAX_WORKERS];
	long expect = 0;
	for (long i = 0; i < o.threads; i++) {
		tl_lab_thread_create(&t[i], worker, (void *)i);
		expect += o.iterations * (i + 1);
	}
	for (long i = 0; i < o.threads; i++)
		pthread_join(t[i], NULL);
	/* Destructors run before a thread counts as finished, so after the
	 * joins every one has run.  main never used the key: nothing to free. */
	pthread_key_delete(buf_key);
	tl_log("main's own counter: %ld; total %ld; %ld destructor calls", events_seen, total,
	       destructor_calls);
	if (total != expect || destructor_calls != o.threads || events_seen != 0)
		return tl_lab_result(
		    TL_EXIT_WRONG, "total %ld (expected %ld), %ld destructor calls for %ld threads",
		    total, expect, destructor_calls, o.threads);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld threads: total %ld, no lock while counting, %ld buffers freed",
	                     o.threads, total, destructor_calls);
}
