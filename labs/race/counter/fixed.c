/* race/counter — fixed
 * A mutex around counter++ makes its load, add and store one step: no update is lost.
 * The same two threads, with a mutex around counter++: no update is lost.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <pthread.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"

static long counter;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static tl_overlap overlap;

/* A call per step keeps the compiler from folding the whole loop into one
 * "counter += n": each step really is load, add, store. */
static __attribute__((noinline)) void increment(void)
{
	pthread_mutex_lock(&counter_lock);
	counter++; /* one thread at a time */
	pthread_mutex_unlock(&counter_lock);
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
		increment();
		a->made++;
	}
	tl_log("made %ld increments", a->made);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 100000, .seed = 1, .watchdog = true};
	tl_lab_init(argc, argv, "A mutex makes counter++ one step; the total is exact.", &o);
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
