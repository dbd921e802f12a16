/* testserver.c - the canned HTTP server of the test suites. */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testserver.h"

#define REQ_MAX		(64 * 1024)
#define BIG		(10 * 1024 * 1024)
#define RPC_BIG		(11 * 1024 * 1024)

static void
die(const char *what)
{
	fprintf(stderr, "testserver: %s: %s\n", what, strerror(errno));
	exit(99);
}

static void
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			_exit(0);	/* the client went away */
		}
		c += w;
		n -= (size_t)w;
	}
}

static void
reply(int fd, int status, const char *ctype, const char *body, size_t len)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", status, ctype,
	    len);
	write_all(fd, head, (size_t)n);
	write_all(fd, body, len);
}

static void
reply_str(int fd, int status, const char *ctype, const char *body)
{
	reply(fd, status, ctype, body, strlen(body));
}

/* Sends n bytes of 'x', with or without a Content-Length. */
static void
reply_big(int fd, size_t n, int with_length, const char *prefix)
{
	static char chunk[65536];
	char head[256];
	size_t done = 0, k;
	int hn;

	memset(chunk, 'x', sizeof(chunk));
	if (with_length)
		hn = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n", n);
	else
		hn = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "Connection: close\r\n\r\n");
	write_all(fd, head, (size_t)hn);
	if (prefix != NULL) {
		write_all(fd, prefix, strlen(prefix));
		done = strlen(prefix);
	}
	while (done < n) {
		k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
		write_all(fd, chunk, k);
		done += k;
	}
}

/* The digits after "id": in the body, or "0". */
static void
find_id(char *out, size_t cap, const char *body)
{
	const char *p = strstr(body, "\"id\":");
	size_t n = 0;

	if (p != NULL)
		for (p += 5; isdigit((unsigned char)*p) && n + 1 < cap; p++)
			out[n++] = *p;
	if (n == 0)
		out[n++] = '0';
	out[n] = '\0';
}

static void
serve_rpc(int fd, const char *what, const char *body)
{
	char id[32], out[512];
	const char *j = "application/json";
	char *deep;
	int i;

	find_id(id, sizeof(id), body);
#define RPC(fmt) snprintf(out, sizeof(out), fmt, id)
	if (strcmp(what, "ok") == 0) {
		RPC("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":\"0x14a34\"}");
	} else if (strcmp(what, "notjson") == 0) {
		reply_str(fd, 200, j, "<html>not json</html>");
		return;
	} else if (strcmp(what, "noresult") == 0) {
		RPC("{\"jsonrpc\":\"2.0\",\"id\":%s}");
	} else if (strcmp(what, "wrongtype") == 0) {
		RPC("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":123}");
	} else if (strcmp(what, "wrongid") == 0) {
		RPC("{\"jsonrpc\":\"2.0\",\"id\":%s9,\"result\":\"0x1\"}");
	} else if (strcmp(what, "both") == 0) {
		RPC("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":\"0x1\","
		    "\"error\":{\"code\":1,\"message\":\"x\"}}");
	} else if (strcmp(what, "error") == 0) {
		RPC("{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":-32000,"
		    "\"message\":\"nonce too low\",\"data\":\"0x08c379a0\"}}");
	} else if (strcmp(what, "http500") == 0) {
		RPC("{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":-32603,"
		    "\"message\":\"internal\"}}");
		reply_str(fd, 500, j, out);
		return;
	} else if (strcmp(what, "trailing") == 0) {
		RPC("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":\"0x1\"} junk");
	} else if (strcmp(what, "bom") == 0) {
		RPC("\xef\xbb\xbf{\"jsonrpc\":\"2.0\",\"id\":%s,"
		    "\"result\":\"0x14a34\"}");
	} else if (strcmp(what, "newline") == 0) {
		RPC("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":\"0x14a34\"}\r\n");
	} else if (strcmp(what, "deep") == 0) {
		if ((deep = malloc(2001)) == NULL)
			_exit(1);
		for (i = 0; i < 1000; i++) {
			deep[i] = '[';
			deep[1000 + i] = ']';
		}
		deep[2000] = '\0';
		reply_str(fd, 200, j, deep);
		free(deep);
		return;
	} else if (strcmp(what, "big") == 0) {
		reply_big(fd, RPC_BIG, 1, "{\"jsonrpc\":\"2.0\",\"result\":\"");
		return;
	} else {
		reply_str(fd, 404, "text/plain", "no such rpc case\n");
		return;
	}
#undef RPC
	reply_str(fd, 200, j, out);
}

/* Appends s[0..n) as a JSON string body (quotes added) to out. */
static size_t
json_esc(char *out, size_t cap, const char *s, size_t n)
{
	size_t i, k = 0;

	out[k++] = '"';
	for (i = 0; i < n && k + 8 < cap; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			out[k++] = '\\';
			out[k++] = s[i];
		} else if ((unsigned char)s[i] < 0x20)
			k += (size_t)snprintf(out + k, cap - k, "\\u%04x",
			    (unsigned char)s[i]);
		else
			out[k++] = s[i];
	}
	out[k++] = '"';
	out[k] = '\0';
	return k;
}

#define FAC_PAYER "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define FAC_TX "0x" \
	"1111111111111111111111111111111111111111111111111111111111111111"

/* /fac/<case>/<verify|settle|supported>: canned facilitator replies. */
static void
serve_fac(int fd, const char *what, const char *req, size_t hlen,
    size_t total)
{
	const char *j = "application/json", *ep = strrchr(what, '/');
	char c[64], out[8192], esc[4096];
	size_t cl;
	int v, st, sup, hasauth;

	if (ep == NULL || (size_t)(ep - what) >= sizeof(c)) {
		reply_str(fd, 404, "text/plain", "no such fac case\n");
		return;
	}
	memcpy(c, what, (size_t)(ep - what));
	c[ep - what] = '\0';
	ep++;
	v = strcmp(ep, "verify") == 0;
	st = strcmp(ep, "settle") == 0;
	sup = strcmp(ep, "supported") == 0;
	if (!v && !st && !sup) {
		reply_str(fd, 404, "text/plain", "no such endpoint\n");
		return;
	}
	if (strcmp(c, "ok") == 0) {
		if (v)
			reply_str(fd, 200, j, "{\"isValid\":true,\"payer\":\""
			    FAC_PAYER "\"}");
		else if (st)
			reply_str(fd, 200, j, "{\"success\":true,\"payer\":\""
			    FAC_PAYER "\",\"transaction\":\"" FAC_TX "\","
			    "\"network\":\"eip155:84532\",\"amount\":\"750\","
			    "\"extensions\":{}}");
		else
			reply_str(fd, 200, j, "{\"kinds\":["
			    "{\"x402Version\":2,\"scheme\":\"exact\","
			    "\"network\":\"eip155:84532\"},"
			    "{\"x402Version\":1,\"scheme\":\"exact\","
			    "\"network\":\"base-sepolia\",\"extra\":{\"a\":1}},"
			    "{\"x402Version\":2,\"scheme\":\"a-scheme-name-"
			    "that-is-too-long\",\"network\":\"x:y\"}],"
			    "\"extensions\":[],\"signers\":{\"eip155:*\":[\""
			    FAC_PAYER "\"]}}");
	} else if (strcmp(c, "nulls") == 0) {
		if (v)
			reply_str(fd, 200, j, "{\"isValid\":true,"
			    "\"invalidReason\":null,\"invalidMessage\":null,"
			    "\"payer\":null}");
		else
			reply_str(fd, 200, j, "{\"success\":false,"
			    "\"errorReason\":null,\"payer\":null,"
			    "\"transaction\":\"\",\"network\":\"eip155:84532\"}");
	} else if (strcmp(c, "invalid") == 0) {
		if (v)
			reply_str(fd, 200, j, "{\"isValid\":false,"
			    "\"invalidReason\":\"some_future_reason\","
			    "\"invalidMessage\":\"the message\",\"payer\":\""
			    FAC_PAYER "\"}");
		else
			reply_str(fd, 200, j, "{\"success\":false,"
			    "\"errorReason\":\"some_settle_reason\","
			    "\"payer\":\"" FAC_PAYER "\",\"transaction\":\"\","
			    "\"network\":\"eip155:84532\"}");
	} else if (strcmp(c, "e500json") == 0) {
		if (v)
			reply_str(fd, 500, j, "{\"error\":\"boom\","
			    "\"isValid\":false,\"invalidReason\":"
			    "\"unexpected_error\"}");
		else if (st)
			reply_str(fd, 500, j, "{\"error\":\"boom\","
			    "\"success\":false,\"errorReason\":"
			    "\"unexpected_error\"}");
		else
			reply_str(fd, 500, j, "{\"error\":\"boom\"}");
	} else if (strcmp(c, "e400other") == 0) {
		reply_str(fd, 400, j, "{\"errorType\":\"invalid_request\","
		    "\"errorMessage\":\"doesn't match schema\"}");
	} else if (strcmp(c, "e500html") == 0) {
		reply_str(fd, 500, "text/html",
		    "<html><body>Internal \x01 Server Error</body></html>");
	} else if (strcmp(c, "garbage") == 0) {
		reply_str(fd, 200, j, "{\"isValid\":true, oops");
	} else if (strcmp(c, "array") == 0) {
		reply_str(fd, 200, j, "[true]");
	} else if (strcmp(c, "badtype") == 0) {
		if (v)
			reply_str(fd, 200, j, "{\"isValid\":\"true\"}");
		else if (st)
			reply_str(fd, 200, j, "{\"success\":1,\"transaction\":"
			    "\"\",\"network\":\"eip155:84532\"}");
		else
			reply_str(fd, 200, j, "{\"kinds\":{}}");
	} else if (strcmp(c, "badpayer") == 0) {
		reply_str(fd, 200, j, v ? "{\"isValid\":true,\"payer\":\"0x12\"}" :
		    "{\"success\":true,\"payer\":\"zz\",\"transaction\":\""
		    FAC_TX "\",\"network\":\"eip155:84532\"}");
	} else if (strcmp(c, "notx") == 0) {
		reply_str(fd, 200, j, v ? "{\"invalidReason\":\"x\"}" :
		    "{\"success\":true,\"network\":\"eip155:84532\"}");
	} else if (strcmp(c, "zerotx") == 0) {
		/* upto settled with zero: success, no transaction. */
		reply_str(fd, 200, j, v ? "{\"isValid\":true}" :
		    "{\"success\":true,\"transaction\":\"\",\"network\":"
		    "\"eip155:84532\",\"amount\":\"0\"}");
	} else if (strcmp(c, "emptytx") == 0) {
		/* "" with an amount above zero is not a settlement. */
		reply_str(fd, 200, j, v ? "{\"isValid\":true}" :
		    "{\"success\":true,\"transaction\":\"\",\"network\":"
		    "\"eip155:84532\",\"amount\":\"5\"}");
	} else if (strcmp(c, "shorttx") == 0) {
		reply_str(fd, 200, j, "{\"success\":true,\"transaction\":"
		    "\"0x1234\",\"network\":\"eip155:84532\"}");
	} else if (strcmp(c, "nonet") == 0) {
		reply_str(fd, 200, j, "{\"success\":true,\"transaction\":\""
		    FAC_TX "\"}");
	} else if (strcmp(c, "longreason") == 0) {
		/* 200 'a's then a 2-byte UTF-8 character at the cut. */
		memset(esc, 'a', 300);
		esc[127] = '\xc3';
		esc[128] = '\xa9';
		esc[300] = '\0';
		snprintf(out, sizeof(out), "{\"isValid\":false,"
		    "\"invalidReason\":\"%s\"}", esc);
		reply_str(fd, 200, j, out);
	} else if (strcmp(c, "hang") == 0) {
		pause();
	} else if (strcmp(c, "close") == 0) {
		return;
	} else if (strcmp(c, "echo") == 0) {
		/* The request body back, and which headers were seen. */
		json_esc(esc, sizeof(esc), req + hlen, total - hlen);
		hasauth = strcasestr(req, "\r\nauthorization: bearer ey") !=
		    NULL;
		cl = (size_t)snprintf(out, sizeof(out), "{%s\":false,"
		    "\"%s\":\"ct=%d,auth=%d,cc=%d\",\"%s\":%s,"
		    "\"transaction\":\"\",\"network\":\"n\",\"echo\":%s}",
		    v ? "\"isValid" : "\"success", v ? "invalidReason" :
		    "errorReason",
		    strcasestr(req, "\r\ncontent-type: application/json\r\n")
		    != NULL, hasauth,
		    strstr(req, "\r\nCorrelation-Context: sdk_version=") !=
		    NULL && strstr(req, ",sdk_language=c,source=x402-cgi,"
		    "source_version=") != NULL,
		    v ? "invalidMessage" : "method",
		    v ? esc : (strncmp(req, "POST ", 5) == 0 ? "\"POST\"" :
		    "\"other\""), esc);
		reply(fd, 200, j, out, cl);
	} else {
		reply_str(fd, 404, "text/plain", "no such fac case\n");
	}
}

/* Reads one request; returns 0 or -1 when the client closed. */
static int
read_request(int fd, char *buf, size_t cap, size_t *hlen, size_t *total)
{
	size_t n = 0, clen = 0;
	char *end = NULL, *cl;
	ssize_t k;

	for (;;) {
		if (n + 1 >= cap)
			return -1;
		if ((k = read(fd, buf + n, cap - 1 - n)) <= 0)
			return -1;
		n += (size_t)k;
		buf[n] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			*hlen = (size_t)(end - buf) + 4;
			if ((cl = strcasestr(buf, "\r\ncontent-length:")) !=
			    NULL && cl < end)
				clen = strtoul(cl + 17, NULL, 10);
			if (*hlen + clen >= cap)
				return -1;
		}
		if (end != NULL && n >= *hlen + clen) {
			*total = *hlen + clen;
			buf[*total] = '\0';
			return 0;
		}
	}
}

static void
serve_echo(int fd, const char *req, size_t hlen, size_t total)
{
	char *out, *p;
	size_t i, n = 0;
	int bol = 1;

	if ((out = malloc(total + 1)) == NULL)
		_exit(1);
	/* The request line up to the version, then the lowercased headers. */
	p = strstr(req, " HTTP/");
	for (i = 0; i < (size_t)(p - req); i++)
		out[n++] = req[i];
	out[n++] = '\n';
	for (i = (size_t)(strstr(req, "\r\n") - req) + 2; i < hlen; i++) {
		if (req[i] == '\r')
			continue;
		if (req[i] == ':')
			bol = 0;
		out[n++] = bol ? (char)tolower((unsigned char)req[i]) : req[i];
		if (req[i] == '\n')
			bol = 1;
	}
	memcpy(out + n, req + hlen, total - hlen);
	n += total - hlen;
	reply(fd, 200, "text/plain", out, n);
	free(out);
}

static void
serve_connection(int fd)
{
	static char req[REQ_MAX];
	char path[256];
	size_t hlen = 0, total = 0;
	const char *sp;
	size_t pl;

	alarm(20);	/* no connection process outlives a test by much */
	while (read_request(fd, req, sizeof(req), &hlen, &total) == 0) {
		if ((sp = strchr(req, ' ')) == NULL)
			break;
		pl = strcspn(sp + 1, " ");
		if (pl >= sizeof(path))
			break;
		memcpy(path, sp + 1, pl);
		path[pl] = '\0';
		if (strcmp(path, "/ok") == 0) {
			reply_str(fd, 200, "application/json", "{\"ok\":true}");
		} else if (strcmp(path, "/big") == 0) {
			reply_big(fd, BIG, 1, NULL);
		} else if (strcmp(path, "/bigstream") == 0) {
			reply_big(fd, BIG, 0, NULL);
			break;
		} else if (strcmp(path, "/slow") == 0) {
			sleep(5);
			reply_str(fd, 200, "application/json", "{\"slow\":1}");
		} else if (strcmp(path, "/hang") == 0) {
			pause();
		} else if (strcmp(path, "/close") == 0) {
			break;
		} else if (strcmp(path, "/redirect") == 0) {
			const char *m = "HTTP/1.1 302 Found\r\n"
			    "Location: /ok\r\nContent-Length: 0\r\n\r\n";
			write_all(fd, m, strlen(m));
		} else if (strcmp(path, "/redirect-ftp") == 0) {
			const char *m = "HTTP/1.1 302 Found\r\n"
			    "Location: ftp://127.0.0.1:1/x\r\n"
			    "Content-Length: 0\r\n\r\n";
			write_all(fd, m, strlen(m));
		} else if (strcmp(path, "/status500") == 0) {
			reply_str(fd, 500, "text/plain", "server broke\n");
		} else if (strcmp(path, "/echo") == 0) {
			serve_echo(fd, req, hlen, total);
		} else if (strncmp(path, "/fac/", 5) == 0) {
			serve_fac(fd, path + 5, req, hlen, total);
			if (strncmp(path, "/fac/close/", 11) == 0)
				break;
		} else if (strncmp(path, "/rpc/", 5) == 0) {
			serve_rpc(fd, path + 5, req + hlen);
		} else {
			reply_str(fd, 404, "text/plain", "not found\n");
		}
	}
	close(fd);
	_exit(0);
}

static void
serve(int lfd)
{
	int fd;

	signal(SIGCHLD, SIG_IGN);	/* connection processes reap themselves */
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		switch (fork()) {
		case -1:
			_exit(1);
		case 0:
			close(lfd);
			serve_connection(fd);
			_exit(0);
		default:
			close(fd);
		}
	}
}

static int
listen_local(int *port, int do_listen)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die("socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("bind");
	if (do_listen && listen(fd, 64) != 0)
		die("listen");
	if (getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		die("getsockname");
	*port = ntohs(sa.sin_port);
	return fd;
}

int
ts_free_port(void)
{
	int port, fd = listen_local(&port, 0);

	close(fd);
	return port;
}

void
ts_start(struct ts_server *s)
{
	int lfd = listen_local(&s->port, 1);

	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
	fflush(NULL);
	switch ((s->pid = fork())) {
	case -1:
		die("fork");
		break;
	case 0:
		(void)setpgid(0, 0);
		serve(lfd);
		_exit(0);
	default:
		(void)setpgid(s->pid, s->pid);
		close(lfd);
	}
}

void
ts_stop(struct ts_server *s)
{
	if (s->pid <= 0)
		return;
	(void)kill(-s->pid, SIGKILL);
	(void)waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

struct ts_server ts_srv;

void
ts_fixture_up(void)
{
	ts_start(&ts_srv);
}

void
ts_fixture_down(void)
{
	ts_stop(&ts_srv);
}

double
ts_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
