/*
 * buf.h - growable byte buffers with a hard maximum (after curl's dynbuf).
 *
 * Rules:
 *  - A buffer is a caller-owned struct; x402_buf_init sets its maximum and
 *    x402_buf_free releases its memory (safe on a zeroed or freed buffer).
 *  - Every append either fits under the maximum or fails with
 *    X402_ERR_LIMIT and leaves the content unchanged.
 *  - The content is always NUL-terminated (the NUL is not counted in len
 *    nor against the maximum), so text can be used as a C string.
 */
#ifndef X402_BUF_H
#define X402_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

struct x402_buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
};

/* Prepares an empty buffer that may hold at most max bytes. */
void x402_buf_init(struct x402_buf *b, size_t max);

/* Releases the memory and empties the buffer (keeps max). NULL allowed. */
void x402_buf_free(struct x402_buf *b);

/* Wipes the content with zeros, then frees it.  For secrets. */
void x402_buf_free_wipe(struct x402_buf *b);

/* Empties the buffer, keeping its memory. */
void x402_buf_reset(struct x402_buf *b);

/* Appends n bytes.  Returns 0, X402_ERR_LIMIT or X402_ERR_NOMEM. */
int x402_buf_add(struct x402_buf *b, const void *p, size_t n)
    X402_WARN_UNUSED;

/*
 * Makes room for n more bytes (plus the NUL) without changing the content,
 * so a caller may write into p + len directly and then add to len.
 * Returns 0, X402_ERR_LIMIT or X402_ERR_NOMEM.
 */
int x402_buf_reserve(struct x402_buf *b, size_t n) X402_WARN_UNUSED;

/* Appends a C string. */
int x402_buf_adds(struct x402_buf *b, const char *s) X402_WARN_UNUSED;

/* Appends printf-formatted text. */
int x402_buf_printf(struct x402_buf *b, const char *fmt, ...)
    X402_PRINTF(2, 3) X402_WARN_UNUSED;
int x402_buf_vprintf(struct x402_buf *b, const char *fmt, va_list ap)
    X402_WARN_UNUSED;

/*
 * Hands the content to the caller (to free()) and empties the buffer.
 * Returns NULL only when nothing was ever allocated; then *len is 0.
 */
char *x402_buf_steal(struct x402_buf *b, size_t *len);

#endif /* X402_BUF_H */
