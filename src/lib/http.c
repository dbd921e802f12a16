/* http.c - the one outbound HTTP client: libcurl with every knob set. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http.h"

#define USER_AGENT	"x402-cgi/" PACKAGE_VERSION
#define METHOD_MAX	16

struct x402_http {
	CURL *curl;
	char *proxy;		/* "" when none */
	char *noproxy;		/* "" when none */
	char *cafile;		/* NULL for the system store */
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_response;
	int max_redirects;
	int once;		/* the next request: never sent twice */
	char errbuf[CURL_ERROR_SIZE];
};

/* What the write callback fills. */
struct sink {
	struct x402_buf *body;
	struct x402_buf *headers;
	int over;		/* set when a cap was passed */
};

int
x402_http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return X402_ERR_NET;
	return 0;
}

void
x402_http_global_cleanup(void)
{
	curl_global_cleanup();
}

static char *
dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

void
x402_http_free(struct x402_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->proxy);
	free(h->noproxy);
	free(h->cafile);
	free(h);
}

int
x402_http_new(struct x402_http **out, const struct x402_http_opts *opts,
    struct x402_detail *d)
{
	static const struct x402_http_opts defaults;
	struct x402_http *h = NULL;
	int r;

	if (out == NULL)
		return x402_fail(d, X402_ERR_INVAL, "http: NULL output");
	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->connect_timeout_ms < 0 ||
	    opts->connect_timeout_ms > X402_HTTP_TIMEOUT_MS_MAX)
		return x402_fail(d, X402_ERR_INVAL,
		    "http: connect timeout %ld ms out of 0..%d",
		    opts->connect_timeout_ms, X402_HTTP_TIMEOUT_MS_MAX);
	if (opts->timeout_ms < 0 || opts->timeout_ms > X402_HTTP_TIMEOUT_MS_MAX)
		return x402_fail(d, X402_ERR_INVAL,
		    "http: timeout %ld ms out of 0..%d", opts->timeout_ms,
		    X402_HTTP_TIMEOUT_MS_MAX);
	if (opts->max_response > X402_HTTP_MAX_RESPONSE_MAX)
		return x402_fail(d, X402_ERR_INVAL,
		    "http: max response %zu over %d", opts->max_response,
		    X402_HTTP_MAX_RESPONSE_MAX);
	if (opts->max_redirects < 0 ||
	    opts->max_redirects > X402_HTTP_MAX_REDIRECTS_MAX)
		return x402_fail(d, X402_ERR_INVAL,
		    "http: max redirects %d out of 0..%d", opts->max_redirects,
		    X402_HTTP_MAX_REDIRECTS_MAX);

	r = X402_ERR_NOMEM;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto out;
	if ((h->proxy = dup_or_empty(opts->proxy)) == NULL ||
	    (h->noproxy = dup_or_empty(opts->noproxy)) == NULL)
		goto out;
	if (opts->cafile != NULL && opts->cafile[0] != '\0' &&
	    (h->cafile = strdup(opts->cafile)) == NULL)
		goto out;
	h->connect_timeout_ms = opts->connect_timeout_ms ?
	    opts->connect_timeout_ms : X402_HTTP_CONNECT_TIMEOUT_MS;
	h->timeout_ms = opts->timeout_ms ? opts->timeout_ms :
	    X402_HTTP_TIMEOUT_MS;
	h->max_response = opts->max_response ? opts->max_response :
	    X402_HTTP_MAX_RESPONSE;
	h->max_redirects = opts->max_redirects;
	if ((h->curl = curl_easy_init()) == NULL)
		goto out;
	*out = h;
	h = NULL;
	r = 0;
 out:
	if (r != 0)
		x402_fail(d, r, "http: cannot create a handle");
	x402_http_free(h);
	return r;
}

void
x402_http_response_free(struct x402_http_response *resp)
{
	if (resp == NULL)
		return;
	x402_buf_free(&resp->body);
	x402_buf_free(&resp->headers);
}

/* Keeps the header block of the last response (a status line starts one). */
static size_t
header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		x402_buf_reset(s->headers);
	if (x402_buf_add(s->headers, ptr, n) != 0) {
		s->over = 1;
		return 0;
	}
	return n;
}

int
x402_http_response_header(char *out, size_t outcap,
    const struct x402_http_response *resp, const char *name)
{
	const char *p, *end, *eol, *v, *ve;
	size_t nlen;

	if (out == NULL || outcap == 0 || resp == NULL || name == NULL)
		return X402_ERR_INVAL;
	out[0] = '\0';
	nlen = strlen(name);
	if (resp->headers.p == NULL)
		return X402_ERR_NOTFOUND;
	p = resp->headers.p;
	end = p + resp->headers.len;
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) <= nlen || p[nlen] != ':' ||
		    strncasecmp(p, name, nlen) != 0)
			continue;
		v = p + nlen + 1;
		ve = eol;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' ||
		    ve[-1] == '\t'))
			ve--;
		if ((size_t)(ve - v) >= outcap)
			return X402_ERR_LIMIT;
		memcpy(out, v, (size_t)(ve - v));
		out[ve - v] = '\0';
		return 0;
	}
	return X402_ERR_NOTFOUND;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (x402_buf_add(s->body, ptr, n) != 0) {
		s->over = 1;
		return 0;	/* aborts the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

/* 1 if url starts with http:// or https:// (any case). */
static int
scheme_ok(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 ||
	    strncasecmp(url, "https://", 8) == 0;
}

/* 1 if m is a plain HTTP method token we send. */
static int
method_ok(const char *m)
{
	size_t i, n = strlen(m);

	if (n == 0 || n > METHOD_MAX || strcmp(m, "HEAD") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (m[i] < 'A' || m[i] > 'Z')
			return 0;
	return 1;
}

/* 1 if the header line is "Name: value" with no CR, LF or NUL trick. */
static int
header_ok(const char *hd)
{
	size_t n = strnlen(hd, X402_HTTP_HEADER_MAX + 1);
	const char *colon;

	if (n == 0 || n > X402_HTTP_HEADER_MAX)
		return 0;
	if (strpbrk(hd, "\r\n") != NULL)
		return 0;
	colon = strchr(hd, ':');
	return colon != NULL && colon != hd;
}

/* Every option, set again before each request (after curl_easy_reset). */
static CURLcode
set_options(struct x402_http *h, struct sink *sink, const char *method,
    const char *url, struct curl_slist *hdrs, const void *body,
    size_t bodylen)
{
	CURL *c = h->curl;
	CURLcode e = CURLE_OK;

#define SET(opt, val) do {						\
	if (e == CURLE_OK)						\
		e = curl_easy_setopt(c, opt, val);			\
} while (0)
	SET(CURLOPT_ERRORBUFFER, h->errbuf);
	SET(CURLOPT_URL, url);
	/* httpoxy: the proxy comes from our options only; "" = none. */
	SET(CURLOPT_PROXY, h->proxy);
	SET(CURLOPT_NOPROXY, h->noproxy);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85.0 */
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, h->timeout_ms);
	SET(CURLOPT_FOLLOWLOCATION, h->max_redirects > 0 ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, (long)h->max_redirects);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_response);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, sink);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, sink);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->cafile != NULL)
		SET(CURLOPT_CAINFO, h->cafile);
	SET(CURLOPT_USERAGENT, USER_AGENT);
	/* libcurl resends a request whose reused connection died before
	 * an answer: on a fresh connection, never reused, it sends once. */
	SET(CURLOPT_FRESH_CONNECT, h->once ? 1L : 0L);
	SET(CURLOPT_FORBID_REUSE, h->once ? 1L : 0L);
	SET(CURLOPT_HTTPHEADER, hdrs);
	/* No content decoding: the cap applies to what the peer sends. */
	SET(CURLOPT_ACCEPT_ENCODING, NULL);
	if (strcmp(method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen);
		SET(CURLOPT_POSTFIELDS, body != NULL ? body : "");
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, method);
	}
#undef SET
	return e;
}

/* Maps a libcurl result to the errors listed in http.h. */
static int
map_error(CURLcode e, const struct sink *sink, const struct x402_http *h,
    struct x402_detail *d)
{
	const char *why = h->errbuf[0] != '\0' ? h->errbuf :
	    curl_easy_strerror(e);

	if (sink->over || e == CURLE_FILESIZE_EXCEEDED)
		return x402_fail(d, X402_ERR_LIMIT,
		    "http: response over %zu bytes (body) or %d (headers)",
		    h->max_response, X402_HTTP_RESP_HEADERS_MAX);
	switch (e) {
	case CURLE_OPERATION_TIMEDOUT:
		return x402_fail(d, X402_ERR_TIMEOUT, "http: %s", why);
	case CURLE_OUT_OF_MEMORY:
		return x402_fail(d, X402_ERR_NOMEM, "http: %s", why);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	default:
		return x402_fail(d, X402_ERR_NET, "http: %s", why);
	}
}

void
x402_http_once(struct x402_http *h)
{
	if (h != NULL)
		h->once = 1;
}

int
x402_http_request(struct x402_http *h, struct x402_http_response *resp,
    const char *method, const char *url, const char *const *headers,
    const void *body, size_t bodylen, struct x402_detail *d)
{
	struct curl_slist *hdrs = NULL, *tmp;
	struct sink sink;
	const char *ct = NULL;
	CURLcode e;
	size_t i;
	int r;

	if (resp != NULL) {
		resp->status = 0;
		resp->sent = 0;
		resp->content_type[0] = '\0';
		x402_buf_init(&resp->body, h != NULL ? h->max_response : 0);
		x402_buf_init(&resp->headers, X402_HTTP_RESP_HEADERS_MAX);
	}
	if (h == NULL || resp == NULL || method == NULL || url == NULL ||
	    (body == NULL && bodylen != 0))
		return x402_fail(d, X402_ERR_INVAL, "http: NULL argument");
	if (!method_ok(method))
		return x402_fail(d, X402_ERR_INVAL, "http: bad method");
	if (strnlen(url, X402_HTTP_URL_MAX + 1) > X402_HTTP_URL_MAX)
		return x402_fail(d, X402_ERR_INVAL, "http: URL over %d bytes",
		    X402_HTTP_URL_MAX);
	if (!scheme_ok(url))
		return x402_fail(d, X402_ERR_UNSUPPORTED,
		    "http: URL scheme is not http:// or https://");

	/* Never send "Expect: 100-continue": it costs a round trip. */
	r = X402_ERR_NOMEM;
	if ((hdrs = curl_slist_append(NULL, "Expect:")) == NULL)
		goto fail;
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		r = X402_ERR_INVAL;
		if (i >= X402_HTTP_MAX_HEADERS) {
			x402_fail(d, r, "http: more than %d headers",
			    X402_HTTP_MAX_HEADERS);
			goto out;
		}
		if (!header_ok(headers[i])) {
			x402_fail(d, r, "http: bad request header %zu", i);
			goto out;
		}
		r = X402_ERR_NOMEM;
		if ((tmp = curl_slist_append(hdrs, headers[i])) == NULL)
			goto fail;
		hdrs = tmp;
	}

	/* Keeps live connections, drops every option of the last request. */
	curl_easy_reset(h->curl);
	h->errbuf[0] = '\0';
	sink.body = &resp->body;
	sink.headers = &resp->headers;
	sink.over = 0;
	e = set_options(h, &sink, method, url, hdrs, body, bodylen);
	h->once = 0;
	if (e != CURLE_OK) {
		r = x402_fail(d, X402_ERR_INTERNAL, "http: setopt: %s",
		    curl_easy_strerror(e));
		goto out;
	}
	e = curl_easy_perform(h->curl);
	{
		long sz = 0;

		if (curl_easy_getinfo(h->curl, CURLINFO_REQUEST_SIZE, &sz) !=
		    CURLE_OK || sz > 0)
			resp->sent = 1;
	}
	if (e != CURLE_OK) {
		r = map_error(e, &sink, h, d);
		goto out;
	}
	if (curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE,
	    &resp->status) != CURLE_OK || resp->status < 100 ||
	    resp->status > 999) {
		r = x402_fail(d, X402_ERR_NET, "http: no valid status line");
		goto out;
	}
	if (curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct) ==
	    CURLE_OK && ct != NULL && strlen(ct) < sizeof(resp->content_type))
		memcpy(resp->content_type, ct, strlen(ct) + 1);
	r = 0;
	goto out;
 fail:
	x402_fail(d, r, "http: out of memory");
 out:
	curl_slist_free_all(hdrs);
	if (r != 0) {
		x402_buf_free(&resp->body);
		x402_buf_free(&resp->headers);
		resp->status = 0;
		resp->content_type[0] = '\0';
	}
	return r;
}
