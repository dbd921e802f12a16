#!/bin/sh
# preflight.sh - x402-gate -t checks what can be checked before a request
# arrives, one line each, with a sysexits status (0, 78 EX_CONFIG, 69
# EX_UNAVAILABLE): the command, key modes, directory rights for -u USER,
# the example's placeholder pay_to, -g, the facilitator's /supported and
# the node's chain id.  Then a gate whose facilitator is away at start-up
# (real lighttpd, anvil, the official facilitator): 402 for unpaid, 503 +
# Retry-After for paid (nothing claimed, nothing run), and once the
# facilitator is up a paid request succeeds without a restart.
. "$(dirname "$0")/lib.sh"

start_chain || exit 1
set -- $(freeport 2)
FAC_PORT=$1
PORT=$2
FAC_URL=http://127.0.0.1:$FAC_PORT	# nothing listens there yet
BASE=http://127.0.0.1:$PORT
chmod 0755 "$X402_OUT"
mkdir -p "$X402_OUT/work"
printf '%s\n' "${RELAYER_KEY#0x}" >"$X402_OUT/relayer.key"
chmod 600 "$X402_OUT/relayer.key"

# route NAME: $X402_OUT/NAME.conf, with $COMMAND, $ACCEPT, $MODE, $KEY,
# $PAY (pay_to) and the directories under $X402_OUT/NAME-*.
route() {
	cat >"$X402_OUT/$1.conf" <<CONF
[route]
command = ${COMMAND:-$X402_TOP/tests/integration/fixtures/counter}
price = 1000
pay_to = ${PAY:-$PAYTO}
accept = ${ACCEPT:-base-sepolia}
max_timeout = 300
command_timeout = 10s
workdir = $X402_OUT/work

[gate]
settlement = ${MODE:-facilitator}

[facilitator]
url = $FAC_URL
timeout = 20s

[local]
rpc_url = $RPC_URL
relayer_key = ${KEY:-$X402_OUT/relayer.key}

[paths]
spool = $X402_OUT/$1-spool
claims = $X402_OUT/$1-claims
fallback = $X402_OUT/$1-fallback
CONF
}

# pf NAME [ARGS]: x402-gate -t on NAME.conf; the output in NAME.t, the
# status in $rc.
pf() {
	n=$1
	shift
	"$GATE" -t -c "$X402_OUT/$n.conf" "$@" >"$X402_OUT/$n.t" 2>&1
	rc=$?
}

# has NAME TEXT: the last -t output of NAME has a line matching TEXT.
has() {
	grep -q "$2" "$X402_OUT/$1.t" || { cat "$X402_OUT/$1.t"; return 1; }
}

# 1. Facilitator away: every offline check passes, the status says so.
route good
pf good
eq "-t: facilitator away: exit 69 (EX_UNAVAILABLE)" "$rc" 69
check "-t: the command is checked" has good "^ok      \[route\] command .*counter is executable by root"
check "-t: the spool is checked" has good "^ok      \[paths\] spool .*good-spool does not exist; root can create it"
check "-t: the facilitator line says why" has good "^FAILED  \[facilitator\] url $FAC_URL: /supported: network error"
check "-t: root without -u is a warning" has good "^WARNING rights checked for root"
check "-t: a summary line" has good "good.conf: 1 failed (1 warning)$"

# 2. Configuration failures: 78, one line each, the other checks still run.
COMMAND=$X402_OUT/no-such-command route nocmd
pf nocmd
eq "-t: missing command: exit 78 (EX_CONFIG)" "$rc" 78
check "-t: missing command named" has nocmd "^FAILED  \[route\] command .*no-such-command: No such file"
printf '#!/bin/sh\necho hi\n' >"$X402_OUT/noexec"
chmod 0644 "$X402_OUT/noexec"
COMMAND=$X402_OUT/noexec route noexec
pf noexec
eq "-t: command not executable: exit 78" "$rc" 78
check "-t: command not executable named" has noexec "^FAILED  \[route\] command .*noexec is not executable by root"
PAY=0x0000000000000000000000000000000000000001 route placeholder
pf placeholder
eq "-t: placeholder pay_to: exit 78" "$rc" 78
check "-t: placeholder pay_to refused" has placeholder "^FAILED .*pay_to: 0x0000000000000000000000000000000000000001 is the example's placeholder"
check "-t: placeholder: the other checks ran" has placeholder "^ok      \[route\] command"
REQUEST_METHOD=GET "$GATE" -c "$X402_OUT/placeholder.conf" </dev/null >"$X402_OUT/placeholder.out" 2>&1
eq "start-up refuses the placeholder pay_to: exit 78 (EX_CONFIG)" "$?" 78
check "start-up names the placeholder" grep -q "example's placeholder" "$X402_OUT/placeholder.out"
pf good -g "$X402_OUT/missing.conf"
eq "-t: a missing -g FILE: exit 78" "$rc" 78
check "-t: a missing -g FILE named" has good "^FAILED  -g .*missing.conf: No such file"
REQUEST_METHOD=GET "$GATE" -c "$X402_OUT/good.conf" -g "$X402_OUT/missing.conf" </dev/null >"$X402_OUT/missing.out" 2>&1
eq "start-up refuses a missing -g FILE" "$?" 1
check "start-up names the missing -g FILE" grep -q "missing.conf" "$X402_OUT/missing.out"

# 3. Local settlement: key mode and the node's chain id.
cp "$X402_OUT/relayer.key" "$X402_OUT/relayer-0644.key"
chmod 0644 "$X402_OUT/relayer-0644.key"
MODE=local KEY=$X402_OUT/relayer-0644.key route openkey
pf openkey
eq "-t: relayer key of mode 0644: exit 78" "$rc" 78
check "-t: the key mode named" has openkey "^FAILED  \[local\] relayer_key .*relayer-0644.key has mode 0644"
MODE=local route local
pf local
eq "-t: local settlement on the right chain: exit 0" "$rc" 0
check "-t: the node's chain id is checked" has local "^ok      \[local\] rpc_url $RPC_URL is on chain 84532"
check "-t: the key mode is checked" has local "^ok      \[local\] relayer_key .* has mode 0600"
check "-t: ok summary" has local "local.conf: ok (1 offer, 1 warning)$"
MODE=local ACCEPT=base route wrongchain
pf wrongchain
eq "-t: a node on another chain: exit 78" "$rc" 78
check "-t: the chains named" has wrongchain "^FAILED  \[local\] rpc_url .* is on chain 84532; the offers are on 8453"

# 4. Directory rights for the gate's user (-u, a child that drops to it).
mkdir -p "$X402_OUT/good-spool" "$X402_OUT/good-claims" "$X402_OUT/good-fallback"
pf good -u nobody
eq "-t -u nobody: root's directories: exit 78" "$rc" 78
check "-t -u: the command is checked as nobody" has good "^ok      \[route\] command .* is executable by nobody"
check "-t -u: an unwritable spool named" has good "^FAILED  \[paths\] spool .*good-spool is not writable by nobody"
check "-t -u: no warning about root" sh -c "! grep -q '^WARNING' '$X402_OUT/good.t'"
chown -R nobody "$X402_OUT/good-spool" "$X402_OUT/good-claims" "$X402_OUT/good-fallback"
pf good -u nobody
eq "-t -u nobody: its own directories: only the facilitator fails (69)" "$rc" 69
check "-t -u: a writable spool" has good "^ok      \[paths\] spool .*good-spool is writable by nobody"
check "-t -u: leaves no probe file" sh -c "[ -z \"\$(ls -A '$X402_OUT/good-spool')\" ]"

# 5. The facilitator away at start-up: 402 and 503, then recovery.
rm -rf "$X402_OUT/good-spool" "$X402_OUT/good-claims" "$X402_OUT/good-fallback"
# An upto route: its 402 names the facilitator's address (/supported).
meter_route "accept_upto = base-sepolia
max_price = 50000
price_per_unit = 20" upto >"$X402_OUT/upto.conf"
lighttpd_gates good upto || exit 1
code=$(curl -s -D "$X402_OUT/hupto" -o "$X402_OUT/bupto" -w '%{http_code}' "$BASE/upto")
eq "facilitator away: an upto route answers unpaid requests with 503" "$code" 503
check "the upto 503 says why" grep -q "payment requirements unavailable" "$X402_OUT/bupto"
check "the upto 503 has a Retry-After" test -n "$(header Retry-After "$X402_OUT/hupto")"
code=$(curl -s -D "$X402_OUT/h402" -o /dev/null -w '%{http_code}' "$BASE/good")
eq "facilitator away: unpaid request gets 402" "$code" 402
PR=$(header PAYMENT-REQUIRED "$X402_OUT/h402")
check "facilitator away: the 402 carries the offer" test -n "$PR"
H=$(node "$CHAIN/payment-header.mjs" "$PR")
code=$(curl -s -D "$X402_OUT/h503" -o "$X402_OUT/b503" -w '%{http_code}' \
    -H "PAYMENT-SIGNATURE: $H" -d hello "$BASE/good")
eq "facilitator away: paid request gets 503" "$code" 503
check "503 says payment verification is unavailable" grep -q "payment verification unavailable" "$X402_OUT/b503"
RA=$(header Retry-After "$X402_OUT/h503")
check "503 has a Retry-After of 1..60 seconds" sh -c "[ '$RA' -ge 1 ] && [ '$RA' -le 60 ]"
eq "503: the command did not run" "$(cat "$X402_OUT/work/runs.log" 2>/dev/null | wc -l)" 0
eq "503: nothing claimed" "$(find "$X402_OUT/good-claims" -type f ! -path "*/metrics/*" 2>/dev/null | wc -l)" 0
check "the gate logged why" grep -q "facilitator cannot be asked" "$X402_OUT/lighttpd.out"
start_facilitator || exit 1
sleep "$RA"
before=$(balance "$PAYTO")
code=$(curl -s -o "$X402_OUT/b200" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" -d hello "$BASE/good")
eq "facilitator back: the same payment succeeds, no restart" "$code" 200
check "facilitator back: the command's output" grep -q HELLO "$X402_OUT/b200"
eq "facilitator back: the price moved" "$(( $(balance "$PAYTO") - before ))" 1000
check "the gate logged the recovery" grep -q "the facilitator answers" "$X402_OUT/lighttpd.out"
sleep "$(header Retry-After "$X402_OUT/hupto")"
code=$(curl -s -D "$X402_OUT/hupto2" -o /dev/null -w '%{http_code}' "$BASE/upto")
eq "facilitator back: the upto route answers 402" "$code" 402
eq "facilitator back: the upto offer names the facilitator" \
    "$(header PAYMENT-REQUIRED "$X402_OUT/hupto2" | b64json accepts.0.extra.facilitatorAddress | tr A-F a-f)" \
    "\"$(echo "$FACILITATOR" | tr A-F a-f)\""

# 6. With the facilitator up, -t checks every offer against /supported.
pf good
eq "-t: facilitator up: exit 0" "$rc" 0
check "-t: /supported answered" has good "^ok      \[facilitator\] url $FAC_URL answers /supported"
check "-t: the offer is supported" has good "^ok      offer 1: the facilitator supports exact on eip155:84532"
ACCEPT=base route mainnet
pf mainnet
eq "-t: an offer the facilitator lacks: exit 78" "$rc" 78
check "-t: the unsupported offer named" has mainnet "^FAILED  offer 1: .*does not support x402 v2 exact on eip155:8453"

finish
