/* settler.c - build the route's settlement strategy from its settings. */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "route.h"

/* Reads a small secret file that only its owner may read. */
static int
read_secret(char *out, size_t cap, struct x402_detail *d, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd, e = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return x402_fail(d, X402_ERR_IO, "%s: cannot open", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		e = x402_fail(d, X402_ERR_PERM, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		e = x402_fail(d, X402_ERR_PERM, "%s: mode %03o lets others "
		    "read it (chmod 600)", path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	n = read(fd, out, cap - 1);
	if (n < 0 || (size_t)n == cap - 1) {
		e = x402_fail(d, X402_ERR_LIMIT, "%s: unreadable or too long",
		    path);
		goto out;
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' ||
	    out[n - 1] == ' '))
		n--;
	out[n] = '\0';
out:
	close(fd);
	return e;
}

/*
 * Upto offers name the address that may settle them (extra
 * .facilitatorAddress): the facilitator's, from its /supported kind for
 * (2, upto, network), as the official upto server copies it.  The v2
 * requirements of those offers are rebuilt with it.
 */
static int
upto_facilitator_address(struct route *r, struct x402_facilitator *f,
    struct x402_detail *d)
{
	const struct x402_facilitator_supported *sup;
	struct json_object *v;
	size_t i, k;
	int e;

	for (i = 0; i < r->noffers; i++) {
		struct x402_offer *o = &r->offers[i];

		if (o->scheme != X402_SCHEME_UPTO)
			continue;
		if ((e = x402_facilitator_supported(f, &sup, d)) != 0)
			return e;
		for (k = 0; k < sup->nkinds; k++) {
			const struct x402_facilitator_kind *kd = &sup->kinds[k];

			if (kd->version == 2 && strcmp(kd->scheme, "upto") == 0 &&
			    strcmp(kd->network, o->net->caip2) == 0 &&
			    kd->extra != NULL && json_object_object_get_ex(
			    kd->extra, "facilitatorAddress", &v) &&
			    json_object_is_type(v, json_type_string) &&
			    x402_addr_parse(o->facilitator,
			    json_object_get_string(v),
			    (size_t)json_object_get_string_len(v)) == 0) {
				o->has_facilitator = 1;
				break;
			}
		}
		if (!o->has_facilitator)
			return x402_fail(d, X402_ERR_CONFIG, "%s: the "
			    "facilitator's /supported upto kind on %s has no "
			    "usable extra.facilitatorAddress", r->file,
			    o->net->caip2);
		json_object_put(r->v2_accepts[i]);
		r->v2_accepts[i] = NULL;
		if ((e = x402_offer_v2_json(&r->v2_accepts[i], o)) != 0)
			return e;
	}
	return 0;
}

static int
facilitator_settler(struct route *r, struct x402_detail *d)
{
	struct x402_http_opts ho;
	struct x402_facilitator *f = NULL;
	struct x402_cdp_key *key = NULL;
	char secret[X402_CDP_SECRET_MAX + 1];
	const char *id = r->c.cdp_key_id[0] ? r->c.cdp_key_id :
	    getenv("CDP_API_KEY_ID");
	const char *sec = getenv("CDP_API_KEY_SECRET");
	size_t i;
	int e, yes;

	memset(&ho, 0, sizeof(ho));
	ho.proxy = r->c.proxy[0] ? r->c.proxy : NULL;
	ho.timeout_ms = (long)r->c.facilitator_timeout * 1000;
	ho.connect_timeout_ms = ho.timeout_ms < 5000 ? ho.timeout_ms : 5000;
	if (r->c.cdp_key_file[0] != '\0') {
		if ((e = read_secret(secret, sizeof(secret), d,
		    r->c.cdp_key_file)) != 0)
			return e;
		sec = secret;
	}
	if (id != NULL && id[0] != '\0' && sec != NULL && sec[0] != '\0') {
		e = x402_cdp_key_new(&key, d, id, sec);
		x402_wipe(secret, sizeof(secret));
		if (e != 0)
			return e;
	}
	x402_wipe(secret, sizeof(secret));
	if ((e = x402_facilitator_new(&f, d, r->c.facilitator_url, &ho,
	    key)) != 0)
		return e;
	/*
	 * Offer only what the facilitator can settle: every offer in v2, and
	 * in v1 too where the 402 advertises it (a network with a v1 name).
	 */
	for (i = 0; i < r->noffers; i++) {
		const struct x402_offer *o = &r->offers[i];
		int v;

		for (v = 2; v >= 1; v--) {
			const char *net = v == 2 ? o->net->caip2 :
			    o->net->v1_name;

			if (v == 1 && (net[0] == '\0' ||
			    o->scheme != X402_SCHEME_EXACT))
				continue;
			if ((e = x402_facilitator_supports(f, &yes, d, v,
			    x402_scheme_name(o->scheme), net)) != 0) {
				x402_facilitator_free(f);
				return e;
			}
			if (!yes) {
				x402_facilitator_free(f);
				return x402_fail(d, X402_ERR_CONFIG, "%s: the "
				    "facilitator does not support x402 v%d %s "
				    "on %s (see its /supported)", r->file, v,
				    x402_scheme_name(o->scheme), net);
			}
		}
	}
	if ((e = upto_facilitator_address(r, f, d)) != 0) {
		x402_facilitator_free(f);
		return e;
	}
	return x402_settler_new_facilitator(&r->settler, f, d);
}

/*
 * Local settlement: one relayer on one chain, so every offer of the route
 * must be on the same chain.
 */
static int
local_settler(struct route *r, struct x402_detail *d)
{
	struct x402_local_opts lo;
	uint8_t relayer[X402_ADDR_LEN];
	char state[512];
	size_t i;
	int e;

	for (i = 1; i < r->noffers; i++) {
		if (r->offers[i].net->chain_id != r->offers[0].net->chain_id)
			return x402_fail(d, X402_ERR_CONFIG, "%s: [route] "
			    "accept: settlement = local serves one chain; "
			    "%s and %s differ", r->file,
			    r->offers[0].net->caip2, r->offers[i].net->caip2);
	}
	if (r->c.relayer_state[0] != '\0')
		snprintf(state, sizeof(state), "%s", r->c.relayer_state);
	else
		snprintf(state, sizeof(state), "%s/relayer", r->c.claims);
	memset(&lo, 0, sizeof(lo));
	lo.rpc_url = r->c.rpc_url;
	lo.http.proxy = r->c.proxy[0] ? r->c.proxy : NULL;
	lo.http.timeout_ms = (long)r->c.rpc_timeout * 1000;
	lo.http.connect_timeout_ms = lo.http.timeout_ms < 5000 ?
	    lo.http.timeout_ms : 5000;
	lo.relayer_key_file = r->c.relayer_key;
	lo.state_dir = state;
	lo.receipt_timeout_ms = (unsigned)(r->c.receipt_timeout * 1000);
	lo.check_chain = r->c.check_chain;
	lo.clock_skew = (unsigned)r->c.clock_skew;
	lo.expected_chain_id = r->offers[0].net->chain_id;
	if ((e = x402_settler_new_local(&r->settler, r->sig, &lo, d)) != 0)
		return e;
	/* The upto offers name the relayer (route_load read the key). */
	if ((e = x402_local_relayer(r->settler, relayer)) != 0)
		return e;
	for (i = 0; i < r->noffers; i++) {
		if (r->offers[i].scheme == X402_SCHEME_UPTO &&
		    (!r->offers[i].has_facilitator || memcmp(relayer,
		    r->offers[i].facilitator, X402_ADDR_LEN) != 0))
			return x402_fail(d, X402_ERR_CONFIG, "%s: [local] "
			    "relayer_key: the upto offers do not name the "
			    "relayer as their facilitator", r->file);
	}
	return 0;
}

int
route_settler(struct route *r, struct x402_detail *d)
{
	if (r->c.mode == MODE_FACILITATOR)
		return facilitator_settler(r, d);
	return local_settler(r, d);
}
