/* race/non-reentrant — fixed
 * strtok_r keeps its place in the caller's variable: each thread splits its own line.
 * The same threads split their lines with strtok_r(), which keeps its place in a variable the
 * caller owns: each thread has its own.
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 * expect drd:      clean
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_log.h"
#include "tl_stage.h"

#define WORDS 8

/* The first line is staged, in steps: tokenizer-0 takes its first word (1),
 * tokenizer-1 starts its own line (2), tokenizer-0 takes the rest of "its"
 * line (3), then tokenizer-1 goes on.  Each wait gives up after 1 s (x
 * slowdown).  A tl_stage orders nothing: the detectors judge the program's
 * own accesses as if there were no staging. */
static tl_stage step;

struct tokenizer {
	long index, lines, wrong;
	char line[128];
	char first_bad[48];
};

/* Splits the thread's line "t<i>w0 t<i>w1 ..." into words and checks that
 * they are its own words, in order.  Returns true when they are. */
static bool split_line(struct tokenizer *z, bool staged)
{
	char want[32];
	long n = 0;
	bool ok = true;
	char *save; /* strtok_r's place in the line: this thread's own */
	if (staged && z->index == 1)
		tl_stage_wait(&step, 1, 1000);
	for (char *word = strtok_r(z->line, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		if (staged && n == 0) {
			tl_stage_done(&step);
			tl_stage_wait(&step, z->index == 0 ? 2 : 3, 1000);
		}
		snprintf(want, sizeof want, "t%ldw%ld", z->index, n);
		if (strcmp(word, want) != 0 && ok) {
			ok = false;
			snprintf(z->first_bad, sizeof z->first_bad, "word %ld was \"%.8s\"", n,
			         word);
		}
		n++;
	}
	if (staged && z->index == 0)
		tl_stage_done(&step);
	if (ok && n != WORDS) {
		ok = false;
		snprintf(z->first_bad, sizeof z->first_bad, "%ld words, not %d", n, WORDS);
	}
	return ok;
}

static void *tokenizer(void *arg)
{
	struct tokenizer *z = arg;
	tl_thread_name("tokenizer-%ld", z->index);
	for (long i = 0; i < z->lines; i++) {
		int len = 0;
		for (int w = 0; w < WORDS; w++)
			len += snprintf(z->line + len, sizeof z->line - (size_t)len, "%st%ldw%d",
			                w ? " " : "", z->index, w);
		if (!split_line(z, i == 0))
			z->wrong++;
	}
	tl_log("split %ld lines, %ld of them wrong", z->lines, z->wrong);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2,
	                        .iterations = 50,
	                        .seed = 1,
	                        .watchdog = true,
	                        .threads_min = 2,
	                        .threads_max = 2};
	tl_lab_init(
	    argc, argv,
	    "strtok_r keeps its place in the caller's variable: threads stay on their own lines.",
	    &o);
	tl_stage_init(&step);
	pthread_t t[2];
	static struct tokenizer zs[2];
	for (long i = 0; i < 2; i++) {
		zs[i] = (struct tokenizer){.index = i, .lines = o.iterations};
		tl_lab_thread_create(&t[i], tokenizer, &zs[i]);
	}
	long wrong = 0, first = -1;
	for (long i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		wrong += zs[i].wrong;
		if (zs[i].wrong && first < 0)
			first = i;
	}
	if (wrong)
		return tl_lab_result(TL_EXIT_WRONG,
		                     "%ld of %ld lines split wrong; tokenizer-%ld's first: %s",
		                     wrong, 2 * o.iterations, first, zs[first].first_bad);
	return tl_lab_result(TL_EXIT_OK, "%ld lines split, every word in its place",
	                     2 * o.iterations);
}
