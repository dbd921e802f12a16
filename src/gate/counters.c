/* counters.c - x402-gate's shared counters and their exposition. */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"

/*
 * The slots of a route file.  Change GM_LAYOUT whenever this layout or
 * the reason table changes: workers then start a new file.
 */
#define GM_LAYOUT	0x67740001u	/* "gt", 1 */
#define S_STATUS	0u		/* [status], 100-599; 0 = other */
#define S_OFFER		600u		/* per offer: count, amount lo, hi */
#define S_REFUSAL	(S_OFFER + 3u * ROUTE_MAX_OFFERS)
#define NREASONS_MAX	64u
#define S_SETTLE	(S_REFUSAL + NREASONS_MAX)	/* histogram */
#define NBOUNDS		12u
#define S_COMMAND	(S_SETTLE + NBOUNDS + 2u)	/* histogram */
#define S_PENDING	(S_COMMAND + NBOUNDS + 2u)
#define GM_NSLOTS	(S_PENDING + 1u)

/* Histogram bounds, microseconds: 10 ms to 5 min. */
static const uint64_t bounds[NBOUNDS] = {
	10000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
	10000000, 30000000, 60000000, 300000000,
};

/*
 * Refusal reasons: the x402 reason codes the gate and the settlers give,
 * and a few of the gate's own.  Append only (then bump GM_LAYOUT).
 */
static const char *const reasons[] = {
	"other",
	"invalid_payment",		/* the header does not decode */
	"no_matching_requirements",
	"bad_request",			/* a 4xx other than 402 */
	X402_R_SCHEME, X402_R_DOMAIN, X402_R_NETWORK, X402_R_SIGNATURE,
	X402_R_RECIPIENT, X402_R_VALID_BEFORE, X402_R_VALID_AFTER,
	X402_R_VALUE, X402_R_VALUE_V1, X402_R_SMART_WALLET, X402_R_NONCE_USED,
	X402_R_BALANCE, X402_R_UPTO_SCHEME, X402_R_UPTO_NETWORK,
	X402_R_PERMIT2_SPENDER, X402_R_PERMIT2_RECIPIENT,
	X402_R_UPTO_FACILITATOR, X402_R_PERMIT2_DEADLINE,
	X402_R_PERMIT2_NOT_YET_VALID, X402_R_PERMIT2_AMOUNT,
	X402_R_PERMIT2_TOKEN, X402_R_PERMIT2_SIGNATURE,
	X402_R_PERMIT2_ALLOWANCE, X402_R_PERMIT2_BALANCE, X402_R_PERMIT2_NONCE,
	X402_R_UPTO_EXCEEDS, X402_R_INSUFFICIENT_BALANCE, X402_R_SIMULATION,
	X402_R_TX_FAILED, X402_R_EVENT_MISMATCH, X402_R_PERMIT2_SIMULATION,
	X402_R_PERMIT2_PROXY, X402_R_TX_STATE,
};
#define NREASONS (sizeof(reasons) / sizeof(reasons[0]))

_Static_assert(NREASONS <= NREASONS_MAX, "too many refusal reasons");

const char *
gm_reason(const char *text)
{
	size_t i, n;

	if (text == NULL)
		return reasons[0];
	if (strncmp(text, "Invalid or malformed", 20) == 0)
		return "invalid_payment";
	if (strncmp(text, "Unable to find matching", 23) == 0)
		return "no_matching_requirements";
	n = strcspn(text, ": ");
	for (i = 1; i < NREASONS; i++)
		if (strlen(reasons[i]) == n && strncmp(text, reasons[i], n) == 0)
			return reasons[i];
	return reasons[0];
}

static uint32_t
reason_index(const char *label)
{
	uint32_t i;

	for (i = 0; i < NREASONS; i++)
		if (strcmp(label, reasons[i]) == 0)
			return i;
	return 0;
}

/* The label text of route r: "route NAME\n" then one line per offer. */
static int
labels_of(const struct route *r, char *out, size_t cap)
{
	char addr[X402_ADDR_STRLEN + 1];
	size_t i, n;
	int k;

	k = snprintf(out, cap, "route\t%s\n", r->name);
	if (k < 0 || (size_t)k >= cap)
		return -1;
	n = (size_t)k;
	for (i = 0; i < r->noffers; i++) {
		const struct x402_offer *o = &r->offers[i];

		x402_addr_format(addr, o->asset->address);
		k = snprintf(out + n, cap - n, "offer\t%s\t%s\t%s\t%s\n",
		    x402_scheme_name(o->scheme), o->net->caip2, addr,
		    o->asset->symbol);
		if (k < 0 || (size_t)k >= cap - n)
			return -1;
		n += (size_t)k;
	}
	return 0;
}

int
gm_open(struct route *r, struct x402_detail *d)
{
	char labels[X402_METRICS_LABELS_MAX], path[PATH_MAX];

	r->metrics = NULL;
	if (labels_of(r, labels, sizeof(labels)) != 0)
		return x402_fail(d, X402_ERR_LIMIT, "metrics: route labels "
		    "too long");
	if (snprintf(path, sizeof(path), "%s/%s.metrics", r->c.metrics,
	    r->name) >= (int)sizeof(path))
		return x402_fail(d, X402_ERR_LIMIT, "metrics: path too long");
	return x402_metrics_open(&r->metrics, d, path, GM_LAYOUT, GM_NSLOTS,
	    labels, 1);
}

void
gm_count(struct route *r, const struct gm_request *g)
{
	struct x402_metrics *m = r->metrics;

	if (m == NULL)
		return;
	x402_metrics_add(m, S_STATUS + (g->status >= 100 && g->status <= 599 ?
	    (uint32_t)g->status : 0), 1);
	if (g->refusal != NULL)
		x402_metrics_add(m, S_REFUSAL + reason_index(g->refusal), 1);
	if (g->settled && g->offer < r->noffers) {
		x402_metrics_add(m, S_OFFER + 3 * (uint32_t)g->offer, 1);
		x402_metrics_add_amount(m, S_OFFER + 3 * (uint32_t)g->offer + 1,
		    &g->amount);
	}
	if (g->pending)
		x402_metrics_add(m, S_PENDING, 1);
	if (g->settle_us >= 0)
		x402_metrics_observe(m, S_SETTLE, bounds, NBOUNDS,
		    (uint64_t)g->settle_us);
	if (g->command_us >= 0)
		x402_metrics_observe(m, S_COMMAND, bounds, NBOUNDS,
		    (uint64_t)g->command_us);
}

/* One route file, read for the exposition. */
struct gm_file {
	struct x402_metrics *m;
	char route[65];
	size_t noffers;
	struct {
		char scheme[16], network[64], asset[X402_ADDR_STRLEN + 1];
		char symbol[32];
	} offer[ROUTE_MAX_OFFERS];
};

/* Copies the tab-ended field at *p into out (cut at cap). */
static void
field(const char **p, char *out, size_t cap)
{
	size_t n = strcspn(*p, "\t\n");

	snprintf(out, cap, "%.*s", (int)n, *p);
	*p += n;
	if (**p == '\t')
		(*p)++;
}

/* Parses the label text of f->m.  Returns 0 or -1. */
static int
parse_labels(struct gm_file *f)
{
	const char *p = x402_metrics_labels(f->m);
	char word[16];

	f->noffers = 0;
	field(&p, word, sizeof(word));
	if (strcmp(word, "route") != 0)
		return -1;
	field(&p, f->route, sizeof(f->route));
	while (*p == '\n' && p[1] != '\0') {
		p++;
		field(&p, word, sizeof(word));
		if (strcmp(word, "offer") != 0 || f->noffers == ROUTE_MAX_OFFERS)
			return -1;
		field(&p, f->offer[f->noffers].scheme,
		    sizeof(f->offer[0].scheme));
		field(&p, f->offer[f->noffers].network,
		    sizeof(f->offer[0].network));
		field(&p, f->offer[f->noffers].asset,
		    sizeof(f->offer[0].asset));
		field(&p, f->offer[f->noffers].symbol,
		    sizeof(f->offer[0].symbol));
		f->noffers++;
	}
	return f->route[0] != '\0' ? 0 : -1;
}

static int
family(struct x402_buf *b, const char *name, const char *type,
    const char *help)
{
	return x402_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* route="NAME" into lb (reset first). */
static int
route_label(struct x402_buf *lb, const char *route)
{
	x402_buf_reset(lb);
	if (x402_buf_adds(lb, "route=\"") != 0 ||
	    x402_metrics_label(lb, route) != 0 || x402_buf_adds(lb, "\"") != 0)
		return X402_ERR_LIMIT;
	return 0;
}

/* The labels of offer j of file f into lb (reset first). */
static int
offer_label(struct x402_buf *lb, const struct gm_file *f, size_t j)
{
	if (route_label(lb, f->route) != 0 ||
	    x402_buf_adds(lb, ",network=\"") != 0 ||
	    x402_metrics_label(lb, f->offer[j].network) != 0 ||
	    x402_buf_adds(lb, "\",asset=\"") != 0 ||
	    x402_metrics_label(lb, f->offer[j].asset) != 0 ||
	    x402_buf_adds(lb, "\",symbol=\"") != 0 ||
	    x402_metrics_label(lb, f->offer[j].symbol) != 0 ||
	    x402_buf_adds(lb, "\",scheme=\"") != 0 ||
	    x402_metrics_label(lb, f->offer[j].scheme) != 0 ||
	    x402_buf_adds(lb, "\"") != 0)
		return X402_ERR_LIMIT;
	return 0;
}

static int
expose_files(struct x402_buf *b, struct gm_file *f, size_t n,
    unsigned unreadable)
{
	static const struct {
		const char *name, *help;
		uint32_t first;
	} hist[2] = {
		{ "x402_gate_settlement_seconds", "Time to settle a payment "
		    "(the settler's answer).", S_SETTLE },
		{ "x402_gate_command_seconds", "Time the sold command ran.",
		    S_COMMAND },
	};
	struct x402_buf lb;
	char amt[X402_U256_DECLEN + 1];
	x402_u256 a;
	size_t i, j;
	int e = 0, k;

	x402_buf_init(&lb, 1024);
	e = family(b, "x402_gate_requests_total", "counter",
	    "Requests answered, by route and HTTP status.");
	for (i = 0; i < n && e == 0; i++) {
		uint32_t s;

		for (s = 0; s < 600 && e == 0; s++) {
			uint64_t v = x402_metrics_get(f[i].m, S_STATUS + s);

			if (v == 0 || (s != 0 && s < 100))
				continue;
			if ((e = route_label(&lb, f[i].route)) != 0)
				break;
			if (s == 0)
				e = x402_buf_printf(b, "x402_gate_requests_total"
				    "{%s,status=\"other\"} %llu\n", lb.p,
				    (unsigned long long)v);
			else
				e = x402_buf_printf(b, "x402_gate_requests_total"
				    "{%s,status=\"%u\"} %llu\n", lb.p, s,
				    (unsigned long long)v);
		}
	}
	for (k = 0; k < 2 && e == 0; k++) {
		e = k == 0 ? family(b, "x402_gate_payments_settled_total",
		    "counter", "Payments settled, by route, network, asset "
		    "and scheme.") : family(b, "x402_gate_settled_amount_total",
		    "counter", "Amount settled in the asset's atomic units "
		    "(a float: exact to 2^53; the receipts are the record).");
		for (i = 0; i < n && e == 0; i++)
			for (j = 0; j < f[i].noffers && e == 0; j++) {
				if ((e = offer_label(&lb, &f[i], j)) != 0)
					break;
				x402_metrics_get_amount(f[i].m, S_OFFER + 3 *
				    (uint32_t)j + 1, &a);
				(void)x402_u256_format_dec(amt, sizeof(amt), &a);
				if (k == 0)
					e = x402_buf_printf(b,
					    "x402_gate_payments_settled_total"
					    "{%s} %llu\n", lb.p,
					    (unsigned long long)x402_metrics_get(
					    f[i].m, S_OFFER + 3 * (uint32_t)j));
				else
					e = x402_buf_printf(b,
					    "x402_gate_settled_amount_total"
					    "{%s} %s\n", lb.p, amt);
			}
	}
	if (e == 0)
		e = family(b, "x402_gate_refusals_total", "counter",
		    "Paid requests refused, by route and reason.");
	for (i = 0; i < n && e == 0; i++)
		for (j = 0; j < NREASONS && e == 0; j++) {
			uint64_t v = x402_metrics_get(f[i].m, S_REFUSAL +
			    (uint32_t)j);

			if (v == 0)
				continue;
			if ((e = route_label(&lb, f[i].route)) == 0)
				e = x402_buf_printf(b, "x402_gate_refusals_total"
				    "{%s,reason=\"%s\"} %llu\n", lb.p,
				    reasons[j], (unsigned long long)v);
		}
	for (k = 0; k < 2 && e == 0; k++) {
		e = family(b, hist[k].name, "histogram", hist[k].help);
		for (i = 0; i < n && e == 0; i++)
			if ((e = route_label(&lb, f[i].route)) == 0)
				e = x402_metrics_histogram(b, hist[k].name,
				    lb.p, f[i].m, hist[k].first, bounds,
				    NBOUNDS);
	}
	if (e == 0)
		e = family(b, "x402_gate_settlements_pending_total", "counter",
		    "Settlements left pending (no verdict): claim and draft "
		    "kept for a retry or x402-gate --recover.");
	for (i = 0; i < n && e == 0; i++)
		if ((e = route_label(&lb, f[i].route)) == 0)
			e = x402_buf_printf(b,
			    "x402_gate_settlements_pending_total{%s} %llu\n",
			    lb.p, (unsigned long long)x402_metrics_get(f[i].m,
			    S_PENDING));
	if (e == 0)
		e = family(b, "x402_gate_metrics_unreadable", "gauge",
		    "Route files of the metrics directory that could not be "
		    "read.");
	if (e == 0)
		e = x402_buf_printf(b, "x402_gate_metrics_unreadable %u\n",
		    unreadable);
	x402_buf_free(&lb);
	return e;
}

static int
count_one(void *arg, const uint8_t id[X402_CLAIM_ID_LEN])
{
	(void)id;
	(*(uint64_t *)arg)++;
	return 0;
}

/*
 * The receipt drafts on disk: payments being served, settlements left
 * pending, and what waits for x402-gate --recover.
 */
static int
expose_drafts(struct x402_buf *b, struct x402_drafts *drafts)
{
	struct x402_detail d;
	uint64_t n = 0;
	int e;

	if (drafts == NULL || x402_draft_each(drafts, &d, count_one, &n) != 0)
		return 0;
	if ((e = family(b, "x402_gate_receipt_drafts", "gauge",
	    "Receipt drafts on disk: payments in flight, settlements left "
	    "pending, and what waits for x402-gate --recover.")) != 0)
		return e;
	return x402_buf_printf(b, "x402_gate_receipt_drafts %llu\n",
	    (unsigned long long)n);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gm_file *)a)->route,
	    ((const struct gm_file *)b)->route);
}

int
gm_expose(struct x402_buf *b, struct x402_detail *d, const char *dir,
    struct x402_drafts *drafts)
{
	struct gm_file *f = NULL;
	struct dirent *de;
	char path[PATH_MAX];
	size_t n = 0, i;
	unsigned unreadable = 0;
	DIR *dp = NULL;
	int e = 0;

	if ((f = calloc(GM_FILES_MAX, sizeof(*f))) == NULL)
		return x402_fail(d, X402_ERR_NOMEM, "metrics: out of memory");
	if ((dp = opendir(dir)) == NULL) {
		e = x402_fail(d, X402_ERR_IO, "metrics: %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	while ((de = readdir(dp)) != NULL && n < GM_FILES_MAX) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len <= 8 ||
		    strcmp(de->d_name + len - 8, ".metrics") != 0 ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (x402_metrics_open(&f[n].m, NULL, path, GM_LAYOUT, GM_NSLOTS,
		    NULL, 0) != 0 || parse_labels(&f[n]) != 0) {
			x402_metrics_close(f[n].m);
			f[n].m = NULL;
			unreadable++;
			continue;
		}
		n++;
	}
	qsort(f, n, sizeof(*f), name_cmp);
	if ((e = expose_files(b, f, n, unreadable)) != 0 ||
	    (e = expose_drafts(b, drafts)) != 0)
		(void)x402_fail(d, e, "metrics: the exposition is over %zu "
		    "bytes", b->max);
out:
	if (dp != NULL)
		closedir(dp);
	for (i = 0; i < n; i++)
		x402_metrics_close(f[i].m);
	free(f);
	return e;
}
