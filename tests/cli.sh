#!/bin/sh
# The command lines: bad input gets one line on stderr and exit 2 (never a
# crash or a hang), and the runner's commands print what they promise.
set -u
: "${THREADLAB:?run me from make check}" "${THREADLAB_BUILDDIR:?run me from make check}"
fails=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# expect STATUS DESCRIPTION -- COMMAND...: status and, for 2, exactly one stderr line
expect() {
  want=$1 what=$2; shift 3
  "$@" > "$out" 2> "$err"
  got=$?
  lines=$(wc -l < "$err")
  if [ "$got" -ne "$want" ] || { [ "$want" -eq 2 ] && [ "$lines" -ne 1 ]; }; then
    echo "FAIL: $what: exit $got (want $want), $lines stderr lines:"; sed 's/^/    /' "$err"
    fails=$((fails + 1))
  else
    echo "ok:   $what${want:+ (exit $want)}"
  fi
}
# contains TEXT: the last command's stdout has TEXT
contains() {
  if grep -qF -- "$1" "$out"; then echo "ok:   output has '$1'"
  else echo "FAIL: output lacks '$1':"; sed 's/^/    /' "$out"; fails=$((fails + 1)); fi
}

# With no command at all, the whole usage (like git) and exit 2.
"$THREADLAB" > "$out" 2> "$err"
if [ $? -eq 2 ] && head -n 1 "$err" | grep -q '^usage: threadlab'; then echo "ok:   no command: usage, exit 2"
else echo "FAIL: no command"; fails=$((fails + 1)); fi
expect 2 "unknown command" -- "$THREADLAB" frobnicate
expect 0 "help" -- "$THREADLAB" --help
expect 2 "list: unknown category" -- "$THREADLAB" list nosuch
expect 2 "list: bad flag" -- "$THREADLAB" list --all
expect 2 "show: unknown lab" -- "$THREADLAB" show nosuch/lab
expect 2 "show: no lab" -- "$THREADLAB" show
expect 2 "run: unknown variant" -- "$THREADLAB" run race/counter sideways
expect 2 "run: unknown tool" -- "$THREADLAB" run race/counter broken --tool valgrind
expect 2 "run: --tool without value" -- "$THREADLAB" run race/counter broken --tool
expect 2 "check: bad flag" -- "$THREADLAB" check --frob
expect 2 "check: unknown lab" -- "$THREADLAB" check nosuch
expect 2 "check --test: not a lab path" -- "$THREADLAB" check --test /etc/passwd
expect 2 "stress: --runs 0" -- "$THREADLAB" stress race/counter --runs 0
expect 2 "stress: --runs not a number" -- "$THREADLAB" stress race/counter --runs many
expect 2 "stress: --runs huge" -- "$THREADLAB" stress race/counter --runs 99999999999999999999
expect 2 "tour: extra argument" -- "$THREADLAB" tour now

lab="$THREADLAB_BUILDDIR/labs/race/counter/broken"
expect 2 "lab: unknown flag" -- "$lab" --bogus
expect 2 "lab: --threads 0" -- "$lab" --threads 0
expect 2 "lab: --threads huge" -- "$lab" --threads 100000
expect 2 "lab: --iterations not a number" -- "$lab" --iterations 12abc
expect 2 "lab: --seed without value" -- "$lab" --seed
expect 2 "lab: stray argument" -- "$lab" extra
expect 2 "lab: a fixed thread count" -- "$THREADLAB_BUILDDIR/labs/deadlock/lock-order/broken" --threads 3
expect 0 "lab: --help" -- "$lab" --help
contains "usage:"

expect 0 "list" -- "$THREADLAB" list
contains "race/counter"
expect 0 "show" -- "$THREADLAB" show race/counter
contains "+	pthread_mutex_lock(&counter_lock);"
expect 0 "stress: fixed" -- "$THREADLAB" stress race/counter fixed --runs 3
contains "clean               3  acceptable"
contains "lost: min 0, median 0, max 0 (over 3 runs)"
expect 0 "stress: broken" -- "$THREADLAB" stress counter --runs 3
contains "wrong-result        3  forbidden"

[ "$fails" -eq 0 ] && echo "cli: all passed" || echo "cli: $fails failed"
[ "$fails" -eq 0 ]
