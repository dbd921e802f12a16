/* route.c - read a route (global x402.conf, then the route file). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "route.h"

#ifndef X402_SPAWN_PATH
#define X402_SPAWN_PATH "/usr/local/libexec/x402/x402-spawn"
#endif

static const char *const settle_choices[] = { "after", "before", NULL };
static const char *const output_choices[] = { "raw", "cgi", NULL };
static const char *const mode_choices[] = { "facilitator", "local", NULL };
static const char *const input_choices[] = { "text", "none", "file",
    "query", NULL };
static const char *const payid_choices[] = { "off", "optional",
    "required", NULL };
static const char *const body_choices[] = { "none", "json", "form-data",
    "text", NULL };
static const char *const level_choices[] = { "error", "warning", "info",
    "debug", NULL };
static const char *const log_choices[] = { "stderr", "syslog", NULL };
static const char *const access_choices[] = { "kv", "json", "off", NULL };

#define K(n, t, f, min, max) X402_CFG_KEY(n, t, 0, struct route_conf, f, min, max)

static const struct x402_cfg_key route_keys[] = {
	K("command", X402_CFG_ARGV, command, 1, X402_CFG_ARGV_MAX),
	K("description", X402_CFG_STRING, description, 0, ROUTE_TEXT_MAX),
	K("mime_type", X402_CFG_STRING, mime_type, 0, 127),
	K("price", X402_CFG_PRICE, price, 1, X402_PRICE_MAXLEN),
	K("pay_to", X402_CFG_ADDRESS, pay_to, 0, 0),
	K("accept", X402_CFG_ARGV, accept, 1, ROUTE_MAX_OFFERS),
	K("accept_upto", X402_CFG_ARGV, accept_upto, 1, ROUTE_MAX_OFFERS),
	K("max_price", X402_CFG_PRICE, max_price, 1, X402_PRICE_MAXLEN),
	K("price_per_unit", X402_CFG_PRICE, price_per_unit, 1,
	    X402_PRICE_MAXLEN),
	K("default_units", X402_CFG_UINT, default_units, 0,
	    ROUTE_UNITS_MAX - 1),
	K("max_timeout", X402_CFG_DURATION, max_timeout, 10, 86400),
	K("command_timeout", X402_CFG_DURATION, command_timeout, 1, 3600),
	K("max_input", X402_CFG_SIZE, max_input, 0, (uint64_t)1 << 30),
	K("max_output", X402_CFG_SIZE, max_output, 1, (uint64_t)1 << 30),
	X402_CFG_ENUM_KEY("settle", 0, struct route_conf, settle,
	    settle_choices),
	X402_CFG_ENUM_KEY("output", 0, struct route_conf, output,
	    output_choices),
	K("resource_url", X402_CFG_STRING, resource_url, 0, ROUTE_URL_MAX),
	K("workdir", X402_CFG_PATH, workdir, 1, 255),
	K("command_user", X402_CFG_STRING, command_user, 1, ROUTE_USER_MAX),
	X402_CFG_ENUM_KEY("input", 0, struct route_conf, input,
	    input_choices),
	K("input_label", X402_CFG_STRING, input_label, 1, ROUTE_TEXT_MAX),
	K("input_accept", X402_CFG_STRING, input_accept, 1, 127),
	K("input_params", X402_CFG_ARGV, input_params, 1, ROUTE_PARAMS_MAX),
	K("wallet_rpc_url", X402_CFG_STRING, wallet_rpc_url, 1,
	    ROUTE_URL_MAX),
	X402_CFG_ENUM_KEY("payment_identifier", 0, struct route_conf,
	    payment_identifier, payid_choices),
	K("bazaar", X402_CFG_BOOL, bazaar, 0, 0),
	K("bazaar_query", X402_CFG_STRING, bazaar_query, 0, ROUTE_TEXT_MAX),
	X402_CFG_ENUM_KEY("bazaar_body_type", 0, struct route_conf,
	    bazaar_body_type, body_choices),
	K("bazaar_body", X402_CFG_STRING, bazaar_body, 0, ROUTE_TEXT_MAX),
	K("bazaar_output", X402_CFG_STRING, bazaar_output, 0, ROUTE_TEXT_MAX),
};

static const struct x402_cfg_key gate_keys[] = {
	X402_CFG_ENUM_KEY("settlement", 0, struct route_conf, mode,
	    mode_choices),
	K("clock_skew", X402_CFG_DURATION, clock_skew, 0, 300),
	K("cors_origin", X402_CFG_STRING, cors_origin, 0, ROUTE_URL_MAX),
	K("browser_page", X402_CFG_BOOL, browser_page, 0, 0),
	X402_CFG_ENUM_KEY("log_level", 0, struct route_conf, log_level,
	    level_choices),
	K("proxy", X402_CFG_STRING, proxy, 0, ROUTE_URL_MAX),
	X402_CFG_ENUM_KEY("log", 0, struct route_conf, log, log_choices),
	X402_CFG_ENUM_KEY("access_log", 0, struct route_conf, access_log,
	    access_choices),
	K("metrics_path", X402_CFG_STRING, metrics_path, 0, ROUTE_URL_MAX),
	K("metrics_allow", X402_CFG_ARGV, metrics_allow, 1, ROUTE_ALLOW_MAX),
};

static const struct x402_cfg_key path_keys[] = {
	K("spool", X402_CFG_PATH, spool, 1, 255),
	K("claims", X402_CFG_PATH, claims, 1, 255),
	K("fallback", X402_CFG_PATH, fallback, 1, 255),
	K("networks", X402_CFG_PATH, networks, 1, 255),
	K("drafts", X402_CFG_PATH, drafts, 1, 255),
	K("metrics", X402_CFG_PATH, metrics, 1, 255),
	K("spawn", X402_CFG_PATH, spawn, 1, 255),
};

static const struct x402_cfg_key recover_keys[] = {
	K("rpc_url", X402_CFG_STRING, recover_rpc_url, 1, ROUTE_URL_MAX),
	K("min_age", X402_CFG_DURATION, recover_min_age, 0, 86400),
	K("blocks", X402_CFG_UINT, recover_blocks, 1, X402_RECOVER_BLOCKS_MAX),
	K("watch", X402_CFG_DURATION, recover_watch, 0, 7 * 86400),
};

static const struct x402_cfg_key fac_keys[] = {
	K("url", X402_CFG_STRING, facilitator_url, 1, ROUTE_URL_MAX),
	K("timeout", X402_CFG_DURATION, facilitator_timeout, 1, 600),
	K("cdp_key_id", X402_CFG_STRING, cdp_key_id, 1, 127),
	K("cdp_key_file", X402_CFG_PATH, cdp_key_file, 1, 255),
};

static const struct x402_cfg_key local_keys[] = {
	K("rpc_url", X402_CFG_STRING, rpc_url, 1, ROUTE_URL_MAX),
	K("rpc_timeout", X402_CFG_DURATION, rpc_timeout, 1, 600),
	K("relayer_key", X402_CFG_PATH, relayer_key, 1, 255),
	K("relayer_state", X402_CFG_PATH, relayer_state, 1, 255),
	K("receipt_timeout", X402_CFG_DURATION, receipt_timeout, 1, 3600),
	K("check_chain", X402_CFG_BOOL, check_chain, 0, 0),
};

#define S(name, keys) X402_CFG_SECTION(name, 0, keys, NULL)
static const struct x402_cfg_section sections[] = {
	S("route", route_keys),
	S("gate", gate_keys),
	S("paths", path_keys),
	S("facilitator", fac_keys),
	S("local", local_keys),
	S("recover", recover_keys),
};
static const struct x402_cfg_spec spec = X402_CFG_SPEC(sections);

static void
defaults(struct route_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_timeout = 300;
	c->command_timeout = 60;
	c->max_input = 1 << 20;
	c->max_output = 16 << 20;
	c->settle = SETTLE_AFTER;
	c->output = OUTPUT_RAW;
	c->mode = MODE_FACILITATOR;
	c->clock_skew = 0;
	strcpy(c->cors_origin, "*");
	c->browser_page = 1;
	c->log_level = 2;
	strcpy(c->spool, LOCALSTATEDIR "/spool/x402");
	strcpy(c->claims, LOCALSTATEDIR "/lib/x402/claims");
	strcpy(c->fallback, LOCALSTATEDIR "/lib/x402/fallback");
	strcpy(c->spawn, X402_SPAWN_PATH);
	c->facilitator_timeout = 10;
	c->rpc_timeout = 10;
	c->receipt_timeout = 60;
	c->check_chain = 1;
	c->recover_min_age = 60;
	c->recover_blocks = 50000;
	c->recover_watch = 3600;
	c->default_units = ROUTE_UNITS_MAX;
}

static int
zero_addr(const uint8_t a[X402_ADDR_LEN])
{
	static const uint8_t z[X402_ADDR_LEN];

	return memcmp(a, z, sizeof(z)) == 0;
}

/* "base-sepolia" or "base-sepolia/USDC" or "eip155:8453/0x833..." */
/* A price of the route for one asset, in its atomic units. */
static int
route_price(x402_u256 *out, struct route *r, struct x402_detail *d,
    const char *key, const char *price, const struct x402_asset *asset,
    const char *netname)
{
	int e;

	if (price[0] == '$' && !asset->usd)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] %s: a "
		    "dollar price needs a dollar-pegged asset (%s on %s is "
		    "not)", r->file, key, asset->symbol, netname);
	if ((e = x402_price_parse(out, d, price, strlen(price),
	    asset->decimals, asset->symbol)) != 0) {
		char why[X402_DETAIL_MAX];

		snprintf(why, sizeof(why), "%s", d ? d->msg : "");
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] %s: %s "
		    "(for %s on %s)", r->file, key, why, asset->symbol,
		    netname);
	}
	if (x402_u256_is_zero(out))
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] %s: must "
		    "be above zero", r->file, key);
	return 0;
}

static int
add_offer(struct route *r, struct x402_detail *d, const char *word,
    enum x402_scheme scheme)
{
	char netname[X402_NET_CAIP2_MAX + 1];
	const char *slash = strchr(word, '/');
	const struct x402_network *net;
	const struct x402_asset *asset;
	struct x402_offer *o;
	size_t n = slash ? (size_t)(slash - word) : strlen(word);
	int e;

	if (r->noffers == ROUTE_MAX_OFFERS)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] accept: more "
		    "than %d offers", r->file, ROUTE_MAX_OFFERS);
	if (n == 0 || n >= sizeof(netname))
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] accept: bad "
		    "network \"%s\"", r->file, word);
	memcpy(netname, word, n);
	netname[n] = '\0';
	if ((net = x402_networks_find(r->networks, netname)) == NULL)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] accept: "
		    "unknown network \"%s\" (add it to networks.conf)",
		    r->file, netname);
	if ((asset = x402_network_asset(net, slash ? slash + 1 : NULL)) ==
	    NULL)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] accept: "
		    "network %s has no asset \"%s\"", r->file, netname,
		    slash ? slash + 1 : "(default)");
	if (scheme == X402_SCHEME_EXACT &&
	    asset->transfer != X402_TRANSFER_EIP3009)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] accept: "
		    "%s on %s is not an EIP-3009 token", r->file,
		    asset->symbol, netname);
	o = &r->offers[r->noffers];
	memset(o, 0, sizeof(*o));
	o->scheme = scheme;
	o->net = net;
	o->asset = asset;
	memcpy(o->pay_to, r->c.pay_to, X402_ADDR_LEN);
	o->max_timeout_seconds = (unsigned)r->c.max_timeout;
	if (scheme == X402_SCHEME_UPTO && r->c.max_price[0] != '\0')
		e = route_price(&o->amount, r, d, "max_price", r->c.max_price,
		    asset, netname);
	else
		e = route_price(&o->amount, r, d, "price", r->c.price, asset,
		    netname);
	if (e != 0)
		return e;
	if (scheme == X402_SCHEME_UPTO && r->c.price_per_unit[0] != '\0' &&
	    (e = route_price(&r->unit_price[r->noffers], r, d,
	    "price_per_unit", r->c.price_per_unit, asset, netname)) != 0)
		return e;
	if ((e = x402_offer_v2_json(&r->v2_accepts[r->noffers], o)) != 0)
		return e;
	{
		struct x402_eip712_domain dom;

		x402_network_domain(&dom, net, asset);
		x402_eip712_domain_separator(r->domain_sep[r->noffers], &dom);
	}
	r->noffers++;
	return 0;
}

/* The browser page keys: consistent, and safe in a URL and in HTML. */
static int
check_page(struct route *r, struct x402_detail *d)
{
	char *vec[X402_CFG_ARGV_MAX + 1];
	const char *u = r->c.wallet_rpc_url;
	size_t i, j;
	int e;

	if (u[0] != '\0' && strncmp(u, "https://", 8) != 0 &&
	    strncmp(u, "http://", 7) != 0)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] "
		    "wallet_rpc_url: not an http(s) URL", r->file);
	if (r->c.input != INPUT_QUERY) {
		if (r->c.input_params.argc > 0)
			return x402_fail(d, X402_ERR_CONFIG, "%s: [route] "
			    "input_params: only with input = query", r->file);
		return 0;
	}
	if (r->c.input_params.argc == 0)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] "
		    "input_params: missing (input = query needs the "
		    "parameter names)", r->file);
	if ((e = x402_cfg_argv_vec(vec, X402_CFG_ARGV_MAX + 1,
	    &r->c.input_params)) != 0)
		return e;
	for (i = 0; i < r->c.input_params.argc; i++)
		for (j = 0; vec[i][j] != '\0'; j++)
			if (strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    vec[i][j]) == NULL || j >= 64)
				return x402_fail(d, X402_ERR_CONFIG, "%s: "
				    "[route] input_params: \"%s\": use "
				    "letters, digits, _ . - (at most 64)",
				    r->file, vec[i]);
	return 0;
}

/* A bazaar_* value: a JSON object (or, for the output, any JSON value). */
static int
bazaar_json(struct json_object **out, struct x402_detail *d, const char *file,
    const char *key, const char *text, int object)
{
	struct x402_detail jd;

	*out = NULL;
	if (text[0] == '\0')
		return 0;
	if (x402_json_parse(out, &jd, text, strlen(text),
	    X402_JSON_MAX_DEPTH) != 0)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] %s: not "
		    "JSON (%s)", file, key, jd.msg);
	if (object && !json_object_is_type(*out, json_type_object))
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] %s: must be "
		    "a JSON object", file, key);
	return 0;
}

static void
route_name(char *out, size_t cap, const char *file)
{
	const char *b = strrchr(file, '/');
	size_t n;

	b = b ? b + 1 : file;
	n = strlen(b);
	if (n > 5 && strcmp(b + n - 5, ".conf") == 0)
		n -= 5;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, b, n);
	out[n] = '\0';
}

/*
 * settlement = local: the relayer settles upto payments, so its address
 * (read from relayer_key, the key wiped at once) is the upto offers'
 * extra.facilitatorAddress, in x402-gate's 402 and `x402 requirements`
 * alike.  The v2 requirements of those offers are rebuilt with it.
 */
static int
upto_relayer_address(struct route *r, struct x402_detail *d)
{
	uint8_t key[X402_SECKEY_LEN], addr[X402_ADDR_LEN];
	size_t i;
	int e, done = 0;

	for (i = 0; i < r->noffers; i++) {
		struct x402_offer *o = &r->offers[i];

		if (o->scheme != X402_SCHEME_UPTO)
			continue;
		if (!done) {
			e = x402_sig_key_load(r->sig, key, d, r->c.relayer_key);
			if (e == 0 && (e = x402_sig_key_address(r->sig, addr,
			    key)) != 0)
				x402_fail(d, e, "%s: [local] relayer_key: no "
				    "address", r->file);
			x402_wipe(key, sizeof(key));
			if (e != 0)
				return e;
			done = 1;
		}
		memcpy(o->facilitator, addr, X402_ADDR_LEN);
		o->has_facilitator = 1;
		json_object_put(r->v2_accepts[i]);
		r->v2_accepts[i] = NULL;
		if ((e = x402_offer_v2_json(&r->v2_accepts[i], o)) != 0)
			return e;
	}
	return 0;
}

/*
 * r->argv: the command, or with command_user set the command behind
 * x402-spawn (no shell either way).  With `deep` (the gate itself) the
 * spawner must be installed: setuid root and not writable by others.
 */
static int
command_argv(struct route *r, struct x402_detail *d, char **vec, int deep)
{
	const char *u = r->c.command_user;
	struct stat st;
	size_t i, k = 0;

	if (u[0] != '\0') {
		if (strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
		    strlen(u) || u[0] == '-' || strcmp(u, "root") == 0)
			return x402_fail(d, X402_ERR_CONFIG, "%s: [route] "
			    "command_user: \"%s\" is not a user name the "
			    "command may run as", r->file, u);
		if (deep && (stat(r->c.spawn, &st) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != 0 ||
		    (st.st_mode & S_ISUID) == 0 ||
		    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0))
			return x402_fail(d, X402_ERR_CONFIG, "%s: [route] "
			    "command_user: %s is not installed setuid root "
			    "(see x402-spawn(8))", r->file, r->c.spawn);
		r->argv[k++] = r->c.spawn;
		r->argv[k++] = u;
		r->argv[k++] = "--";
	}
	for (i = 0; i <= r->c.command.argc; i++)
		r->argv[k++] = vec[i];
	return 0;
}

int
route_load(struct route *r, struct x402_detail *d, const char *global,
    const char *file, int deep)
{
	char *vec[X402_CFG_ARGV_MAX + 1];
	size_t i;
	int e;

	memset(r, 0, sizeof(*r));
	snprintf(r->file, sizeof(r->file), "%s", file);
	route_name(r->name, sizeof(r->name), file);
	defaults(&r->c);
	if (global != NULL && global[0] != '\0') {
		FILE *f = fopen(global, "r");

		if (f != NULL) {
			fclose(f);
			if ((e = x402_cfg_parse_file(&r->c, d, &spec, NULL,
			    global)) != 0)
				return e;
		}
	}
	if ((e = x402_cfg_parse_file(&r->c, d, &spec, NULL, file)) != 0)
		return e;
	if (r->c.command.argc == 0)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] command: "
		    "missing", file);
	if (r->c.price[0] == '\0' && (r->c.accept.argc > 0 ||
	    r->c.max_price[0] == '\0'))
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] price: "
		    "missing", file);
	if (zero_addr(r->c.pay_to))
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] pay_to: "
		    "missing", file);
	if (r->c.accept.argc == 0 && r->c.accept_upto.argc == 0)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] accept: "
		    "missing (e.g. accept = base-sepolia)", file);
	if (r->c.accept_upto.argc > 0 && r->c.settle == SETTLE_BEFORE)
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] "
		    "accept_upto: usage is known only after the command ran: "
		    "needs settle = after", file);
	r->has_unit_price = r->c.price_per_unit[0] != '\0';
	if ((e = check_page(r, d)) != 0)
		return e;
	if ((e = x402_cfg_argv_vec(vec, X402_CFG_ARGV_MAX + 1,
	    &r->c.command)) != 0)
		return e;
	if (vec[0][0] != '/')
		return x402_fail(d, X402_ERR_CONFIG, "%s: [route] command: "
		    "\"%s\" must be an absolute path (no shell, no PATH "
		    "search)", file, vec[0]);
	if ((e = command_argv(r, d, vec, deep)) != 0)
		return e;
	if ((e = x402_networks_new(&r->networks)) != 0)
		return e;
	if (r->c.networks[0] != '\0' &&
	    (e = x402_networks_load(r->networks, d, r->c.networks)) != 0)
		return e;
	if ((e = x402_cfg_argv_vec(vec, X402_CFG_ARGV_MAX + 1,
	    &r->c.accept)) != 0)
		return e;
	for (i = 0; i < r->c.accept.argc; i++) {
		if ((e = add_offer(r, d, vec[i], X402_SCHEME_EXACT)) != 0)
			return e;
	}
	if ((e = x402_cfg_argv_vec(vec, X402_CFG_ARGV_MAX + 1,
	    &r->c.accept_upto)) != 0)
		return e;
	for (i = 0; i < r->c.accept_upto.argc; i++) {
		if ((e = add_offer(r, d, vec[i], X402_SCHEME_UPTO)) != 0)
			return e;
	}
	if ((e = bazaar_json(&r->bz_query, d, file, "bazaar_query",
	    r->c.bazaar_query, 1)) != 0 ||
	    (e = bazaar_json(&r->bz_body, d, file, "bazaar_body",
	    r->c.bazaar_body, 1)) != 0 ||
	    (e = bazaar_json(&r->bz_output, d, file, "bazaar_output",
	    r->c.bazaar_output, 0)) != 0)
		return e;
	if (r->bz_query != NULL || r->bz_body != NULL || r->bz_output != NULL ||
	    r->c.bazaar_body_type != BODY_NONE)
		r->c.bazaar = 1;
	if (r->c.mode == MODE_FACILITATOR && r->c.facilitator_url[0] == '\0')
		return x402_fail(d, X402_ERR_CONFIG, "%s: [facilitator] url: "
		    "missing (settlement = facilitator)", file);
	if (r->c.mode == MODE_LOCAL && (r->c.rpc_url[0] == '\0' ||
	    r->c.relayer_key[0] == '\0'))
		return x402_fail(d, X402_ERR_CONFIG, "%s: [local] rpc_url and "
		    "relayer_key are required (settlement = local)", file);
	if ((e = x402_sig_ctx_new(&r->sig)) != 0)
		return x402_fail(d, e, "secp256k1 context: %s",
		    x402_strerror(e));
	if (r->c.mode == MODE_LOCAL && (e = upto_relayer_address(r, d)) != 0)
		return e;
	if (r->c.drafts[0] == '\0' && snprintf(r->c.drafts,
	    sizeof(r->c.drafts), "%s/drafts", r->c.claims) >=
	    (int)sizeof(r->c.drafts))
		return x402_fail(d, X402_ERR_CONFIG, "%s: [paths] claims: too "
		    "long to hold drafts/ (set [paths] drafts)", file);
	if (r->c.metrics[0] == '\0' && snprintf(r->c.metrics,
	    sizeof(r->c.metrics), "%s/metrics", r->c.claims) >=
	    (int)sizeof(r->c.metrics))
		return x402_fail(d, X402_ERR_CONFIG, "%s: [paths] claims: too "
		    "long to hold metrics/ (set [paths] metrics)", file);
	if (r->c.metrics_path[0] != '\0' && r->c.metrics_path[0] != '/')
		return x402_fail(d, X402_ERR_CONFIG, "%s: [gate] metrics_path: "
		    "must be a URL path starting with /", file);
	if (!deep)
		return 0;
	if ((e = x402_spool_open(&r->spool, d, r->c.spool)) != 0 ||
	    (e = x402_claim_open(&r->claims, d, r->c.claims)) != 0 ||
	    (e = x402_drafts_open(&r->drafts, d, r->c.drafts)) != 0)
		return e;
	return route_settler(r, d);
}

void
route_free(struct route *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->noffers; i++)
		json_object_put(r->v2_accepts[i]);
	json_object_put(r->bz_query);
	json_object_put(r->bz_body);
	json_object_put(r->bz_output);
	x402_settler_free(r->settler);
	x402_spool_close(r->spool);
	x402_claim_close(r->claims);
	x402_drafts_close(r->drafts);
	x402_metrics_close(r->metrics);
	x402_sig_ctx_free(r->sig);
	x402_networks_free(r->networks);
	memset(r, 0, sizeof(*r));
}

/* A decimal count or amount reported by the command: digits only. */
static int
parse_report(x402_u256 *v, const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 78 || strspn(s, "0123456789") != n)
		return X402_ERR_SYNTAX;
	return x402_u256_parse_dec(v, s, n);
}

int
route_meter(const struct route *r, size_t i, x402_u256 *amount,
    int *capped, struct x402_detail *d, const char *charge,
    const char *units)
{
	const struct x402_offer *o = &r->offers[i];
	x402_u256 n, a;
	uint64_t u64;

	*capped = 0;
	if (charge != NULL && units != NULL)
		return x402_fail(d, X402_ERR_SYNTAX, "the command reported "
		    "both a charge and units");
	if (charge != NULL) {
		if (parse_report(&a, charge) != 0)
			return x402_fail(d, X402_ERR_SYNTAX, "charge "
			    "\"%.40s\" is not a decimal amount", charge);
	} else if (units != NULL || r->c.default_units != ROUTE_UNITS_MAX) {
		if (!r->has_unit_price)
			return x402_fail(d, X402_ERR_SYNTAX, "units reported "
			    "or defaulted but the route has no price_per_unit");
		if (units != NULL) {
			if (parse_report(&n, units) != 0)
				return x402_fail(d, X402_ERR_SYNTAX,
				    "units \"%.40s\" is not a decimal "
				    "count", units);
		} else
			x402_u256_set_u64(&n, r->c.default_units);
		/* units * price, capped: a product past 64 bits is over. */
		if (!x402_u256_get_u64(&n, &u64) ||
		    x402_u256_mul_u64(&a, &r->unit_price[i], u64) != 0) {
			a = o->amount;
			*capped = 1;
		}
	} else
		a = o->amount;
	if (x402_u256_cmp(&a, &o->amount) > 0) {
		a = o->amount;
		*capped = 1;
	}
	*amount = a;
	return 0;
}
