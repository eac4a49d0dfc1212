/* bench_stats — see bench_stats.h. */
#include "bench_stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *bench_name = "bench";

void bench_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", bench_name);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void bench_add(struct bench_series *s, double v)
{
	if (s->n < BENCH_MAX_ROUNDS)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(const struct bench_series *s)
{
	double sorted[BENCH_MAX_ROUNDS];
	int n = s->n;
	if (n == 0)
		return NAN;
	memcpy(sorted, s->v, (size_t)n * sizeof *sorted);
	qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

double bench_lowest(const struct bench_series *s)
{
	double m = s->n ? s->v[0] : NAN;
	for (int i = 1; i < s->n; i++)
		m = fmin(m, s->v[i]);
	return m;
}

double bench_highest(const struct bench_series *s)
{
	double m = s->n ? s->v[0] : NAN;
	for (int i = 1; i < s->n; i++)
		m = fmax(m, s->v[i]);
	return m;
}

int bench_repeat_until_stable(void (*round)(void *ctx), void *ctx, struct bench_series *const *s,
                              int n, int max_rounds)
{
	double before[16];
	int rounds = 0;
	bool stable = false;
	if (n > 16)
		bench_die("bench_repeat_until_stable: %d series, at most 16", n);
	while (rounds < max_rounds && !(rounds >= BENCH_MIN_ROUNDS && stable)) {
		for (int i = 0; i < n && rounds > 0; i++)
			before[i] = bench_median(s[i]);
		round(ctx);
		rounds++;
		stable = rounds > 1;
		for (int i = 0; i < n && stable; i++) {
			double now = bench_median(s[i]);
			stable = fabs(now - before[i]) <= fabs(before[i]) * BENCH_STABLE_PCT / 100;
		}
	}
	return rounds;
}

int bench_shown_width(const char *text)
{
	int w = 0;
	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		w += (*c & 0xc0) != 0x80;
	return w;
}

void bench_print_figure(const char *name, const struct bench_series *s, int decimals,
                        const char *unit)
{
	char value[64];
	snprintf(value, sizeof value, "%.*f%s", decimals, bench_median(s), unit);
	printf("  %-*s %*s%s [%.*f–%.*f]", BENCH_NAME_WIDTH, name,
	       BENCH_VALUE_WIDTH - bench_shown_width(value), "", value, decimals, bench_lowest(s),
	       decimals, bench_highest(s));
}

void bench_print_ratio(const struct bench_series *r, const char *what)
{
	printf("   %.2f× %s [%.2f–%.2f]", bench_median(r), what, bench_lowest(r), bench_highest(r));
}

bool bench_print_goal(double value, bool at_most, double goal, const char *goal_text)
{
	bool met = at_most ? value <= goal : value >= goal;
	printf("   goal %s %s: %s", at_most ? "≤" : "≥", goal_text, met ? "met" : "MISSED");
	return met;
}

void bench_load_average(char *out, size_t size)
{
	double l1, l5, l15;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
		snprintf(out, size, "%.2f %.2f %.2f", l1, l5, l15);
	else
		snprintf(out, size, "unknown");
	if (f)
		fclose(f);
}

uint64_t bench_spin(uint64_t iterations)
{
	uint64_t x = iterations;
	for (uint64_t i = 0; i < iterations; i++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		__asm__ volatile("" : "+r"(x)); /* hides the value from the optimiser */
	}
	return x;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint64_t bench_spin_per_ms(void)
{
	const uint64_t probe = 1u << 22;
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 7; i++) {
		uint64_t t0 = thread_cpu_ns();
		bench_spin(probe);
		uint64_t t = thread_cpu_ns() - t0;
		if (t < best)
			best = t;
	}
	return probe * 1000000u / (best ? best : 1);
}
