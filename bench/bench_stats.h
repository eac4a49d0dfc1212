/* bench_stats — what every benchmark in bench/ shares: series of rounds,
 * their median and spread, the "repeat until stable" rule, and the aligned
 * report lines with their goals.
 *
 * A benchmark measures its contenders in rounds, taking turns within each
 * round, so that a change in the machine's load falls on all of them alike;
 * ratios are taken within a round.  Rounds go on until no series' median
 * moved by more than BENCH_STABLE_PCT in the last one (at least
 * BENCH_MIN_ROUNDS, at most the caller's cap).  Timing never makes a
 * benchmark fail: a goal not reached is printed as MISSED.
 */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_MIN_ROUNDS 5
#define BENCH_MAX_ROUNDS 40
#define BENCH_STABLE_PCT 2.0

/* The name bench_die puts in front of its message ("pool-bench"). */
extern const char *bench_name;

/* One line "NAME: MESSAGE" on stderr, exit 1: a measurement that cannot run. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

struct bench_series {
	double v[BENCH_MAX_ROUNDS];
	int n;
};

void bench_add(struct bench_series *s, double v);
double bench_median(const struct bench_series *s);
double bench_lowest(const struct bench_series *s);
double bench_highest(const struct bench_series *s);

/* Calls round(ctx) (which adds one value to each of the n series, n ≤ 16)
 * until at least BENCH_MIN_ROUNDS ran and no series' median moved by more
 * than BENCH_STABLE_PCT in the last one, or max_rounds ran.  Returns the
 * number of rounds. */
int bench_repeat_until_stable(void (*round)(void *ctx), void *ctx, struct bench_series *const *s,
                              int n, int max_rounds);

#define BENCH_NAME_WIDTH  32
#define BENCH_VALUE_WIDTH 13

/* Columns a terminal shows for UTF-8 text (printf's widths count bytes,
 * and the units here have multi-byte characters such as ×). */
int bench_shown_width(const char *text);

/* "  NAME      VALUEUNIT [MIN–MAX]", no newline; unit is glued to the
 * value, so it brings its own space if it wants one (" ns/task", "×"). */
void bench_print_figure(const char *name, const struct bench_series *s, int decimals,
                        const char *unit);

/* "   MEDIAN× WHAT [MIN–MAX]", no newline: a ratio series against WHAT. */
void bench_print_ratio(const struct bench_series *r, const char *what);

/* "   goal OP GOAL_TEXT: met|MISSED" (at_most: OP is ≤, else ≥); returns
 * whether the goal was met. */
bool bench_print_goal(double value, bool at_most, double goal, const char *goal_text);

/* "L1 L5 L15" from /proc/loadavg, or "unknown". */
void bench_load_average(char *out, size_t size);

/* CPU work that cannot be skipped (each step needs the one before), and
 * how many of its iterations take 1 ms of this thread's CPU time: the
 * fastest of several timed runs, the others having lost time to other
 * processes. */
uint64_t bench_spin(uint64_t iterations);
uint64_t bench_spin_per_ms(void);

#endif
