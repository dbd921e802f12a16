/*
 * presign.c - BENCHMARK ONLY: sign N fresh EIP-3009 authorizations in
 * advance for the paid-path rows of bench/run.sh, one x402 v2 payment
 * header (base64) per line, each with its own random nonce.  What it
 * signs is what payment-header.mjs signs (from = the key's address,
 * to/value/asset/domain from accepts[0], validAfter 0, validBefore
 * now + maxTimeoutSeconds), only about a hundred times faster, so wrk
 * never runs out of unused authorizations.
 *
 *   presign PAYMENT_REQUIRED_B64 KEY_HEX N > headers.txt
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "x402.h"

static void
die(const char *what)
{
	fprintf(stderr, "presign: %s\n", what);
	exit(1);
}

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		die(key);
	return json_object_get_string(v);
}

int
main(int argc, char **argv)
{
	static uint8_t raw[64 * 1024];
	static char text[16 * 1024], b64[24 * 1024];
	struct json_object *root, *accs, *acc, *res, *extra, *mt;
	struct x402_eip712_domain dom;
	struct x402_eip3009_auth a;
	struct x402_sig_ctx *ctx = NULL;
	uint8_t key[32], ds[32], sh[32], dg[32], sig[65];
	char from[X402_ADDR_STRLEN + 1], nonce[67], sighex[133];
	const char *accs_s, *res_s, *to, *amount;
	size_t n, len;
	long count, i;
	unsigned long long vb;
	int tflags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

	if (argc != 4)
		die("usage: presign PAYMENT_REQUIRED_B64 KEY_HEX N");
	if (x402_base64_decode(raw, sizeof(raw) - 1, &n, argv[1],
	    strlen(argv[1])) != 0)
		die("bad base64");
	raw[n] = '\0';
	if ((root = json_tokener_parse((char *)raw)) == NULL ||
	    !json_object_object_get_ex(root, "accepts", &accs) ||
	    (acc = json_object_array_get_idx(accs, 0)) == NULL ||
	    !json_object_object_get_ex(root, "resource", &res) ||
	    !json_object_object_get_ex(acc, "extra", &extra) ||
	    !json_object_object_get_ex(acc, "maxTimeoutSeconds", &mt))
		die("bad PAYMENT-REQUIRED");
	if (x402_hex_decode_exact(key, 32, argv[2], strlen(argv[2])) != 0)
		die("bad key (0x + 64 hex)");
	count = strtol(argv[3], NULL, 10);
	if (x402_sig_ctx_new(&ctx) != 0)
		die("secp256k1 context");

	memset(&dom, 0, sizeof(dom));
	snprintf(dom.name, sizeof(dom.name), "%s", str(extra, "name"));
	snprintf(dom.version, sizeof(dom.version), "%s", str(extra, "version"));
	dom.has_version = 1;
	dom.chain_id = strtoull(strchr(str(acc, "network"), ':') + 1, NULL, 10);
	if (x402_addr_parse(dom.verifying_contract, str(acc, "asset"),
	    strlen(str(acc, "asset"))) != 0)
		die("bad asset");
	x402_eip712_domain_separator(ds, &dom);

	memset(&a, 0, sizeof(a));
	if (x402_sig_key_address(ctx, a.from, key) != 0)
		die("bad key");
	x402_addr_format(from, a.from);
	to = str(acc, "payTo");
	amount = str(acc, "amount");
	if (x402_addr_parse(a.to, to, strlen(to)) != 0 ||
	    x402_u256_parse_dec(&a.value, amount, strlen(amount)) != 0)
		die("bad payTo or amount");
	vb = (unsigned long long)time(NULL) +
	    (unsigned long long)json_object_get_int64(mt);
	x402_u256_set_u64(&a.valid_before, vb);
	accs_s = json_object_to_json_string_ext(acc, tflags);
	res_s = json_object_to_json_string_ext(res, tflags);

	for (i = 0; i < count; i++) {
		if (getrandom(a.nonce, 32, 0) != 32)
			die("getrandom");
		x402_eip712_eip3009_hash(sh, &a);
		x402_eip712_digest(dg, ds, sh);
		if (x402_sig_sign(ctx, sig, dg, key) != 0)
			die("sign");
		x402_hex_encode(nonce, sizeof(nonce), a.nonce, 32,
		    X402_HEX_PREFIX_REQUIRED);
		x402_hex_encode(sighex, sizeof(sighex), sig, 65,
		    X402_HEX_PREFIX_REQUIRED);
		len = (size_t)snprintf(text, sizeof(text),
		    "{\"x402Version\":2,\"payload\":{\"authorization\":"
		    "{\"from\":\"%s\",\"to\":\"%s\",\"value\":\"%s\","
		    "\"validAfter\":\"0\",\"validBefore\":\"%llu\","
		    "\"nonce\":\"%s\"},\"signature\":\"%s\"},"
		    "\"resource\":%s,\"accepted\":%s}", from, to, amount, vb,
		    nonce, sighex, res_s, accs_s);
		if (len >= sizeof(text) || x402_base64_encode(b64, sizeof(b64),
		    &n, (const uint8_t *)text, len) != 0)
			die("header too long");
		fwrite(b64, 1, n, stdout);
		putchar('\n');
	}
	x402_wipe(key, sizeof(key));
	x402_sig_ctx_free(ctx);
	json_object_put(root);
	return fflush(stdout) == 0 ? 0 : 1;
}
