/* sanitizer.c - options compiled into a sanitized build (sanitizer.h). */
#include "autoconfig.h"

#include "sanitizer.h"

#ifdef X402_SANITIZERS
#include <sanitizer/lsan_interface.h>

/*
 * halt_on_error, exitcode: the first finding ends the process with status
 * 1 (a gate worker's web server then answers 500 and logs it).
 * log_path + log_exe_name: DIR/report.PROGRAM.PID.
 * detect_leaks: every process that leaves by exit() is checked; the gate
 * worker leaving on TERM calls x402_sanitizer_check_leaks() first.
 */
#define X402_SAN_COMMON \
	"halt_on_error=1:print_summary=1:log_exe_name=1:" \
	"log_path=" X402_SAN_REPORT_DIR "/report"

/* The runtime calls these before main(); the names are theirs, not ours. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void);

const char *
__asan_default_options(void)
{
	return X402_SAN_COMMON ":detect_leaks=1:abort_on_error=0:"
	    "detect_stack_use_after_return=1:check_initialization_order=1:"
	    "strict_init_order=1";
}

const char *
__ubsan_default_options(void)
{
	return X402_SAN_COMMON ":print_stacktrace=1";
}

const char *
__lsan_default_options(void)
{
	return "report_objects=1";
}

void
x402_sanitizer_check_leaks(void)
{
	__lsan_do_leak_check();
}

#else

void
x402_sanitizer_check_leaks(void)
{
}

#endif
