/*
 * testutil.h - shared helpers for the Check suites: hex fixtures and the
 * one main() every suite uses.
 */
#ifndef X402_TESTUTIL_H
#define X402_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* Decodes fixture hex (with or without 0x) into out; aborts the test on error. */
static inline size_t
tu_hex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	int r = x402_hex_decode(out, cap, &n, hex, strlen(hex),
	    X402_HEX_PREFIX_OPTIONAL);

	ck_assert_msg(r == 0, "bad fixture hex: %s", hex);
	return n;
}

/* Asserts that n bytes at got equal the fixture hex. */
#define tu_assert_hex(got, n, hex) do {					\
	char tu_buf_[2 * (n) + 3];					\
	(void)x402_hex_encode(tu_buf_, sizeof(tu_buf_), (got), (n),	\
	    X402_HEX_PREFIX_REQUIRED);					\
	ck_assert_str_eq(tu_buf_, (hex));				\
} while (0)

/*
 * How much slower than usual this run may be: X402_TEST_SCALE (the
 * valgrind and sanitizer runs set it), else 1.  Time bounds and timeouts
 * in tests are multiplied by it; they only guard against hangs.
 */
static inline unsigned
tu_scale(void)
{
	const char *e = getenv("X402_TEST_SCALE");
	long v = e ? strtol(e, NULL, 10) : 1;

	return v >= 1 && v <= 100 ? (unsigned)v : 1;
}

#ifdef _GNU_SOURCE	/* nftw(3) */
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static inline int
tu_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

/* A fresh scratch directory /tmp/NAME.XXXXXX in dir[0..cap). */
static inline void
tu_scratch_make(char *dir, size_t cap, const char *name)
{
	snprintf(dir, cap, "/tmp/%s.XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes a scratch directory and everything under it. */
static inline void
tu_scratch_remove(const char *dir)
{
	(void)nftw(dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
#endif

#define TU_MAIN(suite_fn)						\
int									\
main(void)								\
{									\
	SRunner *sr = srunner_create(suite_fn());			\
	int failed;							\
									\
	srunner_run_all(sr, CK_NORMAL);					\
	failed = srunner_ntests_failed(sr);				\
	srunner_free(sr);						\
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;		\
}

#endif /* X402_TESTUTIL_H */
