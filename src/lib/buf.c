/* buf.c - bounded growable buffers. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
x402_buf_init(struct x402_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
x402_buf_free(struct x402_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void
x402_buf_free_wipe(struct x402_buf *b)
{
	if (b == NULL)
		return;
	x402_wipe(b->p, b->cap);
	x402_buf_free(b);
}

void
x402_buf_reset(struct x402_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static int
grow(struct x402_buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (need > b->max)
		return X402_ERR_LIMIT;
	if (need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need + 1)
		cap = cap > SIZE_MAX / 2 ? need + 1 : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->p, cap);
	if (p == NULL)
		return X402_ERR_NOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
x402_buf_add(struct x402_buf *b, const void *p, size_t n)
{
	int r;

	if (n > b->max || b->len > b->max - n)
		return X402_ERR_LIMIT;
	if ((r = grow(b, b->len + n)) != 0)
		return r;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
x402_buf_reserve(struct x402_buf *b, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return X402_ERR_LIMIT;
	return grow(b, b->len + n);
}

int
x402_buf_adds(struct x402_buf *b, const char *s)
{
	return x402_buf_add(b, s, strlen(s));
}

int
x402_buf_vprintf(struct x402_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n, r;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return X402_ERR_INVAL;
	if ((size_t)n > b->max || b->len > b->max - (size_t)n)
		return X402_ERR_LIMIT;
	if ((r = grow(b, b->len + (size_t)n)) != 0)
		return r;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
x402_buf_printf(struct x402_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = x402_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *
x402_buf_steal(struct x402_buf *b, size_t *len)
{
	char *p = b->p;

	if (len != NULL)
		*len = b->len;
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
