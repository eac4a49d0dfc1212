/* fuzz_spec — the `expect` header and `@anchor` parser (tl_spec.c) on
 * arbitrary bytes: any lab source.
 *
 * The corpus: every labs/CAT/NAME/{broken,fixed,demo,probe}.c and
 * tests/fixtures/fuzz/spec.  What a successful parse fills in must hold
 * together (every anchor use names a marked anchor, every string ends inside
 * its array); a failure is one "LINE: message" line.  fuzz.h says how the
 * target is built and replayed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fuzz.h"
#include "tl_spec.h"

#include <string.h>

#define ENDS_INSIDE(array) (memchr((array), '\0', sizeof(array)) != NULL)

static void check_expectation(const struct tl_spec *spec, const struct tl_expectation *e)
{
	REQUIRE(ENDS_INSIDE(e->note));
	if (!e->present) {
		REQUIRE(e->verdicts == 0 && e->nuses == 0 && e->note[0] == '\0');
		return;
	}
	REQUIRE(e->verdicts != 0 && (e->verdicts >> TL_V_COUNT) == 0);
	REQUIRE(e->line >= 2);
	REQUIRE(e->nuses <= TL_SPEC_MAX_USES);
	for (size_t u = 0; u < e->nuses; u++) {
		REQUIRE(e->uses[u].anchor >= 0 && (size_t)e->uses[u].anchor < spec->nanchors);
		REQUIRE(e->verdicts & (1u << e->uses[u].verdict));
		REQUIRE(e->uses[u].verdict != TL_V_CLEAN);
	}
}

static void check_spec(const struct tl_spec *spec, size_t len)
{
	REQUIRE(ENDS_INSIDE(spec->title) && spec->title[0] != '\0');
	REQUIRE(ENDS_INSIDE(spec->lesson));
	REQUIRE(spec->nanchors <= TL_SPEC_MAX_ANCHORS);
	for (size_t i = 0; i < spec->nanchors; i++) {
		REQUIRE(ENDS_INSIDE(spec->anchors[i].name) && spec->anchors[i].name[0] != '\0');
		REQUIRE(spec->anchors[i].line >= 2 && (size_t)spec->anchors[i].line <= len + 1);
	}
	for (int t = 0; t < TL_TOOL_COUNT; t++)
		check_expectation(spec, &spec->expect[t]);
	REQUIRE(spec->nbench <= TL_SPEC_MAX_BENCH);
	for (size_t b = 0; b < spec->nbench; b++) {
		const struct tl_bench *bench = &spec->bench[b];
		int goals = bench->kind == TL_BENCH_SPEEDUP ? 2 : 1;

		REQUIRE(bench->kind == TL_BENCH_RATIO || bench->kind == TL_BENCH_SPEEDUP);
		REQUIRE(bench->nargs <= TL_BENCH_MAX_ARGS);
		for (int g = 0; g < goals; g++)
			REQUIRE(bench->goal[g].value > 0 && ENDS_INSIDE(bench->goal[g].text));
		for (size_t a = 0; a < bench->nargs; a++)
			REQUIRE(ENDS_INSIDE(bench->args[a]) && bench->args[a][0] != '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tl_spec spec; /* 20 KB: off the stack */
	char *src = fuzz_exact_copy(data, size);
	char err[256];
	int rc;

	if (src == NULL)
		return 0;
	memset(err, 'x', sizeof err);
	rc = tl_spec_parse(src, size, &spec, err, sizeof err);
	REQUIRE(rc == 0 || rc == -1);
	REQUIRE(ENDS_INSIDE(err));
	if (rc == 0) {
		REQUIRE(err[0] == '\0');
		check_spec(&spec, size);
	} else {
		/* "LINE: message", one clear line even where it quotes the
		 * source: no control character. */
		REQUIRE(err[0] >= '0' && err[0] <= '9' && strstr(err, ": ") != NULL);
		for (const char *p = err; *p; p++)
			REQUIRE((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	free(src);
	return 0;
}
