/* runner_opts — one command line parser for every subcommand (getopt_long
 * over the command's own table), and the help texts made from the same
 * tables, so that what a command accepts and what its help says cannot
 * differ. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

const struct runner_command *runner_command_find(const char *name)
{
	for (const struct runner_command *const *c = runner_commands; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

/* "run LAB [broken|fixed|demo] [--tool T]" */
static void command_synopsis(const struct runner_command *cmd, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", cmd->name, *cmd->synopsis ? " " : "", cmd->synopsis);
}

void runner_overview(FILE *f)
{
	char tools[128], left[96];
	int width = (int)strlen("--version");
	for (const struct runner_command *const *c = runner_commands; *c; c++) {
		command_synopsis(*c, left, sizeof left);
		if ((int)strlen(left) > width)
			width = (int)strlen(left);
	}
	fputs("usage: threadlab COMMAND [ARGS]\n"
	      "       threadlab help COMMAND   (or COMMAND --help): the command's options\n"
	      "\n",
	      f);
	for (const struct runner_command *const *c = runner_commands; *c; c++) {
		command_synopsis(*c, left, sizeof left);
		fprintf(f, "  %-*s  %s\n", width, left, (*c)->summary);
	}
	tl_tool_list(tools, sizeof tools);
	fprintf(f,
	        "\n"
	        "  %-*s  %s\n"
	        "\n"
	        "Tools: %s (run: natively, no detector).\n"
	        "LAB is category/name (race/counter) or a unique name (counter).\n",
	        width, "--version", "print threadlab's version", tools);
}

/* The option's column in a command's help: "-v, --verbose" or "    --tool T". */
static void option_left(const struct runner_option *o, char *buf, size_t len)
{
	char shortname[8] = "    ";
	if (o->key < RUNNER_OPT_LONG)
		snprintf(shortname, sizeof shortname, "-%c, ", o->key);
	snprintf(buf, len, "%s--%s%s%s", shortname, o->name, o->value ? " " : "",
	         o->value ? o->value : "");
}

void runner_command_help(const struct runner_command *cmd, FILE *f)
{
	static const struct runner_option help = {"help", 'h', NULL, "this text"};
	char left[96];
	command_synopsis(cmd, left, sizeof left);
	fprintf(f, "usage: threadlab %s\n%s\n\noptions:\n", left, cmd->summary);
	for (const struct runner_option *o = cmd->options; o && o->name; o++) {
		option_left(o, left, sizeof left);
		fprintf(f, "  %-22s %s\n", left, o->help);
	}
	option_left(&help, left, sizeof left);
	fprintf(f, "  %-22s %s\n", left, help.help);
}

void runner_args_start(struct runner_args *a, const struct runner_command *cmd, int argc,
                       char **argv)
{
	memset(a, 0, sizeof *a);
	a->cmd = cmd;
	a->argc = argc;
	a->argv = argv;
	a->pos = argv + 1;
	/* '-': positional arguments come back in order (as key 1) wherever
	 * they stand, even under POSIXLY_CORRECT; ':': a missing value is
	 * told apart from an unknown option. */
	size_t n = 0, s = 0;
	a->shortopts[s++] = '-';
	a->shortopts[s++] = ':';
	for (const struct runner_option *o = cmd->options; o && o->name && n < RUNNER_MAX_OPTIONS;
	     o++, n++) {
		a->longopts[n] = (struct option){
		    o->name, o->value ? required_argument : no_argument, NULL, o->key};
		if (o->key < RUNNER_OPT_LONG) {
			a->shortopts[s++] = (char)o->key;
			if (o->value)
				a->shortopts[s++] = ':';
		}
	}
	a->longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
	a->shortopts[s++] = 'h';
	a->shortopts[s] = '\0';
	optind = 0; /* glibc: start afresh */
	opterr = 0;
}

/* The long option "--text[=value]" names as getopt_long reads it: an exact
 * name, else the only one it begins; NULL when none or (*ambiguous) several. */
static const struct option *long_option_named(const struct runner_args *a, const char *text,
                                              bool *ambiguous)
{
	size_t len = strcspn(text, "=");
	const struct option *hit = NULL;
	int hits = 0;
	*ambiguous = false;
	for (const struct option *o = a->longopts; o->name; o++) {
		if (strncmp(o->name, text, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		hit = o;
		hits++;
	}
	*ambiguous = hits > 1;
	return hits == 1 ? hit : NULL;
}

/* One line on stderr for a bad option at argv[at]: getopt_long said c. */
static void option_error(const struct runner_args *a, int at, int c)
{
	const char *cmd = a->cmd->name, *text = a->argv[at];
	if (strncmp(text, "--", 2)) {
		if (c == ':')
			runner_error("%s: -%c needs a value", cmd, optopt);
		else
			runner_error("%s: unknown option '-%c' (threadlab %s --help)", cmd, optopt,
			             cmd);
		return;
	}
	int len = (int)strcspn(text, "=");
	bool ambiguous;
	const struct option *o = long_option_named(a, text + 2, &ambiguous);
	if (c == ':')
		runner_error("%s: --%s needs a value", cmd, o ? o->name : text + 2);
	else if (ambiguous)
		runner_error("%s: '%.*s' is short for more than one option (threadlab %s --help)",
		             cmd, len, text, cmd);
	else if (o && text[len] == '=')
		runner_error("%s: --%s takes no value", cmd, o->name);
	else
		runner_error("%s: unknown option '%.*s' (threadlab %s --help)", cmd, len, text,
		             cmd);
}

int runner_next_option(struct runner_args *a)
{
	for (;;) {
		int at = optind ? optind : 1;
		int c = getopt_long(a->argc, a->argv, a->shortopts, a->longopts, NULL);
		if (c == 1) {
			/* Gathered at the front of argv: getopt has read those
			 * slots already and, returning arguments in order, never
			 * goes back to them. */
			a->pos[a->npos++] = optarg;
			continue;
		}
		if (c == 'h') {
			runner_command_help(a->cmd, stdout);
			a->status = RUNNER_OK;
			return -1;
		}
		if (c == '?' || c == ':') {
			option_error(a, at, c);
			a->status = RUNNER_USAGE;
			return -1;
		}
		if (c != -1) {
			a->value = optarg;
			return c;
		}
		break;
	}
	if (a->cmd->lab_args) { /* after "--": the lab program's own arguments */
		a->lab_args = a->argv + optind;
		a->nlab_args = a->argc - optind;
	} else {
		for (int i = optind; i < a->argc; i++) /* after "--" */
			a->pos[a->npos++] = a->argv[i];
	}
	const struct runner_command *cmd = a->cmd;
	char synopsis[96];
	command_synopsis(cmd, synopsis, sizeof synopsis);
	if (a->npos < cmd->min_args) {
		runner_error("usage: threadlab %s", synopsis);
	} else if (cmd->max_args >= 0 && a->npos > cmd->max_args) {
		runner_error("%s: unexpected argument '%s' (usage: threadlab %s)", cmd->name,
		             a->pos[cmd->max_args], synopsis);
	} else {
		return 0;
	}
	a->status = RUNNER_USAGE;
	return -1;
}
