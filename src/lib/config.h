/*
 * config.h - strict INI configuration files (our own bounded parser).
 *
 * Rules:
 *  - A program describes its whole file with static const tables: one
 *    struct x402_cfg_section per section, each with a table of
 *    struct x402_cfg_key giving every key its name, type, bounds and the
 *    place of its field (offsetof) in a caller-owned struct.  Parsing fills
 *    that struct; nothing is allocated for the caller.
 *  - Anything the tables do not allow stops the parse with X402_ERR_CONFIG
 *    and a detail "FILE:LINE: [section args] key: what is wrong": an unknown
 *    section or key, a section or key given twice, a missing required key,
 *    a value of the wrong type or out of bounds, a line over
 *    X402_CFG_LINE_MAX bytes, a file over its size cap (X402_CFG_FILE_MAX
 *    by default), a NUL byte or control character (tab excepted), a line
 *    that is neither "[section]", "key = value", a comment nor blank.
 *    The first error in file order is reported.  A file that cannot be read
 *    is X402_ERR_IO naming the path.
 *  - Values are never echoed for keys flagged X402_CFG_SECRET ("bad
 *    value"); other keys quote at most 48 bytes of the offending value.
 *  - Syntax: comments are lines starting with ';' or '#', and the rest of a
 *    line after " ;" (a ';' preceded by whitespace; so a value cannot hold
 *    " ;").  Leading and trailing whitespace is ignored, LF or CRLF line
 *    endings, an optional UTF-8 BOM.  "key = value" only ("key: value" is
 *    refused); no continuation lines.  Section headers are "[name]" or
 *    "[name arg1]" / "[name arg1 arg2]" (words of [A-Za-z0-9._:-], at most
 *    X402_CFG_ARG_MAX bytes each), e.g. "[network base]",
 *    "[asset base USDC]", "[payee alice]".  Keys before any header belong
 *    to the section named "" (if the tables have one).
 *  - Types (field type in parentheses):
 *      STRING   (char[N])    bytes, length in [min, max], max < N
 *      UINT     (uint64_t)   decimal digits only, no sign, in [min, max]
 *      BOOL     (int)        yes/no, true/false, on/off, 1/0 -> 1 or 0
 *      ENUM     (int)        one of key->choices (exact) -> its index
 *      PATH     (char[N])    absolute ("/..."), length <= max, max < N
 *      ADDRESS  (uint8_t[20]) "0x" + 40 hex, EIP-55 rules (codec.h)
 *      DURATION (uint64_t)   seconds: "90", "90s", "15m", "2h", "30d"; [min, max]
 *      SIZE     (uint64_t)   bytes: "512", "64k", "10M", "1G" (1024-based,
 *                            k or K); [min, max]
 *      PRICE    (char[N])    text kept as is (checked later with price.h),
 *                            length in [1, max]
 *      ARGV     (struct x402_cfg_argv) words split on blanks; "..." quotes
 *                            blanks, '\' escapes the next character; no
 *                            other shell meaning ($, ', *, ~ are plain);
 *                            min..max words (max <= X402_CFG_ARGV_MAX)
 *    An empty value is refused except for a STRING with min = 0.
 *  - Sections with nargs = 0 appear at most once and are filled in place
 *    (out + section->offset).  Sections with nargs > 0 may repeat with
 *    different arguments: each instance is parsed into a fresh object of
 *    section->size bytes (a copy of section->defaults, or zeros) which is
 *    handed to section->collect and freed after it returns.
 *  - section->collect (optional, for any section) runs when an instance
 *    is complete (its keys read, required keys checked).  It may refuse
 *    with x402_cfg_fail(), which names the instance's file and line.
 *  - On error, *out may be partly written: discard it (or parse into a
 *    copy, as network.c does).  Thread-safe: no global state is touched
 *    (libinih's runtime options are left alone).
 *
 * Example:
 *
 *	struct gate_conf {
 *		char spool[256];
 *		uint64_t timeout;
 *		int settle;			// 0 after, 1 before
 *		struct x402_cfg_argv command;
 *		size_t npayees;
 *		struct payee { char name[33]; uint8_t addr[20]; } payees[8];
 *	};
 *	static const char *const settle_choices[] = { "after", "before", NULL };
 *	static const struct x402_cfg_key main_keys[] = {
 *		X402_CFG_KEY("spool", X402_CFG_PATH, X402_CFG_REQUIRED,
 *		    struct gate_conf, spool, 0, 255),
 *		X402_CFG_KEY("timeout", X402_CFG_DURATION, 0,
 *		    struct gate_conf, timeout, 1, 3600),
 *		X402_CFG_ENUM_KEY("settle", 0, struct gate_conf, settle,
 *		    settle_choices),
 *		X402_CFG_KEY("command", X402_CFG_ARGV, X402_CFG_REQUIRED,
 *		    struct gate_conf, command, 1, 32),
 *	};
 *	static const struct x402_cfg_key payee_keys[] = {
 *		X402_CFG_KEY("address", X402_CFG_ADDRESS, X402_CFG_REQUIRED,
 *		    struct payee, addr, 0, 0),
 *	};
 *	static int
 *	add_payee(void *ctx, struct x402_detail *d,
 *	    const struct x402_cfg_instance *in)
 *	{
 *		struct gate_conf *c = ctx;
 *		struct payee *p = &c->payees[c->npayees];
 *
 *		if (c->npayees == 8)
 *			return x402_cfg_fail(d, in, NULL, "more than 8 payees");
 *		*p = *(const struct payee *)in->data;	// borrowed: copy it
 *		snprintf(p->name, sizeof(p->name), "%s", in->args[0]);
 *		c->npayees++;
 *		return 0;
 *	}
 *	static const struct x402_cfg_section sections[] = {
 *		X402_CFG_SECTION("gate", 0, main_keys, NULL),	// [gate]
 *		X402_CFG_SECTIONS("payee", 1, struct payee, payee_keys, NULL,
 *		    add_payee),					// [payee alice]
 *	};
 *	static const struct x402_cfg_spec spec = X402_CFG_SPEC(sections);
 *
 *	struct gate_conf c = { .timeout = 60 };	// defaults first
 *	struct x402_detail d;
 *	if ((r = x402_cfg_parse_file(&c, &d, &spec, &c, path)) != 0)
 *		log("%s: %s", x402_strerror(r), d.msg);
 *	// "/etc/x402/ocr.conf:7: [gate] timeout: "2d" is not a duration"
 */
#ifndef X402_CONFIG_H
#define X402_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define X402_CFG_FILE_MAX (64 * 1024)	/* default file size cap, bytes */
#define X402_CFG_LINE_MAX 4095	/* bytes of a line without its line end */
#define X402_CFG_ARG_MAX 48	/* bytes of one section argument */
#define X402_CFG_ARGS_MAX 2	/* section arguments: [name a b] */
#define X402_CFG_KEYS_MAX 64	/* keys in one section's table */
#define X402_CFG_ARGV_MAX 64	/* words of an ARGV value */

enum x402_cfg_type {
	X402_CFG_STRING = 0,
	X402_CFG_UINT,
	X402_CFG_BOOL,
	X402_CFG_ENUM,
	X402_CFG_PATH,
	X402_CFG_ADDRESS,
	X402_CFG_DURATION,
	X402_CFG_SIZE,
	X402_CFG_PRICE,
	X402_CFG_ARGV,
};

/* Key and section flags. */
#define X402_CFG_REQUIRED 0x1	/* key: must be given; section: must appear */
#define X402_CFG_SECRET 0x2	/* key: never quote the value in a detail */

/*
 * An ARGV value: argc words stored one after the other, each
 * NUL-terminated, in buf.  Plain data: may be copied with = or memcpy.
 */
struct x402_cfg_argv {
	size_t argc;
	char buf[X402_CFG_LINE_MAX + 1];
};

struct x402_cfg_key {
	const char *name;
	enum x402_cfg_type type;
	unsigned flags;
	size_t offset;		/* of the field in the section's object */
	size_t size;		/* sizeof the field (checked against type) */
	uint64_t min, max;	/* value bounds, or length / word bounds */
	const char *const *choices;	/* ENUM: NULL-terminated list */
};

struct x402_cfg_instance;

/*
 * Called when a section instance is complete.  Returns 0, or an error
 * (normally `return x402_cfg_fail(d, in, key, ...)`) which stops the
 * parse.  in and in->data are borrowed until it returns.
 */
typedef int (*x402_cfg_collect_fn)(void *ctx, struct x402_detail *d,
    const struct x402_cfg_instance *in);

struct x402_cfg_section {
	const char *name;	/* "gate"; "" for keys before any header */
	size_t nargs;		/* 0..X402_CFG_ARGS_MAX */
	unsigned flags;		/* X402_CFG_REQUIRED */
	const struct x402_cfg_key *keys;
	size_t nkeys;
	size_t offset;		/* nargs == 0: object is out + offset */
	size_t size;		/* nargs > 0: size of one instance object */
	const void *defaults;	/* nargs > 0: initial object, or NULL */
	x402_cfg_collect_fn collect;	/* or NULL */
};

struct x402_cfg_spec {
	const struct x402_cfg_section *sections;
	size_t nsections;
	size_t max_file;	/* 0: X402_CFG_FILE_MAX */
};

/* One parsed section instance, as handed to a collect function. */
struct x402_cfg_instance {
	const char *file;	/* the name used in details */
	const struct x402_cfg_section *section;
	unsigned line;		/* line of its header (top level: first key) */
	size_t nargs;
	char args[X402_CFG_ARGS_MAX][X402_CFG_ARG_MAX + 1];
	void *data;		/* the filled object */
	const unsigned *key_lines;	/* per section->keys[i]: line, 0 unset */
};

/* Table helpers (static initializers). */
#define X402_CFG_KEY(name, type, flags, st, field, min, max)		\
	{ (name), (type), (flags), offsetof(st, field),			\
	  sizeof(((st *)0)->field), (min), (max), NULL }
#define X402_CFG_ENUM_KEY(name, flags, st, field, choices)		\
	{ (name), X402_CFG_ENUM, (flags), offsetof(st, field),		\
	  sizeof(((st *)0)->field), 0, 0, (choices) }
#define X402_CFG_NKEYS(keys) (sizeof(keys) / sizeof((keys)[0]))
/* A section that appears once, filled in place at out + offset. */
#define X402_CFG_SECTION(name, offset, keys, collect)			\
	{ (name), 0, 0, (keys), X402_CFG_NKEYS(keys), (offset), 0, NULL,	\
	  (collect) }
/* A repeated section "[name arg...]" with objects of type st. */
#define X402_CFG_SECTIONS(name, nargs, st, keys, defaults, collect)	\
	{ (name), (nargs), 0, (keys), X402_CFG_NKEYS(keys), 0, sizeof(st), \
	  (defaults), (collect) }
#define X402_CFG_SPEC(sections)						\
	{ (sections), sizeof(sections) / sizeof((sections)[0]), 0 }

/*
 * Parses the file at path (at most spec->max_file bytes) into out.
 * Returns 0, X402_ERR_CONFIG (detail: file, line, section, key, reason),
 * X402_ERR_IO (cannot open or read: detail names the path and errno),
 * X402_ERR_INVAL (bad tables: detail says which key), X402_ERR_NOMEM.
 * Out: *out (fields named by the tables; others untouched), *d.
 * In: spec, ctx (passed to collect functions), path.
 */
int x402_cfg_parse_file(void *out, struct x402_detail *d,
    const struct x402_cfg_spec *spec, void *ctx, const char *path)
    X402_WARN_UNUSED;

/*
 * Same for text[0..len) held in memory; name stands for the file name in
 * details.  The size cap applies to len.
 */
int x402_cfg_parse_string(void *out, struct x402_detail *d,
    const struct x402_cfg_spec *spec, void *ctx, const char *name,
    const char *text, size_t len) X402_WARN_UNUSED;

/*
 * For collect functions: writes "FILE:LINE: [section args] key: message"
 * into *d, with the line where key was set (or the header's line when key
 * is NULL or unset).  Returns X402_ERR_CONFIG.
 */
int x402_cfg_fail(struct x402_detail *d, const struct x402_cfg_instance *in,
    const char *key, const char *fmt, ...) X402_PRINTF(4, 5);

/* Returns the line where key was set in the instance, or 0 if unset. */
unsigned x402_cfg_seen(const struct x402_cfg_instance *in, const char *key);

/*
 * Builds an execv() vector from an ARGV value: vec[0..argc) point into
 * a->buf (borrowed while *a lives), vec[argc] = NULL.  Returns 0 or
 * X402_ERR_LIMIT when veccap < argc + 1.
 */
int x402_cfg_argv_vec(char **vec, size_t veccap, struct x402_cfg_argv *a)
    X402_WARN_UNUSED;

#endif /* X402_CONFIG_H */
