/*
 * ext.h - the v2 extensions x402-gate speaks (notes §9):
 *  - payment-identifier: advertised as {info:{required}, schema}; a paid
 *    v2 request may carry extensions["payment-identifier"].info.id.  The
 *    first request with an id reserves it; when it is paid, the response
 *    (status, type, settlement header, body up to EXT_CACHE_BODY_MAX) is
 *    kept in <claims>/payid/<id> before it is released.  The same id with
 *    the same header gets that response again, without running or
 *    charging; the same id with another header gets 409; a required id
 *    that is missing or malformed gets 400.
 *  - bazaar: the route's declared input/output, advertised in the 402 in
 *    the official server's shape, narrowed to the request's method.
 * Other extensions in a payment are not read here; the payment JSON goes
 * to the facilitator verbatim.
 */
#ifndef GATE_EXT_H
#define GATE_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "route.h"

#define EXT_PAYID_MIN 16
#define EXT_PAYID_MAX 128
#define EXT_CACHE_BODY_MAX (1024 * 1024)

/*
 * The 402 `extensions` object of route r for a request with `method`.
 * Out: *out (caller puts), NULL when the route declares none.  Returns 0
 * or X402_ERR_NOMEM.
 */
int ext_declare(struct json_object **out, const struct route *r,
    const char *method);

struct ext_payid {
	char id[EXT_PAYID_MAX + 1];	/* "" when the payment has none */
	uint8_t hash[32];		/* keccak256 of the payment header */
	char path[600];			/* the cache entry */
	int reserved;			/* we created path and own it */
};

/* A kept response, replayed as it was sent. */
struct ext_cached {
	int status;
	char type[128];
	char settle_name[32];
	char settle_value[4096];
	struct x402_buf body;
};

enum ext_begin {
	EXT_GO = 0,		/* proceed (p->reserved says if an id is held) */
	EXT_REPLAY = 1,		/* *c holds the original response */
	EXT_REFUSE = 2,		/* answer *status with why[] */
};

/*
 * Checks the payment-identifier of a decoded payment p (header hdr[0..len))
 * on route r and reserves its id.  Out: *p, *c (on EXT_REPLAY; free with
 * ext_cached_free), *status and why (on EXT_REFUSE).  Returns an enum
 * ext_begin.
 */
int ext_payid_begin(struct ext_payid *p, struct ext_cached *c, int *status,
    char *why, size_t whylen, const struct route *r,
    const struct x402_payment *pay, const char *hdr, size_t len);

/*
 * Keeps the response of a paid request under the reserved id (atomically,
 * before the response leaves).  A body over EXT_CACHE_BODY_MAX is not
 * kept; the id then stays taken and a replay gets 409.  Logs failures.
 */
void ext_payid_store(struct ext_payid *p, int status, const char *type,
    const char *settle_name, const char *settle_value, const char *body,
    size_t len);

/* Drops the reservation unless the response was stored. */
void ext_payid_end(struct ext_payid *p);

void ext_cached_free(struct ext_cached *c);

#endif /* GATE_EXT_H */
