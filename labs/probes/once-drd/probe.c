/* probes/once-drd — probe
 * DRD ignores every access made inside pthread_once, the initialiser's own writes included.
 * One thread builds a value through pthread_once; another reads it without calling
 * pthread_once, with nothing ordering the two: a real race.  TSan and Helgrind report it; DRD,
 * which wraps pthread_once in "ignore reads and writes", never saw the write.
 * expect tsan:     data-race @read @init-write
 * note: re-read labs/demos/once/README.md and labs/race/lazy-init/README.md if this fails.
 * expect helgrind: data-race @read
 * note: re-read labs/demos/once/README.md and labs/race/lazy-init/README.md if this fails.
 * expect drd:      clean
 * note: re-read labs/demos/once/README.md and labs/race/lazy-init/README.md if this fails.
 * miss: the initialiser's write happened inside pthread_once, where DRD records nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_stage.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static long config_size;
static tl_stage built; /* orders nothing: the detectors see no edge */

static void build(void)
{
	config_size = 4242; /* @init-write */
}

static void *builder(void *arg)
{
	(void)arg;
	pthread_once(&once, build);
	tl_stage_done(&built);
	return NULL;
}

static void *peeker(void *arg)
{
	long *seen = arg;
	if (tl_stage_wait(&built, 1, 2000) == 0)
		*seen = config_size; /* @read  no pthread_once here: nothing orders this */
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "A value built in pthread_once is read without it.", &o);
	tl_stage_init(&built);
	long seen = -1;
	pthread_t b, p;
	tl_lab_thread_create(&b, builder, NULL);
	tl_lab_thread_create(&p, peeker, &seen);
	pthread_join(b, NULL);
	pthread_join(p, NULL);
	if (seen != 4242) {
		fprintf(stderr, "probe: the reader saw %ld, not the built 4242\n", seen);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK, "the reader saw the built value, unordered");
}
