/*
 * run.c - the safe subprocess runner and the CGI output parser.
 *
 * fork + execve rather than posix_spawn: posix_spawn cannot set rlimits,
 * nice, umask, a working directory (portably) or drop privileges, and it
 * cannot report which setup step failed.  The child only makes
 * async-signal-safe calls between fork and execve.
 */
#include "autoconfig.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

/* ---- environment ---------------------------------------------------- */

void
x402_env_init(struct x402_env *env)
{
	memset(env, 0, sizeof(*env));
}

void
x402_env_free(struct x402_env *env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; i < env->count; i++)
		free(env->vars[i]);
	free(env->vars);
	memset(env, 0, sizeof(*env));
}

static int
env_name_ok(const char *name, size_t *lenp)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		char ch = name[i];

		if (i >= X402_ENV_MAX_NAME)
			return 0;
		if (ch == '_' || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= 'a' && ch <= 'z') || (i > 0 && ch >= '0' &&
		    ch <= '9'))
			continue;
		return 0;
	}
	*lenp = i;
	return i > 0;
}

/* Returns the index of name in env, or env->count. */
static size_t
env_find(const struct x402_env *env, const char *name, size_t nlen)
{
	size_t i;

	for (i = 0; i < env->count; i++)
		if (strncmp(env->vars[i], name, nlen) == 0 &&
		    env->vars[i][nlen] == '=')
			return i;
	return env->count;
}

int
x402_env_setn(struct x402_env *env, const char *name, const char *value,
    size_t value_len, struct x402_detail *d)
{
	size_t nlen, need, idx, oldlen = 0;
	char *s = NULL;
	int r;

	if (env == NULL || name == NULL || (value == NULL && value_len > 0)) {
		r = x402_fail(d, X402_ERR_INVAL, "env: NULL argument");
		goto out;
	}
	if (!env_name_ok(name, &nlen)) {
		r = x402_fail(d, X402_ERR_SYNTAX,
		    "env: bad variable name (want [A-Za-z_][A-Za-z0-9_]*, "
		    "at most %d bytes)", X402_ENV_MAX_NAME);
		goto out;
	}
	if (value_len > 0 && memchr(value, '\0', value_len) != NULL) {
		r = x402_fail(d, X402_ERR_SYNTAX, "env: %s: NUL in value",
		    name);
		goto out;
	}
	if (value_len > X402_ENV_MAX_BYTES) {
		r = x402_fail(d, X402_ERR_LIMIT, "env: %s: value too long",
		    name);
		goto out;
	}
	need = nlen + 1 + value_len + 1;
	idx = env_find(env, name, nlen);
	if (idx < env->count)
		oldlen = strlen(env->vars[idx]) + 1;
	if (env->bytes - oldlen + need > X402_ENV_MAX_BYTES) {
		r = x402_fail(d, X402_ERR_LIMIT,
		    "env: %s: environment over %d bytes", name,
		    X402_ENV_MAX_BYTES);
		goto out;
	}
	if (idx == env->count && env->count >= X402_ENV_MAX_VARS) {
		r = x402_fail(d, X402_ERR_LIMIT,
		    "env: %s: more than %d variables", name,
		    X402_ENV_MAX_VARS);
		goto out;
	}
	if ((s = malloc(need)) == NULL) {
		r = x402_fail(d, X402_ERR_NOMEM, "env: out of memory");
		goto out;
	}
	memcpy(s, name, nlen);
	s[nlen] = '=';
	if (value_len > 0)
		memcpy(s + nlen + 1, value, value_len);
	s[need - 1] = '\0';
	if (idx == env->count && env->count + 2 > env->alloc) {
		size_t na = env->alloc ? env->alloc * 2 : 16;
		char **nv;

		if ((nv = realloc(env->vars, na * sizeof(*nv))) == NULL) {
			r = x402_fail(d, X402_ERR_NOMEM, "env: out of memory");
			goto out;
		}
		env->vars = nv;
		env->alloc = na;
	}
	if (idx < env->count) {
		free(env->vars[idx]);
		env->vars[idx] = s;
	} else {
		env->vars[env->count++] = s;
		env->vars[env->count] = NULL;
	}
	env->bytes = env->bytes - oldlen + need;
	s = NULL;
	r = 0;
out:
	free(s);
	return r;
}

int
x402_env_set(struct x402_env *env, const char *name, const char *value,
    struct x402_detail *d)
{
	if (value == NULL)
		return x402_fail(d, X402_ERR_INVAL, "env: NULL value");
	return x402_env_setn(env, name, value, strlen(value), d);
}

const char *
x402_env_get(const struct x402_env *env, const char *name)
{
	size_t nlen, idx;

	if (env == NULL || name == NULL || !env_name_ok(name, &nlen))
		return NULL;
	idx = env_find(env, name, nlen);
	return idx < env->count ? env->vars[idx] + nlen + 1 : NULL;
}

char *const *
x402_env_envp(const struct x402_env *env)
{
	static char *const empty[1] = { NULL };

	if (env == NULL || env->vars == NULL)
		return empty;
	return env->vars;
}

/* ---- the runner ------------------------------------------------------ */

/* Setup steps in the child, reported to the parent on failure. */
enum step {
	STEP_SETPGID, STEP_DUP, STEP_CLOSE, STEP_CHDIR, STEP_RLIMIT,
	STEP_NICE, STEP_SETGROUPS, STEP_SETGID, STEP_SETUID, STEP_SIGMASK,
	STEP_EXEC, STEP_COUNT
};

static const char *const step_names[STEP_COUNT] = {
	"setpgid", "dup2", "close descriptors", "chdir", "setrlimit",
	"setpriority", "setgroups", "setgid", "setuid", "sigprocmask",
	"execve",
};

struct report {
	int step;
	int err;
};

#define FD_CLOSED	(-1)
#define READ_CHUNK	16384
#define NO_PIDFD_TICK_MS 10

void
x402_run_opts_init(struct x402_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->err_fd = -1;
	o->timeout_ms = X402_RUN_DEFAULT_TIMEOUT_MS;
	o->grace_ms = X402_RUN_DEFAULT_GRACE_MS;
}

int
x402_run_ok(const struct x402_run_result *res)
{
	return res != NULL && res->exited && res->status == 0 &&
	    !res->timed_out && !res->output_overflow && !res->exec_failed;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		(void)close(*fd);
		*fd = FD_CLOSED;
	}
}

/* Appends s to msg[*n..cap), cut to fit; async-signal-safe. */
static void
say_add(char *msg, size_t *n, size_t cap, const char *s)
{
	while (*s != '\0' && *n < cap)
		msg[(*n)++] = *s++;
}

/*
 * Writes "cannot run PATH: STEP: DESCRIPTION (errno N)\n" to fd 2 (the
 * command's stderr, which the caller captures); async-signal-safe:
 * strerrordesc_np is a table lookup, strerror may not be.
 */
static void
child_say(const char *path, const char *what, int err)
{
	char msg[512], num[16];
	const char *desc = NULL;
	size_t n = 0, k = 0, cap = sizeof(msg) - 40;

	if (err < 0)
		err = 0;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	desc = strerrordesc_np(err);
#endif
	say_add(msg, &n, cap - 100, "cannot run ");
	say_add(msg, &n, cap - 100, path);
	say_add(msg, &n, cap, ": ");
	say_add(msg, &n, cap, what);
	say_add(msg, &n, cap, ": ");
	say_add(msg, &n, cap, desc != NULL ? desc : "error");
	cap = sizeof(msg) - 1;
	say_add(msg, &n, cap, " (errno ");
	do {
		num[k++] = (char)('0' + err % 10);
		err /= 10;
	} while (err > 0 && k < sizeof(num));
	while (k > 0)
		msg[n++] = num[--k];
	msg[n++] = ')';
	msg[n++] = '\n';
	(void)!write(2, msg, n);
}

static void __attribute__((noreturn))
child_fail(int rep, const char *path, enum step step, int err,
    int stdio_ready)
{
	struct report rec;

	rec.step = step;
	rec.err = err;
	(void)!write(rep, &rec, sizeof(rec));
	if (stdio_ready)
		child_say(path, step_names[step], err);
	_exit(127);
}

static int
close_from(int lo, int hi)
{
#ifdef SYS_close_range
	if (lo > hi)
		return 0;
	if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return -1;
#endif
	{
		long max = sysconf(_SC_OPEN_MAX);
		int fd;

		if (max < 0 || max > 1048576)
			max = 1048576;
		if (hi > max)
			hi = (int)max;
		for (fd = lo; fd <= hi; fd++)
			(void)close(fd);
	}
	return 0;
}

static int
set_limit(int res, uint64_t v)
{
	struct rlimit rl;

	if (v == 0)
		return 0;
	rl.rlim_cur = rl.rlim_max = (rlim_t)v;
	return setrlimit(res, &rl);
}

/* The lowest descriptor the child may keep for itself: fd 3 is the
   usage channel's when there is one. */
static int
usage_low_fd(int use_w)
{
	return use_w >= 0 ? X402_RUN_USAGE_FD + 1 : 3;
}

/*
 * In the child: makes the usage pipe's write end X402_RUN_USAGE_FD,
 * without close-on-exec.  The copy goes above lo first, so dup2 never
 * clobbers a source still needed (stdin, stdout or stderr may sit on fd 3
 * in the parent).  Returns 0 or -1 (errno).
 */
static int
usage_dup(int use_w, int lo)
{
	int use;

	if (use_w < 0)
		return 0;
	if ((use = fcntl(use_w, F_DUPFD, lo)) < 0 ||
	    dup2(use, X402_RUN_USAGE_FD) != X402_RUN_USAGE_FD)
		return -1;
	return 0;
}

/*
 * The child: runs between fork and execve, async-signal-safe calls only.
 * in_r, out_w, err_w, rep_w are the parent's descriptors (any number);
 * use_w is the usage pipe's write end, or -1 for none.
 */
static void __attribute__((noreturn))
child(const char *const argv[], char *const envp[],
    const struct x402_run_opts *o, int in_r, int out_w, int err_w, int rep_w,
    int use_w)
{
	struct sigaction sa;
	sigset_t none;
	int sig, in, out, err, rep, lo = usage_low_fd(use_w);

	/* Default dispositions first, while every signal is still blocked. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);

	if ((rep = fcntl(rep_w, F_DUPFD_CLOEXEC, lo)) < 0)
		_exit(127);
	if (setpgid(0, 0) != 0)
		child_fail(rep, argv[0], STEP_SETPGID, errno, 0);
	/* Move everything above 2 first, so no dup2 clobbers a source. */
	if ((in = fcntl(in_r, F_DUPFD, lo)) < 0 ||
	    (out = fcntl(out_w, F_DUPFD, lo)) < 0 ||
	    (err = fcntl(err_w, F_DUPFD, lo)) < 0 ||
	    usage_dup(use_w, lo) != 0 ||
	    dup2(in, 0) != 0 || dup2(out, 1) != 1 || dup2(err, 2) != 2)
		child_fail(rep, argv[0], STEP_DUP, errno, 0);
	if (close_from(lo, rep - 1) != 0 || close_from(rep + 1, INT_MAX) != 0)
		child_fail(rep, argv[0], STEP_CLOSE, errno, 1);
	(void)umask(077);
	if (o->cwd != NULL && chdir(o->cwd) != 0)
		child_fail(rep, argv[0], STEP_CHDIR, errno, 1);
	if (set_limit(RLIMIT_CPU, o->rlimit_cpu) != 0 ||
	    set_limit(RLIMIT_AS, o->rlimit_as) != 0 ||
	    set_limit(RLIMIT_FSIZE, o->rlimit_fsize) != 0 ||
	    set_limit(RLIMIT_NPROC, o->rlimit_nproc) != 0)
		child_fail(rep, argv[0], STEP_RLIMIT, errno, 1);
	if (o->set_nice && setpriority(PRIO_PROCESS, 0, o->nice) != 0)
		child_fail(rep, argv[0], STEP_NICE, errno, 1);
	if (o->drop_priv) {
		gid_t g = o->gid;

		if (setgroups(1, &g) != 0)
			child_fail(rep, argv[0], STEP_SETGROUPS, errno, 1);
		if (setgid(o->gid) != 0 || getgid() != o->gid ||
		    getegid() != o->gid)
			child_fail(rep, argv[0], STEP_SETGID, errno, 1);
		if (setuid(o->uid) != 0 || getuid() != o->uid ||
		    geteuid() != o->uid)
			child_fail(rep, argv[0], STEP_SETUID, errno, 1);
		/* Must not be able to get root back. */
		if (o->uid != 0 && setuid(0) == 0)
			child_fail(rep, argv[0], STEP_SETUID, EPERM, 1);
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
		child_fail(rep, argv[0], STEP_SIGMASK, errno, 1);
	execve(argv[0], (char *const *)argv, envp);
	child_fail(rep, argv[0], STEP_EXEC, errno, 1);
}

/* Creates a close-on-exec pipe; the end the parent keeps is non-blocking. */
static int
make_pipe(int fds[2], int parent_end)
{
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	if (fcntl(fds[parent_end], F_SETFL, O_NONBLOCK) != 0) {
		close_fd(&fds[0]);
		close_fd(&fds[1]);
		return -1;
	}
	return 0;
}

/* The parent's state for one run. */
struct run_state {
	pid_t pid;
	int pidfd;
	int in_w, out_r, err_r, rep_r;
	int use_r;		/* usage channel, or FD_CLOSED */
	int exited;		/* reaped */
	int term_sent, kill_sent;
	int epipe;
	int wstatus;		/* valid once exited; -1 if lost */
	const unsigned char *in;
	size_t in_len, in_off;
	uint64_t deadline, kill_at, drain_until;	/* 0 = none */
	struct report rep;
	size_t rep_got;
};

/*
 * Reads what is available from *fd into b (b NULL: discard).  Bytes past
 * the cap are discarded and *over set.  Closes *fd at EOF.  Returns 0 or
 * -1 (errno) on a read error.
 */
static int
drain(int *fd, struct x402_buf *b, size_t *count, int *over)
{
	char chunk[READ_CHUNK];
	ssize_t n;

	for (;;) {
		n = read(*fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -1;
		if (n == 0) {
			close_fd(fd);
			return 0;
		}
		*count += (size_t)n;
		if (b != NULL) {
			size_t room = b->max - b->len, take = (size_t)n;

			if (take > room) {
				take = room;
				*over = 1;
			}
			if (take > 0 && x402_buf_add(b, chunk, take) != 0) {
				errno = ENOMEM;
				return -1;
			}
		}
	}
}

static void
read_report(struct run_state *st)
{
	ssize_t n;

	for (;;) {
		if (st->rep_got < sizeof(st->rep))
			n = read(st->rep_r, (char *)&st->rep + st->rep_got,
			    sizeof(st->rep) - st->rep_got);
		else {
			char junk[16];

			n = read(st->rep_r, junk, sizeof(junk));
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN &&
			    errno != EWOULDBLOCK))
				close_fd(&st->rep_r);
			return;
		}
		if (st->rep_got < sizeof(st->rep))
			st->rep_got += (size_t)n;
	}
}

static void
start_kill(struct run_state *st, unsigned grace_ms)
{
	if (st->term_sent || st->exited)
		return;
	(void)kill(-st->pid, SIGTERM);
	st->term_sent = 1;
	st->kill_at = now_ms() + grace_ms;
	close_fd(&st->in_w);
}

/*
 * Checks whether the child has exited without reaping it; if so, kills
 * what is left of its group while the zombie still pins the group id,
 * then reaps it.  Returns 1 when reaped.
 */
static int
try_reap(struct run_state *st, int block)
{
	siginfo_t si;
	pid_t r;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)st->pid, &si,
	    WEXITED | WNOWAIT | (block ? 0 : WNOHANG)) != 0) {
		if (errno == EINTR)
			return 0;
		/* ECHILD: somebody else reaped it (caller's SIGCHLD). */
		st->exited = 1;
		st->wstatus = -1;
		return 1;
	}
	if (si.si_pid == 0)
		return 0;
	(void)kill(-st->pid, SIGKILL);
	while ((r = waitpid(st->pid, &st->wstatus, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		st->wstatus = -1;
	st->exited = 1;
	return 1;
}

/* ---- the sweep: descendants that left the command's group ------------ */

int
x402_run_subreaper(struct x402_detail *d)
{
#ifdef PR_SET_CHILD_SUBREAPER
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		return x402_fail(d, X402_ERR_IO, "run: prctl "
		    "PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	return 0;
#else
	return x402_fail(d, X402_ERR_UNSUPPORTED, "run: this system has no "
	    "child subreaper");
#endif
}

/* Returns 1 when the calling process is a child subreaper. */
static int
is_subreaper(void)
{
#ifdef PR_GET_CHILD_SUBREAPER
	int on = 0;

	return prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0) == 0 && on != 0;
#else
	return 0;
#endif
}

/*
 * Appends the pids listed in the file at dirfd/path (decimal numbers
 * separated by blanks) to kids[*n..max).  Returns 0, or -1 when the file
 * cannot be opened.
 */
static int
read_pids(int dirfd, const char *path, pid_t *kids, size_t *n, size_t max)
{
	char buf[512];
	ssize_t got, i;
	long v = 0;
	int fd, digits = 0;

	if ((fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	for (;;) {
		if ((got = read(fd, buf, sizeof(buf))) < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		for (i = 0; i < got; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				if (v <= INT_MAX / 10)
					v = v * 10 + (buf[i] - '0');
				digits = 1;
				continue;
			}
			if (digits && v > 0 && v <= INT_MAX && *n < max)
				kids[(*n)++] = (pid_t)v;
			v = 0;
			digits = 0;
		}
	}
	if (digits && v > 0 && v <= INT_MAX && *n < max)
		kids[(*n)++] = (pid_t)v;
	(void)close(fd);
	return 0;
}

/* Returns the parent pid in /proc/NAME/stat, or -1. */
static long
stat_ppid(int procfd, const char *name)
{
	char path[NAME_MAX + 16], buf[512], *p;
	ssize_t got;
	long ppid;
	int fd;

	(void)snprintf(path, sizeof(path), "%s/stat", name);
	if ((fd = openat(procfd, path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while ((got = read(fd, buf, sizeof(buf) - 1)) < 0 && errno == EINTR)
		;
	(void)close(fd);
	if (got <= 0)
		return -1;
	buf[got] = '\0';
	/* "pid (comm) state ppid ...": comm may hold anything but ')'s end. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %ld", &ppid) != 1)
		return -1;
	return ppid;
}

/*
 * Lists at most max children of the calling process: from the children
 * file of each of its threads, or, where the kernel has none
 * (CONFIG_PROC_CHILDREN unset), from the parent field of every
 * /proc/PID/stat.  Returns how many were found.
 */
static size_t
list_children(pid_t *kids, size_t max)
{
	struct dirent *e;
	char path[NAME_MAX + 16];
	size_t n = 0;
	long me = (long)getpid();
	int have = 0;
	DIR *dir;

	if ((dir = opendir("/proc/self/task")) != NULL) {
		while ((e = readdir(dir)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			(void)snprintf(path, sizeof(path), "%s/children",
			    e->d_name);
			if (read_pids(dirfd(dir), path, kids, &n, max) == 0)
				have = 1;
		}
		(void)closedir(dir);
	}
	if (have || (dir = opendir("/proc")) == NULL)
		return n;
	while (n < max && (e = readdir(dir)) != NULL)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
		    strspn(e->d_name, "0123456789") == strlen(e->d_name) &&
		    stat_ppid(dirfd(dir), e->d_name) == me)
			kids[n++] = (pid_t)atol(e->d_name);
	(void)closedir(dir);
	return n;
}

/*
 * The sweep (o->sweep): the command is reaped and its group killed, so
 * every child of the calling process left is a descendant of the command
 * (a dying member of its group, or one that escaped the group), since
 * the caller has no other children (run.h).  Kills each one and the
 * group it leads, reaps what died, and goes round again, since the
 * children of the killed are reparented to us in turn; stops when none
 * is left, or after X402_RUN_SWEEP_MS.
 */
static void
sweep(struct x402_run_result *res)
{
	pid_t kids[X402_RUN_SWEEP_BATCH], p;
	uint64_t until = now_ms() + X402_RUN_SWEEP_MS;
	struct timespec tick = { 0, 1000000 };
	size_t i, n;
	int status;

	for (;;) {
		while ((p = waitpid(-1, &status, WNOHANG)) > 0 ||
		    (p < 0 && errno == EINTR))
			if (p > 0)
				res->strays++;
		if (p < 0)
			break;		/* ECHILD: nobody left */
		n = list_children(kids, X402_RUN_SWEEP_BATCH);
		if (now_ms() >= until) {
			res->strays_left = (unsigned)n;
			break;
		}
		/* A listed child is unreaped, so its pid (and the group id
		   it may lead) cannot have been reused. */
		for (i = 0; i < n; i++) {
			if (getpgid(kids[i]) == kids[i])
				(void)kill(-kids[i], SIGKILL);
			(void)kill(kids[i], SIGKILL);
		}
		(void)nanosleep(&tick, NULL);
	}
}

static uint64_t
min_deadline(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/* Adds fd to the poll set if open; returns its index or -1. */
static int
add_pfd(struct pollfd *pf, int *np, int fd, short events)
{
	if (fd < 0)
		return -1;
	pf[*np].fd = fd;
	pf[*np].events = events;
	pf[*np].revents = 0;
	return (*np)++;
}

/* Returns the poll timeout for the next deadline (-1: none). */
static int
next_timeout(const struct run_state *st, uint64_t now)
{
	uint64_t next = 0;

	if (!st->exited && !st->term_sent)
		next = min_deadline(next, st->deadline);
	if (!st->exited && st->term_sent && !st->kill_sent)
		next = min_deadline(next, st->kill_at);
	if (st->exited)
		next = min_deadline(next, st->drain_until);
	if (!st->exited && st->pidfd < 0)
		next = min_deadline(next, now + NO_PIDFD_TICK_MS);
	if (next == 0)
		return -1;
	if (next <= now)
		return 0;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

/* Writes what the stdin pipe takes now; closes it when done or broken. */
static void
feed_stdin(struct run_state *st)
{
	ssize_t n = write(st->in_w, st->in + st->in_off,
	    st->in_len - st->in_off);

	if (n > 0) {
		st->in_off += (size_t)n;
		if (st->in_off == st->in_len)
			close_fd(&st->in_w);
	} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		/* EPIPE: the command stopped reading (SIGPIPE blocked). */
		if (errno == EPIPE)
			st->epipe = 1;
		close_fd(&st->in_w);
	}
}

/* Reads the usage channel into o->usage; past its cap is discarded. */
static int
drain_usage(struct run_state *st, const struct x402_run_opts *o,
    struct x402_run_result *res)
{
	size_t n = 0;

	return drain(&st->use_r, o->usage, &n, &res->usage_overflow);
}

/*
 * The parent's loop: feeds stdin, reads stdout, stderr and the setup
 * report, enforces the timeout (TERM, grace, KILL) and the output cap,
 * and reaps the child.  Returns 0 once the child is reaped and the pipes
 * are drained (or the drain grace passed), else an error (the caller
 * kills and reaps).
 */
static int
pump(struct run_state *st, const struct x402_run_opts *o,
    struct x402_run_result *res, struct x402_buf *out, struct x402_buf *err,
    struct x402_detail *d)
{
	int over;

	for (;;) {
		struct pollfd pf[6];
		int np = 0, ix_in, ix_out, ix_err, ix_rep, ix_use, ix_pid = -1;
		uint64_t now = now_ms();

		if (!st->exited && st->deadline != 0 && !st->term_sent &&
		    now >= st->deadline) {
			res->timed_out = 1;
			start_kill(st, o->grace_ms);
		}
		if (!st->exited && st->term_sent && !st->kill_sent &&
		    now >= st->kill_at) {
			(void)kill(-st->pid, SIGKILL);
			st->kill_sent = 1;
		}
		if (st->exited && (now >= st->drain_until || (st->out_r < 0 &&
		    st->err_r < 0 && st->rep_r < 0 && st->use_r < 0)))
			break;
		ix_in = add_pfd(pf, &np, st->in_w, POLLOUT);
		ix_out = add_pfd(pf, &np, st->out_r, POLLIN);
		ix_err = add_pfd(pf, &np, st->err_r, POLLIN);
		ix_rep = add_pfd(pf, &np, st->rep_r, POLLIN);
		ix_use = add_pfd(pf, &np, st->use_r, POLLIN);
		if (!st->exited)
			ix_pid = add_pfd(pf, &np, st->pidfd, POLLIN);
		if (poll(pf, (nfds_t)np, next_timeout(st, now)) < 0) {
			if (errno == EINTR)
				continue;
			return x402_fail(d, X402_ERR_IO, "run: poll: %s",
			    strerror(errno));
		}
		if (ix_in >= 0 && pf[ix_in].revents != 0)
			feed_stdin(st);
		over = 0;
		if (ix_out >= 0 && pf[ix_out].revents != 0 &&
		    drain(&st->out_r, out, &res->bytes_out, &over) != 0)
			return x402_fail(d, errno == ENOMEM ? X402_ERR_NOMEM :
			    X402_ERR_IO, "run: reading stdout: %s",
			    strerror(errno));
		if (over && !res->output_overflow) {
			res->output_overflow = 1;
			start_kill(st, o->grace_ms);
		}
		if (ix_err >= 0 && pf[ix_err].revents != 0 &&
		    drain(&st->err_r, err, &res->bytes_err,
		    &res->err_truncated) != 0)
			return x402_fail(d, errno == ENOMEM ? X402_ERR_NOMEM :
			    X402_ERR_IO, "run: reading stderr: %s",
			    strerror(errno));
		if (ix_rep >= 0 && pf[ix_rep].revents != 0)
			read_report(st);
		if (ix_use >= 0 && pf[ix_use].revents != 0 &&
		    drain_usage(st, o, res) != 0)
			return x402_fail(d, errno == ENOMEM ? X402_ERR_NOMEM :
			    X402_ERR_IO, "run: reading the usage channel: %s",
			    strerror(errno));
		if (!st->exited && (st->pidfd < 0 || (ix_pid >= 0 &&
		    pf[ix_pid].revents != 0)) && try_reap(st, 0)) {
			close_fd(&st->in_w);
			/* Escaped descendants die now, not at the drain
			   deadline: they may hold the output pipes. */
			if (o->sweep)
				sweep(res);
			st->drain_until = now_ms() + o->grace_ms;
		}
	}
	/* Whatever is already buffered still counts. */
	over = 0;
	if (st->out_r >= 0)
		(void)drain(&st->out_r, out, &res->bytes_out, &over);
	if (over)
		res->output_overflow = 1;
	if (st->err_r >= 0)
		(void)drain(&st->err_r, err, &res->bytes_err,
		    &res->err_truncated);
	if (st->rep_r >= 0)
		read_report(st);
	if (st->use_r >= 0)
		(void)drain_usage(st, o, res);
	return 0;
}

int
x402_run(struct x402_run_result *res, struct x402_buf *out,
    struct x402_buf *err, const char *const argv[],
    const struct x402_run_opts *o, struct x402_detail *d)
{
	struct x402_run_opts defaults;
	struct run_state st;
	int in_p[2] = { -1, -1 }, out_p[2] = { -1, -1 },
	    err_p[2] = { -1, -1 }, rep_p[2] = { -1, -1 },
	    use_p[2] = { -1, -1 };
	int null_fd = -1, child_err, r, sigpipe_pending;
	sigset_t pipeset, allset, saved, pending;
	size_t argc;
	uint64_t start;

	memset(&st, 0, sizeof(st));
	st.pid = -1;
	st.pidfd = st.in_w = st.out_r = st.err_r = st.rep_r = FD_CLOSED;
	st.use_r = FD_CLOSED;
	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (o == NULL) {
		x402_run_opts_init(&defaults);
		o = &defaults;
	}
	/* Block SIGPIPE in this thread for the whole call. */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	sigemptyset(&pending);
	(void)sigpending(&pending);
	sigpipe_pending = sigismember(&pending, SIGPIPE) == 1;
	(void)pthread_sigmask(SIG_BLOCK, &pipeset, &saved);

	if (res == NULL || out == NULL || argv == NULL || argv[0] == NULL) {
		r = x402_fail(d, X402_ERR_INVAL, "run: NULL argument");
		goto out;
	}
	if (argv[0][0] != '/') {
		r = x402_fail(d, X402_ERR_INVAL,
		    "run: command path must be absolute");
		goto out;
	}
	for (argc = 0; argv[argc] != NULL; argc++)
		if (argc >= X402_RUN_MAX_ARGS) {
			r = x402_fail(d, X402_ERR_INVAL,
			    "run: more than %d arguments", X402_RUN_MAX_ARGS);
			goto out;
		}
	if (o->in == NULL && o->in_len > 0) {
		r = x402_fail(d, X402_ERR_INVAL, "run: NULL stdin buffer");
		goto out;
	}
	if (o->sweep && !is_subreaper()) {
		r = x402_fail(d, X402_ERR_INVAL, "run: sweep needs a child "
		    "subreaper (x402_run_subreaper)");
		goto out;
	}
	st.in = o->in;
	st.in_len = o->in_len;

	if (make_pipe(in_p, 1) != 0 || make_pipe(out_p, 0) != 0 ||
	    make_pipe(rep_p, 0) != 0 ||
	    (o->usage != NULL && make_pipe(use_p, 0) != 0)) {
		r = x402_fail(d, X402_ERR_IO, "run: pipe: %s",
		    strerror(errno));
		goto out;
	}
	if (o->err_fd >= 0)
		child_err = o->err_fd;
	else if (err != NULL) {
		if (make_pipe(err_p, 0) != 0) {
			r = x402_fail(d, X402_ERR_IO, "run: pipe: %s",
			    strerror(errno));
			goto out;
		}
		child_err = err_p[1];
	} else {
		if ((null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
			r = x402_fail(d, X402_ERR_IO, "run: /dev/null: %s",
			    strerror(errno));
			goto out;
		}
		child_err = null_fd;
	}

	/* No handler of ours may run in the child before it resets them. */
	sigfillset(&allset);
	(void)pthread_sigmask(SIG_BLOCK, &allset, NULL);
	start = now_ms();
	st.pid = fork();
	if (st.pid == 0)
		child(argv, o->envp != NULL ? o->envp : x402_env_envp(NULL),
		    o, in_p[0], out_p[1], child_err, rep_p[1], use_p[1]);
	r = errno;
	{
		sigset_t keep = saved;

		sigaddset(&keep, SIGPIPE);
		(void)pthread_sigmask(SIG_SETMASK, &keep, NULL);
	}
	if (st.pid < 0) {
		r = x402_fail(d, X402_ERR_IO, "run: fork: %s", strerror(r));
		goto out;
	}
	/* Also here, so killing the group works before the child ran. */
	(void)setpgid(st.pid, st.pid);
#ifdef SYS_pidfd_open
	st.pidfd = (int)syscall(SYS_pidfd_open, st.pid, 0);
	if (st.pidfd >= 0)
		(void)fcntl(st.pidfd, F_SETFD, FD_CLOEXEC);
#else
	st.pidfd = -1;
#endif
	close_fd(&in_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	close_fd(&rep_p[1]);
	close_fd(&use_p[1]);
	close_fd(&null_fd);
	st.use_r = use_p[0];
	use_p[0] = FD_CLOSED;
	st.in_w = in_p[1];
	st.out_r = out_p[0];
	st.err_r = err_p[0];
	st.rep_r = rep_p[0];
	in_p[1] = out_p[0] = err_p[0] = rep_p[0] = FD_CLOSED;
	if (o->in_len == 0)
		close_fd(&st.in_w);
	if (o->timeout_ms > 0)
		st.deadline = start + o->timeout_ms;

	if ((r = pump(&st, o, res, out, err, d)) != 0)
		goto out;

	res->wall_ms = now_ms() - start;
	res->bytes_in = st.in_off;
	if (st.wstatus != -1 && WIFEXITED(st.wstatus)) {
		res->exited = 1;
		res->status = WEXITSTATUS(st.wstatus);
	} else if (st.wstatus != -1 && WIFSIGNALED(st.wstatus))
		res->signo = WTERMSIG(st.wstatus);
	if (st.rep_got == sizeof(st.rep)) {
		res->exec_failed = 1;
		if (st.rep.step >= 0 && st.rep.step < STEP_COUNT)
			(void)x402_fail(d, 0, "run: %s: %s: %s", argv[0],
			    step_names[st.rep.step], strerror(st.rep.err));
	}
	r = 0;
out:
	if (st.pid > 0 && !st.exited) {
		/* Error path: never leave the child running or a zombie. */
		(void)kill(-st.pid, SIGKILL);
		(void)kill(st.pid, SIGKILL);
		while (!st.exited)
			(void)try_reap(&st, 1);
		if (o->sweep)
			sweep(res);
	}
	close_fd(&st.pidfd);
	close_fd(&st.in_w);
	close_fd(&st.out_r);
	close_fd(&st.err_r);
	close_fd(&st.rep_r);
	close_fd(&in_p[0]);
	close_fd(&in_p[1]);
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[0]);
	close_fd(&err_p[1]);
	close_fd(&rep_p[0]);
	close_fd(&rep_p[1]);
	close_fd(&st.use_r);
	close_fd(&use_p[0]);
	close_fd(&use_p[1]);
	close_fd(&null_fd);
	if (st.epipe && !sigpipe_pending) {
		/* Consume the SIGPIPE our own write raised. */
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipeset, NULL, &zero) < 0 &&
		    errno == EINTR)
			;
	}
	(void)pthread_sigmask(SIG_SETMASK, &saved, NULL);
	return r;
}

/* ---- CGI output parsing ---------------------------------------------- */

static int
is_tchar(unsigned char ch)
{
	if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/*
 * Finds the line starting at p (n bytes left).  Sets *len (terminator
 * excluded) and *next (after the terminator).  Returns 0, or -1 when no
 * LF ends the line.
 */
static int
next_line(const char *p, size_t n, size_t *len, size_t *next)
{
	const char *lf = memchr(p, '\n', n);

	if (lf == NULL)
		return -1;
	*len = (size_t)(lf - p);
	*next = *len + 1;
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	return 0;
}

/*
 * Checks "Name: value" in line[0..len).  Sets *nlen, *vstart, *vlen
 * (value trimmed of blanks).  Returns 0 when valid, else X402_ERR_SYNTAX.
 */
static int
header_line(const char *line, size_t len, size_t *nlen, size_t *vstart,
    size_t *vlen)
{
	size_t i, e;

	for (i = 0; i < len && is_tchar((unsigned char)line[i]); i++)
		;
	if (i == 0 || i >= len || line[i] != ':')
		return X402_ERR_SYNTAX;
	*nlen = i;
	for (i++; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	for (e = len; e > i && (line[e - 1] == ' ' || line[e - 1] == '\t');
	    e--)
		;
	*vstart = i;
	*vlen = e - i;
	for (; i < e; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return X402_ERR_SYNTAX;
	}
	return 0;
}

static char *
dup_n(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static int
parse_status(struct x402_cgi *c, const char *v, size_t n,
    struct x402_detail *d)
{
	size_t i = 3;

	if (n < 3 || v[0] < '1' || v[0] > '5' || v[1] < '0' || v[1] > '9' ||
	    v[2] < '0' || v[2] > '9' || (n > 3 && v[3] != ' '))
		return x402_fail(d, X402_ERR_SYNTAX,
		    "cgi: bad Status (want \"NNN reason\")");
	c->status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
	while (i < n && v[i] == ' ')
		i++;
	if (i < n && (c->reason = dup_n(v + i, n - i)) == NULL)
		return x402_fail(d, X402_ERR_NOMEM, "cgi: out of memory");
	return 0;
}

int
x402_cgi_parse(struct x402_cgi *c, const char *out, size_t out_len,
    struct x402_detail *d)
{
	size_t pos = 0, len, next, nlen, vs, vl, lineno = 0;
	int r;

	if (c == NULL) {
		r = x402_fail(d, X402_ERR_INVAL, "cgi: NULL argument");
		goto out;
	}
	memset(c, 0, sizeof(*c));
	if (out == NULL && out_len > 0) {
		r = x402_fail(d, X402_ERR_INVAL, "cgi: NULL argument");
		goto out;
	}
	c->body = out;
	c->body_len = out_len;
	/* The start decides: "token:" is CGI, anything else is all body. */
	for (nlen = 0; nlen < out_len && is_tchar((unsigned char)out[nlen]);
	    nlen++)
		;
	if (nlen == 0 || nlen >= out_len || out[nlen] != ':') {
		r = 0;
		goto out;
	}
	c->has_headers = 1;
	for (;;) {
		const char *line = out + pos, *v;

		if (next_line(line, out_len - pos, &len, &next) != 0) {
			r = x402_fail(d, X402_ERR_SYNTAX,
			    "cgi: output ends inside the headers (line %zu)",
			    lineno + 1);
			goto out;
		}
		lineno++;
		pos += next;
		if (len == 0)
			break;
		if (len > X402_CGI_MAX_LINE) {
			r = x402_fail(d, X402_ERR_LIMIT,
			    "cgi: header line %zu over %d bytes", lineno,
			    X402_CGI_MAX_LINE);
			goto out;
		}
		if (lineno > X402_CGI_MAX_HEADERS) {
			r = x402_fail(d, X402_ERR_LIMIT,
			    "cgi: more than %d header lines",
			    X402_CGI_MAX_HEADERS);
			goto out;
		}
		if (header_line(line, len, &nlen, &vs, &vl) != 0) {
			r = x402_fail(d, X402_ERR_SYNTAX,
			    "cgi: bad header line %zu", lineno);
			goto out;
		}
		v = line + vs;
		if (nlen == 6 && strncasecmp(line, "Status", 6) == 0) {
			if (c->status != 0) {
				r = x402_fail(d, X402_ERR_SYNTAX,
				    "cgi: duplicate Status");
				goto out;
			}
			if ((r = parse_status(c, v, vl, d)) != 0)
				goto out;
		} else if (nlen == 12 &&
		    strncasecmp(line, "Content-Type", 12) == 0) {
			if (c->content_type != NULL) {
				r = x402_fail(d, X402_ERR_SYNTAX,
				    "cgi: duplicate Content-Type");
				goto out;
			}
			if ((c->content_type = dup_n(v, vl)) == NULL) {
				r = x402_fail(d, X402_ERR_NOMEM,
				    "cgi: out of memory");
				goto out;
			}
		} else {
			struct x402_cgi_header *h;

			h = realloc(c->hdr, (c->nhdr + 1) * sizeof(*h));
			if (h == NULL) {
				r = x402_fail(d, X402_ERR_NOMEM,
				    "cgi: out of memory");
				goto out;
			}
			c->hdr = h;
			h += c->nhdr;
			h->name = dup_n(line, nlen);
			h->value = dup_n(v, vl);
			c->nhdr++;
			if (h->name == NULL || h->value == NULL) {
				r = x402_fail(d, X402_ERR_NOMEM,
				    "cgi: out of memory");
				goto out;
			}
		}
	}
	c->body = out + pos;
	c->body_len = out_len - pos;
	r = 0;
out:
	return r;
}

const char *
x402_cgi_get(const struct x402_cgi *c, const char *name)
{
	size_t i;

	if (c == NULL || name == NULL)
		return NULL;
	for (i = 0; i < c->nhdr; i++)
		if (strcasecmp(c->hdr[i].name, name) == 0)
			return c->hdr[i].value;
	return NULL;
}

void
x402_cgi_free(struct x402_cgi *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nhdr; i++) {
		free(c->hdr[i].name);
		free(c->hdr[i].value);
	}
	free(c->hdr);
	free(c->reason);
	free(c->content_type);
	memset(c, 0, sizeof(*c));
}
