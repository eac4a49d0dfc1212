#!/bin/sh
# The signal-handler pass (src/sigpass) through its command line,
# tests/sigpass:
#  - the fixtures: every line marked /* flagged */ is reported and no
#    other; the whole report (handler, the function it goes through, "a
#    lock") is tests/fixtures/sigpass/expected;
#  - every lab's sources, with libthreadlab's as part of the program (so
#    that tl_stage_done, a lock-free atomic add, is read, not guessed):
#    only the labs whose handlers really call malloc are reported
#    (tests/fixtures/sigpass/labs.expected, each line an @anchor there);
#  - bad input: one line on stderr, exit 2.
set -u
: "${THREADLAB_SRCDIR:?run me from make check}"
: "${THREADLAB_BUILDDIR:?run me from make check}"
SIGPASS=$THREADLAB_BUILDDIR/tests/sigpass
cd "$THREADLAB_SRCDIR" || exit 99
F=tests/fixtures/sigpass
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fails=0

fail() {
  echo "FAIL: $1"
  sed 's/^/    | /' "$out" "$err" | tail -n 20
  fails=$((fails + 1))
}

(cd $F && "$SIGPASS" unsafe.c safe.c sigaction.c) > "$out" 2> "$err"
rc=$?
[ $rc -eq 1 ] || fail "fixtures: exit $rc, not 1 (findings)"
marked=$(cd $F && grep -n '/\* flagged \*/$' unsafe.c safe.c sigaction.c | cut -d: -f1,2 | sort)
found=$(cut -d: -f1,2 "$out" | sort)
if [ "$marked" = "$found" ]; then
  echo "ok:   fixtures: the $(echo "$found" | wc -l) marked lines, and no other"
else
  fail "fixtures: reported lines differ from the marked ones: marked $(echo $marked), reported $(echo $found)"
fi
if diff -u $F/expected "$out" > "$err"; then
  echo "ok:   fixtures: report as in $F/expected"
else
  fail "fixtures: report differs from $F/expected"
fi
(cd $F && "$SIGPASS" safe.c) > "$out" 2> "$err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$out" ]; then
  echo "ok:   safe.c: write, _exit, sig_atomic_t, errno, atomics: nothing"
else
  fail "safe.c: exit $rc with findings"
fi

# Every lab, and libthreadlab as part of the program.
"$SIGPASS" -Isrc/lib -I"$THREADLAB_BUILDDIR" -D_GNU_SOURCE src/lib/*.c labs/*/*/*.c \
  > "$out" 2> "$err"
rc=$?
if [ $rc -eq 1 ] && diff -u $F/labs.expected "$out" > "$err"; then
  echo "ok:   $(ls labs/*/*/*.c | wc -l) lab sources: only $(wc -l < "$out") calls, in the labs that make them"
else
  fail "labs: exit $rc, or findings differ from $F/labs.expected"
fi
while IFS=: read -r file line rest; do
  if ! sed -n "${line}p" "$file" | grep -q '/\* @'; then
    fail "labs.expected: $file:$line carries no @anchor"
  fi
done < $F/labs.expected

# Bad input: one line, exit 2.
for args in "$F/broken-syntax.c" "$F/no-such-file.c" ""; do
  # shellcheck disable=SC2086
  "$SIGPASS" $args > "$out" 2> "$err"
  rc=$?
  if [ $rc -eq 2 ] && [ "$(wc -l < "$err")" -eq 1 ] && [ ! -s "$out" ]; then
    echo "ok:   '${args:-no file}': $(cat "$err")"
  else
    fail "'$args': exit $rc, expected 2 with one line on stderr"
  fi
done

[ $fails -eq 0 ] || exit 1
echo "sigpass: all checks passed"
