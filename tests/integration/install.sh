#!/bin/sh
# install.sh - `make install DESTDIR=...` from the build directory puts
# every program, the library, its headers, libx402.pc, the man pages, the
# example configuration and the state directories in place; the man pages
# are clean under `man --warnings`; a program using x402.h builds and runs
# against the installed copy through pkg-config; a second install keeps an
# operator's edited configuration; uninstall removes what install put.
. "$(dirname "$0")/lib.sh"

R=$X402_OUT/root
BD=$(cd "$X402_BUILD" && pwd)
prefix=$(sed -n 's/^prefix = //p' "$BD/Makefile")
sysconfdir=$(sed -n 's/^sysconfdir = //p' "$BD/Makefile" | sed "s|\${prefix}|$prefix|")
localstatedir=$(sed -n 's/^localstatedir = //p' "$BD/Makefile" | sed "s|\${prefix}|$prefix|")
echo "prefix $prefix sysconfdir $sysconfdir localstatedir $localstatedir"

make -C "$BD" install DESTDIR="$R" >"$X402_OUT/install.log" 2>&1
eq "make install DESTDIR succeeds" "$?" 0

P=$R$prefix
for f in sbin/x402-gate sbin/x402-payout bin/x402; do
	check "installed program $f" test -x "$P/$f"
done
check "installed x402-spawn in libexec/x402" test -x "$P/libexec/x402/x402-spawn"
check "x402-spawn is not made setuid by make install" \
    test ! -u "$P/libexec/x402/x402-spawn"
check "installed libx402.a" test -f "$P/lib/libx402.a"
check "installed libx402.pc" test -f "$P/lib/pkgconfig/libx402.pc"
for h in x402.h error.h buf.h codec.h u256.h price.h network.h protocol.h \
    verify.h settle.h facilitator.h receipt.h spool.h claim.h; do
	check "installed header x402/$h" test -f "$P/include/x402/$h"
done
# Every header x402.h includes is installed.
missing=
for h in $(sed -n 's/^#include "\(.*\)"/\1/p' "$X402_TOP/src/lib/x402.h"); do
	[ -f "$P/include/x402/$h" ] || missing="$missing $h"
done
eq "every header of x402.h installed" "$missing" ""
for m in man1/x402.1 man5/x402.conf.5 man8/x402-gate.8 man8/x402-payout.8 \
    man8/x402-spawn.8; do
	check "installed man page $m" test -f "$P/share/man/$m"
done
C=$R$sysconfdir/x402
for f in x402.conf payout.conf networks.conf; do
	check "installed example $sysconfdir/x402/$f" test -f "$C/$f"
done
S=$R$localstatedir
for d in spool/x402/new spool/x402/cur spool/x402/tmp spool/x402/quarantine \
    lib/x402/claims lib/x402/fallback lib/x402/payout; do
	check "created $localstatedir/$d" test -d "$S/$d"
done

# The documentation and the deployment kit, where the units point.
D=$P/share/doc/x402-cgi
for f in README.md LICENSE NEWS SECURITY.md contrib/README.md \
    contrib/systemd/x402-gate@.service contrib/cron.d/x402-gate-recover \
    contrib/apache/x402-fcgid.conf contrib/demo/routes/ocr.conf \
    contrib/spawn.conf; do
	check "installed doc $f" test -f "$D/$f"
done
check "installed contrib/demo/demo.sh executable" test -x "$D/contrib/demo/demo.sh"
missing=
for f in $(cd "$X402_TOP" && find contrib -type f); do
	[ -f "$D/$f" ] || missing="$missing $f"
done
eq "every file of contrib/ installed under the doc directory" "$missing" ""
# Every Documentation=file:// of the units names an installed file (the
# units say /usr: map it to this prefix).
for u in "$X402_TOP"/contrib/systemd/*; do
	for f in $(sed -n 's/^Documentation=//p' "$u" | tr ' ' '\n' |
	    sed -n 's#^file:///usr/##p'); do
		check "$(basename "$u"): Documentation $f installed" \
		    test -f "$P/$f"
	done
done
# One cgi-bin directory: the one make install fills, named everywhere.
libexecdir=$(sed -n 's/^libexecdir = //p' "$BD/Makefile" |
    sed "s|\${exec_prefix}|$prefix|")
check "install made the cgi-bin links in libexecdir/x402/cgi-bin" \
    test -L "$R$libexecdir/x402/cgi-bin/ocr.fcgi"
paths=$(cd "$X402_TOP" && grep -rhoE '/usr/[a-z0-9/]*/cgi-bin' etc contrib docs \
    src cgi-bin README.md | sort -u)
eq "every cgi-bin path of the tree is /usr/libexec/x402/cgi-bin" \
    "$paths" /usr/libexec/x402/cgi-bin

# Man pages: no warning from man/groff, and each renders its NAME.
for m in man1/x402.1 man5/x402.conf.5 man8/x402-gate.8 man8/x402-payout.8 \
    man8/x402-spawn.8; do
	MANWIDTH=80 man --warnings -l "$P/share/man/$m" >"$X402_OUT/man.out" \
	    2>"$X402_OUT/man.err"
	eq "man --warnings $m: exit status" "$?" 0
	eq "man --warnings $m: no warnings" "$(cat "$X402_OUT/man.err")" ""
	check "man $m renders NAME" grep -q NAME "$X402_OUT/man.out"
done

# The installed example configuration is valid as far as it can be without
# a key: the shared x402.conf with a route (x402-gate -t).
cat >"$X402_OUT/r.conf" <<CONF
[route]
command = /bin/cat
price = \$0.01
pay_to = 0x209693Bc6afc0C5328bA36FaF03C514EF312287C
accept = base-sepolia
CONF
out=$("$P/sbin/x402-gate" -t -g "$C/x402.conf" -c "$X402_OUT/r.conf" 2>&1)
eq "installed x402-gate -t parses the example x402.conf" \
    "$(echo "$out" | grep '^ok      route r:')" \
    "ok      route r: $X402_OUT/r.conf parses (1 offer)"
out=$("$P/sbin/x402-payout" -c "$C/payout.conf" check 2>&1)
case $out in
*"[payout] key"*|*payout.key*) ok "example payout.conf parses (only its key is missing)" ;;
*) not_ok "example payout.conf: $out" ;;
esac

# pkg-config against the DESTDIR: compile and run a program using
# <x402/x402.h> and glibc's <error.h> (the library's error.h must not
# shadow it: Cflags names $(includedir), not $(includedir)/x402).
cat >"$X402_OUT/t.c" <<'C'
#include <error.h>
#include <stdio.h>
#include <x402/x402.h>

int
main(void)
{
	x402_u256 a;
	struct x402_detail d;
	char s[X402_U256_DECLEN + 1];

	if (x402_price_parse(&a, &d, "$0.01", 5, 6, "USDC") != 0)
		return 1;
	if (x402_u256_format_dec(s, sizeof(s), &a) < 0)
		error(1, 0, "format");
	printf("%s %s\n", s, x402_strerror(X402_ERR_CONFIG));
	return 0;
}
C
PKG_CONFIG_PATH=$P/lib/pkgconfig \
    pkg-config --define-variable=prefix="$P" --cflags --libs libx402 >"$X402_OUT/pc.out" 2>&1
eq "pkg-config --cflags --libs libx402" "$?" 0
flags=$(cat "$X402_OUT/pc.out")
check "pkg-config points into DESTDIR" grep -q -- "-I$P/include " "$X402_OUT/pc.out"
check "pkg-config does not put x402/ first (error.h)" sh -c "! grep -q -- '-I$P/include/x402' '$X402_OUT/pc.out'"
# shellcheck disable=SC2086
cc -Wall -Werror -o "$X402_OUT/t" "$X402_OUT/t.c" $flags \
    >"$X402_OUT/cc.log" 2>&1
eq "a program using x402.h compiles and links" "$?" 0
[ -s "$X402_OUT/cc.log" ] && cat "$X402_OUT/cc.log"
out=$("$X402_OUT/t" 2>&1)
case $out in
"10000 "?*) ok "it runs: \$0.01 is 10000 atomic units of USDC" ;;
*) not_ok "it runs: got '$out'" ;;
esac

# A second install keeps an operator's edits; uninstall keeps them too.
echo "; edited by the operator" >>"$C/x402.conf"
make -C "$BD" install DESTDIR="$R" >"$X402_OUT/install2.log" 2>&1
eq "second make install succeeds" "$?" 0
check "second install kept the edited x402.conf" grep -q "edited by the operator" "$C/x402.conf"
check "second install said so" grep -q "keeping .*x402.conf" "$X402_OUT/install2.log"
make -C "$BD" uninstall DESTDIR="$R" >"$X402_OUT/uninstall.log" 2>&1
eq "make uninstall succeeds" "$?" 0
check "uninstall removed the programs" test ! -e "$P/sbin/x402-gate"
check "uninstall removed the unchanged examples" test ! -e "$C/payout.conf"
check "uninstall kept the edited x402.conf" test -f "$C/x402.conf"
left=$(cd "$R" && find . -type f -o -type l | grep -v "x402/x402.conf$")
eq "nothing else left after uninstall" "$left" ""

# Without the Check library: configure succeeds and says the tests are off;
# `make` needs nothing of Check; a check program stops at tests/nocheck.h
# with the reason.  (pkg-config sees every .pc file but check.pc.)
NC=$X402_OUT/nocheck
mkdir -p "$NC/pc" "$NC/build"
for d in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
	for f in "$d"/*.pc; do
		[ -f "$f" ] && [ "$(basename "$f")" != check.pc ] &&
		    ln -sf "$f" "$NC/pc/"
	done
done
(cd "$NC/build" && PKG_CONFIG_LIBDIR=$NC/pc PKG_CONFIG_PATH= \
    "$X402_TOP/configure" --enable-werror) >"$NC/configure.log" 2>&1
eq "configure without Check succeeds" "$?" 0
check "configure says the tests are off" \
    grep -q "WARNING: unit tests (make check): off (Check not found" \
    "$NC/configure.log"
check "configure names where to report bugs" \
    grep -q "report bugs to <https://" "$NC/configure.log"
make -C "$NC/build" tests/check_error-check_error.o >"$NC/make.log" 2>&1
check "a check program without Check stops, saying why" \
    grep -q "make check needs the Check library" "$NC/make.log"
check "make (all) builds no check program" \
    sh -c "! make -C '$NC/build' -n all 2>/dev/null | grep -q 'tests/check_'"

finish
