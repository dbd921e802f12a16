#!/bin/sh
# coredump.sh - the processes that hold keys never dump core: x402-payout
# (the payout key) and x402-gate (a relayer key in local settlement).
# Each is run as an unprivileged user (nobody), held in the middle of its
# work by a peer that never answers, and read from /proc while it runs:
#  - /proc/PID/limits: "Max core file size" soft and hard 0
#    (setrlimit RLIMIT_CORE);
#  - /proc/PID/status owned by root, not by the process's user: the
#    kernel's sign of prctl(PR_SET_DUMPABLE, 0) (no core, no ptrace, no
#    /proc/PID/mem for the same user).  A control process (sleep) run the
#    same way shows the files owned by nobody, so the check can fail.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "coredump: needs root and setpriv (util-linux); skipped"
	exit 77
fi

PO=$X402_BUILD/src/payout/x402-payout
D=$X402_OUT/nobody
mkdir -p "$D/spool/new" "$D/spool/cur" "$D/spool/tmp" "$D/spool/quarantine" \
    "$D/state" "$D/claims"

# A peer that accepts and never answers (RPC node and facilitator).
HANG_PORT=$(freeport)
cat >"$X402_OUT/hang.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
print("listening", flush=True)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
PY
python3 "$X402_OUT/hang.py" "$HANG_PORT" >"$X402_OUT/hang.log" 2>&1 &
PIDS="$PIDS $!"
wait_for "$X402_OUT/hang.log" listening || exit 1

# anvil's well-known test account #0 (no chain needed: nothing is sent).
KEY=ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
WALLET=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
printf '%s\n' "$KEY" >"$D/payout.key"
cat >"$D/payout.conf" <<EOF
[payout]
wallet = $WALLET
key = $D/payout.key
spool = $D/spool
state = $D/state
network = eip155:84532
rpc = http://127.0.0.1:$HANG_PORT
minimum = 1
default_split = main
timeout = 30
[payee p1]
address = 0x5500000000000000000000000000000000000001
[split main]
shares = retain:10% p1:90%
EOF
# one receipt, so the run gets as far as asking the node about a payment
printf '{"receipt":1,"id":"","route":"r","time":1700000000,"x402Version":2,"scheme":"exact","network":"eip155:84532","asset":"0x036CbD53842c5426634e7929541eC2318f3dCF7e","payer":"0x0000000000000000000000000000000000000001","payTo":"%s","amount":"1000","maxAmount":"1000","nonce":"0x%064d","transaction":"","resource":"https://x.test/r"}' \
    "$WALLET" 1 >"$D/spool/new/1700000000.1.0000000000000001"
printf '#!/bin/sh\necho ok\n' >"$D/cmd"
chmod 755 "$D/cmd"
cat >"$D/route.conf" <<EOF
[route]
command = $D/cmd
price = 1000
pay_to = $WALLET
accept = eip155:84532
[facilitator]
url = http://127.0.0.1:$HANG_PORT
timeout = 30s
[paths]
spool = $D/spool
claims = $D/claims
fallback = $D/fallback
EOF
chown -R nobody:nogroup "$D"
chmod 600 "$D/payout.key"
chmod 711 "$X402_OUT"

# (setpriv itself in the background, never a shell function: $! must be
# the process that execs the program, not a subshell.)
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"

# held PID NAME: the process is alive and still running as nobody.
held() {
	n=0
	while [ $n -lt 50 ]; do
		[ -d "/proc/$1" ] || { echo "$2 exited early"; return 1; }
		[ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$1/status" 2>/dev/null)" = 65534 ] &&
		    [ "$(readlink "/proc/$1/exe")" = "$3" ] && return 0
		n=$((n + 1))
		sleep 0.1
	done
	return 1
}

# nodump PID NAME: the two checks.
nodump() {
	eq "$2: /proc/PID/limits: Max core file size 0 0" \
	    "$(awk '/^Max core file size/ { print $5, $6 }' "/proc/$1/limits")" "0 0"
	eq "$2: not dumpable (/proc/PID/status owned by root)" \
	    "$(stat -c %U "/proc/$1/status")" root
}

# The control: an ordinary process of nobody is dumpable.
$NOBODY sleep 29 &
CPID=$!
PIDS="$PIDS $CPID"
check "control: sleep runs as nobody" held "$CPID" sleep "$(readlink -f /bin/sleep)"
eq "control: an ordinary process is dumpable (status owned by nobody)" \
    "$(stat -c %U "/proc/$CPID/status")" nobody
eq "control: its core limit is not 0" \
    "$(awk '/^Max core file size/ { print ($5 == "0" && $6 == "0") ? "zero" : "set" }' "/proc/$CPID/limits")" set

# x402-payout, holding its key, waiting on the node.
ulimit -c unlimited 2>/dev/null
$NOBODY "$PO" -c "$D/payout.conf" run >"$X402_OUT/payout.log" 2>&1 &
PPID_=$!
PIDS="$PIDS $PPID_"
if check "x402-payout is running as nobody" held "$PPID_" x402-payout "$(readlink -f "$PO")"; then
	sleep 0.5
	nodump "$PPID_" x402-payout
fi

# x402-gate (plain CGI), waiting on its facilitator at start-up.
env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
    $NOBODY "$GATE" -c "$D/route.conf" </dev/null >"$X402_OUT/gate.out" 2>"$X402_OUT/gate.log" &
GPID=$!
PIDS="$PIDS $GPID"
if check "x402-gate is running as nobody" held "$GPID" x402-gate "$(readlink -f "$GATE")"; then
	sleep 0.5
	nodump "$GPID" x402-gate
fi

finish
