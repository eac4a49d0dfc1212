/* probes/once-helgrind — probe
 * Helgrind calls correct pthread_once use a race: it does not model glibc's pthread_once.
 * Two threads both go through pthread_once before reading what the initialiser built, which
 * POSIX orders.  glibc builds pthread_once from atomics and a futex, which Helgrind does not see
 * as synchronisation: a false alarm, which labs/race/lazy-init/fixed.c and labs/demos/once/demo.c
 * silence with ANNOTATE_HAPPENS_BEFORE/AFTER.  TSan replaces pthread_once with its own, which it
 * models; DRD ignores what happens inside it (probes/once-drd).
 * expect tsan:     clean
 * note: re-read labs/demos/once/README.md if this fails.
 * expect helgrind: data-race @read
 * note: re-read labs/demos/once/README.md and labs/race/lazy-init/README.md if this fails.
 * false alarm: the read is ordered after the write by pthread_once.
 * expect drd:      clean
 * note: re-read labs/demos/once/README.md if this fails.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_stage.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static long config_size;
static tl_stage built; /* orders nothing: the second caller just comes late */

static void build(void)
{
	config_size = 4242;
}

static void *user(void *arg)
{
	long *seen = arg;
	if (seen[1] == 1 && tl_stage_wait(&built, 1, 2000) != 0)
		return NULL;
	pthread_once(&once, build);
	seen[0] = config_size; /* @read */
	if (seen[1] == 0)
		tl_stage_done(&built);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "Two threads read what pthread_once built, correctly.", &o);
	tl_stage_init(&built);
	long seen[2][2] = {{-1, 0}, {-1, 1}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		tl_lab_thread_create(&t[i], user, seen[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (seen[0][0] != 4242 || seen[1][0] != 4242) {
		fprintf(stderr, "probe: the users saw %ld and %ld\n", seen[0][0], seen[1][0]);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK, "both users saw the built value");
}
