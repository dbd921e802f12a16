#!/bin/sh
# debian.sh - the Debian packages (debian/): dpkg-buildpackage -us -uc in
# a copy of the tree (nocheck, -j2), lintian without E: or W: tags, then,
# on this machine: apt-get install of the five packages; the users, owners
# and modes of contrib/README.md; x402-spawn setuid 4750 root:www-data and
# payout.conf 0600 x402 (dpkg-statoverride); the /etc/x402 files are
# conffiles and an edited one survives a reinstall; libx402.pc builds a
# program; one paid request through the installed /usr/sbin/x402-gate
# under lighttpd (run as www-data) on anvil, settlement = local, the
# command run as x402cmd through the installed spawner, the receipt in
# /var/spool/x402; then apt-get purge leaves no file of the packages (an
# operator's key in /etc/x402/gate stays, the users x402 and x402cmd stay,
# as Debian policy suggests) and the machine's lighttpd service as it was.
# The packages are purged on any exit (trap).  Needs root; refuses to run
# when one of the packages or /etc/x402 is already on the machine.
. "$(dirname "$0")/lib.sh"

PKGS="x402-common x402-gate x402-payout x402-cli libx402-dev"
[ "$(id -u)" -eq 0 ] || { ok "skipped: not root"; finish; exit 0; }
# The packages are built by dpkg-buildpackage with their own flags, never
# from the sanitized build, and the plain lane installs them on this very
# machine at the same time: the sanitizer lane has nothing to add.
if sanitized; then
	skip "the Debian packages are not built from the sanitized build"
	finish
	exit 0
fi
for t in dpkg-buildpackage dh lintian setpriv; do
	command -v $t >/dev/null || { not_ok "$t missing (scripts/deps.sh test)"; finish; exit 1; }
done
for p in $PKGS; do
	if dpkg-query -W -f='${db:Status-Status}' $p 2>/dev/null |
	    grep -qv '^not-installed$'; then
		not_ok "$p is already on this machine: not touching it"
		finish
		exit 1
	fi
done
for d in /etc/x402 /var/lib/x402 /var/spool/x402 /var/log/x402 /run/x402; do
	[ -e $d ] && { not_ok "$d exists already: not touching it"; finish; exit 1; }
done

# the machine's lighttpd service, as it was before (compared at the end)
lighttpd_state() {
	{
		ls -l /etc/rc?.d 2>/dev/null | grep -c lighttpd
		systemctl is-enabled lighttpd 2>/dev/null
		service lighttpd status >/dev/null 2>&1
		echo "status $?"
		find /etc/lighttpd -exec ls -ld {} + 2>/dev/null | md5sum
	} 2>/dev/null
}
lighttpd_state >"$X402_OUT/lighttpd.before"

INSTALLED=0
purge() {
	[ $INSTALLED = 1 ] || return 0
	INSTALLED=0
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $PKGS \
	    >"$X402_OUT/purge.log" 2>&1
}
# None of these was there before (checked above): on any exit, after the
# purge, what is left of them goes too (the checks below come first).
LAYOUT="/etc/x402 /var/lib/x402 /var/spool/x402 /var/log/x402 /run/x402"
trap 'cleanup; purge; rm -rf $LAYOUT' EXIT INT TERM

# -- build ---------------------------------------------------------------
B=$X402_OUT/pkg
mkdir -p "$B/x402-cgi"
if git -C "$X402_TOP" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$X402_TOP" && git ls-files -z --cached --others --exclude-standard |
	    xargs -0 cp -P --parents -t "$B/x402-cgi")
else
	(cd "$X402_TOP" && tar cf - --exclude=./build --exclude=./build-san \
	    --exclude=node_modules .) | (cd "$B/x402-cgi" && tar xf -)
fi
rm -rf "$B/x402-cgi/tests/chain/node_modules"
t0=$(date +%s)
(cd "$B/x402-cgi" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
    dpkg-buildpackage -us -uc -b) >"$X402_OUT/build.log" 2>&1
eq "dpkg-buildpackage -us -uc -b" "$?" 0
echo "# dpkg-buildpackage: $(( $(date +%s) - t0 )) s"
for p in $PKGS; do
	check "built $p" test -f "$(ls "$B"/${p}_*.deb 2>/dev/null | head -1)"
done
[ "$FAILED" -eq 0 ] || { tail -30 "$X402_OUT/build.log"; finish; exit 1; }

lintian -q "$B"/x402-cgi_*.changes >"$X402_OUT/lintian.log" 2>&1
eq "lintian: no E: tag" "$(grep -c '^E:' "$X402_OUT/lintian.log")" 0
eq "lintian: no W: tag" "$(grep -c '^W:' "$X402_OUT/lintian.log")" 0
grep '^[EW]:' "$X402_OUT/lintian.log"

# -- install ---------------------------------------------------------------
debs=
for p in $PKGS; do
	debs="$debs $(ls "$B"/${p}_*.deb)"
done
INSTALLED=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $debs \
    >"$X402_OUT/install.log" 2>&1
eq "apt-get install ./*.deb" "$?" 0
for p in $PKGS; do
	eq "$p installed" "$(dpkg-query -W -f='${db:Status-Status}' $p)" installed
done
dpkg -L $PKGS | sort -u >"$X402_OUT/files"

check "users x402 and x402cmd exist" sh -c 'getent passwd x402 x402cmd >/dev/null'
check "www-data is in the group x402" sh -c 'id -nG www-data | tr " " "\n" | grep -qx x402'
check "x402cmd is in neither www-data nor x402" \
    sh -c '! id -nG x402cmd | tr " " "\n" | grep -qx "www-data\|x402"'
# PATH OWNER:GROUP MODE: the table of contrib/README.md
while read -r path want; do
	eq "$path is $want" "$(stat -c '%U:%G %a' "$path" 2>&1)" "$want"
done <<TABLE
/etc/x402 root:root 755
/etc/x402/x402.conf root:root 644
/etc/x402/spawn.conf root:root 644
/etc/x402/payout.conf x402:x402 600
/etc/x402/private x402:x402 700
/etc/x402/gate www-data:www-data 700
/var/spool/x402 x402:x402 2770
/var/spool/x402/tmp x402:x402 2770
/var/spool/x402/new x402:x402 2770
/var/spool/x402/cur x402:x402 2770
/var/spool/x402/quarantine x402:x402 2770
/var/lib/x402/claims www-data:www-data 700
/var/lib/x402/fallback www-data:www-data 700
/var/lib/x402/payout x402:x402 700
/var/lib/x402/work x402cmd:x402cmd 711
/var/log/x402 root:adm 755
/var/log/x402/payout.log x402:adm 640
/var/log/x402/recover.log www-data:adm 640
/run/x402 www-data:www-data 750
/usr/libexec/x402/x402-spawn root:www-data 4750
TABLE
check "the cgi-bin links name the installed gate" \
    test "$(readlink -f /usr/libexec/x402/cgi-bin/ocr.fcgi)" = /usr/sbin/x402-gate
conf=$(dpkg-query -W -f='${Conffiles}\n' $PKGS | awk 'NF {print $1}' | sort | tr '\n' ' ')
eq "conffiles" "$conf" "/etc/logrotate.d/x402 /etc/x402/networks.conf /etc/x402/ocr.conf /etc/x402/payout.conf /etc/x402/spawn.conf /etc/x402/stt.conf /etc/x402/tts.conf /etc/x402/wordcount.conf /etc/x402/x402.conf "
check "systemd units installed (not enabled)" \
    test -f /lib/systemd/system/x402-gate@.service -a -f /lib/systemd/system/x402-payout.timer
check "cron.d files ship as documentation only" test ! -e /etc/cron.d/x402-payout
check "x402 --version" sh -c 'x402 --version >/dev/null'
cat >"$X402_OUT/t.c" <<'C'
#include <stdio.h>
#include <x402/x402.h>
int main(void) { puts(x402_strerror(0)); return 0; }
C
check "a program builds against libx402.pc" sh -c "cc -o '$X402_OUT/t' \
    '$X402_OUT/t.c' \$(pkg-config --cflags --libs libx402) && '$X402_OUT/t' >/dev/null"

# An edited conffile survives a reinstall; the overrides stay.
echo '; kept by the operator' >>/etc/x402/x402.conf
DEBIAN_FRONTEND=noninteractive dpkg -i $debs >"$X402_OUT/reinstall.log" 2>&1
eq "dpkg -i again (upgrade in place)" "$?" 0
check "the edited /etc/x402/x402.conf is kept" \
    grep -q '^; kept by the operator' /etc/x402/x402.conf
check "no .dpkg-new or .dpkg-dist left" \
    sh -c '! ls /etc/x402 | grep -q "dpkg-"'
eq "x402-spawn still 4750 root:www-data" \
    "$(stat -c '%U:%G %a' /usr/libexec/x402/x402-spawn)" "root:www-data 4750"
eq "payout.conf still x402:x402 0600" \
    "$(stat -c '%U:%G %a' /etc/x402/payout.conf)" "x402:x402 600"

# -- one paid request through the installed gate -----------------------------
start_chain || exit 1
install -o www-data -g www-data -m 0400 /dev/null /etc/x402/gate/relayer.key
printf '%s\n' "${RELAYER_KEY#0x}" >/etc/x402/gate/relayer.key
chown www-data:www-data "$X402_OUT"
chmod 0755 "$X402_OUT"
cat >"$X402_OUT/whoami.conf" <<CONF
[route]
command = /usr/bin/id -un
command_user = x402cmd
workdir = /var/lib/x402/work
description = Says who ran it
mime_type = text/plain
price = 1000
pay_to = $PAYTO
accept = base-sepolia
command_timeout = 10s

[gate]
settlement = local

[local]
rpc_url = $RPC_URL
relayer_key = /etc/x402/gate/relayer.key
receipt_timeout = 30s
CONF
chmod 0644 "$X402_OUT/whoami.conf"
GATE=/usr/sbin/x402-gate
setpriv --reuid=www-data --regid=www-data --init-groups -- \
    "$GATE" -t -c "$X402_OUT/whoami.conf" >"$X402_OUT/t.out" 2>&1
eq "installed x402-gate -t as www-data accepts the route" "$?" 0
PORT=$(freeport)
LIGHTTPD_AS="setpriv --reuid=www-data --regid=www-data --init-groups --" \
    lighttpd_gates whoami || exit 1
before=$(balance "$PAYTO")
node "$CHAIN/pay-v2.mjs" "http://127.0.0.1:$PORT/whoami" \
    >"$X402_OUT/pay.json" 2>"$X402_OUT/pay.err"
eq "official v2 client pays the installed gate" "$?" 0
check "the command ran as x402cmd (installed spawner)" \
    grep -q '"body":"x402cmd' "$X402_OUT/pay.json"
eq "the payment moved exactly the price" "$(( $(balance "$PAYTO") - before ))" 1000
eq "one receipt in /var/spool/x402/new" "$(ls /var/spool/x402/new | wc -l)" 1
eq "the receipt is www-data:x402" \
    "$(stat -c '%U:%G' /var/spool/x402/new/* 2>&1 | head -1)" "www-data:x402"
kill $(cat "$X402_OUT/lighttpd.pid") 2>/dev/null
sleep 0.5

# -- purge -----------------------------------------------------------------
purge
eq "apt-get purge" "$?" 0
eq "no package left (not even rc)" \
    "$(dpkg-query -W -f='${db:Status-Abbrev}${Package}\n' $PKGS 2>/dev/null | grep -v '^un' | grep -v '^ *$')" ""
left=
while read -r f; do
	[ -d "$f" ] && continue	# a directory (or /lib, a link to one)
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$X402_OUT/files"
eq "no file of the packages left" "$left" ""
check "the operator's key in /etc/x402/gate is kept" \
    test -f /etc/x402/gate/relayer.key
eq "only the operator's key is left in /etc/x402" "$(find /etc/x402 | sort | tr '\n' ' ')" \
    "/etc/x402 /etc/x402/gate /etc/x402/gate/relayer.key "
rm -rf /etc/x402
left=
for d in /etc/x402 /usr/libexec/x402 /usr/include/x402 /usr/share/doc/x402-cgi \
    /var/lib/x402 /var/spool/x402 /var/log/x402 /run/x402; do
	[ -e $d ] && left="$left $d"
done
eq "no directory of the packages left" "$left" ""
eq "no dpkg-statoverride left" \
    "$(dpkg-statoverride --list | grep x402)" ""
check "the users stay (Debian policy)" sh -c 'getent passwd x402 x402cmd >/dev/null'
lighttpd_state >"$X402_OUT/lighttpd.after"
check "the machine's lighttpd service is as it was" \
    cmp -s "$X402_OUT/lighttpd.before" "$X402_OUT/lighttpd.after"
finish
