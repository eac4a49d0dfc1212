#!/bin/sh
# threadstat's command line: bad input gets one line and the right exit
# code; -- CMD runs a command, passes its exit status on and sums it up;
# --plot draws a PNG; --watch follows a process until it ends.
set -u
TS=${THREADSTAT:-${THREADLAB_BUILDDIR:-.}/diagnostics/threadstat}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ts-cli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect CODE LINES DESCRIPTION -- ARGS: exit code CODE, and (for errors)
# exactly one line on stderr, starting with "threadstat: ".
expect() {
	code=$1 lines=$2 what=$3
	shift 4
	"$TS" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	got=$?
	n=$(wc -l <"$tmp/err")
	if [ "$got" -ne "$code" ]; then
		echo "FAIL: $what: exit $got, expected $code"; cat "$tmp/err"; fail=1
	elif [ "$lines" = 1 ] && { [ "$n" -ne 1 ] || ! grep -q '^threadstat: ' "$tmp/err"; }; then
		echo "FAIL: $what: expected one 'threadstat:' line on stderr, got $n:"; cat "$tmp/err"; fail=1
	else
		echo "ok: $what ($(head -c 100 "$tmp/err" | head -n 1))"
	fi
}

expect 2 1 "no arguments" --
expect 2 1 "unknown flag" -- --frobnicate 1
expect 2 1 "pid not a number" -- abc
expect 2 1 "pid zero" -- 0
expect 2 1 "pid negative" -- -5
expect 2 1 "pid too large" -- 99999999999
expect 2 1 "two pids" -- 1 2
expect 2 1 "bad format" -- --format xml $$
expect 2 1 "bad column" -- -o tid,nope $$
expect 2 1 "bad interval" -- --interval -1 $$
expect 2 1 "count without watch" -- --count 3 $$
expect 2 1 "plot without watch" -- --plot "$tmp/x.png" $$
expect 2 1 "missing value" -- --interval
expect 2 1 "--no-children without a command" -- --no-children $$
expect 2 1 "--tree with --no-children" -- --tree --no-children -- true
expect 2 1 "doctor without pid" -- doctor
expect 2 1 "doctor bad window" -- doctor --window 0 $$
# A pid that is free: the highest pid_max allows is never handed out
# while this test runs (the kernel would need to wrap all the way round).
pid_max=$(cat /proc/sys/kernel/pid_max)
expect 1 1 "no such process" -- $((pid_max)) 
expect 1 1 "doctor: no such process" -- doctor $((pid_max))
expect 127 1 "command not found" -- -- /nonexistent/command
expect 1 1 "unwritable output" -- -o tid --output /nonexistent/dir/f $$

# --version: configure's version; --help: every command form and option
# (the man page is checked against this text).
expect 0 0 "--version" -- --version
ver=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "${THREADLAB_BUILDDIR:-.}/config.h")
[ -n "$ver" ] && [ "$(cat "$tmp/out")" = "threadstat $ver" ] ||
	{ echo "FAIL: --version printed '$(cat "$tmp/out")', configure says '$ver'"; fail=1; }
expect 0 0 "--help" -- --help
for form in 'threadstat [OPTIONS] PID' 'threadstat --watch [OPTIONS] PID' \
	'threadstat [OPTIONS] -- CMD [ARG..]' 'threadstat doctor [--window MS] [--proc-root DIR] PID' \
	'threadstat doctor --help' 'threadstat --help | --version' 'threadstat --tree [OPTIONS] PID' \
	'-t, --tree' '--no-children' \
	'-w, --watch' '-i, --interval MS' '-n, --count N' '-f, --format FMT' '-o, --columns LIST' \
	'-p, --plot FILE.png' '-O, --output FILE' '--window MS' '--proc-root DIR' '-h, --help' \
	'--version' 'tid,name,state,cpu_pct,user_ms,sys_ms,vcsw,nvcsw,wchan,syscall,cpu,start_s'; do
	grep -qF -- "$form" "$tmp/out" || { echo "FAIL: --help does not list '$form'"; fail=1; }
done
expect 0 0 "doctor --help" -- doctor --help
grep -qF -- 'threadstat doctor [--window MS] [--proc-root DIR] PID' "$tmp/out" ||
	{ echo "FAIL: doctor --help"; cat "$tmp/out"; fail=1; }

# A kernel thread and ourselves: tables with a header and one row per thread.
expect 0 0 "kernel thread 2" -- -i 10 2
grep -q '^ *2 kthreadd ' "$tmp/out" || { echo "FAIL: no kthreadd row"; cat "$tmp/out"; fail=1; }
expect 0 0 "this shell, csv" -- -i 10 --format csv $$
[ "$(sed -n 2p "$tmp/out" | cut -d, -f3)" = "$$" ] || { echo "FAIL: csv row is not tid $$"; cat "$tmp/out"; fail=1; }

# -- CMD: the command's exit status comes back; the summary names it.
expect 3 0 "-- sh exit 3" -- -i 10 -- sh -c 'exit 3'
grep -q 'sh ran .* exited with 3' "$tmp/err" || { echo "FAIL: summary"; cat "$tmp/err"; fail=1; }
expect 0 0 "-- with csv samples to a file" -- -i 5 -f csv --output "$tmp/s.csv" -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'
head -n 1 "$tmp/s.csv" | grep -q '^time_ms,pid,tid,name,state,cpu_pct' || { echo "FAIL: csv header"; cat "$tmp/s.csv"; fail=1; }
[ "$(wc -l <"$tmp/s.csv")" -ge 2 ] || { echo "FAIL: no samples in $tmp/s.csv"; fail=1; }

# --watch on a process that ends: stops by itself, exit 0.
expect 0 0 "--watch until the command ends" -- --watch -i 5 -f json --output "$tmp/w.json" -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'
grep -q '"tasks":\[{"tid":' "$tmp/w.json" || { echo "FAIL: json lines"; head -c 300 "$tmp/w.json"; fail=1; }

# --plot: a real PNG (its signature), when gnuplot is here.
if [ -n "${GNUPLOT:-}" ] && [ -x "${GNUPLOT}" ]; then
	expect 0 0 "--plot" -- -i 5 --plot "$tmp/c.png" -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'
	sig=$(od -An -tx1 -N8 "$tmp/c.png" 2>/dev/null | tr -d ' \n')
	[ "$sig" = "89504e470d0a1a0a" ] || { echo "FAIL: $tmp/c.png is not a PNG ($sig)"; fail=1; }
else
	echo "skip: --plot (gnuplot not found)"
fi
exit $fail
