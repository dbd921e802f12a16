/*
 * log.h - the programs' one logging module (STYLE rule 10, after
 * OpenSSH's log.h).  The library never logs; x402-gate, x402-payout and
 * x402 do, through this.
 *
 * Rules:
 *  - Log through the macros: they are printf-format-checked and carry the
 *    calling function's name, which the line shows only with the flag
 *    X402_LOG_FUNC (programs set it at log level debug: an operator's
 *    lines name no internal function).  One call is one line.
 *  - Line format: "PROG[PID]: LEVEL: [FUNCTION: ]MESSAGE" on stderr;
 *    syslog adds its own program and pid.  An access line (one per
 *    request, x402_log_access) is "PROG[PID]: access: TEXT", logged
 *    whatever the level (syslog: LOG_INFO).
 *  - Destination: stderr (the default; the web server collects it and adds
 *    its own timestamps, so ours are off unless X402_LOG_TIMESTAMP) or
 *    syslog (openlog with the program name and LOG_PID).
 *  - Messages are sanitized: every control byte (CR, LF, TAB, ESC, ...,
 *    DEL) and the backslash are escaped as \n \r \t \\ \xHH, so text taken
 *    from a request can never forge a log line or drive a terminal.
 *    Bytes >= 0x80 pass unchanged (UTF-8).
 *  - A message is cut at X402_LOG_MSG_MAX bytes after escaping and then
 *    ends in "..."; a whole stderr line stays under PIPE_BUF and is
 *    written with one write(2), so lines of concurrent workers never mix.
 *  - errno is preserved across a log call.
 *  - Never log a key, a signature or a full payment payload (STYLE 7).
 *  - State is per process (set once at start-up); not for threads that
 *    reconfigure it concurrently.
 */
#ifndef X402_LOG_H
#define X402_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"	/* X402_PRINTF */

enum x402_log_level {
	X402_LEVEL_ERR = 0,
	X402_LEVEL_WARN = 1,
	X402_LEVEL_INFO = 2,
	X402_LEVEL_DEBUG = 3,
};

enum x402_log_dest {
	X402_LOG_STDERR = 0,
	X402_LOG_SYSLOG = 1,
};

#define X402_LOG_TIMESTAMP	0x01	/* stderr: prefix a UTC ISO 8601 time */
#define X402_LOG_FUNC		0x02	/* name the calling function */

#define X402_LOG_MSG_MAX	2048	/* message bytes after escaping */
#define X402_LOG_NAME_MAX	64	/* program and function name bytes */

/*
 * Sets the program name (copied, cut at X402_LOG_NAME_MAX), destination,
 * syslog facility (e.g. LOG_DAEMON; ignored for stderr) and flags.  May be
 * called again to switch.  Before any call: "x402", stderr, info.
 */
void x402_log_open(const char *prog, enum x402_log_dest dest, int facility,
    int flags);

/* Sets the minimum level logged (messages above it are dropped). */
void x402_log_set_level(enum x402_log_level min);

/* Returns the minimum level. */
enum x402_log_level x402_log_get_level(void);

/*
 * Parses "error", "warning" (or "warn"), "info", "debug" into *out.
 * Returns 0 or -1 for anything else (*out untouched).
 */
int x402_log_level_parse(enum x402_log_level *out, const char *s)
    X402_WARN_UNUSED;

/* Closes syslog if it was opened and returns to stderr. */
void x402_log_close(void);

/* Logs one message; use the macros below rather than these. */
void x402_log(enum x402_log_level level, const char *func,
    const char *fmt, ...) X402_PRINTF(3, 4);
void x402_vlog(enum x402_log_level level, const char *func,
    const char *fmt, va_list ap) X402_PRINTF(3, 0);

/*
 * Logs one access line (text: key=value pairs or a JSON object; escaped
 * like a message), whatever the minimum level.
 */
void x402_log_access(const char *text);

/*
 * Escapes src[0..srclen) into dst (dstsz bytes, always NUL-terminated
 * when dstsz > 0) as described above, never cutting an escape in half.
 * Returns the number of bytes written (NUL excluded); *cut is set to 1
 * when not everything fit, else 0.
 */
size_t x402_log_escape(char *dst, size_t dstsz, const char *src,
    size_t srclen, int *cut);

#define X402_LOG_ERR(...)	x402_log(X402_LEVEL_ERR, __func__, __VA_ARGS__)
#define X402_LOG_WARN(...)	x402_log(X402_LEVEL_WARN, __func__, __VA_ARGS__)
#define X402_LOG_INFO(...)	x402_log(X402_LEVEL_INFO, __func__, __VA_ARGS__)
#define X402_LOG_DEBUG(...)	x402_log(X402_LEVEL_DEBUG, __func__, __VA_ARGS__)

#endif /* X402_LOG_H */
