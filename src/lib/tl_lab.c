/* tl_lab — the command line every lab program shares, and its result line. */
#include "config.h"

#include "tl_lab.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_log.h"
#include "tl_watchdog.h"

static const char *lab_name = "lab";

const char *tl_lab_name(void)
{
	return lab_name;
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s (try --help)\n", lab_name, msg);
	exit(TL_EXIT_USAGE);
}

static long parse_number(const char *flag, const char *text, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0')
		usage_error("%s: '%s' is not a number", flag, text);
	if (v < min || v > max)
		usage_error("%s: %ld is out of range %ld..%ld", flag, v, min, max);
	return v;
}

static _Noreturn void print_help(const char *lesson, const struct tl_lab_opts *opts)
{
	printf("usage: %s [--threads N] [--iterations N] [--seed N] [--quiet] "
	       "[--no-watchdog | --hold]\n%s\n"
	       "defaults: --threads %ld --iterations %ld --seed %lu\n"
	       "--no-watchdog: let a hang hang; --hold: after the watchdog's "
	       "verdict, keep the process at its hang for %d s\n"
	       "  (x THREADLAB_SLOWDOWN) or until SIGTERM, for `threadstat doctor PID`\n"
	       "exit: 0 ok, 2 usage, 3 wrong result, 4 deadlock, 5 livelock, "
	       "6 thread leak, 7 timeout\n",
	       lab_name, lesson, opts->threads, opts->iterations, opts->seed,
	       TL_WATCHDOG_HOLD_MS / 1000);
	exit(TL_EXIT_OK);
}

void tl_lab_init(int argc, char **argv, const char *lesson, struct tl_lab_opts *opts)
{
	if (argc > 0 && argv[0]) {
		/* "labs/race/counter/broken" reads better than "broken" in errors. */
		const char *p = strstr(argv[0], "labs/");
		lab_name = p ? p : argv[0];
	}
	static const struct option longopts[] = {
	    {"threads", required_argument, NULL, 't'}, {"iterations", required_argument, NULL, 'i'},
	    {"seed", required_argument, NULL, 's'},    {"quiet", no_argument, NULL, 'q'},
	    {"no-watchdog", no_argument, NULL, 'W'},   {"hold", no_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	long threads_min = opts->threads_min > 0 ? opts->threads_min : 1;
	long threads_max = opts->threads_max > 0 ? opts->threads_max : TL_MAX_THREADS;
	long iterations_min = opts->iterations_min > 0 ? opts->iterations_min : 1;
	opterr = 0; /* our own one-line messages */
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			opts->threads = parse_number("--threads", optarg, threads_min, threads_max);
			break;
		case 'i':
			opts->iterations =
			    parse_number("--iterations", optarg, iterations_min, 1000000000L);
			break;
		case 's':
			opts->seed = (unsigned long)parse_number("--seed", optarg, 0, LONG_MAX);
			break;
		case 'q':
			opts->quiet = true;
			break;
		case 'W':
			opts->watchdog = false;
			break;
		case 'H':
			opts->hold = true;
			break;
		case 'h':
			print_help(lesson, opts);
		case ':':
			usage_error("%s needs a value", argv[optind - 1]);
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (opts->hold && !opts->watchdog)
		usage_error("--hold needs the watchdog: it holds the process after its verdict");
	if (opts->hold)
		tl_watchdog_hold(TL_WATCHDOG_HOLD_MS);
	tl_log_init(opts->quiet);
	tl_thread_name("main");
}

int tl_lab_result(enum tl_exit code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return (int)code;
}

void tl_lab_outcome(const char *name, long value)
{
	/* A line for the harness, not for people: only when asked. */
	const char *want = getenv("THREADLAB_OUTCOMES");
	if (!want || strcmp(want, "1"))
		return;
	printf("outcome: %s=%ld\n", name, value);
	fflush(stdout);
}

void tl_lab_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int rc = pthread_create(t, NULL, fn, arg);
	if (rc) {
		fprintf(stderr, "%s: cannot start a thread: %s\n", lab_name, strerror(rc));
		exit(TL_EXIT_FAILURE);
	}
}

int tl_lab_pin_cpu(long index)
{
	cpu_set_t allowed;
	if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
		return 1;
	int n = CPU_COUNT(&allowed);
	if (n < 2)
		return n;
	long want = index % n;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed) || want-- > 0)
			continue;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof one, &one); /* best effort */
		break;
	}
	return n;
}
