/* check_json.c - strict bounded JSON. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "testutil.h"

static const struct {
	const char *text;
	int err;
} cases[] = {
	{ "{}", 0 },
	{ "{\"a\":1,\"b\":{\"a\":2}}", 0 },	/* same key, other object */
	{ "[{\"a\":1},{\"a\":2}]", 0 },
	{ "{\"a\":\"x,\\\"a\\\":\"}", 0 },	/* a key-like string value */
	{ "{\"a\":1} ", 0 },			/* trailing whitespace ok */
	{ "{\"a\":1e5,\"b\":[true,false,null],\"c\":-0.5E-3}", 0 },
	{ "{\"a\":nan}", X402_ERR_JSON },
	{ "{\"a\":truex}", X402_ERR_JSON },
	{ "{\"a\":Infinity}", X402_ERR_JSON },
	{ "", X402_ERR_JSON },
	{ "{", X402_ERR_JSON },
	{ "{\"a\":1}x", X402_ERR_JSON },
	{ "{\"a\":1}{}", X402_ERR_JSON },
	{ "{'a':1}", X402_ERR_JSON },
	{ "{\"a\":1,}", X402_ERR_JSON },
	{ "{\"a\":NaN}", X402_ERR_JSON },
	{ "{\"a\":1,\"a\":2}", X402_ERR_JSON },	/* duplicate key */
	{ "{\"p\":{\"x\":1,\"y\":{},\"x\":2}}", X402_ERR_JSON },
	{ "{\"\\u0061\":1}", X402_ERR_JSON },	/* escaped key */
	{ "{\"a\":\"\xff\"}", X402_ERR_JSON },	/* invalid UTF-8 */
	/* raw control characters (fuzz_receipt): escaped they are fine */
	{ "{\"succe\x01\x01ss\":true}", X402_ERR_JSON },
	{ "{\"a\":\"x\x1fy\"}", X402_ERR_JSON },
	{ "{\"a\":\"tab\there\"}", X402_ERR_JSON },
	{ "{\"a\":\"x\\u0001y\"}", 0 },
};

START_TEST(table)
{
	struct json_object *o = NULL;
	struct x402_detail d;
	int r;

	r = x402_json_parse(&o, &d, cases[_i].text, strlen(cases[_i].text),
	    X402_JSON_MAX_DEPTH);
	ck_assert_msg(r == cases[_i].err, "%s: got %d want %d", cases[_i].text,
	    r, cases[_i].err);
	if (r == 0)
		ck_assert_ptr_nonnull(o);
	else
		ck_assert_ptr_null(o);
	json_object_put(o);
}
END_TEST

/* The detail says what is wrong, not just where. */
static const struct {
	const char *text;
	const char *detail;
} details[] = {
	{ "\xef\xbb\xbf{\"a\":1}",
	  "JSON: a UTF-8 byte order mark at offset 0 is not allowed" },
	{ "\xef\xbb\xbf", "byte order mark at offset 0" },
	{ "{\"a\":\"\xef\xbb\xbf\"}", NULL },	/* U+FEFF inside: fine */
	{ "{\"a\":\"\xff\"}", "invalid utf-8" },
};

START_TEST(detail_names_the_problem)
{
	struct json_object *o = NULL;
	struct x402_detail d = { "" };
	int r;

	r = x402_json_parse(&o, &d, details[_i].text, strlen(details[_i].text),
	    X402_JSON_MAX_DEPTH);
	if (details[_i].detail == NULL) {
		ck_assert_msg(r == 0, "case %d: %s", _i, d.msg);
		json_object_put(o);
		return;
	}
	ck_assert_int_eq(r, X402_ERR_JSON);
	ck_assert_ptr_null(o);
	ck_assert_msg(strstr(d.msg, details[_i].detail) != NULL,
	    "case %d: got \"%s\", want \"%s\"", _i, d.msg,
	    details[_i].detail);
}
END_TEST

START_TEST(depth_and_size)
{
	struct json_object *o = NULL;
	struct x402_detail d;
	size_t n = 10000, i;
	char *deep = malloc(2 * n + 1), *big;

	for (i = 0; i < n; i++) {
		deep[i] = '[';
		deep[2 * n - 1 - i] = ']';
	}
	deep[2 * n] = '\0';
	ck_assert_int_eq(x402_json_parse(&o, &d, deep, 2 * n, 16),
	    X402_ERR_LIMIT);
	ck_assert_ptr_null(o);
	/* 16 levels pass, 17 do not. */
	ck_assert_int_eq(x402_json_parse(&o, &d, deep + n - 16, 32, 16), 0);
	json_object_put(o);
	ck_assert_int_eq(x402_json_parse(&o, &d, deep + n - 17, 34, 16),
	    X402_ERR_LIMIT);
	free(deep);
	/* A 1 MB string parses (callers cap lengths by field). */
	big = malloc(1 << 20);
	memset(big, 'a', 1 << 20);
	big[0] = '"';
	big[(1 << 20) - 1] = '"';
	ck_assert_int_eq(x402_json_parse(&o, &d, big, 1 << 20, 4), 0);
	json_object_put(o);
	free(big);
}
END_TEST

/* Appends an object of n keys "PREFIXi" (inner at the end when given). */
static void
keys_obj(struct x402_buf *b, const char *prefix, int n, const char *inner)
{
	int i;

	ck_assert_int_eq(x402_buf_adds(b, "{"), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(x402_buf_printf(b, "%s\"%s%d\":%d",
		    i ? "," : "", prefix, i, i), 0);
	if (inner != NULL)
		ck_assert_int_eq(x402_buf_printf(b, ",%s", inner), 0);
	ck_assert_int_eq(x402_buf_adds(b, "}"), 0);
}

/*
 * Keys of nested objects past the scanner's stack arrays (128 open keys,
 * 32 levels): duplicates are still found in the right object only, and
 * the per-object cap of X402_JSON_MAX_KEYS holds.
 */
START_TEST(many_keys)
{
	static const struct {
		const char *tail;	/* after 3 x 60 nested keys */
		int err;
	} t[] = {
		{ "", 0 },
		{ ",\"k3\":0", X402_ERR_JSON },	/* outer key again */
		{ ",\"x\":{\"k3\":0}", 0 },		/* in a new object */
		{ ",\"x\":{\"a\":0,\"a\":1}", X402_ERR_JSON },
	};
	struct json_object *o = NULL;
	struct x402_detail d;
	struct x402_buf a, b;
	size_t i;
	char *deep;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		x402_buf_init(&a, 1 << 16);
		x402_buf_init(&b, 1 << 16);
		keys_obj(&a, "m", 60, NULL);
		ck_assert_int_eq(x402_buf_printf(&b, "\"in\":%s", a.p), 0);
		x402_buf_reset(&a);
		keys_obj(&a, "j", 60, b.p);
		x402_buf_reset(&b);
		ck_assert_int_eq(x402_buf_printf(&b, "\"in\":%s%s", a.p,
		    t[i].tail), 0);
		x402_buf_reset(&a);
		keys_obj(&a, "k", 60, b.p);
		ck_assert_int_eq(x402_json_parse(&o, &d, a.p, a.len,
		    X402_JSON_MAX_DEPTH), t[i].err);
		json_object_put(o);
		o = NULL;
		x402_buf_free(&a);
		x402_buf_free(&b);
	}
	/* X402_JSON_MAX_KEYS keys pass, one more does not. */
	x402_buf_init(&a, 1 << 16);
	keys_obj(&a, "k", X402_JSON_MAX_KEYS, NULL);
	ck_assert_int_eq(x402_json_parse(&o, &d, a.p, a.len, 4), 0);
	json_object_put(o);
	o = NULL;
	x402_buf_reset(&a);
	keys_obj(&a, "k", X402_JSON_MAX_KEYS + 1, NULL);
	ck_assert_int_eq(x402_json_parse(&o, &d, a.p, a.len, 4),
	    X402_ERR_JSON);
	ck_assert_msg(strstr(d.msg, "more than") != NULL, "%s", d.msg);
	x402_buf_free(&a);
	/* 40 levels of objects, each with key "a", duplicate at the top. */
	deep = malloc(40 * 6 + 40 + 16);
	for (i = 0; i < 40; i++)
		memcpy(deep + 5 * i, "{\"a\":", 5);
	memcpy(deep + 200, "0", 1);
	for (i = 0; i < 40; i++)
		deep[201 + i] = '}';
	ck_assert_int_eq(x402_json_parse(&o, &d, deep, 241, 40), 0);
	json_object_put(o);
	o = NULL;
	memcpy(deep + 240, ",\"a\":1}", 8);
	ck_assert_int_eq(x402_json_parse(&o, &d, deep, 247, 40),
	    X402_ERR_JSON);
	ck_assert_ptr_null(o);
	free(deep);
}
END_TEST

START_TEST(typed_getters)
{
	const char *t = "{\"s\":\"abc\",\"n\":7,\"ns\":\"7\",\"f\":1.5,"
	    "\"b\":true,\"o\":{},\"z\":null}";
	struct json_object *o;
	struct x402_detail d;
	const char *s;
	size_t len;
	int64_t v;
	int b;
	struct json_object *sub;

	ck_assert_int_eq(x402_json_parse(&o, &d, t, strlen(t), 4), 0);
	ck_assert_int_eq(x402_json_string(&s, &len, &d, o, "x", "s", 3), 0);
	ck_assert_str_eq(s, "abc");
	ck_assert_int_eq(x402_json_string(&s, &len, &d, o, "x", "s", 2),
	    X402_ERR_LIMIT);
	ck_assert_int_eq(x402_json_string(&s, &len, &d, o, "x", "n", 9),
	    X402_ERR_JSON);
	ck_assert_str_eq(d.msg, "x.n must be a string");
	ck_assert_int_eq(x402_json_string(&s, &len, &d, o, "x", "q", 9),
	    X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_json_string(&s, &len, &d, o, "x", "z", 9),
	    X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_json_int(&v, &d, o, "x", "n"), 0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(x402_json_int(&v, &d, o, "x", "ns"), X402_ERR_JSON);
	ck_assert_int_eq(x402_json_int(&v, &d, o, "x", "f"), X402_ERR_JSON);
	ck_assert_int_eq(x402_json_bool(&b, &d, o, "x", "b"), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(x402_json_object(&sub, &d, o, "x", "o"), 0);
	ck_assert_int_eq(x402_json_object(&sub, &d, o, "x", "s"),
	    X402_ERR_JSON);
	json_object_put(o);
}
END_TEST

START_TEST(compact_output)
{
	struct json_object *o = json_object_new_object();
	struct x402_buf b;

	x402_buf_init(&b, 100);
	ck_assert_int_eq(x402_json_add_string(o, "url",
	    "https://a.example/x"), 0);
	json_object_object_add(o, "n", json_object_new_int(300));
	ck_assert_int_eq(x402_json_append(&b, o), 0);
	ck_assert_str_eq(b.p, "{\"url\":\"https://a.example/x\",\"n\":300}");
	b.max = 10;
	ck_assert_int_eq(x402_json_append(&b, o), X402_ERR_LIMIT);
	json_object_put(o);
	x402_buf_free(&b);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, detail_names_the_problem, 0,
	    sizeof(details) / sizeof(details[0]));
	tcase_add_test(tc, depth_and_size);
	tcase_add_test(tc, many_keys);
	tcase_add_test(tc, typed_getters);
	tcase_add_test(tc, compact_output);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(json_suite)
