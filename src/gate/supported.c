/*
 * supported.c - the facilitator's /supported for a route: the client of
 * the route's settings, each offer checked against it (x402-gate at
 * start-up and -t), and asked again while it could not be fetched.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "route.h"

static long
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

/* Reads a small secret file that only its owner may read. */
static int
read_secret(char *out, size_t cap, struct x402_detail *d, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd, e = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return x402_fail(d, X402_ERR_IO, "%s: cannot open", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		e = x402_fail(d, X402_ERR_PERM, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		e = x402_fail(d, X402_ERR_PERM, "%s: mode %03o lets others "
		    "read it (chmod 600)", path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	n = read(fd, out, cap - 1);
	if (n < 0 || (size_t)n == cap - 1) {
		e = x402_fail(d, X402_ERR_LIMIT, "%s: unreadable or too long",
		    path);
		goto out;
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' ||
	    out[n - 1] == ' '))
		n--;
	out[n] = '\0';
out:
	close(fd);
	return e;
}

/*
 * An upto offer names the address that may settle it (extra
 * .facilitatorAddress): the facilitator's, from its /supported kind for
 * (2, upto, network), as the official upto server copies it.  The v2
 * requirement of offer i is rebuilt with it.
 */
static int
upto_facilitator_address(struct route *r, struct x402_facilitator *f,
    size_t i, struct x402_detail *d)
{
	const struct x402_facilitator_supported *sup;
	struct x402_offer *o = &r->offers[i];
	struct json_object *v;
	size_t k;
	int e;

	if (o->scheme != X402_SCHEME_UPTO)
		return 0;
	if ((e = x402_facilitator_supported(f, &sup, d)) != 0)
		return e;
	for (k = 0; k < sup->nkinds; k++) {
		const struct x402_facilitator_kind *kd = &sup->kinds[k];

		if (kd->version == 2 && strcmp(kd->scheme, "upto") == 0 &&
		    strcmp(kd->network, o->net->caip2) == 0 &&
		    kd->extra != NULL && json_object_object_get_ex(
		    kd->extra, "facilitatorAddress", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    x402_addr_parse(o->facilitator, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)) == 0) {
			o->has_facilitator = 1;
			break;
		}
	}
	if (!o->has_facilitator)
		return x402_fail(d, X402_ERR_CONFIG, "%s: the facilitator's "
		    "/supported upto kind on %s has no usable "
		    "extra.facilitatorAddress", r->file, o->net->caip2);
	json_object_put(r->v2_accepts[i]);
	r->v2_accepts[i] = NULL;
	return x402_offer_v2_json(&r->v2_accepts[i], o);
}

int
route_unreachable(int e)
{
	return e == X402_ERR_NET || e == X402_ERR_TIMEOUT ||
	    e == X402_ERR_UPSTREAM || e == X402_ERR_BADREPLY ||
	    e == X402_ERR_LIMIT;
}

int
route_facilitator(struct route *r, struct x402_facilitator **out,
    struct x402_detail *d)
{
	struct x402_http_opts ho;
	struct x402_cdp_key *key = NULL;
	char secret[X402_CDP_SECRET_MAX + 1];
	const char *id = r->c.cdp_key_id[0] ? r->c.cdp_key_id :
	    getenv("CDP_API_KEY_ID");
	const char *sec = getenv("CDP_API_KEY_SECRET");
	int e;

	*out = NULL;
	memset(&ho, 0, sizeof(ho));
	ho.proxy = r->c.proxy[0] ? r->c.proxy : NULL;
	ho.timeout_ms = (long)r->c.facilitator_timeout * 1000;
	ho.connect_timeout_ms = ho.timeout_ms < 5000 ? ho.timeout_ms : 5000;
	if (r->c.cdp_key_file[0] != '\0') {
		if ((e = read_secret(secret, sizeof(secret), d,
		    r->c.cdp_key_file)) != 0)
			return e;
		sec = secret;
	}
	if (id != NULL && id[0] != '\0' && sec != NULL && sec[0] != '\0') {
		e = x402_cdp_key_new(&key, d, id, sec);
		x402_wipe(secret, sizeof(secret));
		if (e != 0)
			return e;
	}
	x402_wipe(secret, sizeof(secret));
	return x402_facilitator_new(out, d, r->c.facilitator_url, &ho, key);
}

/*
 * Offer only what the facilitator can settle: the offer in v2, and in v1
 * too where the 402 advertises it (a network with a v1 name).
 */
int
route_offer_check(struct route *r, struct x402_facilitator *f, size_t i,
    struct x402_detail *d)
{
	const struct x402_offer *o = &r->offers[i];
	int e, v, yes;

	for (v = 2; v >= 1; v--) {
		const char *net = v == 2 ? o->net->caip2 : o->net->v1_name;

		if (v == 1 && (net[0] == '\0' ||
		    o->scheme != X402_SCHEME_EXACT))
			continue;
		if ((e = x402_facilitator_supports(f, &yes, d, v,
		    x402_scheme_name(o->scheme), net)) != 0)
			return e;
		if (!yes)
			return x402_fail(d, X402_ERR_CONFIG, "%s: the "
			    "facilitator does not support x402 v%d %s on %s "
			    "(see its /supported)", r->file, v,
			    x402_scheme_name(o->scheme), net);
	}
	return upto_facilitator_address(r, f, i, d);
}

int
route_offers_check(struct route *r, struct x402_facilitator *f,
    struct x402_detail *d)
{
	size_t i;
	int e;

	for (i = 0; i < r->noffers; i++)
		if ((e = route_offer_check(r, f, i, d)) != 0)
			return e;
	return 0;
}

/* An upto offer still lacks the facilitator's address. */
static int
needs_supported(const struct route *r)
{
	size_t i;

	for (i = 0; i < r->noffers; i++)
		if (r->offers[i].scheme == X402_SCHEME_UPTO &&
		    !r->offers[i].has_facilitator)
			return 1;
	return 0;
}

unsigned
route_settler_wait(struct route *r, int paid)
{
	struct x402_detail d;
	long now;
	int e;

	if (!r->sup_pending || (!paid && !needs_supported(r)))
		return 0;
	now = now_s();
	if (now >= r->sup_next) {
		x402_detail_clear(&d);
		if ((e = route_offers_check(r, r->fac, &d)) == 0) {
			r->sup_pending = 0;
			X402_LOG_INFO("route %s: the facilitator answers: "
			    "payments accepted again", r->name);
			return 0;
		}
		r->sup_next = now + (long)r->sup_wait;
		if (r->sup_wait < ROUTE_SUP_RETRY_MAX / 2)
			r->sup_wait *= 2;
		else
			r->sup_wait = ROUTE_SUP_RETRY_MAX;
		if (route_unreachable(e))
			X402_LOG_WARN("route %s: the facilitator still cannot "
			    "be asked (%s: %s): next try in %lds", r->name,
			    x402_strerror(e), d.msg, r->sup_next - now);
		else
			X402_LOG_ERR("route %s: %s", r->name, d.msg);
	}
	return r->sup_next > now ? (unsigned)(r->sup_next - now) : 1;
}

