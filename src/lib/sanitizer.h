/*
 * sanitizer.h - what a sanitized build (configure --enable-sanitizers)
 * adds to every program that links libx402.
 *
 * Rules:
 *  - Only a build configured with --enable-sanitizers (X402_SANITIZERS in
 *    autoconfig.h) does anything here; otherwise the function is a no-op
 *    and no sanitizer symbol is defined.
 *  - A sanitized build compiles its options in (__asan_default_options,
 *    __ubsan_default_options, __lsan_default_options): stop at the first
 *    error, check leaks at exit, and write each report to a file
 *    X402_SAN_REPORT_DIR/report.PROGRAM.PID instead of stderr.  So a report
 *    is kept even when a web server clears the environment of the worker
 *    it starts or throws its stderr away; the CI stage scans that
 *    directory.  ASAN_OPTIONS and friends still override any option.
 *    (GCC 12's UBSan writes only its SUMMARY line with file:line:column to
 *    the report file and the diagnostic itself to stderr.)
 *  - The link option -u x402_sanitizer_check_leaks (configure adds it)
 *    pulls this module into every program.
 */
#ifndef X402_SANITIZER_H
#define X402_SANITIZER_H

/*
 * Runs LeakSanitizer now, for a process about to leave with _exit() (which
 * skips the check at exit).  A leak is reported like any other finding and
 * ends the process with a failure status.  Does nothing in a build without
 * sanitizers.  Async-signal-safe only in the sense that the program must
 * not be inside the allocator when it is called from a signal handler.
 */
void x402_sanitizer_check_leaks(void);

#endif /* X402_SANITIZER_H */
