/*
 * fuzz_networks.c - networks.conf, parsed from a string with the
 * library's own table (network.c is included for its static spec), then
 * looked up by name and chain id.
 */
#include "../../src/lib/network.c"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x402_networks *t = NULL, copy;
	const struct x402_network *n;
	struct x402_detail d;
	size_t i;

	if (size > FUZZ_MAX)
		return 0;
	if (x402_networks_new(&t) != 0)
		abort();
	memset(&copy, 0, sizeof(copy));
	copy.cap = t->cap > 0 ? t->cap : 1;
	copy.n = t->n;
	if ((copy.v = reallocarray(NULL, copy.cap, sizeof(*copy.v))) == NULL)
		abort();
	memcpy(copy.v, t->v, t->n * sizeof(*copy.v));
	if (x402_cfg_parse_string(NULL, &d, &conf_spec, &copy,
	    "networks.conf", (const char *)data, size) == 0) {
		free(t->v);
		*t = copy;
		copy.v = NULL;
		for (i = 0; i < x402_networks_count(t); i++) {
			n = x402_networks_at(t, i);
			if (x402_networks_find(t, n->caip2) == NULL ||
			    x402_networks_find_chain(t, n->chain_id) == NULL)
				abort();
			(void)x402_network_asset(n, NULL);
		}
	}
	free(copy.v);
	x402_networks_free(t);
	return 0;
}
