/* fuzz_json.c - x402_json_parse (strict, bounded depth). */
#include "autoconfig.h"

#include "x402.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = NULL;
	struct x402_detail d;

	if (size > FUZZ_MAX)
		return 0;
	if (x402_json_parse(&o, &d, (const char *)data, size,
	    X402_JSON_MAX_DEPTH) == 0)
		(void)json_object_to_json_string(o);
	json_object_put(o);
	return 0;
}
