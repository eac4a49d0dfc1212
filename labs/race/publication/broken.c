/* race/publication — broken
 * A plain flag does not publish data: nothing orders the message before the flag.
 * A writer fills a message, then sets a plain int `ready`; a reader polls `ready` and reads the
 * message.  Nothing orders the message before the flag for the compiler or the CPU: the reader may
 * see the flag and old data.
 * expect run:      clean
 * miss: x86 keeps stores in order and loads in order, and clang -O1 kept this program's order: the
 *       run comes out right here; on ARM or POWER, or after a compiler reorders, it does not.
 * expect tsan:     data-race @publish @read
 * expect helgrind: data-race @publish @read
 * expect drd:      data-race @publish @read
 */
#include <pthread.h>
#include <sched.h>

#include "tl_lab.h"
#include "tl_log.h"

struct message {
	long seq;
	long body[4];
	long sum;
};

static struct message msg;
static int ready; /* 1: msg holds a message for the reader; 0: it is free */

/* Each poll calls sched_yield(), which also makes the compiler load `ready`
 * again every time round: in a loop without calls, -O1 loads it once and
 * spins for ever (which is a bug of its own). */
static void wait_until_ready_is(int want)
{
	while (ready != want)
		sched_yield();
}

static void *writer(void *arg)
{
	long n = *(long *)arg;
	tl_thread_name("writer");
	for (long seq = 1; seq <= n; seq++) {
		wait_until_ready_is(0);
		msg.seq = seq;
		msg.sum = seq;
		for (int i = 0; i < 4; i++) {
			msg.body[i] = seq * (i + 1);
			msg.sum += msg.body[i];
		}
		ready = 1; /* @publish */
	}
	return NULL;
}

static long bad, first_bad_seq, first_bad_got;

static void *reader(void *arg)
{
	long n = *(long *)arg;
	tl_thread_name("reader");
	for (long seq = 1; seq <= n; seq++) {
		wait_until_ready_is(1);
		long sum = msg.seq; /* @read */
		for (int i = 0; i < 4; i++)
			sum += msg.body[i];
		if (msg.seq != seq || sum != msg.sum) {
			if (bad++ == 0) {
				first_bad_seq = seq;
				first_bad_got = msg.seq;
			}
		}
		ready = 0;
	}
	tl_log("read %ld messages", n);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 2000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2};
	tl_lab_init(argc, argv, "A plain int flag does not publish the data written before it.",
	            &o);
	pthread_t w, r;
	tl_lab_thread_create(&r, reader, &o.iterations);
	tl_lab_thread_create(&w, writer, &o.iterations);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	if (bad)
		return tl_lab_result(
		    TL_EXIT_WRONG,
		    "%ld of %ld messages read half-written (first: expected #%ld, saw #%ld)", bad,
		    o.iterations, first_bad_seq, first_bad_got);
	return tl_lab_result(TL_EXIT_OK, "%ld messages, each read whole", o.iterations);
}
