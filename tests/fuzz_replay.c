/* fuzz_replay — main() for a fuzz target built without libFuzzer
 * (-DTL_FUZZ_REPLAY): every file named on the command line goes through
 * LLVMFuzzerTestOneInput whole and cut short, at every length up to
 * REPLAY_EVERY_BYTE and after that at each line break (before and after the
 * '\n'), where a truncated report or header is most likely to be cut.
 * fuzz_exact_copy is here too: every target links this file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

char *fuzz_exact_copy(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);

	if (buf != NULL && size > 0)
		memcpy(buf, data, size);
	return buf;
}

#ifdef TL_FUZZ_REPLAY
#define REPLAY_EVERY_BYTE 2048

/* Reads a whole file; NULL on error (said on stderr). */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, got = 0, r;

	if (f == NULL) {
		perror(path);
		return NULL;
	}
	do {
		if (cap - got < 4096) {
			uint8_t *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				fprintf(stderr, "fuzz: out of memory\n");
				return NULL;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		r = fread(buf + got, 1, cap - got, f);
		got += r;
	} while (r > 0);
	if (ferror(f)) {
		perror(path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = got;
	return buf;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	unsigned long runs = 0;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", name);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		size_t len, k;
		uint8_t *text = slurp(argv[i], &len);

		if (text == NULL)
			return 1;
		for (k = 0; k <= len; k++) {
			bool at_line_break =
			    (k < len && text[k] == '\n') || (k > 0 && text[k - 1] == '\n');

			if (k <= REPLAY_EVERY_BYTE || k == len || at_line_break) {
				LLVMFuzzerTestOneInput(text, k);
				runs++;
			}
		}
		free(text);
	}
	printf("%s: %d files replayed, %lu runs, no failure\n", name, argc - 1, runs);
	return 0;
}
#endif
