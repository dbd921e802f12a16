/*
 * approve.c - `x402 approve`: the payer lets canonical Permit2 move its
 * tokens (ERC-20 approve(PERMIT2, amount)), which the upto scheme needs
 * (notes §8.1), sent as the payer's own EIP-1559 transaction over
 * JSON-RPC; and the on-chain look-ups `x402 pay` makes before it signs an
 * upto payment (balance, allowance).
 *
 * An unlimited approval (2^256 - 1) is refused unless --unlimited says so;
 * --amount 0 revokes.  The RPC URL may carry an API key: it is never
 * printed.
 */
#include "autoconfig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define POLL_MS		200	/* receipt polling interval */

/* Exit code of an RPC failure, after printing it. */
static int
rpc_error(const char *what, int e, const struct x402_detail *d)
{
	cli_err("%s: %s", what, d->msg[0] ? d->msg : x402_strerror(e));
	return e == X402_ERR_NET || e == X402_ERR_TIMEOUT ? CLI_TRANSPORT :
	    CLI_OTHER;
}

int
cli_rpc_open(struct x402_rpc **out, const char *url, const char *proxy,
    long timeout_s, uint64_t chain_id)
{
	struct x402_http_opts ho;
	struct x402_detail d = { "" };
	uint64_t got;
	int e;

	*out = NULL;
	if (url == NULL)
		url = getenv("X402_RPC_URL");
	if (url == NULL || url[0] == '\0')
		return CLI_OK;
	memset(&ho, 0, sizeof(ho));
	ho.proxy = proxy;
	ho.timeout_ms = timeout_s * 1000;
	if ((e = x402_rpc_new(out, url, &ho, &d)) != 0) {
		cli_err("--rpc: %s", d.msg[0] ? d.msg : x402_strerror(e));
		return CLI_USAGE;
	}
	if ((e = x402_rpc_chain_id(*out, &got, &d)) != 0) {
		x402_rpc_free(*out);
		*out = NULL;
		return rpc_error("--rpc: eth_chainId", e, &d);
	}
	if (got != chain_id) {
		cli_err("--rpc serves chain %llu, the payment is on chain %llu",
		    (unsigned long long)got, (unsigned long long)chain_id);
		x402_rpc_free(*out);
		*out = NULL;
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* One uint256 view call to token; an exit code. */
static int
token_call(struct x402_rpc *rpc, x402_u256 *v, const uint8_t token[20],
    const struct x402_buf *call, const char *what)
{
	struct x402_detail d = { "" };
	struct x402_buf ret;
	int e;

	x402_buf_init(&ret, 4096);
	e = x402_rpc_eth_call(rpc, &ret, token, (const uint8_t *)call->p,
	    call->len, NULL, &d);
	if (e == 0 && x402_abi_decode_uint256(v, (const uint8_t *)ret.p,
	    ret.len) != 0) {
		x402_buf_free(&ret);
		cli_err("%s: not a uint256 reply (is the asset a token on this "
		    "chain?)", what);
		return CLI_OTHER;
	}
	x402_buf_free(&ret);
	return e == 0 ? CLI_OK : rpc_error(what, e, &d);
}

int
cli_token_state(struct x402_rpc *rpc, x402_u256 *balance,
    x402_u256 *allowance, const uint8_t token[X402_ADDR_LEN],
    const uint8_t owner[X402_ADDR_LEN], const uint8_t spender[X402_ADDR_LEN])
{
	struct x402_buf call;
	int rc = CLI_OTHER;

	x402_buf_init(&call, 128);
	if (balance != NULL) {
		if (x402_abi_balance_of(&call, owner) != 0 ||
		    (rc = token_call(rpc, balance, token, &call,
		    "balanceOf")) != CLI_OK)
			goto out;
		x402_buf_reset(&call);
	}
	if (allowance != NULL) {
		if (x402_abi_allowance(&call, owner, spender) != 0 ||
		    (rc = token_call(rpc, allowance, token, &call,
		    "allowance")) != CLI_OK)
			goto out;
	}
	rc = CLI_OK;
 out:
	x402_buf_free(&call);
	return rc;
}

/* "1000000 (1 USDC)", or "unlimited". */
static void
fmt_tokens(char *out, size_t cap, const x402_u256 *v,
    const struct x402_asset *a)
{
	char n[X402_U256_DECLEN + 1], t[X402_PRICE_FMTLEN];
	x402_u256 max;

	memset(&max, 0xff, sizeof(max));
	if (x402_u256_cmp(v, &max) == 0) {
		snprintf(out, cap, "unlimited");
		return;
	}
	(void)x402_u256_format_dec(n, sizeof(n), v);
	if (x402_price_format(t, sizeof(t), v, a->decimals) >= 0)
		snprintf(out, cap, "%s (%s %s)", n, t, a->symbol);
	else
		snprintf(out, cap, "%s", n);
}

/*
 * Signs and sends approve(PERMIT2, amount) from the key's address, then
 * waits up to wait_s for the receipt.  An exit code.  Out: txhash.
 */
static int
send_approve(struct x402_rpc *rpc, const struct x402_sig_ctx *ctx,
    uint8_t txhash[32], const uint8_t key[X402_SECKEY_LEN],
    const uint8_t from[X402_ADDR_LEN], const struct x402_network *net,
    const struct x402_asset *a, const x402_u256 *amount, long wait_s)
{
	struct x402_detail d = { "" };
	struct x402_buf data, raw;
	struct x402_tx1559 tx;
	struct x402_rpc_receipt *rc = NULL;
	x402_u256 prio, fee;
	uint64_t gas, nonce;
	char h[67];
	time_t end;
	int e, ret = CLI_OTHER;

	x402_buf_init(&data, 256);
	x402_buf_init(&raw, 4096);
	memset(&tx, 0, sizeof(tx));
	if (x402_abi_approve(&data, x402_permit2_address, amount) != 0)
		goto out;
	if ((e = x402_rpc_estimate_gas(rpc, &gas, from, a->address,
	    (const uint8_t *)data.p, data.len, &d)) != 0) {
		ret = rpc_error("approve would fail (eth_estimateGas)", e, &d);
		goto out;
	}
	if ((e = x402_rpc_get_transaction_count(rpc, &nonce, from, "pending",
	    &d)) != 0 || (e = x402_rpc_suggest_fees(rpc, &fee, &prio,
	    &d)) != 0) {
		ret = rpc_error("nonce and fees", e, &d);
		goto out;
	}
	tx.chain_id = net->chain_id;
	tx.nonce = nonce;
	tx.max_priority_fee_per_gas = prio;
	tx.max_fee_per_gas = fee;
	tx.gas_limit = gas + gas / 4 + 10000;
	memcpy(tx.to, a->address, X402_ADDR_LEN);
	tx.data = (const uint8_t *)data.p;
	tx.data_len = data.len;
	if ((e = x402_tx_sign(ctx, &raw, txhash, &tx, key)) != 0) {
		cli_err("signing the transaction: %s", x402_strerror(e));
		goto out;
	}
	if ((e = x402_rpc_send_raw_transaction(rpc, txhash,
	    (const uint8_t *)raw.p, raw.len, &d)) != 0) {
		ret = rpc_error("eth_sendRawTransaction", e, &d);
		goto out;
	}
	(void)x402_hex_encode(h, sizeof(h), txhash, 32,
	    X402_HEX_PREFIX_REQUIRED);
	printf("tx %s\n", h);
	fflush(stdout);
	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		goto out;
	for (end = time(NULL) + wait_s;; usleep(POLL_MS * 1000)) {
		if ((e = x402_rpc_get_transaction_receipt(rpc, rc, txhash,
		    &d)) != 0) {
			ret = rpc_error("eth_getTransactionReceipt", e, &d);
			goto out;
		}
		if (rc->found)
			break;
		if (time(NULL) >= end) {
			cli_err("no receipt for %s after %ld s: it may still be "
			    "mined; look it up before sending another", h,
			    wait_s);
			ret = CLI_TRANSPORT;
			goto out;
		}
	}
	if (!rc->status) {
		cli_err("the approve transaction %s reverted", h);
		ret = CLI_REJECTED;
		goto out;
	}
	printf("mined in block %llu\n", (unsigned long long)rc->block_number);
	ret = CLI_OK;
 out:
	free(rc);
	x402_buf_free(&data);
	x402_buf_free(&raw);
	return ret;
}

int
cmd_approve(int argc, char **argv)
{
	enum { O_KEY = 256, O_RPC, O_NETWORK, O_ASSET, O_AMOUNT, O_UNLIMITED,
	    O_PROXY, O_NETWORKS };
	static const struct option lo[] = {
		{ "key", required_argument, NULL, O_KEY },
		{ "rpc", required_argument, NULL, O_RPC },
		{ "network", required_argument, NULL, O_NETWORK },
		{ "asset", required_argument, NULL, O_ASSET },
		{ "amount", required_argument, NULL, O_AMOUNT },
		{ "unlimited", no_argument, NULL, O_UNLIMITED },
		{ "proxy", required_argument, NULL, O_PROXY },
		{ "networks", required_argument, NULL, O_NETWORKS },
		{ "max-time", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	const char *keyfile = NULL, *rpcurl = NULL, *netname = NULL;
	const char *asset = NULL, *amount = NULL, *proxy = NULL, *conf = NULL;
	struct x402_networks *t = NULL;
	const struct x402_network *net;
	const struct x402_asset *a;
	struct x402_sig_ctx *ctx = NULL;
	struct x402_rpc *rpc = NULL;
	struct x402_detail d = { "" };
	uint8_t key[X402_SECKEY_LEN], from[X402_ADDR_LEN], txh[32];
	char who[X402_ADDR_STRLEN + 1], txt[200];
	x402_u256 value, bal, allow, max;
	long wait_s = 60;
	int c, unlimited = 0, rc = CLI_USAGE, http_up = 0;
	char *end;

	memset(key, 0, sizeof(key));
	memset(&max, 0xff, sizeof(max));
	while ((c = getopt_long(argc, argv, "m:", lo, NULL)) != -1) {
		switch (c) {
		case O_KEY: keyfile = optarg; break;
		case O_RPC: rpcurl = optarg; break;
		case O_NETWORK: netname = optarg; break;
		case O_ASSET: asset = optarg; break;
		case O_AMOUNT: amount = optarg; break;
		case O_UNLIMITED: unlimited = 1; break;
		case O_PROXY: proxy = optarg; break;
		case O_NETWORKS: conf = optarg; break;
		case 'm':
			wait_s = strtol(optarg, &end, 10);
			if (*end != '\0' || wait_s < 1 || wait_s > 600) {
				cli_err("-m: 1..600 seconds");
				goto out;
			}
			break;
		default: goto out;
		}
	}
	if (optind != argc || netname == NULL ||
	    (amount == NULL) == (unlimited == 0)) {
		cli_err("usage: x402 approve --key FILE --rpc URL --network N "
		    "[--asset A] (--amount PRICE | --unlimited)");
		goto out;
	}
	if (rpcurl == NULL && (rpcurl = getenv("X402_RPC_URL")) == NULL) {
		cli_err("approve: --rpc URL (or X402_RPC_URL) is required");
		goto out;
	}
	if ((rc = cli_networks(&t, conf)) != 0) {
		rc = CLI_OTHER;
		goto out;
	}
	rc = CLI_USAGE;
	if ((net = x402_networks_find(t, netname)) == NULL) {
		cli_err("--network: unknown network \"%s\"", cli_safe(netname));
		goto out;
	}
	if ((a = asset != NULL ? x402_network_asset(net, asset) :
	    &net->assets[0]) == NULL || net->nassets == 0) {
		cli_err("--asset: \"%s\" is not an asset of %s (networks.conf "
		    "adds one)", asset ? cli_safe(asset) : "", net->caip2);
		goto out;
	}
	if (unlimited)
		value = max;
	else {
		if (amount[0] == '$' && !a->usd) {
			cli_err("--amount in dollars, but %s is not known to "
			    "be dollar-pegged", a->symbol);
			goto out;
		}
		if (x402_price_parse(&value, &d, amount, strlen(amount),
		    a->decimals, a->symbol) != 0) {
			cli_err("--amount: %s", d.msg);
			goto out;
		}
		if (x402_u256_cmp(&value, &max) == 0) {
			cli_err("--amount is the unlimited value: say "
			    "--unlimited if that is what you mean");
			goto out;
		}
	}
	if ((rc = x402_sig_ctx_new(&ctx)) != 0) {
		cli_err("%s", x402_strerror(rc));
		rc = CLI_OTHER;
		goto out;
	}
	if ((rc = cli_key_load(ctx, key, from, keyfile, "approve")) != CLI_OK)
		goto out;
	rc = CLI_OTHER;
	if (x402_http_global_init() != 0) {
		cli_err("cannot initialise libcurl");
		goto out;
	}
	http_up = 1;
	if ((rc = cli_rpc_open(&rpc, rpcurl, proxy, 30, net->chain_id)) !=
	    CLI_OK)
		goto out;
	if ((rc = cli_token_state(rpc, &bal, &allow, a->address, from,
	    x402_permit2_address)) != CLI_OK)
		goto out;
	x402_addr_format(who, from);
	fmt_tokens(txt, sizeof(txt), &allow, a);
	printf("payer %s, %s on %s\n", who, a->symbol, net->caip2);
	printf("Permit2 allowance now %s\n", txt);
	fmt_tokens(txt, sizeof(txt), &value, a);
	printf("approving Permit2 (0x000000000022D473030F116dDEE9F6B43aC78BA3) "
	    "for %s\n", txt);
	fflush(stdout);
	if ((rc = send_approve(rpc, ctx, txh, key, from, net, a, &value,
	    wait_s)) != CLI_OK)
		goto out;
	if ((rc = cli_token_state(rpc, NULL, &allow, a->address, from,
	    x402_permit2_address)) != CLI_OK)
		goto out;
	fmt_tokens(txt, sizeof(txt), &allow, a);
	printf("Permit2 allowance %s\n", txt);
	rc = CLI_OK;
 out:
	x402_wipe(key, sizeof(key));
	x402_rpc_free(rpc);
	if (http_up)
		x402_http_global_cleanup();
	x402_sig_ctx_free(ctx);
	x402_networks_free(t);
	return rc;
}
