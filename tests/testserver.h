/*
 * testserver.h - a tiny HTTP/1.1 server for the test suites, forked from
 * the test on 127.0.0.1 with an ephemeral port.  It serves canned replies
 * by path, one process per connection:
 *
 *   /ok            200 application/json {"ok":true}
 *   /big           200, 10 MiB body with Content-Length
 *   /bigstream     200, 10 MiB body, no Content-Length (ends at close)
 *   /slow          waits 5 s, then 200
 *   /hang          accepts, reads the request, never answers
 *   /close         closes without answering
 *   /redirect      302 to /ok
 *   /redirect-ftp  302 to ftp://127.0.0.1:1/x
 *   /status500     500 with a text body
 *   /echo          200 text/plain: "METHOD PATH\n", the request headers
 *                  as received (lowercased names), an empty line, the body
 *   /rpc/<case>    JSON-RPC replies echoing the request's "id":
 *                  ok (result "0x14a34"), notjson, noresult, wrongtype
 *                  (result 123), wrongid, both (result and error), error
 *                  (code -32000 "nonce too low", data "0x08c379a0"),
 *                  deep (nesting 1000), big (11 MiB), http500 (HTTP 500
 *                  with a JSON-RPC error), trailing (valid reply + junk),
 *                  newline (valid reply + CRLF)
 *                  with a JSON-RPC error), trailing (valid reply + junk)
 *   /fac/<case>/<verify|settle|supported>  canned x402 facilitator
 *                  replies: ok (valid; settle with payer, tx 0x11..11,
 *                  network eip155:84532, amount "750"; supported lists 2
 *                  exact eip155:84532, 1 exact base-sepolia, and a kind
 *                  with a too-long scheme), nulls (optional fields null),
 *                  invalid (isValid/success false with a reason),
 *                  e500json (500 with an isValid/success body), e400other
 *                  (400, CDP error envelope), e500html, garbage (200,
 *                  broken JSON), array (200 [true]), badtype (isValid
 *                  "true", success 1, kinds {}), badpayer, notx (verify:
 *                  no isValid; settle: no transaction), shorttx, nonet,
 *                  longreason (300-byte reason, a 2-byte UTF-8 character
 *                  across byte 128), hang, close, echo (a negative
 *                  verdict whose reason is "ct=0|1,auth=0|1,cc=0|1" for
 *                  the Content-Type, Bearer JWT and Correlation-Context
 *                  headers, the request body in invalidMessage (verify)
 *                  and in an extra "echo" member)
 *   anything else  404
 */
#ifndef X402_TESTSERVER_H
#define X402_TESTSERVER_H

#include <sys/types.h>

struct ts_server {
	pid_t pid;		/* the server (leader of its process group) */
	int port;
	char base[64];		/* "http://127.0.0.1:PORT" */
};

/* Starts the server; aborts the test program on failure. */
void ts_start(struct ts_server *s);

/* Kills the server and every connection process it forked. */
void ts_stop(struct ts_server *s);

/* The server of a suite, started and stopped by the fixture below. */
extern struct ts_server ts_srv;

/* Check unchecked fixture: starts / stops ts_srv. */
void ts_fixture_up(void);
void ts_fixture_down(void);

/* Monotonic seconds, to bound waits (never to measure speed). */
double ts_now(void);

/* A 127.0.0.1 TCP port that had nothing listening a moment ago. */
int ts_free_port(void);

#endif /* X402_TESTSERVER_H */
