#!/bin/sh
# make check-repeat N=20 [J=2] [LOAD=hogs]: run the whole suite N times (J
# tests at a time) and show that every test gave the same result each time
# (the suite must never be flaky, even when its tests load the machine).
#
# A lab test's result is its PASS/FAIL and the verdict it measured (the
# `got=` of its log), so a table at the end names every (program, tool)
# whose verdict changed, with how often each came out.
#
# LOAD=hogs runs the suite beside two CPU hogs and a memory hog (a process
# that keeps rewriting 2 GiB), started here and ended with the script, so
# that "deterministic under load" is one command anyone can repeat.
set -u
rm -rf check-repeat-logs
n=${1:-20}
jobs=${2:-1}
load=${3:-}
runs=$(mktemp -d "${TMPDIR:-/tmp}/check-repeat.XXXXXX") || exit 99
hogs=
stop_hogs() {
  # shellcheck disable=SC2086
  [ -n "$hogs" ] && kill $hogs 2> /dev/null
  hogs=
}
trap 'stop_hogs; rm -rf "$runs"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

case $load in
'') ;;
hogs)
  for _ in 1 2; do
    sh -c 'while :; do :; done' &
    hogs="$hogs $!"
  done
  python3 -c '
import mmap, time
m = mmap.mmap(-1, 2 << 30)
while True:
    for i in range(0, len(m), 4096):
        m[i] = (m[i] + 1) & 255
' &
  hogs="$hogs $!"
  echo "check-repeat: beside two CPU hogs and a 2 GiB memory hog (pids$hogs)"
  ;;
*)
  echo "check-repeat: LOAD must be empty or hogs, not '$load'" >&2
  exit 2
  ;;
esac

# One line per test: its name, its result and, for a lab, its verdict.
results() {
  find . -name '*.trs' | sort | while read -r f; do
    t=${f%.trs}
    r=$(sed -n 's/^:test-result: //p' "$f" | tr '\n' ' ')
    v=
    case $t in
    *.lab) v=$(sed -n 's/^ *measured: got=\([^ ]*\).*/\1/p' "$t.log" 2> /dev/null | head -n 1) ;;
    esac
    printf '%s %s%s\n' "${t#./}" "$r" "${v:+verdict=$v}"
  done
}

same=0
for i in $(seq 1 "$n"); do
  start=$(date +%s)
  make -s -j"$jobs" check > /dev/null 2>&1
  status=$?
  results > "$runs/$i"
  # The next run's make check removes these logs: keep each failure's.
  awk '$2 != "PASS" && $2 != "SKIP" && $2 != "XFAIL" { print $1 }' "$runs/$i" |
    while read -r t; do
      mkdir -p "check-repeat-logs/run-$i" && cp "$t.log" "check-repeat-logs/run-$i/$(echo "$t" | tr / _).log"
    done
  summary=$(awk '{print $2}' "$runs/$i" | sort | uniq -c | tr -s ' \n' ' ')
  took="$(($(date +%s) - start)) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ "$i" -eq 1 ]; then
    same=1
    echo "run $i: status $status, $summary($took)"
  elif diff -q "$runs/1" "$runs/$i" > /dev/null; then
    same=$((same + 1))
    echo "run $i: status $status, $summary identical to run 1 ($took)"
  else
    echo "run $i: status $status, $summary DIFFERS from run 1 ($took):"
    diff "$runs/1" "$runs/$i" | sed -n 's/^[<>]/    &/p'
  fi
done
stop_hogs
echo "check-repeat: $same of $n runs identical"
if [ "$same" -ne "$n" ]; then
  echo "changed (test: each outcome, how many runs):"
  cat "$runs"/* | sort | uniq -c | awk '
    { c = $1; t = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); seen[t] = seen[t] sep[t] $0 " x" c; sep[t] = ", "; k[t]++ }
    END { for (t in k) if (k[t] > 1) print "  " t ": " seen[t] }' | sort
  echo "the failing runs' logs: check-repeat-logs/run-N/"
  exit 1
fi
