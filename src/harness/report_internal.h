/* report_internal — what the report parsers (report_tsan.c, report_valgrind.c)
 * share: building the tl_report structs of tl_verdict.h, and a few text
 * helpers for input that is (pointer, length), not NUL-terminated.
 *
 * Both parsers overwrite *out (it need not be initialised) and leave in it
 * every report that was complete before an error; tl_reports_free() frees it
 * on every path.  Input is taken as (pointer, length): no NUL needed, never
 * read past len.  Not for the runner: only the harness's own sources include
 * this header.
 */
#ifndef REPORT_INTERNAL_H
#define REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "tl_verdict.h"

/* printf into err (when not NULL and errlen > 0), control characters
 * replaced so that the message stays one line even when it quotes input. */
void report_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* s[0..n) as a new string; NULL when out of memory. */
char *report_strndup(const char *s, size_t n);

/* The start of every parser: clears err and *out.  -1 with "<name>: invalid
 * argument" in err when out is NULL, or text is NULL with a length. */
int report_parse_begin(const char *name, const char *text, size_t len, struct tl_reports *out,
                       char *err, size_t errlen);

/* Frees what r owns and zeroes it. */
void report_free(struct tl_report *r);

/* Appends a stack (with no frames) to r.  Takes ownership of title (may be
 * NULL) even on failure.  0, or -1 when out of memory. */
int report_add_stack(struct tl_report *r, char *title);

/* Appends *f to s.  Takes ownership of f's strings even on failure. */
int report_stack_add_frame(struct tl_stack *s, struct tl_frame *f);

/* Moves *r into out; on failure *r is freed.  Either way *r is left empty. */
int report_push(struct tl_reports *out, struct tl_report *r);

/* Moves *s and *n past leading and before trailing blanks (space, tab). */
void text_trim(const char **s, size_t *n);

/* The decimal digits s[0..n) as an int; -1 when empty, not all digits, or
 * too big for an int. */
int text_parse_uint(const char *s, size_t n);

#endif
