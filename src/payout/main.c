/*
 * x402-payout - split settled x402 revenue among collaborators and pay
 * each of them exactly once, even when killed mid-run (run from cron).
 *
 * Design (see also x402-payout(8)):
 *  - Lock: flock(STATE/lock, LOCK_EX|LOCK_NB); a second run while one is
 *    active exits at once with 75 (EX_TEMPFAIL), naming the holder's pid.
 *  - Ledger: STATE/ledger, one small text file rewritten atomically (tmp,
 *    fsync, rename, fsync dir) at every step: per payee owed, in flight,
 *    paid, earned; totals received and retained; next and open batch;
 *    per-day totals; and the names of the receipts counted by the last
 *    step.  Receipts are claimed from the spool by rename (new/ -> cur/),
 *    split by their route's rule in integer atomic units (each share
 *    rounded down; the retained share takes every remainder, so the parts
 *    of a receipt add up to its amount exactly), written to the ledger
 *    with their names in one atomic step, then unlinked and cur/ fsynced.
 *    A restart done()s the receipts of cur/ the ledger names and requeues
 *    the others.  Garbage goes to quarantine/ with its reason logged.
 *  - Batch: payees whose owed balance reached their minimum get one
 *    EIP-3009 transferWithAuthorization each, from the payout wallet,
 *    nonce = keccak256("x402-payout" || ledger instance || batch id ||
 *    payee), validAfter 0, validBefore now + valid_for.  The wallet's token
 *    balance is checked first (short: stop, nothing moves).  The whole
 *    batch, signed, is written to STATE/batches/N, and only then does the
 *    ledger move the amounts from owed to in flight and mark batch N open.
 *    Each transfer is sent (rpc: the wallet's own transaction, its hash
 *    journalled before sending; facilitator: POST /settle), confirmed by
 *    authorizationState, and marked paid in the journal.  When all are
 *    paid the ledger moves in flight to paid and closes the batch.
 *  - Restart: an open batch is finished first, re-sending the same signed
 *    authorizations; a used nonce means paid (the chain accepts each
 *    nonce once), so nothing is paid twice and nothing is lost.  A
 *    journal the ledger never took up was never sent and is dropped.
 *  - Test hook: X402_PAYOUT_CRASH_AT=POINT:N kills the process with
 *    SIGKILL the N-th time it passes POINT (claim, before-count, counted,
 *    done, journal, committed, before-send, sent, confirmed, between,
 *    close, closed).  Always compiled in; harmless unless set.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "payout.h"

#define CONFDIR SYSCONFDIR "/x402"

static void
usage_to(FILE *f)
{
	fprintf(f,
	    "usage: x402-payout [-c payout.conf] [-v] run [--dry-run]\n"
	    "       x402-payout [-c payout.conf] status [-a]\n"
	    "       x402-payout [-c payout.conf] report [--from YYYY-MM-DD] "
	    "[--to YYYY-MM-DD] [--csv]\n"
	    "       x402-payout [-c payout.conf] check\n"
	    "       x402-payout [-c payout.conf] metrics\n"
	    "       x402-payout [-c payout.conf] requeue NAME... | --all\n"
	    "       x402-payout --help | --version\n"
	    "exit status: 0 done, 1 failed, 64 usage, 75 another run holds "
	    "the lock,\n78 configuration; see x402-payout(8)\n");
}

static void
usage(void)
{
	usage_to(stderr);
	exit(PO_EXIT_USAGE);
}

static int
open_dir(int at, const char *path, int create)
{
	int fd;

	if (create && mkdirat(at, path, 0700) != 0 && errno != EEXIST)
		return -1;
	fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

/* Takes STATE/lock; returns 0, or PO_EXIT_TEMPFAIL / PO_EXIT_FAIL. */
static int
take_lock(struct po_ctx *c)
{
	char buf[32];
	ssize_t n;

	c->lockfd = openat(c->statefd, "lock", O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (c->lockfd < 0) {
		X402_LOG_ERR("%s/lock: %s", c->conf->state, strerror(errno));
		return PO_EXIT_FAIL;
	}
	if (flock(c->lockfd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK) {
			X402_LOG_ERR("%s/lock: %s", c->conf->state,
			    strerror(errno));
			return PO_EXIT_FAIL;
		}
		n = pread(c->lockfd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		X402_LOG_ERR("another x402-payout run is active (pid %s)",
		    buf[0] ? buf : "?");
		return PO_EXIT_TEMPFAIL;
	}
	c->locked = 1;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(c->lockfd, 0) != 0 || pwrite(c->lockfd, buf,
	    (size_t)n, 0) != n)
		X402_LOG_WARN("cannot write the pid into the lock file");
	return 0;
}

static int
setup_network(struct po_ctx *c)
{
	struct x402_eip712_domain dom;
	struct x402_detail d;
	int r;

	if ((r = x402_networks_new(&c->nets)) != 0)
		return r;
	if (c->conf->networks[0] != '\0' &&
	    (r = x402_networks_load(c->nets, &d, c->conf->networks)) != 0) {
		X402_LOG_ERR("%s", d.msg);
		return r;
	}
	if ((c->net = x402_networks_find(c->nets, c->conf->network)) ==
	    NULL) {
		X402_LOG_ERR("%s: [payout] network: unknown network %s",
		    c->conf->file, c->conf->network);
		return X402_ERR_CONFIG;
	}
	c->asset = x402_network_asset(c->net, c->conf->asset[0] ?
	    c->conf->asset : NULL);
	if (c->asset == NULL) {
		X402_LOG_ERR("%s: [payout] asset: %s is not an asset of %s",
		    c->conf->file, c->conf->asset, c->net->caip2);
		return X402_ERR_CONFIG;
	}
	if (c->asset->transfer != X402_TRANSFER_EIP3009) {
		X402_LOG_ERR("%s: [payout] asset: %s has no EIP-3009 "
		    "transfers", c->conf->file, c->asset->symbol);
		return X402_ERR_CONFIG;
	}
	x402_network_domain(&dom, c->net, c->asset);
	x402_eip712_domain_separator(c->domsep, &dom);
	return 0;
}

static int
setup_key(struct po_ctx *c)
{
	struct x402_detail d;
	uint8_t addr[20];
	char a[X402_ADDR_STRLEN + 1];
	int r;

	if ((r = x402_sig_ctx_new(&c->sig)) != 0) {
		X402_LOG_ERR("secp256k1: %s", x402_strerror(r));
		return r;
	}
	if ((r = x402_sig_key_load(c->sig, c->seckey, &d,
	    c->conf->key)) != 0) {
		X402_LOG_ERR("[payout] key: %s: %s", x402_strerror(r), d.msg);
		return r;
	}
	c->have_key = 1;
	if ((r = x402_sig_key_address(c->sig, addr, c->seckey)) != 0)
		return r;
	if (memcmp(addr, c->conf->wallet, 20) != 0) {
		x402_addr_format(a, addr);
		X402_LOG_ERR("%s: [payout] key: the key is %s's, not the "
		    "wallet's", c->conf->file, a);
		return X402_ERR_CONFIG;
	}
	return 0;
}

static int
setup_peers(struct po_ctx *c)
{
	struct x402_detail d;
	int r;

	if ((r = x402_rpc_new(&c->rpc, c->conf->rpc, NULL, &d)) != 0) {
		X402_LOG_ERR("%s: [payout] rpc: %s", c->conf->file, d.msg);
		return r;
	}
	if (c->conf->method == PO_METHOD_FACILITATOR &&
	    (r = x402_facilitator_new(&c->fac, &d, c->conf->facilitator,
	    NULL, NULL)) != 0) {
		X402_LOG_ERR("%s: [payout] facilitator: %s", c->conf->file,
		    d.msg);
		return r;
	}
	return 0;
}

/* Opens the state directory and reads (or creates) the ledger. */
static int
setup_state(struct po_ctx *c, int create)
{
	struct x402_detail d;
	int r;

	if ((c->statefd = open_dir(AT_FDCWD, c->conf->state, create)) < 0) {
		if (!create && errno == ENOENT)
			return po_ledger_init(&c->ledger);	/* nothing yet */
		X402_LOG_ERR("state directory %s: %s", c->conf->state,
		    strerror(errno));
		return X402_ERR_IO;
	}
	if ((c->batchfd = open_dir(c->statefd, "batches", create)) < 0 &&
	    create) {
		X402_LOG_ERR("%s/batches: %s", c->conf->state,
		    strerror(errno));
		return X402_ERR_IO;
	}
	r = po_ledger_load(&c->ledger, &d, c->statefd);
	if (r == X402_ERR_NOTFOUND) {
		if ((r = po_ledger_init(&c->ledger)) != 0)
			return r;
		if (create && (r = po_ledger_save(&c->ledger, &d,
		    c->statefd)) != 0) {
			X402_LOG_ERR("%s", d.msg);
			return r;
		}
		return 0;
	}
	if (r != 0)
		X402_LOG_ERR("%s/ledger: %s", c->conf->state, d.msg);
	return r;
}

#define LAST_RUN "last-run"	/* STATE/last-run: "TIME STATUS\n" */
#define WAITING_LIST_MAX (8u << 20)	/* bytes of new/ names counted */

/*
 * Records the end of a run that held the lock (time, exit status) for
 * `metrics`; a run refused by the lock or a dry run leaves it alone.
 */
static int
run_done(struct po_ctx *c, int rc)
{
	struct x402_detail d;
	char line[64];
	int n;

	if (c->dry_run || !c->locked || c->statefd < 0)
		return rc;
	n = snprintf(line, sizeof(line), "%lld %d\n", (long long)time(NULL),
	    rc);
	if (po_atomic_write(c->statefd, &d, LAST_RUN, line, (size_t)n) != 0)
		X402_LOG_WARN("%s", d.msg);
	return rc;
}

static int cmd_run_inner(struct po_ctx *c);

static int
cmd_run(struct po_ctx *c)
{
	return run_done(c, cmd_run_inner(c));
}

static int
cmd_run_inner(struct po_ctx *c)
{
	int r, rc = PO_EXIT_OK;

	if (setup_network(c) != 0 || setup_key(c) != 0)
		return PO_EXIT_CONFIG;
	if (setup_state(c, !c->dry_run) != 0)
		return PO_EXIT_FAIL;
	if (!c->dry_run && (r = take_lock(c)) != 0)
		return r;
	if (setup_peers(c) != 0)
		return PO_EXIT_CONFIG;
	if ((r = po_batch_repair(c)) != 0) {
		X402_LOG_ERR("batch journals: %s", x402_strerror(r));
		return PO_EXIT_FAIL;
	}
	/* An open batch comes first; if it cannot be finished now, still
	 * count the spool so it does not pile up. */
	if (c->ledger.open_batch != 0 && !c->dry_run) {
		if (po_pay(c) != 0)
			rc = PO_EXIT_FAIL;
	}
	if (po_count(c) != 0)
		return PO_EXIT_FAIL;
	if (rc == PO_EXIT_OK && po_pay(c) != 0)
		rc = PO_EXIT_FAIL;
	return rc;
}

/* Puts one quarantined receipt back in new/.  Returns 0 or an error. */
static int
requeue_one(struct x402_spool *sp, const char *name)
{
	struct x402_detail d;
	int r;

	if ((r = x402_spool_unquarantine(sp, &d, name)) != 0)
		X402_LOG_ERR("%s: %s", name, d.msg);
	else
		printf("requeued %s\n", name);
	return r;
}

/*
 * requeue: quarantined receipts go back to new/ (after the operator fixed
 * what refused them); the next run checks them again from scratch.
 */
static int
cmd_requeue(struct po_ctx *c, char **names, int n, int all)
{
	struct x402_spool *sp = NULL;
	struct x402_detail d;
	struct x402_buf list;
	size_t nq = 0;
	char *p, *nl;
	int i, failed = 0;

	if ((all && n > 0) || (!all && n == 0))
		usage();
	if (setup_state(c, 1) != 0)
		return PO_EXIT_FAIL;
	if ((i = take_lock(c)) != 0)
		return i;
	if (x402_spool_open(&sp, &d, c->conf->spool) != 0) {
		X402_LOG_ERR("spool: %s", d.msg);
		return PO_EXIT_FAIL;
	}
	x402_buf_init(&list, 64u << 20);
	for (i = 0; i < n; i++)
		failed |= requeue_one(sp, names[i]) != 0;
	if (all && x402_spool_stale(sp, &list, &nq, &d,
	    X402_SPOOL_QUARANTINE, time(NULL), 0) != 0) {
		X402_LOG_ERR("%s", d.msg);
		failed = 1;
	}
	for (p = list.p; all && p != NULL && (nl = strchr(p, '\n')) != NULL;
	    p = nl + 1) {
		*nl = '\0';
		failed |= requeue_one(sp, p) != 0;
	}
	x402_buf_free(&list);
	x402_spool_close(sp);
	return failed ? PO_EXIT_FAIL : PO_EXIT_OK;
}

static void
u256s(char *out, const x402_u256 *v)
{
	(void)x402_u256_format_dec(out, X402_U256_DECLEN + 1, v);
}

static void
date_of(char *out, size_t cap, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(out, cap, "-");
	else
		strftime(out, cap, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static int
id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmd_status(struct po_ctx *c, int all)
{
	struct po_ledger *l = &c->ledger;
	struct po_batch *bt = NULL;
	struct x402_detail d;
	char s[4][X402_U256_DECLEN + 1], a[X402_ADDR_STRLEN + 1], t[32];
	char txh[67];
	uint64_t *ids = NULL;
	size_t nids = 0, i, j, first;
	struct dirent *de;
	DIR *dp;
	int fd;

	if (setup_state(c, 0) != 0)
		return PO_EXIT_FAIL;
	u256s(s[0], &l->received);
	u256s(s[1], &l->retained);
	printf("receipts counted %llu, quarantined %llu; received %s, "
	    "retained %s (atomic units)\n", (unsigned long long)l->receipts,
	    (unsigned long long)l->quarantined, s[0], s[1]);
	printf("\n%-16s %-42s %14s %14s %14s %14s\n", "PAYEE", "ADDRESS",
	    "OWED", "IN FLIGHT", "PAID", "EARNED");
	for (i = 1; i < l->nbal; i++) {
		x402_addr_format(a, l->bal[i].addr);
		u256s(s[0], &l->bal[i].owed);
		u256s(s[1], &l->bal[i].inflight);
		u256s(s[2], &l->bal[i].paid);
		u256s(s[3], &l->bal[i].earned);
		printf("%-16s %-42s %14s %14s %14s %14s\n", l->bal[i].name, a,
		    s[0], s[1], s[2], s[3]);
	}
	if (l->open_batch)
		printf("\nopen batch: %llu\n",
		    (unsigned long long)l->open_batch);
	if (c->batchfd < 0)
		return PO_EXIT_OK;
	if ((fd = dup(c->batchfd)) < 0 || (dp = fdopendir(fd)) == NULL)
		return PO_EXIT_FAIL;
	while ((de = readdir(dp)) != NULL) {
		uint64_t id;
		char *end;

		if (de->d_name[0] < '0' || de->d_name[0] > '9' ||
		    strlen(de->d_name) != 10)
			continue;
		id = strtoull(de->d_name, &end, 10);
		if (*end != '\0' || id >= l->next_batch)
			continue;
		if ((nids & 63) == 0) {
			uint64_t *n = realloc(ids, (nids + 64) * sizeof(*ids));

			if (n == NULL)
				break;
			ids = n;
		}
		ids[nids++] = id;
	}
	closedir(dp);
	qsort(ids, nids, sizeof(*ids), id_cmp);
	first = !all && nids > 10 ? nids - 10 : 0;
	printf("\nbatches (%zu%s):\n", nids, first ? ", last 10; -a for all" :
	    "");
	bt = malloc(sizeof(*bt));
	for (i = first; bt != NULL && i < nids; i++) {
		x402_u256 tot;

		if (po_batch_load(bt, &d, c->batchfd, ids[i]) != 0) {
			printf("batch %llu: %s\n", (unsigned long long)ids[i],
			    d.msg);
			continue;
		}
		x402_u256_set_u64(&tot, 0);
		for (j = 0; j < bt->n; j++)
			if (x402_u256_add(&tot, &tot, &bt->x[j].auth.value))
				break;
		u256s(s[0], &tot);
		date_of(t, sizeof(t), bt->created);
		printf("batch %llu  created %s  %s  %zu transfers  total %s\n",
		    (unsigned long long)bt->id, t, ids[i] == l->open_batch ?
		    "OPEN" : "closed", bt->n, s[0]);
		for (j = 0; j < bt->n; j++) {
			const struct po_xfer *x = &bt->x[j];

			x402_addr_format(a, x->auth.to);
			u256s(s[1], &x->auth.value);
			if (x->has_tx)
				(void)x402_hex_encode(txh, sizeof(txh), x->tx,
				    32, X402_HEX_PREFIX_REQUIRED);
			else
				snprintf(txh, sizeof(txh), "-");
			printf("  %-16s %s %14s %-4s %s\n", x->name, a, s[1],
			    x->state == PO_X_PAID ? "paid" : x->state ==
			    PO_X_SENT ? "sent" : "new", txh);
		}
	}
	free(bt);
	free(ids);
	return PO_EXIT_OK;
}

/* One labelled payee sample (the name escaped as a label value). */
static void
payee_sample(const char *name, const char *payee, const uint8_t addr[20],
    const x402_u256 *v)
{
	char a[X402_ADDR_STRLEN + 1], s[X402_U256_DECLEN + 1];
	struct x402_buf lb;

	x402_addr_format(a, addr);
	u256s(s, v);
	x402_buf_init(&lb, 4 * PO_NAME_MAX + 8);
	if (x402_metrics_label(&lb, payee) == 0)
		printf("%s{payee=\"%s\",address=\"%s\"} %s\n", name, lb.p,
		    a, s);
	x402_buf_free(&lb);
}

/*
 * metrics: the Prometheus text format on stdout, for node_exporter's
 * textfile collector: the last run, receipts waiting, and per payee owed,
 * in flight, paid and earned (atomic units of the payout asset).
 */
static int
cmd_metrics(struct po_ctx *c)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} per[] = {
		{ "x402_payout_owed", "gauge", "Counted, not yet in a batch.",
		    offsetof(struct po_bal, owed) },
		{ "x402_payout_inflight", "gauge", "In the open batch.",
		    offsetof(struct po_bal, inflight) },
		{ "x402_payout_paid_total", "counter", "Paid out.",
		    offsetof(struct po_bal, paid) },
		{ "x402_payout_earned_total", "counter", "Shares counted.",
		    offsetof(struct po_bal, earned) },
	};
	struct po_ledger *l = &c->ledger;
	struct x402_spool *sp = NULL;
	struct x402_detail d;
	struct x402_buf names;
	char buf[64], s[X402_U256_DECLEN + 1];
	long long t = 0;
	size_t waiting = 0, i, k;
	int st = -1, fd, n, r, rc = PO_EXIT_OK;

	if (setup_state(c, 0) != 0)
		return PO_EXIT_FAIL;
	if (c->statefd >= 0 &&
	    (fd = openat(c->statefd, LAST_RUN, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = (int)read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (sscanf(buf, "%lld %d", &t, &st) != 2)
			t = 0;
		close(fd);
	}
	x402_buf_init(&names, WAITING_LIST_MAX);
	if ((r = x402_spool_open(&sp, &d, c->conf->spool)) != 0 ||
	    ((r = x402_spool_stale(sp, &names, &waiting, &d, X402_SPOOL_NEW,
	    time(NULL), 0)) != 0 && r != X402_ERR_LIMIT)) {
		X402_LOG_ERR("%s", d.msg);
		rc = PO_EXIT_FAIL;
	}
	x402_buf_free(&names);
	x402_spool_close(sp);
	printf("# HELP x402_payout_last_run_timestamp_seconds End of the last "
	    "run (0: none yet).\n"
	    "# TYPE x402_payout_last_run_timestamp_seconds gauge\n"
	    "x402_payout_last_run_timestamp_seconds %lld\n"
	    "# HELP x402_payout_last_run_status Exit status of the last run "
	    "(0: ok, -1: none yet).\n"
	    "# TYPE x402_payout_last_run_status gauge\n"
	    "x402_payout_last_run_status %d\n", t, t ? st : -1);
	if (rc == PO_EXIT_OK)
		printf("# HELP x402_payout_receipts_waiting Receipts in the "
		    "spool not yet counted (a lower bound above about 200000)."
		    "\n# TYPE x402_payout_receipts_waiting gauge\n"
		    "x402_payout_receipts_waiting %zu\n", waiting);
	printf("# HELP x402_payout_receipts_total Receipts counted.\n"
	    "# TYPE x402_payout_receipts_total counter\n"
	    "x402_payout_receipts_total %llu\n"
	    "# HELP x402_payout_quarantined_total Receipts quarantined.\n"
	    "# TYPE x402_payout_quarantined_total counter\n"
	    "x402_payout_quarantined_total %llu\n",
	    (unsigned long long)l->receipts,
	    (unsigned long long)l->quarantined);
	u256s(s, &l->received);
	printf("# HELP x402_payout_received_total Amount counted, atomic "
	    "units.\n# TYPE x402_payout_received_total counter\n"
	    "x402_payout_received_total %s\n", s);
	for (k = 0; k < sizeof(per) / sizeof(per[0]); k++) {
		printf("# HELP %s %s Atomic units of the payout asset.\n"
		    "# TYPE %s %s\n", per[k].name, per[k].help, per[k].name,
		    per[k].type);
		/* Row 0 is the retained share. */
		for (i = 0; i < l->nbal; i++)
			payee_sample(per[k].name, l->bal[i].name,
			    l->bal[i].addr, (const x402_u256 *)(const void *)
			    ((const char *)&l->bal[i] + per[k].off));
	}
	return fflush(stdout) == 0 ? rc : PO_EXIT_FAIL;
}

/* "YYYY-MM-DD" -> days since the epoch; -1 if malformed. */
static long
parse_day(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL || *end != '\0')
		return -1;
	return (long)(timegm(&tm) / 86400);
}

static int
cmd_report(struct po_ctx *c, const char *from, const char *to, int csv)
{
	struct po_ledger *l = &c->ledger;
	long lo = 0, hi = 0x7fffffffL;
	x402_u256 earned[PO_PAYEES_MAX + 1], paid[PO_PAYEES_MAX + 1];
	char s[2][X402_U256_DECLEN + 1], a[X402_ADDR_STRLEN + 1];
	size_t i;

	if ((from && (lo = parse_day(from)) < 0) ||
	    (to && (hi = parse_day(to)) < 0)) {
		fprintf(stderr, "x402-payout: dates are YYYY-MM-DD\n");
		return PO_EXIT_USAGE;
	}
	if (setup_state(c, 0) != 0)
		return PO_EXIT_FAIL;
	memset(earned, 0, sizeof(earned));
	memset(paid, 0, sizeof(paid));
	for (i = 0; i < l->ndays; i++) {
		const struct po_day *e = &l->days[i];

		if ((long)e->day < lo || (long)e->day > hi)
			continue;
		if (x402_u256_add(&earned[e->payee], &earned[e->payee],
		    &e->earned) != 0 || x402_u256_add(&paid[e->payee],
		    &paid[e->payee], &e->paid) != 0)
			return PO_EXIT_FAIL;
	}
	if (csv)
		printf("payee,address,earned,paid\n");
	else
		printf("%-16s %-42s %16s %16s\n", "PAYEE", "ADDRESS", "EARNED",
		    "PAID");
	for (i = 0; i < l->nbal; i++) {
		if (i == 0)
			snprintf(a, sizeof(a), "(wallet)");
		else
			x402_addr_format(a, l->bal[i].addr);
		u256s(s[0], &earned[i]);
		u256s(s[1], &paid[i]);
		if (csv)
			printf("%s,%s,%s,%s\n", l->bal[i].name, a, s[0], s[1]);
		else
			printf("%-16s %-42s %16s %16s\n", l->bal[i].name, a,
			    s[0], s[1]);
	}
	return PO_EXIT_OK;
}

/*
 * check: the configuration (parsed already), the network and asset, and
 * the key (mode, and the wallet's), one line each on stdout, then a
 * summary; the errors themselves go to the log.
 */
static int
cmd_check(struct po_ctx *c)
{
	const struct po_conf *k = c->conf;
	char a[X402_ADDR_STRLEN + 1];
	struct stat st;
	int rc = PO_EXIT_CONFIG;

	printf("ok      %s parses (payees: %zu, splits: %zu, routes: %zu)\n",
	    k->file, k->npayees, k->nsplits, k->nroutes);
	if (setup_network(c) != 0) {
		printf("FAILED  [payout] network %s, asset %s: see the error "
		    "logged\n", k->network, k->asset[0] ? k->asset :
		    "(default)");
		goto out;
	}
	x402_addr_format(a, c->asset->address);
	printf("ok      [payout] network %s, asset %s (%s), EIP-3009\n",
	    c->net->caip2, c->asset->symbol, a);
	if (setup_key(c) != 0) {
		printf("FAILED  [payout] key %s: see the error logged\n",
		    k->key);
		goto out;
	}
	x402_addr_format(a, k->wallet);
	printf("ok      [payout] key %s (mode %04o) is the key of the wallet "
	    "%s\n", k->key, stat(k->key, &st) == 0 ?
	    (unsigned)(st.st_mode & 07777) : 0u, a);
	rc = PO_EXIT_OK;
out:
	printf("%s: %s\n", k->file, rc == PO_EXIT_OK ? "ok" : "failed");
	return rc;
}

int
main(int argc, char *argv[])
{
	static struct po_conf conf;
	struct po_ctx c;
	struct x402_detail d;
	const char *path = CONFDIR "/payout.conf", *cmd, *from = NULL,
	    *to = NULL;
	int ch, verbose = 0, csv = 0, all = 0, rc, i;

	/*
	 * This process holds the payout key: never in a core dump, and not
	 * readable through /proc or ptrace by the same user (before anything
	 * is read).
	 */
	{
		struct rlimit rl = { 0, 0 };

		if (setrlimit(RLIMIT_CORE, &rl) != 0 ||
		    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
			fprintf(stderr, "x402-payout: cannot disable core "
			    "dumps: %s\n", strerror(errno));
			return PO_EXIT_FAIL;
		}
	}
	memset(&c, 0, sizeof(c));
	c.statefd = c.batchfd = c.lockfd = -1;
	c.conf = &conf;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage_to(stdout);
			return PO_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("x402-payout (x402-cgi) %s\n", PACKAGE_VERSION);
			return PO_EXIT_OK;
		}
	}
	while ((ch = getopt(argc, argv, "+c:v")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	cmd = argv[optind++];
	if (strcmp(cmd, "requeue") == 0) {
		all = optind < argc && strcmp(argv[optind], "--all") == 0;
		optind += all;
		for (i = optind; i < argc; i++)
			if (argv[i][0] == '-')
				usage();
	}
	for (i = optind; i < argc && strcmp(cmd, "requeue") != 0; i++) {
		if (strcmp(argv[i], "--dry-run") == 0 &&
		    strcmp(cmd, "run") == 0)
			c.dry_run = 1;
		else if (strcmp(argv[i], "--csv") == 0)
			csv = 1;
		else if (strcmp(argv[i], "-a") == 0)
			all = 1;
		else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else
			usage();
	}
	x402_log_open("x402-payout", X402_LOG_STDERR, LOG_DAEMON, 0);
	if (verbose)
		x402_log_set_level(X402_LEVEL_DEBUG);
	if (po_conf_load(&conf, &d, path, NULL, 0) != 0) {
		X402_LOG_ERR("%s", d.msg);
		return PO_EXIT_CONFIG;
	}
	if (conf.log == PO_LOG_SYSLOG)
		x402_log_open("x402-payout", X402_LOG_SYSLOG, LOG_DAEMON, 0);
	c.progress = isatty(STDERR_FILENO) && conf.log == PO_LOG_STDERR;
	if (strcmp(cmd, "run") == 0)
		rc = cmd_run(&c);
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(&c, all);
	else if (strcmp(cmd, "report") == 0)
		rc = cmd_report(&c, from, to, csv);
	else if (strcmp(cmd, "requeue") == 0)
		rc = cmd_requeue(&c, argv + optind, argc - optind, all);
	else if (strcmp(cmd, "metrics") == 0)
		rc = cmd_metrics(&c);
	else if (strcmp(cmd, "check") == 0)
		rc = cmd_check(&c);
	else
		usage();
	x402_wipe(c.seckey, sizeof(c.seckey));
	x402_rpc_free(c.rpc);
	x402_facilitator_free(c.fac);
	x402_sig_ctx_free(c.sig);
	x402_networks_free(c.nets);
	po_ledger_free(&c.ledger);
	if (c.lockfd >= 0)
		close(c.lockfd);
	if (c.batchfd >= 0)
		close(c.batchfd);
	if (c.statefd >= 0)
		close(c.statefd);
	x402_log_close();
	return rc;
}
