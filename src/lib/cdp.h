/*
 * cdp.h - Coinbase Developer Platform (CDP) API keys and the short-lived
 * JWT that authenticates one request to a CDP service (notes §5.4).
 *
 * Rules:
 *  - A key is made once from its id and secret strings (the program reads
 *    them from CDP_API_KEY_ID / CDP_API_KEY_SECRET or a key file; the
 *    library takes strings).  The secret is either a P-256 private key in
 *    PEM (PKCS#8 "BEGIN PRIVATE KEY", or SEC1 "BEGIN EC PRIVATE KEY",
 *    converted) -> ES256, or base64 of 64 bytes seed32||pub32 -> EdDSA
 *    (Ed25519; the public half must match the seed).  PEM is tried first.
 *  - A JWT is made per request: the `uris` claim binds method, host and
 *    path as the official @coinbase/cdp-sdk's generateJwt does with a
 *    WHATWG URL's `host` and `pathname`: no scheme, the host in lowercase,
 *    the port kept unless it is the scheme's default (443, 80).  It lives
 *    120 seconds.
 *  - Header {"alg","kid","typ":"JWT","nonce":<32 hex>}; claims {"sub",
 *    "iss":"cdp","uris":["METHOD host[:port]path"],"iat","nbf","exp"} in
 *    that order, field for field the SDK's (no "aud": the SDK sends none;
 *    tests/integration/cdp-jwt.sh compares the two); base64url without
 *    padding; ES256 signatures in the 64-byte JOSE form r||s.
 *  - Secrets (the key, a JWT) never appear in a detail; copies of the
 *    secret text are wiped.
 */
#ifndef X402_CDP_H
#define X402_CDP_H

#include <stdint.h>

#include "buf.h"
#include "error.h"

#define X402_CDP_KEY_ID_MAX	512	/* bytes */
#define X402_CDP_SECRET_MAX	8192	/* bytes of secret text */
#define X402_CDP_JWT_TTL	120	/* seconds */
#define X402_CDP_JWT_MAX	8192	/* bytes of one JWT */

enum x402_cdp_alg {
	X402_CDP_ES256 = 0,
	X402_CDP_EDDSA = 1,
};

struct x402_cdp_key;

/*
 * Loads a key.  Returns 0, X402_ERR_INVAL (NULL or empty id or secret, id
 * with control characters), X402_ERR_LIMIT (id or secret too long),
 * X402_ERR_CONFIG (the secret is neither a P-256 PEM key nor base64 of 64
 * bytes, an EC key on another curve, or an Ed25519 public half that does
 * not match its seed), X402_ERR_CRYPTO or X402_ERR_NOMEM.
 * Out: *out, freed with x402_cdp_key_free.  In: key_id and secret
 * (NUL-terminated, borrowed; the caller wipes its own copy).
 */
int x402_cdp_key_new(struct x402_cdp_key **out, struct x402_detail *d,
    const char *key_id, const char *secret) X402_WARN_UNUSED;

/* Frees a key and wipes what it holds.  NULL allowed. */
void x402_cdp_key_free(struct x402_cdp_key *k);

/* The key's algorithm. */
enum x402_cdp_alg x402_cdp_key_alg(const struct x402_cdp_key *k);

/*
 * Makes a JWT for one request: method ("GET", "POST") on url
 * ("https://host[:port]/path[?query]"; the query is not part of the
 * claim; a path with a dot segment or a byte a URL parser would
 * percent-encode is X402_ERR_INVAL) at time now (seconds since the epoch).  Appends the JWT to *jwt
 * (a secret: free it with x402_buf_free_wipe).
 * Returns 0, X402_ERR_INVAL (bad method or URL), X402_ERR_LIMIT,
 * X402_ERR_CRYPTO or X402_ERR_NOMEM.
 */
int x402_cdp_jwt(struct x402_buf *jwt, struct x402_detail *d,
    const struct x402_cdp_key *k, const char *method, const char *url,
    uint64_t now) X402_WARN_UNUSED;

#endif /* X402_CDP_H */
