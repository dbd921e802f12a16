/*
 * batch.c - payout batches and their journal (see batch.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "codec.h"
#include "keccak.h"
#include "ledger.h"

#define MAGIC "x402-payout-batch 1"

static const char *const state_names[] = { "new", "sent", "paid" };

void
po_batch_nonce(uint8_t nonce[32], const uint8_t instance[16], uint64_t batch,
    const uint8_t payee[20])
{
	struct x402_keccak k;
	uint8_t be[8];
	int i;

	for (i = 0; i < 8; i++)
		be[i] = (uint8_t)(batch >> (56 - 8 * i));
	x402_keccak_init(&k);
	x402_keccak_update(&k, "x402-payout", 11);
	x402_keccak_update(&k, instance, 16);
	x402_keccak_update(&k, be, 8);
	x402_keccak_update(&k, payee, 20);
	x402_keccak_final(&k, nonce);
}

void
po_batch_filename(char out[24], uint64_t id)
{
	snprintf(out, 24, "%010llu", (unsigned long long)id);
}

int
po_batch_sign(struct po_xfer *x, const struct x402_sig_ctx *ctx,
    const uint8_t domsep[32], const uint8_t seckey[32])
{
	uint8_t h[32], dg[32];

	x402_eip712_eip3009_hash(h, &x->auth);
	x402_eip712_digest(dg, domsep, h);
	return x402_sig_sign(ctx, x->sig, dg, seckey);
}

static int
hexw(struct x402_buf *b, const uint8_t *p, size_t n)
{
	char s[2 * X402_SIG_LEN + 3];

	(void)x402_hex_encode(s, sizeof(s), p, n, X402_HEX_PREFIX_REQUIRED);
	return x402_buf_printf(b, " %s", s);
}

static int
decw(struct x402_buf *b, const x402_u256 *v)
{
	char s[X402_U256_DECLEN + 1];

	(void)x402_u256_format_dec(s, sizeof(s), v);
	return x402_buf_printf(b, " %s", s);
}

int
po_batch_format(struct x402_buf *b, const struct po_batch *bt)
{
	char a[X402_ADDR_STRLEN + 1];
	size_t i;
	int r;

	x402_addr_format(a, bt->asset);
	if ((r = x402_buf_printf(b, MAGIC "\nid %llu\ncreated %llu\n"
	    "closed %llu\nnetwork %s\nasset %s\n",
	    (unsigned long long)bt->id, (unsigned long long)bt->created,
	    (unsigned long long)bt->closed, bt->network, a)) != 0)
		return r;
	for (i = 0; i < bt->n; i++) {
		const struct po_xfer *x = &bt->x[i];
		char from[X402_ADDR_STRLEN + 1], to[X402_ADDR_STRLEN + 1];

		x402_addr_format(from, x->auth.from);
		x402_addr_format(to, x->auth.to);
		if ((r = x402_buf_printf(b, "xfer %s %s %s %s %llu", x->name,
		    state_names[x->state], from, to,
		    (unsigned long long)x->time)) ||
		    (r = decw(b, &x->auth.value)) ||
		    (r = decw(b, &x->auth.valid_after)) ||
		    (r = decw(b, &x->auth.valid_before)) ||
		    (r = hexw(b, x->auth.nonce, 32)) ||
		    (r = hexw(b, x->sig, X402_SIG_LEN)))
			return r;
		if (x->has_tx)
			r = hexw(b, x->tx, 32);
		else
			r = x402_buf_adds(b, " -");
		if (r != 0 || (r = x402_buf_adds(b, "\n")) != 0)
			return r;
	}
	return x402_buf_adds(b, "end\n");
}

#define WMAX 14
/* The header lines po_batch_format writes; each must appear once. */
static const char *const head_names[] = { "id", "created", "closed",
    "network", "asset" };
#define NHEAD (sizeof(head_names) / sizeof(head_names[0]))

int
po_batch_parse(struct po_batch *bt, struct x402_detail *d, const char *text,
    size_t len)
{
	char *copy, *line, *next, *w[WMAX], *p;
	unsigned lineno = 0;
	size_t n, i;
	int r = X402_ERR_SYNTAX, ended = 0;
	unsigned seen = 0;
	x402_u256 t;

	memset(bt, 0, sizeof(*bt));
	if (memchr(text, '\0', len) != NULL)
		return x402_fail(d, r, "batch journal: NUL byte");
	if ((copy = malloc(len + 1)) == NULL)
		return X402_ERR_NOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (line = copy; *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) == NULL || ended)
			goto bad;
		*next++ = '\0';
		if (lineno == 1) {
			if (strcmp(line, MAGIC) != 0)
				goto bad;
			continue;
		}
		for (n = 0, p = line; *p != '\0'; n++) {
			if (n == WMAX)
				goto bad;
			w[n] = p;
			p += strcspn(p, " ");
			if (*p == ' ')
				*p++ = '\0';
		}
#define U64(dst, s) (x402_u256_parse_dec(&t, (s), strlen(s)) != 0 || \
	!x402_u256_get_u64(&t, (dst)))
		if (n == 0)
			goto bad;
		for (i = 0; i < NHEAD; i++)
			if (strcmp(w[0], head_names[i]) == 0)
				break;
		if (i < NHEAD) {
			/* Each header line exactly once, with a value. */
			if (seen & (1u << i))
				goto bad;
			seen |= 1u << i;
		}
		if (n == 1 && strcmp(w[0], "end") == 0)
			ended = 1;
		else if (n == 2 && strcmp(w[0], "id") == 0) {
			if (U64(&bt->id, w[1]))
				goto bad;
		} else if (n == 2 && strcmp(w[0], "created") == 0) {
			if (U64(&bt->created, w[1]))
				goto bad;
		} else if (n == 2 && strcmp(w[0], "closed") == 0) {
			if (U64(&bt->closed, w[1]))
				goto bad;
		} else if (n == 2 && strcmp(w[0], "network") == 0) {
			if (strlen(w[1]) >= sizeof(bt->network))
				goto bad;
			memcpy(bt->network, w[1], strlen(w[1]) + 1);
		} else if (n == 2 && strcmp(w[0], "asset") == 0) {
			if (x402_addr_parse(bt->asset, w[1], strlen(w[1])))
				goto bad;
		} else if (n == 12 && strcmp(w[0], "xfer") == 0) {
			struct po_xfer *x;

			if (bt->n == PO_PAYEES_MAX ||
			    strlen(w[1]) > PO_NAME_MAX)
				goto bad;
			x = &bt->x[bt->n];
			memcpy(x->name, w[1], strlen(w[1]) + 1);
			for (i = 0; i < 3; i++)
				if (strcmp(w[2], state_names[i]) == 0)
					break;
			if (i == 3)
				goto bad;
			x->state = (int)i;
			if (x402_addr_parse(x->auth.from, w[3], strlen(w[3])) ||
			    x402_addr_parse(x->auth.to, w[4], strlen(w[4])) ||
			    U64(&x->time, w[5]) ||
			    x402_u256_parse_dec(&x->auth.value, w[6],
			    strlen(w[6])) ||
			    x402_u256_parse_dec(&x->auth.valid_after, w[7],
			    strlen(w[7])) ||
			    x402_u256_parse_dec(&x->auth.valid_before, w[8],
			    strlen(w[8])) ||
			    x402_hex_decode_exact(x->auth.nonce, 32, w[9],
			    strlen(w[9])) ||
			    x402_hex_decode_exact(x->sig, X402_SIG_LEN, w[10],
			    strlen(w[10])))
				goto bad;
			if (strcmp(w[11], "-") != 0) {
				if (x402_hex_decode_exact(x->tx, 32, w[11],
				    strlen(w[11])))
					goto bad;
				x->has_tx = 1;
			}
			bt->n++;
		} else
			goto bad;
#undef U64
	}
	if (!ended || bt->id == 0 || seen != (1u << NHEAD) - 1 ||
	    bt->network[0] == '\0') {
		lineno++;
		goto bad;
	}
	r = 0;
	goto out;
bad:
	r = x402_fail(d, X402_ERR_SYNTAX, "batch journal line %u is malformed",
	    lineno);
out:
	free(copy);
	return r;
}

int
po_batch_save(const struct po_batch *bt, struct x402_detail *d, int dirfd)
{
	struct x402_buf b;
	char name[24];
	int r;

	x402_buf_init(&b, PO_BATCH_MAX);
	po_batch_filename(name, bt->id);
	if ((r = po_batch_format(&b, bt)) == 0)
		r = po_atomic_write(dirfd, d, name, b.p, b.len);
	else
		x402_fail(d, r, "batch %llu: %s", (unsigned long long)bt->id,
		    x402_strerror(r));
	x402_buf_free(&b);
	return r;
}

int
po_batch_load(struct po_batch *bt, struct x402_detail *d, int dirfd,
    uint64_t id)
{
	char name[24], *p = NULL;
	ssize_t k;
	size_t len = 0;
	int fd, r;

	po_batch_filename(name, id);
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return x402_fail(d, errno == ENOENT ? X402_ERR_NOTFOUND :
		    X402_ERR_IO, "batch %s: %s", name, strerror(errno));
	if ((p = malloc(PO_BATCH_MAX)) == NULL) {
		r = X402_ERR_NOMEM;
		goto out;
	}
	while ((k = read(fd, p + len, PO_BATCH_MAX - len)) > 0)
		len += (size_t)k;
	if (k < 0 || len == PO_BATCH_MAX) {
		r = x402_fail(d, k < 0 ? X402_ERR_IO : X402_ERR_LIMIT,
		    "batch %s: cannot read", name);
		goto out;
	}
	r = po_batch_parse(bt, d, p, len);
	if (r == 0 && bt->id != id)
		r = x402_fail(d, X402_ERR_SYNTAX, "batch %s: holds id %llu",
		    name, (unsigned long long)bt->id);
out:
	free(p);
	close(fd);
	return r;
}
