/*
 * http.h - the one outbound HTTP client of libx402 (a libcurl wrapper).
 *
 * Rules:
 *  - Every outbound request of x402-cgi goes through x402_http_request.
 *    Each request sets explicitly: the proxy (from the caller's options
 *    only, never from http_proxy/HTTPS_PROXY/ALL_PROXY in the environment,
 *    which a CGI request can plant: httpoxy), the allowed protocols (http
 *    and https, also for redirects), CURLOPT_NOSIGNAL, a connect timeout,
 *    a total timeout, redirects (off unless asked), TLS verification (always
 *    on; there is no option to turn it off), and a maximum response size.
 *  - Programs call x402_http_global_init() once at start-up, before any
 *    thread is started and before the first x402_http_new(), and
 *    x402_http_global_cleanup() at exit.  The library keeps no other
 *    global state.
 *  - A struct x402_http is one libcurl easy handle (connections are kept
 *    alive between requests to the same peer) and a copy of its options.
 *    It is not thread-safe: one handle per thread.
 *  - An HTTP status, any status, is not an error at this layer: the caller
 *    reads resp->status and decides.
 *  - Errors (the gate maps them to 502/503/504, so they are distinct):
 *      X402_ERR_NET        connection refused, DNS failure, TLS failure,
 *                          connection closed without a reply, any other
 *                          transport failure (curl's message in the detail)
 *      X402_ERR_TIMEOUT    connect or total timeout reached
 *      X402_ERR_LIMIT      response body over max_response (the transfer
 *                          is aborted as soon as the cap is passed)
 *      X402_ERR_UNSUPPORTED URL scheme other than http:// or https://
 *      X402_ERR_INVAL      bad argument (NULL, bad method, bad header)
 *      X402_ERR_NOMEM      allocation failed
 *    The detail never contains the URL (it may carry an API key).
 */
#ifndef X402_HTTP_H
#define X402_HTTP_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/* Defaults used when an option is 0. */
#define X402_HTTP_CONNECT_TIMEOUT_MS	5000
#define X402_HTTP_TIMEOUT_MS		30000
#define X402_HTTP_MAX_RESPONSE		(1024 * 1024)
/* Hard bounds on the options. */
#define X402_HTTP_TIMEOUT_MS_MAX	(10 * 60 * 1000)
#define X402_HTTP_MAX_RESPONSE_MAX	(256 * 1024 * 1024)
#define X402_HTTP_MAX_REDIRECTS_MAX	5
#define X402_HTTP_MAX_HEADERS		64
#define X402_HTTP_HEADER_MAX		8192	/* one request header line */
#define X402_HTTP_URL_MAX		4096
#define X402_HTTP_CTYPE_MAX		128
#define X402_HTTP_RESP_HEADERS_MAX	(64 * 1024)	/* response header block */

/*
 * Options of a handle.  Strings are copied by x402_http_new; the caller
 * keeps ownership of its own.  A zeroed struct gives the defaults: no
 * proxy, system CA store, default timeouts and cap, no redirects.
 */
struct x402_http_opts {
	const char *proxy;	/* "http://host:port" or NULL/"" for none */
	const char *noproxy;	/* hosts that bypass the proxy, or NULL */
	const char *cafile;	/* PEM bundle instead of the system store */
	long connect_timeout_ms;	/* 0: default; 1..timeout max */
	long timeout_ms;	/* whole request; 0: default */
	size_t max_response;	/* body cap in bytes; 0: default */
	int max_redirects;	/* 0: never follow; 1..5: follow that many */
};

struct x402_http;

/* A response.  The caller owns it and frees it with x402_http_response_free. */
struct x402_http_response {
	long status;		/* HTTP status, e.g. 200, 302, 500 */
	struct x402_buf body;	/* NUL-terminated, len bytes */
	char content_type[X402_HTTP_CTYPE_MAX];	/* "" when absent or too long */
	/*
	 * The header block of the final response as received: the status
	 * line, then "Name: value" lines, each ending in CRLF (the blocks of
	 * interim 1xx replies and followed redirects are dropped).  At most
	 * X402_HTTP_RESP_HEADERS_MAX bytes: more is X402_ERR_LIMIT.
	 */
	struct x402_buf headers;
	/*
	 * 1 when the request may have reached the peer: bytes of it were
	 * sent (a reply came, or the transfer failed after the connection
	 * was made); 0 when it never left (no connection, bad argument).
	 */
	int sent;
};

/*
 * Initialises libcurl once for the whole program.  Not thread-safe: call
 * it at start-up.  Returns 0 or X402_ERR_NET.
 */
int x402_http_global_init(void) X402_WARN_UNUSED;

/* Releases libcurl's global state.  Call once at exit. */
void x402_http_global_cleanup(void);

/*
 * Creates a handle.  Returns 0, X402_ERR_INVAL (an option out of bounds,
 * named in the detail) or X402_ERR_NOMEM.
 * Out: *out, owned by the caller, freed with x402_http_free.
 * In: opts (NULL for the defaults), copied.
 */
int x402_http_new(struct x402_http **out, const struct x402_http_opts *opts,
    struct x402_detail *d) X402_WARN_UNUSED;

/* Frees a handle and closes its connections.  NULL allowed. */
void x402_http_free(struct x402_http *h);

/*
 * Makes the next x402_http_request on h go out exactly once: on a new
 * connection, closed after it (libcurl otherwise resends a request whose
 * reused connection died before any answer - a second settlement).
 */
void x402_http_once(struct x402_http *h);

/*
 * Sends one request and reads the whole response.
 * Returns 0 whatever the HTTP status, or an error listed at the top.
 * Out: *resp (always initialised, even on error; free it with
 *      x402_http_response_free).
 * In: method ("GET", "POST", "PUT", "DELETE", ...; HEAD is refused),
 *     url (http:// or https://), headers (NULL or a NULL-terminated array
 *     of "Name: value" lines, no CR or LF), body[0..bodylen) sent as is
 *     (NULL with 0 for none).  All borrowed for the call only.
 */
int x402_http_request(struct x402_http *h, struct x402_http_response *resp,
    const char *method, const char *url, const char *const *headers,
    const void *body, size_t bodylen, struct x402_detail *d)
    X402_WARN_UNUSED;

/* Frees the body and headers of a response.  NULL allowed. */
void x402_http_response_free(struct x402_http_response *resp);

/*
 * Finds the first response header called `name` (case-insensitive) and
 * copies its value, without surrounding blanks, into out (NUL-terminated).
 * Returns 0, X402_ERR_NOTFOUND or X402_ERR_LIMIT (the value needs more
 * than outcap - 1 bytes).
 */
int x402_http_response_header(char *out, size_t outcap,
    const struct x402_http_response *resp, const char *name)
    X402_WARN_UNUSED;

#endif /* X402_HTTP_H */
