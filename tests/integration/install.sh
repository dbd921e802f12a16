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

# pkg-config against the DESTDIR: compile and run a program using x402.h.
cat >"$X402_OUT/t.c" <<'C'
#include <stdio.h>
#include <x402.h>

int
main(void)
{
	x402_u256 a;
	struct x402_detail d;
	char s[X402_U256_DECLEN + 1];

	if (x402_price_parse(&a, &d, "$0.01", 5, 6, "USDC") != 0)
		return 1;
	if (x402_u256_format_dec(s, sizeof(s), &a) < 0)
		return 1;
	printf("%s %s\n", s, x402_strerror(X402_ERR_CONFIG));
	return 0;
}
C
PKG_CONFIG_PATH=$P/lib/pkgconfig \
    pkg-config --define-variable=prefix="$P" --cflags --libs libx402 >"$X402_OUT/pc.out" 2>&1
eq "pkg-config --cflags --libs libx402" "$?" 0
flags=$(cat "$X402_OUT/pc.out")
check "pkg-config points into DESTDIR" grep -q -- "-I$P/include/x402" "$X402_OUT/pc.out"
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
left=$(cd "$R" && find . -type f | grep -v "x402/x402.conf$")
eq "nothing else left after uninstall" "$left" ""

finish
