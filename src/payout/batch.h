/*
 * batch.h - payout batches and their journal, STATE/batches/NNNNNNNNNN.
 *
 * A batch is one EIP-3009 TransferWithAuthorization per payee, from the
 * payout wallet, signed when the batch is made and written (all of them)
 * to the journal before anything is sent.  The nonce of each is
 *   keccak256("x402-payout" || instance(16) || batch id (8, big-endian)
 *             || payee address (20))
 * so a resend after a crash is the same authorization, which the token
 * accepts at most once.  The journal is rewritten atomically as transfers
 * are sent (state "sent" with the transaction hash, written before the
 * transaction leaves) and confirmed (state "paid").
 */
#ifndef X402_PAYOUT_BATCH_H
#define X402_PAYOUT_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "eip712.h"
#include "error.h"
#include "sig.h"

#define PO_BATCH_MAX	(256u * 1024)	/* bytes of a journal */

enum po_xfer_state { PO_X_NEW = 0, PO_X_SENT = 1, PO_X_PAID = 2 };

struct po_xfer {
	char name[PO_NAME_MAX + 1];
	struct x402_eip3009_auth auth;	/* from = wallet, to = payee */
	uint8_t sig[X402_SIG_LEN];
	int state;
	int has_tx;
	uint8_t tx[32];
	uint64_t time;		/* last change */
};

struct po_batch {
	uint64_t id;
	uint64_t created;
	uint64_t closed;	/* time, 0 while open */
	char network[X402_CFG_ARG_MAX + 32];
	uint8_t asset[20];
	size_t n;
	struct po_xfer x[PO_PAYEES_MAX];
};

/* The deterministic nonce of a payout.  Out: nonce. */
void po_batch_nonce(uint8_t nonce[32], const uint8_t instance[16],
    uint64_t batch, const uint8_t payee[20]);

/* The journal's file name for a batch id ("0000000012"). */
void po_batch_filename(char out[24], uint64_t id);

int po_batch_format(struct x402_buf *b, const struct po_batch *bt)
    X402_WARN_UNUSED;
int po_batch_parse(struct po_batch *bt, struct x402_detail *d,
    const char *text, size_t len) X402_WARN_UNUSED;

/* Reads / writes (atomically) batch id in the directory dirfd. */
int po_batch_load(struct po_batch *bt, struct x402_detail *d, int dirfd,
    uint64_t id) X402_WARN_UNUSED;
int po_batch_save(const struct po_batch *bt, struct x402_detail *d,
    int dirfd) X402_WARN_UNUSED;

/*
 * Signs transfer i with the wallet key under the token's domain
 * separator.  Returns 0 or X402_ERR_CRYPTO.
 */
int po_batch_sign(struct po_xfer *x, const struct x402_sig_ctx *ctx,
    const uint8_t domsep[32], const uint8_t seckey[32]) X402_WARN_UNUSED;

#endif /* X402_PAYOUT_BATCH_H */
