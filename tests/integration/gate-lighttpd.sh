#!/bin/sh
# gate-lighttpd.sh - x402-gate as a FastCGI worker under a real lighttpd on
# 127.0.0.1, with a real chain and the official x402 facilitator and
# clients (v1 and v2): 402, paid requests, receipts, replays, and one
# authorization sent 50 times at once.  MODE=local settles on chain from a
# relayer key instead of through the facilitator.
. "$(dirname "$0")/lib.sh"
MODE=${MODE:-facilitator}

start_chain || exit 1
start_facilitator || exit 1
printf '%s\n' "${RELAYER_KEY#0x}" >"$X402_OUT/relayer.key"
chmod 600 "$X402_OUT/relayer.key"
PORT=$(freeport)
BASE=http://127.0.0.1:$PORT

mkdir -p "$X402_OUT/work"
cat >"$X402_OUT/counter.conf" <<CONF
[route]
command = $X402_TOP/tests/integration/fixtures/counter
description = Counts its runs and shouts
mime_type = text/plain
price = 1000
pay_to = $PAYTO
accept = base-sepolia
max_timeout = 300
command_timeout = 10s
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

check "x402-gate -t accepts the route file" \
    "$GATE" -t -c "$X402_OUT/counter.conf"
if [ "$MODE" = facilitator ]; then
	sed 's/^accept = .*/accept = base/' "$X402_OUT/counter.conf" >"$X402_OUT/mainnet.conf"
	REQUEST_METHOD=GET "$GATE" -c "$X402_OUT/mainnet.conf" </dev/null >"$X402_OUT/mainnet.out" 2>&1
	eq "a network the facilitator lacks stops start-up (EX_CONFIG)" "$?" 78
	check "start-up error names the network" grep -q "does not support x402 v2 exact on eip155:8453" "$X402_OUT/mainnet.out"
fi

GATE_PROCS=2 lighttpd_gates counter || exit 1

# 1. No payment: 402 with the v1 body and the v2 header.
code=$(curl -s -D "$X402_OUT/h402" -o "$X402_OUT/b402" -w '%{http_code}' "$BASE/counter")
eq "unpaid request gets 402" "$code" 402
PR=$(header PAYMENT-REQUIRED "$X402_OUT/h402")
eq "PAYMENT-REQUIRED carries the price" "$(echo "$PR" | b64json accepts.0.amount)" '"1000"'
eq "PAYMENT-REQUIRED carries the network" "$(echo "$PR" | b64json accepts.0.network)" '"eip155:84532"'
eq "PAYMENT-REQUIRED resource is the URL" "$(echo "$PR" | b64json resource.url)" "\"$BASE/counter\""
eq "v1 body names x402Version 1" "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).x402Version)' "$X402_OUT/b402")" 1
eq "v1 body maxAmountRequired" "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).accepts[0].maxAmountRequired)' "$X402_OUT/b402")" 1000
eq "402 is not cached" "$(header Cache-Control "$X402_OUT/h402")" no-store
eq "no command ran yet" "$(cat "$X402_OUT/work/runs.log" 2>/dev/null | wc -l)" 0

# 2. CORS preflight and the browser page.
code=$(curl -s -X OPTIONS -D "$X402_OUT/hopt" -o /dev/null -w '%{http_code}' "$BASE/counter")
eq "OPTIONS preflight answered" "$code" 204
check "preflight allows PAYMENT-SIGNATURE" grep -qi "access-control-allow-headers:.*PAYMENT-SIGNATURE" "$X402_OUT/hopt"
code=$(curl -s -D "$X402_OUT/hhtml" -o "$X402_OUT/bhtml" -w '%{http_code}' \
    -H 'Accept: text/html' -H 'User-Agent: Mozilla/5.0' "$BASE/counter")
eq "browser gets 402 too" "$code" 402
check "browser gets an HTML page" grep -q "<title>Payment required</title>" "$X402_OUT/bhtml"
check "the page has a strict CSP" grep -qi "content-security-policy: default-src 'none'" "$X402_OUT/hhtml"

# 3. The official v2 client pays.
before=$(balance "$PAYTO")
node "$CHAIN/pay-v2.mjs" "$BASE/counter" >"$X402_OUT/pay-v2.json" 2>"$X402_OUT/pay-v2.err"
eq "official v2 client pays (exit status)" "$?" 0
check "v2 client got the command's output" grep -q '"body":"paid content' "$X402_OUT/pay-v2.json"
check "v2 client got a settlement" grep -q '"success":true' "$X402_OUT/pay-v2.json"
after=$(balance "$PAYTO")
eq "v2 payment moved exactly the price" "$((after - before))" 1000

# 4. The official v1 client pays.
before=$after
node "$CHAIN/pay-v1.mjs" "$BASE/counter" >"$X402_OUT/pay-v1.json" 2>"$X402_OUT/pay-v1.err"
eq "official v1 client pays (exit status)" "$?" 0
check "v1 client got the command's output" grep -q '"body":"paid content' "$X402_OUT/pay-v1.json"
after=$(balance "$PAYTO")
eq "v1 payment moved exactly the price" "$((after - before))" 1000
eq "two paid runs, two receipts" "$(ls "$X402_OUT/spool/new" | wc -l)" 2
eq "two paid runs, two command runs" "$(wc -l <"$X402_OUT/work/runs.log")" 2

# 5. A hand-signed payment, then the same one again: refused, not run.
H=$(node "$CHAIN/payment-header.mjs" "$PR")
code=$(curl -s -o "$X402_OUT/b-first" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'hello' "$BASE/counter")
eq "hand-signed payment accepted" "$code" 200
check "request body reached the command" grep -q HELLO "$X402_OUT/b-first"
code=$(curl -s -o "$X402_OUT/b-replay" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" "$BASE/counter")
eq "replayed authorization refused" "$code" 402
check "replay names the reason" grep -q nonce_already_used "$X402_OUT/b-replay"
eq "replay did not run the command" "$(wc -l <"$X402_OUT/work/runs.log")" 3

# 6. One authorization, 50 concurrent requests: one run, one transfer.
before=$(balance "$PAYTO")
H=$(node "$CHAIN/payment-header.mjs" "$PR")
i=0
while [ $i -lt 50 ]; do
	curl -s -o /dev/null -w '%{http_code}\n' -H "PAYMENT-SIGNATURE: $H" \
	    "$BASE/counter" >>"$X402_OUT/storm.codes" &
	i=$((i + 1))
done
wait_count=0
while [ "$(wc -l <"$X402_OUT/storm.codes" 2>/dev/null || echo 0)" -lt 50 ] && [ $wait_count -lt 600 ]; do
	sleep 0.1
	wait_count=$((wait_count + 1))
done
eq "50 concurrent: exactly one 200" "$(grep -c '^200$' "$X402_OUT/storm.codes")" 1
eq "50 concurrent: 49 refusals" "$(grep -c '^402$' "$X402_OUT/storm.codes")" 49
eq "50 concurrent: one command run" "$(wc -l <"$X402_OUT/work/runs.log")" 4
after=$(balance "$PAYTO")
eq "50 concurrent: one transfer" "$((after - before))" 1000
eq "50 concurrent: one more receipt" "$(ls "$X402_OUT/spool/new" | wc -l)" 4

# 7. Bad payments are refused with a reason and run nothing.
H=$(node "$CHAIN/payment-header.mjs" "$PR" --value 999)
code=$(curl -s -o "$X402_OUT/b-bad" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" "$BASE/counter")
eq "underpayment refused" "$code" 402
H=$(node "$CHAIN/payment-header.mjs" "$PR" --tamper-value 1000 --value 1)
code=$(curl -s -o "$X402_OUT/b-bad2" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" "$BASE/counter")
eq "tampered signature refused" "$code" 402
H=$(node "$CHAIN/payment-header.mjs" "$PR" --valid-before $(( $(date +%s) + 12 )))
code=$(curl -s -o "$X402_OUT/b-short" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" "$BASE/counter")
eq "authorization expiring before the command could finish refused" "$code" 402
check "the refusal says why" grep -q "expires before the command" "$X402_OUT/b-short"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "PAYMENT-SIGNATURE: not base64!" "$BASE/counter")
eq "garbage header refused" "$code" 402
eq "refusals ran nothing" "$(wc -l <"$X402_OUT/work/runs.log")" 4

finish
