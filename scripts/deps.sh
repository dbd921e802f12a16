#!/bin/sh
# deps.sh - install what x402-cgi needs on Debian 12 (as root), idempotently.
#   scripts/deps.sh build    compilers, autotools, libraries
#   scripts/deps.sh test     build + valgrind, clang, web servers, node
#   scripts/deps.sh demo     build + web server + node
# Node packages (the local chain and the official x402 peers) come from
# tests/chain/package-lock.json with `npm ci`.
set -eu

what=${1:-test}
top=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs="build-essential autoconf automake pkg-config libfcgi-dev
libcurl4-openssl-dev libssl-dev libsecp256k1-dev libjson-c-dev check"
test_pkgs="valgrind clang libclang-rt-14-dev lighttpd apache2 libapache2-mod-fcgid spawn-fcgi
curl procps wrk nginx-light man-db groff-base chromium strace prometheus
debhelper dh-autoreconf dpkg-dev lintian fakeroot"
demo_pkgs="lighttpd curl procps tesseract-ocr tesseract-ocr-eng espeak-ng
pocketsphinx pocketsphinx-en-us sox imagemagick fonts-dejavu-core"

case $what in
build) pkgs=$build_pkgs ;;
test) pkgs="$build_pkgs $test_pkgs" ;;
demo) pkgs="$build_pkgs $demo_pkgs" ;;
*) echo "usage: $0 build|test|demo" >&2; exit 2 ;;
esac

# Node.js: use the machine's if it has one (it may not come from Debian).
if [ "$what" != build ] && ! { command -v node && command -v npm; } >/dev/null; then
	pkgs="$pkgs nodejs npm"
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing Debian packages:$missing (run as root)" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Test mode only: a web server package installed just now starts its
# service on port 80, and the tests start their own servers on 127.0.0.1:
# stop that one (and prometheus's, on port 9090).  A web server that was
# installed before is the operator's
# (step 3 of the README's guide reloads it) and is never touched; build and
# demo modes touch no service at all.
if [ "$what" = test ]; then
	for p in apache2:apache2 lighttpd:lighttpd nginx-light:nginx \
	    prometheus:prometheus; do
		case " $missing " in *" ${p%%:*} "*) ;; *) continue ;; esac
		svc=${p#*:}
		if command -v systemctl >/dev/null 2>&1; then
			systemctl disable --now "$svc" >/dev/null 2>&1 || true
		fi
		service "$svc" stop >/dev/null 2>&1 || true
	done
fi

if [ "$what" != build ] && [ -f "$top/tests/chain/package-lock.json" ]; then
	lock="$top/tests/chain/package-lock.json"
	stamp="$top/tests/chain/node_modules/.x402-lock"
	if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
		echo "deps: npm ci in tests/chain"
		(cd "$top/tests/chain" && npm ci --no-audit --no-fund --loglevel=error)
		cp "$lock" "$stamp"
	fi
fi
