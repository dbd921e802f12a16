#!/bin/sh
# gate-nginx.sh - contrib/nginx/x402.conf under a real nginx on 127.0.0.1:
# x402-gate workers started by spawn-fcgi on a Unix socket, a real chain,
# the official facilitator and the official v2 client: 402, a paid
# request with the request body reaching the command, the receipt, a
# replay refused.
. "$(dirname "$0")/lib.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { not_ok "nginx not installed (apt-get install nginx-light)"; finish; exit 1; }
command -v spawn-fcgi >/dev/null || { not_ok "spawn-fcgi not installed"; finish; exit 1; }

start_chain || exit 1
start_facilitator || exit 1
PORT=$(freeport)
BASE=http://127.0.0.1:$PORT
mkdir -p "$X402_OUT/etc" "$X402_OUT/run" "$X402_OUT/work" "$X402_OUT/logs"

cat >"$X402_OUT/etc/x402.conf" <<CONF
[gate]
settlement = facilitator
[facilitator]
url = $FACILITATOR_URL
timeout = 20s
[paths]
spool = $X402_OUT/spool
claims = $X402_OUT/claims
fallback = $X402_OUT/fallback
CONF
cat >"$X402_OUT/etc/ocr.conf" <<CONF
[route]
command = $X402_TOP/tests/integration/fixtures/counter
description = Counts its runs and shouts
mime_type = text/plain
price = 1000
pay_to = $PAYTO
accept = base-sepolia
command_timeout = 10s
workdir = $X402_OUT/work
CONF
check "x402-gate -t accepts the route" \
    "$GATE" -t -g "$X402_OUT/etc/x402.conf" -c "$X402_OUT/etc/ocr.conf"

# The worker pool, as contrib/nginx/x402.conf says (2 processes).
spawn-fcgi -s "$X402_OUT/run/ocr.sock" -M 0666 -F 2 \
    -P "$X402_OUT/spawn.pid" -- "$GATE" -g "$X402_OUT/etc/x402.conf" \
    -c "$X402_OUT/etc/ocr.conf" >"$X402_OUT/spawn.log" 2>&1
eq "spawn-fcgi started the workers" "$?" 0
# -F 2 forks two children and writes their pids to -P's file, one a line
# (never a machine-wide pgrep: only the processes this test started).
for p in $(cat "$X402_OUT/spawn.pid" 2>/dev/null); do
	case $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) in
	*"x402-gate -g $X402_OUT/etc/x402.conf"*) PIDS="$PIDS $p" ;;
	esac
done
check "two workers running" test "$(echo $PIDS | wc -w)" -ge 3
check "the socket exists" test -S "$X402_OUT/run/ocr.sock"

# The server block of contrib/nginx/x402.conf with our port and paths.
sed -e "s|listen 127.0.0.1:80;|listen 127.0.0.1:$PORT;|" \
    -e "s|/run/x402|$X402_OUT/run|g" "$X402_TOP/contrib/nginx/x402.conf" \
    >"$X402_OUT/site.conf"
check "the site uses our port" grep -q "listen 127.0.0.1:$PORT;" "$X402_OUT/site.conf"
cat >"$X402_OUT/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $X402_OUT/nginx.pid;
error_log $X402_OUT/logs/error.log info;
events { worker_connections 64; }
http {
	access_log $X402_OUT/logs/access.log;
	client_body_temp_path $X402_OUT/tmp-body;
	fastcgi_temp_path $X402_OUT/tmp-fastcgi;
	proxy_temp_path $X402_OUT/tmp-proxy;
	uwsgi_temp_path $X402_OUT/tmp-uwsgi;
	scgi_temp_path $X402_OUT/tmp-scgi;
	include /etc/nginx/mime.types;
	include $X402_OUT/site.conf;
}
CONF
cp /etc/nginx/fastcgi_params "$X402_OUT/fastcgi_params"
"$NGINX" -t -p "$X402_OUT" -c "$X402_OUT/nginx.conf" >"$X402_OUT/nginx-t.log" 2>&1
eq "nginx -t accepts contrib/nginx/x402.conf" "$?" 0
"$NGINX" -p "$X402_OUT" -c "$X402_OUT/nginx.conf" >"$X402_OUT/nginx.out" 2>&1 &
PIDS="$PIDS $!"
wait_http "$BASE/ocr" || { cat "$X402_OUT/logs/error.log"; exit 1; }

# 1. No payment: 402 with the v2 header and the v1 body.
code=$(curl -s -D "$X402_OUT/h402" -o "$X402_OUT/b402" -w '%{http_code}' "$BASE/ocr")
eq "unpaid request gets 402 through nginx" "$code" 402
PR=$(header PAYMENT-REQUIRED "$X402_OUT/h402")
eq "PAYMENT-REQUIRED carries the price" "$(echo "$PR" | b64json accepts.0.amount)" '"1000"'
# Debian's fastcgi_params passes HTTP_HOST as $host: no port.
eq "PAYMENT-REQUIRED resource is the URL (host without port)" \
    "$(echo "$PR" | b64json resource.url)" '"http://127.0.0.1/ocr"'
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/nothing")
eq "other URLs are not routed to the gate" "$code" 404

# 2. The official v2 client pays, with a body.
before=$(balance "$PAYTO")
node "$CHAIN/pay-v2.mjs" "$BASE/ocr" --method POST --data "hello nginx" \
    >"$X402_OUT/pay-v2.json" 2>"$X402_OUT/pay-v2.err"
eq "official v2 client pays through nginx (exit status)" "$?" 0
check "the body reached the command" grep -q 'HELLO NGINX' "$X402_OUT/pay-v2.json"
check "the client got the settlement" grep -q '"success":true' "$X402_OUT/pay-v2.json"
after=$(balance "$PAYTO")
eq "the payment moved exactly the price" "$((after - before))" 1000
eq "one receipt in the spool" "$(ls "$X402_OUT/spool/new" | wc -l)" 1

# 3. A hand-signed payment, then the same again: refused.
H=$(node "$CHAIN/payment-header.mjs" "$PR")
code=$(curl -s -o "$X402_OUT/b1" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" "$BASE/ocr")
eq "hand-signed payment accepted" "$code" 200
code=$(curl -s -o "$X402_OUT/b2" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" "$BASE/ocr")
eq "replay refused" "$code" 402
eq "two paid runs in all" "$(wc -l <"$X402_OUT/work/runs.log")" 2

finish
