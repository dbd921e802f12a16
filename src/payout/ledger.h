/*
 * ledger.h - the payout worker's durable ledger: one small text file,
 * STATE/ledger, rewritten atomically (tmp, fsync, rename, fsync dir) at
 * every step of a run.
 *
 * It holds the number of steps written (seq) and the last of them that
 * committed records of the seen set (seen_step, see seen.h; a ledger
 * without that line takes seq); per payee (by name): the address last
 * used, owed (counted, not yet in a batch), in flight (in the open
 * batch), paid and earned
 * (all counted shares); the totals received and retained; the next and
 * the open batch ids; per-day earned and paid totals (for reports); and
 * the names of the receipts counted by the last step whose spool records
 * may not be removed yet (so a restart done()s them instead of counting
 * them twice).  The file is bounded: no part of it grows with the number
 * of receipts.
 *
 * Rules: the file is parsed strictly; anything unexpected is
 * X402_ERR_SYNTAX with the line in the detail (a ledger is never
 * guessed at).  The instance id (16 random bytes made when the state is
 * created) separates the nonces of two ledgers paying from one wallet.
 */
#ifndef X402_PAYOUT_LEDGER_H
#define X402_PAYOUT_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "spool.h"
#include "u256.h"

#define PO_LEDGER_MAX		(16u << 20)	/* bytes of the file */
#define PO_LEDGER_DAYS_MAX	(PO_PAYEES_MAX * 4000)
#define PO_COUNTED_MAX		8192		/* receipts per step */
#define PO_RETAIN		"retain"	/* the wallet's own row */

struct po_bal {
	char name[PO_NAME_MAX + 1];
	uint8_t addr[20];
	x402_u256 owed, inflight, paid, earned;
};

struct po_day {
	uint32_t day;		/* days since 1970-01-01 (UTC) */
	uint32_t payee;		/* index in ledger->bal */
	x402_u256 earned, paid;
};

struct po_ledger {
	uint8_t instance[16];
	uint64_t seq;		/* steps written */
	uint64_t seen_step;	/* the last step that committed seen
				 * records (seen.h); <= seq */
	uint64_t next_batch;	/* id of the next batch (from 1) */
	uint64_t open_batch;	/* 0: none */
	uint64_t receipts;	/* receipts counted */
	uint64_t quarantined;
	x402_u256 received, retained;
	size_t nbal;
	struct po_bal bal[PO_PAYEES_MAX + 1];	/* [0] is "retain" */
	size_t ndays;
	struct po_day *days;	/* owned, sorted by (day, payee) */
	size_t ncounted;
	char (*counted)[X402_SPOOL_NAMEMAX + 1];	/* owned */
	size_t counted_cap;
};

/* A fresh ledger with a random instance id.  Returns 0, NOMEM, IO. */
int po_ledger_init(struct po_ledger *l) X402_WARN_UNUSED;

void po_ledger_free(struct po_ledger *l);

/*
 * Reads STATE/ledger (dirfd: the state directory).  Returns 0,
 * X402_ERR_NOTFOUND (no ledger yet), X402_ERR_IO, X402_ERR_SYNTAX,
 * X402_ERR_LIMIT or X402_ERR_NOMEM.  Out: *l (po_ledger_free it).
 */
int po_ledger_load(struct po_ledger *l, struct x402_detail *d, int dirfd)
    X402_WARN_UNUSED;

/* Formats the ledger into b (appended). */
int po_ledger_format(struct x402_buf *b, const struct po_ledger *l)
    X402_WARN_UNUSED;

/* Parses text[0..len) into *l (initialised by the caller to zeros). */
int po_ledger_parse(struct po_ledger *l, struct x402_detail *d,
    const char *text, size_t len) X402_WARN_UNUSED;

/* Writes it atomically (seq is incremented first).  Returns 0 or IO. */
int po_ledger_save(struct po_ledger *l, struct x402_detail *d, int dirfd)
    X402_WARN_UNUSED;

/* Writes p[0..len) to fd (name: for the detail), then fsyncs it.
 * Returns 0 or X402_ERR_IO. */
int po_write_all(int fd, struct x402_detail *d, const char *name,
    const void *p, size_t len) X402_WARN_UNUSED;

/*
 * Writes name's file in dirfd atomically: NAME.tmp, fsync, rename,
 * fsync of the directory.  Returns 0 or X402_ERR_IO.
 */
int po_atomic_write(int dirfd, struct x402_detail *d, const char *name,
    const void *p, size_t len) X402_WARN_UNUSED;

/* Index of the row of payee name, added (address addr) if missing. */
int po_ledger_row(struct po_ledger *l, const char *name,
    const uint8_t addr[20]) X402_WARN_UNUSED;

/*
 * Adds v to the earned (or paid, when paid is 1) total of row on day.
 * Returns 0, X402_ERR_LIMIT or X402_ERR_NOMEM.
 */
int po_ledger_day_add(struct po_ledger *l, uint32_t day, size_t row,
    int paid, const x402_u256 *v) X402_WARN_UNUSED;

/* Remembers a counted receipt name.  Returns 0, LIMIT, NOMEM. */
int po_ledger_counted_add(struct po_ledger *l, const char *name)
    X402_WARN_UNUSED;

/* 1 if name is in the counted set. */
int po_ledger_counted_has(const struct po_ledger *l, const char *name);

/*
 * Splits amount by a rule: out[i] = amount * shares[i].bps / 10000
 * (rounded down) for i < rule->nshares, *retain = the rest (the retained
 * share plus every rounding remainder), so that the parts add up to
 * amount exactly.  Returns 0 or X402_ERR_RANGE (amount too large).
 */
int po_split_apply(x402_u256 *out, x402_u256 *retain,
    const struct po_split *rule, const x402_u256 *amount) X402_WARN_UNUSED;

#endif /* X402_PAYOUT_LEDGER_H */
