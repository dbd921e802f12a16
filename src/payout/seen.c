/*
 * seen.c - the counted-transfer set of x402-payout (see seen.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger.h"
#include "seen.h"

#define FILE_NAME	"seen"
#define MAGIC		"x402-seen v1\n\0\0\0"
#define MAGIC_LEN	16
#define HEAD_LEN	32	/* magic, horizon (8, LE), 8 zero bytes */

static void
put_le(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

static void
encode(uint8_t rec[PO_SEEN_REC], const struct po_seen_ent *e)
{
	memcpy(rec, e->tx, 32);
	put_le(rec + 32, e->log, 4);
	memset(rec + 36, 0, 4);
	put_le(rec + 40, (uint64_t)e->time, 8);
	put_le(rec + 48, e->step, 8);
}

static void
decode(struct po_seen_ent *e, const uint8_t rec[PO_SEEN_REC])
{
	memcpy(e->tx, rec, 32);
	e->log = (uint32_t)get_le(rec + 32, 4);
	e->time = (int64_t)get_le(rec + 40, 8);
	e->step = get_le(rec + 48, 8);
}

/* The transaction hash is uniform: its first bytes are the hash. */
static size_t
slot_of(const struct po_seen *s, const uint8_t tx[32], uint32_t log)
{
	return (size_t)(get_le(tx, 8) ^ ((uint64_t)log * 0x9e3779b97f4a7c15u))
	    & (s->cap - 1);
}

static size_t
find(const struct po_seen *s, const uint8_t tx[32], uint32_t log)
{
	size_t i = slot_of(s, tx, log);

	while (s->used[i] && !(s->tab[i].log == log &&
	    memcmp(s->tab[i].tx, tx, 32) == 0))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int
grow(struct po_seen *s)
{
	struct po_seen_ent *ot = s->tab;
	uint8_t *ou = s->used;
	size_t oc = s->cap, i, j;

	s->cap = oc ? oc * 2 : 1024;
	s->tab = calloc(s->cap, sizeof(*s->tab));
	s->used = calloc(s->cap, 1);
	if (s->tab == NULL || s->used == NULL) {
		free(s->tab);
		free(s->used);
		s->tab = ot;
		s->used = ou;
		s->cap = oc;
		return X402_ERR_NOMEM;
	}
	for (i = 0; i < oc; i++) {
		if (!ou[i])
			continue;
		j = find(s, ot[i].tx, ot[i].log);
		s->tab[j] = ot[i];
		s->used[j] = 1;
	}
	free(ot);
	free(ou);
	return 0;
}

/* Inserts e (memory only).  1: already there, 0: added, <0: error. */
static int
insert(struct po_seen *s, const struct po_seen_ent *e)
{
	size_t i;
	int r;

	if (s->n >= PO_SEEN_MAX)
		return X402_ERR_LIMIT;
	if ((s->n + 1) * 2 > s->cap && (r = grow(s)) != 0)
		return r;
	i = find(s, e->tx, e->log);
	if (s->used[i])
		return 1;
	s->tab[i] = *e;
	s->used[i] = 1;
	s->n++;
	return 0;
}

static int
read_all(int fd, struct x402_buf *b, struct x402_detail *d)
{
	char chunk[65536];
	ssize_t k;
	int r;

	for (;;) {
		k = read(fd, chunk, sizeof(chunk));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return x402_fail(d, X402_ERR_IO, "read %s: %s",
			    FILE_NAME, strerror(errno));
		if (k == 0)
			return 0;
		if ((r = x402_buf_add(b, chunk, (size_t)k)) != 0)
			return x402_fail(d, r, "%s: more than %u records "
			    "(shorten verify_window)", FILE_NAME,
			    PO_SEEN_MAX);
	}
}

/* Writes the kept records as a new file, atomically. */
static int
rewrite(struct po_seen *s, struct x402_detail *d, int dirfd)
{
	struct x402_buf b;
	uint8_t rec[PO_SEEN_REC], head[HEAD_LEN];
	size_t i;
	int r;

	memcpy(head, MAGIC, MAGIC_LEN);
	put_le(head + MAGIC_LEN, (uint64_t)s->horizon, 8);
	memset(head + MAGIC_LEN + 8, 0, 8);
	x402_buf_init(&b, HEAD_LEN + (size_t)PO_SEEN_REC * PO_SEEN_MAX);
	if ((r = x402_buf_add(&b, head, sizeof(head))) != 0)
		goto nomem;
	for (i = 0; i < s->cap; i++) {
		if (!s->used[i])
			continue;
		encode(rec, &s->tab[i]);
		if ((r = x402_buf_add(&b, rec, sizeof(rec))) != 0)
			goto nomem;
	}
	r = po_atomic_write(dirfd, d, FILE_NAME, b.p, b.len);
	goto out;
nomem:
	r = x402_fail(d, r, "%s: cannot build the file", FILE_NAME);
out:
	x402_buf_free(&b);
	return r;
}

void
po_seen_init(struct po_seen *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	x402_buf_init(&s->pend, (size_t)PO_SEEN_REC * 8192);
}

int
po_seen_parse(struct po_seen *s, struct x402_detail *d, const uint8_t *p,
    size_t len, uint64_t committed, int64_t min_time, size_t *dropped)
{
	struct po_seen_ent e;
	size_t nrec, i, old = 0;
	int r;

	*dropped = 0;
	if (len == 0)
		return 0;
	if (len < HEAD_LEN || memcmp(p, MAGIC, MAGIC_LEN) != 0)
		return x402_fail(d, X402_ERR_SYNTAX, "%s: not a seen-transfer "
		    "file (bad magic)", FILE_NAME);
	if (len > HEAD_LEN + (size_t)PO_SEEN_REC * PO_SEEN_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "%s: more than %u records "
		    "(shorten verify_window)", FILE_NAME, PO_SEEN_MAX);
	s->horizon = (int64_t)get_le(p + MAGIC_LEN, 8);
	nrec = (len - HEAD_LEN) / PO_SEEN_REC;
	if ((len - HEAD_LEN) % PO_SEEN_REC != 0)
		(*dropped)++;	/* a torn last record */
	p += HEAD_LEN;
	for (i = 0; i < nrec; i++, p += PO_SEEN_REC) {
		decode(&e, p);
		if (e.step > committed || e.time < min_time) {
			(*dropped)++;
			old += e.step <= committed;
			continue;
		}
		if ((r = insert(s, &e)) < 0)
			return x402_fail(d, r, "%s: cannot hold %zu records",
			    FILE_NAME, nrec);
	}
	/* Forgetting a transfer moves the horizon: nothing settled before
	 * it can be vouched for again, even if the window is widened. */
	if (old > 0 && min_time > s->horizon)
		s->horizon = min_time;
	return 0;
}

int
po_seen_open(struct po_seen *s, struct x402_detail *d, int dirfd,
    uint64_t committed, int64_t min_time, int dry)
{
	struct x402_buf b;
	size_t dropped = 0;
	int fd = -1, r;

	po_seen_init(s);
	x402_buf_init(&b, HEAD_LEN + (size_t)PO_SEEN_REC * PO_SEEN_MAX);
	errno = ENOENT;		/* no state directory yet (dry run) */
	if (dirfd >= 0)
		fd = openat(dirfd, FILE_NAME, O_RDONLY | O_CLOEXEC |
		    O_NOFOLLOW);
	if (fd < 0 && errno != ENOENT) {
		r = x402_fail(d, X402_ERR_IO, "open %s: %s", FILE_NAME,
		    strerror(errno));
		goto out;
	}
	if (fd >= 0 && ((r = read_all(fd, &b, d)) != 0 ||
	    (r = po_seen_parse(s, d, (const uint8_t *)b.p, b.len, committed,
	    min_time, &dropped)) != 0))
		goto out;
	if (dry) {
		r = 0;
		goto out;
	}
	if ((fd < 0 || b.len == 0 || dropped > 0) &&
	    (r = rewrite(s, d, dirfd)) != 0)
		goto out;
	s->fd = openat(dirfd, FILE_NAME, O_WRONLY | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW);
	if (s->fd < 0) {
		r = x402_fail(d, X402_ERR_IO, "open %s: %s", FILE_NAME,
		    strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	x402_buf_free(&b);
	return r;
}

int
po_seen_has(const struct po_seen *s, const uint8_t tx[32], uint32_t log)
{
	if (s->cap == 0)
		return 0;
	return s->used[find(s, tx, log)];
}

int
po_seen_add(struct po_seen *s, const uint8_t tx[32], uint32_t log,
    int64_t time, uint64_t step)
{
	struct po_seen_ent e;
	uint8_t rec[PO_SEEN_REC];
	int r;

	memcpy(e.tx, tx, 32);
	e.log = log;
	e.time = time;
	e.step = step;
	if ((r = insert(s, &e)) != 0)
		return r < 0 ? r : 0;
	encode(rec, &e);
	return x402_buf_add(&s->pend, rec, sizeof(rec));
}

int
po_seen_flush(struct po_seen *s, struct x402_detail *d)
{
	int r;

	if (s->pend.len == 0)
		return 0;
	if (s->fd < 0)
		return x402_fail(d, X402_ERR_IO, "%s: not open for writing",
		    FILE_NAME);
	if ((r = po_write_all(s->fd, d, FILE_NAME, s->pend.p,
	    s->pend.len)) != 0)
		return r;
	x402_buf_reset(&s->pend);
	return 0;
}

void
po_seen_close(struct po_seen *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->tab);
	free(s->used);
	s->tab = NULL;
	s->used = NULL;
	s->cap = s->n = 0;
	x402_buf_free(&s->pend);
}
