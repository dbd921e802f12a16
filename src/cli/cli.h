/*
 * cli.h - what the x402 tool's commands share: exit codes, the network
 * table, reading arguments and printing JSON safely.
 *
 * Rules: commands return an exit code (CLI_*), print results on stdout and
 * problems on stderr ("x402: ..."), and never print a key or a signature.
 * Text that came from a peer is escaped (log.h rules) before it reaches a
 * terminal.
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>
#include <sysexits.h>

#include "x402.h"

/*
 * Exit codes: the suite's one convention (x402(1), x402-gate(8) and
 * x402-payout(8), EXIT STATUS): 0 done, 1 failed (stderr says why), and
 * sysexits(3) for the rest.
 */
#define CLI_OK		0		/* done; paid and got 2xx; valid */
#define CLI_OTHER	1		/* failed, anything else */
#define CLI_USAGE	EX_USAGE	/* 64: bad command line */
#define CLI_REJECTED	EX_DATAERR	/* 65: server rejected; invalid */
#define CLI_TRANSPORT	EX_UNAVAILABLE	/* 69: connect, timeout, TLS */
#define CLI_POLICY	EX_NOPERM	/* 77: pay: refused by local policy */
#define CLI_CONFIG	EX_CONFIG	/* 78: a route or networks file */

#define CLI_INPUT_MAX	(64 * 1024 * 1024)	/* --data-binary @FILE */

int cmd_pay(int argc, char **argv);
int cmd_approve(int argc, char **argv);

/*
 * Loads the payer key from keyfile (NULL: $X402_KEY_FILE): refuses a key
 * given on the command line and a file others can read (sig.h).  Disables
 * core dumps of this process first (it is about to hold a key).  Returns
 * CLI_OK, or an exit code after printing why; *key is the caller's to
 * wipe in both cases.  Out: key, from (its address).
 */
int cli_key_load(const struct x402_sig_ctx *ctx,
    uint8_t key[X402_SECKEY_LEN], uint8_t from[X402_ADDR_LEN],
    const char *keyfile, const char *cmd);

/*
 * A JSON-RPC client for url (NULL: $X402_RPC_URL; NULL again: *out NULL
 * and CLI_OK) that is checked to serve chain_id.  Returns an exit code
 * after printing why.  Out: *out (x402_rpc_free).
 */
int cli_rpc_open(struct x402_rpc **out, const char *url, const char *proxy,
    long timeout_s, uint64_t chain_id);

/*
 * The token balance of owner and its ERC-20 allowance to spender (either
 * out pointer may be NULL), by eth_call.  Returns an exit code after
 * printing why.
 */
int cli_token_state(struct x402_rpc *rpc, x402_u256 *balance,
    x402_u256 *allowance, const uint8_t token[X402_ADDR_LEN],
    const uint8_t owner[X402_ADDR_LEN], const uint8_t spender[X402_ADDR_LEN]);

/* Prints "x402: " + message + newline on stderr. */
void cli_err(const char *fmt, ...) X402_PRINTF(1, 2);

/* Escapes peer text for a terminal (static buffer, one at a time). */
const char *cli_safe(const char *s);

/* Builds the network table, then loads conf when not NULL. */
int cli_networks(struct x402_networks **out, const char *conf);

/* Reads a whole file ("-" for stdin) of at most max bytes. */
int cli_read_file(struct x402_buf *b, const char *path, size_t max);

/* Base64 JSON (a header value) to a tree; the caller puts it. */
int cli_b64json(struct json_object **out, struct x402_detail *d,
    const char *b64, size_t len);

/* Pretty-prints o and a newline. */
void cli_pretty(FILE *f, struct json_object *o);

/*
 * The EIP-712 domain a requirement object names: extra.name and
 * extra.version, the chain of `network` (table or "eip155:N") and `asset`.
 * Returns 0 or X402_ERR_NOTFOUND with the missing part in *d.
 */
int cli_req_domain(struct x402_eip712_domain *dom, struct x402_detail *d,
    const struct x402_networks *t, struct json_object *req);

#endif /* CLI_H */
