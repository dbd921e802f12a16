/* fuzz_receipt.c - spool receipts (x402_receipt_parse), and a parsed
   receipt formats and parses back to the same text. */
#include "autoconfig.h"

#include <stdio.h>

#include "x402.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x402_receipt r, r2;
	struct x402_detail d;
	struct x402_buf b, b2;

	if (size > FUZZ_MAX)
		return 0;
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	x402_buf_init(&b, 1 << 20);
	x402_buf_init(&b2, 1 << 20);
	if (x402_receipt_parse(&r, &d, (const char *)data, size) != 0)
		goto out;
	if (x402_receipt_format(&b, &r) != 0)
		abort();
	if (x402_receipt_parse(&r2, &d, b.p, b.len) != 0) {
		fprintf(stderr, "formatted receipt does not parse: %s\n", d.msg);
		abort();
	}
	if (x402_receipt_format(&b2, &r2) != 0 || b.len != b2.len ||
	    memcmp(b.p, b2.p, b.len) != 0)
		abort();
out:
	x402_receipt_free(&r);
	x402_receipt_free(&r2);
	x402_buf_free(&b);
	x402_buf_free(&b2);
	return 0;
}
