/*
 * fuzz_gate.c - a whole request through x402-gate's request path
 * (gate_handle): CGI variables, request body and payment header all
 * from the input, against a route with two offers whose facilitator
 * answers /supported and refuses every /verify (so nothing runs and
 * nothing is claimed; the HTTP layer is replaced by linking with
 * --wrap=x402_http_request).  Input: "NAME=value" lines, an empty line,
 * then the body.  Every request gets a reply starting with a Status
 * line, except one whose body ends before CONTENT_LENGTH.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate.h"
#include "log.h"
#include "fuzz.h"
#include "fakehttp.h"

#define NVARS 32

struct fio {
	const char *name[NVARS], *value[NVARS];
	size_t n;
	const char *body;
	size_t body_len, off;
	size_t wrote;
	int bad;
	int short_body;		/* read past the end: the client is gone */
};

static const char SUPPORTED[] = "{\"kinds\":[{\"x402Version\":2,"
    "\"scheme\":\"exact\",\"network\":\"eip155:84532\"},{\"x402Version\":1,"
    "\"scheme\":\"exact\",\"network\":\"base-sepolia\"}],\"extensions\":[],"
    "\"signers\":{}}";
static const char REFUSED[] = "{\"isValid\":false,\"invalidReason\":"
    "\"insufficient_funds\",\"payer\":"
    "\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\"}";

/* The facilitator: /supported lists both offers, /verify refuses. */
static void
pick(const char *url)
{
	fake_status = 200;
	fake_body = strstr(url, "/supported") ? SUPPORTED : REFUSED;
	fake_len = strlen(fake_body);
}

static const char *
fio_getenv(void *ctx, const char *name)
{
	struct fio *f = ctx;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i];
	return NULL;
}

static long
fio_read(void *ctx, char *p, size_t n)
{
	struct fio *f = ctx;

	if (n > f->body_len - f->off)
		n = f->body_len - f->off;
	if (n == 0)
		f->short_body = 1;
	memcpy(p, f->body + f->off, n);
	f->off += n;
	return (long)n;
}

static int
fio_write(void *ctx, const char *p, size_t n)
{
	struct fio *f = ctx;

	if (f->wrote == 0 && (n < 8 || memcmp(p, "Status: ", 8) != 0))
		f->bad = 1;
	f->wrote += n;
	return 0;
}

static struct route *
route(void)
{
	static struct route r;
	static int loaded;
	char dir[512], path[600];
	struct x402_detail d;
	FILE *f;

	if (loaded)
		return &r;
	snprintf(dir, sizeof(dir), "%s/fuzz-gate-%ld", fuzz_tmpdir(),
	    (long)getpid());
	snprintf(path, sizeof(path), "%s/route.conf", dir);
	if (mkdir(dir, 0700) != 0 || (f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "[route]\ncommand = /bin/true\ndescription = fuzz\n"
	    "mime_type = text/plain\nprice = $0.001\n"
	    "pay_to = 0x209693Bc6afc0C5328bA36FaF03C514EF312287C\n"
	    "accept = base-sepolia eip155:84532/USDC\nmax_input = 64k\n"
	    "[gate]\ncors_origin = https://example.com\nbrowser_page = yes\n"
	    "[facilitator]\nurl = http://127.0.0.1:9\n"
	    "[paths]\nspool = %s/spool\nclaims = %s/claims\n"
	    "fallback = %s/fallback\n", dir, dir, dir);
	if (fclose(f) != 0)
		abort();
	fake_init();
	fake_pick = pick;
	x402_log_open("fuzz-gate", X402_LOG_STDERR, 0, 0);
	x402_log_set_level(X402_LEVEL_ERR);
	if (route_load(&r, &d, NULL, path, 1) != 0) {
		fprintf(stderr, "route: %s\n", d.msg);
		abort();
	}
	loaded = 1;
	return &r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route *r = route();
	struct gate_io io;
	struct fio f;
	char *s, *line, *next, *eq;

	if (size > FUZZ_MAX || (s = fuzz_str(data, size)) == NULL)
		return 0;
	memset(&f, 0, sizeof(f));
	for (line = s; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0') {		/* the body follows */
			f.body = next;
			break;
		}
		if ((eq = strchr(line, '=')) == NULL || f.n == NVARS)
			continue;
		*eq = '\0';
		f.name[f.n] = line;
		f.value[f.n++] = eq + 1;
	}
	if (f.body != NULL)
		f.body_len = size - (size_t)(f.body - s);
	else
		f.body = "";
	io.getenv = fio_getenv;
	io.read = fio_read;
	io.write = fio_write;
	io.ctx = &f;
	gate_handle(r, &io);
	/* A reply, always with a Status line, unless the body ended short
	   of CONTENT_LENGTH: then the client is gone and none is sent. */
	if (f.bad || (f.wrote == 0 && !f.short_body))
		abort();
	free(s);
	return 0;
}
