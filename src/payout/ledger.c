/*
 * ledger.c - the durable ledger (see ledger.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "ledger.h"

#define MAGIC "x402-payout-ledger 1"

int
po_ledger_init(struct po_ledger *l)
{
	memset(l, 0, sizeof(*l));
	if (getrandom(l->instance, sizeof(l->instance), 0) !=
	    (ssize_t)sizeof(l->instance))
		return X402_ERR_IO;
	l->next_batch = 1;
	snprintf(l->bal[0].name, sizeof(l->bal[0].name), "%s", PO_RETAIN);
	l->nbal = 1;
	return 0;
}

void
po_ledger_free(struct po_ledger *l)
{
	if (l == NULL)
		return;
	free(l->days);
	free(l->counted);
	l->days = NULL;
	l->counted = NULL;
	l->ndays = l->ncounted = l->counted_cap = 0;
}

int
po_ledger_row(struct po_ledger *l, const char *name, const uint8_t addr[20])
{
	size_t i;

	for (i = 0; i < l->nbal; i++) {
		if (strcmp(l->bal[i].name, name) == 0) {
			if (addr != NULL)
				memcpy(l->bal[i].addr, addr, 20);
			return (int)i;
		}
	}
	if (l->nbal == sizeof(l->bal) / sizeof(l->bal[0]) ||
	    strlen(name) > PO_NAME_MAX)
		return X402_ERR_LIMIT;
	memset(&l->bal[i], 0, sizeof(l->bal[i]));
	snprintf(l->bal[i].name, sizeof(l->bal[i].name), "%s", name);
	if (addr != NULL)
		memcpy(l->bal[i].addr, addr, 20);
	l->nbal++;
	return (int)i;
}

static int
day_cmp(uint32_t da, uint32_t pa, const struct po_day *b)
{
	if (da != b->day)
		return da < b->day ? -1 : 1;
	if (pa != b->payee)
		return pa < b->payee ? -1 : 1;
	return 0;
}

int
po_ledger_day_add(struct po_ledger *l, uint32_t day, size_t row, int paid,
    const x402_u256 *v)
{
	size_t lo = 0, hi = l->ndays, mid;
	struct po_day *e, *nd;
	int c;

	/* Receipts mostly arrive in order: try the last entries first. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = day_cmp(day, (uint32_t)row, &l->days[mid]);
		if (c == 0) {
			e = &l->days[mid];
			goto add;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (l->ndays == PO_LEDGER_DAYS_MAX)
		return X402_ERR_LIMIT;
	if ((l->ndays & 63) == 0) {
		nd = realloc(l->days, (l->ndays + 64) * sizeof(*nd));
		if (nd == NULL)
			return X402_ERR_NOMEM;
		l->days = nd;
	}
	memmove(&l->days[lo + 1], &l->days[lo],
	    (l->ndays - lo) * sizeof(*l->days));
	e = &l->days[lo];
	memset(e, 0, sizeof(*e));
	e->day = day;
	e->payee = (uint32_t)row;
	l->ndays++;
add:
	return x402_u256_add(paid ? &e->paid : &e->earned,
	    paid ? &e->paid : &e->earned, v);
}

int
po_ledger_counted_add(struct po_ledger *l, const char *name)
{
	size_t n = strlen(name);

	if (n > X402_SPOOL_NAMEMAX || l->ncounted == PO_COUNTED_MAX)
		return X402_ERR_LIMIT;
	if (l->ncounted == l->counted_cap) {
		size_t cap = l->counted_cap ? l->counted_cap * 2 : 256;
		void *p;

		if (cap > PO_COUNTED_MAX)
			cap = PO_COUNTED_MAX;
		if ((p = realloc(l->counted, cap * sizeof(*l->counted))) ==
		    NULL)
			return X402_ERR_NOMEM;
		l->counted = p;
		l->counted_cap = cap;
	}
	memcpy(l->counted[l->ncounted++], name, n + 1);
	return 0;
}

int
po_ledger_counted_has(const struct po_ledger *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->ncounted; i++)
		if (strcmp(l->counted[i], name) == 0)
			return 1;
	return 0;
}

int
po_split_apply(x402_u256 *out, x402_u256 *retain, const struct po_split *rule,
    const x402_u256 *amount)
{
	x402_u256 t, rest = *amount;
	size_t i;
	int r;

	for (i = 0; i < rule->nshares; i++) {
		if ((r = x402_u256_mul_u64(&t, amount, rule->shares[i].bps)) ||
		    (r = x402_u256_divmod_u64(&out[i], NULL, &t,
		    PO_BPS_TOTAL)))
			return X402_ERR_RANGE;
		/* sum of floors <= amount since the bps sum to <= 10000 */
		if ((r = x402_u256_sub(&rest, &rest, &out[i])) != 0)
			return X402_ERR_INTERNAL;
	}
	*retain = rest;
	return 0;
}

/* ---- text form ------------------------------------------------------- */

static int
put_u256(struct x402_buf *b, const x402_u256 *v)
{
	char s[X402_U256_DECLEN + 1];

	if (x402_u256_format_dec(s, sizeof(s), v) < 0)
		return X402_ERR_INTERNAL;
	return x402_buf_printf(b, " %s", s);
}

int
po_ledger_format(struct x402_buf *b, const struct po_ledger *l)
{
	char inst[40], addr[X402_ADDR_STRLEN + 1];
	size_t i;
	int r;

	(void)x402_hex_encode(inst, sizeof(inst), l->instance,
	    sizeof(l->instance), X402_HEX_PREFIX_NONE);
	if ((r = x402_buf_printf(b, MAGIC "\ninstance %s\nseq %llu\n"
	    "seen_step %llu\nnext_batch %llu\nopen_batch %llu\n"
	    "receipts %llu\nquarantined %llu\nreceived", inst,
	    (unsigned long long)l->seq, (unsigned long long)l->seen_step,
	    (unsigned long long)l->next_batch,
	    (unsigned long long)l->open_batch,
	    (unsigned long long)l->receipts,
	    (unsigned long long)l->quarantined)) != 0 ||
	    (r = put_u256(b, &l->received)) != 0 ||
	    (r = x402_buf_adds(b, "\nretained")) != 0 ||
	    (r = put_u256(b, &l->retained)) != 0 ||
	    (r = x402_buf_adds(b, "\n")) != 0)
		return r;
	for (i = 0; i < l->nbal; i++) {
		const struct po_bal *p = &l->bal[i];

		x402_addr_format(addr, p->addr);
		if ((r = x402_buf_printf(b, "payee %s %s", p->name, addr)) ||
		    (r = put_u256(b, &p->owed)) || (r = put_u256(b,
		    &p->inflight)) || (r = put_u256(b, &p->paid)) ||
		    (r = put_u256(b, &p->earned)) ||
		    (r = x402_buf_adds(b, "\n")))
			return r;
	}
	for (i = 0; i < l->ndays; i++) {
		const struct po_day *e = &l->days[i];

		if ((r = x402_buf_printf(b, "day %u %u", e->day, e->payee)) ||
		    (r = put_u256(b, &e->earned)) ||
		    (r = put_u256(b, &e->paid)) ||
		    (r = x402_buf_adds(b, "\n")))
			return r;
	}
	for (i = 0; i < l->ncounted; i++)
		if ((r = x402_buf_printf(b, "counted %s\n", l->counted[i])))
			return r;
	return x402_buf_adds(b, "end\n");
}

#define WORDS_MAX 8

static size_t
split_words(char **w, char *line)
{
	size_t n = 0;
	char *p = line;

	while (*p != '\0' && n < WORDS_MAX) {
		w[n++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p == ' ')
			*p++ = '\0';
	}
	return *p == '\0' ? n : WORDS_MAX + 1;
}

static int
get_u64(uint64_t *v, const char *s)
{
	x402_u256 t;

	if (x402_u256_parse_dec(&t, s, strlen(s)) != 0 ||
	    !x402_u256_get_u64(&t, v))
		return -1;
	return 0;
}

static int
get_u256(x402_u256 *v, const char *s)
{
	return x402_u256_parse_dec(v, s, strlen(s)) == 0 ? 0 : -1;
}

int
po_ledger_parse(struct po_ledger *l, struct x402_detail *d, const char *text,
    size_t len)
{
	char *copy = NULL, *line, *next, *w[WORDS_MAX];
	unsigned lineno = 0;
	size_t n;
	int r = X402_ERR_SYNTAX, ended = 0, row, have_seen_step = 0;
	uint64_t v, day, payee;

	if (memchr(text, '\0', len) != NULL)
		return x402_fail(d, X402_ERR_SYNTAX, "ledger: NUL byte");
	if ((copy = malloc(len + 1)) == NULL)
		return X402_ERR_NOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	memset(l, 0, sizeof(*l));
	for (line = copy; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) == NULL)
			goto bad;	/* a ledger always ends in "end\n" */
		*next++ = '\0';
		if (ended)
			goto bad;
		if (lineno == 1) {
			if (strcmp(line, MAGIC) != 0)
				goto bad;
			continue;
		}
		n = split_words(w, line);
		if (n == 1 && strcmp(w[0], "end") == 0) {
			ended = 1;
		} else if (n == 2 && strcmp(w[0], "instance") == 0) {
			size_t got;

			if (x402_hex_decode(l->instance, 16, &got, w[1],
			    strlen(w[1]), X402_HEX_PREFIX_NONE) != 0 ||
			    got != 16)
				goto bad;
		} else if (n == 2 && strcmp(w[0], "seq") == 0) {
			if (get_u64(&l->seq, w[1]))
				goto bad;
		} else if (n == 2 && strcmp(w[0], "seen_step") == 0) {
			if (have_seen_step++ || get_u64(&l->seen_step, w[1]))
				goto bad;
		} else if (n == 2 && strcmp(w[0], "next_batch") == 0) {
			if (get_u64(&l->next_batch, w[1]))
				goto bad;
		} else if (n == 2 && strcmp(w[0], "open_batch") == 0) {
			if (get_u64(&l->open_batch, w[1]))
				goto bad;
		} else if (n == 2 && strcmp(w[0], "receipts") == 0) {
			if (get_u64(&l->receipts, w[1]))
				goto bad;
		} else if (n == 2 && strcmp(w[0], "quarantined") == 0) {
			if (get_u64(&l->quarantined, w[1]))
				goto bad;
		} else if (n == 2 && strcmp(w[0], "received") == 0) {
			if (get_u256(&l->received, w[1]))
				goto bad;
		} else if (n == 2 && strcmp(w[0], "retained") == 0) {
			if (get_u256(&l->retained, w[1]))
				goto bad;
		} else if (n == 7 && strcmp(w[0], "payee") == 0) {
			uint8_t addr[20];

			if (x402_addr_parse(addr, w[2], strlen(w[2])) != 0 ||
			    po_ledger_row(l, w[1], addr) != (int)l->nbal - 1 ||
			    get_u256(&l->bal[l->nbal - 1].owed, w[3]) ||
			    get_u256(&l->bal[l->nbal - 1].inflight, w[4]) ||
			    get_u256(&l->bal[l->nbal - 1].paid, w[5]) ||
			    get_u256(&l->bal[l->nbal - 1].earned, w[6]))
				goto bad;
		} else if (n == 5 && strcmp(w[0], "day") == 0) {
			x402_u256 e, p;

			if (get_u64(&day, w[1]) || get_u64(&payee, w[2]) ||
			    day > UINT32_MAX || payee >= l->nbal ||
			    get_u256(&e, w[3]) || get_u256(&p, w[4]))
				goto bad;
			row = (int)payee;
			if ((r = po_ledger_day_add(l, (uint32_t)day,
			    (size_t)row, 0, &e)) != 0 ||
			    (r = po_ledger_day_add(l, (uint32_t)day,
			    (size_t)row, 1, &p)) != 0)
				goto out;
			r = X402_ERR_SYNTAX;
		} else if (n == 2 && strcmp(w[0], "counted") == 0) {
			if ((r = po_ledger_counted_add(l, w[1])) != 0)
				goto out;
			r = X402_ERR_SYNTAX;
		} else
			goto bad;
	}
	if (!ended || l->nbal == 0 || strcmp(l->bal[0].name, PO_RETAIN) != 0 ||
	    l->next_batch == 0 || (l->open_batch != 0 &&
	    l->open_batch >= l->next_batch) || (have_seen_step &&
	    l->seen_step > l->seq)) {
		lineno++;
		goto bad;
	}
	/* A ledger written before seen_step existed: the old rule. */
	if (!have_seen_step)
		l->seen_step = l->seq;
	(void)v;
	r = 0;
	goto out;
bad:
	r = x402_fail(d, X402_ERR_SYNTAX, "ledger line %u is malformed",
	    lineno);
out:
	free(copy);
	if (r != 0)
		po_ledger_free(l);
	return r;
}

int
po_write_all(int fd, struct x402_detail *d, const char *name,
    const void *p, size_t len)
{
	const char *c = p;
	ssize_t k;

	while (len > 0) {
		if ((k = write(fd, c, len)) < 0) {
			if (errno == EINTR)
				continue;
			return x402_fail(d, X402_ERR_IO, "write %s: %s", name,
			    strerror(errno));
		}
		c += k;
		len -= (size_t)k;
	}
	if (fsync(fd) != 0)
		return x402_fail(d, X402_ERR_IO, "fsync %s: %s", name,
		    strerror(errno));
	return 0;
}

int
po_atomic_write(int dirfd, struct x402_detail *d, const char *name,
    const void *p, size_t len)
{
	char tmp[128];
	int fd = -1, r = X402_ERR_IO;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd < 0) {
		x402_fail(d, r, "open %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (po_write_all(fd, d, tmp, p, len) != 0)
		goto out;
	close(fd);
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) != 0) {
		x402_fail(d, r, "rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fsync(dirfd) != 0) {
		x402_fail(d, r, "fsync of the state directory: %s",
		    strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

int
po_ledger_save(struct po_ledger *l, struct x402_detail *d, int dirfd)
{
	struct x402_buf b;
	int r;

	x402_buf_init(&b, PO_LEDGER_MAX);
	l->seq++;
	if ((r = po_ledger_format(&b, l)) != 0) {
		x402_fail(d, r, "ledger: %s", x402_strerror(r));
		goto out;
	}
	r = po_atomic_write(dirfd, d, "ledger", b.p, b.len);
out:
	x402_buf_free(&b);
	return r;
}

int
po_ledger_load(struct po_ledger *l, struct x402_detail *d, int dirfd)
{
	struct x402_buf b;
	struct stat st;
	ssize_t k;
	int fd, r;

	memset(l, 0, sizeof(*l));
	x402_buf_init(&b, PO_LEDGER_MAX);
	fd = openat(dirfd, "ledger", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = errno == ENOENT ? X402_ERR_NOTFOUND : X402_ERR_IO;
		x402_fail(d, r, "ledger: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = x402_fail(d, X402_ERR_IO, "ledger: not a regular file");
		goto out;
	}
	for (;;) {
		if ((r = x402_buf_reserve(&b, 65536)) != 0) {
			x402_fail(d, r, "ledger: over %u bytes", PO_LEDGER_MAX);
			goto out;
		}
		if ((k = read(fd, b.p + b.len, 65536)) < 0) {
			if (errno == EINTR)
				continue;
			r = x402_fail(d, X402_ERR_IO, "ledger: read: %s",
			    strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		b.len += (size_t)k;
	}
	r = po_ledger_parse(l, d, b.p ? b.p : "", b.len);
out:
	if (fd >= 0)
		close(fd);
	x402_buf_free(&b);
	return r;
}
