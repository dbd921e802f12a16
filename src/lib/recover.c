/* recover.c - receipt drafts and the chain questions of recovery. */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "protocol.h"
#include "recover.h"
#include "tx.h"

#define DIRMODE 0770
#define FILEMODE 0640
#define PATHMAX 4096
#define IDHEX (2 * X402_CLAIM_ID_LEN)
#define MAGIC "x402-draft 1 "
#define KEPT_MAGIC "x402-kept 1 "
#define KEPT_SUFFIX ".kept"
#define TAKEN_SUFFIX ".run"
#define KEPT_HEAD_MAX (64 + 64 + X402_KEPT_TYPE_MAX + 8)

struct x402_drafts {
	int dfd;
	char path[PATHMAX];
};

/* ---- drafts ------------------------------------------------------------ */

static int
dr_io(struct x402_detail *d, const struct x402_drafts *ds, const char *call,
    const char *name, int err)
{
	return x402_fail(d, X402_ERR_IO, "drafts %s: %s %s: %s", ds->path,
	    call, name, strerror(err));
}

static void
id_name(char out[IDHEX + 3], const uint8_t id[X402_CLAIM_ID_LEN])
{
	(void)x402_hex_encode(out, IDHEX + 3, id, X402_CLAIM_ID_LEN,
	    X402_HEX_PREFIX_NONE);
}

int
x402_drafts_open(struct x402_drafts **ds, struct x402_detail *d,
    const char *dir)
{
	struct x402_drafts *s;
	struct stat st;
	int r;

	if (ds == NULL || dir == NULL || dir[0] == '\0')
		return x402_fail(d, X402_ERR_INVAL, "drafts: no directory");
	*ds = NULL;
	if (strlen(dir) >= PATHMAX)
		return x402_fail(d, X402_ERR_LIMIT, "drafts: path too long");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return x402_fail(d, X402_ERR_NOMEM, "drafts: out of memory");
	memcpy(s->path, dir, strlen(dir) + 1);
	s->dfd = -1;
	if (mkdir(dir, DIRMODE) != 0 && errno != EEXIST) {
		r = dr_io(d, s, "mkdir", dir, errno);
		goto out;
	}
	if ((s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = dr_io(d, s, "open", dir, errno);
		goto out;
	}
	if (fstat(s->dfd, &st) != 0 || !S_ISDIR(st.st_mode)) {
		r = dr_io(d, s, "fstat", dir, ENOTDIR);
		goto out;
	}
	*ds = s;
	s = NULL;
	r = 0;
out:
	x402_drafts_close(s);
	return r;
}

void
x402_drafts_close(struct x402_drafts *ds)
{
	if (ds == NULL)
		return;
	if (ds->dfd >= 0)
		close(ds->dfd);
	free(ds);
}

/* Writes DIR/name as a whole: tmp + fsync + rename + fsync of DIR. */
static int
dr_write(struct x402_drafts *ds, struct x402_detail *d, const char *name,
    const char *p, size_t len)
{
	char tmp[IDHEX + 32];
	uint8_t rnd[8];
	size_t off = 0;
	ssize_t n;
	int fd = -1, r;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return dr_io(d, ds, "getrandom", name, errno ? errno : EIO);
	snprintf(tmp, sizeof(tmp), ".tmp.%02x%02x%02x%02x%02x%02x%02x%02x",
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	fd = openat(ds->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, FILEMODE);
	if (fd < 0)
		return dr_io(d, ds, "open", tmp, errno);
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = dr_io(d, ds, "write", tmp, errno);
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		r = dr_io(d, ds, "fsync", tmp, errno);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = dr_io(d, ds, "close", tmp, errno);
		goto out;
	}
	fd = -1;
	if (renameat(ds->dfd, tmp, ds->dfd, name) != 0) {
		r = dr_io(d, ds, "rename", name, errno);
		goto out;
	}
	if (fsync(ds->dfd) != 0) {
		r = dr_io(d, ds, "fsync", ".", errno);
		(void)unlinkat(ds->dfd, name, 0);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		(void)unlinkat(ds->dfd, tmp, 0);
	return r;
}

int
x402_draft_put(struct x402_drafts *ds, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN], long pid, int64_t watch,
    const struct x402_receipt *rc)
{
	struct x402_receipt copy;
	struct x402_buf b;
	char name[IDHEX + 3];
	int r;

	if (ds == NULL || id == NULL || rc == NULL || pid <= 0 || watch < 0)
		return x402_fail(d, X402_ERR_INVAL, "drafts: bad argument");
	x402_buf_init(&b, X402_DRAFT_MAX);
	id_name(name, id);
	copy = *rc;
	copy.transaction[0] = '\0';
	copy.settlement = NULL;
	if ((r = x402_buf_printf(&b, MAGIC "%ld %lld\n", pid,
	    (long long)watch)) != 0 ||
	    (r = x402_receipt_format(&b, &copy)) != 0 ||
	    (r = x402_buf_adds(&b, "\n")) != 0) {
		r = x402_fail(d, r, "drafts: draft %s over %d bytes", name,
		    X402_DRAFT_MAX);
		goto out;
	}
	r = dr_write(ds, d, name, b.p, b.len);
out:
	x402_buf_free(&b);
	return r;
}

/* Reads until cap bytes or the end.  Out: *len.  Returns 0 or an errno. */
static int
read_upto(int fd, char *p, size_t cap, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < cap) {
		n = read(fd, p + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

/* Removes DIR/name durably.  what: "draft" or "kept response". */
static int
dr_unlink(struct x402_drafts *ds, struct x402_detail *d, const char *name,
    const char *what)
{
	if (unlinkat(ds->dfd, name, 0) != 0)
		return errno == ENOENT ? x402_fail(d, X402_ERR_NOTFOUND,
		    "drafts %s: no %s %s", ds->path, what, name) :
		    dr_io(d, ds, "unlink", name, errno);
	if (fsync(ds->dfd) != 0)
		return dr_io(d, ds, "fsync", ".", errno);
	return 0;
}

int
x402_draft_get(struct x402_drafts *ds, struct x402_receipt *rc, long *pid,
    int64_t *watch, int64_t *mtime, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN])
{
	char name[IDHEX + 3], *buf = NULL, *end, *nl;
	long long w;
	struct stat st;
	size_t len = 0;
	int fd = -1, r;

	memset(rc, 0, sizeof(*rc));
	if (ds == NULL || pid == NULL || watch == NULL || mtime == NULL ||
	    id == NULL)
		return x402_fail(d, X402_ERR_INVAL, "drafts: bad argument");
	id_name(name, id);
	fd = openat(ds->dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? x402_fail(d, X402_ERR_NOTFOUND,
		    "drafts %s: no draft %s", ds->path, name) :
		    dr_io(d, ds, "open", name, errno);
	if (fstat(fd, &st) != 0) {
		r = dr_io(d, ds, "fstat", name, errno);
		goto out;
	}
	if ((buf = malloc(X402_DRAFT_MAX + 1)) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "drafts: out of memory");
		goto out;
	}
	if ((r = read_upto(fd, buf, X402_DRAFT_MAX, &len)) != 0) {
		r = dr_io(d, ds, "read", name, r);
		goto out;
	}
	buf[len] = '\0';
	r = x402_fail(d, X402_ERR_SYNTAX, "drafts %s: %s is unreadable",
	    ds->path, name);
	if (len == X402_DRAFT_MAX || strlen(buf) != len ||
	    strncmp(buf, MAGIC, sizeof(MAGIC) - 1) != 0 ||
	    (nl = strchr(buf, '\n')) == NULL)
		goto out;
	errno = 0;
	*pid = strtol(buf + sizeof(MAGIC) - 1, &end, 10);
	if (*end != ' ' || errno != 0 || *pid <= 0)
		goto out;
	w = strtoll(end + 1, &end, 10);
	if (end != nl || errno != 0 || w < 0 || end[-1] == ' ' || len < 2 ||
	    buf[len - 1] != '\n')
		goto out;
	*watch = (int64_t)w;
	if (x402_receipt_parse(rc, d, nl + 1, len - 1 - (size_t)(nl + 1 -
	    buf)) != 0) {
		x402_receipt_free(rc);
		r = x402_fail(d, X402_ERR_SYNTAX, "drafts %s: %s is "
		    "unreadable", ds->path, name);
		goto out;
	}
	*mtime = (int64_t)st.st_mtime;
	r = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

int
x402_draft_drop(struct x402_drafts *ds, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN])
{
	char name[IDHEX + 3];

	if (ds == NULL || id == NULL)
		return x402_fail(d, X402_ERR_INVAL, "drafts: bad argument");
	id_name(name, id);
	return dr_unlink(ds, d, name, "draft");
}

/* Calls fn for each DIR/<id><suffix>. */
static int
dr_each(struct x402_drafts *ds, struct x402_detail *d, const char *suffix,
    x402_draft_fn fn, void *arg)
{
	uint8_t id[X402_CLAIM_ID_LEN];
	struct dirent *de;
	DIR *dp;
	size_t i, got;
	int fd, r = 0;

	if (ds == NULL || fn == NULL)
		return x402_fail(d, X402_ERR_INVAL, "drafts: bad argument");
	if ((fd = openat(ds->dfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return dr_io(d, ds, "open", ".", errno);
	if ((dp = fdopendir(fd)) == NULL) {
		r = dr_io(d, ds, "fdopendir", ".", errno);
		close(fd);
		return r;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL) {
			if (errno != 0)
				r = dr_io(d, ds, "readdir", ".", errno);
			break;
		}
		for (i = 0; i < IDHEX; i++) {
			char c = de->d_name[i];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				break;
		}
		if (i != IDHEX || strcmp(de->d_name + IDHEX, suffix) != 0 ||
		    x402_hex_decode(id, sizeof(id), &got, de->d_name,
		    IDHEX, X402_HEX_PREFIX_OPTIONAL) != 0 || got != sizeof(id))
			continue;
		if ((r = fn(arg, id)) != 0)
			break;
	}
	closedir(dp);
	return r;
}

int
x402_draft_each(struct x402_drafts *ds, struct x402_detail *d,
    x402_draft_fn fn, void *arg)
{
	return dr_each(ds, d, "", fn, arg);
}

/* ---- kept responses ------------------------------------------------------ */

static void
kept_name(char out[IDHEX + 8], const uint8_t id[X402_CLAIM_ID_LEN])
{
	char h[IDHEX + 3];

	id_name(h, id);
	snprintf(out, IDHEX + 8, "%s" KEPT_SUFFIX, h);
}

/* DIR/<id>.run: the run of a "paid, not run yet" response was taken. */
static void
taken_name(char out[IDHEX + 8], const uint8_t id[X402_CLAIM_ID_LEN])
{
	char h[IDHEX + 3];

	id_name(h, id);
	snprintf(out, IDHEX + 8, "%s" TAKEN_SUFFIX, h);
}

static int
type_ok(const char *t)
{
	size_t i;

	for (i = 0; t[i] != '\0'; i++)
		if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e)
			return 0;
	return i > 0 && i <= X402_KEPT_TYPE_MAX;
}

int
x402_kept_put(struct x402_drafts *ds, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN], const struct x402_kept *k,
    const void *body, size_t len)
{
	struct x402_buf b;
	char name[IDHEX + 8], hh[67];
	int r;

	if (ds == NULL || id == NULL || k == NULL || (body == NULL && len) ||
	    (k->status != 0 && (k->status < 100 || k->status > 599)) ||
	    (k->status == 0 && len != 0) || k->until < 0 ||
	    !type_ok(k->type))
		return x402_fail(d, X402_ERR_INVAL, "drafts: bad argument");
	if (len > X402_KEPT_BODY_MAX)
		return x402_fail(d, X402_ERR_LIMIT, "drafts: kept response "
		    "over %d bytes", X402_KEPT_BODY_MAX);
	kept_name(name, id);
	(void)x402_hex_encode(hh, sizeof(hh), k->hdr_hash, 32,
	    X402_HEX_PREFIX_NONE);
	x402_buf_init(&b, len + 512);
	if ((r = x402_buf_printf(&b, KEPT_MAGIC "%d %lld %zu\n%s\n%s\n",
	    k->status, (long long)k->until, len, hh, k->type)) != 0 ||
	    (r = x402_buf_add(&b, body != NULL ? body : "", len)) != 0) {
		r = x402_fail(d, r, "drafts: kept response %s: %s", name,
		    x402_strerror(r));
		goto out;
	}
	r = dr_write(ds, d, name, b.p, b.len);
out:
	x402_buf_free(&b);
	return r;
}

int
x402_kept_get(struct x402_drafts *ds, struct x402_kept *k,
    struct x402_buf *body, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN])
{
	char name[IDHEX + 8], head[KEPT_HEAD_MAX + 1], *p, *end, *nl;
	long long until, blen;
	size_t len = 0, got;
	int fd = -1, r;

	memset(k, 0, sizeof(*k));
	if (ds == NULL || body == NULL || id == NULL)
		return x402_fail(d, X402_ERR_INVAL, "drafts: bad argument");
	kept_name(name, id);
	fd = openat(ds->dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? x402_fail(d, X402_ERR_NOTFOUND,
		    "drafts %s: no kept response %s", ds->path, name) :
		    dr_io(d, ds, "open", name, errno);
	/* The head: three lines, at most KEPT_HEAD_MAX bytes. */
	if ((r = read_upto(fd, head, KEPT_HEAD_MAX, &len)) != 0) {
		r = dr_io(d, ds, "read", name, r);
		goto out;
	}
	head[len] = '\0';
	r = x402_fail(d, X402_ERR_SYNTAX, "drafts %s: %s is unreadable",
	    ds->path, name);
	if (strncmp(head, KEPT_MAGIC, sizeof(KEPT_MAGIC) - 1) != 0)
		goto out;
	p = head + sizeof(KEPT_MAGIC) - 1;
	errno = 0;
	k->status = (int)strtol(p, &end, 10);
	if (*end != ' ' || (k->status != 0 && (k->status < 100 ||
	    k->status > 599)))
		goto out;
	until = strtoll(end + 1, &end, 10);
	if (*end != ' ' || until < 0)
		goto out;
	blen = strtoll(end + 1, &end, 10);
	if (*end != '\n' || errno != 0 || blen < 0 ||
	    blen > X402_KEPT_BODY_MAX)
		goto out;
	k->until = (int64_t)until;
	p = end + 1;
	if ((nl = memchr(p, '\n', len - (size_t)(p - head))) == NULL ||
	    nl - p != 64 || x402_hex_decode(k->hdr_hash, 32, &got, p, 64,
	    X402_HEX_PREFIX_NONE) != 0 || got != 32)
		goto out;
	p = nl + 1;
	if ((nl = memchr(p, '\n', len - (size_t)(p - head))) == NULL ||
	    (size_t)(nl - p) > X402_KEPT_TYPE_MAX || nl == p)
		goto out;
	memcpy(k->type, p, (size_t)(nl - p));
	k->type[nl - p] = '\0';
	if (!type_ok(k->type))
		goto out;
	p = nl + 1;
	/* The body: what is left of the head, then the rest of the file. */
	x402_buf_reset(body);
	if ((size_t)(head + len - p) > (size_t)blen)
		goto out;
	if ((r = x402_buf_reserve(body, (size_t)blen)) != 0) {
		r = x402_fail(d, r, "drafts: kept response %s: %lld bytes",
		    name, blen);
		goto out;
	}
	if ((r = x402_buf_add(body, p, (size_t)(head + len - p))) != 0)
		goto out;
	if ((r = read_upto(fd, body->p + body->len, (size_t)blen - body->len,
	    &got)) != 0) {
		r = dr_io(d, ds, "read", name, r);
		goto out;
	}
	body->len += got;
	r = x402_fail(d, X402_ERR_SYNTAX, "drafts %s: %s is unreadable",
	    ds->path, name);
	if (body->len != (size_t)blen || read(fd, head, 1) != 0)
		goto out;
	body->p[body->len] = '\0';
	x402_detail_clear(d);
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

int
x402_kept_drop(struct x402_drafts *ds, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN])
{
	char name[IDHEX + 8];
	int r;

	if (ds == NULL || id == NULL)
		return x402_fail(d, X402_ERR_INVAL, "drafts: bad argument");
	kept_name(name, id);
	if ((r = dr_unlink(ds, d, name, "kept response")) != 0)
		return r;
	/* The mark of a taken run goes with it (none: nothing to do). */
	taken_name(name, id);
	if (unlinkat(ds->dfd, name, 0) != 0 && errno != ENOENT)
		return dr_io(d, ds, "unlink", name, errno);
	return 0;
}

int
x402_kept_take(struct x402_drafts *ds, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN])
{
	char name[IDHEX + 8];
	int fd;

	if (ds == NULL || id == NULL)
		return x402_fail(d, X402_ERR_INVAL, "drafts: bad argument");
	taken_name(name, id);
	/* O_EXCL: of all the takers, one creates it. */
	fd = openat(ds->dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd < 0)
		return errno == EEXIST ? x402_fail(d, X402_ERR_DUPLICATE,
		    "drafts %s: %s already taken", ds->path, name) :
		    dr_io(d, ds, "create", name, errno);
	close(fd);
	/* Durable before the command runs: a restart never runs it again. */
	if (fsync(ds->dfd) != 0)
		return dr_io(d, ds, "fsync", ".", errno);
	return 0;
}

int
x402_kept_each(struct x402_drafts *ds, struct x402_detail *d,
    x402_draft_fn fn, void *arg)
{
	return dr_each(ds, d, KEPT_SUFFIX, fn, arg);
}

/* ---- chain ------------------------------------------------------------- */

/* One word of a view call at "latest". */
static int
view_word(struct x402_rpc *rpc, uint8_t word[32], struct x402_detail *d,
    const uint8_t to[X402_ADDR_LEN], const uint8_t *call, size_t len,
    const char *what)
{
	struct x402_buf ret;
	int r;

	x402_buf_init(&ret, 1024);
	if ((r = x402_rpc_eth_call(rpc, &ret, to, call, len, "latest",
	    d)) != 0)
		goto out;
	if (ret.len != 32) {
		r = x402_fail(d, X402_ERR_BADREPLY, "recover: %s returned %zu "
		    "bytes, not one word", what, ret.len);
		goto out;
	}
	memcpy(word, ret.p, 32);
out:
	x402_buf_free(&ret);
	return r;
}

int
x402_recover_used(struct x402_rpc *rpc, int *used, struct x402_detail *d,
    int permit2, const uint8_t asset[X402_ADDR_LEN],
    const uint8_t payer[X402_ADDR_LEN], const uint8_t nonce[32])
{
	struct x402_buf call;
	x402_u256 pos;
	uint8_t w[32], be[32];
	unsigned bit = nonce != NULL ? nonce[31] : 0;
	int r;

	if (rpc == NULL || used == NULL || asset == NULL || payer == NULL ||
	    nonce == NULL)
		return x402_fail(d, X402_ERR_INVAL, "recover: NULL argument");
	x402_buf_init(&call, 256);
	if (!permit2) {
		if ((r = x402_abi_authorization_state(&call, payer,
		    nonce)) == 0)
			r = view_word(rpc, w, d, asset,
			    (const uint8_t *)call.p, call.len,
			    "authorizationState");
		x402_buf_free(&call);
		if (r != 0)
			return r;
		if (x402_abi_decode_bool(used, w, sizeof(w)) != 0)
			return x402_fail(d, X402_ERR_BADREPLY, "recover: "
			    "authorizationState returned no bool");
		return 0;
	}
	/* Permit2's unordered nonce: bit nonce & 0xff of the word
	 * nonceBitmap(owner, nonce >> 8), big-endian. */
	be[0] = 0;
	memcpy(be + 1, nonce, 31);
	x402_u256_from_be(&pos, be);
	if ((r = x402_abi_nonce_bitmap(&call, payer, &pos)) == 0)
		r = view_word(rpc, w, d, x402_permit2_address,
		    (const uint8_t *)call.p, call.len, "nonceBitmap");
	x402_buf_free(&call);
	if (r != 0)
		return r;
	*used = (w[31 - bit / 8] >> (bit % 8)) & 1;
	return 0;
}

/* "0x" + 2n hex digits of a JSON string member into out. */
static int
json_hex(uint8_t *out, size_t n, struct json_object *o, const char *key)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (strlen(s) != 2 + 2 * n || strncmp(s, "0x", 2) != 0)
		return -1;
	return x402_hex_decode_exact(out, n, s, strlen(s)) == 0 ? 0 : -1;
}

static void
hex32(char out[67], const uint8_t p[32])
{
	(void)x402_hex_encode(out, 67, p, 32, X402_HEX_PREFIX_REQUIRED);
}

static void
topic_addr(char out[67], const uint8_t a[X402_ADDR_LEN])
{
	uint8_t w[32];

	memset(w, 0, 12);
	memcpy(w + 12, a, X402_ADDR_LEN);
	hex32(out, w);
}

int
x402_recover_find(struct x402_rpc *rpc, struct x402_recover_tx *out,
    struct x402_detail *d, const struct x402_receipt *rc, uint64_t blocks)
{
	struct json_object *res = NULL, *lg, *v;
	char params[1024], asset[X402_ADDR_STRLEN + 1], t0[67], t1[67], t2[67];
	uint8_t data[32];
	uint64_t head, from;
	size_t i, n;
	int upto, r;

	if (rpc == NULL || out == NULL || rc == NULL || blocks == 0 ||
	    blocks > X402_RECOVER_BLOCKS_MAX)
		return x402_fail(d, X402_ERR_INVAL, "recover: bad argument");
	memset(out, 0, sizeof(*out));
	upto = strcmp(rc->scheme, "upto") == 0;
	if ((r = x402_rpc_block_number(rpc, &head, d)) != 0)
		return r;
	from = head >= blocks ? head - blocks + 1 : 0;
	x402_addr_format(asset, rc->asset);
	topic_addr(t1, rc->payer);
	if (upto) {
		hex32(t0, x402_abi_topic_transfer);
		topic_addr(t2, rc->pay_to);
	} else {
		hex32(t0, x402_abi_topic_authorization_used);
		hex32(t2, rc->nonce);
	}
	snprintf(params, sizeof(params), "[{\"address\":\"%s\",\"topics\":"
	    "[\"%s\",\"%s\",\"%s\"],\"fromBlock\":\"0x%llx\",\"toBlock\":"
	    "\"latest\"}]", asset, t0, t1, t2, (unsigned long long)from);
	if ((r = x402_rpc_call(rpc, &res, "eth_getLogs", params, d)) != 0)
		return r;
	if (res == NULL || !json_object_is_type(res, json_type_array)) {
		r = x402_fail(d, X402_ERR_BADREPLY, "recover: eth_getLogs "
		    "returned no array");
		goto out;
	}
	n = json_object_array_length(res);
	if (n > X402_RECOVER_LOGS_MAX) {
		r = x402_fail(d, X402_ERR_LIMIT, "recover: eth_getLogs "
		    "returned %zu logs (at most %d read)", n,
		    X402_RECOVER_LOGS_MAX);
		goto out;
	}
	r = 0;
	/* upto: only one Transfer from the payer to payTo can be told. */
	if (n == 0 || (upto && n != 1))
		goto out;
	for (i = 0; i < n; i++) {
		lg = json_object_array_get_idx(res, i);
		if (lg == NULL || json_hex(out->tx, 32, lg,
		    "transactionHash") != 0) {
			r = x402_fail(d, X402_ERR_BADREPLY, "recover: a log "
			    "without transactionHash");
			goto out;
		}
		if (json_object_object_get_ex(lg, "removed", &v) &&
		    json_object_get_boolean(v))
			continue;
		if (json_object_object_get_ex(lg, "blockNumber", &v) &&
		    json_object_is_type(v, json_type_string)) {
			x402_u256 b;

			if (x402_u256_parse_hex(&b, json_object_get_string(v),
			    strlen(json_object_get_string(v))) == 0)
				(void)x402_u256_get_u64(&b, &out->block);
		}
		if (upto) {
			if (json_hex(data, 32, lg, "data") != 0) {
				r = x402_fail(d, X402_ERR_BADREPLY, "recover: "
				    "a Transfer log without its value");
				goto out;
			}
			x402_u256_from_be(&out->amount, data);
			if (x402_u256_cmp(&out->amount, &rc->max_amount) > 0)
				goto out;	/* not this payment */
		} else
			out->amount = rc->amount;
		out->found = 1;
		break;
	}
out:
	if (!out->found)
		memset(out, 0, sizeof(*out));
	json_object_put(res);
	return r;
}

int
x402_recover_tx_amount(struct x402_rpc *rpc, struct x402_recover_tx *out,
    struct x402_detail *d, const uint8_t tx[32],
    const struct x402_receipt *rc)
{
	struct x402_rpc_receipt *rcpt;
	const struct x402_rpc_log *l;
	uint8_t w[32];
	size_t i, hits = 0;
	int r;

	if (rpc == NULL || out == NULL || tx == NULL || rc == NULL)
		return x402_fail(d, X402_ERR_INVAL, "recover: NULL argument");
	memset(out, 0, sizeof(*out));
	if ((rcpt = calloc(1, sizeof(*rcpt))) == NULL)
		return x402_fail(d, X402_ERR_NOMEM, "recover: out of memory");
	if ((r = x402_rpc_get_transaction_receipt(rpc, rcpt, tx, d)) != 0)
		goto out;
	if (!rcpt->found || rcpt->status != 1)
		goto out;
	for (i = 0; i < rcpt->nlogs; i++) {
		l = &rcpt->logs[i];
		if (memcmp(l->address, rc->asset, X402_ADDR_LEN) != 0 ||
		    l->ntopics != 3 || l->datalen != 32 ||
		    memcmp(l->topics[0], x402_abi_topic_transfer, 32) != 0)
			continue;
		memset(w, 0, 12);
		memcpy(w + 12, rc->payer, X402_ADDR_LEN);
		if (memcmp(l->topics[1], w, 32) != 0)
			continue;
		memcpy(w + 12, rc->pay_to, X402_ADDR_LEN);
		if (memcmp(l->topics[2], w, 32) != 0)
			continue;
		x402_u256_from_be(&out->amount, l->data);
		hits++;
	}
	if (hits == 1 && x402_u256_cmp(&out->amount, &rc->max_amount) <= 0) {
		out->found = 1;
		memcpy(out->tx, tx, 32);
		out->block = rcpt->block_number;
	} else
		memset(out, 0, sizeof(*out));
out:
	free(rcpt);
	return r;
}
