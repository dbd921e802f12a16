/*
 * error.h - the one error enum of libx402 and its string function.
 *
 * Rules:
 *  - Every library function that can fail returns 0 on success or a negative
 *    X402_ERR_* value.  Nothing in the library prints, logs or exits.
 *  - Functions that can say more take an optional `struct x402_detail *`
 *    (NULL allowed) which receives a human-readable detail: the field, the
 *    line, the key.  A detail never contains a secret (key, signature,
 *    full payment payload).
 */
#ifndef X402_ERROR_H
#define X402_ERROR_H

#include <stddef.h>

#if defined(__GNUC__)
#define X402_WARN_UNUSED __attribute__((warn_unused_result))
#define X402_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define X402_WARN_UNUSED
#define X402_PRINTF(f, a)
#endif

enum x402_err {
	X402_OK = 0,
	X402_ERR_NOMEM = -1,		/* allocation failed */
	X402_ERR_INVAL = -2,		/* bad argument (caller bug) */
	X402_ERR_SYNTAX = -3,		/* malformed text: number, hex, base64 */
	X402_ERR_RANGE = -4,		/* value out of range, overflow */
	X402_ERR_PRECISION = -5,	/* more decimals than the asset has */
	X402_ERR_CHECKSUM = -6,		/* EIP-55 mixed-case checksum wrong */
	X402_ERR_LIMIT = -7,		/* input over its size cap */
	X402_ERR_JSON = -8,		/* JSON malformed or of the wrong shape */
	X402_ERR_NOTFOUND = -9,		/* unknown network, asset, key, route */
	X402_ERR_SIG = -10,		/* signature malformed or does not verify */
	X402_ERR_CRYPTO = -11,		/* crypto library failure */
	X402_ERR_CONFIG = -12,		/* configuration error */
	X402_ERR_IO = -13,		/* system call failed (errno in detail) */
	X402_ERR_PERM = -14,		/* file permissions unsafe (key file) */
	X402_ERR_PROTOCOL = -15,	/* x402 message invalid */
	X402_ERR_PAYMENT = -16,		/* payment invalid: reason code in result */
	X402_ERR_NET = -17,		/* cannot reach a peer */
	X402_ERR_TIMEOUT = -18,		/* a peer or a child took too long */
	X402_ERR_UPSTREAM = -19,	/* a peer answered with an error status */
	X402_ERR_BADREPLY = -20,	/* a peer answered with malformed data */
	X402_ERR_SETTLE = -21,		/* settlement refused or reverted */
	X402_ERR_DUPLICATE = -22,	/* already claimed or already used */
	X402_ERR_BUSY = -23,		/* a lock is held by another process */
	X402_ERR_CHAIN = -24,		/* chain answered something inconsistent */
	X402_ERR_PENDING = -25,		/* transaction sent, not confirmed */
	X402_ERR_EXISTS = -26,		/* refusing to overwrite */
	X402_ERR_UNSUPPORTED = -27,	/* scheme, version or feature not offered */
	X402_ERR_INTERNAL = -28,	/* invariant broken: a bug */
};
#define X402_ERR_COUNT 29

#define X402_DETAIL_MAX 256

/* Optional detail carried beside an error code. */
struct x402_detail {
	char msg[X402_DETAIL_MAX];
};

/*
 * Returns a static, never-NULL English name for an X402_ERR_* value (or
 * "unknown error" for anything else).
 */
const char *x402_strerror(int err);

/*
 * Writes a printf-formatted message into *d if d is not NULL (truncating
 * safely).  Returns err, so callers can write `return x402_fail(d, E, ...)`.
 */
int x402_fail(struct x402_detail *d, int err, const char *fmt, ...)
    X402_PRINTF(3, 4);

/* Clears *d (d may be NULL). */
void x402_detail_clear(struct x402_detail *d);

/* Overwrites n bytes at p with zeros in a way the compiler keeps. */
void x402_wipe(void *p, size_t n);

/*
 * Compares n bytes in time that does not depend on their content.
 * Returns 0 when equal, non-zero otherwise.
 */
int x402_memeq_ct(const void *a, const void *b, size_t n);

#endif /* X402_ERROR_H */
