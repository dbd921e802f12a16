/*
 * check_output.c - the header rule for cgi command output and the usage
 * channel's format.
 */
#include <check.h>
#include <string.h>

#include "output.h"
#include "testutil.h"

static const struct {
	const char *name;
	int rule;
} header_cases[] = {
	/* Applied by the gate itself. */
	{ "Content-Type", X402_HEADER_PASS },
	{ "status", X402_HEADER_PASS },
	/* The allow-list, any case. */
	{ "Content-Disposition", X402_HEADER_PASS },
	{ "content-language", X402_HEADER_PASS },
	{ "Expires", X402_HEADER_PASS },
	{ "Last-Modified", X402_HEADER_PASS },
	{ "ETag", X402_HEADER_PASS },
	{ "Link", X402_HEADER_PASS },
	{ "Vary", X402_HEADER_PASS },
	{ "X-Words", X402_HEADER_PASS },
	{ "x-request-id", X402_HEADER_PASS },
	{ "X-Acce", X402_HEADER_PASS },
	/* A redirect is not a paid output. */
	{ "Location", X402_HEADER_REFUSE },
	{ "LOCATION", X402_HEADER_REFUSE },
	/* What web servers act on. */
	{ "X-Accel-Redirect", X402_HEADER_DROP },
	{ "x-accel-buffering", X402_HEADER_DROP },
	{ "X-Sendfile", X402_HEADER_DROP },
	{ "X-Sendfile2", X402_HEADER_DROP },
	{ "X-LIGHTTPD-send-file", X402_HEADER_DROP },
	{ "x-lighttpd-send-tempfile", X402_HEADER_DROP },
	/* What x402 clients act on, ours. */
	{ "X-Payment-Response", X402_HEADER_DROP },
	{ "X-PAYMENT-Foo", X402_HEADER_DROP },
	{ "X-Payment", X402_HEADER_DROP },
	{ "Payment-Response", X402_HEADER_DROP },
	{ "PAYMENT-REQUIRED", X402_HEADER_DROP },
	{ "Payment-Foo", X402_HEADER_DROP },
	{ "X402-Charge", X402_HEADER_DROP },
	{ "x402-units", X402_HEADER_DROP },
	/* Framing, caching, cookies, anything not listed. */
	{ "Content-Length", X402_HEADER_DROP },
	{ "Transfer-Encoding", X402_HEADER_DROP },
	{ "Connection", X402_HEADER_DROP },
	{ "Cache-Control", X402_HEADER_DROP },
	{ "Set-Cookie", X402_HEADER_DROP },
	{ "Refresh", X402_HEADER_DROP },
	{ "Content-Security-Policy", X402_HEADER_DROP },
	{ "Access-Control-Allow-Origin", X402_HEADER_DROP },
	{ "Content-Typo", X402_HEADER_DROP },
	{ "X", X402_HEADER_DROP },
	{ "", X402_HEADER_DROP },
};

START_TEST(header_rule)
{
	ck_assert_msg(x402_output_header_rule(header_cases[_i].name) ==
	    header_cases[_i].rule, "%s: want %d", header_cases[_i].name,
	    header_cases[_i].rule);
}
END_TEST

START_TEST(header_rule_null)
{
	ck_assert_int_eq(x402_output_header_rule(NULL), X402_HEADER_DROP);
}
END_TEST

static const struct {
	const char *in;
	int ret;
	int kind;
	const char *value;
} usage_cases[] = {
	{ "", 0, X402_USAGE_NONE, "" },
	{ "charge 1500\n", 0, X402_USAGE_CHARGE, "1500" },
	{ "charge 0", 0, X402_USAGE_CHARGE, "0" },
	{ "units 12\n", 0, X402_USAGE_UNITS, "12" },
	{ "units 115792089237316195423570985008687907853269984665640564039457"
	  "584007913129639935\n", 0, X402_USAGE_UNITS,
	  "115792089237316195423570985008687907853269984665640564039457"
	  "584007913129639935" },
	/* 79 digits. */
	{ "units 1157920892373161954235709850086879078532699846656405640394575"
	  "840079131296399350", X402_ERR_SYNTAX, 0, "" },
	{ "\n", X402_ERR_SYNTAX, 0, "" },
	{ "charge\n", X402_ERR_SYNTAX, 0, "" },
	{ "charge \n", X402_ERR_SYNTAX, 0, "" },
	{ "charge  5\n", X402_ERR_SYNTAX, 0, "" },
	{ "charge 5 \n", X402_ERR_SYNTAX, 0, "" },
	{ "charge -5\n", X402_ERR_SYNTAX, 0, "" },
	{ "charge 0x10\n", X402_ERR_SYNTAX, 0, "" },
	{ "charge 5\r\n", X402_ERR_SYNTAX, 0, "" },
	{ "charge 5\n\n", X402_ERR_SYNTAX, 0, "" },
	{ "charge 5\nunits 3\n", X402_ERR_SYNTAX, 0, "" },
	{ "Charge 5\n", X402_ERR_SYNTAX, 0, "" },
	{ "X402-Charge: 5\n", X402_ERR_SYNTAX, 0, "" },
	{ "cost 5\n", X402_ERR_SYNTAX, 0, "" },
};

START_TEST(usage_table)
{
	struct x402_usage u;
	struct x402_detail d;
	const char *in = usage_cases[_i].in;

	x402_detail_clear(&d);
	ck_assert_msg(x402_usage_parse(&u, &d, in, strlen(in)) ==
	    usage_cases[_i].ret, "case %d", (int)_i);
	if (usage_cases[_i].ret == 0) {
		ck_assert_int_eq(u.kind, usage_cases[_i].kind);
		ck_assert_str_eq(u.value, usage_cases[_i].value);
	} else
		ck_assert(d.msg[0] != '\0');
}
END_TEST

START_TEST(usage_limits)
{
	struct x402_usage u;
	char big[X402_USAGE_MAX + 2];

	/* A NUL inside is not a digit. */
	ck_assert_int_eq(x402_usage_parse(&u, NULL, "charge 1\0002", 10),
	    X402_ERR_SYNTAX);
	memset(big, '1', sizeof(big));
	memcpy(big, "units ", 6);
	ck_assert_int_eq(x402_usage_parse(&u, NULL, big, sizeof(big)),
	    X402_ERR_LIMIT);
	ck_assert_int_eq(x402_usage_parse(NULL, NULL, "", 0), X402_ERR_INVAL);
	ck_assert_int_eq(x402_usage_parse(&u, NULL, NULL, 1), X402_ERR_INVAL);
	ck_assert_int_eq(x402_usage_parse(&u, NULL, NULL, 0), 0);
	ck_assert_int_eq(u.kind, X402_USAGE_NONE);
}
END_TEST

static Suite *
output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, header_rule, 0,
	    (int)(sizeof(header_cases) / sizeof(header_cases[0])));
	tcase_add_test(tc, header_rule_null);
	tcase_add_loop_test(tc, usage_table, 0,
	    (int)(sizeof(usage_cases) / sizeof(usage_cases[0])));
	tcase_add_test(tc, usage_limits);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(output_suite)
