/* ts_output — a sample as a table, CSV rows or a JSON line (ts_output.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ts_output.h"

#include <json.h>
#include <string.h>

static const char *const col_name[TS_COL_COUNT] = {
    "tid",  "name",  "state", "cpu_pct", "user_ms", "sys_ms",
    "vcsw", "nvcsw", "wchan", "syscall", "cpu",     "start_s",
};

const char *ts_cols_names(void)
{
	return "tid,name,state,cpu_pct,user_ms,sys_ms,vcsw,nvcsw,wchan,syscall,cpu,start_s "
	       "(or all, cheap)";
}

int ts_cols_parse(const char *list, unsigned *cols, char *bad, size_t badlen)
{
	const char *p = list;
	unsigned mask = 0;

	if (*p == '\0') {
		snprintf(bad, badlen, "(empty)");
		return -1;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		int k;

		if (n == 3 && strncmp(p, "all", 3) == 0) {
			mask |= TS_COLS_ALL;
		} else if (n == 5 && strncmp(p, "cheap", 5) == 0) {
			mask |= TS_COLS_CHEAP;
		} else {
			for (k = 0; k < TS_COL_COUNT; k++)
				if (strlen(col_name[k]) == n && strncmp(p, col_name[k], n) == 0)
					break;
			if (k == TS_COL_COUNT) {
				snprintf(bad, badlen, "%.*s", (int)(n < 40 ? n : 40), p);
				return -1;
			}
			mask |= 1u << k;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	*cols = mask;
	return 0;
}

unsigned ts_cols_fields(unsigned cols)
{
	unsigned f = TS_READ_STAT;

	/* CPU% comes from schedstat's nanoseconds (stat's ticks are 10 ms:
	 * too coarse for a 100 ms interval); schedstat also tells which
	 * threads have not run, whose stat need not be read again. */
	if (cols & ((1u << TS_COL_VCSW) | (1u << TS_COL_NVCSW)))
		f |= TS_READ_STATUS;
	if (cols & (1u << TS_COL_WCHAN))
		f |= TS_READ_WCHAN;
	if (cols & (1u << TS_COL_SYSCALL))
		f |= TS_READ_SYSCALL;
	if (cols & (1u << TS_COL_CPU_PCT))
		f |= TS_READ_SCHED; /* exact CPU%, and lets stat be skipped */
	return f;
}

static bool has(const struct ts_out *o, enum ts_col c)
{
	return (o->cols >> c) & 1u;
}

void ts_csv_field(FILE *f, const char *s)
{
	size_t n = strlen(s);
	bool quote = n > 0 && (strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[n - 1] == ' ');

	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static double start_s(const struct ts_sample *s, const struct ts_thread *t)
{
	long hz = ts_clk_tck();

	if (t->starttime < s->starttime)
		return 0;
	return (double)(t->starttime - s->starttime) / (double)hz;
}

/* "futex", "running", "-", or a number libseccomp has no name for. */
static const char *syscall_text(const struct ts_thread *t, char *buf, size_t len)
{
	const char *name;

	if (!(t->have & TS_READ_SYSCALL))
		return "";
	if (t->syscall == TS_SYSCALL_RUNNING)
		return "running";
	if (t->syscall < 0)
		return "-";
	name = ts_syscall_name(t->syscall);
	if (name != NULL)
		return name;
	snprintf(buf, len, "%ld", t->syscall);
	return buf;
}

/* ------------------------------------------------------------------ CSV */

static void csv_sample(struct ts_out *o, const struct ts_sample *s)
{
	FILE *f = o->f;
	char name[128], sc[32];

	if (!o->header_done) {
		fputs("time_ms,pid", f);
		for (int k = 0; k < TS_COL_COUNT; k++)
			if (has(o, (enum ts_col)k))
				fprintf(f, ",%s", col_name[k]);
		fputc('\n', f);
		o->header_done = true;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct ts_thread *t = &s->thr[i];

		fprintf(f, "%llu,%d", (unsigned long long)(s->t_ns / 1000000), (int)s->pid);
		if (has(o, TS_COL_TID))
			fprintf(f, ",%d", (int)t->tid);
		if (has(o, TS_COL_NAME)) {
			ts_name_clean(name, sizeof(name), t->name);
			fputc(',', f);
			ts_csv_field(f, name);
		}
		if (has(o, TS_COL_STATE))
			fprintf(f, ",%c", t->state);
		if (has(o, TS_COL_CPU_PCT)) {
			if (t->cpu_pct >= 0)
				fprintf(f, ",%.1f", t->cpu_pct);
			else
				fputs(",", f);
		}
		if (has(o, TS_COL_USER))
			fprintf(f, ",%llu", t->utime_ms);
		if (has(o, TS_COL_SYS))
			fprintf(f, ",%llu", t->stime_ms);
		if (has(o, TS_COL_VCSW)) {
			if (t->have & TS_READ_STATUS)
				fprintf(f, ",%llu", t->vcsw);
			else
				fputs(",", f);
		}
		if (has(o, TS_COL_NVCSW)) {
			if (t->have & TS_READ_STATUS)
				fprintf(f, ",%llu", t->nvcsw);
			else
				fputs(",", f);
		}
		if (has(o, TS_COL_WCHAN)) {
			fputc(',', f);
			ts_csv_field(f, (t->have & TS_READ_WCHAN) ? t->wchan : "");
		}
		if (has(o, TS_COL_SYSCALL))
			fprintf(f, ",%s", syscall_text(t, sc, sizeof(sc)));
		if (has(o, TS_COL_CPU))
			fprintf(f, ",%d", t->processor);
		if (has(o, TS_COL_START))
			fprintf(f, ",%.2f", start_s(s, t));
		fputc('\n', f);
	}
}

/* ------------------------------------------------------------------ JSON */

static json_object *jint(unsigned long long v)
{
	return json_object_new_int64(v > (unsigned long long)INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* A number written with `decimals` places, as the table shows it (a plain
 * double would come out as 0.23000000000000001). */
static json_object *jfixed(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

static void json_sample(struct ts_out *o, const struct ts_sample *s)
{
	json_object *root = json_object_new_object(), *tasks = json_object_new_array(),
	            *gone = json_object_new_array();
	char name[128], sc[32];

	ts_name_clean(name, sizeof(name), s->name);
	json_object_object_add(root, "time_ms", jint(s->t_ns / 1000000));
	json_object_object_add(root, "pid", json_object_new_int(s->pid));
	json_object_object_add(root, "name", json_object_new_string(name));
	json_object_object_add(root, "threads", json_object_new_int64(s->threads));
	json_object_object_add(root, "rss_kb", jint(s->rss_kb));
	json_object_object_add(root, "vsize_kb", jint(s->vsize_kb));
	for (size_t i = 0; i < s->n; i++) {
		const struct ts_thread *t = &s->thr[i];
		json_object *j = json_object_new_object();
		char st[2] = {t->state, '\0'};

		if (has(o, TS_COL_TID))
			json_object_object_add(j, "tid", json_object_new_int(t->tid));
		if (has(o, TS_COL_NAME)) {
			ts_name_clean(name, sizeof(name), t->name);
			json_object_object_add(j, "name", json_object_new_string(name));
		}
		if (has(o, TS_COL_STATE))
			json_object_object_add(j, "state", json_object_new_string(st));
		if (has(o, TS_COL_CPU_PCT) && t->cpu_pct >= 0)
			json_object_object_add(j, "cpu_pct", jfixed(t->cpu_pct, 1));
		if (has(o, TS_COL_USER))
			json_object_object_add(j, "user_ms", jint(t->utime_ms));
		if (has(o, TS_COL_SYS))
			json_object_object_add(j, "sys_ms", jint(t->stime_ms));
		if (has(o, TS_COL_VCSW) && (t->have & TS_READ_STATUS))
			json_object_object_add(j, "vcsw", jint(t->vcsw));
		if (has(o, TS_COL_NVCSW) && (t->have & TS_READ_STATUS))
			json_object_object_add(j, "nvcsw", jint(t->nvcsw));
		if (has(o, TS_COL_WCHAN) && (t->have & TS_READ_WCHAN))
			json_object_object_add(j, "wchan", json_object_new_string(t->wchan));
		if (has(o, TS_COL_SYSCALL) && (t->have & TS_READ_SYSCALL))
			json_object_object_add(
			    j, "syscall", json_object_new_string(syscall_text(t, sc, sizeof(sc))));
		if (has(o, TS_COL_CPU))
			json_object_object_add(j, "cpu", json_object_new_int(t->processor));
		if (has(o, TS_COL_START))
			json_object_object_add(j, "start_s", jfixed(start_s(s, t), 2));
		if (t->is_new)
			json_object_object_add(j, "new", json_object_new_boolean(1));
		json_object_array_add(tasks, j);
	}
	for (size_t i = 0; i < s->n_gone; i++)
		json_object_array_add(gone, json_object_new_int(s->gone[i].tid));
	json_object_object_add(root, "tasks", tasks);
	json_object_object_add(root, "gone", gone);
	fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN), o->f);
	fputc('\n', o->f);
	json_object_put(root);
}

/* ------------------------------------------------------------------ table */

static void human_kb(char *buf, size_t len, unsigned long long kb)
{
	if (kb >= 1024ull * 1024)
		snprintf(buf, len, "%.1f GiB", (double)kb / (1024.0 * 1024.0));
	else if (kb >= 1024)
		snprintf(buf, len, "%.1f MiB", (double)kb / 1024.0);
	else
		snprintf(buf, len, "%llu KiB", kb);
}

/* Pads a (possibly UTF-8) name to `width` columns. */
static void put_padded(FILE *f, const char *s, int width)
{
	int cols = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			cols++;
	fputs(s, f);
	for (; cols < width; cols++)
		fputc(' ', f);
}

static void table_sample(struct ts_out *o, const struct ts_sample *s)
{
	FILE *f = o->f;
	char name[128], rss[32], vsz[32], sc[32];
	bool first = !o->header_done;

	ts_name_clean(name, sizeof(name), s->name);
	human_kb(rss, sizeof(rss), s->rss_kb);
	human_kb(vsz, sizeof(vsz), s->vsize_kb);
	if (o->watch)
		fprintf(f, "%s+%.3f s  ", o->header_done ? "\n" : "", (double)s->t_ns / 1e9);
	fprintf(f, "pid %d (%s): %ld thread%s, RSS %s, virtual %s", (int)s->pid, name, s->threads,
	        s->threads == 1 ? "" : "s", rss, vsz);
	if (!o->watch && has(o, TS_COL_CPU_PCT))
		fprintf(f, "; CPU%% over %ld ms", o->interval_ms);
	fputc('\n', f);
	o->header_done = true;

	if (has(o, TS_COL_TID))
		fprintf(f, "%8s ", "TID");
	if (has(o, TS_COL_NAME))
		fprintf(f, "%-16s ", "NAME");
	if (has(o, TS_COL_STATE))
		fputs("S ", f);
	if (has(o, TS_COL_CPU_PCT))
		fprintf(f, "%6s ", "CPU%");
	if (has(o, TS_COL_USER))
		fprintf(f, "%9s ", "USER");
	if (has(o, TS_COL_SYS))
		fprintf(f, "%9s ", "SYS");
	if (has(o, TS_COL_VCSW))
		fprintf(f, "%8s ", "VCSW");
	if (has(o, TS_COL_NVCSW))
		fprintf(f, "%8s ", "NVCSW");
	if (has(o, TS_COL_CPU))
		fprintf(f, "%3s ", "CPU");
	if (has(o, TS_COL_START))
		fprintf(f, "%8s ", "START");
	if (has(o, TS_COL_SYSCALL) || has(o, TS_COL_WCHAN))
		fputs("WAIT", f);
	fputc('\n', f);

	for (size_t i = 0; i < s->n; i++) {
		const struct ts_thread *t = &s->thr[i];

		if (has(o, TS_COL_TID))
			fprintf(f, "%8d ", (int)t->tid);
		if (has(o, TS_COL_NAME)) {
			ts_name_clean(name, sizeof(name), t->name);
			put_padded(f, name, 16);
			fputc(' ', f);
		}
		if (has(o, TS_COL_STATE))
			fprintf(f, "%c ", t->state);
		if (has(o, TS_COL_CPU_PCT)) {
			if (t->cpu_pct >= 0)
				fprintf(f, "%6.1f ", t->cpu_pct);
			else
				fprintf(f, "%6s ", "new");
		}
		if (has(o, TS_COL_USER))
			fprintf(f, "%8.2fs ", (double)t->utime_ms / 1000.0);
		if (has(o, TS_COL_SYS))
			fprintf(f, "%8.2fs ", (double)t->stime_ms / 1000.0);
		if (has(o, TS_COL_VCSW)) {
			if (t->have & TS_READ_STATUS)
				fprintf(f, "%8llu ", t->vcsw);
			else
				fprintf(f, "%8s ", "?");
		}
		if (has(o, TS_COL_NVCSW)) {
			if (t->have & TS_READ_STATUS)
				fprintf(f, "%8llu ", t->nvcsw);
			else
				fprintf(f, "%8s ", "?");
		}
		if (has(o, TS_COL_CPU))
			fprintf(f, "%3d ", t->processor);
		if (has(o, TS_COL_START))
			fprintf(f, "%+8.2f ", start_s(s, t));
		if (has(o, TS_COL_SYSCALL) || has(o, TS_COL_WCHAN)) {
			const char *sys =
			    has(o, TS_COL_SYSCALL) ? syscall_text(t, sc, sizeof(sc)) : "";
			const char *wc =
			    has(o, TS_COL_WCHAN) && (t->have & TS_READ_WCHAN) ? t->wchan : "";

			bool sys_none = *sys == '\0' || strcmp(sys, "-") == 0;
			bool wc_none = *wc == '\0' || strcmp(wc, "-") == 0;

			if (!sys_none && !wc_none)
				fprintf(f, "%s in %s", sys, wc);
			else if (!sys_none)
				fputs(sys, f);
			else if (!wc_none)
				fputs(wc, f);
			else
				fputs(*sys ? sys : wc, f);
		}
		fputc('\n', f);
	}
	if (o->watch) {
		for (size_t i = 0; i < s->n; i++)
			if (s->thr[i].is_new && !first) {
				ts_name_clean(name, sizeof(name), s->thr[i].name);
				fprintf(f, "  + thread %d (%s) started\n", (int)s->thr[i].tid,
				        name);
			}
		for (size_t i = 0; i < s->n_gone; i++) {
			ts_name_clean(name, sizeof(name), s->gone[i].name);
			fprintf(f, "  - thread %d (%s) ended\n", (int)s->gone[i].tid, name);
		}
	}
}

void ts_out_sample(struct ts_out *o, const struct ts_sample *s)
{
	switch (o->format) {
	case TS_FORMAT_CSV:
		csv_sample(o, s);
		break;
	case TS_FORMAT_JSON:
		json_sample(o, s);
		break;
	default:
		table_sample(o, s);
		break;
	}
}
