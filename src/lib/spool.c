/* spool.c - maildir-style record spool: tmp -> fsync -> new -> cur. */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

#define DIRMODE 0770
#define FILEMODE 0640
#define PATHMAX 4096

enum { D_TMP, D_NEW, D_CUR, D_QUAR, D_COUNT };

static const char *const subdir[D_COUNT] = {
	"tmp", "new", "cur", "quarantine"
};

struct x402_spool {
	int top;		/* DIR */
	int fd[D_COUNT];	/* its subdirectories */
	DIR *newlist;		/* listing of new/ that claims walk, or NULL */
	char path[PATHMAX];	/* DIR, for details */
};

/* X402_ERR_IO naming the call, the object and errno. */
static int
io_fail(struct x402_detail *d, const struct x402_spool *s, const char *call,
    const char *area, const char *name, int err)
{
	if (area == NULL)
		return x402_fail(d, X402_ERR_IO, "spool %s: %s %s: %s",
		    s->path, call, name, strerror(err));
	return x402_fail(d, X402_ERR_IO, "spool %s: %s %s/%s: %s", s->path,
	    call, area, name, strerror(err));
}

/*
 * Receipt-shaped: "SECONDS.PID.RANDOM" as make_name writes it (1 to 20
 * digits, 1 to 10 digits, 16 lowercase hex digits).  Nothing else in a
 * spool area is ever read, moved or removed.
 */
static int
name_ok(const char *name)
{
	size_t i = 0, n;
	int field;
	static const size_t most[3] = { 20, 10, 16 };

	if (name == NULL)
		return 0;
	for (field = 0; field < 3; field++) {
		for (n = 0; name[i] != '\0' && name[i] != '.'; i++, n++) {
			char c = name[i];

			if (!((c >= '0' && c <= '9') || (field == 2 &&
			    c >= 'a' && c <= 'f')))
				return 0;
		}
		if (n == 0 || n > most[field] || (field == 2 && n != 16))
			return 0;
		if (field < 2 && name[i++] != '.')
			return 0;
	}
	return name[i] == '\0';
}

/* A receipt name, or one with ".reason" (tmp/ holds both). */
static int
tmp_name_ok(const char *name)
{
	char base[X402_SPOOL_NAMEMAX + 1];
	size_t n;

	if (name == NULL)
		return 0;
	n = strnlen(name, X402_SPOOL_NAMEMAX + 1);
	if (n > X402_SPOOL_NAMEMAX)
		return 0;
	if (n > 7 && strcmp(name + n - 7, ".reason") == 0) {
		memcpy(base, name, n - 7);
		base[n - 7] = '\0';
		return name_ok(base);
	}
	return name_ok(name);
}

static int
bad_name(struct x402_detail *d)
{
	return x402_fail(d, X402_ERR_INVAL, "spool: bad record name");
}

/* The subdirectory of an area, or -1. */
static int
area_dir(enum x402_spool_area area)
{
	switch (area) {
	case X402_SPOOL_TMP:
		return D_TMP;
	case X402_SPOOL_NEW:
		return D_NEW;
	case X402_SPOOL_CUR:
		return D_CUR;
	case X402_SPOOL_QUARANTINE:
		return D_QUAR;
	}
	return -1;
}

/* Writes all n bytes, retrying short writes and EINTR.  -1 and errno. */
static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Opens directory name under at, creating it when missing.  A
 * subdirectory (top != NULL) is opened without following a symbolic
 * link and must sit on the spool's device and belong to the spool's
 * owner: whoever can write DIR could otherwise put a link to, or a
 * directory of, their choosing in its place (X402_ERR_PERM).  DIR itself
 * is the operator's path and may be reached through links.
 */
static int
open_dir(struct x402_spool *s, struct x402_detail *d, int *out, int at,
    const char *name, const struct stat *top, struct stat *st)
{
	int fd, flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, r;

	if (top != NULL)
		flags |= O_NOFOLLOW;
	if (mkdirat(at, name, DIRMODE) != 0 && errno != EEXIST)
		return io_fail(d, s, "mkdir", NULL, name, errno);
	if ((fd = openat(at, name, flags)) < 0) {
		struct stat lst;
		int e = errno;

		if (top != NULL && fstatat(at, name, &lst,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode))
			return x402_fail(d, X402_ERR_PERM, "spool %s: %s is a "
			    "symbolic link (never followed)", s->path, name);
		return io_fail(d, s, "open", NULL, name, e);
	}
	if (fstat(fd, st) != 0) {
		r = io_fail(d, s, "fstat", NULL, name, errno);
		goto fail;
	}
	if (!S_ISDIR(st->st_mode)) {
		r = io_fail(d, s, "fstat", NULL, name, ENOTDIR);
		goto fail;
	}
	if (top != NULL && st->st_dev != top->st_dev) {
		r = x402_fail(d, X402_ERR_PERM, "spool %s: %s is on another "
		    "file system than the spool (refused)", s->path, name);
		goto fail;
	}
	if (top != NULL && st->st_uid != top->st_uid) {
		r = x402_fail(d, X402_ERR_PERM, "spool %s: %s belongs to uid "
		    "%lu, not to the spool's owner (uid %lu)", s->path, name,
		    (unsigned long)st->st_uid, (unsigned long)top->st_uid);
		goto fail;
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	return r;
}

int
x402_spool_open(struct x402_spool **sp, struct x402_detail *d,
    const char *dir)
{
	struct x402_spool *s = NULL;
	struct stat top, st;
	int i, r;

	if (sp == NULL || dir == NULL || dir[0] == '\0')
		return x402_fail(d, X402_ERR_INVAL, "spool: no directory");
	*sp = NULL;
	if (strlen(dir) >= PATHMAX)
		return x402_fail(d, X402_ERR_LIMIT, "spool: path too long");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return x402_fail(d, X402_ERR_NOMEM, "spool: out of memory");
	s->top = -1;
	for (i = 0; i < D_COUNT; i++)
		s->fd[i] = -1;
	memcpy(s->path, dir, strlen(dir) + 1);
	if ((r = open_dir(s, d, &s->top, AT_FDCWD, dir, NULL, &top)) != 0)
		goto out;
	for (i = 0; i < D_COUNT; i++) {
		if ((r = open_dir(s, d, &s->fd[i], s->top, subdir[i], &top,
		    &st)) != 0)
			goto out;
	}
	*sp = s;
	s = NULL;
	r = 0;
out:
	x402_spool_close(s);
	return r;
}

void
x402_spool_close(struct x402_spool *s)
{
	int i;

	if (s == NULL)
		return;
	if (s->newlist != NULL)
		closedir(s->newlist);
	if (s->top >= 0)
		close(s->top);
	for (i = 0; i < D_COUNT; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	}
	free(s);
}

/* "SECONDS.PID.RANDOM" into name[X402_SPOOL_NAMEMAX + 1]. */
static int
make_name(struct x402_spool *s, struct x402_detail *d,
    char name[X402_SPOOL_NAMEMAX + 1])
{
	uint64_t rnd;
	ssize_t n;

	do
		n = getrandom(&rnd, sizeof(rnd), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(rnd))
		return io_fail(d, s, "getrandom", "tmp", "", n < 0 ? errno : EIO);
	snprintf(name, X402_SPOOL_NAMEMAX + 1, "%lld.%ld.%016llx",
	    (long long)time(NULL), (long)getpid(), (unsigned long long)rnd);
	return 0;
}

/*
 * Creates tmp/name with data, fsynced and closed.  On failure tmp/name
 * does not exist.
 */
static int
write_tmp(struct x402_spool *s, struct x402_detail *d, const char *name,
    const void *data, size_t len)
{
	int fd, r = X402_ERR_IO;

	fd = openat(s->fd[D_TMP], name, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC | O_NOFOLLOW, FILEMODE);
	if (fd < 0)
		return io_fail(d, s, "open", "tmp", name, errno);
	if (write_all(fd, data, len) != 0) {
		r = io_fail(d, s, "write", "tmp", name, errno);
		goto out;
	}
	if (fsync(fd) != 0) {
		r = io_fail(d, s, "fsync", "tmp", name, errno);
		goto out;
	}
	r = 0;
out:
	if (close(fd) != 0 && r == 0)
		r = io_fail(d, s, "close", "tmp", name, errno);
	if (r != 0)
		(void)unlinkat(s->fd[D_TMP], name, 0);
	return r;
}

int
x402_spool_write(struct x402_spool *s, char *name, size_t namecap,
    struct x402_detail *d, const void *data, size_t len)
{
	char nm[X402_SPOOL_NAMEMAX + 1];
	int r, linked = 0;

	if (s == NULL || (data == NULL && len > 0))
		return x402_fail(d, X402_ERR_INVAL, "spool: NULL argument");
	if (len > X402_SPOOL_MAXRECORD)
		return x402_fail(d, X402_ERR_LIMIT, "spool: record of %zu "
		    "bytes (at most %u)", len, X402_SPOOL_MAXRECORD);
	if ((r = make_name(s, d, nm)) != 0)
		return r;
	if (name != NULL && namecap <= strlen(nm))
		return x402_fail(d, X402_ERR_LIMIT, "spool: name buffer of "
		    "%zu bytes too small", namecap);
	if ((r = write_tmp(s, d, nm, data, len)) != 0)
		return r;
	if (linkat(s->fd[D_TMP], nm, s->fd[D_NEW], nm, 0) == 0)
		linked = 1;
	else if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP ||
	    errno == EMLINK) {
		/* No hard links here: rename (nm is unique, nothing lost). */
		if (renameat(s->fd[D_TMP], nm, s->fd[D_NEW], nm) != 0) {
			r = io_fail(d, s, "rename", "tmp", nm, errno);
			goto out;
		}
	} else {
		r = io_fail(d, s, "link", "tmp", nm, errno);
		goto out;
	}
	if (fsync(s->fd[D_NEW]) != 0) {
		r = io_fail(d, s, "fsync", "new", "", errno);
		(void)unlinkat(s->fd[D_NEW], nm, 0);
		goto out;
	}
	if (name != NULL)
		memcpy(name, nm, strlen(nm) + 1);
	r = 0;
out:
	if (linked || r != 0)
		(void)unlinkat(s->fd[D_TMP], nm, 0);
	return r;
}

/* Reads the open file fd into b (reset first), honouring b->max. */
static int
read_capped(struct x402_spool *s, struct x402_detail *d, int fd,
    const char *name, struct x402_buf *b)
{
	char chunk[8192];
	ssize_t n;
	int r;

	x402_buf_reset(b);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_fail(d, s, "read", "cur", name, errno);
		if (n == 0)
			return 0;
		if ((r = x402_buf_add(b, chunk, (size_t)n)) != 0)
			return x402_fail(d, r, r == X402_ERR_LIMIT ?
			    "spool %s: cur/%s is over %zu bytes" :
			    "spool %s: cur/%s: out of memory", s->path, name,
			    b->max);
	}
}

/* Opens a fresh stream on subdirectory i. */
static DIR *
list_open(struct x402_spool *s, struct x402_detail *d, int i, int *r)
{
	DIR *dp;
	int fd;

	fd = openat(s->fd[i], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*r = io_fail(d, s, "open", subdir[i], "", errno);
		return NULL;
	}
	if ((dp = fdopendir(fd)) == NULL) {
		*r = io_fail(d, s, "fdopendir", subdir[i], "", errno);
		close(fd);
	}
	return dp;
}

/*
 * Next candidate name in new/ from the claim listing.  The listing is
 * opened once and walked across calls, so a backlog of N records costs
 * one directory pass, not N.  At its end it is rewound (a fresh listing:
 * records written since are seen) unless *fresh says this claim already
 * started one; so X402_ERR_NOTFOUND means a listing begun during this
 * claim has run out.  Returns 0 and *de (valid until the next readdir on
 * the listing), X402_ERR_NOTFOUND or X402_ERR_IO.
 */
static int
next_new(struct x402_spool *s, struct x402_detail *d, struct dirent **de,
    int *fresh)
{
	int r = 0;

	if (s->newlist == NULL) {
		if ((s->newlist = list_open(s, d, D_NEW, &r)) == NULL)
			return r;
		*fresh = 1;
	}
	for (;;) {
		errno = 0;
		if ((*de = readdir(s->newlist)) != NULL) {
			if (name_ok((*de)->d_name))
				return 0;
			continue;
		}
		if (errno != 0) {
			r = io_fail(d, s, "readdir", "new", "", errno);
			closedir(s->newlist);	/* the next call starts over */
			s->newlist = NULL;
			return r;
		}
		if (*fresh)
			return x402_fail(d, X402_ERR_NOTFOUND,
			    "spool %s: new/ is empty", s->path);
		rewinddir(s->newlist);
		*fresh = 1;
	}
}

/*
 * Opens name in subdirectory i for reading: never through a symbolic
 * link, never blocking on a FIFO, and only a regular file.  Returns the
 * descriptor, or -1 with *r set (X402_ERR_NOTFOUND when it is gone,
 * X402_ERR_PERM when it is not a regular file, else X402_ERR_IO).
 */
static int
open_record(struct x402_spool *s, struct x402_detail *d, int i,
    const char *name, int *r)
{
	struct stat st;
	int fd;

	fd = openat(s->fd[i], name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			*r = x402_fail(d, X402_ERR_NOTFOUND, "spool %s: %s/%s "
			    "does not exist", s->path, subdir[i], name);
		else if (errno == ELOOP)
			*r = x402_fail(d, X402_ERR_PERM, "spool %s: %s/%s is "
			    "a symbolic link (never followed)", s->path,
			    subdir[i], name);
		else
			*r = io_fail(d, s, "open", subdir[i], name, errno);
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*r = x402_fail(d, X402_ERR_PERM, "spool %s: %s/%s is not a "
		    "regular file", s->path, subdir[i], name);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * 1 if name in subdirectory i is a regular file (not followed), 0 if it
 * is anything else or gone.
 */
static int
is_regular(const struct x402_spool *s, int i, const char *name)
{
	struct stat st;

	return fstatat(s->fd[i], name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

int
x402_spool_claim_next(struct x402_spool *s, char *name, size_t namecap,
    struct x402_buf *content, struct x402_detail *d)
{
	struct dirent *de = NULL;
	int fd, r, fresh = 0;

	if (s == NULL || name == NULL || content == NULL)
		return x402_fail(d, X402_ERR_INVAL, "spool: NULL argument");
	if (namecap <= X402_SPOOL_NAMEMAX)
		return x402_fail(d, X402_ERR_LIMIT, "spool: name buffer of "
		    "%zu bytes too small", namecap);
	name[0] = '\0';
	for (;;) {
		if ((r = next_new(s, d, &de, &fresh)) != 0)
			return r;
		/* Only regular files are claimed; anything else is left
		 * where it is, unread. */
		if (!is_regular(s, D_NEW, de->d_name))
			continue;
		if (renameat(s->fd[D_NEW], de->d_name, s->fd[D_CUR],
		    de->d_name) != 0) {
			if (errno == ENOENT)
				continue;	/* another consumer took it */
			return io_fail(d, s, "rename", "new", de->d_name,
			    errno);
		}
		/* Swapped for something else in between: rename moved the
		 * entry itself (a link is never followed); it stays in cur/,
		 * unread, where recovery ignores it too. */
		fd = open_record(s, d, D_CUR, de->d_name, &r);
		if (fd >= 0)
			break;
		if (r != X402_ERR_PERM && r != X402_ERR_NOTFOUND) {
			memcpy(name, de->d_name, strlen(de->d_name) + 1);
			return r;
		}
	}
	memcpy(name, de->d_name, strlen(de->d_name) + 1);
	r = read_capped(s, d, fd, name, content);
	close(fd);
	return r;
}

int
x402_spool_read(struct x402_spool *s, struct x402_buf *content,
    struct x402_detail *d, enum x402_spool_area area, const char *name)
{
	int fd, i, r;

	if (s == NULL || content == NULL || (i = area_dir(area)) < 0)
		return x402_fail(d, X402_ERR_INVAL, "spool: bad argument");
	if (!name_ok(name))
		return bad_name(d);
	if ((fd = open_record(s, d, i, name, &r)) < 0)
		return r;
	r = read_capped(s, d, fd, name, content);
	close(fd);
	return r;
}

int
x402_spool_sync(struct x402_spool *s, struct x402_detail *d,
    enum x402_spool_area area)
{
	int i;

	if (s == NULL || (i = area_dir(area)) < 0)
		return x402_fail(d, X402_ERR_INVAL, "spool: bad argument");
	if (fsync(s->fd[i]) != 0)
		return io_fail(d, s, "fsync", subdir[i], "", errno);
	return 0;
}

/*
 * 0 if name in subdirectory i is a regular file; X402_ERR_NOTFOUND if
 * it is gone; X402_ERR_PERM if it is anything else (left alone: only
 * regular files are ever moved or removed).
 */
static int
check_regular(struct x402_spool *s, struct x402_detail *d, int i,
    const char *name)
{
	struct stat st;

	if (fstatat(s->fd[i], name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? x402_fail(d, X402_ERR_NOTFOUND,
		    "spool %s: %s/%s does not exist", s->path, subdir[i],
		    name) : io_fail(d, s, "stat", subdir[i], name, errno);
	if (!S_ISREG(st.st_mode))
		return x402_fail(d, X402_ERR_PERM, "spool %s: %s/%s is not a "
		    "regular file (left alone)", s->path, subdir[i], name);
	return 0;
}

/* Unlinks name in subdirectory i; ENOENT is X402_ERR_NOTFOUND. */
static int
drop(struct x402_spool *s, struct x402_detail *d, const char *name, int i)
{
	int r;

	if (s == NULL || !(i == D_TMP ? tmp_name_ok(name) : name_ok(name)))
		return bad_name(d);
	if ((r = check_regular(s, d, i, name)) != 0)
		return r;
	if (unlinkat(s->fd[i], name, 0) != 0)
		return errno == ENOENT ? x402_fail(d, X402_ERR_NOTFOUND,
		    "spool %s: %s/%s does not exist", s->path, subdir[i],
		    name) : io_fail(d, s, "unlink", subdir[i], name, errno);
	return 0;
}

int
x402_spool_done(struct x402_spool *s, struct x402_detail *d,
    const char *name)
{
	return drop(s, d, name, D_CUR);
}

/* Moves name from subdirectory a to b; ENOENT is X402_ERR_NOTFOUND. */
static int
move(struct x402_spool *s, struct x402_detail *d, const char *name, int a,
    int b)
{
	int r;

	if (s == NULL || !name_ok(name))
		return bad_name(d);
	if ((r = check_regular(s, d, a, name)) != 0)
		return r;
	if (renameat(s->fd[a], name, s->fd[b], name) != 0)
		return errno == ENOENT ? x402_fail(d, X402_ERR_NOTFOUND,
		    "spool %s: %s/%s does not exist", s->path, subdir[a],
		    name) : io_fail(d, s, "rename", subdir[a], name, errno);
	if (fsync(s->fd[b]) != 0)
		return io_fail(d, s, "fsync", subdir[b], "", errno);
	return 0;
}

int
x402_spool_quarantine(struct x402_spool *s, struct x402_detail *d,
    const char *name, const char *reason)
{
	char rname[X402_SPOOL_NAMEMAX + sizeof(".reason")];
	struct x402_buf text;
	int r;

	x402_buf_init(&text, X402_SPOOL_REASONMAX + 1);
	if (reason == NULL)
		reason = "";
	if (strnlen(reason, X402_SPOOL_REASONMAX + 1) > X402_SPOOL_REASONMAX)
		return x402_fail(d, X402_ERR_LIMIT, "spool: quarantine reason "
		    "over %d bytes", X402_SPOOL_REASONMAX);
	if ((r = move(s, d, name, D_CUR, D_QUAR)) != 0)
		return r;
	snprintf(rname, sizeof(rname), "%s.reason", name);
	if ((r = x402_buf_printf(&text, "%s\n", reason)) != 0) {
		r = x402_fail(d, r, "spool: quarantine reason");
		goto out;
	}
	(void)unlinkat(s->fd[D_TMP], rname, 0);	/* a failed earlier try */
	if ((r = write_tmp(s, d, rname, text.p, text.len)) != 0)
		goto out;
	if (renameat(s->fd[D_TMP], rname, s->fd[D_QUAR], rname) != 0) {
		r = io_fail(d, s, "rename", "tmp", rname, errno);
		(void)unlinkat(s->fd[D_TMP], rname, 0);
		goto out;
	}
	if (fsync(s->fd[D_QUAR]) != 0)
		r = io_fail(d, s, "fsync", "quarantine", "", errno);
out:
	x402_buf_free(&text);
	return r;
}

int
x402_spool_unquarantine(struct x402_spool *s, struct x402_detail *d,
    const char *name)
{
	char rname[X402_SPOOL_NAMEMAX + sizeof(".reason")];
	int r;

	if (s == NULL || !name_ok(name))	/* never a .reason file */
		return bad_name(d);
	if ((r = check_regular(s, d, D_QUAR, name)) != 0)
		return r;
	/* link + unlink: never replaces a record already in new/ */
	if (linkat(s->fd[D_QUAR], name, s->fd[D_NEW], name, 0) != 0) {
		if (errno == ENOENT)
			return x402_fail(d, X402_ERR_NOTFOUND, "spool %s: "
			    "quarantine/%s does not exist", s->path, name);
		if (errno == EEXIST)
			return x402_fail(d, X402_ERR_EXISTS, "spool %s: "
			    "new/%s exists", s->path, name);
		return io_fail(d, s, "link", "quarantine", name, errno);
	}
	if (fsync(s->fd[D_NEW]) != 0)
		return io_fail(d, s, "fsync", "new", "", errno);
	snprintf(rname, sizeof(rname), "%s.reason", name);
	if (unlinkat(s->fd[D_QUAR], name, 0) != 0)
		return io_fail(d, s, "unlink", "quarantine", name, errno);
	if (unlinkat(s->fd[D_QUAR], rname, 0) != 0 && errno != ENOENT)
		return io_fail(d, s, "unlink", "quarantine", rname, errno);
	if (fsync(s->fd[D_QUAR]) != 0)
		return io_fail(d, s, "fsync", "quarantine", "", errno);
	return 0;
}

int
x402_spool_stale(struct x402_spool *s, struct x402_buf *names,
    size_t *count, struct x402_detail *d, enum x402_spool_area area,
    time_t now, unsigned max_age)
{
	DIR *dp = NULL;
	struct dirent *de;
	struct stat st;
	time_t t;
	int i, r = 0;

	if (s == NULL || names == NULL || count == NULL ||
	    (i = area_dir(area)) < 0)
		return x402_fail(d, X402_ERR_INVAL, "spool: bad argument");
	*count = 0;
	if ((dp = list_open(s, d, i, &r)) == NULL)
		return r;
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL) {
			if (errno != 0)
				r = io_fail(d, s, "readdir", subdir[i], "",
				    errno);
			break;
		}
		if (!(i == D_TMP ? tmp_name_ok(de->d_name) :
		    name_ok(de->d_name)))
			continue;
		if (fstatat(s->fd[i], de->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)
				continue;
			r = io_fail(d, s, "stat", subdir[i], de->d_name, errno);
			break;
		}
		if (!S_ISREG(st.st_mode))
			continue;	/* never moved or removed */
		t = st.st_mtime > st.st_ctime ? st.st_mtime : st.st_ctime;
		if (max_age > 0 && (t > now || (uint64_t)(now - t) < max_age))
			continue;
		if ((r = x402_buf_printf(names, "%s\n", de->d_name)) != 0) {
			r = x402_fail(d, r, "spool %s: list of stale %s/ "
			    "entries full", s->path, subdir[i]);
			break;
		}
		(*count)++;
	}
	closedir(dp);
	return r;
}

int
x402_spool_drop_tmp(struct x402_spool *s, struct x402_detail *d,
    const char *name)
{
	return drop(s, d, name, D_TMP);
}

int
x402_spool_requeue(struct x402_spool *s, struct x402_detail *d,
    const char *name)
{
	return move(s, d, name, D_CUR, D_NEW);
}
