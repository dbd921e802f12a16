/* check_buf.c - bounded buffers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "testutil.h"

START_TEST(append_within_max)
{
	struct x402_buf b;
	char *s;
	size_t n;
	int i;

	x402_buf_init(&b, 1000);
	ck_assert_int_eq(x402_buf_adds(&b, "hello"), 0);
	ck_assert_int_eq(x402_buf_printf(&b, " %d %s", 42, "x"), 0);
	ck_assert_str_eq(b.p, "hello 42 x");
	ck_assert_uint_eq(b.len, 10);
	for (i = 0; i < 99; i++)
		ck_assert_int_eq(x402_buf_add(&b, "0123456789", 9), 0);
	ck_assert_uint_eq(b.len, 901);
	x402_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.p, "");
	ck_assert_int_eq(x402_buf_adds(&b, "ab"), 0);
	s = x402_buf_steal(&b, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(s, "ab");
	free(s);
	ck_assert_ptr_null(b.p);
	x402_buf_free(&b);
}
END_TEST

START_TEST(over_max_fails_and_keeps_content)
{
	struct x402_buf b;

	x402_buf_init(&b, 8);
	ck_assert_int_eq(x402_buf_adds(&b, "12345678"), 0);
	ck_assert_int_eq(x402_buf_adds(&b, "9"), X402_ERR_LIMIT);
	ck_assert_str_eq(b.p, "12345678");
	ck_assert_int_eq(x402_buf_printf(&b, "%d", 1), X402_ERR_LIMIT);
	ck_assert_str_eq(b.p, "12345678");
	ck_assert_int_eq(x402_buf_add(&b, "x", SIZE_MAX), X402_ERR_LIMIT);
	x402_buf_free_wipe(&b);
	x402_buf_free(&b);
	x402_buf_free(NULL);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, append_within_max);
	tcase_add_test(tc, over_max_fails_and_keeps_content);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(buf_suite)
