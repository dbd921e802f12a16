/* check_cdp.c - CDP keys and JWTs, checked with OpenSSL. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cdp.h"
#include "codec.h"
#include "json.h"
#include "testutil.h"

#define KID "organizations/0f3c/apiKeys/9a1b-\"quoted\""
#define NOW 1750000000ULL

/* A fresh P-256 key; pem gets PKCS#8 (sec1 = 0) or SEC1 PEM. */
static EVP_PKEY *
gen_p256(char *pem, size_t cap, int sec1)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(b);
	if (sec1)
		ck_assert_int_eq(PEM_write_bio_PrivateKey_traditional(b, k,
		    NULL, NULL, 0, NULL, NULL), 1);
	else
		ck_assert_int_eq(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0,
		    NULL, NULL), 1);
	n = BIO_get_mem_data(b, &p);
	ck_assert(n > 0 && (size_t)n < cap);
	memcpy(pem, p, (size_t)n);
	pem[n] = '\0';
	BIO_free(b);
	return k;
}

/* A fresh Ed25519 key; b64 gets base64(seed || pub). */
static EVP_PKEY *
gen_ed25519(char *b64, size_t cap, uint8_t raw[64])
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	size_t n = 32;

	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(EVP_PKEY_get_raw_private_key(k, raw, &n), 1);
	n = 32;
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(k, raw + 32, &n), 1);
	ck_assert_int_eq(x402_base64_encode(b64, cap, NULL, raw, 64), 0);
	return k;
}

/* Decodes base64url (no padding allowed) into out. */
static size_t
b64url_dec(uint8_t *out, size_t cap, const char *s, size_t n)
{
	char t[4096];
	size_t i, len = 0;

	ck_assert(n < sizeof(t));
	for (i = 0; i < n; i++) {
		ck_assert_msg(s[i] != '=' && s[i] != '+' && s[i] != '/',
		    "not base64url without padding");
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	ck_assert_int_eq(x402_base64_decode(out, cap, &len, t, n), 0);
	return len;
}

static struct json_object *
seg_json(const char *s, size_t n)
{
	uint8_t raw[4096];
	struct json_object *o = NULL;
	size_t len = b64url_dec(raw, sizeof(raw) - 1, s, n);

	ck_assert_int_eq(x402_json_parse(&o, NULL, (char *)raw, len, 8), 0);
	ck_assert(json_object_is_type(o, json_type_object));
	return o;
}

static const char *
str_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	ck_assert_msg(json_object_is_type(v, json_type_string), "%s type",
	    key);
	return json_object_get_string(v);
}

static int64_t
int_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	ck_assert_msg(json_object_is_type(v, json_type_int), "%s type", key);
	return json_object_get_int64(v);
}

/* One-element string array. */
static const char *
arr1_member(struct json_object *o, const char *key)
{
	struct json_object *v, *e;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	ck_assert(json_object_is_type(v, json_type_array));
	ck_assert_int_eq(json_object_array_length(v), 1);
	e = json_object_array_get_idx(v, 0);
	ck_assert(json_object_is_type(e, json_type_string));
	return json_object_get_string(e);
}

/*
 * Verifies the JWT's signature with OpenSSL; flip: XOR the 6th byte of
 * the signed text with 1 first.  Returns 1 when it verifies.
 */
static int
sig_ok(const char *jwt, EVP_PKEY *pub, enum x402_cdp_alg alg, int flip)
{
	const char *d2 = strrchr(jwt, '.');
	uint8_t sig[128], der[128], *dp = der;
	char msg[4096];
	size_t slen, mlen = (size_t)(d2 - jwt);
	EVP_MD_CTX *ctx;
	ECDSA_SIG *es;
	int ok, dlen;

	ck_assert(mlen < sizeof(msg));
	memcpy(msg, jwt, mlen);
	if (flip)
		msg[5] ^= 1;
	slen = b64url_dec(sig, sizeof(sig), d2 + 1, strlen(d2 + 1));
	ck_assert_uint_eq(slen, 64);
	ctx = EVP_MD_CTX_new();
	ck_assert_ptr_nonnull(ctx);
	if (alg == X402_CDP_ES256) {
		es = ECDSA_SIG_new();
		ck_assert_int_eq(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
		    BN_bin2bn(sig + 32, 32, NULL)), 1);
		dlen = i2d_ECDSA_SIG(es, &dp);
		ck_assert(dlen > 0);
		ECDSA_SIG_free(es);
		ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(),
		    NULL, pub), 1);
		ok = EVP_DigestVerify(ctx, der, (size_t)dlen,
		    (unsigned char *)msg, mlen) == 1;
	} else {
		ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL,
		    pub), 1);
		ok = EVP_DigestVerify(ctx, sig, slen, (unsigned char *)msg,
		    mlen) == 1;
	}
	EVP_MD_CTX_free(ctx);
	return ok;
}

/*
 * Checks every part of jwt made by key pub (alg) for uri; returns 1 when
 * the signature verifies, 0 otherwise.  Out: nonce (33 bytes).
 */
static int
check_jwt(const char *jwt, EVP_PKEY *pub, enum x402_cdp_alg alg,
    const char *uri, char *nonce)
{
	const char *d1, *d2;
	struct json_object *h, *c;
	size_t i;

	d1 = strchr(jwt, '.');
	ck_assert_ptr_nonnull(d1);
	d2 = strchr(d1 + 1, '.');
	ck_assert_ptr_nonnull(d2);
	ck_assert_ptr_null(strchr(d2 + 1, '.'));

	h = seg_json(jwt, (size_t)(d1 - jwt));
	ck_assert_int_eq(json_object_object_length(h), 4);
	ck_assert_str_eq(str_member(h, "alg"),
	    alg == X402_CDP_ES256 ? "ES256" : "EdDSA");
	ck_assert_str_eq(str_member(h, "kid"), KID);
	ck_assert_str_eq(str_member(h, "typ"), "JWT");
	ck_assert_uint_eq(strlen(str_member(h, "nonce")), 32);
	for (i = 0; i < 32; i++)
		ck_assert(strchr("0123456789abcdef",
		    str_member(h, "nonce")[i]) != NULL);
	strcpy(nonce, str_member(h, "nonce"));
	json_object_put(h);

	c = seg_json(d1 + 1, (size_t)(d2 - d1 - 1));
	ck_assert_int_eq(json_object_object_length(c), 6);
	ck_assert_str_eq(str_member(c, "sub"), KID);
	ck_assert_str_eq(str_member(c, "iss"), "cdp");
	ck_assert(!json_object_object_get_ex(c, "aud", NULL));
	ck_assert_str_eq(arr1_member(c, "uris"), uri);
	ck_assert_int_eq(int_member(c, "iat"), (int64_t)NOW);
	ck_assert_int_eq(int_member(c, "nbf"), (int64_t)NOW);
	ck_assert_int_eq(int_member(c, "exp") - int_member(c, "iat"), 120);
	json_object_put(c);

	return sig_ok(jwt, pub, alg, 0);
}

static const struct {
	const char *method, *url, *uri;
} uris[] = {
	{ "POST", "https://api.cdp.coinbase.com/platform/v2/x402/verify",
	  "POST api.cdp.coinbase.com/platform/v2/x402/verify" },
	{ "POST", "https://api.cdp.coinbase.com:443/platform/v2/x402/settle",
	  "POST api.cdp.coinbase.com/platform/v2/x402/settle" },
	{ "GET", "https://api.cdp.coinbase.com/platform/v2/x402/supported?x=1",
	  "GET api.cdp.coinbase.com/platform/v2/x402/supported" },
	{ "GET", "http://127.0.0.1:8080", "GET 127.0.0.1:8080/" },
	{ "POST", "http://127.0.0.1:80/v", "POST 127.0.0.1/v" },
	{ "POST", "https://127.0.0.1:0443/v", "POST 127.0.0.1/v" },
	{ "POST", "https://Facilitator.Example:8443/x402/settle#f",
	  "POST facilitator.example:8443/x402/settle" },
	{ "POST", "http://[::1]:4021/verify", "POST [::1]:4021/verify" },
	{ "POST", "https://h:443", "POST h/" },
};

static void
jwt_roundtrip(const char *secret, EVP_PKEY *pub, enum x402_cdp_alg alg)
{
	struct x402_cdp_key *k = NULL;
	struct x402_detail d;
	struct x402_buf b;
	char n1[33], n2[33];
	size_t i;

	ck_assert_int_eq(x402_cdp_key_new(&k, &d, KID, secret), 0);
	ck_assert_int_eq(x402_cdp_key_alg(k), alg);
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		x402_buf_init(&b, X402_CDP_JWT_MAX);
		ck_assert_int_eq(x402_cdp_jwt(&b, &d, k, uris[i].method,
		    uris[i].url, NOW), 0);
		ck_assert_msg(check_jwt(b.p, pub, alg, uris[i].uri, n1),
		    "signature does not verify");
		/* Same request again: a different nonce and signature. */
		x402_buf_reset(&b);
		ck_assert_int_eq(x402_cdp_jwt(&b, &d, k, uris[i].method,
		    uris[i].url, NOW), 0);
		ck_assert(check_jwt(b.p, pub, alg, uris[i].uri, n2));
		ck_assert_str_ne(n1, n2);
		/* A flipped byte of the signed text breaks the signature. */
		ck_assert(!sig_ok(b.p, pub, alg, 1));
		x402_buf_free_wipe(&b);
	}
	x402_cdp_key_free(k);
}

START_TEST(test_es256_pkcs8)
{
	char pem[1024];
	EVP_PKEY *k = gen_p256(pem, sizeof(pem), 0);

	ck_assert_ptr_nonnull(strstr(pem, "BEGIN PRIVATE KEY"));
	jwt_roundtrip(pem, k, X402_CDP_ES256);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_es256_sec1)
{
	char pem[1024];
	EVP_PKEY *k = gen_p256(pem, sizeof(pem), 1);

	ck_assert_ptr_nonnull(strstr(pem, "BEGIN EC PRIVATE KEY"));
	jwt_roundtrip(pem, k, X402_CDP_ES256);
	EVP_PKEY_free(k);
}
END_TEST

/* A PEM pasted into one environment line, with literal "\n". */
START_TEST(test_es256_escaped_newlines)
{
	char pem[1024], esc[2048];
	EVP_PKEY *k = gen_p256(pem, sizeof(pem), 0);
	size_t i, n = 0;

	for (i = 0; pem[i] != '\0'; i++) {
		if (pem[i] == '\n') {
			esc[n++] = '\\';
			esc[n++] = 'n';
		} else
			esc[n++] = pem[i];
	}
	esc[n] = '\0';
	jwt_roundtrip(esc, k, X402_CDP_ES256);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_eddsa)
{
	char b64[128];
	uint8_t raw[64];
	EVP_PKEY *k = gen_ed25519(b64, sizeof(b64), raw);

	jwt_roundtrip(b64, k, X402_CDP_EDDSA);
	EVP_PKEY_free(k);
}
END_TEST

static void
refused(const char *id, const char *secret, int want)
{
	struct x402_cdp_key *k = (struct x402_cdp_key *)1;
	struct x402_detail d;

	ck_assert_int_eq(x402_cdp_key_new(&k, &d, id, secret), want);
	ck_assert_ptr_null(k);
}

START_TEST(test_bad_keys)
{
	char b64[128], pem[1024], big[X402_CDP_SECRET_MAX + 2];
	uint8_t raw[64];
	EVP_PKEY *k = gen_ed25519(b64, sizeof(b64), raw), *p384;
	BIO *b;
	char *p;
	long n;

	refused(KID, "-----BEGIN PRIVATE KEY-----\ngarbage\n"
	    "-----END PRIVATE KEY-----\n", X402_ERR_CONFIG);
	refused(KID, "not a key at all", X402_ERR_CONFIG);
	/* 63 bytes. */
	ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), NULL, raw, 63),
	    0);
	refused(KID, b64, X402_ERR_CONFIG);
	/* 65 bytes. */
	{
		uint8_t r65[65];

		memcpy(r65, raw, 64);
		r65[64] = 0;
		ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), NULL,
		    r65, 65), 0);
		refused(KID, b64, X402_ERR_CONFIG);
	}
	/* Public half of another key. */
	raw[40] ^= 0x01;
	ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), NULL, raw, 64),
	    0);
	refused(KID, b64, X402_ERR_CONFIG);
	EVP_PKEY_free(k);
	/* An EC key on P-384. */
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	b = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, p384, NULL, NULL, 0, NULL,
	    NULL), 1);
	n = BIO_get_mem_data(b, &p);
	memcpy(pem, p, (size_t)n);
	pem[n] = '\0';
	refused(KID, pem, X402_ERR_CONFIG);
	BIO_free(b);
	/* An encrypted PEM: refused, never a pass phrase prompt. */
	b = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PKCS8PrivateKey(b, p384,
	    EVP_aes_128_cbc(), NULL, 0, NULL, (void *)"pw"), 1);
	n = BIO_get_mem_data(b, &p);
	memcpy(pem, p, (size_t)n);
	pem[n] = '\0';
	refused(KID, pem, X402_ERR_CONFIG);
	BIO_free(b);
	EVP_PKEY_free(p384);
	/* Missing and oversized inputs. */
	refused(NULL, "x", X402_ERR_INVAL);
	refused("", "x", X402_ERR_INVAL);
	refused(KID, "", X402_ERR_INVAL);
	refused("a\nb", "x", X402_ERR_INVAL);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused(KID, big, X402_ERR_LIMIT);
}
END_TEST

/* Each is refused, X402_ERR_INVAL, and nothing is appended. */
static const char *const bad_requests[][2] = {
	{ "post", "https://h/x" },
	{ "POST", "ftp://h/x" },
	{ "POST", "https://user@h/x" },
	{ "POST", "https:///x" },
	/* Forms a URL parser would rewrite are refused, not signed. */
	{ "POST", "https://h:44x/x" },
	{ "POST", "https://h/a/../x" },
	{ "POST", "https://h/a/." },
	{ "POST", "https://h/a b" },
	{ "POST", "https://h/{x}" },
	{ "POST", "https://h\xc3\xa9/x" },
};

START_TEST(test_bad_requests)
{
	char b64[128];
	uint8_t raw[64];
	EVP_PKEY *pk = gen_ed25519(b64, sizeof(b64), raw);
	struct x402_cdp_key *k = NULL;
	struct x402_buf b;
	size_t i;

	ck_assert_int_eq(x402_cdp_key_new(&k, NULL, KID, b64), 0);
	x402_buf_init(&b, X402_CDP_JWT_MAX);
	for (i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++)
		ck_assert_msg(x402_cdp_jwt(&b, NULL, k, bad_requests[i][0],
		    bad_requests[i][1], NOW) == X402_ERR_INVAL, "%s %s",
		    bad_requests[i][0], bad_requests[i][1]);
	ck_assert_uint_eq(b.len, 0);
	x402_buf_free(&b);
	x402_cdp_key_free(k);
	EVP_PKEY_free(pk);
}
END_TEST

static Suite *
cdp_suite(void)
{
	Suite *s = suite_create("cdp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_es256_pkcs8);
	tcase_add_test(tc, test_es256_sec1);
	tcase_add_test(tc, test_es256_escaped_newlines);
	tcase_add_test(tc, test_eddsa);
	tcase_add_test(tc, test_bad_keys);
	tcase_add_test(tc, test_bad_requests);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(cdp_suite)
