#!/bin/sh
# metrics.sh - what an operator sees: Debian's real prometheus scrapes the
# gate's metrics URL under a real lighttpd (two FastCGI workers sharing one
# counter file) after a paid request and refusals, and its HTTP API gives
# exact counts; x402-gate --metrics prints the same; one access line per
# request (key=value, then JSON); a command that cannot run is logged at
# error/warning level with its path and the system's error text.
. "$(dirname "$0")/lib.sh"

command -v prometheus >/dev/null || { not_ok "prometheus is not installed (scripts/deps.sh test)"; finish; exit 1; }
start_chain || exit 1
start_facilitator || exit 1
PORT=$(freeport)
PPORT=$(freeport)
BASE=http://127.0.0.1:$PORT
mkdir -p "$X402_OUT/work"

route() {	# route NAME COMMAND [GATE LINES]
	cat <<CONF
[route]
command = $2
description = Counts its runs and shouts
mime_type = text/plain
price = 1000
pay_to = $PAYTO
accept = base-sepolia
max_timeout = 300
command_timeout = 10s
workdir = $X402_OUT/work

[gate]
metrics_path = /metrics
${3:-}

[facilitator]
url = $FACILITATOR_URL
timeout = 20s

[paths]
spool = $X402_OUT/spool
claims = $X402_OUT/claims
fallback = $X402_OUT/fallback
CONF
}
route counter "$X402_TOP/tests/integration/fixtures/counter" >"$X402_OUT/counter.conf"

# lighttpd: /counter is the route (two workers), /metrics a third worker
# of the same route answering the metrics URL (from 127.0.0.1 only): all
# three share the route's counter file.
cat >"$X402_OUT/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$X402_OUT"
server.errorlog = "$X402_OUT/lighttpd-error.log"
server.breakagelog = "$X402_OUT/gate.log"
server.pid-file = "$X402_OUT/lighttpd.pid"
server.modules = ( "mod_fastcgi" )
fastcgi.server = (
	"/counter" => (( "socket" => "$X402_OUT/counter.sock", "bin-path" => "$GATE -c $X402_OUT/counter.conf", "max-procs" => 2, "check-local" => "disable" )),
	"/metrics" => (( "socket" => "$X402_OUT/metrics.sock", "bin-path" => "$GATE -c $X402_OUT/counter.conf", "max-procs" => 1, "check-local" => "disable" )),
)
CONF
/usr/sbin/lighttpd -D -f "$X402_OUT/lighttpd.conf" >"$X402_OUT/lighttpd.out" 2>&1 &
PIDS="$PIDS $!"
# until a worker answers (exactly one of these probes reaches a gate)
n=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/counter")" = 402 ]; do
	n=$((n + 1))
	[ $n -gt $(scaled 100) ] && { not_ok "lighttpd and the gate start"; cat "$X402_OUT/lighttpd-error.log"; finish; exit 1; }
	sleep 0.1
done

cat >"$X402_OUT/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: x402
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:$PORT']
CONF
prometheus --config.file="$X402_OUT/prometheus.yml" \
    --storage.tsdb.path="$X402_OUT/prom" \
    --web.listen-address="127.0.0.1:$PPORT" >"$X402_OUT/prometheus.log" 2>&1 &
PIDS="$PIDS $!"

# 1. Unpaid (402, no refusal), paid (200), replayed and garbage (refusals).
code=$(curl -s -D "$X402_OUT/h402" -o /dev/null -w '%{http_code}' "$BASE/counter")
eq "unpaid request gets 402" "$code" 402
PR=$(header PAYMENT-REQUIRED "$X402_OUT/h402")
H=$(node "$CHAIN/payment-header.mjs" "$PR")
code=$(curl -s -o "$X402_OUT/b-paid" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d hi "$BASE/counter")
eq "paid request answered" "$code" 200
code=$(curl -s -o /dev/null -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" "$BASE/counter")
eq "replay refused" "$code" 402
code=$(curl -s -o /dev/null -w '%{http_code}' -H "PAYMENT-SIGNATURE: not base64!" "$BASE/counter")
eq "garbage refused" "$code" 402
# The payer: anvil #0 (chain.env PAYER), as the access line spells it.
PAYER=$(node -e 'console.log(require(process.argv[1]).getAddress(process.argv[2]))' "$CHAIN/node_modules/viem" "$PAYER")

# 2. The access lines: one per request, key=value, no function names, in
# lighttpd's server.breakagelog (the workers' stderr; without it, lighttpd's
# own stderr, never server.errorlog).
wait_for "$X402_OUT/gate.log" "access: .*reason=invalid_payment" || true
grep 'access: ' "$X402_OUT/gate.log" >"$X402_OUT/access"
# (the start-up probe is one of the 402s)
eq "one access line per request, none for scrapes" "$(grep -c 'route=counter' "$X402_OUT/access")" 5
check "paid line: status, scheme, amount, token, network, payer, tx, client, id" \
    grep -Eq "access: route=counter method=POST status=200 scheme=exact amount=1000 token=USDC network=eip155:84532 payer=$PAYER tx=0x[0-9a-f]{64} reason=- duration_ms=[0-9]+ client=127\.0\.0\.1 id=[0-9a-f]{16}$" "$X402_OUT/access"
check "replay line names its reason" \
    grep -Eq "status=402 scheme=exact amount=- token=USDC network=eip155:84532 payer=$PAYER tx=- reason=invalid_exact_evm_nonce_already_used " "$X402_OUT/access"
check "unpaid line has no payment" \
    grep -Eq "method=GET status=402 scheme=- amount=- token=- network=- payer=- tx=- reason=- " "$X402_OUT/access"
check "no function names in the gate's lines" sh -c \
    "! grep -E 'x402-gate\[[0-9]+\]: (info|warning|error): [a-z_]+: ' '$X402_OUT/gate.log'"
check "nothing of the gate in server.errorlog" sh -c "! grep -q 'x402-gate' '$X402_OUT/lighttpd-error.log'"

# 3. Prometheus scrapes the metrics URL; its API gives exact values.
q() {	# q PROMQL: the value of the first sample, or "none"
	curl -s --max-time 5 -G "http://127.0.0.1:$PPORT/api/v1/query" \
	    --data-urlencode "query=$1" | node -e '
let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const r=JSON.parse(s).data.result;console.log(r.length?r[0].value[1]:"none")}catch(e){console.log("none")}})'
}
# until the last request is scraped (30 s at most)
n=0
while [ "$(q 'x402_gate_refusals_total{reason="invalid_payment"}')" != 1 ] && [ $n -lt $(scaled 60) ]; do
	sleep 0.5
	n=$((n + 1))
done
eq "prometheus: scrape target up" "$(q 'up{job="x402"}')" 1
eq "prometheus: payments settled" "$(q 'x402_gate_payments_settled_total{route="counter",network="eip155:84532",symbol="USDC",scheme="exact"}')" 1
eq "prometheus: amount settled (atomic units)" "$(q 'x402_gate_settled_amount_total{route="counter"}')" 1000
eq "prometheus: 200s" "$(q 'x402_gate_requests_total{route="counter",status="200"}')" 1
eq "prometheus: 402s (both workers counted)" "$(q 'x402_gate_requests_total{route="counter",status="402"}')" 4
eq "prometheus: replay refusal" "$(q 'x402_gate_refusals_total{route="counter",reason="invalid_exact_evm_nonce_already_used"}')" 1
eq "prometheus: garbage refusal" "$(q 'x402_gate_refusals_total{route="counter",reason="invalid_payment"}')" 1
eq "prometheus: one settlement timed" "$(q 'x402_gate_settlement_seconds_count{route="counter"}')" 1
eq "prometheus: one command timed" "$(q 'x402_gate_command_seconds_count{route="counter"}')" 1
eq "prometheus: nothing pending" "$(q 'x402_gate_settlements_pending_total{route="counter"}')" 0

# 4. x402-gate --metrics prints the same (for node_exporter's textfile
# collector); the metrics URL refuses other addresses.
"$GATE" --metrics -c "$X402_OUT/counter.conf" >"$X402_OUT/metrics.prom" 2>"$X402_OUT/metrics.err"
eq "--metrics exit status" "$?" 0
check "--metrics: the settled count" grep -q '^x402_gate_payments_settled_total{route="counter",network="eip155:84532",asset="0x[0-9a-fA-F]*",symbol="USDC",scheme="exact"} 1$' "$X402_OUT/metrics.prom"
check "--metrics: the amount" grep -q '^x402_gate_settled_amount_total{route="counter",.*} 1000$' "$X402_OUT/metrics.prom"
check "--metrics: a histogram" grep -q '^x402_gate_command_seconds_bucket{route="counter",le="+Inf"} 1$' "$X402_OUT/metrics.prom"
check "--metrics: no receipt draft left" grep -q '^x402_gate_receipt_drafts 0$' "$X402_OUT/metrics.prom"
cgi() {	# cgi CONF REMOTE_ADDR URI [PAYMENT]: the gate as a CGI program
	env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	    REMOTE_ADDR="$2" REQUEST_URI="$3" SCRIPT_NAME="$3" HTTP_HOST=127.0.0.1 \
	    ${4:+HTTP_PAYMENT_SIGNATURE=$4} "$GATE" -c "$1" </dev/null
}
cgi "$X402_OUT/counter.conf" 10.1.2.3 /metrics >"$X402_OUT/m403" 2>&1
check "metrics URL refused to another address" grep -q '^Status: 403' "$X402_OUT/m403"
cgi "$X402_OUT/counter.conf" 127.0.0.1 /metrics >"$X402_OUT/m200" 2>&1
check "metrics URL served to 127.0.0.1" grep -q '^x402_gate_settled_amount_total{route="counter",.*} 1000' "$X402_OUT/m200"

# 5. access_log = json; a command that cannot be executed: error and
# warning lines with the path and strerror, no internal function name.
printf '#!/bin/sh\necho never\n' >"$X402_OUT/noexec"
chmod 644 "$X402_OUT/noexec"
route broken "$X402_OUT/noexec" "access_log = json" >"$X402_OUT/broken.conf"
cgi "$X402_OUT/broken.conf" 127.0.0.1 /broken "$(node "$CHAIN/payment-header.mjs" "$PR")" \
    >"$X402_OUT/broken.out" 2>"$X402_OUT/broken.err"
check "unexecutable command: 502" grep -q '^Status: 502' "$X402_OUT/broken.out"
check "logged at error level" grep -q ': error: route broken: 502: the command could not be executed' "$X402_OUT/broken.err"
check "its path and strerror at warning level" \
    grep -q ": warning: route broken: command stderr: cannot run $X402_OUT/noexec: execve: Permission denied (errno 13)" "$X402_OUT/broken.err"
check "JSON access line" grep -Eq '^x402-gate\[[0-9]+\]: access: \{"route":"broken","method":"GET","status":502,"scheme":"exact","amount":"-",.*"reason":"-","duration_ms":[0-9]+,"client":"127.0.0.1","id":"[0-9a-f]{16}"\}$' "$X402_OUT/broken.err"

# 6. A worker killed while its command runs leaves its receipt draft (for
# x402-gate --recover): the drafts gauge shows it.
printf '#!/bin/sh\necho $$ >slow.pid\nexec sleep 3\n' >"$X402_OUT/slow"
chmod 755 "$X402_OUT/slow"
route slow "$X402_OUT/slow" >"$X402_OUT/slow.conf"
H=$(node "$CHAIN/payment-header.mjs" "$PR")
# (env execs the gate: SPID is the gate itself)
env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
    REMOTE_ADDR=127.0.0.1 REQUEST_URI=/slow HTTP_HOST=127.0.0.1 \
    HTTP_PAYMENT_SIGNATURE="$H" "$GATE" -c "$X402_OUT/slow.conf" \
    </dev/null >/dev/null 2>"$X402_OUT/slow.err" &
SPID=$!
PIDS="$PIDS $SPID"
wait_for "$X402_OUT/work/slow.pid" . 10 >/dev/null
kill -9 "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
PIDS="$PIDS $(cat "$X402_OUT/work/slow.pid" 2>/dev/null)"
check "the slow route's worker is gone" sh -c "! kill -0 $SPID 2>/dev/null"
"$GATE" --metrics -c "$X402_OUT/counter.conf" >"$X402_OUT/metrics2.prom" 2>&1
check "--metrics: the killed worker's draft" grep -q '^x402_gate_receipt_drafts 1$' "$X402_OUT/metrics2.prom"

finish
