# shellcheck shell=sh
# Sourced by the fault tests (tests/faults-*.sh): a fixture lab tree that the
# runner reads through THREADLAB_SRCDIR/THREADLAB_BUILDDIR, whose programs
# misbehave on purpose, and the checks every fault test uses.
: "${THREADLAB:?run me from make check}" "${THREADLAB_BUILDDIR:?run me from make check}"
: "${THREADLAB_SRCDIR:?run me from make check}"
# shellcheck disable=SC2034 # for the scripts that source this
FAULT_LAB=$THREADLAB_BUILDDIR/tests/fault-lab
# shellcheck disable=SC2034
FIXTURES=$THREADLAB_SRCDIR/tests/fixtures
fails=0
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out err=$tmp/err
mkdir -p "$tmp/src/labs" "$tmp/build/labs" "$tmp/src/tests"
: > "$tmp/src/tests/valgrind.supp"

# make_lab NAME: faults/NAME, whose broken.c header expects every tool to
# call it clean: a fault may never be judged as that.
make_lab() {
  mkdir -p "$tmp/src/labs/faults/$1" "$tmp/build/labs/faults/$1"
  cat > "$tmp/src/labs/faults/$1/broken.c" <<END
/* faults/$1 — broken
 * A program that misbehaves on purpose (tests/faults-lib.sh).
 * expect run:      clean
 * expect tsan:     clean
 * expect helgrind: clean
 */
int main(void) { return 0; }
END
}
# program NAME VARIANT SCRIPT-BODY: the build tree's program, a shell script.
program() {
  printf '#!/bin/sh\n%s\n' "$3" > "$tmp/build/labs/faults/$1/$2"
  chmod +x "$tmp/build/labs/faults/$1/$2"
}
# tl ARGS...: the runner on the fixture tree, stdout and stderr kept.
tl() {
  THREADLAB_SRCDIR=$tmp/src THREADLAB_BUILDDIR=$tmp/build "$THREADLAB" "$@" > "$out" 2> "$err"
}
ok() { echo "ok:   $1"; }
bad() {
  echo "FAIL: $1"
  for f in "$out" "$err"; do [ -s "$f" ] && head -n 12 "$f" | sed 's/^/    /'; done
  fails=$((fails + 1))
}
# has FILE TEXT: FILE holds TEXT
has() { grep -qF -- "$2" "$1"; }
# gone PID: the process has ended (reaped, or a zombie whose reaper is
# not us), polled in /proc for at most 30 s: SIGKILL was sent already, only
# its delivery is awaited.
gone() {
  deadline=$(($(date +%s) + 30))
  while [ "$(date +%s)" -le "$deadline" ]; do
    state=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
    case $state in Z | X | '') return 0 ;; esac
  done
  return 1
}
finish() {
  [ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
  exit 0
}
