/*
 * x402.h - libx402, the core of x402-cgi: one header per module, this one
 * includes them all.
 *
 * Rules for every module:
 *  - Functions return 0 or a negative X402_ERR_* (error.h); details go to
 *    an optional struct x402_detail.  The library never prints, logs or
 *    exits, and keeps no global state.
 *  - Outputs come before inputs; each buffer is followed by its length.
 *  - All money is integer atomic units (u256.h).  No floating point.
 */
#ifndef X402_H
#define X402_H

#include "error.h"
#include "buf.h"
#include "codec.h"
#include "keccak.h"
#include "u256.h"
#include "price.h"
#include "eip712.h"
#include "sig.h"
#include "network.h"
#include "json.h"
#include "protocol.h"
#include "verify.h"
#include "settle.h"
#include "receipt.h"
#include "http.h"
#include "spool.h"
#include "tx.h"
#include "config.h"
#include "claim.h"
#include "run.h"
#include "output.h"
#include "rpc.h"
#include "cdp.h"
#include "facilitator.h"
#include "recover.h"
#include "metrics.h"

#endif /* X402_H */
