/* receipt.c - settled-payment records. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "receipt.h"

static int
put_addr(struct json_object *o, const char *k, const uint8_t a[20])
{
	char t[X402_ADDR_STRLEN + 1];

	x402_addr_format(t, a);
	return x402_json_put(o, k, json_object_new_string(t));
}

static int
put_u256(struct json_object *o, const char *k, const x402_u256 *v)
{
	char t[X402_U256_DECLEN + 1];

	if (x402_u256_format_dec(t, sizeof(t), v) < 0)
		return X402_ERR_INTERNAL;
	return x402_json_put(o, k, json_object_new_string(t));
}

int
x402_receipt_format(struct x402_buf *b, const struct x402_receipt *r)
{
	struct json_object *o;
	char nonce[67];
	int e;

	if ((o = json_object_new_object()) == NULL)
		return X402_ERR_NOMEM;
	(void)x402_hex_encode(nonce, sizeof(nonce), r->nonce, 32,
	    X402_HEX_PREFIX_REQUIRED);
	if ((e = x402_json_put(o, "receipt", json_object_new_int(1))) != 0 ||
	    (e = x402_json_put(o, "route", json_object_new_string(r->route))) != 0 ||
	    (e = x402_json_put(o, "time", json_object_new_int64(r->time))) != 0 ||
	    (e = x402_json_put(o, "x402Version",
	    json_object_new_int(r->x402_version))) != 0 ||
	    (e = x402_json_put(o, "scheme", json_object_new_string(r->scheme))) != 0 ||
	    (e = x402_json_put(o, "network", json_object_new_string(r->network))) != 0 ||
	    (e = put_addr(o, "asset", r->asset)) != 0 ||
	    (e = put_addr(o, "payer", r->payer)) != 0 ||
	    (e = put_addr(o, "payTo", r->pay_to)) != 0 ||
	    (e = put_u256(o, "amount", &r->amount)) != 0 ||
	    (e = put_u256(o, "maxAmount", &r->max_amount)) != 0 ||
	    (e = x402_json_put(o, "nonce", json_object_new_string(nonce))) != 0 ||
	    (e = x402_json_put(o, "transaction",
	    json_object_new_string(r->transaction))) != 0 ||
	    (e = x402_json_put(o, "resource", json_object_new_string(r->resource))) != 0)
		goto out;
	if (r->settlement != NULL &&
	    (e = x402_json_put(o, "settlement", json_object_get(r->settlement))) != 0)
		goto out;
	e = x402_json_append(b, o);
out:
	json_object_put(o);
	return e;
}

static int
copy_str(char *dst, size_t cap, struct x402_detail *d, struct json_object *o,
    const char *key)
{
	const char *s;
	size_t n;
	int e;

	if ((e = x402_json_string(&s, &n, d, o, "receipt", key, cap - 1)) != 0)
		return X402_ERR_PROTOCOL;
	memcpy(dst, s, n + 1);
	return 0;
}

static int
get_addr(uint8_t a[20], struct x402_detail *d, struct json_object *o,
    const char *key)
{
	char t[X402_ADDR_STRLEN + 1];

	if (copy_str(t, sizeof(t), d, o, key) != 0)
		return X402_ERR_PROTOCOL;
	if (x402_addr_parse(a, t, strlen(t)) != 0)
		return x402_fail(d, X402_ERR_PROTOCOL, "receipt.%s is not an "
		    "address", key);
	return 0;
}

static int
get_u256(x402_u256 *v, struct x402_detail *d, struct json_object *o,
    const char *key)
{
	char t[X402_U256_DECLEN + 1];

	if (copy_str(t, sizeof(t), d, o, key) != 0)
		return X402_ERR_PROTOCOL;
	if (x402_u256_parse_dec(v, t, strlen(t)) != 0)
		return x402_fail(d, X402_ERR_PROTOCOL, "receipt.%s is not a "
		    "decimal amount", key);
	return 0;
}

int
x402_receipt_parse(struct x402_receipt *r, struct x402_detail *d,
    const char *text, size_t len)
{
	struct json_object *o = NULL, *s;
	char nonce[67];
	int64_t v;
	int e;

	memset(r, 0, sizeof(*r));
	if (len > X402_RECEIPT_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "receipt over %d bytes",
		    X402_RECEIPT_MAX);
	if ((e = x402_json_parse(&o, d, text, len, X402_JSON_MAX_DEPTH)) != 0)
		return e;
	if ((e = x402_json_int(&v, d, o, "receipt", "receipt")) != 0 ||
	    v != 1) {
		e = x402_fail(d, X402_ERR_PROTOCOL, "not a version 1 receipt");
		goto out;
	}
	if ((e = copy_str(r->route, sizeof(r->route), d, o, "route")) ||
	    (e = x402_json_int(&r->time, d, o, "receipt", "time")) ||
	    (e = x402_json_int(&v, d, o, "receipt", "x402Version")) ||
	    (e = copy_str(r->scheme, sizeof(r->scheme), d, o, "scheme")) ||
	    (e = copy_str(r->network, sizeof(r->network), d, o, "network")) ||
	    (e = get_addr(r->asset, d, o, "asset")) ||
	    (e = get_addr(r->payer, d, o, "payer")) ||
	    (e = get_addr(r->pay_to, d, o, "payTo")) ||
	    (e = get_u256(&r->amount, d, o, "amount")) ||
	    (e = get_u256(&r->max_amount, d, o, "maxAmount")) ||
	    (e = copy_str(nonce, sizeof(nonce), d, o, "nonce")) ||
	    (e = copy_str(r->transaction, sizeof(r->transaction), d, o,
	    "transaction")) ||
	    (e = copy_str(r->resource, sizeof(r->resource), d, o,
	    "resource"))) {
		e = X402_ERR_PROTOCOL;
		goto out;
	}
	r->x402_version = (int)v;
	if (v != 1 && v != 2) {
		e = x402_fail(d, X402_ERR_PROTOCOL, "receipt.x402Version %lld",
		    (long long)v);
		goto out;
	}
	if (x402_hex_decode_exact(r->nonce, 32, nonce, strlen(nonce)) != 0) {
		e = x402_fail(d, X402_ERR_PROTOCOL, "receipt.nonce is not 32 "
		    "bytes of hex");
		goto out;
	}
	if (x402_u256_cmp(&r->amount, &r->max_amount) > 0) {
		e = x402_fail(d, X402_ERR_PROTOCOL, "receipt.amount is above "
		    "receipt.maxAmount");
		goto out;
	}
	if (json_object_object_get_ex(o, "settlement", &s) && s != NULL)
		r->settlement = json_object_get(s);
	e = 0;
out:
	json_object_put(o);
	return e;
}

void
x402_receipt_free(struct x402_receipt *r)
{
	if (r == NULL)
		return;
	json_object_put(r->settlement);
	r->settlement = NULL;
}
