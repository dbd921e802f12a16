# lib.sh - shared set-up for the integration tests (sourced, POSIX sh).
#
# Environment (set by scripts/test.sh): X402_TOP (source dir), X402_BUILD
# (build dir with the programs), X402_OUT (a scratch directory for this
# test).  Every server listens on 127.0.0.1 only and is stopped on exit.
# Optional: X402_SANITIZED=1 when X402_BUILD is an ASan+UBSan build (checks
# of memory figures or speed are skipped there, see `sanitized`), and
# X402_TEST_SCALE (how much slower the programs run: time bounds scale).
set -u

: "${X402_TOP:?}" "${X402_BUILD:?}" "${X402_OUT:?}"
X402_SANITIZED=${X402_SANITIZED:-0}
X402_TEST_SCALE=${X402_TEST_SCALE:-1}
case $X402_TEST_SCALE in ''|*[!0-9]*|0) X402_TEST_SCALE=1 ;; esac
export X402_SANITIZED X402_TEST_SCALE
CHAIN=$X402_TOP/tests/chain
GATE=$X402_BUILD/src/gate/x402-gate
PASSED=0
FAILED=0
SKIPPED=0
PIDS=

rm -rf "$X402_OUT"
mkdir -p "$X402_OUT"

ok() {
	PASSED=$((PASSED + 1))
	echo "ok - $*"
}

not_ok() {
	FAILED=$((FAILED + 1))
	echo "not ok - $*"
}

# check NAME CMD...: passes when CMD succeeds.
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# eq NAME GOT WANT
eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}

# sanitized: true when the programs are an ASan+UBSan build, where RSS,
# valgrind and speed figures mean nothing: `sanitized && skip NAME || check`.
sanitized() {
	[ "$X402_SANITIZED" = 1 ]
}

# skip NAME: a check that does not apply to this build (never a failure).
skip() {
	SKIPPED=$((SKIPPED + 1))
	echo "ok - $* # SKIP under a sanitizer build"
}

# scaled SECONDS: a time bound, times X402_TEST_SCALE.
scaled() {
	echo $(( $1 * X402_TEST_SCALE ))
}

finish() {
	if [ "$SKIPPED" -gt 0 ]; then
		echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	else
		echo "$PASSED passed, $FAILED failed"
	fi
	[ "$FAILED" -eq 0 ]
}

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	[ -d "$X402_OUT/chain" ] && "$CHAIN/stop-chain.sh" "$X402_OUT/chain" \
	    >/dev/null 2>&1
	return 0
}
trap cleanup EXIT INT TERM

freeport() {
	node "$CHAIN/freeport.mjs" "${1:-1}"
}

# wait_for FILE TEXT [SECONDS]: until FILE contains TEXT.
wait_for() {
	n=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt $(( ${3:-15} * 10 * X402_TEST_SCALE )) ] && { echo "timeout waiting for '$2' in $1"; cat "$1"; return 1; }
		sleep 0.1
	done
}

# wait_http URL [SECONDS]: until something answers.
wait_http() {
	n=0
	while ! curl -s -o /dev/null --max-time 1 "$1"; do
		n=$((n + 1))
		[ $n -gt $(( ${2:-15} * 10 * X402_TEST_SCALE )) ] && { echo "timeout waiting for $1"; return 1; }
		sleep 0.1
	done
}

start_chain() {
	mkdir -p "$X402_OUT/chain"
	"$CHAIN/start-chain.sh" "$X402_OUT/chain" "$(freeport)" \
	    >"$X402_OUT/chain.log" 2>&1 || { cat "$X402_OUT/chain.log"; return 1; }
	set -a
	. "$X402_OUT/chain/chain.env"
	set +a
}

# start_facilitator: sets FACILITATOR_URL (on port $FAC_PORT if set).
start_facilitator() {
	fp=${FAC_PORT:-$(freeport)}
	node "$CHAIN/facilitator.mjs" --port "$fp" --rpc "$RPC_URL" \
	    --key "$FACILITATOR_KEY" --log "$X402_OUT/facilitator.jsonl" \
	    "$@" >"$X402_OUT/facilitator.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for "$X402_OUT/facilitator.log" "listening" || return 1
	FACILITATOR_URL=http://127.0.0.1:$fp
}

# lighttpd_gates NAME...: lighttpd on 127.0.0.1:$PORT serving each /NAME
# with x402-gate $GATE_ARGS -c $X402_OUT/NAME.conf (FastCGI, $GATE_PROCS
# workers each, default 1); $LIGHTTPD_EXTRA is added to the server's
# settings; $LIGHTTPD_AS (words, e.g. "setpriv --reuid=U ... --") is
# put before lighttpd to run it as another user; waits until /FIRST
# answers.  lighttpd -D sends the gates' stderr to $X402_OUT/lighttpd.out.
lighttpd_gates() {
	{
		cat <<CONF
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$X402_OUT"
server.errorlog = "$X402_OUT/lighttpd-error.log"
server.pid-file = "$X402_OUT/lighttpd.pid"
server.modules = ( "mod_fastcgi" )
${LIGHTTPD_EXTRA:-}
fastcgi.server = (
CONF
		for n in "$@"; do
			printf '\t"/%s" => (( "socket" => "%s/%s.sock", "bin-path" => "%s %s-c %s/%s.conf", "max-procs" => %s, "check-local" => "disable" )),\n' \
			    "$n" "$X402_OUT" "$n" "$GATE" "${GATE_ARGS:+$GATE_ARGS }" \
			    "$X402_OUT" "$n" "${GATE_PROCS:-1}"
		done
		echo ")"
	} >"$X402_OUT/lighttpd.conf"
	${LIGHTTPD_AS:-} /usr/sbin/lighttpd -D -f "$X402_OUT/lighttpd.conf" \
	    >"$X402_OUT/lighttpd.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_http "http://127.0.0.1:$PORT/$1" ||
	    { cat "$X402_OUT/lighttpd-error.log"; return 1; }
}

# meter_route LINES NAME: a route file (on stdout) selling
# tests/integration/fixtures/meter (priced per byte of input, like a
# text-to-speech per character) with the extra [route] LINES, settlement
# $MODE (default facilitator) through $FAC_URL or $FACILITATOR_URL, or
# locally with $X402_OUT/relayer.key; spool $X402_OUT/spool-NAME.
meter_route() {
	cat <<CONF
[route]
command = $X402_TOP/tests/integration/fixtures/meter
description = Speaks text, priced per character
mime_type = text/plain
pay_to = $PAYTO
max_timeout = 300
command_timeout = 10s
workdir = $X402_OUT/work
$1

[gate]
settlement = ${MODE:-facilitator}

[facilitator]
url = ${FAC_URL:-$FACILITATOR_URL}
timeout = 20s

[local]
rpc_url = $RPC_URL
relayer_key = $X402_OUT/relayer.key
receipt_timeout = ${RECEIPT_TIMEOUT:-30s}

[paths]
spool = $X402_OUT/spool-$2
claims = $X402_OUT/claims
fallback = $X402_OUT/fallback
CONF
}

balance() {
	node "$CHAIN/balance.mjs" "$1" | awk '{print $2}'
}

# b64json: decode a base64 JSON header value from stdin, compactly.
b64json() {
	base64 -d | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);const k=process.argv[1];console.log(k?JSON.stringify(k.split(".").reduce((a,x)=>a==null?a:a[x],o)):JSON.stringify(o))})' "${1:-}"
}

# header NAME FILE: the value of a response header in a curl -D dump.
header() {
	tr -d '\r' <"$2" | awk -v n="$1" 'BEGIN{IGNORECASE=1} tolower($0) ~ "^" tolower(n) ":" {sub(/^[^:]*: */,""); print; exit}'
}
