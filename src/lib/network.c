/*
 * network.c - the built-in network table (notes §7.1, §7.2) and
 * networks.conf.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "network.h"

struct x402_networks {
	struct x402_network *v;
	size_t n, cap;
};

struct builtin {
	const char *v1;		/* "" when v1 has no name */
	uint64_t chain_id;
	int testnet;
	const char *explorer_tx;
	/* The default asset, or symbol NULL for none. */
	const char *symbol, *address;
	unsigned decimals;
	const char *name, *version;
	enum x402_transfer_method transfer;
};

#define E3009 X402_TRANSFER_EIP3009
#define P2 X402_TRANSFER_PERMIT2
#define NOASSET NULL, NULL, 0, NULL, NULL, E3009

/*
 * Notes §7.1 (v1 names, chain ids) and §7.2 (default assets).  EVM only.
 * An empty transfer column in §7.2 is EIP-3009 (USDC's FiatToken).  Every
 * listed stablecoin is USD-pegged.
 */
static const struct builtin builtins[] = {
	{ "base", 8453, 0, "https://basescan.org/tx/",
	  "USDC", "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", 6,
	  "USD Coin", "2", E3009 },
	{ "base-sepolia", 84532, 1, "https://sepolia.basescan.org/tx/",
	  "USDC", "0x036CbD53842c5426634e7929541eC2318f3dCF7e", 6,
	  "USDC", "2", E3009 },
	{ "avalanche", 43114, 0, "https://snowtrace.io/tx/",
	  "USDC", "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E", 6,
	  "USD Coin", "2", E3009 },
	{ "avalanche-fuji", 43113, 1, "https://testnet.snowtrace.io/tx/",
	  "USDC", "0x5425890298aed601595a70AB815c96711a31Bc65", 6,
	  "USD Coin", "2", E3009 },
	{ "polygon", 137, 0, "https://polygonscan.com/tx/",
	  "USDC", "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", 6,
	  "USD Coin", "2", E3009 },
	{ "polygon-amoy", 80002, 1, "https://amoy.polygonscan.com/tx/",
	  "USDC", "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582", 6,
	  "USDC", "2", E3009 },
	{ "sei", 1329, 0, "",
	  "USDC", "0xe15fC38F6D8c56aF07bbCBe3BAf5708A2Bf42392", 6,
	  "USDC", "2", E3009 },
	{ "sei-testnet", 1328, 1, "",
	  "USDC", "0x4fCF1784B31630811181f670Aea7A7bEF803eaED", 6,
	  "USDC", "2", E3009 },
	{ "iotex", 4689, 0, "",
	  "USDC", "0xcdf79194c6c285077a58da47641d4dbe51f63542", 6,
	  "Bridged USDC", "2", E3009 },
	{ "abstract", 2741, 0, "",
	  "USDC", "0x84a71ccd554cc1b02749b35d22f684cc8ec987e1", 6,
	  "Bridged USDC", "2", E3009 },
	{ "abstract-testnet", 11124, 1, "",
	  "USDC", "0xe4C7fBB0a626ed208021ccabA6Be1566905E2dFc", 6,
	  "Bridged USDC", "2", E3009 },
	{ "peaq", 3338, 0, "",
	  "USDC", "0xbbA60da06c2c5424f03f7434542280FCAd453d10", 6,
	  "USDC", "2", E3009 },
	{ "story", 1514, 0, "",
	  "USDC", "0xF1815bd50389c46847f0Bda824eC8da914045D14", 6,
	  "Bridged USDC", "2", E3009 },
	{ "educhain", 41923, 0, "",
	  "USDC", "0x12a272A581feE5577A5dFa371afEB4b2F3a8C2F8", 6,
	  "Bridged USDC (Stargate)", "2", E3009 },
	{ "skale-base-sepolia", 324705682, 1, "",
	  "USDC", "0x2e08028E3C4c2356572E096d8EF835cD5C6030bD", 6,
	  "Bridged USDC (SKALE Bridge)", "2", E3009 },
	{ "ethereum", 1, 0, "https://etherscan.io/tx/",
	  "USDC", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 6,
	  "USD Coin", "2", E3009 },
	{ "sepolia", 11155111, 1, "https://sepolia.etherscan.io/tx/",
	  NOASSET },
	{ "megaeth", 4326, 0, "",
	  "MegaUSD", "0xFAfDdbb3FC7688494971a79cc65DCa3EF82079E7", 18,
	  "MegaUSD", "1", P2 },
	/*
	 * Monad: the x402 repository says EIP-712 name "USD Coin", the npm
	 * 2.27 packages (what clients run) say "USDC"; we follow npm 2.27.
	 * Override in networks.conf if the chain says otherwise.
	 */
	{ "monad", 143, 0, "",
	  "USDC", "0x754704Bc059F8C67012fEd69BC8A327a5aafb603", 6,
	  "USDC", "2", E3009 },
	{ "stable", 988, 0, "",
	  "USDT0", "0x779Ded0c9e1022225f8E0630b35a9b54bE713736", 6,
	  "USDT0", "1", E3009 },
	{ "stable-testnet", 2201, 1, "",
	  "USDT0", "0x78Cf24370174180738C5B8E352B6D14c83a6c9A9", 6,
	  "USDT0", "1", E3009 },
	{ "celo", 42220, 0, "https://celoscan.io/tx/",
	  "USDC", "0xcebA9300f2b948710d2653dD7B07f33A8B32118C", 6,
	  "USDC", "2", E3009 },
	{ "flare", 14, 0, "", NOASSET },
	/* v2 only (no v1 name): found by CAIP-2 id or chain id. */
	{ "", 42161, 0, "https://arbiscan.io/tx/",
	  "USDC", "0xaf88d065e77c8cC2239327C5EDb3A432268e5831", 6,
	  "USD Coin", "2", E3009 },
	{ "", 421614, 1, "https://sepolia.arbiscan.io/tx/",
	  "USDC", "0x75faf114eafb1BDbe2F0316DF893fd58CE46AA4d", 6,
	  "USD Coin", "2", E3009 },
	{ "", 31611, 1, "",
	  "mUSD", "0x118917a40FAF1CD7a13dB0Ef56C86De7973Ac503", 18,
	  "Mezo USD", "1", P2 },
};

static void
set_caip2(struct x402_network *n)
{
	snprintf(n->caip2, sizeof(n->caip2), "eip155:%" PRIu64, n->chain_id);
}

static int
grow(struct x402_networks *t)
{
	struct x402_network *nv;
	size_t ncap;

	if (t->n < t->cap)
		return 0;
	if (t->cap >= X402_NET_MAX)
		return X402_ERR_LIMIT;
	ncap = t->cap ? 2 * t->cap : 32;
	if (ncap > X402_NET_MAX)
		ncap = X402_NET_MAX;
	if ((nv = reallocarray(t->v, ncap, sizeof(*nv))) == NULL)
		return X402_ERR_NOMEM;
	t->v = nv;
	t->cap = ncap;
	return 0;
}

int
x402_networks_new(struct x402_networks **out)
{
	struct x402_networks *t;
	const struct builtin *b;
	struct x402_network *n;
	struct x402_asset *a;
	size_t i;
	int r;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return X402_ERR_NOMEM;
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		b = &builtins[i];
		if ((r = grow(t)) != 0)
			goto out;
		n = &t->v[t->n++];
		memset(n, 0, sizeof(*n));
		snprintf(n->v1_name, sizeof(n->v1_name), "%s", b->v1);
		n->chain_id = b->chain_id;
		set_caip2(n);
		n->testnet = b->testnet;
		snprintf(n->explorer_tx, sizeof(n->explorer_tx), "%s",
		    b->explorer_tx);
		if (b->symbol == NULL)
			continue;
		a = &n->assets[n->nassets++];
		snprintf(a->symbol, sizeof(a->symbol), "%s", b->symbol);
		if (x402_addr_parse(a->address, b->address,
		    strlen(b->address)) != 0) {
			r = X402_ERR_INTERNAL;
			goto out;
		}
		a->decimals = b->decimals;
		snprintf(a->eip712_name, sizeof(a->eip712_name), "%s", b->name);
		snprintf(a->eip712_version, sizeof(a->eip712_version), "%s",
		    b->version);
		a->transfer = b->transfer;
		a->usd = 1;
	}
	*out = t;
	t = NULL;
	r = 0;
out:
	x402_networks_free(t);
	return r;
}

void
x402_networks_free(struct x402_networks *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

static struct x402_network *
find(const struct x402_networks *t, const char *name)
{
	size_t i;

	if (t == NULL || name == NULL || name[0] == '\0')
		return NULL;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].v1_name, name) == 0 ||
		    strcmp(t->v[i].caip2, name) == 0)
			return &t->v[i];
	return NULL;
}

const struct x402_network *
x402_networks_find(const struct x402_networks *t, const char *name)
{
	return find(t, name);
}

const struct x402_network *
x402_networks_find_chain(const struct x402_networks *t, uint64_t chain_id)
{
	size_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (t->v[i].chain_id == chain_id)
			return &t->v[i];
	return NULL;
}

size_t
x402_networks_count(const struct x402_networks *t)
{
	return t != NULL ? t->n : 0;
}

const struct x402_network *
x402_networks_at(const struct x402_networks *t, size_t i)
{
	if (t == NULL || i >= t->n)
		return NULL;
	return &t->v[i];
}

const struct x402_asset *
x402_network_asset(const struct x402_network *n,
    const char *symbol_or_address)
{
	uint8_t addr[X402_ADDR_LEN];
	const char *s = symbol_or_address;
	size_t i;

	if (n == NULL)
		return NULL;
	if (s == NULL || s[0] == '\0')
		return n->nassets > 0 ? &n->assets[0] : NULL;
	if (s[0] == '0' && s[1] == 'x') {
		if (x402_addr_parse(addr, s, strlen(s)) != 0)
			return NULL;
		for (i = 0; i < n->nassets; i++)
			if (memcmp(n->assets[i].address, addr,
			    sizeof(addr)) == 0)
				return &n->assets[i];
		return NULL;
	}
	for (i = 0; i < n->nassets; i++)
		if (strcmp(n->assets[i].symbol, s) == 0)
			return &n->assets[i];
	return NULL;
}

void
x402_network_domain(struct x402_eip712_domain *dom,
    const struct x402_network *n, const struct x402_asset *a)
{
	memset(dom, 0, sizeof(*dom));
	snprintf(dom->name, sizeof(dom->name), "%s", a->eip712_name);
	snprintf(dom->version, sizeof(dom->version), "%s", a->eip712_version);
	dom->has_version = 1;
	dom->chain_id = n->chain_id;
	memcpy(dom->verifying_contract, a->address, X402_ADDR_LEN);
}

/* ---- networks.conf ------------------------------------------------------- */

struct net_conf {
	uint64_t chain_id;
	char caip2[X402_NET_CAIP2_MAX + 1];
	int testnet;
	char explorer_tx[X402_NET_EXPLORER_MAX + 1];
};

struct asset_conf {
	uint8_t address[X402_ADDR_LEN];
	uint64_t decimals;
	char eip712_name[X402_EIP712_NAME_MAX + 1];
	char eip712_version[X402_EIP712_VERSION_MAX + 1];
	int transfer;		/* index in transfer_choices */
	int usd;
	int is_default;
};

static const char *const transfer_choices[] = { "eip3009", "permit2", NULL };

static const struct x402_cfg_key net_keys[] = {
	X402_CFG_KEY("chain_id", X402_CFG_UINT, 0, struct net_conf, chain_id,
	    1, INT64_MAX),
	X402_CFG_KEY("caip2", X402_CFG_STRING, 0, struct net_conf, caip2,
	    1, X402_NET_CAIP2_MAX),
	X402_CFG_KEY("testnet", X402_CFG_BOOL, 0, struct net_conf, testnet,
	    0, 0),
	X402_CFG_KEY("explorer_tx", X402_CFG_STRING, 0, struct net_conf,
	    explorer_tx, 0, X402_NET_EXPLORER_MAX),
};

static const struct x402_cfg_key asset_keys[] = {
	X402_CFG_KEY("address", X402_CFG_ADDRESS, X402_CFG_REQUIRED,
	    struct asset_conf, address, 0, 0),
	X402_CFG_KEY("decimals", X402_CFG_UINT, X402_CFG_REQUIRED,
	    struct asset_conf, decimals, 0, 77),
	X402_CFG_KEY("eip712_name", X402_CFG_STRING, X402_CFG_REQUIRED,
	    struct asset_conf, eip712_name, 1, X402_EIP712_NAME_MAX),
	X402_CFG_KEY("eip712_version", X402_CFG_STRING, X402_CFG_REQUIRED,
	    struct asset_conf, eip712_version, 1, X402_EIP712_VERSION_MAX),
	X402_CFG_ENUM_KEY("transfer", 0, struct asset_conf, transfer,
	    transfer_choices),
	X402_CFG_KEY("usd", X402_CFG_BOOL, 0, struct asset_conf, usd, 0, 0),
	X402_CFG_KEY("default", X402_CFG_BOOL, 0, struct asset_conf,
	    is_default, 0, 0),
};

static int
collect_network(void *ctx, struct x402_detail *d,
    const struct x402_cfg_instance *in)
{
	const struct net_conf *c = in->data;
	struct x402_networks *t = ctx;
	struct x402_network *n, *o;
	const char *name = in->args[0];
	char want[X402_NET_CAIP2_MAX + 1];
	size_t i;

	if ((n = find(t, name)) == NULL) {
		if (strlen(name) > X402_NET_NAME_MAX || strchr(name, ':'))
			return x402_cfg_fail(d, in, NULL, "a new network "
			    "needs a v1 name of at most %d bytes without ':'",
			    X402_NET_NAME_MAX);
		if (!x402_cfg_seen(in, "chain_id"))
			return x402_cfg_fail(d, in, "chain_id", "missing "
			    "(required for a new network)");
		if (grow(t) != 0)
			return x402_cfg_fail(d, in, NULL, "more than %d "
			    "networks", X402_NET_MAX);
		n = &t->v[t->n++];
		memset(n, 0, sizeof(*n));
		snprintf(n->v1_name, sizeof(n->v1_name), "%s", name);
	}
	if (x402_cfg_seen(in, "chain_id"))
		n->chain_id = c->chain_id;
	set_caip2(n);
	snprintf(want, sizeof(want), "%s", n->caip2);
	if (x402_cfg_seen(in, "caip2") && strcmp(c->caip2, want) != 0)
		return x402_cfg_fail(d, in, "caip2", "must be %s (eip155: and "
		    "the chain id)", want);
	if (x402_cfg_seen(in, "testnet"))
		n->testnet = c->testnet;
	if (x402_cfg_seen(in, "explorer_tx")) {
		if (c->explorer_tx[0] != '\0' &&
		    strncmp(c->explorer_tx, "https://", 8) != 0 &&
		    strncmp(c->explorer_tx, "http://", 7) != 0)
			return x402_cfg_fail(d, in, "explorer_tx", "not an "
			    "http:// or https:// URL prefix");
		memcpy(n->explorer_tx, c->explorer_tx,
		    sizeof(n->explorer_tx));
	}
	for (i = 0; i < t->n; i++) {
		o = &t->v[i];
		if (o == n || o->chain_id != n->chain_id)
			continue;
		return x402_cfg_fail(d, in, x402_cfg_seen(in, "chain_id") ?
		    "chain_id" : NULL, "chain id %" PRIu64 " belongs to %s",
		    n->chain_id, o->v1_name[0] ? o->v1_name : o->caip2);
	}
	return 0;
}

static int
valid_symbol(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > X402_ASSET_SYMBOL_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == ':')
			return 0;
	return 1;
}

static int
collect_asset(void *ctx, struct x402_detail *d,
    const struct x402_cfg_instance *in)
{
	const struct asset_conf *c = in->data;
	struct x402_networks *t = ctx;
	struct x402_network *n;
	struct x402_asset a, *slot = NULL;
	size_t i;

	if ((n = find(t, in->args[0])) == NULL)
		return x402_cfg_fail(d, in, NULL, "unknown network %s (define "
		    "it in a [network] section above)", in->args[0]);
	if (!valid_symbol(in->args[1]))
		return x402_cfg_fail(d, in, NULL, "bad symbol (1 to %d "
		    "characters of A-Z a-z 0-9 . _ -)", X402_ASSET_SYMBOL_MAX);
	memset(&a, 0, sizeof(a));
	snprintf(a.symbol, sizeof(a.symbol), "%s", in->args[1]);
	memcpy(a.address, c->address, sizeof(a.address));
	a.decimals = (unsigned)c->decimals;
	memcpy(a.eip712_name, c->eip712_name, sizeof(a.eip712_name));
	memcpy(a.eip712_version, c->eip712_version, sizeof(a.eip712_version));
	a.transfer = c->transfer == 1 ? X402_TRANSFER_PERMIT2 :
	    X402_TRANSFER_EIP3009;
	a.usd = c->usd;
	for (i = 0; i < n->nassets; i++) {
		if (strcmp(n->assets[i].symbol, a.symbol) == 0)
			slot = &n->assets[i];
		else if (memcmp(n->assets[i].address, a.address,
		    sizeof(a.address)) == 0)
			return x402_cfg_fail(d, in, "address", "already the "
			    "address of %s on %s", n->assets[i].symbol,
			    in->args[0]);
	}
	if (slot == NULL) {
		if (n->nassets == X402_NET_MAX_ASSETS)
			return x402_cfg_fail(d, in, NULL, "more than %d assets "
			    "on %s", X402_NET_MAX_ASSETS, in->args[0]);
		slot = &n->assets[n->nassets++];
	}
	*slot = a;
	if (c->is_default && slot != &n->assets[0]) {
		memmove(&n->assets[1], &n->assets[0],
		    (size_t)(slot - n->assets) * sizeof(a));
		n->assets[0] = a;
	}
	return 0;
}

static const struct x402_cfg_section conf_sections[] = {
	X402_CFG_SECTIONS("network", 1, struct net_conf, net_keys, NULL,
	    collect_network),
	X402_CFG_SECTIONS("asset", 2, struct asset_conf, asset_keys, NULL,
	    collect_asset),
};

static const struct x402_cfg_spec conf_spec = X402_CFG_SPEC(conf_sections);

int
x402_networks_load(struct x402_networks *t, struct x402_detail *d,
    const char *path)
{
	struct x402_networks copy;
	int r;

	x402_detail_clear(d);
	memset(&copy, 0, sizeof(copy));
	if (t == NULL || path == NULL)
		return x402_fail(d, X402_ERR_INVAL, "networks: no table or path");
	copy.cap = t->cap > 0 ? t->cap : 1;
	copy.n = t->n;
	if ((copy.v = reallocarray(NULL, copy.cap, sizeof(*copy.v))) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(copy.v, t->v, t->n * sizeof(*copy.v));
	r = x402_cfg_parse_file(NULL, d, &conf_spec, &copy, path);
	if (r != 0)
		goto out;
	free(t->v);
	*t = copy;
	copy.v = NULL;
out:
	free(copy.v);
	return r;
}
