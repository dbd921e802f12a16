#!/bin/sh
# demo.sh - the whole value chain, offline, in one command:
# a local chain with a USDC-like EIP-3009 token, the official x402
# facilitator, lighttpd serving a command through x402-gate, a 402, a real
# paid request, the transfer on chain and the receipt in the spool.
#
#   contrib/demo/demo.sh          (as root on Debian 12; installs what it needs)
#   KEEP=1 contrib/demo/demo.sh   leaves everything running until Ctrl-C
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Installing what the demo needs and building x402-cgi"
"$top/scripts/deps.sh" demo || exit 1
"$top/scripts/build.sh" "$top/build" || exit 1

X402_TOP=$top
X402_BUILD=$top/build
X402_OUT=$top/build/demo
export X402_TOP X402_BUILD X402_OUT
. "$top/tests/integration/lib.sh"
set +e

say "Starting a local chain (anvil, chain id 84532) with a test USDC"
start_chain || exit 1
echo "chain at $RPC_URL; USDC at $USDC; buyer $PAYER; seller $PAYTO"

say "Starting the official x402 facilitator (from npm) on 127.0.0.1"
start_facilitator || exit 1
echo "facilitator at $FACILITATOR_URL"

PORT=$(freeport)
BASE=http://127.0.0.1:$PORT
mkdir -p "$X402_OUT/work"
cat >"$X402_OUT/wordcount.conf" <<CONF
; A legacy command for sale: count the words of whatever you send.
[route]
command = /usr/bin/wc -w
description = Word count: send text, get the number of words
mime_type = text/plain
price = \$0.001
pay_to = $PAYTO
accept = base-sepolia
command_timeout = 10s
workdir = $X402_OUT/work

[gate]
settlement = facilitator

[facilitator]
url = $FACILITATOR_URL

[paths]
spool = $X402_OUT/spool
claims = $X402_OUT/claims
fallback = $X402_OUT/fallback
CONF
cat >"$X402_OUT/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$X402_OUT"
server.errorlog = "$X402_OUT/lighttpd-error.log"
server.modules = ( "mod_fastcgi" )
fastcgi.server = ( "/wordcount" => ((
	"socket" => "$X402_OUT/gate.sock",
	"bin-path" => "$GATE -c $X402_OUT/wordcount.conf",
	"max-procs" => 2,
	"check-local" => "disable",
)))
CONF
say "Starting lighttpd with x402-gate selling 'wc -w' at \$0.001 on $BASE/wordcount"
sed 's/^/    /' "$X402_OUT/wordcount.conf"
/usr/sbin/lighttpd -D -f "$X402_OUT/lighttpd.conf" &
PIDS="$PIDS $!"
wait_http "$BASE/wordcount" || exit 1

say "1. Asking without paying: HTTP 402 and what it costs"
curl -s -D "$X402_OUT/h" -o "$X402_OUT/b" -w 'HTTP %{http_code}\n' "$BASE/wordcount"
header PAYMENT-REQUIRED "$X402_OUT/h" | base64 -d | node -e \
    'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(JSON.parse(s),null,2)))'

b_buyer=$(balance "$PAYER")
b_seller=$(balance "$PAYTO")
say "2. Buying with x402 pay: sending text, paying at most \$0.01"
printf '%s\n' "${PAYER_KEY#0x}" >"$X402_OUT/buyer.key"
chmod 600 "$X402_OUT/buyer.key"
echo "\$ x402 pay --key buyer.key --max '\$0.01' -d 'the quick brown fox jumps over the lazy dog' $BASE/wordcount"
"$X402_BUILD/src/cli/x402" pay --key "$X402_OUT/buyer.key" --max '$0.01' \
    -d "the quick brown fox jumps over the lazy dog" "$BASE/wordcount"
rc=$?
echo "(x402 pay exit status $rc: 0 = paid and served)"

say "   ... and once more with the official x402 client (@x402/fetch)"
node "$CHAIN/pay-v2.mjs" "$BASE/wordcount" --method POST \
    --data "one two three" >"$X402_OUT/paid.json" || rc=1
node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));
console.log("HTTP", r.status, "- answer:", r.body.trim(), "- tx", r.paymentResponse && r.paymentResponse.transaction);' "$X402_OUT/paid.json"

say "3. On chain, to the atomic unit (USDC has 6 decimals)"
a_buyer=$(balance "$PAYER")
a_seller=$(balance "$PAYTO")
printf '%-8s %-44s %14s %14s %8s\n' who address before after change
printf '%-8s %-44s %14s %14s %8s\n' buyer "$PAYER" "$b_buyer" "$a_buyer" "$((a_buyer - b_buyer))"
printf '%-8s %-44s %14s %14s %8s\n' seller "$PAYTO" "$b_seller" "$a_seller" "$((a_seller - b_seller))"

say "4. The receipt x402-gate wrote before releasing the answer"
for f in "$X402_OUT"/spool/new/*; do
	[ -f "$f" ] && node -e 'console.log(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1])),null,2))' "$f"
done

if [ "$rc" -eq 0 ] && [ $((a_seller - b_seller)) -eq 2000 ] &&
    [ "$(ls "$X402_OUT"/spool/new | wc -l)" -eq 2 ]; then
	say "Done: two paid requests, 2 x 1000 atomic units (\$0.001) moved, two receipts."
	status=0
else
	say "FAILED: see $X402_OUT"
	status=1
fi
if [ "${KEEP:-0}" = 1 ]; then
	echo "Still running: curl -i $BASE/wordcount   (Ctrl-C to stop everything)"
	echo "In a browser: open $BASE/wordcount and pay with a wallet (e.g. MetaMask) holding the buyer's public anvil test key $PAYER_KEY on chain 84532"
	while :; do sleep 3600; done
fi
echo "Everything the demo started has been stopped. Run it again with: contrib/demo/demo.sh"
echo "(KEEP=1 contrib/demo/demo.sh keeps it running so you can try it yourself.)"
exit $status
