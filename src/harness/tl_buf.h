/* tl_buf — a growable byte buffer, always NUL-terminated. */
#ifndef TL_BUF_H
#define TL_BUF_H

#include <stddef.h>

typedef struct tl_buf {
	char *data; /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
} tl_buf;

int tl_buf_append(tl_buf *b, const void *p, size_t n); /* 0 or -ENOMEM */
int tl_buf_printf(tl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tl_buf_free(tl_buf *b);
/* Reads a whole file; 0 or a negative errno. */
int tl_buf_read_file(tl_buf *b, const char *path);

#endif
