#!/bin/sh
# kit.sh - the deployment kit is one consistent whole:
#  - the commands of contrib/README.md (Users and permissions) run as they
#    are written (under X402_OUT, numeric ids for the users); then every
#    systemd unit's User=/Group=/SupplementaryGroups= can write what the
#    unit writes, and every contrib/cron.d job's user can append to its log;
#  - scripts/deps.sh build touches no service, and test mode none that it
#    did not just install (systemctl and service are recording doubles);
#  - every shipped route (etc/*.conf, contrib/demo/routes/*.conf) served by
#    a real lighttpd + x402-gate, opened in headless Chromium: a screenshot
#    each, and a file chooser exactly where the route says input = file.
. "$(dirname "$0")/lib.sh"

WEB=33                  # www-data on Debian
PO=64990                # stands for the x402 system user and group
ADM=4                   # adm on Debian
# as USER CMD...: run as a user of the kit, with the groups the README
# gives it (www-data is in the group x402).
as() {
	u=$1
	shift
	case $u in
	www-data) setpriv --reuid=$WEB --regid=$WEB --groups=$WEB,$PO -- "$@" ;;
	x402) setpriv --reuid=$PO --regid=$PO --groups=$PO -- "$@" ;;
	root) "$@" ;;
	*) echo "unknown user $u"; return 1 ;;
	esac
}

# -- the layout of contrib/README.md, run as written ----------------------
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	ok "layout checks skipped: need root and setpriv"
else
	R=$X402_OUT/root
	mkdir -p "$R/etc/x402" "$X402_OUT/kit"
	chmod 0755 "$X402_OUT"
	cp "$X402_TOP"/etc/*.conf "$R/etc/x402/"
	printf '0x%064d\n' 1 >"$X402_OUT/kit/payout.key"
	# The first sh block after "## Users and permissions", minus adduser
	# (no users are created), with the paths under $R and numeric ids.
	sed -n '/^## Users and permissions/,/^## /p' "$X402_TOP/contrib/README.md" |
	    sed -n '/^```sh$/,/^```$/p' | sed -n '1,/^```$/p' | sed '/^```/d' |
	    grep -v '^adduser ' |
	    sed -e "s# /etc/# $R/etc/#g" -e "s# /var/# $R/var/#g" \
		-e "s# /run/# $R/run/#g" -e "s#-o www-data#-o $WEB#g" \
		-e "s#-g www-data#-g $WEB#g" -e "s#-o x402#-o $PO#g" \
		-e "s#-g x402#-g $PO#g" -e "s#-g adm#-g $ADM#g" \
		-e "s#x402:x402#$PO:$PO#g" >"$X402_OUT/kit/layout.sh"
	check "contrib/README.md has the layout commands" \
	    grep -q "install -d" "$X402_OUT/kit/layout.sh"
	(cd "$X402_OUT/kit" && sh -e "$X402_OUT/kit/layout.sh") \
	    >"$X402_OUT/kit/layout.log" 2>&1
	eq "the layout commands of contrib/README.md run" "$?" 0

	# canwrite USER DIR: USER creates and removes a file in DIR.
	canwrite() {
		as "$1" sh -c 't=$1/.kit-$$ && : >"$t" && rm -f "$t"' sh "$2" \
		    2>/dev/null
	}
	# Each unit's identity writes each of its ReadWritePaths.
	for u in "$X402_TOP"/contrib/systemd/*.service; do
		n=$(basename "$u")
		user=$(sed -n 's/^User=//p' "$u")
		group=$(sed -n 's/^Group=//p' "$u")
		sup=$(sed -n 's/^SupplementaryGroups=//p' "$u")
		case $user:$group:$sup in
		www-data:www-data:x402|x402:x402:) ;;
		*) not_ok "$n: User=$user Group=$group SupplementaryGroups=$sup is neither the gate's nor the payout's identity of contrib/README.md"
		   continue ;;
		esac
		# ReadWritePaths, with its continuation lines
		rw=$(awk '/^ReadWritePaths=/ { on = 1; sub(/^[^=]*=/, "") }
		    on { c = sub(/\\$/, ""); print; on = c }' "$u")
		for d in $rw; do
			# the commands' workdir is x402cmd's (Command isolation)
			[ "$d" = /var/lib/x402/work ] && continue
			# the payout's spool access is by claiming (rename) in cur
			w=$d
			[ "$d" = /var/spool/x402 ] && w=$d/tmp
			[ -d "$R$w" ] || { not_ok "$n: $d is not in the layout"; continue; }
			check "$n ($user) writes $w" canwrite "$user" "$R$w"
		done
	done
	# The gate's units run as the owner of the claims.
	owner=$(stat -c %u "$R/var/lib/x402/claims")
	for n in x402-gate@.service x402-gate-recover.service; do
		user=$(sed -n 's/^User=//p' "$X402_TOP/contrib/systemd/$n")
		eq "$n runs as the owner of the claims" \
		    "$(case $user in www-data) echo $WEB ;; x402) echo $PO ;; *) echo "$user" ;; esac)" \
		    "$owner"
	done
	# Every cron.d job's user can append to its log.
	for c in "$X402_TOP"/contrib/cron.d/*; do
		grep -v '^#' "$c" | grep . | while read -r m h dom mon dow user cmd; do
			log=$(printf '%s\n' "$cmd" | sed -n 's/.*>>\([^ ]*\).*/\1/p')
			if [ -z "$log" ]; then
				echo "ok - $(basename "$c"): no log file"
				continue
			fi
			if as "$user" sh -c 'echo kit >>"$1"' sh "$R$log" 2>/dev/null
			then
				echo "ok - cron.d/$(basename "$c") ($user) appends to $log"
			else
				echo "not ok - cron.d/$(basename "$c") ($user) cannot append to $log"
			fi
		done
	done >"$X402_OUT/kit/cron.out"
	cat "$X402_OUT/kit/cron.out"
	PASSED=$((PASSED + $(grep -c '^ok' "$X402_OUT/kit/cron.out")))
	FAILED=$((FAILED + $(grep -c '^not ok' "$X402_OUT/kit/cron.out")))
	eq "two cron.d jobs checked" \
	    "$(grep -c 'appends to\|cannot append' "$X402_OUT/kit/cron.out")" 2
	# The web server's user can still never read the payout key.
	check "www-data cannot read the payout key" \
	    sh -c "! as www-data cat '$R/etc/x402/private/payout.key' 2>/dev/null"
fi

# -- scripts/deps.sh touches no service it did not install ---------------
mkdir -p "$X402_OUT/fakebin"
for t in systemctl service; do
	cat >"$X402_OUT/fakebin/$t" <<SH
#!/bin/sh
echo "$t \$*" >>"$X402_OUT/services.log"
SH
	chmod +x "$X402_OUT/fakebin/$t"
done
: >"$X402_OUT/services.log"
PATH=$X402_OUT/fakebin:$PATH sh "$X402_TOP/scripts/deps.sh" build \
    >"$X402_OUT/deps-build.log" 2>&1
eq "deps.sh build succeeds" "$?" 0
eq "deps.sh build touches no service" "$(cat "$X402_OUT/services.log")" ""
PATH=$X402_OUT/fakebin:$PATH sh "$X402_TOP/scripts/deps.sh" test \
    >"$X402_OUT/deps-test.log" 2>&1
eq "deps.sh test succeeds" "$?" 0
eq "deps.sh test (nothing to install) touches no service" \
    "$(cat "$X402_OUT/services.log")" ""

# -- every shipped route's page in Chromium ----------------------------------
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || [ ! -d "$CHAIN/node_modules/playwright-core" ]; then
	not_ok "needs $CHROMIUM and playwright-core (npm ci in tests/chain)"
	finish
	exit 1
fi
# The gate asks its facilitator what it supports when it starts: the
# official one, on a local chain.
start_chain || exit 1
start_facilitator || exit 1
PAYTO=0x209693Bc6afc0C5328bA36FaF03C514EF312287C
cat >"$X402_OUT/x402.conf" <<CONF
[gate]
settlement = facilitator
[facilitator]
url = $FACILITATOR_URL
[paths]
spool = $X402_OUT/spool
claims = $X402_OUT/claims
fallback = $X402_OUT/fallback
CONF
mkdir -p "$X402_OUT/spool/tmp" "$X402_OUT/spool/new" "$X402_OUT/spool/cur" \
    "$X402_OUT/spool/quarantine" "$X402_OUT/work" "$X402_OUT/pages"
names=
for f in "$X402_TOP"/etc/*.conf "$X402_TOP"/contrib/demo/routes/*.conf; do
	[ "$(basename "$f")" = x402.conf ] && continue	# shared settings
	grep -q '^\[route\]' "$f" || continue
	case $f in */demo/*) n=demo-$(basename "$f" .conf) ;;
	*) n=etc-$(basename "$f" .conf) ;; esac
	# The shipped file as it is, with the demo's placeholders filled and a
	# pay_to and network where the example leaves them to the operator.
	sed -e "s|@CMDS@|$X402_TOP/contrib/demo/commands|g" \
	    -e "s|@PAYTO@|$PAYTO|g" -e "s|@WORK@|$X402_OUT/work|g" "$f" |
	    awk -v payto="$PAYTO" -v acc="$(grep -q '^accept' "$f" || echo add)" '
		{ print }
		/^\[route\]$/ && !done {
			if (system("grep -q \"^pay_to\" '"$f"'") != 0)
				print "pay_to = " payto
			if (acc == "add")
				print "accept = base-sepolia"
			done = 1
		}' >"$X402_OUT/$n.conf"
	names="$names $n"
done
eq "seven shipped routes" "$(echo $names | wc -w)" 7
PORT=$(freeport)
BASE=http://127.0.0.1:$PORT
# shellcheck disable=SC2086
GATE_ARGS="-g $X402_OUT/x402.conf" lighttpd_gates $names || {
	not_ok "lighttpd with the shipped routes"; finish; exit 1; }
# shellcheck disable=SC2086
(cd "$CHAIN" && node route-pages.mjs "$BASE" "$X402_OUT/pages" $names) \
    >"$X402_OUT/pages.out" 2>&1
eq "route-pages.mjs ran" "$?" 0
for n in $names; do
	want=text
	grep -q '^input = file' "$X402_OUT/$n.conf" && want=file
	case $n in etc-ocr|etc-stt|demo-ocr|demo-stt)
		eq "$n.conf says input = file" "$want" file ;;
	esac
	got=$(sed -n "s/^$n input=//p" "$X402_OUT/pages.out")
	eq "$n: the page's form field" "$got" "$want"
	check "$n: screenshot" test -s "$X402_OUT/pages/$n.png"
done
grep error "$X402_OUT/pages.out"
echo "screenshots: $X402_OUT/pages"
finish
