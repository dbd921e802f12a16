#!/bin/sh
# conformance.sh - x402-gate side by side with the official servers
# (@x402/express v2, x402-express v1) on the same chain and facilitator,
# with the same price, pay_to, network, description and extensions:
# the decoded PAYMENT-REQUIRED, the v1 402 body, the status codes and the
# settlement headers, field by field (differences must be listed in
# docs/CONFORMANCE.md and allowed below); the official clients get the
# same outcome from both.  Then the payment-identifier and bazaar
# extensions end to end with the official v2 client.
. "$(dirname "$0")/lib.sh"
CMP="node $X402_TOP/tests/integration/conformance.mjs"
DESC="Counts its runs and shouts"
BAZAAR_Q='{"q":"text to shout"}'
BAZAAR_OUT='{"shouted":"TEXT"}'

start_chain || exit 1
start_facilitator || exit 1
set -- $(freeport 3)
PORT=$1 P2=$2 P1=$3
BASE=http://127.0.0.1:$PORT

node "$CHAIN/server-v2.mjs" --port "$P2" --facilitator "$FACILITATOR_URL" \
    --pay-to "$PAYTO" --amount 1000 --path /counter --description "$DESC" \
    --payment-identifier optional \
    --bazaar "{\"input\":$BAZAAR_Q,\"output\":{\"example\":$BAZAAR_OUT}}" \
    >"$X402_OUT/server-v2.log" 2>&1 &
PIDS="$PIDS $!"
node "$CHAIN/server-v1.mjs" --port "$P1" --facilitator "$FACILITATOR_URL" \
    --pay-to "$PAYTO" --amount 1000 --path /counter --description "$DESC" \
    --max-timeout 300 >"$X402_OUT/server-v1.log" 2>&1 &
PIDS="$PIDS $!"

mkdir -p "$X402_OUT/work"
route() {
	cat >"$X402_OUT/$1.conf" <<CONF
[route]
command = $X402_TOP/tests/integration/fixtures/counter
description = $DESC
mime_type = text/plain
price = 1000
pay_to = $PAYTO
accept = base-sepolia
max_timeout = 300
workdir = $X402_OUT/work
payment_identifier = $2
bazaar_query = $BAZAAR_Q
bazaar_output = $BAZAAR_OUT

[facilitator]
url = $FACILITATOR_URL
timeout = 20s

[paths]
spool = $X402_OUT/spool
claims = $X402_OUT/claims
fallback = $X402_OUT/fallback
CONF
}
route counter optional
route strict required
lighttpd_gates counter strict || exit 1
wait_for "$X402_OUT/server-v2.log" listening || exit 1
wait_for "$X402_OUT/server-v1.log" listening || exit 1

# 1. The 402s.
get402() {
	curl -s -D "$X402_OUT/$1.h" -o "$X402_OUT/$1.body" -w '%{http_code}' "$2"
}
eq "official v2 answers 402" "$(get402 off2 http://127.0.0.1:$P2/counter)" 402
eq "official v1 answers 402" "$(get402 off1 http://127.0.0.1:$P1/counter)" 402
eq "gate answers 402" "$(get402 gate $BASE/counter)" 402
header PAYMENT-REQUIRED "$X402_OUT/off2.h" | b64json >"$X402_OUT/off2.pr.json"
header PAYMENT-REQUIRED "$X402_OUT/gate.h" | b64json >"$X402_OUT/gate.pr.json"
# The resource URL names each server's own origin: compare the path.
sed -i "s#http://127.0.0.1:$P2/#ORIGIN/#g" "$X402_OUT/off2.pr.json"
sed -i "s#http://127.0.0.1:$PORT/#ORIGIN/#g" "$X402_OUT/gate.pr.json" "$X402_OUT/gate.body"
sed -i "s#http://127.0.0.1:$P1/#ORIGIN/#g" "$X402_OUT/off1.body"
check "PAYMENT-REQUIRED: no undocumented difference from @x402/express" \
    $CMP PAYMENT-REQUIRED "$X402_OUT/off2.pr.json" "$X402_OUT/gate.pr.json"
check "v1 402 body: no undocumented difference from x402-express" \
    $CMP v1-body "$X402_OUT/off1.body" "$X402_OUT/gate.body"
eq "official v2 402 body is {}" "$(cat "$X402_OUT/off2.body")" "{}"
for h in Content-Type Cache-Control; do
	eq "402 $h as @x402/express" "$(header $h "$X402_OUT/gate.h" | sed 's/; charset=utf-8//')" \
	    "$(header $h "$X402_OUT/off2.h" | sed 's/; charset=utf-8//')"
done
check "gate PAYMENT-REQUIRED amount is an integer string" \
    grep -q '"amount":"1000"' "$X402_OUT/gate.pr.json"
check "gate addresses are EIP-55" grep -q "\"payTo\":\"$PAYTO\"" "$X402_OUT/gate.pr.json"

# 2. The official clients pay both and get the same outcome.
pay() { # NAME CLIENT URL
	node "$CHAIN/$2" "$3" --include-headers >"$X402_OUT/$1.json" 2>"$X402_OUT/$1.err"
	echo $?
}
settlement() { # decoded settlement, tx hash replaced
	node -e 'const o=JSON.parse(require("fs").readFileSync(process.argv[1]));
const p=o.paymentResponse; if(p&&/^0x[0-9a-f]{64}$/.test(p.transaction))p.transaction="TX";
console.log(JSON.stringify({status:o.status,body:o.body,settlement:p}))' "$1"
}
eq "v2 client pays the official v2 server" "$(pay off2pay pay-v2.mjs http://127.0.0.1:$P2/counter)" 0
eq "v2 client pays the gate" "$(pay gate2pay pay-v2.mjs $BASE/counter)" 0
eq "v1 client pays the official v1 server" "$(pay off1pay pay-v1.mjs http://127.0.0.1:$P1/counter)" 0
eq "v1 client pays the gate" "$(pay gate1pay pay-v1.mjs $BASE/counter)" 0
for v in 1 2; do
	settlement "$X402_OUT/off${v}pay.json" >"$X402_OUT/off${v}pay.s.json"
	settlement "$X402_OUT/gate${v}pay.json" >"$X402_OUT/gate${v}pay.s.json"
	check "v$v paid answer: no undocumented difference (status, settlement)" \
	    $CMP "v$v-paid" "$X402_OUT/off${v}pay.s.json" "$X402_OUT/gate${v}pay.s.json" \
	    'body=the command prints its own output'
done
eq "v2 success Cache-Control as @x402/express" \
    "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).headers["cache-control"])' "$X402_OUT/gate2pay.json")" \
    "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).headers["cache-control"])' "$X402_OUT/off2pay.json")"

# 3. payment-identifier, end to end with the official v2 client.
runs() { cat "$X402_OUT/work/runs.log" 2>/dev/null | wc -l; }
receipts() { ls "$X402_OUT/spool/new" 2>/dev/null | wc -l; }
ID=pay_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
node "$CHAIN/pay-v2.mjs" "$BASE/counter" --payment-id "$ID" --data hello \
    --save-payment "$X402_OUT/sig1" >"$X402_OUT/pid1.json" 2>"$X402_OUT/pid1.err"
eq "v2 client with a payment id pays" "$?" 0
check "the payment id was sent" sh -c "base64 -d <'$X402_OUT/sig1' | grep -q '\"id\":\"$ID\"'"
r0=$(runs) c0=$(receipts) b0=$(balance "$PAYTO")
code=$(curl -s -D "$X402_OUT/pid2.h" -o "$X402_OUT/pid2.body" -w '%{http_code}' \
    -H "PAYMENT-SIGNATURE: $(cat "$X402_OUT/sig1")" "$BASE/counter")
eq "same id, same payload: the original status" "$code" 200
eq "same id, same payload: the original body" "$(cat "$X402_OUT/pid2.body")" \
    "$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1])).body)' "$X402_OUT/pid1.json")"
eq "same id, same payload: the original settlement" \
    "$(header PAYMENT-RESPONSE "$X402_OUT/pid2.h" | b64json transaction)" \
    "$(node -e 'console.log(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1])).paymentResponse.transaction))' "$X402_OUT/pid1.json")"
eq "same id, same payload: not run again" "$(runs)" "$r0"
eq "same id, same payload: no new receipt" "$(receipts)" "$c0"
eq "same id, same payload: not charged again" "$(balance "$PAYTO")" "$b0"
node "$CHAIN/pay-v2.mjs" "$BASE/counter" --payment-id "$ID" >"$X402_OUT/pid3.json" 2>&1
check "same id, another payload: 409" grep -q '"status":409' "$X402_OUT/pid3.json"
eq "409: not run" "$(runs)" "$r0"
eq "409: not charged" "$(balance "$PAYTO")" "$b0"
node "$CHAIN/pay-v2.mjs" "$BASE/strict" >"$X402_OUT/pid4.json" 2>&1
check "required and missing: 400" grep -q '"status":400' "$X402_OUT/pid4.json"
eq "400: not run" "$(runs)" "$r0"
curl -s -D "$X402_OUT/strict.h" -o /dev/null "$BASE/strict"
SPR=$(header PAYMENT-REQUIRED "$X402_OUT/strict.h")
eq "strict route advertises required: true" \
    "$(echo "$SPR" | b64json extensions.payment-identifier.info.required)" true
code=$(curl -s -o "$X402_OUT/pid5.body" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $(node "$CHAIN/payment-header.mjs" "$SPR" --payment-id short)" "$BASE/strict")
eq "malformed id: 400" "$code" 400
node "$CHAIN/pay-v2.mjs" "$BASE/strict" --payment-id "pay_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$X402_OUT/pid6.json" 2>&1
check "required and given: paid" grep -q '"status":200' "$X402_OUT/pid6.json"
node "$CHAIN/pay-v2.mjs" "http://127.0.0.1:$P2/counter" --payment-id "pay_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$X402_OUT/pid7.json" 2>&1
check "the official server takes the same client's payment id" grep -q '"status":200' "$X402_OUT/pid7.json"

# 4. Unknown extensions are carried to the facilitator untouched.
PR=$(header PAYMENT-REQUIRED "$X402_OUT/gate.h")
H=$(node "$CHAIN/payment-header.mjs" "$PR" --extensions '{"x-test-ext":{"info":{"keep":[1,"two",{"three":3}]}}}')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" "$BASE/counter")
eq "a payment with an unknown extension is paid" "$code" 200
check "the facilitator got the unknown extension untouched" \
    grep -q '"x-test-ext":{"info":{"keep":\[1,"two",{"three":3}\]}}' "$X402_OUT/facilitator.jsonl"

# 5. bazaar: declared for the route, narrowed to the request's method.
curl -s -d "" -D "$X402_OUT/post.h" -o /dev/null "$BASE/counter"
eq "bazaar method follows the request" \
    "$(header PAYMENT-REQUIRED "$X402_OUT/post.h" | b64json extensions.bazaar.info.input.method)" '"POST"'
curl -s -d "" -D "$X402_OUT/off2post.h" -o /dev/null "http://127.0.0.1:$P2/counter"
header PAYMENT-REQUIRED "$X402_OUT/off2post.h" | b64json extensions >"$X402_OUT/off2post.json"
header PAYMENT-REQUIRED "$X402_OUT/post.h" | b64json extensions >"$X402_OUT/gatepost.json"
check "POST 402 extensions: same as @x402/express" \
    $CMP POST-extensions "$X402_OUT/off2post.json" "$X402_OUT/gatepost.json"

finish
