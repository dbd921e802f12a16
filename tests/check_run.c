/*
 * check_run.c - the subprocess runner and the CGI output parser.
 *
 * /bin/sh appears here only as the command a test chooses to simulate a
 * behaviour; the runner itself never uses a shell.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "testutil.h"

/* Open descriptors of this process (opendir's own fd included, constant). */
static int
count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/*
 * Runs argv with o, checks the runner left no descriptor and no child
 * behind, and returns x402_run's value.
 */
static int
run(struct x402_run_result *res, struct x402_buf *out, struct x402_buf *err,
    const char *const argv[], const struct x402_run_opts *o,
    struct x402_detail *d)
{
	int before = count_fds(), r;

	r = x402_run(res, out, err, argv, o, d);
	ck_assert_int_eq(count_fds(), before);
	/* No child of ours is left, not even a zombie. */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	return r;
}

START_TEST(cat_one_mib_no_deadlock)
{
	const char *const argv[] = { "/bin/cat", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out, err;
	size_t n = 1024 * 1024, i;
	char *in = malloc(n);

	ck_assert_ptr_nonnull(in);
	for (i = 0; i < n; i++)
		in[i] = (char)(i * 7 + i / 251);
	x402_run_opts_init(&o);
	o.in = in;
	o.in_len = n;
	x402_buf_init(&out, 2 * n);
	x402_buf_init(&err, 1024);
	ck_assert_int_eq(run(&res, &out, &err, argv, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_int_eq(res.exited, 1);
	ck_assert_int_eq(res.status, 0);
	ck_assert_uint_eq(res.bytes_in, n);
	ck_assert_uint_eq(res.bytes_out, n);
	ck_assert_uint_eq(out.len, n);
	ck_assert(memcmp(out.p, in, n) == 0);
	ck_assert_uint_eq(err.len, 0);
	x402_buf_free(&out);
	x402_buf_free(&err);
	free(in);
}
END_TEST

START_TEST(no_stdin_and_defaults)
{
	const char *const argv[] = { "/bin/cat", NULL };
	struct x402_run_result res;
	struct x402_buf out;

	x402_buf_init(&out, 16);
	ck_assert_int_eq(run(&res, &out, NULL, argv, NULL, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_uint_eq(out.len, 0);
	ck_assert_uint_eq(res.bytes_in, 0);
	x402_buf_free(&out);
}
END_TEST

START_TEST(exit_status_and_signal)
{
	const char *const three[] = { "/bin/sh", "-c", "exit 3", NULL };
	const char *const usr1[] = { "/bin/sh", "-c", "kill -USR1 $$", NULL };
	struct x402_run_result res;
	struct x402_buf out;

	x402_buf_init(&out, 16);
	ck_assert_int_eq(run(&res, &out, NULL, three, NULL, NULL), 0);
	ck_assert_int_eq(res.exited, 1);
	ck_assert_int_eq(res.status, 3);
	ck_assert_int_eq(res.signo, 0);
	ck_assert(!x402_run_ok(&res));
	ck_assert(!res.timed_out && !res.exec_failed && !res.output_overflow);

	ck_assert_int_eq(run(&res, &out, NULL, usr1, NULL, NULL), 0);
	ck_assert_int_eq(res.exited, 0);
	ck_assert_int_eq(res.signo, SIGUSR1);
	ck_assert(!x402_run_ok(&res));
	x402_buf_free(&out);
}
END_TEST

START_TEST(timeout_term)
{
	const char *const argv[] = { "/bin/sh", "-c", "sleep 10", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;

	x402_run_opts_init(&o);
	o.timeout_ms = 200;
	o.grace_ms = 3000;
	x402_buf_init(&out, 16);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, NULL), 0);
	ck_assert_int_eq(res.timed_out, 1);
	ck_assert_int_eq(res.exited, 0);
	ck_assert_int_eq(res.signo, SIGTERM);
	ck_assert_uint_ge(res.wall_ms, 200);
	ck_assert_uint_lt(res.wall_ms, 3000 * tu_scale());	/* TERM worked, no KILL */
	ck_assert(!x402_run_ok(&res));
	x402_buf_free(&out);
}
END_TEST

START_TEST(timeout_trapped_term_gets_kill)
{
	const char *const argv[] = { "/bin/sh", "-c",
	    "trap '' TERM; echo ready; while :; do sleep 0.05; done", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;

	x402_run_opts_init(&o);
	/* The shell must have set its trap before TERM comes: a loaded
	   machine starts it slowly, so the timeout scales. */
	o.timeout_ms = 300 * tu_scale();
	o.grace_ms = 300;
	x402_buf_init(&out, 64);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, NULL), 0);
	ck_assert_int_eq(res.timed_out, 1);
	ck_assert_int_eq(res.signo, SIGKILL);
	ck_assert_str_eq(out.p, "ready\n");
	ck_assert_uint_ge(res.wall_ms, o.timeout_ms + 300);
	ck_assert_uint_lt(res.wall_ms, 5000 * tu_scale());
	x402_buf_free(&out);
}
END_TEST

/* Returns 1 when pid is gone or a zombie (PID 1 may not reap orphans). */
static int
dead(pid_t pid)
{
	char path[64], stat[256], *p;
	FILE *f;
	size_t n;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	p = strrchr(stat, ')');
	return p != NULL && (p[2] == 'Z' || p[2] == 'X');
}

static pid_t
read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	ck_assert_int_gt(pid, 1);
	return (pid_t)pid;
}

START_TEST(grandchild_holding_stdout_is_killed)
{
	char tmpl[] = "/tmp/check_run_XXXXXX", script[256];
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;
	pid_t gc;
	int fd, i;

	ck_assert_int_ge(fd = mkstemp(tmpl), 0);
	close(fd);
	snprintf(script, sizeof(script),
	    "sleep 30 & echo $! > %s; echo hi", tmpl);
	x402_run_opts_init(&o);
	o.grace_ms = 5000;	/* prompt return must not be the grace */
	x402_buf_init(&out, 64);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_str_eq(out.p, "hi\n");
	ck_assert_uint_lt(res.wall_ms, 2000 * tu_scale());
	gc = read_pid(tmpl);
	for (i = 0; i < 100 && !dead(gc); i++)
		usleep(10000);
	ck_assert_msg(dead(gc), "grandchild %ld still running", (long)gc);
	unlink(tmpl);
	x402_buf_free(&out);
}
END_TEST

/*
 * Sweep tests: this process becomes a child subreaper for the test and
 * stops being one after it (CK_FORK=no runs every test in one process).
 */
static void
subreaper_on(void)
{
	ck_assert_int_eq(x402_run_subreaper(NULL), 0);
}

static void
subreaper_off(void)
{
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
}

/* Asserts pid is gone, not even a zombie, within a bounded wait. */
static void
assert_gone(pid_t pid, const char *what)
{
	int i;

	for (i = 0; i < 100 && kill(pid, 0) == 0; i++)
		usleep(10000);
	ck_assert_msg(kill(pid, 0) != 0 && errno == ESRCH,
	    "%s %ld still exists", what, (long)pid);
}

/*
 * The command starts a child that calls setsid() (leaving the process
 * group the runner kills), holds stdout and sleeps, then the command
 * exits (hang = 0) or hangs past the timeout (hang = 1).  Without the
 * sweep the child escapes and holds stdout for the grace period; with
 * it, it is killed and reaped before x402_run returns.
 */
static void
escaped_case(int sweep, int hang)
{
	char tmpl[] = "/tmp/check_run_XXXXXX", script[512];
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;
	pid_t gc;
	int fd;

	ck_assert_int_ge(fd = mkstemp(tmpl), 0);
	close(fd);
	snprintf(script, sizeof(script),
	    "setsid /bin/sh -c 'echo $$ > %s; exec sleep 30' & "
	    "while [ ! -s %s ]; do sleep 0.01; done; echo hi%s", tmpl, tmpl,
	    hang ? "; sleep 30" : "");
	if (sweep)
		subreaper_on();
	x402_run_opts_init(&o);
	o.sweep = sweep;
	/* With the sweep a prompt return must not be the grace. */
	o.grace_ms = sweep ? 5000 : 400;
	if (hang)
		o.timeout_ms = 500 * tu_scale();
	x402_buf_init(&out, 64);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, NULL), 0);
	ck_assert_int_eq(res.timed_out, hang);
	ck_assert_int_eq(x402_run_ok(&res), !hang);
	ck_assert_str_eq(out.p, "hi\n");
	gc = read_pid(tmpl);
	if (sweep) {
		ck_assert_uint_lt(res.wall_ms, (hang ? 4000 : 2000) *
		    tu_scale());
		ck_assert_uint_ge(res.strays, 1);
		ck_assert_uint_eq(res.strays_left, 0);
		assert_gone(gc, "escaped grandchild");
		subreaper_off();
	} else {
		ck_assert_uint_ge(res.wall_ms, 350);
		ck_assert_uint_lt(res.wall_ms, 3000 * tu_scale());
		ck_assert_uint_eq(res.strays, 0);
		(void)kill(gc, SIGKILL);
	}
	unlink(tmpl);
	x402_buf_free(&out);
}

START_TEST(escaped_grandchild_waits_only_the_grace)
{
	escaped_case(0, 0);
}
END_TEST

START_TEST(sweep_kills_escaped_grandchild_on_exit)
{
	escaped_case(1, 0);
}
END_TEST

START_TEST(sweep_kills_escaped_grandchild_on_timeout)
{
	escaped_case(1, 1);
}
END_TEST

/*
 * A double fork that keeps its middle alive: the middle process (its own
 * session, ignores TERM, waits) and its child (another setsid, ignores
 * TERM, holds stdout) must both be killed: the child only after the
 * middle died and it was reparented to us.
 */
START_TEST(sweep_kills_double_fork_in_rounds)
{
	char t1[] = "/tmp/check_run_XXXXXX", t2[] = "/tmp/check_run_XXXXXX";
	char script[1024];
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;
	pid_t mid, gc;
	int fd;

	ck_assert_int_ge(fd = mkstemp(t1), 0);
	close(fd);
	ck_assert_int_ge(fd = mkstemp(t2), 0);
	close(fd);
	snprintf(script, sizeof(script),
	    "setsid /bin/sh -c 'trap \"\" TERM; "
	    "setsid /bin/sh -c \"trap \\\"\\\" TERM; echo \\$\\$ > %s; "
	    "exec sleep 30\" & echo $$ > %s; wait' & "
	    "while [ ! -s %s ] || [ ! -s %s ]; do sleep 0.01; done; echo hi",
	    t2, t1, t1, t2);
	subreaper_on();
	x402_run_opts_init(&o);
	o.sweep = 1;
	o.grace_ms = 5000;
	x402_buf_init(&out, 64);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_str_eq(out.p, "hi\n");
	ck_assert_uint_lt(res.wall_ms, 2000 * tu_scale());
	ck_assert_uint_ge(res.strays, 2);
	mid = read_pid(t1);
	gc = read_pid(t2);
	ck_assert_int_ne(mid, gc);
	assert_gone(mid, "middle process");
	assert_gone(gc, "its child");
	unlink(t1);
	unlink(t2);
	x402_buf_free(&out);
	subreaper_off();
}
END_TEST

START_TEST(sweep_needs_a_subreaper)
{
	const char *const argv[] = { "/bin/true", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;
	struct x402_detail d;

	x402_run_opts_init(&o);
	o.sweep = 1;
	x402_buf_init(&out, 16);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, &d), X402_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(d.msg, "subreaper"));
	subreaper_on();
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, &d), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_uint_eq(res.strays, 0);
	subreaper_off();
	x402_buf_free(&out);
}
END_TEST

START_TEST(output_over_cap)
{
	const char *const argv[] = { "/usr/bin/yes", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;

	x402_run_opts_init(&o);
	o.timeout_ms = 10000;
	x402_buf_init(&out, 65536);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, NULL), 0);
	ck_assert_int_eq(res.output_overflow, 1);
	ck_assert_int_eq(res.timed_out, 0);
	ck_assert_int_eq(res.signo, SIGTERM);
	ck_assert_uint_eq(out.len, 65536);
	ck_assert_uint_gt(res.bytes_out, 65536);
	ck_assert(memcmp(out.p, "y\ny\n", 4) == 0);
	ck_assert(!x402_run_ok(&res));
	x402_buf_free(&out);
}
END_TEST

START_TEST(stdin_closed_early_no_sigpipe)
{
	const char *const argv[] = { "/bin/true", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;
	sigset_t pending, mask;
	size_t n = 10 * 1024 * 1024;
	char *in = calloc(1, n);

	ck_assert_ptr_nonnull(in);
	/* The default disposition: a stray SIGPIPE would kill this test. */
	ck_assert_ptr_eq(signal(SIGPIPE, SIG_DFL), SIG_DFL);
	x402_run_opts_init(&o);
	o.in = in;
	o.in_len = n;
	x402_buf_init(&out, 16);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_uint_lt(res.bytes_in, n);
	/* Nothing pending, and the caller's mask is back as it was. */
	sigemptyset(&pending);
	ck_assert_int_eq(sigpending(&pending), 0);
	ck_assert_int_eq(sigismember(&pending, SIGPIPE), 0);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &mask), 0);
	ck_assert_int_eq(sigismember(&mask, SIGPIPE), 0);
	x402_buf_free(&out);
	free(in);
}
END_TEST

START_TEST(exec_failures_fail_closed)
{
	const char *const missing[] = { "/nonexistent/program", NULL };
	const char *notexec[] = { NULL, NULL };
	char tmpl[] = "/tmp/check_run_XXXXXX";
	int fd;
	const char *const relative[] = { "bin/true", NULL };
	const char *const empty[] = { NULL };
	const char *const ok[] = { "/bin/true", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out, err;
	struct x402_detail d;

	x402_buf_init(&out, 16);
	x402_buf_init(&err, 256);
	ck_assert_int_eq(run(&res, &out, &err, missing, NULL, &d), 0);
	ck_assert_int_eq(res.exec_failed, 1);
	ck_assert_int_eq(res.exited, 1);
	ck_assert_int_eq(res.status, 127);
	ck_assert(!x402_run_ok(&res));
	ck_assert_ptr_nonnull(strstr(d.msg, "execve"));
	ck_assert_ptr_nonnull(strstr(d.msg, "No such file"));
	/* The command's stderr names the path and the error, no function. */
	ck_assert_str_eq(err.p, "cannot run /nonexistent/program: execve: "
	    "No such file or directory (errno 2)\n");

	/* A file without execute permission. */
	ck_assert_int_ge(fd = mkstemp(tmpl), 0);
	close(fd);
	notexec[0] = tmpl;
	x402_buf_reset(&err);
	ck_assert_int_eq(run(&res, &out, &err, notexec, NULL, &d), 0);
	ck_assert_int_eq(res.exec_failed, 1);
	ck_assert_ptr_nonnull(strstr(d.msg, "Permission denied"));
	ck_assert_ptr_nonnull(strstr(err.p, ": execve: Permission denied "
	    "(errno 13)\n"));
	ck_assert_ptr_nonnull(strstr(err.p, tmpl));
	unlink(tmpl);

	x402_run_opts_init(&o);
	o.cwd = "/nonexistent/dir";
	ck_assert_int_eq(run(&res, &out, &err, ok, &o, &d), 0);
	ck_assert_int_eq(res.exec_failed, 1);
	ck_assert_int_eq(res.status, 127);
	ck_assert_ptr_nonnull(strstr(d.msg, "chdir"));

	ck_assert_int_eq(run(&res, &out, &err, relative, NULL, &d),
	    X402_ERR_INVAL);
	ck_assert_int_eq(run(&res, &out, &err, empty, NULL, &d),
	    X402_ERR_INVAL);
	ck_assert_int_eq(run(&res, NULL, &err, ok, NULL, &d),
	    X402_ERR_INVAL);
	x402_buf_free(&out);
	x402_buf_free(&err);
}
END_TEST

START_TEST(environment_is_exactly_what_was_passed)
{
	const char *const argv[] = { "/usr/bin/env", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;
	struct x402_env env;

	ck_assert_int_eq(setenv("HTTP_PROXY", "http://evil.invalid:1", 1), 0);
	ck_assert_int_eq(setenv("LEAK_ME", "1", 1), 0);
	x402_env_init(&env);
	ck_assert_int_eq(x402_env_set(&env, "REQUEST_METHOD", "POST", NULL), 0);
	ck_assert_int_eq(x402_env_set(&env, "X402_PAYER", "0xabc", NULL), 0);
	ck_assert_int_eq(x402_env_set(&env, "EMPTY", "", NULL), 0);
	ck_assert_int_eq(x402_env_set(&env, "X402_PAYER", "0xdef", NULL), 0);
	x402_run_opts_init(&o);
	o.envp = x402_env_envp(&env);
	x402_buf_init(&out, 4096);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_str_eq(out.p, "REQUEST_METHOD=POST\nX402_PAYER=0xdef\n"
	    "EMPTY=\n");

	/* No envp at all: an empty environment, not the parent's. */
	x402_buf_reset(&out);
	ck_assert_int_eq(run(&res, &out, NULL, argv, NULL, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_uint_eq(out.len, 0);
	x402_env_free(&env);
	x402_buf_free(&out);
	unsetenv("HTTP_PROXY");
	unsetenv("LEAK_ME");
}
END_TEST

START_TEST(no_descriptor_leaks_into_child)
{
	const char *const argv[] = { "/bin/ls", "/proc/self/fd", NULL };
	struct x402_run_result res;
	struct x402_buf out;
	int fd = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC on purpose */
	int fd2 = dup2(fd, 40);

	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(fd2, 40);
	x402_buf_init(&out, 4096);
	ck_assert_int_eq(run(&res, &out, NULL, argv, NULL, NULL), 0);
	ck_assert(x402_run_ok(&res));
	/* 0, 1, 2 and the directory ls itself opened (the lowest free). */
	ck_assert_str_eq(out.p, "0\n1\n2\n3\n");
	close(fd);
	close(fd2);
	x402_buf_free(&out);
}
END_TEST

/*
 * The usage channel: fd 3 is a pipe of its own when asked for, never the
 * output; its cap truncates without killing; without it fd 3 is closed.
 */
START_TEST(usage_channel)
{
	const char *const argv[] = { "/bin/sh", "-c",
	    "echo 'X402-Charge: 0'; echo; echo body; echo 'charge 7' >&3", NULL };
	const char *const flood[] = { "/bin/sh", "-c",
	    "i=0; while [ $i -lt 40 ]; do echo 'units 123456' >&3; "
	    "i=$((i + 1)); done; echo done", NULL };
	const char *const fds[] = { "/bin/ls", "/proc/self/fd", NULL };
	const char *const probe[] = { "/bin/sh", "-c",
	    "echo x >&3 && echo open || echo closed", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out, use;

	x402_run_opts_init(&o);
	o.usage = &use;
	x402_buf_init(&out, 4096);
	x402_buf_init(&use, 128);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_str_eq(out.p, "X402-Charge: 0\n\nbody\n");
	ck_assert_str_eq(use.p, "charge 7\n");
	ck_assert_int_eq(res.usage_overflow, 0);

	/* Over the cap: truncated and flagged, the command runs on. */
	x402_buf_reset(&out);
	x402_buf_reset(&use);
	ck_assert_int_eq(run(&res, &out, NULL, flood, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_str_eq(out.p, "done\n");
	ck_assert_uint_eq(use.len, 128);
	ck_assert_int_eq(res.usage_overflow, 1);

	/* fd 3 is the channel; the runner's own report pipe is gone. */
	x402_buf_reset(&out);
	ck_assert_int_eq(run(&res, &out, NULL, fds, &o, NULL), 0);
	ck_assert_str_eq(out.p, "0\n1\n2\n3\n4\n");

	/* Not asked for: fd 3 is closed in the child. */
	x402_buf_reset(&out);
	ck_assert_int_eq(run(&res, &out, NULL, probe, NULL, NULL), 0);
	ck_assert_str_eq(out.p, "closed\n");
	x402_buf_free(&out);
	x402_buf_free(&use);
}
END_TEST

START_TEST(stderr_capture_fd_and_cap)
{
	const char *const argv[] = { "/bin/sh", "-c",
	    "echo out; echo err >&2; echo more-err >&2", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out, err;
	char tmpl[] = "/tmp/check_run_XXXXXX", got[64];
	ssize_t n;
	int fd;

	x402_buf_init(&out, 64);
	x402_buf_init(&err, 64);
	ck_assert_int_eq(run(&res, &out, &err, argv, NULL, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_str_eq(out.p, "out\n");
	ck_assert_str_eq(err.p, "err\nmore-err\n");
	ck_assert_int_eq(res.err_truncated, 0);

	/* A small stderr cap truncates, it does not kill. */
	x402_buf_free(&err);
	x402_buf_init(&err, 4);
	x402_buf_reset(&out);
	ck_assert_int_eq(run(&res, &out, &err, argv, NULL, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_str_eq(err.p, "err\n");
	ck_assert_int_eq(res.err_truncated, 1);
	ck_assert_uint_eq(res.bytes_err, 13);

	/* stderr to a caller's descriptor. */
	ck_assert_int_ge(fd = mkstemp(tmpl), 0);
	x402_run_opts_init(&o);
	o.err_fd = fd;
	x402_buf_reset(&out);
	x402_buf_reset(&err);
	ck_assert_int_eq(run(&res, &out, &err, argv, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_uint_eq(err.len, 0);
	n = pread(fd, got, sizeof(got) - 1, 0);
	ck_assert_int_eq(n, 13);
	got[n] = '\0';
	ck_assert_str_eq(got, "err\nmore-err\n");
	close(fd);
	unlink(tmpl);
	x402_buf_free(&out);
	x402_buf_free(&err);
}
END_TEST

START_TEST(cwd_umask_rlimits_nice)
{
	const char *const sh[] = { "/bin/sh", "-c",
	    "pwd; umask; ulimit -t; ulimit -f; ulimit -p; ulimit -v", NULL };
	const char *const nice[] = { "/usr/bin/nice", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;

	x402_run_opts_init(&o);
	o.cwd = "/tmp";
	o.rlimit_cpu = 7;
	o.rlimit_fsize = 512 * 1024;	/* dash counts 512-byte blocks */
	o.rlimit_nproc = 4096;
	o.rlimit_as = 1024ULL * 1024 * 1024;	/* dash counts KiB */
	x402_buf_init(&out, 256);
	ck_assert_int_eq(run(&res, &out, NULL, sh, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_str_eq(out.p, "/tmp\n0077\n7\n1024\n4096\n1048576\n");

	x402_run_opts_init(&o);
	o.set_nice = 1;
	o.nice = 5;
	x402_buf_reset(&out);
	ck_assert_int_eq(run(&res, &out, NULL, nice, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_str_eq(out.p, "5\n");
	x402_buf_free(&out);
}
END_TEST

START_TEST(drop_privileges)
{
	const char *const id[] = { "/usr/bin/id", NULL };
	char tmpl[] = "/tmp/check_run_XXXXXX";
	const char *script[] = { NULL, NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;
	struct x402_detail d;
	int fd;

	if (geteuid() != 0)
		return;		/* needs root to change uid */
	x402_run_opts_init(&o);
	o.drop_priv = 1;
	o.uid = 65534;
	o.gid = 65533;
	x402_buf_init(&out, 256);
	ck_assert_int_eq(run(&res, &out, NULL, id, &o, &d), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_ptr_nonnull(strstr(out.p, "uid=65534"));
	ck_assert_ptr_nonnull(strstr(out.p, "gid=65533"));
	ck_assert_ptr_nonnull(strstr(out.p, "groups=65533"));
	ck_assert_ptr_null(strstr(out.p, "(root)"));

	/* A root-only script: runs as root, fails closed after the drop. */
	ck_assert_int_ge(fd = mkstemp(tmpl), 0);
	ck_assert_int_eq(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
	ck_assert_int_eq(fchmod(fd, 0700), 0);
	close(fd);
	script[0] = tmpl;
	ck_assert_int_eq(run(&res, &out, NULL, script, NULL, &d), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_int_eq(run(&res, &out, NULL, script, &o, &d), 0);
	ck_assert_int_eq(res.exec_failed, 1);
	ck_assert_int_eq(res.status, 127);
	ck_assert_ptr_nonnull(strstr(d.msg, "Permission denied"));
	unlink(tmpl);
	x402_buf_free(&out);
}
END_TEST

START_TEST(env_builder)
{
	static const char *const bad[] = {
		"", "1A", "A-B", "A=B", "A B", "\xc3\xa9", "A.B",
	};
	struct x402_env env;
	struct x402_detail d;
	char name[32], big[X402_ENV_MAX_BYTES];
	size_t i;

	x402_env_init(&env);
	ck_assert_ptr_nonnull(x402_env_envp(&env));
	ck_assert_ptr_null(x402_env_envp(&env)[0]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(x402_env_set(&env, bad[i], "v", &d) ==
		    X402_ERR_SYNTAX, "accepted name %s", bad[i]);
	memset(name, 'A', sizeof(name));
	ck_assert_int_eq(x402_env_set(&env, "_a1", "x\ny", NULL), 0);
	ck_assert_str_eq(x402_env_get(&env, "_a1"), "x\ny");
	ck_assert_int_eq(x402_env_setn(&env, "NUL", "a\0b", 3, &d),
	    X402_ERR_SYNTAX);
	ck_assert_int_eq(x402_env_setn(&env, "LEN", "abc", 2, &d), 0);
	ck_assert_str_eq(x402_env_get(&env, "LEN"), "ab");
	ck_assert_int_eq(x402_env_set(&env, "LEN", "z", &d), 0);
	ck_assert_str_eq(x402_env_get(&env, "LEN"), "z");
	ck_assert_uint_eq(env.count, 2);
	ck_assert_ptr_null(x402_env_get(&env, "LE"));
	ck_assert_ptr_null(x402_env_get(&env, "MISSING"));
	ck_assert_int_eq(x402_env_set(&env, NULL, "v", &d), X402_ERR_INVAL);
	ck_assert_int_eq(x402_env_set(&env, "V", NULL, &d), X402_ERR_INVAL);

	/* Total size cap: exactly at the cap fits, one byte more does not. */
	memset(big, 'v', sizeof(big));
	ck_assert_int_eq(x402_env_setn(&env, "BIG", big,
	    X402_ENV_MAX_BYTES - env.bytes - 5, &d), 0);
	ck_assert_uint_eq(env.bytes, X402_ENV_MAX_BYTES);
	ck_assert_int_eq(x402_env_set(&env, "C", "", &d), X402_ERR_LIMIT);
	ck_assert_int_eq(x402_env_setn(&env, "BIG", big,
	    X402_ENV_MAX_BYTES, &d), X402_ERR_LIMIT);
	ck_assert_ptr_nonnull(strstr(d.msg, "BIG"));
	x402_env_free(&env);
	x402_env_free(&env);	/* twice is fine */
	x402_env_free(NULL);

	/* Count cap. */
	x402_env_init(&env);
	for (i = 0; i < X402_ENV_MAX_VARS; i++) {
		snprintf(name, sizeof(name), "V%zu", i);
		ck_assert_int_eq(x402_env_set(&env, name, "", &d), 0);
	}
	ck_assert_int_eq(x402_env_set(&env, "ONE_MORE", "", &d),
	    X402_ERR_LIMIT);
	ck_assert_int_eq(x402_env_set(&env, "V0", "replace is fine", &d), 0);
	ck_assert_ptr_null(x402_env_envp(&env)[X402_ENV_MAX_VARS]);
	x402_env_free(&env);

	/* Name length cap. */
	x402_env_init(&env);
	memset(big, 'N', X402_ENV_MAX_NAME + 1);
	big[X402_ENV_MAX_NAME] = '\0';
	ck_assert_int_eq(x402_env_set(&env, big, "", &d), 0);
	big[X402_ENV_MAX_NAME] = 'N';
	big[X402_ENV_MAX_NAME + 1] = '\0';
	ck_assert_int_eq(x402_env_set(&env, big, "", &d), X402_ERR_SYNTAX);
	x402_env_free(&env);
}
END_TEST

/* ---- CGI parsing ------------------------------------------------------ */

#define S(lit) lit, sizeof(lit) - 1
#define BAD(lit, e) \
	{ S(lit), e, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL }

static const struct cgi_case {
	const char *in;
	size_t len;
	int ret;
	int has_headers;
	int status;
	const char *reason;
	const char *ctype;
	size_t nhdr;
	const char *h0name, *h0value, *h1name, *h1value;
	const char *body;
} cgi_cases[] = {
	{ S("Content-Type: text/plain\n\nhello"), 0, 1, 0, NULL,
	    "text/plain", 0, NULL, NULL, NULL, NULL, "hello" },
	{ S("Content-Type: text/plain\r\nX402-Units: 3\r\n\r\nbody\r\n"), 0,
	    1, 0, NULL, "text/plain", 1, "X402-Units", "3", NULL, NULL,
	    "body\r\n" },
	{ S("hello world\nsecond line\n"), 0, 0, 0, NULL, NULL, 0, NULL, NULL,
	    NULL, NULL, "hello world\nsecond line\n" },
	{ S("{\"a\": 1}\n"), 0, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL,
	    "{\"a\": 1}\n" },
	{ S(""), 0, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL, "" },
	{ S("\nContent-Type: a/b\n\nx"), 0, 0, 0, NULL, NULL, 0, NULL, NULL,
	    NULL, NULL, "\nContent-Type: a/b\n\nx" },
	{ S("Bad Name: x\n\n"), 0, 0, 0, NULL, NULL, 0, NULL, NULL, NULL,
	    NULL, "Bad Name: x\n\n" },
	{ S("Status: 404 Not Found\nContent-Type: text/html\n\n<p>"), 0, 1,
	    404, "Not Found", "text/html", 0, NULL, NULL, NULL, NULL, "<p>" },
	{ S("status: 201\nCONTENT-TYPE: a/b\n\n"), 0, 1, 201, NULL, "a/b", 0,
	    NULL, NULL, NULL, NULL, "" },
	{ S("X-A:   v w \t\nX-B:\n\nrest\n\nmore"), 0, 1, 0, NULL, NULL, 2,
	    "X-A", "v w", "X-B", "", "rest\n\nmore" },
	/* CRLF ends a line: two separate, clean headers. */
	{ S("X: a\r\nSet-Cookie: b\r\n\r\n"), 0, 1, 0, NULL, NULL, 2, "X", "a",
	    "Set-Cookie", "b", "" },
	/* A bare CR inside a value is an injection attempt. */
	BAD("X: a\rSet-Cookie: b\n\nbody", X402_ERR_SYNTAX),
	BAD("Content-Type: a/b\nX: a\rSet-Cookie: b\n\nbody",
	    X402_ERR_SYNTAX),
	BAD("X: a\0b\n\n", X402_ERR_SYNTAX),
	BAD("X: a\x1b[2J\n\n", X402_ERR_SYNTAX),
	BAD("X: a\n folded\n\n", X402_ERR_SYNTAX),
	BAD("Content-Type: text/plain\nthis is not a header\n\nbody",
	    X402_ERR_SYNTAX),
	BAD("Content-Type: text/plain\n", X402_ERR_SYNTAX),
	BAD("Content-Type: text/plain", X402_ERR_SYNTAX),
	BAD("Status: 99 Low\n\n", X402_ERR_SYNTAX),
	BAD("Status: 600 High\n\n", X402_ERR_SYNTAX),
	BAD("Status: 2000\n\n", X402_ERR_SYNTAX),
	BAD("Status: abc\n\n", X402_ERR_SYNTAX),
	BAD("Status: 200 OK\nStatus: 500 No\n\n", X402_ERR_SYNTAX),
	BAD("Content-Type: a/b\ncontent-type: c/d\n\n", X402_ERR_SYNTAX),
};

START_TEST(cgi_table)
{
	const struct cgi_case *t = &cgi_cases[_i];
	struct x402_cgi c;
	struct x402_detail d;
	int r;

	r = x402_cgi_parse(&c, t->in, t->len, &d);
	ck_assert_msg(r == t->ret, "case %d: got %d want %d", _i, r, t->ret);
	if (r == 0) {
		ck_assert_int_eq(c.has_headers, t->has_headers);
		ck_assert_int_eq(c.status, t->status);
		if (t->reason == NULL)
			ck_assert_ptr_null(c.reason);
		else
			ck_assert_str_eq(c.reason, t->reason);
		if (t->ctype == NULL)
			ck_assert_ptr_null(c.content_type);
		else
			ck_assert_str_eq(c.content_type, t->ctype);
		ck_assert_uint_eq(c.nhdr, t->nhdr);
		if (t->nhdr > 0) {
			ck_assert_str_eq(c.hdr[0].name, t->h0name);
			ck_assert_str_eq(c.hdr[0].value, t->h0value);
			ck_assert_str_eq(x402_cgi_get(&c, t->h0name),
			    t->h0value);
		}
		if (t->nhdr > 1) {
			ck_assert_str_eq(c.hdr[1].name, t->h1name);
			ck_assert_str_eq(c.hdr[1].value, t->h1value);
		}
		ck_assert_uint_eq(c.body_len, strlen(t->body));
		ck_assert(memcmp(c.body, t->body, c.body_len) == 0);
	}
	x402_cgi_free(&c);
}
END_TEST

START_TEST(cgi_caps)
{
	struct x402_buf b;
	struct x402_cgi c;
	struct x402_detail d;
	char line[X402_CGI_MAX_LINE + 2];
	int i;

	/* Exactly X402_CGI_MAX_HEADERS lines pass, one more does not. */
	x402_buf_init(&b, 1 << 20);
	for (i = 0; i < X402_CGI_MAX_HEADERS; i++)
		ck_assert_int_eq(x402_buf_printf(&b, "X-H%d: %d\r\n", i, i), 0);
	ck_assert_int_eq(x402_buf_adds(&b, "\r\nbody"), 0);
	ck_assert_int_eq(x402_cgi_parse(&c, b.p, b.len, &d), 0);
	ck_assert_uint_eq(c.nhdr, X402_CGI_MAX_HEADERS);
	ck_assert_str_eq(x402_cgi_get(&c, "x-h31"), "31");
	ck_assert_uint_eq(c.body_len, 4);
	x402_cgi_free(&c);
	x402_buf_reset(&b);
	for (i = 0; i <= X402_CGI_MAX_HEADERS; i++)
		ck_assert_int_eq(x402_buf_printf(&b, "X-H%d: %d\n", i, i), 0);
	ck_assert_int_eq(x402_buf_adds(&b, "\n"), 0);
	ck_assert_int_eq(x402_cgi_parse(&c, b.p, b.len, &d), X402_ERR_LIMIT);
	x402_cgi_free(&c);

	/* A line of exactly X402_CGI_MAX_LINE bytes passes (CR excluded). */
	memset(line, 'v', sizeof(line));
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_buf_adds(&b, "X-Long: "), 0);
	ck_assert_int_eq(x402_buf_add(&b, line, X402_CGI_MAX_LINE - 8), 0);
	ck_assert_int_eq(x402_buf_adds(&b, "\r\n\r\n"), 0);
	ck_assert_int_eq(x402_cgi_parse(&c, b.p, b.len, &d), 0);
	ck_assert_uint_eq(strlen(c.hdr[0].value), X402_CGI_MAX_LINE - 8);
	x402_cgi_free(&c);
	x402_buf_reset(&b);
	ck_assert_int_eq(x402_buf_adds(&b, "X-Long: "), 0);
	ck_assert_int_eq(x402_buf_add(&b, line, X402_CGI_MAX_LINE - 7), 0);
	ck_assert_int_eq(x402_buf_adds(&b, "\n\n"), 0);
	ck_assert_int_eq(x402_cgi_parse(&c, b.p, b.len, &d), X402_ERR_LIMIT);
	x402_cgi_free(&c);
	x402_cgi_free(NULL);
	ck_assert_int_eq(x402_cgi_parse(&c, NULL, 1, &d), X402_ERR_INVAL);
	x402_buf_free(&b);
}
END_TEST

START_TEST(cgi_from_a_real_command)
{
	const char *const argv[] = { "/bin/sh", "-c",
	    "printf 'Status: 402 Payment Required\\r\\nX402-Units: 2\\r\\n"
	    "\\r\\n'; cat", NULL };
	struct x402_run_opts o;
	struct x402_run_result res;
	struct x402_buf out;
	struct x402_cgi c;

	x402_run_opts_init(&o);
	o.in = "payload";
	o.in_len = 7;
	x402_buf_init(&out, 4096);
	ck_assert_int_eq(run(&res, &out, NULL, argv, &o, NULL), 0);
	ck_assert(x402_run_ok(&res));
	ck_assert_int_eq(x402_cgi_parse(&c, out.p, out.len, NULL), 0);
	ck_assert_int_eq(c.status, 402);
	ck_assert_str_eq(c.reason, "Payment Required");
	ck_assert_str_eq(x402_cgi_get(&c, "X402-Units"), "2");
	ck_assert_uint_eq(c.body_len, 7);
	ck_assert(memcmp(c.body, "payload", 7) == 0);
	x402_cgi_free(&c);
	x402_buf_free(&out);
}
END_TEST

static Suite *
run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("run");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cat_one_mib_no_deadlock);
	tcase_add_test(tc, no_stdin_and_defaults);
	tcase_add_test(tc, exit_status_and_signal);
	tcase_add_test(tc, timeout_term);
	tcase_add_test(tc, timeout_trapped_term_gets_kill);
	tcase_add_test(tc, grandchild_holding_stdout_is_killed);
	tcase_add_test(tc, escaped_grandchild_waits_only_the_grace);
	tcase_add_test(tc, sweep_kills_escaped_grandchild_on_exit);
	tcase_add_test(tc, sweep_kills_escaped_grandchild_on_timeout);
	tcase_add_test(tc, sweep_kills_double_fork_in_rounds);
	tcase_add_test(tc, sweep_needs_a_subreaper);
	tcase_add_test(tc, output_over_cap);
	tcase_add_test(tc, stdin_closed_early_no_sigpipe);
	tcase_add_test(tc, exec_failures_fail_closed);
	tcase_add_test(tc, environment_is_exactly_what_was_passed);
	tcase_add_test(tc, no_descriptor_leaks_into_child);
	tcase_add_test(tc, stderr_capture_fd_and_cap);
	tcase_add_test(tc, usage_channel);
	tcase_add_test(tc, cwd_umask_rlimits_nice);
	tcase_add_test(tc, drop_privileges);
	tcase_add_test(tc, env_builder);
	tcase_add_loop_test(tc, cgi_table, 0,
	    (int)(sizeof(cgi_cases) / sizeof(cgi_cases[0])));
	tcase_add_test(tc, cgi_caps);
	tcase_add_test(tc, cgi_from_a_real_command);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(run_suite)
