#!/bin/sh
# gate-examples.sh - the example route files of etc/ parse under
# x402-gate -t (which refuses the example's placeholder pay_to), name-based
# routing (NAME.fcgi -> $X402_CONFDIR/NAME.conf) picks the
# right route, and `make install` creates the cgi-bin symlinks that
# `make uninstall` removes.  No chain, no server.
. "$(dirname "$0")/lib.sh"
ETC=$X402_TOP/etc

# parsed: the line of x402-gate -t (on stdin) saying which route parsed.
parsed() {
	grep "^ok      route .* parses" || echo "(no parse line)"
}

for r in ocr tts stt wordcount; do
	out=$("$GATE" -t -c "$ETC/$r.conf" -g "$ETC/x402.conf" 2>&1)
	eq "x402-gate -t refuses the example's placeholder pay_to ($r.conf): exit 78" "$?" 78
	eq "x402-gate -t parses etc/$r.conf" "$(echo "$out" | parsed)" \
	    "ok      route $r: $ETC/$r.conf parses (1 offer)"
	echo "$out" >"$X402_OUT/$r.t"
	check "x402-gate -t names the placeholder ($r.conf)" grep -q \
	    "^FAILED .*pay_to: 0x0*1 is the example's placeholder" "$X402_OUT/$r.t"
done

# Name-based routing: a symlink named after the route.
mkdir -p "$X402_OUT/cgi-bin"
ln -s "$GATE" "$X402_OUT/cgi-bin/wordcount.fcgi"
out=$(X402_CONFDIR=$ETC "$X402_OUT/cgi-bin/wordcount.fcgi" -t 2>&1)
eq "wordcount.fcgi serves \$X402_CONFDIR/wordcount.conf" "$(echo "$out" | parsed)" \
    "ok      route wordcount: $ETC/wordcount.conf parses (1 offer)"
out=$(X402_CONFDIR=$X402_OUT/nowhere "$X402_OUT/cgi-bin/wordcount.fcgi" -t 2>&1)
check "a missing route file is refused" sh -c "echo '$out' | grep -q nowhere/wordcount.conf"
out=$("$GATE" -t 2>&1)
eq "x402-gate without a route refuses" "$?" 2
# Without -g the shared file comes from X402_CONFDIR too: the route file
# alone has no pay_to.
out=$(X402_CONFDIR=$X402_OUT/nowhere "$GATE" -t -c "$ETC/wordcount.conf" 2>&1)
check "without x402.conf the route lacks pay_to" sh -c "echo '$out' | grep -q pay_to"
# A query string without '=' outside CGI is ignored: options still work.
out=$(QUERY_STRING=-x "$GATE" -t -c "$ETC/ocr.conf" -g "$ETC/x402.conf" 2>&1)
eq "QUERY_STRING alone changes nothing" "$(echo "$out" | parsed)" \
    "ok      route ocr: $ETC/ocr.conf parses (1 offer)"
# In CGI, trailing arguments equal to the query words are dropped.
out=$(GATEWAY_INTERFACE=CGI/1.1 QUERY_STRING="-c+%2Fetc%2Fshadow" \
    "$GATE" -t -c "$ETC/ocr.conf" -g "$ETC/x402.conf" -c /etc/shadow 2>&1)
eq "CGI query words are not options" "$(echo "$out" | parsed)" "ok      route ocr: $ETC/ocr.conf parses (1 offer)"
# A long word does not hide the others.
long=$(head -c 3000 /dev/zero | tr '\0' A)
out=$(GATEWAY_INTERFACE=CGI/1.1 QUERY_STRING="-c+%2Fetc%2Fshadow+$long" \
    "$GATE" -t -c "$ETC/ocr.conf" -g "$ETC/x402.conf" -c /etc/shadow "$long" 2>&1)
eq "CGI query words are not options, long ones neither" \
    "$(echo "$out" | parsed)" "ok      route ocr: $ETC/ocr.conf parses (1 offer)"
# ... but only when they are exactly the query words.
out=$(GATEWAY_INTERFACE=CGI/1.1 QUERY_STRING="x" \
    "$GATE" -t -g "$ETC/x402.conf" -c "$ETC/ocr.conf" 2>&1)
eq "other arguments are kept in CGI" "$(echo "$out" | parsed)" "ok      route ocr: $ETC/ocr.conf parses (1 offer)"

# make install / uninstall: the symlinks.
DEST=$X402_OUT/destdir
if make -C "$X402_BUILD" install DESTDIR="$DEST" >"$X402_OUT/install.log" 2>&1; then
	ok "make install"
	link=$(find "$DEST" -name ocr.fcgi)
	check "install creates cgi-bin/ocr.fcgi" test -L "$link"
	sbin=$(find "$DEST" -name x402-gate -type f | sed "s#^$DEST##")
	eq "ocr.fcgi points at the installed x402-gate" "$(readlink "$link")" "$sbin"
	eq "four cgi-bin symlinks" "$(ls "$(dirname "$link")" | wc -l)" 4
	check "the example routes are installed" sh -c \
	    "find '$DEST' -path '*examples/ocr.conf' | grep -q ."
	make -C "$X402_BUILD" uninstall DESTDIR="$DEST" >>"$X402_OUT/install.log" 2>&1
	eq "make uninstall" "$?" 0
	eq "uninstall removes the symlinks" "$(find "$DEST" -name '*.fcgi' | wc -l)" 0
else
	not_ok "make install"
	tail -20 "$X402_OUT/install.log"
fi

finish
