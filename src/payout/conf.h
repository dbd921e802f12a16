/*
 * conf.h - payout.conf, the x402-payout configuration (config.h tables).
 *
 *	[payout]
 *	wallet = 0x...		the payout wallet: the routes' pay_to
 *	key = /etc/x402/payout.key	its secret key (owner-only file)
 *	spool = /var/spool/x402/receipts	the gate's receipt spool
 *	state = /var/lib/x402/payout	ledger, batch journals, lock
 *	network = base-sepolia	name or CAIP-2 id (network.h table)
 *	asset = USDC		symbol or address; default: the network's
 *	networks = /etc/x402/networks.conf	optional extra networks
 *	method = rpc		rpc (the wallet sends) or facilitator
 *	rpc = http://127.0.0.1:8545	JSON-RPC node (both methods)
 *	facilitator = http://127.0.0.1:4021	method facilitator: base URL
 *	minimum = 10000		default minimum payout, atomic units
 *	default_split = main	the rule for routes without a [route]
 *	valid_for = 168h	lifetime of a payout authorization
 *	timeout = 120		seconds to wait for a confirmation
 *	log = stderr		stderr or syslog
 *	verify = chain		chain: each receipt's transfer is checked on
 *				chain and counted once (seen.h); none: trust
 *				the spool (only for synthetic receipts)
 *	verify_window = 90d	receipts settled longer ago are refused
 *
 *	[payee alice]
 *	address = 0x...		EIP-55 checked
 *	minimum = 5000		optional, overrides [payout] minimum
 *
 *	[split main]
 *	shares = retain:10% alice:30% bob:30% carol:30%
 *
 *	[route ocr]
 *	split = main
 *
 * Shares are NAME:BPS (basis points, 0..10000) or NAME:P% (percent with
 * up to two decimals); "retain" is the wallet's own share and must be
 * named; the shares of a rule sum to exactly 10000.  Every error names
 * FILE:LINE: [section] key.
 */
#ifndef X402_PAYOUT_CONF_H
#define X402_PAYOUT_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

#define PO_NAME_MAX	48	/* payee, split and route names */
#define PO_PAYEES_MAX	64
#define PO_SPLITS_MAX	32
#define PO_ROUTES_MAX	256
#define PO_STR_MAX	2048	/* URLs, paths */
#define PO_BPS_TOTAL	10000u

enum po_method { PO_METHOD_RPC = 0, PO_METHOD_FACILITATOR = 1 };
enum po_logdest { PO_LOG_STDERR = 0, PO_LOG_SYSLOG = 1 };
enum po_verify { PO_VERIFY_CHAIN = 0, PO_VERIFY_NONE = 1 };

struct po_payee_conf {
	char name[PO_NAME_MAX + 1];
	uint8_t addr[20];
	uint64_t minimum;	/* atomic units; resolved from [payout] */
	int has_minimum;
};

struct po_share {
	size_t payee;		/* index in conf->payees */
	uint32_t bps;
};

struct po_split {
	char name[PO_NAME_MAX + 1];
	uint32_t retain_bps;
	size_t nshares;
	struct po_share shares[PO_PAYEES_MAX];
	/* as read, resolved after the whole file is parsed */
	size_t nwords;
	char words[PO_PAYEES_MAX + 1][PO_NAME_MAX + 1];
	unsigned line;
};

struct po_route {
	char name[PO_NAME_MAX + 1];
	char split_name[PO_NAME_MAX + 1];
	size_t split;
	unsigned line;
};

struct po_conf {
	char file[PO_STR_MAX + 1];
	uint8_t wallet[20];
	char key[PO_STR_MAX + 1];
	char spool[PO_STR_MAX + 1];
	char state[PO_STR_MAX + 1];
	char network[PO_STR_MAX + 1];
	char asset[PO_STR_MAX + 1];
	char networks[PO_STR_MAX + 1];
	int method;
	char rpc[PO_STR_MAX + 1];
	char facilitator[PO_STR_MAX + 1];
	uint64_t minimum;
	char default_split_name[PO_NAME_MAX + 1];
	size_t default_split;
	uint64_t valid_for;
	uint64_t timeout;
	int log;
	int verify;			/* enum po_verify */
	uint64_t verify_window;		/* seconds */
	unsigned line_default_split, line_facilitator;

	size_t npayees;
	struct po_payee_conf payees[PO_PAYEES_MAX];
	size_t nsplits;
	struct po_split splits[PO_SPLITS_MAX];
	size_t nroutes;
	struct po_route routes[PO_ROUTES_MAX];
};

/*
 * Parses one share word "NAME:BPS" or "NAME:P%" / "NAME:P.PP%".  Returns
 * 0 or X402_ERR_SYNTAX / X402_ERR_RANGE.  Out: name (PO_NAME_MAX + 1
 * bytes), *bps.
 */
int po_share_parse(char *name, uint32_t *bps, const char *word)
    X402_WARN_UNUSED;

/*
 * Reads and checks payout.conf (path) or, when text is not NULL,
 * text[0..len) named path.  Returns 0, X402_ERR_CONFIG or X402_ERR_IO
 * with "FILE:LINE: [section] key: reason" in *d.  Out: *c.
 */
int po_conf_load(struct po_conf *c, struct x402_detail *d, const char *path,
    const char *text, size_t len) X402_WARN_UNUSED;

/* The split rule of a route (the default for unknown routes). */
const struct po_split *po_conf_rule(const struct po_conf *c,
    const char *route);

/* Index of a payee by name, or -1. */
int po_conf_payee(const struct po_conf *c, const char *name);

#endif /* X402_PAYOUT_CONF_H */
