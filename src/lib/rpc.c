/* rpc.c - Ethereum JSON-RPC 2.0 over the one HTTP client. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "rpc.h"

struct x402_rpc {
	struct x402_http *http;
	char *url;
	uint64_t next_id;
	struct x402_rpc_error err;
};

static const char *const rpc_headers[] = {
	"Content-Type: application/json",
	"Accept: application/json",
	NULL,
};

int
x402_rpc_new(struct x402_rpc **out, const char *url,
    const struct x402_http_opts *opts, struct x402_detail *d)
{
	struct x402_http_opts o = { 0 };
	struct x402_rpc *rpc = NULL;
	int r;

	if (out == NULL || url == NULL)
		return x402_fail(d, X402_ERR_INVAL, "rpc: NULL argument");
	*out = NULL;
	if (strnlen(url, X402_HTTP_URL_MAX + 1) > X402_HTTP_URL_MAX)
		return x402_fail(d, X402_ERR_INVAL, "rpc: URL over %d bytes",
		    X402_HTTP_URL_MAX);
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return x402_fail(d, X402_ERR_UNSUPPORTED,
		    "rpc: URL scheme is not http:// or https://");
	if (opts != NULL)
		o = *opts;
	if (o.max_response == 0)
		o.max_response = X402_RPC_MAX_REPLY;

	r = X402_ERR_NOMEM;
	if ((rpc = calloc(1, sizeof(*rpc))) == NULL ||
	    (rpc->url = strdup(url)) == NULL) {
		x402_fail(d, r, "rpc: out of memory");
		goto out;
	}
	if ((r = x402_http_new(&rpc->http, &o, d)) != 0)
		goto out;
	rpc->next_id = 1;
	*out = rpc;
	rpc = NULL;
 out:
	x402_rpc_free(rpc);
	return r;
}

void
x402_rpc_free(struct x402_rpc *rpc)
{
	if (rpc == NULL)
		return;
	x402_http_free(rpc->http);
	free(rpc->url);
	free(rpc);
}

const struct x402_rpc_error *
x402_rpc_last_error(const struct x402_rpc *rpc)
{
	static const struct x402_rpc_error none;

	return rpc != NULL ? &rpc->err : &none;
}

static int
method_ok(const char *m)
{
	size_t i, n = strnlen(m, X402_RPC_METHOD_MAX + 1);

	if (n == 0 || n > X402_RPC_METHOD_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((m[i] >= 'a' && m[i] <= 'z') ||
		    (m[i] >= 'A' && m[i] <= 'Z') ||
		    (m[i] >= '0' && m[i] <= '9') || m[i] == '_'))
			return 0;
	return 1;
}

/* 1 if s is "0x" followed by an even number of hex digits. */
static int
is_hex_data(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || n % 2)
		return 0;
	for (i = 2; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

/* Copies a JSON-RPC error object into rpc->err.  0 or BADREPLY. */
static int
take_error(struct x402_rpc *rpc, json_object *eo, struct x402_detail *d)
{
	json_object *code, *msg, *data;
	const char *s;
	size_t n;

	if (!json_object_is_type(eo, json_type_object) ||
	    !json_object_object_get_ex(eo, "code", &code) ||
	    !json_object_is_type(code, json_type_int) ||
	    !json_object_object_get_ex(eo, "message", &msg) ||
	    !json_object_is_type(msg, json_type_string))
		return x402_fail(d, X402_ERR_BADREPLY,
		    "rpc: error object without integer code and message");
	rpc->err.present = 1;
	rpc->err.code = (long)json_object_get_int64(code);
	snprintf(rpc->err.message, sizeof(rpc->err.message), "%s",
	    json_object_get_string(msg));
	if (json_object_object_get_ex(eo, "data", &data) &&
	    json_object_is_type(data, json_type_string)) {
		s = json_object_get_string(data);
		n = (size_t)json_object_get_string_len(data);
		if (n <= X402_RPC_DATA_MAX && is_hex_data(s, n))
			memcpy(rpc->err.data_hex, s, n + 1);
	}
	return 0;
}

/* Parses body[0..len) as exactly one JSON value.  *out owned by caller. */
static int
parse_reply(json_object **out, const char *body, size_t len,
    struct x402_detail *d)
{
	struct json_tokener *tok = NULL;
	json_object *o = NULL;
	enum json_tokener_error je;
	size_t end;
	int r = X402_ERR_BADREPLY;

	*out = NULL;
	if (len == 0 || memchr(body, '\0', len) != NULL) {
		x402_fail(d, r, "rpc: reply is empty or holds a NUL byte");
		goto out;
	}
	if (len > INT32_MAX) {
		x402_fail(d, r, "rpc: reply too large to parse");
		goto out;
	}
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
		x402_fail(d, r, "rpc: reply is not JSON: a UTF-8 byte order "
		    "mark at offset 0 is not allowed");
		goto out;
	}
	if ((tok = json_tokener_new_ex(X402_RPC_MAX_DEPTH)) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "rpc: out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, body, (int)len);
	je = json_tokener_get_error(tok);
	if (o == NULL || je != json_tokener_success) {
		x402_fail(d, r, "rpc: reply is not JSON: %s",
		    je == json_tokener_continue ? "truncated" :
		    json_tokener_error_desc(je));
		goto out;
	}
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (strchr(" \t\r\n", body[end]) == NULL) {
			x402_fail(d, r, "rpc: data after the JSON reply");
			goto out;
		}
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	if (tok != NULL)
		json_tokener_free(tok);
	return r;
}

int
x402_rpc_call(struct x402_rpc *rpc, json_object **result,
    const char *method, const char *params_json, struct x402_detail *d)
{
	struct x402_http_response resp;
	struct x402_buf req;
	json_object *top = NULL, *v, *res = NULL, *eo = NULL;
	uint64_t id;
	int r, has_res, has_err;

	memset(&resp, 0, sizeof(resp));
	x402_buf_init(&req, X402_RPC_MAX_REQUEST);
	if (result != NULL)
		*result = NULL;
	if (rpc == NULL || result == NULL || method == NULL)
		return x402_fail(d, X402_ERR_INVAL, "rpc: NULL argument");
	memset(&rpc->err, 0, sizeof(rpc->err));
	if (!method_ok(method))
		return x402_fail(d, X402_ERR_INVAL, "rpc: bad method name");
	if (params_json == NULL)
		params_json = "[]";

	id = rpc->next_id++;
	if ((r = x402_buf_printf(&req, "{\"jsonrpc\":\"2.0\",\"id\":%llu,"
	    "\"method\":\"%s\",\"params\":", (unsigned long long)id,
	    method)) != 0 || (r = x402_buf_adds(&req, params_json)) != 0 ||
	    (r = x402_buf_adds(&req, "}")) != 0) {
		x402_fail(d, r, "rpc: %s request over %d bytes", method,
		    X402_RPC_MAX_REQUEST);
		goto out;
	}
	r = x402_http_request(rpc->http, &resp, "POST", rpc->url, rpc_headers,
	    req.p, req.len, d);
	if (r == X402_ERR_LIMIT) {
		r = x402_fail(d, X402_ERR_BADREPLY, "rpc: %s: reply over %zu "
		    "bytes", method, resp.body.max);
		goto out;
	}
	if (r != 0)
		goto out;
	rpc->err.http_status = resp.status;

	r = parse_reply(&top, resp.body.p, resp.body.len, d);
	if (resp.status != 200) {
		/* Keep the node's error object if it sent one. */
		if (r == 0 && json_object_is_type(top, json_type_object) &&
		    json_object_object_get_ex(top, "error", &eo))
			(void)take_error(rpc, eo, NULL);
		r = x402_fail(d, X402_ERR_UPSTREAM, "rpc: %s: HTTP status "
		    "%ld%s%s", method, resp.status,
		    rpc->err.present ? ": " : "", rpc->err.message);
		goto out;
	}
	if (r != 0)
		goto out;

	r = X402_ERR_BADREPLY;
	if (!json_object_is_type(top, json_type_object) ||
	    !json_object_object_get_ex(top, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0") != 0) {
		x402_fail(d, r, "rpc: %s: not a JSON-RPC 2.0 reply", method);
		goto out;
	}
	if (!json_object_object_get_ex(top, "id", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_uint64(v) != id) {
		x402_fail(d, r, "rpc: %s: reply id does not match", method);
		goto out;
	}
	has_res = json_object_object_get_ex(top, "result", &res);
	has_err = json_object_object_get_ex(top, "error", &eo);
	if (has_res == has_err) {
		x402_fail(d, r, "rpc: %s: reply has %s result and error",
		    method, has_res ? "both" : "neither");
		goto out;
	}
	if (has_err) {
		if ((r = take_error(rpc, eo, d)) != 0)
			goto out;
		r = x402_fail(d, X402_ERR_UPSTREAM, "rpc: %s: error %ld: %s",
		    method, rpc->err.code, rpc->err.message);
		goto out;
	}
	*result = res != NULL ? json_object_get(res) : NULL;
	r = 0;
 out:
	json_object_put(top);
	x402_http_response_free(&resp);
	x402_buf_free(&req);
	return r;
}

/* The result as a string; BADREPLY when it is anything else. */
static int
result_str(const char **s, size_t *n, json_object *res, const char *what,
    struct x402_detail *d)
{
	*s = "";
	*n = 0;
	if (!json_object_is_type(res, json_type_string))
		return x402_fail(d, X402_ERR_BADREPLY,
		    "rpc: %s is not a string", what);
	*s = json_object_get_string(res);
	*n = (size_t)json_object_get_string_len(res);
	return 0;
}

static int
quantity(x402_u256 *v, json_object *res, const char *what,
    struct x402_detail *d)
{
	const char *s;
	size_t n;
	int r;

	if ((r = result_str(&s, &n, res, what, d)) != 0)
		return r;
	if (x402_u256_parse_hex(v, s, n) != 0)
		return x402_fail(d, X402_ERR_BADREPLY,
		    "rpc: %s is not a hex quantity", what);
	return 0;
}

static int
quantity64(uint64_t *out, json_object *res, const char *what,
    struct x402_detail *d)
{
	x402_u256 v;
	int r;

	if ((r = quantity(&v, res, what, d)) != 0)
		return r;
	if (!x402_u256_get_u64(&v, out))
		return x402_fail(d, X402_ERR_BADREPLY,
		    "rpc: %s over 64 bits", what);
	return 0;
}

/* Decodes "0x" hex of exactly n bytes. */
static int
fixed_hex(uint8_t *out, size_t n, json_object *o, const char *what,
    struct x402_detail *d)
{
	const char *s;
	size_t sl;
	int r;

	if ((r = result_str(&s, &sl, o, what, d)) != 0)
		return r;
	if (x402_hex_decode_exact(out, n, s, sl) != 0)
		return x402_fail(d, X402_ERR_BADREPLY,
		    "rpc: %s is not %zu bytes of hex", what, n);
	return 0;
}

/* Calls method and parses the result as a quantity. */
static int
call_quantity(struct x402_rpc *rpc, x402_u256 *v, const char *method,
    const char *params, struct x402_detail *d)
{
	json_object *res = NULL;
	int r;

	if ((r = x402_rpc_call(rpc, &res, method, params, d)) == 0)
		r = quantity(v, res, method, d);
	json_object_put(res);
	return r;
}

static int
call_quantity64(struct x402_rpc *rpc, uint64_t *v, const char *method,
    const char *params, struct x402_detail *d)
{
	x402_u256 q;
	int r;

	if ((r = call_quantity(rpc, &q, method, params, d)) != 0)
		return r;
	if (!x402_u256_get_u64(&q, v))
		return x402_fail(d, X402_ERR_BADREPLY, "rpc: %s over 64 bits",
		    method);
	return 0;
}

int
x402_rpc_chain_id(struct x402_rpc *rpc, uint64_t *chain_id,
    struct x402_detail *d)
{
	return call_quantity64(rpc, chain_id, "eth_chainId", "[]", d);
}

int
x402_rpc_block_number(struct x402_rpc *rpc, uint64_t *number,
    struct x402_detail *d)
{
	return call_quantity64(rpc, number, "eth_blockNumber", "[]", d);
}

int
x402_rpc_gas_price(struct x402_rpc *rpc, x402_u256 *wei,
    struct x402_detail *d)
{
	return call_quantity(rpc, wei, "eth_gasPrice", "[]", d);
}

int
x402_rpc_max_priority_fee(struct x402_rpc *rpc, x402_u256 *wei,
    struct x402_detail *d)
{
	return call_quantity(rpc, wei, "eth_maxPriorityFeePerGas", "[]", d);
}

/* 1 if block is a tag or a hex quantity we may put in a JSON string. */
static int
block_ok(const char *b)
{
	static const char *const tags[] = { "latest", "pending", "safe",
	    "finalized", "earliest" };
	x402_u256 v;
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (strcmp(b, tags[i]) == 0)
			return 1;
	return strlen(b) <= 18 && x402_u256_parse_hex(&v, b, strlen(b)) == 0;
}

/* "0x" + 40 lowercase hex digits. */
static void
addr_hex(char out[43], const uint8_t addr[20])
{
	(void)x402_hex_encode(out, 43, addr, 20, X402_HEX_PREFIX_REQUIRED);
}

static int
addr_block_call(struct x402_rpc *rpc, x402_u256 *v, const char *method,
    const uint8_t addr[20], const char *block, struct x402_detail *d)
{
	char a[43], params[96];

	if (addr == NULL || block == NULL || !block_ok(block))
		return x402_fail(d, X402_ERR_INVAL, "rpc: %s: bad address or "
		    "block", method);
	addr_hex(a, addr);
	snprintf(params, sizeof(params), "[\"%s\",\"%s\"]", a, block);
	return call_quantity(rpc, v, method, params, d);
}

int
x402_rpc_get_transaction_count(struct x402_rpc *rpc, uint64_t *nonce,
    const uint8_t addr[20], const char *block, struct x402_detail *d)
{
	x402_u256 v;
	int r;

	if ((r = addr_block_call(rpc, &v, "eth_getTransactionCount", addr,
	    block, d)) != 0)
		return r;
	if (!x402_u256_get_u64(&v, nonce))
		return x402_fail(d, X402_ERR_BADREPLY,
		    "rpc: eth_getTransactionCount over 64 bits");
	return 0;
}

int
x402_rpc_get_balance(struct x402_rpc *rpc, x402_u256 *wei,
    const uint8_t addr[20], const char *block, struct x402_detail *d)
{
	return addr_block_call(rpc, wei, "eth_getBalance", addr, block, d);
}

int
x402_rpc_block_time(struct x402_rpc *rpc, uint64_t *time,
    const char *block, struct x402_detail *d)
{
	json_object *res = NULL, *ts;
	char params[96];
	int r;

	if (block == NULL || !block_ok(block))
		return x402_fail(d, X402_ERR_INVAL, "rpc: eth_getBlockByNumber: "
		    "bad block");
	snprintf(params, sizeof(params), "[\"%s\",false]", block);
	if ((r = x402_rpc_call(rpc, &res, "eth_getBlockByNumber", params,
	    d)) != 0)
		return r;
	if (res == NULL || !json_object_is_type(res, json_type_object) ||
	    !json_object_object_get_ex(res, "timestamp", &ts))
		r = x402_fail(d, X402_ERR_BADREPLY, "rpc: eth_getBlockByNumber: "
		    "no block %s, or no timestamp", block);
	else
		r = quantity64(time, ts, "block timestamp", d);
	json_object_put(res);
	return r;
}

int
x402_rpc_suggest_fees(struct x402_rpc *rpc, x402_u256 *max_fee,
    x402_u256 *priority_fee, struct x402_detail *d)
{
	x402_u256 base;
	int r;

	if ((r = x402_rpc_fee_history(rpc, &base, priority_fee, 5, 50, d)) != 0)
		return r;
	if (x402_u256_is_zero(priority_fee))
		x402_u256_set_u64(priority_fee, 1000000);	/* 0.001 gwei */
	if (x402_u256_mul_u64(max_fee, &base, 2) != 0 ||
	    x402_u256_add(max_fee, max_fee, priority_fee) != 0)
		return x402_fail(d, X402_ERR_BADREPLY, "rpc: fees overflow");
	return 0;
}

int
x402_rpc_fee_history(struct x402_rpc *rpc, x402_u256 *base_fee,
    x402_u256 *priority_fee, unsigned blocks, unsigned percentile,
    struct x402_detail *d)
{
	json_object *res = NULL, *bf, *rw, *row;
	x402_u256 v;
	char params[64];
	size_t i, n;
	int r;

	if (blocks < 1 || blocks > 1024 || percentile > 100)
		return x402_fail(d, X402_ERR_INVAL,
		    "rpc: fee history of %u blocks at %u%%", blocks,
		    percentile);
	snprintf(params, sizeof(params), "[\"0x%x\",\"latest\",[%u]]", blocks,
	    percentile);
	if ((r = x402_rpc_call(rpc, &res, "eth_feeHistory", params, d)) != 0)
		goto out;
	r = X402_ERR_BADREPLY;
	if (!json_object_is_type(res, json_type_object) ||
	    !json_object_object_get_ex(res, "baseFeePerGas", &bf) ||
	    !json_object_is_type(bf, json_type_array) ||
	    (n = json_object_array_length(bf)) == 0) {
		x402_fail(d, r, "rpc: eth_feeHistory without baseFeePerGas");
		goto out;
	}
	if ((r = quantity(base_fee, json_object_array_get_idx(bf, n - 1),
	    "baseFeePerGas", d)) != 0)
		goto out;
	x402_u256_set_u64(priority_fee, 0);
	if (json_object_object_get_ex(res, "reward", &rw)) {
		r = X402_ERR_BADREPLY;
		if (!json_object_is_type(rw, json_type_array)) {
			x402_fail(d, r, "rpc: eth_feeHistory reward not an "
			    "array");
			goto out;
		}
		for (i = 0; i < json_object_array_length(rw); i++) {
			row = json_object_array_get_idx(rw, i);
			if (!json_object_is_type(row, json_type_array) ||
			    json_object_array_length(row) != 1) {
				x402_fail(d, r, "rpc: eth_feeHistory reward "
				    "row of the wrong shape");
				goto out;
			}
			if ((r = quantity(&v, json_object_array_get_idx(row, 0),
			    "reward", d)) != 0)
				goto out;
			if (x402_u256_cmp(&v, priority_fee) > 0)
				*priority_fee = v;
		}
	}
	r = 0;
 out:
	json_object_put(res);
	return r;
}

/* Appends "0x" + hex of data to b. */
static int
add_hex(struct x402_buf *b, const uint8_t *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char pair[2];
	size_t i;
	int r;

	if ((r = x402_buf_adds(b, "0x")) != 0)
		return r;
	for (i = 0; i < n; i++) {
		pair[0] = digits[data[i] >> 4];
		pair[1] = digits[data[i] & 15];
		if ((r = x402_buf_add(b, pair, 2)) != 0)
			return r;
	}
	return 0;
}

/* Builds [{"from":..,"to":..,"data":..}(,"block")] into b. */
static int
call_params(struct x402_buf *b, const uint8_t *from, const uint8_t *to,
    const uint8_t *data, size_t datalen, const char *block)
{
	char a[43];
	int r;

	if ((r = x402_buf_adds(b, "[{")) != 0)
		return r;
	if (from != NULL) {
		addr_hex(a, from);
		if ((r = x402_buf_printf(b, "\"from\":\"%s\",", a)) != 0)
			return r;
	}
	addr_hex(a, to);
	if ((r = x402_buf_printf(b, "\"to\":\"%s\",\"data\":\"", a)) != 0 ||
	    (r = add_hex(b, data, datalen)) != 0 ||
	    (r = x402_buf_adds(b, "\"}")) != 0)
		return r;
	if (block != NULL && (r = x402_buf_printf(b, ",\"%s\"", block)) != 0)
		return r;
	return x402_buf_adds(b, "]");
}

/* Checks the common arguments of calls that carry data. */
static int
data_args(const uint8_t *to, const uint8_t *data, size_t datalen,
    const char *what, struct x402_detail *d)
{
	if (to == NULL || (data == NULL && datalen != 0))
		return x402_fail(d, X402_ERR_INVAL, "rpc: %s: NULL argument",
		    what);
	if (datalen > X402_RPC_CALL_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "rpc: %s: data over %d "
		    "bytes", what, X402_RPC_CALL_MAX);
	return 0;
}

int
x402_rpc_estimate_gas(struct x402_rpc *rpc, uint64_t *gas,
    const uint8_t *from, const uint8_t to[20], const uint8_t *data,
    size_t datalen, struct x402_detail *d)
{
	struct x402_buf p;
	int r;

	x402_buf_init(&p, X402_RPC_MAX_REQUEST);
	if ((r = data_args(to, data, datalen, "eth_estimateGas", d)) != 0)
		goto out;
	if ((r = call_params(&p, from, to, data, datalen, NULL)) != 0) {
		x402_fail(d, r, "rpc: eth_estimateGas params");
		goto out;
	}
	r = call_quantity64(rpc, gas, "eth_estimateGas", p.p, d);
 out:
	x402_buf_free(&p);
	return r;
}

int
x402_rpc_eth_call(struct x402_rpc *rpc, struct x402_buf *ret,
    const uint8_t to[20], const uint8_t *data, size_t datalen,
    const char *block, struct x402_detail *d)
{
	json_object *res = NULL;
	struct x402_buf p;
	uint8_t *tmp = NULL;
	const char *s;
	size_t n;
	int r;

	x402_buf_init(&p, X402_RPC_MAX_REQUEST);
	if (ret == NULL) {
		r = x402_fail(d, X402_ERR_INVAL, "rpc: eth_call: NULL output");
		goto out;
	}
	x402_buf_reset(ret);
	if (block == NULL)
		block = "latest";
	if ((r = data_args(to, data, datalen, "eth_call", d)) != 0)
		goto out;
	if (!block_ok(block)) {
		r = x402_fail(d, X402_ERR_INVAL, "rpc: eth_call: bad block");
		goto out;
	}
	if ((r = call_params(&p, NULL, to, data, datalen, block)) != 0) {
		x402_fail(d, r, "rpc: eth_call params");
		goto out;
	}
	if ((r = x402_rpc_call(rpc, &res, "eth_call", p.p, d)) != 0 ||
	    (r = result_str(&s, &n, res, "eth_call", d)) != 0)
		goto out;
	if (!is_hex_data(s, n)) {
		r = x402_fail(d, X402_ERR_BADREPLY,
		    "rpc: eth_call result is not hex data");
		goto out;
	}
	n = (n - 2) / 2;
	if (n > ret->max) {
		r = x402_fail(d, X402_ERR_LIMIT, "rpc: eth_call return data "
		    "over %zu bytes", ret->max);
		goto out;
	}
	if ((tmp = malloc(n + 1)) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "rpc: out of memory");
		goto out;
	}
	if ((r = x402_hex_decode(tmp, n + 1, &n, s, 2 * n + 2,
	    X402_HEX_PREFIX_REQUIRED)) != 0 ||
	    (r = x402_buf_add(ret, tmp, n)) != 0) {
		x402_fail(d, r, "rpc: eth_call return data");
		goto out;
	}
	r = 0;
 out:
	free(tmp);
	json_object_put(res);
	x402_buf_free(&p);
	return r;
}

int
x402_rpc_send_raw_transaction(struct x402_rpc *rpc, uint8_t txhash[32],
    const uint8_t *raw, size_t rawlen, struct x402_detail *d)
{
	json_object *res = NULL;
	struct x402_buf p;
	int r;

	x402_buf_init(&p, X402_RPC_MAX_REQUEST);
	if (txhash == NULL || raw == NULL || rawlen == 0) {
		r = x402_fail(d, X402_ERR_INVAL,
		    "rpc: eth_sendRawTransaction: no transaction");
		goto out;
	}
	if (rawlen > X402_RPC_CALL_MAX) {
		r = x402_fail(d, X402_ERR_LIMIT, "rpc: raw transaction over "
		    "%d bytes", X402_RPC_CALL_MAX);
		goto out;
	}
	if ((r = x402_buf_adds(&p, "[\"")) != 0 ||
	    (r = add_hex(&p, raw, rawlen)) != 0 ||
	    (r = x402_buf_adds(&p, "\"]")) != 0) {
		x402_fail(d, r, "rpc: eth_sendRawTransaction params");
		goto out;
	}
	if ((r = x402_rpc_call(rpc, &res, "eth_sendRawTransaction", p.p,
	    d)) != 0)
		goto out;
	r = fixed_hex(txhash, 32, res, "transaction hash", d);
 out:
	json_object_put(res);
	x402_buf_free(&p);
	return r;
}

/* Member key of o, which must exist. */
static int
member(json_object **v, json_object *o, const char *key,
    struct x402_detail *d)
{
	if (!json_object_object_get_ex(o, key, v) || *v == NULL)
		return x402_fail(d, X402_ERR_BADREPLY, "rpc: receipt without "
		    "%s", key);
	return 0;
}

static int
parse_log(struct x402_rpc_log *lg, json_object *lo, struct x402_detail *d)
{
	json_object *v, *topics;
	const char *s;
	size_t i, n;
	int r;

	if (!json_object_is_type(lo, json_type_object))
		return x402_fail(d, X402_ERR_BADREPLY, "rpc: log not an object");
	if ((r = member(&v, lo, "address", d)) != 0 ||
	    (r = fixed_hex(lg->address, 20, v, "log address", d)) != 0 ||
	    (r = member(&topics, lo, "topics", d)) != 0)
		return r;
	if (!json_object_is_type(topics, json_type_array))
		return x402_fail(d, X402_ERR_BADREPLY, "rpc: log topics not "
		    "an array");
	if ((n = json_object_array_length(topics)) > X402_RPC_TOPICS_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "rpc: log with %zu topics",
		    n);
	for (i = 0; i < n; i++)
		if ((r = fixed_hex(lg->topics[i], 32,
		    json_object_array_get_idx(topics, i), "log topic", d)) != 0)
			return r;
	lg->ntopics = n;
	if ((r = member(&v, lo, "data", d)) != 0 ||
	    (r = result_str(&s, &n, v, "log data", d)) != 0)
		return r;
	if (!is_hex_data(s, n))
		return x402_fail(d, X402_ERR_BADREPLY, "rpc: log data not hex");
	if ((n - 2) / 2 > X402_RPC_LOG_DATA_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "rpc: log data over %d "
		    "bytes", X402_RPC_LOG_DATA_MAX);
	if (x402_hex_decode(lg->data, sizeof(lg->data), &lg->datalen, s, n,
	    X402_HEX_PREFIX_REQUIRED) != 0)
		return x402_fail(d, X402_ERR_BADREPLY, "rpc: log data not hex");
	return 0;
}

int
x402_rpc_get_transaction_receipt(struct x402_rpc *rpc,
    struct x402_rpc_receipt *rcpt, const uint8_t txhash[32],
    struct x402_detail *d)
{
	json_object *res = NULL, *v, *logs;
	char h[67], params[80];
	uint64_t st;
	size_t i, n;
	int r;

	if (rcpt == NULL || txhash == NULL)
		return x402_fail(d, X402_ERR_INVAL, "rpc: NULL argument");
	memset(rcpt, 0, sizeof(*rcpt));
	(void)x402_hex_encode(h, sizeof(h), txhash, 32,
	    X402_HEX_PREFIX_REQUIRED);
	snprintf(params, sizeof(params), "[\"%s\"]", h);
	if ((r = x402_rpc_call(rpc, &res, "eth_getTransactionReceipt", params,
	    d)) != 0)
		goto out;
	if (res == NULL)
		goto out;	/* unknown or pending: found = 0 */
	r = X402_ERR_BADREPLY;
	if (!json_object_is_type(res, json_type_object)) {
		x402_fail(d, r, "rpc: receipt is not an object");
		goto out;
	}
	if ((r = member(&v, res, "transactionHash", d)) != 0 ||
	    (r = fixed_hex(rcpt->tx_hash, 32, v, "transactionHash", d)) != 0)
		goto out;
	if (memcmp(rcpt->tx_hash, txhash, 32) != 0) {
		r = x402_fail(d, X402_ERR_BADREPLY,
		    "rpc: receipt for another transaction");
		goto out;
	}
	if ((r = member(&v, res, "status", d)) != 0 ||
	    (r = quantity64(&st, v, "status", d)) != 0 ||
	    (r = member(&v, res, "blockHash", d)) != 0 ||
	    (r = fixed_hex(rcpt->block_hash, 32, v, "blockHash", d)) != 0 ||
	    (r = member(&v, res, "blockNumber", d)) != 0 ||
	    (r = quantity64(&rcpt->block_number, v, "blockNumber", d)) != 0 ||
	    (r = member(&v, res, "gasUsed", d)) != 0 ||
	    (r = quantity64(&rcpt->gas_used, v, "gasUsed", d)) != 0)
		goto out;
	if (st > 1) {
		r = x402_fail(d, X402_ERR_BADREPLY, "rpc: receipt status %llu",
		    (unsigned long long)st);
		goto out;
	}
	rcpt->status = (int)st;
	if (json_object_object_get_ex(res, "effectiveGasPrice", &v) &&
	    (r = quantity(&rcpt->effective_gas_price, v, "effectiveGasPrice",
	    d)) != 0)
		goto out;
	if (json_object_object_get_ex(res, "contractAddress", &v) &&
	    v != NULL) {
		if ((r = fixed_hex(rcpt->contract_address, 20, v,
		    "contractAddress", d)) != 0)
			goto out;
		rcpt->has_contract = 1;
	}
	if ((r = member(&logs, res, "logs", d)) != 0)
		goto out;
	r = X402_ERR_BADREPLY;
	if (!json_object_is_type(logs, json_type_array)) {
		x402_fail(d, r, "rpc: receipt logs not an array");
		goto out;
	}
	if ((n = json_object_array_length(logs)) > X402_RPC_LOGS_MAX) {
		r = x402_fail(d, X402_ERR_LIMIT, "rpc: receipt with %zu logs "
		    "(cap %d)", n, X402_RPC_LOGS_MAX);
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((r = parse_log(&rcpt->logs[i],
		    json_object_array_get_idx(logs, i), d)) != 0)
			goto out;
	rcpt->nlogs = n;
	rcpt->found = 1;
	r = 0;
 out:
	json_object_put(res);
	if (r != 0)
		memset(rcpt, 0, sizeof(*rcpt));
	return r;
}
