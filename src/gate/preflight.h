/*
 * preflight.h - x402-gate -t: every check that can be made before a
 * request arrives (preflight.c).
 *
 * Rules:
 *  - One line per check on stdout: "ok      ...", "WARNING ..." or
 *    "FAILED  ...", then one summary line naming the route file.
 *  - Exit status (sysexits): 0 when nothing failed (warnings allowed),
 *    EX_CONFIG (78) when a check of the configuration failed,
 *    EX_UNAVAILABLE (69) when only a peer (facilitator, RPC) could not be
 *    asked.
 *  - Rights (command, keys, directories) are checked for the user the
 *    gate runs as: -u USER when run as root (a child process drops to
 *    USER and tries), else the current user.
 */
#ifndef GATE_PREFLIGHT_H
#define GATE_PREFLIGHT_H

#include "route.h"

/*
 * Runs every check of route `file` with the shared settings `global`
 * (global_given: it came from -g, so it must exist) for `user` (NULL:
 * the current user).  Prints to stdout.  Returns the exit status.
 */
int preflight_run(const char *file, const char *global, int global_given,
    const char *user);

/*
 * pay_to is the placeholder of the example x402.conf (an address nobody
 * controls): X402_ERR_CONFIG, with the file and key in *d; else 0.
 */
int preflight_pay_to(const struct route *r, struct x402_detail *d);

#endif /* GATE_PREFLIGHT_H */
