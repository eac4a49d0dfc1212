/* runner_tour — the main job: a short guided run of the flagship labs.
 * Each step runs a real program and says what it showed; the tour fails
 * (exit 1) if a step does not show what its lab's header expects. */
#include "config.h"

#include <string.h>

#include "runner.h"
#include "tl_buf.h"

static void say(const char *text)
{
	fputs(text, stdout);
	fflush(stdout);
}

/* Prints line `line` of a source file, trimmed. */
static void quote_line(const struct lab *lab, int variant, int line)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/%s.c", lab->dir, lab_variant_names[variant]);
	tl_buf src = {0};
	if (tl_buf_read_file(&src, path) == 0) {
		const char *p = src.data;
		for (int i = 1; i < line && p; i++)
			if ((p = strchr(p, '\n')))
				p++;
		if (p) {
			while (*p == ' ' || *p == '\t')
				p++;
			printf("        %d | %.*s\n", line, (int)strcspn(p, "\n"), p);
		}
	}
	tl_buf_free(&src);
}

/* Runs one program under one tool, prints the verdict, checks it. */
static bool step(const struct labs *labs, const char *id, int variant, enum tl_tool tool)
{
	const struct lab *lab = labs_find(labs, id);
	char why[256], rel[PATH_MAX], err[320];
	if (!lab || !lab->has[variant]) {
		printf("   (lab %s is missing)\n", id);
		return false;
	}
	if (!tool_available(tool, why, sizeof why)) {
		printf("   skipped: %s\n", why);
		return true;
	}
	struct tl_spec spec;
	if (lab_spec(lab, variant, &spec, err, sizeof err)) {
		printf("   %s\n", err);
		return false;
	}
	lab_source_rel(lab, variant, rel, sizeof rel);
	printf("\n$ threadlab run %s %s --tool %s\n", id, lab_variant_names[variant], tl_tool_name(tool));
	fflush(stdout);
	struct outcome o;
	lab_execute(lab, variant, tool, tool == TL_TOOL_RUN, &o);
	bool ok = false;
	if (o.error) {
		printf("   %s\n", o.msg);
	} else {
		char got[256];
		tl_verdict_set_format(o.got, got, sizeof got);
		printf("   verdict: %s (%.2f s)\n", got, o.res.wall_ms / 1000);
		outcome_print_reports(stdout, &o, rel, "     ");
		for (size_t i = 0; i < o.reports.n; i++) {
			const struct tl_frame *f = tl_report_first_frame_in(&o.reports.v[i], rel);
			if (f && f->line > 0) {
				quote_line(lab, variant, f->line);
				break;
			}
		}
		tl_buf whybuf = {0};
		ok = outcome_matches(&spec, tool, rel, &o, &whybuf);
		if (!ok)
			printf("   NOT what %s expects:\n%s", rel, whybuf.data);
		tl_buf_free(&whybuf);
	}
	outcome_free(&o);
	return ok;
}

int cmd_tour(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		runner_error("usage: threadlab tour");
		return RUNNER_USAGE;
	}
	struct labs labs;
	if (labs_load(&labs))
		return RUNNER_ERROR;
	bool ok = true;
	say("threadlab tour: four minutes of threading bugs you can watch happen.\n"
	    "\n"
	    "1. A race.  Two threads add 1 to a shared counter 100,000 times each.\n"
	    "   counter++ is a load, an add and a store; when both threads load the\n"
	    "   same value, one of the two additions is lost.\n");
	ok &= step(&labs, "race/counter", 0, TL_TOOL_RUN);
	say("\n2. The same program under ThreadSanitizer, which records who touched\n"
	    "   each word of memory and under which locks.  It names the line:\n");
	ok &= step(&labs, "race/counter", 0, TL_TOOL_TSAN);
	say("\n3. The fix is one mutex around the increment (threadlab show counter\n"
	    "   prints the diff).  Now the total is exact and TSan is silent:\n");
	ok &= step(&labs, "race/counter", 1, TL_TOOL_RUN);
	ok &= step(&labs, "race/counter", 1, TL_TOOL_TSAN);
	say("\n4. A deadlock.  Two threads take the same two mutexes in opposite\n"
	    "   orders.  Nothing crashes: the program just stops.  Its watchdog\n"
	    "   sees no progress and no CPU use, and ends it with a verdict:\n");
	ok &= step(&labs, "deadlock/lock-order", 0, TL_TOOL_RUN);
	say("\n   TSan stays silent on that hang: it reports an inversion only when\n"
	    "   both orders have succeeded once, and here the second never does.\n");
	ok &= step(&labs, "deadlock/lock-order", 0, TL_TOOL_TSAN);
	say("\n   Now the same two orders, one after the other, so nothing hangs.\n"
	    "   This time TSan has seen both orders succeed, and it names the\n"
	    "   lines: a detector sees the order, not the hang.\n");
	ok &= step(&labs, "deadlock/lock-order-latent", 0, TL_TOOL_TSAN);
	say("\n5. A livelock.  Two polite threads take one lock, try the other,\n"
	    "   back off and retry, in lockstep.  They never block, so this is no\n"
	    "   deadlock: the watchdog sees their CPU time climb while progress\n"
	    "   stands still.\n");
	ok &= step(&labs, "livelock/polite-trylock", 0, TL_TOOL_RUN);
	say("\n6. A thread leak.  Threads started and never joined keep their stacks\n"
	    "   mapped; the program counts them in /proc/self/maps:\n");
	ok &= step(&labs, "leak/unjoined", 0, TL_TOOL_RUN);
	say("\nNext: threadlab list      every lab and its lesson\n"
	    "      threadlab show LAB  the lesson and the broken -> fixed diff\n"
	    "      make check          every program under every detector\n");
	labs_free(&labs);
	if (!ok)
		say("\nThe tour did not go as its labs expect: see above.\n");
	return ok ? RUNNER_OK : RUNNER_FAIL;
}
