/* verify.c - offline verification of exact EIP-3009 payments. */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "verify.h"

static int
invalid(struct x402_verify_result *res, const char *reason)
{
	res->valid = 0;
	snprintf(res->reason, sizeof(res->reason), "%s", reason);
	return 0;
}

/*
 * Whether t (validBefore, or the Permit2 deadline) lies beyond
 * now + maxTimeoutSeconds + skew: the official clients sign exactly
 * now + maxTimeoutSeconds, and a bounded window bounds how long a spent
 * authorization must be remembered.  Returns 1 when too far.
 */
static int
too_far(const x402_u256 *t, const struct x402_offer *o, uint64_t now,
    unsigned skew)
{
	x402_u256 limit;

	x402_u256_set_u64(&limit, now + (uint64_t)o->max_timeout_seconds +
	    skew);
	return x402_u256_cmp(t, &limit) > 0;
}

int
x402_verify_exact(struct x402_verify_result *res,
    const struct x402_sig_ctx *ctx, const struct x402_payment *p,
    const struct x402_offer *o, const uint8_t *dom_sep, uint64_t now,
    unsigned skew)
{
	const struct x402_exact_payload *e = &p->exact;
	struct x402_eip712_domain dom;
	uint8_t sep[32], sh[32], digest[32];
	x402_u256 limit, margin;
	const char *want_net;

	memset(res, 0, sizeof(*res));
	if (ctx == NULL || p == NULL || o == NULL)
		return X402_ERR_INVAL;
	if (strcmp(p->scheme, "exact") != 0 || o->scheme != X402_SCHEME_EXACT)
		return invalid(res, X402_R_SCHEME);
	if (o->asset->eip712_name[0] == '\0' ||
	    o->asset->eip712_version[0] == '\0')
		return invalid(res, X402_R_DOMAIN);
	want_net = p->version == 1 ? o->net->v1_name : o->net->caip2;
	if (strcmp(p->network, want_net) != 0)
		return invalid(res, X402_R_NETWORK);
	if (!e->eoa_sig)
		return invalid(res, X402_R_SMART_WALLET);

	/* The domain always comes from the offer, never from the payload. */
	if (dom_sep == NULL) {
		x402_network_domain(&dom, o->net, o->asset);
		x402_eip712_domain_separator(sep, &dom);
		dom_sep = sep;
	}
	/* transferWithAuthorization takes v as 27 or 28 only. */
	if (e->sig[64] != 27 && e->sig[64] != 28)
		return invalid(res, X402_R_SIGNATURE);
	x402_eip712_eip3009_hash(sh, &e->auth);
	x402_eip712_digest(digest, dom_sep, sh);
	if (x402_sig_recover(ctx, res->payer, digest, e->sig) != 0 ||
	    x402_memeq_ct(res->payer, e->auth.from, X402_ADDR_LEN) != 0)
		return invalid(res, X402_R_SIGNATURE);

	if (memcmp(e->auth.to, o->pay_to, X402_ADDR_LEN) != 0)
		return invalid(res, X402_R_RECIPIENT);

	/* validBefore >= now + 6 (less the allowed skew). */
	x402_u256_set_u64(&limit, now);
	x402_u256_set_u64(&margin, X402_VALID_BEFORE_MARGIN > skew ?
	    X402_VALID_BEFORE_MARGIN - skew : 0);
	if (x402_u256_add(&limit, &limit, &margin) != 0 ||
	    x402_u256_cmp(&e->auth.valid_before, &limit) < 0)
		return invalid(res, X402_R_VALID_BEFORE);
	/*
	 * validAfter < now (plus the allowed skew), as the token compares:
	 * it requires block.timestamp > validAfter.
	 */
	x402_u256_set_u64(&limit, now);
	x402_u256_set_u64(&margin, skew);
	if (x402_u256_add(&limit, &limit, &margin) != 0 ||
	    x402_u256_cmp(&e->auth.valid_after, &limit) >= 0)
		return invalid(res, X402_R_VALID_AFTER);

	if (x402_u256_cmp(&e->auth.value, &o->amount) != 0)
		return invalid(res, p->version == 1 ? X402_R_VALUE_V1 :
		    X402_R_VALUE);
	if (too_far(&e->auth.valid_before, o, now, skew)) {
		invalid(res, X402_R_VALID_BEFORE);
		snprintf(res->message, sizeof(res->message), "%s",
		    X402_M_TOO_FAR);
		return 0;
	}
	res->valid = 1;
	return 0;
}

int
x402_verify_upto(struct x402_verify_result *res,
    const struct x402_sig_ctx *ctx, const struct x402_payment *p,
    const struct x402_offer *o, uint64_t now, unsigned skew)
{
	const struct x402_upto_payload *u = &p->upto;
	uint8_t digest[32], signer[X402_ADDR_LEN];
	x402_u256 limit, margin;

	memset(res, 0, sizeof(*res));
	if (ctx == NULL || p == NULL || o == NULL)
		return X402_ERR_INVAL;
	memcpy(res->payer, u->from, X402_ADDR_LEN);
	if (p->version != 2 || strcmp(p->scheme, "upto") != 0 ||
	    o->scheme != X402_SCHEME_UPTO)
		return invalid(res, X402_R_UPTO_SCHEME);
	if (strcmp(p->network, o->net->caip2) != 0)
		return invalid(res, X402_R_UPTO_NETWORK);
	if (memcmp(u->permit.spender, x402_upto_proxy_address,
	    X402_ADDR_LEN) != 0)
		return invalid(res, X402_R_PERMIT2_SPENDER);
	if (memcmp(u->permit.witness_to, o->pay_to, X402_ADDR_LEN) != 0)
		return invalid(res, X402_R_PERMIT2_RECIPIENT);
	if (o->has_facilitator && memcmp(u->permit.witness_facilitator,
	    o->facilitator, X402_ADDR_LEN) != 0)
		return invalid(res, X402_R_UPTO_FACILITATOR);

	/* deadline >= now + 6 (less the allowed skew). */
	x402_u256_set_u64(&limit, now);
	x402_u256_set_u64(&margin, X402_VALID_BEFORE_MARGIN > skew ?
	    X402_VALID_BEFORE_MARGIN - skew : 0);
	if (x402_u256_add(&limit, &limit, &margin) != 0 ||
	    x402_u256_cmp(&u->permit.deadline, &limit) < 0)
		return invalid(res, X402_R_PERMIT2_DEADLINE);
	if (too_far(&u->permit.deadline, o, now, skew)) {
		invalid(res, X402_R_PERMIT2_DEADLINE);
		snprintf(res->message, sizeof(res->message), "%s",
		    X402_M_TOO_FAR);
		return 0;
	}
	/* validAfter <= now (plus the allowed skew). */
	x402_u256_set_u64(&limit, now);
	x402_u256_set_u64(&margin, skew);
	if (x402_u256_add(&limit, &limit, &margin) != 0 ||
	    x402_u256_cmp(&u->permit.witness_valid_after, &limit) > 0)
		return invalid(res, X402_R_PERMIT2_NOT_YET_VALID);
	if (x402_u256_cmp(&u->permit.amount, &o->amount) != 0)
		return invalid(res, X402_R_PERMIT2_AMOUNT);
	if (memcmp(u->permit.token, o->asset->address, X402_ADDR_LEN) != 0)
		return invalid(res, X402_R_PERMIT2_TOKEN);

	if (!u->eoa_sig)
		return invalid(res, X402_R_PERMIT2_SIGNATURE);
	x402_upto_digest(digest, u, o->net->chain_id);
	if (x402_sig_recover(ctx, signer, digest, u->sig) != 0 ||
	    x402_memeq_ct(signer, u->from, X402_ADDR_LEN) != 0)
		return invalid(res, X402_R_PERMIT2_SIGNATURE);
	res->valid = 1;
	return 0;
}
