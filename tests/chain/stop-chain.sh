#!/usr/bin/env bash
# stop-chain.sh DIR
# Stops the anvil started by `start-chain.sh DIR` (pid in DIR/anvil.pid). Idempotent:
# exits 0 if nothing is running. Leaves anvil.log and chain.env in place for inspection.
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
PIDFILE="$1/anvil.pid"
[ -f "$PIDFILE" ] || exit 0
PID="$(cat "$PIDFILE")"
case "$PID" in
  ''|*[!0-9]*) rm -f "$PIDFILE"; exit 0 ;;
esac
# Only kill it if it is really our anvil (pid reuse guard).
if kill -0 "$PID" 2>/dev/null && grep -q anvil "/proc/$PID/cmdline" 2>/dev/null; then
  kill "$PID" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$PID" 2>/dev/null; then
    kill -9 "$PID" 2>/dev/null || true
  fi
fi
rm -f "$PIDFILE"
exit 0
