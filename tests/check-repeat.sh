#!/bin/sh
# make check-repeat N=20 [J=2]: run the whole suite N times (J tests at a
# time) and show that every test gave the same result each time (the suite
# must never be flaky, even when its tests load the machine).
set -u
n=${1:-20}
jobs=${2:-1}
first=$(mktemp) this=$(mktemp)
trap 'rm -f "$first" "$this"' EXIT
results() {
  for f in $(find . -name '*.trs' | sort); do
    printf '%s %s\n' "${f%.trs}" "$(sed -n 's/^:test-result: //p' "$f")"
  done
}
same=0
for i in $(seq 1 "$n"); do
  start=$(date +%s)
  make -s -j"$jobs" check > /dev/null 2>&1
  status=$?
  results > "$this"
  summary=$(awk '{print $2}' "$this" | sort | uniq -c | tr -s ' \n' ' ')
  if [ "$i" -eq 1 ]; then
    cp "$this" "$first"
    same=1
    echo "run $i: status $status, $summary($(( $(date +%s) - start )) s)"
  elif diff -q "$first" "$this" > /dev/null; then
    same=$((same + 1))
    echo "run $i: status $status, $summary identical to run 1 ($(( $(date +%s) - start )) s)"
  else
    echo "run $i: status $status, $summary DIFFERS from run 1:"
    diff "$first" "$this" | sed 's/^/    /'
  fi
done
echo "check-repeat: $same of $n runs identical"
[ "$same" -eq "$n" ]
