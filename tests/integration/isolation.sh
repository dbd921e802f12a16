#!/bin/sh
# isolation.sh - the command cannot touch money (docs/SECURITY.md,
# "Command isolation").  As root: the build tree's x402-spawn (the test
# variant, whose spawn.conf is $X402_BUILD/tests/spawn-test.conf) made
# setuid root 4750 root:GATEGROUP in a scratch directory, two system users
# (x402test-gate, x402test-cmd; created once, kept), a real lighttpd
# running the gate as x402test-gate, settlement = local on a real anvil
# chain.  A route with command_user = x402test-cmd runs a command that
# tries to read the relayer key and to write, rename and remove in the
# claims, drafts and spool tmp/ and new/: every attempt fails and the paid
# request still settles.  A command that ignores SIGTERM is killed at its
# timeout with its helper.  Then each refusal of the spawner.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root (skipped)"; ok "skipped: not root"; finish; exit 0; }
command -v setpriv >/dev/null || { not_ok "setpriv (util-linux) missing"; finish; exit 1; }
GU=x402test-gate
CU=x402test-cmd
for u in $GU $CU; do
	id -u $u >/dev/null 2>&1 ||
	    useradd -r -U -M -d /nonexistent -s /usr/sbin/nologin $u ||
	    id -u $u >/dev/null 2>&1 ||	# made meanwhile by the other lane
	    { not_ok "useradd $u"; finish; exit 1; }
done
GUID=$(id -u $GU) GGID=$(id -g $GU) CUID=$(id -u $CU) CGID=$(id -g $CU)
# A third user whose group is the gate's: never a command user.
PU=x402test-peer
id -u $PU >/dev/null 2>&1 ||
    useradd -r -g "$GGID" -M -d /nonexistent -s /usr/sbin/nologin $PU ||
    id -u $PU >/dev/null 2>&1 ||
    { not_ok "useradd $PU"; finish; exit 1; }
as_gate() { setpriv --reuid=$GU --regid=$GGID --init-groups -- "$@"; }

SPAWN_SRC=$X402_BUILD/tests/x402-spawn-test
SPAWN_CONF=$X402_BUILD/tests/spawn-test.conf
[ -x "$SPAWN_SRC" ] || { not_ok "$SPAWN_SRC not built (make)"; finish; exit 1; }

# The setuid copy needs a file system without nosuid.
S=$X402_OUT/spawn
case ,$(findmnt -no OPTIONS -T "$X402_OUT" 2>/dev/null), in
*,nosuid,*)
	S=$(mktemp -d /var/tmp/x402-isolation.XXXXXX) || exit 1
	trap 'cleanup; rm -rf "$S"' EXIT INT TERM ;;
*)	mkdir -p "$S" ;;
esac
chmod 0755 "$S"
install -o 0 -g "$GGID" -m 4750 "$SPAWN_SRC" "$S/x402-spawn"
cp "$SPAWN_SRC" "$S/x402-spawn-plain"	# not setuid
printf '# caller command-user\n%s %s\n%s root\n%s %s\n%s %s\n' \
    $GU $CU $GU $GU $GU $GU $PU >"$SPAWN_CONF"
chown 0:0 "$SPAWN_CONF"
chmod 0644 "$SPAWN_CONF"

start_chain || exit 1
# The layout of contrib/README.md: the gate's files are its own, 0700 and
# 0400; the spool's group is one the command user is not in.
chown $GU:$GGID "$X402_OUT"
chmod 0755 "$X402_OUT"
KEY=$X402_OUT/relayer.key
CLAIMS=$X402_OUT/claims
DRAFTS=$CLAIMS/drafts
SPOOL=$X402_OUT/spool
printf '%s\n' "${RELAYER_KEY#0x}" >"$KEY"
chown $GU:$GGID "$KEY"
chmod 0400 "$KEY"
install -d -o $GU -g $GGID -m 0700 "$CLAIMS" "$DRAFTS" "$X402_OUT/fallback"
install -d -o $GU -g $GGID -m 2770 "$SPOOL" "$SPOOL/tmp" "$SPOOL/new" \
    "$SPOOL/cur" "$SPOOL/quarantine"
for f in "$CLAIMS/probe" "$DRAFTS/probe" "$SPOOL/tmp/probe" "$SPOOL/new/probe"; do
	echo probe >"$f"
	chown $GU:$GGID "$f"
	chmod 0600 "$f"
done
install -d -o $CU -g $CGID -m 0755 "$X402_OUT/work"

PORT=$(freeport)
BASE=http://127.0.0.1:$PORT
FIX=$X402_TOP/tests/integration/fixtures/try-money
# route NAME TIMEOUT SPAWN COMMAND...: a route file on stdout.
route() {
	n=$1 t=$2 sp=$3
	shift 3
	cat <<CONF
[route]
command = $FIX $*
command_user = $CU
price = 1000
pay_to = $PAYTO
accept = base-sepolia
command_timeout = $t
workdir = $X402_OUT/work

[gate]
settlement = local

[local]
rpc_url = $RPC_URL
relayer_key = $KEY
receipt_timeout = 30s

[paths]
spool = $SPOOL
claims = $CLAIMS
fallback = $X402_OUT/fallback
spawn = $sp
CONF
}
route try 10s "$S/x402-spawn" try "$X402_OUT" >"$X402_OUT/try.conf"
route hang 2s "$S/x402-spawn" hang "$X402_OUT/work" >"$X402_OUT/hang.conf"
route plain 10s "$S/x402-spawn-plain" try >"$X402_OUT/plain.conf"
# An upto route as the command user: its usage channel (fd 3) passes
# through the spawner (fixtures/meter: "charge N" on fd 3).
sed -e "s|^command = .*|command = $X402_TOP/tests/integration/fixtures/meter|" \
    -e "s|^price = 1000\$|max_price = 50000|" \
    -e "s|^accept = base-sepolia\$|accept_upto = base-sepolia|" \
    "$X402_OUT/try.conf" >"$X402_OUT/meter.conf"
chmod 0644 "$X402_OUT"/*.conf

# command_user is a plain user name, never root.
for u in ../x -x 'a b' "$(printf 'u%.0s' $(seq 33))" root; do
	sed "s|^command_user = .*|command_user = $u|" "$X402_OUT/try.conf" \
	    >"$X402_OUT/bad-user.conf"
	check "x402-gate -t refuses command_user = '$u'" \
	    sh -c "! '$GATE' -t -c '$X402_OUT/bad-user.conf' >/dev/null 2>&1"
done
check "and says why" sh -c "'$GATE' -t -c '$X402_OUT/bad-user.conf' 2>&1 |
    grep -q 'command_user: \"root\" is not a user name the command may run as'"
check "x402-gate -t accepts the command_user route" \
    "$GATE" -t -c "$X402_OUT/try.conf"
"$GATE" -t -u "$GU" -c "$X402_OUT/try.conf" >"$X402_OUT/try.t" 2>&1
eq "x402-gate -t -u GATE_USER accepts the command_user route" "$?" 0
check "x402-gate -t checks the command as command_user" grep -q \
    "^ok      \[route\] command $FIX is executable by $CU" "$X402_OUT/try.t"
"$GATE" -t -c "$X402_OUT/plain.conf" >"$X402_OUT/plain.t" 2>&1
eq "x402-gate -t refuses a spawner that is not setuid root (EX_CONFIG)" "$?" 78
check "x402-gate -t names the spawner" grep -q \
    "^FAILED  \[paths\] spawn .*x402-spawn-plain is not installed setuid root" \
    "$X402_OUT/plain.t"
# x402-gate will not start a command_user route without a setuid spawner.
as_gate env REQUEST_METHOD=GET "$GATE" -c "$X402_OUT/plain.conf" </dev/null \
    >"$X402_OUT/plain.out" 2>&1
eq "gate refuses a spawner that is not setuid root (EX_CONFIG)" "$?" 78
check "the start-up error names the spawner" \
    grep -q "x402-spawn-plain is not installed setuid root" "$X402_OUT/plain.out"

LIGHTTPD_AS="setpriv --reuid=$GU --regid=$GGID --init-groups --" \
    lighttpd_gates try hang meter || exit 1

# 1. The paid command, as the command user, tries everything: all denied.
before=$(balance "$PAYTO")
node "$CHAIN/pay-v2.mjs" "$BASE/try" >"$X402_OUT/pay.json" 2>"$X402_OUT/pay.err"
eq "paid request with command_user succeeds (exit status)" "$?" 0
node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1])).body)' \
    "$X402_OUT/pay.json" >"$X402_OUT/try.body" 2>/dev/null
eq "the command ran as the command user, no other group" \
    "$(sed -n 1p "$X402_OUT/try.body")" "uid=$CUID groups=$CGID"
for a in read-key write-key list-claims create-claim rename-claim \
    remove-claim list-drafts create-draft rename-draft create-spool-tmp \
    create-spool-new rename-spool-tmp-new rename-spool-new \
    remove-spool-new gate-signal; do
	eq "command cannot $a" "$(sed -n "s/^$a: //p" "$X402_OUT/try.body")" denied
done
check "nothing was allowed" sh -c "! grep -q ALLOWED '$X402_OUT/try.body'"
for f in "$CLAIMS/probe" "$DRAFTS/probe" "$SPOOL/tmp/probe" "$SPOOL/new/probe"; do
	eq "$(basename "$(dirname "$f")")/probe is untouched" "$(cat "$f")" probe
done
check "no forged file anywhere" sh -c "! ls '$CLAIMS/forged' '$DRAFTS/forged' \
    '$SPOOL/tmp/forged' '$SPOOL/new/forged' 2>/dev/null | grep -q ."
# A descendant that left the command's group (setsid) runs as the command
# user: the gate cannot signal it, the spawner (a subreaper) ends it.
n=0
while [ ! -s "$X402_OUT/work/escaped.pid" ] && [ $n -lt 20 ]; do
	n=$((n + 1))
	sleep 0.1
done
esc=$(cat "$X402_OUT/work/escaped.pid" 2>/dev/null)
check "the command left a setsid descendant (pid recorded)" \
    sh -c "echo '$esc' | grep -q '^[0-9][0-9]*$'"
n=0
while [ -n "$esc" ] && kill -0 "$esc" 2>/dev/null &&
    [ $n -lt $(( 30 * X402_TEST_SCALE )) ]; do
	n=$((n + 1))
	sleep 0.1
done
if [ -n "$esc" ] && kill -0 "$esc" 2>/dev/null; then
	not_ok "the setsid descendant of the command outlived its run"
	kill -9 "$esc"	# ours (the pid file)
else
	ok "the setsid descendant of the command outlived nothing"
fi
after=$(balance "$PAYTO")
eq "the payment moved exactly the price" "$((after - before))" 1000
eq "and its receipt is in the spool" \
    "$(ls "$SPOOL/new" | grep -vc '^probe$')" 1

# 1b. upto as the command user: the charge on fd 3 is what is settled.
before=$(balance "$PAYTO")
node "$CHAIN/pay-v2.mjs" "$BASE/meter" --upto --data "charge 1234" \
    >"$X402_OUT/pay-meter.json" 2>"$X402_OUT/pay-meter.err"
eq "upto with command_user: paid (exit status)" "$?" 0
eq "upto with command_user: the usage channel passed the spawner" \
    "$(( $(balance "$PAYTO") - before ))" 1234
after=$(balance "$PAYTO")

# 2. A command that ignores SIGTERM and leaves a helper: its timeout ends
# both (the gate cannot signal the command user: the spawner does).
curl -s -D "$X402_OUT/hang.h402" -o /dev/null "$BASE/hang"
PR=$(header PAYMENT-REQUIRED "$X402_OUT/hang.h402")
H=$(node "$CHAIN/payment-header.mjs" "$PR")
t0=$(date +%s)
code=$(curl -s -o "$X402_OUT/hang.body" -w '%{http_code}' \
    --max-time "$(scaled 20)" -H "PAYMENT-SIGNATURE: $H" "$BASE/hang")
t1=$(date +%s)
eq "a command past its timeout: 504" "$code" 504
# 2 s timeout, the spawner's 1 s TERM -> KILL, within the gate's 2 s grace.
check "the 504 came at the timeout, not when the command chose to end" \
    test $((t1 - t0)) -le "$(scaled 8)"
pids=$(cat "$X402_OUT/work/hang.pids" 2>/dev/null)
eq "the hanging command recorded itself and its helper" \
    "$(echo "$pids" | wc -w)" 2
left=
n=0
while [ $n -lt $(( 30 * X402_TEST_SCALE )) ]; do
	left=
	for p in $pids; do
		[ -n "$p" ] && kill -0 "$p" 2>/dev/null && left="$left $p"
	done
	[ -z "$left" ] && break
	n=$((n + 1))
	sleep 0.1
done
eq "nothing of the timed-out command is left running" "$left" ""
for p in $left; do kill -9 "$p"; done	# ours (the pid file), if any
after2=$(balance "$PAYTO")
eq "the timed-out run was not charged" "$((after2 - after))" 0

# 3. The spawner's refusals: exit 126 and one line naming the reason.
# refused NAME WANT CMD...: CMD exits 126 and its stderr contains WANT.
refused() {
	name=$1 want=$2
	shift 2
	"$@" >/dev/null 2>"$X402_OUT/refusal.err"
	rc=$?
	if [ $rc -eq 126 ] && grep -q "$want" "$X402_OUT/refusal.err" &&
	    [ "$(wc -l <"$X402_OUT/refusal.err")" -eq 1 ]; then
		ok "spawner refuses: $name"
	else
		not_ok "spawner refuses: $name: status $rc, stderr: $(cat "$X402_OUT/refusal.err")"
	fi
}
SP=$S/x402-spawn
refused "a caller not listed" 'caller "nobody" may not run commands as' \
    setpriv --reuid=nobody --regid=$GGID --clear-groups -- $SP $CU -- /usr/bin/id
refused "a command user not listed" 'may not run commands as "nobody"' \
    as_gate $SP nobody -- /usr/bin/id
refused "root as the command user (even listed)" 'refusing to run a command as root' \
    as_gate $SP root -- /usr/bin/id
refused "the caller as the command user (even listed)" 'is the caller$' \
    as_gate $SP $GU -- /usr/bin/id
refused "a command user in the caller's group (even listed)" \
    "x402test-peer\" has the caller's group" as_gate $SP $PU -- /usr/bin/id
refused "a relative command" 'is not an absolute path' \
    as_gate $SP $CU -- usr/bin/id
refused "root as the caller" 'the caller is root' $SP $CU -- /usr/bin/id
refused "no -- before the command" 'usage:' as_gate $SP $CU /usr/bin/id
refused "a copy that is not setuid root" 'not installed setuid root' \
    as_gate $S/x402-spawn-plain $CU -- /usr/bin/id
chmod 0666 "$SPAWN_CONF"
refused "a spawn.conf writable by others" 'writable by group or others' \
    as_gate $SP $CU -- /usr/bin/id
chmod 0664 "$SPAWN_CONF"
refused "a spawn.conf writable by its group" 'writable by group or others' \
    as_gate $SP $CU -- /usr/bin/id
chmod 0644 "$SPAWN_CONF"
chown $GU "$SPAWN_CONF"
refused "a spawn.conf not owned by root" 'is not owned by root' \
    as_gate $SP $CU -- /usr/bin/id
chown 0 "$SPAWN_CONF"
out=$(as_gate env LD_X402_PROBE=1 GLIBC_TUNABLES=x X402_KEEP=1 $SP $CU -- /usr/bin/env)
eq "the spawner passes the environment on" "$(echo "$out" | grep -c '^X402_KEEP=1$')" 1
eq "but not LD_* or GLIBC_TUNABLES" "$(echo "$out" | grep -c '^LD_\|^GLIBC_TUNABLES')" 0
as_gate $SP $CU -- /bin/sh -c 'exit 7'
eq "the command's exit status comes back" "$?" 7

finish
