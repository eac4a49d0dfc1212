#!/bin/sh
# Makefile.am lists one test per (lab program, tool); the lab headers say
# which tools each program expects.  The two lists must be the same, or a
# lab's expectation would silently never run.
set -eu
: "${THREADLAB:?run me from make check}" "${LAB_TESTS:?run me from make check}"
want=$(mktemp) have=$(mktemp)
trap 'rm -f "$want" "$have"' EXIT
"$THREADLAB" check --list-tests | sort > "$want"
printf '%s\n' $LAB_TESTS | sort > "$have"
if ! diff -u --label 'expected by lab headers' --label 'LAB_TESTS in labs/*/*/Makefile.inc' "$want" "$have"; then
  echo "lab-tests-listed: a lab's Makefile.inc LAB_TESTS, or its include line in Makefile.am, is out of step (lines above)" >&2
  exit 1
fi
echo "lab-tests-listed: $(wc -l < "$want") tests, headers and Makefile.am agree"
