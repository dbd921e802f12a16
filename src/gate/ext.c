/* ext.c - payment-identifier and bazaar for x402-gate (see ext.h). */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext.h"
#include "log.h"

#define SCHEMA_URL "https://json-schema.org/draft/2020-12/schema"
#define ENTRY_HEAD_MAX 8192

static struct json_object *
parse(const char *text)
{
	return json_tokener_parse(text);
}

/* The official declarePaymentIdentifierExtension(required). */
static struct json_object *
payid_decl(int required)
{
	struct json_object *o = json_object_new_object(), *info;

	if (o == NULL)
		return NULL;
	if ((info = json_object_new_object()) == NULL ||
	    x402_json_put(info, "required", json_object_new_boolean(required)) != 0 ||
	    x402_json_put(o, "info", info) != 0 ||
	    x402_json_put(o, "schema", parse("{\"$schema\":\"" SCHEMA_URL "\","
	    "\"type\":\"object\",\"properties\":{\"required\":{\"type\":"
	    "\"boolean\"},\"id\":{\"type\":\"string\",\"minLength\":16,"
	    "\"maxLength\":128,\"pattern\":\"^[a-zA-Z0-9_-]+$\"}},"
	    "\"required\":[\"required\"]}")) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *
copy(struct json_object *v)
{
	struct json_object *c = NULL;

	if (v == NULL)
		return json_object_new_object();
	if (json_object_deep_copy(v, &c, NULL) != 0)
		return NULL;
	return c;
}

/*
 * The official declareDiscoveryExtension (query or body form) after the
 * server's enrichDeclaration for `method`: info.input gains the method,
 * the schema's method enum narrows to it.
 */
static struct json_object *
bazaar_decl(const struct route *r, const char *method)
{
	static const char *const types[] = { "", "json", "form-data", "text" };
	int body = r->c.bazaar_body_type != BODY_NONE;
	struct json_object *o, *info, *in, *out, *sch, *props, *sin, *sp, *e;
	int bad = 0;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	info = json_object_new_object();
	in = json_object_new_object();
	sch = json_object_new_object();
	props = json_object_new_object();
	sin = json_object_new_object();
	sp = json_object_new_object();
	bad |= x402_json_put(o, "info", info) != 0;
	bad |= x402_json_put(info, "input", in) != 0;
	bad |= x402_json_put(in, "type", json_object_new_string("http")) != 0;
	if (body) {
		bad |= x402_json_put(in, "bodyType", json_object_new_string(
		    types[r->c.bazaar_body_type])) != 0;
		bad |= x402_json_put(in, "body", copy(r->bz_body)) != 0;
	} else
		bad |= x402_json_put(in, "queryParams", copy(r->bz_query)) != 0;
	bad |= x402_json_put(in, "method", json_object_new_string(method)) != 0;
	if (r->bz_output != NULL) {
		out = json_object_new_object();
		bad |= x402_json_put(info, "output", out) != 0;
		bad |= x402_json_put(out, "type", json_object_new_string("json")) != 0;
		bad |= x402_json_put(out, "example", copy(r->bz_output)) != 0;
	}
	bad |= x402_json_put(o, "schema", sch) != 0;
	bad |= x402_json_put(sch, "$schema", json_object_new_string(SCHEMA_URL)) != 0;
	bad |= x402_json_put(sch, "type", json_object_new_string("object")) != 0;
	bad |= x402_json_put(sch, "properties", props) != 0;
	bad |= x402_json_put(props, "input", sin) != 0;
	bad |= x402_json_put(sin, "type", json_object_new_string("object")) != 0;
	bad |= x402_json_put(sin, "properties", sp) != 0;
	bad |= x402_json_put(sp, "type", parse("{\"type\":\"string\",\"const\":"
	    "\"http\"}")) != 0;
	if ((e = parse("{\"type\":\"string\",\"enum\":[]}")) != NULL)
		bad |= json_object_array_add(json_object_object_get(e, "enum"),
		    json_object_new_string(method)) != 0;
	bad |= x402_json_put(sp, "method", e) != 0;
	if (body) {
		bad |= x402_json_put(sp, "bodyType", parse("{\"type\":\"string\","
		    "\"enum\":[\"json\",\"form-data\",\"text\"]}")) != 0;
		bad |= x402_json_put(sp, "body", parse("{\"properties\":{}}")) != 0;
		bad |= x402_json_put(sin, "required", parse("[\"type\",\"method\","
		    "\"bodyType\",\"body\"]")) != 0;
	} else {
		bad |= x402_json_put(sp, "queryParams", parse("{\"type\":\"object\","
		    "\"properties\":{}}")) != 0;
		bad |= x402_json_put(sin, "required",
		    parse("[\"type\",\"method\"]")) != 0;
	}
	bad |= x402_json_put(sin, "additionalProperties",
	    json_object_new_boolean(0)) != 0;
	if (r->bz_output != NULL)
		bad |= x402_json_put(props, "output", parse("{\"type\":\"object\","
		    "\"properties\":{\"type\":{\"type\":\"string\"},"
		    "\"example\":{\"type\":\"object\"}},\"required\":"
		    "[\"type\"]}")) != 0;
	bad |= x402_json_put(sch, "required", parse("[\"input\"]")) != 0;
	if (bad) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int
ext_declare(struct json_object **out, const struct route *r,
    const char *method)
{
	struct json_object *o;

	*out = NULL;
	if (r->c.payment_identifier == PAYID_OFF && !r->c.bazaar)
		return 0;
	if ((o = json_object_new_object()) == NULL)
		return X402_ERR_NOMEM;
	if ((r->c.bazaar && x402_json_put(o, "bazaar", bazaar_decl(r, method)) != 0) ||
	    (r->c.payment_identifier != PAYID_OFF && x402_json_put(o,
	    "payment-identifier", payid_decl(r->c.payment_identifier ==
	    PAYID_REQUIRED)) != 0)) {
		json_object_put(o);
		return X402_ERR_NOMEM;
	}
	*out = o;
	return 0;
}

void
ext_cached_free(struct ext_cached *c)
{
	if (c != NULL)
		x402_buf_free(&c->body);
}

static int
valid_id(const char *s, size_t n)
{
	size_t i;

	if (n < EXT_PAYID_MIN || n > EXT_PAYID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

/* Reads the whole entry at path into b (capped).  Returns 0 or -1. */
static int
read_entry(struct x402_buf *b, const char *path)
{
	char tmp[8192];
	ssize_t n;
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		if (x402_buf_add(b, tmp, (size_t)n) != 0) {
			r = -1;
			break;
		}
	if (n < 0)
		r = -1;
	close(fd);
	return r;
}

/* One "key value" line of an entry at *pos; value to out[cap]. */
static int
entry_line(char *out, size_t cap, const char *key, const struct x402_buf *b,
    size_t *pos)
{
	const char *s = b->p + *pos, *nl;
	size_t kl = strlen(key), vl;

	nl = memchr(s, '\n', b->len - *pos);
	if (nl == NULL || (size_t)(nl - s) < kl + 1 ||
	    memcmp(s, key, kl) != 0 || s[kl] != ' ')
		return -1;
	vl = (size_t)(nl - s) - kl - 1;
	if (vl >= cap)
		return -1;
	memcpy(out, s + kl + 1, vl);
	out[vl] = '\0';
	*pos += (size_t)(nl - s) + 1;
	return 0;
}

/* Looks at an existing entry for p->id. */
static int
existing(struct ext_payid *p, struct ext_cached *c, int *status, char *why,
    size_t whylen)
{
	struct x402_buf b;
	char hash[80], state[64], want[65];
	size_t pos = 0;
	long blen;
	int r = EXT_REFUSE;

	*status = 409;
	x402_buf_init(&b, EXT_CACHE_BODY_MAX + ENTRY_HEAD_MAX);
	(void)x402_hex_encode(want, sizeof(want), p->hash, 32,
	    X402_HEX_PREFIX_NONE);
	if (read_entry(&b, p->path) != 0 || b.len == 0 ||
	    entry_line(hash, sizeof(hash), "x402-payid-1", &b, &pos) != 0 ||
	    entry_line(state, sizeof(state), "state", &b, &pos) != 0) {
		snprintf(why, whylen, "payment identifier %s is taken", p->id);
		goto out;
	}
	if (strcmp(hash, want) != 0) {
		snprintf(why, whylen, "payment identifier %s was used with a "
		    "different payment", p->id);
		goto out;
	}
	if (strcmp(state, "pending") == 0) {
		snprintf(why, whylen, "a request with payment identifier %s "
		    "is still in progress", p->id);
		goto out;
	}
	if (sscanf(state, "done %d %ld", &c->status, &blen) != 2 ||
	    entry_line(c->type, sizeof(c->type), "type", &b, &pos) != 0 ||
	    entry_line(c->settle_value, sizeof(c->settle_value), "settle",
	    &b, &pos) != 0) {
		snprintf(why, whylen, "payment identifier %s is taken", p->id);
		goto out;
	}
	if (blen < 0 || (size_t)blen != b.len - pos) {
		snprintf(why, whylen, "the response to payment identifier %s "
		    "was too large to keep", p->id);
		goto out;
	}
	/* settle line is "NAME VALUE" */
	{
		char *sp = strchr(c->settle_value, ' ');

		if (sp == NULL || (size_t)(sp - c->settle_value) >=
		    sizeof(c->settle_name)) {
			snprintf(why, whylen, "payment identifier %s is taken",
			    p->id);
			goto out;
		}
		memcpy(c->settle_name, c->settle_value,
		    (size_t)(sp - c->settle_value));
		c->settle_name[sp - c->settle_value] = '\0';
		memmove(c->settle_value, sp + 1, strlen(sp + 1) + 1);
	}
	if (x402_buf_add(&c->body, b.p + pos, b.len - pos) != 0) {
		*status = 500;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	r = EXT_REPLAY;
out:
	x402_buf_free(&b);
	return r;
}

int
ext_payid_begin(struct ext_payid *p, struct ext_cached *c, int *status,
    char *why, size_t whylen, const struct route *r,
    const struct x402_payment *pay, const char *hdr, size_t len)
{
	struct json_object *e, *info, *idv;
	char dir[300], head[200], hex[65];
	const char *id = NULL;
	size_t idlen = 0;
	int fd;

	memset(p, 0, sizeof(*p));
	memset(c, 0, sizeof(*c));
	x402_buf_init(&c->body, EXT_CACHE_BODY_MAX);
	*status = 400;
	if (r->c.payment_identifier == PAYID_OFF || pay->version != 2)
		return EXT_GO;
	if (pay->extensions != NULL && json_object_object_get_ex(
	    pay->extensions, "payment-identifier", &e) &&
	    json_object_is_type(e, json_type_object) &&
	    json_object_object_get_ex(e, "info", &info) &&
	    json_object_is_type(info, json_type_object) &&
	    json_object_object_get_ex(info, "id", &idv)) {
		if (!json_object_is_type(idv, json_type_string) ||
		    !valid_id(json_object_get_string(idv),
		    (size_t)json_object_get_string_len(idv))) {
			snprintf(why, whylen, "invalid payment identifier: it "
			    "must be 16-128 characters of A-Z a-z 0-9 _ -");
			return EXT_REFUSE;
		}
		id = json_object_get_string(idv);
		idlen = (size_t)json_object_get_string_len(idv);
	}
	if (id == NULL) {
		if (r->c.payment_identifier != PAYID_REQUIRED)
			return EXT_GO;
		snprintf(why, whylen, "this resource requires a payment "
		    "identifier (extensions.payment-identifier.info.id)");
		return EXT_REFUSE;
	}
	memcpy(p->id, id, idlen);
	p->id[idlen] = '\0';
	x402_keccak256(p->hash, hdr, len);
	snprintf(dir, sizeof(dir), "%s/payid", r->c.claims);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		X402_LOG_ERR("route %s: cannot create %s", r->name, dir);
		*status = 500;
		snprintf(why, whylen, "cannot record the payment identifier");
		return EXT_REFUSE;
	}
	snprintf(p->path, sizeof(p->path), "%s/%s", dir, p->id);
	fd = open(p->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST)
		return existing(p, c, status, why, whylen);
	if (fd < 0) {
		X402_LOG_ERR("route %s: cannot create %s", r->name, p->path);
		*status = 500;
		snprintf(why, whylen, "cannot record the payment identifier");
		return EXT_REFUSE;
	}
	(void)x402_hex_encode(hex, sizeof(hex), p->hash, 32,
	    X402_HEX_PREFIX_NONE);
	snprintf(head, sizeof(head), "x402-payid-1 %s\nstate pending\n", hex);
	if (write(fd, head, strlen(head)) != (ssize_t)strlen(head)) {
		close(fd);
		unlink(p->path);
		*status = 500;
		snprintf(why, whylen, "cannot record the payment identifier");
		return EXT_REFUSE;
	}
	close(fd);
	p->reserved = 1;
	return EXT_GO;
}

void
ext_payid_store(struct ext_payid *p, int status, const char *type,
    const char *settle_name, const char *settle_value, const char *body,
    size_t len)
{
	char tmp[640], hex[65];
	FILE *f;
	int fd, ok;

	if (!p->reserved)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", p->path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		X402_LOG_ERR("cannot keep the response for payment identifier "
		    "%s", p->id);
		return;
	}
	(void)x402_hex_encode(hex, sizeof(hex), p->hash, 32,
	    X402_HEX_PREFIX_NONE);
	ok = fprintf(f, "x402-payid-1 %s\nstate done %d %ld\ntype %s\n"
	    "settle %s %s\n", hex, status, len > EXT_CACHE_BODY_MAX ? -1L :
	    (long)len, type, settle_name, settle_value) > 0;
	if (ok && len <= EXT_CACHE_BODY_MAX && len > 0)
		ok = fwrite(body, 1, len, f) == len;
	ok = fflush(f) == 0 && ok && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, p->path) != 0) {
		unlink(tmp);
		X402_LOG_ERR("cannot keep the response for payment identifier "
		    "%s", p->id);
		return;
	}
	p->reserved = 0;	/* stored: the id stays taken */
}

void
ext_payid_end(struct ext_payid *p)
{
	if (p->reserved)
		unlink(p->path);
	p->reserved = 0;
}
