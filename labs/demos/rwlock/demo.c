/* demos/rwlock — many readers at once, one writer alone
 * A read-write lock lets readers in together and a writer in alone.
 * Four readers look up a shared price table under pthread_rwlock_rdlock; a writer updates it under
 * pthread_rwlock_wrlock.  The readers first meet inside the read lock (a barrier they can only pass
 * if they all hold it at once), then read while the writer writes.  The program measures the most
 * readers inside at once and checks that the writer was always alone.  The lock is made
 * writer-preferring with pthread_rwlockattr_setkind_np.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#define _GNU_SOURCE 1 /* pthread_rwlockattr_setkind_np */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"

#define MAX_READERS 15
#define ITEMS       8

static pthread_rwlock_t table_lock;
/* The table: the writer keeps total == sum of prices; a reader that saw a
 * half-done update would find them apart. */
static long price[ITEMS];
static long total;
static long version;

/* Who is inside the rwlock right now.  Several readers update these at
 * once (they share the rwlock), so they have their own small mutex. */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int readers_inside, max_readers_inside;
static int writers_inside;
static long overlaps; /* a reader and a writer inside at once: must stay 0 */

static pthread_barrier_t meeting;
static tl_event writer_go;
static long rounds;

static void enter(bool writer)
{
	pthread_mutex_lock(&stats_lock);
	if (writer) {
		if (readers_inside || writers_inside)
			overlaps++;
		writers_inside++;
	} else {
		if (writers_inside)
			overlaps++;
		if (++readers_inside > max_readers_inside)
			max_readers_inside = readers_inside;
	}
	pthread_mutex_unlock(&stats_lock);
}

static void leave(bool writer)
{
	pthread_mutex_lock(&stats_lock);
	if (writer)
		writers_inside--;
	else
		readers_inside--;
	pthread_mutex_unlock(&stats_lock);
}

struct reader {
	int id;
	long reads, torn;
	long last_version;
};

static void *reader(void *arg)
{
	struct reader *r = arg;
	tl_thread_name("reader-%d", r->id);

	/* The meeting: everyone takes the read lock, then waits at the
	 * barrier for the others — possible only because readers share. */
	pthread_rwlock_rdlock(&table_lock);
	enter(false);
	if (pthread_barrier_wait(&meeting) == PTHREAD_BARRIER_SERIAL_THREAD) {
		tl_log("all readers hold the read lock at once");
		tl_event_set(&writer_go);
	}
	leave(false);
	pthread_rwlock_unlock(&table_lock);

	for (long i = 0; i < rounds; i++) {
		pthread_rwlock_rdlock(&table_lock);
		enter(false);
		long sum = 0;
		for (int k = 0; k < ITEMS; k++) {
			sum += price[k];
			if (k == ITEMS / 2)
				sched_yield(); /* let the others in */
		}
		if (sum != total)
			r->torn++;
		r->last_version = version;
		r->reads++;
		leave(false);
		pthread_rwlock_unlock(&table_lock);
	}
	tl_log("%ld reads, last saw version %ld, %ld inconsistent", r->reads, r->last_version,
	       r->torn);
	return NULL;
}

static void *writer(void *arg)
{
	long *updates = arg;
	tl_thread_name("writer");
	tl_event_wait(&writer_go, -1);
	for (long i = 0; i < *updates; i++) {
		pthread_rwlock_wrlock(&table_lock);
		enter(true);
		int k = (int)(i % ITEMS);
		price[k] += 5;
		sched_yield(); /* half-done: a reader inside now would see it */
		total += 5;
		version++;
		leave(true);
		pthread_rwlock_unlock(&table_lock);
		sched_yield();
	}
	tl_log("%ld updates, alone every time", *updates);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4,
	                        .iterations = 100,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = MAX_READERS};
	tl_lab_init(argc, argv,
	            "A rwlock lets readers share the table while the writer has it alone.", &o);
	rounds = o.iterations;
	long updates = o.iterations / 4 + 1;

	/* glibc's default rwlock prefers readers: while any reader holds it,
	 * new readers get in, and a writer can wait for ever.  This kind makes
	 * a waiting writer hold new readers back (and so forbids a reader from
	 * taking the read lock twice: it could deadlock behind the writer). */
	pthread_rwlockattr_t a;
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&table_lock, &a);
	pthread_rwlockattr_destroy(&a);
	pthread_barrier_init(&meeting, NULL, (unsigned)o.threads);
	tl_event_init(&writer_go);
	for (int k = 0; k < ITEMS; k++) {
		price[k] = 10 * (k + 1);
		total += price[k];
	}
	tl_log("%ld readers x %ld reads, 1 writer x %ld updates", o.threads, rounds, updates);

	struct reader rd[MAX_READERS];
	pthread_t t[MAX_READERS + 1];
	for (long i = 0; i < o.threads; i++) {
		rd[i] = (struct reader){.id = (int)i};
		tl_lab_thread_create(&t[i], reader, &rd[i]);
	}
	tl_lab_thread_create(&t[o.threads], writer, &updates);
	long reads = 0, torn = 0;
	for (long i = 0; i <= o.threads; i++)
		pthread_join(t[i], NULL);
	for (long i = 0; i < o.threads; i++) {
		reads += rd[i].reads;
		torn += rd[i].torn;
	}
	pthread_barrier_destroy(&meeting);
	pthread_rwlock_destroy(&table_lock);
	tl_event_destroy(&writer_go);

	tl_log("%ld reads, %ld updates; at most %d readers inside at once; reader+writer or "
	       "writer+writer overlaps: %ld; inconsistent reads: %ld",
	       reads, updates, max_readers_inside, overlaps, torn);
	if (overlaps || torn || max_readers_inside != o.threads || version != updates)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "writer not alone: %ld overlaps, %ld inconsistent reads",
		                     overlaps, torn);
	return tl_lab_result(TL_EXIT_OK,
	                     "%d readers shared the lock, the writer was alone %ld times",
	                     max_readers_inside, updates);
}
