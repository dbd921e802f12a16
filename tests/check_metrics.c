/*
 * check_metrics.c - counters shared through a memory-mapped file, and the
 * pieces of the Prometheus text format.
 */
#define _GNU_SOURCE	/* tu_scratch_* (nftw) */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "testutil.h"

#define LAYOUT 0x74657374u

static char dir[64], path[128];

static void
setup(void)
{
	tu_scratch_make(dir, sizeof(dir), "check_metrics");
	snprintf(path, sizeof(path), "%s/a.metrics", dir);
}

static void
teardown(void)
{
	tu_scratch_remove(dir);
}

START_TEST(create_add_read)
{
	struct x402_metrics *w = NULL, *r = NULL;
	struct x402_detail d;
	struct stat st;

	ck_assert_int_eq(x402_metrics_open(&r, &d, path, LAYOUT, 8, NULL, 0),
	    X402_ERR_NOTFOUND);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(x402_metrics_open(&w, &d, path, LAYOUT, 8, "route\ta",
	    1), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	ck_assert_uint_eq((size_t)st.st_size, X402_METRICS_HEADER + 8 * 8);
	x402_metrics_add(w, 0, 3);
	x402_metrics_add(w, 7, 1);
	x402_metrics_add(w, 8, 1);	/* out of range: ignored */
	ck_assert_int_eq(x402_metrics_open(&r, &d, path, LAYOUT, 0, NULL, 0),
	    0);
	ck_assert_str_eq(x402_metrics_labels(r), "route\ta");
	ck_assert_uint_eq(x402_metrics_nslots(r), 8);
	ck_assert_uint_eq(x402_metrics_get(r, 0), 3);
	ck_assert_uint_eq(x402_metrics_get(r, 7), 1);
	ck_assert_uint_eq(x402_metrics_get(r, 8), 0);
	/* A read-only handle never writes. */
	x402_metrics_add(r, 0, 5);
	ck_assert_uint_eq(x402_metrics_get(w, 0), 3);
	/* Another layout id is refused to a reader. */
	x402_metrics_close(r);
	r = NULL;
	ck_assert_int_eq(x402_metrics_open(&r, &d, path, LAYOUT + 1, 0, NULL,
	    0), X402_ERR_SYNTAX);
	x402_metrics_close(w);
	x402_metrics_close(NULL);
}
END_TEST

/* Workers opening the same file count into the same slots, without lock. */
START_TEST(processes_share_counters)
{
	struct x402_metrics *m = NULL;
	struct x402_detail d;
	x402_u256 amt, got, want;
	enum { KIDS = 4, ADDS = 20000 };
	pid_t pid[KIDS];
	int i, k, st;

	x402_u256_set_u64(&amt, 0xc000000000000000ull);	/* carries */
	for (k = 0; k < KIDS; k++) {
		ck_assert_int_ge(pid[k] = fork(), 0);
		if (pid[k] == 0) {
			if (x402_metrics_open(&m, &d, path, LAYOUT, 4, "route\tx",
			    1) != 0)
				_exit(1);
			for (i = 0; i < ADDS; i++) {
				x402_metrics_add(m, 0, 1);
				if (i < 3)
					x402_metrics_add_amount(m, 1, &amt);
			}
			x402_metrics_close(m);
			_exit(0);
		}
	}
	for (k = 0; k < KIDS; k++) {
		ck_assert_int_eq(waitpid(pid[k], &st, 0), pid[k]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(x402_metrics_open(&m, &d, path, LAYOUT, 4, NULL, 0), 0);
	ck_assert_uint_eq(x402_metrics_get(m, 0), KIDS * ADDS);
	/* 12 x 0xc000000000000000 = 9 x 2^64, exactly. */
	x402_metrics_get_amount(m, 1, &got);
	ck_assert(x402_u256_mul_u64(&want, &amt, KIDS * 3) == 0);
	ck_assert_int_eq(x402_u256_cmp(&got, &want), 0);
	ck_assert_uint_eq(got.w[1], 9);
	x402_metrics_close(m);
}
END_TEST

/* New labels (a route's offers changed): a fresh file replaces the old. */
START_TEST(new_layout_replaces_file)
{
	struct x402_metrics *a = NULL, *b = NULL, *c = NULL;
	struct x402_detail d;

	ck_assert_int_eq(x402_metrics_open(&a, &d, path, LAYOUT, 4, "route\ta",
	    1), 0);
	x402_metrics_add(a, 1, 7);
	/* The same labels: the same counters. */
	ck_assert_int_eq(x402_metrics_open(&b, &d, path, LAYOUT, 4, "route\ta",
	    1), 0);
	ck_assert_uint_eq(x402_metrics_get(b, 1), 7);
	x402_metrics_close(b);
	ck_assert_int_eq(x402_metrics_open(&b, &d, path, LAYOUT, 6,
	    "route\ta\noffer\tx", 1), 0);
	ck_assert_uint_eq(x402_metrics_get(b, 1), 0);
	ck_assert_int_eq(x402_metrics_open(&c, &d, path, 0, 0, NULL, 0), 0);
	ck_assert_str_eq(x402_metrics_labels(c), "route\ta\noffer\tx");
	ck_assert_uint_eq(x402_metrics_nslots(c), 6);
	x402_metrics_close(a);
	x402_metrics_close(b);
	x402_metrics_close(c);
	/* Labels too long, no slots: refused. */
	{
		char big[X402_METRICS_LABELS_MAX + 1];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ck_assert_int_eq(x402_metrics_open(&a, &d, path, LAYOUT, 4, big,
		    1), X402_ERR_INVAL);
		ck_assert_int_eq(x402_metrics_open(&a, &d, path, LAYOUT, 0,
		    "r", 1), X402_ERR_INVAL);
	}
}
END_TEST

/* A file that is not ours (short, wrong magic, bad label text) is refused. */
START_TEST(garbage_refused)
{
	struct x402_metrics *m = NULL;
	struct x402_detail d;
	char junk[X402_METRICS_HEADER + 16];
	int fd;

	memset(junk, 'A', sizeof(junk));
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	ck_assert_int_eq(write(fd, junk, 100), 100);
	close(fd);
	ck_assert_int_eq(x402_metrics_open(&m, &d, path, 0, 0, NULL, 0),
	    X402_ERR_SYNTAX);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_TRUNC), 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	ck_assert_int_eq(x402_metrics_open(&m, &d, path, 0, 0, NULL, 0),
	    X402_ERR_SYNTAX);
	/* A writer replaces it. */
	ck_assert_int_eq(x402_metrics_open(&m, &d, path, LAYOUT, 2, "r", 1), 0);
	x402_metrics_close(m);
}
END_TEST

START_TEST(histogram_and_labels)
{
	static const uint64_t bounds[] = { 100000, 1000000 };	/* 0.1 s, 1 s */
	struct x402_metrics *m = NULL;
	struct x402_detail d;
	struct x402_buf b;

	ck_assert_int_eq(x402_metrics_open(&m, &d, path, LAYOUT, 4, "r", 1), 0);
	x402_metrics_observe(m, 0, bounds, 2, 50000);
	x402_metrics_observe(m, 0, bounds, 2, 100000);	/* le is inclusive */
	x402_metrics_observe(m, 0, bounds, 2, 250000);
	x402_metrics_observe(m, 0, bounds, 2, 2000000);
	x402_buf_init(&b, 4096);
	ck_assert_int_eq(x402_metrics_histogram(&b, "t_seconds", "route=\"a\"",
	    m, 0, bounds, 2), 0);
	ck_assert_str_eq(b.p,
	    "t_seconds_bucket{route=\"a\",le=\"0.1\"} 2\n"
	    "t_seconds_bucket{route=\"a\",le=\"1\"} 3\n"
	    "t_seconds_bucket{route=\"a\",le=\"+Inf\"} 4\n"
	    "t_seconds_sum{route=\"a\"} 2.4\n"
	    "t_seconds_count{route=\"a\"} 4\n");
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_metrics_label(&b, "a\"b\\c\nd\te"), 0);
	ck_assert_str_eq(b.p, "a\\\"b\\\\c\\nd_e");
	x402_buf_free(&b);
	/* Bounded: a full buffer is an error, not a cut line. */
	x402_buf_init(&b, 16);
	ck_assert_int_eq(x402_metrics_histogram(&b, "t_seconds", "", m, 0,
	    bounds, 2), X402_ERR_LIMIT);
	x402_buf_free(&b);
	x402_metrics_close(m);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_add_read);
	tcase_add_test(tc, processes_share_counters);
	tcase_add_test(tc, new_layout_replaces_file);
	tcase_add_test(tc, garbage_refused);
	tcase_add_test(tc, histogram_and_labels);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(metrics_suite)
