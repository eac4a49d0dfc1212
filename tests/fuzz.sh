#!/bin/sh
# Runs one fuzz target (tests/fuzz_TARGET.c) on its corpus.
#
#   fuzz.sh [--runs N] [--time SECONDS] TARGET     TARGET: procfs tsan valgrind spec
#   fuzz.sh tests/fuzz/TARGET.fuzz                 (what make check runs)
#
# The corpus is the target's real inputs plus every input a fuzz run ever
# failed on (tests/fixtures/fuzz/TARGET, kept as regression tests):
#   procfs    tests/fixtures/procfs, each file behind every parser's selector
#   tsan      tests/fixtures/tsan (captured TSan reports)
#   valgrind  tests/fixtures/valgrind (captured Valgrind XML documents)
#   spec      labs/*/*/{broken,fixed,demo,probe}.c (every lab header)
# With libFuzzer: a seeded run (-seed=1) bounded by N inputs and SECONDS
# (make check: a few seconds' worth per target; make fuzz: FUZZ_RUNS).  It
# prints the inputs run and whether anything was found; a failing input is
# kept in the build tree as tests/fuzz-artifact-TARGET-*.  Without
# libFuzzer: the target's replay main() runs every corpus file whole and cut
# short (tests/fuzz_replay.c).  Either way the parser runs under ASan+UBSan
# where the build has them.
set -u
: "${THREADLAB_SRCDIR:?run me from make check or make fuzz}"
: "${THREADLAB_BUILDDIR:?run me from make check or make fuzz}"
runs=
seconds=
while [ $# -gt 1 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--time) seconds=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ $# -ne 1 ]; then
	echo "usage: fuzz.sh [--runs N] [--time SECONDS] TARGET" >&2
	exit 2
fi
target=${1##*/}
target=${target%.fuzz}
src=$THREADLAB_SRCDIR
fuzz=$THREADLAB_BUILDDIR/tests/fuzz_$target
regressions=$src/tests/fixtures/fuzz/$target
# Per target: the fixtures, libFuzzer's -max_len, and make check's run size
# (each about 10 s under load on this machine).
case $target in
procfs)
	seeds=$(find "$src/tests/fixtures/procfs" -type f ! -name README.md)
	max_len=4096 check_runs=200000 ;;
tsan)
	seeds=$(find "$src/tests/fixtures/tsan" -type f -name '*.txt')
	max_len=8192 check_runs=100000 ;;
valgrind)
	seeds=$(find "$src/tests/fixtures/valgrind" -type f -name '*.xml')
	max_len=8192 check_runs=100000 ;;
spec)
	seeds=$(find "$src/labs" -mindepth 3 -maxdepth 3 -type f \
		\( -name broken.c -o -name fixed.c -o -name demo.c -o -name probe.c \))
	max_len=8192 check_runs=100000 ;;
*)
	echo "fuzz.sh: unknown target '$target' (procfs tsan valgrind spec)" >&2
	exit 2 ;;
esac
if [ ! -x "$fuzz" ]; then
	echo "FAIL: $fuzz not built"
	exit 1
fi
if [ -z "$seeds" ]; then
	echo "FAIL: no corpus files for $target"
	exit 1
fi
seeds=$(printf '%s\n' "$seeds" | LC_ALL=C sort)
failed=
[ -d "$regressions" ] && failed=$(find "$regressions" -type f ! -name README.md | LC_ALL=C sort)

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
mkdir "$corpus/in"
n=0
for f in $seeds; do
	n=$((n + 1))
	if [ "$target" = procfs ]; then
		# The first byte picks the parser ('*': all of them).
		for sel in s t c y m '*'; do
			{ printf %s "$sel"; cat "$f"; } > "$corpus/in/$n$sel"
		done
	else
		cp "$f" "$corpus/in/$n"
	fi
done
for f in $failed; do
	cp "$f" "$corpus/in/failed-${f##*/}"
done
nfailed=$(printf '%s' "$failed" | grep -c .)
echo "fuzz_$target: $n fixture files, $nfailed past failures"

case ${HAVE_LIBFUZZER:-} in
yes)
	artifacts=$THREADLAB_BUILDDIR/tests/fuzz-artifact-$target-
	runs=${runs:-$check_runs}
	seconds=${seconds:-20}
	echo "libFuzzer: -runs=$runs -max_total_time=$seconds -seed=1 -max_len=$max_len"
	"$fuzz" -runs="$runs" -max_total_time="$seconds" -seed=1 -max_len="$max_len" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$artifacts" "$corpus/in" > "$corpus/log" 2>&1
	rc=$?
	done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$corpus/log")
	# The whole log on failure (the sanitizer report and the input's
	# file), its summary otherwise.
	if [ "$rc" -ne 0 ]; then
		cat "$corpus/log"
		echo "FAIL: fuzz_$target: found a failing input after ${done_runs:-?} inputs" \
			"(exit $rc); it is kept as ${artifacts}*"
		exit 1
	fi
	grep -E '^(INFO: seed|#[0-9]+.*(INITED|DONE)|Done|stat::)' "$corpus/log"
	echo "fuzz_$target: $done_runs inputs run, nothing found"
	exit 0
	;;
no)
	echo "no libFuzzer: replaying the corpus, whole and cut short"
	# shellcheck disable=SC2046 # one argument per file; corpus names have no spaces
	"$fuzz" $(find "$corpus/in" -type f | LC_ALL=C sort)
	exit $?
	;;
*)
	echo "FAIL: HAVE_LIBFUZZER is '${HAVE_LIBFUZZER:-}' (run me from make check or make fuzz)"
	exit 1
	;;
esac
