/* report_common — building and freeing the reports both parsers return
 * (report_internal.h), and the text helpers they share. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "report_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void report_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* The message is one line even when it quotes the input. */
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

char *report_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

int report_parse_begin(const char *name, const char *text, size_t len, struct tl_reports *out,
                       char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || (text == NULL && len > 0)) {
		report_set_err(err, errlen, "%s: invalid argument", name);
		return -1;
	}
	out->v = NULL;
	out->n = 0;
	return 0;
}

/* Arrays in the public structs carry no capacity, so it is implied by the
 * count: at least 4, then the next power of two.  Call before storing
 * element n. */
static int vec_reserve(void **v, size_t n, size_t elem)
{
	size_t cap;
	void *nv;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return 0;
	cap = n == 0 ? 4 : n * 2;
	if (cap > SIZE_MAX / elem)
		return -1;
	nv = realloc(*v, cap * elem);
	if (nv == NULL)
		return -1;
	*v = nv;
	return 0;
}

static void stack_free(struct tl_stack *s)
{
	for (size_t i = 0; i < s->nframes; i++) {
		free(s->frames[i].func);
		free(s->frames[i].file);
	}
	free(s->frames);
	free(s->title);
	memset(s, 0, sizeof *s);
}

void report_free(struct tl_report *r)
{
	for (size_t i = 0; i < r->nstacks; i++)
		stack_free(&r->stacks[i]);
	free(r->stacks);
	free(r->kind);
	free(r->what);
	memset(r, 0, sizeof *r);
}

void tl_reports_free(struct tl_reports *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		report_free(&r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

int report_add_stack(struct tl_report *r, char *title)
{
	if (vec_reserve((void **)&r->stacks, r->nstacks, sizeof *r->stacks) < 0) {
		free(title);
		return -1;
	}
	memset(&r->stacks[r->nstacks], 0, sizeof r->stacks[0]);
	r->stacks[r->nstacks].title = title;
	r->nstacks++;
	return 0;
}

int report_stack_add_frame(struct tl_stack *s, struct tl_frame *f)
{
	if (vec_reserve((void **)&s->frames, s->nframes, sizeof *s->frames) < 0) {
		free(f->func);
		free(f->file);
		return -1;
	}
	s->frames[s->nframes++] = *f;
	return 0;
}

int report_push(struct tl_reports *out, struct tl_report *r)
{
	if (vec_reserve((void **)&out->v, out->n, sizeof *out->v) < 0) {
		report_free(r);
		return -1;
	}
	out->v[out->n++] = *r;
	memset(r, 0, sizeof *r);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

void text_trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_space((*s)[*n - 1]))
		(*n)--;
}

int text_parse_uint(const char *s, size_t n)
{
	long v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > INT_MAX)
			return -1;
	}
	return (int)v;
}
