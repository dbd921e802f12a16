/* settle_facilitator.c - the `facilitator` settlement strategy. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "facilitator.h"
#include "settle.h"

struct fac_impl {
	struct x402_facilitator *f;
	struct json_object *last_reply;		/* of the last settle */
};

static int
fac_verify(void *impl, struct x402_verify_result *res, struct x402_detail *d,
    const struct x402_settle_request *req)
{
	struct fac_impl *fi = impl;

	return x402_facilitator_verify(fi->f, res, d, req->payment->version,
	    req->payment->root, req->requirement);
}

static int
fac_settle(void *impl, struct x402_settlement *out, struct x402_detail *d,
    const struct x402_settle_request *req)
{
	struct fac_impl *fi = impl;
	struct json_object *rq = NULL, *v;
	char amount[80];
	int r;

	json_object_put(fi->last_reply);
	fi->last_reply = NULL;
	if (req->has_amount) {
		/* upto: the actual amount goes in a copy (notes §8.1). */
		if (json_object_deep_copy(req->requirement, &rq, NULL) != 0 ||
		    rq == NULL) {
			r = X402_ERR_NOMEM;
			goto out;
		}
		if (!json_object_is_type(rq, json_type_object) ||
		    x402_u256_format_dec(amount, sizeof(amount),
		    &req->amount) < 0) {
			r = x402_fail(d, X402_ERR_INVAL, "settle: requirement "
			    "is not an object");
			goto out;
		}
		if ((v = json_object_new_string(amount)) == NULL ||
		    json_object_object_add(rq, "amount", v) != 0) {
			json_object_put(v);
			r = X402_ERR_NOMEM;
			goto out;
		}
	}
	r = x402_facilitator_settle(fi->f, out, &fi->last_reply, d,
	    req->payment->version, req->payment->root,
	    rq != NULL ? rq : req->requirement);
	if (r == 0 && out->success && !out->has_amount && req->has_amount) {
		out->has_amount = 1;
		out->amount = req->amount;
	}
out:
	json_object_put(rq);
	return r;
}

static void
fac_free(void *impl)
{
	struct fac_impl *fi = impl;

	if (fi == NULL)
		return;
	x402_facilitator_free(fi->f);
	json_object_put(fi->last_reply);
	free(fi);
}

static const struct x402_settler_ops fac_ops = {
	.name = "facilitator",
	.verify = fac_verify,
	.settle = fac_settle,
	.free = fac_free,
};

int
x402_settler_new_facilitator(struct x402_settler **out,
    struct x402_facilitator *f, struct x402_detail *d)
{
	struct x402_settler *s = NULL;
	struct fac_impl *fi = NULL;

	*out = NULL;
	if (f == NULL)
		return x402_fail(d, X402_ERR_INVAL, "no facilitator");
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (fi = calloc(1, sizeof(*fi))) == NULL) {
		free(s);
		x402_facilitator_free(f);
		return X402_ERR_NOMEM;
	}
	fi->f = f;
	s->ops = &fac_ops;
	s->impl = fi;
	*out = s;
	return 0;
}

struct json_object *
x402_settler_facilitator_reply(const struct x402_settler *s)
{
	if (s == NULL || s->ops != &fac_ops || s->impl == NULL)
		return NULL;
	return ((const struct fac_impl *)s->impl)->last_reply;
}
