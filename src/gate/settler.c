/* settler.c - build the route's settlement strategy from its settings. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "route.h"

/*
 * A facilitator that cannot be asked at start-up does not stop the gate:
 * it serves its 402s, and route_settler_wait asks /supported again.
 */
static int
facilitator_settler(struct route *r, struct x402_detail *d)
{
	struct x402_facilitator *f = NULL;
	int e, away;

	if ((e = route_facilitator(r, &f, d)) != 0)
		return e;
	if ((e = route_offers_check(r, f, d)) != 0 && !route_unreachable(e)) {
		x402_facilitator_free(f);
		return e;
	}
	away = e != 0;
	if (away)
		X402_LOG_WARN("route %s: the facilitator cannot be asked "
		    "(%s: %s): serving 402s, payments get 503 until it "
		    "answers", r->name, x402_strerror(e), d->msg);
	if ((e = x402_settler_new_facilitator(&r->settler, f, d)) != 0)
		return e;
	r->fac = f;
	r->sup_pending = away;
	r->sup_wait = ROUTE_SUP_RETRY_MIN;
	r->sup_next = 0;		/* at the first request needing it */
	return 0;
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
