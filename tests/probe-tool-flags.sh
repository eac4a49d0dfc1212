#!/bin/sh
# What some probes claim needs a detector flag the harness never passes
# (labs/probes/*/probe.c say which).  This runs those tools directly:
#  - Helgrind and DRD with --default-suppressions=no report strtok's static
#    `olds` in strtok_r (probes/strtok-libc), which Valgrind's default.supp
#    hides;
#  - what Helgrind does report in race/non-reentrant is a read by its own
#    strcspn/strspn replacement, which lives outside libc;
#  - DRD with --check-stack-var=yes reports the stack race of
#    probes/stack-scalar, which it leaves out by default;
#  - TSan with verbosity=1 says why a forked child is not watched
#    (probes/fork-child-silent) or is (probes/fork-child-reports);
#  - TSan reports probes/tsan-history's race up to a number of writes that
#    depends on history_size, and the harness passes only one value: the
#    rows of the probe's README table that bound its edges, with and without.
# A failure names the lesson to re-read, like a failing probe does.
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}"
B=$THREADLAB_BUILDDIR
fails=0 ran=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# expect WANT WHAT LESSON PATTERN: the last tool run's output ($out) has a
# line matching PATTERN (WANT=yes) or none (WANT=no)
expect() {
  ran=$((ran + 1))
  if grep -qE -- "$4" "$out"; then got=yes; else got=no; fi
  if [ "$got" = "$1" ]; then
    echo "ok:   $2"
    return
  fi
  if [ "$1" = yes ]; then echo "FAIL: $2: no line matches '$4'"
  else echo "FAIL: $2: a line matches '$4'"; fi
  echo "      re-read $3"
  sed 's/^/    | /' "$out" | tail -n 30
  fails=$((fails + 1))
}
check() { expect yes "$@"; }
check_no() { expect no "$@"; }

if [ -n "${VALGRIND:-}" ]; then
  "$VALGRIND" --tool=helgrind --default-suppressions=no "$B/labs/probes/strtok-libc/probe" \
    > "$out" 2>&1
  check "Helgrind without default suppressions: a write in strtok_r to 'olds'" \
    labs/race/non-reentrant/README.md 'data symbol "olds'
  check "... at strtok_r" labs/race/non-reentrant/README.md 'at 0x[0-9A-F]+: strtok_r '
  "$VALGRIND" --tool=drd --default-suppressions=no "$B/labs/probes/strtok-libc/probe" \
    > "$out" 2>&1
  check "DRD without default suppressions: a store in strtok_r" \
    labs/race/non-reentrant/README.md 'at 0x[0-9A-F]+: strtok_r '

  "$VALGRIND" --tool=helgrind "$B/labs/race/non-reentrant/broken" > "$out" 2>&1
  # The line after "Locks held" is the top frame of the racing access.
  sed -n '/Possible data race/,/^==[0-9]*== *$/p' "$out" > "$out.race"
  mv "$out.race" "$out"
  check "race/non-reentrant under Helgrind: the racing read is in its strcspn/strspn" \
    labs/race/non-reentrant/README.md \
    'at 0x[0-9A-F]+: str(c)?spn \(in [^)]*vgpreload_helgrind'

  "$VALGRIND" --tool=drd --check-stack-var=yes "$B/labs/probes/stack-scalar/probe" > "$out" 2>&1
  check "DRD with --check-stack-var=yes: the stack race of probes/stack-scalar" \
    labs/race/loop-var/README.md 'Conflicting (load|store) by thread'
else
  echo "skip: Valgrind not installed"
fi

if [ -x "$B/labs/probes/fork-child-silent/probe_tsan" ]; then
  TSAN_OPTIONS='verbosity=1 atexit_sleep_ms=0' "$B/labs/probes/fork-child-silent/probe_tsan" \
    > "$out" 2>&1
  check "TSan: a child forked with two threads running is not watched" \
    labs/deadlock/fork-locked/README.md 'forked new process with pid [0-9]+, parent had 2 threads'
  TSAN_OPTIONS='verbosity=1 atexit_sleep_ms=0' "$B/labs/probes/fork-child-reports/probe_tsan" \
    > "$out" 2>&1
  check "TSan: a child forked with one thread running is watched" \
    labs/deadlock/fork-locked/README.md 'forked new process with pid [0-9]+, parent had 1 threads'

  # history (TSAN_OPTIONS word), w's calls, every K-th writes `shared`,
  # reported or not: the rows of the README's table that bound its edges
  for row in "history_size=7 150000 1 yes" "history_size=7 200000 1 no" \
             "default 20000 1 yes" "default 100000 1 no" \
             "history_size=7 1000000 10 yes" "history_size=7 1000000 1000000 yes"; do
    set -- $row
    opt=$1; [ "$opt" = default ] && opt=
    TSAN_OPTIONS="atexit_sleep_ms=0 $opt" \
      "$B/labs/probes/tsan-history/probe_tsan" --iterations "$2" --seed "$3" > "$out" 2>&1
    if [ "$4" = yes ]; then
      check "TSan ($1): $2 calls, every $3. writing: the race is reported" \
        labs/probes/tsan-history/README.md 'WARNING: ThreadSanitizer: data race'
    else
      check_no "TSan ($1): $2 calls, every $3. writing: the race is not" \
        labs/probes/tsan-history/README.md 'WARNING: ThreadSanitizer'
      check "... and the program ran to its end" \
        labs/probes/tsan-history/README.md 'the last write came after'
    fi
  done
else
  echo "skip: no ThreadSanitizer build"
fi

if [ "$ran" -eq 0 ]; then exit 77; fi
echo "probe-tool-flags: $((ran - fails)) of $ran checks as the lessons say"
[ "$fails" -eq 0 ]
