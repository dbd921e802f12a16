/*
 * fcgi-hello.c - BENCHMARK ONLY: the bare FastCGI responder the gate's 402
 * path is measured against.  It reads one canned CGI response (status line,
 * headers, blank line, body: bench/run.sh captures the gate's own 402 so
 * the bytes on the wire are the same) and answers every request with it,
 * reading nothing.  Same libfcgi accept loop as x402-gate.
 *
 *   fcgi-hello RESPONSE_FILE
 */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>

#define RESP_MAX (64 * 1024)

int
main(int argc, char **argv)
{
	static char resp[RESP_MAX];
	FCGX_Request rq;
	FILE *f;
	size_t n;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: fcgi-hello RESPONSE_FILE\n");
		return 2;
	}
	n = fread(resp, 1, sizeof(resp), f);
	fclose(f);
	if (n == 0 || n == sizeof(resp)) {
		fprintf(stderr, "fcgi-hello: empty or too large response\n");
		return 2;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&rq) >= 0) {
		FCGX_PutStr(resp, (int)n, rq.out);
		FCGX_Finish_r(&rq);
	}
	return 0;
}
