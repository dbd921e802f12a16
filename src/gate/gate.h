/*
 * gate.h - the x402-gate request path (DESIGN.md "The request path"):
 * request -> price -> verify -> claim -> run -> settle -> receipt -> reply.
 */
#ifndef GATE_GATE_H
#define GATE_GATE_H

#include <stddef.h>
#include <time.h>

#include "route.h"

/* How a request reaches us: FastCGI streams or plain CGI stdio. */
struct gate_io {
	const char *(*getenv)(void *ctx, const char *name);
	/* Reads up to n bytes; returns the count, 0 at end, -1 on error. */
	long (*read)(void *ctx, char *p, size_t n);
	/* Writes n bytes; returns 0 or -1. */
	int (*write)(void *ctx, const char *p, size_t n);
	void *ctx;
};

/*
 * The transaction a claim is committed with when the command ran for the
 * authorization but the reply went unsettled by the command's choice: the
 * authorization stays spent, nothing was charged, no receipt is due.
 */
#define GATE_CLAIM_UNSETTLED "unsettled"

/* Serves one request.  Never fails: every outcome is an HTTP reply. */
void gate_handle(struct route *r, struct gate_io *io);

/*
 * x402-gate --recover for route r (recover.c): completes the records of
 * payments whose worker died between settlement and receipt.  Opens the
 * spool, claim store and drafts when r has none.  Logs one line per
 * claim.  Returns 0, or 1 when something could not be done (logged).
 */
int gate_recover(struct route *r);

/*
 * Writes the receipt rc of a settlement completed after the fact (to the
 * spool, else the fallback spool), its settlement marked recovered by
 * `by` at `now`.  Out: name.  Returns 0 or -1 (logged).
 */
int gate_put_receipt(struct route *r, char name[X402_SPOOL_NAMEMAX + 1],
    struct x402_receipt *rc, const char *by, time_t now);

#endif /* GATE_GATE_H */
