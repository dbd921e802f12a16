/*
 * fuzz_payout.c - the payout worker's files: payout.conf (byte 0 = 0),
 * the ledger (1), a batch journal (2) and the seen-transfer set (3).  A
 * ledger or journal that parses must format and parse back to the same
 * text; every record the seen set keeps must be found in it.
 */
#include "autoconfig.h"

#include <stdio.h>

#include "x402.h"
#include "conf.h"
#include "ledger.h"
#include "batch.h"
#include "seen.h"
#include "fuzz.h"

static void
ledger(const char *s, size_t n)
{
	struct po_ledger l, l2;
	struct x402_detail d;
	struct x402_buf b, b2;

	memset(&l, 0, sizeof(l));
	memset(&l2, 0, sizeof(l2));
	x402_buf_init(&b, 1 << 22);
	x402_buf_init(&b2, 1 << 22);
	if (po_ledger_parse(&l, &d, s, n) != 0)
		goto out;
	if (po_ledger_format(&b, &l) != 0 ||
	    po_ledger_parse(&l2, &d, b.p, b.len) != 0 ||
	    po_ledger_format(&b2, &l2) != 0 || b.len != b2.len ||
	    memcmp(b.p, b2.p, b.len) != 0) {
		fprintf(stderr, "ledger does not read back: %s\n", d.msg);
		abort();
	}
out:
	po_ledger_free(&l);
	po_ledger_free(&l2);
	x402_buf_free(&b);
	x402_buf_free(&b2);
}

static void
batch(const char *s, size_t n)
{
	static struct po_batch bt, bt2;
	struct x402_detail d;
	struct x402_buf b, b2;

	x402_buf_init(&b, 1 << 22);
	x402_buf_init(&b2, 1 << 22);
	if (po_batch_parse(&bt, &d, s, n) != 0)
		goto out;
	if (po_batch_format(&b, &bt) != 0 ||
	    po_batch_parse(&bt2, &d, b.p, b.len) != 0 ||
	    po_batch_format(&b2, &bt2) != 0 || b.len != b2.len ||
	    memcmp(b.p, b2.p, b.len) != 0) {
		fprintf(stderr, "batch does not read back: %s\n", d.msg);
		abort();
	}
out:
	x402_buf_free(&b);
	x402_buf_free(&b2);
}

static void
seen(const uint8_t *p, size_t n)
{
	struct po_seen s;
	struct po_seen_ent e;
	struct x402_detail d;
	size_t dropped, i, kept = 0;

	po_seen_init(&s);
	/* committed step 5, blocks from time 1000 kept */
	if (po_seen_parse(&s, &d, p, n, 5, 1000, &dropped) == 0) {
		for (i = 0; i < s.cap; i++) {
			if (!s.used[i])
				continue;
			e = s.tab[i];
			kept++;
			if (!po_seen_has(&s, e.tx, e.log) || e.step > 5 ||
			    e.time < 1000) {
				fprintf(stderr, "seen: a kept record is lost "
				    "or should have been dropped\n");
				abort();
			}
		}
		if (kept != s.n || (n > 0 && n < 32 + kept * PO_SEEN_REC)) {
			fprintf(stderr, "seen: count mismatch\n");
			abort();
		}
	}
	po_seen_close(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct po_conf c;
	struct x402_detail d;
	const char *s = (const char *)data + 1;

	if (size < 1 || size > FUZZ_MAX)
		return 0;
	switch (data[0] % 4) {
	case 0:
		(void)po_conf_load(&c, &d, "payout.conf", s, size - 1);
		break;
	case 1:
		ledger(s, size - 1);
		break;
	case 2:
		batch(s, size - 1);
		break;
	default:
		seen(data + 1, size - 1);
		break;
	}
	return 0;
}
