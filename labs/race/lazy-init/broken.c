/* race/lazy-init — broken
 * Double-checked locking without atomics hands out half-built objects.
 * Double-checked lazy initialisation: the pointer is checked outside the lock, and the builder
 * publishes it before the object is built.  A thread that sees the pointer uses a half-built
 * object.
 * expect run:      wrong-result
 * expect tsan:     data-race @fill @use
 * note: Reports name the object's fields.  The staging orders the pointer's publication before the
 *       others' unlocked check, so the race on the pointer itself goes unreported here.
 * expect helgrind: data-race @fill @use
 * expect drd:      data-race @fill
 */
#include <pthread.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"
#include "tl_sync.h"
#include "tl_watchdog.h" /* tl_slowdown */

#define MAGIC 0x5eed
#define SLOTS 16

struct config {
	long magic;
	long table[SLOTS]; /* table[k] == k * k once built */
};

static struct config *instance;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

/* The first build is staged: once the builder is half way, the other threads
 * come and look (window_open), and the builder finishes only after one of
 * them has used the object (or 100 ms pass).  So the fatal interleaving
 * happens on every run.  `used` is a tl_stage on purpose: it orders nothing
 * for the detectors, so they judge the use of the object as they would
 * without the staging. */
static tl_event window_open;
static tl_stage used;

static void build(struct config *c)
{
	tl_event_set(&window_open);
	tl_stage_wait(&used, 1, 100);
	for (long k = 0; k < SLOTS; k++)
		c->table[k] = k * k;
	c->magic = MAGIC; /* @fill */
}

static struct config *get_config(void)
{
	if (instance == NULL) { /* checked without the lock */
		pthread_mutex_lock(&init_lock);
		if (instance == NULL) {
			instance = calloc(1, sizeof *instance); /* @publish: too early */
			if (instance == NULL)
				abort();
			build(instance);
		}
		pthread_mutex_unlock(&init_lock);
	}
	return instance;
}

struct user {
	long self, lookups, bad;
};

static void *user(void *arg)
{
	struct user *u = arg;
	tl_thread_name("user-%ld", u->self);
	if (u->self > 0) /* thread 0 builds; the others arrive while it does */
		tl_event_wait(&window_open, (long)(100 * tl_slowdown()));
	for (long i = 0; i < u->lookups; i++) {
		struct config *c = get_config();
		long k = i % SLOTS;
		if (c->magic != MAGIC || c->table[k] != k * k) { /* @use */
			if (u->bad++ == 0)
				tl_log("lookup %ld: config not built yet (magic %#lx, table[%ld] = "
				       "%ld)",
				       i, c->magic, k, c->table[k]);
		}
		if (i == 0)
			tl_stage_done(&used);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 3,
	                        .iterations = 300,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 8};
	tl_lab_init(argc, argv, "Double-checked locking publishes an object before it is built.",
	            &o);
	tl_event_init(&window_open);
	tl_stage_init(&used);
	static struct user users[8];
	pthread_t t[8];
	for (long i = 0; i < o.threads; i++) {
		users[i] = (struct user){i, o.iterations, 0};
		tl_lab_thread_create(&t[i], user, &users[i]);
	}
	long bad = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		bad += users[i].bad;
	}
	if (bad)
		return tl_lab_result(TL_EXIT_WRONG, "%ld of %ld lookups saw a half-built config",
		                     bad, o.threads * o.iterations);
	return tl_lab_result(TL_EXIT_OK, "%ld lookups, all saw the built config",
	                     o.threads * o.iterations);
}
