/* metrics.c - counters in a shared memory-mapped file; Prometheus text. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"

#define MAGIC		"X402MET"	/* 8 bytes with the NUL */
#define FORMAT		1

/* The file's header: fixed, little room for anything else. */
struct mhdr {
	char magic[8];
	uint32_t format;
	uint32_t layout;
	uint32_t nslots;
	uint32_t labels_len;		/* bytes before the NUL */
	char labels[X402_METRICS_LABELS_MAX];
};

_Static_assert(sizeof(struct mhdr) <= X402_METRICS_HEADER,
    "metrics header too large");

struct x402_metrics {
	void *map;
	size_t size;
	uint64_t *slot;
	uint32_t nslots;
	int writable;
	uint32_t layout;
	/* A copy: another process may rewrite the mapped header. */
	char labels[X402_METRICS_LABELS_MAX];
};

static size_t
file_size(uint32_t nslots)
{
	return X402_METRICS_HEADER + (size_t)nslots * sizeof(uint64_t);
}

/*
 * Maps fd when it is a metrics file of this layout (0: any), slot count
 * (0: any) and labels (NULL: any).  Returns 0, X402_ERR_SYNTAX or
 * X402_ERR_IO.
 */
static int
map_fd(struct x402_metrics *m, struct x402_detail *d, int fd,
    const char *path, uint32_t layout, uint32_t nslots, const char *labels,
    int writable)
{
	const struct mhdr *h;
	struct stat st;
	void *p;

	if (fstat(fd, &st) != 0)
		return x402_fail(d, X402_ERR_IO, "metrics: %s: %s", path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size < X402_METRICS_HEADER ||
	    (uint64_t)st.st_size > file_size(X402_METRICS_SLOTS_MAX))
		return x402_fail(d, X402_ERR_SYNTAX, "metrics: %s: not a "
		    "metrics file", path);
	p = mmap(NULL, (size_t)st.st_size, writable ? PROT_READ | PROT_WRITE :
	    PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return x402_fail(d, X402_ERR_IO, "metrics: %s: mmap: %s", path,
		    strerror(errno));
	h = p;
	if (memcmp(h->magic, MAGIC, sizeof(h->magic)) != 0 ||
	    h->format != FORMAT || h->nslots > X402_METRICS_SLOTS_MAX ||
	    file_size(h->nslots) != (size_t)st.st_size ||
	    h->labels_len >= X402_METRICS_LABELS_MAX ||
	    h->labels[h->labels_len] != '\0' ||
	    memchr(h->labels, '\0', h->labels_len) != NULL ||
	    (layout != 0 && h->layout != layout) ||
	    (nslots != 0 && h->nslots != nslots) ||
	    (labels != NULL && strcmp(h->labels, labels) != 0)) {
		(void)munmap(p, (size_t)st.st_size);
		return x402_fail(d, X402_ERR_SYNTAX, "metrics: %s: not a "
		    "metrics file of this layout", path);
	}
	m->map = p;
	m->size = (size_t)st.st_size;
	m->layout = h->layout;
	m->nslots = h->nslots;
	memcpy(m->labels, h->labels, sizeof(m->labels));
	m->labels[sizeof(m->labels) - 1] = '\0';
	m->slot = (uint64_t *)(void *)((char *)p + X402_METRICS_HEADER);
	m->writable = writable;
	return 0;
}

/* Opens and maps an existing file.  Returns 0, NOTFOUND, SYNTAX or IO. */
static int
map_path(struct x402_metrics *m, struct x402_detail *d, const char *path,
    uint32_t layout, uint32_t nslots, const char *labels, int writable)
{
	int fd, e;

	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fd < 0)
		return x402_fail(d, errno == ENOENT ? X402_ERR_NOTFOUND :
		    X402_ERR_IO, "metrics: %s: %s", path, strerror(errno));
	e = map_fd(m, d, fd, path, layout, nslots, labels, writable);
	(void)close(fd);
	return e;
}

/* A new file of this layout at path (tmp file, then rename). */
static int
make_file(struct x402_metrics *m, struct x402_detail *d, const char *path,
    uint32_t layout, uint32_t nslots, const char *labels)
{
	char tmp[PATH_MAX];
	struct mhdr h;
	int fd = -1, e;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return x402_fail(d, X402_ERR_INVAL, "metrics: path too long");
	if ((fd = mkstemp(tmp)) < 0)
		return x402_fail(d, X402_ERR_IO, "metrics: cannot create %s: "
		    "%s", tmp, strerror(errno));
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, MAGIC, sizeof(h.magic));
	h.format = FORMAT;
	h.layout = layout;
	h.nslots = nslots;
	h.labels_len = (uint32_t)strlen(labels);
	memcpy(h.labels, labels, h.labels_len);
	if (fchmod(fd, 0644) != 0 ||
	    ftruncate(fd, (off_t)file_size(nslots)) != 0 ||
	    pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		e = x402_fail(d, X402_ERR_IO, "metrics: cannot write %s: %s",
		    tmp, strerror(errno));
		goto fail;
	}
	if ((e = map_fd(m, d, fd, tmp, layout, nslots, labels, 1)) != 0)
		goto fail;
	if (rename(tmp, path) != 0) {
		e = x402_fail(d, X402_ERR_IO, "metrics: cannot rename to %s: "
		    "%s", path, strerror(errno));
		(void)munmap(m->map, m->size);
		goto fail;
	}
	(void)close(fd);
	return 0;
fail:
	(void)unlink(tmp);
	(void)close(fd);
	return e;
}

int
x402_metrics_open(struct x402_metrics **out, struct x402_detail *d,
    const char *path, uint32_t layout, uint32_t nslots, const char *labels,
    int create)
{
	struct x402_metrics *m = NULL;
	char dirbuf[PATH_MAX];
	int dfd = -1, e;

	*out = NULL;
	if (path == NULL || (create && (labels == NULL || layout == 0 ||
	    nslots == 0 || nslots > X402_METRICS_SLOTS_MAX ||
	    strlen(labels) >= X402_METRICS_LABELS_MAX)) ||
	    strlen(path) >= sizeof(dirbuf))
		return x402_fail(d, X402_ERR_INVAL, "metrics: bad arguments");
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return x402_fail(d, X402_ERR_NOMEM, "metrics: out of memory");
	if (!create) {
		e = map_path(m, d, path, layout, nslots, NULL, 0);
		goto out;
	}
	if ((e = map_path(m, d, path, layout, nslots, labels, 1)) == 0)
		goto out;
	/*
	 * Missing or of another layout: make it under a lock on the
	 * directory, so that workers starting together agree on one file.
	 */
	memcpy(dirbuf, path, strlen(path) + 1);
	if ((dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		e = x402_fail(d, X402_ERR_IO, "metrics: %s: %s", dirbuf,
		    strerror(errno));
		goto out;
	}
	while (flock(dfd, LOCK_EX) != 0)
		if (errno != EINTR) {
			e = x402_fail(d, X402_ERR_IO, "metrics: lock %s: %s",
			    dirbuf, strerror(errno));
			goto out;
		}
	if ((e = map_path(m, d, path, layout, nslots, labels, 1)) != 0)
		e = make_file(m, d, path, layout, nslots, labels);
out:
	if (dfd >= 0)
		(void)close(dfd);	/* releases the lock */
	if (e != 0) {
		free(m);
		m = NULL;
	}
	*out = m;
	return e;
}

void
x402_metrics_close(struct x402_metrics *m)
{
	if (m == NULL)
		return;
	if (m->map != NULL)
		(void)munmap(m->map, m->size);
	free(m);
}

uint32_t
x402_metrics_layout(const struct x402_metrics *m)
{
	return m->layout;
}

uint32_t
x402_metrics_nslots(const struct x402_metrics *m)
{
	return m->nslots;
}

const char *
x402_metrics_labels(const struct x402_metrics *m)
{
	return m->labels;
}

void
x402_metrics_add(struct x402_metrics *m, uint32_t i, uint64_t v)
{
	if (m == NULL || !m->writable || i >= m->nslots || v == 0)
		return;
	(void)__atomic_fetch_add(&m->slot[i], v, __ATOMIC_RELAXED);
}

uint64_t
x402_metrics_get(const struct x402_metrics *m, uint32_t i)
{
	if (m == NULL || i >= m->nslots)
		return 0;
	return __atomic_load_n(&m->slot[i], __ATOMIC_RELAXED);
}

void
x402_metrics_add_amount(struct x402_metrics *m, uint32_t lo,
    const x402_u256 *v)
{
	uint64_t old;

	if (m == NULL || !m->writable || lo + 1 >= m->nslots || lo + 1 < lo)
		return;
	old = __atomic_fetch_add(&m->slot[lo], v->w[0], __ATOMIC_RELAXED);
	/* The carry out of the low word, then the high word. */
	x402_metrics_add(m, lo + 1, v->w[1] + (old + v->w[0] < old));
}

void
x402_metrics_get_amount(const struct x402_metrics *m, uint32_t lo,
    x402_u256 *out)
{
	memset(out, 0, sizeof(*out));
	out->w[0] = x402_metrics_get(m, lo);
	out->w[1] = x402_metrics_get(m, lo + 1);
}

void
x402_metrics_observe(struct x402_metrics *m, uint32_t first,
    const uint64_t *bounds, size_t nb, uint64_t us)
{
	size_t i;

	for (i = 0; i < nb && us > bounds[i]; i++)
		;
	x402_metrics_add(m, first + (uint32_t)i, 1);
	x402_metrics_add(m, first + (uint32_t)nb + 1, us);
}

int
x402_metrics_label(struct x402_buf *b, const char *v)
{
	int e = 0;

	for (; *v != '\0' && e == 0; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '\\')
			e = x402_buf_adds(b, "\\\\");
		else if (c == '"')
			e = x402_buf_adds(b, "\\\"");
		else if (c == '\n')
			e = x402_buf_adds(b, "\\n");
		else if (c < 0x20 || c == 0x7f)
			e = x402_buf_adds(b, "_");
		else
			e = x402_buf_add(b, v, 1);
	}
	return e;
}

/* Microseconds as seconds ("0.25", "1", "0.000001"). */
static void
seconds(char *out, size_t cap, uint64_t us)
{
	int n;

	n = snprintf(out, cap, "%llu.%06llu", (unsigned long long)(us /
	    1000000), (unsigned long long)(us % 1000000));
	/* Trim trailing zeros and the point. */
	while (n > 1 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
}

int
x402_metrics_histogram(struct x402_buf *b, const char *name,
    const char *labels, const struct x402_metrics *m, uint32_t first,
    const uint64_t *bounds, size_t nb)
{
	uint64_t cum = 0;
	char le[32];
	size_t i;
	int e = 0;

	for (i = 0; i <= nb && e == 0; i++) {
		cum += x402_metrics_get(m, first + (uint32_t)i);
		if (i < nb)
			seconds(le, sizeof(le), bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		e = x402_buf_printf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name,
		    labels, labels[0] ? "," : "", le, (unsigned long long)cum);
	}
	if (e == 0) {
		seconds(le, sizeof(le), x402_metrics_get(m, first +
		    (uint32_t)nb + 1));
		e = x402_buf_printf(b, "%s_sum{%s} %s\n%s_count{%s} %llu\n",
		    name, labels, le, name, labels, (unsigned long long)cum);
	}
	return e;
}
