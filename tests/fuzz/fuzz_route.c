/*
 * fuzz_route.c - gate route files, through the gate's own loader
 * (route_load: the [route] [gate] [paths] [facilitator] [local] table,
 * then offers, prices and settlement checks; deep = 0, so nothing is
 * opened).  The input is written to a private temporary file first.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <unistd.h>

#include "x402.h"
#include "route.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[512];
	struct route r;
	struct x402_detail d;
	FILE *f;

	if (size > FUZZ_MAX)
		return 0;
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s/fuzz-route-%ld.conf",
		    fuzz_tmpdir(), (long)getpid());
	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
	(void)route_load(&r, &d, NULL, path, 0);
	route_free(&r);
	return 0;
}
