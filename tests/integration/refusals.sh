#!/bin/sh
# refusals.sh - the refusal matrix: bad payments, built by signing with a
# test key, sent to x402-gate under lighttpd (facilitator mode; MODE=local
# for local settlement).  For each case of the table below: the status,
# the reason (a substring of the v1 body's `error`, which the decoded
# PAYMENT-REQUIRED `error` must equal), the command did not run, the payee
# was not paid, no receipt was written.  Then what the command's output
# may decide (lighttpd with x-sendfile enabled, as an operator serving
# downloads has it): a raw route echoing the client's text that reads like
# headers sends it as the paid body; a cgi route's steering headers reach
# neither lighttpd nor the client (steer_checks in lib.sh).
. "$(dirname "$0")/lib.sh"
MODE=${MODE:-facilitator}

start_chain || exit 1
start_facilitator --v1 core || exit 1
printf '%s\n' "${RELAYER_KEY#0x}" >"$X402_OUT/relayer.key"
chmod 600 "$X402_OUT/relayer.key"
PORT=$(freeport)
BASE=http://127.0.0.1:$PORT
mkdir -p "$X402_OUT/work"

# route NAME [COMMAND [LINES]]: a route file (default: the counter fixture).
route() {
	cat >"$X402_OUT/$1.conf" <<CONF
[route]
command = ${2:-$X402_TOP/tests/integration/fixtures/counter}
${3:-}
description = Refusal matrix
mime_type = text/plain
price = 1000
pay_to = $PAYTO
accept = base-sepolia
workdir = $X402_OUT/work

[gate]
settlement = $MODE

[facilitator]
url = $FACILITATOR_URL
timeout = 20s

[local]
rpc_url = $RPC_URL
relayer_key = $X402_OUT/relayer.key
receipt_timeout = 30s

[paths]
spool = $X402_OUT/spool
claims = $X402_OUT/claims
fallback = $X402_OUT/fallback
CONF
}
route counter
route other
route raw "$X402_TOP/tests/integration/fixtures/echo"
route steer "$X402_TOP/tests/integration/fixtures/echo" "output = cgi"

LIGHTTPD_FCGI_EXTRA=', "x-sendfile" => "enable"' \
LIGHTTPD_EXTRA="server.max-request-field-size = 65535" lighttpd_gates counter other raw steer || exit 1

curl -s -D "$X402_OUT/h402" -o /dev/null "$BASE/counter"
PR=$(header PAYMENT-REQUIRED "$X402_OUT/h402")
NOW=$(date +%s)

# Header builders used by the table.
ph() { node "$CHAIN/payment-header.mjs" "$PR" "$@"; }
b64() { printf '%s' "$1" | base64 -w0; }
# A good header made URL-safe ("?" runs encode to "/" in base64).
urlsafe() { ph --extensions '{"x-test":{"info":"????????????"}}' | tr '+/' '-_'; }
spaced() { h=$(ph); printf '%s %s' "$(printf '%s' "$h" | cut -c1-40)" "$(printf '%s' "$h" | cut -c41-)"; }
truncb64() { h=$(ph); printf '%s' "$h" | cut -c1-$(( ${#h} - 7 )); }
truncjson() { j=$(ph --json); b64 "$(printf '%s' "$j" | cut -c1-$(( ${#j} / 2 )))"; }
dupkeys() { j=$(ph --json); b64 "{\"x402Version\":2,${j#\{}"; }
deep() { node -e 'const n=+process.argv[1];process.stdout.write(Buffer.from("{\"x402Version\":2,\"a\":"+"[".repeat(n)+"]".repeat(n)+"}").toString("base64"))' "$1"; }
long1mb() { node -e 'process.stdout.write(Buffer.from(JSON.stringify({x402Version:2,pad:"x".repeat(1<<20)})).toString("base64"))' >"$X402_OUT/long.b64"; printf '@FILE'; }
overcap() { head -c 17000 /dev/zero | tr '\0' 'A'; }
N31=0x$(head -c 31 /dev/urandom | od -An -tx1 | tr -d ' \n')
N33=0x$(head -c 33 /dev/urandom | od -An -tx1 | tr -d ' \n')
OTHER_ASSET=0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913

# name | route | status | reason substring | how the header is built (sh).
# The reason is looked for in the v1 body `error` and the decoded
# PAYMENT-REQUIRED `error` (their texts differ where the official v1 and
# v2 servers differ: "Unable to find matching payment requirements" is
# v1's, "No matching payment requirements" v2's).  Status 000/431: lighttpd
# drops a request with a 1 MB header before the gate sees it.
cat >"$X402_OUT/table" <<T
bad signature|counter|402|invalid_exact_evm_signature|ph --tamper-value 1000 --value 1
signature by another key|counter|402|invalid_exact_evm_signature|ph --key $PAYER2_KEY --from $PAYER
from and to swapped|counter|402|invalid_exact_evm_signature|ph --swap-from-to
recipient not pay_to|counter|402|invalid_exact_evm_recipient_mismatch|ph --to $PAYTO2
amount one unit below|counter|402|invalid_exact_evm_payload_authorization_value_mismatch|ph --value 999
amount one unit above|counter|402|invalid_exact_evm_payload_authorization_value_mismatch|ph --value 1001
v1 amount one unit above|counter|402|invalid_exact_evm_payload_authorization_value|ph --v1 base-sepolia --value 1001
validBefore in the past|counter|402|invalid_exact_evm_payload_authorization_valid_before|ph --valid-before $((NOW - 10))
validBefore within 6 s|counter|402|invalid_exact_evm_payload_authorization_valid_before|ph --valid-before $((NOW + 3))
validAfter in the future|counter|402|invalid_exact_evm_payload_authorization_valid_after|ph --valid-after $((NOW + 120))
wrong chain id in the domain|counter|402|invalid_exact_evm_signature|ph --chain-id 8453
wrong EIP-712 name|counter|402|invalid_exact_evm_signature|ph --domain-name 'USD Coin'
wrong EIP-712 version|counter|402|invalid_exact_evm_signature|ph --domain-version 1
wrong asset|counter|402|No matching payment requirements|ph --asset $OTHER_ASSET
network not offered (v2)|counter|402|No matching payment requirements|ph --accepted '{"network":"eip155:8453"}'
network not offered (v1)|counter|402|Unable to find matching payment requirements|ph --v1 base
scheme not offered|counter|402|No matching payment requirements|ph --accepted '{"scheme":"deferred"}'
x402Version 0|counter|402|x402Version 0 is not supported|ph --version 0
x402Version 3|counter|402|x402Version 3 is not supported|ph --version 3
accepted.amount differs|counter|402|No matching payment requirements|ph --accepted '{"amount":"1001"}'
accepted.payTo differs|counter|402|No matching payment requirements|ph --accepted '{"payTo":"$PAYTO2"}'
accepted.maxTimeoutSeconds differs|counter|402|No matching payment requirements|ph --accepted '{"maxTimeoutSeconds":301}'
accepted.extra differs|counter|402|No matching payment requirements|ph --accepted '{"extra":{"name":"USD Coin","version":"2"}}'
accepted.asset lower-case|counter|402|No matching payment requirements|ph --accepted '{"asset":"$(echo "$USDC" | tr A-F a-f)"}'
base64 URL-safe|counter|402|not standard base64|urlsafe
base64 with whitespace|counter|402|not standard base64|spaced
base64 truncated|counter|402|Invalid or malformed payment header|truncb64
JSON truncated|counter|402|Invalid or malformed payment header|truncjson
JSON duplicate keys|counter|402|duplicate JSON key|dupkeys
JSON nested 10000 deep|counter|402|longer than 16384|deep 10000
JSON nested 1000 deep|counter|402|nested deeper|deep 1000
JSON 1 MB long|counter|000/431|-|long1mb
header over the size cap|counter|402|longer than 16384|overcap
number for a string (value)|counter|402|authorization.value|ph --set payload.authorization.value=1000
string for a number (x402Version)|counter|402|x402Version|ph --set 'x402Version="2"'
string for a number (maxTimeoutSeconds)|counter|402|No matching payment requirements|ph --set 'accepted.maxTimeoutSeconds="300"'
nonce of 31 bytes|counter|402|nonce|ph --set 'payload.authorization.nonce="$N31"'
nonce of 33 bytes|counter|402|nonce|ph --set 'payload.authorization.nonce="$N33"'
T

runs() { cat "$X402_OUT/work/runs.log" 2>/dev/null | wc -l; }
receipts() { ls "$X402_OUT/spool/new" 2>/dev/null | wc -l; }
v1err() { node -e 'try{const o=JSON.parse(require("fs").readFileSync(process.argv[1]));process.stdout.write(String(o.error))}catch(e){process.stdout.write("(no JSON body)")}' "$1"; }

# try NAME ROUTE STATUS REASON HEADER: one refusal and its four checks.
try() {
	r0=$(runs); c0=$(receipts); b0=$(balance "$PAYTO")
	if [ "$5" = "@FILE" ]; then
		printf 'PAYMENT-SIGNATURE: %s\n' "$(cat "$X402_OUT/long.b64")" >"$X402_OUT/long.hdr"
		code=$(curl -s -D "$X402_OUT/h" -o "$X402_OUT/b" -w '%{http_code}' -H @"$X402_OUT/long.hdr" "$BASE/$2")
	else
		code=$(curl -s -D "$X402_OUT/h" -o "$X402_OUT/b" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $5" "$BASE/$2")
	fi
	case /$3/ in
	*/$code/*) ok "$1: status $code" ;;
	*) not_ok "$1: status: got '$code', want '$3'" ;;
	esac
	if [ "$4" != "-" ]; then
		err=$(v1err "$X402_OUT/b")
		err2=$(header PAYMENT-REQUIRED "$X402_OUT/h" | b64json error)
		case "$err $err2" in
		*"$4"*) ok "$1: reason" ;;
		*) not_ok "$1: reason: got '$err' / $err2, want '*$4*'" ;;
		esac
		case $err2 in
		'""'|null|'') not_ok "$1: PAYMENT-REQUIRED has no error" ;;
		*) ok "$1: PAYMENT-REQUIRED names an error" ;;
		esac
	fi
	eq "$1: nothing ran" "$(runs)" "$r0"
	eq "$1: no receipt" "$(receipts)" "$c0"
	eq "$1: nothing settled" "$(balance "$PAYTO")" "$b0"
}

while IFS='|' read -r name rt status reason how; do
	hv=$(eval "$how")
	try "$name" "$rt" "$status" "$reason" "$hv"
done <"$X402_OUT/table"

# After settlement: the same authorization again, here and on another
# route with the same price.
GOOD=$(ph)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "PAYMENT-SIGNATURE: $GOOD" "$BASE/counter")
eq "a good payment is accepted" "$code" 200
try "the same authorization replayed after settlement" counter 402 \
    invalid_exact_evm_nonce_already_used "$GOOD"
try "the same authorization on another route, same price" other 402 \
    invalid_exact_evm_nonce_already_used "$GOOD"
GOOD1=$(ph --v1 base-sepolia)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-PAYMENT: $GOOD1" "$BASE/counter")
eq "a good v1 payment is accepted" "$code" 200
r0=$(runs)
code=$(curl -s -o "$X402_OUT/b" -w '%{http_code}' -H "X-PAYMENT: $GOOD1" "$BASE/counter")
eq "v1 replay refused" "$code" 402
check "v1 replay names the reason" grep -q nonce_already_used "$X402_OUT/b"
eq "v1 replay ran nothing" "$(runs)" "$r0"

# The command's output is the client's: on a raw route (the default) text
# that reads like CGI headers is the paid body, settled once, never a
# status, a file for lighttpd to send, or a charge.
curl -s -D "$X402_OUT/h402raw" -o /dev/null "$BASE/raw"
PRR=$(header PAYMENT-REQUIRED "$X402_OUT/h402raw")
i=0
for t in 'Status: 404\r\n\r\nnot found\n' 'X-Sendfile: /etc/passwd\r\n\r\n' \
    'X-LIGHTTPD-send-file: /etc/passwd\r\nLocation: /counter\r\n\r\n' \
    'X402-Charge: 0\n\nfree?\n'; do
	i=$((i + 1))
	printf "$t" >"$X402_OUT/raw$i.in"
	c0=$(receipts); b0=$(balance "$PAYTO")
	H=$(node "$CHAIN/payment-header.mjs" "$PRR")
	code=$(curl -s -D "$X402_OUT/raw$i.h" -o "$X402_OUT/raw$i.out" -w '%{http_code}' \
	    -H "PAYMENT-SIGNATURE: $H" --data-binary @"$X402_OUT/raw$i.in" "$BASE/raw")
	first=$(head -1 "$X402_OUT/raw$i.in" | tr -d '\r')
	eq "raw output '$first': 200" "$code" 200
	check "raw output '$first': the paid body is the text as sent" \
	    cmp -s "$X402_OUT/raw$i.in" "$X402_OUT/raw$i.out"
	eq "raw output '$first': the route's Content-Type" \
	    "$(header Content-Type "$X402_OUT/raw$i.h")" text/plain
	eq "raw output '$first': settled once" "$(( $(balance "$PAYTO") - b0 ))" 1000
	eq "raw output '$first': one receipt" "$(receipts)" "$((c0 + 1))"
done
eq "raw: the command ran once per payment" "$(wc -l <"$X402_OUT/work/echo.log")" 4

# cgi route: only allowed headers pass (lighttpd acts on X-Sendfile here).
steer_checks "lighttpd (x-sendfile enabled)" "$BASE/steer" 1000 "$X402_OUT/work/echo.log"
# An authorization valid for longer than maxTimeoutSeconds (300 + skew 0).
H=$(ph --valid-before $(( $(date +%s) + 400 )))
try "validBefore beyond maxTimeoutSeconds" counter 402 \
    invalid_exact_evm_payload_authorization_valid_before "$H"

finish
