#!/bin/sh
# The command lines: bad input gets one line on stderr and exit 2 (never a
# crash or a hang), and the runner's commands print what they promise.
set -u
: "${THREADLAB:?run me from make check}" "${THREADLAB_BUILDDIR:?run me from make check}"
fails=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err" "$out.help" "$out.pager"' EXIT

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
# judge WHAT: ok or FAIL for WHAT by the status of the command just run; on
# FAIL, the head of the last command's stdout
judge() {
  if [ $? -eq 0 ]; then echo "ok:   $1"
  else echo "FAIL: $1:"; sed 's/^/    /' "$out" | head -n 8; fails=$((fails + 1)); fi
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
expect 2 "unknown option" -- "$THREADLAB" --frobnicate
expect 0 "help" -- "$THREADLAB" --help
contains "usage: threadlab COMMAND"
expect 0 "help: -h" -- "$THREADLAB" -h
expect 0 "help: help" -- "$THREADLAB" help
contains "usage: threadlab COMMAND"
expect 2 "help: unknown command" -- "$THREADLAB" help nosuch
expect 2 "help: two commands" -- "$THREADLAB" help run check
expect 2 "--help: extra argument" -- "$THREADLAB" --help extra
expect 0 "--version" -- "$THREADLAB" --version
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$THREADLAB_BUILDDIR/config.h")
[ -n "$version" ] && [ "$(cat "$out")" = "threadlab $version" ]
judge "--version prints 'threadlab $version' (config.h's PACKAGE_VERSION)"
expect 2 "--version: extra argument" -- "$THREADLAB" --version extra
# The glossary explains every verdict word the harness knows (the names
# table of src/harness/tl_verdict.c) and the watchdog's and threadstat's words.
expect 0 "help words" -- "$THREADLAB" help words
for w in $(sed -n 's/^ *\[TL_V_[A-Z_]*\] = "\([a-z-]*\)",$/\1/p' "$THREADLAB_SRCDIR/src/harness/tl_verdict.c") \
	queued futex_do_wait "under a fifth" "threads besides main" "address space"; do
	contains "$w"
done

# Every command: help COMMAND, COMMAND --help and COMMAND -h print its usage
# (the same text) and exit 0; its options come from the same table.
commands=$("$THREADLAB" list --commands)
[ "$(echo "$commands" | wc -l)" -ge 7 ]
judge "list --commands: $(echo $commands)"
for c in $commands; do
  expect 0 "help $c" -- "$THREADLAB" help "$c"
  contains "usage: threadlab $c"
  cp "$out" "$out.help"
  expect 0 "$c --help" -- "$THREADLAB" "$c" --help
  cmp -s "$out" "$out.help"
  judge "$c --help is help $c"
  expect 0 "$c -h" -- "$THREADLAB" "$c" -h
  contains "-h, --help"
  expect 2 "$c: bad flag" -- "$THREADLAB" "$c" --frobnicate
  expect 2 "$c: bad short flag" -- "$THREADLAB" "$c" -Z
  expect 2 "$c: value to a flag" -- "$THREADLAB" "$c" --help=yes
done
rm -f "$out.help"
expect 2 "list: unknown category" -- "$THREADLAB" list nosuch
expect 2 "list: bad flag" -- "$THREADLAB" list --all
expect 2 "show: unknown lab" -- "$THREADLAB" show nosuch/lab
expect 2 "show: no lab" -- "$THREADLAB" show
expect 2 "run: unknown variant" -- "$THREADLAB" run race/counter sideways
expect 2 "run: unknown tool" -- "$THREADLAB" run race/counter broken --tool valgrind
expect 2 "run: --tool without value" -- "$THREADLAB" run race/counter broken --tool
expect 2 "run: --tool= empty" -- "$THREADLAB" run race/counter broken --tool=
expect 2 "run: no lab" -- "$THREADLAB" run
expect 2 "run: no lab, only a tool" -- "$THREADLAB" run --tool tsan
expect 2 "run: extra argument" -- "$THREADLAB" run race/counter broken extra
expect 2 "run: unknown lab" -- "$THREADLAB" run nosuch
expect 2 "show: extra argument" -- "$THREADLAB" show race/counter extra
expect 2 "list: extra argument" -- "$THREADLAB" list race deadlock
expect 2 "list: two kinds at once" -- "$THREADLAB" list --names --tools
expect 2 "list: --tools with a category" -- "$THREADLAB" list --tools race
expect 2 "list: --variants without value" -- "$THREADLAB" list --variants
expect 2 "list: --variants of no lab" -- "$THREADLAB" list --variants nosuch
expect 2 "check: ambiguous abbreviation" -- "$THREADLAB" check --t race
expect 2 "check: --verbose with a value" -- "$THREADLAB" check --verbose=yes
expect 2 "check: --test without value" -- "$THREADLAB" check --test
expect 2 "check: --test with a lab" -- "$THREADLAB" check --test labs/race/counter/broken.run.lab race
expect 2 "stress: --runs without value" -- "$THREADLAB" stress race/counter --runs
expect 2 "stress: no lab" -- "$THREADLAB" stress --runs 3
expect 2 "stress: extra argument" -- "$THREADLAB" stress race/counter fixed extra
expect 2 "check: bad flag" -- "$THREADLAB" check --frob
expect 2 "check: unknown lab" -- "$THREADLAB" check nosuch
expect 2 "check --test: not a lab path" -- "$THREADLAB" check --test /etc/passwd
expect 2 "stress: --runs 0" -- "$THREADLAB" stress race/counter --runs 0
expect 2 "stress: --runs not a number" -- "$THREADLAB" stress race/counter --runs many
expect 2 "stress: --runs huge" -- "$THREADLAB" stress race/counter --runs 99999999999999999999
expect 2 "stress: --jobs 0" -- "$THREADLAB" stress race/counter --jobs 0
expect 2 "stress: --jobs 65" -- "$THREADLAB" stress race/counter --jobs 65
expect 2 "stress: --jobs not a number" -- "$THREADLAB" stress race/counter --jobs 2x
expect 2 "stress: --format xml" -- "$THREADLAB" stress race/counter --format xml
expect 2 "help: troubleshoot takes nothing more" -- "$THREADLAB" help troubleshoot now
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
# The plumbing for scripts and completion: one word a line.
expect 0 "list --names" -- "$THREADLAB" list --names
grep -qx "race/counter" "$out" && grep -qx "deadlock/lock-order" "$out" && ! grep -q " " "$out"
judge "list --names: ids, one a line"
[ "$(wc -l < "$out")" -eq "$("$THREADLAB" list | grep -c '^  ')" ]
judge "list --names has every lab of list"
expect 0 "list --names CATEGORY" -- "$THREADLAB" list --names leak
grep -q "^leak/" "$out" && ! grep -vq "^leak/" "$out"
judge "list --names leak: leak's only"
expect 0 "list --tools" -- "$THREADLAB" list --tools
[ "$(tr '\n' ' ' < "$out")" = "run tsan helgrind drd memcheck " ]
judge "list --tools: run tsan helgrind drd memcheck"
for t in $(cat "$out"); do
  "$THREADLAB" run race/counter --tool "$t" --help > /dev/null 2>&1
  judge "run --tool $t is taken"
done
expect 0 "list --variants" -- "$THREADLAB" list --variants counter
[ "$(tr '\n' ' ' < "$out")" = "broken fixed " ]
judge "list --variants counter: broken fixed"
expect 0 "list --variants of a demo" -- "$THREADLAB" list --variants=demos/lock
[ "$(cat "$out")" = demo ]
judge "list --variants demos/lock: demo"
expect 0 "show" -- "$THREADLAB" show race/counter
contains "+	pthread_mutex_lock(&counter_lock);"
expect 0 "stress: fixed" -- "$THREADLAB" stress race/counter fixed --runs 3
contains "clean               3  acceptable   correct   <- what this program is expected to do"
contains "lost: min 0, median 0, max 0 (over 3 runs)"
expect 0 "stress: broken" -- "$THREADLAB" stress counter --runs 3
contains "wrong-result        3  interesting  the bug showed   <- what this program is expected to do"
contains "forbidden: neither"
# --jobs: copies side by side, each run judged alone, so the outcomes are
# those of one at a time: race/counter's bug in every run, its fix in none.
expect 0 "stress: --jobs 2" -- "$THREADLAB" stress race/counter --runs 200 --jobs 2
contains "race/counter broken: 200 runs, 2 at a time"
contains "wrong-result      200  interesting"
contains "(over 200 runs)"
expect 0 "stress: fixed, --jobs 2" -- "$THREADLAB" stress race/counter fixed --runs 20 --jobs 2
contains "clean              20  acceptable"
expect 0 "stress: --format json" -- "$THREADLAB" stress race/counter --runs 4 --jobs 2 --format json -- --threads 3
for w in '"lab":"race/counter"' '"runs":4' '"jobs":2' '"lab_args":true' '"outcome":"wrong-result"' \
	'"grade":"interesting"' '"name":"lost"'; do
	contains "$w"
done
if [ -n "${PYTHON3:-}" ]; then
	"$PYTHON3" -c 'import json, sys; d = json.load(sys.stdin); assert sum(o["runs"] for o in d["outcomes"]) == 4' < "$out"
	judge "stress --format json: JSON whose outcomes add up to the runs"
fi

# Options and arguments in any order; for run and stress, "--" ends the
# runner's arguments and what follows goes to the lab program.
expect 0 "options before arguments" -- "$THREADLAB" stress --runs=2 race/counter fixed
contains "race/counter fixed: 2 runs"
expect 0 "stress: lab arguments after --" -- "$THREADLAB" stress race/counter --runs 2 -- --threads 3 --iterations 1000
contains "expected with the lab's default arguments"
expect 99 "stress: a lab argument the lab rejects" -- "$THREADLAB" stress race/counter --runs 2 -- --bogus
grep -q "the program rejected its arguments: .*unknown option '--bogus'" "$err"
judge "stress: the lab's own complaint is shown"
expect 0 "run: lab arguments after --" -- "$THREADLAB" run race/counter fixed -- --threads 3 --iterations 1000
contains "counter = "
! grep -q '^outcome:' "$out"
judge "run: no 'outcome:' line (a machine line, only for stress)"
expect 2 "list: -- is no lab argument" -- "$THREADLAB" list -- race extra
expect 2 "a variant then a lab is no lab" -- "$THREADLAB" stress --runs 2 fixed race/counter

# show pages through $PAGER only on a terminal (script(1) gives it one), and
# colours the diff there unless NO_COLOR is set.
pager_out="$out.pager"
rm -f "$pager_out"
PAGER="cat > '$pager_out'" "$THREADLAB" show race/counter > "$out" 2> "$err"
[ ! -e "$pager_out" ] && grep -qF "pthread_mutex_lock(&counter_lock);" "$out"
judge "show into a pipe: no pager"
if command -v script > /dev/null 2>&1; then
  # on_tty COMMAND...: run it on a terminal; its output is in $out
  on_tty() { script -qec "$*" /dev/null < /dev/null > "$out" 2>&1; }
  esc=$(printf '\033')
  on_tty env PAGER="\"cat > '$pager_out'\"" NO_COLOR= "$THREADLAB" show race/counter
  grep -qF "pthread_mutex_lock(&counter_lock);" "$pager_out" 2>/dev/null &&
    ! grep -qF "pthread_mutex_lock" "$out" && grep -q "$esc\[" "$pager_out"
  judge "show on a terminal: through \$PAGER, in colour"
  rm -f "$pager_out"
  on_tty env PAGER="\"cat > '$pager_out'\"" NO_COLOR=1 "$THREADLAB" show race/counter
  grep -qF "pthread_mutex_lock(&counter_lock);" "$pager_out" 2>/dev/null && ! grep -q "$esc" "$pager_out"
  judge "show with NO_COLOR=1: no colour"
  rm -f "$pager_out"
  for p in "" cat; do
    on_tty env PAGER="$p" NO_COLOR=1 "$THREADLAB" show race/counter
    grep -qF "pthread_mutex_lock(&counter_lock);" "$out"
    judge "show with PAGER='$p': printed directly"
  done
  # No PAGER and no less on PATH: printed directly (diff is all it needs).
  bin=$(mktemp -d)
  ln -s "$(command -v diff)" "$bin/diff"
  on_tty env -u PAGER PATH="$bin" NO_COLOR=1 "$THREADLAB" show race/counter
  grep -qF "pthread_mutex_lock(&counter_lock);" "$out"
  judge "show without PAGER or less: printed directly"
  rm -rf "$bin"
else
  echo "(script(1) is not installed: show on a terminal not tested)"
fi

# bench: bad input, a failed run, and one quick run's lines (their form
# only: a timing goal is never asserted in a test).
expect 2 "bench: no lab" -- "$THREADLAB" bench
expect 2 "bench: unknown lab" -- "$THREADLAB" bench no-such-lab
expect 2 "bench: a lab without bench lines" -- "$THREADLAB" bench race/counter
expect 2 "bench: a category without bench lines" -- "$THREADLAB" bench race
expect 2 "bench: a lab without broken and fixed" -- "$THREADLAB" bench demos/lock
expect 2 "bench: unknown option" -- "$THREADLAB" bench perf --frobnicate
expect 1 "bench: a run that fails" -- "$THREADLAB" bench perf/mutex-vs-atomic -- --bogus
grep -q "bench: perf/mutex-vs-atomic broken --bogus: " "$err"
judge "bench: the failed run is named"
expect 0 "bench: a tiny size" -- "$THREADLAB" bench perf/false-sharing-atomic -- --iterations 2000
num='[0-9][0-9]*\.[0-9][0-9]'
grep -q "^perf/false-sharing-atomic: ratio ≥ 2\.5, --iterations 2000\$" "$out" &&
  grep -q "^  [0-9][0-9]* rounds.*, load average $num before, $num after\$" "$out" &&
  grep -q "^  broken  *$num ms \[$num–$num\]\$" "$out" &&
  grep -q "^  fixed  *$num ms \[$num–$num\]\$" "$out" &&
  grep -q "^  ratio broken / fixed  *$num× \[$num–$num\]   goal ≥ 2\.5: \(met\|MISSED\)\$" "$out"
judge "bench: both programs' times and the figure with its goal"

[ "$fails" -eq 0 ] && echo "cli: all passed" || echo "cli: $fails failed"
[ "$fails" -eq 0 ]
