/* ts_plot — charts through gnuplot (ts_plot.h).
 *
 * The data goes to two files in a private temporary directory and gnuplot
 * runs a script that reads them: no data on a pipe, so gnuplot's own errors
 * are the only thing on its stderr.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ts_plot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef GNUPLOT_PATH
#define GNUPLOT_PATH "gnuplot"
#endif

/* A thread name as a gnuplot column title: quotes and backslashes would end
 * or escape the string, so they become '_'. */
static void title_of(char *dst, size_t cap, const struct ts_track_thread *t)
{
	char name[64];
	size_t i;

	snprintf(name, sizeof(name), "%s", t->name);
	for (i = 0; name[i]; i++)
		if (name[i] == '"' || name[i] == '\\' || (unsigned char)name[i] < 0x20 ||
		    (unsigned char)name[i] >= 0x7f)
			name[i] = '_';
	snprintf(dst, cap, "%s (%d)", name, (int)t->tid);
}

static int write_data(const struct ts_track *tr, const char *dir, size_t *top, size_t ntop)
{
	char path[PATH_MAX], title[96];
	double *row;
	FILE *f;
	size_t p = 0;

	snprintf(path, sizeof(path), "%s/counts.dat", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	for (size_t k = 0; k < tr->ns; k++)
		fprintf(f, "%.3f %ld %.3f\n", tr->s[k].t_s, tr->s[k].threads, tr->s[k].rss_mib);
	if (fclose(f) != 0)
		return -1;

	snprintf(path, sizeof(path), "%s/cpu.dat", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs("\"time\"", f);
	for (size_t i = 0; i < ntop; i++) {
		title_of(title, sizeof(title), &tr->th[top[i]]);
		fprintf(f, " \"%s\"", title);
	}
	fputs(" \"others\"\n", f);
	row = malloc((ntop + 1) * sizeof(*row));
	if (row == NULL) {
		fclose(f);
		return -1;
	}
	/* Points are in sample order: one row per sample. */
	for (size_t k = 0; k < tr->ns; k++) {
		for (size_t i = 0; i <= ntop; i++)
			row[i] = i == ntop ? 0 : NAN;
		for (; p < tr->np && tr->pts[p].sample == k; p++) {
			size_t i;

			for (i = 0; i < ntop; i++)
				if (top[i] == tr->pts[p].thread)
					break;
			if (i < ntop)
				row[i] = tr->pts[p].cpu_pct;
			else
				row[ntop] += tr->pts[p].cpu_pct;
		}
		fprintf(f, "%.3f", tr->s[k].t_s);
		for (size_t i = 0; i <= ntop; i++) {
			if (isnan(row[i]))
				fputs(" ?", f);
			else
				fprintf(f, " %.1f", row[i]);
		}
		fputc('\n', f);
	}
	free(row);
	return fclose(f) == 0 ? 0 : -1;
}

static int write_script(const struct ts_track *tr, const char *dir, size_t ntop)
{
	char path[PATH_MAX], name[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/plot.gp", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	snprintf(name, sizeof(name), "%s", tr->name);
	for (size_t i = 0; name[i]; i++)
		if (name[i] == '"' || name[i] == '\\' || (unsigned char)name[i] < 0x20)
			name[i] = '_';
	fprintf(f,
	        "set terminal pngcairo size 1100,800 noenhanced font 'sans,10'\n"
	        "set output \"%s/chart.png\"\n"
	        "set datafile missing '?'\n"
	        "set grid\n"
	        "set key outside right top\n"
	        "set multiplot layout 2,1 title \"threadstat: pid %d (%s), %zu samples\"\n"
	        "set title 'CPU per thread'\n"
	        "set xlabel 'time (s)'\n"
	        "set ylabel 'CPU %%'\n"
	        "set yrange [0:*]\n"
	        "plot for [i=2:%zu] '%s/cpu.dat' using 1:i with lines lw 2 title columnheader(i)\n"
	        "set title 'threads and memory'\n"
	        "set ylabel 'threads'\n"
	        "set y2label 'RSS (MiB)'\n"
	        "set ytics nomirror\n"
	        "set y2tics\n"
	        "set y2range [0:*]\n"
	        "plot '%s/counts.dat' using 1:2 with steps lw 2 title 'threads', "
	        "'' using 1:3 axes x1y2 with lines lw 2 title 'RSS (MiB)'\n"
	        "unset multiplot\n",
	        dir, (int)tr->pid, name, tr->ns, ntop + 2, dir, dir);
	return fclose(f) == 0 ? 0 : -1;
}

/* Copies the chart gnuplot drew to where the user asked, checking every
 * write (gnuplot does not say when its own fail): 0, or -1 with errno and
 * nothing left at dst. */
static int copy_chart(const char *src, const char *dst)
{
	char buf[65536];
	ssize_t n = 0;
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, e;

	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0, w; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) < 0) {
				n = -1;
				goto done;
			}
done:
	e = errno;
	close(in);
	if (out >= 0 && close(out) != 0 && n == 0) {
		n = -1;
		e = errno;
	}
	if (out < 0 || n < 0) {
		if (out >= 0)
			unlink(dst);
		errno = e;
		return -1;
	}
	return 0;
}

static void remove_dir(const char *dir)
{
	static const char *const files[] = {"counts.dat", "cpu.dat", "plot.gp", "chart.png"};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int ts_plot(const struct ts_track *tr, const char *png)
{
	char dir[PATH_MAX], script[PATH_MAX], chart[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	size_t *idx, ntop;
	struct stat st;
	int status, rc = -1;
	pid_t child;

	if (tr->ns == 0) {
		fprintf(stderr, "threadstat: --plot: no samples to draw\n");
		return -1;
	}
	if (strpbrk(png, "\"\\\n") != NULL) {
		fprintf(stderr, "threadstat: --plot: a file name with quotes, backslashes or "
		                "newlines is not supported\n");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/threadstat.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "threadstat: --plot: cannot make a temporary directory: %s\n",
		        strerror(errno));
		return -1;
	}
	idx = ts_track_by_cpu(tr);
	if (idx == NULL) {
		fprintf(stderr, "threadstat: --plot: out of memory\n");
		goto out;
	}
	ntop = tr->n < TS_PLOT_TOP ? tr->n : TS_PLOT_TOP;
	if (write_data(tr, dir, idx, ntop) != 0 || write_script(tr, dir, ntop) != 0) {
		fprintf(stderr, "threadstat: --plot: cannot write in %s: %s\n", dir,
		        strerror(errno));
		goto out;
	}
	snprintf(script, sizeof(script), "%s/plot.gp", dir);
	snprintf(chart, sizeof(chart), "%s/chart.png", dir);
	unlink(png); /* so that a stale chart is never taken for a new one */
	child = fork();
	if (child < 0) {
		fprintf(stderr, "threadstat: --plot: fork: %s\n", strerror(errno));
		goto out;
	}
	if (child == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execlp(GNUPLOT_PATH, GNUPLOT_PATH, script, (char *)NULL);
		fprintf(stderr,
		        "threadstat: --plot needs gnuplot (%s): %s; apt-get install gnuplot-nox\n",
		        GNUPLOT_PATH, strerror(errno));
		_exit(127);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		goto out; /* the child said why */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || stat(chart, &st) != 0 ||
	    st.st_size == 0) {
		fprintf(stderr, "threadstat: --plot: gnuplot did not write %s\n", png);
		goto out;
	}
	if (copy_chart(chart, png) != 0) {
		fprintf(stderr, "threadstat: --plot: cannot write %s: %s\n", png, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(idx);
	remove_dir(dir);
	return rc;
}
