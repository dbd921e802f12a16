/* claim.c - exactly-once authorization claims: front end + file backend. */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "claim.h"
#include "keccak.h"

#define DIRMODE 0770
#define FILEMODE 0640
#define PATHMAX 4096
#define RECMAX 1024		/* largest claim file read */
#define IDHEX (2 * X402_CLAIM_ID_LEN)

struct x402_claim_store {
	const struct x402_claim_ops *ops;
	void *impl;
};

/* ---- front end --------------------------------------------------------- */

static int
net_ok(const char *net)
{
	size_t i, n = strnlen(net, X402_CLAIM_NETMAX + 1);

	if (n == 0 || n > X402_CLAIM_NETMAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = net[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == ':' || c == '_' ||
		    c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int
tx_ok(const char *tx)
{
	size_t i, n = strnlen(tx, X402_CLAIM_TXMAX + 1);

	if (n == 0 || n > X402_CLAIM_TXMAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (tx[i] <= ' ' || tx[i] > '~')
			return 0;
	}
	return 1;
}

int
x402_claim_id(uint8_t id[X402_CLAIM_ID_LEN], const struct x402_claim_key *key)
{
	static const char tag[] = "x402-claim-v1";	/* with its NUL */
	struct x402_keccak k;
	uint8_t n;

	if (id == NULL || key == NULL || !net_ok(key->network))
		return X402_ERR_INVAL;
	n = (uint8_t)strlen(key->network);
	x402_keccak_init(&k);
	x402_keccak_update(&k, tag, sizeof(tag));
	x402_keccak_update(&k, &n, 1);
	x402_keccak_update(&k, key->network, n);
	x402_keccak_update(&k, key->asset, sizeof(key->asset));
	x402_keccak_update(&k, key->payer, sizeof(key->payer));
	x402_keccak_update(&k, key->nonce, sizeof(key->nonce));
	x402_keccak_final(&k, id);
	return 0;
}

int
x402_claim_store_new(struct x402_claim_store **store, struct x402_detail *d,
    const struct x402_claim_ops *ops, void *impl)
{
	struct x402_claim_store *s;

	if (store == NULL || ops == NULL || ops->create == NULL ||
	    ops->remove == NULL || ops->settle == NULL || ops->get == NULL ||
	    ops->each == NULL || ops->close == NULL)
		return x402_fail(d, X402_ERR_INVAL, "claim: incomplete backend");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return x402_fail(d, X402_ERR_NOMEM, "claim: out of memory");
	s->ops = ops;
	s->impl = impl;
	*store = s;
	return 0;
}

void
x402_claim_close(struct x402_claim_store *store)
{
	if (store == NULL)
		return;
	store->ops->close(store->impl);
	free(store);
}

static int
random_bytes(struct x402_detail *d, void *p, size_t n)
{
	ssize_t r;

	do
		r = getrandom(p, n, 0);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)n)
		return x402_fail(d, X402_ERR_IO, "claim: getrandom: %s",
		    strerror(r < 0 ? errno : EIO));
	return 0;
}

int
x402_claim_acquire(struct x402_claim_store *store,
    struct x402_claim_token *tok, struct x402_detail *d,
    const struct x402_claim_key *key)
{
	struct x402_claim_state st;
	int r;

	if (store == NULL || tok == NULL || key == NULL)
		return x402_fail(d, X402_ERR_INVAL, "claim: NULL argument");
	memset(&st, 0, sizeof(st));
	if (x402_claim_id(st.token.id, key) != 0)
		return x402_fail(d, X402_ERR_INVAL, "claim: bad network id");
	if ((r = random_bytes(d, st.token.owner, sizeof(st.token.owner))) != 0)
		return r;
	st.status = X402_CLAIM_INFLIGHT;
	st.key = *key;
	st.pid = (long)getpid();
	st.since = (int64_t)time(NULL);
	if ((r = store->ops->create(store->impl, d, &st)) != 0)
		return r;
	*tok = st.token;
	return 0;
}

int
x402_claim_release(struct x402_claim_store *store, struct x402_detail *d,
    const struct x402_claim_token *tok)
{
	if (store == NULL || tok == NULL)
		return x402_fail(d, X402_ERR_INVAL, "claim: NULL argument");
	return store->ops->remove(store->impl, d, tok);
}

int
x402_claim_commit(struct x402_claim_store *store, struct x402_detail *d,
    const struct x402_claim_token *tok, const char *tx)
{
	struct x402_claim_state st;

	if (store == NULL || tok == NULL || tx == NULL)
		return x402_fail(d, X402_ERR_INVAL, "claim: NULL argument");
	if (!tx_ok(tx))
		return x402_fail(d, X402_ERR_INVAL, "claim: bad transaction "
		    "id (1..%d printable bytes, no spaces)", X402_CLAIM_TXMAX);
	memset(&st, 0, sizeof(st));
	st.status = X402_CLAIM_SETTLED;
	st.token = *tok;
	st.since = (int64_t)time(NULL);
	memcpy(st.tx, tx, strlen(tx) + 1);
	return store->ops->settle(store->impl, d, &st);
}

int
x402_claim_state(struct x402_claim_store *store,
    struct x402_claim_state *out, struct x402_detail *d,
    const struct x402_claim_key *key)
{
	uint8_t id[X402_CLAIM_ID_LEN];

	if (store == NULL || out == NULL || key == NULL)
		return x402_fail(d, X402_ERR_INVAL, "claim: NULL argument");
	if (x402_claim_id(id, key) != 0)
		return x402_fail(d, X402_ERR_INVAL, "claim: bad network id");
	return store->ops->get(store->impl, out, d, id);
}

/* Unix time at which process pid started (Linux /proc), or -1. */
static int64_t
proc_start(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0, btime = 0;
	long hz = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;
	int i, ok = 0;

	if (hz <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the ")" closing the name: 3 on; 22 is starttime. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (i = 3; i < 22 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu", &ticks) != 1)
		return -1;
	if ((f = fopen("/proc/stat", "re")) == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (sscanf(buf, "btime %llu", &btime) == 1) {
			ok = 1;
			break;
		}
	fclose(f);
	if (!ok)
		return -1;
	return (int64_t)(btime + ticks / (unsigned long long)hz);
}

int
x402_claim_worker_gone(long pid, int64_t since)
{
	int64_t start;

	if (pid <= 0)
		return 0;
	if (kill((pid_t)pid, 0) != 0)
		return errno == ESRCH;	/* EPERM: not ours to judge */
	start = proc_start(pid);
	return start >= 0 && start > since + 2;
}

struct stale_arg {
	time_t now;
	unsigned min_age;
	x402_claim_fn fn;
	void *arg;
};

static int
stale_filter(void *arg, const struct x402_claim_state *st)
{
	const struct stale_arg *a = arg;

	if (st->status != X402_CLAIM_INFLIGHT || st->since > (int64_t)a->now ||
	    (uint64_t)((int64_t)a->now - st->since) < a->min_age)
		return 0;
	if (!x402_claim_worker_gone(st->pid, st->since))
		return 0;	/* alive, or not ours to judge (EPERM) */
	return a->fn(a->arg, st);
}

int
x402_claim_stale(struct x402_claim_store *store, struct x402_detail *d,
    time_t now, unsigned min_age, x402_claim_fn fn, void *arg)
{
	struct stale_arg a;

	if (store == NULL || fn == NULL)
		return x402_fail(d, X402_ERR_INVAL, "claim: NULL argument");
	a.now = now;
	a.min_age = min_age;
	a.fn = fn;
	a.arg = arg;
	return store->ops->each(store->impl, d, stale_filter, &a);
}

/* ---- file backend ------------------------------------------------------ */

struct fileb {
	int dfd;
	char path[PATHMAX];
};

static int
fb_io(struct x402_detail *d, const struct fileb *f, const char *call,
    const char *name, int err)
{
	return x402_fail(d, X402_ERR_IO, "claim %s: %s %s: %s", f->path, call,
	    name, strerror(err));
}

static void
hexs(char *out, const uint8_t *p, size_t n)
{
	static const char dig[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = dig[p[i] >> 4];
		out[2 * i + 1] = dig[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Writes the claim text of st into buf[RECMAX].  Returns its length. */
static int
fb_format(char *buf, const struct x402_claim_state *st)
{
	char owner[2 * X402_CLAIM_OWNER_LEN + 1], asset[2 * X402_ADDR_LEN + 1];
	char payer[2 * X402_ADDR_LEN + 1], nonce[2 * X402_CLAIM_NONCE_LEN + 1];
	int n;

	hexs(owner, st->token.owner, sizeof(st->token.owner));
	hexs(asset, st->key.asset, sizeof(st->key.asset));
	hexs(payer, st->key.payer, sizeof(st->key.payer));
	hexs(nonce, st->key.nonce, sizeof(st->key.nonce));
	if (st->status == X402_CLAIM_INFLIGHT)
		n = snprintf(buf, RECMAX, "inflight %ld %lld %s\n",
		    st->pid, (long long)st->since, owner);
	else
		n = snprintf(buf, RECMAX, "settled %s %lld %s\n", st->tx,
		    (long long)st->since, owner);
	n += snprintf(buf + n, RECMAX - (size_t)n, "%s 0x%s 0x%s 0x%s\n",
	    st->key.network, asset, payer, nonce);
	return n;
}

/* Exactly 2n hex digits (no prefix) at txt into out.  0 or -1. */
static int
dehex(uint8_t *out, size_t n, const char *txt, size_t len)
{
	size_t got = 0;

	if (len != 2 * n || x402_hex_decode(out, n, &got, txt, len,
	    X402_HEX_PREFIX_OPTIONAL) != 0 || got != n)
		return -1;
	return 0;
}

/* "0x" + exactly 2n hex digits.  0 or -1. */
static int
unhex(uint8_t *out, size_t n, const char *txt)
{
	if (strncmp(txt, "0x", 2) != 0)
		return -1;
	return dehex(out, n, txt + 2, strlen(txt) - 2);
}

/* Parses claim text (NUL-terminated) into *st; the id comes from the name. */
static int
fb_parse(struct x402_claim_state *st, const char *txt)
{
	char word[16], a[X402_CLAIM_TXMAX + 1], owner[64], net[80];
	char asset[64], payer[64], nonce[80];
	long long since;
	int n = 0;

	memset(st->tx, 0, sizeof(st->tx));
	if (sscanf(txt, "%15s %128s %lld %63s\n%79s %63s %63s %79s%n", word, a,
	    &since, owner, net, asset, payer, nonce, &n) != 8 ||
	    txt[n] != '\n' || txt[n + 1] != '\0')
		return -1;
	if (strcmp(word, "inflight") == 0) {
		char *end;

		st->status = X402_CLAIM_INFLIGHT;
		errno = 0;
		st->pid = strtol(a, &end, 10);
		if (*end != '\0' || errno != 0 || st->pid <= 0)
			return -1;
	} else if (strcmp(word, "settled") == 0) {
		st->status = X402_CLAIM_SETTLED;
		st->pid = 0;
		if (!tx_ok(a))
			return -1;
		memcpy(st->tx, a, strlen(a) + 1);
	} else
		return -1;
	st->since = (int64_t)since;
	if (dehex(st->token.owner, sizeof(st->token.owner), owner,
	    strlen(owner)) != 0)
		return -1;
	if (!net_ok(net) || unhex(st->key.asset, X402_ADDR_LEN, asset) ||
	    unhex(st->key.payer, X402_ADDR_LEN, payer) ||
	    unhex(st->key.nonce, X402_CLAIM_NONCE_LEN, nonce))
		return -1;
	memcpy(st->key.network, net, strlen(net) + 1);
	return 0;
}

/* Reads DIR/name into *st.  NOTFOUND when it does not exist. */
static int
fb_read(struct fileb *f, struct x402_claim_state *st, struct x402_detail *d,
    const char *name)
{
	char buf[RECMAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd, r = 0;

	fd = openat(f->dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? x402_fail(d, X402_ERR_NOTFOUND,
		    "claim %s: no claim %s", f->path, name) :
		    fb_io(d, f, "open", name, errno);
	while (len < RECMAX) {
		n = read(fd, buf + len, RECMAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = fb_io(d, f, "read", name, errno);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len == RECMAX || strlen(buf) != len || fb_parse(st, buf) != 0 ||
	    dehex(st->token.id, sizeof(st->token.id), name, strlen(name)) != 0)
		r = x402_fail(d, X402_ERR_SYNTAX, "claim %s: %s is unreadable",
		    f->path, name);
out:
	close(fd);
	return r;
}

/*
 * Writes st to a new fsynced temporary in DIR.  Out: tmp (its name).
 */
static int
fb_write_tmp(struct fileb *f, char tmp[64], struct x402_detail *d,
    const struct x402_claim_state *st)
{
	char buf[RECMAX], rnd[17];
	uint8_t b[8];
	size_t len, off = 0;
	ssize_t n;
	int fd, r;

	if ((r = random_bytes(d, b, sizeof(b))) != 0)
		return r;
	hexs(rnd, b, sizeof(b));
	snprintf(tmp, 64, ".tmp.%ld.%s", (long)getpid(), rnd);
	len = (size_t)fb_format(buf, st);
	fd = openat(f->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, FILEMODE);
	if (fd < 0)
		return fb_io(d, f, "open", tmp, errno);
	r = 0;
	while (off < len) {
		n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = fb_io(d, f, "write", tmp, errno);
			break;
		}
		off += (size_t)n;
	}
	if (r == 0 && fsync(fd) != 0)
		r = fb_io(d, f, "fsync", tmp, errno);
	if (close(fd) != 0 && r == 0)
		r = fb_io(d, f, "close", tmp, errno);
	if (r != 0)
		(void)unlinkat(f->dfd, tmp, 0);
	return r;
}

static int
fb_create(void *impl, struct x402_detail *d, const struct x402_claim_state *st)
{
	struct fileb *f = impl;
	char name[IDHEX + 1], tmp[64];
	int r;

	hexs(name, st->token.id, sizeof(st->token.id));
	if ((r = fb_write_tmp(f, tmp, d, st)) != 0)
		return r;
	if (linkat(f->dfd, tmp, f->dfd, name, 0) != 0) {
		r = errno == EEXIST ? x402_fail(d, X402_ERR_DUPLICATE,
		    "claim %s: %s is already claimed", f->path, name) :
		    fb_io(d, f, "link", name, errno);
	} else if (fsync(f->dfd) != 0) {
		r = fb_io(d, f, "fsync", ".", errno);
		(void)unlinkat(f->dfd, name, 0);
	}
	(void)unlinkat(f->dfd, tmp, 0);
	return r;
}

/* Checks that DIR/<tok->id> is in flight and owned by tok. */
static int
fb_owned(struct fileb *f, struct x402_detail *d, const char *name,
    const struct x402_claim_token *tok)
{
	struct x402_claim_state cur;
	int r;

	if ((r = fb_read(f, &cur, d, name)) != 0)
		return r;
	if (cur.status == X402_CLAIM_SETTLED)
		return x402_fail(d, X402_ERR_DUPLICATE, "claim %s: %s is "
		    "already settled", f->path, name);
	if (x402_memeq_ct(cur.token.owner, tok->owner, sizeof(tok->owner)))
		return x402_fail(d, X402_ERR_BUSY, "claim %s: %s is held by "
		    "another owner (pid %ld)", f->path, name, cur.pid);
	return 0;
}

/*
 * release and commit check the claim, then replace or remove it: two
 * holders of one token (a pending claim taken over by two retries at
 * once) must not both pass the check, so both steps run under an
 * exclusive flock of the directory.  Returns 0 or X402_ERR_IO.
 */
static int
fb_lock(struct fileb *f, int *lfd, struct x402_detail *d)
{
	int e;

	/* An open file description of our own: a forked copy of the
	 * store's descriptor would share the lock. */
	if ((*lfd = openat(f->dfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return fb_io(d, f, "open", ".", errno);
	while (flock(*lfd, LOCK_EX) != 0)
		if (errno != EINTR) {
			e = errno;
			close(*lfd);
			*lfd = -1;
			return fb_io(d, f, "flock", ".", e);
		}
	return 0;
}

static void
fb_unlock(int lfd)
{
	if (lfd >= 0)
		close(lfd);
}

static int
fb_remove_locked(struct fileb *f, struct x402_detail *d,
    const struct x402_claim_token *tok)
{
	char name[IDHEX + 1];
	int r;

	hexs(name, tok->id, sizeof(tok->id));
	if ((r = fb_owned(f, d, name, tok)) != 0)
		return r;
	if (unlinkat(f->dfd, name, 0) != 0)
		return fb_io(d, f, "unlink", name, errno);
	if (fsync(f->dfd) != 0)
		return fb_io(d, f, "fsync", ".", errno);
	return 0;
}

static int
fb_remove(void *impl, struct x402_detail *d,
    const struct x402_claim_token *tok)
{
	struct fileb *f = impl;
	int r, lfd = -1;

	if ((r = fb_lock(f, &lfd, d)) != 0)
		return r;
	r = fb_remove_locked(f, d, tok);
	fb_unlock(lfd);
	return r;
}

static int
fb_settle_locked(struct fileb *f, struct x402_detail *d,
    const struct x402_claim_state *st)
{
	struct x402_claim_state cur;
	char name[IDHEX + 1], tmp[64];
	int r;

	hexs(name, st->token.id, sizeof(st->token.id));
	if ((r = fb_owned(f, d, name, &st->token)) != 0)
		return r;
	/* Keep the key (and the owner) of the claim as it was acquired. */
	if ((r = fb_read(f, &cur, d, name)) != 0)
		return r;
	cur.status = X402_CLAIM_SETTLED;
	cur.pid = 0;
	cur.since = st->since;
	memcpy(cur.tx, st->tx, sizeof(cur.tx));
	if ((r = fb_write_tmp(f, tmp, d, &cur)) != 0)
		return r;
	if (renameat(f->dfd, tmp, f->dfd, name) != 0) {
		r = fb_io(d, f, "rename", name, errno);
		(void)unlinkat(f->dfd, tmp, 0);
		return r;
	}
	if (fsync(f->dfd) != 0)
		return fb_io(d, f, "fsync", ".", errno);
	return 0;
}

static int
fb_settle(void *impl, struct x402_detail *d,
    const struct x402_claim_state *st)
{
	struct fileb *f = impl;
	int r, lfd = -1;

	if ((r = fb_lock(f, &lfd, d)) != 0)
		return r;
	r = fb_settle_locked(f, d, st);
	fb_unlock(lfd);
	return r;
}

static int
fb_get(void *impl, struct x402_claim_state *out, struct x402_detail *d,
    const uint8_t id[X402_CLAIM_ID_LEN])
{
	char name[IDHEX + 1];

	hexs(name, id, X402_CLAIM_ID_LEN);
	return fb_read(impl, out, d, name);
}

static int
is_id_name(const char *s)
{
	size_t i;

	for (i = 0; i < IDHEX; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return s[IDHEX] == '\0';
}

static int
fb_each(void *impl, struct x402_detail *d,
    int (*fn)(void *arg, const struct x402_claim_state *st), void *arg)
{
	struct fileb *f = impl;
	struct x402_claim_state st;
	struct dirent *de;
	DIR *dp;
	int fd, r = 0;

	fd = openat(f->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fb_io(d, f, "open", ".", errno);
	if ((dp = fdopendir(fd)) == NULL) {
		r = fb_io(d, f, "fdopendir", ".", errno);
		close(fd);
		return r;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL) {
			if (errno != 0)
				r = fb_io(d, f, "readdir", ".", errno);
			break;
		}
		if (!is_id_name(de->d_name))
			continue;
		r = fb_read(f, &st, d, de->d_name);
		if (r == X402_ERR_NOTFOUND) {	/* released meanwhile */
			r = 0;
			continue;
		}
		if (r != 0 || (r = fn(arg, &st)) != 0)
			break;
	}
	closedir(dp);
	return r;
}

static void
fb_close(void *impl)
{
	struct fileb *f = impl;

	if (f == NULL)
		return;
	if (f->dfd >= 0)
		close(f->dfd);
	free(f);
}

static const struct x402_claim_ops file_ops = {
	fb_create, fb_remove, fb_settle, fb_get, fb_each, fb_close,
};

int
x402_claim_open(struct x402_claim_store **store, struct x402_detail *d,
    const char *dir)
{
	struct fileb *f = NULL;
	struct stat st;
	int r;

	if (store == NULL || dir == NULL || dir[0] == '\0')
		return x402_fail(d, X402_ERR_INVAL, "claim: no directory");
	*store = NULL;
	if (strlen(dir) >= PATHMAX)
		return x402_fail(d, X402_ERR_LIMIT, "claim: path too long");
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return x402_fail(d, X402_ERR_NOMEM, "claim: out of memory");
	memcpy(f->path, dir, strlen(dir) + 1);
	f->dfd = -1;
	if (mkdir(dir, DIRMODE) != 0 && errno != EEXIST) {
		r = fb_io(d, f, "mkdir", dir, errno);
		goto out;
	}
	f->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dfd < 0) {
		r = fb_io(d, f, "open", dir, errno);
		goto out;
	}
	if (fstat(f->dfd, &st) != 0 || !S_ISDIR(st.st_mode)) {
		r = fb_io(d, f, "fstat", dir, ENOTDIR);
		goto out;
	}
	if ((r = x402_claim_store_new(store, d, &file_ops, f)) != 0)
		goto out;
	f = NULL;
out:
	fb_close(f);
	return r;
}
