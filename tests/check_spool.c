/* check_spool.c - the maildir-style spool: write, claim, race, failures. */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spool.h"
#include "testutil.h"

static char root[64];

static void
setup(void)
{
	tu_scratch_make(root, sizeof(root), "check_spool");
}

static void
teardown(void)
{
	char p[128];

	/* A failed test may leave its mounts behind. */
	snprintf(p, sizeof(p), "%s/ro", root);
	(void)umount2(p, MNT_DETACH);
	snprintf(p, sizeof(p), "%s/small", root);
	(void)umount2(p, MNT_DETACH);
	snprintf(p, sizeof(p), "%s/sp/cur", root);
	(void)umount2(p, MNT_DETACH);
	tu_scratch_remove(root);
}

/* root/sub joined into a static buffer. */
static const char *
at(const char *sub)
{
	static char p[2][256];
	static int k;

	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "%s/%s", root, sub);
	return p[k];
}

/* Number of entries (not . or ..) in a directory, -1 if unreadable. */
static int
count(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..");
	closedir(dp);
	return n;
}

static struct x402_spool *
open_ok(const char *dir)
{
	struct x402_spool *s = NULL;
	struct x402_detail d;

	x402_detail_clear(&d);
	ck_assert_msg(x402_spool_open(&s, &d, dir) == 0, "%s", d.msg);
	return s;
}

START_TEST(write_then_claim)
{
	static const char rec[] = "{\"payer\":\"0xabc\"}\0binary\xff";
	char name[X402_SPOOL_NAMEMAX + 1], got[X402_SPOOL_NAMEMAX + 1];
	struct x402_spool *s = open_ok(at("sp"));
	struct x402_detail d;
	struct x402_buf b;
	struct stat st;
	char path[512];

	x402_buf_init(&b, 4096);
	ck_assert_int_eq(stat(at("sp/quarantine"), &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_spool_write(s, name, sizeof(name), &d, rec,
	    sizeof(rec)), 0);
	ck_assert_int_eq(count(at("sp/tmp")), 0);
	ck_assert_int_eq(count(at("sp/new")), 1);
	snprintf(path, sizeof(path), "%s/%s", at("sp/new"), name);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_size, sizeof(rec));
	ck_assert_uint_eq(st.st_nlink, 1);
	/* time.pid.16 hex digits */
	{
		long long t;
		long pid;
		char hex[32];

		ck_assert_int_eq(sscanf(name, "%lld.%ld.%31s", &t, &pid, hex),
		    3);
		ck_assert_int_eq(pid, (long)getpid());
		ck_assert_uint_eq(strlen(hex), 16);
	}
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    0);
	ck_assert_str_eq(got, name);
	ck_assert_uint_eq(b.len, sizeof(rec));
	ck_assert_mem_eq(b.p, rec, sizeof(rec));
	ck_assert_int_eq(count(at("sp/new")), 0);
	ck_assert_int_eq(count(at("sp/cur")), 1);
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_spool_done(s, &d, name), 0);
	ck_assert_int_eq(count(at("sp/cur")), 0);
	ck_assert_int_eq(x402_spool_done(s, &d, name), X402_ERR_NOTFOUND);
	/* An empty record is a record. */
	ck_assert_int_eq(x402_spool_write(s, NULL, 0, &d, NULL, 0), 0);
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    0);
	ck_assert_uint_eq(b.len, 0);
	x402_buf_free(&b);
	x402_spool_close(s);
	/* Reopening an existing spool works. */
	x402_spool_close(open_ok(at("sp")));
	x402_spool_close(NULL);
}
END_TEST

START_TEST(limits_and_names)
{
	char name[X402_SPOOL_NAMEMAX + 1];
	struct x402_spool *s = open_ok(at("sp"));
	struct x402_detail d;
	struct x402_buf b;
	char big[100];

	memset(big, 'x', sizeof(big));
	x402_buf_init(&b, 99);
	ck_assert_int_eq(x402_spool_write(s, name, 10, &d, "a", 1),
	    X402_ERR_LIMIT);
	ck_assert_int_eq(count(at("sp/new")), 0);
	ck_assert_int_eq(x402_spool_write(s, NULL, 0, &d, big,
	    X402_SPOOL_MAXRECORD + 1), X402_ERR_LIMIT);
	ck_assert_int_eq(x402_spool_write(s, NULL, 0, &d, big, sizeof(big)),
	    0);
	/* A record over the reader's cap stays claimed, name set. */
	ck_assert_int_eq(x402_spool_claim_next(s, name, sizeof(name), &b, &d),
	    X402_ERR_LIMIT);
	ck_assert_msg(strstr(d.msg, "over 99 bytes") != NULL, "%s", d.msg);
	ck_assert_int_eq(count(at("sp/cur")), 1);
	ck_assert_uint_gt(strlen(name), 10);
	ck_assert_int_eq(x402_spool_quarantine(s, &d, name, "too big"), 0);
	/* Names that could leave their directory are refused. */
	ck_assert_int_eq(x402_spool_done(s, &d, "../new/x"), X402_ERR_INVAL);
	ck_assert_int_eq(x402_spool_done(s, &d, ".."), X402_ERR_INVAL);
	ck_assert_int_eq(x402_spool_done(s, &d, ""), X402_ERR_INVAL);
	ck_assert_int_eq(x402_spool_done(s, &d, NULL), X402_ERR_INVAL);
	ck_assert_int_eq(x402_spool_requeue(s, &d, "a/b"), X402_ERR_INVAL);
	ck_assert_int_eq(x402_spool_drop_tmp(s, &d, ".hidden"),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_spool_quarantine(s, &d, "x\n", "r"),
	    X402_ERR_INVAL);
	x402_buf_free(&b);
	x402_spool_close(s);
}
END_TEST

START_TEST(quarantine_moves_and_explains)
{
	char name[X402_SPOOL_NAMEMAX + 1], path[512], txt[64];
	char again[X402_SPOOL_NAMEMAX + 1], q[X402_SPOOL_NAMEMAX + 1];
	struct x402_spool *s = open_ok(at("sp"));
	struct x402_detail d;
	struct x402_buf b;
	char reason[X402_SPOOL_REASONMAX + 2];
	FILE *f;

	x402_buf_init(&b, 4096);
	ck_assert_int_eq(x402_spool_write(s, NULL, 0, &d, "junk", 4), 0);
	ck_assert_int_eq(x402_spool_claim_next(s, name, sizeof(name), &b, &d),
	    0);
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	ck_assert_int_eq(x402_spool_quarantine(s, &d, name, reason),
	    X402_ERR_LIMIT);
	ck_assert_int_eq(count(at("sp/cur")), 1);
	ck_assert_int_eq(x402_spool_quarantine(s, &d, name, "bad JSON"), 0);
	ck_assert_int_eq(count(at("sp/cur")), 0);
	ck_assert_int_eq(count(at("sp/quarantine")), 2);
	ck_assert_int_eq(count(at("sp/tmp")), 0);
	snprintf(path, sizeof(path), "%s/%s", at("sp/quarantine"), name);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/%s.reason", at("sp/quarantine"),
	    name);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_ptr_nonnull(fgets(txt, sizeof(txt), f));
	fclose(f);
	ck_assert_str_eq(txt, "bad JSON\n");
	ck_assert_int_eq(x402_spool_quarantine(s, &d, name, "again"),
	    X402_ERR_NOTFOUND);
	snprintf(q, sizeof(q), "%s", name);
	/* Nothing in quarantine is ever claimed again... */
	ck_assert_int_eq(x402_spool_claim_next(s, name, sizeof(name), &b, &d),
	    X402_ERR_NOTFOUND);
	/* ...until the operator puts it back. */
	snprintf(path, sizeof(path), "%s.reason", q);
	ck_assert_int_eq(x402_spool_unquarantine(s, &d, path),
	    X402_ERR_INVAL);
	ck_assert_int_eq(x402_spool_unquarantine(s, &d, "1.2.00000000000000ee"),
	    X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_spool_unquarantine(s, &d, q), 0);
	ck_assert_int_eq(count(at("sp/quarantine")), 0);
	ck_assert_int_eq(x402_spool_unquarantine(s, &d, q),
	    X402_ERR_NOTFOUND);
	ck_assert_int_eq(x402_spool_claim_next(s, again, sizeof(again), &b,
	    &d), 0);
	ck_assert_str_eq(again, q);
	ck_assert_int_eq(b.len, 4);
	/* a record of the same q already waiting is never replaced */
	ck_assert_int_eq(x402_spool_quarantine(s, &d, q, "again"), 0);
	snprintf(path, sizeof(path), "%s/%s", at("sp/new"), q);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	ck_assert_int_eq(x402_spool_unquarantine(s, &d, q),
	    X402_ERR_EXISTS);
	ck_assert_int_eq(count(at("sp/quarantine")), 2);
	x402_buf_free(&b);
	x402_spool_close(s);
}
END_TEST

#define NREC 500

/* Child: claim until empty, write "name\n" per claim to fd. */
static void
consumer(const char *dir, int fd)
{
	char name[X402_SPOOL_NAMEMAX + 1], line[X402_SPOOL_NAMEMAX + 2];
	struct x402_spool *s = NULL;
	struct x402_buf b;
	int r, n;

	x402_buf_init(&b, 1024);
	if (x402_spool_open(&s, NULL, dir) != 0)
		_exit(2);
	while ((r = x402_spool_claim_next(s, name, sizeof(name), &b,
	    NULL)) == 0) {
		/* The record holds its own index: check it is whole. */
		if (b.len != 8 || strncmp(b.p, "rec:", 4) != 0)
			_exit(3);
		n = snprintf(line, sizeof(line), "%s\n", name);
		if (write(fd, line, (size_t)n) != n)
			_exit(4);
		if (x402_spool_done(s, NULL, name) != 0)
			_exit(5);
	}
	x402_buf_free(&b);
	x402_spool_close(s);
	_exit(r == X402_ERR_NOTFOUND ? 0 : 6);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(two_consumers_claim_each_once)
{
	static char *written[NREC], *claimed[NREC + 1];
	char name[X402_SPOOL_NAMEMAX + 1], rec[16];
	struct x402_spool *s = open_ok(at("sp"));
	struct x402_buf out[2];
	int p[2][2], i, k, st, nclaimed = 0, per[2] = { 0, 0 };
	pid_t pid[2];

	for (i = 0; i < NREC; i++) {
		snprintf(rec, sizeof(rec), "rec:%04d", i);
		ck_assert_int_eq(x402_spool_write(s, name, sizeof(name), NULL,
		    rec, 8), 0);
		written[i] = strdup(name);
	}
	ck_assert_int_eq(count(at("sp/new")), NREC);
	x402_spool_close(s);	/* the children open their own */
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(pipe(p[k]), 0);
		pid[k] = fork();
		ck_assert_int_ge(pid[k], 0);
		if (pid[k] == 0) {
			close(p[k][0]);
			consumer(at("sp"), p[k][1]);
		}
		close(p[k][1]);
	}
	/* 500 short names fit in the pipe buffers: read one, then the other. */
	for (k = 0; k < 2; k++) {
		char chunk[4096];
		ssize_t n;

		x402_buf_init(&out[k], 1 << 20);
		while ((n = read(p[k][0], chunk, sizeof(chunk))) > 0)
			ck_assert_int_eq(x402_buf_add(&out[k], chunk,
			    (size_t)n), 0);
		close(p[k][0]);
		ck_assert_int_eq(waitpid(pid[k], &st, 0), pid[k]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "consumer %d status %d", k, st);
	}
	for (k = 0; k < 2; k++) {
		char *line = out[k].p, *nl;

		while (line != NULL && (nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			ck_assert_int_lt(nclaimed, NREC + 1);
			claimed[nclaimed++] = line;
			per[k]++;
			line = nl + 1;
		}
	}
	/* Complete and disjoint: the sorted lists are equal. */
	ck_assert_int_eq(nclaimed, NREC);
	qsort(written, NREC, sizeof(written[0]), cmpstr);
	qsort(claimed, NREC, sizeof(claimed[0]), cmpstr);
	for (i = 0; i < NREC; i++)
		ck_assert_str_eq(written[i], claimed[i]);
	ck_assert_int_eq(count(at("sp/new")), 0);
	ck_assert_int_eq(count(at("sp/cur")), 0);
	fprintf(stderr, "spool race: consumers claimed %d and %d\n", per[0],
	    per[1]);
	for (i = 0; i < NREC; i++)
		free(written[i]);
	x402_buf_free(&out[0]);
	x402_buf_free(&out[1]);
}
END_TEST

START_TEST(not_a_directory)
{
	struct x402_spool *s = NULL;
	struct x402_detail d;
	int fd;

	/* A file where new/ should be: refused, naming it. */
	ck_assert_int_eq(mkdir(at("sp"), 0700), 0);
	ck_assert_int_ge(fd = open(at("sp/new"), O_CREAT | O_WRONLY, 0600),
	    0);
	close(fd);
	x402_detail_clear(&d);
	ck_assert_int_eq(x402_spool_open(&s, &d, at("sp")), X402_ERR_IO);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(d.msg, "new") != NULL &&
	    strstr(d.msg, strerror(ENOTDIR)) != NULL, "%s", d.msg);
	/* A file as the spool itself. */
	ck_assert_int_eq(x402_spool_open(&s, &d, at("sp/new")), X402_ERR_IO);
	ck_assert_int_eq(x402_spool_open(&s, &d, ""), X402_ERR_INVAL);
	/* A missing parent is not created. */
	ck_assert_int_eq(x402_spool_open(&s, &d, at("no/such")), X402_ERR_IO);
	ck_assert_msg(strstr(d.msg, "mkdir") != NULL, "%s", d.msg);
}
END_TEST

START_TEST(unwritable_spool)
{
	char name[X402_SPOOL_NAMEMAX + 1];
	struct x402_spool *s = NULL;
	struct x402_detail d;
	int remounted = 0, r, nnew;

	ck_assert_int_eq(mkdir(at("ro"), 0700), 0);
	x402_spool_close(open_ok(at("sp")));
	if (geteuid() == 0) {
		/* Root ignores modes: a read-only bind mount instead. */
		if (mount(at("sp"), at("ro"), "none", MS_BIND, NULL) != 0 ||
		    mount("none", at("ro"), "none", MS_BIND | MS_REMOUNT | MS_RDONLY,
		    NULL) != 0) {
			fprintf(stderr, "unwritable_spool: skipped, cannot "
			    "bind-mount read-only: %s\n", strerror(errno));
			(void)umount(at("ro"));
			return;
		}
		remounted = 1;
		r = x402_spool_open(&s, &d, at("ro"));
	} else {
		ck_assert_int_eq(chmod(at("sp/tmp"), 0500), 0);
		r = x402_spool_open(&s, &d, at("sp"));
	}
	x402_detail_clear(&d);
	if (r == 0)
		r = x402_spool_write(s, name, sizeof(name), &d, "x", 1);
	nnew = count(at("sp/new"));
	x402_spool_close(s);
	if (remounted)
		ck_assert_int_eq(umount(at("ro")), 0);
	else
		(void)chmod(at("sp/tmp"), 0700);
	ck_assert_int_eq(r, X402_ERR_IO);
	ck_assert_msg(strstr(d.msg, "open tmp/") != NULL && strstr(d.msg,
	    strerror(remounted ? EROFS : EACCES)) != NULL, "%s", d.msg);
	ck_assert_int_eq(nnew, 0);
}
END_TEST

START_TEST(disk_full)
{
	char name[X402_SPOOL_NAMEMAX + 1];
	struct x402_spool *s;
	struct x402_detail d;
	static char big[128 * 1024];
	int r1, r2, nnew, ntmp, nnew2;

	ck_assert_int_eq(mkdir(at("small"), 0700), 0);
	if (mount("tmpfs", at("small"), "tmpfs", 0, "size=64k") != 0) {
		fprintf(stderr, "disk_full: skipped, cannot mount a 64k "
		    "tmpfs: %s\n", strerror(errno));
		return;
	}
	/* Gather the results, unmount, then assert (a failing assertion
	 * ends the test at once). */
	if (x402_spool_open(&s, &d, at("small/sp")) != 0) {
		(void)umount(at("small"));
		ck_abort_msg("open: %s", d.msg);
	}
	memset(big, 'z', sizeof(big));
	x402_detail_clear(&d);
	r1 = x402_spool_write(s, name, sizeof(name), &d, big, sizeof(big));
	nnew = count(at("small/sp/new"));
	ntmp = count(at("small/sp/tmp"));
	/* The spool still works for a record that fits. */
	r2 = x402_spool_write(s, name, sizeof(name), NULL, big, 1000);
	nnew2 = count(at("small/sp/new"));
	x402_spool_close(s);
	ck_assert_int_eq(umount(at("small")), 0);
	ck_assert_int_eq(r1, X402_ERR_IO);
	ck_assert_msg(strstr(d.msg, "write tmp/") != NULL &&
	    strstr(d.msg, strerror(ENOSPC)) != NULL, "%s", d.msg);
	/* Nothing half-written anywhere. */
	ck_assert_int_eq(nnew, 0);
	ck_assert_int_eq(ntmp, 0);
	ck_assert_int_eq(r2, 0);
	ck_assert_int_eq(nnew2, 1);
}
END_TEST

START_TEST(stale_recovery)
{
	char name[X402_SPOOL_NAMEMAX + 1];
	struct x402_spool *s = open_ok(at("sp"));
	struct x402_detail d;
	struct x402_buf b, list;
	size_t n;
	int fd;

	x402_buf_init(&b, 1024);
	x402_buf_init(&list, 4096);
	/* A writer that died: tmp/1.2.00000000000000de left behind. */
	ck_assert_int_ge(fd = open(at("sp/tmp/1.2.00000000000000de"),
	    O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	ck_assert_int_eq(x402_spool_write(s, NULL, 0, &d, "r", 1), 0);
	ck_assert_int_eq(x402_spool_claim_next(s, name, sizeof(name), &b, &d),
	    0);
	/* Young entries are not stale. */
	ck_assert_int_eq(x402_spool_stale(s, &list, &n, &d, X402_SPOOL_TMP,
	    time(NULL), 3600), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(list.len, 0);
	ck_assert_int_eq(x402_spool_stale(s, &list, &n, &d, X402_SPOOL_TMP,
	    time(NULL) + 3600, 3600), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list.p, "1.2.00000000000000de\n");
	ck_assert_int_eq(x402_spool_drop_tmp(s, &d, "1.2.00000000000000de"),
	    0);
	ck_assert_int_eq(count(at("sp/tmp")), 0);
	ck_assert_int_eq(x402_spool_drop_tmp(s, &d, "1.2.00000000000000de"),
	    X402_ERR_NOTFOUND);
	/* A consumer that died: its cur/ entry goes back to new/. */
	x402_buf_reset(&list);
	ck_assert_int_eq(x402_spool_stale(s, &list, &n, &d, X402_SPOOL_CUR,
	    time(NULL) + 60, 60), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(list.len, strlen(name) + 1);
	ck_assert_mem_eq(list.p, name, strlen(name));
	ck_assert_int_eq(x402_spool_requeue(s, &d, name), 0);
	ck_assert_int_eq(count(at("sp/new")), 1);
	ck_assert_int_eq(x402_spool_claim_next(s, name, sizeof(name), &b, &d),
	    0);
	ck_assert_mem_eq(b.p, "r", 1);
	/* A list that overflows says so. */
	x402_buf_free(&list);
	x402_buf_init(&list, 4);
	ck_assert_int_eq(x402_spool_stale(s, &list, &n, &d, X402_SPOOL_CUR,
	    time(NULL) + 60, 60), X402_ERR_LIMIT);
	x402_buf_free(&list);
	x402_buf_free(&b);
	x402_spool_close(s);
}
END_TEST

/*
 * Claims walk one listing of new/ across calls: a record written after
 * that listing was read, or put back by requeue, is still claimed, and
 * X402_ERR_NOTFOUND comes only when a fresh listing is empty.
 */
START_TEST(late_records_are_found)
{
	static char *written[8];
	char name[X402_SPOOL_NAMEMAX + 1], got[X402_SPOOL_NAMEMAX + 1];
	struct x402_spool *s = open_ok(at("sp"));
	struct x402_detail d;
	struct x402_buf b;
	int i, k, seen[8] = { 0 };

	x402_buf_init(&b, 64);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(x402_spool_write(s, name, sizeof(name), &d,
		    "early", 5), 0);
		written[i] = strdup(name);
	}
	/* The listing is read now (all three names are in its buffer). */
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    0);
	for (k = 0; k < 3 && strcmp(got, written[k]) != 0; k++)
		;
	ck_assert_int_lt(k, 3);
	seen[k]++;
	for (i = 3; i < 8; i++) {
		ck_assert_int_eq(x402_spool_write(s, name, sizeof(name), &d,
		    "late", 4), 0);
		written[i] = strdup(name);
	}
	for (i = 1; i < 8; i++) {
		ck_assert_msg(x402_spool_claim_next(s, got, sizeof(got), &b,
		    &d) == 0, "claim %d: %s", i, d.msg);
		for (k = 0; k < 8 && strcmp(got, written[k]) != 0; k++)
			;
		ck_assert_int_lt(k, 8);
		seen[k]++;
		ck_assert_uint_eq(b.len, k < 3 ? 5 : 4);
	}
	for (k = 0; k < 8; k++)
		ck_assert_int_eq(seen[k], 1);
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    X402_ERR_NOTFOUND);
	ck_assert_str_eq(got, "");
	/* After the end: a new record, and a requeued one, are found. */
	ck_assert_int_eq(x402_spool_write(s, name, sizeof(name), &d, "x", 1),
	    0);
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    0);
	ck_assert_str_eq(got, name);
	ck_assert_int_eq(x402_spool_requeue(s, &d, written[5]), 0);
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    0);
	ck_assert_str_eq(got, written[5]);
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    X402_ERR_NOTFOUND);
	/* A record taken behind the listing's back is skipped, not an error. */
	ck_assert_int_eq(x402_spool_write(s, name, sizeof(name), &d, "y", 1),
	    0);
	ck_assert_int_eq(x402_spool_write(s, got, sizeof(got), &d, "z", 1),
	    0);
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    0);
	ck_assert_int_eq(x402_spool_requeue(s, &d, got), 0);
	{
		char p1[512], p2[512];

		snprintf(p1, sizeof(p1), "%s/%s", at("sp/new"), got);
		snprintf(p2, sizeof(p2), "%s/%s", at("sp/quarantine"), got);
		ck_assert_int_eq(rename(p1, p2), 0);	/* "another consumer" */
	}
	ck_assert_int_eq(x402_spool_claim_next(s, name, sizeof(name), &b, &d),
	    0);
	ck_assert_str_ne(name, got);
	ck_assert_int_eq(x402_spool_claim_next(s, name, sizeof(name), &b, &d),
	    X402_ERR_NOTFOUND);
	for (i = 0; i < 8; i++)
		free(written[i]);
	x402_buf_free(&b);
	x402_spool_close(s);
}
END_TEST

/* Writes text into path (created or truncated). */
static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* The contents of path (up to 255 bytes), "" if unreadable. */
static const char *
slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/*
 * Whoever can write the spool (the web user) replaces a subdirectory by
 * a symbolic link to the payout's state directory: the spool refuses to
 * open, and nothing of the state directory is moved or read.  Run for
 * each of tmp, new, cur and quarantine, and for a dangling link.
 */
static const char *const areas[] = { "tmp", "new", "cur", "quarantine" };

START_TEST(subdir_symlink_refused)
{
	struct x402_spool *s = NULL;
	struct x402_detail d;
	char sub[64];
	const char *target;

	x402_spool_close(open_ok(at("sp")));
	ck_assert_int_eq(mkdir(at("state"), 0700), 0);
	put(at("state/ledger"), "the ledger");
	put(at("state/1.2.00000000000000ab"), "receipt-named state");
	snprintf(sub, sizeof(sub), "sp/%s", areas[_i % 4]);
	ck_assert_int_eq(rmdir(at(sub)), 0);
	target = _i < 4 ? at("state") : at("nowhere");
	ck_assert_int_eq(symlink(target, at(sub)), 0);
	x402_detail_clear(&d);
	ck_assert_int_eq(x402_spool_open(&s, &d, at("sp")), X402_ERR_PERM);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(d.msg, areas[_i % 4]) != NULL &&
	    strstr(d.msg, "symbolic link") != NULL, "%s", d.msg);
	ck_assert_str_eq(slurp(at("state/ledger")), "the ledger");
	ck_assert_int_eq(count(at("state")), 2);
	ck_assert_int_eq(count(at("nowhere")), -1);	/* not created */
}
END_TEST

/* A subdirectory of another owner (made by the web user in place of the
 * spool owner's) is refused; so is one on another device. */
START_TEST(subdir_owner_and_device)
{
	struct x402_spool *s = NULL;
	struct x402_detail d;
	int r;

	if (geteuid() != 0) {
		fprintf(stderr, "subdir_owner_and_device: skipped, needs root "
		    "(chown, mount)\n");
		return;
	}
	x402_spool_close(open_ok(at("sp")));
	ck_assert_int_eq(chown(at("sp/new"), 12345, 12345), 0);
	x402_detail_clear(&d);
	ck_assert_int_eq(x402_spool_open(&s, &d, at("sp")), X402_ERR_PERM);
	ck_assert_msg(strstr(d.msg, "new belongs to uid 12345") != NULL,
	    "%s", d.msg);
	ck_assert_int_eq(chown(at("sp/new"), 0, 0), 0);
	x402_spool_close(open_ok(at("sp")));
	if (mount("tmpfs", at("sp/cur"), "tmpfs", 0, "size=64k") != 0) {
		fprintf(stderr, "subdir_owner_and_device: device part skipped, "
		    "cannot mount a tmpfs: %s\n", strerror(errno));
		return;
	}
	x402_detail_clear(&d);
	r = x402_spool_open(&s, &d, at("sp"));
	x402_spool_close(s);
	ck_assert_int_eq(umount(at("sp/cur")), 0);
	ck_assert_int_eq(r, X402_ERR_PERM);
	ck_assert_msg(strstr(d.msg, "cur is on another file system") != NULL,
	    "%s", d.msg);
}
END_TEST

/*
 * In new/: a symbolic link to a secret under a receipt name, a FIFO, a
 * directory and wrongly named files.  A claim takes only the one genuine
 * record, never blocks on the FIFO, and leaves the rest where they are.
 * The calls that take a name refuse anything but a regular file.
 */
START_TEST(odd_entries_left_alone)
{
	char name[X402_SPOOL_NAMEMAX + 1], got[X402_SPOOL_NAMEMAX + 1];
	struct x402_spool *s = open_ok(at("sp"));
	struct x402_detail d;
	struct x402_buf b, list;
	size_t n;

	x402_buf_init(&b, 4096);
	x402_buf_init(&list, 4096);
	put(at("secret"), "SECRET");
	ck_assert_int_eq(symlink(at("secret"),
	    at("sp/new/1.1.000000000000000a")), 0);
	ck_assert_int_eq(mkfifo(at("sp/new/1.1.000000000000000b"), 0600), 0);
	ck_assert_int_eq(mkdir(at("sp/new/1.1.000000000000000c"), 0700), 0);
	put(at("sp/new/notes.txt"), "x");
	put(at("sp/new/1.1.dead"), "x");		/* not 16 hex digits */
	put(at("sp/new/1.1.000000000000000D"), "x");	/* upper case */
	put(at("sp/new/1.1.000000000000000e.reason"), "x");
	ck_assert_int_eq(x402_spool_write(s, name, sizeof(name), &d, "ok", 2),
	    0);
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    0);
	ck_assert_str_eq(got, name);
	ck_assert_mem_eq(b.p, "ok", 2);
	ck_assert_int_eq(x402_spool_claim_next(s, got, sizeof(got), &b, &d),
	    X402_ERR_NOTFOUND);
	ck_assert_int_eq(count(at("sp/new")), 7);
	ck_assert_int_eq(count(at("sp/cur")), 1);
	/* A dry run's read refuses them too. */
	ck_assert_int_eq(x402_spool_read(s, &b, &d, X402_SPOOL_NEW,
	    "1.1.000000000000000a"), X402_ERR_PERM);
	ck_assert_int_eq(x402_spool_read(s, &b, &d, X402_SPOOL_NEW,
	    "1.1.000000000000000b"), X402_ERR_PERM);
	ck_assert_int_eq(x402_spool_read(s, &b, &d, X402_SPOOL_NEW,
	    "notes.txt"), X402_ERR_INVAL);
	ck_assert_int_eq(x402_spool_read(s, &b, &d, X402_SPOOL_CUR, name), 0);
	ck_assert_mem_eq(b.p, "ok", 2);
	/* Links and FIFOs put in cur/ and quarantine/ are not moved or
	 * removed by name, nor listed for recovery. */
	ck_assert_int_eq(symlink(at("secret"),
	    at("sp/cur/1.1.00000000000000aa")), 0);
	ck_assert_int_eq(mkfifo(at("sp/cur/1.1.00000000000000bb"), 0600), 0);
	ck_assert_int_eq(symlink(at("secret"),
	    at("sp/quarantine/1.1.00000000000000cc")), 0);
	ck_assert_int_eq(x402_spool_requeue(s, &d, "1.1.00000000000000aa"),
	    X402_ERR_PERM);
	ck_assert_int_eq(x402_spool_done(s, &d, "1.1.00000000000000aa"),
	    X402_ERR_PERM);
	ck_assert_int_eq(x402_spool_quarantine(s, &d, "1.1.00000000000000bb",
	    "r"), X402_ERR_PERM);
	ck_assert_int_eq(x402_spool_unquarantine(s, &d,
	    "1.1.00000000000000cc"), X402_ERR_PERM);
	ck_assert_int_eq(x402_spool_stale(s, &list, &n, &d, X402_SPOOL_CUR,
	    time(NULL), 0), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(list.len, strlen(name) + 1);
	ck_assert_mem_eq(list.p, name, strlen(name));
	ck_assert_int_eq(count(at("sp/cur")), 3);
	ck_assert_int_eq(count(at("sp/quarantine")), 1);
	ck_assert_str_eq(slurp(at("secret")), "SECRET");
	ck_assert_int_eq(x402_spool_sync(s, &d, X402_SPOOL_CUR), 0);
	x402_buf_free(&list);
	x402_buf_free(&b);
	x402_spool_close(s);
}
END_TEST

/* The quarantine listing names records, never their .reason files. */
START_TEST(quarantine_listing)
{
	char name[X402_SPOOL_NAMEMAX + 1];
	struct x402_spool *s = open_ok(at("sp"));
	struct x402_detail d;
	struct x402_buf b, list;
	size_t n;

	x402_buf_init(&b, 4096);
	x402_buf_init(&list, 4096);
	ck_assert_int_eq(x402_spool_write(s, NULL, 0, &d, "j", 1), 0);
	ck_assert_int_eq(x402_spool_claim_next(s, name, sizeof(name), &b, &d),
	    0);
	ck_assert_int_eq(x402_spool_quarantine(s, &d, name, "why"), 0);
	ck_assert_int_eq(x402_spool_stale(s, &list, &n, &d,
	    X402_SPOOL_QUARANTINE, time(NULL), 0), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(list.len, strlen(name) + 1);
	ck_assert_mem_eq(list.p, name, strlen(name));
	x402_buf_free(&list);
	x402_buf_free(&b);
	x402_spool_close(s);
}
END_TEST

static Suite *
spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, write_then_claim);
	tcase_add_test(tc, limits_and_names);
	tcase_add_test(tc, quarantine_moves_and_explains);
	tcase_add_test(tc, two_consumers_claim_each_once);
	tcase_add_test(tc, not_a_directory);
	tcase_add_test(tc, unwritable_spool);
	tcase_add_test(tc, disk_full);
	tcase_add_test(tc, stale_recovery);
	tcase_add_test(tc, late_records_are_found);
	tcase_add_loop_test(tc, subdir_symlink_refused, 0, 8);
	tcase_add_test(tc, subdir_owner_and_device);
	tcase_add_test(tc, odd_entries_left_alone);
	tcase_add_test(tc, quarantine_listing);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(spool_suite)
