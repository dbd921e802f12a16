#!/bin/sh
# test.sh - the whole test suite: installs what it needs, builds, runs.
#   scripts/test.sh            everything
#   scripts/test.sh unit       only the plain unit suites
# Stages: unit (make check), sanitizers (ASan+UBSan build, make check),
# valgrind (make check-valgrind), fuzz (scripts/fuzz.sh: every libFuzzer
# target replays its saved crashes, then fuzzes for FUZZ_SECONDS, 12 by
# default), integration (tests/integration/*.sh against the plain build),
# demo (contrib/demo/demo.sh must exit 0),
# distcheck.  Exits non-zero if any stage fails.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
only=${1:-all}
out=$top/build/test-output
passed=0
failed=0
failures=

"$top/scripts/deps.sh" test || exit 1

stage() {
	name=$1
	shift
	printf '== %s\n' "$name"
	start=$(date +%s)
	if "$@"; then
		passed=$((passed + 1))
		printf '== %s: ok (%ss)\n' "$name" $(( $(date +%s) - start ))
	else
		failed=$((failed + 1))
		failures="$failures $name"
		printf '== %s: FAILED (%ss)\n' "$name" $(( $(date +%s) - start ))
	fi
}

show_logs() {
	dir=$1
	for f in "$dir"/tests/*.log; do
		[ -f "$f" ] || continue
		grep -q '^FAIL\|^ERROR' "$f" 2>/dev/null && { echo "--- $f"; tail -40 "$f"; }
	done
	return 1
}

unit() {
	"$top/scripts/build.sh" "$top/build" &&
	    make -C "$top/build" -j"$(nproc)" check >/dev/null 2>&1 ||
	    show_logs "$top/build"
}

sanitizers() {
	"$top/scripts/build.sh" "$top/build-san" --enable-sanitizers &&
	    X402_TEST_SCALE=3 CK_TIMEOUT_MULTIPLIER=3 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    make -C "$top/build-san" -j"$(nproc)" check >/dev/null 2>&1 ||
	    show_logs "$top/build-san"
}

valgrind_stage() {
	"$top/scripts/build.sh" "$top/build" &&
	    make -C "$top/build" -j"$(nproc)" check-valgrind >/dev/null 2>&1 ||
	    show_logs "$top/build"
}

integration() {
	rc=0
	mkdir -p "$out"
	for t in "$top"/tests/integration/*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t" .sh)
		[ "$n" = lib ] && continue
		printf -- '-- %s\n' "$n"
		if X402_BUILD="$top/build" X402_TOP="$top" \
		    X402_OUT="$out/$n" sh "$t" >"$out/$n.log" 2>&1; then
			tail -1 "$out/$n.log"
		else
			rc=1
			echo "--- $n failed; its log:"
			tail -60 "$out/$n.log"
		fi
	done
	return $rc
}

demo() {
	mkdir -p "$out"
	sh "$top/contrib/demo/demo.sh" >"$out/demo.log" 2>&1 &&
	    grep -q '^.*== Done in' "$out/demo.log" ||
	    { tail -40 "$out/demo.log"; return 1; }
}

fuzz_stage() {
	FUZZ_CONFIG="$top/build" sh "$top/scripts/fuzz.sh" \
	    "${FUZZ_SECONDS:-12}" >"$out-fuzz.log" 2>&1
	rc=$?
	# The table: target, executions, cov, ft, corpus, result.
	sed -n '/^target /,$p' "$out-fuzz.log" | grep -v '^    #'
	[ $rc -eq 0 ] || [ -n "$(sed -n '/^target /p' "$out-fuzz.log")" ] ||
	    tail -20 "$out-fuzz.log"
	return $rc
}

distcheck() {
	make -C "$top/build" distcheck >"$out-distcheck.log" 2>&1 ||
	    { tail -40 "$out-distcheck.log"; return 1; }
}

mkdir -p "$top/build"
stage unit unit
if [ "$only" = all ]; then
	stage sanitizers sanitizers
	stage valgrind valgrind_stage
	stage fuzz fuzz_stage
	stage integration integration
	stage demo demo
	stage distcheck distcheck
fi

[ -n "$failures" ] && echo "failed stages:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
