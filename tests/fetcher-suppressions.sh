#!/bin/sh
# What tests/valgrind.supp's libcurl and p11-kit entries hide, shown on
# usecase/fetcher's fixed program.  Without the file, every Helgrind and DRD
# report must be one of the two false alarms the file names (the lock word
# of libcurl's spinlock, touched in curl_easy_init; a mutex destroyed by
# p11-kit at exit), and each must appear; with the file, none may remain.
# So the entries hide those and nothing else the lab does.
set -u
: "${THREADLAB_SRCDIR:?run me from make check}" "${THREADLAB_BUILDDIR:?run me from make check}"
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not found"; exit 77; }
prog=$THREADLAB_BUILDDIR/labs/usecase/fetcher/fixed
supp=$THREADLAB_SRCDIR/tests/valgrind.supp
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# classify TOOL LOG: one word per report: curl, p11kit or other.  Helgrind
# puts a line of dashes between reports (and blank lines inside them), DRD a
# blank line.
classify() {
  sep='^$'
  [ "$1" = helgrind ] && sep='^-+$'
  sed 's/^==[0-9]*== \{0,1\}//' "$2" | awk -v sep="$sep" '
    function judge() {
      if (rec ~ /Possible data race|Conflicting (load|store)|not a mutex|with invalid argument|Lock at|lock order|unlocked|still held/) {
        if (rec ~ /curl_easy_init/ && rec ~ /(BSS segment|BSS section) of [^ ]*libcurl/) print "curl"
        else if (rec ~ /libp11-kit/ && rec ~ /(not a mutex|pthread_mutex_destroy with invalid argument)/) print "p11kit"
        else print "other"
      }
      rec = ""
    }
    $0 ~ sep { judge(); next }
    { rec = rec "\n" $0 }
    END { judge() }'
}

for tool in helgrind drd; do
  extra=
  [ "$tool" = drd ] && extra=--vex-guest-chase=no
  # shellcheck disable=SC2086
  valgrind -q --tool=$tool $extra --num-callers=30 "$prog" --iterations 4 --threads 2 --quiet \
    >"$tmp/out" 2>"$tmp/bare.log" || fail "$tool: fixed failed without the suppressions"
  kinds=$(classify $tool "$tmp/bare.log" | sort | uniq -c | tr -s ' \n' ' ')
  echo "$tool without tests/valgrind.supp: ${kinds:-no reports}"
  case $kinds in *curl*) ;; *) fail "$tool: no report on libcurl's spinlock (is the entry still needed?)" ;; esac
  case $kinds in *p11kit*) ;; *) fail "$tool: no report on p11-kit's exit-time mutexes (is the entry still needed?)" ;; esac
  case $kinds in *other*) fail "$tool: a report the entries do not explain:"; cat "$tmp/bare.log" ;; esac
  # shellcheck disable=SC2086
  valgrind -q --tool=$tool $extra --num-callers=30 --suppressions="$supp" "$prog" \
    --iterations 4 --threads 2 --quiet >"$tmp/out" 2>"$tmp/supp.log" ||
    fail "$tool: fixed failed with the suppressions"
  left=$(classify $tool "$tmp/supp.log" | wc -l)
  echo "$tool with tests/valgrind.supp: $left reports"
  [ "$left" -eq 0 ] || { fail "$tool: reports left with the suppressions"; cat "$tmp/supp.log"; }
done
echo "fetcher-suppressions: $fails failures"
[ "$fails" -eq 0 ]
