#!/bin/sh
# The /proc parsers against fuzzed input (tests/fuzz_procfs.c).  With
# libFuzzer: a bounded, seeded run (200,000 inputs, seed 1, at most 4 KiB)
# from a corpus made of every file in tests/fixtures/procfs behind each
# parser's selector byte.  Without it: the same source built with its own
# main() replays those files, whole and cut at every length, through every
# parser (under ASan with --enable-asan).  Either way the parsers run.
set -u
: "${THREADLAB_SRCDIR:?run me from make check}" "${THREADLAB_BUILDDIR:?run me from make check}"
fuzz=$THREADLAB_BUILDDIR/tests/fuzz_procfs
fixtures=$THREADLAB_SRCDIR/tests/fixtures/procfs
if [ ! -x "$fuzz" ]; then
	echo "FAIL: $fuzz not built"
	exit 1
fi
files=$(find "$fixtures" -type f ! -name README.md | LC_ALL=C sort)
if [ -z "$files" ]; then
	echo "FAIL: no corpus files in $fixtures"
	exit 1
fi

case ${HAVE_LIBFUZZER:-} in
yes)
	corpus=$(mktemp -d)
	trap 'rm -rf "$corpus"' EXIT
	n=0
	for f in $files; do
		n=$((n + 1))
		for sel in s t c y m; do
			{ printf %s "$sel"; cat "$f"; } > "$corpus/$sel-$n"
		done
	done
	artifacts=$THREADLAB_BUILDDIR/tests/fuzz-artifact-
	echo "libFuzzer: $n fixture files x 5 parsers, -runs=200000 -seed=1 -max_len=4096"
	mkdir "$corpus/in"
	mv "$corpus"/?-* "$corpus/in/"
	"$fuzz" -runs=200000 -seed=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts" "$corpus/in" > "$corpus/log" 2>&1
	rc=$?
	# The whole log on failure (the sanitizer report and the input's
	# file), its summary otherwise.
	if [ "$rc" -ne 0 ]; then
		cat "$corpus/log"
		echo "FAIL: fuzz_procfs exited $rc; the input is kept as ${artifacts}*"
		exit 1
	fi
	grep -E '^(INFO: seed|#[0-9]+.*DONE|Done|stat::)' "$corpus/log"
	echo "fuzz_procfs: no failure"
	exit 0
	;;
no)
	echo "no libFuzzer: replaying the corpus through every parser"
	# shellcheck disable=SC2086 # one argument per file; fixture names have no spaces
	"$fuzz" $files
	exit $?
	;;
*)
	echo "FAIL: HAVE_LIBFUZZER is '${HAVE_LIBFUZZER:-}' (run me from make check)"
	exit 1
	;;
esac
