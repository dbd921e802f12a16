/*
 * fakehttp.h - a stand-in for x402_http_request, for the targets that
 * fuzz what a server replies (facilitator, JSON-RPC).  scripts/fuzz.sh
 * links them with -Wl,--wrap=x402_http_request, so the library's calls
 * land here and get fake_status and fake_body[0..fake_len) as the reply.
 */
#ifndef X402_FAKEHTTP_H
#define X402_FAKEHTTP_H

#include <stdlib.h>
#include <string.h>

#include "x402.h"

static long fake_status;
static const char *fake_body;
static size_t fake_len;
/* When set, picks the reply by URL instead (sets fake_body, fake_len). */
static void (*fake_pick)(const char *url);

int __wrap_x402_http_request(struct x402_http *h,
    struct x402_http_response *resp, const char *method, const char *url,
    const char *const *headers, const void *body, size_t bodylen,
    struct x402_detail *d);

int
__wrap_x402_http_request(struct x402_http *h,
    struct x402_http_response *resp, const char *method, const char *url,
    const char *const *headers, const void *body, size_t bodylen,
    struct x402_detail *d)
{
	(void)h, (void)method, (void)headers, (void)body, (void)bodylen;
	if (fake_pick != NULL)
		fake_pick(url);
	memset(resp, 0, sizeof(*resp));
	resp->status = fake_status;
	x402_buf_init(&resp->body, 1 << 20);
	x402_buf_init(&resp->headers, X402_HTTP_RESP_HEADERS_MAX);
	/* As libcurl: an empty body leaves body.p NULL. */
	if (fake_len > 0 &&
	    x402_buf_add(&resp->body, fake_body, fake_len) != 0)
		return x402_fail(d, X402_ERR_LIMIT, "fake reply too large");
	return 0;
}

/* libcurl's global state, once per process. */
static void
fake_init(void)
{
	static int done;

	if (!done && x402_http_global_init() != 0)
		abort();
	done = 1;
}

#endif /* X402_FAKEHTTP_H */
