#!/bin/sh
# threadlab try on programs that fail the harness's way (tests/fixtures/try):
# bad flags and a missing file are usage errors (one line, exit 2); a compile
# error, a crash, megabytes of output, a forked child left behind, a program
# that ignores SIGTERM and never ends, one that spins, a deadlock and a lost
# wake-up each get their message and exit code; a SIGINT to try itself ends
# it.  After every run nothing of it is left: no process carrying the run's
# marker argument, nothing in its $TMPDIR.
set -u
: "${THREADLAB:?run me from make check}" "${THREADLAB_SRCDIR:?run me from make check}"
FIX=$THREADLAB_SRCDIR/tests/fixtures/try
fails=0
base=$(mktemp -d "${TMPDIR:-/tmp}/try-cli.XXXXXX") || exit 99
trap 'rm -rf "$base"' EXIT
# try's own temporary directory goes here: it must be empty after each run.
TMPDIR=$base/tmp
export TMPDIR
mkdir "$TMPDIR"
out=$base/out err=$base/err
marker=try-cli-marker-$$

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok:   $*"; }

# Nothing left behind by the run just done.
clean_after() {
  if pgrep -f "$marker" > /dev/null; then
    fail "$1: processes left running:"; pgrep -af "$marker" | sed 's/^/    /'
    pkill -KILL -f "$marker"
  else ok "$1: no process left"; fi
  if [ -n "$(ls -A "$TMPDIR")" ]; then
    fail "$1: files left in TMPDIR:"; ls -A "$TMPDIR" | sed 's/^/    /'
    rm -rf "${TMPDIR:?}"/*
  else ok "$1: TMPDIR empty"; fi
}

# usage WHAT ARGS...: exit 2, exactly one line on stderr, nothing started
usage() {
  what=$1; shift
  "$THREADLAB" try "$@" > "$out" 2> "$err"
  got=$?
  if [ "$got" -eq 2 ] && [ "$(wc -l < "$err")" -eq 1 ]; then ok "$what: exit 2, one line: $(cat "$err")"
  else fail "$what: exit $got (want 2), stderr:"; sed 's/^/    /' "$err"; fi
}

# run WHAT STATUS ARGS...: try exits with STATUS; then has/lacks check stdout
run() {
  what=$1 want=$2; shift 2
  "$THREADLAB" try "$@" > "$out" 2> "$err"
  got=$?
  if [ "$got" -eq "$want" ]; then ok "$what: exit $got"
  else fail "$what: exit $got (want $want):"; sed 's/^/    /' "$out" "$err" | head -n 30; fi
}
has() {
  if grep -qE -- "$2" "$3"; then ok "$1: has /$2/"
  else fail "$1: lacks /$2/:"; sed 's/^/    /' "$3" | head -n 30; fi
}

usage "no file"
usage "missing file" "$base/no-such.c"
usage "a directory" "$base"
usage "unknown option" --frobnicate "$FIX/loud.c"
usage "bad timeout" --timeout 0 "$FIX/loud.c"
usage "timeout not a number" --timeout soon "$FIX/loud.c"
usage "bad format" --format xml "$FIX/loud.c"
usage "too many seeds" --perturb 257 "$FIX/loud.c"
usage "seeds not a number" --perturb many "$FIX/loud.c"
clean_after "usage errors"

run "compile error" 1 "$FIX/compile-error.c"
has "compile error" "undeclared_variable" "$err"
has "compile error" "^threadlab: try: the program did not build" "$err"
clean_after "compile error"

run "crash" 1 "$FIX/crash.c" -- "$marker"
has "crash" "native +crashed: Segmentation fault" "$out"
has "crash" "^verdict: (memory-error|crash) at crash.c:10 " "$out"
clean_after "crash"

run "megabytes of output" 0 "$FIX/loud.c" -- "$marker"
has "megabytes of output" "printed 8388608 bytes, the first 1048576 of each stream kept" "$out"
has "megabytes of output" "^verdict: clean" "$out"
clean_after "megabytes of output"

run "forked child" 0 "$FIX/fork-child.c" -- "$marker"
has "forked child" "outlived it: ended with its process group" "$out"
clean_after "forked child"

run "ignores SIGTERM, never ends" 1 --timeout 1 "$FIX/ignores-term.c" -- "$marker"
has "ignores SIGTERM, never ends" "did not end within 1 s: ended" "$out"
has "ignores SIGTERM, never ends" "^verdict: timeout" "$out"
clean_after "ignores SIGTERM, never ends"

run "spins" 1 --timeout 1 "$FIX/spins.c" -- "$marker"
has "spins" "hang analysis: busy" "$out"
has "spins" "^verdict: timeout" "$out"
clean_after "spins"

run "long computation" 0 --timeout 20 "$FIX/busy-compute.c" -- "$marker"
has "long computation" "native +exited with 0 \(clean\)" "$out"
has "long computation" "^verdict: clean" "$out"
clean_after "long computation"

run "deadlock" 1 --format json "$FIX/deadlock.c" -- "$marker"
has "deadlock" '"class":"deadlock"' "$out"
has "deadlock" '"line":(15|26),' "$out"
has "deadlock" '"see":"deadlock/lock-order"' "$out"
clean_after "deadlock"

run "lost wake-up" 1 "$FIX/lost-wakeup.c" -- "$marker"
has "lost wake-up" "^verdict: stuck at lost-wakeup.c:27 " "$out"
clean_after "lost wake-up"

run "atomic hand-over" 0 "$FIX/atomic-handoff.c" -- "$marker"
has "atomic hand-over" "^  Helgrind  data-race" "$out"
has "atomic hand-over" "^verdict: clean" "$out"
has "atomic hand-over" "not counted: Helgrind data-race at atomic-handoff.c:24 \(on an atomic\)" "$out"
clean_after "atomic hand-over"

# SIGINT to try while its program runs: try dies of it, and its temporary
# directory and the program go with it.
"$THREADLAB" try --timeout 600 "$FIX/ignores-term.c" -- "$marker" > "$out" 2> "$err" &
try_pid=$!
# Wait (bounded) until the program runs: then try is inside a run.  (try's
# own command line carries the marker too, from its start, before it has
# set its handler: a background job of sh starts with SIGINT ignored.)
n=0
while ! pgrep -f "/program $marker" > /dev/null && [ $n -lt 600 ]; do
  sleep 0.1; n=$((n + 1))
done
kill -INT "$try_pid"
wait "$try_pid"
got=$?
if [ "$got" -eq 130 ]; then ok "SIGINT: try died of it (status 130)"
else fail "SIGINT: status $got (want 130)"; sed 's/^/    /' "$out" "$err"; fi
clean_after "SIGINT"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
