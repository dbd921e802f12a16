/*
 * route.h - one x402-gate route: what command is sold, at what price, on
 * which networks, settled how.  Read once at start-up from the global
 * x402.conf (shared settings, optional) and then the route file, strictly.
 */
#ifndef GATE_ROUTE_H
#define GATE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "x402.h"
#include "config.h"

#define ROUTE_MAX_OFFERS 8
#define ROUTE_URL_MAX 2048
#define ROUTE_TEXT_MAX 1024
#define ROUTE_UNITS_MAX UINT64_MAX	/* default_units: charge the maximum */
#define ROUTE_USER_MAX 32		/* command_user: a login name */
#define ROUTE_SPAWN_ARGS 3		/* "x402-spawn USER --" before argv */

enum route_settle_when { SETTLE_AFTER = 0, SETTLE_BEFORE = 1 };
/* What the command's stdout is: the body as is, or CGI headers + body. */
enum route_output { OUTPUT_RAW = 0, OUTPUT_CGI = 1 };
enum route_mode { MODE_FACILITATOR = 0, MODE_LOCAL = 1 };
/* What the browser page's form sends (page.c). */
enum route_input { INPUT_TEXT = 0, INPUT_NONE = 1, INPUT_FILE = 2,
	INPUT_QUERY = 3 };
#define ROUTE_PARAMS_MAX 16
enum route_payid { PAYID_OFF = 0, PAYID_OPTIONAL = 1, PAYID_REQUIRED = 2 };
enum route_body_type { BODY_NONE = 0, BODY_JSON, BODY_FORM, BODY_TEXT };
enum route_log { LOG_TO_STDERR = 0, LOG_TO_SYSLOG = 1 };
enum route_access { ACCESS_KV = 0, ACCESS_JSON = 1, ACCESS_OFF = 2 };
#define ROUTE_ALLOW_MAX 16	/* metrics_allow addresses */

/* Everything the files say, as parsed (plain data). */
struct route_conf {
	/* [route] */
	struct x402_cfg_argv command;
	char description[ROUTE_TEXT_MAX + 1];
	char mime_type[128];
	char price[X402_PRICE_MAXLEN + 1];
	uint8_t pay_to[X402_ADDR_LEN];
	struct x402_cfg_argv accept;	/* "NETWORK" or "NETWORK/ASSET" */
	/* usage-based pricing, the upto scheme (Permit2) */
	struct x402_cfg_argv accept_upto;	/* upto offers, as accept */
	char max_price[X402_PRICE_MAXLEN + 1];	/* upto maximum; "" = price */
	char price_per_unit[X402_PRICE_MAXLEN + 1];	/* "" = none */
	uint64_t default_units;		/* no report; ROUTE_UNITS_MAX = max */
	uint64_t max_timeout;		/* maxTimeoutSeconds */
	uint64_t command_timeout;	/* seconds */
	uint64_t max_input;		/* request body cap, bytes */
	uint64_t max_output;		/* command output cap, bytes */
	int settle;			/* enum route_settle_when */
	int output;			/* enum route_output */
	char resource_url[ROUTE_URL_MAX + 1];	/* public URL, or "" */
	char workdir[256];
	char command_user[ROUTE_USER_MAX + 1];	/* "" = the gate's user */
	/* [route] the browser page */
	int input;			/* enum route_input */
	char input_label[ROUTE_TEXT_MAX + 1];
	char input_accept[128];		/* file input: "image/png" etc. */
	struct x402_cfg_argv input_params;	/* input = query: names */
	char wallet_rpc_url[ROUTE_URL_MAX + 1];	/* wallet_addEthereumChain */
	int payment_identifier;		/* enum route_payid */
	int bazaar;			/* declare the bazaar extension */
	char bazaar_query[ROUTE_TEXT_MAX + 1];	/* JSON object, or "" */
	int bazaar_body_type;		/* enum route_body_type */
	char bazaar_body[ROUTE_TEXT_MAX + 1];	/* JSON object, or "" */
	char bazaar_output[ROUTE_TEXT_MAX + 1];	/* JSON example, or "" */
	/* [gate] */
	int mode;			/* enum route_mode */
	uint64_t clock_skew;
	char cors_origin[ROUTE_URL_MAX + 1];
	int browser_page;
	int log_level;
	int log;			/* enum route_log */
	int access_log;			/* enum route_access */
	char metrics_path[ROUTE_URL_MAX + 1];	/* URL path, or "" */
	struct x402_cfg_argv metrics_allow;	/* addresses, or "*" */
	/* [paths] */
	char spool[256];
	char claims[256];
	char fallback[256];
	char networks[256];
	char drafts[256];		/* "" = CLAIMS/drafts */
	char metrics[256];		/* "" = CLAIMS/metrics */
	char spawn[256];		/* x402-spawn, for command_user */
	/* [facilitator] */
	char facilitator_url[ROUTE_URL_MAX + 1];
	uint64_t facilitator_timeout;	/* seconds */
	char cdp_key_id[128];
	char cdp_key_file[256];
	/* [local] */
	char rpc_url[ROUTE_URL_MAX + 1];
	uint64_t rpc_timeout;		/* seconds */
	char relayer_key[256];
	char relayer_state[256];
	uint64_t receipt_timeout;	/* seconds to wait for a receipt */
	int check_chain;		/* balance and nonce before running */
	/* [recover] x402-gate --recover */
	char recover_rpc_url[ROUTE_URL_MAX + 1];	/* "" = [local] rpc_url */
	uint64_t recover_min_age;	/* seconds a dead claim must be old */
	uint64_t recover_blocks;	/* eth_getLogs range, blocks */
	uint64_t recover_watch;		/* seconds a released one is watched */
	/* outbound */
	char proxy[ROUTE_URL_MAX + 1];
};

struct route {
	char name[65];			/* from the route file's name */
	char file[512];
	struct route_conf c;
	/* What the gate runs: c.command, or with command_user set
	   "SPAWN USER -- " c.command (x402-spawn(8)); into c. */
	const char *argv[ROUTE_SPAWN_ARGS + X402_CFG_ARGV_MAX + 1];
	struct x402_networks *networks;
	struct x402_offer offers[ROUTE_MAX_OFFERS];
	struct json_object *v2_accepts[ROUTE_MAX_OFFERS];
	uint8_t domain_sep[ROUTE_MAX_OFFERS][32];
	x402_u256 unit_price[ROUTE_MAX_OFFERS];	/* upto, atomic per unit */
	int has_unit_price;
	size_t noffers;
	struct x402_sig_ctx *sig;
	struct x402_settler *settler;
	struct x402_spool *spool;
	struct x402_claim_store *claims;
	struct x402_drafts *drafts;	/* receipt drafts (recover.h) */
	struct x402_metrics *metrics;	/* shared counters, or NULL */
	/* bazaar_* values, parsed (NULL when not set) */
	struct json_object *bz_query, *bz_body, *bz_output;
	/* Set by main, not by route_load: this worker is a child subreaper,
	   so x402_run may sweep every descendant of the command. */
	int sweep;
	/* settlement = facilitator: its client (borrowed from settler) and,
	   while /supported could not be fetched, when to ask again */
	struct x402_facilitator *fac;
	int sup_pending;
	long sup_next;			/* CLOCK_MONOTONIC seconds */
	unsigned sup_wait;		/* seconds, doubling up to the max */
};

/* Seconds between two tries of an unreachable facilitator's /supported. */
#define ROUTE_SUP_RETRY_MIN 2
#define ROUTE_SUP_RETRY_MAX 60

/*
 * Loads global (may be NULL or missing) then file into *r, builds the
 * offers and opens the spool and claim store.  When `deep` is set it also
 * builds the settler (contacting the facilitator for /supported).
 * Returns 0 or an X402_ERR_* with the file, line and key in *d.
 */
int route_load(struct route *r, struct x402_detail *d, const char *global,
    const char *file, int deep);

void route_free(struct route *r);

/*
 * The amount to settle for an upto offer i once the command has run:
 * charge (atomic units) or units (times price_per_unit) from the
 * command's usage channel (x402_usage_parse, output.h), else the route's default (default_units, or
 * the maximum); capped at the maximum (*capped set).  Returns 0, or
 * X402_ERR_SYNTAX (a malformed or unusable report, in *d).
 */
int route_meter(const struct route *r, size_t i, x402_u256 *amount,
    int *capped, struct x402_detail *d, const char *charge,
    const char *units);

/*
 * Builds r->settler for the configured mode (settler.c; the others below
 * are supported.c's).  A facilitator
 * that cannot be asked for /supported (route_unreachable) does not fail
 * it: r->sup_pending is set and route_settler_wait asks again.
 */
int route_settler(struct route *r, struct x402_detail *d);

/*
 * Whether the request can go on: 0, or the seconds a client should wait
 * (Retry-After) because the facilitator's /supported is still missing
 * and the request needs it (paid: every one; unpaid: when an upto offer
 * lacks the facilitator's address).  Asks /supported again at most once
 * per r->sup_wait seconds (doubling from ROUTE_SUP_RETRY_MIN to
 * ROUTE_SUP_RETRY_MAX), on this request, within [facilitator] timeout.
 */
unsigned route_settler_wait(struct route *r, int paid);

/*
 * The facilitator client of the route's settings ([facilitator] url,
 * timeout, CDP key, [gate] proxy).  Out: *f (x402_facilitator_free).
 */
int route_facilitator(struct route *r, struct x402_facilitator **f,
    struct x402_detail *d);

/*
 * Offer i against the facilitator's /supported: 0, X402_ERR_CONFIG (it
 * does not support the offer, named in *d), or the fetch's error.  Sets
 * an upto offer's facilitator address.
 */
int route_offer_check(struct route *r, struct x402_facilitator *f, size_t i,
    struct x402_detail *d);

/* Every offer, as route_offer_check: 0 or the first error. */
int route_offers_check(struct route *r, struct x402_facilitator *f,
    struct x402_detail *d);

/* e says a peer could not be asked (network, timeout, 5xx, garbage). */
int route_unreachable(int e);

#endif /* GATE_ROUTE_H */
