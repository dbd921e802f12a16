/*
 * metrics.h - counters shared by processes through a memory-mapped file,
 * and the Prometheus text exposition format.
 *
 * Rules:
 *  - A metrics file is a fixed layout: a 4096-byte header (magic, layout
 *    id, slot count, a label text of at most X402_METRICS_LABELS_MAX bytes
 *    that the caller defines) and then nslots 64-bit counters.  Every
 *    process that maps it adds to the same slots.
 *  - Adding is one relaxed atomic add (__atomic_fetch_add): no lock, no
 *    system call, never a failure on the request path.  A reader sees each
 *    slot whole; slots read one after another are not a snapshot.
 *  - A slot wraps at 2^64.  Amounts of money are kept in two slots (low
 *    and high 64 bits, x402_metrics_add_amount): exact to 2^128 atomic
 *    units.  A reader racing the one add that carries into the high slot
 *    may see the total 2^64 low for that instant.  Prometheus keeps every
 *    value as a float64 anyway (exact to 2^53): the receipts, not these
 *    counters, are the record of money.
 *  - x402_metrics_open with create set makes the file when it is missing
 *    or does not have this layout, slot count and label text (a new
 *    configuration): the new file replaces it by rename(2), so counters
 *    restart from zero, which Prometheus reads as a counter reset.
 *    Processes that still map the old file keep counting into it until they
 *    open again.  The file is created mode 0644 (counters are not secret;
 *    the label text must not hold secrets).
 *  - Never read a file others may write as trusted input: the reader
 *    checks magic, layout, size and the label text's terminator, and
 *    keeps its own copy of the header.  A process that can write the file
 *    can still make the counters lie, or truncate it under a reader
 *    (SIGBUS): give the directory to the writers' user only.
 *  - Not thread-safe to open or close concurrently on one handle.
 */
#ifndef X402_METRICS_H
#define X402_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "u256.h"

#define X402_METRICS_HEADER	4096	/* bytes before the first slot */
#define X402_METRICS_LABELS_MAX	4000	/* label text bytes, NUL included */
#define X402_METRICS_SLOTS_MAX	65536	/* slots per file */

struct x402_metrics;

/*
 * Maps the metrics file at path.  With create, a missing file or one of
 * another layout id, slot count or label text is replaced by a new one
 * (zeroed counters) and the mapping is writable; without create it is
 * mapped read-only and layout/nslots 0 accept whatever the file says.
 * labels (NUL-terminated, at most X402_METRICS_LABELS_MAX - 1 bytes) is
 * only compared and written with create.
 * Out: *out (free with x402_metrics_close).
 * Returns 0, X402_ERR_INVAL (bad arguments), X402_ERR_NOTFOUND (no file,
 * without create), X402_ERR_SYNTAX (not a metrics file, or not of this
 * layout, without create) or X402_ERR_IO (errno in *d).
 */
int x402_metrics_open(struct x402_metrics **out, struct x402_detail *d,
    const char *path, uint32_t layout, uint32_t nslots, const char *labels,
    int create) X402_WARN_UNUSED;

/* Unmaps and frees m.  NULL allowed. */
void x402_metrics_close(struct x402_metrics *m);

/* The layout id, the slot count and the label text (borrowed from m). */
uint32_t x402_metrics_layout(const struct x402_metrics *m);
uint32_t x402_metrics_nslots(const struct x402_metrics *m);
const char *x402_metrics_labels(const struct x402_metrics *m);

/*
 * Adds v to slot i (relaxed atomic).  Nothing happens when m is NULL,
 * read-only, or i is out of range: counting never fails a caller.
 */
void x402_metrics_add(struct x402_metrics *m, uint32_t i, uint64_t v);

/* Slot i (relaxed atomic load), 0 when m is NULL or i out of range. */
uint64_t x402_metrics_get(const struct x402_metrics *m, uint32_t i);

/*
 * Adds an amount to the 128-bit counter in slots lo and lo + 1 (high
 * word), carrying into the high word.  The part above 2^128 is dropped.
 */
void x402_metrics_add_amount(struct x402_metrics *m, uint32_t lo,
    const x402_u256 *v);

/* The 128-bit counter at slots lo, lo + 1 as a u256. */
void x402_metrics_get_amount(const struct x402_metrics *m, uint32_t lo,
    x402_u256 *out);

/*
 * A histogram is nb + 2 slots from `first`: one per bound (bounds[] in
 * microseconds, ascending, each counting the observations at most that
 * bound and above the previous one), one for +Inf and the sum of all
 * observations in microseconds.
 */
void x402_metrics_observe(struct x402_metrics *m, uint32_t first,
    const uint64_t *bounds, size_t nb, uint64_t us);

/*
 * Appends a Prometheus label value to b: backslash, double quote and
 * newline escaped as the text format says; other control bytes become
 * '_'.  Returns 0 or X402_ERR_LIMIT.
 */
int x402_metrics_label(struct x402_buf *b, const char *v) X402_WARN_UNUSED;

/*
 * Appends the samples of a histogram in seconds: name_bucket{labels,
 * le="..."} (cumulative), name_sum and name_count.  labels is the text
 * inside the braces ("route=\"ocr\""), already escaped.  Returns 0 or
 * X402_ERR_LIMIT.
 */
int x402_metrics_histogram(struct x402_buf *b, const char *name,
    const char *labels, const struct x402_metrics *m, uint32_t first,
    const uint64_t *bounds, size_t nb) X402_WARN_UNUSED;

#endif /* X402_METRICS_H */
