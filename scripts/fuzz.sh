#!/bin/sh
# fuzz.sh - build the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang
# against the sources, replay the corpora and every saved crash, then
# fuzz each target for a while.  The autotools build stays compiler-
# neutral: this script is the only place clang and -fsanitize=fuzzer are
# used.
#   scripts/fuzz.sh [SECONDS [TARGET...]]   default 20 s each, all targets
#   FUZZ_BUILD=dir   where objects, targets, logs go (default build-fuzz)
#   FUZZ_CONFIG=dir  a configured build holding autoconfig.h (default
#                    build, configured by scripts/build.sh if need be)
# Exits non-zero on a build failure, a crash, a leak or a sanitizer
# report.  New corpus entries go to build-fuzz/corpus/<target>; crashes
# to build-fuzz/crashes/<target>: copy a fixed one to
# tests/fuzz/regressions/<target>/ so it is replayed for ever.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-20}
[ $# -gt 0 ] && shift
bd=${FUZZ_BUILD:-$top/build-fuzz}
cc=${CC_FUZZ:-clang}

if ! command -v "$cc" >/dev/null; then
	echo "fuzz: $cc not found (scripts/deps.sh test installs it)" >&2
	exit 1
fi
mkdir -p "$bd/obj" "$bd/corpus" "$bd/crashes"

# autoconfig.h: from a configured plain build (scripts/build.sh).
cfg=${FUZZ_CONFIG:-$top/build}
if [ ! -f "$cfg/autoconfig.h" ]; then
	"$top/scripts/build.sh" "$cfg" || exit 1
fi
# The paywall's script and style, generated into the build by make.
make -C "$cfg" src/gate/paywall_assets.h >/dev/null || exit 1

pc() { pkg-config "$@" libsecp256k1 json-c libcurl openssl; }
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -fno-omit-frame-pointer $san -fsanitize=fuzzer-no-link
 -Wall -Wextra -Wno-unused-parameter -Werror
 -I$cfg -I$cfg/src/gate -I$top/src/lib -I$top/src/common -I$top/src/gate
 -I$top/src/payout -I$top/src/cli -I$top/tests/fuzz
 -DSYSCONFDIR=\"/etc\" -DLOCALSTATEDIR=\"/var\" $(pc --cflags)"
libs="$(pc --libs)"

# Everything but the programs' main(): the library, the gate's route
# loader and settler, the payout core, the CLI helpers, the log module.
srcs=$(ls "$top"/src/lib/*.c "$top"/src/common/*.c "$top"/src/gate/*.c \
    "$top"/src/payout/*.c "$top"/src/cli/main.c "$top"/src/cli/approve.c)
objs=
fail=0
nocov=indirect-calls,pc-table,inline-8bit-counters
for s in $srcs; do
	case $s in
	*/gate/main.c|*/payout/main.c) continue ;;
	*/cli/main.c) extra="-Dmain=x402_cli_main" ;;
	# Hashing is no parser and, instrumented, slows every target that
	# formats an EIP-55 address tenfold: sanitizers but no coverage.
	*/lib/keccak.c) extra="-fno-sanitize-coverage=trace-cmp,edge,$nocov" ;;
	*) extra= ;;
	esac
	o=$bd/obj/$(echo "${s#"$top"/src/}" | tr / _ | sed 's/\.c$/.o/')
	if [ ! -f "$o" ] || [ "$s" -nt "$o" ] ||
	    [ -n "$(find "$top/src" -name '*.h' -newer "$o" | head -1)" ]; then
		# shellcheck disable=SC2086
		$cc $cflags $extra -c "$s" -o "$o" || fail=1
	fi
	objs="$objs $o"
done
[ $fail -eq 0 ] || { echo "fuzz: build failed" >&2; exit 1; }
rm -f "$bd/libfuzzx402.a"
# shellcheck disable=SC2086
ar cr "$bd/libfuzzx402.a" $objs || exit 1

targets=${*:-$(ls "$top"/tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')}
for t in $targets; do
	case $t in
	facilitator|rpc|gate) wrap="-Wl,--wrap=x402_http_request" ;;
	*) wrap= ;;
	esac
	# shellcheck disable=SC2086
	$cc $cflags -fsanitize=fuzzer "$top/tests/fuzz/fuzz_$t.c" \
	    -o "$bd/fuzz_$t" $wrap "$bd/libfuzzx402.a" $libs -lm ||
	    { echo "fuzz: $t: build failed" >&2; exit 1; }
done

rc=0
printf '%-12s %10s %8s %8s %8s  %s\n' target execs cov ft corpus result
for t in $targets; do
	seeds=$top/tests/fuzz/corpus/$t
	regs=$top/tests/fuzz/regressions/$t
	mkdir -p "$bd/corpus/$t" "$bd/crashes/$t"
	log=$bd/fuzz_$t.log
	# Scratch files of the targets (route files, a spool) live here.
	rm -rf "$bd/tmp"
	mkdir -p "$bd/tmp"
	export TMPDIR="$bd/tmp"
	# 1. Every saved crash must now pass.
	if [ -d "$regs" ] && [ -n "$(ls -A "$regs" 2>/dev/null)" ]; then
		if ! "$bd/fuzz_$t" "$regs"/* >"$bd/regress_$t.log" 2>&1; then
			echo "fuzz: $t: a saved regression crashes again:"
			tail -30 "$bd/regress_$t.log"
			rc=1
			continue
		fi
	fi
	# 2. Fuzz from the seeds and what earlier runs found.
	dirs="$bd/corpus/$t"
	[ -d "$seeds" ] && dirs="$dirs $seeds"
	# shellcheck disable=SC2086
	"$bd/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$bd/crashes/$t/" $dirs >"$log" 2>&1
	st=$?
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	execs=$(grep '^stat::number_of_executed_units' "$log" |
	    awk '{print $2}')
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
	if [ $st -eq 0 ]; then
		res=ok
	else
		res="CRASH (see $log, $bd/crashes/$t)"
		rc=1
	fi
	printf '%-12s %10s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" \
	    "${ft:-?}" "${corp:-?}" "$res"
	[ $st -eq 0 ] || grep -A25 'ERROR\|runtime error\|deadly' "$log" |
	    head -40
done
exit $rc
