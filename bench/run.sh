#!/bin/sh
# bench/run.sh - x402-gate against a bare FastCGI responder and the official
# x402 v2 server, everything on 127.0.0.1, each row measured side by side in
# the same run, then a table (docs/BENCHMARKS.md explains every row).
#
#   sh bench/run.sh [OUTDIR]          (default OUTDIR /tmp/x402-bench)
#
# From a clean checkout: installs what is missing (scripts/deps.sh test,
# which includes wrk; SKIP_DEPS=1 skips it), builds into $X402_BUILD
# (default ./build) when needed, plus the bench programs.  Environment:
# DUR (wrk seconds per measurement, default 6), ROUNDS (alternations of
# the 402 row, default 2), CONN (connections, 402 row, default 32),
# PCONN (connections, paid rows, default 8).  About 3-4 minutes.
# BENCH_SMOKE=1: every row once for a second (DUR=1, ROUNDS=1), so that
# scripts/test.sh (stage bench) proves the benchmark still builds and runs;
# its figures mean nothing and are never asserted.
# The run ends with one machine-readable line per target of docs/BENCHMARKS.md,
# "ratio ROW VALUE", to track progress from run to run.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
X402_TOP=$TOP
X402_BUILD=${X402_BUILD:-$TOP/build}
X402_OUT=${1:-/tmp/x402-bench}
if [ -n "${BENCH_SMOKE:-}" ]; then
	DUR=1
	ROUNDS=1
fi
DUR=${DUR:-6}
ROUNDS=${ROUNDS:-2}
CONN=${CONN:-32}
PCONN=${PCONN:-8}
export X402_TOP X402_BUILD X402_OUT

[ -n "${SKIP_DEPS:-}" ] || sh "$TOP/scripts/deps.sh" test || exit 1
if [ ! -x "$X402_BUILD/src/gate/x402-gate" ]; then
	sh "$TOP/scripts/build.sh" "$X402_BUILD" || exit 1
fi
make -C "$X402_BUILD" -j2 all bench-programs bench/bench_verify \
    >/dev/null || exit 1
# bench/express-stub.mjs resolves its packages from tests/chain.
ln -sfn ../tests/chain/node_modules "$TOP/bench/node_modules"

. "$TOP/tests/integration/lib.sh"
trap 'cleanup; [ -n "${SHM:-}" ] && rm -rf "$SHM"' EXIT INT TERM
B=$X402_BUILD/bench
ROWS=$X402_OUT/rows.txt
: >"$ROWS"

# ---- measurement helpers ---------------------------------------------------

# to_ms "1.23ms" -> 1.230
to_ms() {
	echo "$1" | awk '{v=$1+0; if ($1 ~ /us$/) v/=1000; else if ($1 ~ /ms$/) v=v;
	    else if ($1 ~ /s$/) v*=1000; printf "%.3f", v}'
}

# bench NAME CONNS URL [HEADERS]: one wrk run (with HEADERS: each request
# pays with its own line of HEADERS, bench/paid.lua); appends
# "NAME rps p50ms p99ms non2xx requests" to $ROWS.
bench() {
	name=$1 c=$2 url=$3
	f=$X402_OUT/wrk-$name.txt
	if [ $# -gt 3 ]; then
		wrk -t2 -c"$c" -d"${DUR}s" --latency -s "$TOP/bench/paid.lua" \
		    "$url" -- "$4" >"$f" 2>&1
	else
		wrk -t2 -c"$c" -d"${DUR}s" --latency "$url" >"$f" 2>&1
	fi
	rps=$(awk '/^Requests\/sec/ {print $2}' "$f")
	p50=$(to_ms "$(awk '$1=="50%" {print $2}' "$f")")
	p99=$(to_ms "$(awk '$1=="99%" {print $2}' "$f")")
	bad=$(awk '/Non-2xx/ {print $NF}' "$f")
	n=$(awk '/requests in/ {print $1}' "$f")
	echo "$name ${rps:-0} $p50 $p99 ${bad:-0} ${n:-0}" >>"$ROWS"
	printf '  %-22s %10s req/s  p50 %8s ms  p99 %8s ms  non-2xx %s\n' \
	    "$name" "${rps:-0}" "$p50" "$p99" "${bad:-0}"
}

# route NAME MODE [DIR]: writes $X402_OUT/NAME.conf (trivial command, 1000
# atomic USDC on base-sepolia / eip155:84532); claims, spool and work
# directory under DIR (default $X402_OUT, on disk).
route() {
	d=${3:-$X402_OUT}/r-$1
	mkdir -p "$d/work"
	cat >"$X402_OUT/$1.conf" <<CONF
[route]
command = /bin/echo paid content
description = bench
mime_type = text/plain
price = 1000
pay_to = $PAYTO
accept = base-sepolia
max_timeout = 300
command_timeout = 10s
workdir = $d/work

[gate]
settlement = $2
log_level = warning

[facilitator]
url = $FACILITATOR_URL
timeout = 20s

[local]
rpc_url = $RPC_URL
relayer_key = $X402_OUT/relayer.key
receipt_timeout = 30s

[paths]
spool = $d/spool
claims = $d/claims
fallback = $d/fallback
CONF
}

# pr URL: the PAYMENT-REQUIRED header value of an unpaid request.
pr() {
	curl -s -D - -o /dev/null "$1" | tr -d '\r' |
	    awk 'tolower($1) == "payment-required:" {print $2; exit}'
}

# sign URL N FILE: N fresh authorizations for URL's offer.
sign() {
	p=$(pr "$1")
	[ -n "$p" ] || { echo "no PAYMENT-REQUIRED from $1"; exit 1; }
	"$B/presign" "$p" "$PAYER_KEY" "$2" >"$3" || exit 1
}

# rss PID: "VmHWM VmRSS Private" in KiB (Private: pages of this process
# alone, Private_Clean + Private_Dirty; the rest of RSS is shared
# libraries' pages, shared with every process mapping them).
rss() {
	h=$(awk '/^VmHWM/ {h=$2} /^VmRSS/ {r=$2} END {print h+0, r+0}' \
	    "/proc/$1/status" 2>/dev/null)
	p=$(awk '/^Private_(Clean|Dirty)/ {s+=$2} END {print s+0}' \
	    "/proc/$1/smaps_rollup" 2>/dev/null)
	echo "$h $p"
}

# ---- set-up ----------------------------------------------------------------

echo "bench: chain, facilitator, servers"
start_chain || exit 1
start_facilitator || exit 1
printf '%s\n' "${RELAYER_KEY#0x}" >"$X402_OUT/relayer.key"
chmod 600 "$X402_OUT/relayer.key"
route local local
route facil facilitator
route stub local
# The same stub route with its claims and receipts on tmpfs, where fsync
# costs nothing: what the gate's code costs apart from the disk.
SHM=/dev/shm/x402-bench.$$
route shm local "$SHM"
for r in local facil stub shm; do
	"$GATE" -t -c "$X402_OUT/$r.conf" >/dev/null || exit 1
done

PORT=$(freeport)
BASE=http://127.0.0.1:$PORT
# The bare responder answers the gate's own 402, byte for byte (captured
# below, before lighttpd spawns it).
cat >"$X402_OUT/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$X402_OUT"
server.errorlog = "$X402_OUT/lighttpd-error.log"
server.pid-file = "$X402_OUT/lighttpd.pid"
server.max-connections = 1024
server.modules = ( "mod_fastcgi" )
fastcgi.server = (
 "/local" => (( "socket" => "$X402_OUT/local.sock", "bin-path" => "$GATE -c $X402_OUT/local.conf", "max-procs" => 2, "check-local" => "disable" )),
 "/facil" => (( "socket" => "$X402_OUT/facil.sock", "bin-path" => "$GATE -c $X402_OUT/facil.conf", "max-procs" => 2, "check-local" => "disable" )),
 "/stub" => (( "socket" => "$X402_OUT/stub.sock", "bin-path" => "$B/x402-gate-stub -c $X402_OUT/stub.conf", "max-procs" => 2, "check-local" => "disable" )),
 "/shm" => (( "socket" => "$X402_OUT/shm.sock", "bin-path" => "$B/x402-gate-stub -c $X402_OUT/shm.conf", "max-procs" => 2, "check-local" => "disable" )),
 "/hello" => (( "socket" => "$X402_OUT/hello.sock", "bin-path" => "$B/fcgi-hello $X402_OUT/hello.resp", "max-procs" => 2, "check-local" => "disable" )),
)
CONF
# The canned 402 for fcgi-hello: the gate's reply as CGI output, from
# x402-gate itself run once as a CGI program.
REQUEST_METHOD=GET HTTP_HOST=127.0.0.1:$PORT REQUEST_URI=/hello \
    SERVER_NAME=127.0.0.1 GATEWAY_INTERFACE=CGI/1.1 \
    "$GATE" -c "$X402_OUT/local.conf" </dev/null >"$X402_OUT/hello.resp" \
    2>"$X402_OUT/hello.err"
if ! grep -q "^Status: 402" "$X402_OUT/hello.resp"; then
	echo "cannot capture the gate's 402 as CGI output:"
	head -c 600 "$X402_OUT/hello.resp" "$X402_OUT/hello.err"
	exit 1
fi
/usr/sbin/lighttpd -D -f "$X402_OUT/lighttpd.conf" >"$X402_OUT/lighttpd.out" 2>&1 &
LPID=$!
PIDS="$PIDS $LPID"
wait_http "$BASE/hello" || { cat "$X402_OUT/lighttpd-error.log"; exit 1; }

OP=$(freeport)
node "$CHAIN/server-v2.mjs" --port "$OP" --facilitator "$FACILITATOR_URL" \
    --pay-to "$PAYTO" --amount 1000 --path /bench --max-timeout 300 \
    >"$X402_OUT/official.log" 2>&1 &
OPID=$!
PIDS="$PIDS $OPID"
SP=$(freeport)
node "$TOP/bench/express-stub.mjs" --port "$SP" --pay-to "$PAYTO" \
    --amount 1000 --path /bench >"$X402_OUT/express-stub.log" 2>&1 &
SPID=$!
PIDS="$PIDS $SPID"
XP=$(freeport)
node "$TOP/bench/express-stub.mjs" --port "$XP" --pay-to "$PAYTO" \
    --amount 1000 --path /bench --exec /bin/echo \
    >"$X402_OUT/express-exec.log" 2>&1 &
XPID=$!
PIDS="$PIDS $XPID"
wait_for "$X402_OUT/official.log" listening || exit 1
wait_for "$X402_OUT/express-stub.log" listening || exit 1
wait_for "$X402_OUT/express-exec.log" listening || exit 1
OFF=http://127.0.0.1:$OP/bench
STUB=http://127.0.0.1:$SP/bench
XSTUB=http://127.0.0.1:$XP/bench
for u in "$BASE/hello" "$BASE/local" "$OFF" "$STUB" "$XSTUB"; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$u")
	[ "$code" = 402 ] || { echo "$u answers $code, not 402"; exit 1; }
done
printf 'bench: 402 sizes (headers+body): hello %s, gate %s, official %s bytes\n' \
    "$(curl -s -D - "$BASE/hello" | wc -c)" "$(curl -s -D - "$BASE/local" | wc -c)" \
    "$(curl -s -D - "$OFF" | wc -c)"

# ---- 1. the 402 path -------------------------------------------------------

echo "row 1: unpaid requests (402), wrk -t2 -c$CONN -d${DUR}s, $ROUNDS rounds"
i=1
while [ "$i" -le "$ROUNDS" ]; do
	bench "402-hello-$i" "$CONN" "$BASE/hello"
	bench "402-gate-$i" "$CONN" "$BASE/local"
	bench "402-official-$i" "$CONN" "$OFF"
	i=$((i + 1))
done

# ---- 2. paid path, in-process stub settlement ------------------------------

echo "row 2: paid, stub settlement in-process, wrk -t2 -c$PCONN -d${DUR}s"
sign "$BASE/stub" 5000 "$X402_OUT/h-stub.txt"
sign "$BASE/shm" 30000 "$X402_OUT/h-shm.txt"
sign "$STUB" 60000 "$X402_OUT/h-express.txt"
sign "$XSTUB" 5000 "$X402_OUT/h-express-exec.txt"
bench paid-stub-gate "$PCONN" "$BASE/stub" "$X402_OUT/h-stub.txt"
bench paid-stub-gate-tmpfs "$PCONN" "$BASE/shm" "$X402_OUT/h-shm.txt"
bench paid-stub-official "$PCONN" "$STUB" "$X402_OUT/h-express.txt"
bench paid-stub-official-exec "$PCONN" "$XSTUB" "$X402_OUT/h-express-exec.txt"

# fsync and fdatasync calls on a paid request's path: the stub gate run as
# plain CGI under strace, once per fresh payment (its command, /bin/echo,
# syncs nothing; start-up syncs nothing either), claims and receipts on disk.
echo "row 2d: fsync/fdatasync calls per paid request (strace, file store)"
NSYNC=20
sign "$BASE/stub" "$NSYNC" "$X402_OUT/h-sync.txt"
: >"$X402_OUT/sync.txt"
k=0
while read -r h; do
	k=$((k + 1))
	REQUEST_METHOD=GET HTTP_HOST=127.0.0.1:$PORT REQUEST_URI=/stub \
	    SCRIPT_NAME=/stub SERVER_NAME=127.0.0.1 SERVER_PORT=$PORT \
	    GATEWAY_INTERFACE=CGI/1.1 HTTP_PAYMENT_SIGNATURE=$h \
	    strace -f -qq -e trace=fsync,fdatasync,sync_file_range,syncfs \
	    -o "$X402_OUT/strace.$k" "$B/x402-gate-stub" -c "$X402_OUT/stub.conf" \
	    </dev/null >"$X402_OUT/sync-reply.$k" 2>/dev/null
	grep -q '^Status: 200' "$X402_OUT/sync-reply.$k" ||
	    { echo "paid CGI request $k not served:"; head -c 400 "$X402_OUT/sync-reply.$k"; exit 1; }
	grep -c 'sync' "$X402_OUT/strace.$k" >>"$X402_OUT/sync.txt"
done <"$X402_OUT/h-sync.txt"
SYNCS=$(awk '{s+=$1; n++} END {printf "%.1f", n ? s/n : 0}' "$X402_OUT/sync.txt")
echo "  $SYNCS per paid request (mean of $k)"
echo "row 2b: the gate's own cost per paid request (bench_paid, in-process)"
route micro local
route microshm local "$SHM"
sign "$BASE/stub" 1000 "$X402_OUT/h-micro.txt"
sign "$BASE/stub" 3000 "$X402_OUT/h-microshm.txt"
echo "  claims and receipts on disk ($X402_OUT):"
"$B/bench_paid" "$X402_OUT/micro.conf" "$X402_OUT/h-micro.txt" 1000 \
    | tee "$X402_OUT/bench_paid.txt"
echo "  claims and receipts on tmpfs ($SHM):"
"$B/bench_paid" "$X402_OUT/microshm.conf" "$X402_OUT/h-microshm.txt" 3000 \
    | tee "$X402_OUT/bench_paid_tmpfs.txt"
echo "row 2c: local verification against its floor (bench_verify)"
"$B/bench_verify" 5000 5 | tee "$X402_OUT/bench_verify.txt" | tail -4

# ---- 3. paid path end to end on anvil --------------------------------------

echo "row 3: paid, real settlement on anvil, wrk -t2 -c$PCONN -d${DUR}s"
sign "$BASE/local" 4000 "$X402_OUT/h-local.txt"
sign "$BASE/facil" 4000 "$X402_OUT/h-facil.txt"
sign "$OFF" 4000 "$X402_OUT/h-off.txt"
bench e2e-gate-local "$PCONN" "$BASE/local" "$X402_OUT/h-local.txt"
bench e2e-gate-facilitator "$PCONN" "$BASE/facil" "$X402_OUT/h-facil.txt"
bench e2e-official "$PCONN" "$OFF" "$X402_OUT/h-off.txt"

# ---- 4. memory -------------------------------------------------------------

echo "row 4: peak memory (VmHWM) and current RSS, KiB"
MEM=$X402_OUT/mem.txt
: >"$MEM"
for p in $(pgrep -P "$LPID"); do
	what=$(tr '\0' ' ' <"/proc/$p/cmdline" | awk '{n=split($1,a,"/"); print a[n]}')
	case $(tr '\0' ' ' <"/proc/$p/cmdline") in
	*local.conf*) what="x402-gate(local)" ;;
	*facil.conf*) what="x402-gate(facilitator)" ;;
	*stub.conf*) what="x402-gate-stub" ;;
	*shm.conf*) what="x402-gate-stub(tmpfs)" ;;
	esac
	echo "$what $p $(rss "$p")" >>"$MEM"
done
echo "lighttpd $LPID $(rss "$LPID")" >>"$MEM"
echo "official-express $OPID $(rss "$OPID")" >>"$MEM"
echo "express-stub $SPID $(rss "$SPID")" >>"$MEM"
awk '{printf "  %-24s pid %-7s VmHWM %7d  VmRSS %7d  private %7d\n", $1, $2, $3, $4, $5}' "$MEM"

# ---- the table -------------------------------------------------------------

get() { awk -v n="$1" -v f="$2" '$1==n {print $f}' "$ROWS"; }
avg() {	# avg PREFIX FIELD: mean over the rounds
	awk -v p="$1" -v f="$2" 'index($1,p)==1 {s+=$f; k++} END {printf "%.0f", k?s/k:0}' "$ROWS"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
step() { awk -v s="$1" '$1==s {print $2}' "$X402_OUT/bench_paid${2:-}.txt"; }

h=$(avg 402-hello- 2); g=$(avg 402-gate- 2); o=$(avg 402-official- 2)
rg=$(ratio "$g" "$h"); ro=$(ratio "$g" "$o")
echo
echo "| row | x402-gate | comparison | ratio |"
echo "| --- | --- | --- | --- |"
i=1
while [ "$i" -le "$ROUNDS" ]; do
	echo "| 1. 402 path, round $i (req/s) | $(get 402-gate-$i 2) | bare FastCGI $(get 402-hello-$i 2), official $(get 402-official-$i 2) | gate/bare $(ratio "$(get 402-gate-$i 2)" "$(get 402-hello-$i 2)"), gate/official $(ratio "$(get 402-gate-$i 2)" "$(get 402-official-$i 2)") |"
	i=$((i + 1))
done
echo "| 1. 402 path, mean (req/s) | $g | bare FastCGI $h, official $o | **gate/bare $rg**, **gate/official $ro** |"
echo "| 2. paid, stub settlement (req/s) | $(get paid-stub-gate 2) (p50 $(get paid-stub-gate 3) ms, p99 $(get paid-stub-gate 4) ms, non-2xx $(get paid-stub-gate 5)) | official + in-process stub $(get paid-stub-official 2) (p50 $(get paid-stub-official 3) ms, p99 $(get paid-stub-official 4) ms, non-2xx $(get paid-stub-official 5)) | gate/official $(ratio "$(get paid-stub-gate 2)" "$(get paid-stub-official 2)") |"
echo "| 2. paid, stub settlement, claims+receipts on tmpfs (req/s) | $(get paid-stub-gate-tmpfs 2) (p50 $(get paid-stub-gate-tmpfs 3) ms, p99 $(get paid-stub-gate-tmpfs 4) ms, non-2xx $(get paid-stub-gate-tmpfs 5)) | official + in-process stub $(get paid-stub-official 2) | gate/official $(ratio "$(get paid-stub-gate-tmpfs 2)" "$(get paid-stub-official 2)") |"
echo "| 2. paid, stub settlement, vs official whose handler runs the same command (execFile /bin/echo) (req/s) | $(get paid-stub-gate 2) | official + in-process stub + execFile $(get paid-stub-official-exec 2) (p50 $(get paid-stub-official-exec 3) ms, non-2xx $(get paid-stub-official-exec 5)) | gate/official $(ratio "$(get paid-stub-gate 2)" "$(get paid-stub-official-exec 2)") |"
echo "| 2d. fsync/fdatasync calls per paid request (file store) | $SYNCS | | target <= 2 |"
echo "| 2b. gate's own cost per paid request, tmpfs (us, mean) | decode $(step decode _tmpfs) + verify $(step verify _tmpfs) + claim $(step claim _tmpfs) + receipt $(step receipt _tmpfs) = **$(step own _tmpfs)**; run (fork/exec /bin/echo) $(step run _tmpfs) | | |"
echo "| 2b. gate's own cost per paid request (us, mean) | decode $(step decode) + verify $(step verify) + claim $(step claim) + receipt $(step receipt) = **$(step own)**; run (fork/exec /bin/echo) $(step run) | official middleware with stub: 1e6 / req/s = $(awk -v r="$(get paid-stub-official 2)" 'BEGIN {printf "%.0f", (r > 0 ? 1e6 / r : 0)}') us per request of CPU-bound server time (one node process) | |"
echo "| 2c. local verification / floor | $(awk '/^ratio \(a\)\/\(b\)/ {print $4}' "$X402_OUT/bench_verify.txt") | secp256k1_ecdsa_recover + Keccak-256 | target <= 1.3 |"
for n in e2e-gate-local e2e-gate-facilitator e2e-official; do
	echo "| 3. $n (req/s, p50, p99) | $(get $n 2) req/s, p50 $(get $n 3) ms, p99 $(get $n 4) ms, non-2xx $(get $n 5) | | |"
done
echo "| 3. local/facilitator throughput | $(ratio "$(get e2e-gate-local 2)" "$(get e2e-gate-facilitator 2)") | gate local / official server+facilitator $(ratio "$(get e2e-gate-local 2)" "$(get e2e-official 2)") | |"
awk '{printf "| 4. memory %s (pid %s) | VmHWM %.1f MiB | VmRSS %.1f MiB, private %.1f MiB | |\n", $1, $2, $3/1024, $4/1024, $5/1024}' "$MEM"
rm -rf "$SHM"

# One line per target row (docs/BENCHMARKS.md), for tracking from run to
# run: throughput ratios gate/peer, p50 ratios gate/peer (lower is
# better), syncs per request, and the gate worker's peak memory over the
# official server's.
gw=$(awk '$1=="x402-gate(local)" {print $3; exit}' "$MEM")
ow=$(awk '$1=="official-express" {print $3; exit}' "$MEM")
echo
echo "ratio fsyncs-per-paid-request $SYNCS"
echo "ratio paid-stub-tmpfs-vs-official-stub $(ratio "$(get paid-stub-gate-tmpfs 2)" "$(get paid-stub-official 2)")"
echo "ratio paid-stub-ext4-vs-official-stub $(ratio "$(get paid-stub-gate 2)" "$(get paid-stub-official 2)")"
echo "ratio paid-stub-vs-official-stub-execfile $(ratio "$(get paid-stub-gate 2)" "$(get paid-stub-official-exec 2)")"
echo "ratio e2e-local-vs-official $(ratio "$(get e2e-gate-local 2)" "$(get e2e-official 2)")"
echo "ratio e2e-local-p50-vs-official $(ratio "$(get e2e-gate-local 3)" "$(get e2e-official 3)")"
echo "ratio e2e-facilitator-vs-official $(ratio "$(get e2e-gate-facilitator 2)" "$(get e2e-official 2)")"
echo "ratio e2e-facilitator-p50-vs-official $(ratio "$(get e2e-gate-facilitator 3)" "$(get e2e-official 3)")"
echo "ratio worker-vmhwm-vs-official $(ratio "${gw:-0}" "${ow:-0}")"
echo "bench: done; raw wrk output in $X402_OUT"
