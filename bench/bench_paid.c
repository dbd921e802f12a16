/*
 * bench_paid.c - what one paid request costs x402-gate itself, step by
 * step, with the gate's own library calls on a real route file and N
 * pre-signed payments (bench/presign), in one process:
 *
 *   decode   x402_payment_decode + x402_payment_match (base64, JSON, fields)
 *   verify   x402_verify_exact (struct hash, digest, ecrecover, amount,
 *            payee, validity window) - what settlement = local does offline
 *   claim    x402_claim_acquire + x402_claim_commit (files, fsync)
 *   receipt  x402_receipt_format + x402_spool_write (tmp, fsync, link,
 *            fsync of new/) + x402_settlement_header
 *   run      x402_run of the route's command (fork, exec, pipes, reap)
 *   draft    x402_draft_put after the claim + x402_draft_drop after the
 *            receipt (the receipt draft for x402-gate --recover: tmp,
 *            fsync, rename, fsync dir; unlink, fsync dir)
 *
 * "own" is decode + verify + claim + draft + receipt: the gate's cost excluding
 * the command's run and the settlement round trip.  Each payment is used
 * once (fresh nonce, fresh claim, fresh receipt).  Times are per
 * operation, from CLOCK_MONOTONIC; the program prints the mean and the
 * median of each step.  Usage: bench_paid ROUTE_FILE HEADERS_FILE [N]
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "route.h"

#define STEPS 6
static const char *const step_name[STEPS] = {
	"decode", "verify", "claim", "receipt", "run", "draft",
};

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
die(const char *what, const struct x402_detail *d)
{
	fprintf(stderr, "bench_paid: %s%s%s\n", what, d ? ": " : "",
	    d ? d->msg : "");
	exit(1);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	static struct route r;
	struct x402_detail d;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	long n = 0, want = argc > 3 ? strtol(argv[3], NULL, 10) : 1000000;
	double *t[STEPS], sum[STEPS] = { 0 };
	int s;

	if (argc < 3)
		die("usage: bench_paid ROUTE_FILE HEADERS_FILE [N]", NULL);
	/* Not deep: no settler (none is used); the spool and claims as the
	   gate opens them. */
	if (route_load(&r, &d, NULL, argv[1], 0) != 0 ||
	    x402_spool_open(&r.spool, &d, r.c.spool) != 0 ||
	    x402_claim_open(&r.claims, &d, r.c.claims) != 0 ||
	    x402_drafts_open(&r.drafts, &d, r.c.drafts) != 0)
		die(argv[1], &d);
	if ((f = fopen(argv[2], "r")) == NULL)
		die(argv[2], NULL);
	for (s = 0; s < STEPS; s++)
		if ((t[s] = calloc((size_t)want + 1, sizeof(double))) == NULL)
			die("out of memory", NULL);

	while (n < want && getline(&line, &cap, f) > 0) {
		struct x402_payment pay;
		struct x402_verify_result vr;
		struct x402_claim_key key;
		struct x402_claim_token tok;
		struct x402_settlement st;
		struct x402_receipt rc;
		struct x402_run_opts ro;
		struct x402_run_result res;
		struct x402_buf out, rb, sh;
		const struct x402_offer *o;
		char name[X402_SPOOL_NAMEMAX + 1];
		size_t idx, len = strcspn(line, "\r\n");
		double a, b;

		line[len] = '\0';
		memset(&pay, 0, sizeof(pay));
		x402_detail_clear(&d);
		a = now_us();
		if (x402_payment_decode(&pay, &d, line, len) != 0)
			die("decode", &d);
		if (x402_payment_match(&idx, &pay, r.offers, r.v2_accepts,
		    r.noffers) != 0)
			die("no matching offer", NULL);
		b = now_us();
		t[0][n] = b - a;
		o = &r.offers[idx];

		a = now_us();
		if (x402_verify_exact(&vr, r.sig, &pay, o, r.domain_sep[idx],
		    (uint64_t)time(NULL), (unsigned)r.c.clock_skew) != 0 ||
		    !vr.valid)
			die(vr.reason, NULL);
		b = now_us();
		t[1][n] = b - a;

		a = now_us();
		memset(&key, 0, sizeof(key));
		snprintf(key.network, sizeof(key.network), "%s",
		    o->net->caip2);
		memcpy(key.asset, o->asset->address, X402_ADDR_LEN);
		memcpy(key.payer, pay.exact.auth.from, X402_ADDR_LEN);
		memcpy(key.nonce, pay.exact.auth.nonce, 32);
		if (x402_claim_acquire(r.claims, &tok, &d, &key) != 0)
			die("claim", &d);
		b = now_us();
		t[2][n] = b - a;

		/* the draft: the receipt less its transaction */
		a = now_us();
		memset(&rc, 0, sizeof(rc));
		snprintf(rc.route, sizeof(rc.route), "%s", r.name);
		rc.time = (int64_t)time(NULL);
		rc.x402_version = pay.version;
		snprintf(rc.scheme, sizeof(rc.scheme), "exact");
		snprintf(rc.network, sizeof(rc.network), "%s", o->net->caip2);
		memcpy(rc.asset, o->asset->address, X402_ADDR_LEN);
		memcpy(rc.payer, pay.exact.auth.from, X402_ADDR_LEN);
		memcpy(rc.pay_to, o->pay_to, X402_ADDR_LEN);
		rc.amount = o->amount;
		rc.max_amount = o->amount;
		memcpy(rc.nonce, pay.exact.auth.nonce, 32);
		snprintf(rc.resource, sizeof(rc.resource),
		    "http://127.0.0.1/bench");
		if (x402_draft_put(r.drafts, &d, tok.id, (long)getpid(), 0,
		    &rc) != 0)
			die("draft", &d);
		b = now_us();
		t[5][n] = b - a;

		a = now_us();
		memset(&st, 0, sizeof(st));
		st.success = 1;
		x402_addr_format(st.payer, pay.exact.auth.from);
		x402_hex_encode(st.transaction, sizeof(st.transaction),
		    pay.exact.auth.nonce, 32, X402_HEX_PREFIX_REQUIRED);
		snprintf(st.network, sizeof(st.network), "%s", o->net->caip2);
		if (x402_claim_commit(r.claims, &d, &tok, st.transaction) != 0)
			die("commit", &d);
		b = now_us();
		t[2][n] += b - a;

		a = now_us();
		memset(&rc, 0, sizeof(rc));
		snprintf(rc.route, sizeof(rc.route), "%s", r.name);
		rc.time = (int64_t)time(NULL);
		rc.x402_version = pay.version;
		snprintf(rc.scheme, sizeof(rc.scheme), "exact");
		snprintf(rc.network, sizeof(rc.network), "%s", o->net->caip2);
		memcpy(rc.asset, o->asset->address, X402_ADDR_LEN);
		memcpy(rc.payer, pay.exact.auth.from, X402_ADDR_LEN);
		memcpy(rc.pay_to, o->pay_to, X402_ADDR_LEN);
		rc.amount = o->amount;
		rc.max_amount = o->amount;
		memcpy(rc.nonce, pay.exact.auth.nonce, 32);
		snprintf(rc.transaction, sizeof(rc.transaction), "%s",
		    st.transaction);
		snprintf(rc.resource, sizeof(rc.resource),
		    "http://127.0.0.1/bench");
		x402_buf_init(&rb, X402_RECEIPT_MAX);
		x402_buf_init(&sh, 8192);
		if (x402_receipt_format(&rb, &rc) != 0 ||
		    x402_spool_write(r.spool, name, sizeof(name), &d, rb.p,
		    rb.len) != 0 || x402_settlement_header(&sh, &st) != 0)
			die("receipt", &d);
		b = now_us();
		t[3][n] = b - a;
		x402_buf_free(&rb);
		x402_buf_free(&sh);
		a = now_us();
		if (x402_draft_drop(r.drafts, &d, tok.id) != 0)
			die("draft drop", &d);
		t[5][n] += now_us() - a;

		a = now_us();
		x402_run_opts_init(&ro);
		x402_buf_init(&out, 1 << 20);
		if (x402_run(&res, &out, NULL, r.argv, &ro, &d) != 0 ||
		    !x402_run_ok(&res))
			die("run", &d);
		b = now_us();
		t[4][n] = b - a;
		x402_buf_free(&out);
		x402_payment_free(&pay);
		n++;
	}
	free(line);
	fclose(f);
	if (n == 0)
		die("no payments read", NULL);

	printf("bench_paid: %ld paid requests, microseconds per request\n", n);
	printf("%-10s %10s %10s\n", "step", "mean", "median");
	for (s = 0; s < STEPS; s++) {
		long i;

		for (i = 0; i < n; i++)
			sum[s] += t[s][i];
		qsort(t[s], (size_t)n, sizeof(double), cmp_double);
		printf("%-10s %10.1f %10.1f\n", step_name[s], sum[s] / n,
		    t[s][n / 2]);
	}
	printf("%-10s %10.1f\n", "own", (sum[0] + sum[1] + sum[2] + sum[3] +
	    sum[5]) / n);
	printf("%-10s %10.1f\n", "own+run",
	    (sum[0] + sum[1] + sum[2] + sum[3] + sum[4] + sum[5]) / n);
	for (s = 0; s < STEPS; s++)
		free(t[s]);
	route_free(&r);
	return 0;
}
