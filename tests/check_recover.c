/* check_recover.c - receipt drafts (the chain half runs in recover.sh). */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recover.h"
#include "testutil.h"

static char root[64];

static void
setup(void)
{
	tu_scratch_make(root, sizeof(root), "check_recover");
}

static void
teardown(void)
{
	tu_scratch_remove(root);
}

static const char *
dir(void)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/drafts", root);
	return p;
}

static struct x402_drafts *
open_ok(void)
{
	struct x402_drafts *ds = NULL;
	struct x402_detail d;

	x402_detail_clear(&d);
	ck_assert_msg(x402_drafts_open(&ds, &d, dir()) == 0, "%s", d.msg);
	return ds;
}

static void
draft_make(struct x402_receipt *rc, unsigned n)
{
	memset(rc, 0, sizeof(*rc));
	snprintf(rc->route, sizeof(rc->route), "ocr");
	rc->time = 1700000000 + n;
	rc->x402_version = 2;
	snprintf(rc->scheme, sizeof(rc->scheme), "exact");
	snprintf(rc->network, sizeof(rc->network), "eip155:84532");
	tu_hex(rc->asset, sizeof(rc->asset),
	    "036CbD53842c5426634e7929541eC2318f3dCF7e");
	tu_hex(rc->payer, sizeof(rc->payer),
	    "f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
	tu_hex(rc->pay_to, sizeof(rc->pay_to),
	    "a0Ee7A142d267C1f36714E4a8F75612F20a79720");
	x402_u256_set_u64(&rc->amount, 10000 + n);
	rc->max_amount = rc->amount;
	rc->nonce[0] = 0xaa;
	rc->nonce[31] = (uint8_t)n;
	snprintf(rc->resource, sizeof(rc->resource), "http://x/ocr");
}

static void
id_make(uint8_t id[X402_CLAIM_ID_LEN], unsigned n)
{
	memset(id, 0x11, X402_CLAIM_ID_LEN);
	id[31] = (uint8_t)n;
}

START_TEST(put_get_drop)
{
	struct x402_drafts *ds = open_ok();
	struct x402_receipt rc, got;
	struct x402_detail d;
	uint8_t id[X402_CLAIM_ID_LEN];
	int64_t mtime = 0, watch = -1;
	long pid = 0;
	char path[256], amt[80];
	struct stat st;

	draft_make(&rc, 7);
	snprintf(rc.transaction, sizeof(rc.transaction), "0xdead");
	id_make(id, 7);
	ck_assert_int_eq(x402_draft_put(ds, &d, id, 4242, 0, &rc), 0);
	snprintf(path, sizeof(path), "%s/%s", dir(),
	    "1111111111111111111111111111111111111111111111111111111111111107");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(x402_draft_get(ds, &got, &pid, &watch, &mtime, &d,
	    id), 0);
	ck_assert_int_eq(pid, 4242);
	ck_assert_int_eq(watch, 0);
	ck_assert_int_eq(mtime, (int64_t)st.st_mtime);
	ck_assert_str_eq(got.route, "ocr");
	ck_assert_str_eq(got.scheme, "exact");
	ck_assert_str_eq(got.network, "eip155:84532");
	ck_assert_int_eq(got.time, 1700000007);
	/* the transaction is never part of a draft */
	ck_assert_str_eq(got.transaction, "");
	ck_assert_int_gt(x402_u256_format_dec(amt, sizeof(amt),
	    &got.amount), 0);
	ck_assert_str_eq(amt, "10007");
	ck_assert_mem_eq(got.nonce, rc.nonce, 32);
	ck_assert_mem_eq(got.pay_to, rc.pay_to, 20);
	x402_receipt_free(&got);
	/* replaced in place */
	x402_u256_set_u64(&rc.amount, 5);
	ck_assert_int_eq(x402_draft_put(ds, &d, id, 99, 1800000000, &rc), 0);
	ck_assert_int_eq(x402_draft_get(ds, &got, &pid, &watch, &mtime, &d,
	    id), 0);
	ck_assert_int_eq(pid, 99);
	ck_assert_int_eq(watch, 1800000000);
	ck_assert_int_gt(x402_u256_format_dec(amt, sizeof(amt),
	    &got.amount), 0);
	ck_assert_str_eq(amt, "5");
	x402_receipt_free(&got);
	ck_assert_int_eq(x402_draft_drop(ds, &d, id), 0);
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(x402_draft_drop(ds, &d, id), X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_draft_get(ds, &got, &pid, &watch, &mtime, &d,
	    id), X402_ERR_NOTFOUND);
	x402_drafts_close(ds);
}
END_TEST

static int
count_fn(void *arg, const uint8_t id[X402_CLAIM_ID_LEN])
{
	int *n = arg;

	ck_assert_int_eq(id[0], 0x11);
	*n += id[31];
	return 0;
}

static int
stop_fn(void *arg, const uint8_t id[X402_CLAIM_ID_LEN])
{
	(void)arg; (void)id;
	return 77;
}

START_TEST(each_lists_only_drafts)
{
	struct x402_drafts *ds = open_ok();
	struct x402_receipt rc;
	struct x402_detail d;
	uint8_t id[X402_CLAIM_ID_LEN];
	char path[256];
	int n = 0, fd;

	draft_make(&rc, 1);
	id_make(id, 1);
	ck_assert_int_eq(x402_draft_put(ds, &d, id, 1, 0, &rc), 0);
	id_make(id, 2);
	ck_assert_int_eq(x402_draft_put(ds, &d, id, 1, 0, &rc), 0);
	/* other names: a leftover temporary, uppercase hex, short */
	snprintf(path, sizeof(path), "%s/.tmp.0011223344556677", dir());
	ck_assert_int_ge(fd = open(path, O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s", dir(),
	    "1111111111111111111111111111111111111111111111111111111111111A0A");
	ck_assert_int_ge(fd = open(path, O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/1111", dir());
	ck_assert_int_ge(fd = open(path, O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	ck_assert_int_eq(x402_draft_each(ds, &d, count_fn, &n), 0);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(x402_draft_each(ds, &d, stop_fn, NULL), 77);
	x402_drafts_close(ds);
}
END_TEST

/* A kept response: round trip, bounded, beside the draft, not a draft. */
START_TEST(kept_put_get_drop)
{
	struct x402_drafts *ds = open_ok();
	struct x402_receipt rc;
	struct x402_kept k, got;
	struct x402_buf body;
	struct x402_detail d;
	uint8_t id[X402_CLAIM_ID_LEN];
	static const char out[] = "line one\n\0binary\xff tail";
	char path[256];
	int n = 0, fd;

	x402_buf_init(&body, 1024);
	id_make(id, 7);
	memset(&k, 0, sizeof(k));
	k.status = 201;
	k.until = 1800000000;
	memset(k.hdr_hash, 0xab, sizeof(k.hdr_hash));
	snprintf(k.type, sizeof(k.type), "text/plain; charset=utf-8");
	ck_assert_int_eq(x402_kept_get(ds, &got, &body, &d, id),
	    X402_ERR_NOTFOUND);
	ck_assert_msg(x402_kept_put(ds, &d, id, &k, out, sizeof(out)) == 0,
	    "%s", d.msg);
	ck_assert_msg(x402_kept_get(ds, &got, &body, &d, id) == 0, "%s",
	    d.msg);
	ck_assert_int_eq(got.status, 201);
	ck_assert_int_eq(got.until, 1800000000);
	ck_assert_mem_eq(got.hdr_hash, k.hdr_hash, 32);
	ck_assert_str_eq(got.type, k.type);
	ck_assert_uint_eq(body.len, sizeof(out));
	ck_assert_mem_eq(body.p, out, sizeof(out));
	/* Empty bodies too. */
	ck_assert_int_eq(x402_kept_put(ds, &d, id, &k, NULL, 0), 0);
	ck_assert_int_eq(x402_kept_get(ds, &got, &body, &d, id), 0);
	ck_assert_uint_eq(body.len, 0);
	/* A body over the reader's bound is refused, not truncated. */
	ck_assert_int_eq(x402_kept_put(ds, &d, id, &k, out, sizeof(out)), 0);
	x402_buf_free(&body);
	x402_buf_init(&body, 8);
	ck_assert_int_eq(x402_kept_get(ds, &got, &body, &d, id),
	    X402_ERR_LIMIT);
	/* Not a draft; dropping the draft leaves it. */
	draft_make(&rc, 7);
	ck_assert_int_eq(x402_draft_put(ds, &d, id, 1, 0, &rc), 0);
	ck_assert_int_eq(x402_draft_each(ds, &d, count_fn, &n), 0);
	ck_assert_int_eq(n, 7);		/* the draft, once */
	n = 0;
	ck_assert_int_eq(x402_kept_each(ds, &d, count_fn, &n), 0);
	ck_assert_int_eq(n, 7);		/* the kept response, once */
	ck_assert_int_eq(x402_draft_drop(ds, &d, id), 0);
	ck_assert_int_eq(x402_kept_get(ds, &got, &body, &d, id),
	    X402_ERR_LIMIT);
	/* A truncated record is unreadable. */
	snprintf(path, sizeof(path), "%s/%s.kept", dir(),
	    "1111111111111111111111111111111111111111111111111111111111111107");
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_TRUNC), 0);
	ck_assert_int_eq(write(fd, "x402-kept 1 200 0 5\n", 20), 20);
	close(fd);
	ck_assert_int_eq(x402_kept_get(ds, &got, &body, &d, id),
	    X402_ERR_SYNTAX);
	/* Bad arguments. */
	k.type[0] = '\0';
	ck_assert_int_eq(x402_kept_put(ds, &d, id, &k, out, 1),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_kept_drop(ds, &d, id), 0);
	ck_assert_int_eq(x402_kept_drop(ds, &d, id), X402_ERR_NOTFOUND);
	x402_buf_free(&body);
	x402_drafts_close(ds);
}
END_TEST

/*
 * The "paid, not run yet" mark (status 0): one taker of the run, the mark
 * of the taken run outlives the response put over it and goes with it.
 */
START_TEST(kept_marker_take)
{
	struct x402_drafts *ds = open_ok();
	struct x402_kept k, got;
	struct x402_buf body;
	struct x402_detail d;
	uint8_t id[X402_CLAIM_ID_LEN];

	x402_buf_init(&body, 1024);
	id_make(id, 9);
	memset(&k, 0, sizeof(k));
	k.status = 0;
	k.until = 1800000000;
	snprintf(k.type, sizeof(k.type), "none");
	ck_assert_int_eq(x402_kept_put(ds, &d, id, &k, "x", 1),
	    X402_ERR_INVAL);		/* a mark has no body */
	ck_assert_msg(x402_kept_put(ds, &d, id, &k, NULL, 0) == 0, "%s",
	    d.msg);
	ck_assert_msg(x402_kept_get(ds, &got, &body, &d, id) == 0, "%s",
	    d.msg);
	ck_assert_int_eq(got.status, 0);
	ck_assert_uint_eq(body.len, 0);
	ck_assert_msg(x402_kept_take(ds, &d, id) == 0, "%s", d.msg);
	ck_assert_int_eq(x402_kept_take(ds, &d, id), X402_ERR_DUPLICATE);
	k.status = 200;
	ck_assert_int_eq(x402_kept_put(ds, &d, id, &k, "out", 3), 0);
	ck_assert_int_eq(x402_kept_take(ds, &d, id), X402_ERR_DUPLICATE);
	ck_assert_int_eq(x402_kept_get(ds, &got, &body, &d, id), 0);
	ck_assert_int_eq(got.status, 200);
	ck_assert_int_eq(x402_kept_drop(ds, &d, id), 0);
	/* Dropped with its response, the run can be taken again. */
	ck_assert_int_eq(x402_kept_take(ds, &d, id), 0);
	ck_assert_int_eq(x402_kept_put(ds, &d, id, &k, "out", 3), 0);
	ck_assert_int_eq(x402_kept_drop(ds, &d, id), 0);
	ck_assert_int_eq(x402_kept_drop(ds, &d, id), X402_ERR_NOTFOUND);
	x402_buf_free(&body);
	x402_drafts_close(ds);
}
END_TEST

START_TEST(unreadable_and_refused)
{
	struct x402_drafts *ds = open_ok();
	struct x402_receipt rc, got;
	struct x402_detail d;
	uint8_t id[X402_CLAIM_ID_LEN];
	int64_t mtime, watch;
	long pid;
	char path[256];
	static const char *const bad[] = {
		"",
		"x402-draft 1 12 0\n",
		"x402-draft 2 12 0\n{}\n",
		"x402-draft 1 0 0\n{}\n",
		"x402-draft 1 -3 0\n{}\n",
		"x402-draft 1 12x 0\n{}\n",
		"x402-draft 1 12\n{}\n",		/* no watch */
		"x402-draft 1 12 -1\n{}\n",
		"x402-draft 1 12 5 \n{}\n",
		"x402-draft 1 12 0\n{\"receipt\":1}\n",
		"x402-draft 1 12 0\n{\"receipt\":1}",	/* no final newline */
	};
	size_t i;
	FILE *f;

	id_make(id, 9);
	draft_make(&rc, 9);
	snprintf(path, sizeof(path), "%s/%s", dir(),
	    "1111111111111111111111111111111111111111111111111111111111111109");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fputs(bad[i], f);
		fclose(f);
		x402_detail_clear(&d);
		ck_assert_msg(x402_draft_get(ds, &got, &pid, &watch, &mtime, &d,
		    id) == X402_ERR_SYNTAX, "case %zu", i);
		ck_assert_ptr_nonnull(strstr(d.msg, "unreadable"));
		x402_receipt_free(&got);
	}
	/* a good one parses (the table above is not vacuous) */
	ck_assert_int_eq(x402_draft_put(ds, &d, id, 12, 0, &rc), 0);
	ck_assert_int_eq(x402_draft_get(ds, &got, &pid, &watch, &mtime, &d,
	    id), 0);
	x402_receipt_free(&got);
	ck_assert_int_eq(x402_draft_put(ds, &d, id, 0, 0, &rc), X402_ERR_INVAL);
	ck_assert_int_eq(x402_draft_put(ds, &d, id, -1, 0, &rc),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_draft_put(ds, &d, id, 1, -1, &rc),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_draft_put(NULL, &d, id, 1, 0, &rc),
	    X402_ERR_INVAL);
	x402_drafts_close(ds);
	x402_drafts_close(NULL);
}
END_TEST

START_TEST(open_refusals)
{
	struct x402_drafts *ds = NULL;
	struct x402_detail d;
	char path[256], longp[5000];
	FILE *f;

	ck_assert_int_eq(x402_drafts_open(&ds, &d, ""), X402_ERR_INVAL);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(x402_drafts_open(&ds, &d, longp), X402_ERR_LIMIT);
	snprintf(path, sizeof(path), "%s/nope/drafts", root);
	ck_assert_int_eq(x402_drafts_open(&ds, &d, path), X402_ERR_IO);
	ck_assert_ptr_nonnull(strstr(d.msg, "mkdir"));
	snprintf(path, sizeof(path), "%s/file", root);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	ck_assert_int_eq(x402_drafts_open(&ds, &d, path), X402_ERR_IO);
	ck_assert_ptr_null(ds);
}
END_TEST

static Suite *
recover_suite(void)
{
	Suite *s = suite_create("recover");
	TCase *tc = tcase_create("drafts");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, put_get_drop);
	tcase_add_test(tc, each_lists_only_drafts);
	tcase_add_test(tc, kept_put_get_drop);
	tcase_add_test(tc, kept_marker_take);
	tcase_add_test(tc, unreadable_and_refused);
	tcase_add_test(tc, open_refusals);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(recover_suite)
