#!/bin/sh
# cdp-jwt.sh - the CDP JWTs x402-gate sends are the official SDK's, field
# for field: the gate's preflight (x402-gate -t) asks a facilitator
# stand-in for /supported with a CDP key of each kind (Ed25519 and ES256),
# at a URL with an explicit port and a path; tests/chain/cdp-jwt.mjs makes
# the JWT @coinbase/cdp-sdk's generateJwt makes for the same key, method,
# host and path, compares the two and verifies the gate's signature.
. "$(dirname "$0")/lib.sh"

node "$CHAIN/cdp-jwt.mjs" keys "$X402_OUT" || exit 1
PORT=$(freeport 1)
node "$CHAIN/cdp-jwt.mjs" serve --port "$PORT" --log "$X402_OUT/requests" \
    >"$X402_OUT/serve.log" 2>&1 &
PIDS="$PIDS $!"
wait_http "http://127.0.0.1:$PORT/" || exit 1
mkdir -p "$X402_OUT/work"

for kind in ed25519 es256; do
	kid="organizations/0f3c/apiKeys/$kind-key"
	cat >"$X402_OUT/$kind.conf" <<CONF
[route]
command = $X402_TOP/tests/integration/fixtures/counter
price = 1000
pay_to = 0x1111111111111111111111111111111111111111
accept = base-sepolia
workdir = $X402_OUT/work

[facilitator]
url = http://127.0.0.1:$PORT/platform/v2/x402
cdp_key_id = $kid
cdp_key_file = $X402_OUT/$kind.secret

[paths]
spool = $X402_OUT/$kind-spool
claims = $X402_OUT/$kind-claims
fallback = $X402_OUT/$kind-fallback
CONF
	: >"$X402_OUT/requests"
	"$GATE" -t -c "$X402_OUT/$kind.conf" >"$X402_OUT/$kind.t" 2>&1
	check "$kind: the preflight asked /supported with the key" \
	    grep -q '"path":"/platform/v2/x402/supported".*"Bearer ' \
	    "$X402_OUT/requests"
	if node "$CHAIN/cdp-jwt.mjs" compare --log "$X402_OUT/requests" \
	    --key-id "$kid" --secret-file "$X402_OUT/$kind.secret" \
	    >"$X402_OUT/$kind.cmp" 2>&1; then
		ok "$kind: the JWT is the SDK's, field for field ($(tail -1 "$X402_OUT/$kind.cmp"))"
	else
		not_ok "$kind: the JWT differs from the SDK's"
		cat "$X402_OUT/$kind.cmp"
	fi
done
finish
