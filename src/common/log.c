/* log.c - the programs' logging module: stderr or syslog, sanitized. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Per-process settings, set once at start-up by the program. */
static char log_prog[X402_LOG_NAME_MAX + 1] = "x402";
static enum x402_log_dest log_dest = X402_LOG_STDERR;
static enum x402_log_level log_min = X402_LEVEL_INFO;
static int log_flags;
static int log_syslog_open;

static const char *const level_names[] = {
	"error", "warning", "info", "debug",
};

static const int level_prio[] = {
	LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG,
};

size_t
x402_log_escape(char *dst, size_t dstsz, const char *src, size_t srclen,
    int *cut)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;
	char esc[5];

	*cut = 0;
	if (dstsz == 0) {
		*cut = srclen > 0;
		return 0;
	}
	for (i = 0; i < srclen; i++) {
		unsigned char ch = (unsigned char)src[i];
		size_t k = 0;

		if (ch == '\\') {
			esc[k++] = '\\';
			esc[k++] = '\\';
		} else if (ch == '\n') {
			esc[k++] = '\\';
			esc[k++] = 'n';
		} else if (ch == '\r') {
			esc[k++] = '\\';
			esc[k++] = 'r';
		} else if (ch == '\t') {
			esc[k++] = '\\';
			esc[k++] = 't';
		} else if (ch < 0x20 || ch == 0x7f) {
			esc[k++] = '\\';
			esc[k++] = 'x';
			esc[k++] = hex[ch >> 4];
			esc[k++] = hex[ch & 0xf];
		} else
			esc[k++] = (char)ch;
		if (n + k > dstsz - 1) {
			*cut = 1;
			break;
		}
		memcpy(dst + n, esc, k);
		n += k;
	}
	dst[n] = '\0';
	return n;
}

void
x402_log_open(const char *prog, enum x402_log_dest dest, int facility,
    int flags)
{
	int cut;

	if (prog != NULL && *prog != '\0')
		(void)x402_log_escape(log_prog, sizeof(log_prog), prog,
		    strlen(prog), &cut);
	if (log_syslog_open) {
		closelog();
		log_syslog_open = 0;
	}
	log_dest = dest == X402_LOG_SYSLOG ? X402_LOG_SYSLOG : X402_LOG_STDERR;
	log_flags = flags;
	if (log_dest == X402_LOG_SYSLOG) {
		/* log_prog is static: openlog keeps the pointer. */
		openlog(log_prog, LOG_PID | LOG_NDELAY, facility);
		log_syslog_open = 1;
	}
}

void
x402_log_close(void)
{
	if (log_syslog_open)
		closelog();
	log_syslog_open = 0;
	log_dest = X402_LOG_STDERR;
}

void
x402_log_set_level(enum x402_log_level min)
{
	if (min >= X402_LEVEL_ERR && min <= X402_LEVEL_DEBUG)
		log_min = min;
}

enum x402_log_level
x402_log_get_level(void)
{
	return log_min;
}

int
x402_log_level_parse(enum x402_log_level *out, const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	if (strcmp(s, "warn") == 0) {
		*out = X402_LEVEL_WARN;
		return 0;
	}
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum x402_log_level)i;
			return 0;
		}
	return -1;
}

/* Writes all n bytes to fd 2, retrying on EINTR and short writes. */
static void
write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(2, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* The stderr time prefix when X402_LOG_TIMESTAMP is set, else "". */
static void
timestamp(char *ts, size_t cap)
{
	struct timespec now;
	struct tm tm;

	ts[0] = '\0';
	if (!(log_flags & X402_LOG_TIMESTAMP))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	if (gmtime_r(&now.tv_sec, &tm) == NULL ||
	    strftime(ts, cap, "%Y-%m-%dT%H:%M:%SZ ", &tm) == 0)
		ts[0] = '\0';
}

/*
 * Writes one finished line: to syslog at prio (with "TAG: " first when
 * syslog_tag), or to stderr as "[TIME ]PROG[PID]: TAG: FNMSG".
 */
static void
emit(int prio, const char *tag, int syslog_tag, const char *fn,
    const char *msg)
{
	char ts[32], line[X402_LOG_MSG_MAX + 3 * X402_LOG_NAME_MAX + 128];
	int n;

	if (log_dest == X402_LOG_SYSLOG) {
		syslog(prio, "%s%s%s%s", syslog_tag ? tag : "", syslog_tag ?
		    ": " : "", fn, msg);
		return;
	}
	timestamp(ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s%s[%ld]: %s: %s%s\n", ts,
	    log_prog, (long)getpid(), tag, fn, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		/* Cannot happen with the caps above; keep the newline. */
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	write_all(line, (size_t)n);
}

void
x402_log_access(const char *text)
{
	char msg[X402_LOG_MSG_MAX + 1];
	int saved_errno = errno, cut;
	size_t len;

	len = x402_log_escape(msg, sizeof(msg) - 3, text, strlen(text), &cut);
	if (cut)
		memcpy(msg + len, "...", 4);
	emit(LOG_INFO, "access", 1, "", msg);
	errno = saved_errno;
}

void
x402_vlog(enum x402_log_level level, const char *func, const char *fmt,
    va_list ap)
{
	char raw[X402_LOG_MSG_MAX + 1], msg[X402_LOG_MSG_MAX + 1];
	char fn[X402_LOG_NAME_MAX + 3];
	int saved_errno = errno, n, cut, cut2;
	size_t len;

	if (level < X402_LEVEL_ERR || level > X402_LEVEL_DEBUG)
		level = X402_LEVEL_ERR;
	if (level > log_min)
		goto out;
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	if (n < 0)
		n = 0;
	len = (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1;
	/* Room for "..." is kept at the end. */
	len = x402_log_escape(msg, sizeof(msg) - 3, raw, len, &cut);
	if (cut || (size_t)n >= sizeof(raw))
		memcpy(msg + len, "...", 4);
	if (func == NULL)
		func = "?";
	(void)x402_log_escape(fn, sizeof(fn) - 2, func, strlen(func), &cut2);
	if (!(log_flags & X402_LOG_FUNC))
		fn[0] = '\0';
	else if (strlen(fn) + 2 < sizeof(fn))
		strcat(fn, ": ");

	emit(level_prio[level], level_names[level], 0, fn, msg);
out:
	errno = saved_errno;
}

void
x402_log(enum x402_log_level level, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	x402_vlog(level, func, fmt, ap);
	va_end(ap);
}
