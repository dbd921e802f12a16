/*
 * run.h - the safe subprocess runner (after OpenSSH's subprocess code and
 * lighttpd's mod_cgi) and the CGI reply parser for a command's output.
 *
 * Rules:
 *  - No shell, ever.  argv[0] is an absolute path handed to execve(2) as
 *    is: no PATH search, no /bin/sh, no word splitting.
 *  - The child's environment is exactly the envp the caller passes (build
 *    it with struct x402_env); nothing of the parent's environment leaks.
 *  - The child gets: stdin = a pipe fed from the caller's buffer, stdout =
 *    a pipe captured with a cap, stderr = a pipe captured with its own cap,
 *    a caller fd, or /dev/null.  Every other descriptor is closed.  Signal
 *    dispositions are default, the signal mask is empty, umask is 077, and
 *    the child leads its own process group (setpgid(0, 0)).
 *  - Any setup step that fails in the child (chdir, rlimit, nice, dropping
 *    privileges, exec) fails closed: the child writes one line to its
 *    stderr and exits 127 without running the command; the result says
 *    exec_failed and the detail names the step and errno.
 *  - On timeout or output overflow the whole process group gets SIGTERM,
 *    then SIGKILL after the grace period.  When the command exits, its
 *    process group is SIGKILLed at once: helpers it started in the
 *    background must not outlive the paid command (they would run unpaid
 *    and hold the output pipe).
 *  - A descendant can leave the group (setsid, setpgid, a double fork)
 *    and so escape the group kill.  Without o->sweep such a descendant
 *    outlives the call, and if it holds a pipe open it is waited for at
 *    most the grace period.  With o->sweep (Linux) every descendant is
 *    killed: the caller made itself a child subreaper once
 *    (x402_run_subreaper), so orphans of the command are reparented to it
 *    instead of to init; when the command has ended (exit, signal,
 *    timeout, overflow or an error of ours) and its group is killed,
 *    every remaining child of the calling process gets SIGKILL (its
 *    process group too, when it leads one) and is reaped, round after
 *    round as their own children are reparented in turn, until none is
 *    left or X402_RUN_SWEEP_MS have passed.  The sweep cannot tell the
 *    command's descendants from other children, so a caller that sets
 *    o->sweep must have no other children and never run two x402_run
 *    calls at once.  Escaped descendants get SIGKILL without a SIGTERM
 *    first: they have already outlived the command.
 *  - The child is always reaped before x402_run returns: no zombies.  No
 *    descriptor is leaked, and process-wide signal dispositions are never
 *    changed: SIGPIPE is blocked in the calling thread for the duration of
 *    the call and a SIGPIPE raised by our own write is consumed.
 *  - The subreaper flag is process-wide (prctl(2)
 *    PR_SET_CHILD_SUBREAPER): x402_run_subreaper changes the calling
 *    process, not one call, and a program that sets it must reap what is
 *    reparented to it (o->sweep does exactly that).  Nothing else in the
 *    library sets it.
 *  - The caller must not reap children behind our back (wait(-1) in a
 *    SIGCHLD handler, SIGCHLD set to SIG_IGN): the exit status would be
 *    lost (the result then shows neither exited nor signo).
 *  - Thread safety: x402_run may be called from several threads at once
 *    (never with o->sweep, see above), but it forks, so the usual
 *    fork-in-threads caveats apply to callers.
 */
#ifndef X402_RUN_H
#define X402_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"

/* ---- environment built from scratch -------------------------------- */

#define X402_ENV_MAX_VARS	256		/* variables in one env */
#define X402_ENV_MAX_BYTES	(64 * 1024)	/* sum of "NAME=value\0" */
#define X402_ENV_MAX_NAME	128		/* bytes in a name */

/*
 * A NUL-terminated "NAME=value" vector.  Zero it or x402_env_init it;
 * release it with x402_env_free.  Owns its strings.
 */
struct x402_env {
	char **vars;		/* vars[count] == NULL once anything is set */
	size_t count;
	size_t alloc;
	size_t bytes;
};

/* Prepares an empty environment. */
void x402_env_init(struct x402_env *env);

/*
 * Sets name to value, replacing an earlier value of the same name.
 * name must match [A-Za-z_][A-Za-z0-9_]* and be at most X402_ENV_MAX_NAME
 * bytes.  x402_env_set takes a C string (so it cannot carry a NUL);
 * x402_env_setn takes a length and refuses a value with an embedded NUL.
 * Newlines in values are allowed (they are legal in environments).
 * Returns 0, X402_ERR_INVAL (NULL), X402_ERR_SYNTAX (bad name, NUL in
 * value), X402_ERR_LIMIT (over X402_ENV_MAX_VARS or X402_ENV_MAX_BYTES),
 * X402_ERR_NOMEM.  On error env is unchanged.
 */
int x402_env_set(struct x402_env *env, const char *name, const char *value,
    struct x402_detail *d) X402_WARN_UNUSED;
int x402_env_setn(struct x402_env *env, const char *name, const char *value,
    size_t value_len, struct x402_detail *d) X402_WARN_UNUSED;

/* Returns the value of name (borrowed until the next set/free) or NULL. */
const char *x402_env_get(const struct x402_env *env, const char *name);

/*
 * Returns the NULL-terminated envp for x402_run, borrowed until the next
 * set/free.  Never NULL: an empty env gives an empty vector.
 */
char *const *x402_env_envp(const struct x402_env *env);

/* Frees every string and the vector.  NULL allowed. */
void x402_env_free(struct x402_env *env);

/* ---- running a command --------------------------------------------- */

#define X402_RUN_MAX_ARGS	256		/* argv entries */
#define X402_RUN_DEFAULT_TIMEOUT_MS	30000
#define X402_RUN_DEFAULT_GRACE_MS	2000
#define X402_RUN_SWEEP_MS	2000		/* the sweep's time bound */
#define X402_RUN_SWEEP_BATCH	1024		/* children killed per round */

/*
 * Options.  Initialise with x402_run_opts_init, then set what you need.
 * Pointers are borrowed for the duration of x402_run.
 */
struct x402_run_opts {
	char *const *envp;	/* NULL-terminated; NULL = empty env */
	const void *in;		/* bytes fed to stdin (may be NULL) */
	size_t in_len;
	int err_fd;		/* >= 0: child's stderr goes here (dup'd);
				   -1: captured into err, or /dev/null when
				   err is NULL */
	unsigned timeout_ms;	/* wall clock; 0 = no timeout */
	unsigned grace_ms;	/* TERM -> KILL, and drain after exit */
	const char *cwd;	/* NULL = inherit */
	/* Resource limits; 0 = leave as inherited.  Applied as soft and
	   hard limit, so the command cannot raise them again. */
	uint64_t rlimit_cpu;	/* seconds (RLIMIT_CPU) */
	uint64_t rlimit_as;	/* bytes (RLIMIT_AS) */
	uint64_t rlimit_fsize;	/* bytes (RLIMIT_FSIZE) */
	uint64_t rlimit_nproc;	/* processes of the uid (RLIMIT_NPROC) */
	int set_nice;		/* non-zero: setpriority(nice) */
	int nice;		/* -20..19 */
	int drop_priv;		/* non-zero: setgroups({gid}), setgid, setuid */
	uid_t uid;
	gid_t gid;
	int sweep;		/* non-zero: kill and reap every descendant
				   left when the command ends (see the
				   rules; needs x402_run_subreaper) */
};

/* What happened.  Filled by x402_run whenever it returns 0. */
struct x402_run_result {
	int exited;		/* 1: exited normally, status is valid */
	int status;		/* exit status (0..255) */
	int signo;		/* signal that ended it, or 0 */
	int timed_out;		/* wall-clock timeout hit, group killed */
	int output_overflow;	/* stdout over out->max, group killed */
	int err_truncated;	/* stderr over err->max (discarded, no kill) */
	int exec_failed;	/* a setup step or execve failed (exit 127) */
	uint64_t wall_ms;	/* fork to reap, milliseconds */
	size_t bytes_in;	/* stdin bytes the child accepted */
	size_t bytes_out;	/* stdout bytes read (including discarded) */
	size_t bytes_err;	/* stderr bytes read (including discarded) */
	unsigned strays;	/* sweep: descendants that outlived the
				   command (in its group or escaped from it),
				   reaped by the sweep */
	unsigned strays_left;	/* sweep: children still not reaped when
				   X402_RUN_SWEEP_MS passed (stuck in the
				   kernel); the next sweep reaps them */
};

/* Sets defaults: empty env, no stdin, stderr captured, 30 s timeout,
   2 s grace, no limits, no privilege change, no sweep. */
void x402_run_opts_init(struct x402_run_opts *o);

/*
 * Makes the calling process a child subreaper (Linux
 * PR_SET_CHILD_SUBREAPER), process-wide and for good, so that o->sweep
 * can reach descendants whose parents died.  Call it once, early, in a
 * program that runs commands with o->sweep and has no other children.
 * Returns 0, X402_ERR_UNSUPPORTED (not Linux) or X402_ERR_IO (errno in
 * detail).
 */
int x402_run_subreaper(struct x402_detail *d) X402_WARN_UNUSED;

/*
 * Runs argv[0] (an absolute path) with argv as its arguments.
 * Out: *res always (zeroed first); out receives stdout up to out->max
 * (the caller's x402_buf_init sets the cap; content beyond it is
 * discarded and output_overflow is set); err (may be NULL) receives
 * stderr up to err->max when o->err_fd < 0.
 * In: argv NULL-terminated, at most X402_RUN_MAX_ARGS entries; o may be
 * NULL for defaults.
 * Returns 0 when the command was started (or its setup failed in the
 * child) and reaped: look at *res for the outcome.  Returns X402_ERR_INVAL
 * (argv empty, not absolute, too long; o->sweep set while the calling
 * process is not a child subreaper), X402_ERR_IO (pipe, fork, poll
 * failed; errno in detail) or X402_ERR_NOMEM otherwise; the child, if one
 * was started, has then been killed and reaped.
 */
int x402_run(struct x402_run_result *res, struct x402_buf *out,
    struct x402_buf *err, const char *const argv[],
    const struct x402_run_opts *o, struct x402_detail *d) X402_WARN_UNUSED;

/* Returns 1 when res is a clean success: exited 0, no timeout, no
   overflow, no setup failure.  Else 0. */
int x402_run_ok(const struct x402_run_result *res);

/* ---- CGI-style output: headers, blank line, body ------------------- */

#define X402_CGI_MAX_HEADERS	32	/* header lines */
#define X402_CGI_MAX_LINE	1024	/* bytes per line, terminator excluded */

struct x402_cgi_header {
	char *name;		/* an HTTP token, as written */
	char *value;		/* no CR, LF, NUL or other control byte
				   except HTAB; surrounding blanks trimmed */
};

/*
 * A parsed command output.  The body points into the caller's output
 * buffer (borrowed for as long as that buffer lives); the rest is owned
 * and released by x402_cgi_free.
 */
struct x402_cgi {
	int has_headers;	/* 1 when a header block was found */
	int status;		/* Status code (100..599), 0 when absent */
	char *reason;		/* Status reason phrase, NULL when absent */
	char *content_type;	/* NULL when absent */
	struct x402_cgi_header *hdr;	/* every other header, in order */
	size_t nhdr;
	const char *body;
	size_t body_len;
};

/*
 * Splits output into headers and body, like a CGI host.
 * The rule: if the output starts with an HTTP token followed by ':'
 * ("Content-Type:", "Status:", "X-Anything:"), it is CGI: header lines
 * (LF or CRLF terminated) follow up to an empty line, and the body is
 * what comes after it; every line up to the empty line must then be a
 * valid header line, or the parse fails (fail closed: no half-parsed
 * headers, no header text leaking into the body).  Otherwise (plain
 * text, JSON, HTML, an empty first line, a first word without a colon)
 * the whole output is the body and there are no headers, so a command
 * that prints plain text just works.  A plain-text output whose very
 * first word ends in ':' ("Note: ...") is taken as CGI and usually
 * refused: such a command should print a Content-Type line first.
 * Content-Type and Status are recognised (case-insensitively; at most
 * once each); Status is "NNN" or "NNN reason".  Every other header is
 * returned in hdr for the caller to pass through or reserve.
 * Out: *c (zeroed first; free with x402_cgi_free even on error).
 * Returns 0, X402_ERR_SYNTAX (bad header line, obs-fold, control byte in a
 * value such as a bare CR, bad Status, duplicate Status/Content-Type, no
 * empty line before the end), X402_ERR_LIMIT (more than
 * X402_CGI_MAX_HEADERS lines or a line over X402_CGI_MAX_LINE),
 * X402_ERR_NOMEM, X402_ERR_INVAL.
 */
int x402_cgi_parse(struct x402_cgi *c, const char *out, size_t out_len,
    struct x402_detail *d) X402_WARN_UNUSED;

/* Returns the value of the first other header called name (any case),
   borrowed from c, or NULL. */
const char *x402_cgi_get(const struct x402_cgi *c, const char *name);

/* Frees what x402_cgi_parse allocated and zeroes *c.  NULL allowed. */
void x402_cgi_free(struct x402_cgi *c);

#endif /* X402_RUN_H */
