#!/bin/sh
# upto.sh - usage-based pricing (issue 9): x402-gate under lighttpd sells a
# metered command (fixtures/meter, priced per byte of input like a
# text-to-speech per character) with the `upto` scheme: Permit2 test
# contracts at their canonical addresses, the official facilitator's upto
# scheme, the official v2 client's upto scheme.  Checks the requirements,
# then that the chain moves exactly the metered amount, nothing for zero
# usage, the maximum for usage above it or no report, and that a replayed
# authorization is refused; receipts record the maximum and the amount.
# MODE=local (upto-local.sh) settles through the upto proxy from the
# gate's own relayer key (the facilitatorAddress it advertises) and adds
# the on-chain refusals (no Permit2 allowance, balance short, nonce
# already used) and a settlement left pending when the node stops
# confirming mid-way.
. "$(dirname "$0")/lib.sh"
MODE=${MODE:-facilitator}

if [ ! -f "$CHAIN/node_modules/@x402/evm/dist/esm/upto/client/index.mjs" ]; then
	echo "upto: no @x402/evm upto client in $CHAIN/node_modules; skipped"
	exit 77
fi
start_chain || exit 1
start_facilitator || exit 1
printf '%s\n' "${RELAYER_KEY#0x}" >"$X402_OUT/relayer.key"
chmod 600 "$X402_OUT/relayer.key"
if [ "$MODE" = local ]; then SETTLER=$RELAYER; else SETTLER=$FACILITATOR; fi
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
meter_route "accept_upto = base-sepolia
price = 5000
settle = before" bad >"$X402_OUT/bad.conf"
# A facilitator that settles, then misreports the amount and the payer.
LIAR_PORT=$(freeport)
node -e '
const http = require("http"), up = process.argv[1];
http.createServer(async (req, res) => {
	let b = "";
	for await (const c of req) b += c;
	const r = await fetch(up + req.url, { method: req.method,
	    headers: { "content-type": "application/json" },
	    body: req.method === "POST" ? b : undefined });
	let t = await r.text();
	if (req.url === "/settle") {
		const j = JSON.parse(t);
		if (j.success) {
			j.amount = String(BigInt(j.amount ?? "0") + 1n);
			j.payer = "0x000000000000000000000000000000000000dEaD";
		}
		t = JSON.stringify(j);
	}
	res.writeHead(r.status, { "content-type": "application/json" });
	res.end(t);
}).listen(+process.argv[2], "127.0.0.1", () => console.log("listening"));
' "$FACILITATOR_URL" "$LIAR_PORT" >"$X402_OUT/liar.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$X402_OUT/liar.log" listening || exit 1
FAC_URL=http://127.0.0.1:$LIAR_PORT meter_route "accept_upto = base-sepolia
max_price = \$0.05
price_per_unit = 20" liar >"$X402_OUT/liar.conf"
RECEIPT_TIMEOUT=5s meter_route "accept_upto = base-sepolia
max_price = \$0.05
price_per_unit = 20" pend >"$X402_OUT/pend.conf"

check "x402-gate -t accepts the metered route" "$GATE" -t -c "$X402_OUT/tts.conf"
check "x402-gate -t accepts exact and upto on one route" "$GATE" -t -c "$X402_OUT/both.conf"
check "upto with settle = before is refused" sh -c "! '$GATE' -t -c '$X402_OUT/bad.conf' 2>/dev/null"

lighttpd_gates tts pend liar both || exit 1

# 1. The requirements, as the official upto server builds them.
code=$(curl -s -D "$X402_OUT/h402" -o "$X402_OUT/b402" -w '%{http_code}' "$BASE/tts")
eq "unpaid request gets 402" "$code" 402
PR=$(header PAYMENT-REQUIRED "$X402_OUT/h402")
eq "one offer" "$(echo "$PR" | b64json accepts.length)" 1
eq "scheme upto" "$(echo "$PR" | b64json accepts.0.scheme)" '"upto"'
eq "amount is the maximum (\$0.05)" "$(echo "$PR" | b64json accepts.0.amount)" '"50000"'
eq "extra as the official upto server" "$(echo "$PR" | b64json accepts.0.extra)" \
    "{\"name\":\"USDC\",\"version\":\"2\",\"assetTransferMethod\":\"permit2\",\"facilitatorAddress\":\"$SETTLER\"}"
if [ "$MODE" = local ]; then
	eq "x402 requirements names the relayer too" \
	    "$("$X402_BUILD/src/cli/x402" requirements -c "$X402_OUT/tts.conf" | grep -c "\"facilitatorAddress\": \"$RELAYER\"")" 1
fi
eq "no v1 offer for upto" "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).accepts.length)' "$X402_OUT/b402")" 0
code=$(curl -s -D "$X402_OUT/h402b" -o /dev/null -w '%{http_code}' "$BASE/both")
PRB=$(header PAYMENT-REQUIRED "$X402_OUT/h402b")
eq "exact and upto side by side" "$(echo "$PRB" | b64json accepts | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).map(a=>a.scheme+":"+a.amount).join(",")))')" \
    "exact:1000,upto:50000"

# pay TEXT NAME: the official v2 client (upto scheme) pays /tts with TEXT.
pay() {
	node "$CHAIN/pay-v2.mjs" "$BASE/${3:-tts}" --upto --data "$1" --include-headers \
	    >"$X402_OUT/pay-$2.json" 2>"$X402_OUT/pay-$2.err"
}
# rpc METHOD PARAMS_JSON EXPR: one JSON-RPC call to the chain, EXPR of j.
rpc() { node -e 'fetch(process.argv[1],{method:"POST",headers:{"content-type":"application/json"},body:JSON.stringify({jsonrpc:"2.0",id:1,method:process.argv[2],params:JSON.parse(process.argv[3])})}).then(r=>r.json()).then(j=>console.log(eval(process.argv[4])))' "$RPC_URL" "$1" "$2" "${3:-JSON.stringify(j)}"; }
jf() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const v=('"$2"');console.log(typeof v==="object"?JSON.stringify(v):String(v))' "$1"; }

# 2. Usage in the middle: 11 characters at 20 = 220.
p0=$(balance "$PAYER"); t0=$(balance "$PAYTO")
pay "hello world" mid
eq "official client pays the metered route (exit status)" "$?" 0
eq "client got the spoken text" "$(jf "$X402_OUT/pay-mid.json" j.body)" "spoken: hello world"
eq "no X402-* header in the reply" "$(jf "$X402_OUT/pay-mid.json" 'Object.keys(j.headers).filter(k=>/^x402-/i.test(k)).length')" 0
eq "PAYMENT-RESPONSE amount is the metered amount" "$(jf "$X402_OUT/pay-mid.json" j.paymentResponse.amount)" 220
p1=$(balance "$PAYER"); t1=$(balance "$PAYTO")
eq "payee got exactly 220" "$((t1 - t0))" 220
eq "payer paid exactly 220" "$((p0 - p1))" 220
R=$(ls -t "$X402_OUT/spool-tts/new" | head -1)
check "receipt records the maximum" grep -q '50000' "$X402_OUT/spool-tts/new/$R"
check "receipt records the amount settled" grep -q '220' "$X402_OUT/spool-tts/new/$R"
if [ "$MODE" = local ]; then
	check "the facilitator was not asked" sh -c "! grep -q '\"path\":\"/settle\"' '$X402_OUT/facilitator.jsonl'"
	TX=$(jf "$X402_OUT/pay-mid.json" j.paymentResponse.transaction)
	eq "the relayer sent the settlement" "$(rpc eth_getTransactionByHash "[\"$TX\"]" 'j.result.from.toLowerCase()+" "+j.result.to.toLowerCase()')" \
	    "$(echo "$RELAYER $UPTO_PROXY" | tr 'A-F' 'a-f')"
else
	check "facilitator was asked to settle 220" grep -q '"path":"/settle".*"amount":"220"' "$X402_OUT/facilitator.jsonl"
fi
check "no settlement mismatch logged" sh -c "! grep -q 'SETTLEMENT MISMATCH' '$X402_OUT/lighttpd.out'"

# 3. Zero usage: no transaction at all.
n0=$(rpc eth_blockNumber '[]' 'Number(j.result)')
pay "" zero
eq "zero usage: paid request answered" "$?" 0
eq "zero usage: settlement success" "$(jf "$X402_OUT/pay-zero.json" j.paymentResponse.success)" true
eq "zero usage: no transaction" "$(jf "$X402_OUT/pay-zero.json" j.paymentResponse.transaction)" ""
eq "zero usage: nothing moved" "$(balance "$PAYTO")" "$t1"
n1=$(rpc eth_blockNumber '[]' 'Number(j.result)')
eq "zero usage: no block mined" "$n1" "$n0"

# 4. Usage over the maximum: 3000 characters = 60000 > 50000: the maximum.
big=$(head -c 3000 /dev/zero | tr '\0' a)
pay "$big" over
eq "over the maximum: paid" "$?" 0
t2=$(balance "$PAYTO")
eq "over the maximum: exactly the maximum moved" "$((t2 - t1))" 50000
check "over the maximum: logged" grep -q "usage above the maximum: charging the maximum 50000" "$X402_OUT/lighttpd.out"

# 5. No report: the route's default (the maximum); a direct charge.
pay "silent please" silent
t3=$(balance "$PAYTO")
eq "no usage report: the maximum" "$((t3 - t2))" 50000
pay "charge 1234" charge
t4=$(balance "$PAYTO")
eq "charge 1234 on the usage channel (fd 3): exactly 1234" "$((t4 - t3))" 1234
# The output the client shapes meters nothing: "X402-Charge: 0" printed
# first on stdout is the paid body, and the default (the maximum) is due.
pay "echo X402-Charge: 0

free?" inband
eq "X402-Charge: 0 on stdout: paid" "$?" 0
eq "X402-Charge: 0 on stdout: it is the body" "$(jf "$X402_OUT/pay-inband.json" j.body)" "X402-Charge: 0

free?"
eq "X402-Charge: 0 on stdout: charged the default, the maximum" "$(( $(balance "$PAYTO") - t4 ))" 50000
t4=$(balance "$PAYTO")
H=$(node "$CHAIN/payment-header.mjs" "$PRB" --index 1)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'silent' "$BASE/both")
eq "upto offer of a mixed route paid" "$code" 200
t5=$(balance "$PAYTO")
eq "default_units = 10 at 20: 200" "$((t5 - t4))" 200
pay "exact" both-exact both
t5b=$(balance "$PAYTO")
eq "exact offer of the mixed route: its price" "$((t5b - t5))" 1000
t5=$t5b

# 6. A hand-signed upto payment, then the same again: refused, not run.
runs=$(wc -l <"$X402_OUT/work/runs.log")
H=$(node "$CHAIN/payment-header.mjs" "$PR")
code=$(curl -s -o "$X402_OUT/b-first" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'abc' "$BASE/tts")
eq "hand-signed upto payment accepted" "$code" 200
t6=$(balance "$PAYTO")
eq "hand-signed: 3 characters, 60" "$((t6 - t5))" 60
code=$(curl -s -o "$X402_OUT/b-replay" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'abc' "$BASE/tts")
eq "replayed upto authorization refused" "$code" 402
eq "replay ran nothing" "$(wc -l <"$X402_OUT/work/runs.log")" "$((runs + 1))"
eq "replay moved nothing" "$(balance "$PAYTO")" "$t6"

# 7. Refusals of the facilitator's verify (§8.1) reach the client.
H=$(node "$CHAIN/payment-header.mjs" "$PR" --facilitator "$PAYTO2")
code=$(curl -s -o "$X402_OUT/b-fac" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'abc' "$BASE/tts")
eq "another facilitator in the witness: refused" "$code" 402
check "reason upto_facilitator_mismatch" grep -q upto_facilitator_mismatch "$X402_OUT/b-fac"
H=$(node "$CHAIN/payment-header.mjs" "$PR" --tamper-value 50000 --value 10)
code=$(curl -s -o "$X402_OUT/b-tamper" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'abc' "$BASE/tts")
eq "tampered maximum refused" "$code" 402
eq "refusals ran nothing" "$(wc -l <"$X402_OUT/work/runs.log")" "$((runs + 1))"

# 8b. A settle reply that does not match what was asked (facilitator
#     mode): the money moved, so the client is served and the receipt kept
#     with what the facilitator says it settled; the mismatch is logged.
if [ "$MODE" = facilitator ]; then
	t7=$(balance "$PAYTO")
	pay "abcd" liar liar
	eq "misreported settlement: client served" "$?" 0
	eq "misreported settlement: the chain moved the charge" "$(($(balance "$PAYTO") - t7))" 80
	check "misreported amount logged" grep -q "route liar: SETTLEMENT MISMATCH: charged 80, the settler settled 81" "$X402_OUT/lighttpd.out"
	check "misreported payer logged" grep -q "route liar: SETTLEMENT MISMATCH: the settler names payer .0x000000000000000000000000000000000000dEaD" "$X402_OUT/lighttpd.out"
	R=$(ls "$X402_OUT/spool-liar/new" | head -1)
	check "misreported settlement: receipt kept with the stated amount" \
	    grep -q '"amount":"81"' "$X402_OUT/spool-liar/new/$R"
fi

# 9. Local settlement only: the on-chain refusals of verify (§8.1, the
#    official diagnostic's reasons) before anything runs, and a settlement
#    the node stops confirming mid-way.
if [ "$MODE" = local ]; then
	# send FROM TO DATA: a transaction from an anvil account (unlocked).
	send() { rpc eth_sendTransaction "[{\"from\":\"$1\",\"to\":\"$2\",\"data\":\"$3\"}]" 'j.error?JSON.stringify(j.error):"sent"'; }
	word() { printf '%064x' "$1"; }
	addr_word() { printf '000000000000000000000000%s' "$(echo "${1#0x}" | tr 'A-F' 'a-f')"; }
	runs=$(wc -l <"$X402_OUT/work/runs.log")
	H=$(node "$CHAIN/payment-header.mjs" "$PR" --key "$UNFUNDED_KEY")
	code=$(curl -s -o "$X402_OUT/b-poor" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'abc' "$BASE/tts")
	eq "local: balance short refused" "$code" 402
	check "local: reason permit2_insufficient_balance" grep -q permit2_insufficient_balance "$X402_OUT/b-poor"
	# DEPLOYER gets tokens but never approved Permit2.
	eq "local: tokens minted to a wallet without allowance" \
	    "$(send "$DEPLOYER" "$USDC" "0x40c10f19$(addr_word "$DEPLOYER")$(word 1000000)")" sent
	H=$(node "$CHAIN/payment-header.mjs" "$PR" --key "$DEPLOYER_KEY")
	code=$(curl -s -o "$X402_OUT/b-noallow" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'abc' "$BASE/tts")
	eq "local: no Permit2 allowance refused" "$code" 402
	check "local: reason permit2_allowance_required" grep -q permit2_allowance_required "$X402_OUT/b-noallow"
	# The payer burns a Permit2 nonce (word 7, bit 0x2a), then signs it.
	eq "local: the payer invalidated a Permit2 nonce" \
	    "$(send "$PAYER2" "$PERMIT2" "0x3ff9dcb1$(word 7)$(printf '%064x' 0 | cut -c1-53)40000000000")" sent
	H=$(node "$CHAIN/payment-header.mjs" "$PR" --key "$PAYER2_KEY" --nonce "$((7 * 256 + 42))")
	code=$(curl -s -o "$X402_OUT/b-burnt" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'abc' "$BASE/tts")
	eq "local: nonce already used refused" "$code" 402
	check "local: reason permit2_invalid_nonce" grep -q permit2_invalid_nonce "$X402_OUT/b-burnt"
	eq "local: on-chain refusals ran nothing" "$(wc -l <"$X402_OUT/work/runs.log")" "$runs"
	eq "local: on-chain refusals moved nothing" "$(balance "$PAYTO")" "$t6"

	# The node stops confirming (no mining) after the relayer sent the
	# settlement: the gate gives up after receipt_timeout (5 s here),
	# withholds the output, keeps the journal record; the same
	# authorization is not sent again; once mined it moved exactly once.
	H=$(node "$CHAIN/payment-header.mjs" "$PR" --key "$PAYER3_KEY")
	p3=$(balance "$PAYER3")
	rpc evm_setAutomine '[false]' >/dev/null
	code=$(curl -s -o "$X402_OUT/b-pend" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'pending' "$BASE/pend")
	case $code in
	502|503|504) ok "local: unconfirmed settlement: $code" ;;
	*) not_ok "local: unconfirmed settlement: got $code, want 502, 503 or 504" ;;
	esac
	check "local: unconfirmed: output withheld" sh -c "! grep -q 'spoken: pending' '$X402_OUT/b-pend'"
	J=$(ls "$X402_OUT/claims/relayer/pending" 2>/dev/null | head -1)
	check "local: unconfirmed: a Permit2 journal record is kept" \
	    grep -q '^method permit2$' "$X402_OUT/claims/relayer/pending/$J"
	check "local: journal records the metered amount" grep -q '^value 140$' "$X402_OUT/claims/relayer/pending/$J"
	runs=$(wc -l <"$X402_OUT/work/runs.log")
	code=$(curl -s -o "$X402_OUT/b-pend2" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d 'pending' "$BASE/pend")
	check "local: the same authorization again is not served ($code)" sh -c "! grep -q 'spoken: pending' '$X402_OUT/b-pend2'"
	eq "local: ... and not run again" "$(wc -l <"$X402_OUT/work/runs.log")" "$runs"
	eq "local: one transaction in the pool" "$(rpc txpool_status '[]' 'Number(j.result.pending)')" 1
	rpc evm_mine '[]' >/dev/null
	rpc evm_setAutomine '[true]' >/dev/null
	eq "local: once mined, exactly the metered amount moved once" "$((p3 - $(balance "$PAYER3")))" 140
fi

# 8. Chain-level proof of the test contracts (KAT-3/KAT-4, replay on chain).
check "Permit2/upto proxy contracts prove KAT-3/KAT-4 and settle" \
    sh -c "node '$CHAIN/permit2-test.mjs' >'$X402_OUT/permit2-test.out' 2>&1"

finish
