/* check_http.c - the libcurl wrapper against a real server on 127.0.0.1. */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "testserver.h"
#include "testutil.h"

static struct x402_http *
mk(const struct x402_http_opts *o)
{
	struct x402_http *h = NULL;
	struct x402_detail d = { "" };

	ck_assert_msg(x402_http_new(&h, o, &d) == 0, "new: %s", d.msg);
	return h;
}

/* GET base+path on a handle; returns the error, fills resp. */
static int
get(struct x402_http *h, struct x402_http_response *resp, const char *path,
    struct x402_detail *d)
{
	char url[256];

	snprintf(url, sizeof(url), "%s%s", ts_srv.base, path);
	return x402_http_request(h, resp, "GET", url, NULL, NULL, 0, d);
}

START_TEST(get_json)
{
	struct x402_http *h = mk(NULL);
	struct x402_http_response resp;
	struct x402_detail d = { "" };

	ck_assert_int_eq(get(h, &resp, "/ok", &d), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.body.p, "{\"ok\":true}");
	ck_assert_uint_eq(resp.body.len, 11);
	ck_assert_str_eq(resp.content_type, "application/json");
	x402_http_response_free(&resp);
	/* The same handle again (kept-alive connection). */
	ck_assert_int_eq(get(h, &resp, "/ok", &d), 0);
	ck_assert_int_eq(resp.status, 200);
	x402_http_response_free(&resp);
	x402_http_free(h);
}
END_TEST

START_TEST(post_headers_and_body)
{
	static const char body[] = "{\"a\":1}\0tail";	/* binary-safe */
	const char *hdrs[] = { "Content-Type: application/json",
	    "X-Test: one two", NULL };
	struct x402_http *h = mk(NULL);
	struct x402_http_response resp;
	struct x402_detail d = { "" };
	char url[256];
	const char *p;

	snprintf(url, sizeof(url), "%s/echo", ts_srv.base);
	ck_assert_int_eq(x402_http_request(h, &resp, "POST", url, hdrs, body,
	    sizeof(body) - 1, &d), 0);
	ck_assert_int_eq(resp.status, 200);
	p = resp.body.p;
	ck_assert_msg(strncmp(p, "POST /echo\n", 11) == 0, "%s", p);
	ck_assert_ptr_nonnull(strstr(p, "\ncontent-type: application/json\n"));
	ck_assert_ptr_nonnull(strstr(p, "\nx-test: one two\n"));
	ck_assert_ptr_nonnull(strstr(p, "\nuser-agent: x402-cgi/"
	    PACKAGE_VERSION "\n"));
	ck_assert_ptr_nonnull(strstr(p, "\ncontent-length: 12\n"));
	ck_assert_ptr_null(strstr(p, "\nexpect:"));
	ck_assert_uint_ge(resp.body.len, 12);
	ck_assert_mem_eq(p + resp.body.len - 12, body, 12);
	x402_http_response_free(&resp);

	/* Another method with a body, then a GET: no option leaks over. */
	ck_assert_int_eq(x402_http_request(h, &resp, "PUT", url, NULL, "x", 1,
	    &d), 0);
	ck_assert_msg(strncmp(resp.body.p, "PUT /echo\n", 10) == 0, "%s",
	    resp.body.p);
	x402_http_response_free(&resp);
	ck_assert_int_eq(get(h, &resp, "/echo", &d), 0);
	ck_assert_msg(strncmp(resp.body.p, "GET /echo\n", 10) == 0, "%s",
	    resp.body.p);
	ck_assert_ptr_null(strstr(resp.body.p, "x-test"));
	ck_assert_ptr_null(strstr(resp.body.p, "content-length"));
	x402_http_response_free(&resp);
	x402_http_free(h);
}
END_TEST

START_TEST(max_response)
{
	struct x402_http_opts o = { .max_response = 1024 * 1024 };
	struct x402_http *h = mk(&o), *h11, *h10;
	struct x402_http_response resp;
	struct x402_detail d = { "" };
	double t0 = ts_now();

	/* Announced too big (Content-Length) and streamed too big. */
	ck_assert_int_eq(get(h, &resp, "/big", &d), X402_ERR_LIMIT);
	ck_assert_ptr_nonnull(strstr(d.msg, "over 1048576 bytes"));
	ck_assert_ptr_null(resp.body.p);
	ck_assert_int_eq(resp.status, 0);
	ck_assert_int_eq(get(h, &resp, "/bigstream", &d), X402_ERR_LIMIT);
	ck_assert_ptr_null(resp.body.p);
	ck_assert_msg(ts_now() - t0 < 3.0 * tu_scale(), "cap not enforced early");
	/* The handle still works after an aborted transfer. */
	ck_assert_int_eq(get(h, &resp, "/ok", &d), 0);
	ck_assert_str_eq(resp.body.p, "{\"ok\":true}");
	x402_http_response_free(&resp);
	x402_http_free(h);

	/* Boundary: a cap of exactly the body length passes, one less fails. */
	o.max_response = 11;
	h11 = mk(&o);
	ck_assert_int_eq(get(h11, &resp, "/ok", &d), 0);
	x402_http_response_free(&resp);
	x402_http_free(h11);
	o.max_response = 10;
	h10 = mk(&o);
	ck_assert_int_eq(get(h10, &resp, "/ok", &d), X402_ERR_LIMIT);
	x402_http_free(h10);
}
END_TEST

START_TEST(timeouts)
{
	struct x402_http_opts o = { .timeout_ms = 300 };
	struct x402_http *h = mk(&o);
	struct x402_http_response resp;
	struct x402_detail d = { "" };
	double t0 = ts_now();

	ck_assert_int_eq(get(h, &resp, "/hang", &d), X402_ERR_TIMEOUT);
	ck_assert_msg(ts_now() - t0 < 3.0 * tu_scale(), "timeout not enforced");
	ck_assert_msg(d.msg[0] != '\0', "no detail");
	t0 = ts_now();
	ck_assert_int_eq(get(h, &resp, "/slow", &d), X402_ERR_TIMEOUT);
	ck_assert_msg(ts_now() - t0 < 3.0 * tu_scale(), "timeout not enforced");
	x402_http_free(h);
}
END_TEST

START_TEST(network_errors)
{
	/* A loaded machine under valgrind may take seconds to resolve. */
	struct x402_http_opts o = { .connect_timeout_ms = 2000,
	    .timeout_ms = 5000 };
	struct x402_http *h;
	struct x402_http_response resp;
	struct x402_detail d = { "" };
	char url[128];

	o.connect_timeout_ms = (long)(2000 * tu_scale());
	o.timeout_ms = (long)(5000 * tu_scale());
	h = mk(&o);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", ts_free_port());
	ck_assert_int_eq(x402_http_request(h, &resp, "GET", url, NULL, NULL, 0,
	    &d), X402_ERR_NET);
	ck_assert_msg(strstr(d.msg, "127.0.0.1") == NULL ||
	    strstr(d.msg, "/ok") == NULL, "URL in detail: %s", d.msg);
	ck_assert_int_eq(get(h, &resp, "/close", &d), X402_ERR_NET);
	/* RFC 6761: .invalid never resolves. */
	ck_assert_int_eq(x402_http_request(h, &resp, "GET",
	    "http://x402-test.invalid/", NULL, NULL, 0, &d), X402_ERR_NET);
	x402_http_free(h);
}
END_TEST

START_TEST(redirects)
{
	struct x402_http_opts o = { .max_redirects = 2 };
	struct x402_http *h = mk(NULL), *hf;
	struct x402_http_response resp;
	struct x402_detail d = { "" };

	ck_assert_int_eq(get(h, &resp, "/redirect", &d), 0);
	ck_assert_int_eq(resp.status, 302);
	ck_assert_uint_eq(resp.body.len, 0);
	x402_http_response_free(&resp);
	x402_http_free(h);

	hf = mk(&o);
	ck_assert_int_eq(get(hf, &resp, "/redirect", &d), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.body.p, "{\"ok\":true}");
	x402_http_response_free(&resp);
	/* Followed redirects stay on http/https. */
	ck_assert_int_eq(get(hf, &resp, "/redirect-ftp", &d), X402_ERR_NET);
	ck_assert_msg(strstr(d.msg, "\"ftp\" not supported") != NULL, "%s",
	    d.msg);
	x402_http_free(hf);
}
END_TEST

START_TEST(response_headers)
{
	struct x402_http_opts o = { .max_redirects = 2 };
	struct x402_http *h = mk(&o);
	struct x402_http_response resp;
	struct x402_detail d = { "" };
	char v[64], tiny[4];

	ck_assert_int_eq(get(h, &resp, "/redirect", &d), 0);
	ck_assert_int_eq(resp.status, 200);
	/* Only the final block: it starts with its own status line. */
	ck_assert_msg(strncmp(resp.headers.p, "HTTP/1.1 200", 12) == 0,
	    "%s", resp.headers.p);
	ck_assert_ptr_null(strstr(resp.headers.p, "302"));
	ck_assert_int_eq(x402_http_response_header(v, sizeof(v), &resp,
	    "content-TYPE"), 0);
	ck_assert_str_eq(v, "application/json");
	ck_assert_int_eq(x402_http_response_header(tiny, sizeof(tiny), &resp,
	    "Content-Type"), X402_ERR_LIMIT);
	ck_assert_int_eq(x402_http_response_header(v, sizeof(v), &resp,
	    "Location"), X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_http_response_header(v, sizeof(v), &resp,
	    "Content"), X402_ERR_NOTFOUND);
	x402_http_response_free(&resp);
	/* Nothing to find in a failed request's response. */
	ck_assert_int_eq(get(h, &resp, "/close", &d), X402_ERR_NET);
	ck_assert_int_eq(x402_http_response_header(v, sizeof(v), &resp,
	    "Content-Type"), X402_ERR_NOTFOUND);
	x402_http_response_free(&resp);
	x402_http_free(h);
}
END_TEST

START_TEST(status_is_not_an_error)
{
	struct x402_http *h = mk(NULL);
	struct x402_http_response resp;
	struct x402_detail d = { "" };

	ck_assert_int_eq(get(h, &resp, "/status500", &d), 0);
	ck_assert_int_eq(resp.status, 500);
	ck_assert_str_eq(resp.body.p, "server broke\n");
	ck_assert_str_eq(resp.content_type, "text/plain");
	x402_http_response_free(&resp);
	ck_assert_int_eq(get(h, &resp, "/nothing-here", &d), 0);
	ck_assert_int_eq(resp.status, 404);
	x402_http_response_free(&resp);
	x402_http_free(h);
}
END_TEST

START_TEST(environment_proxy_ignored)
{
	struct x402_http_opts o = { 0 };
	struct x402_http *h;
	struct x402_http_response resp;
	struct x402_detail d = { "" };
	char dead[64];

	/* httpoxy: what a CGI request's "Proxy:" header turns into. */
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", ts_free_port());
	setenv("http_proxy", dead, 1);
	setenv("HTTP_PROXY", dead, 1);
	setenv("HTTPS_PROXY", dead, 1);
	setenv("https_proxy", dead, 1);
	setenv("ALL_PROXY", dead, 1);
	setenv("all_proxy", dead, 1);
	h = mk(NULL);
	ck_assert_int_eq(get(h, &resp, "/ok", &d), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_str_eq(resp.body.p, "{\"ok\":true}");
	x402_http_response_free(&resp);
	x402_http_free(h);

	/* Control: a configured proxy is used (the server gets a proxy
	 * request for an absolute URL and has no such path: 404)... */
	o.proxy = ts_srv.base;
	h = mk(&o);
	ck_assert_int_eq(x402_http_request(h, &resp, "GET",
	    "http://x402-test.invalid/ok", NULL, NULL, 0, &d), 0);
	ck_assert_int_eq(resp.status, 404);
	x402_http_response_free(&resp);
	x402_http_free(h);
	/* ...and a dead configured proxy fails, unless the host is in
	 * noproxy. */
	o.proxy = dead;
	h = mk(&o);
	ck_assert_int_eq(get(h, &resp, "/ok", &d), X402_ERR_NET);
	x402_http_free(h);
	o.noproxy = "127.0.0.1";
	h = mk(&o);
	ck_assert_int_eq(get(h, &resp, "/ok", &d), 0);
	ck_assert_int_eq(resp.status, 200);
	x402_http_response_free(&resp);
	x402_http_free(h);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
}
END_TEST

START_TEST(refusals)
{
	static const char *bad_urls[] = { "ftp://127.0.0.1/x",
	    "file:///etc/passwd", "gopher://127.0.0.1/", "127.0.0.1/ok",
	    "dict://127.0.0.1:1/", "" };
	const char *crlf[] = { "X-A: 1\r\nX-Injected: 2", NULL };
	const char *noname[] = { ": x", NULL };
	const char *nocolon[] = { "X-A 1", NULL };
	struct x402_http_opts o = { 0 };
	struct x402_http *h = mk(NULL), *h2 = NULL;
	struct x402_http_response resp;
	struct x402_detail d = { "" };
	char url[256];
	size_t i;

	for (i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++)
		ck_assert_msg(x402_http_request(h, &resp, "GET", bad_urls[i],
		    NULL, NULL, 0, &d) == X402_ERR_UNSUPPORTED, "%s",
		    bad_urls[i]);
	snprintf(url, sizeof(url), "%s/echo", ts_srv.base);
	ck_assert_int_eq(x402_http_request(h, &resp, "GET", url, crlf, NULL,
	    0, &d), X402_ERR_INVAL);
	ck_assert_int_eq(x402_http_request(h, &resp, "GET", url, noname, NULL,
	    0, &d), X402_ERR_INVAL);
	ck_assert_int_eq(x402_http_request(h, &resp, "GET", url, nocolon,
	    NULL, 0, &d), X402_ERR_INVAL);
	ck_assert_int_eq(x402_http_request(h, &resp, "HEAD", url, NULL, NULL,
	    0, &d), X402_ERR_INVAL);
	ck_assert_int_eq(x402_http_request(h, &resp, "get", url, NULL, NULL,
	    0, &d), X402_ERR_INVAL);
	ck_assert_int_eq(x402_http_request(h, &resp, "POST", url, NULL, NULL,
	    3, &d), X402_ERR_INVAL);
	ck_assert_int_eq(x402_http_request(NULL, &resp, "GET", url, NULL,
	    NULL, 0, &d), X402_ERR_INVAL);
	x402_http_response_free(&resp);
	x402_http_free(h);

	o.timeout_ms = -1;
	ck_assert_int_eq(x402_http_new(&h2, &o, &d), X402_ERR_INVAL);
	ck_assert_ptr_null(h2);
	o.timeout_ms = X402_HTTP_TIMEOUT_MS_MAX + 1;
	ck_assert_int_eq(x402_http_new(&h2, &o, &d), X402_ERR_INVAL);
	o.timeout_ms = 0;
	o.max_redirects = X402_HTTP_MAX_REDIRECTS_MAX + 1;
	ck_assert_int_eq(x402_http_new(&h2, &o, &d), X402_ERR_INVAL);
	o.max_redirects = 0;
	o.max_response = (size_t)X402_HTTP_MAX_RESPONSE_MAX + 1;
	ck_assert_int_eq(x402_http_new(&h2, &o, &d), X402_ERR_INVAL);
	x402_http_free(NULL);
	x402_http_response_free(NULL);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("server");

	tcase_add_unchecked_fixture(tc, ts_fixture_up, ts_fixture_down);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, get_json);
	tcase_add_test(tc, post_headers_and_body);
	tcase_add_test(tc, max_response);
	tcase_add_test(tc, timeouts);
	tcase_add_test(tc, network_errors);
	tcase_add_test(tc, redirects);
	tcase_add_test(tc, response_headers);
	tcase_add_test(tc, status_is_not_an_error);
	tcase_add_test(tc, environment_proxy_ignored);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (x402_http_global_init() != 0)
		return EXIT_FAILURE;
	sr = srunner_create(http_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	x402_http_global_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
