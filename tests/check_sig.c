/* check_sig.c - placeholder: fails until the module is written. */
#include <check.h>
#include "testutil.h"

START_TEST(not_written)
{
	ck_abort_msg("module sig is not written yet");
}
END_TEST

static Suite *
s_(void)
{
	Suite *s = suite_create("sig");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, not_written);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(s_)
