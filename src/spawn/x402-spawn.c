/*
 * x402-spawn - run a paid command as its own user (after Apache's suexec).
 *
 *	x402-spawn USER -- /abs/path [arg ...]
 *
 * Installed setuid root, mode 4750 root:GATEGROUP, so only the gate's
 * group can run it.  It refuses (exit 126, one line on stderr) unless the
 * real uid is a caller that X402_SPAWN_CONF (root-owned, not writable by
 * group or others) lists with USER; USER is never root, never the caller,
 * never of the caller's group.  Then it forks: the child drops to USER
 * (no supplementary groups), checks it cannot regain root and execs the
 * command with the gate's environment minus loader variables; the parent
 * keeps the caller's real uid (so the gate may signal it) with USER's
 * effective uid (so it may signal the command), forwards SIGTERM to the
 * command's process group, kills that group when the command ends and
 * exits with the command's status.  The command cannot signal the gate's
 * processes or reach the gate's files.  The supervisor is a child
 * subreaper: a descendant that left the command's group (setsid) comes
 * back to it when its parent dies, and is killed and reaped before the
 * supervisor exits (the gate's own sweep could not: it runs as another
 * user).
 */
#include "autoconfig.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef X402_SPAWN_CONF
#define X402_SPAWN_CONF "/etc/x402/spawn.conf"
#endif
#define SPAWN_REFUSED	126
#define SPAWN_LINE_MAX	256	/* bytes per line of the config */
#define SPAWN_LINES_MAX	1000	/* lines of the config */
#define SPAWN_ENV_MAX	1024	/* environment variables kept */
#define SPAWN_GRACE_S	1	/* TERM -> KILL of the command's group */
#define SPAWN_SWEEP_MS	2000	/* at most, to kill what the command left */

extern char **environ;

static volatile sig_atomic_t got_term, got_alarm;

static void refuse(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
refuse(const char *fmt, ...)
{
	va_list ap;

	fputs("x402-spawn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(SPAWN_REFUSED);
}

/* 1 when the config lists "caller target" (both names), else 0. */
static int
conf_allows(const char *caller, const char *target)
{
	char line[SPAWN_LINE_MAX + 2], extra[2], a[SPAWN_LINE_MAX],
	    b[SPAWN_LINE_MAX];
	struct stat st;
	FILE *f;
	int fd, n, lineno = 0, found = 0;

	if ((fd = open(X402_SPAWN_CONF, O_RDONLY | O_NOFOLLOW | O_CLOEXEC))
	    == -1)
		refuse("cannot open %s: %s", X402_SPAWN_CONF, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		refuse("%s is not a regular file", X402_SPAWN_CONF);
	if (st.st_uid != 0)
		refuse("%s is not owned by root", X402_SPAWN_CONF);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		refuse("%s is writable by group or others", X402_SPAWN_CONF);
	if ((f = fdopen(fd, "r")) == NULL)
		refuse("cannot read %s: %s", X402_SPAWN_CONF, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (++lineno > SPAWN_LINES_MAX)
			refuse("%s: too many lines", X402_SPAWN_CONF);
		if (strchr(line, '\n') == NULL && !feof(f))
			refuse("%s: a line is too long", X402_SPAWN_CONF);
		line[strcspn(line, "#\n")] = '\0';
		n = sscanf(line, "%255s %255s %1s", a, b, extra);
		if (n <= 0)
			continue;
		if (n != 2)
			refuse("%s: a line is not \"CALLER_USER "
			    "COMMAND_USER\"", X402_SPAWN_CONF);
		if (strcmp(a, caller) == 0 && strcmp(b, target) == 0)
			found = 1;
	}
	if (ferror(f))
		refuse("cannot read %s: %s", X402_SPAWN_CONF, strerror(errno));
	fclose(f);
	return found;
}

/* Loader and libc variables a command never gets, whatever the gate sent. */
static int
env_unsafe(const char *v)
{
	static const char *const names[] = { "GCONV_PATH=", "GETCONF_DIR=",
	    "GLIBC_TUNABLES=", "HOSTALIASES=", "LOCALDOMAIN=", "LOCPATH=",
	    "MALLOC_", "NIS_PATH=", "NLSPATH=", "RESOLV_HOST_CONF=",
	    "RES_OPTIONS=", "TMPDIR=", "TZDIR=", NULL };
	size_t i;

	if (strncmp(v, "LD_", 3) == 0)
		return 1;
	for (i = 0; names[i] != NULL; i++)
		if (strncmp(v, names[i], strlen(names[i])) == 0)
			return 1;
	return 0;
}

static void
on_signal(int sig)
{
	if (sig == SIGALRM)
		got_alarm = 1;
	else if (sig == SIGTERM)
		got_term = 1;
	/* SIGCHLD: only wakes sigsuspend */
}

/* The child: become the command user for good, then exec. */
static void
child(const struct passwd *pw, pid_t parent, char **argv, char **envp)
{
	if (setpgid(0, 0) != 0)
		refuse("setpgid: %s", strerror(errno));
	if (setgroups(0, NULL) != 0)
		refuse("setgroups: %s", strerror(errno));
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0)
		refuse("setgid: %s", strerror(errno));
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		refuse("setuid: %s", strerror(errno));
	if (setuid(0) != -1 || seteuid(0) != -1 || getuid() != pw->pw_uid ||
	    geteuid() != pw->pw_uid || getgid() != pw->pw_gid ||
	    getegid() != pw->pw_gid)
		refuse("%s", "could still regain root: not running");
	/* The parent killed by SIGKILL takes the command with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		refuse("prctl: %s", strerror(errno));
	if (getppid() != parent)
		refuse("%s", "the supervisor is gone");
	execve(argv[0], argv, envp);
	refuse("cannot execute the command: %s", strerror(errno));
}

/*
 * Kills and reaps every process left below the supervisor (reparented
 * to it, a subreaper, when their parents died), in rounds, until none
 * is left or SPAWN_SWEEP_MS passed.  Only its own children are named,
 * read from /proc/self/task/PID/children, so no other process is hit.
 */
static void
sweep(void)
{
	char path[64], buf[4096];
	int round, fd;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
	    (long)getpid());
	for (round = 0; round < SPAWN_SWEEP_MS / 10; round++) {
		ssize_t n;
		char *p, *end;
		int any = 0;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return;		/* no child left */
		buf[n] = '\0';
		for (p = buf; *p != '\0'; p = end) {
			long pid = strtol(p, &end, 10);

			if (end == p)
				break;
			if (pid > 1) {
				kill((pid_t)-pid, SIGKILL);
				kill((pid_t)pid, SIGKILL);
				any = 1;
			}
		}
		if (!any)
			return;
		usleep(10000);
	}
}

/* The parent: forward SIGTERM, reap, kill the group, pass the status on. */
static void
supervise(pid_t pid)
{
	struct sigaction sa;
	sigset_t all, none;
	int status;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w == -1 && errno != EINTR)
			_exit(SPAWN_REFUSED);
		if (got_term) {
			got_term = 0;
			kill(-pid, SIGTERM);
			alarm(SPAWN_GRACE_S);
		}
		if (got_alarm) {
			got_alarm = 0;
			kill(-pid, SIGKILL);
		}
		sigsuspend(&none);	/* SIGCHLD, SIGTERM, SIGALRM, ... */
	}
	kill(-pid, SIGKILL);		/* helpers left in its group */
	sweep();			/* and those that left it */
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		raise(WTERMSIG(status));
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : SPAWN_REFUSED);
}

int
main(int argc, char **argv)
{
	static char *envp[SPAWN_ENV_MAX + 1];
	const struct passwd *pw;
	char caller[SPAWN_LINE_MAX];
	uid_t ruid = getuid();
	gid_t rgid = getgid();
	size_t i, n = 0;
	pid_t pid, self = getpid();
	int fd;

	if (argc < 4 || strcmp(argv[2], "--") != 0)
		refuse("%s", "usage: x402-spawn USER -- /path/to/command "
		    "[arg ...]");
	if (geteuid() != 0)
		refuse("%s", "not installed setuid root");
	if (argv[3][0] != '/')
		refuse("command \"%s\" is not an absolute path", argv[3]);
	if (ruid == 0)
		refuse("%s", "the caller is root (run the gate as its own "
		    "user)");
	if ((pw = getpwuid(ruid)) == NULL || strlen(pw->pw_name) >=
	    sizeof(caller))
		refuse("%s", "the caller has no user name");
	snprintf(caller, sizeof(caller), "%s", pw->pw_name);
	if ((pw = getpwnam(argv[1])) == NULL)
		refuse("no user \"%s\"", argv[1]);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		refuse("refusing to run a command as root (user \"%s\")",
		    argv[1]);
	if (pw->pw_uid == ruid)
		refuse("command user \"%s\" is the caller", argv[1]);
	if (pw->pw_gid == rgid)
		refuse("command user \"%s\" has the caller's group",
		    argv[1]);
	if (!conf_allows(caller, argv[1]))
		refuse("caller \"%s\" may not run commands as \"%s\" (see "
		    "%s)", caller, argv[1], X402_SPAWN_CONF);
	for (i = 0; environ[i] != NULL; i++) {
		if (env_unsafe(environ[i]))
			continue;
		if (n == SPAWN_ENV_MAX)
			refuse("%s", "too many environment variables");
		envp[n++] = environ[i];
	}
	envp[n] = NULL;
	for (fd = 3; fd < 1024; fd++)	/* run.c closed them already */
		(void)close(fd);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		refuse("prctl: %s", strerror(errno));
	if ((pid = fork()) == -1)
		refuse("fork: %s", strerror(errno));
	if (pid == 0)
		child(pw, self, argv + 3, envp);
	(void)setpgid(pid, pid);	/* before any signal is forwarded */
	/* Keep the caller's real ids; take the command user's effective. */
	if (setgroups(0, NULL) != 0 ||
	    setresgid(rgid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(ruid, pw->pw_uid, pw->pw_uid) != 0 ||
	    setuid(0) != -1 || seteuid(0) != -1) {
		kill(pid, SIGKILL);
		refuse("%s", "cannot drop root in the supervisor");
	}
	fd = open("/dev/null", O_RDWR);	/* the pipes are the command's */
	if (fd == -1 || dup2(fd, 0) == -1 || dup2(fd, 1) == -1) {
		kill(pid, SIGKILL);
		refuse("%s", "cannot open /dev/null");
	}
	if (fd > 2)
		close(fd);
	supervise(pid);
	return SPAWN_REFUSED;
}
