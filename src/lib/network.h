/*
 * network.h - the table of networks and their assets.
 *
 * Rules:
 *  - A table is built in (notes §7: v1 names, CAIP-2 ids, chain ids, the
 *    default USDC per network with decimals and its exact EIP-712 name and
 *    version) and can be extended or overridden by a networks.conf file, so
 *    any EVM chain and any EIP-3009 token works, a local chain included.
 *  - Lookups return pointers borrowed from the table, valid until the
 *    table is freed or loaded into again.  Load at start-up, then treat
 *    the table as read-only: one table may then be shared by all of a
 *    process's requests (and threads).
 *  - Names and CAIP-2 ids are matched exactly (case-sensitive); asset
 *    symbols too; asset addresses in any valid case (codec.h rules).
 *  - networks.conf (see etc/networks.conf), parsed with config.h:
 *      [network NAME]        NAME: the v1 name (or, to override a network
 *                            that has none, its CAIP-2 id)
 *      chain_id = 31337      required for a new network
 *      caip2 = eip155:31337  optional; must be eip155:<chain_id>
 *      testnet = yes         default no
 *      explorer_tx = http://127.0.0.1:5100/tx/   http(s) URL prefix
 *      [asset NAME SYMBOL]   NAME: a network known by then (built in or
 *                            defined above); SYMBOL: [A-Za-z0-9._-]
 *      address = 0x...       required, EIP-55 rules
 *      decimals = 6          required, 0..77
 *      eip712_name = USDC    required, the token's on-chain domain name
 *      eip712_version = 2    required
 *      transfer = eip3009    or permit2; default eip3009
 *      usd = yes             default no
 *      default = yes         make it the network's default asset
 *    A [network] for an existing network overrides the fields given; an
 *    [asset] for an existing symbol replaces that asset (in its place).
 *    chain ids, CAIP-2 ids and v1 names stay unique; one address per
 *    network appears once.
 */
#ifndef X402_NETWORK_H
#define X402_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "eip712.h"
#include "error.h"

#define X402_NET_NAME_MAX 32		/* v1 name, e.g. "base-sepolia" */
#define X402_NET_CAIP2_MAX 64		/* "eip155:84532" */
#define X402_NET_EXPLORER_MAX 128
#define X402_ASSET_SYMBOL_MAX 16
#define X402_NET_MAX_ASSETS 8
#define X402_NET_MAX 256		/* networks in one table */

enum x402_transfer_method {
	X402_TRANSFER_EIP3009 = 0,
	X402_TRANSFER_PERMIT2 = 1,
};

struct x402_asset {
	char symbol[X402_ASSET_SYMBOL_MAX + 1];
	uint8_t address[X402_ADDR_LEN];
	unsigned decimals;
	char eip712_name[X402_EIP712_NAME_MAX + 1];
	char eip712_version[X402_EIP712_VERSION_MAX + 1];
	enum x402_transfer_method transfer;
	int usd;		/* pegged to the dollar: "$" prices allowed */
};

struct x402_network {
	char v1_name[X402_NET_NAME_MAX + 1];	/* "" when v1 has no name */
	char caip2[X402_NET_CAIP2_MAX + 1];
	uint64_t chain_id;
	int testnet;
	char explorer_tx[X402_NET_EXPLORER_MAX + 1];	/* URL prefix or "" */
	struct x402_asset assets[X402_NET_MAX_ASSETS];
	size_t nassets;		/* assets[0] is the default asset */
};

struct x402_networks;

/*
 * A table holding the built-in networks.  Returns 0, X402_ERR_NOMEM or
 * X402_ERR_INTERNAL (a built-in row is malformed).  Out: *out, to be
 * released with x402_networks_free().
 */
int x402_networks_new(struct x402_networks **out) X402_WARN_UNUSED;

/*
 * Reads a networks.conf and merges it into the table (adding networks and
 * assets, or overriding fields of existing ones).  The file is parsed into
 * a copy which replaces the table only when all of it is good: a bad file
 * changes nothing and returns X402_ERR_CONFIG with file, line and key in
 * *d (X402_ERR_IO when it cannot be read, X402_ERR_NOMEM).  Pointers from
 * earlier lookups are invalid after a successful load.
 */
int x402_networks_load(struct x402_networks *t, struct x402_detail *d,
    const char *path) X402_WARN_UNUSED;

/* Frees the table (NULL allowed). */
void x402_networks_free(struct x402_networks *t);

/* Finds a network by v1 name or CAIP-2 id.  NULL when unknown or "". */
const struct x402_network *x402_networks_find(const struct x402_networks *t,
    const char *name);

/* Finds a network by chain id.  NULL when unknown. */
const struct x402_network *x402_networks_find_chain(
    const struct x402_networks *t, uint64_t chain_id);

/* Number of networks, and the i-th (for listing; NULL past the end). */
size_t x402_networks_count(const struct x402_networks *t);
const struct x402_network *x402_networks_at(const struct x402_networks *t,
    size_t i);

/*
 * Finds an asset of a network by symbol or by "0x" address (any valid
 * case).  NULL or "" selects the default asset.  NULL when unknown.
 */
const struct x402_asset *x402_network_asset(const struct x402_network *n,
    const char *symbol_or_address);

/*
 * Fills an EIP-712 domain for an asset of a network (EIP-3009 tokens):
 * name and version of the asset, has_version 1, the network's chain id
 * and the asset's address as verifying contract.  Out: *dom.
 */
void x402_network_domain(struct x402_eip712_domain *dom,
    const struct x402_network *n, const struct x402_asset *a);

#endif /* X402_NETWORK_H */
