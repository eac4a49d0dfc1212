/* livelock/writer-starvation — fixed
 * A writer-preferring rwlock lets a waiting writer in after at most a read or two.
 * The same relay of readers, on an rwlock that prefers writers: once the writer waits, the next
 * reader is refused, the relay pauses, and the writer gets in after at most a read or two.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_procfs.h"
#include "tl_watchdog.h"

static pthread_rwlock_t table_lock;
static long table_version; /* what the writer updates */

/* The relay: who is asked to take the read lock next, and whether they did. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long ask, taken, refused; /* round numbers */
	long rounds_done;
	bool writer_waiting, writer_done;
	pid_t writer_tid;
} relay = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, -1, -1, 0, false, false, 0};

static long rounds, readers;

static void relay_set(long *field, long value)
{
	pthread_mutex_lock(&relay.mu);
	*field = value;
	pthread_cond_broadcast(&relay.cv);
	pthread_mutex_unlock(&relay.mu);
}

/* A waiting writer is one asleep in pthread_rwlock_wrlock: let it get there
 * before the next hand-over, so the lock's preference decides. */
static void let_writer_queue(void)
{
	pthread_mutex_lock(&relay.mu);
	bool waiting = relay.writer_waiting && !relay.writer_done;
	pid_t tid = relay.writer_tid;
	pthread_mutex_unlock(&relay.mu);
	if (!waiting)
		return;
	double until = tl_log_elapsed_ms() + 1000 * tl_slowdown();
	struct tl_task_stat st;
	while (tl_log_elapsed_ms() < until &&
	       !(tl_procfs_read_task_stat("/proc", getpid(), tid, &st) == 0 && st.state == 'S'))
		sched_yield();
}

static void *reader(void *arg)
{
	long self = (long)arg;
	tl_thread_name("reader-%ld", self);
	tl_watchdog_register();
	for (long r = self; r < rounds; r += readers) {
		pthread_mutex_lock(&relay.mu);
		/* From round 10 on the writer is in line: the relay waits for it. */
		while (relay.ask < r || (r >= 10 && !relay.writer_waiting))
			pthread_cond_wait(&relay.cv, &relay.mu);
		pthread_mutex_unlock(&relay.mu);
		let_writer_queue();
		/* Take the lock while the previous reader still holds it. */
		if (pthread_rwlock_tryrdlock(&table_lock) == 0) {
			relay_set(&relay.taken, r);
		} else {
			relay_set(&relay.refused, r); /* a writer is first in line */
			pthread_rwlock_rdlock(&table_lock);
		}
		tl_progress();
		pthread_mutex_lock(&relay.mu);
		relay.rounds_done++;
		pthread_mutex_unlock(&relay.mu);
		if (r + 1 < rounds) { /* hand over: the next one takes it, or is refused */
			relay_set(&relay.ask, r + 1);
			pthread_mutex_lock(&relay.mu);
			while (relay.taken < r + 1 && relay.refused < r + 1)
				pthread_cond_wait(&relay.cv, &relay.mu);
			pthread_mutex_unlock(&relay.mu);
		}
		pthread_rwlock_unlock(&table_lock);
	}
	return NULL;
}

static long writer_waited; /* reader rounds that went by while the writer waited */

static void *writer(void *arg)
{
	(void)arg;
	tl_thread_name("writer");
	tl_watchdog_register();
	pthread_mutex_lock(&relay.mu);
	while (relay.rounds_done < 10) /* let the relay get going */
		pthread_cond_wait(&relay.cv, &relay.mu);
	long start = relay.rounds_done;
	relay.writer_tid = (pid_t)syscall(SYS_gettid);
	relay.writer_waiting = true;
	pthread_cond_broadcast(&relay.cv);
	pthread_mutex_unlock(&relay.mu);
	pthread_rwlock_wrlock(&table_lock);
	pthread_mutex_lock(&relay.mu);
	writer_waited = relay.rounds_done - start;
	relay.writer_done = true;
	pthread_mutex_unlock(&relay.mu);
	table_version++;
	tl_log("got the write lock after %ld reads went by", writer_waited);
	pthread_rwlock_unlock(&table_lock);
	tl_progress();
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 3,
	                        .iterations = 200,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 8,
	                        .iterations_min = 20};
	tl_lab_init(argc, argv,
	            "A writer-preferring rwlock lets the writer in after a read or two.", &o);
	readers = o.threads;
	rounds = o.iterations;
	pthread_rwlockattr_t attr;
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&table_lock, &attr); /* a waiting writer goes first */
	pthread_rwlockattr_destroy(&attr);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	pthread_t t[9];
	for (long i = 0; i < readers; i++)
		tl_lab_thread_create(&t[i], reader, (void *)i);
	tl_lab_thread_create(&t[readers], writer, NULL);
	for (long i = 0; i <= readers; i++)
		pthread_join(t[i], NULL);
	tl_watchdog_stop();
	pthread_rwlock_destroy(&table_lock);

	tl_lab_outcome("writer_waited", writer_waited);
	if (writer_waited > 2)
		return tl_lab_result(
		    TL_EXIT_WRONG, "the writer starved: %ld of %ld reads went by before it got in",
		    writer_waited, rounds);
	return tl_lab_result(TL_EXIT_OK, "the writer got in after %ld read(s); table version %ld",
	                     writer_waited, table_version);
}
