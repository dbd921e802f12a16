/*
 * config.c - strict INI files: one line at a time, tables check values.
 *
 * The parser is ours (it replaced libinih, whose Debian build cuts lines
 * at 200 bytes and reports neither line numbers nor section headers): it
 * counts lines, refuses lines over X402_CFG_LINE_MAX bytes (never splits
 * them), NUL bytes and control characters, "key: value" and lines without
 * '=', empty and repeated sections.  Each key is then checked against the
 * tables.  The syntax is the subset of inih's that config.h states.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "config.h"

#define QUOTE_MAX 48		/* bytes of a value quoted in a detail */

/* A header already seen, to refuse the same section twice. */
struct seen_hdr {
	const struct x402_cfg_section *sec;
	char args[X402_CFG_ARGS_MAX][X402_CFG_ARG_MAX + 1];
	unsigned line;
};

struct parser {
	const struct x402_cfg_spec *spec;
	void *out;
	void *ctx;
	struct x402_detail *d;
	const char *name;	/* file name for details */
	const char *text;
	size_t len, pos;
	unsigned lineno;
	int err;		/* first error, 0 while none */
	unsigned errline;

	/* The current section instance. */
	int open;
	struct x402_cfg_instance cur;
	unsigned key_lines[X402_CFG_KEYS_MAX];
	void *heap;		/* instance object of a repeated section */

	size_t *counts;		/* per spec section: instances seen */
	struct seen_hdr *hdrs;
	size_t nhdrs, caphdrs;
};

static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_argchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == ':';
}

/* Writes "[name a b] " into buf ("" for the top-level section). */
static void
fmt_section(char *buf, size_t cap, const struct x402_cfg_instance *in)
{
	const char *name = in->section != NULL ? in->section->name : "";

	if (name[0] == '\0')
		snprintf(buf, cap, "%s", "");
	else if (in->nargs == 0)
		snprintf(buf, cap, "[%s] ", name);
	else if (in->nargs == 1)
		snprintf(buf, cap, "[%s %s] ", name, in->args[0]);
	else
		snprintf(buf, cap, "[%s %s %s] ", name, in->args[0],
		    in->args[1]);
}

/* Records the first error of the parse (later ones are consequences). */
static int
perr(struct parser *p, unsigned line, const char *key, const char *fmt, ...)
    X402_PRINTF(4, 5);

static int
perr(struct parser *p, unsigned line, const char *key, const char *fmt, ...)
{
	char msg[160], sec[2 * X402_CFG_ARG_MAX + 64];
	va_list ap;

	if (p->err != 0)
		return p->err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->err = X402_ERR_CONFIG;
	p->errline = line;
	if (key != NULL && p->open) {
		fmt_section(sec, sizeof(sec), &p->cur);
		x402_fail(p->d, p->err, "%s:%u: %s%s: %s", p->name, line, sec,
		    key, msg);
	} else if (key != NULL) {
		x402_fail(p->d, p->err, "%s:%u: %s: %s", p->name, line, key,
		    msg);
	} else {
		x402_fail(p->d, p->err, "%s:%u: %s", p->name, line, msg);
	}
	return p->err;
}

int
x402_cfg_fail(struct x402_detail *d, const struct x402_cfg_instance *in,
    const char *key, const char *fmt, ...)
{
	char msg[160], sec[2 * X402_CFG_ARG_MAX + 64];
	unsigned line;
	va_list ap;

	if (d == NULL)
		return X402_ERR_CONFIG;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (in == NULL)
		return x402_fail(d, X402_ERR_CONFIG, "%s", msg);
	fmt_section(sec, sizeof(sec), in);
	line = key != NULL ? x402_cfg_seen(in, key) : 0;
	if (line == 0)
		line = in->line;
	if (key != NULL)
		return x402_fail(d, X402_ERR_CONFIG, "%s:%u: %s%s: %s",
		    in->file, line, sec, key, msg);
	return x402_fail(d, X402_ERR_CONFIG, "%s:%u: %s%s", in->file, line,
	    sec, msg);
}

unsigned
x402_cfg_seen(const struct x402_cfg_instance *in, const char *key)
{
	size_t i;

	if (in == NULL || in->section == NULL || key == NULL)
		return 0;
	for (i = 0; i < in->section->nkeys; i++)
		if (strcmp(in->section->keys[i].name, key) == 0)
			return in->key_lines[i];
	return 0;
}

int
x402_cfg_argv_vec(char **vec, size_t veccap, struct x402_cfg_argv *a)
{
	char *s;
	size_t i;

	if (vec == NULL || a == NULL || veccap < a->argc + 1)
		return X402_ERR_LIMIT;
	s = a->buf;
	for (i = 0; i < a->argc; i++) {
		vec[i] = s;
		s += strlen(s) + 1;
	}
	vec[i] = NULL;
	return 0;
}

/* ---- values ------------------------------------------------------------ */

/* Decimal digits only, no sign; *endp at the first non-digit. */
static int
parse_u64(uint64_t *out, const char *s, const char **endp)
{
	uint64_t v = 0;
	const char *q = s;

	if (*q < '0' || *q > '9')
		return -1;
	for (; *q >= '0' && *q <= '9'; q++) {
		unsigned dgt = (unsigned)(*q - '0');

		if (v > (UINT64_MAX - dgt) / 10)
			return -2;
		v = v * 10 + dgt;
	}
	*out = v;
	*endp = q;
	return 0;
}

/* Number with an optional one-letter unit suffix. */
static int
parse_scaled(uint64_t *out, const char *s, const char *units,
    const uint64_t *mult)
{
	const char *end, *u;
	uint64_t v;
	int r;

	if ((r = parse_u64(&v, s, &end)) != 0)
		return r;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return -1;
		if (v > UINT64_MAX / mult[u - units])
			return -2;
		v *= mult[u - units];
	}
	*out = v;
	return 0;
}

static int
parse_bool(int *out, const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Splits s into words (see config.h).  Returns NULL or a reason. */
static const char *
parse_argv(struct x402_cfg_argv *a, const char *s, uint64_t maxwords)
{
	char *o = a->buf, *end = a->buf + sizeof(a->buf) - 1;
	int inword, quoted;

	a->argc = 0;
	for (;;) {
		while (is_blank(*s))
			s++;
		if (*s == '\0')
			break;
		if (a->argc == maxwords)
			return "too many words";
		inword = 1;
		quoted = 0;
		while (inword) {
			char c = *s;

			if (c == '\0') {
				if (quoted)
					return "unterminated \"";
				break;
			}
			s++;
			if (c == '\\') {
				if (*s == '\0')
					return "'\\' at the end";
				c = *s++;
			} else if (c == '"') {
				quoted = !quoted;
				continue;
			} else if (is_blank(c) && !quoted) {
				break;
			}
			if (o == end)
				return "too long";
			*o++ = c;
		}
		if (o == end)
			return "too long";
		*o++ = '\0';
		a->argc++;
	}
	return NULL;
}

/* Quotes a value for a detail, or not at all for a secret. */
static void
quote(char *buf, size_t cap, const struct x402_cfg_key *k, const char *v)
{
	if (k->flags & X402_CFG_SECRET)
		snprintf(buf, cap, "bad value");
	else if (strlen(v) > QUOTE_MAX)
		snprintf(buf, cap, "\"%.*s...\"", QUOTE_MAX, v);
	else
		snprintf(buf, cap, "\"%s\"", v);
}

static int
set_value(struct parser *p, const struct x402_cfg_key *k, char *field,
    const char *v)
{
	static const uint64_t tmult[] = { 1, 60, 3600, 86400 };
	static const uint64_t smult[] = { 1024, 1024, 1024 * 1024,
	    1024 * 1024 * 1024 };
	char q[QUOTE_MAX + 16];
	const char *why, *end;
	size_t len = strlen(v), i;
	unsigned line = p->lineno;
	uint64_t u;
	int r, b;

	quote(q, sizeof(q), k, v);
	if (len == 0 && !(k->type == X402_CFG_STRING && k->min == 0))
		return perr(p, line, k->name, "empty value");
	switch (k->type) {
	case X402_CFG_STRING:
	case X402_CFG_PRICE:
		if (len > k->max)
			return perr(p, line, k->name, "%s: longer than %llu "
			    "bytes", q, (unsigned long long)k->max);
		if (len < k->min)
			return perr(p, line, k->name, "%s: shorter than %llu "
			    "bytes", q, (unsigned long long)k->min);
		memcpy(field, v, len + 1);
		return 0;
	case X402_CFG_PATH:
		if (v[0] != '/')
			return perr(p, line, k->name, "%s: not an absolute "
			    "path", q);
		if (len > k->max)
			return perr(p, line, k->name, "%s: longer than %llu "
			    "bytes", q, (unsigned long long)k->max);
		memcpy(field, v, len + 1);
		return 0;
	case X402_CFG_UINT:
	case X402_CFG_DURATION:
	case X402_CFG_SIZE:
		if (k->type == X402_CFG_UINT) {
			r = parse_u64(&u, v, &end);
			if (r == 0 && *end != '\0')
				r = -1;
			why = "not an unsigned decimal integer";
		} else if (k->type == X402_CFG_DURATION) {
			r = parse_scaled(&u, v, "smhd", tmult);
			why = "not a duration (seconds, or with s, m, h, d)";
		} else {
			r = parse_scaled(&u, v, "kKMG", smult);
			why = "not a size (bytes, or with k, M, G)";
		}
		if (r == -1)
			return perr(p, line, k->name, "%s: %s", q, why);
		if (r != 0 || u < k->min || u > k->max)
			return perr(p, line, k->name, "%s: not in %llu..%llu",
			    q, (unsigned long long)k->min,
			    (unsigned long long)k->max);
		memcpy(field, &u, sizeof(u));
		return 0;
	case X402_CFG_BOOL:
		if (parse_bool(&b, v) != 0)
			return perr(p, line, k->name, "%s: not yes or no", q);
		memcpy(field, &b, sizeof(b));
		return 0;
	case X402_CFG_ENUM:
		for (i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(v, k->choices[i]) == 0) {
				b = (int)i;
				memcpy(field, &b, sizeof(b));
				return 0;
			}
		}
		{
			char list[120];
			size_t n = 0;

			list[0] = '\0';
			for (i = 0; k->choices[i] != NULL && n < sizeof(list);
			    i++)
				n += (size_t)snprintf(list + n,
				    sizeof(list) - n, "%s%s", i ? ", " : "",
				    k->choices[i]);
			return perr(p, line, k->name, "%s: not one of %s", q,
			    list);
		}
	case X402_CFG_ADDRESS:
		r = x402_addr_parse((uint8_t *)field, v, len);
		if (r == X402_ERR_CHECKSUM)
			return perr(p, line, k->name, "%s: bad EIP-55 checksum",
			    q);
		if (r != 0)
			return perr(p, line, k->name, "%s: not an address "
			    "(0x and 40 hex digits)", q);
		return 0;
	case X402_CFG_ARGV: {
		struct x402_cfg_argv a;

		if ((why = parse_argv(&a, v, k->max)) != NULL)
			return perr(p, line, k->name, "%s: %s", q, why);
		if (a.argc < k->min)
			return perr(p, line, k->name, "%s: fewer than %llu "
			    "words", q, (unsigned long long)k->min);
		memcpy(field, &a, sizeof(a));
		return 0;
	}
	}
	return perr(p, line, k->name, "key of unknown type");
}

/* ---- tables ------------------------------------------------------------ */

static int
check_key(struct x402_detail *d, const struct x402_cfg_section *s,
    const struct x402_cfg_key *k)
{
	size_t want = 0;

	switch (k->type) {
	case X402_CFG_STRING:
	case X402_CFG_PATH:
	case X402_CFG_PRICE:
		if (k->max >= k->size || k->min > k->max)
			goto bad;
		return 0;
	case X402_CFG_UINT:
	case X402_CFG_DURATION:
	case X402_CFG_SIZE:
		want = sizeof(uint64_t);
		if (k->min > k->max)
			goto bad;
		break;
	case X402_CFG_BOOL:
		want = sizeof(int);
		break;
	case X402_CFG_ENUM:
		want = sizeof(int);
		if (k->choices == NULL || k->choices[0] == NULL)
			goto bad;
		break;
	case X402_CFG_ADDRESS:
		want = X402_ADDR_LEN;
		break;
	case X402_CFG_ARGV:
		want = sizeof(struct x402_cfg_argv);
		if (k->max > X402_CFG_ARGV_MAX || k->min > k->max)
			goto bad;
		break;
	default:
		goto bad;
	}
	if (k->size == want)
		return 0;
bad:
	return x402_fail(d, X402_ERR_INVAL, "config table: [%s] %s: bad type, "
	    "size or bounds", s->name, k->name);
}

static int
check_spec(struct x402_detail *d, const struct x402_cfg_spec *spec)
{
	const struct x402_cfg_section *s;
	size_t i, j;
	int r;

	if (spec->nsections > 0 && spec->sections == NULL)
		return x402_fail(d, X402_ERR_INVAL, "config table: no sections");
	for (i = 0; i < spec->nsections; i++) {
		s = &spec->sections[i];
		if (s->name == NULL || s->nargs > X402_CFG_ARGS_MAX ||
		    s->nkeys > X402_CFG_KEYS_MAX ||
		    (s->nkeys > 0 && s->keys == NULL) ||
		    (s->nargs > 0 && s->size == 0) ||
		    (s->name[0] == '\0' && s->nargs > 0))
			return x402_fail(d, X402_ERR_INVAL, "config table: "
			    "section %zu is malformed", i);
		for (j = 0; j < s->nkeys; j++) {
			if (s->keys[j].name == NULL)
				return x402_fail(d, X402_ERR_INVAL, "config "
				    "table: [%s] key %zu has no name",
				    s->name, j);
			if ((r = check_key(d, s, &s->keys[j])) != 0)
				return r;
			if (s->nargs > 0 &&
			    s->keys[j].offset + s->keys[j].size > s->size)
				return x402_fail(d, X402_ERR_INVAL, "config "
				    "table: [%s] %s: outside the object",
				    s->name, s->keys[j].name);
		}
	}
	return 0;
}

/* ---- sections ---------------------------------------------------------- */

/* Checks required keys and hands a complete instance to its collector. */
static int
close_section(struct parser *p)
{
	const struct x402_cfg_section *s = p->cur.section;
	size_t i;
	int r;

	if (!p->open)
		return 0;
	for (i = 0; i < s->nkeys; i++)
		if ((s->keys[i].flags & X402_CFG_REQUIRED) &&
		    p->key_lines[i] == 0)
			return perr(p, p->cur.line, s->keys[i].name,
			    "missing (required)");
	if (s->collect != NULL) {
		r = s->collect(p->ctx, p->d, &p->cur);
		if (r != 0) {
			p->err = r;
			p->errline = p->cur.line;
			return r;
		}
	}
	free(p->heap);
	p->heap = NULL;
	p->open = 0;
	return 0;
}

static int
open_section(struct parser *p, const struct x402_cfg_section *s,
    char args[X402_CFG_ARGS_MAX][X402_CFG_ARG_MAX + 1], size_t nargs,
    unsigned line)
{
	struct seen_hdr *h, *dup = NULL;
	size_t i, idx = (size_t)(s - p->spec->sections);

	for (i = 0; i < p->nhdrs && dup == NULL; i++) {
		h = &p->hdrs[i];
		if (h->sec == s && (nargs < 1 || strcmp(h->args[0],
		    args[0]) == 0) && (nargs < 2 || strcmp(h->args[1],
		    args[1]) == 0))
			dup = h;
	}
	memset(&p->cur, 0, sizeof(p->cur));
	p->cur.file = p->name;
	p->cur.section = s;
	p->cur.line = line;
	p->cur.nargs = nargs;
	for (i = 0; i < nargs; i++)
		memcpy(p->cur.args[i], args[i], sizeof(p->cur.args[i]));
	p->cur.key_lines = p->key_lines;
	memset(p->key_lines, 0, sizeof(p->key_lines));
	p->open = 1;
	if (dup != NULL) {
		p->open = 0;
		return perr(p, line, NULL, "section %s appears twice "
		    "(first on line %u)", s->name, dup->line);
	}
	if (s->nargs == 0) {
		p->cur.data = (char *)p->out + s->offset;
	} else {
		if ((p->heap = calloc(1, s->size)) == NULL) {
			p->err = X402_ERR_NOMEM;
			return x402_fail(p->d, p->err, "out of memory");
		}
		if (s->defaults != NULL)
			memcpy(p->heap, s->defaults, s->size);
		p->cur.data = p->heap;
	}
	p->counts[idx]++;
	if (p->nhdrs == p->caphdrs) {
		size_t ncap = p->caphdrs ? 2 * p->caphdrs : 16;
		struct seen_hdr *nh = reallocarray(p->hdrs, ncap, sizeof(*nh));

		if (nh == NULL) {
			p->err = X402_ERR_NOMEM;
			return x402_fail(p->d, p->err, "out of memory");
		}
		p->hdrs = nh;
		p->caphdrs = ncap;
	}
	h = &p->hdrs[p->nhdrs++];
	memset(h, 0, sizeof(*h));
	h->sec = s;
	memcpy(h->args, p->cur.args, sizeof(h->args));
	h->line = line;
	return 0;
}

static const struct x402_cfg_section *
find_section(const struct x402_cfg_spec *spec, const char *name)
{
	size_t i;

	for (i = 0; i < spec->nsections; i++)
		if (strcmp(spec->sections[i].name, name) == 0)
			return &spec->sections[i];
	return NULL;
}

/* Parses the header at s (just after '['), line already checked. */
static int
header(struct parser *p, const char *s)
{
	char words[1 + X402_CFG_ARGS_MAX][X402_CFG_ARG_MAX + 1];
	char args[X402_CFG_ARGS_MAX][X402_CFG_ARG_MAX + 1];
	const struct x402_cfg_section *sec;
	const char *e;
	size_t n = 0, wl;
	int r;

	if ((r = close_section(p)) != 0)
		return r;
	memset(words, 0, sizeof(words));
	for (;;) {
		while (is_blank(*s))
			s++;
		if (*s == ']')
			break;
		for (e = s; is_argchar(*e); e++)
			;
		wl = (size_t)(e - s);
		if (wl == 0)
			return perr(p, p->lineno, NULL, "bad section header "
			    "(expected [name] or [name arg...])");
		if (n == 1 + X402_CFG_ARGS_MAX)
			return perr(p, p->lineno, NULL, "too many words in "
			    "section header");
		if (wl > X402_CFG_ARG_MAX)
			return perr(p, p->lineno, NULL, "section header word "
			    "longer than %d bytes", X402_CFG_ARG_MAX);
		memcpy(words[n++], s, wl);
		s = e;
		if (!is_blank(*s) && *s != ']')
			return perr(p, p->lineno, NULL, "bad section header "
			    "(expected [name] or [name arg...])");
	}
	for (s++; is_blank(*s); s++)
		;
	if (*s != '\0' && *s != ';' && *s != '#')
		return perr(p, p->lineno, NULL, "text after section header");
	if (n == 0)
		return perr(p, p->lineno, NULL, "empty section header");
	if ((sec = find_section(p->spec, words[0])) == NULL ||
	    words[0][0] == '\0')
		return perr(p, p->lineno, NULL, "[%s]: unknown section",
		    words[0]);
	if (n - 1 != sec->nargs)
		return perr(p, p->lineno, NULL, "[%s]: needs %zu name%s after "
		    "the section name, not %zu", sec->name, sec->nargs,
		    sec->nargs == 1 ? "" : "s", n - 1);
	memcpy(args, &words[1], sizeof(args));
	return open_section(p, sec, args, n - 1, p->lineno);
}

/* At the end of the text: close the last section, check required ones. */
static int
finish(struct parser *p)
{
	const struct x402_cfg_section *s;
	size_t i, j;
	int r;

	if ((r = close_section(p)) != 0)
		return r;
	for (i = 0; i < p->spec->nsections; i++) {
		s = &p->spec->sections[i];
		if (p->counts[i] > 0)
			continue;
		if (s->flags & X402_CFG_REQUIRED)
			return perr(p, p->lineno, NULL, "[%s]: missing "
			    "section", s->name);
		if (s->nargs > 0)
			continue;
		for (j = 0; j < s->nkeys; j++)
			if (s->keys[j].flags & X402_CFG_REQUIRED)
				return perr(p, p->lineno, NULL, "%s%s%s%s: "
				    "missing (required)", s->name[0] ? "[" : "",
				    s->name, s->name[0] ? "] " : "",
				    s->keys[j].name);
	}
	return 0;
}

/* ---- lines ---------------------------------------------------------------- */

/*
 * Copies the next line (normalized: line end and leading blanks gone) into
 * str (X402_CFG_LINE_MAX + 1 bytes) and checks it; a section header is
 * opened here.  Returns 1 with a line in str ("" for a blank line, a
 * comment or a header), 0 at the end, or -1 after an error (in p).
 */
static int
next_line(struct parser *p, char *str)
{
	const char *line, *nl, *s, *c;
	size_t len, i;

	if (p->err != 0)
		return -1;
	if (p->pos >= p->len)
		return 0;
	if (p->pos == 0 && p->len >= 3 && memcmp(p->text, "\xef\xbb\xbf",
	    3) == 0)
		p->pos = 3;
	line = p->text + p->pos;
	nl = memchr(line, '\n', p->len - p->pos);
	len = nl != NULL ? (size_t)(nl - line) : p->len - p->pos;
	p->pos += len + (nl != NULL);
	p->lineno++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > X402_CFG_LINE_MAX) {
		perr(p, p->lineno, NULL, "line longer than %d bytes",
		    X402_CFG_LINE_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch == '\0') {
			perr(p, p->lineno, NULL, "NUL byte in line");
			return -1;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			perr(p, p->lineno, NULL, "control character 0x%02x "
			    "in line", ch);
			return -1;
		}
	}
	while (len > 0 && is_blank(*line)) {
		line++;
		len--;
	}
	memcpy(str, line, len);
	str[len] = '\0';
	if (len == 0 || str[0] == ';' || str[0] == '#') {
		str[0] = '\0';		/* blank or comment */
	} else if (str[0] == '[') {
		if (header(p, str + 1) != 0)
			return -1;
		str[0] = '\0';
	} else {
		/* "key = value": '=' before ':' and before a " ;" comment. */
		for (s = str; *s != '\0' && *s != '=' && *s != ':'; s++)
			if (*s == ';' && s > str && is_blank(s[-1]))
				break;
		if (*s != '=') {
			perr(p, p->lineno, NULL, "expected \"key = value\"%s",
			    *s == ':' ? " (':' is not a separator)" : "");
			return -1;
		}
		for (c = s; c > str && is_blank(c[-1]); c--)
			;
		if (c == str) {
			perr(p, p->lineno, NULL, "empty key name");
			return -1;
		}
		if (!p->open) {
			char none[X402_CFG_ARGS_MAX][X402_CFG_ARG_MAX + 1];
			const struct x402_cfg_section *top;

			top = find_section(p->spec, "");
			if (top == NULL) {
				perr(p, p->lineno, NULL, "key outside any "
				    "section");
				return -1;
			}
			memset(none, 0, sizeof(none));
			if (open_section(p, top, none, 0, p->lineno) != 0)
				return -1;
		}
	}
	return 1;
}

/*
 * Splits a "key = value" line checked by next_line in place: the key
 * without trailing blanks, the value without surrounding blanks and
 * without a comment that starts at a ';' after a blank.
 */
static void
split_pair(char *str, char **key, char **value)
{
	char *s, *e;

	s = strchr(str, '=');
	for (e = s; e > str && is_blank(e[-1]); e--)
		;
	*e = '\0';
	for (s++; is_blank(*s); s++)
		;
	for (e = s; *e != '\0'; e++)
		if (*e == ';' && e > s && is_blank(e[-1]))
			break;
	while (e > s && is_blank(e[-1]))
		e--;
	*e = '\0';
	*key = str;
	*value = s;
}

/* Checks one key of the current section and stores its value. */
static int
pair(struct parser *p, const char *name, const char *value)
{
	const struct x402_cfg_section *s;
	size_t i;

	s = p->cur.section;
	for (i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].name, name) == 0)
			break;
	if (i == s->nkeys)
		return perr(p, p->lineno, name, "unknown key");
	if (p->key_lines[i] != 0)
		return perr(p, p->lineno, name, "given twice (first on line "
		    "%u)", p->key_lines[i]);
	if (set_value(p, &s->keys[i], (char *)p->cur.data + s->keys[i].offset,
	    value) != 0)
		return p->err;
	p->key_lines[i] = p->lineno;
	return 0;
}

int
x402_cfg_parse_string(void *out, struct x402_detail *d,
    const struct x402_cfg_spec *spec, void *ctx, const char *name,
    const char *text, size_t len)
{
	struct parser p;
	char *line = NULL, *key, *value;
	size_t max;
	int r;

	x402_detail_clear(d);
	memset(&p, 0, sizeof(p));
	if (spec == NULL || name == NULL || (text == NULL && len > 0))
		return x402_fail(d, X402_ERR_INVAL, "config: no spec, name or "
		    "text");
	if ((r = check_spec(d, spec)) != 0)
		return r;
	max = spec->max_file ? spec->max_file : X402_CFG_FILE_MAX;
	if (len > max)
		return x402_fail(d, X402_ERR_CONFIG, "%s: larger than %zu bytes",
		    name, max);
	p.spec = spec;
	p.out = out;
	p.ctx = ctx;
	p.d = d;
	p.name = name;
	p.text = text != NULL ? text : "";
	p.len = len;
	if ((p.counts = calloc(spec->nsections + 1, sizeof(size_t))) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((line = malloc(X402_CFG_LINE_MAX + 1)) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "out of memory");
		goto out;
	}
	while ((r = next_line(&p, line)) > 0) {
		if (line[0] == '\0')
			continue;
		split_pair(line, &key, &value);
		if ((r = pair(&p, key, value)) != 0)
			break;
	}
	if (r == 0)
		r = finish(&p);
	if (r != 0)
		r = p.err != 0 ? p.err : r;
out:
	if (line != NULL)
		x402_wipe(line, X402_CFG_LINE_MAX + 1);	/* may hold secrets */
	free(line);
	free(p.heap);
	free(p.counts);
	free(p.hdrs);
	return r;
}

int
x402_cfg_parse_file(void *out, struct x402_detail *d,
    const struct x402_cfg_spec *spec, void *ctx, const char *path)
{
	struct stat st;
	char *text = NULL;
	size_t max, len = 0;
	ssize_t n;
	int fd = -1, r;

	x402_detail_clear(d);
	if (spec == NULL || path == NULL)
		return x402_fail(d, X402_ERR_INVAL, "config: no spec or path");
	max = spec->max_file ? spec->max_file : X402_CFG_FILE_MAX;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = x402_fail(d, X402_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = x402_fail(d, X402_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = x402_fail(d, X402_ERR_IO, "%s: not a regular file", path);
		goto out;
	}
	if ((text = malloc(max + 1)) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Read one byte more than allowed to see a file over the cap. */
	while (len < max + 1) {
		n = read(fd, text + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = x402_fail(d, X402_ERR_IO, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		r = x402_fail(d, X402_ERR_CONFIG, "%s: larger than %zu bytes",
		    path, max);
		goto out;
	}
	r = x402_cfg_parse_string(out, d, spec, ctx, path, text, len);
out:
	if (fd >= 0)
		close(fd);
	if (text != NULL)
		x402_wipe(text, max + 1);	/* may hold secrets */
	free(text);
	return r;
}
