/* fuzz_payment.c - X-PAYMENT / PAYMENT-SIGNATURE headers: base64, JSON,
   strict validation (x402_payment_decode). */
#include "autoconfig.h"

#include "x402.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x402_payment p;
	struct x402_detail d;

	if (size > FUZZ_MAX)
		return 0;
	memset(&p, 0, sizeof(p));
	if (x402_payment_decode(&p, &d, (const char *)data, size) == 0)
		x402_payment_free(&p);
	else
		x402_payment_free(&p);
	return 0;
}
