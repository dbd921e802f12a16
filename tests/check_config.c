/* check_config.c - strict INI: good and bad files, every type's bounds. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

struct payee {
	uint8_t addr[20];
	uint64_t share;
	char name[X402_CFG_ARG_MAX + 1];
};

struct conf {
	char name[17];
	char secret[33];
	uint64_t port;
	int flag;
	int mode;
	char path[33];
	uint8_t addr[20];
	uint64_t timeout;
	uint64_t cap;
	char price[17];
	struct x402_cfg_argv cmd;
	char opt[9];
	size_t npayees;
	struct payee payees[4];
	size_t nroutes;
	char routes[4][2 * X402_CFG_ARG_MAX + 2];
	unsigned port_line;
};

static const char *const modes[] = { "fast", "safe", "off", NULL };

static const struct x402_cfg_key top_keys[] = {
	X402_CFG_KEY("name", X402_CFG_STRING, X402_CFG_REQUIRED, struct conf,
	    name, 1, 16),
};

static const struct x402_cfg_key main_keys[] = {
	X402_CFG_KEY("secret", X402_CFG_STRING, X402_CFG_SECRET, struct conf,
	    secret, 4, 32),
	X402_CFG_KEY("port", X402_CFG_UINT, X402_CFG_REQUIRED, struct conf,
	    port, 1, 65535),
	X402_CFG_KEY("flag", X402_CFG_BOOL, 0, struct conf, flag, 0, 0),
	X402_CFG_ENUM_KEY("mode", 0, struct conf, mode, modes),
	X402_CFG_KEY("path", X402_CFG_PATH, 0, struct conf, path, 0, 32),
	X402_CFG_KEY("addr", X402_CFG_ADDRESS, 0, struct conf, addr, 0, 0),
	X402_CFG_KEY("timeout", X402_CFG_DURATION, 0, struct conf, timeout,
	    1, 86400),
	X402_CFG_KEY("cap", X402_CFG_SIZE, 0, struct conf, cap, 1,
	    1073741824),
	X402_CFG_KEY("price", X402_CFG_PRICE, 0, struct conf, price, 1, 16),
	X402_CFG_KEY("cmd", X402_CFG_ARGV, 0, struct conf, cmd, 1, 4),
	X402_CFG_KEY("opt", X402_CFG_STRING, 0, struct conf, opt, 0, 8),
};

static const struct x402_cfg_key payee_keys[] = {
	X402_CFG_KEY("address", X402_CFG_ADDRESS, X402_CFG_REQUIRED,
	    struct payee, addr, 0, 0),
	X402_CFG_KEY("share", X402_CFG_UINT, 0, struct payee, share, 0,
	    10000),
};

struct route {
	uint64_t weight;
};

static const struct x402_cfg_key route_keys[] = {
	X402_CFG_KEY("weight", X402_CFG_UINT, 0, struct route, weight, 0, 9),
};

static const struct payee payee_defaults = { .share = 77 };

static int
collect_main(void *ctx, struct x402_detail *d,
    const struct x402_cfg_instance *in)
{
	struct conf *c = ctx;

	c->port_line = x402_cfg_seen(in, "port");
	if (c->port == 666)
		return x402_cfg_fail(d, in, "port", "refused by the program");
	return 0;
}

static int
collect_payee(void *ctx, struct x402_detail *d,
    const struct x402_cfg_instance *in)
{
	struct conf *c = ctx;
	struct payee *p;

	if (c->npayees == 4)
		return x402_cfg_fail(d, in, NULL, "more than 4 payees");
	p = &c->payees[c->npayees++];
	*p = *(const struct payee *)in->data;
	snprintf(p->name, sizeof(p->name), "%s", in->args[0]);
	return 0;
}

static int
collect_route(void *ctx, struct x402_detail *d,
    const struct x402_cfg_instance *in)
{
	struct conf *c = ctx;

	(void)d;
	snprintf(c->routes[c->nroutes++], sizeof(c->routes[0]), "%s/%s",
	    in->args[0], in->args[1]);
	return 0;
}

static const struct x402_cfg_section sections[] = {
	X402_CFG_SECTION("", 0, top_keys, NULL),
	X402_CFG_SECTION("main", 0, main_keys, collect_main),
	X402_CFG_SECTIONS("payee", 1, struct payee, payee_keys,
	    &payee_defaults, collect_payee),
	X402_CFG_SECTIONS("route", 2, struct route, route_keys, NULL,
	    collect_route),
};

static const struct x402_cfg_spec spec = X402_CFG_SPEC(sections);

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Writes len bytes into DIR/name; returns the path (static buffer). */
static const char *
put(const char *name, const char *text, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

static int
parse_text(struct conf *c, struct x402_detail *d, const char *text,
    size_t len)
{
	memset(c, 0, sizeof(*c));
	return x402_cfg_parse_file(c, d, &spec, c, put("t.conf", text, len));
}

#define GOOD								\
	"; comment\n"							\
	"# another comment\n"						\
	"name = demo\n"							\
	"\n"								\
	"[main]   ; trailing comment\n"				\
	"  port=8080\n"							\
	"\tflag = On\n"							\
	"mode = safe ; why\n"						\
	"path = /var/spool/x402\n"					\
	"addr = 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n"		\
	"timeout = 15m\n"						\
	"cap = 64k\n"							\
	"price = $0.01\n"						\
	"cmd = /bin/echo \"two words\" a\\ b \"\"\n"			\
	"opt =\n"							\
	"secret = hunter22\n"						\
	"[payee alice]\n"						\
	"address = 0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359\n"	\
	"share = 3000\n"						\
	"[payee bob]\n"							\
	"address = 0xFB6916095CA1DF60BB79CE92CE3EA74C37C5D359\n"	\
	"[route a b]\n"							\
	"[ route a  c ]\n"

START_TEST(good_file)
{
	struct x402_detail d;
	struct conf c;
	char *vec[6];

	ck_assert_int_eq(parse_text(&c, &d, GOOD, strlen(GOOD)), 0);
	ck_assert_str_eq(c.name, "demo");
	ck_assert_uint_eq(c.port, 8080);
	ck_assert_uint_eq(c.port_line, 6);
	ck_assert_int_eq(c.flag, 1);
	ck_assert_int_eq(c.mode, 1);
	ck_assert_str_eq(c.path, "/var/spool/x402");
	tu_assert_hex(c.addr, 20, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
	ck_assert_uint_eq(c.timeout, 900);
	ck_assert_uint_eq(c.cap, 65536);
	ck_assert_str_eq(c.price, "$0.01");
	ck_assert_uint_eq(c.cmd.argc, 4);
	ck_assert_int_eq(x402_cfg_argv_vec(vec, 5, &c.cmd), 0);
	ck_assert_str_eq(vec[0], "/bin/echo");
	ck_assert_str_eq(vec[1], "two words");
	ck_assert_str_eq(vec[2], "a b");
	ck_assert_str_eq(vec[3], "");
	ck_assert_ptr_null(vec[4]);
	ck_assert_int_eq(x402_cfg_argv_vec(vec, 4, &c.cmd), X402_ERR_LIMIT);
	ck_assert_str_eq(c.opt, "");
	ck_assert_str_eq(c.secret, "hunter22");
	ck_assert_uint_eq(c.npayees, 2);
	ck_assert_str_eq(c.payees[0].name, "alice");
	ck_assert_uint_eq(c.payees[0].share, 3000);
	tu_assert_hex(c.payees[0].addr, 20,
	    "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359");
	ck_assert_str_eq(c.payees[1].name, "bob");
	ck_assert_uint_eq(c.payees[1].share, 77);	/* the defaults */
	ck_assert_uint_eq(c.nroutes, 2);
	ck_assert_str_eq(c.routes[0], "a/b");
	ck_assert_str_eq(c.routes[1], "a/c");
}
END_TEST

/* Every duration unit: s, m, h and d (days). */
START_TEST(duration_units)
{
	static const struct { const char *v; uint64_t want; } t[] = {
		{ "86400", 86400 }, { "86400s", 86400 }, { "1440m", 86400 },
		{ "24h", 86400 }, { "1d", 86400 }, { "7s", 7 },
	};
	struct x402_detail d;
	struct conf c;
	char text[128];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(text, sizeof(text), "name = a\n[main]\nport = 1\n"
		    "timeout = %s\n", t[i].v);
		ck_assert_msg(parse_text(&c, &d, text, strlen(text)) == 0,
		    "%s: %s", t[i].v, d.msg);
		ck_assert_uint_eq(c.timeout, t[i].want);
	}
}
END_TEST

START_TEST(crlf_bom_and_string)
{
	static const char crlf[] = "\xef\xbb\xbfname = x\r\n[main]\r\n"
	    "port = 1\r\n\r\n; c\r\n";
	struct x402_detail d;
	struct conf c;

	ck_assert_int_eq(parse_text(&c, &d, crlf, sizeof(crlf) - 1), 0);
	ck_assert_str_eq(c.name, "x");
	ck_assert_uint_eq(c.port, 1);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(x402_cfg_parse_string(&c, &d, &spec, &c, "mem",
	    "name=y\n[main]\nport=2", 20), 0);	/* no final newline */
	ck_assert_str_eq(c.name, "y");
	ck_assert_uint_eq(c.port, 2);
	ck_assert_int_eq(x402_cfg_parse_string(&c, &d, &spec, &c, "mem",
	    "name=y\n[main]\nport=2\n[main]\n", 28), X402_ERR_CONFIG);
	ck_assert_str_eq(d.msg, "mem:4: section main appears twice (first "
	    "on line 2)");
}
END_TEST

/* Files that must be refused, with the line and key the detail names. */
static const struct {
	const char *text;
	const char *want;	/* after "DIR/t.conf:" */
} bad[] = {
	/* required things */
	{ "", "0: name: missing (required)" },
	{ "name = a\n", "1: [main] port: missing (required)" },
	{ "name = a\n[main]\nflag = no\n", "2: [main] port: missing "
	  "(required)" },
	{ "name = a\n[main]\nport = 1\n[payee x]\nshare = 1\n",
	  "4: [payee x] address: missing (required)" },
	/* unknown, duplicate, misplaced */
	{ "name = a\n[mian]\n", "2: [mian]: unknown section" },
	{ "name = a\n[main]\nport = 1\nprot = 2\n", "4: [main] prot: "
	  "unknown key" },
	{ "name = a\n[main]\nport = 1\nport = 1\n", "4: [main] port: given "
	  "twice (first on line 3)" },
	{ "name = a\n[payee x]\naddress = 0x0000000000000000000000000000000"
	  "000000000\n[payee x]\n", "4: section payee appears twice (first "
	  "on line 2)" },
	{ "name = a\n[payee]\n", "2: [payee]: needs 1 name after the section "
	  "name, not 0" },
	{ "name = a\n[main x]\n", "2: [main]: needs 0 names after the section "
	  "name, not 1" },
	{ "name = a\n[route a]\n", "2: [route]: needs 2 names" },
	{ "name = a\n[main]\nport = 1\n[main]\n", "4: section main appears "
	  "twice" },
	/* syntax */
	{ "name = a\n[main\n", "2: bad section header" },
	{ "name = a\n[main] x\n", "2: text after section header" },
	{ "name = a\n[]\n", "2: empty section header" },
	{ "name = a\n[ma/in]\n", "2: bad section header" },
	{ "name = a\n[main]\nport 1\n", "3: expected \"key = value\"" },
	{ "name = a\n[main]\nport: 1\n", "3: expected \"key = value\" (':' is "
	  "not a separator)" },
	{ "name = a\n[main]\n= 1\n", "3: empty key name" },
	{ "name = a\n[main]\nport ; = 1\n", "3: expected \"key = value\"" },
	{ "name = a\n[main]\nport = 1\n  continued\n", "4: expected \"key = "
	  "value\"" },
	/* STRING */
	{ "name = \n", "1: name: empty value" },
	{ "name = 12345678901234567\n", "1: name: \"12345678901234567\": "
	  "longer than 16 bytes" },
	{ "name = a\n[main]\nport=1\nsecret = abc\n", "4: [main] secret: bad "
	  "value: shorter than 4 bytes" },
	{ "name = a\n[main]\nport=1\nsecret = 123456789012345678901234567890"
	  "123\n", "4: [main] secret: bad value: longer than 32 bytes" },
	{ "name = a\n[main]\nport=1\nopt = 123456789\n", "4: [main] opt: "
	  "\"123456789\": longer than 8 bytes" },
	/* UINT */
	{ "name = a\n[main]\nport = 0\n", "3: [main] port: \"0\": not in "
	  "1..65535" },
	{ "name = a\n[main]\nport = 65536\n", "3: [main] port: \"65536\": not "
	  "in 1..65535" },
	{ "name = a\n[main]\nport = +1\n", "3: [main] port: \"+1\": not an "
	  "unsigned decimal integer" },
	{ "name = a\n[main]\nport = -1\n", "3: [main] port: \"-1\": not an " },
	{ "name = a\n[main]\nport = 0x10\n", "3: [main] port: \"0x10\": not "
	  "an unsigned" },
	{ "name = a\n[main]\nport = 1 2\n", "3: [main] port: \"1 2\": not an "
	  "unsigned" },
	{ "name = a\n[main]\nport = 18446744073709551616\n", "3: [main] port: "
	  "\"18446744073709551616\": not in 1..65535" },
	{ "name = a\n[main]\nport =\n", "3: [main] port: empty value" },
	/* BOOL, ENUM */
	{ "name = a\n[main]\nport = 1\nflag = maybe\n", "4: [main] flag: "
	  "\"maybe\": not yes or no" },
	{ "name = a\n[main]\nport = 1\nflag = 2\n", "4: [main] flag: \"2\"" },
	{ "name = a\n[main]\nport = 1\nmode = Fast\n", "4: [main] mode: "
	  "\"Fast\": not one of fast, safe, off" },
	/* PATH */
	{ "name = a\n[main]\nport = 1\npath = var/x\n", "4: [main] path: "
	  "\"var/x\": not an absolute path" },
	{ "name = a\n[main]\nport = 1\npath = /abcdefghijklmnopqrstuvwxyzabcd"
	  "ef\n", "4: [main] path: \"/abcdefghijklmnopqrstuvwxyzabcdef\": "
	  "longer than 32 bytes" },
	/* ADDRESS */
	{ "name = a\n[main]\nport = 1\naddr = 0x5aAeb6053F3E94C9b9A09f33669435"
	  "E7Ef1BeAeD\n", "4: [main] addr: \"0x5aAeb6053F3E94C9b9A09f33669435"
	  "E7Ef1BeAeD\": bad EIP-55 checksum" },
	{ "name = a\n[main]\nport = 1\naddr = 0x5aaeb6053f3e94c9b9a09f336694"
	  "35e7ef1beae\n", "4: [main] addr: \"0x5aaeb6053f3e94c9b9a09f336694"
	  "35e7ef1beae\": not an address" },
	/* DURATION */
	{ "name = a\n[main]\nport = 1\ntimeout = 0\n", "4: [main] timeout: "
	  "\"0\": not in 1..86400" },
	{ "name = a\n[main]\nport = 1\ntimeout = 1441m\n", "4: [main] "
	  "timeout: \"1441m\": not in 1..86400" },
	{ "name = a\n[main]\nport = 1\ntimeout = 2d\n", "4: [main] timeout: "
	  "\"2d\": not in 1..86400" },
	{ "name = a\n[main]\nport = 1\ntimeout = 2w\n", "4: [main] timeout: "
	  "\"2w\": not a duration" },
	{ "name = a\n[main]\nport = 1\ntimeout = 5 m\n", "4: [main] timeout: "
	  "\"5 m\": not a duration" },
	{ "name = a\n[main]\nport = 1\ntimeout = 1ms\n", "4: [main] timeout: "
	  "\"1ms\": not a duration" },
	{ "name = a\n[main]\nport = 1\ntimeout = 99999999999999999999h\n",
	  "4: [main] timeout: \"99999999999999999999h\": not in" },
	{ "name = a\n[main]\nport = 1\ntimeout = 9999999999999999h\n",
	  "4: [main] timeout: \"9999999999999999h\": not in" },
	/* SIZE */
	{ "name = a\n[main]\nport = 1\ncap = 2G\n", "4: [main] cap: \"2G\": "
	  "not in 1..1073741824" },
	{ "name = a\n[main]\nport = 1\ncap = 1073741825\n", "4: [main] cap: "
	  "\"1073741825\": not in" },
	{ "name = a\n[main]\nport = 1\ncap = 1T\n", "4: [main] cap: \"1T\": "
	  "not a size" },
	{ "name = a\n[main]\nport = 1\ncap = 0k\n", "4: [main] cap: \"0k\": "
	  "not in" },
	/* PRICE */
	{ "name = a\n[main]\nport = 1\nprice =\n", "4: [main] price: empty "
	  "value" },
	{ "name = a\n[main]\nport = 1\nprice = 12345678901234567\n",
	  "4: [main] price: \"12345678901234567\": longer than 16 bytes" },
	/* ARGV */
	{ "name = a\n[main]\nport = 1\ncmd = a b c d e\n", "4: [main] cmd: "
	  "\"a b c d e\": too many words" },
	{ "name = a\n[main]\nport = 1\ncmd = \"a b\n", "4: [main] cmd: "
	  "\"\"a b\": unterminated \"" },
	{ "name = a\n[main]\nport = 1\ncmd = a\\\n", "4: [main] cmd: "
	  "\"a\\\": '\\' at the end" },
	{ "name = a\n[main]\nport = 1\ncmd =\n", "4: [main] cmd: empty value" },
	/* collectors */
	{ "name = a\n[main]\nflag = 1\nport = 666\n", "4: [main] port: "
	  "refused by the program" },
	{ "name = a\n[payee a]\naddress = 0x00000000000000000000000000000000000"
	  "00000\n[payee b]\naddress = 0x0000000000000000000000000000000000000"
	  "000\n[payee c]\naddress = 0x0000000000000000000000000000000000000000"
	  "\n[payee d]\naddress = 0x0000000000000000000000000000000000000000\n"
	  "[payee e]\naddress = 0x0000000000000000000000000000000000000000\n",
	  "10: [payee e] more than 4 payees" },
	/* bytes */
	{ "name = a\n[main]\nport = 1\x01\n", "3: control character 0x01" },
	{ "name = a\n[main]\nport = 1\x7f\n", "3: control character 0x7f" },
	{ "name = a\n[main]\nport = 1\rflag = 1\n", "3: control character "
	  "0x0d" },
	{ "name = a\x1b[31m\n", "1: control character 0x1b" },
	/* first error wins */
	{ "name = a\n[main]\nport = x\nport = 1\n[nope]\n", "3: [main] port:" },
};

START_TEST(bad_files)
{
	struct x402_detail d;
	struct conf c;
	char want[256];
	int r;

	r = parse_text(&c, &d, bad[_i].text, strlen(bad[_i].text));
	ck_assert_msg(r == X402_ERR_CONFIG, "case %d: r = %d (%s)", _i, r,
	    d.msg);
	snprintf(want, sizeof(want), "%s/t.conf:%s", dir, bad[_i].want);
	ck_assert_msg(strncmp(d.msg, want, strlen(want)) == 0,
	    "case %d:\n got  %s\n want %s", _i, d.msg, want);
	/* A secret never shows. */
	ck_assert_ptr_null(strstr(d.msg, "123456789012345678901234567890"));
}
END_TEST

START_TEST(secret_not_echoed)
{
	static const char text[] = "name = a\n[main]\nport = 1\n"
	    "secret = sk_live_abcdefghijklmnopqrstuvwxyz0123\n";
	struct x402_detail d;
	struct conf c;

	ck_assert_int_eq(parse_text(&c, &d, text, sizeof(text) - 1),
	    X402_ERR_CONFIG);
	ck_assert_ptr_null(strstr(d.msg, "sk_live"));
	ck_assert_ptr_nonnull(strstr(d.msg, ":4: [main] secret: bad value"));
}
END_TEST

START_TEST(nul_byte)
{
	static const char text[] = "name = a\n[main]\nport = 1\0 2\n";
	struct x402_detail d;
	struct conf c;

	ck_assert_int_eq(parse_text(&c, &d, text, sizeof(text) - 1),
	    X402_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(d.msg, "t.conf:3: NUL byte"));
}
END_TEST

START_TEST(line_lengths)
{
	char *text, word[251];
	struct x402_detail d;
	struct conf c;
	const char *w;
	size_t n, cap = X402_CFG_LINE_MAX + 256, i;

	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	/* A line of exactly X402_CFG_LINE_MAX bytes is fine ... */
	n = (size_t)snprintf(text, cap, "name = a\n[main]\nport = 1\n"
	    "; %0*d\n", X402_CFG_LINE_MAX - 2, 0);
	ck_assert_int_eq(parse_text(&c, &d, text, n), 0);
	/* ... one more is refused, never split. */
	n = (size_t)snprintf(text, cap, "name = a\n[main]\nport = 1\n"
	    "; %0*d\n", X402_CFG_LINE_MAX - 1, 0);
	ck_assert_int_eq(parse_text(&c, &d, text, n), X402_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(d.msg, "t.conf:4: line longer than 4095 "
	    "bytes"));
	/* A long value: over-long line, even at the end without newline. */
	n = (size_t)snprintf(text, cap, "name = a\n[main]\nport = "
	    "%0*d", X402_CFG_LINE_MAX, 1);
	ck_assert_int_eq(parse_text(&c, &d, text, n), X402_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(d.msg, "t.conf:3: line longer"));
	/* A value of 1000 bytes (libinih cut lines at 197): four words of
	 * 250 bytes, a comment after it, all kept. */
	memset(word, 'w', 250);
	word[250] = '\0';
	n = (size_t)snprintf(text, cap, "name = a\n[main]\nport = 1\n"
	    "cmd = /%.249s %s %s %s ; four words\n", word, word, word, word);
	ck_assert_int_eq(parse_text(&c, &d, text, n), 0);
	ck_assert_uint_eq(c.cmd.argc, 4);
	w = c.cmd.buf;
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(strlen(w), 250);
		w += strlen(w) + 1;
	}
	free(text);
}
END_TEST

START_TEST(file_size_cap)
{
	struct x402_detail d;
	struct conf c;
	char *text;
	size_t n = 100 * 1024, i;

	text = malloc(n);
	ck_assert_ptr_nonnull(text);
	for (i = 0; i < n; i++)
		text[i] = (i % 64 == 63) ? '\n' : ';';
	ck_assert_int_eq(parse_text(&c, &d, text, n), X402_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(d.msg, "t.conf: larger than 65536 "
	    "bytes"));
	/* Exactly at the cap is fine (all comments, then the keys). */
	text[X402_CFG_FILE_MAX - 23] = '\n';
	memcpy(text + X402_CFG_FILE_MAX - 22, "name=a\n[main]\nport=1\n\n",
	    22);
	ck_assert_int_eq(parse_text(&c, &d, text, X402_CFG_FILE_MAX), 0);
	ck_assert_uint_eq(c.port, 1);
	ck_assert_int_eq(parse_text(&c, &d, text, X402_CFG_FILE_MAX + 1),
	    X402_ERR_CONFIG);
	free(text);
}
END_TEST

START_TEST(missing_file_and_dir)
{
	struct x402_detail d;
	struct conf c;
	char path[128];

	snprintf(path, sizeof(path), "%s/nope.conf", dir);
	ck_assert_int_eq(x402_cfg_parse_file(&c, &d, &spec, &c, path),
	    X402_ERR_IO);
	ck_assert_ptr_nonnull(strstr(d.msg, path));
	ck_assert_ptr_nonnull(strstr(d.msg, "No such file"));
	ck_assert_int_eq(x402_cfg_parse_file(&c, &d, &spec, &c, dir),
	    X402_ERR_IO);
	ck_assert_ptr_nonnull(strstr(d.msg, "not a regular file"));
	ck_assert_int_eq(x402_cfg_parse_file(&c, NULL, &spec, &c, path),
	    X402_ERR_IO);
}
END_TEST

START_TEST(empty_file_and_no_required)
{
	static const struct x402_cfg_key flag_key[] = {
		X402_CFG_KEY("flag", X402_CFG_BOOL, 0, struct conf, flag, 0, 0),
	};
	static const struct x402_cfg_section opt[] = {
		X402_CFG_SECTION("main", 0, flag_key, NULL),
	};
	static const struct x402_cfg_spec ospec = { opt, 1, 0 };
	static const struct x402_cfg_section req[] = {
		{ "must", 0, X402_CFG_REQUIRED, NULL, 0, 0, 0, NULL, NULL },
	};
	static const struct x402_cfg_spec rspec = { req, 1, 0 };
	struct x402_detail d;
	struct conf c;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(x402_cfg_parse_file(&c, &d, &ospec, &c,
	    put("e.conf", "", 0)), 0);
	ck_assert_int_eq(x402_cfg_parse_file(&c, &d, &ospec, &c,
	    put("e.conf", "\n; x\n\n", 6)), 0);
	/* Keys outside any section when there is no "" section. */
	ck_assert_int_eq(x402_cfg_parse_file(&c, &d, &ospec, &c,
	    put("e.conf", "flag = 1\n", 9)), X402_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(d.msg, "e.conf:1: key outside any "
	    "section"));
	ck_assert_int_eq(x402_cfg_parse_file(&c, &d, &rspec, &c,
	    put("e.conf", "", 0)), X402_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(d.msg, "e.conf:0: [must]: missing "
	    "section"));
	ck_assert_int_eq(x402_cfg_parse_file(&c, &d, &rspec, &c,
	    put("e.conf", "[must]\n", 7)), 0);
}
END_TEST

START_TEST(bad_tables)
{
	static const struct x402_cfg_key k1[] = {	/* max >= size */
		X402_CFG_KEY("s", X402_CFG_STRING, 0, struct conf, name, 0,
		    17),
	};
	static const struct x402_cfg_key k2[] = {	/* wrong size */
		X402_CFG_KEY("u", X402_CFG_UINT, 0, struct conf, flag, 0, 1),
	};
	static const struct x402_cfg_key k3[] = {	/* no choices */
		X402_CFG_KEY("e", X402_CFG_ENUM, 0, struct conf, mode, 0, 0),
	};
	static const struct x402_cfg_key k4[] = {	/* too many words */
		X402_CFG_KEY("a", X402_CFG_ARGV, 0, struct conf, cmd, 0, 65),
	};
	const struct x402_cfg_key *ks[] = { k1, k2, k3, k4 };
	struct x402_cfg_section s = X402_CFG_SECTION("x", 0, k1, NULL);
	struct x402_cfg_spec sp = { &s, 1, 0 };
	struct x402_detail d;
	struct conf c;
	size_t i;

	for (i = 0; i < 4; i++) {
		s.keys = ks[i];
		ck_assert_int_eq(x402_cfg_parse_string(&c, &d, &sp, NULL, "m",
		    "", 0), X402_ERR_INVAL);
		ck_assert_ptr_nonnull(strstr(d.msg, "config table: [x]"));
	}
}
END_TEST

START_TEST(argv_words)
{
	static const struct {
		const char *in;
		size_t argc;
		const char *words[4];
	} t[] = {
		{ "a", 1, { "a" } },
		{ "  a\t b  ", 2, { "a", "b" } },
		{ "'a b'", 2, { "'a", "b'" } },		/* no shell quoting */
		{ "$HOME *", 2, { "$HOME", "*" } },
		{ "a\"b c\"d", 1, { "ab cd" } },
		{ "\"\\\"x\\\\\"", 1, { "\"x\\" } },
		{ "\"\" \"\"", 2, { "", "" } },
		{ "a#b c;d", 2, { "a#b", "c;d" } },
	};
	char text[128], *vec[8];
	struct x402_detail d;
	struct conf c;
	size_t i, j;
	int n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = snprintf(text, sizeof(text), "name=a\n[main]\nport=1\n"
		    "cmd = %s\n", t[i].in);
		ck_assert_msg(parse_text(&c, &d, text, (size_t)n) == 0,
		    "%zu: %s", i, d.msg);
		ck_assert_uint_eq(c.cmd.argc, t[i].argc);
		ck_assert_int_eq(x402_cfg_argv_vec(vec, 8, &c.cmd), 0);
		for (j = 0; j < t[i].argc; j++)
			ck_assert_str_eq(vec[j], t[i].words[j]);
	}
}
END_TEST

START_TEST(boundaries_ok)
{
	static const char text[] =
	    "name = 1234567890123456\n[main]\nport = 65535\n"
	    "timeout = 24h\ncap = 1G\nflag = FALSE\nmode = off\n"
	    "path = /1234567890123456789012345678901\n"
	    "secret = abcd\nopt = 12345678\nprice = 1234567890123456\n"
	    "cmd = a b c d\naddr = 0x0000000000000000000000000000000000000000\n";
	struct x402_detail d;
	struct conf c;

	ck_assert_msg(parse_text(&c, &d, text, sizeof(text) - 1) == 0, "%s",
	    d.msg);
	ck_assert_uint_eq(c.port, 65535);
	ck_assert_uint_eq(c.timeout, 86400);
	ck_assert_uint_eq(c.cap, 1073741824);
	ck_assert_int_eq(c.flag, 0);
	ck_assert_int_eq(c.mode, 2);
	ck_assert_uint_eq(c.cmd.argc, 4);
	ck_assert_int_eq(x402_cfg_parse_string(&c, &d, &spec, &c, "m",
	    "name=a\n[main]\nport=00001\ntimeout=1s\ncap=1\nflag=yes\n"
	    "mode=fast\n", 61), 0);
	ck_assert_uint_eq(c.port, 1);
	ck_assert_uint_eq(c.timeout, 1);
	ck_assert_uint_eq(c.cap, 1);
	ck_assert_int_eq(c.flag, 1);
	ck_assert_int_eq(c.mode, 0);
}
END_TEST

static Suite *
s_(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, good_file);
	tcase_add_test(tc, duration_units);
	tcase_add_test(tc, crlf_bom_and_string);
	tcase_add_loop_test(tc, bad_files, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, secret_not_echoed);
	tcase_add_test(tc, nul_byte);
	tcase_add_test(tc, line_lengths);
	tcase_add_test(tc, file_size_cap);
	tcase_add_test(tc, missing_file_and_dir);
	tcase_add_test(tc, empty_file_and_no_required);
	tcase_add_test(tc, bad_tables);
	tcase_add_test(tc, argv_words);
	tcase_add_test(tc, boundaries_ok);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(s_)
