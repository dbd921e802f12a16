/* check_error.c - error names, detail buffers, wipe, constant-time compare. */
#include <check.h>
#include <string.h>

#include "error.h"
#include "testutil.h"

START_TEST(every_code_has_a_distinct_name)
{
	int i, j;

	for (i = 0; i < X402_ERR_COUNT; i++) {
		const char *a = x402_strerror(-i);

		ck_assert_ptr_nonnull(a);
		ck_assert_str_ne(a, "unknown error");
		for (j = 0; j < i; j++)
			ck_assert_str_ne(a, x402_strerror(-j));
	}
	ck_assert_str_eq(x402_strerror(-X402_ERR_COUNT), "unknown error");
	ck_assert_str_eq(x402_strerror(1), "unknown error");
	ck_assert_str_eq(x402_strerror(X402_ERR_CHECKSUM), "bad EIP-55 checksum");
}
END_TEST

START_TEST(fail_fills_detail_and_returns_code)
{
	struct x402_detail d;
	char long_key[600];

	ck_assert_int_eq(x402_fail(&d, X402_ERR_CONFIG, "%s:%d: %s", "a.conf",
	    7, "price"), X402_ERR_CONFIG);
	ck_assert_str_eq(d.msg, "a.conf:7: price");
	ck_assert_int_eq(x402_fail(NULL, X402_ERR_IO, "x"), X402_ERR_IO);
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	(void)x402_fail(&d, X402_ERR_RANGE, "%s", long_key);
	ck_assert_uint_eq(strlen(d.msg), X402_DETAIL_MAX - 1);
	x402_detail_clear(&d);
	ck_assert_str_eq(d.msg, "");
	x402_detail_clear(NULL);
}
END_TEST

START_TEST(wipe_and_compare)
{
	unsigned char a[16], b[16];

	memset(a, 0xaa, sizeof(a));
	memcpy(b, a, sizeof(b));
	ck_assert_int_eq(x402_memeq_ct(a, b, sizeof(a)), 0);
	b[15] ^= 1;
	ck_assert_int_ne(x402_memeq_ct(a, b, sizeof(a)), 0);
	x402_wipe(a, sizeof(a));
	memset(b, 0, sizeof(b));
	ck_assert_mem_eq(a, b, sizeof(a));
	x402_wipe(NULL, 4);
}
END_TEST

static Suite *
error_suite(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, every_code_has_a_distinct_name);
	tcase_add_test(tc, fail_fills_detail_and_returns_code);
	tcase_add_test(tc, wipe_and_compare);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(error_suite)
