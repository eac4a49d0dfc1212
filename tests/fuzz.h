/* fuzz.h — what every fuzz target (tests/fuzz_*.c) shares.
 *
 * A target defines LLVMFuzzerTestOneInput.  Built with -fsanitize=fuzzer it
 * is a libFuzzer target; built with -DTL_FUZZ_REPLAY, tests/fuzz_replay.c
 * gives it a main() that replays the files named on its command line, so the
 * parsers still meet their corpus where libFuzzer is missing (gcc).
 * tests/fuzz.sh builds the corpora and runs either.
 */
#ifndef TL_FUZZ_H
#define TL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is a crash, so that libFuzzer keeps the input. */
#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* data[0..size) in an allocation of exactly that size (at least one byte),
 * so that a parser reading one byte past the length it was given is caught by
 * AddressSanitizer (libFuzzer's own buffer ends there too, a replayed file's
 * may not).  NULL when out of memory: the input is then skipped. */
char *fuzz_exact_copy(const uint8_t *data, size_t size);

#endif
