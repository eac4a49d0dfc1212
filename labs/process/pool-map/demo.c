/* process/pool-map — demo
 * A process pool's map: items copied to worker processes in chunks, results copied back in order.
 * tl_ppool_map hands 20 numbers to 2 worker processes, 4 per task (a chunk is one message down a
 * socket and one back).  Each item's result carries the pid that computed it: every chunk ran in
 * one worker, the chunks were spread over both, and the results come back in input order, not in
 * the order the workers finished.  The workers' global counter shows that nothing a task writes
 * reaches the parent: only the result bytes do.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 * expect memcheck: clean
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_ppool.h"

struct result {
	long square;
	pid_t pid;
	long items_here; /* items this worker had run, this one included */
};

/* In each worker its own copy: the parent's stays 0. */
static long items_run;

static size_t square(const void *arg, size_t len, void *out, size_t cap)
{
	long x;
	memcpy(&x, arg, sizeof x);
	struct result r = {.square = x * x, .pid = getpid(), .items_here = ++items_run};
	(void)len;
	memcpy(out, &r, sizeof r < cap ? sizeof r : cap);
	return sizeof r;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 20, .threads_max = 16};
	tl_lab_init(argc, argv, "a process pool's map: chunks out, results back in order.", &o);
	enum { CHUNK = 4 };
	long n = o.iterations;
	long *in = calloc((size_t)n, sizeof *in);
	struct result *out = calloc((size_t)n, sizeof *out);
	if (!in || !out)
		return tl_lab_result(TL_EXIT_FAILURE, "out of memory");
	for (long i = 0; i < n; i++)
		in[i] = i + 1;
	tl_ppool *p = tl_ppool_create((int)o.threads, NULL, NULL);
	if (!p)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_ppool_create: %s", strerror(errno));
	int rc = tl_ppool_map(p, square, in, sizeof *in, out, sizeof *out, (size_t)n, CHUNK, 0);
	tl_ppool_free(p);
	if (rc)
		return tl_lab_result(TL_EXIT_FAILURE, "tl_ppool_map: %s", strerror(rc));

	long wrong = 0, split_chunks = 0;
	pid_t seen[16];
	int workers_seen = 0;
	for (long i = 0; i < n; i++) {
		wrong += out[i].square != in[i] * in[i];
		if (i % CHUNK && out[i].pid != out[i - 1].pid)
			split_chunks++;
		if (i % CHUNK == 0) {
			tl_log("chunk %ld (items %ld-%ld): worker %d, its items %ld-%ld there",
			       i / CHUNK, i + 1, i + CHUNK < n ? i + CHUNK : n, (int)out[i].pid,
			       out[i].items_here,
			       out[i + CHUNK - 1 < n ? i + CHUNK - 1 : n - 1].items_here);
			int k = 0;
			while (k < workers_seen && seen[k] != out[i].pid)
				k++;
			if (k == workers_seen && k < 16)
				seen[workers_seen++] = out[i].pid;
		}
	}
	free(in);
	free(out);
	if (wrong || split_chunks || items_run != 0)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%ld wrong results, %ld chunks split, parent's counter %ld",
		                     wrong, split_chunks, items_run);
	return tl_lab_result(TL_EXIT_OK,
	                     "%ld squares in input order, %ld per chunk, from %d worker processes; "
	                     "the parent's counter is still %ld",
	                     n, (long)CHUNK, workers_seen, items_run);
}
