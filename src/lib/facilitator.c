/* facilitator.c - x402 facilitator client (/verify, /settle, /supported). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "facilitator.h"
#include "json.h"

#define EXCERPT_MAX	64
#define BODY_MAX	(1024 * 1024)
#define HDR_MAX		(X402_CDP_JWT_MAX + 64)

#define CORRELATION "Correlation-Context: sdk_version=" PACKAGE_VERSION \
	",sdk_language=c,source=x402-cgi,source_version=" PACKAGE_VERSION

struct x402_facilitator {
	char base[X402_FACILITATOR_URL_MAX + 1];
	struct x402_http *http;
	struct x402_cdp_key *auth;
	int have_sup;
	struct x402_facilitator_supported sup;
};

int
x402_facilitator_new(struct x402_facilitator **out, struct x402_detail *d,
    const char *base_url, const struct x402_http_opts *http,
    struct x402_cdp_key *auth)
{
	struct x402_facilitator *f = NULL;
	size_t n, i;
	int r;

	*out = NULL;
	if (base_url == NULL) {
		r = x402_fail(d, X402_ERR_INVAL, "facilitator URL missing");
		goto out;
	}
	n = strnlen(base_url, X402_FACILITATOR_URL_MAX + 1);
	if (n > X402_FACILITATOR_URL_MAX) {
		r = x402_fail(d, X402_ERR_LIMIT, "facilitator URL longer than "
		    "%d bytes", X402_FACILITATOR_URL_MAX);
		goto out;
	}
	while (n > 0 && base_url[n - 1] == '/')
		n--;
	if (!((n > 8 && strncmp(base_url, "https://", 8) == 0) ||
	    (n > 7 && strncmp(base_url, "http://", 7) == 0))) {
		r = x402_fail(d, X402_ERR_INVAL, "facilitator URL must be "
		    "http:// or https://");
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)base_url[i] <= 0x20 ||
		    base_url[i] == 0x7f || base_url[i] == '?' ||
		    base_url[i] == '#') {
			r = x402_fail(d, X402_ERR_INVAL, "facilitator URL has "
			    "a space, control character, query or fragment");
			goto out;
		}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	memcpy(f->base, base_url, n);
	if ((r = x402_http_new(&f->http, http, d)) != 0)
		goto out;
	f->auth = auth;
	auth = NULL;
	*out = f;
	f = NULL;
out:
	x402_cdp_key_free(auth);
	x402_facilitator_free(f);
	return r;
}

void
x402_facilitator_free(struct x402_facilitator *f)
{
	if (f == NULL)
		return;
	x402_http_free(f->http);
	x402_cdp_key_free(f->auth);
	free(f->sup.kinds);
	json_object_put(f->sup.root);
	free(f);
}

/* A printable excerpt of a body for a detail. */
static void
excerpt(char out[EXCERPT_MAX + 4], const char *p, size_t n)
{
	size_t i, k = n < EXCERPT_MAX ? n : EXCERPT_MAX;

	for (i = 0; i < k; i++)
		out[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	if (n > k)
		memcpy(out + i, "...", 3), i += 3;
	out[i] = '\0';
}

/*
 * Sends one request to {base}/{path}.  Out: *resp (freed by the caller).
 */
static int
request(struct x402_facilitator *f, struct x402_http_response *resp,
    struct x402_detail *d, const char *method, const char *path,
    const char *body, size_t bodylen)
{
	struct x402_buf url, auth;
	const char *hdrs[5];
	size_t nh = 0;
	int r;

	x402_buf_init(&url, X402_FACILITATOR_URL_MAX + 32);
	x402_buf_init(&auth, HDR_MAX);
	memset(resp, 0, sizeof(*resp));
	if ((r = x402_buf_printf(&url, "%s/%s", f->base, path)) != 0)
		goto out;
	if (body != NULL)
		hdrs[nh++] = "Content-Type: application/json";
	hdrs[nh++] = "Accept: application/json";
	if (f->auth != NULL) {
		if ((r = x402_buf_adds(&auth, "Authorization: Bearer ")) != 0 ||
		    (r = x402_cdp_jwt(&auth, d, f->auth, method, url.p,
		    (uint64_t)time(NULL))) != 0)
			goto out;
		hdrs[nh++] = auth.p;
		hdrs[nh++] = CORRELATION;
	}
	hdrs[nh] = NULL;
	r = x402_http_request(f->http, resp, method, url.p, hdrs, body,
	    bodylen, d);
out:
	x402_buf_free(&url);
	x402_buf_free_wipe(&auth);
	return r;
}

/*
 * POSTs {x402Version, paymentPayload, paymentRequirements} to path.
 * Out: *status, *reply (the parsed JSON, or NULL when the body is not
 * JSON: then *ex holds an excerpt).
 */
static int
post(struct x402_facilitator *f, long *status, struct json_object **reply,
    char ex[EXCERPT_MAX + 4], int *sent, struct x402_detail *d,
    const char *path, int version, struct json_object *payment,
    struct json_object *req)
{
	struct json_object *env = NULL, *v;
	struct x402_http_response resp;
	struct x402_buf body;
	int r;

	*reply = NULL;
	*status = 0;
	*sent = 0;
	ex[0] = '\0';
	memset(&resp, 0, sizeof(resp));
	x402_buf_init(&body, BODY_MAX);
	if (f == NULL || payment == NULL || req == NULL ||
	    (version != 1 && version != 2)) {
		r = x402_fail(d, X402_ERR_INVAL, "facilitator %s: bad "
		    "argument", path);
		goto out;
	}
	if ((env = json_object_new_object()) == NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	if ((v = json_object_new_int(version)) == NULL ||
	    json_object_object_add(env, "x402Version", v) != 0) {
		json_object_put(v);
		r = X402_ERR_NOMEM;
		goto out;
	}
	/* Borrowed trees: take a reference, released with env. */
	if (json_object_object_add(env, "paymentPayload",
	    json_object_get(payment)) != 0) {
		json_object_put(payment);
		r = X402_ERR_NOMEM;
		goto out;
	}
	if (json_object_object_add(env, "paymentRequirements",
	    json_object_get(req)) != 0) {
		json_object_put(req);
		r = X402_ERR_NOMEM;
		goto out;
	}
	if ((r = x402_json_append(&body, env)) != 0) {
		x402_fail(d, r, "facilitator %s: request too large", path);
		goto out;
	}
	r = request(f, &resp, d, "POST", path, body.p, body.len);
	*sent = resp.sent;
	if (r != 0)
		goto out;
	*status = resp.status;
	if (x402_json_parse(reply, NULL, resp.body.p, resp.body.len,
	    X402_FACILITATOR_JSON_DEPTH) != 0) {
		*reply = NULL;
		excerpt(ex, resp.body.p, resp.body.len);
	} else if (!json_object_is_type(*reply, json_type_object)) {
		excerpt(ex, resp.body.p, resp.body.len);
		json_object_put(*reply);
		*reply = NULL;
	}
	r = 0;
out:
	json_object_put(env);
	x402_buf_free_wipe(&body);
	x402_http_response_free(&resp);
	return r;
}

/* Copies a reason, cut at cap-1 bytes on a UTF-8 character boundary. */
static void
copy_reason(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * An optional string member: 0 with *s set, 0 with *s NULL (absent or
 * null), or X402_ERR_BADREPLY (wrong type or too long).
 */
static int
opt_string(const char **s, size_t *n, struct x402_detail *d,
    struct json_object *o, const char *what, const char *key, size_t max)
{
	int r = x402_json_string(s, n, d, o, what, key, max);

	if (r == X402_ERR_NOTFOUND) {
		*s = NULL;
		*n = 0;
		x402_detail_clear(d);
		return 0;
	}
	return r == 0 ? 0 : X402_ERR_BADREPLY;
}

/* Parses an optional payer address.  Out: addr (unchanged when absent). */
static int
opt_payer(uint8_t addr[X402_ADDR_LEN], int *have, struct x402_detail *d,
    struct json_object *o, const char *what)
{
	const char *s;
	size_t n;
	int r;

	*have = 0;
	if ((r = opt_string(&s, &n, d, o, what, "payer", 128)) != 0)
		return r;
	if (s == NULL || n == 0)
		return 0;
	if (x402_addr_parse(addr, s, n) != 0)
		return x402_fail(d, X402_ERR_BADREPLY, "%s.payer is not an "
		    "address", what);
	*have = 1;
	return 0;
}

/*
 * Fills res from a VerifyResponse.  strict: a 2xx reply (every field
 * checked); otherwise an error reply whose verdict is always negative.
 */
static int
parse_verify(struct x402_verify_result *res, struct x402_detail *d,
    struct json_object *o, int strict)
{
	const char *s;
	size_t n;
	int valid = 0, have, r;

	if ((r = x402_json_bool(&valid, d, o, "verify reply", "isValid")) != 0)
		return X402_ERR_BADREPLY;
	if ((r = opt_string(&s, &n, d, o, "verify reply", "invalidReason",
	    X402_FACILITATOR_REASON_IN_MAX)) != 0) {
		if (strict)
			return r;
		s = NULL;
	}
	if (s != NULL)
		copy_reason(res->reason, sizeof(res->reason), s, n);
	if ((r = opt_string(&s, &n, d, o, "verify reply", "invalidMessage",
	    X402_FACILITATOR_REASON_IN_MAX)) != 0) {
		if (strict)
			return r;
		s = NULL;
	}
	if (s != NULL)
		copy_reason(res->message, sizeof(res->message), s, n);
	if ((r = opt_payer(res->payer, &have, d, o, "verify reply")) != 0 &&
	    strict)
		return r;
	res->valid = strict ? valid : 0;
	if (res->valid) {
		res->reason[0] = '\0';
		res->message[0] = '\0';
	} else if (res->reason[0] == '\0')
		copy_reason(res->reason, sizeof(res->reason),
		    "unexpected_verify_error", 23);
	x402_detail_clear(d);
	return 0;
}

int
x402_facilitator_verify(struct x402_facilitator *f,
    struct x402_verify_result *res, struct x402_detail *d, int version,
    struct json_object *payment, struct json_object *requirement)
{
	struct json_object *reply = NULL, *v;
	char ex[EXCERPT_MAX + 4];
	const char *t;
	long status;
	int r, sent;

	memset(res, 0, sizeof(*res));
	if ((r = post(f, &status, &reply, ex, &sent, d, "verify", version,
	    payment,
	    requirement)) != 0)
		goto out;
	if (status >= 200 && status < 300) {
		if (reply == NULL) {
			r = x402_fail(d, X402_ERR_BADREPLY, "facilitator "
			    "verify: HTTP %ld, not a JSON object: %s", status,
			    ex);
			goto out;
		}
		if ((r = parse_verify(res, d, reply, 1)) != 0) {
			memset(res, 0, sizeof(*res));
			r = X402_ERR_BADREPLY;
		}
		goto out;
	}
	if (reply != NULL && json_object_object_get_ex(reply, "isValid", &v) &&
	    json_object_is_type(v, json_type_boolean)) {
		r = parse_verify(res, d, reply, 0);
		goto out;
	}
	if (reply != NULL) {
		t = json_object_to_json_string_ext(reply,
		    JSON_C_TO_STRING_PLAIN);
		excerpt(ex, t, strlen(t));
	}
	r = x402_fail(d, X402_ERR_UPSTREAM, "facilitator verify: HTTP %ld: %s",
	    status, ex);
out:
	json_object_put(reply);
	return r;
}

static int
is_tx_hash(const char *s, size_t n)
{
	size_t i;

	if (n != 66 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return 0;
	for (i = 2; i < n; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL ||
		    s[i] == '\0')
			return 0;
	return 1;
}

/* Fills out from a SettleResponse; strict as in parse_verify. */
static int
parse_settle(struct x402_settlement *out, struct x402_detail *d,
    struct json_object *o, int strict)
{
	const char *w = "settle reply", *s;
	uint8_t payer[X402_ADDR_LEN];
	size_t n;
	int ok = 0, have, r, bad_tx = 0;

	if (x402_json_bool(&ok, d, o, w, "success") != 0)
		return X402_ERR_BADREPLY;
	out->success = strict ? ok : 0;
	if ((r = opt_string(&s, &n, d, o, w, "errorReason",
	    X402_FACILITATOR_REASON_IN_MAX)) != 0) {
		if (strict)
			return r;
		s = NULL;
	}
	if (s != NULL && !out->success)
		copy_reason(out->error_reason, sizeof(out->error_reason), s, n);
	/* transaction and network are required in a 2xx reply. */
	r = x402_json_string(&s, &n, d, o, w, "transaction", 128);
	if (r != 0 && strict)
		return x402_fail(d, X402_ERR_BADREPLY, "settle reply: "
		    "transaction missing or not a string");
	if (r == 0 && is_tx_hash(s, n))
		memcpy(out->transaction, s, n + 1);
	else if (r == 0 && strict && out->success)
		bad_tx = n == 0 ? 1 : 2;
	r = x402_json_string(&s, &n, d, o, w, "network", X402_NET_CAIP2_MAX);
	if (r != 0 && strict)
		return x402_fail(d, X402_ERR_BADREPLY, "settle reply: network "
		    "missing, not a string or too long");
	if (r == 0)
		memcpy(out->network, s, n + 1);
	if ((r = opt_payer(payer, &have, d, o, w)) != 0 && strict)
		return r;
	if (r == 0 && have)
		x402_addr_format(out->payer, payer);
	if ((r = opt_string(&s, &n, d, o, w, "amount", 80)) != 0 && strict)
		return r;
	if (r == 0 && s != NULL) {
		if (x402_u256_parse_dec(&out->amount, s, n) == 0)
			out->has_amount = 1;
		else if (strict)
			return x402_fail(d, X402_ERR_BADREPLY, "settle reply: "
			    "amount is not a decimal integer");
	}
	/* "" is a success only for an upto settlement of zero (no tx). */
	if (bad_tx == 2 || (bad_tx == 1 && (!out->has_amount ||
	    !x402_u256_is_zero(&out->amount))))
		return x402_fail(d, X402_ERR_BADREPLY, "settle reply: "
		    "transaction is not a 0x + 64 hex hash");
	if (!out->success && out->error_reason[0] == '\0')
		copy_reason(out->error_reason, sizeof(out->error_reason),
		    "unexpected_settle_error", 23);
	x402_detail_clear(d);
	return 0;
}

int
x402_facilitator_settle(struct x402_facilitator *f,
    struct x402_settlement *out, struct json_object **raw,
    struct x402_detail *d, int version, struct json_object *payment,
    struct json_object *requirement)
{
	struct json_object *reply = NULL, *v;
	char ex[EXCERPT_MAX + 4];
	long status;
	const char *t;
	int r, sent = 0;

	memset(out, 0, sizeof(*out));
	if (raw != NULL)
		*raw = NULL;
	if (f != NULL)
		x402_http_once(f->http);	/* never resent */
	if ((r = post(f, &status, &reply, ex, &sent, d, "settle", version,
	    payment, requirement)) != 0)
		goto out;
	if (status >= 200 && status < 300) {
		if (reply == NULL) {
			r = x402_fail(d, X402_ERR_BADREPLY, "facilitator "
			    "settle: HTTP %ld, not a JSON object: %s", status,
			    ex);
			goto out;
		}
		if ((r = parse_settle(out, d, reply, 1)) != 0) {
			memset(out, 0, sizeof(*out));
			r = X402_ERR_BADREPLY;
		}
		goto done;
	}
	if (reply != NULL && json_object_object_get_ex(reply, "success", &v) &&
	    json_object_is_type(v, json_type_boolean)) {
		r = parse_settle(out, d, reply, 0);
		goto done;
	}
	if (reply != NULL) {
		t = json_object_to_json_string_ext(reply,
		    JSON_C_TO_STRING_PLAIN);
		excerpt(ex, t, strlen(t));
	}
	r = x402_fail(d, X402_ERR_UPSTREAM, "facilitator settle: HTTP %ld: %s",
	    status, ex);
	goto out;
done:
	if (r == 0 && raw != NULL) {
		*raw = reply;
		reply = NULL;
	}
out:
	/*
	 * The request left and no verdict came back (a timeout, a cut
	 * connection, 5xx, garbage): the transfer may have happened.
	 */
	if (r != 0 && r != X402_ERR_PENDING && sent) {
		char why[X402_DETAIL_MAX];

		snprintf(why, sizeof(why), "%s", d != NULL ? d->msg : "");
		r = x402_fail(d, X402_ERR_PENDING, "facilitator settle: no "
		    "verdict (%s): %.160s", x402_strerror(r), why);
	}
	json_object_put(reply);
	return r;
}

static int
parse_supported(struct x402_facilitator_supported *sup,
    struct x402_detail *d, struct json_object *root)
{
	struct json_object *kinds, *k, *extra;
	const char *w = "supported reply", *s, *n;
	size_t i, cnt, sl, nl;
	int64_t ver;

	if (!json_object_object_get_ex(root, "kinds", &kinds) ||
	    !json_object_is_type(kinds, json_type_array))
		return x402_fail(d, X402_ERR_BADREPLY, "%s: kinds is not an "
		    "array", w);
	cnt = json_object_array_length(kinds);
	if (cnt > X402_FACILITATOR_KINDS_MAX)
		return x402_fail(d, X402_ERR_BADREPLY, "%s: more than %d "
		    "kinds", w, X402_FACILITATOR_KINDS_MAX);
	if (cnt > 0 && (sup->kinds = calloc(cnt, sizeof(*sup->kinds))) ==
	    NULL)
		return X402_ERR_NOMEM;
	for (i = 0; i < cnt; i++) {
		k = json_object_array_get_idx(kinds, i);
		if (x402_json_int(&ver, d, k, "kind", "x402Version") != 0 ||
		    x402_json_string(&s, &sl, d, k, "kind", "scheme", 256) !=
		    0 ||
		    x402_json_string(&n, &nl, d, k, "kind", "network", 256) !=
		    0)
			return x402_fail(d, X402_ERR_BADREPLY, "%s: kinds[%zu] "
			    "needs x402Version, scheme and network", w, i);
		extra = NULL;
		if (json_object_object_get_ex(k, "extra", &extra) &&
		    extra != NULL &&
		    !json_object_is_type(extra, json_type_object))
			return x402_fail(d, X402_ERR_BADREPLY, "%s: kinds[%zu]"
			    ".extra is not an object", w, i);
		if (sl > X402_SCHEME_MAX || nl > X402_NET_CAIP2_MAX ||
		    ver < 0 || ver > 1000)
			continue;	/* nothing we could offer */
		sup->kinds[sup->nkinds].version = (int)ver;
		memcpy(sup->kinds[sup->nkinds].scheme, s, sl + 1);
		memcpy(sup->kinds[sup->nkinds].network, n, nl + 1);
		sup->kinds[sup->nkinds].extra = extra;
		sup->nkinds++;
	}
	if (json_object_object_get_ex(root, "signers", &sup->signers) &&
	    sup->signers != NULL &&
	    !json_object_is_type(sup->signers, json_type_object))
		return x402_fail(d, X402_ERR_BADREPLY, "%s: signers is not an "
		    "object", w);
	sup->root = root;
	return 0;
}

int
x402_facilitator_supported(struct x402_facilitator *f,
    const struct x402_facilitator_supported **out, struct x402_detail *d)
{
	struct x402_http_response resp;
	struct json_object *root = NULL;
	char ex[EXCERPT_MAX + 4];
	int r;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	if (f == NULL)
		return X402_ERR_INVAL;
	if (f->have_sup) {
		*out = &f->sup;
		return 0;
	}
	if ((r = request(f, &resp, d, "GET", "supported", NULL, 0)) != 0)
		goto out;
	if (resp.status < 200 || resp.status >= 300) {
		excerpt(ex, resp.body.p, resp.body.len);
		r = x402_fail(d, X402_ERR_UPSTREAM, "facilitator supported: "
		    "HTTP %ld: %s", resp.status, ex);
		goto out;
	}
	if (x402_json_parse(&root, d, resp.body.p, resp.body.len,
	    X402_FACILITATOR_JSON_DEPTH) != 0 ||
	    !json_object_is_type(root, json_type_object)) {
		excerpt(ex, resp.body.p, resp.body.len);
		r = x402_fail(d, X402_ERR_BADREPLY, "facilitator supported: "
		    "not a JSON object: %s", ex);
		goto out;
	}
	if ((r = parse_supported(&f->sup, d, root)) != 0) {
		free(f->sup.kinds);
		memset(&f->sup, 0, sizeof(f->sup));
		goto out;
	}
	root = NULL;
	f->have_sup = 1;
	*out = &f->sup;
out:
	json_object_put(root);
	x402_http_response_free(&resp);
	return r;
}

int
x402_facilitator_supports(struct x402_facilitator *f, int *yes,
    struct x402_detail *d, int version, const char *scheme,
    const char *network)
{
	const struct x402_facilitator_supported *sup;
	size_t i;
	int r;

	*yes = 0;
	if (scheme == NULL || network == NULL)
		return X402_ERR_INVAL;
	if ((r = x402_facilitator_supported(f, &sup, d)) != 0)
		return r;
	for (i = 0; i < sup->nkinds; i++)
		if (sup->kinds[i].version == version &&
		    strcmp(sup->kinds[i].scheme, scheme) == 0 &&
		    strcmp(sup->kinds[i].network, network) == 0) {
			*yes = 1;
			break;
		}
	return 0;
}
