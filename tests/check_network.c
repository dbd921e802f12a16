/* check_network.c - the built-in table (notes §7.2) and networks.conf. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"
#include "testutil.h"

static const struct {
	const char *v1, *caip2;
	uint64_t chain_id;
	int testnet;
	const char *address;	/* EIP-55, from notes §7.2 */
	unsigned decimals;
	const char *name, *version, *explorer;
} rows[] = {
	{ "base", "eip155:8453", 8453, 0,
	  "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", 6, "USD Coin", "2",
	  "https://basescan.org/tx/" },
	{ "base-sepolia", "eip155:84532", 84532, 1,
	  "0x036CbD53842c5426634e7929541eC2318f3dCF7e", 6, "USDC", "2",
	  "https://sepolia.basescan.org/tx/" },
	{ "polygon", "eip155:137", 137, 0,
	  "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", 6, "USD Coin", "2",
	  "https://polygonscan.com/tx/" },
	{ "avalanche", "eip155:43114", 43114, 0,
	  "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E", 6, "USD Coin", "2",
	  "https://snowtrace.io/tx/" },
	{ "monad", "eip155:143", 143, 0,
	  "0x754704Bc059F8C67012fEd69BC8A327a5aafb603", 6, "USDC", "2", "" },
	{ "megaeth", "eip155:4326", 4326, 0,
	  "0xFAfDdbb3FC7688494971a79cc65DCa3EF82079E7", 18, "MegaUSD", "1",
	  "" },
};

START_TEST(builtin_rows)
{
	const struct x402_network *n, *m;
	const struct x402_asset *a;
	struct x402_networks *t;
	char addr[X402_ADDR_STRLEN + 1];

	ck_assert_int_eq(x402_networks_new(&t), 0);
	n = x402_networks_find(t, rows[_i].v1);
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(n->v1_name, rows[_i].v1);
	ck_assert_str_eq(n->caip2, rows[_i].caip2);
	ck_assert_uint_eq(n->chain_id, rows[_i].chain_id);
	ck_assert_int_eq(n->testnet, rows[_i].testnet);
	ck_assert_str_eq(n->explorer_tx, rows[_i].explorer);
	/* CAIP-2 and chain id find the same row. */
	m = x402_networks_find(t, rows[_i].caip2);
	ck_assert_ptr_eq(m, n);
	ck_assert_ptr_eq(x402_networks_find_chain(t, rows[_i].chain_id), n);
	a = x402_network_asset(n, NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(x402_network_asset(n, ""), a);
	x402_addr_format(addr, a->address);
	ck_assert_str_eq(addr, rows[_i].address);
	ck_assert_uint_eq(a->decimals, rows[_i].decimals);
	ck_assert_str_eq(a->eip712_name, rows[_i].name);
	ck_assert_str_eq(a->eip712_version, rows[_i].version);
	ck_assert_int_eq(a->usd, 1);
	ck_assert_int_eq(a->transfer, rows[_i].decimals == 18 ?
	    X402_TRANSFER_PERMIT2 : X402_TRANSFER_EIP3009);
	x402_networks_free(t);
}
END_TEST

START_TEST(lookups)
{
	const struct x402_network *n;
	const struct x402_asset *a;
	struct x402_networks *t;
	size_t i, j;

	ck_assert_int_eq(x402_networks_new(&t), 0);
	ck_assert_ptr_null(x402_networks_find(t, "solana"));
	ck_assert_ptr_null(x402_networks_find(t, "Base"));
	ck_assert_ptr_null(x402_networks_find(t, "base "));
	ck_assert_ptr_null(x402_networks_find(t, "eip155:84533"));
	ck_assert_ptr_null(x402_networks_find(t, "8453"));
	ck_assert_ptr_null(x402_networks_find(t, ""));
	ck_assert_ptr_null(x402_networks_find(t, NULL));
	ck_assert_ptr_null(x402_networks_find_chain(t, 31337));
	/* Networks without a v1 name: by CAIP-2 only. */
	n = x402_networks_find(t, "eip155:42161");
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq(n->v1_name, "");
	/* A v1 network without a listed asset. */
	n = x402_networks_find(t, "sepolia");
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(n->chain_id, 11155111);
	ck_assert_uint_eq(n->nassets, 0);
	ck_assert_ptr_null(x402_network_asset(n, NULL));
	/* Assets by symbol, address in any valid case. */
	n = x402_networks_find(t, "base");
	a = x402_network_asset(n, "USDC");
	ck_assert_ptr_eq(a, &n->assets[0]);
	ck_assert_ptr_null(x402_network_asset(n, "usdc"));
	ck_assert_ptr_null(x402_network_asset(n, "EURC"));
	ck_assert_ptr_eq(x402_network_asset(n,
	    "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"), a);
	ck_assert_ptr_eq(x402_network_asset(n,
	    "0x833589FCD6EDB6E08F4C7C32D4F71B54BDA02913"), a);
	ck_assert_ptr_eq(x402_network_asset(n,
	    "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"), a);
	ck_assert_ptr_null(x402_network_asset(n,	/* bad checksum */
	    "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02914"));
	ck_assert_ptr_null(x402_network_asset(n,	/* Base Sepolia's */
	    "0x036CbD53842c5426634e7929541eC2318f3dCF7e"));
	/* The table is consistent: unique names, CAIP-2 and chain ids. */
	ck_assert_uint_ge(x402_networks_count(t), 26);
	ck_assert_ptr_null(x402_networks_at(t, x402_networks_count(t)));
	for (i = 0; i < x402_networks_count(t); i++) {
		const struct x402_network *x = x402_networks_at(t, i);
		char want[32];

		snprintf(want, sizeof(want), "eip155:%llu",
		    (unsigned long long)x->chain_id);
		ck_assert_str_eq(x->caip2, want);
		for (j = i + 1; j < x402_networks_count(t); j++) {
			const struct x402_network *y = x402_networks_at(t, j);

			ck_assert_uint_ne(x->chain_id, y->chain_id);
			if (x->v1_name[0] != '\0')
				ck_assert_str_ne(x->v1_name, y->v1_name);
		}
	}
	x402_networks_free(t);
	x402_networks_free(NULL);
}
END_TEST

START_TEST(domain)
{
	const struct x402_network *n;
	struct x402_eip712_domain dom;
	struct x402_networks *t;

	ck_assert_int_eq(x402_networks_new(&t), 0);
	n = x402_networks_find(t, "base-sepolia");
	memset(&dom, 0xa5, sizeof(dom));
	x402_network_domain(&dom, n, x402_network_asset(n, NULL));
	ck_assert_str_eq(dom.name, "USDC");
	ck_assert_str_eq(dom.version, "2");
	ck_assert_int_eq(dom.has_version, 1);
	ck_assert_uint_eq(dom.chain_id, 84532);
	tu_assert_hex(dom.verifying_contract, 20,
	    "0x036cbd53842c5426634e7929541ec2318f3dcf7e");
	n = x402_networks_find(t, "base");
	x402_network_domain(&dom, n, x402_network_asset(n, "USDC"));
	ck_assert_str_eq(dom.name, "USD Coin");
	ck_assert_uint_eq(dom.chain_id, 8453);
	x402_networks_free(t);
}
END_TEST

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_network.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *
put(const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/networks.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

static const char good_conf[] =
    "[network local]\n"
    "chain_id = 31337\n"
    "testnet = yes\n"
    "explorer_tx = http://127.0.0.1:5100/tx/\n"
    "[asset local TOK]\n"
    "address = 0x5FbDB2315678afecb367f032d93F642f64180aa3\n"
    "decimals = 18\n"
    "eip712_name = Test Token\n"
    "eip712_version = 1\n"
    "[asset local USDC]\n"
    "address = 0xe7f1725e7734ce288f8367e1bb143e90bb3f0512\n"
    "decimals = 6\n"
    "eip712_name = USDC\n"
    "eip712_version = 2\n"
    "usd = yes\n"
    "default = yes\n"
    "[asset base-sepolia USDC]\n"
    "address = 0x0000000000000000000000000000000000000001\n"
    "decimals = 6\n"
    "eip712_name = USDC\n"
    "eip712_version = 2\n"
    "usd = yes\n"
    "[network base-sepolia]\n"
    "explorer_tx = https://example.org/tx/\n"
    "[asset base GLD]\n"
    "address = 0x0000000000000000000000000000000000000002\n"
    "decimals = 0\n"
    "eip712_name = Gold\n"
    "eip712_version = 1\n"
    "transfer = permit2\n";

START_TEST(load_good)
{
	const struct x402_network *n;
	const struct x402_asset *a;
	struct x402_networks *t;
	struct x402_detail d;
	size_t count;

	ck_assert_int_eq(x402_networks_new(&t), 0);
	count = x402_networks_count(t);
	ck_assert_msg(x402_networks_load(t, &d, put(good_conf)) == 0, "%s",
	    d.msg);
	ck_assert_uint_eq(x402_networks_count(t), count + 1);
	n = x402_networks_find(t, "local");
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_eq(x402_networks_find(t, "eip155:31337"), n);
	ck_assert_ptr_eq(x402_networks_find_chain(t, 31337), n);
	ck_assert_str_eq(n->caip2, "eip155:31337");
	ck_assert_int_eq(n->testnet, 1);
	ck_assert_str_eq(n->explorer_tx, "http://127.0.0.1:5100/tx/");
	ck_assert_uint_eq(n->nassets, 2);
	a = x402_network_asset(n, NULL);	/* default = yes moved it */
	ck_assert_str_eq(a->symbol, "USDC");
	ck_assert_int_eq(a->usd, 1);
	a = x402_network_asset(n, "TOK");
	ck_assert_ptr_eq(a, &n->assets[1]);
	ck_assert_uint_eq(a->decimals, 18);
	ck_assert_str_eq(a->eip712_name, "Test Token");
	ck_assert_int_eq(a->usd, 0);
	ck_assert_int_eq(a->transfer, X402_TRANSFER_EIP3009);
	ck_assert_ptr_eq(x402_network_asset(n,
	    "0x5fbdb2315678afecb367f032d93f642f64180aa3"), a);
	/* base-sepolia: token replaced in place, explorer overridden. */
	n = x402_networks_find(t, "base-sepolia");
	ck_assert_uint_eq(n->nassets, 1);
	tu_assert_hex(n->assets[0].address, 20,
	    "0x0000000000000000000000000000000000000001");
	ck_assert_str_eq(n->explorer_tx, "https://example.org/tx/");
	ck_assert_uint_eq(n->chain_id, 84532);
	ck_assert_int_eq(n->testnet, 1);
	/* base: a second asset, the default unchanged. */
	n = x402_networks_find(t, "base");
	ck_assert_uint_eq(n->nassets, 2);
	ck_assert_str_eq(x402_network_asset(n, NULL)->symbol, "USDC");
	a = x402_network_asset(n, "GLD");
	ck_assert_int_eq(a->transfer, X402_TRANSFER_PERMIT2);
	ck_assert_uint_eq(a->decimals, 0);
	x402_networks_free(t);
}
END_TEST

START_TEST(example_file)
{
	const struct x402_network *n;
	struct x402_networks *t;
	struct x402_detail d;
	char path[512];
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/etc/networks.conf",
	    top != NULL ? top : ".");
	ck_assert_int_eq(x402_networks_new(&t), 0);
	ck_assert_msg(x402_networks_load(t, &d, path) == 0, "%s", d.msg);
	n = x402_networks_find(t, "local");
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(n->chain_id, 31337);
	ck_assert_str_eq(x402_network_asset(n, NULL)->symbol, "USDC");
	x402_networks_free(t);
}
END_TEST

/* Bad files: the table must not change at all. */
static const struct {
	const char *text, *want;
} bad[] = {
	{ "[network local]\nchain_id = 31337\nrpc = http://x/\n",
	  ":3: [network local] rpc: unknown key" },
	{ "[asset base USDC]\n"
	  "address = 0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02914\n",
	  ":2: [asset base USDC] address: \"0x833589fCD6eDb6E08f4c7C32D4f71b54"
	  "bdA02914\": bad EIP-55 checksum" },
	{ "[asset base USDC]\naddress = 0x0000000000000000000000000000000000000"
	  "001\ndecimals = 78\n", ":3: [asset base USDC] decimals: \"78\": not "
	  "in 0..77" },
	{ "[network base]\ntestnet = yes\n[network local]\ntestnet = yes\n",
	  ":3: [network local] chain_id: missing (required for a new "
	  "network)" },
	{ "[network local]\nchain_id = 84532\n", ":2: [network local] "
	  "chain_id: chain id 84532 belongs to base-sepolia" },
	{ "[network local]\nchain_id = 31337\ncaip2 = eip155:31338\n",
	  ":3: [network local] caip2: must be eip155:31337" },
	{ "[asset nowhere USDC]\naddress = 0x0000000000000000000000000000000000"
	  "000001\ndecimals = 6\neip712_name = U\neip712_version = 1\n",
	  ":1: [asset nowhere USDC] unknown network nowhere" },
	{ "[asset base EURC]\naddress = 0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02"
	  "913\ndecimals = 6\neip712_name = U\neip712_version = 1\n",
	  ":2: [asset base EURC] address: already the address of USDC" },
	{ "[asset base USDC]\naddress = 0x0000000000000000000000000000000000000"
	  "001\ndecimals = 6\n", ":1: [asset base USDC] eip712_name: missing" },
	{ "[network local]\nchain_id = 31337\nexplorer_tx = ftp://x/\n",
	  ":3: [network local] explorer_tx: not an http:// or https://" },
	{ "[network base]\nchain_id = 84532\n", ":2: [network base] chain_id: "
	  "chain id 84532 belongs to base-sepolia" },
	{ "[network eip155:99]\nchain_id = 99\n", ":1: [network eip155:99] a "
	  "new network needs a v1 name" },
	{ "[asset base U:S]\naddress = 0x0000000000000000000000000000000000"
	  "000001\ndecimals = 6\neip712_name = U\neip712_version = 1\n",
	  ":1: [asset base U:S] bad symbol" },
	{ "[network base]\ntestnet = yes\n[network base]\n",
	  ":3: section network appears twice (first on line 1)" },
	/* a good section first: its changes are thrown away too */
	{ "[network base]\ntestnet = yes\nexplorer_tx = http://x/\n"
	  "[asset base USDC]\naddress = 0x0000000000000000000000000000000000"
	  "000001\ndecimals = 6\neip712_name = U\neip712_version = 1\n"
	  "[network local]\nchain_id = 31337\nbogus = 1\n",
	  ":11: [network local] bogus: unknown key" },
};

START_TEST(load_bad_changes_nothing)
{
	struct x402_networks *t, *ref;
	struct x402_detail d;
	size_t i;
	const char *path;

	ck_assert_int_eq(x402_networks_new(&t), 0);
	ck_assert_int_eq(x402_networks_new(&ref), 0);
	path = put(bad[_i].text);
	ck_assert_int_eq(x402_networks_load(t, &d, path), X402_ERR_CONFIG);
	ck_assert_msg(strncmp(d.msg, path, strlen(path)) == 0 &&
	    strstr(d.msg, bad[_i].want) == d.msg + strlen(path),
	    "case %d: got %s, want ...%s", _i, d.msg, bad[_i].want);
	ck_assert_uint_eq(x402_networks_count(t), x402_networks_count(ref));
	for (i = 0; i < x402_networks_count(t); i++)
		ck_assert_mem_eq(x402_networks_at(t, i),
		    x402_networks_at(ref, i), sizeof(struct x402_network));
	x402_networks_free(t);
	x402_networks_free(ref);
}
END_TEST

START_TEST(load_missing_file)
{
	struct x402_networks *t;
	struct x402_detail d;
	char path[128];

	snprintf(path, sizeof(path), "%s/none.conf", dir);
	ck_assert_int_eq(x402_networks_new(&t), 0);
	ck_assert_int_eq(x402_networks_load(t, &d, path), X402_ERR_IO);
	ck_assert_ptr_nonnull(strstr(d.msg, path));
	ck_assert_ptr_nonnull(x402_networks_find(t, "base"));
	x402_networks_free(t);
}
END_TEST

static Suite *
s_(void)
{
	Suite *s = suite_create("network");
	TCase *tc = tcase_create("builtin");
	TCase *tf = tcase_create("conf");

	tcase_add_loop_test(tc, builtin_rows, 0, sizeof(rows) /
	    sizeof(rows[0]));
	tcase_add_test(tc, lookups);
	tcase_add_test(tc, domain);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, load_good);
	tcase_add_test(tf, example_file);
	tcase_add_loop_test(tf, load_bad_changes_nothing, 0, sizeof(bad) /
	    sizeof(bad[0]));
	tcase_add_test(tf, load_missing_file);
	suite_add_tcase(s, tf);
	return s;
}

TU_MAIN(s_)
