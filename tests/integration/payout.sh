#!/bin/sh
# payout.sh - x402-payout against a real anvil chain and the test token.
# Env: X402_BUILD (build dir), X402_TOP (source dir), X402_OUT (scratch).
# Last line: "N passed, M failed"; exit non-zero on any failure.
set -u
top=${X402_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${X402_BUILD:-$top/build}
out=${X402_OUT:-$(mktemp -d)}
ch=$top/tests/chain
po=$build/src/payout/x402-payout
pass=0
fail=0
rm -rf "$out"; mkdir -p "$out"
out=$(cd "$out" && pwd)

ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
finish() {
	[ -n "${facpid:-}" ] && kill "$facpid" 2>/dev/null
	"$ch/stop-chain.sh" "$out/chain" >/dev/null 2>&1
	"$ch/stop-chain.sh" "$out/chain2" >/dev/null 2>&1
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

if [ ! -x "$po" ] || [ ! -d "$ch/node_modules" ]; then
	echo "x402-payout not built or tests/chain not installed (npm ci)"
	bad setup; finish
fi
port=$(node "$ch/freeport.mjs")
if ! "$ch/start-chain.sh" "$out/chain" "$port" >"$out/chain.log" 2>&1; then
	cat "$out/chain.log"; bad "start chain"; finish
fi
set -a; . "$out/chain/chain.env"; set +a

# mint ADDRESS AMOUNT: the test token's unrestricted mint.
mint() {
	(cd "$ch" && node --input-type=module -e "
import { walletClientFor, erc20Abi } from './chain.mjs';
const w = walletClientFor(process.env.DEPLOYER_KEY, process.env.RPC_URL);
const h = await w.writeContract({ address: process.env.USDC, abi: erc20Abi,
  functionName: 'mint', args: ['$1', $2n] });
await w.waitForTransactionReceipt({ hash: h });")
}
bal() { node "$ch/balance.mjs" "$1" | awk '{print $2}'; }
eth() {
	curl -s -H 'Content-Type: application/json' "$RPC_URL" -d \
	    '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["'"$1"'","latest"]}' |
	    sed 's/.*"result":"\([^"]*\)".*/\1/'
}

# conf DIR WALLET KEYFILE PREFIX [extra lines]: a payout.conf with four
# payees 0xP...01 .. 0xP...04 (P = a 2-digit prefix, so every phase has
# fresh addresses), rules main (10/30/30/30) and duo (25/50/25).
conf() {
	d=$1 w=$2 k=$3 p=$4
	shift 4
	mkdir -p "$d"
	{
		echo "[payout]"
		echo "wallet = $w"
		echo "key = $k"
		echo "spool = $d/spool"
		echo "state = $d/state"
		echo "network = eip155:84532"
		echo "rpc = $RPC_URL"
		echo "minimum = 1"
		echo "default_split = main"
		echo "timeout = 20"
		# synthetic receipts (no transaction): trust the spool, except
		# where a phase passes its own verify line
		case "$*" in *verify*) ;; *) echo "verify = none" ;; esac
		for l in "$@"; do echo "$l"; done
		for i in 1 2 3 4; do
			echo "[payee p$i]"
			echo "address = 0x${p}0000000000000000000000000000000000000$i"
		done
		echo "[split main]"
		echo "shares = retain:10% p1:30% p2:3000 p3:30%"
		echo "[split duo]"
		echo "shares = retain:25% p1:50% p4:2500"
		echo "[route ocr]"
		echo "split = main"
		echo "[route tts]"
		echo "split = duo"
	} >"$d/payout.conf"
	mkdir -p "$d/spool/new" "$d/spool/cur" "$d/spool/tmp" \
	    "$d/spool/quarantine"
}

# receipts DIR WALLET N SEED: N receipts over routes ocr, tts, misc
# (misc has no [route]: the default rule); appends the expected share of
# every payee (and the retained share) to DIR/expect.
receipts() {
	awk -v dir="$1/spool/new" -v w="$2" -v n="$3" -v seed="$4" \
	    -v usdc="$USDC" -v expf="$1/expect" 'BEGIN {
		srand(seed); split("ocr tts misc", rt, " ")
		for (i = 0; i < n; i++) {
			a = 1 + int(rand() * 99999); if (i % 7 == 0) a = 7
			r = rt[1 + i % 3]; t = 1700000000 + i * 60
			name = sprintf("%d.%d.%08x%08x", t, seed, seed, i)
			f = dir "/" name
			printf "{\"receipt\":1,\"id\":\"%s\",\"route\":\"%s\",\"time\":%d,\"x402Version\":2,\"scheme\":\"exact\",\"network\":\"eip155:84532\",\"asset\":\"%s\",\"payer\":\"0x0000000000000000000000000000000000000001\",\"payTo\":\"%s\",\"amount\":\"%d\",\"maxAmount\":\"%d\",\"nonce\":\"0x%064x\",\"transaction\":\"\",\"resource\":\"https://x.test/%s\"}", name, r, t, usdc, w, a, a, i, r > f
			close(f)
			if (r == "tts") { s1 = int(a * 5000 / 10000); s4 = int(a * 2500 / 10000); e[1] += s1; e[4] += s4; e[0] += a - s1 - s4 }
			else { s1 = int(a * 3000 / 10000); e[1] += s1; e[2] += s1; e[3] += s1; e[0] += a - 3 * s1 }
			tot += a
		}
		printf "%.0f %.0f %.0f %.0f %.0f %.0f\n", tot, e[0], e[1], e[2], e[3], e[4] >> expf
	}'
}

# expected DIR COLUMN: the sum of a column of DIR/expect (1 total,
# 2 retained, 3.. payees p1..p4)
expected() { awk -v c="$2" '{ s += $c } END { printf "%.0f\n", s }' "$1/expect"; }

# verify DIR PREFIX: on-chain balance of each payee == ledger paid ==
# expected; shares + retained == receipts.
verify() {
	d=$1 p=$2 good=0
	for i in 1 2 3 4; do
		a=0x${p}0000000000000000000000000000000000000$i
		onchain=$(bal "$a")
		ledger=$(awk -v n="p$i" '$1 == "payee" && $2 == n { print $6 }' "$d/state/ledger")
		want=$(expected "$d" $((i + 2)))
		if [ "$onchain" != "$want" ] || [ "$ledger" != "$want" ]; then
			echo "  p$i: chain $onchain ledger $ledger expected $want"
			good=1
		fi
	done
	rec=$(awk '$1 == "received" { print $2 }' "$d/state/ledger")
	ret=$(awk '$1 == "retained" { print $2 }' "$d/state/ledger")
	if [ "$rec" != "$(expected "$d" 1)" ] || [ "$ret" != "$(expected "$d" 2)" ]; then
		echo "  received $rec retained $ret, expected $(expected "$d" 1) $(expected "$d" 2)"
		good=1
	fi
	sum=$(awk '$1 == "payee" { s += $7 } END { printf "%.0f\n", s }' "$d/state/ledger")
	[ "$sum" = "$rec" ] || { echo "  earned sum $sum != received $rec"; good=1; }
	return $good
}

keyfile() { printf '%s\n' "$2" >"$1"; chmod 600 "$1"; }

mint "$PAYTO" 1000000000000 || { bad mint; finish; }

# ---- 1. 1,000 receipts, 3 routes, 2 rules ---------------------------------
A=$out/a
keyfile "$out/payto.key" "$PAYTO_KEY"
conf "$A" "$PAYTO" "$out/payto.key" 10
receipts "$A" "$PAYTO" 1000 1
"$po" -c "$A/payout.conf" run --dry-run >"$A/dry.out" 2>&1
check "dry run shows the batch" grep -q "would pay batch 1: 4 payees" "$A/dry.out"
check "dry run moves nothing" test "$(ls "$A/spool/new" | wc -l)" -eq 1000 -a \
    "$(bal 0x1000000000000000000000000000000000000001)" = 0
# metrics (Prometheus text, for node_exporter's textfile collector)
"$po" -c "$A/payout.conf" metrics >"$A/m0.prom" 2>&1
check "metrics before any run: no run yet" grep -q '^x402_payout_last_run_status -1$' "$A/m0.prom"
check "metrics: 1000 receipts waiting" grep -q '^x402_payout_receipts_waiting 1000$' "$A/m0.prom"
start=$(date +%s)
"$po" -c "$A/payout.conf" run >"$A/run.out" 2>&1
rc=$?
check "1000 receipts: run exits 0 ($(($(date +%s) - start)) s)" test $rc -eq 0
check "1000 receipts: chain == ledger == expected split" verify "$A" 10
check "1000 receipts: spool drained" test -z "$(find "$A/spool/new" "$A/spool/cur" -type f)"
"$po" -c "$A/payout.conf" metrics >"$A/m1.prom" 2>&1
check "metrics after the run: its status and time" sh -c \
    "grep -q '^x402_payout_last_run_status 0$' '$A/m1.prom' && grep -q '^x402_payout_last_run_timestamp_seconds [1-9][0-9]*$' '$A/m1.prom'"
check "metrics: nothing waiting" grep -q '^x402_payout_receipts_waiting 0$' "$A/m1.prom"
check "metrics: paid per payee, exactly" grep -q "^x402_payout_paid_total{payee=\"p1\",address=\"0x1000000000000000000000000000000000000001\"} $(expected "$A" 3)$" "$A/m1.prom"
check "metrics: nothing owed" grep -q '^x402_payout_owed{payee="p2",address="0x1000000000000000000000000000000000000002"} 0$' "$A/m1.prom"
"$po" -c "$A/payout.conf" status >"$A/status.out" 2>&1
check "status lists the batch" grep -q "batch 1 .*closed  4 transfers" "$A/status.out"
"$po" -c "$A/payout.conf" report --csv >"$A/report.csv" 2>&1
check "report csv" grep -q "^p1,0x1000000000000000000000000000000000000001,$(expected "$A" 3),$(expected "$A" 3)$" "$A/report.csv"
"$po" -c "$A/payout.conf" report --from 2023-11-14 --to 2023-11-14 >"$A/report.txt" 2>&1
check "report table over a period" grep -q "^PAYEE" "$A/report.txt"
"$po" -c "$A/payout.conf" run >"$A/run2.out" 2>&1
check "second run with nothing new pays nothing" test $? -eq 0 -a \
    "$(ls "$A/state/batches" | wc -l)" -eq 1

# ---- 2. garbage receipt, overlapping runs ------------------------------------
printf 'this is not json' >"$A/spool/new/1700000000.1.00000000deadbeef"
printf '{"receipt":1}' >"$A/spool/new/1700000000.1.00000000deadbee2"
"$po" -c "$A/payout.conf" run >"$A/garbage.out" 2>&1
check "garbage: run still succeeds" test $? -eq 0
check "garbage: quarantined with a reason" test -f "$A/spool/quarantine/1700000000.1.00000000deadbeef.reason" -a \
    -f "$A/spool/quarantine/1700000000.1.00000000deadbee2.reason"
check "garbage: reason logged" grep -q "quarantined" "$A/garbage.out"
"$po" -c "$A/payout.conf" status >"$A/status2.out" 2>&1
check "status counts what a run that counted nothing quarantined" \
    grep -q "receipts counted 1000, quarantined 2;" "$A/status2.out"
"$po" -c "$A/payout.conf" metrics >"$A/m2.prom" 2>&1
flock "$A/state/lock" sleep 3 &
fpid=$!
sleep 0.3
"$po" -c "$A/payout.conf" run >"$A/lock.out" 2>&1
rc=$?
wait $fpid
check "overlapping run exits 75" test $rc -eq 75
"$po" -c "$A/payout.conf" metrics >"$A/m3.prom" 2>&1
check "metrics: a run refused by the lock is not the last run" sh -c \
    "grep -q '^x402_payout_last_run_status 0$' '$A/m3.prom' && cmp -s '$A/m2.prom' '$A/m3.prom'"
check "overlapping run says why" grep -q "another x402-payout run is active" "$A/lock.out"

# ---- 3. config errors ---------------------------------------------------------
B=$out/b
conf "$B" "$PAYTO" "$out/payto.key" 11
sed -i 's/^address = 0x1100000000000000000000000000000000000001$/address = 0xAbCdEF0000000000000000000000000000000001/' "$B/payout.conf"
"$po" -c "$B/payout.conf" run >"$B/cs.out" 2>&1
rc=$?
check "bad checksum: exit 78" test $rc -eq 78
check "bad checksum: file, line and key named" grep -q "payout.conf:[0-9]*: \[payee p1\] address" "$B/cs.out"
conf "$B" "$PAYTO" "$out/payto.key" 11
sed -i 's/^shares = retain:10% p1:30%/shares = retain:11% p1:30%/' "$B/payout.conf"
"$po" -c "$B/payout.conf" check >"$B/sum.out" 2>&1
check "split over 100%: refused with the key" grep -q "\[split main\] shares: shares sum to 101.00%" "$B/sum.out"
conf "$B" "$PAYTO" "$out/payto.key" 11
chmod 644 "$out/payto.key"
"$po" -c "$B/payout.conf" check >"$B/key.out" 2>&1
check "group-readable key refused" test $? -eq 78
chmod 600 "$out/payto.key"

# ---- 4. fault injection: SIGKILL at 30 points ------------------------------------
C=$out/c
conf "$C" "$PAYTO" "$out/payto.key" 12
points="claim:1 claim:9 claim:20 before-count:1 counted:1 done:1 done:6 done:20
journal:1 committed:1 before-send:1 before-send:2 before-send:4 sent:1 sent:2
sent:3 sent:4 confirmed:1 confirmed:2 confirmed:3 confirmed:4 between:1
between:2 between:3 between:4 close:1 closed:1 claim:2 done:2 before-send:3"
n=0 killed=0 completed=0
for pt in $points; do
	n=$((n + 1))
	receipts "$C" "$PAYTO" 20 $((100 + n))
	X402_PAYOUT_CRASH_AT=$pt "$po" -c "$C/payout.conf" run >>"$C/kill.out" 2>&1
	[ $? -eq 137 ] && killed=$((killed + 1))
	"$po" -c "$C/payout.conf" run >>"$C/kill.out" 2>&1 && completed=$((completed + 1))
	if ! grep -q "^open_batch 0$" "$C/state/ledger"; then
		echo "  after $pt: a batch is still open"
	fi
done
check "fault injection: $killed of $n runs killed" test $killed -eq $n
check "fault injection: every following run completed" test $completed -eq $n
check "fault injection: chain == ledger == expected" verify "$C" 12
check "fault injection: nothing left in the spool" test -z "$(find "$C/spool/new" "$C/spool/cur" -type f)"
check "fault injection: no nonce refused as reused by the token" \
    sh -c "! grep -q 'reverted' '$C/kill.out'"

# ---- 5. RPC down mid-batch, short wallet ---------------------------------
D=$out/d
conf "$D" "$PAYTO" "$out/payto.key" 13
receipts "$D" "$PAYTO" 30 7
X402_PAYOUT_CRASH_AT=between:1 "$po" -c "$D/payout.conf" run >"$D/rpc.out" 2>&1
deadport=$(node "$ch/freeport.mjs")
sed "s|^rpc = .*|rpc = http://127.0.0.1:$deadport|" "$D/payout.conf" >"$D/down.conf"
"$po" -c "$D/down.conf" run >>"$D/rpc.out" 2>&1
rc=$?
check "rpc down: run fails, batch stays open" test $rc -eq 1 -a -n "$(grep '^open_batch 1$' "$D/state/ledger")"
"$po" -c "$D/payout.conf" run >>"$D/rpc.out" 2>&1
check "rpc back: the batch is finished exactly" verify "$D" 13

E=$out/e
keyfile "$out/payto2.key" "$PAYTO2_KEY"
conf "$E" "$PAYTO2" "$out/payto2.key" 14
mint "$PAYTO2" 1000
receipts "$E" "$PAYTO2" 10 9
"$po" -c "$E/payout.conf" run >"$E/short.out" 2>&1
rc=$?
check "short wallet: exit 1, shortfall named" test $rc -eq 1 -a -n "$(grep 'short by' "$E/short.out")"
check "short wallet: nothing moved" test ! -e "$E/state/batches/0000000001" -a \
    "$(bal "$PAYTO2")" = 1000

# ---- 6. facilitator method, wallet without ETH --------------------------------
F=$out/f
set -- $(cd "$ch" && node --input-type=module -e "
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
const k = generatePrivateKey(); console.log(k, privateKeyToAccount(k).address);")
fkey=$1 faddr=$2
keyfile "$out/fresh.key" "$fkey"
mint "$faddr" 1000000000000
fport=$(node "$ch/freeport.mjs")
node "$ch/facilitator.mjs" --port "$fport" --rpc "$RPC_URL" --key "$FACILITATOR_KEY" \
    --log "$out/fac.jsonl" >"$out/fac.out" 2>&1 &
facpid=$!
for i in $(seq 1 100); do grep -q listening "$out/fac.out" && break; sleep 0.1; done
conf "$F" "$faddr" "$out/fresh.key" 15 "method = facilitator" \
    "facilitator = http://127.0.0.1:$fport"
receipts "$F" "$faddr" 50 11
X402_PAYOUT_CRASH_AT=between:2 "$po" -c "$F/payout.conf" run >"$F/run.out" 2>&1
"$po" -c "$F/payout.conf" run >>"$F/run.out" 2>&1
check "facilitator: run exits 0" test $? -eq 0
check "facilitator: chain == ledger == expected" verify "$F" 15
check "facilitator: wallet has no ETH" test "$(eth "$faddr")" = 0x0
# ---- 7. verify = chain: forged and copied receipts are not paid ------------
# Real transfers PAYER3 -> wallet; receipts naming them are paid once;
# copies, invented transactions, wrong amounts and empty transactions are
# quarantined with a reason; a run killed between recording the seen
# transfers and saving the ledger still counts them exactly once.
G=$out/g
conf "$G" "$PAYTO" "$out/payto.key" 16 "verify = chain"
# xfer AMOUNT: PAYER3 sends AMOUNT to the wallet; prints the tx hash
xfer() {
	(cd "$ch" && node --input-type=module -e "
import { walletClientFor, erc20Abi } from './chain.mjs';
const w = walletClientFor(process.env.PAYER3_KEY, process.env.RPC_URL);
const h = await w.writeContract({ address: process.env.USDC, abi: erc20Abi,
  functionName: 'transfer', args: ['$PAYTO', $1n] });
await w.waitForTransactionReceipt({ hash: h });
console.log(h);")
}
payer3=$(cd "$ch" && node --input-type=module -e "
import { privateKeyToAccount } from 'viem/accounts';
console.log(privateKeyToAccount(process.env.PAYER3_KEY).address);")
# rcpt NAME AMOUNT TX: a receipt from PAYER3 on route ocr
rcpt() {
	printf '{"receipt":1,"id":"%s","route":"ocr","time":%s,"x402Version":2,"scheme":"exact","network":"eip155:84532","asset":"%s","payer":"%s","payTo":"%s","amount":"%s","maxAmount":"%s","nonce":"0x%064d","transaction":"%s","resource":"https://x.test/ocr"}' \
	    "$1" "$(date +%s)" "$USDC" "$payer3" "$PAYTO" "$2" "$2" 7 "$3" \
	    >"$G/spool/new/$1"
}
t1=$(xfer 1111) && t2=$(xfer 2222) && t3=$(xfer 3333) || bad "transfers"
rcpt 1700000001.7.0000000000000001 1111 "$t1"
rcpt 1700000001.7.0000000000000002 2222 "$t2"
rcpt 1700000001.7.0000000000000003 3333 "$t3"
rcpt 1700000001.7.0000000000000004 1111 "$t1"			# a copy of .01
rcpt 1700000001.7.0000000000000005 1111 0x$(printf '%064d' 42)	# no such transaction
rcpt 1700000001.7.0000000000000006 999999 "$t2"			# more than was paid
rcpt 1700000001.7.0000000000000007 5 ""				# nothing to check
echo "6666 672 1998 1998 1998 0" >"$G/expect"
"$po" -c "$G/payout.conf" run >"$G/run.out" 2>&1
check "verify: run exits 0" test $? -eq 0
check "verify: genuine receipts paid exactly" verify "$G" 16
check "verify: copy in the same run quarantined (one of the two)" test \
    "$(cat "$G"/spool/quarantine/1700000001.7.000000000000000[14].reason 2>/dev/null | grep -c 'already counted')" -eq 1
check "verify: invented transaction quarantined" sh -c "grep -q 'is not on chain' '$G/spool/quarantine/1700000001.7.0000000000000005.reason'"
check "verify: inflated amount quarantined" sh -c "grep -q 'no transfer of' '$G/spool/quarantine/1700000001.7.0000000000000006.reason'"
check "verify: receipt without transaction quarantined" sh -c "grep -q 'no settlement transaction' '$G/spool/quarantine/1700000001.7.0000000000000007.reason'"
rcpt 1700000001.7.0000000000000008 3333 "$t3"			# a copy, a run later
"$po" -c "$G/payout.conf" run >>"$G/run.out" 2>&1
check "verify: copy in a later run quarantined" sh -c "grep -q 'already counted' '$G/spool/quarantine/1700000001.7.0000000000000008.reason'"
check "verify: still exactly the genuine total" verify "$G" 16
t4=$(xfer 4444) || bad "transfer 4"
rcpt 1700000001.7.0000000000000009 4444 "$t4"
X402_PAYOUT_CRASH_AT=before-count:1 "$po" -c "$G/payout.conf" run >>"$G/run.out" 2>&1
check "verify: run killed after recording the transfer" test $? -eq 137
"$po" -c "$G/payout.conf" run >>"$G/run.out" 2>&1
echo "4444 445 1333 1333 1333 0" >>"$G/expect"
check "verify: killed run's receipt counted once after restart" verify "$G" 16
check "verify: it was not taken for a copy" test ! -e "$G/spool/quarantine/1700000001.7.0000000000000009"
t5=$(xfer 5555) || bad "transfer 5"
rcpt 1700000001.7.0000000000000010 5555 "$t5"
rpc() {
	curl -s -H 'Content-Type: application/json' "$RPC_URL" -d \
	    '{"jsonrpc":"2.0","id":1,"method":"'"$1"'","params":'"$2"'}' >/dev/null
}
rpc evm_increaseTime '[7200]' && rpc evm_mine '[]'
sed 's/^verify = chain$/verify = chain\
verify_window = 1h/' "$G/payout.conf" >"$G/window.conf"
"$po" -c "$G/window.conf" run >>"$G/run.out" 2>&1
check "verify: receipt older than verify_window quarantined" sh -c "grep -q 'before verify_window' '$G/spool/quarantine/1700000001.7.0000000000000010.reason'"
t6=$(xfer 6666) || bad "transfer 6"
rcpt 1700000001.7.0000000000000011 6666 "$t6"
sed "s|^rpc = .*|rpc = http://127.0.0.1:$deadport|" "$G/payout.conf" >"$G/down.conf"
"$po" -c "$G/down.conf" run >"$G/down.out" 2>&1
check "verify: chain unreachable: run fails, nothing quarantined" test $? -ne 0 -a \
    ! -e "$G/spool/quarantine/1700000001.7.0000000000000011"
"$po" -c "$G/payout.conf" run >>"$G/run.out" 2>&1
echo "6666 669 1999 1999 1999 0" >>"$G/expect"
check "verify: chain back: counted and paid" verify "$G" 16
"$po" -c "$G/payout.conf" requeue 1700000001.7.00000000000000ff >"$G/rq.out" 2>&1
check "requeue: an unknown name fails and says so" test $? -eq 1 -a \
    -n "$(grep 'does not exist' "$G/rq.out")"
"$po" -c "$G/payout.conf" requeue 1700000001.7.0000000000000010 >>"$G/rq.out" 2>&1
check "requeue: the too-old receipt is back in new/" test $? -eq 0 -a \
    -f "$G/spool/new/1700000001.7.0000000000000010" -a ! -e "$G/spool/quarantine/1700000001.7.0000000000000010.reason"
"$po" -c "$G/payout.conf" run >>"$G/run.out" 2>&1
check "verify: a wider window does not revive what the seen set forgot" \
    sh -c "grep -q 'still vouches for' '$G/spool/quarantine/1700000001.7.0000000000000010.reason'"
check "verify: ...and nothing more was paid" verify "$G" 16
# A receipt refused for a fixable reason (a wrong RPC node: another chain
# that never saw the transaction) is counted once requeued.
port2=$(node "$ch/freeport.mjs")
"$ch/start-chain.sh" "$out/chain2" "$port2" >"$out/chain2.log" 2>&1 || bad "second chain"
t7=$(xfer 7777) || bad "transfer 7"
rcpt 1700000001.7.0000000000000012 7777 "$t7"
sed "s|^rpc = .*|rpc = http://127.0.0.1:$port2|" "$G/payout.conf" >"$G/other.conf"
"$po" -c "$G/other.conf" run >>"$G/run.out" 2>&1
"$ch/stop-chain.sh" "$out/chain2" >/dev/null 2>&1
check "verify: another chain's node: quarantined as not on chain" \
    sh -c "grep -q 'is not on chain' '$G/spool/quarantine/1700000001.7.0000000000000012.reason'"
"$po" -c "$G/payout.conf" requeue 1700000001.7.0000000000000012 >>"$G/rq.out" 2>&1 &&
    "$po" -c "$G/payout.conf" run >>"$G/run.out" 2>&1
echo "7777 778 2333 2333 2333 0" >>"$G/expect"
check "requeue: after the fix it is counted and paid" verify "$G" 16
"$po" -c "$G/payout.conf" requeue --all >>"$G/rq.out" 2>&1
"$po" -c "$G/payout.conf" run >>"$G/run.out" 2>&1
check "requeue --all: the forgeries are refused again, nothing more paid" \
    verify "$G" 16
check "requeue --all: every forgery back in quarantine" test \
    "$(ls "$G/spool/quarantine" | grep -vc reason)" -eq 6

# ---- 8. two faults in a row (seen.h) ----------------------------------------
# A run is killed right after committing its batch; the next cannot finish
# the batch (the wallet has no ETH for gas), counts a new genuine receipt,
# flushes the seen set and is killed before saving the ledger; the run
# after that finishes the batch first and must count the receipt once,
# not quarantine it as a copy of itself.
t8=$(xfer 8888) || bad "transfer 8"
rcpt 1700000001.7.0000000000000013 8888 "$t8"
X402_PAYOUT_CRASH_AT=committed:1 "$po" -c "$G/payout.conf" run >"$G/2f.out" 2>&1
check "two faults: run 1 killed after committing its batch" test $? -eq 137 -a \
    -n "$(grep '^open_batch [1-9]' "$G/state/ledger")"
echo "8888 890 2666 2666 2666 0" >>"$G/expect"
gas=$(eth "$PAYTO")
rpc anvil_setBalance '["'"$PAYTO"'","0x0"]'
t9=$(xfer 9999) || bad "transfer 9"
rcpt 1700000001.7.0000000000000014 9999 "$t9"
sed 's/^timeout = .*/timeout = 1/' "$G/payout.conf" >"$G/nogas.conf"
X402_PAYOUT_CRASH_AT=before-count:1 "$po" -c "$G/nogas.conf" run >>"$G/2f.out" 2>&1
rc=$?
rpc anvil_setBalance '["'"$PAYTO"'","'"$gas"'"]'
check "two faults: run 2 (no gas) killed after flushing the seen set" \
    test $rc -eq 137 -a -n "$(grep '^open_batch [1-9]' "$G/state/ledger")"
"$po" -c "$G/payout.conf" run >>"$G/2f.out" 2>&1
check "two faults: run 3 exits 0" test $? -eq 0
echo "9999 1002 2999 2999 2999 0" >>"$G/expect"
check "two faults: the new receipt is not taken for a copy" \
    test ! -e "$G/spool/quarantine/1700000001.7.0000000000000014"
check "two faults: chain == ledger == expected" verify "$G" 16

# ---- 9. spool trust: a web user links cur/ to the payout's state -------------
mv "$G/spool/cur" "$G/spool/cur.real" && ln -s "$G/state" "$G/spool/cur"
"$po" -c "$G/payout.conf" run >"$G/link.out" 2>&1
rc=$?
check "spool trust: cur/ a symlink: the run refuses the spool" \
    test $rc -eq 1 -a -n "$(grep 'cur is a symbolic link' "$G/link.out")"
check "spool trust: ledger and seen set stay in the state directory" \
    test -f "$G/state/ledger" -a -f "$G/state/seen" -a -z "$(ls "$G/spool/new")"
rm -f "$G/spool/cur" && mv "$G/spool/cur.real" "$G/spool/cur"
"$po" -c "$G/payout.conf" run >>"$G/run.out" 2>&1
check "spool trust: the real cur/ back: runs again, nothing more paid" verify "$G" 16
finish
