#!/bin/sh
# test.sh - the whole test suite: installs what it needs, builds, runs.
#   scripts/test.sh            everything
#   scripts/test.sh unit       only the plain unit suites
#   scripts/test.sh STAGE      one stage (building what it needs)
#   X402_INTEGRATION="cli faults" scripts/test.sh integration-san
#                              only those integration scripts
# Stages: unit (make check), sanitizers (ASan+UBSan build, make check),
# valgrind (make check-valgrind), fuzz (scripts/fuzz.sh: every libFuzzer
# target replays its saved crashes, then fuzzes for FUZZ_SECONDS, 12 by
# default), integration (tests/integration/*.sh against the plain build),
# integration-san (the same scripts against the ASan+UBSan build, after
# san-selftest proves a report is caught),
# demo (contrib/demo/demo.sh must exit 0), bench (bench/run.sh in its
# smoke mode: the benchmarks build and run), distcheck.  Exits non-zero if any stage fails.
#
# The sanitized build writes every report to a file in its report directory
# (X402_SAN_REPORT_DIR in build-san/autoconfig.h; src/lib/sanitizer.c), so
# a report from a gate worker whose web server cleared the environment or
# dropped its stderr is still seen: both sanitizer stages empty that
# directory first and fail on, and show, any report found in it after.
# (UBSan of GCC 12 writes only its SUMMARY line, with the file:line, to the
# report file; the rest goes to the program's stderr: the test's log or the
# web server's error log.)
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

san=$top/build-san
san_build() {
	"$top/scripts/build.sh" "$san" --enable-sanitizers || return 1
	reports=$(sed -n 's/^#define X402_SAN_REPORT_DIR "\(.*\)"$/\1/p' \
	    "$san/autoconfig.h")
	[ -n "$reports" ] || { echo "no X402_SAN_REPORT_DIR in $san"; return 1; }
	# Workers may run as other users (www-data, the payout user).
	mkdir -p "$reports" && chmod 1777 "$reports"
}

# san_clean: no report left from before.
san_clean() {
	rm -f "$reports"/report.*
}

# san_wait: until no sanitized program is still running (a worker left
# behind by a web server writes its leak report as it exits), 10 s at most.
san_wait() {
	w=0
	while pgrep -f "^[^ ]*$san/" >/dev/null && [ $w -lt 100 ]; do
		sleep 0.1
		w=$((w + 1))
	done
	pgrep -af "^[^ ]*$san/" | sed 's/^/still running: /'
	return 0
}

# san_reports WHAT KEEP: fails if a report was written; shows the first
# three (60 lines each) and the SUMMARY line of the others, and moves them
# all to KEEP.
san_reports() {
	set -- "$1" "$2" "$(ls "$reports" | grep -c '^report\.')"
	[ "$3" -eq 0 ] && return 0
	echo "--- $1: $3 sanitizer report(s), kept in $2"
	mkdir -p "$2"
	k=0
	for f in "$reports"/report.*; do
		[ -f "$f" ] || continue
		k=$((k + 1))
		if [ $k -le 3 ]; then
			echo "--- $(basename "$f")"
			head -60 "$f"
		else
			printf '%s: ' "$(basename "$f")"
			grep -m1 '^SUMMARY' "$f" || echo "(no SUMMARY line)"
		fi
		mv "$f" "$2/"
	done
	return 1
}

sanitizers() {
	san_build || return 1
	san_clean
	X402_TEST_SCALE=3 CK_TIMEOUT_MULTIPLIER=3 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    make -C "$san" -j"$(nproc)" check >/dev/null 2>&1
	rc=$?
	san_wait
	san_reports "check suites" "$out/san-check" || rc=1
	[ $rc -eq 0 ] || show_logs "$san"
}

# san_selftest: each deliberate error of tests/san-selftest, run with an
# empty environment (as a web server may start a worker), must fail and
# leave a report naming it; "ok" must leave none.
san_selftest() {
	st=$san/tests/san-selftest
	for m in heap:heap-buffer-overflow ub:UndefinedBehaviorSanitizer \
	    leak:detected.memory.leaks term-leak:detected.memory.leaks; do
		san_clean
		if env -i "$st" "${m%%:*}" >/dev/null 2>&1; then
			echo "san-selftest ${m%%:*}: exited 0"
			return 1
		fi
		if ! cat "$reports"/report.san-selftest.* 2>/dev/null |
		    grep -q "${m#*:}"; then
			echo "san-selftest ${m%%:*}: no report in $reports"
			return 1
		fi
	done
	san_clean
	env -i "$st" ok && san_reports "san-selftest ok" "$out/san-selftest"
}

valgrind_stage() {
	"$top/scripts/build.sh" "$top/build" &&
	    make -C "$top/build" -j"$(nproc)" check-valgrind >/dev/null 2>&1 ||
	    show_logs "$top/build"
}

# integration [san]: every tests/integration/*.sh against build/, or with
# "san" against build-san/ (X402_SANITIZED=1, time bounds x3), where any
# sanitizer report written while a script ran fails that script.
integration() {
	rc=0
	b=$top/build o=$out
	if [ "${1:-}" = san ]; then
		b=$san o=$out/san
		san_build || return 1
		san_selftest || { echo "san-selftest: reports are not caught"; return 1; }
		echo "-- san-selftest: heap, ub, leak, term-leak reported"
	fi
	mkdir -p "$o"
	for t in "$top"/tests/integration/*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t" .sh)
		[ "$n" = lib ] && continue
		# X402_INTEGRATION="a b": only those scripts.
		case " ${X402_INTEGRATION:-$n} " in *" $n "*) ;; *) continue ;; esac
		printf -- '-- %s\n' "$n"
		[ "$b" = "$san" ] && san_clean
		t0=$(date +%s)
		if env X402_BUILD="$b" X402_TOP="$top" X402_OUT="$o/$n" \
		    ${1:+X402_SANITIZED=1 X402_TEST_SCALE=3} \
		    sh "$t" >"$o/$n.log" 2>&1; then
			r=0
		else
			r=1
		fi
		if [ "$b" = "$san" ]; then
			san_wait
			san_reports "$n" "$o/$n.reports" || r=1
			echo "   ($(( $(date +%s) - t0 )) s)"
		fi
		if [ $r -eq 0 ]; then
			tail -1 "$o/$n.log"
		else
			rc=1
			echo "--- $n failed; its log:"
			tail -60 "$o/$n.log"
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

# bench: every bench program builds and bench/run.sh runs each row once
# for a second (BENCH_SMOKE=1); its figures are never asserted.
bench_stage() {
	BENCH_SMOKE=1 SKIP_DEPS=1 X402_BUILD="$top/build" \
	    sh "$top/bench/run.sh" "$out/bench" >"$out-bench.log" 2>&1 &&
	    grep '^ratio ' "$out-bench.log" ||
	    { tail -40 "$out-bench.log"; return 1; }
}

distcheck() {
	make -C "$top/build" distcheck >"$out-distcheck.log" 2>&1 ||
	    { tail -40 "$out-distcheck.log"; return 1; }
}

mkdir -p "$top/build" "$out"
case $only in
all)
	rm -f "$out/lane-san.result"
	# Two lanes side by side, one a core: the sanitizer lane (its own
	# build-san/ and output) in the background, the plain lane here.
	# Integration scripts wait on chains and servers more than they
	# compute, and every port is a free one, so the lanes do not meet.
	(
		passed=0 failed=0 failures=
		stage sanitizers sanitizers
		stage integration-san integration san
		echo "$passed $failed$failures" >"$out/lane-san.result"
	) >"$out/lane-san.log" 2>&1 &
	lane=$!
	stage unit unit
	stage valgrind valgrind_stage
	stage fuzz fuzz_stage
	stage integration integration
	stage demo demo
	stage bench bench_stage
	stage distcheck distcheck
	wait "$lane"
	echo "== sanitizer lane (run beside the above):"
	cat "$out/lane-san.log"
	if read -r p f rest <"$out/lane-san.result" 2>/dev/null; then
		passed=$((passed + p))
		failed=$((failed + f))
		failures="$failures${rest:+ $rest}"
	else
		failed=$((failed + 1))
		failures="$failures sanitizer-lane"
	fi
	;;
unit) stage unit unit ;;
sanitizers) stage sanitizers sanitizers ;;
valgrind) stage valgrind valgrind_stage ;;
fuzz) stage fuzz fuzz_stage ;;
integration) stage integration integration ;;
integration-san) stage integration-san integration san ;;
demo) stage demo demo ;;
bench) stage bench bench_stage ;;
distcheck) stage distcheck distcheck ;;
*) echo "usage: test.sh [all|unit|sanitizers|valgrind|fuzz|integration|integration-san|demo|bench|distcheck]"; exit 2 ;;
esac

[ -n "$failures" ] && echo "failed stages:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
