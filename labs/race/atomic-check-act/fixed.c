/* race/atomic-check-act — fixed
 * Make the check and the act one atomic step: a compare-exchange loop sells the last item once.
 * The same sellers take an item with a compare-exchange loop: the check and the act are one atomic
 * step, so the last item is sold exactly once.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>
#include <stdatomic.h>

#include "tl_lab.h"
#include "tl_log.h"

#include "staging.h"

static bool sell(struct seller *s)
{
	long seen = atomic_load(&stock);
	while ((seen = stage(s, seen)) > 0) {
		/* Takes one only if the stock is still what we saw; else `seen`
		 * becomes the current stock and we decide again. */
		if (atomic_compare_exchange_weak(&stock, &seen, seen - 1))
			return true;
	}
	return false;
}

static void *seller(void *arg)
{
	struct seller *s = arg;
	tl_thread_name("seller-%ld", s->index);
	while (sell(s))
		s->sold++;
	tl_log("sold %ld items", s->sold);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 1000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 16};
	tl_lab_init(argc, argv, "A compare-exchange loop makes check and act one atomic step.", &o);
	stage_init(o.threads, o.iterations);
	pthread_t t[TL_MAX_THREADS];
	static struct seller ss[TL_MAX_THREADS];
	for (long i = 0; i < sellers; i++) {
		ss[i] = (struct seller){.index = i};
		tl_lab_thread_create(&t[i], seller, &ss[i]);
	}
	long sold = 0;
	for (long i = 0; i < sellers; i++) {
		pthread_join(t[i], NULL);
		sold += ss[i].sold;
	}

	long left = atomic_load(&stock);
	if (left != 0 || sold != o.iterations)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "sold %ld of %ld items: stock is %ld, oversold by %ld", sold,
		                     o.iterations, left, sold - o.iterations);
	return tl_lab_result(TL_EXIT_OK, "sold %ld of %ld items, stock 0", sold, o.iterations);
}
