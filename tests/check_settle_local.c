/*
 * check_settle_local.c - the `local` settlement strategy on a real chain:
 * anvil with the EIP-3009 test token (tests/chain), real signed payments
 * decoded from v2 PAYMENT-SIGNATURE headers, real transactions.
 *
 * Needs X402_ANVIL (set by `make check` when tests/chain/node_modules
 * exists), X402_TOP (the source tree) and node; otherwise SKIP (77).
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "rpc.h"
#include "settle.h"
#include "tx.h"
#include "testutil.h"

#define VALUE 1000
#define NENV 64

static char top[1024], tmpdir[256], state[300];
static char envk[NENV][32], envv[NENV][200];
static int nenv, chain_ok;
static struct x402_network net;
static struct x402_sig_ctx *ctx;

static const char *
env(const char *k)
{
	int i;

	for (i = 0; i < nenv; i++)
		if (strcmp(envk[i], k) == 0)
			return envv[i];
	ck_abort_msg("chain.env has no %s", k);
	return NULL;
}

/* Runs cmd, returns its first output line in out. */
static int
run_line(char *out, size_t cap, const char *cmd)
{
	FILE *f = popen(cmd, "r");
	int st;

	out[0] = '\0';
	if (f == NULL)
		return -1;
	if (fgets(out, (int)cap, f) != NULL)
		out[strcspn(out, "\r\n")] = '\0';
	st = pclose(f);
	return st == 0 && out[0] != '\0' ? 0 : -1;
}

static void
chain_up(void)
{
	char cmd[2048], port[32], line[512], path[600], *eq;
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/x402-settle-local-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(cmd, sizeof(cmd), "node '%s/tests/chain/freeport.mjs'", top);
	ck_assert_int_eq(run_line(port, sizeof(port), cmd), 0);
	snprintf(cmd, sizeof(cmd), "'%s/tests/chain/start-chain.sh' '%s' %s "
	    ">'%s/start.log' 2>&1", top, tmpdir, port, tmpdir);
	ck_assert_msg(system(cmd) == 0, "start-chain failed: see %s/start.log",
	    tmpdir);
	snprintf(path, sizeof(path), "%s/chain.env", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (nenv < NENV && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		snprintf(envk[nenv], sizeof(envk[0]), "%.31s", line);
		snprintf(envv[nenv], sizeof(envv[0]), "%.199s", eq + 1);
		nenv++;
	}
	fclose(f);
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	chain_ok = 1;
}

static void
chain_down(void)
{
	char cmd[2048];

	if (tmpdir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "'%s/tests/chain/stop-chain.sh' '%s'; "
	    "rm -rf '%s'", top, tmpdir, tmpdir);
	(void)system(cmd);
	tmpdir[0] = '\0';
}

static void
setup(void)
{
	struct x402_asset *a = &net.assets[0];

	ck_assert_msg(chain_ok, "the chain did not start");
	memset(&net, 0, sizeof(net));
	strcpy(net.v1_name, "base-sepolia");
	strcpy(net.caip2, "eip155:84532");
	net.chain_id = 84532;
	strcpy(a->symbol, "USDC");
	ck_assert_int_eq(x402_addr_parse(a->address, env("USDC"), 42), 0);
	a->decimals = 6;
	strcpy(a->eip712_name, "USDC");
	strcpy(a->eip712_version, "2");
	net.nassets = 1;
	ck_assert_int_eq(x402_sig_ctx_new(&ctx), 0);
}

static void
teardown(void)
{
	struct x402_http_opts ho = { .timeout_ms = 5000 };
	struct x402_rpc *c = NULL;
	json_object *res = NULL;

	/* A failed pending test must not leave the chain without automine. */
	if (chain_ok && x402_rpc_new(&c, env("RPC_URL"), &ho, NULL) == 0 &&
	    x402_rpc_call(c, &res, "evm_setAutomine", "[true]", NULL) == 0)
		json_object_put(res);
	x402_rpc_free(c);
	x402_sig_ctx_free(ctx);
	ctx = NULL;
}

static void
offer(struct x402_offer *o)
{
	memset(o, 0, sizeof(*o));
	o->scheme = X402_SCHEME_EXACT;
	o->net = &net;
	o->asset = &net.assets[0];
	x402_u256_set_u64(&o->amount, VALUE);
	ck_assert_int_eq(x402_addr_parse(o->pay_to, env("PAYTO"), 42), 0);
	o->max_timeout_seconds = 300;
}

/* Writes the hex key of env var `name` to dir/file with mode. */
static void
key_file(char *path, size_t cap, const char *name, mode_t mode)
{
	int fd;

	snprintf(path, cap, "%s/%s.%ld.key", tmpdir, name, (long)getpid());
	(void)unlink(path);
	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600),
	    -1);
	ck_assert_int_eq(write(fd, env(name), strlen(env(name))),
	    (ssize_t)strlen(env(name)));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void
opts(struct x402_local_opts *o, char *keypath, size_t cap)
{
	key_file(keypath, cap, "RELAYER_KEY", 0600);
	memset(o, 0, sizeof(*o));
	o->rpc_url = env("RPC_URL");
	o->http.timeout_ms = 5000;
	o->relayer_key_file = keypath;
	o->state_dir = state;
	o->receipt_timeout_ms = 10000;
	o->poll_ms = 50;
	o->check_chain = 1;
	o->expected_chain_id = 84532;
}

static struct x402_settler *
settler(int check_chain, uint64_t gas_limit)
{
	struct x402_local_opts o;
	struct x402_settler *s;
	struct x402_detail d = { "" };
	char kp[600];

	opts(&o, kp, sizeof(kp));
	o.check_chain = check_chain;
	o.gas_limit = gas_limit;
	ck_assert_msg(x402_settler_new_local(&s, ctx, &o, &d) == 0, "%s",
	    d.msg);
	return s;
}

/*
 * A real payment signed with the key in env var keyname, as a v2
 * PAYMENT-SIGNATURE header decoded by x402_payment_decode.  nonce: NULL
 * for a random one (returned in nonce_out when not NULL).
 */
static void
payment(struct x402_payment *p, const struct x402_offer *o,
    const char *keyname, uint64_t valid_before, const uint8_t *nonce,
    uint8_t *nonce_out, int corrupt)
{
	struct x402_eip712_domain dom;
	struct x402_eip3009_auth a;
	struct json_object *acc;
	struct x402_detail d = { "" };
	uint8_t key[32], ds[32], sh[32], dg[32], sig[65];
	char from[43], to[43], non[67], sigh[133], json[4096], b64[6000];
	size_t n;

	memset(&a, 0, sizeof(a));
	tu_hex(key, sizeof(key), env(keyname));
	ck_assert_int_eq(x402_sig_key_address(ctx, a.from, key), 0);
	memcpy(a.to, o->pay_to, 20);
	a.value = o->amount;
	x402_u256_set_u64(&a.valid_before, valid_before);
	if (nonce != NULL)
		memcpy(a.nonce, nonce, 32);
	else
		ck_assert_int_eq(getrandom(a.nonce, 32, 0), 32);
	if (nonce_out != NULL)
		memcpy(nonce_out, a.nonce, 32);
	x402_network_domain(&dom, o->net, o->asset);
	x402_eip712_domain_separator(ds, &dom);
	x402_eip712_eip3009_hash(sh, &a);
	x402_eip712_digest(dg, ds, sh);
	ck_assert_int_eq(x402_sig_sign(ctx, sig, dg, key), 0);
	x402_wipe(key, sizeof(key));
	if (corrupt)
		sig[10] ^= 0x01;
	x402_addr_format(from, a.from);
	x402_addr_format(to, a.to);
	(void)x402_hex_encode(non, sizeof(non), a.nonce, 32,
	    X402_HEX_PREFIX_REQUIRED);
	(void)x402_hex_encode(sigh, sizeof(sigh), sig, 65,
	    X402_HEX_PREFIX_REQUIRED);
	ck_assert_int_eq(x402_offer_v2_json(&acc, o), 0);
	snprintf(json, sizeof(json), "{\"x402Version\":2,\"payload\":"
	    "{\"authorization\":{\"from\":\"%s\",\"to\":\"%s\",\"value\":"
	    "\"%d\",\"validAfter\":\"0\",\"validBefore\":\"%llu\","
	    "\"nonce\":\"%s\"},\"signature\":\"%s\"},\"resource\":{\"url\":"
	    "\"http://127.0.0.1/ocr\",\"description\":\"\",\"mimeType\":\"\"},"
	    "\"accepted\":%s}", from, to, VALUE,
	    (unsigned long long)valid_before, non, sigh,
	    json_object_to_json_string_ext(acc, JSON_C_TO_STRING_PLAIN));
	json_object_put(acc);
	ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), &n,
	    (uint8_t *)json, strlen(json)), 0);
	ck_assert_msg(x402_payment_decode(p, &d, b64, n) == 0, "%s", d.msg);
}

static void
request(struct x402_settle_request *r, const struct x402_payment *p,
    const struct x402_offer *o)
{
	memset(r, 0, sizeof(*r));
	r->payment = p;
	r->offer = o;
	r->now = (uint64_t)time(NULL);
}

static struct x402_rpc *
rpc(void)
{
	struct x402_http_opts ho = { .timeout_ms = 5000 };
	struct x402_rpc *c;

	ck_assert_int_eq(x402_rpc_new(&c, env("RPC_URL"), &ho, NULL), 0);
	return c;
}

static uint64_t
balance(const char *who)
{
	struct x402_rpc *c = rpc();
	struct x402_buf call, ret;
	uint8_t addr[20], tok[20];
	x402_u256 v;
	uint64_t n = 0;

	x402_buf_init(&call, 256);
	x402_buf_init(&ret, 256);
	ck_assert_int_eq(x402_addr_parse(addr, env(who), 42), 0);
	ck_assert_int_eq(x402_addr_parse(tok, env("USDC"), 42), 0);
	ck_assert_int_eq(x402_abi_balance_of(&call, addr), 0);
	ck_assert_int_eq(x402_rpc_eth_call(c, &ret, tok,
	    (uint8_t *)call.p, call.len, NULL, NULL), 0);
	ck_assert_int_eq(x402_abi_decode_uint256(&v, (uint8_t *)ret.p,
	    ret.len), 0);
	ck_assert(x402_u256_get_u64(&v, &n));
	x402_buf_free(&call);
	x402_buf_free(&ret);
	x402_rpc_free(c);
	return n;
}

static uint64_t
relayer_count(const char *block)
{
	struct x402_rpc *c = rpc();
	uint8_t addr[20];
	uint64_t n;

	ck_assert_int_eq(x402_addr_parse(addr, env("RELAYER"), 42), 0);
	ck_assert_int_eq(x402_rpc_get_transaction_count(c, &n, addr, block,
	    NULL), 0);
	x402_rpc_free(c);
	return n;
}

static void
rpc_do(const char *method, const char *params)
{
	struct x402_rpc *c = rpc();
	json_object *res = NULL;
	struct x402_detail d = { "" };

	ck_assert_msg(x402_rpc_call(c, &res, method, params, &d) == 0, "%s: %s",
	    method, d.msg);
	json_object_put(res);
	x402_rpc_free(c);
}

static int
pending_records(void)
{
	char path[400];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "%s/pending", state);
	ck_assert_ptr_nonnull(dir = opendir(path));
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

static void
assert_txhash(const char *h)
{
	ck_assert_uint_eq(strlen(h), 66);
	ck_assert(h[0] == '0' && h[1] == 'x');
	ck_assert_uint_eq(strspn(h + 2, "0123456789abcdef"), 64);
}

START_TEST(good_payment_settles_once)
{
	struct x402_settler *s = settler(1, 0);
	struct x402_settle_request rq;
	struct x402_verify_result vr;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	uint64_t payer0, payto0, sent;
	char first[67];

	offer(&o);
	payment(&p, &o, "PAYER_KEY", (uint64_t)time(NULL) + 300, NULL, NULL, 0);
	request(&rq, &p, &o);
	payer0 = balance("PAYER");
	payto0 = balance("PAYTO");

	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert_msg(vr.valid, "verify: %s", vr.reason);
	ck_assert_msg(x402_settler_settle(s, &st, &d, &rq) == 0, "%s", d.msg);
	ck_assert_msg(st.success, "settle: %s", st.error_reason);
	assert_txhash(st.transaction);
	ck_assert_str_eq(st.network, "eip155:84532");
	ck_assert_str_eq(st.payer, env("PAYER"));
	ck_assert_uint_eq(balance("PAYER"), payer0 - VALUE);
	ck_assert_uint_eq(balance("PAYTO"), payto0 + VALUE);
	ck_assert_int_eq(pending_records(), 0);

	/* The replay: verify sees the nonce used on chain by a transfer to
	 * payTo - the payment was made (the gate's claim store refuses a
	 * second use).  Settle sends nothing: the estimate reverts, and the
	 * chain shows the payment made. */
	sent = relayer_count("latest");
	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert_msg(vr.valid, "%s", vr.reason);
	memcpy(first, st.transaction, sizeof(first));
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq), 0);
	ck_assert(st.success);
	ck_assert_str_eq(st.transaction, first);
	ck_assert_uint_eq(relayer_count("latest"), sent);
	ck_assert_uint_eq(balance("PAYTO"), payto0 + VALUE);
	ck_assert_int_eq(pending_records(), 0);
	x402_payment_free(&p);
	x402_settler_free(s);
}
END_TEST

/* Offline refusals, at verify and again at settle. */
START_TEST(offline_refusals)
{
	struct x402_settler *s = settler(1, 0);
	struct x402_settle_request rq;
	struct x402_verify_result vr;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	uint64_t sent = relayer_count("latest");

	offer(&o);
	payment(&p, &o, "PAYER_KEY", (uint64_t)time(NULL) + 3, NULL, NULL, 0);
	request(&rq, &p, &o);
	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert(!vr.valid);
	ck_assert_str_eq(vr.reason, X402_R_VALID_BEFORE);
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq), 0);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_VALID_BEFORE);
	x402_payment_free(&p);

	payment(&p, &o, "PAYER_KEY", (uint64_t)time(NULL) + 300, NULL, NULL, 1);
	request(&rq, &p, &o);
	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert(!vr.valid);
	ck_assert_str_eq(vr.reason, X402_R_SIGNATURE);
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq), 0);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_SIGNATURE);
	x402_payment_free(&p);
	ck_assert_uint_eq(relayer_count("latest"), sent);
	x402_settler_free(s);
}
END_TEST

START_TEST(unfunded_payer)
{
	struct x402_settler *s = settler(1, 0), *s0 = settler(0, 0);
	struct x402_settle_request rq;
	struct x402_verify_result vr;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	uint64_t sent = relayer_count("latest");

	offer(&o);
	payment(&p, &o, "UNFUNDED_KEY", (uint64_t)time(NULL) + 300, NULL, NULL,
	    0);
	request(&rq, &p, &o);
	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert(!vr.valid);
	ck_assert_str_eq(vr.reason, X402_R_BALANCE);
	/* Without the chain checks it passes verify; settle's estimate
	 * reverts and the diagnostic names the balance. */
	ck_assert_int_eq(x402_settler_verify(s0, &vr, &d, &rq), 0);
	ck_assert(vr.valid);
	ck_assert_int_eq(x402_settler_settle(s0, &st, &d, &rq), 0);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_INSUFFICIENT_BALANCE);
	ck_assert_uint_eq(relayer_count("latest"), sent);
	x402_payment_free(&p);
	x402_settler_free(s);
	x402_settler_free(s0);
}
END_TEST

/* A transaction that is mined and reverts: the estimate is skipped
 * (gas_limit set) and the authorization was already used. */
START_TEST(reverted_transaction_is_a_verdict)
{
	struct x402_settler *s = settler(0, 0), *sg = settler(0, 120000);
	struct x402_settle_request rq;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	uint64_t payto0;

	offer(&o);
	payment(&p, &o, "PAYER2_KEY", (uint64_t)time(NULL) + 300, NULL, NULL,
	    0);
	request(&rq, &p, &o);
	ck_assert_msg(x402_settler_settle(s, &st, &d, &rq) == 0, "%s", d.msg);
	ck_assert(st.success);
	payto0 = balance("PAYTO");
	ck_assert_msg(x402_settler_settle(sg, &st, &d, &rq) == 0, "%s", d.msg);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_TX_FAILED);
	assert_txhash(st.transaction);
	ck_assert_uint_eq(balance("PAYTO"), payto0);
	ck_assert_int_eq(pending_records(), 0);
	x402_payment_free(&p);
	x402_settler_free(s);
	x402_settler_free(sg);
}
END_TEST

/*
 * The same authorization submitted first by someone else (here: another
 * settler, so the chain holds its transaction) after our verify saw it
 * unused: our own transaction, sent blind (gas_limit set, no estimate),
 * reverts.  The payment to payTo
 * happened all the same: a success naming the other transaction.
 */
START_TEST(used_first_by_another_is_paid)
{
	struct x402_settler *s = settler(1, 0), *sg = settler(1, 120000);
	struct x402_settler *s0 = settler(0, 0);
	struct x402_settle_request rq;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	char first[67];
	uint64_t payto0;

	offer(&o);
	payment(&p, &o, "PAYER3_KEY", (uint64_t)time(NULL) + 300, NULL, NULL,
	    0);
	request(&rq, &p, &o);
	ck_assert_msg(x402_settler_settle(s, &st, &d, &rq) == 0, "%s", d.msg);
	ck_assert(st.success);
	memcpy(first, st.transaction, sizeof(first));
	payto0 = balance("PAYTO");
	/* Mined and reverted. */
	ck_assert_msg(x402_settler_settle(sg, &st, &d, &rq) == 0, "%s", d.msg);
	ck_assert_msg(st.success, "reverted: %s", st.error_reason);
	ck_assert_str_eq(st.transaction, first);
	ck_assert_str_eq(st.error_reason, "");
	/* Estimated, would revert: nothing sent, the same answer. */
	ck_assert_msg(x402_settler_settle(s, &st, &d, &rq) == 0, "%s", d.msg);
	ck_assert_msg(st.success, "estimate: %s", st.error_reason);
	ck_assert_str_eq(st.transaction, first);
	/* Without the chain checks nothing says it was unused for us: a
	 * replay of a settled authorization stays a refusal. */
	ck_assert_msg(x402_settler_settle(s0, &st, &d, &rq) == 0, "%s", d.msg);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_NONCE_USED);
	ck_assert_uint_eq(balance("PAYTO"), payto0);
	ck_assert_int_eq(pending_records(), 0);
	x402_payment_free(&p);
	x402_settler_free(s);
	x402_settler_free(sg);
	x402_settler_free(s0);
}
END_TEST

/* 4 processes settle 2 authorizations each at the same time. */
START_TEST(concurrent_workers_share_the_nonce)
{
	enum { NPROC = 4, EACH = 2 };
	static const char *keys[NPROC] = { "PAYER_KEY", "PAYER2_KEY",
	    "PAYER3_KEY", "PAYER4_KEY" };
	char hashes[NPROC * EACH][67], line[80];
	uint64_t nonces[NPROC * EACH], payto0 = balance("PAYTO");
	struct x402_rpc *c;
	int fds[NPROC][2], i, j, k, st, n = 0;
	pid_t pids[NPROC];
	FILE *f;

	for (i = 0; i < NPROC; i++) {
		ck_assert_int_eq(pipe(fds[i]), 0);
		pids[i] = fork();
		ck_assert_int_ne(pids[i], -1);
		if (pids[i] == 0) {
			struct x402_settler *s = settler(0, 0);
			struct x402_settle_request rq;
			struct x402_settlement out;
			struct x402_payment p;
			struct x402_offer o;
			struct x402_detail d = { "" };

			close(fds[i][0]);
			offer(&o);
			for (j = 0; j < EACH; j++) {
				payment(&p, &o, keys[i],
				    (uint64_t)time(NULL) + 300, NULL, NULL, 0);
				request(&rq, &p, &o);
				if (x402_settler_settle(s, &out, &d, &rq) != 0 ||
				    !out.success)
					dprintf(fds[i][1], "FAIL %s %s\n",
					    out.error_reason, d.msg);
				else
					dprintf(fds[i][1], "%s\n",
					    out.transaction);
				x402_payment_free(&p);
			}
			x402_settler_free(s);
			_exit(0);
		}
		close(fds[i][1]);
	}
	for (i = 0; i < NPROC; i++) {
		ck_assert_ptr_nonnull(f = fdopen(fds[i][0], "r"));
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			ck_assert_msg(strncmp(line, "0x", 2) == 0,
			    "worker %d: %s", i, line);
			ck_assert_int_lt(n, NPROC * EACH);
			snprintf(hashes[n++], sizeof(hashes[0]), "%.66s", line);
		}
		fclose(f);
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(n, NPROC * EACH);
	ck_assert_uint_eq(balance("PAYTO"), payto0 + NPROC * EACH * VALUE);

	/* Distinct relayer nonces. */
	c = rpc();
	for (k = 0; k < n; k++) {
		json_object *res = NULL, *v;
		char params[80];
		x402_u256 u;
		const char *hx;

		snprintf(params, sizeof(params), "[\"%.66s\"]", hashes[k]);
		ck_assert_int_eq(x402_rpc_call(c, &res,
		    "eth_getTransactionByHash", params, NULL), 0);
		ck_assert_ptr_nonnull(res);
		ck_assert(json_object_object_get_ex(res, "nonce", &v));
		hx = json_object_get_string(v);
		ck_assert_int_eq(x402_u256_parse_hex(&u, hx, strlen(hx)), 0);
		ck_assert(x402_u256_get_u64(&u, &nonces[k]));
		json_object_put(res);
		for (j = 0; j < k; j++)
			ck_assert_uint_ne(nonces[j], nonces[k]);
	}
	x402_rpc_free(c);
	ck_assert_int_eq(pending_records(), 0);
}
END_TEST

struct seen {
	int n;
	enum x402_local_outcome last;
	uint8_t tx[32];
	int permit2;		/* the last record's */
};

static int
on_record(void *arg, const struct x402_local_record *rec,
    enum x402_local_outcome oc)
{
	struct seen *sn = arg;

	sn->n++;
	sn->last = oc;
	sn->permit2 = rec->permit2;
	memcpy(sn->tx, rec->tx_hash, 32);
	return 0;
}

/* Unmined: PENDING with a journal; mined later: reconcile settles it. */
START_TEST(pending_then_reconciled)
{
	struct x402_local_opts lo;
	struct x402_settler *s;
	struct x402_settle_request rq;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	struct seen sn = { 0, 0, { 0 }, -1 };
	uint64_t payer0, payto0;
	char kp[600], txh[67];
	uint64_t t0;
	int r;

	opts(&lo, kp, sizeof(kp));
	lo.receipt_timeout_ms = 600;
	lo.poll_ms = 100;
	ck_assert_int_eq(x402_settler_new_local(&s, ctx, &lo, &d), 0);
	offer(&o);
	payment(&p, &o, "PAYER3_KEY", (uint64_t)time(NULL) + 300, NULL, NULL,
	    0);
	request(&rq, &p, &o);
	payer0 = balance("PAYER3");
	payto0 = balance("PAYTO");

	rpc_do("evm_setAutomine", "[false]");
	r = x402_settler_settle(s, &st, &d, &rq);
	ck_assert_msg(r == X402_ERR_PENDING, "%d %s", r, d.msg);
	ck_assert(!st.success);
	assert_txhash(st.transaction);
	snprintf(txh, sizeof(txh), "%s", st.transaction);
	ck_assert_int_eq(pending_records(), 1);

	/* The same authorization again: refused at once, nothing sent. */
	t0 = (uint64_t)time(NULL);
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq),
	    X402_ERR_PENDING);
	ck_assert_uint_le((uint64_t)time(NULL) - t0, 1);
	ck_assert_int_eq(pending_records(), 1);

	/* Young records are left to their worker. */
	ck_assert_int_eq(x402_local_reconcile(s, &d, 3600, on_record, &sn), 0);
	ck_assert_int_eq(sn.n, 0);
	/* Still in the pool: in flight, kept. */
	ck_assert_int_eq(x402_local_reconcile(s, &d, 0, on_record, &sn), 0);
	ck_assert_int_eq(sn.n, 1);
	ck_assert_int_eq(sn.last, X402_LOCAL_INFLIGHT);
	ck_assert_int_eq(pending_records(), 1);

	rpc_do("evm_mine", "[]");
	rpc_do("evm_setAutomine", "[true]");
	sn.n = 0;
	ck_assert_msg(x402_local_reconcile(s, &d, 0, on_record, &sn) == 0,
	    "%s", d.msg);
	ck_assert_int_eq(sn.n, 1);
	ck_assert_int_eq(sn.last, X402_LOCAL_SETTLED);
	ck_assert_int_eq(sn.permit2, 0);
	tu_assert_hex(sn.tx, 32, txh);
	ck_assert_int_eq(pending_records(), 0);
	ck_assert_uint_eq(balance("PAYER3"), payer0 - VALUE);
	ck_assert_uint_eq(balance("PAYTO"), payto0 + VALUE);
	sn.n = 0;
	ck_assert_int_eq(x402_local_reconcile(s, &d, 0, on_record, &sn), 0);
	ck_assert_int_eq(sn.n, 0);
	x402_payment_free(&p);
	x402_settler_free(s);
}
END_TEST

/* A pending transaction the node forgot is broadcast again from the
 * journal (the same signed bytes), then settles once. */
START_TEST(dropped_tx_is_rebroadcast)
{
	struct x402_local_opts lo;
	struct x402_settler *s;
	struct x402_settle_request rq;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	struct seen sn = { 0, 0, { 0 }, -1 };
	uint64_t payto0;
	char kp[600], params[80];

	opts(&lo, kp, sizeof(kp));
	lo.receipt_timeout_ms = 300;
	lo.poll_ms = 100;
	ck_assert_int_eq(x402_settler_new_local(&s, ctx, &lo, &d), 0);
	offer(&o);
	payment(&p, &o, "PAYER4_KEY", (uint64_t)time(NULL) + 300, NULL, NULL,
	    0);
	request(&rq, &p, &o);
	payto0 = balance("PAYTO");

	rpc_do("evm_setAutomine", "[false]");
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq),
	    X402_ERR_PENDING);
	snprintf(params, sizeof(params), "[\"%.66s\"]", st.transaction);
	rpc_do("anvil_dropTransaction", params);
	ck_assert_int_eq(x402_local_reconcile(s, &d, 0, on_record, &sn), 0);
	ck_assert_int_eq(sn.n, 1);
	ck_assert_int_eq(sn.last, X402_LOCAL_INFLIGHT);
	ck_assert_int_eq(pending_records(), 1);
	rpc_do("evm_mine", "[]");
	rpc_do("evm_setAutomine", "[true]");
	sn.n = 0;
	ck_assert_int_eq(x402_local_reconcile(s, &d, 0, on_record, &sn), 0);
	ck_assert_int_eq(sn.n, 1);
	ck_assert_int_eq(sn.last, X402_LOCAL_SETTLED);
	tu_assert_hex(sn.tx, 32, st.transaction);
	ck_assert_int_eq(pending_records(), 0);
	ck_assert_uint_eq(balance("PAYTO"), payto0 + VALUE);
	x402_payment_free(&p);
	x402_settler_free(s);
}
END_TEST

START_TEST(construction_refusals)
{
	struct x402_local_opts lo;
	struct x402_settler *s = NULL;
	struct x402_detail d = { "" };
	char kp[600], cmd[1200], port[32], url[64];
	uint64_t t0;
	int r;

	opts(&lo, kp, sizeof(kp));
	key_file(kp, sizeof(kp), "RELAYER_KEY", 0644);
	ck_assert_int_eq(x402_settler_new_local(&s, ctx, &lo, &d),
	    X402_ERR_PERM);
	ck_assert_ptr_null(s);
	ck_assert_ptr_null(strstr(d.msg, env("RELAYER_KEY") + 2));

	opts(&lo, kp, sizeof(kp));
	lo.expected_chain_id = 8453;
	ck_assert_int_eq(x402_settler_new_local(&s, ctx, &lo, &d),
	    X402_ERR_CHAIN);
	ck_assert_ptr_null(s);

	/* A port nobody listens on. */
	snprintf(cmd, sizeof(cmd), "node '%s/tests/chain/freeport.mjs'", top);
	ck_assert_int_eq(run_line(port, sizeof(port), cmd), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%.8s", port);
	opts(&lo, kp, sizeof(kp));
	lo.rpc_url = url;
	t0 = (uint64_t)time(NULL);
	r = x402_settler_new_local(&s, ctx, &lo, &d);
	ck_assert_int_eq(r, X402_ERR_NET);
	ck_assert_uint_le((uint64_t)time(NULL) - t0, 2);

	opts(&lo, kp, sizeof(kp));
	lo.state_dir = NULL;
	ck_assert_int_eq(x402_settler_new_local(&s, ctx, &lo, &d),
	    X402_ERR_INVAL);
}
END_TEST

/* Fees over the cap: nothing sent, X402_ERR_SETTLE. */
START_TEST(fee_cap)
{
	struct x402_local_opts lo;
	struct x402_settler *s;
	struct x402_settle_request rq;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	uint64_t sent = relayer_count("latest");
	char kp[600];

	opts(&lo, kp, sizeof(kp));
	x402_u256_set_u64(&lo.max_fee_per_gas_cap, 1);
	ck_assert_int_eq(x402_settler_new_local(&s, ctx, &lo, &d), 0);
	offer(&o);
	payment(&p, &o, "PAYER4_KEY", (uint64_t)time(NULL) + 300, NULL, NULL,
	    0);
	request(&rq, &p, &o);
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq), X402_ERR_SETTLE);
	ck_assert(!st.success);
	ck_assert_uint_eq(relayer_count("latest"), sent);
	ck_assert_int_eq(pending_records(), 0);
	x402_payment_free(&p);
	x402_settler_free(s);
}
END_TEST

/* ---- upto (Permit2) ------------------------------------------------------ */

#define UPTO_MAX 5000

static void
upto_offer(struct x402_offer *o)
{
	offer(o);
	o->scheme = X402_SCHEME_UPTO;
	x402_u256_set_u64(&o->amount, UPTO_MAX);
	o->has_facilitator = 1;
	ck_assert_int_eq(x402_addr_parse(o->facilitator, env("RELAYER"), 42),
	    0);
}

/*
 * A real upto payment (a Permit2 PermitWitnessTransferFrom for the
 * offer's maximum, the upto proxy as spender, witness {payTo, relayer,
 * 0}) signed with the key in env var keyname, as the official client
 * sends it.  nonce: 32 bytes big-endian, or NULL for a random one.
 */
static void
upto_payment(struct x402_payment *p, const struct x402_offer *o,
    const char *keyname, const uint8_t *nonce)
{
	struct x402_eip712_domain dom;
	struct x402_permit2 pm;
	struct json_object *acc;
	struct x402_detail d = { "" };
	uint8_t key[32], ds[32], sh[32], dg[32], sig[65], from[20], nb[32];
	char fr[43], tok[43], sp[43], to[43], fac[43], non[80], amt[80],
	    sigh[133], json[4096], b64[6000];
	uint64_t deadline = (uint64_t)time(NULL) + 300;
	size_t n;

	memset(&pm, 0, sizeof(pm));
	pm.upto = 1;
	tu_hex(key, sizeof(key), env(keyname));
	ck_assert_int_eq(x402_sig_key_address(ctx, from, key), 0);
	memcpy(pm.token, o->asset->address, 20);
	pm.amount = o->amount;
	memcpy(pm.spender, x402_upto_proxy_address, 20);
	if (nonce != NULL)
		memcpy(nb, nonce, 32);
	else
		ck_assert_int_eq(getrandom(nb, 32, 0), 32);
	x402_u256_from_be(&pm.nonce, nb);
	x402_u256_set_u64(&pm.deadline, deadline);
	memcpy(pm.witness_to, o->pay_to, 20);
	memcpy(pm.witness_facilitator, o->facilitator, 20);
	memset(&dom, 0, sizeof(dom));
	strcpy(dom.name, "Permit2");
	dom.chain_id = o->net->chain_id;
	memcpy(dom.verifying_contract, x402_permit2_address, 20);
	x402_eip712_domain_separator(ds, &dom);
	x402_eip712_permit2_hash(sh, &pm);
	x402_eip712_digest(dg, ds, sh);
	ck_assert_int_eq(x402_sig_sign(ctx, sig, dg, key), 0);
	x402_wipe(key, sizeof(key));
	x402_addr_format(fr, from);
	x402_addr_format(tok, pm.token);
	x402_addr_format(sp, pm.spender);
	x402_addr_format(to, pm.witness_to);
	x402_addr_format(fac, pm.witness_facilitator);
	ck_assert_int_ge(x402_u256_format_dec(non, sizeof(non), &pm.nonce), 0);
	ck_assert_int_ge(x402_u256_format_dec(amt, sizeof(amt), &pm.amount),
	    0);
	(void)x402_hex_encode(sigh, sizeof(sigh), sig, 65,
	    X402_HEX_PREFIX_REQUIRED);
	ck_assert_int_eq(x402_offer_v2_json(&acc, o), 0);
	snprintf(json, sizeof(json), "{\"x402Version\":2,\"payload\":"
	    "{\"signature\":\"%s\",\"permit2Authorization\":{\"from\":\"%s\","
	    "\"permitted\":{\"token\":\"%s\",\"amount\":\"%s\"},\"spender\":"
	    "\"%s\",\"nonce\":\"%s\",\"deadline\":\"%llu\",\"witness\":"
	    "{\"to\":\"%s\",\"facilitator\":\"%s\",\"validAfter\":\"0\"}}},"
	    "\"resource\":{\"url\":\"http://127.0.0.1/tts\",\"description\":"
	    "\"\",\"mimeType\":\"\"},\"accepted\":%s}", sigh, fr, tok, amt, sp,
	    non, (unsigned long long)deadline, to, fac,
	    json_object_to_json_string_ext(acc, JSON_C_TO_STRING_PLAIN));
	json_object_put(acc);
	ck_assert_int_eq(x402_base64_encode(b64, sizeof(b64), &n,
	    (uint8_t *)json, strlen(json)), 0);
	ck_assert_msg(x402_payment_decode(p, &d, b64, n) == 0, "%s", d.msg);
}

static void
upto_request(struct x402_settle_request *r, const struct x402_payment *p,
    const struct x402_offer *o, int has_amount, uint64_t amount)
{
	request(r, p, o);
	r->has_amount = has_amount;
	x402_u256_set_u64(&r->amount, amount);
}

/* eth_sendTransaction from an anvil account (unlocked) with calldata. */
static void
send_from(const char *who, const char *to, const char *data, int mined)
{
	static struct x402_rpc_receipt rc;
	struct x402_rpc *c = rpc();
	struct x402_detail d = { "" };
	json_object *res = NULL;
	char params[1024];
	uint8_t h[32];
	int i;

	snprintf(params, sizeof(params), "[{\"from\":\"%s\",\"to\":\"%s\","
	    "\"data\":\"%s\"}]", env(who), to, data);
	ck_assert_msg(x402_rpc_call(c, &res, "eth_sendTransaction", params,
	    &d) == 0, "eth_sendTransaction: %s", d.msg);
	ck_assert(res != NULL && json_object_is_type(res, json_type_string));
	ck_assert_int_eq(x402_hex_decode_exact(h, 32,
	    json_object_get_string(res), strlen(json_object_get_string(res))),
	    0);
	json_object_put(res);
	/* anvil mines in the background: wait until the block is there, so
	 * the next read sees the transaction (mined = 0: automine is off). */
	for (i = 0; mined && i < 200 * (int)tu_scale(); i++) {
		ck_assert_int_eq(x402_rpc_get_transaction_receipt(c, &rc, h,
		    &d), 0);
		if (rc.found)
			break;
		usleep(50000);
	}
	ck_assert_msg(!mined || rc.found, "%s's transaction was not mined",
	    who);
	ck_assert(!mined || rc.status == 1);
	x402_rpc_free(c);
}

/* Permit2.invalidateUnorderedNonces(nonce >> 8, 1 << (nonce & 0xff)) sent
 * by `who`: the nonce is used without any transfer. */
static void
burn_nonce(const char *who, const uint8_t nonce[32], int mined)
{
	uint8_t cd[4 + 64];
	char hex[2 * sizeof(cd) + 3], p2[43];
	unsigned bit = nonce[31];

	memset(cd, 0, sizeof(cd));
	cd[0] = 0x3f; cd[1] = 0xf9; cd[2] = 0xdc; cd[3] = 0xb1;
	memcpy(cd + 4 + 1, nonce, 31);		/* wordPos = nonce >> 8 */
	cd[4 + 63 - bit / 8] = (uint8_t)(1u << (bit % 8));
	(void)x402_hex_encode(hex, sizeof(hex), cd, sizeof(cd),
	    X402_HEX_PREFIX_REQUIRED);
	x402_addr_format(p2, x402_permit2_address);
	send_from(who, p2, hex, mined);
}

/* The metered amount moves, once; the relayer is the only sender. */
START_TEST(upto_settles_the_metered_amount)
{
	struct x402_settler *s = settler(1, 0);
	struct x402_settle_request rq;
	struct x402_verify_result vr;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	uint8_t relayer[20], want[20];
	uint64_t payer0, payto0, sent, v;

	ck_assert_int_eq(x402_local_relayer(s, relayer), 0);
	ck_assert_int_eq(x402_addr_parse(want, env("RELAYER"), 42), 0);
	ck_assert_mem_eq(relayer, want, 20);
	upto_offer(&o);
	upto_payment(&p, &o, "PAYER_KEY", NULL);
	upto_request(&rq, &p, &o, 1, 220);
	payer0 = balance("PAYER");
	payto0 = balance("PAYTO");
	sent = relayer_count("latest");

	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert_msg(vr.valid, "verify: %s", vr.reason);
	ck_assert_msg(x402_settler_settle(s, &st, &d, &rq) == 0, "%s", d.msg);
	ck_assert_msg(st.success, "settle: %s", st.error_reason);
	assert_txhash(st.transaction);
	ck_assert(st.has_amount);
	ck_assert(x402_u256_get_u64(&st.amount, &v));
	ck_assert_uint_eq(v, 220);
	ck_assert_str_eq(st.network, "eip155:84532");
	ck_assert_int_eq(strcasecmp(st.payer, env("PAYER")), 0);
	ck_assert_uint_eq(balance("PAYER"), payer0 - 220);
	ck_assert_uint_eq(balance("PAYTO"), payto0 + 220);
	ck_assert_uint_eq(relayer_count("latest"), sent + 1);
	ck_assert_int_eq(pending_records(), 0);

	/* Replayed: the Permit2 nonce is used; a verdict, nothing sent. */
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq), 0);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_PERMIT2_NONCE);
	ck_assert_str_eq(st.transaction, "");
	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert(!vr.valid);
	ck_assert_str_eq(vr.reason, X402_R_PERMIT2_NONCE);
	ck_assert_uint_eq(relayer_count("latest"), sent + 1);
	ck_assert_uint_eq(balance("PAYTO"), payto0 + 220);
	x402_payment_free(&p);
	x402_settler_free(s);
}
END_TEST

/* Zero sends nothing; above the maximum is refused; no amount = the max. */
START_TEST(upto_zero_over_and_default)
{
	struct x402_settler *s = settler(1, 0);
	struct x402_settle_request rq;
	struct x402_settlement st;
	struct x402_payment p, p2;
	struct x402_offer o;
	struct x402_detail d = { "" };
	uint64_t payto0, sent, v;

	upto_offer(&o);
	upto_payment(&p, &o, "PAYER2_KEY", NULL);
	payto0 = balance("PAYTO");
	sent = relayer_count("latest");

	upto_request(&rq, &p, &o, 1, 0);
	ck_assert_msg(x402_settler_settle(s, &st, &d, &rq) == 0, "%s", d.msg);
	ck_assert_msg(st.success, "%s", st.error_reason);
	ck_assert_str_eq(st.transaction, "");
	ck_assert(st.has_amount);
	ck_assert(x402_u256_is_zero(&st.amount));
	ck_assert_uint_eq(relayer_count("latest"), sent);

	upto_request(&rq, &p, &o, 1, UPTO_MAX + 1);
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq), 0);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_UPTO_EXCEEDS);
	ck_assert_str_eq(st.transaction, "");
	ck_assert_uint_eq(relayer_count("latest"), sent);
	ck_assert_uint_eq(balance("PAYTO"), payto0);

	/* The same authorization, not consumed by either: the maximum. */
	upto_request(&rq, &p, &o, 0, 0);
	ck_assert_msg(x402_settler_settle(s, &st, &d, &rq) == 0, "%s", d.msg);
	ck_assert_msg(st.success, "%s", st.error_reason);
	ck_assert(x402_u256_get_u64(&st.amount, &v));
	ck_assert_uint_eq(v, UPTO_MAX);
	ck_assert_uint_eq(balance("PAYTO"), payto0 + UPTO_MAX);

	/* A witness naming another facilitator: refused offline. */
	ck_assert_int_eq(x402_addr_parse(o.facilitator, env("PAYTO2"), 42), 0);
	upto_payment(&p2, &o, "PAYER2_KEY", NULL);
	ck_assert_int_eq(x402_addr_parse(o.facilitator, env("RELAYER"), 42), 0);
	upto_request(&rq, &p2, &o, 1, 10);
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq), 0);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_UPTO_FACILITATOR);
	x402_payment_free(&p);
	x402_payment_free(&p2);
	x402_settler_free(s);
}
END_TEST

/* Balance short, no Permit2 allowance, nonce already used: verify and
 * settle give the official reasons and send nothing. */
START_TEST(upto_chain_refusals)
{
	struct x402_settler *s = settler(1, 0);
	struct x402_settle_request rq;
	struct x402_verify_result vr;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	uint8_t nonce[32], mint[4 + 64], me[20];
	char hex[2 * sizeof(mint) + 3];
	uint64_t sent;

	upto_offer(&o);
	sent = relayer_count("latest");

	/* No tokens (UNFUNDED): the balance first, as the official order. */
	upto_payment(&p, &o, "UNFUNDED_KEY", NULL);
	upto_request(&rq, &p, &o, 1, 100);
	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert(!vr.valid);
	ck_assert_str_eq(vr.reason, X402_R_PERMIT2_BALANCE);
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq), 0);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_PERMIT2_BALANCE);
	x402_payment_free(&p);

	/* Tokens but no allowance to Permit2 (DEPLOYER, minted here). */
	memset(mint, 0, sizeof(mint));
	mint[0] = 0x40; mint[1] = 0xc1; mint[2] = 0x0f; mint[3] = 0x19;
	ck_assert_int_eq(x402_addr_parse(me, env("DEPLOYER"), 42), 0);
	memcpy(mint + 4 + 12, me, 20);
	mint[4 + 63] = 0x40; mint[4 + 62] = 0x42; mint[4 + 61] = 0x0f;
	(void)x402_hex_encode(hex, sizeof(hex), mint, sizeof(mint),
	    X402_HEX_PREFIX_REQUIRED);
	send_from("DEPLOYER", env("USDC"), hex, 1);
	ck_assert_uint_eq(balance("DEPLOYER"), 1000000);
	upto_payment(&p, &o, "DEPLOYER_KEY", NULL);
	upto_request(&rq, &p, &o, 1, 100);
	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert(!vr.valid);
	ck_assert_str_eq(vr.reason, X402_R_PERMIT2_ALLOWANCE);
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq), 0);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_PERMIT2_ALLOWANCE);
	x402_payment_free(&p);

	/* The nonce burned by the payer (bit 0xa7 of a non-zero word). */
	ck_assert_int_eq(getrandom(nonce, 32, 0), 32);
	nonce[31] = 0xa7;
	burn_nonce("PAYER2", nonce, 1);
	upto_payment(&p, &o, "PAYER2_KEY", nonce);
	upto_request(&rq, &p, &o, 1, 100);
	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert(!vr.valid);
	ck_assert_str_eq(vr.reason, X402_R_PERMIT2_NONCE);
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq), 0);
	ck_assert(!st.success);
	ck_assert_str_eq(st.error_reason, X402_R_PERMIT2_NONCE);
	x402_payment_free(&p);
	/* Its neighbour bit is still free. */
	nonce[31] = 0xa6;
	upto_payment(&p, &o, "PAYER2_KEY", nonce);
	upto_request(&rq, &p, &o, 1, 100);
	ck_assert_int_eq(x402_settler_verify(s, &vr, &d, &rq), 0);
	ck_assert_msg(vr.valid, "%s", vr.reason);
	x402_payment_free(&p);

	ck_assert_uint_eq(relayer_count("latest"), sent);
	ck_assert_int_eq(pending_records(), 0);
	x402_settler_free(s);
}
END_TEST

/* Reads the one journal record into buf. */
static void
read_record(char *buf, size_t cap)
{
	char path[700];
	struct dirent *de;
	DIR *dir;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/pending", state);
	ck_assert_ptr_nonnull(dir = opendir(path));
	while ((de = readdir(dir)) != NULL && de->d_name[0] == '.')
		;
	ck_assert_ptr_nonnull(de);
	snprintf(path, sizeof(path), "%s/pending/%s", state, de->d_name);
	closedir(dir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* The node stops answering with receipts mid-way (unmined): PENDING, a
 * Permit2 journal record; reconcile settles it once it is mined. */
START_TEST(upto_pending_then_reconciled)
{
	struct x402_local_opts lo;
	struct x402_settler *s;
	struct x402_settle_request rq;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	struct seen sn = { 0, 0, { 0 }, -1 };
	uint64_t payer0, payto0;
	char kp[600], txh[67], rec[8192];
	int r;

	opts(&lo, kp, sizeof(kp));
	lo.receipt_timeout_ms = 600;
	lo.poll_ms = 100;
	ck_assert_int_eq(x402_settler_new_local(&s, ctx, &lo, &d), 0);
	upto_offer(&o);
	upto_payment(&p, &o, "PAYER3_KEY", NULL);
	upto_request(&rq, &p, &o, 1, 300);
	payer0 = balance("PAYER3");
	payto0 = balance("PAYTO");

	rpc_do("evm_setAutomine", "[false]");
	r = x402_settler_settle(s, &st, &d, &rq);
	ck_assert_msg(r == X402_ERR_PENDING, "%d %s", r, d.msg);
	ck_assert(!st.success);
	assert_txhash(st.transaction);
	snprintf(txh, sizeof(txh), "%s", st.transaction);
	ck_assert_int_eq(pending_records(), 1);
	read_record(rec, sizeof(rec));
	ck_assert_msg(strncmp(rec, "version x402-local-pending-v2\n"
	    "method permit2\n", 45) == 0, "%s", rec);
	ck_assert_ptr_nonnull(strstr(rec, "\nvalue 300\n"));

	/* The same authorization again: refused at once, nothing sent. */
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq),
	    X402_ERR_PENDING);
	ck_assert_int_eq(x402_local_reconcile(s, &d, 0, on_record, &sn), 0);
	ck_assert_int_eq(sn.n, 1);
	ck_assert_int_eq(sn.last, X402_LOCAL_INFLIGHT);

	rpc_do("evm_mine", "[]");
	rpc_do("evm_setAutomine", "[true]");
	sn.n = 0;
	ck_assert_msg(x402_local_reconcile(s, &d, 0, on_record, &sn) == 0,
	    "%s", d.msg);
	ck_assert_int_eq(sn.n, 1);
	ck_assert_int_eq(sn.last, X402_LOCAL_SETTLED);
	ck_assert_int_eq(sn.permit2, 1);
	tu_assert_hex(sn.tx, 32, txh);
	ck_assert_int_eq(pending_records(), 0);
	ck_assert_uint_eq(balance("PAYER3"), payer0 - 300);
	ck_assert_uint_eq(balance("PAYTO"), payto0 + 300);
	x402_payment_free(&p);
	x402_settler_free(s);
}
END_TEST

/* A pending Permit2 transaction the node lost, and the nonce used since
 * (the payer burned it): reconcile reads Permit2's nonceBitmap, not
 * authorizationState, and reports OTHER without resending. */
START_TEST(upto_lost_and_used_elsewhere)
{
	struct x402_local_opts lo;
	struct x402_settler *s;
	struct x402_settle_request rq;
	struct x402_settlement st;
	struct x402_payment p;
	struct x402_offer o;
	struct x402_detail d = { "" };
	struct seen sn = { 0, 0, { 0 }, -1 };
	uint8_t nonce[32];
	uint64_t payto0;
	char kp[600], params[80];

	opts(&lo, kp, sizeof(kp));
	lo.receipt_timeout_ms = 300;
	lo.poll_ms = 100;
	ck_assert_int_eq(x402_settler_new_local(&s, ctx, &lo, &d), 0);
	upto_offer(&o);
	ck_assert_int_eq(getrandom(nonce, 32, 0), 32);
	upto_payment(&p, &o, "PAYER4_KEY", nonce);
	upto_request(&rq, &p, &o, 1, 400);
	payto0 = balance("PAYTO");

	rpc_do("evm_setAutomine", "[false]");
	ck_assert_int_eq(x402_settler_settle(s, &st, &d, &rq),
	    X402_ERR_PENDING);
	snprintf(params, sizeof(params), "[\"%.66s\"]", st.transaction);
	rpc_do("anvil_dropTransaction", params);
	burn_nonce("PAYER4", nonce, 0);
	rpc_do("evm_mine", "[]");
	rpc_do("evm_setAutomine", "[true]");
	ck_assert_msg(x402_local_reconcile(s, &d, 0, on_record, &sn) == 0,
	    "%s", d.msg);
	ck_assert_int_eq(sn.n, 1);
	ck_assert_int_eq(sn.last, X402_LOCAL_OTHER);
	ck_assert_int_eq(pending_records(), 0);
	ck_assert_uint_eq(balance("PAYTO"), payto0);
	x402_payment_free(&p);
	x402_settler_free(s);
}
END_TEST

static Suite *
local_suite(void)
{
	Suite *s = suite_create("settle_local");
	TCase *tc = tcase_create("chain");

	tcase_add_unchecked_fixture(tc, chain_up, chain_down);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, good_payment_settles_once);
	tcase_add_test(tc, offline_refusals);
	tcase_add_test(tc, unfunded_payer);
	tcase_add_test(tc, reverted_transaction_is_a_verdict);
	tcase_add_test(tc, used_first_by_another_is_paid);
	tcase_add_test(tc, concurrent_workers_share_the_nonce);
	tcase_add_test(tc, pending_then_reconciled);
	tcase_add_test(tc, dropped_tx_is_rebroadcast);
	tcase_add_test(tc, construction_refusals);
	tcase_add_test(tc, fee_cap);
	tcase_add_test(tc, upto_settles_the_metered_amount);
	tcase_add_test(tc, upto_zero_over_and_default);
	tcase_add_test(tc, upto_chain_refusals);
	tcase_add_test(tc, upto_pending_then_reconciled);
	tcase_add_test(tc, upto_lost_and_used_elsewhere);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *anvil = getenv("X402_ANVIL"), *t = getenv("X402_TOP");
	SRunner *sr;
	int failed;

	if (anvil == NULL || anvil[0] == '\0' || t == NULL || t[0] == '\0' ||
	    system("node --version >/dev/null 2>&1") != 0) {
		printf("SKIP: set X402_ANVIL and X402_TOP and install node to "
		    "run the local settlement tests on a chain\n");
		return 77;
	}
	snprintf(top, sizeof(top), "%s", t);
	if (x402_http_global_init() != 0)
		return EXIT_FAILURE;
	sr = srunner_create(local_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	x402_http_global_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
