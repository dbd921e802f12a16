#!/usr/bin/env bash
# start-chain.sh DIR [PORT]
#
# Starts a local anvil chain on 127.0.0.1:PORT (default 8545) with chain id 84532 (base-sepolia's),
# puts the TestUSDC code at the real base-sepolia USDC address, places a Multicall3 at its canonical
# address, mints 1000 USDC to anvil accounts #0..#3, and writes DIR/chain.env.
# Stop it with: stop-chain.sh DIR
#
# Files in DIR:  anvil.log, anvil.pid, chain.env
# Needs: `npm ci` done in tests/chain (node_modules present).
# Compiled contracts are cached in tests/chain/build/ (override with CHAIN_BUILD_DIR).
#
# DIR/chain.env (shell-sourceable, `set -a; . DIR/chain.env; set +a`) defines:
#   RPC_URL            http://127.0.0.1:PORT
#   CHAIN_ID           84532
#   NETWORK_V2         eip155:84532        (x402 v2 network id)
#   NETWORK_V1         base-sepolia        (x402 v1 network name)
#   USDC               0x036CbD53842c5426634e7929541eC2318f3dCF7e  (TestUSDC code lives here)
#   USDC_NAME, USDC_VERSION, USDC_DECIMALS   USDC, 2, 6  (EIP-712 domain name/version)
#   USDC_DEPLOYED_AT   where the original deployment sits (not used by x402; code was copied)
#   MULTICALL3         0xcA11bde05977b3631167028862bE2a173976CA11
#   MINT_AMOUNT        1000000000 (atomic units minted to each funded payer)
#   For each role below, ROLE (address, EIP-55) and ROLE_KEY (0x private key):
#     PAYER     anvil #0  funded with 1000 USDC (default key of pay-v1/pay-v2)
#     PAYER2    anvil #1  funded
#     PAYER3    anvil #2  funded
#     PAYER4    anvil #3  funded
#     UNFUNDED  anvil #4  ETH only, no USDC
#     RELAYER   anvil #5  ETH only; for x402-cgi's own settlement transactions
#     FACILITATOR anvil #6 ETH only; signer of facilitator.mjs
#     PAYTO2    anvil #7  a second merchant
#     DEPLOYER  anvil #8  deployed and minted (do not use for tests that count its nonce)
#     PAYTO     anvil #9  the merchant (payTo)
#   CHAIN_DIR          DIR (absolute)
#   ANVIL_PID          anvil's pid
#
# Exit status: 0 when the chain is ready; non-zero (with a message on stderr) on any error,
# including anvil not answering within 10 s. On failure anvil is killed again.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 DIR [PORT]" >&2
  exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="$1"
PORT="${2:-8545}"
ANVIL="$HERE/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"

if [ ! -x "$ANVIL" ]; then
  echo "start-chain: $ANVIL not found; run 'npm ci' in $HERE first" >&2
  exit 1
fi
case "$PORT" in
  ''|*[!0-9]*) echo "start-chain: bad port '$PORT'" >&2; exit 2 ;;
esac
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

if [ -f "$DIR/anvil.pid" ] && kill -0 "$(cat "$DIR/anvil.pid")" 2>/dev/null; then
  echo "start-chain: anvil already running for $DIR (pid $(cat "$DIR/anvil.pid")); run stop-chain.sh first" >&2
  exit 1
fi
rm -f "$DIR/chain.env" "$DIR/anvil.pid"
# Refuse a port somebody already listens on (we would otherwise talk to their chain).
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "start-chain: 127.0.0.1:$PORT is already in use" >&2
  exit 1
fi

# setsid: anvil gets its own session so it neither receives the caller's terminal signals
# nor keeps the caller's stdout pipe open.
setsid "$ANVIL" --host 127.0.0.1 --port "$PORT" --chain-id 84532 </dev/null >"$DIR/anvil.log" 2>&1 &
APID=$!
echo "$APID" >"$DIR/anvil.pid"

fail() {
  echo "start-chain: $*" >&2
  kill "$APID" 2>/dev/null || true
  rm -f "$DIR/anvil.pid"
  echo "--- last lines of $DIR/anvil.log:" >&2
  tail -n 20 "$DIR/anvil.log" >&2 || true
  exit 1
}

node "$HERE/chain.mjs" setup --rpc "http://127.0.0.1:$PORT" --env-out "$DIR/chain.env" \
  --pid "$APID" --chain-dir "$DIR" --timeout-ms 10000 \
  ${CHAIN_BUILD_DIR:+--build-dir "$CHAIN_BUILD_DIR"} \
  || fail "chain setup failed (port $PORT)"

kill -0 "$APID" 2>/dev/null || fail "anvil died during setup"
echo "chain ready: RPC_URL=http://127.0.0.1:$PORT env=$DIR/chain.env pid=$APID"
