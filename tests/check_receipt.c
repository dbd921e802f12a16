/* check_receipt.c - receipts round-trip and garbage is refused. */
#include <check.h>
#include <string.h>

#include "receipt.h"
#include "testutil.h"

static void
sample(struct x402_receipt *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->route, "ocr");
	r->time = 1740672100;
	r->x402_version = 2;
	strcpy(r->scheme, "exact");
	strcpy(r->network, "eip155:84532");
	ck_assert_int_eq(x402_addr_parse(r->asset,
	    "0x036CbD53842c5426634e7929541eC2318f3dCF7e", 42), 0);
	ck_assert_int_eq(x402_addr_parse(r->payer,
	    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 42), 0);
	ck_assert_int_eq(x402_addr_parse(r->pay_to,
	    "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", 42), 0);
	x402_u256_set_u64(&r->amount, 10000);
	x402_u256_set_u64(&r->max_amount, 10000);
	memset(r->nonce, 0xf3, 32);
	strcpy(r->transaction, "0xabababababababababababababababababababababababababababababababab");
	strcpy(r->resource, "http://127.0.0.1:8080/ocr");
}

START_TEST(round_trip)
{
	struct x402_receipt a, b;
	struct x402_detail d;
	struct x402_buf buf;

	sample(&a);
	a.settlement = json_object_new_object();
	json_object_object_add(a.settlement, "success",
	    json_object_new_boolean(1));
	x402_buf_init(&buf, X402_RECEIPT_MAX);
	ck_assert_int_eq(x402_receipt_format(&buf, &a), 0);
	ck_assert_ptr_nonnull(strstr(buf.p, "\"amount\":\"10000\""));
	ck_assert_ptr_nonnull(strstr(buf.p,
	    "\"payer\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\""));
	ck_assert_int_eq(x402_receipt_parse(&b, &d, buf.p, buf.len), 0);
	ck_assert_str_eq(b.route, "ocr");
	ck_assert_int_eq(b.time, a.time);
	ck_assert_int_eq(b.x402_version, 2);
	ck_assert_mem_eq(b.payer, a.payer, 20);
	ck_assert_mem_eq(b.nonce, a.nonce, 32);
	ck_assert_int_eq(x402_u256_cmp(&b.amount, &a.amount), 0);
	ck_assert_str_eq(b.transaction, a.transaction);
	ck_assert_ptr_nonnull(b.settlement);
	x402_receipt_free(&a);
	x402_receipt_free(&b);
	x402_buf_free(&buf);
}
END_TEST

static const char *const garbage[] = {
	"",
	"not json",
	"{}",
	"{\"receipt\":2}",
	/* amount above maxAmount */
	"{\"receipt\":1,\"route\":\"a\",\"time\":1,\"x402Version\":2,\"scheme\":\"exact\",\"network\":\"n\",\"asset\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7e\",\"payer\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7e\",\"payTo\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7e\",\"amount\":\"2\",\"maxAmount\":\"1\",\"nonce\":\"0x0000000000000000000000000000000000000000000000000000000000000000\",\"transaction\":\"\",\"resource\":\"\"}",
	/* amount as a number */
	"{\"receipt\":1,\"route\":\"a\",\"time\":1,\"x402Version\":2,\"scheme\":\"exact\",\"network\":\"n\",\"asset\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7e\",\"payer\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7e\",\"payTo\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7e\",\"amount\":1,\"maxAmount\":\"1\",\"nonce\":\"0x0000000000000000000000000000000000000000000000000000000000000000\",\"transaction\":\"\",\"resource\":\"\"}",
	/* bad checksum */
	"{\"receipt\":1,\"route\":\"a\",\"time\":1,\"x402Version\":2,\"scheme\":\"exact\",\"network\":\"n\",\"asset\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7E\",\"payer\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7e\",\"payTo\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7e\",\"amount\":\"1\",\"maxAmount\":\"1\",\"nonce\":\"0x0000000000000000000000000000000000000000000000000000000000000000\",\"transaction\":\"\",\"resource\":\"\"}",
};

START_TEST(garbage_refused)
{
	struct x402_receipt r;
	struct x402_detail d;
	const char *t = garbage[_i];

	ck_assert_int_ne(x402_receipt_parse(&r, &d, t, strlen(t)), 0);
	x402_receipt_free(&r);
}
END_TEST

static Suite *
receipt_suite(void)
{
	Suite *s = suite_create("receipt");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, round_trip);
	tcase_add_loop_test(tc, garbage_refused, 0,
	    sizeof(garbage) / sizeof(garbage[0]));
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(receipt_suite)
