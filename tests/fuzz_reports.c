/* fuzz_reports — the checks fuzz_reports.h declares. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fuzz_reports.h"

#include "fuzz.h"

#include <string.h>

static void check_report(const struct tl_report *r)
{
	REQUIRE(r->verdict >= TL_V_CLEAN && r->verdict < TL_V_COUNT);
	REQUIRE(r->verdict != TL_V_CLEAN);
	REQUIRE(r->kind != NULL);
	REQUIRE(r->what != NULL);
	REQUIRE((r->nstacks == 0) == (r->stacks == NULL));
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct tl_stack *s = &r->stacks[i];

		REQUIRE((s->nframes == 0) == (s->frames == NULL));
		for (size_t j = 0; j < s->nframes; j++) {
			REQUIRE(s->frames[j].line >= 0);
			/* Read every string through: ASan sees a missing NUL. */
			if (s->frames[j].func != NULL)
				(void)strlen(s->frames[j].func);
			if (s->frames[j].file != NULL)
				(void)strlen(s->frames[j].file);
		}
		if (s->title != NULL)
			(void)strlen(s->title);
	}
	(void)strlen(r->kind);
	(void)strlen(r->what);
	/* The runner's questions about a report: where it points. */
	(void)tl_report_points_at(r, "broken.c", 1);
	(void)tl_report_first_frame_in(r, "c");
}

static void check_parse(const char *text, size_t len)
{
	struct tl_reports out;
	char err[256], words[256];
	int rc;

	memset(err, 'x', sizeof err);
	rc = fuzz_target_parser(text, len, &out, err, sizeof err);
	REQUIRE(rc == 0 || rc == -1);
	REQUIRE(memchr(err, '\0', sizeof err) != NULL);
	if (rc == 0) {
		REQUIRE(err[0] == '\0');
	} else {
		REQUIRE(err[0] != '\0');
		for (const char *p = err; *p; p++)
			REQUIRE((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	REQUIRE((out.n == 0) == (out.v == NULL));
	for (size_t i = 0; i < out.n; i++)
		check_report(&out.v[i]);
	tl_verdict_set_format(tl_reports_verdicts(&out), words, sizeof words);
	(void)tl_reports_unsymbolized(&out);
	tl_reports_free(&out);
	REQUIRE(out.v == NULL && out.n == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_exact_copy(data, size);

	if (text == NULL)
		return 0;
	check_parse(text, size);
	free(text);
	return 0;
}
