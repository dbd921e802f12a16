/*
 * fuzz.h - shared bits of the libFuzzer targets (tests/fuzz/fuzz_*.c).
 *
 * Each target is one LLVMFuzzerTestOneInput that hands at most FUZZ_MAX
 * bytes to a parser that reads outside input and frees everything it
 * got.  Built and run by scripts/fuzz.sh (clang, -fsanitize=fuzzer,
 * address,undefined); a crash, leak or sanitizer report fails the run.
 */
#ifndef X402_FUZZ_H
#define X402_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX	(64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated malloc'd copy of data (caller frees), or NULL. */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The directory for a target's scratch files: $TMPDIR or /tmp. */
static inline const char *
fuzz_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t != NULL && t[0] == '/' ? t : "/tmp";
}

#endif /* X402_FUZZ_H */
