/* check_log.c - the programs' logging module: format, escaping, levels. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "testutil.h"

/* Captures what the log writes to fd 2 into a temp file. */
struct capture {
	int saved;
	FILE *f;
};

static void
capture_start(struct capture *c)
{
	c->f = tmpfile();
	ck_assert_ptr_nonnull(c->f);
	c->saved = dup(2);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_eq(dup2(fileno(c->f), 2), 2);
}

/* Restores stderr; returns the captured text (to free()). */
static char *
capture_end(struct capture *c)
{
	long n;
	char *s;

	ck_assert_int_eq(dup2(c->saved, 2), 2);
	close(c->saved);
	ck_assert_int_ge(fseek(c->f, 0, SEEK_END), 0);
	n = ftell(c->f);
	rewind(c->f);
	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, c->f), (size_t)n);
	s[n] = '\0';
	fclose(c->f);
	return s;
}

/* A line as the module writes it, for this process. */
static char *
expect(const char *prog, const char *level, const char *func,
    const char *msg)
{
	size_t n = strlen(prog) + strlen(level) + strlen(func) +
	    strlen(msg) + 64;
	char *s = malloc(n);

	ck_assert_ptr_nonnull(s);
	snprintf(s, n, "%s[%ld]: %s: %s: %s\n", prog, (long)getpid(), level,
	    func, msg);
	return s;
}

static void
reset(void)
{
	x402_log_open("x402-test", X402_LOG_STDERR, 0, X402_LOG_FUNC);
	x402_log_set_level(X402_LEVEL_INFO);
}

START_TEST(format_and_function_name)
{
	struct capture c;
	char *got, *want;

	reset();
	capture_start(&c);
	X402_LOG_ERR("claim failed: %s (%d)", "busy", -23);
	got = capture_end(&c);
	want = expect("x402-test", "error", "format_and_function_name_fn",
	    "claim failed: busy (-23)");
	ck_assert_str_eq(got, want);
	free(got);
	free(want);

	capture_start(&c);
	X402_LOG_WARN("w");
	X402_LOG_INFO("i%d", 1);
	got = capture_end(&c);
	ck_assert_ptr_nonnull(strstr(got, "]: warning: format_and_function_name_fn: w\n"));
	ck_assert_ptr_nonnull(strstr(got, "]: info: format_and_function_name_fn: i1\n"));
	free(got);
}
END_TEST

START_TEST(escaping_cannot_forge_lines)
{
	struct capture c;
	char *got, *want;

	reset();
	capture_start(&c);
	X402_LOG_INFO("payer=%s", "0xabc\nx402-test[1]: error: forged\r"
	    "\x1b[31mred\t\\ \x7f\x01 caf\xc3\xa9");
	got = capture_end(&c);
	want = expect("x402-test", "info", "escaping_cannot_forge_lines_fn",
	    "payer=0xabc\\nx402-test[1]: error: forged\\r\\x1b[31mred\\t"
	    "\\\\ \\x7f\\x01 caf\xc3\xa9");
	ck_assert_str_eq(got, want);
	/* Exactly one line. */
	ck_assert_ptr_eq(strchr(got, '\n'), got + strlen(got) - 1);
	free(got);
	free(want);
}
END_TEST

START_TEST(level_filter)
{
	struct capture c;
	enum x402_log_level l = X402_LEVEL_ERR;
	char *got;

	reset();
	capture_start(&c);
	X402_LOG_DEBUG("hidden at info");
	x402_log_set_level(X402_LEVEL_DEBUG);
	X402_LOG_DEBUG("shown at debug");
	x402_log_set_level(X402_LEVEL_ERR);
	X402_LOG_WARN("hidden at error");
	X402_LOG_INFO("hidden at error");
	X402_LOG_ERR("shown at error");
	got = capture_end(&c);
	ck_assert_ptr_null(strstr(got, "hidden"));
	ck_assert_ptr_nonnull(strstr(got, ": debug: level_filter_fn: shown at debug\n"));
	ck_assert_ptr_nonnull(strstr(got, ": error: level_filter_fn: shown at error\n"));
	ck_assert_int_eq(x402_log_get_level(), X402_LEVEL_ERR);
	free(got);

	ck_assert_int_eq(x402_log_level_parse(&l, "debug"), 0);
	ck_assert_int_eq(l, X402_LEVEL_DEBUG);
	ck_assert_int_eq(x402_log_level_parse(&l, "warn"), 0);
	ck_assert_int_eq(l, X402_LEVEL_WARN);
	ck_assert_int_eq(x402_log_level_parse(&l, "warning"), 0);
	ck_assert_int_eq(x402_log_level_parse(&l, "error"), 0);
	ck_assert_int_eq(l, X402_LEVEL_ERR);
	ck_assert_int_eq(x402_log_level_parse(&l, "Info"), -1);
	ck_assert_int_eq(x402_log_level_parse(&l, "verbose"), -1);
	ck_assert_int_eq(x402_log_level_parse(&l, NULL), -1);
	ck_assert_int_eq(l, X402_LEVEL_ERR);
}
END_TEST

START_TEST(truncation)
{
	struct capture c;
	char *got, *big, *msg, *nl;
	size_t n = 3 * X402_LOG_MSG_MAX;

	reset();
	big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', n);
	big[n] = '\0';
	capture_start(&c);
	X402_LOG_INFO("%s", big);
	/* Escapes expand; the cut never splits one. */
	memset(big, '\n', n);
	X402_LOG_INFO("%s", big);
	/* Just under the cap: no cut. */
	big[0] = '\0';
	memset(big, 'b', X402_LOG_MSG_MAX - 3);
	big[X402_LOG_MSG_MAX - 3] = '\0';
	X402_LOG_INFO("%s", big);
	got = capture_end(&c);

	msg = strstr(got, ": truncation_fn: ");
	ck_assert_ptr_nonnull(msg);
	msg += strlen(": truncation_fn: ");
	nl = strchr(msg, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_uint_eq((size_t)(nl - msg), X402_LOG_MSG_MAX);
	ck_assert(memcmp(nl - 4, "a...", 4) == 0);

	msg = strstr(nl, ": truncation_fn: ") + strlen(": truncation_fn: ");
	nl = strchr(msg, '\n');
	ck_assert_uint_le((size_t)(nl - msg), X402_LOG_MSG_MAX);
	ck_assert_uint_eq((size_t)(nl - msg - 3) % 2, 0);
	ck_assert(memcmp(nl - 5, "\\n...", 5) == 0);

	msg = strstr(nl, ": truncation_fn: ") + strlen(": truncation_fn: ");
	nl = strchr(msg, '\n');
	ck_assert_uint_eq((size_t)(nl - msg), X402_LOG_MSG_MAX - 3);
	ck_assert(nl[-1] == 'b');
	free(got);
	free(big);
}
END_TEST

START_TEST(escape_function_and_options)
{
	struct capture c;
	char out[8], *got, *p;
	int cut;

	ck_assert_uint_eq(x402_log_escape(out, sizeof(out), "ab\ncd", 5, &cut),
	    6);
	ck_assert_str_eq(out, "ab\\ncd");
	ck_assert_int_eq(cut, 0);
	/* "\x1b" needs four bytes; only three are left: stop before it. */
	ck_assert_uint_eq(x402_log_escape(out, sizeof(out), "abcd\x1b", 5,
	    &cut), 4);
	ck_assert_str_eq(out, "abcd");
	ck_assert_int_eq(cut, 1);
	ck_assert_uint_eq(x402_log_escape(out, 0, "a", 1, &cut), 0);
	ck_assert_int_eq(cut, 1);

	/* Timestamp flag, program name sanitized, errno preserved. */
	x402_log_open("evil\nname", X402_LOG_STDERR, 0, X402_LOG_TIMESTAMP);
	x402_log_set_level(X402_LEVEL_INFO);
	capture_start(&c);
	errno = EACCES;
	X402_LOG_INFO("t");
	ck_assert_int_eq(errno, EACCES);
	got = capture_end(&c);
	/* 2024-01-02T03:04:05Z evil\nname[pid]: info: ...: t */
	ck_assert_uint_gt(strlen(got), 21);
	ck_assert(got[4] == '-' && got[10] == 'T' && got[19] == 'Z' &&
	    got[20] == ' ');
	p = got + 21;
	ck_assert(strncmp(p, "evil\\nname[", 11) == 0);
	free(got);

	/* syslog: nothing on stderr. */
	x402_log_open("x402-test", X402_LOG_SYSLOG, 0, 0);
	capture_start(&c);
	X402_LOG_DEBUG("filtered anyway");
	got = capture_end(&c);
	ck_assert_str_eq(got, "");
	free(got);
	x402_log_close();
	x402_log_close();
}
END_TEST

/* Without X402_LOG_FUNC no function name; access lines ignore the level. */
START_TEST(operator_lines_and_access)
{
	struct capture c;
	char *got, *want;

	x402_log_open("x402-test", X402_LOG_STDERR, 0, 0);
	x402_log_set_level(X402_LEVEL_ERR);
	capture_start(&c);
	X402_LOG_ERR("cannot run %s: %s", "/bin/x", "Permission denied");
	x402_log_access("route=a status=200 client=1.2.3.4\nforged");
	got = capture_end(&c);
	want = malloc(256);
	ck_assert_ptr_nonnull(want);
	snprintf(want, 256, "x402-test[%ld]: error: cannot run /bin/x: "
	    "Permission denied\nx402-test[%ld]: access: route=a status=200 "
	    "client=1.2.3.4\\nforged\n", (long)getpid(), (long)getpid());
	ck_assert_str_eq(got, want);
	ck_assert_ptr_null(strstr(got, "operator_lines_and_access"));
	free(got);
	free(want);
	x402_log_set_level(X402_LEVEL_INFO);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, format_and_function_name);
	tcase_add_test(tc, escaping_cannot_forge_lines);
	tcase_add_test(tc, level_filter);
	tcase_add_test(tc, truncation);
	tcase_add_test(tc, escape_function_and_options);
	tcase_add_test(tc, operator_lines_and_access);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(log_suite)
