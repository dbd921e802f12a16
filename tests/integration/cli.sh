#!/bin/sh
# cli.sh - black-box tests of the x402 tool: keys, prices, a route's 402,
# decoding and verifying the notes' §10.3 vectors, and paying the official
# @x402/express (v2) and x402-express (v1) servers on a real anvil chain
# (tests/chain), with the refusals and exit codes of `x402 pay`.
#
# Env: X402_BUILD (build dir with src/cli/x402), X402_TOP (source dir),
# X402_OUT (scratch dir).  Last line "N passed, M failed"; exit 0 only if
# everything passed.  Everything started here is stopped on exit.
set -u

TOP=${X402_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${X402_BUILD:-$TOP}
OUT=${X402_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/x402-cli.XXXXXX")}
X=$BUILD/src/cli/x402
CHAIN=$TOP/tests/chain
PIDS=
PASSED=0
FAILED=0

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT" || exit 1

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	[ -f "$OUT/chain/anvil.pid" ] && "$CHAIN/stop-chain.sh" "$OUT/chain" \
	    >/dev/null 2>&1
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
# check NAME CMD...: the command must succeed
check() { n=$1; shift; if "$@"; then ok "$n"; else notok "$n"; fi; }
# rc_is WANT NAME CMD...: run CMD (stdout to out.txt, stderr to err.txt)
# and require exit status WANT
rc_is() {
	want=$1 n=$2
	shift 2
	"$@" >out.txt 2>err.txt
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$n (exit $got)"
	else
		notok "$n: exit $got, want $want"
		sed 's/^/# /' err.txt
	fi
}
has() { grep -q -- "$1" "${2:-out.txt}"; }

[ -x "$X" ] || { notok "x402 built at $X"; finish; }

# --------------------------------------------------------- conventions
# Every program and every x402 command: --help (usage on stdout, exit 0),
# --version; one exit-code convention (sysexits: 64 for usage).
for prog in "$X" "$BUILD/src/gate/x402-gate" "$BUILD/src/payout/x402-payout"; do
	name=$(basename "$prog")
	rc_is 0 "$name --version" "$prog" --version
	check "$name --version: name (x402-cgi) version" \
	    has "^$name (x402-cgi) [0-9][0-9.]*\$"
	rc_is 0 "$name --help" "$prog" --help
	check "$name --help: usage on stdout" has "^usage: $name"
	check "$name --help: the exit codes" has "64 usage"
	rc_is 64 "$name --no-such-option: EX_USAGE" "$prog" --no-such-option
done
# x402-spawn passes its command's status on (x402-spawn(8)), but it too
# answers --help and --version.
SP=$BUILD/src/spawn/x402-spawn
rc_is 0 "x402-spawn --version" "$SP" --version
check "x402-spawn --version: name (x402-cgi) version" \
    has "^x402-spawn (x402-cgi) [0-9][0-9.]*\$"
rc_is 0 "x402-spawn --help" "$SP" --help
check "x402-spawn --help: usage on stdout" has "^usage: x402-spawn"
rc_is 64 "x402 without a command: EX_USAGE" "$X"
CMDS="keygen address price requirements decode verify pay approve networks help"
for c in $CMDS; do
	rc_is 0 "x402 $c --help" "$X" $c --help
	check "x402 $c --help: its usage" has "^usage: x402 $c"
	rc_is 0 "x402 $c --version" "$X" $c --version
	rc_is 0 "x402 help $c" "$X" help $c
	check "x402 help $c: its usage" has "^usage: x402 $c"
done
rc_is 0 "x402 help" "$X" help
for c in $CMDS; do
	check "x402 help lists $c" has "^  $c "
done
rc_is 64 "x402 help of an unknown command" "$X" help nope
rc_is 64 "x402 unknown command" "$X" nope
# x402 networks: the built-in table, and the configured networks.conf.
rc_is 0 "x402 networks" "$X" networks
check "x402 networks: base-sepolia, built in" has \
    "^base-sepolia  *eip155:84532  *84532  *testnet USDC  *0x036CbD53842c5426634e7929541eC2318f3dCF7e  *6  built in\$"
check "x402 networks: a network without a v1 name" has "^-  *eip155:42161 "
mkdir -p confd
cat >confd/networks.conf <<CONF
[network local]
chain_id = 31337
caip2 = eip155:31337
testnet = yes
[asset local TT]
address = 0x5FbDB2315678afecb367f032d93F642f64180aa3
decimals = 6
eip712_name = Test Token
eip712_version = 1
transfer = eip3009
default = yes
CONF
rc_is 0 "x402 networks --networks FILE" "$X" networks --networks confd/networks.conf
check "x402 networks: the configured network" has \
    "^local  *eip155:31337  *31337  *testnet TT .* 6  confd/networks.conf\$"
check "x402 networks: still the built-in ones" has "^base  *eip155:8453 "
rc_is 0 "x402 networks: \$X402_CONFDIR/networks.conf by default" env \
    X402_CONFDIR="$OUT/confd" "$X" networks
check "x402 networks: read the default file" has "^local  *eip155:31337 "
echo "[network broken" >confd/bad.conf
rc_is 78 "x402 networks: a bad networks.conf is EX_CONFIG" "$X" networks \
    --networks confd/bad.conf

# ---------------------------------------------------------------- keys
ANVIL0_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
ANVIL0=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266

rc_is 0 "keygen writes a new key" "$X" keygen -o new.key
check "keygen: mode 0600" [ "$(stat -c %a new.key)" = 600 ]
check "keygen: prints an EIP-55 address" grep -Eq '^0x[0-9a-fA-F]{40}$' out.txt
cp out.txt keygen.addr
rc_is 0 "address of the new key" "$X" address new.key
check "address = what keygen printed" cmp -s out.txt keygen.addr
cp new.key new.key.orig
rc_is 1 "keygen refuses to overwrite" "$X" keygen -o new.key
check "keygen: existing key unchanged" cmp -s new.key new.key.orig
rc_is 64 "keygen without -o" "$X" keygen

printf '%s\n' "$ANVIL0_KEY" >anvil0.key
chmod 600 anvil0.key
rc_is 0 "address of anvil #0's key" "$X" address anvil0.key
check "address: anvil #0 is $ANVIL0" has "^$ANVIL0\$"
chmod 644 anvil0.key
rc_is 1 "address refuses a key file of mode 0644" "$X" address anvil0.key
check "address: says why (mode)" has "mode 0644" err.txt
chmod 600 anvil0.key

# ---------------------------------------------------------------- price
rc_is 0 "price \$0.01 on base-sepolia" "$X" price '$0.01' --network base-sepolia
check "price: amount 10000" has '^amount   10000$'
check "price: EIP-712 domain USDC/2/84532/0x036C..." has \
    '^domain   name=USDC version=2 chainId=84532 verifyingContract=0x036CbD53842c5426634e7929541eC2318f3dCF7e$'
rc_is 0 "price -q, CAIP-2 network" "$X" price -q '0.5 USDC' --network eip155:8453
check "price -q: 500000" [ "$(cat out.txt)" = 500000 ]
rc_is 64 "price: more decimals than USDC has" "$X" price '$0.0000001' --network base-sepolia
rc_is 64 "price: unknown network" "$X" price '$1' --network nowhere

# ---------------------------------------------------------------- requirements
cat >route.conf <<'EOF'
[route]
command = /bin/cat
price = $0.01
pay_to = 0x209693Bc6afc0C5328bA36FaF03C514EF312287C
accept = base-sepolia
max_timeout = 300
resource_url = https://api.example.com/premium-data

[facilitator]
url = http://127.0.0.1:9/
EOF
sed 's/^pay_to = .*/pay_to = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8/' \
    route.conf >other.conf
# notes §3.2: the official server's header for this offer
PR=eyJ4NDAyVmVyc2lvbiI6MiwiZXJyb3IiOiJQYXltZW50IHJlcXVpcmVkIiwicmVzb3VyY2UiOnsidXJsIjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vcHJlbWl1bS1kYXRhIiwiZGVzY3JpcHRpb24iOiIiLCJtaW1lVHlwZSI6IiJ9LCJhY2NlcHRzIjpbeyJzY2hlbWUiOiJleGFjdCIsIm5ldHdvcmsiOiJlaXAxNTU6ODQ1MzIiLCJhbW91bnQiOiIxMDAwMCIsImFzc2V0IjoiMHgwMzZDYkQ1Mzg0MmM1NDI2NjM0ZTc5Mjk1NDFlQzIzMThmM2RDRjdlIiwicGF5VG8iOiIweDIwOTY5M0JjNmFmYzBDNTMyOGJBMzZGYUYwM0M1MTRFRjMxMjI4N0MiLCJtYXhUaW1lb3V0U2Vjb25kcyI6MzAwLCJleHRyYSI6eyJuYW1lIjoiVVNEQyIsInZlcnNpb24iOiIyIn19XX0=
rc_is 0 "requirements -c route.conf" "$X" requirements -c route.conf
check "requirements: v2 header byte for byte (notes §3.2)" has "^PAYMENT-REQUIRED: $PR\$"
check "requirements: v1 body" has '^{"x402Version":1,"error":"X-PAYMENT header is required","accepts":\[{"scheme":"exact","network":"base-sepolia","maxAmountRequired":"10000",'
check "requirements: decoded header" has '"payTo": "0x209693Bc6afc0C5328bA36FaF03C514EF312287C"'
rc_is 78 "requirements: a bad route file" "$X" requirements -c /nonexistent.conf

# ---------------------------------------------------------------- decode
# notes §10.3 (npm 2.27 clients, signer anvil #0)
PS=eyJ4NDAyVmVyc2lvbiI6MiwicGF5bG9hZCI6eyJhdXRob3JpemF0aW9uIjp7ImZyb20iOiIweGYzOUZkNmU1MWFhZDg4RjZGNGNlNmFCODgyNzI3OWNmZkZiOTIyNjYiLCJ0byI6IjB4MjA5NjkzQmM2YWZjMEM1MzI4YkEzNkZhRjAzQzUxNEVGMzEyMjg3QyIsInZhbHVlIjoiMTAwMDAiLCJ2YWxpZEFmdGVyIjoiMCIsInZhbGlkQmVmb3JlIjoiMTc0MDY3MjM5NCIsIm5vbmNlIjoiMHhmMzc0NjYxM2MyZDkyMGI1ZmRhYmMwODU2ZjJhZWIyZDRmODhlZTYwMzdiOGNjNWQwNGE3MWE0NDYyZjEzNDgwIn0sInNpZ25hdHVyZSI6IjB4ZWQwNzQyNmEzNDAxMGExODVlNWFkNmI3Njc5ZjI0OGVlMmQxMzY0MzBkYTAwMDRlNWM2NmU5OWQ3MjM5ZGU5YTM5Y2FkM2U4NjFjYzdhYTU1MmFhYTBkMjNjMDRiZDg3MTZkNDlhYjBmZmE2MjU1MWU1MDFjYWZiMGRmMmJhZTExYiJ9LCJyZXNvdXJjZSI6eyJ1cmwiOiJodHRwczovL2FwaS5leGFtcGxlLmNvbS9wcmVtaXVtLWRhdGEiLCJkZXNjcmlwdGlvbiI6IiIsIm1pbWVUeXBlIjoiIn0sImFjY2VwdGVkIjp7InNjaGVtZSI6ImV4YWN0IiwibmV0d29yayI6ImVpcDE1NTo4NDUzMiIsImFtb3VudCI6IjEwMDAwIiwiYXNzZXQiOiIweDAzNkNiRDUzODQyYzU0MjY2MzRlNzkyOTU0MWVDMjMxOGYzZENGN2UiLCJwYXlUbyI6IjB4MjA5NjkzQmM2YWZjMEM1MzI4YkEzNkZhRjAzQzUxNEVGMzEyMjg3QyIsIm1heFRpbWVvdXRTZWNvbmRzIjozMDAsImV4dHJhIjp7Im5hbWUiOiJVU0RDIiwidmVyc2lvbiI6IjIifX19
XP=eyJ4NDAyVmVyc2lvbiI6MSwic2NoZW1lIjoiZXhhY3QiLCJuZXR3b3JrIjoiYmFzZS1zZXBvbGlhIiwicGF5bG9hZCI6eyJhdXRob3JpemF0aW9uIjp7ImZyb20iOiIweGYzOUZkNmU1MWFhZDg4RjZGNGNlNmFCODgyNzI3OWNmZkZiOTIyNjYiLCJ0byI6IjB4MjA5NjkzQmM2YWZjMEM1MzI4YkEzNkZhRjAzQzUxNEVGMzEyMjg3QyIsInZhbHVlIjoiMTAwMDAiLCJ2YWxpZEFmdGVyIjoiMTc0MDY3MTQ5NCIsInZhbGlkQmVmb3JlIjoiMTc0MDY3MjE1NCIsIm5vbmNlIjoiMHhmMzc0NjYxM2MyZDkyMGI1ZmRhYmMwODU2ZjJhZWIyZDRmODhlZTYwMzdiOGNjNWQwNGE3MWE0NDYyZjEzNDgwIn0sInNpZ25hdHVyZSI6IjB4ZDQ4ZDc2MDAyMTk3ZTA4ZWQ4MmQ3OTU5ZmEwYTdhZDFlNTIwNDU4Zjc0YTk0YTE1ODQyOTFjOWU4MGQ2N2YxZTZhOTEyN2M5ODVmZjZiNjQ3ODAzYzBkYjVlZGEwZjkwMGY0YWQxZDg0OThmYzYyY2EwNGY1NDAzYjcxZjE0MmQxYyJ9fQ==
PRESP=eyJzdWNjZXNzIjp0cnVlLCJ0cmFuc2FjdGlvbiI6IjB4YWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYiIsIm5ldHdvcmsiOiJlaXAxNTU6ODQ1MzIiLCJwYXllciI6IjB4ZjM5RmQ2ZTUxYWFkODhGNkY0Y2U2YUI4ODI3Mjc5Y2ZmRmI5MjI2NiJ9

rc_is 0 "decode PAYMENT-SIGNATURE (§10.3)" "$X" decode "PAYMENT-SIGNATURE: $PS"
check "decode: v2 signer recovered = $ANVIL0" has "^signer   $ANVIL0 (= authorization.from)"
check "decode: v2 domain from accepted.extra" has '^domain   name=USDC version=2 chainId=84532 '
check "decode: pretty JSON" has '"validBefore": "1740672394"'
rc_is 0 "decode X-PAYMENT without its name (§10.3)" "$X" decode "$XP"
check "decode: v1 signer recovered = $ANVIL0" has "^signer   $ANVIL0 (= authorization.from)"
rc_is 0 "decode PAYMENT-REQUIRED (§3.2)" "$X" decode "PAYMENT-REQUIRED: $PR"
check "decode: requirement amount" has '"amount": "10000"'
rc_is 0 "decode PAYMENT-RESPONSE (§10.3)" "$X" decode "PAYMENT-RESPONSE: $PRESP"
check "decode: settlement transaction" has '"transaction": "0xabababab'
rc_is 0 "decode X-PAYMENT-RESPONSE from stdin" sh -c \
    "echo 'X-PAYMENT-RESPONSE: $PRESP' | '$X' decode -"
check "decode: stdin" has '"success": true'
# the same payload signed under another domain: the signer differs
PS_BAD=$(printf '%s' "$PS" | base64 -d | sed 's/"name":"USDC"/"name":"USD Coin"/' |
    base64 -w0)
rc_is 0 "decode a payment whose domain was altered" "$X" decode "$PS_BAD"
check "decode: altered domain recovers another signer" has 'NOT authorization.from'
rc_is 1 "decode: not base64" "$X" decode 'PAYMENT-SIGNATURE: %%%'

# ---------------------------------------------------------------- verify
rc_is 0 "verify the §10.3 v2 payment at its time" "$X" verify -c route.conf \
    --now 1740672094 "PAYMENT-SIGNATURE: $PS"
check "verify: every check ok, in order" sh -c "awk '{print \$1, \$2}' out.txt |
    tr '\n' ' ' | grep -q '^decode ok match ok scheme ok eip712-domain ok network ok signature ok recipient ok valid-before ok valid-after ok value ok max-timeout ok valid: payer '"
check "verify: payer" has "^valid: payer $ANVIL0"
rc_is 0 "verify the §10.3 v1 payment" "$X" verify -c route.conf --now 1740672094 "$XP"
rc_is 65 "verify the same payment now (expired)" "$X" verify -c route.conf "$PS"
check "verify: reason of the first failure" has '^valid-before   FAIL invalid_exact_evm_payload_authorization_valid_before$'
check "verify: later checks not run" has '^value          -    not checked$'
check "verify: verdict" has '^invalid: invalid_exact_evm_payload_authorization_valid_before$'
rc_is 65 "verify against a route paying someone else" "$X" verify -c other.conf \
    --now 1740672094 "$PS"
check "verify: no matching offer" has '^match          FAIL'
rc_is 65 "verify the v1 payment against that route" "$X" verify -c other.conf \
    --now 1740672094 "$XP"
check "verify: v1 recipient mismatch" has '^recipient      FAIL invalid_exact_evm_recipient_mismatch$'
rc_is 65 "verify: altered domain -> bad signature" "$X" verify -c route.conf \
    --now 1740672094 "$PS_BAD"
rc_is 65 "verify: garbage" "$X" verify -c route.conf 'eyJ9'

# ---------------------------------------------------------------- pay: usage
rc_is 64 "pay without --max" "$X" pay --key anvil0.key http://127.0.0.1:9/
rc_is 64 "pay without a key" env -u X402_KEY_FILE "$X" pay --max 1 http://127.0.0.1:9/
rc_is 64 "pay refuses a literal key on the command line" "$X" pay \
    --key "$ANVIL0_KEY" --max 1 http://127.0.0.1:9/
check "pay: says why" has 'refusing a key on the command line' err.txt
chmod 644 anvil0.key
rc_is 1 "pay refuses a key file of mode 0644" "$X" pay --key anvil0.key \
    --max 1 http://127.0.0.1:9/
chmod 600 anvil0.key
rc_is 64 "pay: unknown --network" "$X" pay --key anvil0.key --max 1 \
    --network atlantis http://127.0.0.1:9/
rc_is 64 "pay: ftp:// URL" "$X" pay --key anvil0.key --max 1 ftp://127.0.0.1/

# ---------------------------------------------------------------- the chain
if [ ! -d "$CHAIN/node_modules" ]; then
	echo "# installing tests/chain (npm ci)"
	(cd "$CHAIN" && npm ci >"$OUT/npm-ci.log" 2>&1) ||
	    { notok "npm ci in tests/chain"; finish; }
fi
# wait_ready PID FILE PATTERN
wait_ready() {
	i=0
	while [ $i -lt 300 ]; do
		grep -q "$3" "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || { sed 's/^/# /' "$2"; return 1; }
		sleep 0.05
		i=$((i + 1))
	done
	sed 's/^/# /' "$2"
	return 1
}
bal() { node "$CHAIN/balance.mjs" "$1" | awk '{print $2}'; }

set -- $(node "$CHAIN/freeport.mjs" 5)
CHAIN_PORT=$1 FAC_PORT=$2 V2_PORT=$3 V1_PORT=$4 DEAD_PORT=$5
mkdir -p chain
if "$CHAIN/start-chain.sh" "$OUT/chain" "$CHAIN_PORT" >start-chain.out 2>&1; then
	ok "anvil chain on 127.0.0.1:$CHAIN_PORT"
else
	sed 's/^/# /' start-chain.out
	notok "anvil chain started"
	finish
fi
set -a
. "$OUT/chain/chain.env"
set +a

node "$CHAIN/facilitator.mjs" --port "$FAC_PORT" --log "$OUT/facilitator.jsonl" \
    >facilitator.out 2>&1 &
PIDS="$PIDS $!"
wait_ready $! facilitator.out "listening on 127.0.0.1:$FAC_PORT" ||
    { notok "facilitator started"; finish; }
FAC=http://127.0.0.1:$FAC_PORT
node "$CHAIN/server-v2.mjs" --port "$V2_PORT" --facilitator "$FAC" \
    --pay-to "$PAYTO" --price '$0.001' --path /ocr --body "v2 paid" \
    >server-v2.out 2>&1 &
PIDS="$PIDS $!"
S2=$!
node "$CHAIN/server-v1.mjs" --port "$V1_PORT" --facilitator "$FAC" \
    --pay-to "$PAYTO2" --price '$0.002' --path /ocr --body "v1 paid" \
    >server-v1.out 2>&1 &
PIDS="$PIDS $!"
S1=$!
wait_ready $S2 server-v2.out "listening on 127.0.0.1:$V2_PORT" ||
    { notok "server-v2 started"; finish; }
wait_ready $S1 server-v1.out "listening on 127.0.0.1:$V1_PORT" ||
    { notok "server-v1 started"; finish; }
ok "facilitator, @x402/express and x402-express servers up"
V2=http://127.0.0.1:$V2_PORT/ocr
V1=http://127.0.0.1:$V1_PORT/ocr

printf '%s\n' "$PAYER_KEY" >payer.key
printf '%s\n' "$UNFUNDED_KEY" >unfunded.key
chmod 600 payer.key unfunded.key

# paid: v2
b0=$(bal "$PAYTO") p0=$(bal "$PAYER")
rc_is 0 "pay @x402/express (v2)" "$X" pay --key payer.key --max '$0.01' "$V2"
check "v2: body delivered" [ "$(cat out.txt)" = "v2 paid" ]
check "v2: settlement on stderr" grep -Eq \
    "^paid 1000 \(0.001 USDC\) on eip155:84532, tx 0x[0-9a-f]{64}, to $PAYTO\$" err.txt
check "v2: PAYTO +1000 on chain" [ "$(bal "$PAYTO")" -eq $((b0 + 1000)) ]
check "v2: PAYER -1000 on chain" [ "$(bal "$PAYER")" -eq $((p0 - 1000)) ]
TX=$(sed -n 's/.*tx \(0x[0-9a-f]*\),.*/\1/p' err.txt)
check "v2: the facilitator settled tx $TX" grep -q "$TX" facilitator.jsonl
check "v2: no signature or key on stderr" sh -c \
    "! grep -qi 'signature\|${PAYER_KEY#0x}' err.txt"
check "v2: sent PAYMENT-SIGNATURE with validAfter = now - 600" node -e '
const fs = require("fs");
const l = fs.readFileSync(process.argv[1], "utf8").trim().split("\n")
    .map(JSON.parse).filter(x => x.path === "/settle").pop();
const p = l.request.paymentPayload, a = p.payload.authorization;
const keys = Object.keys(p).join(",") + "|" + Object.keys(p.payload).join(",") +
    "|" + Object.keys(a).join(",");
const now = Date.now() / 1000, va = Number(a.validAfter), vb = Number(a.validBefore);
if (keys !== "x402Version,payload,resource,accepted|authorization,signature|from,to,value,validAfter,validBefore,nonce" ||
    p.x402Version !== 2 || Math.abs(now - 600 - va) > 30 || Math.abs(now + 300 - vb) > 30)
	{ console.error(keys, va, vb); process.exit(1); }' facilitator.jsonl

# paid: v1
b0=$(bal "$PAYTO2")
rc_is 0 "pay x402-express (v1)" "$X" pay --key payer.key --max '$0.01' "$V1"
check "v1: body delivered" [ "$(cat out.txt)" = "v1 paid" ]
check "v1: settlement on stderr" grep -Eq \
    "^paid 2000 \(0.002 USDC\) on eip155:84532, tx 0x[0-9a-f]{64}, to $PAYTO2\$" err.txt
check "v1: PAYTO2 +2000 on chain" [ "$(bal "$PAYTO2")" -eq $((b0 + 2000)) ]

# paid: POST, -o, -i, key from X402_KEY_FILE, atomic --max, -v
b0=$(bal "$PAYTO")
rc_is 0 "pay: POST -d, -o FILE, -i, X402_KEY_FILE, --max 1000 atomic, -v" \
    env X402_KEY_FILE=payer.key "$X" pay -v -i -o body.out -d 'x=1' \
    --max 1000 --network base-sepolia --pay-to-allow "$PAYTO" "$V2"
check "-o: nothing on stdout" [ ! -s out.txt ]
check "-i: status line and settlement header in the file" sh -c \
    "grep -q '^HTTP/1.1 200' body.out && grep -qi '^payment-response: ' body.out"
check "-o: body at the end of the file" [ "$(tail -1 body.out)" = "v2 paid" ]
check "-v: shows the 402" has '^< HTTP 402, PAYMENT-REQUIRED:' err.txt
check "-v: shows the payment without its signature" sh -c \
    "grep -q '^> PAYMENT-SIGNATURE' err.txt && ! grep -q '\"signature\"' err.txt"
check "POST paid: PAYTO +1000" [ "$(bal "$PAYTO")" -eq $((b0 + 1000)) ]

# refused by policy: nothing moves
b0=$(bal "$PAYTO") p0=$(bal "$PAYER")
rc_is 77 "pay refuses a price over --max (999 < 1000)" "$X" pay --key payer.key \
    --max 999 "$V2"
check "refusal says why" has 'price 1000 over --max 999' err.txt
check "refusal: nothing on stdout" [ ! -s out.txt ]
rc_is 77 "pay refuses over --max \$0.0005" "$X" pay --key payer.key \
    --max '$0.0005' "$V2"
rc_is 77 "pay refuses a network not allowed (--network eip155:8453)" "$X" pay \
    --key payer.key --max '$1' --network eip155:8453 "$V2"
check "refusal says why" has 'not allowed (--network)' err.txt
rc_is 77 "pay refuses a pay_to outside --pay-to-allow" "$X" pay --key payer.key \
    --max '$1' --pay-to-allow "$PAYTO2" "$V2"
check "refusal says why" has 'not allowed (--pay-to-allow)' err.txt
rc_is 77 "v1: pay refuses over --max" "$X" pay --key payer.key --max 1999 "$V1"
check "refusals: PAYTO unchanged" [ "$(bal "$PAYTO")" -eq "$b0" ]
check "refusals: PAYER unchanged" [ "$(bal "$PAYER")" -eq "$p0" ]

# rejected by the server
rc_is 65 "v2 rejects an unfunded payer" "$X" pay --key unfunded.key --max '$1' "$V2"
check "v2 rejection: status and reason" grep -Eq \
    'payment rejected: HTTP 402: .*(insufficient|balance|funds)' err.txt
rc_is 65 "v1 rejects an unfunded payer" "$X" pay --key unfunded.key --max '$1' "$V1"
check "v1 rejection: status and reason" has 'payment rejected: HTTP 402' err.txt
check "rejections: PAYTO unchanged" [ "$(bal "$PAYTO")" -eq "$b0" ]

# transport errors and unpaid resources
rc_is 69 "nothing listening" "$X" pay --key payer.key --max 1 \
    "http://127.0.0.1:$DEAD_PORT/"
rc_is 69 "timeout (-m 1 against a server that never answers)" sh -c "
    node -e 'require(\"net\").createServer(()=>{}).listen($DEAD_PORT,\"127.0.0.1\")' &
    p=\$!; sleep 0.5
    '$X' pay --key payer.key --max 1 -m 1 http://127.0.0.1:$DEAD_PORT/
    r=\$?; kill \$p; exit \$r"
rc_is 1 "an unpaid 404 is not a payment" "$X" pay --key payer.key --max 1 \
    "http://127.0.0.1:$V2_PORT/nothing-here"

# ---------------------------------------------------------------- x402-gate
# The gate as a FastCGI worker under lighttpd (as in gate-lighttpd.sh),
# settling through the same facilitator; x402 pay buys from it.
GATE=$BUILD/src/gate/x402-gate
if [ ! -x /usr/sbin/lighttpd ] || [ ! -x "$GATE" ]; then
	notok "lighttpd and x402-gate needed for the gate case"
	finish
fi
set -- $(node "$CHAIN/freeport.mjs" 1)
GPORT=$1
mkdir -p gate/work
cat >gate/route.conf <<CONF
[route]
command = /bin/echo gate paid
price = \$0.003
pay_to = $PAYTO
accept = base-sepolia
max_timeout = 300
workdir = $OUT/gate/work

[facilitator]
url = $FAC
timeout = 20s

[paths]
spool = $OUT/gate/spool
claims = $OUT/gate/claims
fallback = $OUT/gate/fallback
CONF
# A command whose output does not end a line.
sed 's|^command = .*|command = /usr/bin/printf no-newline|' gate/route.conf \
    >gate/nonl.conf
cat >gate/lighttpd.conf <<CONF
server.bind = "127.0.0.1"
server.port = $GPORT
server.document-root = "$OUT/gate"
server.errorlog = "$OUT/gate/lighttpd-error.log"
server.modules = ( "mod_fastcgi" )
fastcgi.server = ( "/buy" => ((
	"socket" => "$OUT/gate/gate.sock",
	"bin-path" => "$GATE -c $OUT/gate/route.conf",
	"max-procs" => 1,
	"check-local" => "disable",
)), "/nonl" => ((
	"socket" => "$OUT/gate/nonl.sock",
	"bin-path" => "$GATE -c $OUT/gate/nonl.conf",
	"max-procs" => 1,
	"check-local" => "disable",
)))
CONF
/usr/sbin/lighttpd -D -f gate/lighttpd.conf >gate/lighttpd.out 2>&1 &
PIDS="$PIDS $!"
i=0
while [ $i -lt 100 ] && ! node -e 'fetch(process.argv[1]).then(r=>process.exit(r.status===402?0:1),()=>process.exit(1))' \
    "http://127.0.0.1:$GPORT/buy" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
rc_is 0 "x402 requirements of the gate's route" "$X" requirements -c gate/route.conf
b0=$(bal "$PAYTO")
rc_is 0 "pay x402-gate under lighttpd" "$X" pay --key payer.key --max '$0.01' \
    "http://127.0.0.1:$GPORT/buy"
check "gate: the command's output delivered" [ "$(cat out.txt)" = "gate paid" ]
check "gate: settlement on stderr" grep -Eq \
    "^paid 3000 \(0.003 USDC\) on eip155:84532, tx 0x[0-9a-f]{64}, to $PAYTO\$" err.txt
check "gate: PAYTO +3000 on chain" [ "$(bal "$PAYTO")" -eq $((b0 + 3000)) ]
check "gate: one receipt in the spool" [ "$(ls gate/spool/new | wc -l)" -eq 1 ]
rc_is 77 "gate: refused over --max" "$X" pay --key payer.key --max 2999 \
    "http://127.0.0.1:$GPORT/buy"
rc_is 65 "gate rejects an unfunded payer" "$X" pay --key unfunded.key \
    --max '$0.01' "http://127.0.0.1:$GPORT/buy"
check "gate rejection: reason printed" has 'payment rejected: HTTP 402' err.txt
check "gate: still one receipt" [ "$(ls gate/spool/new | wc -l)" -eq 1 ]
# A body without a final newline: stdout holds it as it came, and the
# report ends on a new line (on stderr, after the body).
rc_is 0 "pay a body without a final newline" "$X" pay --key payer.key \
    --max '$0.01' "http://127.0.0.1:$GPORT/nonl"
check "no newline: the body as it came" [ "$(od -An -c out.txt | tr -d ' \n')" = "no-newline" ]
check "no newline: the report ends the line" [ "$(tail -c 2 err.txt | od -An -c | tr -d ' ')" = '\n\n' ]

finish
