#!/bin/bash
# make check-self: our own code under our own detectors.
#
# 1. ThreadSanitizer.  The runtime's threaded unit tests (_tsan builds: the
#    watchdog thread, tl_sync, tl_queue, tl_pool, tl_ppool, and threadstat's
#    sampler), then threadlab_tsan and threadstat_tsan in place of the plain
#    programs through the command-line and fault tests, and threadlab_tsan's
#    parallel jobs (stress and matrix --jobs 4).  From the programs every
#    report goes to a file (log_path); any file at all fails the run.  The lab programs the runner
#    runs under `--tool tsan` get the runner's own TSAN_OPTIONS, so their
#    expected reports never land there.
# 2. Memcheck on the plain threadlab (list, show, run, check of one small
#    lab) and threadstat (a table, --watch -n 3, doctor, -- CMD): no error
#    and no definitely lost block.
#
# Exit 0 when all is clean, 1 otherwise; each step says ok or FAIL.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${THREADLAB_BUILDDIR:?run me from make check-self}" "${THREADLAB_SRCDIR:?run me from make check-self}"
B=$THREADLAB_BUILDDIR S=$THREADLAB_SRCDIR
fails=0
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
start_s=$(date +%s)
ok() { echo "ok:   $1"; }
bad() {
	echo "FAIL: $1"
	# The failed checks of a test script first, then its tail.
	[ -s "$tmp/log" ] && grep -A 6 '^FAIL' "$tmp/log" | head -n 40 | sed 's/^/    /'
	[ -s "$tmp/log" ] && tail -n 8 "$tmp/log" | sed 's/^/    /'
	fails=$((fails + 1))
}
# step WHAT COMMAND...: runs it (output kept in $tmp/log), ok when it exits 0
step() {
	what=$1
	shift
	"$@" > "$tmp/log" 2>&1 && ok "$what" || bad "$what: exit $?"
}

# ---------------------------------------------------------------- TSan
if [ -z "${SELF_TSAN:-}" ]; then
	echo "skip: ThreadSanitizer half: this build has no TSan (configure --enable-tsan)"
else
	# The unit tests: a report fails the test it happens in (exit 66 in
	# Check's forked child); test_ppool crashes worker processes on
	# purpose, whose "ERROR: ThreadSanitizer: SEGV" is the test, not a report.
	export TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1"
	for t in sync queue pool ppool watchdog threadstat; do
		step "unit test_${t}_tsan" "$B/tests/unit/test_${t}_tsan"
		if grep -q "WARNING: ThreadSanitizer" "$tmp/log"; then
			bad "unit test_${t}_tsan: a ThreadSanitizer report"
		fi
	done
	# The net holds: race/counter's TSan build, run with these options,
	# leaves its report in a file.
	mkdir "$tmp/control"
	TSAN_OPTIONS="$TSAN_OPTIONS log_path=$tmp/control/report" \
		"$B/labs/race/counter/broken_tsan" > /dev/null 2>&1
	if grep -qs "WARNING: ThreadSanitizer: data race" "$tmp/control"/report.*; then
		ok "control: race/counter's TSan build leaves its report in a log_path file"
	else bad "control: race/counter's TSan build left no report file"; fi
	mkdir "$tmp/tsan"
	export TSAN_OPTIONS="$TSAN_OPTIONS log_path=$tmp/tsan/report"
	tsan_env=(THREADLAB="$B/threadlab_tsan" THREADSTAT="$B/diagnostics/threadstat_tsan")
	for t in cli threadstat-cli threadstat-tree faults-detector faults-lab faults-interrupt \
		faults-threadstat; do
		step "tests/$t.sh with threadlab_tsan and threadstat_tsan" \
			env "${tsan_env[@]}" bash "$S/tests/$t.sh"
	done
	step "threadlab_tsan stress race/counter --runs 40 --jobs 4" \
		"$B/threadlab_tsan" stress race/counter --runs 40 --jobs 4
	step "threadlab_tsan matrix --tools run --jobs 4 --rerun (every program, 4 at a time)" \
		"$B/threadlab_tsan" matrix --tools run --jobs 4 --rerun --format csv
	reports=$(find "$tmp/tsan" -type f | wc -l)
	if [ "$reports" -eq 0 ]; then
		ok "no ThreadSanitizer report from our own programs"
	else
		echo "FAIL: $reports ThreadSanitizer report file(s):"
		for f in "$tmp/tsan"/*; do
			echo "--- $f"
			head -n 60 "$f"
		done
		fails=$((fails + 1))
	fi
	unset TSAN_OPTIONS
fi

# ---------------------------------------------------------------- Memcheck
if [ -z "${VALGRIND:-}" ] || [ ! -x "$VALGRIND" ]; then
	echo "skip: Memcheck half: no Valgrind (configure --enable-valgrind)"
else
	mc() {
		what=$1
		shift
		"$VALGRIND" --tool=memcheck --leak-check=full --show-leak-kinds=definite \
			--errors-for-leak-kinds=definite --error-exitcode=99 --child-silent-after-fork=yes \
			--log-file="$tmp/mc.%p" "$@" > "$tmp/log" 2>&1
		rc=$?
		summary=$(grep -h "ERROR SUMMARY" "$tmp"/mc.* 2> /dev/null | sort -u | tr '\n' ' ')
		if [ "$rc" -eq 99 ] || grep -q "definitely lost: [1-9]" "$tmp"/mc.* 2> /dev/null; then
			echo "FAIL: memcheck: $what: $summary"
			cat "$tmp"/mc.* | sed 's/^/    /' | head -n 80
			fails=$((fails + 1))
		else
			ok "memcheck: $what (exit $rc): $summary"
		fi
		rm -f "$tmp"/mc.*
	}
	tl=$B/threadlab
	mc "threadlab list" "$tl" list
	PAGER='cat' mc "threadlab show race/counter" "$tl" show race/counter
	mc "threadlab run race/counter" "$tl" run race/counter
	mc "threadlab check demos/lock (every tool)" "$tl" check demos/lock
	mkfifo "$tmp/tin" "$tmp/tout"
	"$B/tests/ts-target" --threads 8 --spin 1 < "$tmp/tin" > "$tmp/tout" &
	pid=$!
	exec 5> "$tmp/tin" 6< "$tmp/tout"
	if read -r -t 60 -u 6 word _ && [ "$word" = ready ]; then
		ts=$B/diagnostics/threadstat
		mc "threadstat PID (table)" "$ts" "$pid" 5>&- 6<&-
		mc "threadstat --watch -n 3 PID" "$ts" --watch -n 3 -i 100 "$pid" 5>&- 6<&-
		mc "threadstat doctor PID" "$ts" doctor "$pid" 5>&- 6<&-
	else
		bad "ts-target did not say ready within 60 s"
	fi
	exec 5>&- 6<&-
	wait "$pid"
	pid=
	mc "threadstat -- CMD" "$B/diagnostics/threadstat" -- "$B/tests/ts-target" --threads 4 < /dev/null
fi

echo "check-self: $(($(date +%s) - start_s)) s at load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$fails" -eq 0 ] || { echo "check-self: $fails step(s) failed"; exit 1; }
echo "check-self: clean"
