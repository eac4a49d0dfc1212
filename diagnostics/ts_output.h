/* ts_output — a sample as a table, CSV rows or a JSON line. */
#ifndef TS_OUTPUT_H
#define TS_OUTPUT_H

#include "ts_sample.h"

#include <stdio.h>

enum ts_format { TS_FORMAT_TABLE, TS_FORMAT_CSV, TS_FORMAT_JSON };

/* The per-thread columns, in CSV and JSON order.  Everything else about a
 * column (its -o name, heading, width, the file it needs, its value) is its
 * row in the column table of ts_output.c: adding a column is a name here
 * and a row there. */
enum ts_col {
	TS_COL_TID,
	TS_COL_NAME,
	TS_COL_STATE,
	TS_COL_CPU_PCT,
	TS_COL_USER,
	TS_COL_SYS,
	TS_COL_VCSW,
	TS_COL_NVCSW,
	TS_COL_WCHAN,
	TS_COL_SYSCALL,
	TS_COL_CPU,
	TS_COL_START,
	TS_COL_STACK,     /* the thread's stack mapping, KiB */
	TS_COL_STACK_RSS, /* resident of it */
	TS_COL_STACK_HWM, /* its high-water mark */
	TS_COL_COUNT
};
#define TS_COLS_ALL ((1u << TS_COL_COUNT) - 1)

/* Parses "-o tid,name,..." into a column mask: "all" too, "cheap", the
 * columns stat and schedstat give (what --watch shows unless told), and
 * "mem", tid, name and the stack columns.  0 on
 * success, else -1 with the bad word copied to bad[]. */
int ts_cols_parse(const char *list, unsigned *cols, char *bad, size_t badlen);

/* The TS_READ_* files the columns need. */
unsigned ts_cols_fields(unsigned cols);

/* The "cheap" columns (see ts_cols_parse). */
unsigned ts_cols_cheap(void);

/* The list of column names, for --help and error messages. */
const char *ts_cols_names(void);

struct ts_out {
	FILE *f;
	enum ts_format format;
	unsigned cols;
	bool watch;       /* table: one block per sample, with its time */
	bool header_done; /* CSV header written */
	long interval_ms; /* the CPU% window, for the table's title */
};

/* Writes one sample. */
void ts_out_sample(struct ts_out *o, const struct ts_sample *s);

/* Writes a CSV field, quoted when it needs to be. */
void ts_csv_field(FILE *f, const char *s);

#endif
