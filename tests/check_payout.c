/*
 * check_payout.c - x402-payout's pure logic: share parsing, splits with
 * remainders, payout.conf errors (file:line:key), the ledger's text form
 * and atomic writes, batch nonces and journals.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "conf.h"
#include "ledger.h"
#include "seen.h"
#include "testutil.h"

#define W "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
#define HEAD "[payout]\nwallet = " W "\nkey = /k\nspool = /s\n" \
	"network = base-sepolia\nrpc = http://127.0.0.1:1\n" \
	"default_split = main\n"
#define PAYEES "[payee alice]\naddress = 0x1111111111111111111111111111111111111111\n" \
	"[payee bob]\naddress = 0x2222222222222222222222222222222222222222\n" \
	"minimum = 500\n" \
	"[payee carol]\naddress = 0x3333333333333333333333333333333333333333\n"

static struct po_conf conf;

static int
load(const char *text, struct x402_detail *d)
{
	return po_conf_load(&conf, d, "/etc/x402/payout.conf", text,
	    strlen(text));
}

static const struct {
	const char *word;
	int r;
	const char *name;
	uint32_t bps;
} share_cases[] = {
	{ "alice:3000", 0, "alice", 3000 },
	{ "alice:30%", 0, "alice", 3000 },
	{ "alice:33.33%", 0, "alice", 3333 },
	{ "alice:0.5%", 0, "alice", 50 },
	{ "retain:0", 0, "retain", 0 },
	{ "a.b-c_d:10000", 0, "a.b-c_d", 10000 },
	{ "alice:10001", X402_ERR_RANGE, NULL, 0 },
	{ "alice:100.01%", X402_ERR_RANGE, NULL, 0 },
	{ "alice:33.333%", X402_ERR_RANGE, NULL, 0 },
	{ "alice:30.5", X402_ERR_SYNTAX, NULL, 0 },
	{ "alice:", X402_ERR_SYNTAX, NULL, 0 },
	{ ":30%", X402_ERR_SYNTAX, NULL, 0 },
	{ "alice30", X402_ERR_SYNTAX, NULL, 0 },
	{ "alice:-1", X402_ERR_SYNTAX, NULL, 0 },
	{ "alice:1e3", X402_ERR_SYNTAX, NULL, 0 },
	{ "al/ice:1", X402_ERR_SYNTAX, NULL, 0 },
	{ "alice:30%%", X402_ERR_SYNTAX, NULL, 0 },
};

START_TEST(share_parse)
{
	char name[PO_NAME_MAX + 1];
	uint32_t bps = 99;
	int r = po_share_parse(name, &bps, share_cases[_i].word);

	ck_assert_msg(r == share_cases[_i].r, "%s: %d",
	    share_cases[_i].word, r);
	if (r == 0) {
		ck_assert_str_eq(name, share_cases[_i].name);
		ck_assert_uint_eq(bps, share_cases[_i].bps);
	}
}
END_TEST

static void
rule(struct po_split *s, uint32_t retain, const uint32_t *bps, size_t n)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->retain_bps = retain;
	s->nshares = n;
	for (i = 0; i < n; i++) {
		s->shares[i].payee = i;
		s->shares[i].bps = bps[i];
	}
}

static uint64_t
u64(const x402_u256 *v)
{
	uint64_t x = 0;

	ck_assert(x402_u256_get_u64(v, &x));
	return x;
}

START_TEST(split_exact)
{
	static const uint32_t b3[] = { 3000, 3000, 3000 };
	struct po_split s;
	x402_u256 a, out[3], ret;

	rule(&s, 1000, b3, 3);
	x402_u256_set_u64(&a, 10000);
	ck_assert_int_eq(po_split_apply(out, &ret, &s, &a), 0);
	ck_assert_uint_eq(u64(&out[0]), 3000);
	ck_assert_uint_eq(u64(&out[1]), 3000);
	ck_assert_uint_eq(u64(&out[2]), 3000);
	ck_assert_uint_eq(u64(&ret), 1000);
	/* 7 units 3 ways at 30%: 2 each, 1 left for retain (10% = 0.7) */
	x402_u256_set_u64(&a, 7);
	ck_assert_int_eq(po_split_apply(out, &ret, &s, &a), 0);
	ck_assert_uint_eq(u64(&out[0]), 2);
	ck_assert_uint_eq(u64(&out[2]), 2);
	ck_assert_uint_eq(u64(&ret), 1);
	/* 1 unit: everything stays with retain */
	x402_u256_set_u64(&a, 1);
	ck_assert_int_eq(po_split_apply(out, &ret, &s, &a), 0);
	ck_assert_uint_eq(u64(&out[0]), 0);
	ck_assert_uint_eq(u64(&ret), 1);
}
END_TEST

START_TEST(split_zero_retain_remainder)
{
	static const uint32_t b3[] = { 3333, 3333, 3334 };
	struct po_split s;
	x402_u256 a, out[3], ret;

	rule(&s, 0, b3, 3);
	x402_u256_set_u64(&a, 7);
	ck_assert_int_eq(po_split_apply(out, &ret, &s, &a), 0);
	ck_assert_uint_eq(u64(&out[0]) + u64(&out[1]) + u64(&out[2]) +
	    u64(&ret), 7);
	ck_assert_uint_eq(u64(&out[0]), 2);
	ck_assert_uint_eq(u64(&out[2]), 2);
	ck_assert_uint_eq(u64(&ret), 1);	/* retain:0 still takes it */
}
END_TEST

START_TEST(split_sums_always)
{
	static const uint32_t b[] = { 1, 2999, 4321, 777 };
	struct po_split s;
	x402_u256 a, out[4], ret;
	uint64_t amt, sum;
	size_t i;

	rule(&s, 10000 - 1 - 2999 - 4321 - 777, b, 4);
	for (amt = 0; amt < 20000; amt += 7) {
		x402_u256_set_u64(&a, amt);
		ck_assert_int_eq(po_split_apply(out, &ret, &s, &a), 0);
		for (sum = u64(&ret), i = 0; i < 4; i++) {
			ck_assert_uint_eq(u64(&out[i]), amt * b[i] / 10000);
			sum += u64(&out[i]);
		}
		ck_assert_uint_eq(sum, amt);
	}
}
END_TEST

START_TEST(split_huge)
{
	static const uint32_t b1[] = { 5000 };
	struct po_split s;
	x402_u256 a, out[1], ret;

	rule(&s, 5000, b1, 1);
	memset(&a, 0xff, sizeof(a));	/* 2^256 - 1: times 5000 overflows */
	ck_assert_int_eq(po_split_apply(out, &ret, &s, &a), X402_ERR_RANGE);
}
END_TEST

START_TEST(conf_good)
{
	struct x402_detail d;
	const struct po_split *s;

	ck_assert_int_eq(load(HEAD "minimum = 1000\n" PAYEES
	    "[split main]\nshares = retain:10% alice:30% bob:3000 carol:30%\n"
	    "[split duo]\nshares = alice:50% retain:0.5% bob:49.5%\n"
	    "[route ocr]\nsplit = duo\n", &d), 0);
	ck_assert_uint_eq(conf.npayees, 3);
	ck_assert_uint_eq(conf.payees[0].minimum, 1000);
	ck_assert_uint_eq(conf.payees[1].minimum, 500);
	ck_assert_int_eq(conf.method, PO_METHOD_RPC);
	s = po_conf_rule(&conf, "ocr");
	ck_assert_str_eq(s->name, "duo");
	ck_assert_uint_eq(s->retain_bps, 50);
	ck_assert_uint_eq(s->nshares, 2);
	ck_assert_uint_eq(s->shares[1].payee, 1);
	ck_assert_uint_eq(s->shares[1].bps, 4950);
	s = po_conf_rule(&conf, "other");
	ck_assert_str_eq(s->name, "main");
	ck_assert_uint_eq(s->shares[2].payee, 2);
}
END_TEST

static const struct {
	const char *text;
	const char *detail;
} bad_confs[] = {
	{ HEAD PAYEES "[split main]\nshares = retain:10% alice:30% bob:30%\n",
	  "/etc/x402/payout.conf:16: [split main] shares: shares sum to "
	  "70.00% (7000 bps), not exactly 100%" },
	{ HEAD PAYEES "[split main]\nshares = alice:50% bob:50%\n",
	  "payout.conf:16: [split main] shares: no retain:N share" },
	{ HEAD PAYEES "[split main]\nshares = retain:0 alice:50% alice:50%\n",
	  "payout.conf:16: [split main] shares: alice named twice" },
	{ HEAD PAYEES "[split main]\nshares = retain:0 dave:100%\n",
	  "payout.conf:16: [split main] shares: no [payee dave]" },
	{ HEAD PAYEES "[split main]\nshares = retain:0 alice:33.333%\n",
	  "payout.conf:16: [split main] shares: \"alice:33.333%\" is not" },
	{ HEAD "[payee alice]\naddress = 0x1111111111111111111111111111111111111111\n"
	  "[payee bob]\naddress = 0xAbCdEF0000000000000000000000000000000001\n",
	  "payout.conf:11: [payee bob] address:" },
	{ HEAD "[payee retain]\naddress = 0x1111111111111111111111111111111111111111\n",
	  "payout.conf:8: [payee retain] \"retain\" is the wallet's" },
	{ HEAD "[payee w]\naddress = " W "\n",
	  "payout.conf:9: [payee w] address: is the payout wallet" },
	{ HEAD PAYEES "[split other]\nshares = retain:100%\n",
	  "payout.conf:7: [payout] default_split: no [split main]" },
	{ HEAD PAYEES "[split main]\nshares = retain:100%\n[route a]\nsplit = x\n",
	  "payout.conf:18: [route a] split: no [split x]" },
	{ HEAD "method = facilitator\n[split main]\nshares = retain:100%\n",
	  "payout.conf:8: [payout] method: facilitator needs" },
	{ HEAD "color = blue\n", "payout.conf:8: [payout] color:" },
};

START_TEST(conf_bad)
{
	struct x402_detail d;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(load(bad_confs[_i].text, &d), X402_ERR_CONFIG);
	ck_assert_msg(strstr(d.msg, bad_confs[_i].detail) != NULL,
	    "got \"%s\", want \"%s\"", d.msg, bad_confs[_i].detail);
}
END_TEST

static void
sample(struct po_ledger *l)
{
	uint8_t a[20];
	x402_u256 v;
	int row;

	ck_assert_int_eq(po_ledger_init(l), 0);
	memset(a, 0x11, sizeof(a));
	row = po_ledger_row(l, "alice", a);
	ck_assert_int_eq(row, 1);
	x402_u256_set_u64(&l->bal[1].owed, 12345);
	x402_u256_set_u64(&l->bal[1].paid, 7);
	x402_u256_set_u64(&l->received, 99999);
	l->next_batch = 5;
	l->open_batch = 4;
	x402_u256_set_u64(&v, 3);
	ck_assert_int_eq(po_ledger_day_add(l, 19700, 1, 0, &v), 0);
	ck_assert_int_eq(po_ledger_day_add(l, 19600, 1, 1, &v), 0);
	ck_assert_int_eq(po_ledger_day_add(l, 19700, 1, 0, &v), 0);
	ck_assert_int_eq(po_ledger_counted_add(l, "1700000000.1.00ff"), 0);
}

START_TEST(ledger_roundtrip)
{
	struct po_ledger l, m;
	struct x402_buf a, b;
	struct x402_detail d;

	sample(&l);
	x402_buf_init(&a, 1 << 20);
	x402_buf_init(&b, 1 << 20);
	ck_assert_int_eq(po_ledger_format(&a, &l), 0);
	ck_assert_int_eq(po_ledger_parse(&m, &d, a.p, a.len), 0);
	ck_assert_int_eq(po_ledger_format(&b, &m), 0);
	ck_assert_str_eq(a.p, b.p);
	ck_assert_uint_eq(m.ndays, 2);
	ck_assert_uint_eq(m.days[0].day, 19600);
	ck_assert_uint_eq(u64(&m.days[1].earned), 6);
	ck_assert(po_ledger_counted_has(&m, "1700000000.1.00ff"));
	ck_assert(!po_ledger_counted_has(&m, "1700000000.1.00fe"));
	ck_assert_uint_eq(m.open_batch, 4);
	po_ledger_free(&m);
	/* truncated: no "end" */
	ck_assert_int_eq(po_ledger_parse(&m, &d, a.p, a.len - 4),
	    X402_ERR_SYNTAX);
	/* a stray line */
	a.p[a.len - 4] = 'x';
	ck_assert_int_eq(po_ledger_parse(&m, &d, a.p, a.len), X402_ERR_SYNTAX);
	po_ledger_free(&l);
	po_ledger_free(&m);
	x402_buf_free(&a);
	x402_buf_free(&b);
}
END_TEST

static const char *const bad_ledgers[] = {
	"",
	"x402-payout-ledger 2\nend\n",
	"x402-payout-ledger 1\nseq 1\nnext_batch 1\nopen_batch 0\nend\n",
	"x402-payout-ledger 1\nnext_batch 1\npayee retain "
	    "0x0000000000000000000000000000000000000000 0 0 0 -1\nend\n",
	"x402-payout-ledger 1\nnext_batch 1\npayee retain "
	    "0x0000000000000000000000000000000000000000 0 0 0 0\n"
	    "open_batch 1\nend\n",
	"x402-payout-ledger 1\nnext_batch 1\npayee retain "
	    "0x0000000000000000000000000000000000000000 0 0 0 0\n"
	    "day 5 3 1 1\nend\n",
	"x402-payout-ledger 1\nnext_batch 1\npayee retain "
	    "0x0000000000000000000000000000000000000000 0 0 0 0\nend\nend\n",
	/* seen_step past the steps written, or twice */
	"x402-payout-ledger 1\nseq 1\nseen_step 2\nnext_batch 1\npayee retain "
	    "0x0000000000000000000000000000000000000000 0 0 0 0\nend\n",
	"x402-payout-ledger 1\nseq 3\nseen_step 1\nseen_step 1\nnext_batch 1\n"
	    "payee retain 0x0000000000000000000000000000000000000000 0 0 0 0\n"
	    "end\n",
};

/* A ledger written before seen_step existed takes seq (the old rule). */
START_TEST(ledger_seen_step)
{
	static const char old[] = "x402-payout-ledger 1\nseq 7\nnext_batch 1\n"
	    "payee retain 0x0000000000000000000000000000000000000000 0 0 0 0\n"
	    "end\n";
	static const char cur[] = "x402-payout-ledger 1\nseq 7\nseen_step 5\n"
	    "next_batch 1\npayee retain "
	    "0x0000000000000000000000000000000000000000 0 0 0 0\nend\n";
	struct po_ledger m;
	struct x402_detail d;

	ck_assert_int_eq(po_ledger_parse(&m, &d, old, strlen(old)), 0);
	ck_assert_uint_eq(m.seen_step, 7);
	po_ledger_free(&m);
	ck_assert_int_eq(po_ledger_parse(&m, &d, cur, strlen(cur)), 0);
	ck_assert_uint_eq(m.seq, 7);
	ck_assert_uint_eq(m.seen_step, 5);
	po_ledger_free(&m);
}
END_TEST

START_TEST(ledger_bad)
{
	struct po_ledger m;
	struct x402_detail d;

	ck_assert_int_eq(po_ledger_parse(&m, &d, bad_ledgers[_i],
	    strlen(bad_ledgers[_i])), X402_ERR_SYNTAX);
}
END_TEST

START_TEST(ledger_atomic_save)
{
	char dir[] = "/tmp/check_payout.XXXXXX";
	struct po_ledger l, m;
	struct x402_detail d;
	struct stat st;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(po_ledger_load(&m, &d, fd), X402_ERR_NOTFOUND);
	sample(&l);
	ck_assert_int_eq(po_ledger_save(&l, &d, fd), 0);
	ck_assert_uint_eq(l.seq, 1);
	ck_assert_int_eq(po_ledger_save(&l, &d, fd), 0);
	ck_assert_int_eq(po_ledger_load(&m, &d, fd), 0);
	ck_assert_uint_eq(m.seq, 2);
	ck_assert_uint_eq(u64(&m.bal[1].owed), 12345);
	ck_assert(memcmp(m.instance, l.instance, 16) == 0);
	/* no temporary left; owner-only */
	ck_assert_int_ne(fstatat(fd, "ledger.tmp", &st, 0), 0);
	ck_assert_int_eq(fstatat(fd, "ledger", &st, 0), 0);
	ck_assert_uint_eq(st.st_mode & 077, 0);
	/* a stale temporary from a killed writer does not matter */
	ck_assert_int_eq(po_atomic_write(fd, &d, "other", "x", 1), 0);
	ck_assert_int_eq(unlinkat(fd, "other", 0), 0);
	ck_assert_int_eq(unlinkat(fd, "ledger", 0), 0);
	close(fd);
	ck_assert_int_eq(rmdir(dir), 0);
	po_ledger_free(&l);
	po_ledger_free(&m);
}
END_TEST

/* The counted-transfer set: dedup, step commit, window, torn tail. */
START_TEST(seen_set)
{
	char dir[] = "/tmp/check_payout.XXXXXX", path[64];
	struct po_seen s;
	struct x402_detail d;
	struct stat st;
	uint8_t tx[32];
	uint32_t i;
	int fd, f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	/* a fresh directory gets an empty file; 3000 entries grow the table */
	ck_assert_int_eq(po_seen_open(&s, &d, fd, 0, 0, 0), 0);
	ck_assert_int_eq(fstatat(fd, "seen", &st, 0), 0);
	ck_assert_int_eq(st.st_size, 32);
	for (i = 0; i < 3000; i++) {
		memset(tx, 0, sizeof(tx));
		tx[0] = (uint8_t)i;
		tx[31] = (uint8_t)(i >> 8);
		ck_assert_int_eq(po_seen_add(&s, tx, i % 3, 1000 + i,
		    i < 2000 ? 1 : 2), 0);
	}
	/* a second add of the same pair is not queued twice */
	ck_assert_int_eq(po_seen_add(&s, tx, 2999 % 3, 1, 2), 0);
	ck_assert_uint_eq(s.n, 3000);
	ck_assert(po_seen_has(&s, tx, 2999 % 3));
	ck_assert(!po_seen_has(&s, tx, 2999 % 3 + 1));
	ck_assert_int_eq(po_seen_flush(&s, &d), 0);
	po_seen_close(&s);
	ck_assert_int_eq(fstatat(fd, "seen", &st, 0), 0);
	ck_assert_int_eq(st.st_size, 32 + 3000 * PO_SEEN_REC);
	/* the ledger saved step 1 only: step 2's records are dropped */
	ck_assert_int_eq(po_seen_open(&s, &d, fd, 1, 0, 0), 0);
	ck_assert_uint_eq(s.n, 2000);
	memset(tx, 0, sizeof(tx));
	tx[0] = (uint8_t)1999;
	tx[31] = (uint8_t)(1999 >> 8);
	ck_assert(po_seen_has(&s, tx, 1999 % 3));
	tx[0] = (uint8_t)2000;
	tx[31] = (uint8_t)(2000 >> 8);
	ck_assert(!po_seen_has(&s, tx, 2000 % 3));
	po_seen_close(&s);
	ck_assert_int_eq(fstatat(fd, "seen", &st, 0), 0);
	ck_assert_int_eq(st.st_size, 32 + 2000 * PO_SEEN_REC);
	/* the window: blocks before 1000 + 1500 are forgotten */
	ck_assert_int_eq(s.horizon, 0);
	ck_assert_int_eq(po_seen_open(&s, &d, fd, 9, 2500, 0), 0);
	ck_assert_uint_eq(s.n, 500);
	ck_assert_int_eq(s.horizon, 2500);
	po_seen_close(&s);
	/* a wider window later does not move the horizon back */
	ck_assert_int_eq(po_seen_open(&s, &d, fd, 9, 0, 1), 0);
	ck_assert_int_eq(s.horizon, 2500);
	po_seen_close(&s);
	/* a torn last record is dropped, the rest kept */
	snprintf(path, sizeof(path), "%s/seen", dir);
	f = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(f, 0);
	ck_assert_int_eq(write(f, "torn", 4), 4);
	close(f);
	ck_assert_int_eq(po_seen_open(&s, &d, fd, 9, 0, 1), 0);	/* dry */
	ck_assert_uint_eq(s.n, 500);
	po_seen_close(&s);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 32 + 500 * PO_SEEN_REC + 4);
	ck_assert_int_eq(po_seen_open(&s, &d, fd, 9, 0, 0), 0);
	po_seen_close(&s);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 32 + 500 * PO_SEEN_REC);
	ck_assert_uint_eq(st.st_mode & 077, 0);
	/* not a seen file */
	f = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(f, "ledger 1\n", 9), 9);
	close(f);
	ck_assert_int_eq(po_seen_open(&s, &d, fd, 9, 0, 0), X402_ERR_SYNTAX);
	ck_assert(strstr(d.msg, "bad magic") != NULL);
	po_seen_close(&s);
	ck_assert_int_eq(unlinkat(fd, "seen", 0), 0);
	close(fd);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(batch_nonce_and_journal)
{
	uint8_t inst[16], a[20], b[20], n1[32], n2[32], n3[32], n4[32];
	struct po_batch *bt = calloc(1, sizeof(*bt)), *bt2 = calloc(1,
	    sizeof(*bt2));
	struct x402_buf t1, t2;
	struct x402_detail d;

	memset(inst, 1, sizeof(inst));
	memset(a, 0xaa, sizeof(a));
	memset(b, 0xbb, sizeof(b));
	po_batch_nonce(n1, inst, 1, a);
	po_batch_nonce(n2, inst, 1, a);
	po_batch_nonce(n3, inst, 2, a);
	po_batch_nonce(n4, inst, 1, b);
	ck_assert(memcmp(n1, n2, 32) == 0);
	ck_assert(memcmp(n1, n3, 32) != 0);
	ck_assert(memcmp(n1, n4, 32) != 0);
	inst[0] = 2;
	po_batch_nonce(n2, inst, 1, a);
	ck_assert(memcmp(n1, n2, 32) != 0);

	bt->id = 7;
	bt->created = 1700000000;
	snprintf(bt->network, sizeof(bt->network), "eip155:84532");
	bt->n = 2;
	snprintf(bt->x[0].name, sizeof(bt->x[0].name), "alice");
	memcpy(bt->x[0].auth.to, a, 20);
	x402_u256_set_u64(&bt->x[0].auth.value, 3000);
	memcpy(bt->x[0].auth.nonce, n1, 32);
	bt->x[0].state = PO_X_PAID;
	bt->x[0].has_tx = 1;
	memset(bt->x[0].tx, 0x5a, 32);
	snprintf(bt->x[1].name, sizeof(bt->x[1].name), "bob");
	bt->x[1].state = PO_X_SENT;
	x402_buf_init(&t1, PO_BATCH_MAX);
	x402_buf_init(&t2, PO_BATCH_MAX);
	ck_assert_int_eq(po_batch_format(&t1, bt), 0);
	ck_assert_int_eq(po_batch_parse(bt2, &d, t1.p, t1.len), 0);
	ck_assert_int_eq(po_batch_format(&t2, bt2), 0);
	ck_assert_str_eq(t1.p, t2.p);
	ck_assert_int_eq(bt2->x[1].state, PO_X_SENT);
	ck_assert_int_eq(bt2->x[1].has_tx, 0);
	ck_assert_int_eq(po_batch_parse(bt2, &d, t1.p, t1.len - 1),
	    X402_ERR_SYNTAX);
	x402_buf_free(&t1);
	x402_buf_free(&t2);
	free(bt);
	free(bt2);
}
END_TEST

/*
 * Journals the fuzzer found (tests/fuzz/regressions/payout): a header
 * line missing, empty or given twice is refused, so every journal that
 * parses formats back to text that parses.
 */
#define BHEAD "x402-payout-batch 1\nid 7\ncreated 1700000000\nclosed 0\n"
#define BNET "network eip155:84532\n"
#define BASSET "asset 0x036CbD53842c5426634e7929541eC2318f3dCF7e\n"
static const char *const bad_journals[] = {
	"x402-payout-batch 1\nid 7\ncreated 0000000000000000000000000000\n"
	    "end\n",					/* the crash */
	BHEAD BASSET "end\n",				/* no network */
	BHEAD "network \n" BASSET "end\n",		/* empty network */
	BHEAD BNET "end\n",				/* no asset */
	BHEAD BNET BASSET "id 8\nend\n",		/* id twice */
	"x402-payout-batch 1\nid 7\n" BNET BASSET "end\n", /* no created */
	BHEAD "\n" BNET BASSET "end\n",			/* an empty line */
};

START_TEST(batch_bad)
{
	static struct po_batch bt;
	struct x402_detail d;
	const char *t = bad_journals[_i];

	ck_assert_int_eq(po_batch_parse(&bt, &d, t, strlen(t)),
	    X402_ERR_SYNTAX);
	ck_assert_ptr_nonnull(strstr(d.msg, "malformed"));
}
END_TEST

START_TEST(batch_minimal)
{
	static struct po_batch bt;
	struct x402_detail d;
	const char *t = BHEAD BNET BASSET "end\n";

	ck_assert_int_eq(po_batch_parse(&bt, &d, t, strlen(t)), 0);
	ck_assert_str_eq(bt.network, "eip155:84532");
	ck_assert_uint_eq(bt.n, 0);
}
END_TEST

/* One count step as run.c does it: tag with seq + 1, flush, then the
 * save that commits it moves seen_step. */
static void
count_step(struct po_ledger *l, int fd, uint8_t tag)
{
	struct po_seen s;
	struct x402_detail d;
	uint8_t tx[32];

	memset(tx, tag, sizeof(tx));
	ck_assert_int_eq(po_seen_open(&s, &d, fd, l->seen_step, 0, 0), 0);
	ck_assert(!po_seen_has(&s, tx, 0));
	ck_assert_int_eq(po_seen_add(&s, tx, 0, 100, l->seq + 1), 0);
	ck_assert_int_eq(po_seen_flush(&s, &d), 0);
	po_seen_close(&s);
	l->seen_step = l->seq + 1;
	ck_assert_int_eq(po_ledger_save(l, &d, fd), 0);
}

/*
 * Two faults in a row (seen.h): a run commits a batch and is killed; the
 * next cannot finish the batch, counts transfer B, flushes the seen set
 * and is killed before its ledger save; the next finishes the batch
 * first (a save that takes B's step number).  B must not be seen then,
 * or its genuine receipt is quarantined as a copy.
 */
START_TEST(seen_two_faults)
{
	char dir[] = "/tmp/check_payout.XXXXXX";
	struct po_ledger l, m;
	struct po_seen s;
	struct x402_detail d;
	struct stat st;
	uint8_t a[32], b[32];
	int fd;

	memset(a, 0xa, sizeof(a));
	memset(b, 0xb, sizeof(b));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ge(fd = open(dir, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_eq(po_ledger_init(&l), 0);
	count_step(&l, fd, 0xa);			/* step 1 counts A */
	ck_assert_int_eq(po_ledger_save(&l, &d, fd), 0);	/* 2: batch */
	po_ledger_free(&l);
	/* run 2: A is seen; B is tagged 3 and flushed, then killed */
	ck_assert_int_eq(po_ledger_load(&m, &d, fd), 0);
	ck_assert_uint_eq(m.seq, 2);
	ck_assert_uint_eq(m.seen_step, 1);
	ck_assert_int_eq(po_seen_open(&s, &d, fd, m.seen_step, 0, 0), 0);
	ck_assert(po_seen_has(&s, a, 0));
	ck_assert_int_eq(po_seen_add(&s, b, 0, 100, m.seq + 1), 0);
	ck_assert_int_eq(po_seen_flush(&s, &d), 0);
	po_seen_close(&s);
	po_ledger_free(&m);
	/* run 3: the batch is finished first: step 3, not a count */
	ck_assert_int_eq(po_ledger_load(&m, &d, fd), 0);
	ck_assert_int_eq(po_ledger_save(&m, &d, fd), 0);
	ck_assert_uint_eq(m.seq, 3);
	ck_assert_uint_eq(m.seen_step, 1);
	ck_assert_int_eq(po_seen_open(&s, &d, fd, m.seen_step, 0, 0), 0);
	ck_assert(po_seen_has(&s, a, 0));
	ck_assert(!po_seen_has(&s, b, 0));
	po_seen_close(&s);
	ck_assert_int_eq(fstatat(fd, "seen", &st, 0), 0);
	ck_assert_int_eq(st.st_size, 32 + PO_SEEN_REC);	/* B is gone */
	/* B's receipt, requeued, is counted once, and then it is seen */
	count_step(&m, fd, 0xb);
	ck_assert_uint_eq(m.seen_step, 4);
	ck_assert_int_eq(po_seen_open(&s, &d, fd, m.seen_step, 0, 1), 0);
	ck_assert(po_seen_has(&s, a, 0) && po_seen_has(&s, b, 0));
	po_seen_close(&s);
	po_ledger_free(&m);
	ck_assert_int_eq(unlinkat(fd, "seen", 0), 0);
	ck_assert_int_eq(unlinkat(fd, "ledger", 0), 0);
	close(fd);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *
payout_suite(void)
{
	Suite *s = suite_create("payout");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, share_parse, 0,
	    sizeof(share_cases) / sizeof(share_cases[0]));
	tcase_add_test(tc, split_exact);
	tcase_add_test(tc, split_zero_retain_remainder);
	tcase_add_test(tc, split_sums_always);
	tcase_add_test(tc, split_huge);
	tcase_add_test(tc, conf_good);
	tcase_add_loop_test(tc, conf_bad, 0,
	    sizeof(bad_confs) / sizeof(bad_confs[0]));
	tcase_add_test(tc, ledger_roundtrip);
	tcase_add_loop_test(tc, ledger_bad, 0,
	    sizeof(bad_ledgers) / sizeof(bad_ledgers[0]));
	tcase_add_test(tc, ledger_atomic_save);
	tcase_add_test(tc, seen_set);
	tcase_add_test(tc, ledger_seen_step);
	tcase_add_test(tc, seen_two_faults);
	tcase_add_test(tc, batch_nonce_and_journal);
	tcase_add_loop_test(tc, batch_bad, 0,
	    sizeof(bad_journals) / sizeof(bad_journals[0]));
	tcase_add_test(tc, batch_minimal);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(payout_suite)
