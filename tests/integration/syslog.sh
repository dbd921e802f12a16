#!/bin/sh
# syslog.sh - `[gate] log = syslog`: the gate's lines and its access line
# reach syslog(3), i.e. the datagram socket /dev/log, with the program's
# name and no internal function name.  This machine runs no syslog daemon,
# so the test gives the gate a /dev/log of its own: in a private mount
# namespace (unshare -m) a tmpfs over /dev holds the few devices a process
# needs and a bind mount of a socket this test listens on; nothing outside
# the namespace changes.  The facilitator is away (a free port nobody
# serves), so the worker logs a warning, then answers an unpaid request
# with its 402 and one access line.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { ok "skipped: not root (mount namespace)"; finish; exit 0; }
command -v unshare >/dev/null || { not_ok "unshare (util-linux) missing"; finish; exit 1; }

SOCK=$X402_OUT/log.sock
LOG=$X402_OUT/syslog.txt
# The receiver: one line per datagram, flushed at once.
python3 - "$SOCK" "$LOG" >"$X402_OUT/receiver.log" 2>&1 <<'PY' &
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\n") + b"\n")
PY
PIDS="$PIDS $!"
n=0
while [ ! -S "$SOCK" ] && [ $n -lt 50 ]; do n=$((n + 1)); sleep 0.1; done
check "the test's syslog socket listens" test -S "$SOCK"

AWAY=$(freeport)
cat >"$X402_OUT/r.conf" <<CONF
[route]
command = /bin/echo paid
price = 1000
pay_to = 0x209693Bc6afc0C5328bA36FaF03C514EF312287C
accept = base-sepolia
[gate]
log = syslog
access_log = kv
[facilitator]
url = http://127.0.0.1:$AWAY/
timeout = 2s
[paths]
spool = $X402_OUT/spool
claims = $X402_OUT/claims
fallback = $X402_OUT/fallback
CONF

# One unpaid request as plain CGI, with /dev/log being our socket.
unshare -m --propagation private sh -c '
	set -e
	mkdir -p "$1/hostdev"
	mount --bind /dev "$1/hostdev"
	mount -t tmpfs -o mode=0755 tmpfs /dev
	for n in null zero random urandom; do
		: >"/dev/$n"
		mount --bind "$1/hostdev/$n" "/dev/$n"
	done
	: >/dev/log
	mount --bind "$2" /dev/log
	umount -l "$1/hostdev"
	REQUEST_METHOD=GET HTTP_HOST=127.0.0.1 REQUEST_URI=/r SCRIPT_NAME=/r \
	    SERVER_NAME=127.0.0.1 SERVER_PORT=80 REMOTE_ADDR=127.0.0.9 \
	    GATEWAY_INTERFACE=CGI/1.1 "$3" -c "$1/r.conf" </dev/null
' sh "$X402_OUT" "$SOCK" "$GATE" >"$X402_OUT/reply.txt" 2>"$X402_OUT/stderr.txt"
eq "the gate ran in its namespace and answered" "$?" 0
check "the unpaid request got its 402" grep -q '^Status: 402' "$X402_OUT/reply.txt"
n=0
while ! grep -q 'status=402' "$LOG" 2>/dev/null && [ $n -lt 30 ]; do
	n=$((n + 1))
	sleep 0.1
done
check "the access line reached syslog" grep -q 'x402-gate\[[0-9]*\]: .*route=r .*method=GET .*status=402' "$LOG"
check "the access line names the client" grep -q 'status=402.*client=127.0.0.9\|client=127.0.0.9.*status=402' "$LOG"
check "the facilitator's absence reached syslog as a warning (daemon.warning)" \
    grep -q '^<28>.*x402-gate\[[0-9]*\]: route r: the facilitator could not be asked' "$LOG"
check "and stderr, written while the route file was read" \
    grep -q "127.0.0.1 port $AWAY" "$X402_OUT/stderr.txt"
check "no internal function name in the syslog lines" \
    sh -c "! grep -q 'x402_\\|route_\\|gate_handle' '$LOG'"
check "nothing of it went to stderr" sh -c "! grep -q 'status=402' '$X402_OUT/stderr.txt'"
finish
