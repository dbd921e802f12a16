/* check_claim.c - exactly-once authorization claims, with a 50-process race. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "keccak.h"
#include "testutil.h"

static char root[64];

static void
setup(void)
{
	tu_scratch_make(root, sizeof(root), "check_claim");
}

static void
teardown(void)
{
	tu_scratch_remove(root);
}

static const char *
store_dir(void)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/claims", root);
	return p;
}

static struct x402_claim_store *
open_ok(void)
{
	struct x402_claim_store *s = NULL;
	struct x402_detail d;

	x402_detail_clear(&d);
	ck_assert_msg(x402_claim_open(&s, &d, store_dir()) == 0, "%s", d.msg);
	return s;
}

/* A key on Base Sepolia's USDC with nonce byte 31 = n. */
static void
key_make(struct x402_claim_key *k, unsigned n)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->network, sizeof(k->network), "eip155:84532");
	tu_hex(k->asset, sizeof(k->asset),
	    "036CbD53842c5426634e7929541eC2318f3dCF7e");
	tu_hex(k->payer, sizeof(k->payer),
	    "f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
	k->nonce[0] = 0xaa;
	k->nonce[31] = (uint8_t)n;
}

/* Number of entries in the store directory (all, dotfiles too). */
static int
entries(void)
{
	DIR *dp = opendir(store_dir());
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..");
	closedir(dp);
	return n;
}

START_TEST(id_is_keccak_of_the_key)
{
	struct x402_claim_key k;
	uint8_t id[32], want[32], pre[14 + 1 + 12 + 20 + 20 + 32];
	size_t o = 0;

	key_make(&k, 1);
	memcpy(pre, "x402-claim-v1", 14);	/* with the NUL */
	o = 14;
	pre[o++] = 12;
	memcpy(pre + o, "eip155:84532", 12);
	o += 12;
	memcpy(pre + o, k.asset, 20);
	o += 20;
	memcpy(pre + o, k.payer, 20);
	o += 20;
	memcpy(pre + o, k.nonce, 32);
	o += 32;
	ck_assert_uint_eq(o, sizeof(pre));
	x402_keccak256(want, pre, sizeof(pre));
	ck_assert_int_eq(x402_claim_id(id, &k), 0);
	ck_assert_mem_eq(id, want, 32);
	/* Each field is in the id. */
	k.payer[0] ^= 1;
	ck_assert_int_eq(x402_claim_id(want, &k), 0);
	ck_assert(memcmp(id, want, 32) != 0);
	key_make(&k, 1);
	k.network[7] = '3';
	ck_assert_int_eq(x402_claim_id(want, &k), 0);
	ck_assert(memcmp(id, want, 32) != 0);
	/* Networks that could smuggle text are refused. */
	strcpy(k.network, "../x y");
	ck_assert_int_eq(x402_claim_id(id, &k), X402_ERR_INVAL);
	k.network[0] = '\0';
	ck_assert_int_eq(x402_claim_id(id, &k), X402_ERR_INVAL);
}
END_TEST

START_TEST(acquire_release_commit)
{
	struct x402_claim_store *s = open_ok();
	struct x402_claim_key k;
	struct x402_claim_token t, t2;
	struct x402_claim_state st;
	struct x402_detail d;

	key_make(&k, 1);
	ck_assert_int_eq(x402_claim_state(s, &st, &d, &k), X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k), 0);
	/* Twice: duplicate, and the first claim is untouched. */
	x402_detail_clear(&d);
	ck_assert_int_eq(x402_claim_acquire(s, &t2, &d, &k),
	    X402_ERR_DUPLICATE);
	ck_assert_msg(strstr(d.msg, "already claimed") != NULL, "%s", d.msg);
	ck_assert_int_eq(entries(), 1);	/* no temporary left behind */
	ck_assert_int_eq(x402_claim_state(s, &st, &d, &k), 0);
	ck_assert_int_eq(st.status, X402_CLAIM_INFLIGHT);
	ck_assert_int_eq(st.pid, (long)getpid());
	ck_assert_mem_eq(st.token.owner, t.owner, sizeof(t.owner));
	/* Release, then the payer may retry. */
	ck_assert_int_eq(x402_claim_release(s, &d, &t), 0);
	ck_assert_int_eq(entries(), 0);
	ck_assert_int_eq(x402_claim_release(s, &d, &t), X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_claim_commit(s, &d, &t, "0x01"),
	    X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k), 0);
	/* Another owner cannot end it. */
	t2 = t;
	t2.owner[0] ^= 1;
	ck_assert_int_eq(x402_claim_release(s, &d, &t2), X402_ERR_BUSY);
	ck_assert_int_eq(x402_claim_commit(s, &d, &t2, "0x01"),
	    X402_ERR_BUSY);
	/* Commit: settled forever. */
	ck_assert_int_eq(x402_claim_commit(s, &d, &t, "bad tx"),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_claim_commit(s, &d, &t, ""), X402_ERR_INVAL);
	ck_assert_int_eq(x402_claim_commit(s, &d, &t, "0xdeadbeef"), 0);
	ck_assert_int_eq(entries(), 1);
	ck_assert_int_eq(x402_claim_acquire(s, &t2, &d, &k),
	    X402_ERR_DUPLICATE);
	ck_assert_int_eq(x402_claim_release(s, &d, &t), X402_ERR_DUPLICATE);
	ck_assert_int_eq(x402_claim_commit(s, &d, &t, "0x02"),
	    X402_ERR_DUPLICATE);
	x402_claim_close(s);
	x402_claim_close(NULL);
	/* Claims outlive the store handle. */
	s = open_ok();
	ck_assert_int_eq(x402_claim_acquire(s, &t2, &d, &k),
	    X402_ERR_DUPLICATE);
	x402_claim_close(s);
}
END_TEST

START_TEST(state_round_trip)
{
	struct x402_claim_store *s = open_ok();
	struct x402_claim_key k;
	struct x402_claim_token t;
	struct x402_claim_state st;
	struct x402_detail d;
	char tx[X402_CLAIM_TXMAX + 2];
	time_t t0 = time(NULL);

	key_make(&k, 7);
	memset(k.nonce, 0xff, sizeof(k.nonce));
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k), 0);
	ck_assert_int_eq(x402_claim_state(s, &st, &d, &k), 0);
	ck_assert_int_eq(st.status, X402_CLAIM_INFLIGHT);
	ck_assert_mem_eq(&st.token, &t, sizeof(t));
	ck_assert_str_eq(st.key.network, k.network);
	ck_assert_mem_eq(st.key.asset, k.asset, 20);
	ck_assert_mem_eq(st.key.payer, k.payer, 20);
	ck_assert_mem_eq(st.key.nonce, k.nonce, 32);
	ck_assert_int_ge(st.since, (int64_t)t0);
	ck_assert_int_le(st.since, (int64_t)time(NULL));
	ck_assert_str_eq(st.tx, "");
	/* The longest transaction id fits, one more does not. */
	memset(tx, 'a', sizeof(tx));
	tx[X402_CLAIM_TXMAX + 1] = '\0';
	ck_assert_int_eq(x402_claim_commit(s, &d, &t, tx), X402_ERR_INVAL);
	tx[X402_CLAIM_TXMAX] = '\0';
	ck_assert_int_eq(x402_claim_commit(s, &d, &t, tx), 0);
	ck_assert_int_eq(x402_claim_state(s, &st, &d, &k), 0);
	ck_assert_int_eq(st.status, X402_CLAIM_SETTLED);
	ck_assert_str_eq(st.tx, tx);
	ck_assert_mem_eq(&st.token, &t, sizeof(t));
	ck_assert_mem_eq(st.key.nonce, k.nonce, 32);
	ck_assert_str_eq(st.key.network, "eip155:84532");
	x402_claim_close(s);
}
END_TEST

START_TEST(unreadable_claim)
{
	struct x402_claim_store *s = open_ok();
	struct x402_claim_key k;
	struct x402_claim_token t;
	struct x402_claim_state st;
	struct x402_detail d;
	uint8_t id[32];
	char path[256], hex[80];
	FILE *f;

	key_make(&k, 9);
	ck_assert_int_eq(x402_claim_id(id, &k), 0);
	(void)x402_hex_encode(hex, sizeof(hex), id, 32, X402_HEX_PREFIX_NONE);
	snprintf(path, sizeof(path), "%s/%s", store_dir(), hex);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("inflight 12 34\n", f);
	fclose(f);
	ck_assert_int_eq(x402_claim_state(s, &st, &d, &k), X402_ERR_SYNTAX);
	/* Unreadable still blocks: fail closed. */
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k),
	    X402_ERR_DUPLICATE);
	x402_claim_close(s);
}
END_TEST

START_TEST(nonces_do_not_collide)
{
	struct x402_claim_store *s = open_ok();
	struct x402_claim_key k;
	struct x402_claim_token t;
	struct x402_detail d;
	unsigned i;

	for (i = 0; i < 200; i++) {
		key_make(&k, i);
		ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k), 0);
	}
	ck_assert_int_eq(entries(), 200);
	/* Same nonce, another payer, asset or network: distinct claims. */
	key_make(&k, 0);
	k.payer[19] ^= 1;
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k), 0);
	key_make(&k, 0);
	k.asset[19] ^= 1;
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k), 0);
	key_make(&k, 0);
	strcpy(k.network, "eip155:8453");
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k), 0);
	key_make(&k, 0);
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k),
	    X402_ERR_DUPLICATE);
	x402_claim_close(s);
}
END_TEST

#define NRACE 50

START_TEST(fifty_processes_one_winner)
{
	struct x402_claim_store *s;
	struct x402_claim_key k;
	struct x402_claim_state st;
	struct x402_detail d;
	pid_t pid[NRACE], winner = 0;
	int go[2], res[2], i, status, wins = 0, dups = 0;
	char c;

	x402_claim_close(open_ok());	/* create the directory first */
	key_make(&k, 42);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(res), 0);
	for (i = 0; i < NRACE; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			struct x402_claim_store *cs = NULL;
			struct x402_claim_token t;
			int r;

			close(go[1]);
			close(res[0]);
			if (x402_claim_open(&cs, NULL, store_dir()) != 0)
				_exit(2);
			/* Wait for the start: EOF on the go pipe. */
			while (read(go[0], &c, 1) > 0)
				;
			r = x402_claim_acquire(cs, &t, NULL, &k);
			c = r == 0 ? 'W' : r == X402_ERR_DUPLICATE ? 'D' : 'E';
			if (write(res[1], &c, 1) != 1)
				_exit(3);
			x402_claim_close(cs);
			_exit(0);
		}
	}
	close(go[0]);
	close(res[1]);
	close(go[1]);		/* start */
	while (read(res[0], &c, 1) == 1) {
		wins += c == 'W';
		dups += c == 'D';
	}
	close(res[0]);
	for (i = 0; i < NRACE; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(wins, 1);
	ck_assert_int_eq(dups, NRACE - 1);
	ck_assert_int_eq(entries(), 1);
	s = open_ok();
	ck_assert_int_eq(x402_claim_state(s, &st, &d, &k), 0);
	ck_assert_int_eq(st.status, X402_CLAIM_INFLIGHT);
	for (i = 0; i < NRACE; i++)
		winner = pid[i] == st.pid ? pid[i] : winner;
	ck_assert_int_ne(winner, 0);
	x402_claim_close(s);
}
END_TEST

/*
 * A pending claim taken over by retries: several processes hold the same
 * token (read from the claim) and commit at once.  Exactly one commit
 * succeeds; the others see it settled (the single point that keeps two
 * retries from both writing a receipt).
 */
START_TEST(one_token_one_commit)
{
	struct x402_claim_store *s;
	struct x402_claim_token tok;
	struct x402_claim_key k;
	struct x402_detail d;
	pid_t pid[8];
	int go[2], res[2], i, round, status, wins, dups;
	char c;

	for (round = 0; round < 10; round++) {
		s = open_ok();
		key_make(&k, 100 + (unsigned)round);
		ck_assert_int_eq(x402_claim_acquire(s, &tok, &d, &k), 0);
		x402_claim_close(s);
		ck_assert_int_eq(pipe(go), 0);
		ck_assert_int_eq(pipe(res), 0);
		for (i = 0; i < 8; i++) {
			pid[i] = fork();
			ck_assert_int_ge(pid[i], 0);
			if (pid[i] == 0) {
				struct x402_claim_store *cs = NULL;
				int r;

				close(go[1]);
				close(res[0]);
				if (x402_claim_open(&cs, NULL, store_dir()) != 0)
					_exit(2);
				while (read(go[0], &c, 1) > 0)
					;
				r = x402_claim_commit(cs, NULL, &tok, "0xabc");
				c = r == 0 ? 'W' : r == X402_ERR_DUPLICATE ?
				    'D' : 'E';
				if (write(res[1], &c, 1) != 1)
					_exit(3);
				x402_claim_close(cs);
				_exit(0);
			}
		}
		close(go[0]);
		close(res[1]);
		close(go[1]);
		wins = dups = 0;
		while (read(res[0], &c, 1) == 1) {
			wins += c == 'W';
			dups += c == 'D';
		}
		close(res[0]);
		for (i = 0; i < 8; i++) {
			ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
			ck_assert(WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0);
		}
		ck_assert_msg(wins == 1, "round %d: %d commits won", round,
		    wins);
		ck_assert_int_eq(dups, 7);
	}
}
END_TEST

struct seen {
	int n;
	struct x402_claim_state last;
};

static int
collect(void *arg, const struct x402_claim_state *st)
{
	struct seen *s = arg;

	s->n++;
	s->last = *st;
	return 0;
}

static int
stop_at_first(void *arg, const struct x402_claim_state *st)
{
	(void)arg;
	(void)st;
	return 77;
}

START_TEST(stale_claims_are_listed_not_released)
{
	struct x402_claim_store *s = open_ok();
	struct x402_claim_key k;
	struct x402_claim_token t;
	struct x402_claim_state st;
	struct x402_detail d;
	struct seen seen;
	pid_t pid;
	int status;

	/* A worker that claimed and died. */
	key_make(&k, 1);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct x402_claim_store *cs = NULL;
		struct x402_claim_token ct;

		if (x402_claim_open(&cs, NULL, store_dir()) != 0 ||
		    x402_claim_acquire(cs, &ct, NULL, &k) != 0)
			_exit(1);
		x402_claim_close(cs);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* A live worker's claim and a settled one. */
	key_make(&k, 2);
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k), 0);
	key_make(&k, 3);
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k), 0);
	ck_assert_int_eq(x402_claim_commit(s, &d, &t, "0xabc"), 0);

	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(x402_claim_stale(s, &d, time(NULL), 3600, collect,
	    &seen), 0);
	ck_assert_int_eq(seen.n, 0);	/* too young */
	ck_assert_int_eq(x402_claim_stale(s, &d, time(NULL) + 3600, 3600,
	    collect, &seen), 0);
	ck_assert_int_eq(seen.n, 1);
	ck_assert_int_eq(seen.last.pid, (long)pid);
	ck_assert_int_eq(seen.last.key.nonce[31], 1);
	ck_assert_int_eq(x402_claim_stale(s, &d, time(NULL) + 3600, 3600,
	    stop_at_first, NULL), 77);
	/* Listing released nothing. */
	key_make(&k, 1);
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k),
	    X402_ERR_DUPLICATE);
	/* Recovery, having checked the chain, releases with the token. */
	ck_assert_int_eq(x402_claim_release(s, &d, &seen.last.token), 0);
	ck_assert_int_eq(x402_claim_acquire(s, &t, &d, &k), 0);
	ck_assert_int_eq(x402_claim_state(s, &st, &d, &k), 0);
	ck_assert_int_eq(st.pid, (long)getpid());
	x402_claim_close(s);
}
END_TEST

START_TEST(worker_gone)
{
	pid_t pid;
	int status;

	/* alive: this process, which started before now */
	ck_assert_int_eq(x402_claim_worker_gone((long)getpid(),
	    (int64_t)time(NULL)), 0);
	ck_assert_int_eq(x402_claim_worker_gone(1, (int64_t)time(NULL)), 0);
	/* a pid reused: this process started long after a claim of 2001 */
	ck_assert_int_eq(x402_claim_worker_gone((long)getpid(),
	    (int64_t)1000000000), 1);
	/* a process that exited */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(x402_claim_worker_gone((long)pid,
	    (int64_t)time(NULL)), 1);
	/* nothing to judge */
	ck_assert_int_eq(x402_claim_worker_gone(0, 0), 0);
	ck_assert_int_eq(x402_claim_worker_gone(-5, 0), 0);
}
END_TEST

/* A second backend, in memory, to show callers need not change. */
struct mem {
	int used;
	struct x402_claim_state st;
	int closed;
};

static int
m_create(void *impl, struct x402_detail *d, const struct x402_claim_state *st)
{
	struct mem *m = impl;

	if (m->used)
		return x402_fail(d, X402_ERR_DUPLICATE, "mem: taken");
	m->used = 1;
	m->st = *st;
	return 0;
}

static int
m_remove(void *impl, struct x402_detail *d, const struct x402_claim_token *t)
{
	struct mem *m = impl;

	(void)d;
	if (!m->used || memcmp(&m->st.token, t, sizeof(*t)) != 0)
		return X402_ERR_NOTFOUND;
	m->used = 0;
	return 0;
}

static int
m_settle(void *impl, struct x402_detail *d, const struct x402_claim_state *st)
{
	struct mem *m = impl;

	(void)d;
	m->st.status = st->status;
	memcpy(m->st.tx, st->tx, sizeof(st->tx));
	return 0;
}

static int
m_get(void *impl, struct x402_claim_state *out, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN])
{
	struct mem *m = impl;

	(void)d;
	if (!m->used || memcmp(m->st.token.id, id, X402_CLAIM_ID_LEN) != 0)
		return X402_ERR_NOTFOUND;
	*out = m->st;
	return 0;
}

static int
m_each(void *impl, struct x402_detail *d,
    int (*fn)(void *, const struct x402_claim_state *), void *arg)
{
	struct mem *m = impl;

	(void)d;
	return m->used ? fn(arg, &m->st) : 0;
}

static void
m_close(void *impl)
{
	((struct mem *)impl)->closed = 1;
}

static const struct x402_claim_ops mem_ops = {
	m_create, m_remove, m_settle, m_get, m_each, m_close,
};

START_TEST(pluggable_backend)
{
	struct x402_claim_store *s = NULL;
	struct x402_claim_ops bad = mem_ops;
	struct x402_claim_key k;
	struct x402_claim_token t;
	struct x402_claim_state st;
	struct mem m;

	memset(&m, 0, sizeof(m));
	bad.each = NULL;
	ck_assert_int_eq(x402_claim_store_new(&s, NULL, &bad, &m),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_claim_store_new(&s, NULL, &mem_ops, &m), 0);
	key_make(&k, 5);
	ck_assert_int_eq(x402_claim_acquire(s, &t, NULL, &k), 0);
	ck_assert_int_eq(x402_claim_acquire(s, &t, NULL, &k),
	    X402_ERR_DUPLICATE);
	ck_assert_int_eq(x402_claim_commit(s, NULL, &t, "0x1"), 0);
	ck_assert_int_eq(x402_claim_state(s, &st, NULL, &k), 0);
	ck_assert_int_eq(st.status, X402_CLAIM_SETTLED);
	ck_assert_str_eq(st.tx, "0x1");
	x402_claim_close(s);
	ck_assert_int_eq(m.closed, 1);
}
END_TEST

START_TEST(open_refusals)
{
	struct x402_claim_store *s = NULL;
	struct x402_detail d;
	FILE *f;
	char path[128];

	snprintf(path, sizeof(path), "%s/file", root);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	x402_detail_clear(&d);
	ck_assert_int_eq(x402_claim_open(&s, &d, path), X402_ERR_IO);
	ck_assert_msg(strstr(d.msg, strerror(ENOTDIR)) != NULL, "%s", d.msg);
	ck_assert_ptr_null(s);
	snprintf(path, sizeof(path), "%s/no/such", root);
	ck_assert_int_eq(x402_claim_open(&s, &d, path), X402_ERR_IO);
	ck_assert_int_eq(x402_claim_open(&s, &d, ""), X402_ERR_INVAL);
}
END_TEST

static Suite *
claim_suite(void)
{
	Suite *s = suite_create("claim");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, id_is_keccak_of_the_key);
	tcase_add_test(tc, acquire_release_commit);
	tcase_add_test(tc, state_round_trip);
	tcase_add_test(tc, unreadable_claim);
	tcase_add_test(tc, nonces_do_not_collide);
	tcase_add_test(tc, fifty_processes_one_winner);
	tcase_add_test(tc, one_token_one_commit);
	tcase_add_test(tc, stale_claims_are_listed_not_released);
	tcase_add_test(tc, worker_gone);
	tcase_add_test(tc, pluggable_backend);
	tcase_add_test(tc, open_refusals);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(claim_suite)
