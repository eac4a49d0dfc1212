/* demos/once — one-time initialisation with pthread_once
 * pthread_once builds a shared object exactly once, and every caller sees it fully built.
 * Many threads ask for a shared configuration at the same moment; the builder runs exactly once,
 * and every caller returns from pthread_once only after it has finished, so everyone sees the same,
 * fully built object.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * note: without the two ANNOTATE lines Helgrind reports false races on the config pointer and its
 *       fields: glibc builds pthread_once from atomics and a futex, which Helgrind does not model.
 * expect drd:      clean
 * note: DRD records nothing inside pthread_once, the builder's writes included (probes/once-drd).
 * expect memcheck: clean
 */
#include <pthread.h>
#include <stdlib.h>

#include "tl_annotate.h"
#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"
#include "tl_watchdog.h" /* tl_slowdown */

#define MAGIC     0x5eed
#define SLOTS     16
#define MAX_USERS 16

struct config {
	long magic;
	long table[SLOTS]; /* table[k] == k * k once built */
};

static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static struct config *config;
static int builds; /* written only by the builder, read by main after the joins */

/* Runs exactly once, in whichever thread reaches pthread_once first; the
 * others wait inside pthread_once until it returns. */
static void build_config(void)
{
	tl_log("building the config (only this thread does)");
	struct config *c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	for (long k = 0; k < SLOTS; k++)
		c->table[k] = k * k;
	c->magic = MAGIC;
	config = c;
	builds++;
	/* What pthread_once guarantees, told to Helgrind (a no-op elsewhere). */
	ANNOTATE_HAPPENS_BEFORE(&config_once);
}

static struct config *get_config(void)
{
	pthread_once(&config_once, build_config);
	ANNOTATE_HAPPENS_AFTER(&config_once);
	return config;
}

static void free_config(void)
{
	free(config);
	config = NULL;
}

static tl_event go;

struct user {
	long id, lookups, bad;
	struct config *seen;
};

static void *user(void *arg)
{
	struct user *u = arg;
	tl_thread_name("user-%ld", u->id);
	tl_event_wait(&go, -1); /* everybody asks at once */
	for (long i = 0; i < u->lookups; i++) {
		struct config *c = get_config();
		long k = i % SLOTS;
		if (i == 0)
			u->seen = c;
		if (c != u->seen || c->magic != MAGIC || c->table[k] != k * k)
			u->bad++;
	}
	tl_log("%ld lookups, config at %p, magic %#lx", u->lookups, (void *)u->seen,
	       u->seen->magic);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 4,
	                        .iterations = 200,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = MAX_USERS};
	tl_lab_init(argc, argv, "Many threads call get_config(); pthread_once builds it once.", &o);
	tl_event_init(&go);
	struct user users[MAX_USERS];
	pthread_t t[MAX_USERS];
	for (long i = 0; i < o.threads; i++) {
		users[i] = (struct user){.id = i, .lookups = o.iterations};
		tl_lab_thread_create(&t[i], user, &users[i]);
	}
	tl_log("%ld users created: go", o.threads);
	tl_event_set(&go);
	long bad = 0, other = 0;
	for (long i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		bad += users[i].bad;
		other += users[i].seen != config;
	}
	tl_event_destroy(&go);
	int built = builds;
	tl_log("the builder ran %d time(s)", built);
	free_config();
	if (built != 1 || bad || other)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "builder ran %d times; %ld bad lookups; %ld users saw another object", built,
		    bad, other);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld users x %ld lookups: built once, all saw the same config",
	                     o.threads, o.iterations);
}
