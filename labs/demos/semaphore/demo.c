/* demos/semaphore — a connection pool: at most N users at a time
 * A counting semaphore lets at most N threads use a pool of N resources at once.
 * Six clients share a pool of two connections.  A POSIX counting semaphore holds the number of free
 * connections, so a client waits in sem_wait while both are taken; the most connections ever in use
 * at once is measured and must not exceed the pool.  Then a bounded semaphore (tl_bsem) refuses the
 * release of a connection that was never taken, where sem_post would not.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdbool.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"

#define POOL        2
#define MAX_CLIENTS 16

/* The semaphore counts free connections; the mutex guards which ones.
 * The semaphore alone cannot say *which* connection is free, and the mutex
 * alone would need a condition variable to wait for one: together they are
 * the classic pool. */
static sem_t free_conns;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static bool conn_busy[POOL];
static long in_use, max_in_use, double_handed;

static long queries;
/* Opens the shop once every client exists, so they all compete from the
 * start instead of the first ones finishing before the last are created. */
static tl_event open_for_business;

struct client {
	int id;
	long waited; /* times the pool was empty when this client came */
	long used[POOL];
};

static int take_connection(void)
{
	pthread_mutex_lock(&pool_lock);
	int c = 0;
	while (c < POOL && conn_busy[c])
		c++;
	/* sem_wait succeeded, so a connection must be free: c == POOL would
	 * mean the semaphore and the pool disagree. */
	if (c == POOL) {
		double_handed++;
		c = 0;
	}
	conn_busy[c] = true;
	if (++in_use > max_in_use)
		max_in_use = in_use;
	pthread_mutex_unlock(&pool_lock);
	return c;
}

static void give_back(int c)
{
	pthread_mutex_lock(&pool_lock);
	conn_busy[c] = false;
	in_use--;
	pthread_mutex_unlock(&pool_lock);
}

static void *client(void *arg)
{
	struct client *cl = arg;
	tl_thread_name("client-%d", cl->id);
	tl_event_wait(&open_for_business, -1);
	for (long q = 0; q < queries; q++) {
		/* Try first, only to count how often the pool was empty. */
		if (sem_trywait(&free_conns) != 0) {
			cl->waited++;
			while (sem_wait(&free_conns) != 0 && errno == EINTR)
				;
		}
		int c = take_connection();
		cl->used[c]++;
		if (q == 0)
			tl_log("first query on conn-%d", c);
		/* The "query": hand the CPU around, so other clients run while
		 * this one holds its connection (under Valgrind, which runs one
		 * thread at a time, too). */
		for (int i = 0; i < 3; i++)
			sched_yield();
		give_back(c);
		sem_post(&free_conns);
	}
	tl_log("%ld queries (conn-0 %ld, conn-1 %ld), found the pool empty on %ld of them", queries,
	       cl->used[0], cl->used[1], cl->waited);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 6,
	                        .iterations = 20,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = MAX_CLIENTS};
	tl_lab_init(argc, argv,
	            "A counting semaphore lets at most 2 of 6 clients use the pool at once.", &o);
	queries = o.iterations;
	tl_event_init(&open_for_business);
	if (sem_init(&free_conns, 0, POOL) != 0)
		return tl_lab_result(TL_EXIT_FAILURE, "sem_init failed");
	tl_log("%ld clients x %ld queries, %d connections", o.threads, queries, POOL);

	struct client cl[MAX_CLIENTS];
	pthread_t t[MAX_CLIENTS];
	for (long i = 0; i < o.threads; i++) {
		cl[i] = (struct client){.id = (int)i};
		tl_lab_thread_create(&t[i], client, &cl[i]);
	}
	tl_event_set(&open_for_business);
	long waited = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		waited += cl[i].waited;
	}
	int left;
	sem_getvalue(&free_conns, &left);
	sem_destroy(&free_conns);
	tl_event_destroy(&open_for_business);

	tl_log("at most %ld of %d connections in use at once; clients waited %ld times; %d free at "
	       "the end",
	       max_in_use, POOL, waited, left);
	/* A connection given back twice: sem_post would count it, growing the
	 * pool to three; a bounded semaphore knows its ceiling and refuses. */
	tl_bsem bounded;
	tl_bsem_init(&bounded, POOL, POOL);
	int extra = tl_bsem_release(&bounded);
	tl_log("bounded semaphore: an extra release %s (%d of %d free)",
	       extra == -EOVERFLOW ? "is refused with EOVERFLOW" : "was ACCEPTED",
	       tl_bsem_value(&bounded), POOL);
	tl_bsem_destroy(&bounded);
	if (max_in_use > POOL || double_handed || in_use != 0 || left != POOL ||
	    extra != -EOVERFLOW)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "pool overrun: max %ld in use, %ld double hand-outs",
		                     max_in_use, double_handed);
	return tl_lab_result(TL_EXIT_OK, "max %ld in use at once (limit %d), %ld queries",
	                     max_in_use, POOL, o.threads * queries);
}
