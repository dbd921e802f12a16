/*
 * x402 - the x402-cgi tool for operators and for scripts that pay x402
 * APIs: keys, prices, the 402 of a route, decoding and verifying payment
 * headers, and paying (pay.c).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "route.h"

/* The commands, their synopses (x402(1) has the rest) and what they do. */
static int cmd_keygen(int, char **);
static int cmd_address(int, char **);
static int cmd_price(int, char **);
static int cmd_requirements(int, char **);
static int cmd_decode(int, char **);
static int cmd_verify(int, char **);
static int cmd_networks(int, char **);
static int cmd_help(int, char **);

static const struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *synopsis;
	const char *does;
} commands[] = {
	{ "keygen", cmd_keygen, "keygen -o FILE",
	    "write a new secret key (mode 0600), print its address" },
	{ "address", cmd_address, "address FILE",
	    "print the address of a key file" },
	{ "price", cmd_price, "price PRICE --network N [--asset A] [-q]",
	    "a price in atomic units of an asset" },
	{ "requirements", cmd_requirements, "requirements -c ROUTE.conf "
	    "[-g x402.conf] [-u URL] [-X METHOD]",
	    "the 402 a route sends (v1 body, v2 header)" },
	{ "decode", cmd_decode, "decode HEADER (or - for stdin)",
	    "decode an x402 header or 402 body" },
	{ "verify", cmd_verify, "verify -c ROUTE.conf [-g x402.conf] "
	    "[--now T] [--skew S] HEADER",
	    "verify a payment against a route, offline" },
	{ "pay", cmd_pay, "pay [-X METHOD] [-H 'K: V'] [-d DATA | "
	    "--data-binary @FILE] [-o FILE]\n"
	    "        [-i] [-v] --key FILE --max PRICE [--network N] "
	    "[--pay-to-allow ADDR]\n"
	    "        [--scheme exact|upto] [--rpc URL] URL",
	    "pay for a URL and print what it returns" },
	{ "approve", cmd_approve, "approve --key FILE --rpc URL --network N "
	    "[--asset A]\n        (--amount PRICE | --unlimited) [-m SECONDS]",
	    "let Permit2 spend a token (for upto payments)" },
	{ "networks", cmd_networks, "networks [--networks FILE]",
	    "list the built-in and configured networks and assets" },
	{ "help", cmd_help, "help [COMMAND]",
	    "this summary, or one command's usage" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* The usage of one command, or of all (cmd NULL), to f. */
static void
usage_to(FILE *f, const struct command *cmd)
{
	size_t i;

	if (cmd != NULL) {
		fprintf(f, "usage: x402 %s\n%s.\n%ssee x402(1)\n",
		    cmd->synopsis, cmd->does, strcmp(cmd->name, "help") != 0 ?
		    "common: --networks FILE (a networks.conf), --help, "
		    "--version\n" : "");
		return;
	}
	fprintf(f, "usage: x402 COMMAND [ARGS]   (x402 help COMMAND, x402 "
	    "COMMAND --help)\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].does);
	fprintf(f, "options: --help, --version; exit status: 0 done, 1 failed, "
	    "64 usage,\n65 rejected or invalid, 69 unreachable, 77 refused by "
	    "policy, 78 configuration\nsee x402(1)\n");
}

static void
usage(void)
{
	usage_to(stderr, NULL);
}

static int
version(void)
{
	printf("x402 (x402-cgi) %s\n", PACKAGE_VERSION);
	return CLI_OK;
}

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("x402: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *
cli_safe(const char *s)
{
	static char out[1024];
	int cut;

	x402_log_escape(out, sizeof(out), s, strlen(s), &cut);
	return out;
}

int
cli_networks(struct x402_networks **out, const char *conf)
{
	struct x402_detail d = { "" };
	int e;

	if ((e = x402_networks_new(out)) != 0) {
		cli_err("network table: %s", x402_strerror(e));
		return e;
	}
	if (conf != NULL && (e = x402_networks_load(*out, &d, conf)) != 0) {
		cli_err("%s", d.msg[0] ? d.msg : x402_strerror(e));
		x402_networks_free(*out);
		*out = NULL;
	}
	return e;
}

int
cli_read_file(struct x402_buf *b, const char *path, size_t max)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char tmp[8192];
	size_t n;
	int e = 0;

	x402_buf_init(b, max);
	if (f == NULL) {
		cli_err("%s: %s", path, strerror(errno));
		return X402_ERR_IO;
	}
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if ((e = x402_buf_add(b, tmp, n)) != 0) {
			cli_err("%s: over %zu bytes", path, max);
			break;
		}
	}
	if (e == 0 && ferror(f)) {
		cli_err("%s: read error", path);
		e = X402_ERR_IO;
	}
	if (f != stdin)
		fclose(f);
	if (e != 0)
		x402_buf_free(b);
	return e;
}

int
cli_b64json(struct json_object **out, struct x402_detail *d, const char *b64,
    size_t len)
{
	uint8_t *raw;
	size_t cap = len / 4 * 3 + 3, n;
	int e;

	*out = NULL;
	if (len > X402_PAYMENT_HEADER_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "header over %d characters",
		    X402_PAYMENT_HEADER_MAX);
	if ((raw = malloc(cap)) == NULL)
		return X402_ERR_NOMEM;
	if ((e = x402_base64_decode(raw, cap, &n, b64, len)) != 0)
		x402_fail(d, e, "not base64");
	else
		e = x402_json_parse(out, d, (const char *)raw, n,
		    X402_JSON_MAX_DEPTH);
	free(raw);
	return e;
}

void
cli_pretty(FILE *f, struct json_object *o)
{
	fprintf(f, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
}

int
cli_req_domain(struct x402_eip712_domain *dom, struct x402_detail *d,
    const struct x402_networks *t, struct json_object *req)
{
	struct json_object *extra;
	const struct x402_network *net;
	const char *name, *version, *network, *asset;
	size_t nl, vl, al;
	uint64_t chain = 0;
	char *end;

	memset(dom, 0, sizeof(*dom));
	if (x402_json_object(&extra, d, req, "requirement", "extra") != 0 ||
	    x402_json_string(&name, &nl, d, extra, "extra", "name",
	    X402_EIP712_NAME_MAX) != 0 ||
	    x402_json_string(&version, &vl, d, extra, "extra", "version",
	    X402_EIP712_VERSION_MAX) != 0)
		return x402_fail(d, X402_ERR_NOTFOUND, "no EIP-712 domain in "
		    "extra (name, version)");
	if (x402_json_string(&network, NULL, d, req, "requirement", "network",
	    X402_NET_CAIP2_MAX) != 0 ||
	    x402_json_string(&asset, &al, d, req, "requirement", "asset",
	    X402_ADDR_STRLEN) != 0 ||
	    x402_addr_parse(dom->verifying_contract, asset, al) != 0)
		return x402_fail(d, X402_ERR_NOTFOUND, "no network or asset");
	if ((net = x402_networks_find(t, network)) != NULL)
		chain = net->chain_id;
	else if (strncmp(network, "eip155:", 7) == 0 && network[7] != '\0') {
		errno = 0;
		chain = strtoull(network + 7, &end, 10);
		if (*end != '\0' || errno != 0 || network[7] == '0')
			chain = 0;
	}
	if (chain == 0)
		return x402_fail(d, X402_ERR_NOTFOUND, "unknown network \"%s\"",
		    cli_safe(network));
	memcpy(dom->name, name, nl);
	memcpy(dom->version, version, vl);
	dom->has_version = 1;
	dom->chain_id = chain;
	return 0;
}

/* 1 if s looks like a secret key itself rather than a file name. */
static int
looks_like_key(const char *s)
{
	size_t n = strlen(s), i, start = 0;
	struct stat st;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		start = 2;
	if (n - start != 64)
		return 0;
	for (i = start; i < n; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return 0;
	return stat(s, &st) != 0;
}

int
cli_key_load(const struct x402_sig_ctx *ctx, uint8_t key[X402_SECKEY_LEN],
    uint8_t from[X402_ADDR_LEN], const char *keyfile, const char *cmd)
{
	struct rlimit rl = { 0, 0 };
	struct x402_detail d = { "" };
	int e;

	/* This process is about to hold a key: never in a core dump. */
	if (setrlimit(RLIMIT_CORE, &rl) != 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		cli_err("%s: cannot disable core dumps: %s", cmd,
		    strerror(errno));
		return CLI_OTHER;
	}
	/* The key: a file, or a file named by X402_KEY_FILE; never argv. */
	if (keyfile == NULL)
		keyfile = getenv("X402_KEY_FILE");
	if (keyfile == NULL || keyfile[0] == '\0') {
		cli_err("%s: --key FILE (or X402_KEY_FILE) is required", cmd);
		return CLI_USAGE;
	}
	if (looks_like_key(keyfile)) {
		cli_err("%s: refusing a key on the command line (other users "
		    "can see it): put it in a file of mode 0600", cmd);
		return CLI_USAGE;
	}
	if ((e = x402_sig_key_load(ctx, key, &d, keyfile)) != 0 ||
	    (e = x402_sig_key_address(ctx, from, key)) != 0) {
		cli_err("%s", d.msg[0] ? d.msg : x402_strerror(e));
		return CLI_OTHER;
	}
	return CLI_OK;
}

/* ---- keygen, address ---------------------------------------------- */

static int
cmd_keygen(int argc, char **argv)
{
	static const struct option lo[] = { { NULL, 0, NULL, 0 } };
	struct x402_sig_ctx *ctx = NULL;
	uint8_t key[X402_SECKEY_LEN], addr[X402_ADDR_LEN];
	char hex[2 * X402_SECKEY_LEN + 4], a[X402_ADDR_STRLEN + 1];
	const char *path = NULL;
	int c, fd = -1, rc = CLI_OTHER, e;
	size_t n;

	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		if (c == 'o')
			path = optarg;
		else
			return CLI_USAGE;
	}
	if (path == NULL || optind != argc) {
		cli_err("keygen: -o FILE is required");
		return CLI_USAGE;
	}
	if ((e = x402_sig_ctx_new(&ctx)) != 0 ||
	    (e = x402_sig_key_generate(ctx, key)) != 0 ||
	    (e = x402_sig_key_address(ctx, addr, key)) != 0) {
		cli_err("keygen: %s", x402_strerror(e));
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		cli_err("%s: %s%s", path, strerror(errno), errno == EEXIST ?
		    " (refusing to overwrite a key)" : "");
		goto out;
	}
	if (x402_hex_encode(hex, sizeof(hex), key, sizeof(key),
	    X402_HEX_PREFIX_REQUIRED) != 0)
		goto out;
	n = strlen(hex);
	hex[n++] = '\n';
	if (fchmod(fd, 0600) != 0 || write(fd, hex, n) != (ssize_t)n ||
	    fsync(fd) != 0) {
		cli_err("%s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	x402_addr_format(a, addr);
	printf("%s\n", a);
	rc = CLI_OK;
 out:
	if (fd != -1 && close(fd) != 0 && rc == CLI_OK) {
		cli_err("%s: %s", path, strerror(errno));
		rc = CLI_OTHER;
	}
	x402_wipe(key, sizeof(key));
	x402_wipe(hex, sizeof(hex));
	x402_sig_ctx_free(ctx);
	return rc;
}

static int
cmd_address(int argc, char **argv)
{
	struct x402_sig_ctx *ctx = NULL;
	struct x402_detail d = { "" };
	uint8_t key[X402_SECKEY_LEN], addr[X402_ADDR_LEN];
	char a[X402_ADDR_STRLEN + 1];
	int e, rc = CLI_OTHER;

	if (argc != 2 || argv[1][0] == '-') {
		cli_err("usage: x402 address FILE");
		return CLI_USAGE;
	}
	if ((e = x402_sig_ctx_new(&ctx)) != 0 ||
	    (e = x402_sig_key_load(ctx, key, &d, argv[1])) != 0 ||
	    (e = x402_sig_key_address(ctx, addr, key)) != 0) {
		cli_err("%s", d.msg[0] ? d.msg : x402_strerror(e));
		goto out;
	}
	x402_addr_format(a, addr);
	printf("%s\n", a);
	rc = CLI_OK;
 out:
	x402_wipe(key, sizeof(key));
	x402_sig_ctx_free(ctx);
	return rc;
}

/* ---- price --------------------------------------------------------- */

static void
print_domain(const struct x402_eip712_domain *dom)
{
	char a[X402_ADDR_STRLEN + 1];

	x402_addr_format(a, dom->verifying_contract);
	printf("domain   name=%s version=%s chainId=%" PRIu64
	    " verifyingContract=%s\n", dom->name, dom->version, dom->chain_id,
	    a);
}

static int
cmd_price(int argc, char **argv)
{
	enum { O_NETWORK = 256, O_ASSET, O_NETWORKS };
	static const struct option lo[] = {
		{ "network", required_argument, NULL, O_NETWORK },
		{ "asset", required_argument, NULL, O_ASSET },
		{ "networks", required_argument, NULL, O_NETWORKS },
		{ NULL, 0, NULL, 0 }
	};
	const char *netname = NULL, *assetname = NULL, *conf = NULL, *price;
	struct x402_networks *t = NULL;
	const struct x402_network *net;
	const struct x402_asset *as;
	struct x402_eip712_domain dom;
	struct x402_detail d = { "" };
	char dec[X402_U256_DECLEN + 1], tok[X402_PRICE_FMTLEN];
	char a[X402_ADDR_STRLEN + 1];
	x402_u256 amt;
	int c, quiet = 0, rc = CLI_USAGE, e;

	while ((c = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
		switch (c) {
		case O_NETWORK: netname = optarg; break;
		case O_ASSET: assetname = optarg; break;
		case O_NETWORKS: conf = optarg; break;
		case 'q': quiet = 1; break;
		default: return CLI_USAGE;
		}
	}
	if (optind != argc - 1 || netname == NULL) {
		cli_err("usage: x402 price PRICE --network N [--asset A]");
		return CLI_USAGE;
	}
	price = argv[optind];
	if (cli_networks(&t, conf) != 0)
		return CLI_OTHER;
	if ((net = x402_networks_find(t, netname)) == NULL) {
		cli_err("unknown network \"%s\"", netname);
		goto out;
	}
	if ((as = x402_network_asset(net, assetname)) == NULL) {
		cli_err("network %s has no asset \"%s\"", netname,
		    assetname ? assetname : "(default)");
		goto out;
	}
	if (price[0] == '$' && !as->usd) {
		cli_err("a dollar price needs a dollar-pegged asset (%s on %s "
		    "is not)", as->symbol, netname);
		goto out;
	}
	if ((e = x402_price_parse(&amt, &d, price, strlen(price),
	    as->decimals, as->symbol)) != 0) {
		cli_err("price: %s", d.msg[0] ? d.msg : x402_strerror(e));
		goto out;
	}
	x402_u256_format_dec(dec, sizeof(dec), &amt);
	if (quiet) {
		printf("%s\n", dec);
		rc = CLI_OK;
		goto out;
	}
	x402_price_format(tok, sizeof(tok), &amt, as->decimals);
	x402_addr_format(a, as->address);
	x402_network_domain(&dom, net, as);
	printf("amount   %s\n", dec);
	printf("price    %s %s\n", tok, as->symbol);
	printf("network  %s%s%s%s\n", net->caip2, net->v1_name[0] ? " (" : "",
	    net->v1_name, net->v1_name[0] ? ")" : "");
	printf("asset    %s %s, %u decimals%s%s\n", a, as->symbol,
	    as->decimals, as->usd ? ", usd" : "",
	    as->transfer == X402_TRANSFER_PERMIT2 ? ", permit2" : ", eip3009");
	print_domain(&dom);
	rc = CLI_OK;
 out:
	x402_networks_free(t);
	return rc;
}

/* ---- requirements ---------------------------------------------------- */

static int
load_route(struct route *r, const char *global, const char *file)
{
	struct x402_detail d = { "" };
	int e;

	if ((e = route_load(r, &d, global, file, 0)) != 0) {
		cli_err("%s", d.msg[0] ? d.msg : x402_strerror(e));
		route_free(r);
		return -1;
	}
	return 0;
}

static int
cmd_requirements(int argc, char **argv)
{
	static const struct option lo[] = { { NULL, 0, NULL, 0 } };
	const char *file = NULL, *global = NULL, *url = NULL, *method = "GET";
	struct x402_buf v1, v2;
	struct x402_resource res;
	struct x402_detail d = { "" };
	struct json_object *o = NULL;
	struct route r;
	char defurl[128];
	int c, e, rc = CLI_OTHER;

	while ((c = getopt_long(argc, argv, "c:g:u:X:", lo, NULL)) != -1) {
		switch (c) {
		case 'c': file = optarg; break;
		case 'g': global = optarg; break;
		case 'u': url = optarg; break;
		case 'X': method = optarg; break;
		default: return CLI_USAGE;
		}
	}
	if (file == NULL || optind != argc) {
		cli_err("usage: x402 requirements -c ROUTE.conf [-g x402.conf] "
		    "[-u URL] [-X METHOD]");
		return CLI_USAGE;
	}
	if (load_route(&r, global, file) != 0)
		return CLI_CONFIG;
	x402_buf_init(&v1, 1 << 20);
	x402_buf_init(&v2, 1 << 20);
	if (url == NULL && r.c.resource_url[0] != '\0')
		url = r.c.resource_url;
	if (url == NULL) {
		snprintf(defurl, sizeof(defurl), "http://localhost/%s", r.name);
		url = defurl;
	}
	memset(&res, 0, sizeof(res));
	res.url = url;
	res.description = r.c.description;
	res.mime_type = r.c.mime_type;
	res.method = method;
	/* The texts of x402-gate's first 402 (no payment header). */
	if ((e = x402_payment_required(&v1, &v2, &d, &res, r.offers,
	    r.v2_accepts, r.noffers, "X-PAYMENT header is required",
	    "Payment required")) != 0 ||
	    (e = cli_b64json(&o, &d, v2.p, v2.len)) != 0) {
		cli_err("%s", d.msg[0] ? d.msg : x402_strerror(e));
		goto out;
	}
	printf("HTTP/1.1 402 Payment Required\n");
	printf("Content-Type: application/json\n");
	printf("PAYMENT-REQUIRED: %s\n\n%s\n\n", v2.p, v1.p);
	printf("# PAYMENT-REQUIRED decoded:\n");
	cli_pretty(stdout, o);
	rc = CLI_OK;
 out:
	json_object_put(o);
	x402_buf_free(&v1);
	x402_buf_free(&v2);
	route_free(&r);
	return rc;
}

/* ---- decode ---------------------------------------------------------- */

/* Splits "Name: value" (a known x402 header) or takes a bare value. */
static const char *
header_value(const char *arg, char *name, size_t namecap)
{
	static const char *const known[] = { "X-PAYMENT", "PAYMENT-SIGNATURE",
	    "PAYMENT-REQUIRED", "PAYMENT-RESPONSE", "X-PAYMENT-RESPONSE",
	    NULL };
	size_t i, n;

	name[0] = '\0';
	for (i = 0; known[i] != NULL; i++) {
		n = strlen(known[i]);
		if (strncasecmp(arg, known[i], n) == 0 && arg[n] == ':') {
			snprintf(name, namecap, "%s", known[i]);
			arg += n + 1;
			while (*arg == ' ' || *arg == '\t')
				arg++;
			break;
		}
	}
	return arg;
}

/* The recovered signer of a decoded exact payment, printed. */
static void
print_signer(const struct x402_payment *p, const struct x402_networks *t,
    const struct x402_sig_ctx *ctx)
{
	struct x402_eip712_domain dom;
	struct x402_detail d = { "" };
	const struct x402_network *net;
	const struct x402_asset *as;
	uint8_t sep[32], sh[32], dg[32], who[X402_ADDR_LEN];
	char a[X402_ADDR_STRLEN + 1], f[X402_ADDR_STRLEN + 1];

	if (strcmp(p->scheme, "exact") != 0 || p->payload == NULL)
		return;
	if (!p->exact.eoa_sig) {
		printf("signer   (not an EOA signature: smart wallet)\n");
		return;
	}
	if (p->version == 2) {
		if (cli_req_domain(&dom, &d, t, p->accepted) != 0) {
			printf("signer   unknown (%s)\n", d.msg);
			return;
		}
	} else {
		if ((net = x402_networks_find(t, p->network)) == NULL ||
		    (as = x402_network_asset(net, NULL)) == NULL) {
			printf("signer   unknown (network %s not in the "
			    "table)\n", cli_safe(p->network));
			return;
		}
		x402_network_domain(&dom, net, as);
	}
	x402_eip712_domain_separator(sep, &dom);
	x402_eip712_eip3009_hash(sh, &p->exact.auth);
	x402_eip712_digest(dg, sep, sh);
	x402_addr_format(f, p->exact.auth.from);
	if (x402_sig_recover(ctx, who, dg, p->exact.sig) != 0) {
		printf("signer   none: the signature does not recover\n");
		return;
	}
	x402_addr_format(a, who);
	printf("signer   %s (%s)\n", a, memcmp(who, p->exact.auth.from,
	    X402_ADDR_LEN) == 0 ? "= authorization.from" :
	    "NOT authorization.from");
	print_domain(&dom);
}

static int
cmd_decode(int argc, char **argv)
{
	enum { O_NETWORKS = 256 };
	static const struct option lo[] = {
		{ "networks", required_argument, NULL, O_NETWORKS },
		{ NULL, 0, NULL, 0 }
	};
	struct x402_networks *t = NULL;
	struct x402_sig_ctx *ctx = NULL;
	struct x402_payment p;
	struct x402_detail d = { "" };
	struct json_object *o = NULL;
	struct x402_buf in;
	const char *conf = NULL, *v, *arg;
	char name[32];
	int c, e, rc = CLI_OTHER, is_payment;

	memset(&p, 0, sizeof(p));
	x402_buf_init(&in, 0);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == O_NETWORKS)
			conf = optarg;
		else
			return CLI_USAGE;
	}
	if (optind != argc - 1) {
		cli_err("usage: x402 decode HEADER (or - for stdin)");
		return CLI_USAGE;
	}
	arg = argv[optind];
	if (strcmp(arg, "-") == 0) {
		if (cli_read_file(&in, "-", 1 << 20) != 0)
			return CLI_OTHER;
		while (in.len > 0 && (in.p[in.len - 1] == '\n' ||
		    in.p[in.len - 1] == '\r'))
			in.p[--in.len] = '\0';
		arg = in.p;
	}
	v = header_value(arg, name, sizeof(name));
	if (cli_networks(&t, conf) != 0 || (e = x402_sig_ctx_new(&ctx)) != 0)
		goto out;
	if (v[0] == '{') {	/* a JSON body (a v1 402) */
		e = x402_json_parse(&o, &d, v, strlen(v), X402_JSON_MAX_DEPTH);
		is_payment = 0;
	} else {
		e = cli_b64json(&o, &d, v, strlen(v));
		is_payment = strcmp(name, "X-PAYMENT") == 0 ||
		    strcmp(name, "PAYMENT-SIGNATURE") == 0 ||
		    (name[0] == '\0' && e == 0 &&
		    json_object_object_get_ex(o, "payload", NULL));
	}
	if (e != 0) {
		cli_err("decode: %s", d.msg[0] ? d.msg : x402_strerror(e));
		goto out;
	}
	cli_pretty(stdout, o);
	if (is_payment) {
		if ((e = x402_payment_decode(&p, &d, v, strlen(v))) != 0) {
			cli_err("not a valid payment: %s", d.msg[0] ?
			    cli_safe(d.msg) : x402_strerror(e));
			rc = CLI_REJECTED;
			goto out;
		}
		print_signer(&p, t, ctx);
	}
	rc = CLI_OK;
 out:
	x402_payment_free(&p);
	json_object_put(o);
	x402_buf_free(&in);
	x402_sig_ctx_free(ctx);
	x402_networks_free(t);
	return rc;
}

/* ---- verify ---------------------------------------------------------- */

/*
 * The checks of x402_verify_exact, in its order (notes §6.2); the last is
 * ours, told apart from valid-before by its message.
 */
static const struct {
	const char *name;
	const char *reason;
	const char *alt;
	int too_far;
} checks[] = {
	{ "scheme", X402_R_SCHEME, NULL, 0 },
	{ "eip712-domain", X402_R_DOMAIN, NULL, 0 },
	{ "network", X402_R_NETWORK, NULL, 0 },
	{ "signature", X402_R_SIGNATURE, X402_R_SMART_WALLET, 0 },
	{ "recipient", X402_R_RECIPIENT, NULL, 0 },
	{ "valid-before", X402_R_VALID_BEFORE, NULL, 0 },
	{ "valid-after", X402_R_VALID_AFTER, NULL, 0 },
	{ "value", X402_R_VALUE, X402_R_VALUE_V1, 0 },
	{ "max-timeout", X402_R_VALID_BEFORE, NULL, 1 },
};

static int
cmd_verify(int argc, char **argv)
{
	enum { O_NOW = 256, O_SKEW };
	static const struct option lo[] = {
		{ "now", required_argument, NULL, O_NOW },
		{ "skew", required_argument, NULL, O_SKEW },
		{ NULL, 0, NULL, 0 }
	};
	const char *file = NULL, *global = NULL, *v;
	struct x402_verify_result vr;
	struct x402_payment p;
	struct x402_detail d = { "" };
	struct route r;
	const struct x402_offer *o;
	char name[32], a[X402_ADDR_STRLEN + 1], amt[X402_U256_DECLEN + 1];
	unsigned long long now = (unsigned long long)time(NULL), skew = 0;
	int c, e, rc = CLI_OTHER, have_skew = 0, failed;
	size_t idx, i;
	char *end;

	memset(&p, 0, sizeof(p));
	while ((c = getopt_long(argc, argv, "c:g:", lo, NULL)) != -1) {
		switch (c) {
		case 'c': file = optarg; break;
		case 'g': global = optarg; break;
		case O_NOW:
		case O_SKEW:
			errno = 0;
			if (optarg[0] < '0' || optarg[0] > '9') {
				cli_err("bad number \"%s\"", optarg);
				return CLI_USAGE;
			}
			if (c == O_NOW)
				now = strtoull(optarg, &end, 10);
			else {
				skew = strtoull(optarg, &end, 10);
				have_skew = 1;
			}
			if (*end != '\0' || errno != 0 || skew > 3600) {
				cli_err("bad number \"%s\"", optarg);
				return CLI_USAGE;
			}
			break;
		default: return CLI_USAGE;
		}
	}
	if (file == NULL || optind != argc - 1) {
		cli_err("usage: x402 verify -c ROUTE.conf [--now T] HEADER");
		return CLI_USAGE;
	}
	if (load_route(&r, global, file) != 0)
		return CLI_CONFIG;
	if (!have_skew)
		skew = r.c.clock_skew;
	v = header_value(argv[optind], name, sizeof(name));
	if ((e = x402_payment_decode(&p, &d, v, strlen(v))) != 0) {
		printf("%-14s FAIL %s\n", "decode", cli_safe(d.msg));
		printf("invalid: the header is not a valid x402 payment\n");
		rc = CLI_REJECTED;
		goto out;
	}
	printf("%-14s ok   x402 v%d, %s, ", "decode", p.version,
	    cli_safe(p.scheme));
	printf("%s\n", cli_safe(p.network));
	if (x402_payment_match(&idx, &p, r.offers, r.v2_accepts,
	    r.noffers) != 0) {
		printf("%-14s FAIL no offer of %s matches\n", "match", r.name);
		printf("invalid: No matching payment requirements\n");
		rc = CLI_REJECTED;
		goto out;
	}
	o = &r.offers[idx];
	x402_addr_format(a, o->pay_to);
	x402_u256_format_dec(amt, sizeof(amt), &o->amount);
	printf("%-14s ok   offer %zu: %s %s %s %s to %s\n", "match", idx + 1,
	    x402_scheme_name(o->scheme), o->net->caip2, o->asset->symbol, amt,
	    a);
	if ((e = x402_verify_exact(&vr, r.sig, &p, o, r.domain_sep[idx],
	    (uint64_t)now, (unsigned)skew)) != 0) {
		cli_err("verify: %s", x402_strerror(e));
		goto out;
	}
	failed = 0;
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (failed) {
			printf("%-14s -    not checked\n", checks[i].name);
			continue;
		}
		if (!vr.valid && (strcmp(vr.reason, checks[i].reason) == 0 ||
		    (checks[i].alt && strcmp(vr.reason, checks[i].alt) == 0)) &&
		    (strcmp(vr.message, X402_M_TOO_FAR) == 0) ==
		    checks[i].too_far) {
			printf("%-14s FAIL %s%s%s\n", checks[i].name, vr.reason,
			    vr.message[0] ? ": " : "", vr.message);
			failed = 1;
			continue;
		}
		printf("%-14s ok\n", checks[i].name);
	}
	if (vr.valid) {
		x402_addr_format(a, vr.payer);
		printf("valid: payer %s, at %llu\n", a, now);
		rc = CLI_OK;
	} else {
		printf("invalid: %s\n", vr.reason);
		rc = CLI_REJECTED;
	}
 out:
	x402_payment_free(&p);
	route_free(&r);
	return rc;
}

/* ---- help, networks -------------------------------------------------- */

static int
cmd_help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc == 1) {
		usage_to(stdout, NULL);
		return CLI_OK;
	}
	if (argc != 2 || (cmd = find_command(argv[1])) == NULL) {
		cli_err("help: %s%s", argc == 2 ? "unknown command " :
		    "usage: x402 help [COMMAND]", argc == 2 ?
		    cli_safe(argv[1]) : "");
		return CLI_USAGE;
	}
	usage_to(stdout, cmd);
	return CLI_OK;
}

/* $X402_CONFDIR/networks.conf, else SYSCONFDIR/x402/networks.conf. */
static const char *
default_networks(char *buf, size_t cap)
{
	const char *dir = getenv("X402_CONFDIR");

	if (dir == NULL || dir[0] == '\0')
		dir = SYSCONFDIR "/x402";
	snprintf(buf, cap, "%s/networks.conf", dir);
	return buf;
}

static int
cmd_networks(int argc, char **argv)
{
	enum { O_NETWORKS = 256 };
	static const struct option lo[] = {
		{ "networks", required_argument, NULL, O_NETWORKS },
		{ NULL, 0, NULL, 0 }
	};
	struct x402_networks *t = NULL, *builtin = NULL;
	const struct x402_network *n, *b;
	const struct x402_asset *as;
	const char *conf = NULL, *from;
	char def[4096], addr[X402_ADDR_STRLEN + 1];
	size_t i, j;
	int c, e, rc = CLI_OTHER;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == O_NETWORKS)
			conf = optarg;
		else
			return CLI_USAGE;
	}
	if (optind != argc) {
		cli_err("usage: x402 networks [--networks FILE]");
		return CLI_USAGE;
	}
	/* Without --networks: the installed networks.conf, if any. */
	if (conf == NULL && access(default_networks(def, sizeof(def)),
	    F_OK) == 0)
		conf = def;
	if ((e = x402_networks_new(&builtin)) != 0) {
		cli_err("network table: %s", x402_strerror(e));
		goto out;
	}
	if (cli_networks(&t, conf) != 0) {
		rc = CLI_CONFIG;
		goto out;
	}
	printf("%-18s %-16s %10s  %-7s %-8s %-42s %3s  %s\n", "network",
	    "CAIP-2", "chain id", "kind", "asset", "address", "dec", "from");
	for (i = 0; i < x402_networks_count(t); i++) {
		n = x402_networks_at(t, i);
		b = x402_networks_find(builtin, n->caip2);
		for (j = 0; j < n->nassets; j++) {
			as = &n->assets[j];
			from = "built in";
			if (b == NULL || x402_network_asset(b, as->symbol) ==
			    NULL)
				from = conf;
			else if (memcmp(x402_network_asset(b, as->symbol), as,
			    sizeof(*as)) != 0 || b->chain_id != n->chain_id ||
			    strcmp(b->explorer_tx, n->explorer_tx) != 0)
				from = "built in, changed by the file";
			x402_addr_format(addr, as->address);
			/* cli_safe has one buffer: one peer string a call */
			printf("%-18s %-16s %10" PRIu64 "  %-7s %-8s ",
			    j == 0 ? (n->v1_name[0] ? n->v1_name : "-") : "",
			    j == 0 ? n->caip2 : "", n->chain_id,
			    n->testnet ? "testnet" : "mainnet",
			    cli_safe(as->symbol));
			printf("%s %3u  %s\n", addr, as->decimals,
			    cli_safe(from));
		}
	}
	if (conf != NULL)
		printf("(built in, and %s)\n", cli_safe(conf));
	rc = CLI_OK;
out:
	x402_networks_free(t);
	x402_networks_free(builtin);
	return rc;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	int i;

	x402_log_open("x402", X402_LOG_STDERR, 0, 0);
	if (argc < 2) {
		usage();
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage_to(stdout, NULL);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return version();
	if ((cmd = find_command(argv[1])) == NULL) {
		cli_err("unknown command \"%s\"", cli_safe(argv[1]));
		usage();
		return CLI_USAGE;
	}
	/* x402 CMD ... --help / --version (before "--"): never runs CMD. */
	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage_to(stdout, cmd);
			return CLI_OK;
		}
		if (strcmp(argv[i], "--version") == 0)
			return version();
	}
	optind = 1;
	return cmd->fn(argc - 1, argv + 1);
}
