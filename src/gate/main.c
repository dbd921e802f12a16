/*
 * x402-gate - sell one command per route over HTTP 402, as a FastCGI
 * worker (or a plain CGI program, one request per process).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcgiapp.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "gate.h"
#include "log.h"
#include "counters.h"
#include "preflight.h"
#include "sanitizer.h"

#define CONFDIR SYSCONFDIR "/x402"
#define QUERY_WORDS_MAX 510	/* Apache's APACHE_ARG_MAX - 2 */

static volatile sig_atomic_t stopping, busy;

/*
 * TERM between requests: leave at once (FCGX_Accept_r would not return).
 * TERM during a request: finish it (never drop a settled answer), then
 * leave.  A sanitized build checks for leaks first (_exit skips it).
 */
static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	if (!busy) {
		x402_sanitizer_check_leaks();
		_exit(0);
	}
}

static void
usage_to(FILE *f)
{
	fprintf(f, "usage: x402-gate [-c route.conf] [-g x402.conf] "
	    "[-n max-requests]\n"
	    "       x402-gate -t [-c route.conf] [-g x402.conf] [-u user]\n"
	    "       x402-gate --recover [-c route.conf] [-g x402.conf]\n"
	    "       x402-gate --metrics [-c route.conf] [-g x402.conf]\n"
	    "  -c FILE  the route to serve (else $X402_CONFIG, else the "
	    "program's name:\n"
	    "           ocr.fcgi serves $X402_CONFDIR/ocr.conf, by default\n"
	    "           " CONFDIR "/ocr.conf)\n"
	    "  -g FILE  shared settings (default $X402_CONFDIR/x402.conf)\n"
	    "  -t       check everything that can be checked before a request\n"
	    "           arrives, one line each, and exit: 0 ok, 78 a failed\n"
	    "           check, 69 a facilitator or node that does not answer\n"
	    "  -u USER  with -t as root: check the rights of USER (the\n"
	    "           gate's user), else those of the current user\n"
	    "  -n N     exit after N requests (the web server restarts us)\n"
	    "  --recover  complete the records of payments whose worker died\n"
	    "           between settlement and receipt, for the route of -c\n"
	    "           or $X402_CONFIG, else every route in $X402_CONFDIR\n"
	    "  --metrics  print the counters of every route in the metrics\n"
	    "           directory of that route (or of each route) in the\n"
	    "           Prometheus text format\n"
	    "  --help, --version\n"
	    "exit status: 0 done, 1 failed, 64 usage, 78 configuration; see "
	    "x402-gate(8)\n");
}

static void
usage(void)
{
	usage_to(stderr);
	exit(EX_USAGE);
}

static const char *
fcgi_getenv(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static long
fcgi_read(void *ctx, char *p, size_t n)
{
	int want = n > INT_MAX ? INT_MAX : (int)n;

	return FCGX_GetStr(p, want, ((FCGX_Request *)ctx)->in);
}

static int
fcgi_write(void *ctx, const char *p, size_t n)
{
	FCGX_Request *rq = ctx;

	while (n > 0) {
		int k = n > INT_MAX ? INT_MAX : (int)n;

		if (FCGX_PutStr(p, k, rq->out) != k)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static const char *
cgi_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static long
cgi_read(void *ctx, char *p, size_t n)
{
	(void)ctx;
	return (long)fread(p, 1, n, stdin);
}

static int
cgi_write(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	return fwrite(p, 1, n, stdout) == n ? 0 : -1;
}

static const char *confdir(void);

/* --recover for one route file.  Returns the exit status. */
static int
recover_one(const char *file, const char *global)
{
	struct route r;
	struct x402_detail d;
	int e, ret;

	x402_detail_clear(&d);
	if ((e = route_load(&r, &d, global, file, 0)) != 0) {
		X402_LOG_ERR("--recover: %s: %s", x402_strerror(e), d.msg);
		route_free(&r);
		return 1;
	}
	ret = gate_recover(&r);
	route_free(&r);
	return ret;
}

#define METRICS_DIRS_MAX 16

/*
 * --metrics: the exposition of the metrics directory of the route of -c
 * or $X402_CONFIG, else of every route of the configuration directory
 * (each directory once).  Returns the exit status.
 */
static int
metrics(const char *opt, const char *global)
{
	const char *e = getenv("X402_CONFIG"), *dir = confdir();
	char dirs[METRICS_DIRS_MAX][256], path[PATH_MAX];
	struct dirent **names = NULL;
	struct x402_buf b;
	struct x402_detail d;
	struct route *r = NULL;
	struct stat st;
	size_t ndirs = 0, k;
	int n = 0, i, ret = 0;

	x402_buf_init(&b, 64 << 20);
	if ((r = malloc(sizeof(*r))) == NULL)
		return 1;
	if (opt == NULL && (e == NULL || e[0] == '\0') &&
	    (n = scandir(dir, &names, NULL, alphasort)) < 0) {
		X402_LOG_ERR("--metrics: cannot list %s: %s", dir,
		    strerror(errno));
		free(r);
		return 1;
	}
	for (i = 0; i < (names != NULL ? n : 1); i++) {
		const char *file = opt != NULL ? opt : e;

		if (names != NULL) {
			const char *nm = names[i]->d_name;
			size_t len = strlen(nm);

			if (nm[0] == '.' || len <= 5 ||
			    strcmp(nm + len - 5, ".conf") != 0 ||
			    strcmp(nm, "x402.conf") == 0 ||
			    strcmp(nm, "networks.conf") == 0 ||
			    strcmp(nm, "payout.conf") == 0 ||
			    snprintf(path, sizeof(path), "%s/%s", dir, nm) >=
			    (int)sizeof(path))
				continue;
			file = path;
		}
		x402_detail_clear(&d);
		if (route_load(r, &d, global, file, 0) != 0) {
			X402_LOG_ERR("--metrics: %s", d.msg);
			route_free(r);
			ret = 1;
			continue;
		}
		for (k = 0; k < ndirs && strcmp(dirs[k], r->c.metrics) != 0;
		    k++)
			;
		if (k == ndirs && ndirs < METRICS_DIRS_MAX) {
			snprintf(dirs[ndirs++], sizeof(dirs[0]), "%s",
			    r->c.metrics);
			/*
			 * The drafts, when their directory exists (never
			 * made here: it belongs to the gate's user).
			 */
			if (stat(r->c.drafts, &st) != 0 || !S_ISDIR(st.st_mode) ||
			    x402_drafts_open(&r->drafts, NULL, r->c.drafts) != 0)
				r->drafts = NULL;
			if (gm_expose(&b, &d, r->c.metrics, r->drafts) != 0) {
				X402_LOG_ERR("--metrics: %s", d.msg);
				ret = 1;
			}
		}
		route_free(r);
	}
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	free(r);
	if (b.len > 0 && fwrite(b.p, 1, b.len, stdout) != b.len)
		ret = 1;
	x402_buf_free(&b);
	return ret;
}

/* $X402_CONFDIR, else SYSCONFDIR/x402. */
static const char *
confdir(void)
{
	const char *e = getenv("X402_CONFDIR");

	return e != NULL && e[0] != '\0' ? e : CONFDIR;
}

static int
hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* a equals b, ignoring backslashes on both sides. */
static int
same_unescaped(const char *a, const char *b)
{
	for (;;) {
		while (*a == '\\')
			a++;
		while (*b == '\\')
			b++;
		if (*a != *b)
			return 0;
		if (*a == '\0')
			return 1;
		a++;
		b++;
	}
}

/*
 * Apache's mod_cgi passes the words of a query string without '=' as
 * command-line arguments ("?-c+/tmp/x.conf" becomes argv "-c",
 * "/tmp/x.conf", URL-decoded and shell-escaped).  They come from the
 * client: returns how many trailing arguments are exactly those words,
 * so that they are never read as options.  0 outside CGI.
 */
static int
query_words(int argc, char *argv[])
{
	const char *q = getenv("QUERY_STRING");
	char *w = NULL;
	int n, i, k, r = 0;

	if (getenv("GATEWAY_INTERFACE") == NULL || q == NULL ||
	    q[0] == '\0' || strchr(q, '=') != NULL)
		return 0;
	for (n = 1, i = 0; q[i] != '\0'; i++)
		if (q[i] == '+')
			n++;
	if (n > QUERY_WORDS_MAX)
		n = QUERY_WORDS_MAX;
	if (n > argc - 1)
		return 0;
	/* A decoded word is never longer than the query string. */
	if ((w = malloc(strlen(q) + 1)) == NULL)
		return 0;
	for (k = argc - n; k < argc; k++) {
		size_t len = 0;

		/* The next word, URL-decoded (%XX; '+' separates words). */
		while (*q != '\0' && *q != '+') {
			if (q[0] == '%' && isxdigit((unsigned char)q[1]) &&
			    isxdigit((unsigned char)q[2])) {
				w[len++] = (char)(hexval(q[1]) << 4 |
				    hexval(q[2]));
				q += 3;
			} else
				w[len++] = *q++;
		}
		w[len] = '\0';
		if (*q == '+')
			q++;
		if (!same_unescaped(argv[k], w))
			goto out;
	}
	r = n;
out:
	free(w);
	return r;
}

/*
 * --recover: the route of -c or $X402_CONFIG, else every route file
 * (*.conf but x402.conf, networks.conf and payout.conf) of the
 * configuration directory.  Returns the exit status.
 */
static int
recover(const char *opt, const char *global)
{
	const char *e = getenv("X402_CONFIG"), *dir = confdir();
	char path[PATH_MAX];
	struct dirent **names = NULL;
	int n, i, ret = 0;

	if (opt != NULL || (e != NULL && e[0] != '\0'))
		return recover_one(opt != NULL ? opt : e, global);
	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		X402_LOG_ERR("--recover: cannot list %s: %s", dir,
		    strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t len = strlen(nm);

		if (nm[0] != '.' && len > 5 &&
		    strcmp(nm + len - 5, ".conf") == 0 &&
		    strcmp(nm, "x402.conf") != 0 &&
		    strcmp(nm, "networks.conf") != 0 &&
		    strcmp(nm, "payout.conf") != 0 &&
		    snprintf(path, sizeof(path), "%s/%s", dir, nm) <
		    (int)sizeof(path) && recover_one(path, global) != 0)
			ret = 1;
		free(names[i]);
	}
	free(names);
	return ret;
}

/* The route file: -c, $X402_CONFIG, or named after the program. */
static int
route_file(char *out, size_t cap, const char *opt, const char *argv0)
{
	const char *e = getenv("X402_CONFIG"), *b;
	char name[128];
	size_t n;

	if (opt != NULL)
		return snprintf(out, cap, "%s", opt) < (int)cap ? 0 : -1;
	if (e != NULL && e[0] != '\0')
		return snprintf(out, cap, "%s", e) < (int)cap ? 0 : -1;
	b = strrchr(argv0, '/');
	b = b ? b + 1 : argv0;
	n = strcspn(b, ".");
	if (n == 0 || n >= sizeof(name) || strncmp(b, "x402-gate", n) == 0)
		return -1;
	memcpy(name, b, n);
	name[n] = '\0';
	return snprintf(out, cap, "%s/%s.conf", confdir(), name) < (int)cap ?
	    0 : -1;
}

int
main(int argc, char *argv[])
{
	const char *opt_c = NULL, *global = NULL, *opt_u = NULL;
	char file[PATH_MAX], gfile[PATH_MAX];
	struct route r;
	struct x402_detail d;
	struct sigaction sa;
	long max_requests = 0, served = 0;
	int ch, test = 0, recovering = 0, exposing = 0, global_given, e, i, j;

	x402_log_open("x402-gate", X402_LOG_STDERR, 0, 0);
	argc -= query_words(argc, argv);
	argv[argc] = NULL;
	/* --recover (a long option: never one a client can pass by CGI). */
	for (i = j = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--recover") == 0)
			recovering = 1;
		else if (strcmp(argv[i], "--metrics") == 0)
			exposing = 1;
		else if (strcmp(argv[i], "--help") == 0) {
			usage_to(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("x402-gate (x402-cgi) %s\n", VERSION);
			return 0;
		} else
			argv[j++] = argv[i];
	}
	argc = j;
	argv[argc] = NULL;
	while ((ch = getopt(argc, argv, "c:g:n:tu:Vh")) != -1) {
		switch (ch) {
		case 'c': opt_c = optarg; break;
		case 'g': global = optarg; break;
		case 'n': max_requests = strtol(optarg, NULL, 10); break;
		case 't': test = 1; break;
		case 'u': opt_u = optarg; break;
		case 'V': printf("x402-gate (x402-cgi) %s\n", VERSION); return 0;
		default: usage();
		}
	}
	if (opt_u != NULL && !test)
		usage();
	global_given = global != NULL;
	/* An explicit -g names a file that must be there (-t says so too). */
	if (global_given && !test && access(global, F_OK) != 0) {
		X402_LOG_ERR("-g %s: %s", global, strerror(errno));
		return 1;
	}
	if ((recovering || exposing) && getenv("GATEWAY_INTERFACE") != NULL) {
		X402_LOG_ERR("--%s is not for a web request", recovering ?
		    "recover" : "metrics");
		return EX_USAGE;
	}
	if ((recovering || exposing) && global == NULL) {
		snprintf(gfile, sizeof(gfile), "%s/x402.conf", confdir());
		global = gfile;
	}
	if (exposing && !recovering)
		return metrics(opt_c, global);
	if (recovering) {
		if (x402_http_global_init() != 0) {
			X402_LOG_ERR("libcurl initialisation failed");
			return 1;
		}
		/* It may load a relayer key (local settlement). */
		{
			struct rlimit rl = { 0, 0 };

			(void)setrlimit(RLIMIT_CORE, &rl);
			(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		}
		e = recover(opt_c, global);
		x402_http_global_cleanup();
		return e;
	}
	if (route_file(file, sizeof(file), opt_c, argv[0]) != 0) {
		X402_LOG_ERR("no route: give -c FILE or set X402_CONFIG");
		return EX_USAGE;
	}
	if (global == NULL) {
		snprintf(gfile, sizeof(gfile), "%s/x402.conf", confdir());
		global = gfile;
	}
	if (x402_http_global_init() != 0) {
		X402_LOG_ERR("libcurl initialisation failed");
		return 1;
	}
	if (test) {
		e = preflight_run(file, global, global_given, opt_u);
		x402_http_global_cleanup();
		return e;
	}
	/* A worker may hold a relayer key: never in a core dump. */
	{
		struct rlimit rl = { 0, 0 };

		(void)setrlimit(RLIMIT_CORE, &rl);
		(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}
	x402_detail_clear(&d);
	if ((e = route_load(&r, &d, global, file, 1)) != 0 ||
	    (e = preflight_pay_to(&r, &d)) != 0) {
		X402_LOG_ERR("%s: %s", x402_strerror(e), d.msg);
		route_free(&r);
		/* a peer out of reach is not the configuration's fault */
		return e == X402_ERR_NET || e == X402_ERR_TIMEOUT ||
		    e == X402_ERR_UPSTREAM || e == X402_ERR_BADREPLY ?
		    EX_UNAVAILABLE : EX_CONFIG;
	}
	x402_log_set_level((enum x402_log_level)r.c.log_level);
	/* Function names only for debugging; syslog when asked. */
	x402_log_open("x402-gate", r.c.log == LOG_TO_SYSLOG ? X402_LOG_SYSLOG :
	    X402_LOG_STDERR, LOG_DAEMON, r.c.log_level == X402_LEVEL_DEBUG ?
	    X402_LOG_FUNC : 0);
	/* Said on stderr while the route was read; syslog hears it too. */
	if (r.c.log == LOG_TO_SYSLOG && r.sup_pending)
		X402_LOG_WARN("route %s: the facilitator could not be asked "
		    "for /supported at start-up: serving 402s, payments get "
		    "503 until it answers", r.name);
	/* Counters are not worth a refused request: serve without them. */
	if (mkdir(r.c.metrics, 0755) != 0 && errno != EEXIST)
		X402_LOG_WARN("route %s: no metrics: cannot create %s: %s",
		    r.name, r.c.metrics, strerror(errno));
	else if ((e = gm_open(&r, &d)) != 0)
		X402_LOG_WARN("route %s: no metrics: %s", r.name, d.msg);
	/* Descendants of a command that leave its process group (setsid,
	   double fork) are reparented to this worker, which kills and reaps
	   them when the command ends.  The worker starts no other child. */
	if (x402_run_subreaper(&d) == 0)
		r.sweep = 1;
	else
		X402_LOG_WARN("%s; a command's descendants that leave its "
		    "process group may outlive it", d.msg);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (FCGX_IsCGI()) {
		struct gate_io io = { cgi_getenv, cgi_read, cgi_write, NULL };

		/* One request: a TERM now lets it finish (on_term). */
		busy = 1;
		gate_handle(&r, &io);
		fflush(stdout);
	} else {
		FCGX_Request rq;
		struct gate_io io = { fcgi_getenv, fcgi_read, fcgi_write, &rq };

		if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0) {
			X402_LOG_ERR("FastCGI initialisation failed");
			route_free(&r);
			return 1;
		}
		X402_LOG_INFO("serving route %s (%s)", r.name, file);
		while (!stopping && FCGX_Accept_r(&rq) >= 0) {
			busy = 1;
			gate_handle(&r, &io);
			FCGX_Finish_r(&rq);
			busy = 0;
			if (max_requests > 0 && ++served >= max_requests)
				break;
		}
		FCGX_Free(&rq, 1);
	}
	route_free(&r);
	x402_http_global_cleanup();
	return 0;
}
