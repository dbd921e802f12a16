/*
 * gate.c - one request through x402-gate.
 *
 * Order (DESIGN.md): no payment -> 402; decode and match the header;
 * read the body (capped); verify; claim the authorization; [settle if
 * settle = before]; run the command; settle; commit the claim; write the
 * receipt; reply with the output and the settlement header.  Any failure
 * before settlement releases the claim and charges nothing.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "ext.h"
#include "gate.h"
#include "log.h"
#include "page.h"
#include "pending.h"

#define URL_MAX 2048
#define HEADERS_MAX 16384
#define ERRBODY_MAX (64 * 1024)
/* Room kept in the reply headers for the settlement header. */
#define SETTLE_HDR_RESERVE 1024
#define STR_(x) #x
#define STR(x) STR_(x)
#define USAGE_FD_TEXT STR(X402_RUN_USAGE_FD)
#define EXPOSITION_MAX (4 << 20)	/* bytes of a metrics reply */
#define REQUEST_ID_MAX 64

struct reply {
	int status;
	int bad;			/* a header did not fit */
	struct x402_buf head;		/* "Name: value\r\n" lines */
	struct x402_buf body;		/* owned body, or */
	const char *ext;		/* borrowed body */
	size_t ext_len;
	char type[X402_KEPT_TYPE_MAX + 1];	/* its Content-Type */
};

struct req {
	struct route *r;
	struct gate_io *io;
	const char *method;
	const char *hdr;		/* the payment header value */
	int hdr_v1;			/* it came as X-PAYMENT */
	int browser;
	char url[URL_MAX + 1];
	struct x402_resource res;
	struct x402_buf body;
	struct x402_payment pay;
	size_t offer;
	struct json_object *req_json;	/* requirement as advertised */
	struct x402_verify_result vr;
	struct x402_settlement st;
	struct x402_claim_token tok;
	int claimed;
	int drafted;			/* a receipt draft is on disk */
	int before;			/* the payment settled before the run */
	int keep;			/* keep the reply for retries */
	int64_t keep_until;		/* ... until then */
	struct ext_payid pid;		/* payment-identifier reservation */
	struct timespec t0;
	x402_u256 charge;		/* upto: the metered amount */
	/*
	 * What the access line and the counters need, set where the reply
	 * is sent, a refusal made, the command started and the payment
	 * settled; read once at the end (note()).
	 */
	char id[REQUEST_ID_MAX + 1];	/* the request id */
	int status;			/* the reply sent, 0 none */
	const char *refusal;		/* reason label (static), or NULL */
	int settle_e;			/* settle(): the settler's error */
	int64_t settle_us;		/* -1: not asked */
	struct timespec cmd_t0;		/* the command's start */
	int cmd_running;
	int64_t command_us;		/* -1: it did not run */
};

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

static const char *
env(struct req *q, const char *name)
{
	const char *v = q->io->getenv(q->io->ctx, name);

	return v != NULL ? v : "";
}

static void
hdr(struct reply *rp, const char *name, const char *fmt, ...)
    X402_PRINTF(3, 4);

static void
hdr(struct reply *rp, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (strcmp(name, "Content-Type") == 0) {
		va_start(ap, fmt);
		vsnprintf(rp->type, sizeof(rp->type), fmt, ap);
		va_end(ap);
	}
	if (x402_buf_printf(&rp->head, "%s: ", name) != 0) {
		rp->bad = 1;
		return;
	}
	va_start(ap, fmt);
	if (x402_buf_vprintf(&rp->head, fmt, ap) != 0)
		rp->bad = 1;
	va_end(ap);
	if (x402_buf_adds(&rp->head, "\r\n") != 0)
		rp->bad = 1;
}

static void
reply_init(struct reply *rp, int status)
{
	memset(rp, 0, sizeof(*rp));
	rp->status = status;
	x402_buf_init(&rp->head, HEADERS_MAX);
	x402_buf_init(&rp->body, ERRBODY_MAX);
}

static void
cors(struct req *q, struct reply *rp)
{
	if (q->r->c.cors_origin[0] == '\0')
		return;
	hdr(rp, "Access-Control-Allow-Origin", "%s", q->r->c.cors_origin);
	hdr(rp, "Access-Control-Expose-Headers",
	    "PAYMENT-REQUIRED, PAYMENT-RESPONSE, X-PAYMENT-RESPONSE");
}

/* Microseconds since t. */
static int64_t
since_us(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000000 +
	    (now.tv_nsec - t->tv_nsec) / 1000;
}

/*
 * The command's time ends at the first reply or settlement after it
 * started (what follows x402_run is parsing only).
 */
static void
command_done(struct req *q)
{
	if (!q->cmd_running)
		return;
	q->cmd_running = 0;
	q->command_us = since_us(&q->cmd_t0);
}

static void
reply_send(struct req *q, struct reply *rp)
{
	struct x402_buf out;
	const char *b = rp->ext ? rp->ext : rp->body.p;
	size_t bl = rp->ext ? rp->ext_len : rp->body.len;

	q->status = rp->status;
	command_done(q);
	if (q->keep) {
		/* The retry that ran the command: later ones get this. */
		q->keep = 0;
		(void)pending_keep(q->r, &q->tok, q->hdr, q->keep_until,
		    rp->status, rp->type[0] ? rp->type :
		    "application/octet-stream", b, bl);
	}
	x402_buf_init(&out, HEADERS_MAX + 256);
	if (rp->bad || x402_buf_printf(&out, "Status: %d %s\r\n", rp->status,
	    reason_phrase(rp->status)) != 0 ||
	    x402_buf_add(&out, rp->head.p ? rp->head.p : "", rp->head.len) ||
	    x402_buf_printf(&out, "Content-Length: %zu\r\n\r\n", bl) != 0) {
		static const char err500[] = "Status: 500 Internal Server "
		    "Error\r\nContent-Length: 0\r\n\r\n";

		X402_LOG_ERR("reply headers over %d bytes", HEADERS_MAX);
		q->status = 500;
		if (q->io->write(q->io->ctx, err500, sizeof(err500) - 1) != 0)
			X402_LOG_WARN("client went away while we replied");
		goto out;
	}
	if (q->io->write(q->io->ctx, out.p, out.len) != 0 ||
	    (bl > 0 && q->io->write(q->io->ctx, b, bl) != 0))
		X402_LOG_WARN("client went away while we replied");
out:
	x402_buf_free(&out);
	x402_buf_free(&rp->head);
	x402_buf_free(&rp->body);
}

/* An error reply with a JSON body {"error": msg}; Retry-After if set. */
static void
error_reply(struct req *q, int status, unsigned retry_after, const char *msg)
{
	struct reply rp;
	struct json_object *o;

	reply_init(&rp, status);
	cors(q, &rp);
	hdr(&rp, "Content-Type", "application/json");
	hdr(&rp, "Cache-Control", "no-store");
	if (retry_after > 0)
		hdr(&rp, "Retry-After", "%u", retry_after);
	o = json_object_new_object();
	if (o == NULL || x402_json_add_string(o, "error", msg) != 0 ||
	    x402_json_append(&rp.body, o) != 0)
		x402_buf_reset(&rp.body);
	json_object_put(o);
	if (status >= 500)
		X402_LOG_ERR("route %s: %d: %s", q->r->name, status, msg);
	else
		X402_LOG_INFO("route %s: %d: %s", q->r->name, status, msg);
	if (status >= 400 && status < 500 && q->hdr != NULL)
		q->refusal = "bad_request";
	reply_send(q, &rp);
}

/* A plain error reply with a JSON body {"error": ...}. */
static void
fail(struct req *q, int status, const char *fmt, ...) X402_PRINTF(3, 4);

static void
fail(struct req *q, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_reply(q, status, 0, msg);
}

/*
 * 402 with every offer: v1 body, v2 PAYMENT-REQUIRED, or the HTML page
 * for a browser.  error_v1/v2 as in x402_payment_required; settle_hdr
 * adds a failure settlement header (v2 PAYMENT-RESPONSE).
 */
static void
payment_required(struct req *q, const char *error_v1, const char *error_v2,
    const char *settle_name, const char *settle_value)
{
	struct reply rp;
	struct x402_buf v2;
	struct x402_detail d;
	struct json_object *ext = NULL;
	int e;

	reply_init(&rp, 402);
	x402_buf_init(&v2, HEADERS_MAX - 1024);
	if ((e = ext_declare(&ext, q->r, q->res.method)) == 0)
		e = x402_payment_required_ext(&rp.body, &v2, &d, &q->res,
		    q->r->offers, q->r->v2_accepts, q->r->noffers, error_v1,
		    error_v2, ext);
	else
		x402_fail(&d, e, "cannot build the extensions");
	json_object_put(ext);
	if (e != 0) {
		x402_buf_free(&v2);
		x402_buf_free(&rp.head);
		x402_buf_free(&rp.body);
		fail(q, 500, "cannot build the 402 reply: %s", d.msg);
		return;
	}
	cors(q, &rp);
	hdr(&rp, "PAYMENT-REQUIRED", "%s", v2.p);
	hdr(&rp, "Cache-Control", "no-store");
	if (settle_name != NULL)
		hdr(&rp, settle_name, "%s", settle_value);
	if (q->browser && q->r->c.browser_page && q->hdr == NULL) {
		char csp[PAGE_CSP_MAX];

		x402_buf_reset(&rp.body);
		if (page_paywall(&rp.body, csp, sizeof(csp), q->r, &q->res,
		    v2.p) == 0) {
			hdr(&rp, "Content-Type", "text/html; charset=utf-8");
			hdr(&rp, "Content-Security-Policy", "%s", csp);
			hdr(&rp, "X-Content-Type-Options", "nosniff");
		} else {
			x402_buf_reset(&rp.body);
			x402_buf_reset(&v2);
			e = x402_payment_required(&rp.body, &v2, &d, &q->res,
			    q->r->offers, q->r->v2_accepts, q->r->noffers,
			    error_v1, error_v2);
			hdr(&rp, "Content-Type", "application/json");
		}
	} else
		hdr(&rp, "Content-Type", "application/json");
	x402_buf_free(&v2);
	if (error_v1 != NULL && q->hdr != NULL) {
		X402_LOG_INFO("route %s: 402: %s", q->r->name, error_v1);
		q->refusal = gm_reason(error_v1);
	}
	reply_send(q, &rp);
}

static void
preflight(struct req *q)
{
	struct reply rp;

	reply_init(&rp, 204);
	if (q->r->c.cors_origin[0] != '\0') {
		hdr(&rp, "Access-Control-Allow-Origin", "%s",
		    q->r->c.cors_origin);
		hdr(&rp, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
		hdr(&rp, "Access-Control-Allow-Headers", "PAYMENT-SIGNATURE, "
		    "X-PAYMENT, SIGN-IN-WITH-X, Access-Control-Expose-Headers, "
		    "Content-Type");
		hdr(&rp, "Access-Control-Expose-Headers", "PAYMENT-REQUIRED, "
		    "PAYMENT-RESPONSE, X-PAYMENT-RESPONSE");
		hdr(&rp, "Access-Control-Max-Age", "600");
	}
	reply_send(q, &rp);
}

/* The resource URL: configured, or scheme://host/uri of this request. */
static void
build_url(struct req *q)
{
	const char *https = env(q, "HTTPS"), *host = env(q, "HTTP_HOST");
	const char *uri = env(q, "REQUEST_URI");
	const char *scheme = (strcasecmp(https, "on") == 0 ||
	    strcmp(https, "1") == 0) ? "https" : "http";
	size_t i;

	if (q->r->c.resource_url[0] != '\0') {
		snprintf(q->url, sizeof(q->url), "%s", q->r->c.resource_url);
		return;
	}
	if (host[0] == '\0')
		host = env(q, "SERVER_NAME");
	if (uri[0] == '\0')
		uri = env(q, "SCRIPT_NAME");
	snprintf(q->url, sizeof(q->url), "%s://%s%s", scheme, host, uri);
	/* Nothing but printable ASCII reaches a JSON string or a log. */
	for (i = 0; q->url[i] != '\0'; i++)
		if ((unsigned char)q->url[i] < 0x21 ||
		    (unsigned char)q->url[i] > 0x7e)
			q->url[i] = '_';
}

static int
read_body(struct req *q)
{
	const char *cl = env(q, "CONTENT_LENGTH");
	unsigned long long want;
	char *end;
	int e;

	x402_buf_init(&q->body, (size_t)q->r->c.max_input);
	if (cl[0] == '\0')
		return 0;
	want = strtoull(cl, &end, 10);
	if (*end != '\0' || cl[0] == '-') {
		fail(q, 400, "bad Content-Length");
		return -1;
	}
	if (want > q->r->c.max_input) {
		fail(q, 413, "request body over %llu bytes",
		    (unsigned long long)q->r->c.max_input);
		return -1;
	}
	if ((e = x402_buf_reserve(&q->body, (size_t)want)) != 0) {
		fail(q, 500, "out of memory for the request body");
		return -1;
	}
	while (q->body.len < want) {
		long n = q->io->read(q->io->ctx, q->body.p + q->body.len,
		    (size_t)want - q->body.len);

		if (n <= 0) {
			X402_LOG_WARN("route %s: request body ended after %zu "
			    "of %llu bytes", q->r->name, q->body.len, want);
			return -1;	/* the client is gone: no reply */
		}
		q->body.len += (size_t)n;
	}
	q->body.p[q->body.len] = '\0';
	return 0;
}

static int
upstream_status(int e)
{
	switch (e) {
	case X402_ERR_TIMEOUT:
	case X402_ERR_PENDING:
		return 504;
	case X402_ERR_NET:
		return 503;
	default:
		return 502;
	}
}

/* Removes the receipt draft (the receipt is durable, or nothing is due). */
static void
drop_draft(struct req *q)
{
	struct x402_detail d;

	if (!q->drafted)
		return;
	if (x402_draft_drop(q->r->drafts, &d, q->tok.id) != 0)
		X402_LOG_WARN("route %s: cannot remove a receipt draft: %s",
		    q->r->name, d.msg);
	q->drafted = 0;
}

/*
 * A settlement left PENDING: the claim and the receipt draft stay on
 * disk for x402-gate --recover (nothing is released at the end).
 */
static void
keep_for_recovery(struct req *q)
{
	q->claimed = 0;
	q->drafted = 0;
}

static void
release(struct req *q)
{
	struct x402_detail d;

	if (!q->claimed)
		return;
	if (x402_claim_release(q->r->claims, &d, &q->tok) != 0)
		X402_LOG_ERR("route %s: cannot release a claim: %s",
		    q->r->name, d.msg);
	q->claimed = 0;
	drop_draft(q);
}

/* The environment of the command: CGI variables and X402_*, nothing else. */
static int
build_env(struct req *q, struct x402_env *e)
{
	static const char *const pass[] = {
		"REQUEST_METHOD", "QUERY_STRING", "CONTENT_TYPE",
		"CONTENT_LENGTH", "SCRIPT_NAME", "PATH_INFO", "REQUEST_URI",
		"REMOTE_ADDR", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT",
		"SERVER_PROTOCOL", "HTTPS", "HTTP_HOST", "HTTP_ACCEPT",
		"HTTP_ACCEPT_LANGUAGE", "HTTP_USER_AGENT", NULL,
	};
	const struct x402_offer *o = &q->r->offers[q->offer];
	char amount[X402_U256_DECLEN + 1], addr[X402_ADDR_STRLEN + 1];
	size_t i;
	int r = 0;

	/* The command starts right after its environment is built. */
	clock_gettime(CLOCK_MONOTONIC, &q->cmd_t0);
	q->cmd_running = 1;
	x402_env_init(e);
	for (i = 0; pass[i] != NULL && r == 0; i++) {
		const char *v = q->io->getenv(q->io->ctx, pass[i]);

		if (v != NULL)
			r = x402_env_set(e, pass[i], v, NULL);
	}
	if (r != 0)
		return r;
	x402_addr_format(addr, q->pay.exact.auth.from);
	if (x402_u256_format_dec(amount, sizeof(amount), &o->amount) < 0)
		return X402_ERR_INTERNAL;
	if ((r = x402_env_set(e, "GATEWAY_INTERFACE", "CGI/1.1", NULL)) ||
	    (r = x402_env_set(e, "SERVER_SOFTWARE", "x402-gate/" VERSION, NULL)) ||
	    (r = x402_env_set(e, "PATH", "/usr/local/bin:/usr/bin:/bin", NULL)) ||
	    (r = x402_env_set(e, "LANG", "C.UTF-8", NULL)) ||
	    (r = x402_env_set(e, "X402_ROUTE", q->r->name, NULL)) ||
	    (r = x402_env_set(e, "X402_REQUEST_ID", q->id, NULL)) ||
	    (r = x402_env_set(e, "X402_PAYER", addr, NULL)) ||
	    (r = x402_env_set(e, "X402_AMOUNT", amount, NULL)) ||
	    (r = x402_env_set(e, "X402_NETWORK", o->net->caip2, NULL)) ||
	    (r = x402_env_set(e, "X402_SCHEME", x402_scheme_name(o->scheme), NULL)))
		return r;
	x402_addr_format(addr, o->asset->address);
	if ((r = x402_env_set(e, "X402_ASSET", addr, NULL)) != 0)
		return r;
	if (q->st.transaction[0] != '\0' &&
	    (r = x402_env_set(e, "X402_TX", q->st.transaction, NULL)) != 0)
		return r;
	if (o->scheme == X402_SCHEME_UPTO &&
	    (r = x402_env_set(e, "X402_USAGE_FD", USAGE_FD_TEXT, NULL)) != 0)
		return r;
	return 0;
}

/* The payer and the single-use nonce of the payment (claim, receipt). */
static void
pay_ids(const struct req *q, uint8_t payer[X402_ADDR_LEN], uint8_t nonce[32])
{
	if (q->r->offers[q->offer].scheme == X402_SCHEME_UPTO) {
		memcpy(payer, q->pay.upto.from, X402_ADDR_LEN);
		x402_u256_to_be(nonce, &q->pay.upto.permit.nonce);
	} else {
		memcpy(payer, q->pay.exact.auth.from, X402_ADDR_LEN);
		memcpy(nonce, q->pay.exact.auth.nonce, 32);
	}
}

/*
 * Usage-based pricing (upto): what the command wrote to its usage
 * channel (fd X402_RUN_USAGE_FD: "charge N" in atomic units or "units N",
 * output.h), capped at the signed maximum, or the route's default.  Never
 * anything in stdout: the client may shape that.  Sets q->charge.
 * Returns 0 or X402_ERR_SYNTAX / X402_ERR_LIMIT (a report that cannot be
 * charged).
 */
static int
meter(struct req *q, const struct x402_buf *use, int overflow)
{
	char amt[X402_U256_DECLEN + 1], max[X402_U256_DECLEN + 1];
	struct x402_usage u;
	struct x402_detail d;
	int capped, e;

	x402_detail_clear(&d);
	memset(&u, 0, sizeof(u));
	if (overflow)
		e = x402_fail(&d, X402_ERR_LIMIT, "usage: more than %d bytes",
		    X402_USAGE_MAX);
	else
		e = x402_usage_parse(&u, &d, use->p, use->len);
	if (e == 0)
		e = route_meter(q->r, q->offer, &q->charge, &capped, &d,
		    u.kind == X402_USAGE_CHARGE ? u.value : NULL,
		    u.kind == X402_USAGE_UNITS ? u.value : NULL);
	if (e != 0) {
		X402_LOG_ERR("route %s: bad usage report: %s", q->r->name,
		    d.msg);
		return e;
	}
	if (x402_u256_format_dec(amt, sizeof(amt), &q->charge) < 0 ||
	    x402_u256_format_dec(max, sizeof(max),
	    &q->r->offers[q->offer].amount) < 0)
		return X402_ERR_INTERNAL;
	if (capped)
		X402_LOG_WARN("route %s: usage above the maximum: charging "
		    "the maximum %s (%s %s)", q->r->name, max,
		    u.kind == X402_USAGE_CHARGE ? "charge" : "units",
		    u.kind == X402_USAGE_NONE ? "by default" : u.value);
	X402_LOG_INFO("route %s: metered %s of at most %s", q->r->name, amt,
	    max);
	return 0;
}

/*
 * A settlement reply that succeeded must be about this payment: the
 * payer, the payment's network, a transaction (none only for an upto
 * charge of zero) and, for upto, the amount charged when the reply states
 * one (q->st.amount holds the stated amount).  The money moved either
 * way: a mismatch is logged loudly and the receipt records what the
 * settler said was settled; nothing is dropped.  Returns the number of
 * mismatches.
 */
static int
reply_check(const struct req *q)
{
	const struct x402_offer *o = &q->r->offers[q->offer];
	uint8_t payer[X402_ADDR_LEN], nonce[32], got[X402_ADDR_LEN];
	char want[80], said[80];
	int bad = 0, upto = o->scheme == X402_SCHEME_UPTO;

	pay_ids(q, payer, nonce);
	if (x402_addr_parse(got, q->st.payer, strlen(q->st.payer)) != 0 ||
	    memcmp(got, payer, X402_ADDR_LEN) != 0) {
		x402_addr_format(want, payer);
		X402_LOG_ERR("route %s: SETTLEMENT MISMATCH: the settler "
		    "names payer \"%s\", the payment is from %s", q->r->name,
		    q->st.payer, want);
		bad++;
	}
	if (strcmp(q->st.network, q->pay.network) != 0) {
		X402_LOG_ERR("route %s: SETTLEMENT MISMATCH: network \"%s\", "
		    "the payment is on %s", q->r->name, q->st.network,
		    q->pay.network);
		bad++;
	}
	if (q->st.transaction[0] == '\0' &&
	    !(upto && x402_u256_is_zero(&q->charge))) {
		X402_LOG_ERR("route %s: SETTLEMENT MISMATCH: success without "
		    "a transaction", q->r->name);
		bad++;
	}
	if (upto && q->st.has_amount &&
	    x402_u256_cmp(&q->st.amount, &q->charge) != 0) {
		(void)x402_u256_format_dec(want, sizeof(want), &q->charge);
		(void)x402_u256_format_dec(said, sizeof(said), &q->st.amount);
		X402_LOG_ERR("route %s: SETTLEMENT MISMATCH: charged %s, the "
		    "settler settled %s (tx %s); the receipt records %s",
		    q->r->name, want, said, q->st.transaction, said);
		bad++;
	}
	return bad;
}

static int
settle(struct req *q, const char *when)
{
	struct x402_settle_request sr;
	struct x402_detail d;
	struct timespec t;
	int e;

	memset(&sr, 0, sizeof(sr));
	sr.payment = &q->pay;
	sr.offer = &q->r->offers[q->offer];
	sr.requirement = q->req_json;
	sr.domain_separator = q->r->domain_sep[q->offer];
	sr.now = (uint64_t)time(NULL);
	if (sr.offer->scheme == X402_SCHEME_UPTO) {
		sr.has_amount = 1;
		sr.amount = q->charge;
	}
	x402_detail_clear(&d);
	command_done(q);
	clock_gettime(CLOCK_MONOTONIC, &t);
	e = x402_settler_settle(q->r->settler, &q->st, &d, &sr);
	q->settle_us = since_us(&t);
	q->settle_e = e;
	if (e != 0) {
		X402_LOG_ERR("route %s: settlement %s the command failed: "
		    "%s: %s", q->r->name, when, x402_strerror(e), d.msg);
		return e;
	}
	if (sr.has_amount && q->st.success && !q->st.has_amount) {
		q->st.has_amount = 1;
		q->st.amount = q->charge;
	}
	if (q->st.success)
		(void)reply_check(q);
	return 0;
}

/*
 * The receipt of this payment as far as it is known before settlement
 * (the draft), or after it (amount and transaction from q->st).
 */
static void
build_receipt(struct req *q, struct x402_receipt *rc_out)
{
	const struct x402_offer *o = &q->r->offers[q->offer];
	struct x402_receipt rc;

	memset(&rc, 0, sizeof(rc));
	snprintf(rc.route, sizeof(rc.route), "%s", q->r->name);
	rc.time = (int64_t)time(NULL);
	rc.x402_version = q->pay.version;
	snprintf(rc.scheme, sizeof(rc.scheme), "%s",
	    x402_scheme_name(o->scheme));
	snprintf(rc.network, sizeof(rc.network), "%s", o->net->caip2);
	memcpy(rc.asset, o->asset->address, X402_ADDR_LEN);
	pay_ids(q, rc.payer, rc.nonce);
	memcpy(rc.pay_to, o->pay_to, X402_ADDR_LEN);
	rc.amount = q->st.has_amount ? q->st.amount : o->amount;
	rc.max_amount = o->amount;
	snprintf(rc.transaction, sizeof(rc.transaction), "%s",
	    q->st.transaction);
	snprintf(rc.resource, sizeof(rc.resource), "%s", q->url);
	*rc_out = rc;
}

/*
 * Writes the receipt; on failure keeps it in the fallback directory.
 * Returns 0 when it is durable in one of them.
 */
static int
write_receipt(struct req *q)
{
	struct x402_receipt rc;
	struct x402_buf b;
	struct x402_detail d;
	char name[X402_SPOOL_NAMEMAX + 1];
	int ret = -1;

	build_receipt(q, &rc);
	/* The facilitator's own words, kept as received (borrowed). */
	rc.settlement = x402_settler_facilitator_reply(q->r->settler);
	x402_buf_init(&b, X402_RECEIPT_MAX);
	if (x402_receipt_format(&b, &rc) != 0) {
		X402_LOG_ERR("route %s: RECEIPT NOT WRITTEN: cannot format "
		    "it (tx %s); its draft stays for x402-gate --recover",
		    q->r->name, q->st.transaction);
		goto out;
	}
	if (x402_spool_write(q->r->spool, name, sizeof(name), &d, b.p,
	    b.len) == 0) {
		X402_LOG_INFO("route %s: paid %s by %s, tx %s, receipt %s",
		    q->r->name, q->st.network, q->st.payer,
		    q->st.transaction, name);
		ret = 0;
		goto out;
	}
	X402_LOG_ERR("route %s: CANNOT WRITE RECEIPT to the spool (%s); "
	    "keeping it in %s", q->r->name, d.msg, q->r->c.fallback);
	{
		struct x402_spool *fb = NULL;
		struct x402_detail d2;

		if (x402_spool_open(&fb, &d2, q->r->c.fallback) != 0 ||
		    x402_spool_write(fb, name, sizeof(name), &d2, b.p,
		    b.len) != 0)
			X402_LOG_ERR("route %s: RECEIPT NOT WRITTEN (fallback "
			    "too: %s); its draft stays for x402-gate --recover: "
			    "%s", q->r->name, d2.msg, b.p);
		else
			ret = 0;
		x402_spool_close(fb);
	}
out:
	x402_buf_free(&b);
	return ret;
}

/*
 * With settle = after, the authorization must still be valid when the
 * command is done: validBefore >= now + command timeout + the 6 s every
 * facilitator demands.  Otherwise the work would run and never be paid.
 */
static int
outlives_command(const struct req *q)
{
	x402_u256 need, t;

	if (q->r->c.settle != SETTLE_AFTER)
		return 1;
	x402_u256_set_u64(&need, (uint64_t)time(NULL) +
	    q->r->c.command_timeout + X402_VALID_BEFORE_MARGIN);
	/* exact: validBefore; upto: the Permit2 deadline. */
	t = strcmp(q->pay.scheme, "upto") == 0 ?
	    q->pay.upto.permit.deadline : q->pay.exact.auth.valid_before;
	return x402_u256_cmp(&t, &need) >= 0;
}

/*
 * Offline checks of an exact EIP-3009 payment before a facilitator is
 * asked (local settlement runs them in the settler): cheaper, and the
 * same reasons in both modes.  The facilitator's verdict stays final.
 * Returns 0 to go on, -1 when the request was answered.
 */
static int
precheck(struct req *q, uint64_t now)
{
	const struct x402_offer *o = &q->r->offers[q->offer];
	struct x402_verify_result vr;

	if (q->r->c.mode != MODE_FACILITATOR ||
	    o->scheme != X402_SCHEME_EXACT ||
	    strcmp(q->pay.scheme, "exact") != 0 || !q->pay.exact.eoa_sig)
		return 0;
	if (x402_verify_exact(&vr, q->r->sig, &q->pay, o,
	    q->r->domain_sep[q->offer], now,
	    (unsigned)q->r->c.clock_skew) != 0 || vr.valid)
		return 0;
	payment_required(q, vr.reason, vr.reason, NULL, NULL);
	return -1;
}

/*
 * payment-identifier: a kept response is sent again, a conflicting or
 * missing id refused.  Returns 0 to go on, -1 when answered.
 */
static int
payid(struct req *q)
{
	struct ext_cached c;
	struct reply rp;
	char why[256];
	int status, e;

	e = ext_payid_begin(&q->pid, &c, &status, why, sizeof(why), q->r,
	    &q->pay, q->hdr, strlen(q->hdr));
	if (e == EXT_REFUSE)
		fail(q, status, "%s", why);
	else if (e == EXT_REPLAY) {
		X402_LOG_INFO("route %s: payment identifier %s: the kept "
		    "response again", q->r->name, q->pid.id);
		reply_init(&rp, c.status);
		cors(q, &rp);
		hdr(&rp, "Content-Type", "%s", c.type);
		hdr(&rp, "Cache-Control", "private");
		hdr(&rp, c.settle_name, "%s", c.settle_value);
		rp.ext = c.body.p;
		rp.ext_len = c.body.len;
		reply_send(q, &rp);
	}
	ext_cached_free(&c);
	return e == EXT_GO ? 0 : -1;
}

/*
 * The command ran for this authorization and its output goes unsettled
 * by the command's own choice (a cgi Status >= 400, output that cannot be
 * delivered): the claim is committed with the marker "unsettled" rather
 * than released, so the same authorization never runs the command again
 * (DESIGN: at most once).  The record matters only until validBefore,
 * which is at most maxTimeoutSeconds + clock_skew away (lasts_too_long).
 */
static void
spend(struct req *q)
{
	struct x402_detail d;

	if (!q->claimed)
		return;
	if (x402_claim_commit(q->r->claims, &d, &q->tok,
	    GATE_CLAIM_UNSETTLED) != 0)
		X402_LOG_ERR("route %s: cannot keep the claim spent: %s",
		    q->r->name, d.msg);
	else
		X402_LOG_INFO("route %s: unsettled; the authorization stays "
		    "spent until it expires", q->r->name);
	q->claimed = 0;
	drop_draft(q);
}

/*
 * An authorization valid for longer than the offer asks
 * (validBefore, or the Permit2 deadline, > now + maxTimeoutSeconds +
 * clock_skew) is refused in every mode: the official clients sign exactly
 * now + maxTimeoutSeconds, and a bounded window bounds how long a spent
 * claim must be kept.  Returns 0 to go on, -1 when answered.
 */
static int
lasts_too_long(struct req *q, uint64_t now)
{
	static const char why_exact[] = X402_R_VALID_BEFORE ": "
	    X402_M_TOO_FAR;
	static const char why_upto[] = X402_R_PERMIT2_DEADLINE ": "
	    X402_M_TOO_FAR;
	const struct x402_offer *o = &q->r->offers[q->offer];
	int upto = strcmp(q->pay.scheme, "upto") == 0;
	x402_u256 limit, t;

	t = upto ? q->pay.upto.permit.deadline : q->pay.exact.auth.valid_before;
	x402_u256_set_u64(&limit, now + o->max_timeout_seconds +
	    q->r->c.clock_skew);
	if (x402_u256_cmp(&t, &limit) <= 0)
		return 0;
	payment_required(q, upto ? why_upto : why_exact, upto ? why_upto :
	    why_exact, NULL, NULL);
	return -1;
}

/* Appends name to the list in buf (bounded; "..." once it is full). */
static void
list_add(char *buf, size_t cap, const char *name)
{
	size_t n = strlen(buf);

	if (n + 4 >= cap)
		return;
	if ((size_t)snprintf(buf + n, cap - n, "%s%.64s", n ? " " : "",
	    name) >= cap - n)
		snprintf(buf + cap - 4, 4, "...");
}

/*
 * The command's output as the reply.  A raw route (the default): stdout
 * is the body as is, status 200, the route's mime_type.  A cgi route: the
 * headers are parsed and held to x402_output_header_rule (output.h):
 * dropped ones are logged once, a Location or a Status outside 200-299
 * and 400-599 refuses the output.  Output that cannot be delivered is
 * answered 502 here; the command ran, so the claim stays spent.
 * Out: *cgi (its body borrowed from out).  Returns 0 to go on, -1 when
 * answered.
 */
static int
take_output(struct req *q, struct x402_cgi *cgi, const struct x402_buf *out)
{
	struct route *r = q->r;
	struct x402_detail d;
	char dropped[256];
	const char *why = NULL;
	size_t i;

	if (r->c.output == OUTPUT_RAW) {
		memset(cgi, 0, sizeof(*cgi));
		cgi->body = out->p ? out->p : "";
		cgi->body_len = out->len;
		return 0;
	}
	x402_detail_clear(&d);
	dropped[0] = '\0';
	if (x402_cgi_parse(cgi, out->p ? out->p : "", out->len, &d) != 0)
		why = d.msg;
	else if (cgi->status != 0 && (cgi->status < 200 ||
	    (cgi->status >= 300 && cgi->status < 400)))
		why = "a Status outside 200-299 and 400-599";
	for (i = 0; why == NULL && i < cgi->nhdr; i++) {
		int rule = x402_output_header_rule(cgi->hdr[i].name);

		if (rule == X402_HEADER_REFUSE)
			why = "a Location header";
		else if (rule == X402_HEADER_DROP)
			list_add(dropped, sizeof(dropped), cgi->hdr[i].name);
	}
	if (why == NULL && dropped[0] != '\0')
		X402_LOG_WARN("route %s: headers of the command dropped: %s",
		    r->name, dropped);
	if (why == NULL)
		return 0;
	X402_LOG_ERR("route %s: bad command output: %s", r->name, why);
	if (!q->before)
		spend(q);
	fail(q, 502, "the command printed output that cannot be delivered%s",
	    !q->before ? "; you were not charged" : "");
	return -1;
}

/* The payment settled: mark the claim settled, then write the receipt. */
static void
settled(struct req *q)
{
	struct x402_detail d;

	if (x402_claim_commit(q->r->claims, &d, &q->tok,
	    q->st.transaction[0] ? q->st.transaction : "none") != 0)
		X402_LOG_ERR("route %s: cannot commit the claim: %s",
		    q->r->name, d.msg);
	q->claimed = 0;
	/* A draft stays only when no receipt could be written anywhere. */
	if (write_receipt(q) == 0)
		drop_draft(q);
	else
		q->drafted = 0;
}

/* The claim key of the payment: (network, asset, payer, nonce). */
static void
claim_key(const struct req *q, struct x402_claim_key *key)
{
	const struct x402_offer *o = &q->r->offers[q->offer];

	memset(key, 0, sizeof(*key));
	snprintf(key->network, sizeof(key->network), "%s", o->net->caip2);
	memcpy(key->asset, o->asset->address, X402_ADDR_LEN);
	pay_ids(q, key->payer, key->nonce);
}

/* The last second the authorization can be used (validBefore, deadline). */
static int64_t
usable_until(const struct req *q)
{
	const x402_u256 *t = q->r->offers[q->offer].scheme ==
	    X402_SCHEME_UPTO ? &q->pay.upto.permit.deadline :
	    &q->pay.exact.auth.valid_before;
	uint64_t v;

	if (!x402_u256_get_u64(t, &v) || v > (uint64_t)INT64_MAX)
		return INT64_MAX;
	return (int64_t)v;
}

/*
 * The settlement is pending (the request left, no verdict came back):
 * 503 with Retry-After.  Not a 2xx, so no client takes the JSON for the
 * output; not a 402, so none pays again with a new authorization.
 */
static void
pending_answer(struct req *q)
{
	struct reply rp;
	struct json_object *o;

	reply_init(&rp, 503);
	cors(q, &rp);
	hdr(&rp, "Content-Type", "application/json");
	hdr(&rp, "Cache-Control", "no-store");
	hdr(&rp, "Retry-After", "%d", PENDING_RETRY_AFTER);
	o = json_object_new_object();
	if (o == NULL || x402_json_add_string(o, "error", "settlement "
	    "pending: the payment may have gone through and is being "
	    "confirmed; nothing is lost") != 0 ||
	    x402_json_add_string(o, "status", "settlement_pending") != 0 ||
	    x402_json_add_string(o, "retry", "send the same request with the "
	    "same payment header again: it is never charged twice and never "
	    "refused while pending") != 0 ||
	    x402_json_append(&rp.body, o) != 0)
		x402_buf_reset(&rp.body);
	json_object_put(o);
	X402_LOG_INFO("route %s: 503: settlement pending", q->r->name);
	reply_send(q, &rp);
}

/*
 * The retry of a payment whose settlement was left pending: the kept
 * response once the chain shows the transfer, else "still pending".
 * settle = before kept no response but a mark (status 0): the first
 * retry after the transfer runs the command (once: x402_kept_take) and
 * keeps what it answers.  Returns 0 to go on (not such a retry), -1 when
 * answered.
 */
static void run(struct req *);

static int
retried(struct req *q)
{
	struct x402_claim_key key;
	struct pending_hit h;
	struct x402_detail d;
	struct x402_buf sh;
	struct reply rp;
	int v, e, ret = -1;

	memset(&h, 0, sizeof(h));
	x402_buf_init(&h.body, (size_t)q->r->c.max_output);
	x402_buf_init(&sh, HEADERS_MAX);
	claim_key(q, &key);
	v = pending_retry(q->r, &h, &key, q->hdr,
	    q->r->offers[q->offer].scheme == X402_SCHEME_UPTO);
	if (v == PENDING_NONE || v == PENDING_RELEASED) {
		ret = 0;
		goto out;
	}
	if (v == PENDING_WAIT) {
		pending_answer(q);
		goto out;
	}
	memset(&q->st, 0, sizeof(q->st));
	q->st.success = 1;
	if (strlen(h.tx) < sizeof(q->st.transaction))
		memcpy(q->st.transaction, h.tx, strlen(h.tx) + 1);
	snprintf(q->st.network, sizeof(q->st.network), "%s", q->pay.network);
	x402_addr_format(q->st.payer, key.payer);
	if (h.k.status == 0) {
		if (read_body(q) != 0)
			goto out;
		if ((e = x402_kept_take(q->r->drafts, &d, h.id)) != 0) {
			/* Another retry runs it: its response comes. */
			if (e != X402_ERR_DUPLICATE)
				X402_LOG_ERR("route %s: pending: %s",
				    q->r->name, d.msg);
			pending_answer(q);
			goto out;
		}
		X402_LOG_INFO("route %s: the payment settled before the "
		    "command landed (tx %s): the command runs now",
		    q->r->name, h.tx[0] ? h.tx : "-");
		memcpy(q->tok.id, h.id, sizeof(q->tok.id));
		q->before = 1;
		q->keep = 1;
		q->keep_until = h.k.until;
		run(q);
		goto out;
	}
	if (x402_settlement_header(&sh, &q->st) != 0) {
		fail(q, 500, "cannot encode the settlement header");
		goto out;
	}
	X402_LOG_INFO("route %s: the kept response of a settled payment "
	    "again (tx %s)", q->r->name, h.tx[0] ? h.tx : "-");
	reply_init(&rp, h.k.status);
	cors(q, &rp);
	hdr(&rp, "Content-Type", "%s", h.k.type);
	hdr(&rp, "Cache-Control", "private");
	hdr(&rp, q->pay.version == 1 ? "X-PAYMENT-RESPONSE" :
	    "PAYMENT-RESPONSE", "%s", sh.p);
	rp.ext = h.body.p;
	rp.ext_len = h.body.len;
	reply_send(q, &rp);
out:
	x402_buf_free(&h.body);
	x402_buf_free(&sh);
	return ret;
}

/*
 * Facilitator mode with an RPC node: an authorization already used or
 * cancelled on chain is refused before anything runs (a facilitator that
 * does not simulate would let it run, then fail to settle).  Local mode
 * asks the chain in its verify.  Returns 0 to go on, -1 when answered.
 */
static int
spent_on_chain(struct req *q)
{
	struct x402_claim_key key;
	int used = 0;

	if (q->r->c.mode != MODE_FACILITATOR ||
	    q->r->c.recover_rpc_url[0] == '\0')
		return 0;
	claim_key(q, &key);
	if (pending_used(q->r, &used, &key,
	    q->r->offers[q->offer].scheme == X402_SCHEME_UPTO) != 0 || !used)
		return 0;	/* the facilitator's verdict stays final */
	payment_required(q, X402_R_NONCE_USED, X402_R_NONCE_USED, NULL, NULL);
	return -1;
}

/* The content type of the output. */
static const char *
reply_type(const struct req *q, const struct x402_cgi *cgi)
{
	if (cgi->content_type != NULL)
		return cgi->content_type;
	return q->r->c.mime_type[0] ? q->r->c.mime_type :
	    "application/octet-stream";
}

/*
 * The reply to a paid request, all but the settlement header, built
 * before the money moves: what cannot be delivered is never settled.
 * Returns 0, or -1 when the headers leave no room for the settlement
 * header (rp freed).
 */
static int
output_reply(struct req *q, struct reply *rp, const struct x402_cgi *cgi)
{
	size_t i;

	reply_init(rp, cgi->status ? cgi->status : 200);
	cors(q, rp);
	hdr(rp, "Content-Type", "%s", reply_type(q, cgi));
	hdr(rp, "Cache-Control", "private");
	for (i = 0; i < cgi->nhdr; i++)
		if (x402_output_header_rule(cgi->hdr[i].name) ==
		    X402_HEADER_PASS)
			hdr(rp, cgi->hdr[i].name, "%s", cgi->hdr[i].value);
	rp->ext = cgi->body;
	rp->ext_len = cgi->body_len;
	if (!rp->bad && rp->head.len + SETTLE_HDR_RESERVE <= HEADERS_MAX)
		return 0;
	X402_LOG_ERR("route %s: the reply headers (%zu bytes) leave no room "
	    "for the settlement header", q->r->name, rp->head.len);
	x402_buf_free(&rp->head);
	x402_buf_free(&rp->body);
	return -1;
}

/*
 * A HEAD request with a payment: its response cannot carry the output,
 * so the payment is never claimed, verified or settled: 405, Allow.
 */
static void
head_paid(struct req *q)
{
	struct reply rp;

	reply_init(&rp, 405);
	cors(q, &rp);
	hdr(&rp, "Allow", "GET, POST");
	hdr(&rp, "Cache-Control", "no-store");
	X402_LOG_INFO("route %s: 405: HEAD with a payment; nothing charged",
	    q->r->name);
	reply_send(q, &rp);
}

/*
 * 5-7. Runs the command of the paid request q (claimed and drafted; with
 * q->before its payment settled already, q->st) and replies: the output
 * with the settlement header, or the error.  Without q->before it settles
 * after the run, or leaves the settlement pending.
 */
static void
run(struct req *q)
{
	struct route *r = q->r;
	const struct x402_offer *o = &r->offers[q->offer];
	struct x402_run_opts ro;
	struct x402_run_result res;
	struct x402_buf out, err, sh, use;
	struct x402_env cenv;
	struct x402_cgi cgi;
	struct x402_detail d;
	struct reply rp;
	int e;

	x402_buf_init(&out, (size_t)r->c.max_output);
	x402_buf_init(&err, 4096);
	x402_buf_init(&sh, 8192);
	x402_buf_init(&use, X402_USAGE_MAX);
	memset(&cgi, 0, sizeof(cgi));
	x402_env_init(&cenv);
	x402_detail_clear(&d);

	/* 5. Run the command: argv, no shell, built environment. */
	if ((e = build_env(q, &cenv)) != 0) {
		release(q);
		fail(q, 500, "cannot build the command environment");
		goto out;
	}
	x402_run_opts_init(&ro);
	ro.envp = cenv.vars;
	ro.in = q->body.p;
	ro.in_len = q->body.len;
	ro.timeout_ms = (unsigned)(r->c.command_timeout * 1000);
	if (r->c.workdir[0] != '\0')
		ro.cwd = r->c.workdir;
	ro.sweep = r->sweep;
	if (o->scheme == X402_SCHEME_UPTO)
		ro.usage = &use;
	e = x402_run(&res, &out, &err, r->argv, &ro, &d);
	if (res.strays > 0)
		X402_LOG_INFO("route %s: killed %u process%s the command left "
		    "behind", r->name, res.strays, res.strays == 1 ? "" :
		    "es");
	if (res.strays_left > 0)
		X402_LOG_ERR("route %s: %u process%s the command left behind "
		    "could not be reaped yet", r->name, res.strays_left,
		    res.strays_left == 1 ? "" : "es");
	if (err.len > 0)
		X402_LOG_WARN("route %s: command stderr: %.*s", r->name,
		    (int)(err.len > 1024 ? 1024 : err.len), err.p);
	if (e != 0 || !x402_run_ok(&res)) {
		int status = res.timed_out ? 504 : 502;
		const char *why = e != 0 ? "could not be started" :
		    res.timed_out ? "timed out" : res.output_overflow ?
		    "printed more than the output limit" : res.exec_failed ?
		    "could not be executed" : res.signo ? "was killed" :
		    "failed";

		if (q->before) {
			fail(q, status, "the command %s (status %d) after the "
			    "payment settled (tx %s)", why, res.status,
			    q->st.transaction);
		} else {
			release(q);
			fail(q, status, "the command %s (status %d); you were "
			    "not charged", why, res.status);
		}
		goto out;
	}
	if (take_output(q, &cgi, &out) != 0)
		goto out;
	if (cgi.status >= 400 && !q->before) {
		/* Like the official servers: an error is not settled. */
		spend(q);
		reply_init(&rp, cgi.status);
		cors(q, &rp);
		hdr(&rp, "Content-Type", "%s", cgi.content_type ?
		    cgi.content_type : "text/plain");
		rp.ext = cgi.body;
		rp.ext_len = cgi.body_len;
		reply_send(q, &rp);
		goto out;
	}

	/* 6b. Settle after the work: no output without a settled payment. */
	if (o->scheme == X402_SCHEME_UPTO &&
	    meter(q, &use, res.usage_overflow) != 0) {
		release(q);
		fail(q, 502, "the command reported its usage in a malformed "
		    "way; you were not charged");
		goto out;
	}
	/* 7a. Everything that can make the reply fail, before the money. */
	if (output_reply(q, &rp, &cgi) != 0) {
		if (!q->before)
			release(q);
		fail(q, 502, "the command's reply headers are too large to "
		    "deliver%s", !q->before ? "; you were not "
		    "charged" : "");
		goto out;
	}
	if (!q->before) {
		if ((e = settle(q, "after")) != 0) {
			x402_buf_free(&rp.head);
			if (e == X402_ERR_PENDING) {
				keep_for_recovery(q);
				(void)pending_keep(r, &q->tok, q->hdr,
				    usable_until(q), rp.status,
				    reply_type(q, &cgi), cgi.body,
				    cgi.body_len);
				X402_LOG_ERR("route %s: settlement PENDING; "
				    "claim, receipt draft and response kept "
				    "for the payer's retry and x402-gate "
				    "--recover", r->name);
				pending_answer(q);
				goto out;
			}
			release(q);
			fail(q, upstream_status(e), "settlement could not be "
			    "completed (%s); the output was withheld",
			    x402_strerror(e));
			goto out;
		}
		if (!q->st.success) {
			release(q);
			x402_buf_free(&rp.head);
			if (q->pay.version == 2 &&
			    x402_settlement_header(&sh, &q->st) == 0)
				payment_required(q, q->st.error_reason,
				    q->st.error_reason, "PAYMENT-RESPONSE",
				    sh.p);
			else
				payment_required(q, q->st.error_reason,
				    q->st.error_reason, NULL, NULL);
			goto out;
		}
		/* 7. The receipt is durable before the output leaves. */
		settled(q);
	}

	x402_buf_reset(&sh);
	if (x402_settlement_header(&sh, &q->st) != 0) {
		x402_buf_free(&rp.head);
		fail(q, 500, "cannot encode the settlement header");
		goto out;
	}
	hdr(&rp, q->pay.version == 1 ? "X-PAYMENT-RESPONSE" :
	    "PAYMENT-RESPONSE", "%s", sh.p);
	ext_payid_store(&q->pid, rp.status, reply_type(q, &cgi),
	    q->pay.version == 1 ? "X-PAYMENT-RESPONSE" : "PAYMENT-RESPONSE",
	    sh.p, cgi.body, cgi.body_len);
	reply_send(q, &rp);
out:
	x402_cgi_free(&cgi);
	x402_env_free(&cenv);
	x402_buf_free(&out);
	x402_buf_free(&err);
	x402_buf_free(&sh);
	x402_buf_free(&use);
}

static void
paid(struct req *q)
{
	struct route *r = q->r;
	const struct x402_offer *o;
	struct x402_settle_request sr;
	struct x402_claim_key key;
	struct x402_detail d;
	char errmsg[X402_DETAIL_MAX + 64];
	int e;

	x402_detail_clear(&d);
	q->before = r->c.settle == SETTLE_BEFORE;

	/* 2. Decode and match. */
	if ((e = x402_payment_decode(&q->pay, &d, q->hdr,
	    strlen(q->hdr))) != 0) {
		snprintf(errmsg, sizeof(errmsg), "Invalid or malformed "
		    "payment header: %s", d.msg);
		payment_required(q, errmsg, errmsg, NULL, NULL);
		goto out;
	}
	if (x402_payment_match(&q->offer, &q->pay, r->offers, r->v2_accepts,
	    r->noffers) != 0) {
		payment_required(q, "Unable to find matching payment "
		    "requirements", "No matching payment requirements", NULL,
		    NULL);
		goto out;
	}
	o = &r->offers[q->offer];
	if (q->pay.version == 2)
		q->req_json = json_object_get(r->v2_accepts[q->offer]);
	else if (x402_offer_v1_json(&q->req_json, o, &q->res) != 0) {
		fail(q, 500, "cannot build the v1 requirement");
		goto out;
	}
	if (retried(q) != 0 || payid(q) != 0 || read_body(q) != 0)
		goto out;

	/* 3. Verify: the offline checks first, then the settler's verdict. */
	memset(&sr, 0, sizeof(sr));
	sr.payment = &q->pay;
	sr.offer = o;
	sr.requirement = q->req_json;
	sr.domain_separator = r->domain_sep[q->offer];
	sr.now = (uint64_t)time(NULL);
	if (lasts_too_long(q, sr.now) != 0 || precheck(q, sr.now) != 0)
		goto out;
	if ((e = x402_settler_verify(r->settler, &q->vr, &d, &sr)) != 0) {
		fail(q, upstream_status(e), "payment verification unavailable: "
		    "%s", x402_strerror(e));
		X402_LOG_ERR("route %s: verify: %s", r->name, d.msg);
		goto out;
	}
	if (!q->vr.valid) {
		payment_required(q, q->vr.reason, q->vr.reason, NULL, NULL);
		goto out;
	}
	if (!outlives_command(q)) {
		static const char why[] = X402_R_VALID_BEFORE ": the "
		    "authorization expires before the command could finish "
		    "and settle";

		payment_required(q, why, why, NULL, NULL);
		goto out;
	}
	if (spent_on_chain(q) != 0)
		goto out;

	/* 4. Claim: one authorization runs the command at most once. */
	claim_key(q, &key);
	e = x402_claim_acquire(r->claims, &q->tok, &d, &key);
	if (e == X402_ERR_DUPLICATE) {
		payment_required(q, X402_R_NONCE_USED, X402_R_NONCE_USED, NULL,
		    NULL);
		goto out;
	} else if (e != 0) {
		X402_LOG_ERR("route %s: claim store: %s", r->name, d.msg);
		fail(q, 500, "cannot record the payment; nothing was charged");
		goto out;
	}
	q->claimed = 1;

	/*
	 * The receipt draft, durable before any money can move: a worker
	 * killed between settlement and receipt leaves it for
	 * x402-gate --recover (recover.h).
	 */
	{
		struct x402_receipt draft;

		build_receipt(q, &draft);
		if (x402_draft_put(r->drafts, &d, q->tok.id, (long)getpid(), 0,
		    &draft) != 0) {
			X402_LOG_ERR("route %s: cannot write the receipt draft: "
			    "%s", r->name, d.msg);
			release(q);
			fail(q, 500, "cannot record the payment; nothing was "
			    "charged");
			goto out;
		}
		q->drafted = 1;
	}

	/* 6a. settle = before: money first, for work that must not run unpaid. */
	if (q->before) {
		if ((e = settle(q, "before")) != 0) {
			if (e == X402_ERR_PENDING) {
				/* No output yet: a mark, "paid, not run". */
				keep_for_recovery(q);
				(void)pending_keep(r, &q->tok, q->hdr,
				    usable_until(q), 0, "none", NULL, 0);
				X402_LOG_ERR("route %s: settlement PENDING "
				    "before the command; claim and receipt "
				    "draft kept for the payer's retry and "
				    "x402-gate --recover", r->name);
				pending_answer(q);
				goto out;
			}
			release(q);
			fail(q, upstream_status(e), "settlement failed: %s; the "
			    "command did not run", x402_strerror(e));
			goto out;
		}
		if (!q->st.success) {
			release(q);
			payment_required(q, q->st.error_reason,
			    q->st.error_reason, NULL, NULL);
			goto out;
		}
		settled(q);
	}

	run(q);
out:
	ext_payid_end(&q->pid);
	release(q);
}

/*
 * The request id: Apache's mod_unique_id UNIQUE_ID when it is set and
 * plain, else 16 random hex digits.  Never a client header.
 */
static void
request_id(struct req *q)
{
	static const char hex[] = "0123456789abcdef";
	const char *u = env(q, "UNIQUE_ID");
	uint8_t rnd[8];
	size_t i, n = strlen(u);

	if (n > 0 && n <= REQUEST_ID_MAX &&
	    strspn(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789@-_") == n) {
		memcpy(q->id, u, n + 1);
		return;
	}
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		q->id[2 * i] = hex[rnd[i] >> 4];
		q->id[2 * i + 1] = hex[rnd[i] & 15];
	}
	q->id[2 * sizeof(rnd)] = '\0';
}

/* v with every byte outside [!-~], '"' and '=' replaced, cut at cap. */
static void
token(char *out, size_t cap, const char *v)
{
	size_t i;

	snprintf(out, cap, "%s", v[0] ? v : "-");
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x21 ||
		    (unsigned char)out[i] > 0x7e || out[i] == '"' ||
		    out[i] == '=' || out[i] == '\\')
			out[i] = '_';
}

/*
 * The access line: route, method, status, scheme, amount (atomic units)
 * and token, network, payer, transaction, refusal reason, duration,
 * client address and request id, as key=value pairs or a JSON object
 * ([gate] access_log).  Values are bounded tokens ("-" when none).
 */
static void
access_line(struct req *q, const struct gm_request *g)
{
	const struct x402_offer *o = q->req_json != NULL ?
	    &q->r->offers[q->offer] : NULL;
	char method[17], client[65], payer[X402_ADDR_STRLEN + 1] = "-";
	char amount[X402_U256_DECLEN + 1] = "-", tx[80], ms[24];
	char line[1024];
	uint8_t pa[X402_ADDR_LEN], nonce[32];
	const char *k[13], *v[13];
	size_t i, n = 0;

	if (q->r->c.access_log == ACCESS_OFF)
		return;
	token(method, sizeof(method), q->method);
	token(client, sizeof(client), env(q, "REMOTE_ADDR"));
	token(tx, sizeof(tx), q->st.transaction);
	if (!g->settled)
		snprintf(tx, sizeof(tx), "-");
	if (o != NULL) {
		pay_ids(q, pa, nonce);
		x402_addr_format(payer, pa);
	}
	if (g->settled &&
	    x402_u256_format_dec(amount, sizeof(amount), &g->amount) < 0)
		snprintf(amount, sizeof(amount), "-");
	snprintf(ms, sizeof(ms), "%lld", (long long)(since_us(&q->t0) / 1000));
#define KV(key, val) do { k[n] = (key); v[n] = (val); n++; } while (0)
	KV("route", q->r->name);
	KV("method", method);
	KV("status", NULL);
	KV("scheme", o != NULL ? x402_scheme_name(o->scheme) : "-");
	KV("amount", amount);
	KV("token", o != NULL ? o->asset->symbol : "-");
	KV("network", o != NULL ? o->net->caip2 : "-");
	KV("payer", payer);
	KV("tx", tx);
	KV("reason", g->refusal != NULL ? g->refusal : "-");
	KV("duration_ms", ms);
	KV("client", client);
	KV("id", q->id);
#undef KV
	if (q->r->c.access_log == ACCESS_JSON) {
		struct json_object *j = json_object_new_object();

		for (i = 0; j != NULL && i < n; i++)
			if (v[i] == NULL)
				json_object_object_add(j, k[i],
				    json_object_new_int(g->status));
			else if (strcmp(k[i], "duration_ms") == 0)
				json_object_object_add(j, k[i],
				    json_object_new_int64(since_us(&q->t0) /
				    1000));
			else
				json_object_object_add(j, k[i],
				    json_object_new_string(v[i]));
		if (j != NULL)
			x402_log_access(json_object_to_json_string_ext(j,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		return;
	}
	line[0] = '\0';
	for (i = 0; i < n; i++) {
		size_t len = strlen(line);

		if (v[i] == NULL)
			snprintf(line + len, sizeof(line) - len, "%s%s=%d",
			    i ? " " : "", k[i], g->status);
		else
			snprintf(line + len, sizeof(line) - len, "%s%s=%s",
			    i ? " " : "", k[i], v[i]);
	}
	x402_log_access(line);
}

/*
 * The end of every request, in one place: the counters and the access
 * line, from what the reply, the refusal, the command and the
 * settlement recorded in q.
 */
static void
note(struct req *q)
{
	const struct x402_offer *o = &q->r->offers[q->offer];
	struct gm_request g;

	command_done(q);
	memset(&g, 0, sizeof(g));
	g.status = q->status;
	g.refusal = q->refusal;
	g.settled = q->settle_us >= 0 && q->settle_e == 0 && q->st.success;
	g.offer = q->offer;
	if (g.settled)
		g.amount = q->st.has_amount ? q->st.amount : o->amount;
	g.pending = q->settle_e == X402_ERR_PENDING;
	g.settle_us = q->settle_us;
	g.command_us = q->command_us;
	gm_count(q->r, &g);
	access_line(q, &g);
}

/* REMOTE_ADDR may read the metrics ([gate] metrics_allow). */
static int
metrics_allowed(struct req *q)
{
	struct x402_cfg_argv a = q->r->c.metrics_allow;
	const char *addr = env(q, "REMOTE_ADDR");
	char *vec[ROUTE_ALLOW_MAX + 1];
	size_t i;

	if (a.argc == 0)
		return strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0;
	if (x402_cfg_argv_vec(vec, ROUTE_ALLOW_MAX + 1, &a) != 0)
		return 0;
	for (i = 0; i < a.argc; i++)
		if (strcmp(vec[i], "*") == 0 || strcmp(vec[i], addr) == 0)
			return 1;
	return 0;
}

/* The request's path is [gate] metrics_path: GET only. */
static int
is_metrics(struct req *q)
{
	const char *uri = env(q, "REQUEST_URI");
	size_t n = strcspn(uri, "?");

	return q->r->c.metrics_path[0] != '\0' &&
	    strlen(q->r->c.metrics_path) == n &&
	    strncmp(uri, q->r->c.metrics_path, n) == 0;
}

/* The Prometheus text exposition of every route of the metrics dir. */
static void
serve_metrics(struct req *q)
{
	struct reply rp;
	struct x402_detail d;

	if (!metrics_allowed(q)) {
		fail(q, 403, "metrics are not served to this address");
		return;
	}
	if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0) {
		fail(q, 405, "metrics: GET only");
		return;
	}
	reply_init(&rp, 200);
	x402_buf_free(&rp.body);
	x402_buf_init(&rp.body, EXPOSITION_MAX);
	x402_detail_clear(&d);
	if (gm_expose(&rp.body, &d, q->r->c.metrics, q->r->drafts) != 0) {
		x402_buf_free(&rp.head);
		x402_buf_free(&rp.body);
		X402_LOG_ERR("route %s: %s", q->r->name, d.msg);
		fail(q, 500, "metrics unavailable");
		return;
	}
	hdr(&rp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	hdr(&rp, "Cache-Control", "no-store");
	if (strcmp(q->method, "HEAD") == 0)
		x402_buf_reset(&rp.body);
	reply_send(q, &rp);
}

void
gate_handle(struct route *r, struct gate_io *io)
{
	struct req q;
	const char *accept, *ua;
	unsigned wait;

	memset(&q, 0, sizeof(q));
	q.r = r;
	q.io = io;
	clock_gettime(CLOCK_MONOTONIC, &q.t0);
	q.settle_us = -1;
	q.command_us = -1;
	q.method = env(&q, "REQUEST_METHOD");
	request_id(&q);
	build_url(&q);
	q.res.url = q.url;
	q.res.description = r->c.description;
	q.res.mime_type = r->c.mime_type;
	q.res.method = q.method[0] ? q.method : "GET";
	accept = env(&q, "HTTP_ACCEPT");
	ua = env(&q, "HTTP_USER_AGENT");
	q.browser = strstr(accept, "text/html") != NULL &&
	    strstr(ua, "Mozilla") != NULL;
	x402_buf_init(&q.body, 0);

	if (is_metrics(&q)) {
		/* Not a sale: neither counted nor access-logged. */
		serve_metrics(&q);
		goto out;
	}
	if (strcmp(q.method, "OPTIONS") == 0) {
		preflight(&q);
		goto done;
	}
	q.hdr = io->getenv(io->ctx, "HTTP_PAYMENT_SIGNATURE");
	if (q.hdr == NULL || q.hdr[0] == '\0') {
		q.hdr = io->getenv(io->ctx, "HTTP_X_PAYMENT");
		q.hdr_v1 = 1;
	}
	if (q.hdr != NULL && q.hdr[0] == '\0')
		q.hdr = NULL;
	/* The facilitator was away at start-up (settler.c). */
	if ((wait = route_settler_wait(r, q.hdr != NULL)) > 0)
		error_reply(&q, 503, wait, q.hdr != NULL ? "payment "
		    "verification unavailable: the facilitator does not "
		    "answer; try again later" : "payment requirements "
		    "unavailable: the facilitator does not answer; try again "
		    "later");
	else if (q.hdr == NULL)
		payment_required(&q, "X-PAYMENT header is required",
		    "Payment required", NULL, NULL);
	else if (strcmp(q.method, "HEAD") == 0)
		head_paid(&q);
	else
		paid(&q);
done:
	note(&q);
out:
	x402_payment_free(&q.pay);
	json_object_put(q.req_json);
	x402_buf_free(&q.body);
}
