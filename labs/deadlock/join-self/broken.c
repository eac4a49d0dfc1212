/* deadlock/join-self — broken
 * Threads that join each other in a cycle wait for ever: a join is a wait, like a lock.
 * A team of three threads that should end together: each, when its work is done, joins
 * its neighbour before it returns — and the last one's neighbour is the first.  A joins
 * B, B joins C, C joins A: nobody ever returns.
 * expect run:      deadlock
 * expect tsan:     clean
 * miss: TSan has no check for threads waiting for each other to end: a cycle of joins is no report,
 *       the program just hangs.
 * expect helgrind: clean
 * miss: Helgrind reports a join only when it fails (EDEADLK for a self-join); a cycle of joins that
 *       blocks is invisible to it.
 * expect drd:      clean
 * miss: DRD checks locks and races, not waits for threads.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

#define MAX_MEMBERS 16

struct member {
	long index, steps, sum;
};

static pthread_t team[MAX_MEMBERS];
static struct member members[MAX_MEMBERS];
static long team_size;
static tl_event team_ready; /* team[] is filled in */

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static long done;
static tl_event team_done; /* every member has finished */

static void *member(void *arg)
{
	struct member *m = arg;
	tl_thread_name("member-%ld", m->index);
	tl_watchdog_register();
	tl_event_wait(&team_ready, -1);
	for (long i = 0; i < m->steps; i++) {
		m->sum += m->index * m->steps + i;
		tl_progress();
	}
	tl_log("done, sum %ld", m->sum);
	/* End together: wait for the neighbour before leaving.  The last
	 * member's neighbour is member 0, which is waiting already. */
	long next = (m->index + 1) % team_size;
	int err = pthread_join(team[next], NULL);
	if (err)
		tl_log("pthread_join(member-%ld): %s", next, strerror(err));
	pthread_mutex_lock(&done_lock);
	if (++done == team_size)
		tl_event_set(&team_done);
	pthread_mutex_unlock(&done_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 3,
	                        .iterations = 1000,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 1,
	                        .threads_max = MAX_MEMBERS};
	tl_lab_init(argc, argv, "Threads join each other in a circle: nobody ever returns.", &o);
	team_size = o.threads;
	tl_event_init(&team_ready);
	tl_event_init(&team_done);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	for (long i = 0; i < team_size; i++) {
		members[i] = (struct member){i, o.iterations, 0};
		tl_lab_thread_create(&team[i], member, &members[i]);
	}
	tl_event_set(&team_ready);
	/* Every member is joined by the one before it, so main only waits. */
	tl_event_wait(&team_done, -1);
	tl_watchdog_stop();

	long total = 0, n = team_size * o.iterations;
	for (long i = 0; i < team_size; i++)
		total += members[i].sum;
	if (total != n * (n - 1) / 2)
		return tl_lab_result(TL_EXIT_WRONG, "total %ld, expected %ld", total,
		                     n * (n - 1) / 2);
	return tl_lab_result(TL_EXIT_OK, "%ld members, total %ld", team_size, total);
}
