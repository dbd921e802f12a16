/*
 * check_rpc.c - the JSON-RPC client against the canned test server (bad
 * replies) and against a real anvil chain (X402_ANVIL names the binary;
 * without it the anvil cases are skipped and the suite exits 77 once the
 * other cases pass).
 */
#include "autoconfig.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rpc.h"
#include "testserver.h"
#include "testutil.h"

/* A client for base + path with a short timeout. */
static struct x402_rpc *
mk(const char *base, const char *path)
{
	struct x402_http_opts o = { .timeout_ms = 5000 };
	struct x402_rpc *rpc = NULL;
	struct x402_detail d = { "" };
	char url[256];

	snprintf(url, sizeof(url), "%s%s", base, path);
	ck_assert_msg(x402_rpc_new(&rpc, url, &o, &d) == 0, "%s", d.msg);
	return rpc;
}

/* ---- bad replies from the canned server ---------------------------- */

static const struct {
	const char *path;
	int err;
	const char *detail;	/* substring of the detail */
} replies[] = {
	{ "/rpc/ok", 0, "" },
	{ "/rpc/notjson", X402_ERR_BADREPLY, "not JSON" },
	{ "/rpc/noresult", X402_ERR_BADREPLY, "neither" },
	{ "/rpc/both", X402_ERR_BADREPLY, "both" },
	{ "/rpc/wrongtype", X402_ERR_BADREPLY, "not a string" },
	{ "/rpc/wrongid", X402_ERR_BADREPLY, "id does not match" },
	{ "/rpc/newline", 0, "" },
	{ "/rpc/trailing", X402_ERR_BADREPLY, "not JSON" },
	{ "/rpc/bom", X402_ERR_BADREPLY,
	  "a UTF-8 byte order mark at offset 0 is not allowed" },
	{ "/rpc/deep", X402_ERR_BADREPLY, "not JSON" },
	{ "/rpc/big", X402_ERR_BADREPLY, "over 10485760 bytes" },
	{ "/ok", X402_ERR_BADREPLY, "not a JSON-RPC 2.0" },
	{ "/status500", X402_ERR_UPSTREAM, "HTTP status 500" },
	{ "/rpc/error", X402_ERR_UPSTREAM, "error -32000: nonce too low" },
};

START_TEST(bad_replies)
{
	struct x402_rpc *rpc = mk(ts_srv.base, replies[_i].path);
	struct x402_detail d = { "" };
	uint64_t id = 0;
	double t0 = ts_now();
	int r;

	r = x402_rpc_chain_id(rpc, &id, &d);
	ck_assert_msg(r == replies[_i].err, "%s: %d (%s)", replies[_i].path,
	    r, d.msg);
	ck_assert_msg(strstr(d.msg, replies[_i].detail) != NULL, "%s: %s",
	    replies[_i].path, d.msg);
	if (r == 0)
		ck_assert_uint_eq(id, 84532);
	ck_assert_msg(ts_now() - t0 < 3.0, "%s: too slow", replies[_i].path);
	/* A second call on the same client (the id counter moved on). */
	ck_assert_int_eq(x402_rpc_chain_id(rpc, &id, &d), replies[_i].err);
	x402_rpc_free(rpc);
}
END_TEST

START_TEST(error_objects)
{
	struct x402_rpc *rpc = mk(ts_srv.base, "/rpc/error");
	const struct x402_rpc_error *e = x402_rpc_last_error(rpc);
	struct x402_detail d = { "" };
	uint8_t hash[32];

	ck_assert_int_eq(x402_rpc_send_raw_transaction(rpc, hash,
	    (const uint8_t *)"\x01", 1, &d), X402_ERR_UPSTREAM);
	ck_assert_int_eq(e->present, 1);
	ck_assert_int_eq(e->code, -32000);
	ck_assert_str_eq(e->message, "nonce too low");
	ck_assert_str_eq(e->data_hex, "0x08c379a0");
	ck_assert_int_eq(e->http_status, 200);
	x402_rpc_free(rpc);

	/* HTTP 500 carrying a JSON-RPC error: both are kept. */
	rpc = mk(ts_srv.base, "/rpc/http500");
	e = x402_rpc_last_error(rpc);
	ck_assert_int_eq(x402_rpc_gas_price(rpc, &(x402_u256){ { 0 } }, &d),
	    X402_ERR_UPSTREAM);
	ck_assert_int_eq(e->http_status, 500);
	ck_assert_int_eq(e->present, 1);
	ck_assert_int_eq(e->code, -32603);
	ck_assert_str_eq(e->message, "internal");
	x402_rpc_free(rpc);
}
END_TEST

START_TEST(transport_errors)
{
	struct x402_http_opts o = { .timeout_ms = 300 };
	struct x402_rpc *rpc = NULL;
	struct x402_detail d = { "" };
	uint64_t id;
	char url[128];
	double t0;

	snprintf(url, sizeof(url), "%s/hang", ts_srv.base);
	ck_assert_int_eq(x402_rpc_new(&rpc, url, &o, &d), 0);
	t0 = ts_now();
	ck_assert_int_eq(x402_rpc_chain_id(rpc, &id, &d), X402_ERR_TIMEOUT);
	ck_assert_msg(ts_now() - t0 < 3.0, "timeout not enforced");
	ck_assert_int_eq(x402_rpc_last_error(rpc)->present, 0);
	x402_rpc_free(rpc);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ts_free_port());
	ck_assert_int_eq(x402_rpc_new(&rpc, url, &o, &d), 0);
	ck_assert_int_eq(x402_rpc_chain_id(rpc, &id, &d), X402_ERR_NET);
	x402_rpc_free(rpc);
}
END_TEST

START_TEST(argument_refusals)
{
	struct x402_rpc *rpc = NULL;
	struct x402_detail d = { "" };
	json_object *res = (json_object *)&d;
	uint8_t addr[20] = { 0 };
	uint64_t n;
	x402_u256 a, b;

	ck_assert_int_eq(x402_rpc_new(&rpc, "ftp://127.0.0.1/", NULL, &d),
	    X402_ERR_UNSUPPORTED);
	ck_assert_ptr_null(rpc);
	rpc = mk(ts_srv.base, "/rpc/ok");
	ck_assert_int_eq(x402_rpc_call(rpc, &res, "eth_chainId\",\"x", NULL,
	    &d), X402_ERR_INVAL);
	ck_assert_ptr_null(res);
	ck_assert_int_eq(x402_rpc_call(rpc, &res, "", NULL, &d),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_rpc_get_transaction_count(rpc, &n, addr,
	    "latest\",\"x", &d), X402_ERR_INVAL);
	ck_assert_int_eq(x402_rpc_get_transaction_count(rpc, &n, addr,
	    "0x10000000000000000", &d), X402_ERR_INVAL);
	ck_assert_int_eq(x402_rpc_fee_history(rpc, &a, &b, 0, 50, &d),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_rpc_fee_history(rpc, &a, &b, 4, 101, &d),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_rpc_block_time(rpc, &n, "latest\",\"x", &d),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_rpc_block_time(rpc, &n, NULL, &d),
	    X402_ERR_INVAL);
	/* The generic call returns the result as JSON. */
	ck_assert_int_eq(x402_rpc_call(rpc, &res, "eth_chainId", NULL, &d), 0);
	ck_assert_str_eq(json_object_get_string(res), "0x14a34");
	json_object_put(res);
	x402_rpc_free(rpc);
	x402_rpc_free(NULL);
}
END_TEST

/* ---- a real anvil chain ------------------------------------------- */

static pid_t anvil_pid;
static int anvil_ok;
static char anvil_url[64];

/* anvil's account #0 and its starting balance (10000 ETH). */
static const char *acct0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

static int
anvil_try(const char *bin)
{
	struct x402_rpc *rpc;
	struct x402_detail d;
	char port[16];
	uint64_t id;
	double t0;
	int fd, up = 0;

	snprintf(port, sizeof(port), "%d", ts_free_port());
	snprintf(anvil_url, sizeof(anvil_url), "http://127.0.0.1:%s", port);
	fflush(NULL);
	if ((anvil_pid = fork()) < 0)
		return 0;
	if (anvil_pid == 0) {
#ifdef PR_SET_PDEATHSIG
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		if ((fd = open("/dev/null", O_RDWR)) >= 0) {
			(void)dup2(fd, 0);
			(void)dup2(fd, 1);
		}
		execl(bin, "anvil", "--host", "127.0.0.1", "--port", port,
		    "--chain-id", "84532", "--silent", (char *)NULL);
		_exit(127);
	}
	if (x402_rpc_new(&rpc, anvil_url, NULL, &d) != 0)
		return 0;
	for (t0 = ts_now(); ts_now() - t0 < 30.0; usleep(100 * 1000)) {
		if (x402_rpc_chain_id(rpc, &id, &d) == 0) {
			up = 1;
			break;
		}
		if (waitpid(anvil_pid, NULL, WNOHANG) == anvil_pid) {
			anvil_pid = 0;	/* port taken meanwhile? */
			break;
		}
	}
	x402_rpc_free(rpc);
	return up;
}

static void
anvil_down(void)
{
	if (anvil_pid > 0) {
		(void)kill(anvil_pid, SIGKILL);
		(void)waitpid(anvil_pid, NULL, 0);
	}
	anvil_pid = 0;
	anvil_ok = 0;
}

static void
anvil_up(void)
{
	const char *bin = getenv("X402_ANVIL");
	int i;

	for (i = 0; i < 3 && !anvil_ok; i++) {
		anvil_ok = anvil_try(bin);
		if (!anvil_ok)
			anvil_down();
	}
	if (!anvil_ok)
		fprintf(stderr, "check_rpc: anvil (%s) did not start\n", bin);
}

static struct x402_rpc *
mk_anvil(void)
{
	ck_assert_msg(anvil_ok, "anvil did not start");
	return mk(anvil_url, "");
}

START_TEST(anvil_reads)
{
	struct x402_rpc *rpc = mk_anvil();
	struct x402_detail d = { "" };
	uint8_t a0[20], nobody[20];
	char dec[X402_U256_DECLEN + 1];
	x402_u256 wei, base, prio, gp;
	uint64_t id, bn, nonce;
	struct x402_buf ret;

	tu_hex(a0, sizeof(a0), acct0);
	memset(nobody, 0x12, sizeof(nobody));
	x402_buf_init(&ret, 1024);

	ck_assert_int_eq(x402_rpc_chain_id(rpc, &id, &d), 0);
	ck_assert_uint_eq(id, 84532);
	ck_assert_int_eq(x402_rpc_block_number(rpc, &bn, &d), 0);
	ck_assert_int_eq(x402_rpc_get_balance(rpc, &wei, nobody, "latest",
	    &d), 0);
	ck_assert(x402_u256_is_zero(&wei));
	ck_assert_int_eq(x402_rpc_gas_price(rpc, &gp, &d), 0);
	ck_assert(!x402_u256_is_zero(&gp));
	ck_assert_int_eq(x402_rpc_max_priority_fee(rpc, &prio, &d), 0);
	ck_assert_int_eq(x402_rpc_fee_history(rpc, &base, &prio, 4, 50, &d),
	    0);
	ck_assert_msg(!x402_u256_is_zero(&base), "base fee 0");
	/* Suggested fees: max = 2 * base + priority, priority >= 0.001 gwei. */
	ck_assert_int_eq(x402_rpc_suggest_fees(rpc, &gp, &prio, &d), 0);
	x402_u256_set_u64(&wei, 1000000);
	ck_assert_int_ge(x402_u256_cmp(&prio, &wei), 0);
	ck_assert_int_eq(x402_u256_mul_u64(&wei, &base, 2), 0);
	ck_assert_int_eq(x402_u256_add(&wei, &wei, &prio), 0);
	ck_assert_int_eq(x402_u256_cmp(&gp, &wei), 0);
	/* Block times: the genesis block is no later than the latest; a
	 * block that does not exist is a bad reply. */
	ck_assert_int_eq(x402_rpc_block_time(rpc, &id, "latest", &d), 0);
	ck_assert_int_eq(x402_rpc_block_time(rpc, &nonce, "0x0", &d), 0);
	ck_assert_uint_gt(id, 1600000000);
	ck_assert_uint_le(nonce, id);
	ck_assert_int_eq(x402_rpc_block_time(rpc, &nonce, "0xffffffff", &d),
	    X402_ERR_BADREPLY);
	ck_assert_int_eq(x402_rpc_get_transaction_count(rpc, &nonce, nobody,
	    "pending", &d), 0);
	ck_assert_uint_eq(nonce, 0);

	/* eth_call to an address without code returns nothing. */
	ck_assert_int_eq(x402_rpc_eth_call(rpc, &ret, nobody,
	    (const uint8_t *)"\x12\x34", 2, NULL, &d), 0);
	ck_assert_uint_eq(ret.len, 0);
	ck_assert_int_eq(x402_rpc_estimate_gas(rpc, &id, a0, nobody, NULL, 0,
	    &d), 0);
	ck_assert_uint_eq(id, 21000);

	/* Last: account #0 is untouched only before anvil_writes ran. */
	ck_assert_int_eq(x402_rpc_get_balance(rpc, &wei, a0, "0x0", &d), 0);
	ck_assert_int_gt(x402_u256_format_dec(dec, sizeof(dec), &wei), 0);
	ck_assert_str_eq(dec, "10000000000000000000000");
	x402_buf_free(&ret);
	x402_rpc_free(rpc);
}
END_TEST

/*
 * Creation code that emits LOG1(topic 0x11..11, data = uint256 42) and
 * deploys a contract whose every call reverts with the bytes 0xdeadbeef.
 */
static const char *init_code = "0x602a600052"
    "7f1111111111111111111111111111111111111111111111111111111111111111"
    "60206000a1"
    "600d6037600039600d6000f3"
    "63deadbeef6000526004601cfd";

START_TEST(anvil_writes)
{
	struct x402_rpc *rpc = mk_anvil();
	struct x402_rpc_receipt *rc = malloc(sizeof(*rc));
	const struct x402_rpc_error *e = x402_rpc_last_error(rpc);
	struct x402_detail d = { "" };
	json_object *res = NULL;
	uint8_t a0[20], hash[32], topic[32], word[32];
	char params[512];
	uint64_t before, after, gas;
	struct x402_buf ret;
	double t0;

	ck_assert_ptr_nonnull(rc);
	tu_hex(a0, sizeof(a0), acct0);
	x402_buf_init(&ret, 1024);

	/* Garbage is refused with the node's own words. */
	ck_assert_int_eq(x402_rpc_send_raw_transaction(rpc, hash,
	    (const uint8_t *)"\xde\xad\xbe\xef", 4, &d), X402_ERR_UPSTREAM);
	ck_assert_int_eq(e->present, 1);
	ck_assert_int_eq(e->code, -32602);
	ck_assert_msg(strstr(e->message, "decode") != NULL, "%s", e->message);
	ck_assert_msg(strstr(d.msg, e->message) != NULL, "%s", d.msg);

	/* An unknown transaction has no receipt yet. */
	memset(hash, 0xab, sizeof(hash));
	ck_assert_int_eq(x402_rpc_get_transaction_receipt(rpc, rc, hash, &d),
	    0);
	ck_assert_int_eq(rc->found, 0);

	/* Deploy (anvil signs for its own accounts), then read the receipt. */
	ck_assert_int_eq(x402_rpc_get_transaction_count(rpc, &before, a0,
	    "latest", &d), 0);
	snprintf(params, sizeof(params), "[{\"from\":\"%s\",\"data\":\"%s\","
	    "\"gas\":\"0x30000\"}]", acct0, init_code);
	ck_assert_msg(x402_rpc_call(rpc, &res, "eth_sendTransaction", params,
	    &d) == 0, "%s", d.msg);
	tu_hex(hash, sizeof(hash), json_object_get_string(res));
	json_object_put(res);
	/* The hash can come back before the block is visible: poll. */
	for (t0 = ts_now(); ts_now() - t0 < 10.0; usleep(50 * 1000)) {
		ck_assert_msg(x402_rpc_get_transaction_receipt(rpc, rc, hash,
		    &d) == 0, "%s", d.msg);
		if (rc->found)
			break;
	}
	ck_assert_int_eq(rc->found, 1);
	ck_assert_int_eq(x402_rpc_get_transaction_count(rpc, &after, a0,
	    "latest", &d), 0);
	ck_assert_uint_eq(after, before + 1);
	ck_assert_int_eq(x402_rpc_get_transaction_count(rpc, &after, a0,
	    "pending", &d), 0);
	ck_assert_uint_eq(after, before + 1);
	ck_assert_int_eq(rc->status, 1);
	ck_assert_mem_eq(rc->tx_hash, hash, 32);
	ck_assert_uint_ge(rc->block_number, 1);
	ck_assert_uint_gt(rc->gas_used, 21000);
	ck_assert(!x402_u256_is_zero(&rc->effective_gas_price));
	ck_assert_int_eq(rc->has_contract, 1);
	ck_assert_uint_eq(rc->nlogs, 1);
	ck_assert_mem_eq(rc->logs[0].address, rc->contract_address, 20);
	ck_assert_uint_eq(rc->logs[0].ntopics, 1);
	memset(topic, 0x11, sizeof(topic));
	ck_assert_mem_eq(rc->logs[0].topics[0], topic, 32);
	ck_assert_uint_eq(rc->logs[0].datalen, 32);
	memset(word, 0, sizeof(word));
	word[31] = 42;
	ck_assert_mem_eq(rc->logs[0].data, word, 32);

	/* A revert is UPSTREAM with the revert data kept. */
	ck_assert_int_eq(x402_rpc_eth_call(rpc, &ret, rc->contract_address,
	    NULL, 0, "latest", &d), X402_ERR_UPSTREAM);
	ck_assert_int_eq(e->present, 1);
	ck_assert_str_eq(e->data_hex, "0xdeadbeef");
	ck_assert_int_eq(x402_rpc_estimate_gas(rpc, &gas, a0,
	    rc->contract_address, NULL, 0, &d), X402_ERR_UPSTREAM);
	ck_assert_str_eq(e->data_hex, "0xdeadbeef");
	/* And a success clears it. */
	ck_assert_int_eq(x402_rpc_chain_id(rpc, &gas, &d), 0);
	ck_assert_int_eq(e->present, 0);
	ck_assert_str_eq(e->data_hex, "");
	x402_buf_free(&ret);
	free(rc);
	x402_rpc_free(rpc);
}
END_TEST

static Suite *
rpc_suite(int with_anvil)
{
	Suite *s = suite_create("rpc");
	TCase *tc = tcase_create("replies");
	TCase *ta;

	tcase_add_unchecked_fixture(tc, ts_fixture_up, ts_fixture_down);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, bad_replies, 0,
	    sizeof(replies) / sizeof(replies[0]));
	tcase_add_test(tc, error_objects);
	tcase_add_test(tc, transport_errors);
	tcase_add_test(tc, argument_refusals);
	suite_add_tcase(s, tc);
	if (with_anvil) {
		ta = tcase_create("anvil");
		tcase_add_unchecked_fixture(ta, anvil_up, anvil_down);
		tcase_set_timeout(ta, 60);
		tcase_add_test(ta, anvil_reads);
		tcase_add_test(ta, anvil_writes);
		suite_add_tcase(s, ta);
	}
	return s;
}

int
main(void)
{
	const char *anvil = getenv("X402_ANVIL");
	int with_anvil = anvil != NULL && anvil[0] != '\0';
	SRunner *sr;
	int failed;

	if (x402_http_global_init() != 0)
		return EXIT_FAILURE;
	sr = srunner_create(rpc_suite(with_anvil));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	x402_http_global_cleanup();
	if (failed != 0)
		return EXIT_FAILURE;
	if (!with_anvil) {
		printf("SKIP: set X402_ANVIL to the anvil binary to run the "
		    "chain tests\n");
		return 77;
	}
	return EXIT_SUCCESS;
}
