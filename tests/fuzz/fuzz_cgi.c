/* fuzz_cgi.c - what a command's output and usage channel may say: the CGI
   header block (x402_cgi_parse) and the rule for each header name
   (x402_output_header_rule), and the usage line (x402_usage_parse). */
#include "autoconfig.h"

#include "x402.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x402_cgi c;
	struct x402_usage u;
	struct x402_detail d;
	size_t i;

	if (size > FUZZ_MAX)
		return 0;
	memset(&c, 0, sizeof(c));
	if (x402_cgi_parse(&c, (const char *)data, size, &d) == 0) {
		(void)x402_cgi_get(&c, "Content-Type");
		for (i = 0; i < c.nhdr; i++)
			(void)x402_output_header_rule(c.hdr[i].name);
	}
	x402_cgi_free(&c);
	if (x402_usage_parse(&u, &d, (const char *)data, size) == 0 &&
	    u.kind != X402_USAGE_NONE && u.value[0] == '\0')
		__builtin_trap();
	return 0;
}
