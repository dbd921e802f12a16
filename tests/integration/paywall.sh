#!/bin/sh
# paywall.sh - the browser paywall page end to end in a real browser:
# lighttpd + x402-gate (facilitator settlement) on 127.0.0.1, a real chain,
# headless Chromium driven by playwright-core with an injected EIP-1193
# wallet that signs for real (tests/chain/browser-test.mjs).  Screenshots
# of each state are left in $X402_OUT/screenshots.  Metered routes (the
# upto scheme, Permit2 test contracts, the official facilitator's upto
# scheme, as in upto.sh) are paid from the page too, approval step included.
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || [ ! -d "$CHAIN/node_modules/playwright-core" ]; then
	not_ok "needs $CHROMIUM (scripts/deps.sh test) and playwright-core (npm ci in tests/chain)"
	finish
	exit 1
fi

start_chain || exit 1
start_facilitator || exit 1
PORT=$(freeport)
BASE=http://127.0.0.1:$PORT
mkdir -p "$X402_OUT/work"

cat >"$X402_OUT/networks.conf" <<CONF
[network base-sepolia]
explorer_tx = http://127.0.0.1:5100/tx/
CONF
cat >"$X402_OUT/x402.conf" <<CONF
[gate]
settlement = facilitator

[facilitator]
url = $FACILITATOR_URL
timeout = 20s

[paths]
spool = $X402_OUT/spool
claims = $X402_OUT/claims
fallback = $X402_OUT/fallback
networks = $X402_OUT/networks.conf
CONF
cat >"$X402_OUT/echo.conf" <<CONF
[route]
command = $X402_TOP/tests/integration/fixtures/counter
description = Shouts what you send <loud> & clear
mime_type = text/plain
price = \$0.001
pay_to = $PAYTO
accept = base-sepolia
command_timeout = 10s
workdir = $X402_OUT/work
input = text
input_label = Text to shout
wallet_rpc_url = $RPC_URL
CONF
cat >"$X402_OUT/image.conf" <<CONF
[route]
command = /bin/cat
description = Returns the PNG image you upload
mime_type = image/png
price = 1000
pay_to = $PAYTO
accept = base-sepolia
input = file
input_accept = image/png
CONF
cat >"$X402_OUT/audio.conf" <<CONF
[route]
command = /bin/cat
description = Returns the WAV sound you upload
mime_type = audio/wav
price = 1000
pay_to = $PAYTO
accept = base-sepolia
input = file
CONF
cat >"$X402_OUT/data.conf" <<CONF
[route]
command = /bin/cat
description = Returns the bytes you upload
mime_type = application/octet-stream
price = 1000
pay_to = $PAYTO
accept = base-sepolia
input = file
CONF
cat >"$X402_OUT/fail.conf" <<CONF
[route]
command = /bin/false
description = A command that always fails
price = 1000
pay_to = $PAYTO
accept = base-sepolia
input = none
CONF
cat >"$X402_OUT/tts.conf" <<CONF
[route]
command = $X402_TOP/tests/integration/fixtures/meter
description = Speaks text, priced per character
mime_type = text/plain
pay_to = $PAYTO
accept_upto = base-sepolia
max_price = \$0.05
price_per_unit = \$0.00002
max_timeout = 300
command_timeout = 10s
workdir = $X402_OUT/work
input = text
wallet_rpc_url = $RPC_URL
CONF
cat >"$X402_OUT/both.conf" <<CONF
[route]
command = $X402_TOP/tests/integration/fixtures/meter
description = Speaks text, at a fixed price or by the character
mime_type = text/plain
pay_to = $PAYTO
accept = base-sepolia
accept_upto = base-sepolia
price = 1000
max_price = 50000
price_per_unit = 20
workdir = $X402_OUT/work
input = text
CONF
cat >"$X402_OUT/bad.conf" <<CONF
[route]
command = /bin/cat
price = 1000
pay_to = $PAYTO
accept = base-sepolia
input = query
CONF

for r in echo image audio data fail tts both; do
	check "x402-gate -t accepts $r.conf" \
	    "$GATE" -t -g "$X402_OUT/x402.conf" -c "$X402_OUT/$r.conf"
done
"$GATE" -t -g "$X402_OUT/x402.conf" -c "$X402_OUT/bad.conf" \
    >"$X402_OUT/bad.out" 2>&1
eq "input = query without input_params is refused (EX_CONFIG)" "$?" 78
check "the refusal names the key" grep -q "input_params" "$X402_OUT/bad.out"

fcgi() {
	printf '"/%s" => (( "socket" => "%s/%s.sock", "bin-path" => "%s -g %s/x402.conf -c %s/%s.conf", "max-procs" => 1, "check-local" => "disable" )),\n' \
	    "$1" "$X402_OUT" "$1" "$GATE" "$X402_OUT" "$X402_OUT" "$1"
}
cat >"$X402_OUT/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$X402_OUT"
server.errorlog = "$X402_OUT/lighttpd-error.log"
server.pid-file = "$X402_OUT/lighttpd.pid"
server.modules = ( "mod_fastcgi" )
fastcgi.server = (
$(fcgi echo)
$(fcgi image)
$(fcgi audio)
$(fcgi data)
$(fcgi fail)
$(fcgi tts)
$(fcgi both)
)
CONF
/usr/sbin/lighttpd -D -f "$X402_OUT/lighttpd.conf" >"$X402_OUT/lighttpd.out" 2>&1 &
PIDS="$PIDS $!"
wait_http "$BASE/echo" || { cat "$X402_OUT/lighttpd-error.log"; exit 1; }

# Without a browser: the page is HTML only for browsers, JSON otherwise.
code=$(curl -s -o "$X402_OUT/json" -w '%{http_code} %{content_type}' "$BASE/echo")
eq "a program still gets the JSON 402" "$code" "402 application/json"
curl -s -D "$X402_OUT/hhtml" -o "$X402_OUT/page.html" \
    -H 'Accept: text/html' -H 'User-Agent: Mozilla/5.0' "$BASE/echo"
check "the page embeds its script inline" grep -q "<script>" "$X402_OUT/page.html"
check "the page loads nothing from elsewhere" sh -c \
    "! grep -Eq '(src|href)=\"(https?:)?//' '$X402_OUT/page.html'"
check "the description is HTML-escaped" grep -q "Shouts what you send &lt;loud&gt; &amp; clear" "$X402_OUT/page.html"

SPOOL=$X402_OUT/spool UPTO_SPOOL=$X402_OUT/spool OUT=$X402_OUT BASE=$BASE CHROMIUM=$CHROMIUM \
    node "$CHAIN/browser-test.mjs" >"$X402_OUT/browser-test.log" 2>&1
rc=$?
cat "$X402_OUT/browser-test.log"
PASSED=$((PASSED + $(grep -c '^ok - ' "$X402_OUT/browser-test.log")))
FAILED=$((FAILED + $(grep -c '^not ok - ' "$X402_OUT/browser-test.log")))
eq "browser test exit status" "$rc" 0
n=$(ls "$X402_OUT/screenshots" 2>/dev/null | grep -c '\.png$')
check "screenshots written ($n)" test "$n" -ge 20
echo "screenshots: $X402_OUT/screenshots"

finish
