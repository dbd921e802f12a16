/*
 * output.h - what a command's output may decide, and the usage channel.
 *
 * A route's command output is the client's data: the client shapes it
 * (OCR of an image, a translation, a language model).  So:
 *  - on a raw route (the default) nothing in stdout is interpreted;
 *  - on a cgi route (the operator declares that the command prints CGI
 *    headers, run.h x402_cgi_parse) each header passes
 *    x402_output_header_rule: a short allow-list reaches the client,
 *    anything a web server or an x402 client acts on never does;
 *  - usage for upto never travels in stdout: the command writes it to
 *    its own descriptor (X402_RUN_USAGE_FD, run.h), and
 *    x402_usage_parse reads that small, bounded text.
 */
#ifndef X402_OUTPUT_H
#define X402_OUTPUT_H

#include <stddef.h>

#include "error.h"
#include "u256.h"

/* What happens to a header a cgi command printed. */
enum x402_header_rule {
	X402_HEADER_PASS = 0,	/* sent to the client as printed */
	X402_HEADER_DROP = 1,	/* not sent; the gate logs it */
	X402_HEADER_REFUSE = 2	/* the output is refused as a whole */
};

/*
 * The rule for a header name (any case) in a cgi command's output:
 *  PASS: Content-Type and Status (the gate applies them), and
 *        Content-Disposition, Content-Language, Expires, Last-Modified,
 *        ETag, Link, Vary, and X-* except the reserved X-* below.
 *  REFUSE: Location - a redirect (Apache follows a local one inside the
 *        server) is not a paid output.
 *  DROP: everything else, among them the framing (Content-Length,
 *        Transfer-Encoding, Connection), Cache-Control (the gate says
 *        private), Set-Cookie, and the names a server or a client acts
 *        on: X-Accel-* (nginx), X-Sendfile* (lighttpd, Apache
 *        mod_xsendfile), X-LIGHTTPD-*, X-Payment*, Payment-*, X402-*.
 * Returns an enum x402_header_rule; NULL or "" is DROP.
 */
int x402_output_header_rule(const char *name);

#define X402_USAGE_MAX	128	/* bytes the usage channel may carry */

enum x402_usage_kind {
	X402_USAGE_NONE = 0,	/* nothing reported: the route's default */
	X402_USAGE_CHARGE = 1,	/* atomic units of the asset */
	X402_USAGE_UNITS = 2	/* units priced by price_per_unit */
};

/* A usage report.  Caller-owned. */
struct x402_usage {
	int kind;			/* enum x402_usage_kind */
	char value[X402_U256_DECLEN + 1];	/* decimal digits, or "" */
};

/*
 * Parses what the command wrote to its usage channel: nothing at all
 * (X402_USAGE_NONE), or one line "charge N" or "units N" - a lowercase
 * keyword, one space, 1..X402_U256_DECLEN decimal digits, then an
 * optional LF, nothing else.  At most X402_USAGE_MAX bytes.
 * Out: *u (zeroed first).  Returns 0, X402_ERR_SYNTAX (anything else,
 * detail says what), X402_ERR_LIMIT (over X402_USAGE_MAX), X402_ERR_INVAL.
 */
int x402_usage_parse(struct x402_usage *u, struct x402_detail *d,
    const char *p, size_t n) X402_WARN_UNUSED;

#endif /* X402_OUTPUT_H */
