#!/bin/sh
# gate-memory.sh - one x402-gate worker serves 10,000 requests without
# growing, and a worker under valgrind frees what it allocates.
#   1. lighttpd, max-procs 1, local settlement: 10,000 requests on one
#      worker: 8,500 unpaid (402), 500 paid (pre-signed, settled on
#      chain), 900 garbage payment headers and 100 replays of paid ones
#      (refused with 402); the worker's VmRSS after the 1,000th and after
#      the 10,000th request differ by at most RSS_SLACK_KB (256 kB: the
#      3,300-request run grew by ~24 kB; a leak of 32 bytes per request
#      would show as ~280 kB).
#   2. the worker under valgrind --leak-check=full with -n 200: 200
#      requests (402s, paid, bad), it exits by itself; no error, nothing
#      definitely lost.
. "$(dirname "$0")/lib.sh"
RSS_SLACK_KB=${RSS_SLACK_KB:-256}

start_chain || exit 1
printf '%s\n' "${RELAYER_KEY#0x}" >"$X402_OUT/relayer.key"
chmod 600 "$X402_OUT/relayer.key"
mkdir -p "$X402_OUT/work"

# conf NAME: a local-mode route selling the counter fixture.
conf() {
	cat >"$X402_OUT/$1.conf" <<CONF
[route]
command = $X402_TOP/tests/integration/fixtures/counter
mime_type = text/plain
price = 1000
pay_to = $PAYTO
accept = base-sepolia
command_timeout = 10s
workdir = $X402_OUT/work

[gate]
settlement = local
log_level = warning

[local]
rpc_url = $RPC_URL
relayer_key = $X402_OUT/relayer.key
receipt_timeout = 30s

[paths]
spool = $X402_OUT/spool-$1
claims = $X402_OUT/claims-$1
fallback = $X402_OUT/fallback-$1
CONF
}
conf mem
conf vg

PORT=$(freeport)
BASE=http://127.0.0.1:$PORT
VGLOG=$X402_OUT/valgrind
VG="/usr/bin/valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --log-file=$VGLOG.%p.log "
# valgrind cannot run an ASan build; that build checks the worker itself.
sanitized && VG=
cat >"$X402_OUT/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$X402_OUT"
server.errorlog = "$X402_OUT/lighttpd-error.log"
server.modules = ( "mod_fastcgi" )
fastcgi.server = (
	"/mem" => ((
		"socket" => "$X402_OUT/mem.sock",
		"bin-path" => "$GATE -c $X402_OUT/mem.conf",
		"max-procs" => 1,
		"check-local" => "disable",
	)),
	"/vg" => ((
		"socket" => "$X402_OUT/vg.sock",
		"bin-path" => "$VG$GATE -n 200 -c $X402_OUT/vg.conf",
		"max-procs" => 1,
		"check-local" => "disable",
	)),
)
CONF
/usr/sbin/lighttpd -D -f "$X402_OUT/lighttpd.conf" >"$X402_OUT/lighttpd.out" 2>&1 &
LPID=$!
PIDS="$PIDS $LPID"
wait_http "$BASE/mem" || { cat "$X402_OUT/lighttpd-error.log"; exit 1; }

code=$(curl -s -D "$X402_OUT/h402" -o /dev/null -w '%{http_code}' "$BASE/mem")
eq "unpaid request gets 402" "$code" 402
PR=$(header PAYMENT-REQUIRED "$X402_OUT/h402")
PRV=$(curl -s -D - -o /dev/null "$BASE/vg" | tr -d '\r' |
    sed -n 's/^[Pp][Aa][Yy][Mm][Ee][Nn][Tt]-[Rr][Ee][Qq][Uu][Ii][Rr][Ee][Dd]: //p')

# sign N PR FILE: N fresh payment headers for PR, one a line.
sign() {
	(cd "$CHAIN" && node --input-type=module -e '
import { privateKeyToAccount } from "viem/accounts";
import { randomBytes } from "node:crypto";
const [n, pr] = process.argv.slice(1);
const req = JSON.parse(Buffer.from(pr, "base64").toString("utf8"));
const acc = req.accepts[0];
const account = privateKeyToAccount(process.env.PAYER_KEY);
const types = { TransferWithAuthorization: [
	{ name: "from", type: "address" }, { name: "to", type: "address" },
	{ name: "value", type: "uint256" }, { name: "validAfter", type: "uint256" },
	{ name: "validBefore", type: "uint256" }, { name: "nonce", type: "bytes32" } ] };
const out = [];
for (let i = 0; i < Number(n); i++) {
	const auth = { from: account.address, to: acc.payTo, value: acc.amount,
	    validAfter: "0", validBefore: String(Math.floor(Date.now() / 1000) + 3600),
	    nonce: "0x" + randomBytes(32).toString("hex") };
	const signature = await account.signTypedData({
	    domain: { name: acc.extra.name, version: acc.extra.version,
	        chainId: Number(acc.network.split(":")[1]), verifyingContract: acc.asset },
	    types, primaryType: "TransferWithAuthorization",
	    message: { ...auth, value: BigInt(auth.value),
	        validAfter: BigInt(auth.validAfter), validBefore: BigInt(auth.validBefore) } });
	out.push(Buffer.from(JSON.stringify({ x402Version: 2,
	    payload: { authorization: auth, signature },
	    resource: req.resource, accepted: acc })).toString("base64"));
}
console.log(out.join("\n"));' "$1" "$2") >"$3"
}
T0=$(date +%s)
sign 500 "$PR" "$X402_OUT/paid.headers"
sign 30 "$PRV" "$X402_OUT/vg.headers"
eq "500 payments signed" "$(wc -l <"$X402_OUT/paid.headers")" 500
echo "# signing: $(($(date +%s) - T0)) s"

# batch URL UNPAID PAID_FROM PAID_TO [BAD [REPLAY_FROM REPLAY_TO]]: one
# curl, many requests on one connection: UNPAID plain ones, then the paid
# headers PAID_FROM..PAID_TO of $HEADERS, then BAD garbage ones, then the
# already used headers REPLAY_FROM..REPLAY_TO again, then one plain
# request; prints the codes.
batch() {
	cfg=$X402_OUT/batch.cfg
	: >"$cfg"
	i=0
	while [ $i -lt "$2" ]; do
		printf 'url = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nnext\n' "$1" >>"$cfg"
		i=$((i + 1))
	done
	[ "$3" -le "$4" ] && sed -n "$3,$4p" "$HEADERS" | while read -r h; do
		printf 'url = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nheader = "PAYMENT-SIGNATURE: %s"\ndata = "some body"\nnext\n' \
		    "$1" "$h" >>"$cfg"
	done
	i=0
	while [ $i -lt "${5:-0}" ]; do
		printf 'url = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nheader = "PAYMENT-SIGNATURE: eyJ4NDAyVmVyc2lvbiI6Mn0=%d"\nnext\n' "$1" $i >>"$cfg"
		i=$((i + 1))
	done
	[ -n "${6:-}" ] && sed -n "$6,$7p" "$HEADERS" | while read -r h; do
		printf 'url = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nheader = "PAYMENT-SIGNATURE: %s"\nnext\n' \
		    "$1" "$h" >>"$cfg"
	done
	printf 'url = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$1" >>"$cfg"
	curl -s --config "$cfg"
}

worker_pid() {
	ps -eo pid=,args= | grep -F "$GATE -c $X402_OUT/mem.conf" |
	    grep -v grep | awk '{print $1; exit}'
}
rss_kb() {
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

# --- 1. growth ------------------------------------------------------------
HEADERS=$X402_OUT/paid.headers
before=$(balance "$PAYTO")
T0=$(date +%s)
# The first 1,000 (with the one above): 848 unpaid, 100 paid, 40 bad,
# 10 replays, 1 unpaid.
batch "$BASE/mem" 848 1 100 40 1 10 >"$X402_OUT/codes1"
W=$(worker_pid)
check "one worker ($W)" test -n "$W"
RSS1=$(rss_kb "$W")
# The other 9,000: 7,649 unpaid, 400 paid, 860 bad, 90 replays, 1 unpaid.
batch "$BASE/mem" 7649 101 500 860 11 100 >"$X402_OUT/codes2"
W2=$(worker_pid)
RSS2=$(rss_kb "$W2")
echo "# 10,000 requests: $(($(date +%s) - T0)) s"
eq "the same worker served them all" "$W2" "$W"
eq "1,000 requests, then 9,000" \
    "$(($(wc -l <"$X402_OUT/codes1") + 1)) $(wc -l <"$X402_OUT/codes2")" \
    "1000 9000"
eq "8,500 unpaid, 900 bad and 100 replays answered 402" \
    "$(cat "$X402_OUT/codes1" "$X402_OUT/codes2" | grep -c '^402$')" 9499
eq "500 paid answered 200" \
    "$(cat "$X402_OUT/codes1" "$X402_OUT/codes2" | grep -c '^200$')" 500
eq "500 paid runs (no replay ran)" "$(wc -l <"$X402_OUT/work/runs.log")" 500
eq "500 receipts" "$(ls "$X402_OUT/spool-mem/new" | wc -l)" 500
eq "no receipt draft left" "$(ls "$X402_OUT/claims-mem/drafts" | wc -l)" 0
after=$(balance "$PAYTO")
eq "500 payments moved 500 prices" "$((after - before))" 500000
echo "# VmRSS after 1,000 requests: $RSS1 kB; after 10,000: $RSS2 kB"
if sanitized; then
	skip "VmRSS grew by at most $RSS_SLACK_KB kB ($RSS1 -> $RSS2 kB)"
else
	check "VmRSS grew by at most $RSS_SLACK_KB kB from the 1,000th to the 10,000th request ($RSS1 -> $RSS2 kB)" \
	    test $((RSS2 - RSS1)) -le "$RSS_SLACK_KB"
fi

# --- 2. valgrind ----------------------------------------------------------
# 200 requests to a fresh worker (the 402 above was its first): 149
# unpaid, 30 paid, 20 bad; it exits after the 200th.
HEADERS=$X402_OUT/vg.headers
rm -f "$X402_OUT/work/runs.log"
# The worker that serves them (by pid: once it exits, lighttpd may spawn
# a successor with the same command line), among our lighttpd's children
# only.
vgpid=$(pgrep -o -P "$LPID" -f -- "-n 200 -c $X402_OUT/vg.conf")
batch "$BASE/vg" 148 1 30 20 >"$X402_OUT/codes-vg"
eq "valgrind worker: 30 paid answered 200" "$(grep -c '^200$' "$X402_OUT/codes-vg")" 30
eq "valgrind worker: 169 refused with 402" "$(grep -c '^402$' "$X402_OUT/codes-vg")" 169
eq "valgrind worker: 30 runs" "$(wc -l <"$X402_OUT/work/runs.log")" 30
if sanitized; then
	n=0
	while kill -0 "${vgpid:-0}" 2>/dev/null &&
	    [ $n -lt $((300 * X402_TEST_SCALE)) ]; do
		sleep 0.1
		n=$((n + 1))
	done
	check "one worker ($vgpid) served them" test -n "$vgpid"
	kill -0 "${vgpid:-0}" 2>/dev/null
	check "the worker exited by itself after -n 200" test $? -ne 0
	skip "valgrind: the worker's log (the sanitizers check this worker)"
	finish
	exit
fi
n=0
while ! grep -qs "ERROR SUMMARY" "$VGLOG".*.log && [ $n -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
first=$(grep -ls "ERROR SUMMARY" "$VGLOG".*.log | head -1)
check "the worker exited by itself after -n 200" test -n "$first"
if [ -n "$first" ]; then
	check "valgrind: ERROR SUMMARY: 0 errors" grep -q "ERROR SUMMARY: 0 errors" "$first"
	check "valgrind: nothing definitely lost" sh -c "! grep -q 'definitely lost: [1-9]' '$first'"
	grep -E "definitely|ERROR SUMMARY|in use at exit" "$first" | sed 's/^/# /'
	grep -q "ERROR SUMMARY: 0 errors" "$first" || head -60 "$first"
fi

finish
