#!/bin/sh
# gate-apache.sh - x402-gate under a real Apache 2.4 on 127.0.0.1, in the
# three ways contrib/apache/ describes, one after the other:
#   fcgid  mod_fcgid: Apache spawns the workers (cgi-bin symlink, and an
#          FcgidWrapper "virtual" location); local settlement (relayer key)
#   proxy  mod_proxy_fcgi to a Unix socket, workers started by spawn-fcgi
#          with the command line of contrib/systemd/x402-gate@.service;
#          settlement through the official facilitator
#   cgi    mod_cgi, one process per request (cgi-bin symlink); local
#          settlement
# Each: unpaid 402, the official v2 and v1 clients pay, the payee gets
# exactly the price, receipts land in the spool, a replay is refused, the
# POST body reaches the command.  Apache's workers run as www-data, as an
# operator's would: the test's directories are made theirs.  Under fcgid
# and cgi also /stt, an output = cgi route whose command echoes the
# request body: a Location (an internal redirect in Apache) and the other
# steering headers reach neither Apache nor the client (steer_checks).
. "$(dirname "$0")/lib.sh"
CONTRIB=$X402_TOP/contrib
MODDIR=/usr/lib/apache2/modules
RUNAS=www-data
ONLY=${ONLY:-fcgid proxy cgi}	# a subset, for debugging
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

[ -x /usr/sbin/apache2 ] && [ -f $MODDIR/mod_fcgid.so ] &&
    command -v spawn-fcgi >/dev/null || {
	echo "apache2, libapache2-mod-fcgid or spawn-fcgi missing (scripts/deps.sh test)"
	not_ok "prerequisites"
	finish
	exit 1
}

start_chain || exit 1
start_facilitator || exit 1

# Every path Apache's workers use must be reachable by www-data.
check "the build is reachable by $RUNAS" su -s /bin/sh $RUNAS -c "test -x '$GATE'"
check "the test fixture is reachable by $RUNAS" \
    su -s /bin/sh $RUNAS -c "test -x '$X402_TOP/tests/integration/fixtures/counter'"

# route NAME MODE PRICE [COMMAND [LINES]]: $D/etc/NAME.conf selling
# COMMAND (default the counter fixture).
route() {
	cat >"$D/etc/$1.conf" <<CONF
[route]
command = ${4:-$X402_TOP/tests/integration/fixtures/counter}
${5:-}
description = Counts its runs and shouts
mime_type = text/plain
price = $3
pay_to = $PAYTO
accept = base-sepolia
command_timeout = 10s
workdir = $D/work

[gate]
settlement = $2
CONF
}

# setup NAME MODE MPM: a fresh directory tree, shared settings, routes.
setup() {
	D=$X402_OUT/$1
	MODE=$2
	mkdir -p "$D/etc" "$D/work" "$D/spool" "$D/claims" "$D/fallback" \
	    "$D/cgi-bin" "$D/run" "$D/htdocs" "$D/apache-run"
	printf '%s\n' "${RELAYER_KEY#0x}" >"$D/etc/relayer.key"
	chmod 600 "$D/etc/relayer.key"
	cat >"$D/etc/x402.conf" <<CONF
# shared by every route of this setup (x402-gate -g, or X402_CONFDIR)
[facilitator]
url = $FACILITATOR_URL
timeout = 20s

[local]
rpc_url = $RPC_URL
relayer_key = $D/etc/relayer.key
receipt_timeout = 30s

[paths]
spool = $D/spool
claims = $D/claims
fallback = $D/fallback
CONF
	route ocr "$MODE" 1000
	route tts "$MODE" 2000
	route stt "$MODE" 1000 "$X402_TOP/tests/integration/fixtures/echo" \
	    "output = cgi"
	ln -s "$GATE" "$D/cgi-bin/ocr.fcgi"
	ln -s "$GATE" "$D/cgi-bin/stt.fcgi"
	# The workers write these; the relayer key is theirs alone.
	chown -R $RUNAS:$RUNAS "$D/work" "$D/spool" "$D/claims" \
	    "$D/fallback" "$D/run" "$D/etc/relayer.key"
	PORT=$(freeport)
	BASE=http://127.0.0.1:$PORT
	cat >"$D/httpd.conf" <<CONF
ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
PidFile $D/apache.pid
ErrorLog $D/apache-error.log
LogLevel warn
DefaultRuntimeDir $D/apache-run
Mutex file:$D/apache-run default
User $RUNAS
Group $RUNAS
LoadModule mpm_$3_module $MODDIR/mod_mpm_$3.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule mime_module $MODDIR/mod_mime.so
LoadModule alias_module $MODDIR/mod_alias.so
LoadModule env_module $MODDIR/mod_env.so
TypesConfig /etc/mime.types
DocumentRoot $D/htdocs
LogFormat "%h \"%r\" %>s %b %D" x402
CustomLog $D/access.log x402
StartServers 1
CONF
}

# from_contrib FILE: a contrib/apache snippet with this setup's paths.
from_contrib() {
	sed -e "s#/usr/sbin/x402-gate#$GATE#g" -e "s#/etc/x402#$D/etc#g" \
	    -e "s#/run/x402#$D/run#g" -e "s#/usr/libexec/x402/cgi-bin#$D/cgi-bin#g" \
	    "$CONTRIB/apache/$1" >>"$D/httpd.conf"
}

APACHE=
start_apache() {
	if /usr/sbin/apache2 -t -f "$D/httpd.conf" >"$D/configtest.log" 2>&1; then
		ok "$SETUP: apache2 -t accepts the configuration"
	else
		not_ok "$SETUP: apache2 -t accepts the configuration"
		cat "$D/configtest.log"
	fi
	# Its own session: on shutdown Apache signals its whole process group.
	setsid /usr/sbin/apache2 -f "$D/httpd.conf" -k start -DFOREGROUND \
	    >"$D/apache.out" 2>&1 &
	APACHE=$!
	PIDS="$PIDS $APACHE"
	wait_http "$BASE/" || { cat "$D/apache-error.log" "$D/apache.out"; return 1; }
}

# stop_apache: TERM to the parent; it stops its children (and mod_fcgid
# its workers).
stop_apache() {
	kill "$APACHE" 2>/dev/null
	n=0
	while kill -0 "$APACHE" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	check "$SETUP: Apache stopped" sh -c "! kill -0 $APACHE 2>/dev/null"
}

# no_process PATTERN: no process of this setup is left.
no_process() {
	sleep 0.3
	left=$(ps -eo pid=,args= | grep -F "$D" | grep -v grep | grep -F "$1")
	[ -z "$left" ] || { echo "left running: $left"; return 1; }
}

runs() {
	cat "$D/work/runs.log" 2>/dev/null | wc -l
}

receipts() {
	ls "$D/spool/new" 2>/dev/null | wc -l
}

# paid_checks URL PRICE: the common checks for one setup.
paid_checks() {
	url=$1
	price=$2
	code=$(curl -s -D "$D/h402" -o "$D/b402" -w '%{http_code}' "$url")
	eq "$SETUP: unpaid request gets 402" "$code" 402
	PR=$(header PAYMENT-REQUIRED "$D/h402")
	eq "$SETUP: PAYMENT-REQUIRED carries the price" \
	    "$(echo "$PR" | b64json accepts.0.amount)" "\"$price\""
	eq "$SETUP: PAYMENT-REQUIRED resource is the URL" \
	    "$(echo "$PR" | b64json resource.url)" "\"$url\""
	eq "$SETUP: v1 body maxAmountRequired" "$(node -e \
	    'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).accepts[0].maxAmountRequired)' \
	    "$D/b402")" "$price"
	eq "$SETUP: 402 is not cached" "$(header Cache-Control "$D/h402")" no-store
	eq "$SETUP: no command ran yet" "$(runs)" 0

	before=$(balance "$PAYTO")
	node "$CHAIN/pay-v2.mjs" "$url" >"$D/pay-v2.json" 2>"$D/pay-v2.err"
	eq "$SETUP: official v2 client pays (exit status)" "$?" 0 ||
	    cat "$D/pay-v2.err"
	check "$SETUP: v2 client got the command's output" \
	    grep -q '"body":"paid content' "$D/pay-v2.json"
	check "$SETUP: v2 client got a settlement" grep -q '"success":true' "$D/pay-v2.json"
	after=$(balance "$PAYTO")
	eq "$SETUP: v2 payment moved exactly the price" "$((after - before))" "$price"

	before=$after
	node "$CHAIN/pay-v1.mjs" "$url" >"$D/pay-v1.json" 2>"$D/pay-v1.err"
	eq "$SETUP: official v1 client pays (exit status)" "$?" 0 ||
	    cat "$D/pay-v1.err"
	check "$SETUP: v1 client got the command's output" \
	    grep -q '"body":"paid content' "$D/pay-v1.json"
	after=$(balance "$PAYTO")
	eq "$SETUP: v1 payment moved exactly the price" "$((after - before))" "$price"
	eq "$SETUP: two paid runs, two receipts" "$(receipts)" 2
	eq "$SETUP: two paid runs, two command runs" "$(runs)" 2

	# A hand-signed payment with a POST body, then the same one again.
	before=$after
	H=$(node "$CHAIN/payment-header.mjs" "$PR")
	code=$(curl -s -D "$D/h-first" -o "$D/b-first" -w '%{http_code}' \
	    -H "PAYMENT-SIGNATURE: $H" --data-binary 'hello from a post body' "$url")
	eq "$SETUP: hand-signed POST accepted" "$code" 200
	check "$SETUP: the POST body reached the command" \
	    grep -q "HELLO FROM A POST BODY" "$D/b-first"
	check "$SETUP: the reply carries PAYMENT-RESPONSE" \
	    grep -qi '^payment-response:' "$D/h-first"
	eq "$SETUP: Content-Type is the route's" \
	    "$(header Content-Type "$D/h-first")" text/plain
	after=$(balance "$PAYTO")
	eq "$SETUP: the POST moved exactly the price" "$((after - before))" "$price"
	code=$(curl -s -o "$D/b-replay" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" "$url")
	eq "$SETUP: replayed authorization refused" "$code" 402
	check "$SETUP: replay names the reason" grep -q nonce_already_used "$D/b-replay"
	eq "$SETUP: replay did not run the command" "$(runs)" 3
	eq "$SETUP: three receipts in the spool" "$(receipts)" 3
	eq "$SETUP: nothing in the fallback" "$(ls "$D/fallback/new" 2>/dev/null | wc -l)" 0

	# One authorization, 10 requests at once: one run, one transfer.
	before=$(balance "$PAYTO")
	H=$(node "$CHAIN/payment-header.mjs" "$PR")
	: >"$D/storm.codes"
	i=0
	while [ $i -lt 10 ]; do
		curl -s -o /dev/null -w '%{http_code}\n' -H "PAYMENT-SIGNATURE: $H" \
		    "$url" >>"$D/storm.codes" &
		i=$((i + 1))
	done
	n=0
	while [ "$(wc -l <"$D/storm.codes")" -lt 10 ] && [ $n -lt 600 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	eq "$SETUP: 10 at once: exactly one 200" "$(grep -c '^200$' "$D/storm.codes")" 1
	eq "$SETUP: 10 at once: 9 refusals" "$(grep -c '^402$' "$D/storm.codes")" 9
	eq "$SETUP: 10 at once: one command run" "$(runs)" 4
	after=$(balance "$PAYTO")
	eq "$SETUP: 10 at once: one transfer" "$((after - before))" "$price"

	# A bad payment runs nothing.
	H=$(node "$CHAIN/payment-header.mjs" "$PR" --value 1)
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" "$url")
	eq "$SETUP: underpayment refused" "$code" 402
	eq "$SETUP: refusal ran nothing" "$(runs)" 4
}

# --- 1. mod_fcgid ---------------------------------------------------------
if want fcgid; then
SETUP=fcgid
setup fcgid local event
cat >>"$D/httpd.conf" <<CONF
LoadModule fcgid_module $MODDIR/mod_fcgid.so
FcgidIPCDir $D/run/fcgid
FcgidProcessTableFile $D/apache-run/fcgid-shm
CONF
from_contrib x402-fcgid.conf
echo "Alias /stt $D/cgi-bin/stt.fcgi" >>"$D/httpd.conf"
start_apache || exit 1
paid_checks "$BASE/ocr" 1000
check "fcgid: workers run as $RUNAS" sh -c \
    "ps -o user= -C ocr.fcgi | grep -q '^$RUNAS'"
# The FcgidWrapper "virtual" location serves its own route (tts, 2000).
code=$(curl -s -D "$D/h402t" -o /dev/null -w '%{http_code}' "$BASE/tts")
eq "fcgid: FcgidWrapper location gets 402" "$code" 402
PRT=$(header PAYMENT-REQUIRED "$D/h402t")
eq "fcgid: FcgidWrapper route has its own price" \
    "$(echo "$PRT" | b64json accepts.0.amount)" '"2000"'
before=$(balance "$PAYTO")
H=$(node "$CHAIN/payment-header.mjs" "$PRT")
code=$(curl -s -o "$D/b-tts" -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" \
    --data-binary 'wrapped' "$BASE/tts")
eq "fcgid: FcgidWrapper route paid" "$code" 200
check "fcgid: FcgidWrapper route ran the command" grep -q WRAPPED "$D/b-tts"
eq "fcgid: FcgidWrapper payment moved 2000" "$(( $(balance "$PAYTO") - before ))" 2000
# The workers' lines (one access line per request) land in the ErrorLog.
wait_for "$D/apache-error.log" "access: route=tts .*status=200 scheme=exact amount=2000 " 5
check "fcgid: the gate's access lines are in Apache's ErrorLog" \
    grep -q "access: route=tts .*status=200 scheme=exact amount=2000 " "$D/apache-error.log"
# A body over FcgidMaxRequestLen (1 MiB) never reaches the gate.
head -c 1100000 /dev/zero >"$D/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "PAYMENT-SIGNATURE: $H" \
    --data-binary @"$D/big" "$BASE/ocr")
check "fcgid: body over FcgidMaxRequestLen refused ($code)" \
    sh -c "[ $code -ge 400 ] && [ $code -ne 200 ]"
eq "fcgid: oversize body ran nothing" "$(runs)" 5
steer_checks "Apache fcgid" "$BASE/stt" 1000 "$D/work/echo.log"
stop_apache
check "fcgid: no worker left" no_process fcgi
fi

# --- 2. mod_proxy_fcgi to spawn-fcgi workers on a Unix socket ------------
if want proxy; then
SETUP=proxy
setup proxy facilitator event
cat >>"$D/httpd.conf" <<CONF
LoadModule proxy_module $MODDIR/mod_proxy.so
LoadModule proxy_fcgi_module $MODDIR/mod_proxy_fcgi.so
CONF
from_contrib x402-proxy-fcgi.conf
# The command line of contrib/systemd/x402-gate@.service (systemd is not
# usable in this sandbox): socket for www-data, workers as www-data.
execstart=$(sed -n 's/^ExecStart=//p' "$CONTRIB/systemd/x402-gate@.service" |
    sed -e "s#/usr/sbin/x402-gate#$GATE#" -e "s#/etc/x402#$D/etc#g" -e 's#%i#ocr#g')
eq "proxy: the service's ExecStart" "$execstart" "$GATE -c $D/etc/ocr.conf"
X402_CONFDIR=$D/etc spawn-fcgi -s "$D/run/ocr.sock" -M 0660 -U $RUNAS -G $RUNAS \
    -u $RUNAS -g $RUNAS -F 2 -P "$D/run/ocr.pid" -- $execstart \
    >"$D/spawn.log" 2>&1
eq "proxy: spawn-fcgi started the workers" "$?" 0 || cat "$D/spawn.log"
WORKERS=$(cat "$D/run/ocr.pid" 2>/dev/null)
PIDS="$PIDS $WORKERS"
eq "proxy: two workers" "$(echo $WORKERS | wc -w)" 2
start_apache || exit 1
paid_checks "$BASE/ocr" 1000
# Socket-activated or spawned, a worker leaves on TERM between requests.
kill $WORKERS 2>/dev/null
stop_apache
check "proxy: workers left on TERM" no_process x402-gate
fi

# --- 3. mod_cgi: one process per request ---------------------------------
if want cgi; then
SETUP=cgi
setup cgi local prefork
cat >>"$D/httpd.conf" <<CONF
LoadModule cgi_module $MODDIR/mod_cgi.so
CONF
from_contrib x402-cgi.conf
# A route that must never be reachable from the query string.
route cheap local 1
start_apache || exit 1
paid_checks "$BASE/cgi-bin/ocr.fcgi" 1000
# mod_cgi passes a query without '=' as argv: it must not become options.
code=$(curl -s -D "$D/hq" -o /dev/null -w '%{http_code}' \
    "$BASE/cgi-bin/ocr.fcgi?-c+$D/etc/cheap.conf")
eq "cgi: query words as arguments: still 402" "$code" 402
eq "cgi: query words cannot choose another route" \
    "$(header PAYMENT-REQUIRED "$D/hq" | b64json accepts.0.amount)" '"1000"'
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/cgi-bin/ocr.fcgi?-t")
eq "cgi: query word -t is no option" "$code" 402
code=$(curl -s -D "$D/hq2" -o /dev/null -w '%{http_code}' "$BASE/cgi-bin/ocr.fcgi?a=-c&b=x")
eq "cgi: an ordinary query string is served" "$code" 402
steer_checks "Apache cgi" "$BASE/cgi-bin/stt.fcgi" 1000 "$D/work/echo.log"
stop_apache
check "cgi: no process left" no_process "$D/"
fi

finish
