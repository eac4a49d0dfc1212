/* ts_output — a sample as a table, CSV rows or a JSON line (ts_output.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "ts_output.h"

#include <json.h>
#include <string.h>

/* ------------------------------------------------------------------ columns */

/* One column's value for one thread, as its formatter gives it.  CSV and the
 * table print it as text, JSON keeps its type. */
struct cell {
	enum { CELL_NONE, CELL_TEXT, CELL_INT, CELL_UINT, CELL_FIXED } kind;
	const char *text;     /* CELL_TEXT */
	long long i;          /* CELL_INT */
	unsigned long long u; /* CELL_UINT */
	double d;             /* CELL_FIXED, written with `decimals` places */
	int decimals;
	bool sign;        /* CELL_FIXED: "+" before a positive number */
	const char *unit; /* after the number ("s") */
	char buf[128];    /* the text, when the formatter makes it */
};

/* Fills c with t's value.  `table`: for people (seconds rather than ms, a
 * word where CSV leaves the field empty and JSON leaves the key out). */
typedef void col_value(const struct ts_sample *s, const struct ts_thread *t, bool table,
                       struct cell *c);

struct column {
	const char *name;    /* for -o, the CSV header and the JSON key */
	const char *heading; /* the table's; NULL: shown in the table's WAIT */
	int width;           /* the table's, at least */
	bool left;           /* the table aligns it left, else right */
	unsigned reads;      /* the TS_READ_* file it needs (stat is always read) */
	col_value *value;
};

static void cell_text(struct cell *c, const char *text)
{
	c->kind = CELL_TEXT;
	c->text = text;
}

static void cell_fixed(struct cell *c, double d, int decimals)
{
	c->kind = CELL_FIXED;
	c->d = d;
	c->decimals = decimals;
}

static void val_tid(const struct ts_sample *s, const struct ts_thread *t, bool table,
                    struct cell *c)
{
	(void)s, (void)table;
	c->kind = CELL_INT;
	c->i = t->tid;
}

static void val_name(const struct ts_sample *s, const struct ts_thread *t, bool table,
                     struct cell *c)
{
	(void)s, (void)table;
	ts_name_clean(c->buf, sizeof(c->buf), t->name);
	cell_text(c, c->buf);
}

static void val_state(const struct ts_sample *s, const struct ts_thread *t, bool table,
                      struct cell *c)
{
	(void)s, (void)table;
	c->buf[0] = t->state;
	c->buf[1] = '\0';
	cell_text(c, c->buf);
}

static void val_cpu_pct(const struct ts_sample *s, const struct ts_thread *t, bool table,
                        struct cell *c)
{
	(void)s;
	if (t->cpu_pct >= 0)
		cell_fixed(c, t->cpu_pct, 1);
	else if (table)
		cell_text(c, "new"); /* no previous sample to measure from */
}

/* User or system time: ms, and seconds in the table. */
static void cpu_time(unsigned long long ms, bool table, struct cell *c)
{
	if (table) {
		cell_fixed(c, (double)ms / 1000.0, 2);
		c->unit = "s";
	} else {
		c->kind = CELL_UINT;
		c->u = ms;
	}
}

static void val_user(const struct ts_sample *s, const struct ts_thread *t, bool table,
                     struct cell *c)
{
	(void)s;
	cpu_time(t->utime_ms, table, c);
}

static void val_sys(const struct ts_sample *s, const struct ts_thread *t, bool table,
                    struct cell *c)
{
	(void)s;
	cpu_time(t->stime_ms, table, c);
}

/* A context switch count, which only status has. */
static void switches(const struct ts_thread *t, unsigned long long n, bool table, struct cell *c)
{
	if (t->have & TS_READ_STATUS) {
		c->kind = CELL_UINT;
		c->u = n;
	} else if (table) {
		cell_text(c, "?");
	}
}

static void val_vcsw(const struct ts_sample *s, const struct ts_thread *t, bool table,
                     struct cell *c)
{
	(void)s;
	switches(t, t->vcsw, table, c);
}

static void val_nvcsw(const struct ts_sample *s, const struct ts_thread *t, bool table,
                      struct cell *c)
{
	(void)s;
	switches(t, t->nvcsw, table, c);
}

static void val_wchan(const struct ts_sample *s, const struct ts_thread *t, bool table,
                      struct cell *c)
{
	(void)s, (void)table;
	if (t->have & TS_READ_WCHAN)
		cell_text(c, t->wchan);
}

/* "futex", "running", "-", or a number libseccomp has no name for. */
static void val_syscall(const struct ts_sample *s, const struct ts_thread *t, bool table,
                        struct cell *c)
{
	const char *name;

	(void)s, (void)table;
	if (!(t->have & TS_READ_SYSCALL))
		return;
	if (t->syscall == TS_SYSCALL_RUNNING) {
		cell_text(c, "running");
	} else if (t->syscall < 0) {
		cell_text(c, "-");
	} else if ((name = ts_syscall_name(t->syscall)) != NULL) {
		cell_text(c, name);
	} else {
		snprintf(c->buf, sizeof(c->buf), "%ld", t->syscall);
		cell_text(c, c->buf);
	}
}

static void val_cpu(const struct ts_sample *s, const struct ts_thread *t, bool table,
                    struct cell *c)
{
	(void)s, (void)table;
	c->kind = CELL_INT;
	c->i = t->processor;
}

/* Seconds after the process started. */
static void val_start(const struct ts_sample *s, const struct ts_thread *t, bool table,
                      struct cell *c)
{
	double after = 0;

	if (t->starttime >= s->starttime)
		after = (double)(t->starttime - s->starttime) / (double)ts_clk_tck();
	cell_fixed(c, after, 2);
	c->sign = table;
}

/* A stack figure in KiB: "264K" or "8.0M" in the table. */
static void stack_kb(const struct ts_thread *t, unsigned long long kb, bool table, struct cell *c)
{
	if (!(t->have & TS_READ_MEM)) {
		if (table)
			cell_text(c, "-");
		return;
	}
	if (table && kb >= 10240) {
		cell_fixed(c, (double)kb / 1024.0, 1);
		c->unit = "M";
	} else if (table) {
		snprintf(c->buf, sizeof(c->buf), "%lluK", kb);
		cell_text(c, c->buf);
	} else {
		c->kind = CELL_UINT;
		c->u = kb;
	}
}

static void val_stack(const struct ts_sample *s, const struct ts_thread *t, bool table,
                      struct cell *c)
{
	(void)s;
	stack_kb(t, t->stack_kb, table, c);
}

static void val_stack_rss(const struct ts_sample *s, const struct ts_thread *t, bool table,
                          struct cell *c)
{
	(void)s;
	stack_kb(t, t->stack_rss_kb, table, c);
}

static void val_stack_hwm(const struct ts_sample *s, const struct ts_thread *t, bool table,
                          struct cell *c)
{
	(void)s;
	stack_kb(t, t->stack_hwm_kb, table, c);
}

/* The stack columns find a thread's stack by its stack pointer, which only
 * the syscall file shows (kstkesp in stat reads 0 on this kernel). */
#define TS_READ_STACK (TS_READ_MEM | TS_READ_SYSCALL)

static const struct column columns[TS_COL_COUNT] = {
    [TS_COL_TID] = {"tid", "TID", 8, false, TS_READ_STAT, val_tid},
    [TS_COL_NAME] = {"name", "NAME", 16, true, TS_READ_STAT, val_name},
    [TS_COL_STATE] = {"state", "S", 1, true, TS_READ_STAT, val_state},
    /* schedstat's nanoseconds: stat's ticks are 10 ms, too coarse for a
     * 100 ms interval; schedstat also tells which threads have not run,
     * whose stat need not be read again. */
    [TS_COL_CPU_PCT] = {"cpu_pct", "CPU%", 6, false, TS_READ_SCHED, val_cpu_pct},
    [TS_COL_USER] = {"user_ms", "USER", 9, false, TS_READ_STAT, val_user},
    [TS_COL_SYS] = {"sys_ms", "SYS", 9, false, TS_READ_STAT, val_sys},
    [TS_COL_VCSW] = {"vcsw", "VCSW", 8, false, TS_READ_STATUS, val_vcsw},
    [TS_COL_NVCSW] = {"nvcsw", "NVCSW", 8, false, TS_READ_STATUS, val_nvcsw},
    [TS_COL_WCHAN] = {"wchan", NULL, 0, true, TS_READ_WCHAN, val_wchan},
    [TS_COL_SYSCALL] = {"syscall", NULL, 0, true, TS_READ_SYSCALL, val_syscall},
    [TS_COL_CPU] = {"cpu", "CPU", 3, false, TS_READ_STAT, val_cpu},
    [TS_COL_START] = {"start_s", "START", 8, false, TS_READ_STAT, val_start},
    [TS_COL_STACK] = {"stack_kb", "STACK", 6, false, TS_READ_STACK, val_stack},
    [TS_COL_STACK_RSS] = {"stack_rss_kb", "STK-RSS", 7, false, TS_READ_STACK, val_stack_rss},
    [TS_COL_STACK_HWM] = {"stack_hwm_kb", "STK-HWM", 7, false, TS_READ_STACK, val_stack_hwm},
};

static bool has(const struct ts_out *o, enum ts_col c)
{
	return (o->cols >> c) & 1u;
}

/* The cell as text ("" for none), in buf unless it is text already. */
/* v in decimal, with a '-' when neg, into buf (24 bytes at least).  A
 * sample writes a few numbers per thread: snprintf was a tenth of the
 * cost of --watch -f csv at 1000 threads. */
static const char *put_decimal(char *buf, unsigned long long v, bool neg)
{
	char tmp[24];
	size_t n = 0, o = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (neg)
		buf[o++] = '-';
	while (n > 0)
		buf[o++] = tmp[--n];
	buf[o] = '\0';
	return buf;
}

/* A fixed-point number as printf writes it.  Most are the same as the one
 * before with as many decimals (every idle thread's 0.0 CPU%, threads
 * started in the same tick): those are copied from the last one written. */
static void put_fixed(const struct cell *c, char *buf, size_t len)
{
	static struct {
		double d;
		bool set;
		char text[48];
	} last[4];
	int k = c->decimals;

	if (c->sign || c->unit != NULL || k < 0 || k > 3 || len < sizeof(last[0].text)) {
		snprintf(buf, len, c->sign ? "%+.*f%s" : "%.*f%s", c->decimals, c->d,
		         c->unit ? c->unit : "");
		return;
	}
	if (!last[k].set || c->d != last[k].d) {
		snprintf(last[k].text, sizeof(last[k].text), "%.*f", k, c->d);
		last[k].d = c->d;
		last[k].set = true;
	}
	memcpy(buf, last[k].text, sizeof(last[k].text));
}

static const char *cell_str(const struct cell *c, char *buf, size_t len)
{
	switch (c->kind) {
	case CELL_NONE:
		return "";
	case CELL_TEXT:
		return c->text;
	case CELL_INT:
		if (len < 24)
			break;
		return put_decimal(
		    buf, c->i < 0 ? 0ull - (unsigned long long)c->i : (unsigned long long)c->i,
		    c->i < 0);
	case CELL_UINT:
		if (len < 24)
			break;
		return put_decimal(buf, c->u, false);
	case CELL_FIXED:
		put_fixed(c, buf, len);
		return buf;
	}
	buf[0] = '\0';
	return buf;
}

/* Column k's value for thread t.  Only what every kind of cell reads is
 * reset: a formatter sets the fields of the kind it gives. */
static void value(enum ts_col k, const struct ts_sample *s, const struct ts_thread *t, bool table,
                  struct cell *c)
{
	c->kind = CELL_NONE;
	c->sign = false;
	c->unit = NULL;
	columns[k].value(s, t, table, c);
}

/* The same as text. */
static const char *value_str(enum ts_col k, const struct ts_sample *s, const struct ts_thread *t,
                             bool table, struct cell *c, char *buf, size_t len)
{
	value(k, s, t, table, c);
	return cell_str(c, buf, len);
}

const char *ts_cols_names(void)
{
	static char list[256];
	size_t n = 0;

	if (list[0] != '\0')
		return list;
	for (int k = 0; k < TS_COL_COUNT; k++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", k ? "," : "",
		                      columns[k].name);
	snprintf(list + n, sizeof(list) - n, " (or all, cheap, mem)");
	return list;
}

unsigned ts_cols_cheap(void)
{
	unsigned mask = 0;

	for (int k = 0; k < TS_COL_COUNT; k++)
		if (!(columns[k].reads & ~(unsigned)(TS_READ_STAT | TS_READ_SCHED)))
			mask |= 1u << k;
	return mask;
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
			mask |= ts_cols_cheap();
		} else if (n == 3 && strncmp(p, "mem", 3) == 0) {
			mask |= 1u << TS_COL_TID | 1u << TS_COL_NAME | 1u << TS_COL_STACK |
			        1u << TS_COL_STACK_RSS | 1u << TS_COL_STACK_HWM;
		} else {
			for (k = 0; k < TS_COL_COUNT; k++)
				if (strlen(columns[k].name) == n &&
				    strncmp(p, columns[k].name, n) == 0)
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

	for (int k = 0; k < TS_COL_COUNT; k++)
		if ((cols >> k) & 1u)
			f |= columns[k].reads;
	return f;
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

/* ------------------------------------------------------------------ CSV */

static void csv_sample(struct ts_out *o, const struct ts_sample *s)
{
	FILE *f = o->f;
	struct cell c;
	char buf[64], lead[64];

	if (!o->header_done) {
		fputs("time_ms,pid", f);
		for (int k = 0; k < TS_COL_COUNT; k++)
			if (has(o, (enum ts_col)k))
				fprintf(f, ",%s", columns[k].name);
		fputc('\n', f);
		o->header_done = true;
	}
	/* The same start for every row of the sample. */
	snprintf(lead, sizeof(lead), "%llu,%d,", (unsigned long long)(s->t_ns / 1000000),
	         (int)s->pid);
	for (size_t i = 0; i < s->n; i++) {
		bool first = true;

		fputs(lead, f);
		for (int k = 0; k < TS_COL_COUNT; k++) {
			const char *v;

			if (!has(o, (enum ts_col)k))
				continue;
			if (!first)
				fputc(',', f);
			first = false;
			v = value_str((enum ts_col)k, s, &s->thr[i], false, &c, buf, sizeof(buf));
			/* Only text can hold a comma, a quote or an edge space. */
			if (c.kind == CELL_TEXT)
				ts_csv_field(f, v);
			else
				fputs(v, f);
		}
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

static json_object *cell_json(const struct cell *c)
{
	switch (c->kind) {
	case CELL_TEXT:
		return json_object_new_string(c->text);
	case CELL_INT:
		return json_object_new_int64(c->i);
	case CELL_UINT:
		return jint(c->u);
	case CELL_FIXED:
		return jfixed(c->d, c->decimals);
	case CELL_NONE:
		break;
	}
	return NULL;
}

static json_object *json_thread(const struct ts_out *o, const struct ts_sample *s,
                                const struct ts_thread *t)
{
	json_object *j = json_object_new_object();
	struct cell c;

	for (int k = 0; k < TS_COL_COUNT; k++) {
		json_object *v;

		if (!has(o, (enum ts_col)k))
			continue;
		value((enum ts_col)k, s, t, false, &c);
		v = cell_json(&c);
		if (v != NULL) /* no value: no key */
			json_object_object_add(j, columns[k].name, v);
	}
	if (t->is_new)
		json_object_object_add(j, "new", json_object_new_boolean(1));
	return j;
}

static void json_sample(struct ts_out *o, const struct ts_sample *s)
{
	json_object *root = json_object_new_object(), *tasks = json_object_new_array(),
	            *gone = json_object_new_array();
	char name[128];

	ts_name_clean(name, sizeof(name), s->name);
	json_object_object_add(root, "time_ms", jint(s->t_ns / 1000000));
	json_object_object_add(root, "pid", json_object_new_int(s->pid));
	json_object_object_add(root, "name", json_object_new_string(name));
	json_object_object_add(root, "threads", json_object_new_int64(s->threads));
	json_object_object_add(root, "rss_kb", jint(s->rss_kb));
	json_object_object_add(root, "vsize_kb", jint(s->vsize_kb));
	if (s->have_mem) {
		json_object_object_add(root, "heap_kb", jint(s->heap_kb));
		json_object_object_add(root, "anon_kb", jint(s->anon_kb));
	}
	for (size_t i = 0; i < s->n; i++)
		json_object_array_add(tasks, json_thread(o, s, &s->thr[i]));
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

/* Writes s padded to `width` screen columns (a UTF-8 character is one). */
static void put_padded(FILE *f, const char *s, int width, bool left)
{
	int cols = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			cols++;
	if (left)
		fputs(s, f);
	for (; cols < width; cols++)
		fputc(' ', f);
	if (!left)
		fputs(s, f);
}

/* "pid N (name): ...", after the time of the sample with --watch. */
static void table_title(const struct ts_out *o, const struct ts_sample *s)
{
	char name[128], rss[32], vsz[32];

	ts_name_clean(name, sizeof(name), s->name);
	human_kb(rss, sizeof(rss), s->rss_kb);
	human_kb(vsz, sizeof(vsz), s->vsize_kb);
	if (o->watch)
		fprintf(o->f, "%s+%.3f s  ", o->header_done ? "\n" : "", (double)s->t_ns / 1e9);
	fprintf(o->f, "pid %d (%s): %ld thread%s, RSS %s, virtual %s", (int)s->pid, name,
	        s->threads, s->threads == 1 ? "" : "s", rss, vsz);
	if (s->have_mem) {
		human_kb(rss, sizeof(rss), s->heap_kb);
		human_kb(vsz, sizeof(vsz), s->anon_kb);
		fprintf(o->f, ", heap %s, anonymous %s", rss, vsz);
	}
	if (!o->watch && has(o, TS_COL_CPU_PCT))
		fprintf(o->f, "; CPU%% over %ld ms", o->interval_ms);
	fputc('\n', o->f);
}

/* The table ends with WAIT: the system call and the kernel function a
 * thread waits in, in one column of free width. */
static bool has_wait(const struct ts_out *o)
{
	return has(o, TS_COL_SYSCALL) || has(o, TS_COL_WCHAN);
}

static void table_heading(const struct ts_out *o)
{
	for (int k = 0; k < TS_COL_COUNT; k++) {
		if (!has(o, (enum ts_col)k) || columns[k].heading == NULL)
			continue;
		put_padded(o->f, columns[k].heading, columns[k].width, columns[k].left);
		fputc(' ', o->f);
	}
	if (has_wait(o))
		fputs("WAIT", o->f);
	fputc('\n', o->f);
}

/* "futex in futex_do_wait", or whichever of the two says something. */
static void put_wait(const struct ts_out *o, const struct ts_sample *s, const struct ts_thread *t)
{
	struct cell sc, wc;
	char sbuf[64], wbuf[64];
	const char *sys = has(o, TS_COL_SYSCALL)
	                      ? value_str(TS_COL_SYSCALL, s, t, true, &sc, sbuf, sizeof(sbuf))
	                      : "";
	const char *wchan = has(o, TS_COL_WCHAN)
	                        ? value_str(TS_COL_WCHAN, s, t, true, &wc, wbuf, sizeof(wbuf))
	                        : "";
	bool sys_none = *sys == '\0' || strcmp(sys, "-") == 0;
	bool wchan_none = *wchan == '\0' || strcmp(wchan, "-") == 0;

	if (!sys_none && !wchan_none)
		fprintf(o->f, "%s in %s", sys, wchan);
	else if (!sys_none)
		fputs(sys, o->f);
	else if (!wchan_none)
		fputs(wchan, o->f);
	else
		fputs(*sys ? sys : wchan, o->f);
}

static void table_row(const struct ts_out *o, const struct ts_sample *s, const struct ts_thread *t)
{
	struct cell c;
	char buf[64];

	for (int k = 0; k < TS_COL_COUNT; k++) {
		if (!has(o, (enum ts_col)k) || columns[k].heading == NULL)
			continue;
		put_padded(o->f, value_str((enum ts_col)k, s, t, true, &c, buf, sizeof(buf)),
		           columns[k].width, columns[k].left);
		fputc(' ', o->f);
	}
	if (has_wait(o))
		put_wait(o, s, t);
	fputc('\n', o->f);
}

/* --watch: the threads that came (but not in the first sample: they all
 * did) and went since the previous sample. */
static void table_changes(const struct ts_out *o, const struct ts_sample *s, bool first)
{
	char name[128];

	for (size_t i = 0; i < s->n; i++)
		if (s->thr[i].is_new && !first) {
			ts_name_clean(name, sizeof(name), s->thr[i].name);
			fprintf(o->f, "  + thread %d (%s) started\n", (int)s->thr[i].tid, name);
		}
	for (size_t i = 0; i < s->n_gone; i++) {
		ts_name_clean(name, sizeof(name), s->gone[i].name);
		fprintf(o->f, "  - thread %d (%s) ended\n", (int)s->gone[i].tid, name);
	}
}

static void table_sample(struct ts_out *o, const struct ts_sample *s)
{
	bool first = !o->header_done;

	table_title(o, s);
	o->header_done = true;
	table_heading(o);
	for (size_t i = 0; i < s->n; i++)
		table_row(o, s, &s->thr[i]);
	if (o->watch)
		table_changes(o, s, first);
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
