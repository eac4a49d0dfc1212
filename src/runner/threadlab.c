/* threadlab — the runner: list labs, show a lesson, run a program under a
 * detector, check programs against the expectations in their headers. */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

/* The order of threadlab --help. */
const struct runner_command *const runner_commands[] = {
    &runner_cmd_list,
    &runner_cmd_show,
    &runner_cmd_run,
    &runner_cmd_check,
    &runner_cmd_matrix,
    &runner_cmd_stress,
    &runner_cmd_bench,
    &runner_cmd_try,
    &runner_cmd_tour,
    &runner_cmd_help,
    NULL,
};

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

static int cmd_help(int argc, char **argv)
{
	struct runner_args a;
	runner_args_start(&a, &runner_cmd_help, argc, argv);
	if (runner_next_option(&a))
		return a.status;
	if (!a.npos) {
		runner_overview(stdout);
		return RUNNER_OK;
	}
	if (!strcmp(a.pos[0], "words")) {
		runner_words(stdout);
		return RUNNER_OK;
	}
	if (!strcmp(a.pos[0], "troubleshoot")) {
		runner_troubleshoot(stdout);
		return RUNNER_OK;
	}
	const struct runner_command *cmd = runner_command_find(a.pos[0]);
	if (!cmd) {
		runner_error("help: unknown command '%s' (threadlab --help lists them; "
		             "threadlab help words explains the words, threadlab help troubleshoot "
		             "goes from a symptom to its cause)",
		             a.pos[0]);
		return RUNNER_USAGE;
	}
	runner_command_help(cmd, stdout);
	return RUNNER_OK;
}

const struct runner_command runner_cmd_help = {
    "help",
    "[COMMAND|words|troubleshoot]",
    "this text, COMMAND's options, a glossary, or symptoms to causes",
    0,
    1,
    NULL,
    cmd_help,
    false,
};

/* ^C, kill or a closed terminal: the lab programs running lead their own
 * process groups, so the signal never reaches them; end them all first, then
 * die of the signal, before anything more is printed (a check --test log
 * then never holds a verdict for the interrupted run). */
static void on_stop(int sig)
{
	tl_spawn_kill_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_stop_signals(void)
{
	struct sigaction sa = {.sa_handler = on_stop};
	sigemptyset(&sa.sa_mask);
	static const int stops[] = {SIGHUP, SIGINT, SIGTERM};
	for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
		struct sigaction old;
		/* nohup and `&` in a script leave some ignored: keep that. */
		if (sigaction(stops[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(stops[i], &sa, NULL);
	}
}

int main(int argc, char **argv)
{
	catch_stop_signals();
	/* Our lines and the echoed output of children share the terminal or
	 * pipe: flush ours at every line so they come out in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		runner_overview(stderr);
		return RUNNER_USAGE;
	}
	const char *arg = argv[1];
	const struct runner_command *cmd = runner_command_find(arg);
	if (cmd)
		return cmd->run(argc - 1, argv + 1);
	bool version = !strcmp(arg, "--version");
	if (version || !strcmp(arg, "--help") || !strcmp(arg, "-h")) {
		if (argc > 2) {
			runner_error("unexpected argument '%s' after %s", argv[2], arg);
			return RUNNER_USAGE;
		}
		if (version)
			printf("threadlab %s\n", PACKAGE_VERSION);
		else
			runner_overview(stdout);
		return RUNNER_OK;
	}
	runner_error("unknown %s '%s' (threadlab --help)", arg[0] == '-' ? "option" : "command",
	             arg);
	return RUNNER_USAGE;
}
