/* threadlab — the runner: list labs, show a lesson, run a program under a
 * detector, check programs against the expectations in their headers. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

static const char usage[] =
	"usage: threadlab COMMAND [ARGS]\n"
	"\n"
	"  list [CATEGORY]                      labs with their one-line lessons\n"
	"  show LAB                             the lesson, then the broken -> fixed diff\n"
	"  run LAB [broken|fixed|demo] [--tool T]  run one program, print its verdict\n"
	"  check [LAB|CATEGORY...] [--tool T]   run programs and compare with their expectations\n"
	"  stress LAB [broken|fixed] [--runs N] run N times natively: outcome histogram\n"
	"  tour                                 a guided run of the flagship labs\n"
	"\n"
	"LAB is category/name (race/counter) or a unique name (counter).\n";

/* The usage, then the tools (from the table in tl_tool.c). */
static void print_usage(FILE *f)
{
	char tools[128];
	tl_tool_list(tools, sizeof tools);
	fputs(usage, f);
	fprintf(f, "Tools: %s (run: natively, no detector).\n", tools);
}

bool runner_color(void)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(STDOUT_FILENO) && !(nc && *nc);
}

void runner_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("threadlab: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{"list", cmd_list}, {"show", cmd_show}, {"run", cmd_run},
		{"check", cmd_check}, {"stress", cmd_stress}, {"tour", cmd_tour},
	};
	/* Our lines and the echoed output of children share the terminal or
	 * pipe: flush ours at every line so they come out in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		print_usage(stderr);
		return RUNNER_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_usage(stdout);
		return RUNNER_OK;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	runner_error("unknown command '%s' (try threadlab --help)", argv[1]);
	return RUNNER_USAGE;
}
