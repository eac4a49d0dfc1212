/* probes/strtok-libc — probe
 * Valgrind's default suppressions hide a race inside libc: strtok's static pointer goes unreported.
 * Two threads each call strtok on their own line once: the only shared state is the static
 * pointer `olds` in glibc, which both write.  Helgrind and DRD load Valgrind's default.supp, whose
 * entries hide every race whose top frame is in libc.so.6; tests/probe-tool-flags.sh runs this
 * probe under Helgrind with --default-suppressions=no and finds the write in strtok_r.
 * expect tsan:     clean
 * note: re-read labs/race/non-reentrant/README.md if this fails.
 * miss: libc is not instrumented, and TSan's strtok interceptor only marks the string and the
 *       delimiters read, which here belong to one thread each.
 * expect helgrind: clean
 * note: re-read labs/race/non-reentrant/README.md if this fails.
 * miss: the race is in strtok_r, in libc.so.6: suppressed by helgrind-glibc2X-005.
 * expect drd:      clean
 * note: re-read labs/race/non-reentrant/README.md if this fails.
 * miss: suppressed by drd-libc-stdio, which hides libc.so.6 for DRD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_lab.h"
#include "tl_stage.h"

static tl_stage first_done; /* orders nothing: the detectors see no edge */

struct tokenizer {
	long index;
	char line[32];
	char first[8];
};

static void *tokenize(void *arg)
{
	struct tokenizer *z = arg;
	snprintf(z->line, sizeof z->line, "t%ldw0 t%ldw1", z->index, z->index);
	if (z->index == 1 && tl_stage_wait(&first_done, 1, 2000) != 0)
		return NULL;
	const char *word = strtok(z->line, " "); /* writes strtok's static pointer */
	snprintf(z->first, sizeof z->first, "%s", word ? word : "");
	if (z->index == 0)
		tl_stage_done(&first_done);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tl_lab_opts o = {.threads = 2, .iterations = 1, .seed = 1, .threads_max = 2};
	tl_lab_init(argc, argv, "Two threads call strtok once each, on their own lines.", &o);
	tl_stage_init(&first_done);
	static struct tokenizer z[2] = {{.index = 0}, {.index = 1}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		tl_lab_thread_create(&t[i], tokenize, &z[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (strcmp(z[0].first, "t0w0") || strcmp(z[1].first, "t1w0")) {
		fprintf(stderr, "probe: first words \"%s\" and \"%s\"\n", z[0].first, z[1].first);
		abort(); /* a set-up that failed must not pass for "clean" */
	}
	return tl_lab_result(TL_EXIT_OK, "both threads got their own first word from strtok");
}
