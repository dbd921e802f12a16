/*
 * json.h - bounded, strict JSON input and compact output (json-c).
 *
 * Rules:
 *  - Parsing is strict RFC 8259 (json-c's STRICT mode, valid UTF-8), the
 *    whole text must be one value, nesting is capped, and an object with a
 *    duplicate key is refused (json-c would silently keep the last one;
 *    two parsers reading one payload differently is how payment checks are
 *    bypassed).  Keys containing escape sequences are refused for the same
 *    reason: x402 never needs them.
 *  - The parsed tree is owned by the caller (json_object_put).  Getters
 *    return pointers borrowed from the tree.
 *  - Getters are strict about types: a number where a string belongs is an
 *    error, and so is the reverse.  The detail names the field.
 */
#ifndef X402_JSON_H
#define X402_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "error.h"

#define X402_JSON_MAX_DEPTH 16
#define X402_JSON_MAX_KEYS 64 	/* per object, checked while scanning */

/*
 * Parses text[0..len).  Returns 0, X402_ERR_JSON (malformed, trailing
 * data, duplicate or escaped key, too many keys) or X402_ERR_LIMIT (deeper
 * than max_depth).  Out: *out (caller puts).
 */
int x402_json_parse(struct json_object **out, struct x402_detail *d,
    const char *text, size_t len, int max_depth) X402_WARN_UNUSED;

/*
 * Gets a string member.  Returns 0, X402_ERR_NOTFOUND (absent, or null
 * when optional), X402_ERR_JSON (wrong type) or X402_ERR_LIMIT (longer
 * than maxlen).  `what` names the object in the detail ("payload").
 * Out: *s (borrowed), *len if not NULL.
 */
int x402_json_string(const char **s, size_t *len, struct x402_detail *d,
    struct json_object *obj, const char *what, const char *key,
    size_t maxlen) X402_WARN_UNUSED;

/* Gets an object member.  Same returns.  Out: *o (borrowed). */
int x402_json_object(struct json_object **o, struct x402_detail *d,
    struct json_object *obj, const char *what, const char *key)
    X402_WARN_UNUSED;

/* Gets an integer member (a JSON integer, not a string or a float). */
int x402_json_int(int64_t *v, struct x402_detail *d, struct json_object *obj,
    const char *what, const char *key) X402_WARN_UNUSED;

/* Gets a boolean member. */
int x402_json_bool(int *v, struct x402_detail *d, struct json_object *obj,
    const char *what, const char *key) X402_WARN_UNUSED;

/*
 * Appends the compact serialization of o ("/" not escaped, as
 * JSON.stringify does).  Returns 0, X402_ERR_NOMEM or X402_ERR_LIMIT.
 */
int x402_json_append(struct x402_buf *b, struct json_object *o)
    X402_WARN_UNUSED;

/*
 * Adds v under key in obj, taking v: it is released on failure too.
 * Returns 0 or X402_ERR_NOMEM (v NULL, or the add failed).
 */
int x402_json_put(struct json_object *obj, const char *key,
    struct json_object *v) X402_WARN_UNUSED;

/*
 * Adds key = string value to obj (helpers for building replies).  Return
 * 0 or X402_ERR_NOMEM.
 */
int x402_json_add_string(struct json_object *obj, const char *key,
    const char *value) X402_WARN_UNUSED;

#endif /* X402_JSON_H */
