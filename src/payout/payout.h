/*
 * payout.h - what the parts of x402-payout share: the run context.
 */
#ifndef X402_PAYOUT_H
#define X402_PAYOUT_H

#include <stdint.h>

#include "batch.h"
#include "conf.h"
#include "facilitator.h"
#include "ledger.h"
#include "network.h"
#include "rpc.h"
#include "sig.h"

/* Exit codes (sysexits.h values). */
#define PO_EXIT_OK		0
#define PO_EXIT_FAIL		1
#define PO_EXIT_USAGE		64
#define PO_EXIT_TEMPFAIL	75	/* another run holds the lock */
#define PO_EXIT_CONFIG		78

struct po_ctx {
	struct po_conf *conf;
	struct x402_networks *nets;
	const struct x402_network *net;		/* borrowed from nets */
	const struct x402_asset *asset;		/* borrowed from nets */
	uint8_t domsep[32];
	int statefd;				/* STATE/ */
	int batchfd;				/* STATE/batches/ */
	int lockfd;
	int locked;				/* this process holds the lock */
	struct po_ledger ledger;
	struct x402_sig_ctx *sig;
	uint8_t seckey[32];
	int have_key;
	struct x402_rpc *rpc;
	struct x402_facilitator *fac;
	int dry_run;
	int progress;				/* stderr is a terminal */
};

/*
 * The test hook: X402_PAYOUT_CRASH_AT=NAME:COUNT makes the process kill
 * itself with SIGKILL the COUNT-th time it passes the point NAME.
 */
void po_crash_point(const char *name);

/* Counts the spool into the ledger (dry run: reads without claiming). */
int po_count(struct po_ctx *c);

/* Finishes an open batch, then pays what is due. */
int po_pay(struct po_ctx *c);

/* Startup repair of batch journals against the ledger. */
int po_batch_repair(struct po_ctx *c);

#endif /* X402_PAYOUT_H */
