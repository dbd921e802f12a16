/* fuzz_cgi.c - the CGI header block of a command's output
   (x402_cgi_parse). */
#include "autoconfig.h"

#include "x402.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x402_cgi c;
	struct x402_detail d;

	if (size > FUZZ_MAX)
		return 0;
	memset(&c, 0, sizeof(c));
	if (x402_cgi_parse(&c, (const char *)data, size, &d) == 0)
		(void)x402_cgi_get(&c, "Content-Type");
	x402_cgi_free(&c);
	return 0;
}
