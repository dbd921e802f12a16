#!/bin/sh
# build.sh - configure and build x402-cgi in BUILDDIR (default: build/).
#   scripts/build.sh [BUILDDIR] [configure options...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-$top/build}
[ $# -gt 0 ] && shift
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null)
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
	"$top/configure" -q --enable-werror "$@"
fi
make -j"$(nproc)" >/dev/null
