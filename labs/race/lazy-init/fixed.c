/* race/lazy-init — fixed
 * pthread_once builds the object once, and every caller sees it whole.
 * pthread_once runs the builder exactly once, and every caller returns from it only after the
 * builder has finished: nobody sees a half-built object.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * note: without the two ANNOTATE lines Helgrind reports a false race at the lookup: glibc builds
 *       pthread_once from atomics and a futex, which Helgrind does not model.
 * expect drd:      clean
 * note: DRD records nothing inside pthread_once, the builder's writes included (probes/once-drd).
 */
#include <pthread.h>
#include <stdlib.h>

#include "tl_annotate.h"
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
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

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
	c->magic = MAGIC;
}

static void init_config(void)
{
	struct config *c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	build(c);
	instance = c;                        /* published only once built */
	ANNOTATE_HAPPENS_BEFORE(&init_once); /* what pthread_once guarantees, told to Helgrind */
}

static struct config *get_config(void)
{
	pthread_once(&init_once, init_config); /* returns once init_config has */
	ANNOTATE_HAPPENS_AFTER(&init_once);
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
		if (c->magic != MAGIC || c->table[k] != k * k) { /* @lookup */
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
	tl_lab_init(argc, argv, "pthread_once builds the object once, before anybody can see it.",
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
