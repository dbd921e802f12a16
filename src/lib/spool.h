/*
 * spool.h - a maildir-style spool of records (receipts), after qmail's
 * maildir and Postfix's queue: a record is never lost, never seen half
 * written, and claimed by exactly one consumer.
 *
 * Layout of a spool directory DIR:
 *   DIR/tmp/         records being written (never read by consumers)
 *   DIR/new/         complete, durable records waiting for a consumer
 *   DIR/cur/         records claimed by a consumer, being processed
 *   DIR/quarantine/  records a consumer could not process, each with a
 *                    sibling NAME.reason text file
 *
 * Rules:
 *  - x402_spool_open creates DIR (not its parents) and the four
 *    subdirectories when missing, with mode 0770 less the process umask
 *    (the gate and the payout worker share a group); it never changes the
 *    mode of existing ones, and refuses anything that is not a directory.
 *  - A writer creates tmp/NAME (O_EXCL, mode 0640 less umask), writes it
 *    all, fsyncs it, links it into new/ (rename where the file system has
 *    no hard links), fsyncs new/ and removes tmp/NAME.  Any failure is
 *    X402_ERR_IO with the system call and errno text in the detail, and
 *    leaves nothing in new/ (see x402_spool_write for the one window).
 *  - NAME is "SECONDS.PID.RANDOM": 1 to 20 digits, 1 to 10 digits and
 *    16 lowercase hex digits, as x402_spool_write makes it.  Functions
 *    that take a name refuse any other (X402_ERR_INVAL), so a name can
 *    never reach outside its subdirectory; listings skip any other.
 *  - Whoever can write DIR (the web user, through the group) is not
 *    trusted with the payout's files.  x402_spool_open opens the four
 *    subdirectories without following a symbolic link (openat with
 *    O_DIRECTORY | O_NOFOLLOW) and refuses (X402_ERR_PERM) one that is
 *    a link, lies on another device than DIR or belongs to another uid
 *    than DIR; every later step goes through those descriptors, so a
 *    subdirectory swapped afterwards is never reached.  DIR itself is
 *    the operator's path and may be reached through links.
 *  - Only regular files are read, moved or removed: a record is opened
 *    with O_NOFOLLOW | O_NONBLOCK and fstat()ed, so a symbolic link, a
 *    FIFO, a device or a directory under a receipt name is never read
 *    nor claimed; claims and listings skip it and leave it where it is,
 *    and the calls that take a name refuse it (X402_ERR_PERM).
 *  - A consumer claims a record by rename() from new/ into cur/: of many
 *    consumers racing for one record exactly one wins.  A claim is not
 *    fsynced: after a host crash a record may be back in new/ and be
 *    claimed again, so consumers must be idempotent on the record name.
 *  - Processed records are unlinked (x402_spool_done): the consumer must
 *    have recorded what it needs durably (its ledger) first.
 *  - The order in which records are claimed is unspecified.
 *  - One struct x402_spool per process or thread; it holds open directory
 *    descriptors (close-on-exec) and one listing of new/ that successive
 *    claims walk, so draining a backlog of N records reads new/ once, not
 *    N times.
 */
#ifndef X402_SPOOL_H
#define X402_SPOOL_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "error.h"

#define X402_SPOOL_NAMEMAX 64		/* longest record name */
#define X402_SPOOL_MAXRECORD (1u << 20)	/* largest record written */
#define X402_SPOOL_REASONMAX 1024	/* longest quarantine reason */

struct x402_spool;

/* The areas of a spool, for listing (x402_spool_stale), x402_spool_read
 * and x402_spool_sync. */
enum x402_spool_area {
	X402_SPOOL_TMP = 0,	/* writers that died before finishing */
	X402_SPOOL_CUR = 1,	/* consumers that died before done/quarantine */
	X402_SPOOL_NEW = 2,	/* records waiting for a consumer */
	X402_SPOOL_QUARANTINE = 3,	/* records refused (no .reason files) */
};

/*
 * Opens (creating as above) the spool at dir.  Returns 0, X402_ERR_IO
 * (the path and errno in the detail), X402_ERR_PERM (a subdirectory is a
 * symbolic link, on another device or another uid's), X402_ERR_INVAL or
 * X402_ERR_NOMEM.
 * Out: *sp, to release with x402_spool_close.
 */
int x402_spool_open(struct x402_spool **sp, struct x402_detail *d,
    const char *dir) X402_WARN_UNUSED;

/* Closes the directory descriptors and frees s.  NULL allowed. */
void x402_spool_close(struct x402_spool *s);

/*
 * Writes a record of len (<= X402_SPOOL_MAXRECORD) bytes durably into
 * new/.  Returns 0, X402_ERR_IO, X402_ERR_LIMIT or X402_ERR_INVAL.  Out:
 * name[0..namecap) receives the record name when name is not NULL
 * (namecap > X402_SPOOL_NAMEMAX always suffices; a short buffer is
 * X402_ERR_LIMIT before anything is written).
 * If fsync of new/ fails the record is unlinked from new/ again and the
 * call fails; a consumer that claimed it in that instant keeps it.  A
 * failure to remove tmp/NAME after the record is durable is not an error
 * (x402_spool_stale finds the leftover).
 */
int x402_spool_write(struct x402_spool *s, char *name, size_t namecap,
    struct x402_detail *d, const void *data, size_t len) X402_WARN_UNUSED;

/*
 * Claims one record from new/ into cur/ and reads it.  Names come from
 * the spool's listing of new/, read on from where the previous claim
 * stopped; at its end the listing is read afresh, so records written at
 * any time are found.  Entries that are not regular files are skipped
 * and left in place.  Returns 0, X402_ERR_NOTFOUND (a fresh listing of
 * new/ found no record to claim), X402_ERR_LIMIT (the record is
 * larger than content->max), X402_ERR_IO or X402_ERR_INVAL.
 * Out: name[0..namecap) (namecap > X402_SPOOL_NAMEMAX), *content (reset,
 * then filled; initialised by the caller with its cap).  On X402_ERR_LIMIT
 * and on a read error the record stays claimed in cur/ and name is set:
 * the caller should quarantine it.
 */
int x402_spool_claim_next(struct x402_spool *s, char *name, size_t namecap,
    struct x402_buf *content, struct x402_detail *d) X402_WARN_UNUSED;

/*
 * Reads the record name of an area without claiming it (a dry run), as a
 * claim reads it (regular files only, never through a link).  Returns 0,
 * X402_ERR_NOTFOUND, X402_ERR_PERM (not a regular file), X402_ERR_LIMIT
 * (over content->max), X402_ERR_IO or X402_ERR_INVAL (bad name or area).
 * Out: *content (reset, then filled).
 */
int x402_spool_read(struct x402_spool *s, struct x402_buf *content,
    struct x402_detail *d, enum x402_spool_area area, const char *name)
    X402_WARN_UNUSED;

/* fsync()s the directory of an area.  Returns 0, X402_ERR_IO or INVAL. */
int x402_spool_sync(struct x402_spool *s, struct x402_detail *d,
    enum x402_spool_area area) X402_WARN_UNUSED;

/*
 * Removes the processed, claimed record cur/name.  Returns 0,
 * X402_ERR_NOTFOUND, X402_ERR_PERM (not a regular file), X402_ERR_IO or
 * X402_ERR_INVAL (bad name).
 */
int x402_spool_done(struct x402_spool *s, struct x402_detail *d,
    const char *name) X402_WARN_UNUSED;

/*
 * Moves the claimed record cur/name to quarantine/name, then writes
 * quarantine/name.reason (via tmp/, fsynced) holding reason and a
 * newline.  Returns 0, X402_ERR_NOTFOUND (not in cur/), X402_ERR_PERM
 * (not a regular file), X402_ERR_LIMIT (reason over
 * X402_SPOOL_REASONMAX), X402_ERR_IO or X402_ERR_INVAL.
 */
int x402_spool_quarantine(struct x402_spool *s, struct x402_detail *d,
    const char *name, const char *reason) X402_WARN_UNUSED;

/*
 * Moves quarantine/name back to new/name (to be processed again, after
 * the operator fixed what refused it) and removes its .reason.  Returns
 * 0, X402_ERR_NOTFOUND, X402_ERR_EXISTS (new/name is there),
 * X402_ERR_PERM (not a regular file), X402_ERR_IO or X402_ERR_INVAL (bad
 * name, or a .reason file named).
 */
int x402_spool_unquarantine(struct x402_spool *s, struct x402_detail *d,
    const char *name) X402_WARN_UNUSED;

/*
 * Lists the records (regular files with a record name; in tmp/ also
 * NAME.reason) of an area whose last change (the later of mtime and
 * ctime) is at least max_age seconds before now (max_age 0: all of
 * them).  Out: names receives "NAME\n" per record (appended;
 * X402_ERR_LIMIT when it is full), *count the number listed.  Returns 0, X402_ERR_LIMIT, X402_ERR_IO or
 * X402_ERR_INVAL.  Recovery then calls x402_spool_drop_tmp (tmp/) or
 * x402_spool_requeue (cur/, once sure the consumer is gone).
 */
int x402_spool_stale(struct x402_spool *s, struct x402_buf *names,
    size_t *count, struct x402_detail *d, enum x402_spool_area area,
    time_t now, unsigned max_age) X402_WARN_UNUSED;

/* Unlinks tmp/name (a record or its NAME.reason).  Returns 0,
 * X402_ERR_NOTFOUND, X402_ERR_PERM (not a regular file), X402_ERR_IO or
 * X402_ERR_INVAL. */
int x402_spool_drop_tmp(struct x402_spool *s, struct x402_detail *d,
    const char *name) X402_WARN_UNUSED;

/* Moves cur/name back to new/.  Same returns as x402_spool_drop_tmp. */
int x402_spool_requeue(struct x402_spool *s, struct x402_detail *d,
    const char *name) X402_WARN_UNUSED;

#endif /* X402_SPOOL_H */
