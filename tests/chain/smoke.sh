#!/usr/bin/env bash
# smoke.sh: end-to-end proof that the local chain and the official x402 peers work.
#
# Starts a chain (start-chain.sh) in a temp dir on a free port, the local facilitator, the
# official v2 and v1 servers, pays each with the official v2 / v1 clients, and checks on chain
# that the payee's balance rose, and the payer's fell, by exactly the price. Also runs the
# TestUSDC contract checks (token-test.mjs) and a payment that must be refused (unfunded payer).
# Prints "ok - ..." / "not ok - ..." per check and "N passed, M failed" as its last line.
# Exit 0 only if every check passed. Everything it starts is stopped on exit (trap).
#
# Env: KEEP=1 keeps the temp dir (logs) for inspection.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/x402-chain-smoke.XXXXXX")"
PIDS=()
PASSED=0
FAILED=0

cleanup() {
  local p
  for p in "${PIDS[@]}"; do
    kill "$p" 2>/dev/null
  done
  for p in "${PIDS[@]}"; do
    wait "$p" 2>/dev/null
  done
  "$HERE/stop-chain.sh" "$WORK" >/dev/null 2>&1
  if [ "${KEEP:-0}" = 1 ]; then
    echo "# kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
notok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
  exit $?
}
now_ms() { date +%s%3N; }

# wait_ready PID FILE PATTERN: wait up to 15 s for PATTERN in FILE while PID lives.
wait_ready() {
  local pid=$1 file=$2 pat=$3 i
  for i in $(seq 1 300); do
    grep -q "$pat" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "# process $pid died:" >&2; cat "$file" >&2; return 1; }
    sleep 0.05
  done
  echo "# timeout waiting for '$pat' in $file" >&2
  cat "$file" >&2
  return 1
}

# jget FILE EXPR: evaluate a JS expression on the JSON object `j` read from FILE.
jget() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); const v=('"$2"'); console.log(typeof v==="object"?JSON.stringify(v):String(v))' "$1"; }
bal() { node "$HERE/balance.mjs" "$1" | awk '{print $2}'; }
# bals A B: print "balA balB"
bals() { node "$HERE/balance.mjs" "$1" "$2" | awk '{printf "%s ", $2} END {print ""}'; }

cd "$HERE" || exit 1
if [ ! -d node_modules ]; then
  echo "# node_modules missing: run 'npm ci' in $HERE" >&2
  notok "npm dependencies installed"
  finish
fi

# ---------------------------------------------------------------- chain
read -r CHAIN_PORT FAC_PORT V2_PORT V1_PORT < <(node freeport.mjs 4 | tr '\n' ' ')
t0=$(now_ms)
if ./start-chain.sh "$WORK" "$CHAIN_PORT" >"$WORK/start-chain.out" 2>&1; then
  ok "chain started on 127.0.0.1:$CHAIN_PORT in $(($(now_ms) - t0)) ms"
else
  cat "$WORK/start-chain.out" >&2
  notok "chain started"
  finish
fi
set -a
# shellcheck disable=SC1091
. "$WORK/chain.env"
set +a

# ---------------------------------------------------------------- token checks
if node token-test.mjs >"$WORK/token-test.out" 2>&1; then
  ok "TestUSDC contract checks ($(grep -c '^ok' "$WORK/token-test.out") sub-checks)"
else
  cat "$WORK/token-test.out" >&2
  notok "TestUSDC contract checks"
fi

# ---------------------------------------------------------------- facilitator + servers
node facilitator.mjs --port "$FAC_PORT" --log "$WORK/facilitator.jsonl" >"$WORK/facilitator.out" 2>&1 &
PIDS+=($!)
if wait_ready "$!" "$WORK/facilitator.out" "facilitator listening on 127.0.0.1:$FAC_PORT"; then
  ok "facilitator listening on $FAC_PORT"
else
  notok "facilitator started"
  finish
fi
FAC_URL="http://127.0.0.1:$FAC_PORT"

PRICE_V2='$0.001'; ATOMIC_V2=1000
PRICE_V1='$0.002'; ATOMIC_V1=2000
node server-v2.mjs --port "$V2_PORT" --facilitator "$FAC_URL" --pay-to "$PAYTO" --price "$PRICE_V2" \
  --path /ocr --body "v2 paid" >"$WORK/server-v2.out" 2>&1 &
PIDS+=($!)
S2=$!
node server-v1.mjs --port "$V1_PORT" --facilitator "$FAC_URL" --pay-to "$PAYTO2" --price "$PRICE_V1" \
  --path /ocr --body "v1 paid" >"$WORK/server-v1.out" 2>&1 &
PIDS+=($!)
S1=$!
if wait_ready "$S2" "$WORK/server-v2.out" "listening on 127.0.0.1:$V2_PORT"; then ok "server-v2 listening on $V2_PORT"; else notok "server-v2 started"; finish; fi
if wait_ready "$S1" "$WORK/server-v1.out" "listening on 127.0.0.1:$V1_PORT"; then ok "server-v1 listening on $V1_PORT"; else notok "server-v1 started"; finish; fi

# unpaid request gets a 402
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$V2_PORT/ocr")
[ "$code" = 402 ] && ok "server-v2 unpaid -> 402" || notok "server-v2 unpaid -> 402 (got $code)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$V1_PORT/ocr")
[ "$code" = 402 ] && ok "server-v1 unpaid -> 402" || notok "server-v1 unpaid -> 402 (got $code)"

# ---------------------------------------------------------------- paid requests
# pay NAME SCRIPT URL PAYER PAYER_KEY PAYEE ATOMIC BODY
pay() {
  local name=$1 script=$2 url=$3 payer=$4 key=$5 payee=$6 atomic=$7 body=$8
  local pb0 eb0 pb1 eb1 t rc
  read -r pb0 eb0 < <(bals "$payer" "$payee")
  t=$(now_ms)
  node "$script" "$url" --key "$key" >"$WORK/$name.json" 2>"$WORK/$name.err"
  rc=$?
  t=$(($(now_ms) - t))
  if [ $rc -eq 0 ] && [ "$(jget "$WORK/$name.json" j.status)" = 200 ] \
    && [ "$(jget "$WORK/$name.json" j.body)" = "$body" ]; then
    ok "$name: paid request -> 200 '$body' (${t} ms incl. node start)"
  else
    notok "$name: paid request (rc=$rc) $(cat "$WORK/$name.json" "$WORK/$name.err" 2>/dev/null)"
    return
  fi
  if [ "$(jget "$WORK/$name.json" 'j.paymentResponse && j.paymentResponse.success')" = true ]; then
    ok "$name: settlement header success, tx $(jget "$WORK/$name.json" j.paymentResponse.transaction)"
  else
    notok "$name: settlement header $(jget "$WORK/$name.json" j.paymentResponse)"
  fi
  read -r pb1 eb1 < <(bals "$payer" "$payee")
  if [ $((eb1 - eb0)) -eq "$atomic" ]; then
    ok "$name: payee balance +$atomic ($eb0 -> $eb1)"
  else
    notok "$name: payee balance changed by $((eb1 - eb0)), expected +$atomic"
  fi
  if [ $((pb0 - pb1)) -eq "$atomic" ]; then
    ok "$name: payer balance -$atomic ($pb0 -> $pb1)"
  else
    notok "$name: payer balance changed by $((pb1 - pb0)), expected -$atomic"
  fi
}

pay v2 pay-v2.mjs "http://127.0.0.1:$V2_PORT/ocr" "$PAYER" "$PAYER_KEY" "$PAYTO" "$ATOMIC_V2" "v2 paid"
pay v1 pay-v1.mjs "http://127.0.0.1:$V1_PORT/ocr" "$PAYER2" "$PAYER2_KEY" "$PAYTO2" "$ATOMIC_V1" "v1 paid"
pay v2-again pay-v2.mjs "http://127.0.0.1:$V2_PORT/ocr" "$PAYER" "$PAYER_KEY" "$PAYTO" "$ATOMIC_V2" "v2 paid"

# ---------------------------------------------------------------- refusals (must not move funds)
# refuse NAME SCRIPT URL KEY PAYEE
refuse() {
  local name=$1 script=$2 url=$3 key=$4 payee=$5 eb0 eb1 rc
  eb0=$(bal "$payee")
  node "$script" "$url" --key "$key" >"$WORK/$name.json" 2>"$WORK/$name.err"
  rc=$?
  eb1=$(bal "$payee")
  if [ $rc -eq 1 ] && [ "$(jget "$WORK/$name.json" j.status)" = 402 ] && [ "$eb0" = "$eb1" ]; then
    ok "$name: refused with 402, no funds moved"
  else
    notok "$name: expected refusal (rc=$rc, status $(jget "$WORK/$name.json" j.status 2>/dev/null), payee $eb0 -> $eb1)"
  fi
}
refuse v2-unfunded pay-v2.mjs "http://127.0.0.1:$V2_PORT/ocr" "$UNFUNDED_KEY" "$PAYTO"
refuse v1-unfunded pay-v1.mjs "http://127.0.0.1:$V1_PORT/ocr" "$UNFUNDED_KEY" "$PAYTO2"

# facilitator log has the v1 and v2 settlements
if node -e '
  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const s = l.filter((e) => e.path === "/settle" && e.response && e.response.success);
  const v = new Set(s.map((e) => e.request.x402Version));
  process.exit(s.length === 3 && v.has(1) && v.has(2) ? 0 : 1);' "$WORK/facilitator.jsonl"; then
  ok "facilitator log shows 3 successful settlements (v1 and v2)"
else
  notok "facilitator log settlements"
fi

finish
