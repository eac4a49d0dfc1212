/* race/counter — broken
 * counter++ from two threads loses updates: it is a load, an add and a store, not one step.
 * Two threads each do counter++ at least 100,000 times (5,000 under TSan, which loses races on a
 * word written too often: probes/tsan-history); the total comes out short.
 * expect run:      wrong-result
 * expect tsan:     data-race @counter-write
 * expect helgrind: data-race @counter-write
 * expect drd:      data-race @counter-write
 * expect memcheck: clean
 * miss: Memcheck checks memory, not ordering: a race is invisible to it.
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"

static long counter;
static pthread_barrier_t start;
static tl_overlap overlap;

/* A call per step keeps the compiler from folding the whole loop into one
 * "counter += n": each step really is load, add, store. */
static __attribute__((noinline)) void increment(void)
{
	counter++; /* @counter-write */
}

struct adder {
	long index, share, made;
};

static void *worker(void *arg)
{
	struct adder *a = arg;
	tl_thread_name("adder-%ld", a->index);
	/* Each adder on its own CPU, all starting together, each adding until
	 * all have made their share: they really run at the same time, even
	 * on a busy machine. */
	tl_lab_pin_cpu(a->index);
	pthread_barrier_wait(&start);
	bool counted = false;
	while (tl_overlap_more(&overlap, a->made, a->share, &counted)) {
		increment(); /* @call */
		a->made++;
	}
	tl_log("made %ld increments", a->made);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 100000, .seed = 1, .watchdog = true};
	tl_lab_init(argc, argv, "Threads share counter++ without a lock; updates get lost.", &o);
	pthread_t t[TL_MAX_THREADS];
	static struct adder adders[TL_MAX_THREADS];
	pthread_barrier_init(&start, NULL, (unsigned)o.threads);
	tl_overlap_init(&overlap, o.threads);
	for (long i = 0; i < o.threads; i++) {
		adders[i] = (struct adder){i, o.iterations, 0};
		tl_lab_thread_create(&t[i], worker, &adders[i]);
	}
	for (long i = 0; i < o.threads; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);

	long want = 0;
	for (long i = 0; i < o.threads; i++)
		want += adders[i].made;
	tl_lab_outcome("lost", want - counter);
	if (counter != want)
		return tl_lab_result(TL_EXIT_WRONG, "counter = %ld, expected %ld: %ld updates lost",
		                     counter, want, want - counter);
	return tl_lab_result(TL_EXIT_OK, "counter = %ld, as expected", counter);
}
