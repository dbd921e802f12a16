#!/bin/sh
# demo.sh - the whole value chain, offline, in one command:
# a local chain with a USDC-like EIP-3009 token, the official x402
# facilitator, lighttpd selling three inference commands from Debian's
# packages through x402-gate (OCR, text to speech, speech to text), OCR and
# speech to text at a fixed price, text to speech metered per character
# (the upto scheme: the buyer signs a maximum, the route settles what was
# spoken); `x402 pay` buys from each (the speech fed back to the
# speech-to-text route), and `x402-payout run` splits the revenue 10% kept,
# 30/30/30 to three collaborators, paid on chain.
#
#   sh contrib/demo/demo.sh          (as root on Debian 12; installs what it needs)
#   KEEP=1 sh contrib/demo/demo.sh   leaves everything running until Ctrl-C
#
# Exit status: 0 when every step worked, 1 when any failed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
t0=$(date +%s)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; }

say "0. Installing what the demo needs and building x402-cgi"
sh "$top/scripts/deps.sh" demo || exit 1
sh "$top/scripts/build.sh" "$top/build" || exit 1
echo "built in $top/build"

X402_TOP=$top
X402_BUILD=$top/build
X402_OUT=$top/build/demo
export X402_TOP X402_BUILD X402_OUT
. "$top/tests/integration/lib.sh"
set +e
X402=$X402_BUILD/src/cli/x402
PAYOUT=$X402_BUILD/src/payout/x402-payout
CMDS=$top/contrib/demo/commands
D=$X402_OUT

die() {
	printf '\n\033[1;31m== FAILED: %s\033[0m\n' "$*"
	echo "Logs and files are in $D (lighttpd-error.log, facilitator.log, ...)."
	echo "Everything the demo started has been stopped."
	exit 1
}

say "1. Starting a local chain (anvil, chain id 84532) with a test USDC"
start_chain || die "the chain did not start"
echo "chain   $RPC_URL"
echo "USDC    $USDC (6 decimals: 1 USDC = 1000000 atomic units)"
echo "buyer   $PAYER"
echo "seller  $PAYTO (also the payout wallet)"

say "2. Starting the official x402 facilitator (from npm) on 127.0.0.1"
start_facilitator || die "the facilitator did not start"
echo "facilitator $FACILITATOR_URL (verifies and settles on the local chain)"

PORT=$(freeport)
BASE=http://127.0.0.1:$PORT
mkdir -p "$D/etc" "$D/work" "$D/spool"

say "3. Three routes for sale, one route file each, shared settings in x402.conf"
cat >"$D/etc/x402.conf" <<CONF
; Shared by every route: how payments settle, where receipts go.
[gate]
settlement = facilitator

[facilitator]
url = $FACILITATOR_URL
timeout = 20s

[paths]
spool = $D/spool
claims = $D/claims
fallback = $D/fallback
CONF
# route NAME COMMAND PRICING MIME DESCRIPTION
route() {
	cat >"$D/etc/$1.conf" <<CONF
[route]
command = $2
description = $5
mime_type = $4
$3
pay_to = $PAYTO
command_timeout = 30s
max_input = 2M
workdir = $D/work
CONF
}
route ocr "$CMDS/ocr" 'accept = base-sepolia
price = $0.01' 'text/plain; charset=utf-8' 'OCR (tesseract): send an image, get its text'
# Metered: units (characters, on the usage channel, fd 3) x $0.00002, at
# most $0.05 (upto scheme).
route tts "$CMDS/tts" 'accept_upto = base-sepolia
price_per_unit = $0.00002
max_price = $0.05' audio/wav \
    'Text to speech (espeak-ng): send English text, get a WAV; $0.00002 per character'
route stt "$CMDS/stt" 'accept = base-sepolia
price = $0.005' 'text/plain; charset=utf-8' \
    'Speech to text (pocketsphinx): send a WAV, get the words'
# atomic PRICE: the price in USDC atomic units.
atomic() {
	"$X402" price "$1" --network base-sepolia -q || die "x402 price refused $1"
}
printf '%-5s %-34s %-18s %s\n' route price atomic command
for r in ocr tts stt; do
	"$GATE" -t -g "$D/etc/x402.conf" -c "$D/etc/$r.conf" >/dev/null ||
	    die "x402-gate -t refused $r.conf"
	p=$(sed -n 's/^price = //p' "$D/etc/$r.conf")
	if [ -n "$p" ]; then
		a=$(atomic "$p")
	else
		u=$(sed -n 's/^price_per_unit = //p' "$D/etc/$r.conf")
		m=$(sed -n 's/^max_price = //p' "$D/etc/$r.conf")
		p="$u/character, at most $m"
		a="$(atomic "$u")/char, <= $(atomic "$m")"
	fi
	printf '%-5s %-34s %-18s %s\n' "/$r" "$p" "$a" \
	    "$(sed -n 's/^command = //p' "$D/etc/$r.conf")"
done
echo "(each file checked with x402-gate -t; the commands are in contrib/demo/commands/)"

# contrib/lighttpd/x402.conf is the production file; run it with our paths.
mkdir -p "$D/run"
sed -e "s|/usr/sbin/x402-gate|$GATE|g" -e "s|/etc/x402|$D/etc|g" \
    -e "s|/run/x402|$D/run|g" "$top/contrib/lighttpd/x402.conf" \
    >"$D/routes.conf"
cat >"$D/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$D"
server.errorlog = "$D/lighttpd-error.log"
include "$D/routes.conf"
CONF

say "4. Starting lighttpd on $BASE with x402-gate behind each route"
/usr/sbin/lighttpd -D -f "$D/lighttpd.conf" >"$D/lighttpd.out" 2>&1 &
PIDS="$PIDS $!"
for r in ocr tts stt; do
	wait_http "$BASE/$r" || die "lighttpd did not answer on /$r"
done
echo "lighttpd up: contrib/lighttpd/x402.conf with the demo's paths ($D/routes.conf)"

say "5. Asking without paying: HTTP 402 and what each route costs"
for r in ocr tts stt; do
	run "curl -i $BASE/$r"
	code=$(curl -s -D "$D/h402-$r" -o "$D/b402-$r" -w '%{http_code}' \
	    "$BASE/$r")
	[ "$code" = 402 ] || die "/$r answered $code without payment, not 402"
	header PAYMENT-REQUIRED "$D/h402-$r" | base64 -d | node -e '
let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
  const o = JSON.parse(s), a = o.accepts[0];
  console.log("  HTTP 402 Payment Required, PAYMENT-REQUIRED decoded:");
  console.log("  x402Version", o.x402Version, "| scheme", a.scheme,
    "| network", a.network, "| amount", a.amount, "atomic units" +
    (a.scheme === "upto" ? " at most (Permit2, settled per character used)" : ""));
  console.log("  asset", a.asset, "(" + a.extra.name + ") | payTo", a.payTo);
  console.log("  " + o.resource.description);
});' || die "cannot decode the 402 of /$r"
done

b_buyer=$(balance "$PAYER")
b_seller=$(balance "$PAYTO")
printf '%s\n' "${PAYER_KEY#0x}" >"$D/buyer.key"
chmod 600 "$D/buyer.key"

# pay NAME ARGS...: x402 pay, its settlement line kept in D/NAME.paid.
pay() {
	n=$1
	shift
	printf "$ x402 pay --key buyer.key --max '\$0.05'"
	for a in "$@"; do
		case $a in
		*' '*) printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done | sed "s|$D/||g"
	echo
	"$X402" pay --key "$D/buyer.key" --max '$0.05' "$@" 2>"$D/$n.paid"
	rc=$?
	sed 's/^/  /' "$D/$n.paid"
	[ $rc -eq 0 ] || die "x402 pay for $n failed (exit status $rc)"
}

say "6. Buying OCR: an image drawn now, its text back"
/usr/bin/convert -size 820x150 xc:white -font DejaVu-Sans -pointsize 44 \
    -fill black -annotate +30+95 'Pay per request with x402' \
    "png:$D/scan.png" || die "ImageMagick could not draw the test image"
echo "scan.png: $(wc -c <"$D/scan.png") bytes, says 'Pay per request with x402'"
pay ocr -o "$D/ocr.txt" --data-binary "@$D/scan.png" "$BASE/ocr"
printf '  the text: %s\n' "$(cat "$D/ocr.txt")"
grep -qi 'pay per request' "$D/ocr.txt" || die "OCR did not read the image"

say "7. Buying text to speech, metered: 'hello world' (11 characters) in, a WAV out"
echo "The buyer signs at most \$0.05 (Permit2, upto scheme); the route charges"
echo "11 characters x 20 = 220 atomic units; --rpc checks balance and allowance first."
pay tts -o "$D/speech.wav" -d 'hello world' --rpc "$RPC_URL" "$BASE/tts"
grep -q '^paid 220 (0.00022 USDC) of at most 50000 (0.05 USDC)' "$D/tts.paid" ||
    die "the metered TTS did not settle 220 of at most 50000"
head -c 4 "$D/speech.wav" | grep -q RIFF || die "TTS did not return a WAV"
wavlen=$(wc -c <"$D/speech.wav")
printf '  speech.wav: %s bytes, %s s of 16-bit mono audio at 22050 Hz\n' \
    "$wavlen" "$(awk -v n="$wavlen" 'BEGIN { printf "%.1f", (n - 44) / 44100 }')"

say "8. Buying speech to text with that WAV: the round trip"
pay stt -o "$D/heard.txt" --data-binary "@$D/speech.wav" "$BASE/stt"
heard=$(tr -d '\n' <"$D/heard.txt")
printf '  heard: "%s"\n' "$heard"
[ -n "$heard" ] || die "speech to text heard nothing"

say "9. The payments on chain, to the atomic unit"
a_buyer=$(balance "$PAYER")
a_seller=$(balance "$PAYTO")
printf '%-7s %-42s %12s %12s %8s\n' who address before after change
printf '%-7s %-42s %12s %12s %8s\n' buyer "$PAYER" "$b_buyer" "$a_buyer" \
    "$((a_buyer - b_buyer))"
printf '%-7s %-42s %12s %12s %8s\n' seller "$PAYTO" "$b_seller" "$a_seller" \
    "+$((a_seller - b_seller))"
earned=$((a_seller - b_seller))
[ "$earned" -eq 15220 ] || die "the seller got $earned, not 15220 (10000 + 220 + 5000)"
echo "transactions:"
for r in ocr tts stt; do
	tx=$(sed -n 's/.*tx \(0x[0-9a-fA-F]*\).*/\1/p' "$D/$r.paid")
	curl -s -H 'Content-Type: application/json' "$RPC_URL" -d \
	    '{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt","params":["'"$tx"'"]}' |
	    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
const r=JSON.parse(s).result; if(!r){console.log("  '"$r"' '"$tx"' NOT FOUND");process.exit(1)}
console.log("  '"$r"'", r.transactionHash, "block", parseInt(r.blockNumber),
  "status", r.status === "0x1" ? "success" : "REVERTED", "gas", parseInt(r.gasUsed));
process.exit(r.status === "0x1" ? 0 : 1)})' || die "transaction of $r not on chain"
done

say "10. The receipts x402-gate wrote (durably, before releasing each answer)"
n=0
for f in "$D"/spool/new/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));
console.log("  " + r.route.padEnd(4), r.amount.padStart(6),
  ("of " + (r.maxAmount || r.amount)).padEnd(9), "from", r.payer, "tx", r.transaction);' "$f"
done
[ "$n" -eq 3 ] || die "$n receipts in the spool, not 3"
echo "  (one JSON file each in $D/spool/new; x402-payout collects them)"

say "11. Paying the collaborators: x402-payout run, 10% kept, 30/30/30"
printf '%s\n' "${PAYTO_KEY#0x}" >"$D/payout.key"
chmod 600 "$D/payout.key"
mkdir -p "$D/spool/quarantine"
ALICE=0x00000000000000000000000000000000000a11ce
BOB=0x0000000000000000000000000000000000000b0b
CAROL=0x00000000000000000000000000000000000ca201
cat >"$D/etc/payout.conf" <<CONF
[payout]
wallet = $PAYTO
key = $D/payout.key
spool = $D/spool
state = $D/payout
network = eip155:84532
rpc = $RPC_URL
minimum = 1
default_split = team
timeout = 30

[payee alice]
address = $ALICE
[payee bob]
address = $BOB
[payee carol]
address = $CAROL

[split team]
shares = retain:10% alice:30% bob:30% carol:30%
CONF
sed -n '/^\[split/,$p' "$D/etc/payout.conf" | sed 's/^/  /'
run "x402-payout -c payout.conf run"
"$PAYOUT" -c "$D/etc/payout.conf" run >"$D/payout.out" 2>&1
rc=$?
sed 's/^/  /' "$D/payout.out"
[ $rc -eq 0 ] || die "x402-payout run failed (exit status $rc)"
run "x402-payout -c payout.conf status"
"$PAYOUT" -c "$D/etc/payout.conf" status 2>&1 | sed 's/^/  /'

say "12. The payees' balances on chain (USDC atomic units)"
ok=1
# 15220 received: 30% = 4566 each, 1522 retained in the payout wallet.
printf '%-8s %-42s %6s %10s %10s\n' payee address share expected "on chain"
for p in alice:$ALICE bob:$BOB carol:$CAROL; do
	name=${p%%:*} addr=${p#*:}
	got=$(balance "$addr")
	printf '%-8s %-42s %6s %10s %10s\n' "$name" "$addr" 30% 4566 "$got"
	[ "$got" = 4566 ] || ok=0
done
kept=$(balance "$PAYTO")
printf '%-8s %-42s %6s %10s %10s\n' retained "$PAYTO" 10% 1522 \
    "$((kept - b_seller))"
[ "$kept" = "$((b_seller + 1522))" ] || ok=0
[ $ok = 1 ] || die "the balances on chain are not the split"

secs=$(( $(date +%s) - t0 ))
say "Done in ${secs}s: 3 routes sold (TTS metered: 220 of at most 50000), 3 payments settled (15220 atomic units), 3 receipts, 3 payouts of 4566, 1522 kept."
if [ "${KEEP:-0}" = 1 ]; then
	echo "Still running (Ctrl-C stops everything):"
	echo "  curl -i $BASE/ocr"
	echo "  $X402 pay --key $D/buyer.key --max '\$0.05' -d 'good morning' $BASE/tts -o out.wav"
	echo "  $PAYOUT -c $D/etc/payout.conf status"
	echo "In a browser: open $BASE/ocr and pay with a wallet (e.g. MetaMask) holding the buyer's public anvil test key $PAYER_KEY on chain 84532"
	# INT or TERM: leave; the EXIT trap (lib.sh) stops everything.
	trap 'kill "$sleeper" 2>/dev/null; exit 0' INT TERM
	while :; do
		sleep 3600 &
		sleeper=$!
		wait "$sleeper"
	done
fi
echo "Everything the demo started has been stopped (chain, facilitator, lighttpd, gates)."
echo "Run it again with:        sh contrib/demo/demo.sh"
echo "Keep it running to play:  KEEP=1 sh contrib/demo/demo.sh"
exit 0
