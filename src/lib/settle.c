/* settle.c - dispatch to the configured settlement strategy. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "settle.h"

int
x402_settler_verify(struct x402_settler *s, struct x402_verify_result *res,
    struct x402_detail *d, const struct x402_settle_request *req)
{
	if (s == NULL || s->ops == NULL || s->ops->verify == NULL ||
	    req == NULL || req->payment == NULL || req->offer == NULL)
		return X402_ERR_INVAL;
	memset(res, 0, sizeof(*res));
	return s->ops->verify(s->impl, res, d, req);
}

int
x402_settler_settle(struct x402_settler *s, struct x402_settlement *out,
    struct x402_detail *d, const struct x402_settle_request *req)
{
	if (s == NULL || s->ops == NULL || s->ops->settle == NULL ||
	    req == NULL || req->payment == NULL || req->offer == NULL)
		return X402_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	return s->ops->settle(s->impl, out, d, req);
}

void
x402_settler_free(struct x402_settler *s)
{
	if (s == NULL)
		return;
	if (s->ops != NULL && s->ops->free != NULL)
		s->ops->free(s->impl);
	free(s);
}
