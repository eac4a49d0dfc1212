/* probes/atomic-rmw — probe
 * Helgrind and DRD stay silent on atomic loads and read-modify-writes of one word in two threads.
 * They do not model C11 atomics, but they count a lock-prefixed read-modify-write (fetch_add,
 * fetch_sub, compare-exchange) as a read, and two reads never conflict.  Add one plain or relaxed
 * store and they report (probes/atomic-store-load).
 * expect tsan:     clean
 * note: re-read labs/race/atomic-check-act/README.md if this fails.
 * expect helgrind: clean
 * note: re-read labs/race/atomic-check-act/README.md and labs/demos/event/README.md if this
 *       fails.
 * expect drd:      clean
 * note: re-read labs/race/atomic-check-act/README.md if this fails.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_stage.h"

static atomic_long stock = 100; /* set at load time: no store at run time */
static tl_stage first_done;     /* orders nothing: the detectors see no edge */

static void *seller(void *arg)
{
	long *seen = arg;
	seen[0] = atomic_load(&stock);
	atomic_fetch_sub(&stock, 1);
	tl_stage_done(&first_done);
	return NULL;
}

static void *restocker(void *arg)
{
	long *seen = arg;
	if (tl_stage_wait(&first_done, 1, 2000) != 0)
		return NULL;
	seen[0] = atomic_load(&stock);
	atomic_fetch_add(&stock, 5);
	long want = seen[0] + 5;
	seen[1] = atomic_compare_exchange_strong(&stock, &want, 200);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "Two threads load, fetch_sub, fetch_add and CAS one atomic word.",
	            &o);
	tl_stage_init(&first_done);
	long a[1] = {-1}, b[2] = {-1, -1};
	pthread_t s, r;
	tl_lab_thread_create(&s, seller, a);
	tl_lab_thread_create(&r, restocker, b);
	pthread_join(s, NULL);
	pthread_join(r, NULL);
	long end = atomic_load(&stock);
	if (a[0] != 100 || b[0] != 99 || b[1] != 1 || end != 200) {
		fprintf(stderr, "probe: saw %ld, %ld, cas %ld, end %ld\n", a[0], b[0], b[1], end);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK, "stock 100 -> 99 -> 104 -> 200, every step atomic");
}
