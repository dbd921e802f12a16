/* error.c - error names, detail buffers, wiping, constant-time compare. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static const char *const names[X402_ERR_COUNT] = {
	"success",
	"out of memory",
	"invalid argument",
	"syntax error",
	"value out of range",
	"too many decimal places",
	"bad EIP-55 checksum",
	"input over its size limit",
	"malformed JSON",
	"not found",
	"bad signature",
	"cryptographic library failure",
	"configuration error",
	"I/O error",
	"unsafe file permissions",
	"protocol error",
	"payment invalid",
	"network error",
	"timed out",
	"upstream error",
	"malformed reply",
	"settlement failed",
	"duplicate",
	"busy",
	"chain inconsistency",
	"transaction pending",
	"already exists",
	"not supported",
	"internal error",
};

const char *
x402_strerror(int err)
{
	if (err > 0 || err <= -X402_ERR_COUNT)
		return "unknown error";
	return names[-err];
}

int
x402_fail(struct x402_detail *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return err;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return err;
}

void
x402_detail_clear(struct x402_detail *d)
{
	if (d != NULL)
		d->msg[0] = '\0';
}

void
x402_wipe(void *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
#endif
}

int
x402_memeq_ct(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= x[i] ^ y[i];
	return acc;
}
