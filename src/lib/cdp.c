/* cdp.c - CDP API keys and request JWTs (ES256 and EdDSA, OpenSSL 3). */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "cdp.h"
#include "codec.h"
#include "json.h"

#define ED25519_LEN	32
#define P256_LEN	32
#define NONCE_LEN	16
#define METHOD_MAX	16

struct x402_cdp_key {
	enum x402_cdp_alg alg;
	char kid[X402_CDP_KEY_ID_MAX + 1];
	EVP_PKEY *pkey;
};

/* Refuses PEM pass phrases instead of prompting on a terminal. */
static int
no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int
load_pem(EVP_PKEY **out, struct x402_detail *d, const char *pem, size_t len)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	char group[64];
	size_t glen = 0;
	int r = X402_ERR_CONFIG;

	*out = NULL;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	/* PKCS#8 and SEC1 ("BEGIN EC PRIVATE KEY") both decode here. */
	if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, no_pass, NULL)) ==
	    NULL) {
		x402_fail(d, r, "CDP key secret: PEM private key not readable");
		goto out;
	}
	if (!EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1 ||
	    (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0)) {
		x402_fail(d, r, "CDP key secret: not a P-256 EC key");
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	r = 0;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return r;
}

static int
load_ed25519(EVP_PKEY **out, struct x402_detail *d, const char *b64,
    size_t len)
{
	uint8_t raw[80], pub[ED25519_LEN];
	size_t n = 0, publen = sizeof(pub);
	EVP_PKEY *pkey = NULL;
	int r = X402_ERR_CONFIG;

	*out = NULL;
	while (len > 0 && strchr(" \t\r\n", b64[len - 1]) != NULL)
		len--;
	while (len > 0 && strchr(" \t\r\n", *b64) != NULL) {
		b64++;
		len--;
	}
	if (x402_base64_decode(raw, sizeof(raw), &n, b64, len) != 0 ||
	    n != 2 * ED25519_LEN) {
		x402_fail(d, r, "CDP key secret: neither a P-256 PEM key nor "
		    "base64 of 64 bytes (Ed25519)");
		goto out;
	}
	if ((pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw,
	    ED25519_LEN)) == NULL) {
		r = x402_fail(d, X402_ERR_CRYPTO, "CDP key: Ed25519 key refused");
		goto out;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
	    publen != ED25519_LEN) {
		r = x402_fail(d, X402_ERR_CRYPTO, "CDP key: Ed25519 public key");
		goto out;
	}
	if (x402_memeq_ct(pub, raw + ED25519_LEN, ED25519_LEN) != 0) {
		x402_fail(d, r, "CDP key secret: Ed25519 public half does not "
		    "match the seed");
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	r = 0;
out:
	EVP_PKEY_free(pkey);
	x402_wipe(raw, sizeof(raw));
	return r;
}

int
x402_cdp_key_new(struct x402_cdp_key **out, struct x402_detail *d,
    const char *key_id, const char *secret)
{
	struct x402_cdp_key *k = NULL;
	char *s = NULL;
	size_t idlen, slen, i, n = 0;
	int r;

	*out = NULL;
	if (key_id == NULL || secret == NULL || *key_id == '\0' ||
	    *secret == '\0')
		return x402_fail(d, X402_ERR_INVAL, "CDP key id or secret "
		    "missing");
	idlen = strnlen(key_id, X402_CDP_KEY_ID_MAX + 1);
	slen = strnlen(secret, X402_CDP_SECRET_MAX + 1);
	if (idlen > X402_CDP_KEY_ID_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "CDP key id longer than "
		    "%d bytes", X402_CDP_KEY_ID_MAX);
	if (slen > X402_CDP_SECRET_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "CDP key secret longer "
		    "than %d bytes", X402_CDP_SECRET_MAX);
	for (i = 0; i < idlen; i++)
		if ((unsigned char)key_id[i] < 0x20 || key_id[i] == 0x7f)
			return x402_fail(d, X402_ERR_INVAL, "CDP key id has "
			    "a control character");
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (s = malloc(slen + 1)) == NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	memcpy(k->kid, key_id, idlen);
	/* A PEM pasted into one environment line carries literal "\n". */
	for (i = 0; i < slen; i++) {
		if (secret[i] == '\\' && i + 1 < slen && secret[i + 1] == 'n') {
			s[n++] = '\n';
			i++;
		} else
			s[n++] = secret[i];
	}
	s[n] = '\0';
	if (strstr(s, "-----BEGIN") != NULL) {
		k->alg = X402_CDP_ES256;
		r = load_pem(&k->pkey, d, s, n);
	} else {
		k->alg = X402_CDP_EDDSA;
		r = load_ed25519(&k->pkey, d, s, n);
	}
	if (r != 0)
		goto out;
	*out = k;
	k = NULL;
out:
	if (s != NULL) {
		x402_wipe(s, slen + 1);
		free(s);
	}
	x402_cdp_key_free(k);
	return r;
}

void
x402_cdp_key_free(struct x402_cdp_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	x402_wipe(k, sizeof(*k));
	free(k);
}

enum x402_cdp_alg
x402_cdp_key_alg(const struct x402_cdp_key *k)
{
	return k->alg;
}

/* Appends base64url without padding. */
static int
b64url(struct x402_buf *b, const uint8_t *in, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char q[4];
	size_t i;
	uint32_t v;
	int r;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		q[0] = a[(v >> 18) & 63];
		q[1] = a[(v >> 12) & 63];
		q[2] = a[(v >> 6) & 63];
		q[3] = a[v & 63];
		if ((r = x402_buf_add(b, q, n - i >= 3 ? 4 : n - i + 1)) != 0)
			return r;
	}
	return 0;
}

/*
 * "METHOD host[:port]/path" from a URL, as the CDP SDK's generateJwt gets
 * it from a WHATWG URL: `host` (lowercase, with the port unless it is the
 * scheme's default) and `pathname` ("/" when empty); no scheme, user info,
 * query or fragment.  A path with a dot segment or a byte the URL parser
 * would percent-encode is refused rather than signed in another form.
 */
static int
uri_claim(struct x402_buf *b, struct x402_detail *d, const char *method,
    const char *url)
{
	const char *p, *host, *hend, *port, *path, *pend, *dflt;
	size_t i, mlen;
	char c;

	mlen = strnlen(method, METHOD_MAX + 1);
	if (mlen == 0 || mlen > METHOD_MAX)
		return x402_fail(d, X402_ERR_INVAL, "JWT: bad method");
	for (i = 0; i < mlen; i++)
		if (method[i] < 'A' || method[i] > 'Z')
			return x402_fail(d, X402_ERR_INVAL, "JWT: bad method");
	if (strncmp(url, "https://", 8) == 0) {
		host = url + 8;
		dflt = "443";
	} else if (strncmp(url, "http://", 7) == 0) {
		host = url + 7;
		dflt = "80";
	} else
		return x402_fail(d, X402_ERR_INVAL, "JWT: URL is not http(s)");
	path = host + strcspn(host, "/?#");
	for (p = host; p < path; p++)
		if (*p == '@' || (unsigned char)*p <= 0x20 ||
		    (unsigned char)*p >= 0x7f)
			return x402_fail(d, X402_ERR_INVAL, "JWT: bad URL host");
	if (*host == '[') {
		if ((hend = memchr(host, ']', (size_t)(path - host))) == NULL)
			return x402_fail(d, X402_ERR_INVAL, "JWT: bad URL host");
		hend++;
	} else if ((hend = memchr(host, ':', (size_t)(path - host))) == NULL)
		hend = path;
	if (hend == host || (hend < path && *hend != ':'))
		return x402_fail(d, X402_ERR_INVAL, "JWT: bad URL host");
	port = hend < path ? hend + 1 : path;
	for (p = port; p < path; p++)
		if (*p < '0' || *p > '9')
			return x402_fail(d, X402_ERR_INVAL, "JWT: bad URL port");
	while (port < path - 1 && *port == '0')	/* WHATWG: "0443" is 443 */
		port++;
	if (port < path && (size_t)(path - port) == strlen(dflt) &&
	    memcmp(port, dflt, (size_t)(path - port)) == 0)
		port = path;
	pend = path + strcspn(path, "?#");
	for (p = path; p < pend; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("\"<>\\^`{|}", *p) != NULL)
			return x402_fail(d, X402_ERR_INVAL, "JWT: bad URL path");
	for (p = path; p < pend; p++)
		if (p[0] == '/' && p[1] == '.' && (p + 2 == pend ||
		    p[2] == '/' || (p[2] == '.' && (p + 3 == pend ||
		    p[3] == '/'))))
			return x402_fail(d, X402_ERR_INVAL,
			    "JWT: URL path has a dot segment");
	if (x402_buf_add(b, method, mlen) != 0 || x402_buf_adds(b, " ") != 0)
		return x402_fail(d, X402_ERR_LIMIT, "JWT: URL too long");
	for (p = host; p < hend; p++) {
		c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		if (x402_buf_add(b, &c, 1) != 0)
			return x402_fail(d, X402_ERR_LIMIT, "JWT: URL too long");
	}
	if ((port < path && (x402_buf_adds(b, ":") != 0 ||
	    x402_buf_add(b, port, (size_t)(path - port)) != 0)) ||
	    (pend == path ? x402_buf_adds(b, "/") :
	    x402_buf_add(b, path, (size_t)(pend - path))) != 0)
		return x402_fail(d, X402_ERR_LIMIT, "JWT: URL too long");
	return 0;
}

static int
add_one_array(struct json_object *o, const char *key, const char *s)
{
	struct json_object *a, *e;

	if ((a = json_object_new_array()) == NULL)
		return X402_ERR_NOMEM;
	if ((e = json_object_new_string(s)) == NULL ||
	    json_object_array_add(a, e) != 0) {
		json_object_put(e);
		json_object_put(a);
		return X402_ERR_NOMEM;
	}
	return x402_json_put(o, key, a);
}

/* Appends the base64url of the compact JSON of o. */
static int
b64url_json(struct x402_buf *b, struct json_object *o)
{
	struct x402_buf t;
	int r;

	x402_buf_init(&t, X402_CDP_JWT_MAX);
	if ((r = x402_json_append(&t, o)) == 0)
		r = b64url(b, (const uint8_t *)t.p, t.len);
	x402_buf_free(&t);
	return r;
}

/* Signs in[0..n) and appends base64url of the JOSE signature. */
static int
sign(struct x402_buf *b, struct x402_detail *d, const struct x402_cdp_key *k,
    const char *in, size_t n)
{
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *er, *es_s;
	const unsigned char *q;
	uint8_t sig[160], jose[2 * P256_LEN];
	size_t slen = sizeof(sig);
	int r = X402_ERR_CRYPTO;

	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSignInit(ctx, NULL, k->alg == X402_CDP_ES256 ?
	    EVP_sha256() : NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)in, n) !=
	    1) {
		x402_fail(d, r, "JWT: signing failed");
		goto out;
	}
	if (k->alg == X402_CDP_EDDSA) {
		r = b64url(b, sig, slen);
		goto out;
	}
	/* DER ECDSA-Sig-Value -> r||s, each left-padded to 32 bytes. */
	q = sig;
	if ((es = d2i_ECDSA_SIG(NULL, &q, (long)slen)) == NULL) {
		x402_fail(d, r, "JWT: ECDSA signature not DER");
		goto out;
	}
	ECDSA_SIG_get0(es, &er, &es_s);
	if (BN_bn2binpad(er, jose, P256_LEN) != P256_LEN ||
	    BN_bn2binpad(es_s, jose + P256_LEN, P256_LEN) != P256_LEN) {
		x402_fail(d, r, "JWT: ECDSA signature out of range");
		goto out;
	}
	r = b64url(b, jose, sizeof(jose));
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return r;
}

int
x402_cdp_jwt(struct x402_buf *jwt, struct x402_detail *d,
    const struct x402_cdp_key *k, const char *method, const char *url,
    uint64_t now)
{
	struct json_object *hdr = NULL, *cl = NULL;
	struct x402_buf uri, t, sg;
	uint8_t nonce[NONCE_LEN];
	char nhex[2 * NONCE_LEN + 3];
	int r;

	x402_buf_init(&uri, 2 * 4096);
	x402_buf_init(&t, X402_CDP_JWT_MAX);
	x402_buf_init(&sg, 256);
	if (k == NULL || method == NULL || url == NULL || now > INT64_MAX -
	    X402_CDP_JWT_TTL) {
		r = x402_fail(d, X402_ERR_INVAL, "JWT: bad argument");
		goto out;
	}
	if ((r = uri_claim(&uri, d, method, url)) != 0)
		goto out;
	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		r = x402_fail(d, X402_ERR_CRYPTO, "JWT: no random bytes");
		goto out;
	}
	(void)x402_hex_encode(nhex, sizeof(nhex), nonce, sizeof(nonce),
	    X402_HEX_PREFIX_NONE);
	if ((hdr = json_object_new_object()) == NULL ||
	    (cl = json_object_new_object()) == NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	if ((r = x402_json_put(hdr, "alg", json_object_new_string(
	    k->alg == X402_CDP_ES256 ? "ES256" : "EdDSA"))) != 0 ||
	    (r = x402_json_put(hdr, "kid", json_object_new_string(k->kid))) != 0 ||
	    (r = x402_json_put(hdr, "typ", json_object_new_string("JWT"))) != 0 ||
	    (r = x402_json_put(hdr, "nonce", json_object_new_string(nhex))) != 0 ||
	    (r = x402_json_put(cl, "sub", json_object_new_string(k->kid))) != 0 ||
	    (r = x402_json_put(cl, "iss", json_object_new_string("cdp"))) != 0 ||
	    (r = add_one_array(cl, "uris", uri.p)) != 0 ||
	    (r = x402_json_put(cl, "iat", json_object_new_int64((int64_t)now)))
	    != 0 ||
	    (r = x402_json_put(cl, "nbf", json_object_new_int64((int64_t)now)))
	    != 0 ||
	    (r = x402_json_put(cl, "exp", json_object_new_int64((int64_t)now +
	    X402_CDP_JWT_TTL))) != 0)
		goto out;
	if ((r = b64url_json(&t, hdr)) != 0 ||
	    (r = x402_buf_adds(&t, ".")) != 0 ||
	    (r = b64url_json(&t, cl)) != 0 ||
	    (r = sign(&sg, d, k, t.p, t.len)) != 0 ||
	    (r = x402_buf_adds(&t, ".")) != 0 ||
	    (r = x402_buf_add(&t, sg.p, sg.len)) != 0 ||
	    (r = x402_buf_add(jwt, t.p, t.len)) != 0)
		goto out;
out:
	json_object_put(hdr);
	json_object_put(cl);
	x402_buf_free(&uri);
	x402_buf_free_wipe(&t);
	x402_buf_free(&sg);
	return r;
}
