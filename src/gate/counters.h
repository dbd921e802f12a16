/*
 * counters.h - x402-gate's counters (one memory-mapped file per route,
 * [paths] metrics/ROUTE.metrics, shared by every worker of the route
 * without a lock; lib metrics.h) and their Prometheus text exposition.
 *
 * Rules:
 *  - Counting never fails a request: a route whose file cannot be opened
 *    serves without counters (logged once at start-up).
 *  - Labels are bounded: route (the route file's name), HTTP status
 *    (100-599, else "other"), offer (network, asset address, symbol,
 *    scheme: at most ROUTE_MAX_OFFERS), refusal reason (a fixed table,
 *    anything else "other").  Nothing a client sends becomes a label.
 *  - The exposition reads every *.metrics file of one directory, so one
 *    URL or one `x402-gate --metrics` covers all routes.
 */
#ifndef GATE_COUNTERS_H
#define GATE_COUNTERS_H

#include <stdint.h>

#include "route.h"

#define GM_FILES_MAX	256	/* route files one exposition reads */

/* What one request did, as recorded at its end (gate.c). */
struct gm_request {
	int status;			/* HTTP status sent, 0 none */
	const char *refusal;		/* a refusal's reason text, or NULL */
	int settled;			/* the payment settled */
	size_t offer;			/* which offer (when settled) */
	x402_u256 amount;		/* settled, atomic units */
	int pending;			/* the settlement was left pending */
	int64_t settle_us;		/* -1: not settled (asked) */
	int64_t command_us;		/* -1: the command did not run */
};

/*
 * Opens (creates or replaces when the route's offers changed) the
 * route's file in r->c.metrics into r->metrics.  Returns 0 or an
 * X402_ERR_* with the detail in *d (r->metrics stays NULL).
 */
int gm_open(struct route *r, struct x402_detail *d);

/* Counts one request (no-op when r->metrics is NULL). */
void gm_count(struct route *r, const struct gm_request *g);

/*
 * The label of a refusal reason: a code of the fixed table (the reason
 * text's first word, up to ':' or a space), or "other".  Static.
 */
const char *gm_reason(const char *text);

/*
 * Appends the text exposition of every route file in dir to b (version
 * 0.0.4), and the number of receipt drafts in drafts (borrowed; NULL:
 * not shown).  A file that cannot be read is skipped and counted in
 * x402_gate_metrics_unreadable.  Returns 0 or X402_ERR_LIMIT /
 * X402_ERR_IO (the directory cannot be listed; detail in *d).
 */
int gm_expose(struct x402_buf *b, struct x402_detail *d, const char *dir,
    struct x402_drafts *drafts);

#endif /* GATE_COUNTERS_H */
