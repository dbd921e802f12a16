#!/bin/sh
# pending.sh - ambiguous settlements and what must never be settled, with
# the real parts: lighttpd + x402-gate (FastCGI), anvil + the test token,
# the official facilitator behind tests/chain/settle-proxy.mjs.
#
#  - The /settle request leaves and its answer is late (past the gate's
#    timeout), cut, or a 502: the transfer happens on chain; the client
#    gets 503 "settlement pending" and no output; the retry of the same
#    header gets the output (the command ran once), one receipt, charged
#    once.  A pending record nobody retries: x402-gate --recover (with
#    [recover] rpc_url) writes its one receipt; a later retry gets the
#    output.
#  - The same with settle = before (money first): the pending answer
#    comes before the command ran; the retry after the transfer runs it,
#    once, even when two retries race, and later retries get the same.
#  - HEAD with a valid payment: 405, no claim, nothing charged.
#  - Reply headers too large for the settlement header: 502, no transfer.
#  - Facilitator mode with an RPC node, legacy v1 facilitator (no
#    simulation), an authorization already used on chain: refused before
#    the command runs.
#  - Local mode, validAfter = the current second: refused before the
#    command runs.
. "$(dirname "$0")/lib.sh"

start_chain || exit 1
start_facilitator || exit 1
printf '%s\n' "${RELAYER_KEY#0x}" >"$X402_OUT/relayer.key"
chmod 600 "$X402_OUT/relayer.key"
set -- $(freeport 2)
PORT=$1 SP_PORT=$2
BASE=http://127.0.0.1:$PORT
W=$X402_OUT/work
C=$X402_OUT/cmd
mkdir -p "$W" "$C"
node "$CHAIN/settle-proxy.mjs" --port "$SP_PORT" --target "$FACILITATOR_URL" \
    >"$X402_OUT/sproxy.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$X402_OUT/sproxy.log" listening || exit 1
SP=http://127.0.0.1:$SP_PORT

# The commands append their route to work/runs.log.
cat >"$C/ok" <<SH
#!/bin/sh
echo "\$X402_ROUTE" >>"$W/runs.log"
echo "paid content"
SH
# 20 headers of 810 bytes: they fit the reply, the settlement header not.
cat >"$C/big" <<SH
#!/bin/sh
echo "\$X402_ROUTE" >>"$W/runs.log"
i=0
while [ \$i -lt 20 ]; do
	printf 'X-Filler-%02d: %0795d\n' \$i 0
	i=\$((i + 1))
done
echo "Content-Type: text/plain"
echo
echo "paid content"
SH
# Slow enough for a second retry to arrive while it runs.
cat >"$C/slow" <<SH
#!/bin/sh
echo "\$X402_ROUTE" >>"$W/runs.log"
sleep 1
[ ! -f "$W/fail" ] || exit 3
echo "paid content"
SH
chmod 755 "$C/ok" "$C/big" "$C/slow"

# route NAME COMMAND LINES...: a route file, spool and claims of its own.
route() {
	name=$1 command=$2
	shift 2
	{
		echo "[route]"
		echo "command = $command"
		echo "price = 1000"
		echo "pay_to = $PAYTO"
		echo "accept = base-sepolia"
		echo "max_timeout = 300"
		echo "command_timeout = 10s"
		[ -z "${OUTPUT:-}" ] || echo "output = $OUTPUT"
		[ -z "${SETTLE:-}" ] || echo "settle = $SETTLE"
		echo "[gate]"
		echo "log_level = info"
		echo "settlement = ${MODE:-facilitator}"
		echo "[paths]"
		echo "spool = $X402_OUT/spool-$name"
		echo "claims = $X402_OUT/claims-$name"
		echo "fallback = $X402_OUT/fallback-$name"
		for l in "$@"; do echo "$l"; done
	} >"$X402_OUT/$name.conf"
}
for m in delay cut bad; do
	route "$m" "$C/ok" "[facilitator]" "url = $SP/$m" "timeout = 2s" \
	    "[recover]" "rpc_url = $RPC_URL" "min_age = 0"
done
SETTLE=before route before "$C/slow" "[facilitator]" "url = $SP/cut" \
    "timeout = 2s" "[recover]" "rpc_url = $RPC_URL" "min_age = 0"
route orphan "$C/ok" "[facilitator]" "url = $SP/cut" "timeout = 2s" \
    "[recover]" "rpc_url = $RPC_URL" "min_age = 0"
route plain "$C/ok" "[facilitator]" "url = $SP/pass"
OUTPUT=cgi route big "$C/big" "[facilitator]" "url = $SP/pass"
route spent "$C/ok" "[facilitator]" "url = $SP/pass" \
    "[recover]" "rpc_url = $RPC_URL"
MODE=local route loc "$C/ok" "[local]" "rpc_url = $RPC_URL" \
    "relayer_key = $X402_OUT/relayer.key"
for r in delay cut bad before orphan plain big spent loc; do
	"$GATE" -t -c "$X402_OUT/$r.conf" >"$X402_OUT/t-$r.log" 2>&1 ||
	    { echo "bad route $r"; cat "$X402_OUT/t-$r.log"; exit 1; }
done
check "x402-gate -t warns about a facilitator route without [recover] rpc_url" \
    grep -q "^WARNING .*without \[recover\] rpc_url" "$X402_OUT/t-plain.log"
check "x402-gate -t is quiet when it has one" \
    sh -c "! grep -q '^WARNING.*rpc_url' '$X402_OUT/t-delay.log'"
# Two workers per route: two retries of one payment can race.
GATE_PROCS=2 lighttpd_gates delay cut bad before orphan plain big spent loc ||
    exit 1

# pay NAME [OPTIONS...]: a fresh payment header for /NAME in HDR
# (payment-header.mjs OPTIONS).
N=0
pay() {
	name=$1
	shift
	N=$((N + 1))
	curl -s -D "$X402_OUT/h-$N" -o /dev/null "$BASE/$name"
	PR=$(header PAYMENT-REQUIRED "$X402_OUT/h-$N")
	HDR=$(node "$CHAIN/payment-header.mjs" "$PR" "$@")
}
# send NAME [CURL ARGS]: the request with HDR; CODE, BODY, HEAD (dump).
send() {
	name=$1
	shift
	N=$((N + 1))
	BODY=$X402_OUT/b-$N
	HEAD=$X402_OUT/d-$N
	CODE=$(curl -s -D "$HEAD" -o "$BODY" -w '%{http_code}' \
	    -H "PAYMENT-SIGNATURE: $HDR" "$@" "$BASE/$name")
}
runs() { n=$(grep -c "^$1\$" "$W/runs.log" 2>/dev/null); echo "${n:-0}"; }
receipts() { ls "$X402_OUT/spool-$1/new" 2>/dev/null | wc -l; }
claims() { ls "$X402_OUT/claims-$1" 2>/dev/null | grep -c '^[0-9a-f]\{64\}$'; }
# paid_by BEFORE: until PAYTO holds BEFORE + 1000 (at most 15 s).
paid_by() {
	n=0
	while [ "$(balance "$PAYTO")" -lt $(($1 + 1000)) ] && [ $n -lt 150 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ "$(balance "$PAYTO")" -eq $(($1 + 1000)) ]
}

# ---- 1. the settle answer is late, cut or a 502 --------------------------
for m in delay cut bad; do
	pay "$m"
	b=$(balance "$PAYTO")
	send "$m"
	eq "$m: pending status" "$CODE" 503
	check "$m: says the settlement is pending" \
	    grep -q settlement_pending "$BODY"
	check "$m: says retrying the same payment is safe" \
	    grep -q "same payment" "$BODY"
	check "$m: Retry-After" test -n "$(header Retry-After "$HEAD")"
	check "$m: no output" sh -c "! grep -q 'paid content' '$BODY'"
	check "$m: the transfer happened on chain" paid_by "$b"
	eq "$m: no receipt yet" "$(receipts "$m")" 0
	if [ "$m" = bad ]; then
		# Two retries at once: both served, one commit, one receipt.
		curl -s -o "$X402_OUT/race1" -w '%{http_code}' \
		    -H "PAYMENT-SIGNATURE: $HDR" "$BASE/$m" >"$X402_OUT/race1.code" &
		r1=$!
		curl -s -o "$X402_OUT/race2" -w '%{http_code}' \
		    -H "PAYMENT-SIGNATURE: $HDR" "$BASE/$m" >"$X402_OUT/race2.code" &
		r2=$!
		wait "$r1" "$r2"
		eq "$m: two retries at once are both served" \
		    "$(cat "$X402_OUT/race1.code")/$(cat "$X402_OUT/race2.code")" \
		    "200/200"
		check "$m: both with the output" sh -c "grep -q 'paid content' \
		    '$X402_OUT/race1' && grep -q 'paid content' '$X402_OUT/race2'"
	fi
	send "$m"
	eq "$m: the retry is served" "$CODE" 200
	check "$m: with the output" grep -q "paid content" "$BODY"
	check "$m: and the settlement header" \
	    test -n "$(header PAYMENT-RESPONSE "$HEAD")"
	eq "$m: the command ran once" "$(runs "$m")" 1
	eq "$m: one receipt" "$(receipts "$m")" 1
	send "$m"
	eq "$m: a second retry is served too" "$CODE" 200
	eq "$m: still one run, one receipt, charged once" \
	    "$(runs "$m")/$(receipts "$m")/$(( $(balance "$PAYTO") - b ))" \
	    "1/1/1000"
done
eq "the proxy lost one settle answer per route" \
    "$(grep -c '^\(delay\|cut\|bad\): ' "$X402_OUT/sproxy.log")" 3
check "no settle request was sent twice (libcurl resends on a reused connection)" \
    sh -c "! grep -q nonce_already_used '$X402_OUT/sproxy.log'"

# ---- 1b. settle = before: pending before the command ran ------------------
pay before
b=$(balance "$PAYTO")
send before
eq "before: pending status" "$CODE" 503
check "before: says the settlement is pending" \
    grep -q settlement_pending "$BODY"
eq "before: the command did not run" "$(runs before)" 0
check "before: the transfer happened on chain" paid_by "$b"
send before
eq "before: the retry after the transfer is served" "$CODE" 200
check "before: with the output" grep -q "paid content" "$BODY"
check "before: and the settlement header" \
    test -n "$(header PAYMENT-RESPONSE "$HEAD")"
eq "before: the command ran once, one receipt" \
    "$(runs before)/$(receipts before)" "1/1"
send before
eq "before: a second retry gets the same" "$CODE" 200
check "before: the same output" grep -q "paid content" "$BODY"
eq "before: still one run, one receipt, charged once" \
    "$(runs before)/$(receipts before)/$(( $(balance "$PAYTO") - b ))" \
    "1/1/1000"
# Two retries at once after the transfer: one runs the command, the other
# is served or told to retry (the run is taken), then served.
pay before
b=$(balance "$PAYTO")
send before
eq "before race: pending" "$CODE" 503
check "before race: the transfer happened on chain" paid_by "$b"
for i in 1 2; do
	curl -s -o "$X402_OUT/brace$i" -w '%{http_code}' \
	    -H "PAYMENT-SIGNATURE: $HDR" "$BASE/before" \
	    >"$X402_OUT/brace$i.code" &
	eval "r$i=\$!"
done
wait "$r1" "$r2"
c1=$(cat "$X402_OUT/brace1.code") c2=$(cat "$X402_OUT/brace2.code")
check "before race: at least one served ($c1/$c2)" \
    sh -c "[ $c1 = 200 ] || [ $c2 = 200 ]"
check "before race: the other served or told to retry ($c1/$c2)" \
    sh -c "[ $c1$c2 = 200200 ] || [ $c1$c2 = 200503 ] || [ $c1$c2 = 503200 ]"
send before
eq "before race: the next retry is served" "$CODE" 200
check "before race: with the output" grep -q "paid content" "$BODY"
eq "before race: the command ran once more, one receipt more" \
    "$(runs before)/$(receipts before)/$(( $(balance "$PAYTO") - b ))" \
    "2/2/1000"
# Landed by --recover: the mark stays for the payer's retry, which runs it.
pay before
b=$(balance "$PAYTO")
send before
eq "before recovered: pending" "$CODE" 503
check "before recovered: the transfer happened on chain" paid_by "$b"
"$GATE" --recover -c "$X402_OUT/before.conf" >"$X402_OUT/recover-b.log" 2>&1
eq "before recovered: --recover succeeds" "$?" 0
eq "before recovered: one receipt, the command not run" \
    "$(receipts before)/$(runs before)" "3/2"
send before
eq "before recovered: the retry is served" "$CODE" 200
check "before recovered: with the output" grep -q "paid content" "$BODY"
eq "before recovered: it ran once, charged once" \
    "$(runs before)/$(receipts before)/$(( $(balance "$PAYTO") - b ))" \
    "3/3/1000"
# The command fails after the payment landed: the error names the
# transaction, is kept, and a later retry gets it again; never a rerun.
pay before
b=$(balance "$PAYTO")
send before
eq "before failing: pending" "$CODE" 503
check "before failing: the transfer happened on chain" paid_by "$b"
: >"$W/fail"
send before
rm -f "$W/fail"
eq "before failing: the retry gets the command's failure" "$CODE" 502
check "before failing: saying the payment settled" \
    grep -q "after the payment settled (tx 0x" "$BODY"
cp "$BODY" "$X402_OUT/failed-body"
send before
eq "before failing: a later retry gets the same verdict" "$CODE" 502
check "before failing: the same body" cmp -s "$BODY" "$X402_OUT/failed-body"
eq "before failing: it ran once, one receipt, charged once" \
    "$(runs before)/$(receipts before)/$(( $(balance "$PAYTO") - b ))" \
    "4/4/1000"

# ---- 2. a pending record nobody retries: --recover ------------------------
pay orphan
b=$(balance "$PAYTO")
send orphan
eq "orphan: pending" "$CODE" 503
check "orphan: the transfer happened on chain" paid_by "$b"
"$GATE" --recover -c "$X402_OUT/orphan.conf" >"$X402_OUT/recover.log" 2>&1
eq "orphan: --recover succeeds" "$?" 0
eq "orphan: --recover wrote one receipt" "$(receipts orphan)" 1
check "orphan: the receipt names the transaction" \
    grep -q '"transaction":"0x[0-9a-f]\{64\}"' "$X402_OUT"/spool-orphan/new/*
"$GATE" --recover -c "$X402_OUT/orphan.conf" >>"$X402_OUT/recover.log" 2>&1
eq "orphan: a second --recover writes nothing" "$(receipts orphan)" 1
send orphan
eq "orphan: the retry after recovery is served" "$CODE" 200
check "orphan: with the output" grep -q "paid content" "$BODY"
eq "orphan: one run, one receipt, charged once" \
    "$(runs orphan)/$(receipts orphan)/$(( $(balance "$PAYTO") - b ))" \
    "1/1/1000"

# ---- 3. HEAD with a valid payment ----------------------------------------
pay plain
b=$(balance "$PAYTO")
send plain -I
eq "HEAD with a payment: 405" "$CODE" 405
eq "HEAD with a payment: Allow" "$(header Allow "$HEAD")" "GET, POST"
eq "HEAD with a payment: no claim" "$(claims plain)" 0
eq "HEAD with a payment: not run" "$(runs plain)" 0
eq "HEAD with a payment: not charged" "$(balance "$PAYTO")" "$b"
send plain
eq "the same payment by GET is served" "$CODE" 200
eq "and charged once" "$(( $(balance "$PAYTO") - b ))" 1000

# ---- 4. reply headers too large -------------------------------------------
pay big
b=$(balance "$PAYTO")
send big
eq "headers too large: 502" "$CODE" 502
check "headers too large: says nothing was charged" \
    grep -q "not charged" "$BODY"
check "headers too large: no output" sh -c "! grep -q 'paid content' '$BODY'"
eq "headers too large: no transfer" "$(balance "$PAYTO")" "$b"
eq "headers too large: no receipt" "$(receipts big)" 0
eq "headers too large: the claim is released" "$(claims big)" 0

# ---- 5. legacy facilitator, authorization already used on chain ----------
NONCE=0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
pay plain --nonce "$NONCE"
send plain
eq "spent: the authorization is used on chain first" "$CODE" 200
pay spent --nonce "$NONCE" --v1 base-sepolia
N=$((N + 1))
CODE=$(curl -s -o "$X402_OUT/b-$N" -w '%{http_code}' -H "X-PAYMENT: $HDR" \
    "$BASE/spent")
eq "spent: refused" "$CODE" 402
check "spent: as nonce already used" \
    grep -q nonce_already_used "$X402_OUT/b-$N"
eq "spent: the command did not run" "$(runs spent)" 0

# ---- 6. local mode, validAfter = the current second -----------------------
T=$(( $(date +%s) + 2 ))
pay loc --valid-after "$T"
while [ "$(date +%s)" -lt "$T" ]; do sleep 0.05; done
send loc
eq "validAfter now: refused" "$CODE" 402
check "validAfter now: as valid_after" grep -q valid_after "$BODY"
eq "validAfter now: the command did not run" "$(runs loc)" 0

# ---- 7. local mode, the authorization submitted first by someone else ----
# (the official facilitator, through the facilitator route: its own
# transaction, its own claim store), then presented to the local route.
NONCE=0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
pay plain --nonce "$NONCE"
send plain
eq "front-run: submitted on chain by another first" "$CODE" 200
b=$(balance "$PAYTO")
pay loc --nonce "$NONCE"
send loc
eq "front-run: served" "$CODE" 200
check "front-run: with the output" grep -q "paid content" "$BODY"
eq "front-run: one receipt" "$(receipts loc)" 1
check "front-run: the receipt names the other's transaction" \
    grep -q '"transaction":"0x[0-9a-f]\{64\}"' "$X402_OUT"/spool-loc/new/*
eq "front-run: no second transfer" "$(balance "$PAYTO")" "$b"
send loc
eq "front-run: the same payment again is refused" "$CODE" 402
eq "front-run: the command ran once" "$(runs loc)" 1

check "no gate crashed" sh -c "! grep -qi 'segfault\|core dumped\|child signaled' '$X402_OUT/lighttpd-error.log'"
finish
