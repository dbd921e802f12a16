/*
 * fuzz_facilitator.c - facilitator replies to /verify, /settle and
 * /supported (v1 and v2), through the real client with the HTTP layer
 * replaced (fakehttp.h).  Byte 0 picks the call and the HTTP status;
 * the rest is the reply body.
 */
#include "autoconfig.h"

#include "x402.h"
#include "fuzz.h"
#include "fakehttp.h"

static const long statuses[] = { 200, 400, 402, 500 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x402_facilitator *f = NULL;
	const struct x402_facilitator_supported *sup;
	struct x402_verify_result vr;
	struct x402_settlement st;
	struct x402_http_opts ho;
	struct json_object *pay = NULL, *req = NULL, *raw = NULL;
	struct x402_detail d;
	int version, yes;

	if (size < 1 || size > FUZZ_MAX)
		return 0;
	fake_init();
	fake_status = statuses[(data[0] >> 2) % 4];
	fake_body = (const char *)data + 1;
	fake_len = size - 1;
	version = (data[0] & 0x10) ? 1 : 2;
	memset(&ho, 0, sizeof(ho));
	if (x402_facilitator_new(&f, &d, "http://127.0.0.1:9", &ho,
	    NULL) != 0)
		abort();
	pay = json_object_new_object();
	req = json_object_new_object();
	switch (data[0] % 3) {
	case 0:
		(void)x402_facilitator_verify(f, &vr, &d, version, pay, req);
		break;
	case 1:
		(void)x402_facilitator_settle(f, &st, &raw, &d, version, pay,
		    req);
		break;
	default:
		if (x402_facilitator_supported(f, &sup, &d) == 0)
			(void)x402_facilitator_supports(f, &yes, &d, 2,
			    "exact", "eip155:84532");
		break;
	}
	json_object_put(raw);
	json_object_put(pay);
	json_object_put(req);
	x402_facilitator_free(f);
	return 0;
}
