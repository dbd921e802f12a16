/*
 * san-selftest - built only by configure --enable-sanitizers.  Each mode
 * commits one error the sanitized build must report to its report
 * directory (src/lib/sanitizer.c), whatever the environment says:
 *   san-selftest heap | leak | ub | term-leak | ok
 * scripts/test.sh runs every mode with the environment cleared before the
 * integration tests under the sanitized build, and fails unless each error
 * mode leaves a report naming its error and "ok" leaves none.
 */
#include "autoconfig.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sanitizer.h"

/* volatile: hides the errors from the compiler, not from the sanitizers */
static void *volatile keep;
static volatile int one_past = 16, two = 2;

static int
heap_overflow(void)
{
	int n = one_past, r;
	char *p = malloc((size_t)n);

	if (p == NULL)
		return 1;
	memset(p, 'x', 16);
	p[n] = 'y';
	r = p[0];
	free(p);
	return r == 'x' ? 0 : 1;
}

static int
leak(void)
{
	keep = malloc(1234);
	keep = NULL;
	return 0;
}

static int
signed_overflow(void)
{
	int n = two, big = INT_MAX / 2 + 1;

	return big * n != 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	const char *m = argc > 1 ? argv[1] : "";

	if (strcmp(m, "heap") == 0)
		return heap_overflow();
	if (strcmp(m, "leak") == 0)
		return leak();
	if (strcmp(m, "ub") == 0)
		return signed_overflow();
	if (strcmp(m, "term-leak") == 0) {
		/* As the gate worker leaving on TERM: check, then _exit. */
		leak();
		x402_sanitizer_check_leaks();
		_exit(0);
	}
	if (strcmp(m, "ok") == 0) {
		keep = malloc(10);
		free(keep);
		x402_sanitizer_check_leaks();
		return 0;
	}
	fprintf(stderr, "usage: san-selftest heap|leak|ub|term-leak|ok\n");
	return 2;
}
