#!/bin/sh
# permissions.sh - the user and permission layout of contrib/README.md,
# built under X402_OUT with numeric ids (no users are created): the web
# server's user (www-data, in group x402) reads route files, serves a 402
# with the real x402-gate, writes receipts into the spool and claims; the
# payout user reads its key (the real x402-payout check) and claims the
# receipts; the web server's user can never read the payout key.
. "$(dirname "$0")/lib.sh"

WEB=33                  # www-data on Debian
PO=64990                # stands for the x402 system user and group
command -v setpriv >/dev/null || { not_ok "setpriv (util-linux) missing"; finish; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (skipped)"; ok "skipped: not root"; finish; exit 0; }
as_web() { setpriv --reuid=$WEB --regid=$WEB --groups=$WEB,$PO -- "$@"; }
as_po() { setpriv --reuid=$PO --regid=$PO --groups=$PO -- "$@"; }

start_chain || exit 1          # the gate's local settlement asks the chain
R=$X402_OUT/root
chmod 0755 "$X402_OUT"
# The layout, as contrib/README.md writes it (paths under $R).
install -d -o 0 -g 0 -m 0755 "$R" "$R/etc/x402" "$R/var" "$R/var/spool" \
    "$R/var/lib" "$R/var/lib/x402"
install -d -o $PO -g $PO -m 0700 "$R/etc/x402/private"
install -d -o $PO -g $PO -m 2770 "$R/var/spool/x402" \
    "$R/var/spool/x402/tmp" "$R/var/spool/x402/new" \
    "$R/var/spool/x402/cur" "$R/var/spool/x402/quarantine"
install -d -o $WEB -g $WEB -m 0700 "$R/var/lib/x402/claims" \
    "$R/var/lib/x402/fallback"
install -d -o $PO -g $PO -m 0700 "$R/var/lib/x402/payout"

KEY=0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6
printf '%s\n' "$KEY" >"$X402_OUT/payout.key.src"
chmod 0600 "$X402_OUT/payout.key.src"
WALLET=$("$X402_BUILD/src/cli/x402" address "$X402_OUT/payout.key.src")
install -o $PO -g $PO -m 0400 "$X402_OUT/payout.key.src" \
    "$R/etc/x402/private/payout.key"
rm -f "$X402_OUT/payout.key.src"
cat >"$R/etc/x402/x402.conf" <<CONF
[gate]
settlement = local
[local]
rpc_url = $RPC_URL
relayer_key = $R/etc/x402/gate/relayer.key
[paths]
spool = $R/var/spool/x402
claims = $R/var/lib/x402/claims
fallback = $R/var/lib/x402/fallback
CONF
cat >"$R/etc/x402/ocr.conf" <<CONF
[route]
command = /bin/cat
price = \$0.01
pay_to = 0x209693Bc6afc0C5328bA36FaF03C514EF312287C
accept = base-sepolia
CONF
chmod 0644 "$R/etc/x402/x402.conf" "$R/etc/x402/ocr.conf"
# local settlement: the relayer key belongs to the web server's user.
install -d -o $WEB -g $WEB -m 0700 "$R/etc/x402/gate"
printf '%s\n' "$RELAYER_KEY" \
    >"$R/etc/x402/gate/relayer.key"
chown $WEB:$WEB "$R/etc/x402/gate/relayer.key"
chmod 0400 "$R/etc/x402/gate/relayer.key"
cat >"$X402_OUT/payout.conf.src" <<CONF
[payout]
wallet = $(echo "$WALLET" | tr 'A-F' 'a-f')
key = $R/etc/x402/private/payout.key
spool = $R/var/spool/x402
state = $R/var/lib/x402/payout
network = base-sepolia
rpc = http://127.0.0.1:9
default_split = team
[payee alice]
address = 0x00000000000000000000000000000000000a11ce
[split team]
shares = retain:10% alice:90%
CONF
install -o $PO -g $PO -m 0600 "$X402_OUT/payout.conf.src" "$R/etc/x402/payout.conf"
check "a payout wallet address was derived" test -n "$WALLET"

# The web server's user.
check "web user reads the route file" as_web cat "$R/etc/x402/ocr.conf" >/dev/null
out=$(as_web "$GATE" -t -g "$R/etc/x402/x402.conf" -c "$R/etc/x402/ocr.conf" 2>&1)
eq "web user: x402-gate -t: exit status" "$?" 0
eq "web user: x402-gate -t" "$(echo "$out" | tail -1)" "$R/etc/x402/ocr.conf: ok (1 offer)"
check "web user: x402-gate -t checks the spool's rights" sh -c \
    "echo \"\$1\" | grep -q '^ok      \[paths\] spool $R/var/spool/x402 is writable'" - "$out"
# A CGI request without payment, as the web server runs it: the gate
# reads its relayer key, opens the spool and the claims, and answers 402.
as_web env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET HTTP_HOST=h \
    REQUEST_URI=/ocr "$GATE" -g "$R/etc/x402/x402.conf" \
    -c "$R/etc/x402/ocr.conf" </dev/null >"$X402_OUT/cgi.out" \
    2>"$X402_OUT/cgi.err"
check "web user: x402-gate (CGI) answers 402" grep -q '^Status: 402' "$X402_OUT/cgi.out"
[ -s "$X402_OUT/cgi.err" ] && cat "$X402_OUT/cgi.err"
check "web user cannot read the payout key" sh -c \
    "! setpriv --reuid=$WEB --regid=$WEB --groups=$WEB,$PO -- cat '$R/etc/x402/private/payout.key' 2>/dev/null"
check "web user cannot list the private directory" sh -c \
    "! setpriv --reuid=$WEB --regid=$WEB --groups=$WEB,$PO -- ls '$R/etc/x402/private' 2>/dev/null"
check "web user cannot read payout.conf" sh -c \
    "! setpriv --reuid=$WEB --regid=$WEB --groups=$WEB,$PO -- cat '$R/etc/x402/payout.conf' 2>/dev/null"
check "web user cannot read the payout ledger directory" sh -c \
    "! setpriv --reuid=$WEB --regid=$WEB --groups=$WEB,$PO -- ls '$R/var/lib/x402/payout' 2>/dev/null"
# A receipt written the spool's way: tmp, then new (umask as the gate's
# files: 0640).
check "web user writes a receipt into the spool" as_web sh -c \
    "umask 027; echo '{}' >'$R/var/spool/x402/tmp/r1' && mv '$R/var/spool/x402/tmp/r1' '$R/var/spool/x402/new/r1'"
eq "the receipt is group x402 (setgid spool)" \
    "$(stat -c %g "$R/var/spool/x402/new/r1")" "$PO"

# The payout user.
out=$(as_po "$X402_BUILD/src/payout/x402-payout" -c "$R/etc/x402/payout.conf" check 2>&1)
eq "payout user: x402-payout check reads the key (exit status)" "$?" 0
echo "$out" >"$X402_OUT/po-check.out"
check "x402-payout check prints what it checked" grep -q \
    "^ok      \[payout\] key $R/etc/x402/private/payout.key (mode 0400) is the key of the wallet $WALLET" \
    "$X402_OUT/po-check.out"
eq "x402-payout check: a summary line" "$(tail -1 "$X402_OUT/po-check.out")" \
    "$R/etc/x402/payout.conf: ok"
check "payout user reads the receipt" as_po sh -c "cat '$R/var/spool/x402/new/r1' >/dev/null"
check "payout user claims the receipt (new -> cur)" as_po mv \
    "$R/var/spool/x402/new/r1" "$R/var/spool/x402/cur/r1"
check "payout user removes it" as_po rm "$R/var/spool/x402/cur/r1"
check "payout user cannot write the gate's claims" sh -c \
    "! setpriv --reuid=$PO --regid=$PO --groups=$PO -- touch '$R/var/lib/x402/claims/x' 2>/dev/null"

# And the key check fails closed if the key is loosened.
chmod 0644 "$R/etc/x402/private/payout.key"
out=$(as_po "$X402_BUILD/src/payout/x402-payout" -c "$R/etc/x402/payout.conf" check 2>&1)
case $out in
*"unsafe file permissions"*) ok "a 0644 payout key is refused" ;;
*) not_ok "a 0644 payout key was not refused: $out" ;;
esac

finish
