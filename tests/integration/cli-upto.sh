#!/bin/sh
# cli-upto.sh - `x402 pay` pays `upto` offers (issue 9) and `x402 approve`
# gives Permit2 its allowance.  x402-gate under lighttpd sells a metered
# command (fixtures/meter, priced per byte of input) in facilitator mode,
# like upto.sh, and the official upto server (server-v2.mjs --upto) sells
# the same; `x402 pay` signs the Permit2 witness transfer and the chain
# moves exactly the metered amount.  Also: zero usage moves nothing, the
# output shows the maximum and the amount settled, an over-policy maximum
# is refused, no allowance or no balance is refused before signing (exit
# 2), `x402 approve` then pay succeeds, --scheme picks between exact and
# upto on one route.
. "$(dirname "$0")/lib.sh"

X402=$X402_BUILD/src/cli/x402
if [ ! -f "$CHAIN/node_modules/@x402/evm/dist/esm/upto/server/index.mjs" ]; then
	echo "cli-upto: no @x402/evm upto scheme in $CHAIN/node_modules; skipped"
	exit 77
fi
start_chain || exit 1
start_facilitator || exit 1
PORT=$(freeport)
BASE=http://127.0.0.1:$PORT

mkdir -p "$X402_OUT/work"
meter_route "accept_upto = base-sepolia
max_price = \$0.05
price_per_unit = \$0.00002" tts >"$X402_OUT/tts.conf"
meter_route "accept = base-sepolia
accept_upto = base-sepolia
price = 1000
max_price = 50000
price_per_unit = 20
default_units = 10" both >"$X402_OUT/both.conf"

lighttpd_gates tts both || exit 1

# key NAME HEX: a key file of mode 0600.
key() {
	printf '%s\n' "${2#0x}" >"$X402_OUT/$1.key"
	chmod 600 "$X402_OUT/$1.key"
}
key payer "$PAYER_KEY"
key payer4 "$PAYER4_KEY"
key unfunded "$UNFUNDED_KEY"
blocks() {
	node -e 'fetch(process.argv[1],{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify({jsonrpc:"2.0",id:1,method:"eth_blockNumber",params:[]})}).then(r=>r.json()).then(j=>console.log(Number(j.result)))' "$RPC_URL"
}
runs() { wc -l <"$X402_OUT/work/runs.log" 2>/dev/null || echo 0; }

# pay NAME ARGS...: x402 pay; stdout in NAME.out, stderr in NAME.err, $rc.
pay() {
	n=$1
	shift
	"$X402" pay "$@" >"$X402_OUT/$n.out" 2>"$X402_OUT/$n.err"
	rc=$?
}

# 1. A metered payment: 11 characters at 20 = 220 of at most 50000.
p0=$(balance "$PAYER"); t0=$(balance "$PAYTO")
pay mid --key "$X402_OUT/payer.key" --max '$0.05' -d 'hello world' "$BASE/tts"
eq "x402 pay pays the upto offer (exit status)" "$rc" 0
eq "the command's output" "$(cat "$X402_OUT/mid.out")" "spoken: hello world"
check "the output shows the amount settled and the maximum" \
    grep -q '^paid 220 (0.00022 USDC) of at most 50000 (0.05 USDC) on eip155:84532, tx 0x[0-9a-f]\{64\}, to ' "$X402_OUT/mid.err"
p1=$(balance "$PAYER"); t1=$(balance "$PAYTO")
eq "payee got exactly 220" "$((t1 - t0))" 220
eq "payer paid exactly 220" "$((p0 - p1))" 220
check "the facilitator settled 220 of the upto payment" \
    grep -q '"path":"/settle".*"scheme":"upto".*"amount":"220"' "$X402_OUT/facilitator.jsonl"
# What x402 pay signed: the official client's shape (notes §8.1).
pay shape -v --key "$X402_OUT/payer.key" --max '$0.05' -d 'abc' "$BASE/tts"
eq "second payment (exit status)" "$rc" 0
check "-v shows a permit2Authorization for the upto proxy" \
    grep -q '"spender": "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002"' "$X402_OUT/shape.err"
check "-v shows the facilitator in the witness" \
    grep -q "\"facilitator\": \"$FACILITATOR\"" "$X402_OUT/shape.err"
check "-v leaves the signature out" sh -c "! grep -q '\"signature\"' '$X402_OUT/shape.err'"
node -e '
const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")
  .map(JSON.parse).filter(x => x.path === "/settle").pop();
const p = l.request.paymentPayload.payload, a = p.permit2Authorization;
const now = Math.floor(l.ts ? Date.parse(l.ts) / 1000 : Date.now() / 1000);
const ok = Object.keys(p).join() === "signature,permit2Authorization" &&
  Object.keys(a).join() === "from,permitted,spender,nonce,deadline,witness" &&
  Object.keys(a.witness).join() === "to,facilitator,validAfter" &&
  /^[0-9]+$/.test(a.nonce) && a.permitted.amount === "50000" &&
  Math.abs(Number(a.deadline) - now - 300) < 30 &&
  Math.abs(now - 600 - Number(a.witness.validAfter)) < 30 &&
  /^0x[0-9a-f]{130}$/.test(p.signature);
if (!ok) console.log(JSON.stringify(p));
process.exit(ok ? 0 : 1)' "$X402_OUT/facilitator.jsonl"
eq "payload: key order, decimal nonce, deadline now+300, validAfter now-600" "$?" 0
t1=$(balance "$PAYTO")

# 2. Zero usage: success, no transaction, nothing moved, no block.
n0=$(blocks)
pay zero --key "$X402_OUT/payer.key" --max '$0.05' -d '' "$BASE/tts"
eq "zero usage: paid (exit status)" "$rc" 0
check "zero usage: the output says 0 of at most 50000, no transaction" \
    grep -q '^paid 0 of at most 50000 (0.05 USDC) on eip155:84532, no transaction' "$X402_OUT/zero.err"
eq "zero usage: nothing moved" "$(balance "$PAYTO")" "$t1"
eq "zero usage: no block mined" "$(blocks)" "$n0"

# 3. A maximum over --max: refused before anything is signed or run.
r0=$(runs)
pay overmax --key "$X402_OUT/payer.key" --max '$0.01' -d 'hello' "$BASE/tts"
eq "maximum over --max: exit 77" "$rc" 77
check "maximum over --max: says so" grep -q 'maximum 50000 over --max 10000' "$X402_OUT/overmax.err"
eq "maximum over --max: nothing run" "$(runs)" "$r0"
eq "maximum over --max: nothing moved" "$(balance "$PAYTO")" "$t1"
pay noupto --scheme exact --key "$X402_OUT/payer.key" --max '$0.05' -d 'hello' "$BASE/tts"
eq "--scheme exact on an upto-only route: exit 77" "$rc" 77
check "--scheme exact: the reason" grep -q 'scheme upto not allowed (--scheme)' "$X402_OUT/noupto.err"

# 4. exact and upto on one route: exact by default, upto on request.
pay both-default --key "$X402_OUT/payer.key" --max '$0.05' -d 'silent' "$BASE/both"
eq "mixed route, default: paid" "$rc" 0
check "mixed route, default: exact (its price)" \
    grep -q '^paid 1000 (0.001 USDC) on eip155:84532, tx 0x' "$X402_OUT/both-default.err"
t2=$(balance "$PAYTO")
eq "mixed route, default: 1000 moved" "$((t2 - t1))" 1000
pay both-upto --scheme upto --key "$X402_OUT/payer.key" --max '$0.05' -d 'silent' "$BASE/both"
eq "mixed route, --scheme upto: paid" "$rc" 0
check "mixed route, --scheme upto: the route's default usage, 200 of 50000" \
    grep -q '^paid 200 (0.0002 USDC) of at most 50000 (0.05 USDC)' "$X402_OUT/both-upto.err"
t3=$(balance "$PAYTO")
eq "mixed route, --scheme upto: 200 moved" "$((t3 - t2))" 200
pay both-cap --key "$X402_OUT/payer.key" --max 999 -d 'silent' "$BASE/both"
eq "mixed route, --max under both: exit 77" "$rc" 77
check "mixed route: both offers' reasons listed" \
    sh -c "grep -q 'price 1000 over --max 999' '$X402_OUT/both-cap.err' && grep -q 'maximum 50000 over --max 999' '$X402_OUT/both-cap.err'"

# 5. No Permit2 allowance: refused with --rpc (exit 2) before signing;
#    x402 approve, then the payment goes through.
"$X402" approve --key "$X402_OUT/payer4.key" --rpc "$RPC_URL" \
    --network base-sepolia --amount 0 >"$X402_OUT/revoke.out" 2>&1
eq "x402 approve --amount 0 (revoke): exit 0" "$?" 0
check "revoke: allowance now 0" grep -q '^Permit2 allowance 0 (0 USDC)$' "$X402_OUT/revoke.out"
r0=$(runs); p4=$(balance "$PAYER4")
pay noallow --key "$X402_OUT/payer4.key" --rpc "$RPC_URL" --max '$0.05' -d 'hello' "$BASE/tts"
eq "no allowance with --rpc: exit 77" "$rc" 77
check "no allowance: a clear message naming x402 approve" \
    grep -q 'Permit2 allowance 0 (0 USDC) is below the maximum 50000 (0.05 USDC).*x402 approve' "$X402_OUT/noallow.err"
eq "no allowance: nothing run" "$(runs)" "$r0"
X402_RPC_URL=$RPC_URL "$X402" pay --key "$X402_OUT/payer4.key" --max '$0.05' -d 'hello' "$BASE/tts" >/dev/null 2>"$X402_OUT/noallow-env.err"
eq "no allowance with X402_RPC_URL: exit 77" "$?" 77
pay noallow-norpc --key "$X402_OUT/payer4.key" --max '$0.05' -d 'hello' "$BASE/tts"
eq "no allowance without an RPC: the server refuses (exit 65)" "$rc" 65
check "no allowance without an RPC: the facilitator's reason" \
    grep -q 'HTTP 402: permit2_allowance_required' "$X402_OUT/noallow-norpc.err"
eq "no allowance: nothing moved" "$(balance "$PAYER4")" "$p4"
"$X402" approve --key "$X402_OUT/payer4.key" --rpc "$RPC_URL" \
    --network base-sepolia --amount '$1' >"$X402_OUT/approve.out" 2>"$X402_OUT/approve.err"
eq "x402 approve --amount \$1: exit 0" "$?" 0
check "x402 approve prints the transaction hash" grep -q '^tx 0x[0-9a-f]\{64\}$' "$X402_OUT/approve.out"
check "x402 approve: allowance now 1000000" grep -q '^Permit2 allowance 1000000 (1 USDC)$' "$X402_OUT/approve.out"
tx=$(sed -n 's/^tx //p' "$X402_OUT/approve.out")
st=$(curl -s -H 'Content-Type: application/json' "$RPC_URL" -d \
    '{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt","params":["'"$tx"'"]}' |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).result;console.log(r?r.status+" "+r.from.toLowerCase():"none")})')
eq "the approve transaction is on chain, from the payer" "$st" "0x1 $(echo "$PAYER4" | tr 'A-F' 'a-f')"
pay allowed --key "$X402_OUT/payer4.key" --rpc "$RPC_URL" --max '$0.05' -d 'hello' "$BASE/tts"
eq "after x402 approve: paid" "$rc" 0
eq "after x402 approve: exactly 100 moved" "$((p4 - $(balance "$PAYER4")))" 100

# 6. No balance: refused with --rpc (exit 2), for upto and exact.
pay broke --key "$X402_OUT/unfunded.key" --rpc "$RPC_URL" --max '$0.05' -d 'hello' "$BASE/tts"
eq "unfunded payer with --rpc: exit 77" "$rc" 77
check "unfunded payer: balance named" grep -q 'balance 0 (0 USDC) is below the maximum 50000' "$X402_OUT/broke.err"
pay broke-exact --key "$X402_OUT/unfunded.key" --rpc "$RPC_URL" --max '$0.05' -d 'hello' "$BASE/both"
eq "unfunded payer, exact with --rpc: exit 77" "$rc" 77
check "unfunded payer, exact: the price named" grep -q 'balance 0 (0 USDC) is below the price 1000' "$X402_OUT/broke-exact.err"

# 7. x402 approve refusals.
"$X402" approve --key "$X402_OUT/payer4.key" --rpc "$RPC_URL" --network base-sepolia \
    --amount 115792089237316195423570985008687907853269984665640564039457584007913129639935 \
    >/dev/null 2>"$X402_OUT/unl.err"
eq "approve of 2^256-1 without --unlimited: exit 64" "$?" 64
check "approve of 2^256-1: says --unlimited" grep -q 'say --unlimited' "$X402_OUT/unl.err"
"$X402" approve --key "$X402_OUT/payer4.key" --network base-sepolia --amount 1 >/dev/null 2>"$X402_OUT/norpc.err"
eq "approve without an RPC URL: exit 64" "$?" 64
printf '%s\n' "${PAYER4_KEY#0x}" >"$X402_OUT/open.key"
chmod 644 "$X402_OUT/open.key"
"$X402" approve --key "$X402_OUT/open.key" --rpc "$RPC_URL" --network base-sepolia --amount 1 >/dev/null 2>"$X402_OUT/open.err"
eq "approve refuses a key file others can read: exit 1" "$?" 1
check "approve refuses a key file others can read: says why" grep -q 'mode' "$X402_OUT/open.err"
"$X402" approve --key "$PAYER4_KEY" --rpc "$RPC_URL" --network base-sepolia --amount 1 >/dev/null 2>"$X402_OUT/argv.err"
eq "approve refuses a key on the command line: exit 64" "$?" 64
"$X402" approve --key "$X402_OUT/payer4.key" --rpc "$RPC_URL" --network base-sepolia --unlimited >"$X402_OUT/unlimited.out" 2>&1
eq "approve --unlimited: exit 0" "$?" 0
check "approve --unlimited: allowance unlimited" grep -q '^Permit2 allowance unlimited$' "$X402_OUT/unlimited.out"

# 8. The official upto server (@x402/express + @x402/evm upto), paid by
#    x402 pay: it settles 7 per byte of the body.
SP=$(freeport)
node "$CHAIN/server-v2.mjs" --port "$SP" --facilitator "$FACILITATOR_URL" \
    --pay-to "$PAYTO" --price '$0.01' --upto 7 --path /meter \
    >"$X402_OUT/server.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$X402_OUT/server.log" listening || exit 1
t4=$(balance "$PAYTO")
pay official --key "$X402_OUT/payer.key" --rpc "$RPC_URL" --max '$0.01' -d 'twelve bytes' "http://127.0.0.1:$SP/meter"
eq "official upto server: paid" "$rc" 0
eq "official upto server: its answer" "$(cat "$X402_OUT/official.out")" "12 bytes"
check "official upto server: 84 of at most 10000 shown" \
    grep -q '^paid 84 (0.000084 USDC) of at most 10000 (0.01 USDC)' "$X402_OUT/official.err"
eq "official upto server: exactly 84 moved" "$(($(balance "$PAYTO") - t4))" 84

finish
