/* output.c - the header rule for cgi output and the usage channel. */
#include "autoconfig.h"

#include <string.h>
#include <strings.h>

#include "output.h"

static int
has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int
x402_output_header_rule(const char *name)
{
	static const char *const pass[] = { "content-type", "status",
	    "content-disposition", "content-language", "expires",
	    "last-modified", "etag", "link", "vary", NULL };
	/* X-* names a server or an x402 client acts on. */
	static const char *const x_reserved[] = { "x-accel-", "x-sendfile",
	    "x-lighttpd-", "x-payment", NULL };
	size_t i;

	if (name == NULL || name[0] == '\0')
		return X402_HEADER_DROP;
	if (strcasecmp(name, "location") == 0)
		return X402_HEADER_REFUSE;
	for (i = 0; pass[i] != NULL; i++)
		if (strcasecmp(name, pass[i]) == 0)
			return X402_HEADER_PASS;
	if (!has_prefix(name, "x-"))
		return X402_HEADER_DROP;
	for (i = 0; x_reserved[i] != NULL; i++)
		if (has_prefix(name, x_reserved[i]))
			return X402_HEADER_DROP;
	return X402_HEADER_PASS;
}

int
x402_usage_parse(struct x402_usage *u, struct x402_detail *d,
    const char *p, size_t n)
{
	static const struct {
		const char *word;
		int kind;
	} kinds[] = { { "charge ", X402_USAGE_CHARGE },
	    { "units ", X402_USAGE_UNITS } };
	size_t i, k, len;

	if (u == NULL || (p == NULL && n > 0))
		return x402_fail(d, X402_ERR_INVAL, "usage: NULL argument");
	memset(u, 0, sizeof(*u));
	if (n == 0)
		return 0;
	if (n > X402_USAGE_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "usage: more than %d bytes",
		    X402_USAGE_MAX);
	if (p[n - 1] == '\n')
		n--;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		len = strlen(kinds[k].word);
		if (n > len && memcmp(p, kinds[k].word, len) == 0)
			break;
	}
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return x402_fail(d, X402_ERR_SYNTAX, "usage: want \"charge N\" "
		    "or \"units N\"");
	if (n - len > X402_U256_DECLEN)
		return x402_fail(d, X402_ERR_SYNTAX, "usage: number over %d "
		    "digits", X402_U256_DECLEN);
	for (i = len; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return x402_fail(d, X402_ERR_SYNTAX, "usage: not a "
			    "decimal number after \"%.*s\"", (int)(len - 1),
			    p);
	u->kind = kinds[k].kind;
	memcpy(u->value, p + len, n - len);
	u->value[n - len] = '\0';
	return 0;
}
