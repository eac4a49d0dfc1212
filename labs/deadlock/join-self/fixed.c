/* deadlock/join-self — fixed
 * One owner joins every thread: the joins form a tree, and a tree has no cycle.
 * The same team, but members do not join each other: main, which started them, joins every one.
 * The waits-for graph of joins is a tree with main at its root, and a tree has no cycle.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>

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
	/* Leave: main, the one owner of the team, joins us. */
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
	tl_lab_init(argc, argv, "The thread that started the team joins every member.", &o);
	team_size = o.threads;
	tl_event_init(&team_ready);
	if (o.watchdog)
		tl_watchdog_start(0, 0);
	for (long i = 0; i < team_size; i++) {
		members[i] = (struct member){i, o.iterations, 0};
		tl_lab_thread_create(&team[i], member, &members[i]);
	}
	tl_event_set(&team_ready);
	/* One owner joins them all. */
	for (long i = 0; i < team_size; i++)
		pthread_join(team[i], NULL);
	tl_watchdog_stop();

	long total = 0, n = team_size * o.iterations;
	for (long i = 0; i < team_size; i++)
		total += members[i].sum;
	if (total != n * (n - 1) / 2)
		return tl_lab_result(TL_EXIT_WRONG, "total %ld, expected %ld", total,
		                     n * (n - 1) / 2);
	return tl_lab_result(TL_EXIT_OK, "%ld members, total %ld", team_size, total);
}
