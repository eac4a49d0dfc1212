/* race/realloc — fixed
 * A read-write lock keeps the array still while anyone reads it.
 * The same array behind a read-write lock: readers share it, the appender takes it alone, so the
 * array cannot move while anyone is reading it.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <pthread.h>
#include <stdlib.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_sync.h"
#include "tl_watchdog.h"

struct list {
	long *items;
	long len, cap;
};

static struct list list;
static pthread_rwlock_t list_lock = PTHREAD_RWLOCK_INITIALIZER;

/* Item k holds k + 1, so a reader can check every item it sees. */
static long item_value(long k)
{
	return k + 1;
}

/* The first growth is staged: the appender grows the array only once every
 * reader holds its address (or 1 s passes), and the readers look at the
 * items only once it has grown (or 100 ms pass: the wait the fixed program
 * sits out).  So the stale read happens on every run. */
static tl_event *holding;
static tl_event grown;
static long readers;

static void append(long value, bool staged)
{
	if (staged) /* the first append is the one that grows the array */
		for (long r = 0; r < readers; r++)
			tl_event_wait(&holding[r], (long)(1000 * tl_slowdown()));
	pthread_rwlock_wrlock(&list_lock); /* waits until no reader holds the array */
	if (list.len == list.cap) {
		long *old = list.items;
		list.cap *= 2;
		/* realloc may move the block: it copies it, then frees the old one. */
		list.items = realloc(list.items, (size_t)list.cap * sizeof *list.items);
		if (!list.items)
			abort();
		tl_log("grew to %ld items: block %s", list.cap,
		       list.items == old ? "extended in place" : "moved");
		if (staged)
			tl_event_set(&grown);
	}
	list.items[list.len] = value;
	list.len++;
	pthread_rwlock_unlock(&list_lock);
}

struct reader {
	long index, scans;
	long bad_at, bad_value; /* the first wrong item seen, if any */
	bool bad;
};

/* Checks every item the reader can see. */
static __attribute__((noinline)) void scan(struct reader *r, bool staged)
{
	pthread_rwlock_rdlock(&list_lock); /* many readers at once, no appender */
	long *items = list.items;
	long n = list.len;
	if (staged) {
		tl_event_set(&holding[r->index]);
		tl_event_wait(&grown, (long)(100 * tl_slowdown()));
	}
	for (long k = 0; k < n; k++) {
		long v = items[k];
		if (v != item_value(k) && !r->bad) {
			r->bad = true;
			r->bad_at = k;
			r->bad_value = v;
		}
	}
	pthread_rwlock_unlock(&list_lock);
}

static void *reader(void *arg)
{
	struct reader *r = arg;
	tl_thread_name("reader-%ld", r->index);
	for (long i = 0; i < r->scans; i++)
		scan(r, i == 0);
	tl_log("made %ld scans", r->scans);
	return NULL;
}

struct appender {
	long count;
};

static void *appender(void *arg)
{
	struct appender *a = arg;
	tl_thread_name("appender");
	for (long i = 0; i < a->count; i++)
		append(item_value(list.len), i == 0);
	tl_log("appended %ld items", a->count);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 3,
	                        .iterations = 100,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 8};
	tl_lab_init(argc, argv, "A read-write lock keeps the array still while readers scan it.",
	            &o);
	readers = o.threads - 1;

	/* A full array of o.iterations items: the appender's first append grows it. */
	list.cap = o.iterations;
	list.items = malloc((size_t)list.cap * sizeof *list.items);
	static struct reader rs[TL_MAX_THREADS];
	static tl_event events[TL_MAX_THREADS];
	if (!list.items)
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");
	for (; list.len < list.cap; list.len++)
		list.items[list.len] = item_value(list.len);
	holding = events;
	tl_event_init(&grown);

	pthread_t t[TL_MAX_THREADS];
	struct appender a = {o.iterations};
	for (long i = 0; i < readers; i++) {
		tl_event_init(&holding[i]);
		rs[i] = (struct reader){.index = i, .scans = o.iterations};
		tl_lab_thread_create(&t[i], reader, &rs[i]);
	}
	tl_lab_thread_create(&t[readers], appender, &a);
	for (long i = 0; i <= readers; i++)
		pthread_join(t[i], NULL);

	for (long i = 0; i < readers; i++)
		if (rs[i].bad)
			return tl_lab_result(TL_EXIT_WRONG,
			                     "reader-%ld read items[%ld] = %#lx, expected %ld: it "
			                     "read the block realloc had freed",
			                     i, rs[i].bad_at, rs[i].bad_value,
			                     item_value(rs[i].bad_at));
	free(list.items);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld readers made %ld scans each; every item they saw was right",
	                     readers, o.iterations);
}
