/*
 * bench_verify.c - what verifying one EIP-3009 authorization costs the
 * gate, against the floor of any ecrecover-based check.
 *
 *  (a) gate:  EIP-3009 struct hash, digest (domain separator precomputed
 *             once, as the gate does per route), x402_sig_recover (v, r, s
 *             and high-s checks included), constant-time compare with
 *             `from`.
 *  (a')       the same with the domain separator recomputed every time
 *             (shown for information; not the gate's path).
 *  (b) floor: secp256k1_ecdsa_recover on a pre-parsed signature,
 *             serialize the public key, one Keccak-256 of 64 bytes.
 *
 * The three run interleaved: each of ROUNDS rounds does N operations of
 * each kind in alternating chunks of CHUNK, so all three see the same
 * machine load.  The table shows every round, the median round of each
 * column and the ratio median(a) / median(b), plus the median of the
 * per-round ratios.  Usage: bench_verify [N [ROUNDS]].
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "x402.h"

#define MAX_ROUNDS 51
#define CHUNK 500

/* Notes §10.2 KAT-1: Base Sepolia USDC, signer anvil #0. */
static const char *const kat_sig =
    "0xdc53a4a579de989368a0fae2ef2172ff2f474b4297013f865d171239f17ef4c3"
    "157b4b4030f1bebc53d55ace15c2377dff501a60e1e56c291f1000d6e78f082f1b";
static const char *const kat_nonce =
    "0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480";

static volatile uint8_t sink;

static double
now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_verify: %s\n", what);
	exit(1);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

struct fixture {
	struct x402_sig_ctx *sctx;
	secp256k1_context *raw;
	struct x402_eip712_domain dom;
	uint8_t domsep[32];
	struct x402_eip3009_auth auth;
	uint8_t sig[X402_SIG_LEN];
	uint8_t digest[32];
	secp256k1_ecdsa_recoverable_signature rs;
};

/* (a) and (a'): the gate's verification of n authorizations; seconds. */
static double
run_gate(const struct fixture *f, long n, int per_op_domain)
{
	uint8_t ds[32], sh[32], dg[32], addr[X402_ADDR_LEN];
	double t0;
	long i;

	memcpy(ds, f->domsep, sizeof(ds));
	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (per_op_domain)
			x402_eip712_domain_separator(ds, &f->dom);
		x402_eip712_eip3009_hash(sh, &f->auth);
		x402_eip712_digest(dg, ds, sh);
		if (x402_sig_recover(f->sctx, addr, dg, f->sig) != 0 ||
		    x402_memeq_ct(addr, f->auth.from, X402_ADDR_LEN) != 0)
			die("gate verification failed");
		sink ^= addr[i & 15];
	}
	return now_s() - t0;
}

/* (b): the floor, n times; seconds. */
static double
run_floor(const struct fixture *f, long n)
{
	secp256k1_pubkey pk;
	uint8_t ser[65], h[32];
	size_t len;
	double t0;
	long i;

	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (!secp256k1_ecdsa_recover(f->raw, &pk, &f->rs, f->digest))
			die("secp256k1_ecdsa_recover failed");
		len = sizeof(ser);
		if (!secp256k1_ec_pubkey_serialize(f->raw, ser, &len, &pk,
		    SECP256K1_EC_UNCOMPRESSED))
			die("secp256k1_ec_pubkey_serialize failed");
		x402_keccak256(h, ser + 1, 64);
		sink ^= h[12 + (i & 15)];
	}
	return now_s() - t0;
}

static void
setup(struct fixture *f)
{
	uint8_t ds[32], sh[32];
	int recid;

	memset(f, 0, sizeof(*f));
	if (x402_sig_ctx_new(&f->sctx) != 0)
		die("x402_sig_ctx_new failed");
	if ((f->raw = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) ==
	    NULL)
		die("secp256k1_context_create failed");
	strcpy(f->dom.name, "USDC");
	strcpy(f->dom.version, "2");
	f->dom.has_version = 1;
	f->dom.chain_id = 84532;
	if (x402_addr_parse(f->dom.verifying_contract,
	    "0x036CbD53842c5426634e7929541eC2318f3dCF7e", 42) != 0 ||
	    x402_addr_parse(f->auth.from,
	    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", 42) != 0 ||
	    x402_addr_parse(f->auth.to,
	    "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", 42) != 0 ||
	    x402_hex_decode_exact(f->auth.nonce, 32, kat_nonce,
	    strlen(kat_nonce)) != 0 ||
	    x402_hex_decode_exact(f->sig, X402_SIG_LEN, kat_sig,
	    strlen(kat_sig)) != 0)
		die("bad fixture");
	x402_u256_set_u64(&f->auth.value, 10000);
	x402_u256_set_u64(&f->auth.valid_after, 1740672089);
	x402_u256_set_u64(&f->auth.valid_before, 1740672154);

	/* Once per route in the gate. */
	x402_eip712_domain_separator(f->domsep, &f->dom);

	/* The floor gets the digest and the parsed signature for free. */
	memcpy(ds, f->domsep, sizeof(ds));
	x402_eip712_eip3009_hash(sh, &f->auth);
	x402_eip712_digest(f->digest, ds, sh);
	recid = f->sig[64] - 27;
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(f->raw,
	    &f->rs, f->sig, recid))
		die("parse_compact failed");
}

int
main(int argc, char **argv)
{
	double a[MAX_ROUNDS], a2[MAX_ROUNDS], b[MAX_ROUNDS], q[MAX_ROUNDS];
	double ma, ma2, mb;
	struct fixture f;
	long n = 20000;
	int rounds = 5, r;

	if (argc > 1)
		n = strtol(argv[1], NULL, 10);
	if (argc > 2)
		rounds = atoi(argv[2]);
	if (n < 1 || rounds < 1 || rounds > MAX_ROUNDS)
		die("usage: bench_verify [N>=1 [ROUNDS 1..51]]");
	setup(&f);

	/* Warm-up: caches, page faults, CPU frequency. */
	(void)run_gate(&f, n / 10 + 1, 0);
	(void)run_floor(&f, n / 10 + 1);

	printf("bench_verify: %d rounds x N=%ld of each, interleaved in "
	    "chunks of %d\n", rounds, n, CHUNK);
	printf("(a)  gate: struct hash + digest (domain separator "
	    "precomputed per route)\n     + x402_sig_recover + "
	    "constant-time compare with from\n");
	printf("(a') gate with the domain separator recomputed per op\n");
	printf("(b)  floor: secp256k1_ecdsa_recover + serialize + "
	    "keccak256(64 bytes)\n\n");
	printf("%-7s %12s %12s %12s %8s\n", "round", "(a) us/op",
	    "(a') us/op", "(b) us/op", "a/b");
	for (r = 0; r < rounds; r++) {
		double ta = 0, ta2 = 0, tb = 0;
		long done, c;
		int k = 0;

		for (done = 0; done < n; done += c, k++) {
			c = n - done < CHUNK ? n - done : CHUNK;
			/* Rotate the order so none always runs first. */
			switch (k % 3) {
			case 0:
				ta += run_gate(&f, c, 0);
				tb += run_floor(&f, c);
				ta2 += run_gate(&f, c, 1);
				break;
			case 1:
				tb += run_floor(&f, c);
				ta2 += run_gate(&f, c, 1);
				ta += run_gate(&f, c, 0);
				break;
			default:
				ta2 += run_gate(&f, c, 1);
				ta += run_gate(&f, c, 0);
				tb += run_floor(&f, c);
				break;
			}
		}
		a[r] = ta / (double)n * 1e6;
		a2[r] = ta2 / (double)n * 1e6;
		b[r] = tb / (double)n * 1e6;
		q[r] = a[r] / b[r];
		printf("%-7d %12.3f %12.3f %12.3f %8.3f\n", r + 1, a[r], a2[r],
		    b[r], q[r]);
	}
	ma = median(a, rounds);
	ma2 = median(a2, rounds);
	mb = median(b, rounds);
	printf("%-7s %12.3f %12.3f %12.3f %8.3f\n", "median", ma, ma2, mb,
	    ma / mb);
	printf("\nratio (a)/(b) = %.3f from the medians, %.3f median of the "
	    "per-round ratios\n(target <= 1.3): %s\n", ma / mb,
	    median(q, rounds), ma / mb <= 1.3 ? "met" : "NOT MET");
	printf("ratio (a')/(b) = %.3f\n", ma2 / mb);

	x402_sig_ctx_free(f.sctx);
	secp256k1_context_destroy(f.raw);
	return 0;
}
