/*
 * conf.c - payout.conf (see conf.h).
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

static const char *const method_choices[] = { "rpc", "facilitator", NULL };
static const char *const log_choices[] = { "stderr", "syslog", NULL };
static const char *const verify_choices[] = { "chain", "none", NULL };

static const struct x402_cfg_key payout_keys[] = {
	X402_CFG_KEY("wallet", X402_CFG_ADDRESS, X402_CFG_REQUIRED,
	    struct po_conf, wallet, 0, 0),
	X402_CFG_KEY("key", X402_CFG_PATH, X402_CFG_REQUIRED,
	    struct po_conf, key, 0, PO_STR_MAX),
	X402_CFG_KEY("spool", X402_CFG_PATH, X402_CFG_REQUIRED,
	    struct po_conf, spool, 0, PO_STR_MAX),
	X402_CFG_KEY("state", X402_CFG_PATH, 0,
	    struct po_conf, state, 0, PO_STR_MAX),
	X402_CFG_KEY("network", X402_CFG_STRING, X402_CFG_REQUIRED,
	    struct po_conf, network, 1, 64),
	X402_CFG_KEY("asset", X402_CFG_STRING, 0,
	    struct po_conf, asset, 1, 42),
	X402_CFG_KEY("networks", X402_CFG_PATH, 0,
	    struct po_conf, networks, 0, PO_STR_MAX),
	X402_CFG_ENUM_KEY("method", 0, struct po_conf, method,
	    method_choices),
	X402_CFG_KEY("rpc", X402_CFG_STRING, X402_CFG_REQUIRED,
	    struct po_conf, rpc, 1, PO_STR_MAX),
	X402_CFG_KEY("facilitator", X402_CFG_STRING, 0,
	    struct po_conf, facilitator, 1, PO_STR_MAX),
	X402_CFG_KEY("minimum", X402_CFG_UINT, 0,
	    struct po_conf, minimum, 1, UINT64_MAX),
	X402_CFG_KEY("default_split", X402_CFG_STRING, X402_CFG_REQUIRED,
	    struct po_conf, default_split_name, 1, PO_NAME_MAX),
	X402_CFG_KEY("valid_for", X402_CFG_DURATION, 0,
	    struct po_conf, valid_for, 600, 365 * 86400),
	X402_CFG_KEY("timeout", X402_CFG_DURATION, 0,
	    struct po_conf, timeout, 1, 3600),
	X402_CFG_ENUM_KEY("log", 0, struct po_conf, log, log_choices),
	X402_CFG_ENUM_KEY("verify", 0, struct po_conf, verify,
	    verify_choices),
	X402_CFG_KEY("verify_window", X402_CFG_DURATION, 0,
	    struct po_conf, verify_window, 1, 3650 * 86400ull),
};

static const struct x402_cfg_key payee_keys[] = {
	X402_CFG_KEY("address", X402_CFG_ADDRESS, X402_CFG_REQUIRED,
	    struct po_payee_conf, addr, 0, 0),
	X402_CFG_KEY("minimum", X402_CFG_UINT, 0,
	    struct po_payee_conf, minimum, 1, UINT64_MAX),
};

struct split_in {
	struct x402_cfg_argv shares;
};
static const struct x402_cfg_key split_keys[] = {
	X402_CFG_KEY("shares", X402_CFG_ARGV, X402_CFG_REQUIRED,
	    struct split_in, shares, 1, X402_CFG_ARGV_MAX),
};

static const struct x402_cfg_key route_keys[] = {
	X402_CFG_KEY("split", X402_CFG_STRING, X402_CFG_REQUIRED,
	    struct po_route, split_name, 1, PO_NAME_MAX),
};

int
po_share_parse(char *name, uint32_t *bps, const char *word)
{
	const char *colon = strrchr(word, ':'), *p;
	size_t nlen, i;
	uint32_t whole = 0, frac = 0, nfrac = 0;
	int pct = 0, digits = 0;

	if (colon == NULL || colon == word)
		return X402_ERR_SYNTAX;
	nlen = (size_t)(colon - word);
	if (nlen > PO_NAME_MAX)
		return X402_ERR_RANGE;
	for (i = 0; i < nlen; i++) {
		char ch = word[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-'))
			return X402_ERR_SYNTAX;
	}
	for (p = colon + 1; *p >= '0' && *p <= '9'; p++, digits++) {
		if (whole > 100000)
			return X402_ERR_RANGE;
		whole = whole * 10 + (uint32_t)(*p - '0');
	}
	if (digits == 0)
		return X402_ERR_SYNTAX;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (++nfrac > 2)
				return X402_ERR_RANGE;	/* finer than 1 bps */
			frac = frac * 10 + (uint32_t)(*p - '0');
		}
		if (nfrac == 0)
			return X402_ERR_SYNTAX;
		if (*p != '%')
			return X402_ERR_SYNTAX;	/* bps are integers */
	}
	if (*p == '%') {
		pct = 1;
		p++;
	}
	if (*p != '\0')
		return X402_ERR_SYNTAX;
	if (pct) {
		if (nfrac == 1)
			frac *= 10;
		whole = whole * 100 + frac;
	}
	if (whole > PO_BPS_TOTAL)
		return X402_ERR_RANGE;
	memcpy(name, word, nlen);
	name[nlen] = '\0';
	*bps = whole;
	return 0;
}

static int
add_payee(void *ctx, struct x402_detail *d, const struct x402_cfg_instance *in)
{
	struct po_conf *c = ctx;
	struct po_payee_conf *p;
	size_t i;

	if (c->npayees == PO_PAYEES_MAX)
		return x402_cfg_fail(d, in, NULL, "more than %d payees",
		    PO_PAYEES_MAX);
	if (strcmp(in->args[0], "retain") == 0)
		return x402_cfg_fail(d, in, NULL, "\"retain\" is the "
		    "wallet's own share, not a payee name");
	if (strlen(in->args[0]) > PO_NAME_MAX)
		return x402_cfg_fail(d, in, NULL, "name longer than %d",
		    PO_NAME_MAX);
	for (i = 0; i < c->npayees; i++) {
		if (memcmp(c->payees[i].addr,
		    ((const struct po_payee_conf *)in->data)->addr, 20) == 0)
			return x402_cfg_fail(d, in, "address", "same address "
			    "as payee %s", c->payees[i].name);
	}
	p = &c->payees[c->npayees];
	*p = *(const struct po_payee_conf *)in->data;
	snprintf(p->name, sizeof(p->name), "%s", in->args[0]);
	p->has_minimum = x402_cfg_seen(in, "minimum") != 0;
	if (memcmp(p->addr, c->wallet, 20) == 0)
		return x402_cfg_fail(d, in, "address", "is the payout wallet");
	c->npayees++;
	return 0;
}

static int
add_split(void *ctx, struct x402_detail *d, const struct x402_cfg_instance *in)
{
	struct po_conf *c = ctx;
	struct split_in *si = in->data;
	struct po_split *s;
	const char *w;
	size_t i, j;
	uint32_t sum = 0, bps;
	int retain = 0, r;

	if (c->nsplits == PO_SPLITS_MAX)
		return x402_cfg_fail(d, in, NULL, "more than %d split rules",
		    PO_SPLITS_MAX);
	if (strlen(in->args[0]) > PO_NAME_MAX)
		return x402_cfg_fail(d, in, NULL, "name longer than %d",
		    PO_NAME_MAX);
	s = &c->splits[c->nsplits];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", in->args[0]);
	s->line = x402_cfg_seen(in, "shares");
	w = si->shares.buf;
	for (i = 0; i < si->shares.argc; i++, w += strlen(w) + 1) {
		if ((r = po_share_parse(s->words[i], &bps, w)) != 0)
			return x402_cfg_fail(d, in, "shares", "\"%.48s\" is "
			    "not NAME:BPS or NAME:PERCENT%% (0..10000 bps, "
			    "at most 2 decimals of a percent)", w);
		for (j = 0; j < i; j++)
			if (strcmp(s->words[j], s->words[i]) == 0)
				return x402_cfg_fail(d, in, "shares",
				    "%s named twice", s->words[i]);
		if (strcmp(s->words[i], "retain") == 0) {
			retain = 1;
			s->retain_bps = bps;
		} else {
			s->shares[s->nshares].bps = bps;
			s->nshares++;
		}
		sum += bps;
	}
	s->nwords = si->shares.argc;
	if (!retain)
		return x402_cfg_fail(d, in, "shares", "no retain:N share "
		    "(the wallet's own share, which also takes the "
		    "rounding remainders; may be retain:0)");
	if (sum != PO_BPS_TOTAL)
		return x402_cfg_fail(d, in, "shares", "shares sum to %u.%02u%% "
		    "(%u bps), not exactly 100%%", sum / 100, sum % 100, sum);
	for (j = 0; j < c->nsplits; j++)
		if (strcmp(c->splits[j].name, s->name) == 0)
			return x402_cfg_fail(d, in, NULL, "split %s defined "
			    "twice", s->name);
	c->nsplits++;
	return 0;
}

static int
add_route(void *ctx, struct x402_detail *d, const struct x402_cfg_instance *in)
{
	struct po_conf *c = ctx;
	struct po_route *rt;

	if (c->nroutes == PO_ROUTES_MAX)
		return x402_cfg_fail(d, in, NULL, "more than %d routes",
		    PO_ROUTES_MAX);
	if (strlen(in->args[0]) > PO_NAME_MAX)
		return x402_cfg_fail(d, in, NULL, "name longer than %d",
		    PO_NAME_MAX);
	rt = &c->routes[c->nroutes];
	*rt = *(const struct po_route *)in->data;
	snprintf(rt->name, sizeof(rt->name), "%s", in->args[0]);
	rt->line = x402_cfg_seen(in, "split");
	c->nroutes++;
	return 0;
}

static int
payout_done(void *ctx, struct x402_detail *d,
    const struct x402_cfg_instance *in)
{
	struct po_conf *c = ctx;

	c->line_default_split = x402_cfg_seen(in, "default_split");
	c->line_facilitator = x402_cfg_seen(in, "facilitator");
	if (c->method == PO_METHOD_FACILITATOR && c->facilitator[0] == '\0')
		return x402_cfg_fail(d, in, "method", "facilitator needs a "
		    "facilitator = URL");
	return 0;
}

static const struct x402_cfg_section sections[] = {
	{ "payout", 0, X402_CFG_REQUIRED, payout_keys,
	  X402_CFG_NKEYS(payout_keys), 0, 0, NULL, payout_done },
	X402_CFG_SECTIONS("payee", 1, struct po_payee_conf, payee_keys, NULL,
	    add_payee),
	X402_CFG_SECTIONS("split", 1, struct split_in, split_keys, NULL,
	    add_split),
	X402_CFG_SECTIONS("route", 1, struct po_route, route_keys, NULL,
	    add_route),
};
static const struct x402_cfg_spec spec = X402_CFG_SPEC(sections);

static int
find_split(const struct po_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nsplits; i++)
		if (strcmp(c->splits[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
po_conf_payee(const struct po_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->npayees; i++)
		if (strcmp(c->payees[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Resolves names across sections once the whole file is read. */
static int
resolve(struct po_conf *c, struct x402_detail *d)
{
	size_t i, j, k;
	int ix;

	for (i = 0; i < c->nsplits; i++) {
		struct po_split *s = &c->splits[i];

		for (j = 0, k = 0; j < s->nwords; j++) {
			if (strcmp(s->words[j], "retain") == 0)
				continue;
			if ((ix = po_conf_payee(c, s->words[j])) < 0)
				return x402_fail(d, X402_ERR_CONFIG, "%s:%u: "
				    "[split %s] shares: no [payee %s]",
				    c->file, s->line, s->name, s->words[j]);
			s->shares[k++].payee = (size_t)ix;
		}
	}
	for (i = 0; i < c->nroutes; i++) {
		struct po_route *rt = &c->routes[i];

		if ((ix = find_split(c, rt->split_name)) < 0)
			return x402_fail(d, X402_ERR_CONFIG, "%s:%u: [route "
			    "%s] split: no [split %s]", c->file, rt->line,
			    rt->name, rt->split_name);
		rt->split = (size_t)ix;
		for (j = 0; j < i; j++)
			if (strcmp(c->routes[j].name, rt->name) == 0)
				return x402_fail(d, X402_ERR_CONFIG, "%s:%u: "
				    "[route %s]: defined twice", c->file,
				    rt->line, rt->name);
	}
	if ((ix = find_split(c, c->default_split_name)) < 0)
		return x402_fail(d, X402_ERR_CONFIG, "%s:%u: [payout] "
		    "default_split: no [split %s]", c->file,
		    c->line_default_split, c->default_split_name);
	c->default_split = (size_t)ix;
	for (i = 0; i < c->npayees; i++)
		if (!c->payees[i].has_minimum)
			c->payees[i].minimum = c->minimum;
	return 0;
}

int
po_conf_load(struct po_conf *c, struct x402_detail *d, const char *path,
    const char *text, size_t len)
{
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", path);
	snprintf(c->state, sizeof(c->state), "%s", LOCALSTATEDIR
	    "/lib/x402/payout");
	c->minimum = 1;
	c->valid_for = 7 * 86400;
	c->timeout = 120;
	c->verify_window = 90 * 86400;
	if (text != NULL)
		r = x402_cfg_parse_string(c, d, &spec, c, path, text, len);
	else
		r = x402_cfg_parse_file(c, d, &spec, c, path);
	if (r != 0)
		return r;
	return resolve(c, d);
}

const struct po_split *
po_conf_rule(const struct po_conf *c, const char *route)
{
	size_t i;

	for (i = 0; i < c->nroutes; i++)
		if (strcmp(c->routes[i].name, route) == 0)
			return &c->splits[c->routes[i].split];
	return &c->splits[c->default_split];
}
