/*
 * preflight.c - x402-gate -t: every check that can be made before a
 * request arrives, one line each (preflight.h).
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "preflight.h"

/*
 * pay_to of the example x402.conf (etc/x402.conf): an address nobody
 * controls, so buyers would pay into the void.
 */
static const char *const placeholders[] = {
	"0x0000000000000000000000000000000000000001",
};

enum pf_kind { PF_OK, PF_WARN, PF_FAIL, PF_AWAY };

struct pf {
	int failed;		/* configuration failures */
	int away;		/* peers that could not be asked */
	int warned;
	char user[64];		/* whose rights are checked */
	uid_t uid;
	gid_t gid;
	int drop;		/* check in a child that becomes uid/gid */
};

static void
say(struct pf *p, enum pf_kind k, const char *fmt, ...) X402_PRINTF(3, 4);

static void
say(struct pf *p, enum pf_kind k, const char *fmt, ...)
{
	static const char *const tag[] = { "ok      ", "WARNING ",
	    "FAILED  ", "FAILED  " };
	va_list ap;

	fputs(tag[k], stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (k == PF_WARN)
		p->warned++;
	else if (k == PF_FAIL)
		p->failed++;
	else if (k == PF_AWAY)
		p->away++;
}

int
preflight_pay_to(const struct route *r, struct x402_detail *d)
{
	uint8_t a[X402_ADDR_LEN];
	size_t i;

	for (i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		if (x402_addr_parse(a, placeholders[i],
		    strlen(placeholders[i])) == 0 &&
		    memcmp(a, r->c.pay_to, X402_ADDR_LEN) == 0)
			return x402_fail(d, X402_ERR_CONFIG, "%s: [route] "
			    "pay_to: %s is the example's placeholder, an "
			    "address nobody controls: set your wallet",
			    r->file, placeholders[i]);
	return 0;
}

/* Whose rights to check: -u USER (a name or a number), else ours. */
static int
pick_user(struct pf *p, const char *user)
{
	struct passwd *pw;
	char *end;
	long n;

	p->uid = geteuid();
	p->gid = getegid();
	if (user == NULL) {
		pw = getpwuid(p->uid);
		snprintf(p->user, sizeof(p->user), "%s", pw ? pw->pw_name :
		    "the current user");
		if (p->uid == 0)
			say(p, PF_WARN, "rights checked for root, which the "
			    "gate should not run as: give -u USER");
		return 0;
	}
	snprintf(p->user, sizeof(p->user), "%s", user);
	if ((pw = getpwnam(user)) != NULL) {
		p->uid = pw->pw_uid;
		p->gid = pw->pw_gid;
	} else {
		errno = 0;
		n = strtol(user, &end, 10);
		if (errno != 0 || end == user || *end != '\0' || n < 0 ||
		    n > 0x7fffffffL) {
			say(p, PF_FAIL, "-u %s: no such user", user);
			return -1;
		}
		p->uid = (uid_t)n;
		p->gid = (gid_t)n;
	}
	if (p->uid == geteuid())
		return 0;
	if (geteuid() != 0) {
		say(p, PF_WARN, "-u %s: only root can check another user's "
		    "rights: checked for uid %u instead", user,
		    (unsigned)geteuid());
		p->uid = geteuid();
		p->gid = getegid();
		pw = getpwuid(p->uid);
		snprintf(p->user, sizeof(p->user), "%s", pw ? pw->pw_name :
		    "the current user");
		return 0;
	}
	p->drop = 1;
	return 0;
}

/* In the child: become the user, with its groups. */
static int
become(const struct pf *p)
{
	struct passwd *pw = getpwuid(p->uid);

	if ((pw != NULL ? initgroups(pw->pw_name, p->gid) :
	    setgroups(1, &p->gid)) != 0 || setgid(p->gid) != 0 ||
	    setuid(p->uid) != 0 || setuid(0) == 0)
		return -1;
	return 0;
}

static void
check_exec(struct pf *p, const char *what, const char *path)
{
	if (access(path, X_OK) == 0)
		say(p, PF_OK, "%s %s is executable by %s", what, path,
		    p->user);
	else
		say(p, PF_FAIL, "%s %s is not executable by %s: %s", what,
		    path, p->user, strerror(errno));
}

static void
check_read(struct pf *p, const char *what, const char *path)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		close(fd);
		say(p, PF_OK, "%s %s is readable by %s", what, path, p->user);
	} else
		say(p, PF_FAIL, "%s %s is not readable by %s: %s", what,
		    path, p->user, strerror(errno));
}

/*
 * Creates dir and removes it again; with levels 2 its missing parent
 * too (the gate makes [paths] claims before the drafts and relayer state
 * inside it).  Returns 0 or -1 (errno).
 */
static int
try_mkdir(const char *dir, int levels)
{
	char parent[PATH_MAX];
	char *slash;
	int made = 0, e;

	if (mkdir(dir, 0700) != 0) {
		if (errno != ENOENT || levels <= 1 ||
		    snprintf(parent, sizeof(parent), "%s", dir) >=
		    (int)sizeof(parent) ||
		    (slash = strrchr(parent, '/')) == NULL || slash == parent)
			return -1;
		*slash = '\0';
		if (mkdir(parent, 0700) != 0)
			return -1;
		made = 1;
		if (mkdir(dir, 0700) != 0) {
			e = errno;
			(void)rmdir(parent);
			errno = e;
			return -1;
		}
	}
	(void)rmdir(dir);
	if (made)
		(void)rmdir(parent);
	return 0;
}

/* dir is a direct child of parent. */
static int
inside(const char *dir, const char *parent)
{
	size_t n = strlen(parent);
	const char *rest = dir + n;

	return strncmp(dir, parent, n) == 0 && rest[0] == '/' &&
	    rest[1] != '\0' && strchr(rest + 1, '/') == NULL;
}

/*
 * dir must be a directory the user can create files in (create and
 * remove one), or one the user can create (create and remove it, and
 * the parent the gate makes first, `made`, when dir is inside it).
 */
static void
check_dir(struct pf *p, const char *what, const char *dir, const char *made)
{
	struct stat st;
	char probe[PATH_MAX];
	int fd;

	if (stat(dir, &st) != 0) {
		if (errno == ENOENT && try_mkdir(dir, made != NULL &&
		    inside(dir, made) ? 2 : 1) == 0)
			say(p, PF_OK, "%s %s does not exist; %s can create "
			    "it", what, dir, p->user);
		else
			say(p, PF_FAIL, "%s %s does not exist and cannot be "
			    "created by %s: %s", what, dir, p->user,
			    strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		say(p, PF_FAIL, "%s %s is not a directory", what, dir);
		return;
	}
	if (snprintf(probe, sizeof(probe), "%s/.x402-preflight.%ld", dir,
	    (long)getpid()) >= (int)sizeof(probe)) {
		say(p, PF_FAIL, "%s %s: path too long", what, dir);
		return;
	}
	if ((fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		say(p, PF_FAIL, "%s %s is not writable by %s: %s", what, dir,
		    p->user, strerror(errno));
		return;
	}
	close(fd);
	if (unlink(probe) != 0)
		say(p, PF_FAIL, "%s %s: %s cannot remove a file it created: "
		    "%s", what, dir, p->user, strerror(errno));
	else
		say(p, PF_OK, "%s %s is writable by %s", what, dir, p->user);
}

/* The spool's own directories, where they exist already. */
static void
check_spool(struct pf *p, const char *spool)
{
	static const char *const sub[] = { "tmp", "new", "cur",
	    "quarantine" };
	char path[PATH_MAX], what[64];
	struct stat st;
	size_t i;

	check_dir(p, "[paths] spool", spool, NULL);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", spool, sub[i]) >=
		    (int)sizeof(path) || stat(path, &st) != 0)
			continue;
		snprintf(what, sizeof(what), "[paths] spool %s/:", sub[i]);
		check_dir(p, what, path, NULL);
	}
}

/* Everything that depends on the user's rights. */
static void
check_rights(struct pf *p, const struct route *r)
{
	char state[512];

	check_exec(p, r->c.command_user[0] ? "[paths] spawn" :
	    "[route] command", r->argv[0]);
	if (r->c.workdir[0] != '\0')
		check_exec(p, "[route] workdir", r->c.workdir);
	if (r->c.mode == MODE_LOCAL)
		check_read(p, "[local] relayer_key", r->c.relayer_key);
	if (r->c.mode == MODE_FACILITATOR && r->c.cdp_key_file[0] != '\0')
		check_read(p, "[facilitator] cdp_key_file",
		    r->c.cdp_key_file);
	check_spool(p, r->c.spool);
	check_dir(p, "[paths] claims", r->c.claims, NULL);
	check_dir(p, "[paths] drafts", r->c.drafts, r->c.claims);
	check_dir(p, "[paths] fallback", r->c.fallback, NULL);
	if (r->c.mode == MODE_LOCAL) {
		if (r->c.relayer_state[0] != '\0')
			snprintf(state, sizeof(state), "%s",
			    r->c.relayer_state);
		else
			snprintf(state, sizeof(state), "%s/relayer",
			    r->c.claims);
		check_dir(p, "[local] relayer_state", state, r->c.claims);
	}
}

/* command_user: the command itself is executable by that user. */
static void
check_command_user(struct pf *p, const struct route *r)
{
	check_exec(p, "[route] command", r->argv[ROUTE_SPAWN_ARGS]);
}

/*
 * fn as the user: in a child that becomes it when p->drop (its exit
 * status: how many checks failed), else here.
 */
static void
rights(struct pf *p, const struct route *r,
    void (*fn)(struct pf *, const struct route *))
{
	pid_t pid;
	int st;

	if (!p->drop) {
		fn(p, r);
		return;
	}
	fflush(stdout);
	if ((pid = fork()) < 0) {
		say(p, PF_FAIL, "cannot fork to check %s's rights: %s",
		    p->user, strerror(errno));
		return;
	}
	if (pid == 0) {
		p->failed = 0;
		if (become(p) != 0)
			say(p, PF_FAIL, "cannot become %s (uid %u, gid %u)",
			    p->user, (unsigned)p->uid, (unsigned)p->gid);
		else
			fn(p, r);
		fflush(stdout);
		_exit(p->failed > 100 ? 100 : p->failed);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st))
		p->failed += WEXITSTATUS(st);
	else
		say(p, PF_FAIL, "the check as %s died", p->user);
}

/* A secret file: a regular file that only its owner may read. */
static void
check_mode(struct pf *p, const char *what, const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		say(p, PF_FAIL, "%s %s: %s", what, path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		say(p, PF_FAIL, "%s %s is not a regular file", what, path);
	else if (st.st_mode & 077)
		say(p, PF_FAIL, "%s %s has mode %04o: others may read it "
		    "(chmod 600)", what, path, (unsigned)(st.st_mode & 07777));
	else
		say(p, PF_OK, "%s %s has mode %04o", what, path,
		    (unsigned)(st.st_mode & 07777));
}

static void
check_file(struct pf *p, const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		say(p, PF_FAIL, "%s %s: %s", what, path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		say(p, PF_FAIL, "%s %s is not a regular file", what, path);
}

/*
 * command_user: the spawner is installed as x402-gate needs it (setuid
 * root, not writable by others: route.c), and the command is executable
 * by that user (checked as it when we are root).
 */
static void
check_spawn(struct pf *p, const struct route *r)
{
	const char *u = r->c.command_user;
	struct passwd *pw;
	struct stat st;
	struct pf q;

	if (stat(r->c.spawn, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != 0 || (st.st_mode & S_ISUID) == 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		say(p, PF_FAIL, "[paths] spawn %s is not installed setuid "
		    "root (see x402-spawn(8))", r->c.spawn);
	else
		say(p, PF_OK, "[paths] spawn %s is setuid root", r->c.spawn);
	check_file(p, "[route] command", r->argv[ROUTE_SPAWN_ARGS]);
	if ((pw = getpwnam(u)) == NULL) {
		say(p, PF_FAIL, "[route] command_user %s: no such user", u);
		return;
	}
	if (geteuid() != 0 && pw->pw_uid != geteuid()) {
		say(p, PF_WARN, "[route] command_user %s: only root can check "
		    "that it may run the command", u);
		return;
	}
	memset(&q, 0, sizeof(q));
	snprintf(q.user, sizeof(q.user), "%s", u);
	q.uid = pw->pw_uid;
	q.gid = pw->pw_gid;
	q.drop = pw->pw_uid != geteuid();
	rights(&q, r, check_command_user);
	p->failed += q.failed;
}

/* The facilitator answers /supported and supports every offer. */
static void
check_facilitator(struct pf *p, struct route *r)
{
	const struct x402_facilitator_supported *sup;
	struct x402_facilitator *f = NULL;
	struct x402_detail d;
	size_t i;
	int e;

	x402_detail_clear(&d);
	if ((e = route_facilitator(r, &f, &d)) != 0) {
		say(p, PF_FAIL, "[facilitator] %s", d.msg);
		return;
	}
	if ((e = x402_facilitator_supported(f, &sup, &d)) != 0) {
		say(p, route_unreachable(e) ? PF_AWAY : PF_FAIL, "[facilitator] "
		    "url %s: /supported: %s: %s", r->c.facilitator_url,
		    x402_strerror(e), d.msg);
		goto out;
	}
	say(p, PF_OK, "[facilitator] url %s answers /supported (%zu kinds)",
	    r->c.facilitator_url, sup->nkinds);
	for (i = 0; i < r->noffers; i++) {
		const struct x402_offer *o = &r->offers[i];

		x402_detail_clear(&d);
		if ((e = route_offer_check(r, f, i, &d)) != 0)
			say(p, route_unreachable(e) ? PF_AWAY : PF_FAIL,
			    "offer %zu: %s", i + 1, d.msg);
		else
			say(p, PF_OK, "offer %zu: the facilitator supports %s "
			    "on %s", i + 1, x402_scheme_name(o->scheme),
			    o->net->caip2);
	}
out:
	x402_facilitator_free(f);
}

/* The node at url is on the chain of the offers. */
static void
check_rpc(struct pf *p, const struct route *r, const char *what,
    const char *url)
{
	struct x402_http_opts ho;
	struct x402_rpc *rpc = NULL;
	struct x402_detail d;
	uint64_t want = r->offers[0].net->chain_id, got;
	int e;

	memset(&ho, 0, sizeof(ho));
	ho.proxy = r->c.proxy[0] ? r->c.proxy : NULL;
	ho.timeout_ms = (long)r->c.rpc_timeout * 1000;
	ho.connect_timeout_ms = ho.timeout_ms < 5000 ? ho.timeout_ms : 5000;
	x402_detail_clear(&d);
	if ((e = x402_rpc_new(&rpc, url, &ho, &d)) != 0)
		say(p, PF_FAIL, "%s %s: %s", what, url, d.msg);
	else if ((e = x402_rpc_chain_id(rpc, &got, &d)) != 0)
		say(p, route_unreachable(e) ? PF_AWAY : PF_FAIL, "%s %s: "
		    "eth_chainId: %s: %s", what, url, x402_strerror(e), d.msg);
	else if (got != want)
		say(p, PF_FAIL, "%s %s is on chain %llu; the offers are on "
		    "%llu (%s)", what, url, (unsigned long long)got,
		    (unsigned long long)want, r->offers[0].net->caip2);
	else
		say(p, PF_OK, "%s %s is on chain %llu (%s)", what, url,
		    (unsigned long long)got, r->offers[0].net->caip2);
	x402_rpc_free(rpc);
}

int
preflight_run(const char *file, const char *global, int global_given,
    const char *user)
{
	struct pf p;
	struct route r;
	struct x402_detail d;
	int e;

	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	x402_detail_clear(&d);
	if (pick_user(&p, user) != 0)
		goto out;
	if (access(global, F_OK) == 0)
		say(&p, PF_OK, "shared settings %s", global);
	else if (global_given) {
		say(&p, PF_FAIL, "-g %s: %s", global, strerror(errno));
		goto out;
	} else
		say(&p, PF_OK, "no shared settings (%s: %s)", global,
		    strerror(errno));
	if ((e = route_load(&r, &d, global_given || access(global, F_OK) ==
	    0 ? global : NULL, file, 0)) != 0) {
		say(&p, PF_FAIL, "%s", d.msg);
		goto out;
	}
	say(&p, PF_OK, "route %s: %s parses (%zu offer%s)", r.name, file,
	    r.noffers, r.noffers == 1 ? "" : "s");
	if ((e = preflight_pay_to(&r, &d)) != 0)
		say(&p, PF_FAIL, "%s", d.msg);
	else
		say(&p, PF_OK, "[route] pay_to is not the example's "
		    "placeholder");
	check_file(&p, r.c.command_user[0] ? "[paths] spawn" :
	    "[route] command", r.argv[0]);
	if (r.c.command_user[0] != '\0')
		check_spawn(&p, &r);
	if (r.c.mode == MODE_LOCAL)
		check_mode(&p, "[local] relayer_key", r.c.relayer_key);
	if (r.c.mode == MODE_FACILITATOR && r.c.cdp_key_file[0] != '\0')
		check_mode(&p, "[facilitator] cdp_key_file",
		    r.c.cdp_key_file);
	rights(&p, &r, check_rights);
	if (r.c.mode == MODE_FACILITATOR)
		check_facilitator(&p, &r);
	else
		check_rpc(&p, &r, "[local] rpc_url", r.c.rpc_url);
	if (r.c.recover_rpc_url[0] != '\0')
		check_rpc(&p, &r, "[recover] rpc_url", r.c.recover_rpc_url);
out:
	if (p.failed + p.away == 0)
		printf("%s: ok (%zu offer%s%s", file, r.noffers,
		    r.noffers == 1 ? "" : "s", p.warned ? ", " : ")\n");
	else
		printf("%s: %d failed (", file, p.failed + p.away);
	if (p.warned || p.failed + p.away)
		printf("%d warning%s)\n", p.warned, p.warned == 1 ? "" : "s");
	route_free(&r);
	fflush(stdout);
	return p.failed ? EX_CONFIG : p.away ? EX_UNAVAILABLE : 0;
}
