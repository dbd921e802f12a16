/* json.c - strict bounded JSON parsing and compact output. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

/*
 * A structural scan that json-c does not do: refuses duplicate and escaped
 * keys, and raw control characters in strings (json-c takes them even in
 * strict mode, and they would not survive a format-and-parse round trip).  It runs before json-c on text json-c will then validate fully, so
 * it only needs to be right on valid JSON and safe on anything else.
 */
struct frame {
	int is_object;
	size_t first;		/* its first key in the key table */
};

struct key {
	size_t off, len;
};

#define SCAN_FRAMES 32		/* frames kept on the stack */
#define SCAN_KEYS 128		/* keys kept on the stack */

/*
 * The keys of all open objects sit in one table, each object's after its
 * parent's, and are dropped when the object closes.  Nothing is allocated
 * unless the nesting or the open keys outgrow the arrays on the stack.
 */
static int
scan_keys(struct x402_detail *d, const char *t, size_t len, int max_depth)
{
	struct frame fstack[SCAN_FRAMES], *stack = fstack;
	struct key kstack[SCAN_KEYS], *keys = kstack, *nk;
	size_t i = 0, nkeys = 0, kcap = SCAN_KEYS;
	int depth = -1, expect_key = 0, r = 0;

	if ((size_t)max_depth + 1 > SCAN_FRAMES &&
	    (stack = malloc(((size_t)max_depth + 1) * sizeof(*stack))) == NULL)
		return X402_ERR_NOMEM;
	while (i < len) {
		char c = t[i];

		if (c == '{' || c == '[') {
			if (depth + 2 > max_depth) {
				r = x402_fail(d, X402_ERR_LIMIT,
				    "JSON nested deeper than %d", max_depth);
				goto out;
			}
			depth++;
			stack[depth].is_object = c == '{';
			stack[depth].first = nkeys;
			expect_key = c == '{';
			i++;
		} else if (c == '}' || c == ']') {
			if (depth >= 0)
				nkeys = stack[depth--].first;
			expect_key = 0;
			i++;
		} else if (c == ',') {
			expect_key = depth >= 0 && stack[depth].is_object;
			i++;
		} else if (c == '"') {
			size_t start = ++i;
			int escaped = 0;

			while (i < len && t[i] != '"') {
				/* RFC 8259: control characters are escaped. */
				if ((unsigned char)t[i] < 0x20) {
					r = x402_fail(d, X402_ERR_JSON, "JSON "
					    "string with a raw control "
					    "character (byte %zu)", i);
					goto out;
				}
				if (t[i] == '\\') {
					escaped = 1;
					i++;
				}
				i++;
			}
			if (i >= len)
				break;	/* json-c reports it */
			if (expect_key && depth >= 0) {
				size_t k, klen = i - start;

				if (escaped) {
					r = x402_fail(d, X402_ERR_JSON,
					    "JSON key with an escape sequence");
					goto out;
				}
				for (k = stack[depth].first; k < nkeys; k++) {
					if (keys[k].len == klen &&
					    memcmp(t + keys[k].off, t + start,
					    klen) == 0) {
						r = x402_fail(d, X402_ERR_JSON,
						    "duplicate JSON key \"%.*s\"",
						    (int)(klen > 40 ? 40 : klen),
						    t + start);
						goto out;
					}
				}
				if (nkeys - stack[depth].first ==
				    X402_JSON_MAX_KEYS) {
					r = x402_fail(d, X402_ERR_JSON,
					    "more than %d keys in a JSON object",
					    X402_JSON_MAX_KEYS);
					goto out;
				}
				if (nkeys == kcap) {
					/* at most max_depth * MAX_KEYS */
					nk = keys == kstack ? malloc(2 * kcap *
					    sizeof(*nk)) : realloc(keys, 2 *
					    kcap * sizeof(*nk));
					if (nk == NULL) {
						r = X402_ERR_NOMEM;
						goto out;
					}
					if (keys == kstack)
						memcpy(nk, kstack,
						    sizeof(kstack));
					keys = nk;
					kcap *= 2;
				}
				keys[nkeys].off = start;
				keys[nkeys++].len = klen;
				expect_key = 0;
			}
			i++;
		} else if ((c == 'e' || c == 'E') && i > 0 &&
		    t[i - 1] >= '0' && t[i - 1] <= '9') {
			i++;	/* a number's exponent */
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			/* Only the three literals; json-c would take NaN too. */
			static const char *const lit[] = { "true", "false",
			    "null" };
			size_t k, l = 0;

			for (k = 0; k < 3; k++) {
				l = strlen(lit[k]);
				if (len - i >= l && memcmp(t + i, lit[k], l) == 0 &&
				    (len - i == l || !((t[i + l] | 0x20) >= 'a' &&
				    (t[i + l] | 0x20) <= 'z')))
					break;
			}
			if (k == 3) {
				r = x402_fail(d, X402_ERR_JSON, "JSON: invalid "
				    "literal at offset %zu", i);
				goto out;
			}
			i += l;
		} else if (c == '\'' ) {
			r = x402_fail(d, X402_ERR_JSON, "JSON: single quote at "
			    "offset %zu", i);
			goto out;
		} else
			i++;
	}
out:
	if (stack != fstack)
		free(stack);
	if (keys != kstack)
		free(keys);
	return r;
}

int
x402_json_parse(struct json_object **out, struct x402_detail *d,
    const char *text, size_t len, int max_depth)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	enum json_tokener_error jerr;
	int r;

	*out = NULL;
	if (text == NULL || max_depth < 1 || len > INT32_MAX)
		return X402_ERR_INVAL;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		return x402_fail(d, X402_ERR_JSON, "JSON: a UTF-8 byte order "
		    "mark at offset 0 is not allowed");
	if ((r = scan_keys(d, text, len, max_depth)) != 0)
		return r;
	/* json-c counts the outermost value as one level. */
	tok = json_tokener_new_ex(max_depth + 1);
	if (tok == NULL)
		return X402_ERR_NOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success) {
		r = x402_fail(d, jerr == json_tokener_error_depth ?
		    X402_ERR_LIMIT : X402_ERR_JSON, "JSON: %s at offset %zu",
		    json_tokener_error_desc(jerr),
		    json_tokener_get_parse_end(tok));
		goto out;
	}
	if (json_tokener_get_parse_end(tok) != len) {
		r = x402_fail(d, X402_ERR_JSON, "JSON: trailing data at "
		    "offset %zu", json_tokener_get_parse_end(tok));
		goto out;
	}
	*out = o;
	o = NULL;
	r = 0;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

static int
member(struct json_object **v, struct x402_detail *d,
    struct json_object *obj, const char *what, const char *key,
    enum json_type type, const char *tname)
{
	*v = NULL;
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return x402_fail(d, X402_ERR_JSON, "%s is not an object", what);
	if (!json_object_object_get_ex(obj, key, v) || *v == NULL)
		return x402_fail(d, X402_ERR_NOTFOUND, "%s.%s is missing", what,
		    key);
	if (!json_object_is_type(*v, type))
		return x402_fail(d, X402_ERR_JSON, "%s.%s must be %s", what,
		    key, tname);
	return 0;
}

int
x402_json_string(const char **s, size_t *len, struct x402_detail *d,
    struct json_object *obj, const char *what, const char *key,
    size_t maxlen)
{
	struct json_object *v;
	size_t n;
	int r;

	*s = NULL;
	if ((r = member(&v, d, obj, what, key, json_type_string,
	    "a string")) != 0)
		return r;
	n = (size_t)json_object_get_string_len(v);
	if (n > maxlen)
		return x402_fail(d, X402_ERR_LIMIT, "%s.%s is longer than %zu",
		    what, key, maxlen);
	*s = json_object_get_string(v);
	if (strlen(*s) != n)
		return x402_fail(d, X402_ERR_JSON, "%s.%s contains a NUL", what,
		    key);
	if (len != NULL)
		*len = n;
	return 0;
}

int
x402_json_object(struct json_object **o, struct x402_detail *d,
    struct json_object *obj, const char *what, const char *key)
{
	return member(o, d, obj, what, key, json_type_object, "an object");
}

int
x402_json_int(int64_t *v, struct x402_detail *d, struct json_object *obj,
    const char *what, const char *key)
{
	struct json_object *m;
	int r;

	if ((r = member(&m, d, obj, what, key, json_type_int,
	    "an integer")) != 0)
		return r;
	*v = json_object_get_int64(m);
	return 0;
}

int
x402_json_bool(int *v, struct x402_detail *d, struct json_object *obj,
    const char *what, const char *key)
{
	struct json_object *m;
	int r;

	if ((r = member(&m, d, obj, what, key, json_type_boolean,
	    "true or false")) != 0)
		return r;
	*v = json_object_get_boolean(m);
	return 0;
}

int
x402_json_append(struct x402_buf *b, struct json_object *o)
{
	size_t n;
	const char *s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);

	if (s == NULL)
		return X402_ERR_NOMEM;
	return x402_buf_add(b, s, n);
}

int
x402_json_put(struct json_object *obj, const char *key,
    struct json_object *v)
{
	if (v == NULL)
		return X402_ERR_NOMEM;
	if (json_object_object_add(obj, key, v) != 0) {
		json_object_put(v);
		return X402_ERR_NOMEM;
	}
	return 0;
}

int
x402_json_add_string(struct json_object *obj, const char *key,
    const char *value)
{
	return x402_json_put(obj, key, json_object_new_string(value));
}
