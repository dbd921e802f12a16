/*
 * seen.h - the transfers a payout ledger has counted, so that a receipt
 * is paid out once per transfer on chain, never once per file.
 *
 * With `verify = chain` every receipt is checked against its settlement
 * transaction (the token's Transfer(payer -> wallet, amount) log), and
 * the log found is remembered here by (transaction hash, log index).  A
 * copy of a genuine receipt under another name, now or a year later,
 * finds its transfer already seen and is quarantined.
 *
 * STATE/seen: the 16-byte magic "x402-seen v1\n\0\0\0", the horizon (8,
 * little-endian), 8 zero bytes, then records of PO_SEEN_REC bytes: tx
 * hash (32), log index (4, LE), 4 zero bytes, block time (8, LE, unix
 * seconds), ledger step (8, LE).
 *
 * Rules:
 *  - Records are appended and fsync()ed (po_seen_flush) before the
 *    ledger step that counts their receipts is saved, and tagged with
 *    that step's number (ledger seq + 1).  That save also sets the
 *    ledger's seen_step to its own number: seen_step is the last step
 *    that committed seen records, and only the save of a count step, in
 *    a process that loaded the seen set, ever moves it.  On load the
 *    caller passes seen_step as `committed`, and records tagged above it
 *    are dropped (and the file rewritten before anything is appended),
 *    so their receipts, put back in new/ by the restart, count again:
 *    exactly once.  A torn last record is dropped the same way.
 *  - Why seen_step and not seq: a step number can be used twice.  Two
 *    faults in a row: (1) a run commits a batch and is killed (seq S);
 *    (2) the next run cannot finish the batch (the wallet has no gas),
 *    counts new receipts, tags their transfers S + 1, flushes them and
 *    is killed before its ledger save; (3) the run after that finishes
 *    the batch first, and that save is step S + 1.  Judged by seq, the
 *    records of (2) would now look committed and the genuine receipts,
 *    requeued from cur/, would be quarantined as copies of themselves
 *    (and again after every requeue).  Judged by seen_step, still the
 *    step of the last count in (1) or before, they are dropped, whatever
 *    order the run does its work in: a record is kept only when the
 *    save of the very step that tagged it happened, because seen_step
 *    only moves in a process that dropped every uncommitted record
 *    first, and every tag it writes is above the seen_step it loaded.
 *  - Records whose block is older than the window are dropped on load,
 *    and the horizon moves up to the window's start: the set can vouch
 *    only for transfers at or after the horizon, so the caller refuses
 *    receipts older than max(window start, horizon) - a window widened
 *    later never lets a forgotten transfer count twice.  The set stays
 *    bounded by the window, not by history.
 *  - At most PO_SEEN_MAX records (X402_ERR_LIMIT beyond: a shorter
 *    verify_window is the fix).
 */
#ifndef X402_PAYOUT_SEEN_H
#define X402_PAYOUT_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

#define PO_SEEN_REC	56
#define PO_SEEN_MAX	(16u << 20)	/* records: a 896 MiB file */

struct po_seen_ent {
	uint8_t tx[32];
	uint32_t log;
	int64_t time;
	uint64_t step;
};

struct po_seen {
	struct po_seen_ent *tab;	/* open addressing */
	uint8_t *used;			/* 1 per slot in use */
	size_t cap, n;			/* slots (power of 2), entries */
	struct x402_buf pend;		/* records not yet appended */
	int64_t horizon;		/* transfers before it are forgotten */
	int fd;				/* STATE/seen, O_APPEND; -1 */
};

/* An empty set, not backed by a file (po_seen_close frees it). */
void po_seen_init(struct po_seen *s);

/*
 * Reads a seen file's bytes p[0..len) into *s (po_seen_init'ed), keeping
 * records of steps <= committed and blocks at or after min_time.
 * Returns 0, X402_ERR_SYNTAX, X402_ERR_LIMIT or X402_ERR_NOMEM.
 * Out: *dropped, the records (and torn bytes) not kept.
 */
int po_seen_parse(struct po_seen *s, struct x402_detail *d, const uint8_t *p,
    size_t len, uint64_t committed, int64_t min_time, size_t *dropped)
    X402_WARN_UNUSED;

/*
 * Loads STATE/seen (dirfd: the state directory; created if missing),
 * keeping records of steps <= committed (the ledger's seen_step) and
 * blocks at or after
 * min_time; rewrites the file atomically when it dropped anything.
 * Returns 0, X402_ERR_IO, X402_ERR_SYNTAX (not a seen file),
 * X402_ERR_LIMIT or X402_ERR_NOMEM.  Out: *s (po_seen_close, also on
 * failure).  dry: read only, never write or create.
 */
int po_seen_open(struct po_seen *s, struct x402_detail *d, int dirfd,
    uint64_t committed, int64_t min_time, int dry) X402_WARN_UNUSED;

/* 1 if (tx, log) has been counted, else 0. */
int po_seen_has(const struct po_seen *s, const uint8_t tx[32], uint32_t log);

/*
 * Remembers (tx, log) as counted by ledger step `step` (in memory and
 * queued for the file).  Returns 0, X402_ERR_LIMIT or X402_ERR_NOMEM.
 */
int po_seen_add(struct po_seen *s, const uint8_t tx[32], uint32_t log,
    int64_t time, uint64_t step) X402_WARN_UNUSED;

/* Appends the queued records and fsyncs.  Returns 0 or X402_ERR_IO. */
int po_seen_flush(struct po_seen *s, struct x402_detail *d)
    X402_WARN_UNUSED;

/* Frees *s and closes its file (queued records are lost).  NULL ok. */
void po_seen_close(struct po_seen *s);

#endif /* X402_PAYOUT_SEEN_H */
