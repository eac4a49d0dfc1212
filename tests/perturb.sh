#!/bin/sh
# Schedule perturbation (src/perturb, HACKING.md "Schedule perturbation")
# shows the race probes/hb-hidden-perturb hides, and a seed that shows it
# shows it again.
#
# Under TSan the probe's threads are numbered: main 0, TSan's own thread 1
# (its first pthread_create starts it), the writer 2, the reader 3.  The
# race shows exactly when the writer is delayed at its lock (thread 2, call
# 1) and the reader is not held back (main's creation of it, thread 0 call
# 2; its start, 3.0; its lock, 3.1): the reader's wait (50 ms x 4) runs out
# and it takes the mutex first.  So each seed's delays, which the shim
# prints, say whether it must show the race; this checks that every one of
# K seeds does what its delays say, then runs each seed that showed it, and
# one that did not, again.  A delay is 500 ms, ten times the probe's wait
# at slowdown 1 and 2.5 times it at 4: far from a tie.
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}"
B=$THREADLAB_BUILDDIR
SHIM=$B/src/perturb/libtlperturb.so
PROBE=$B/labs/probes/hb-hidden-perturb/probe
K=${PERTURB_K:-16}
DENSITY=200
DELAY_US=500000
if [ ! -x "${PROBE}_tsan" ]; then
  echo "SKIP: no ThreadSanitizer build of the probe"
  exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fails=0

fail() {
  echo "FAIL: $1"
  sed 's/^/    | /' "$out" | tail -n 20
  fails=$((fails + 1))
}

# perturbed SEED [PROGRAM]: one run under the shim; sets race and predicted
perturbed() {
  THREADLAB_SLOWDOWN=4 \
    TSAN_OPTIONS='halt_on_error=0 atexit_sleep_ms=0 exitcode=66 history_size=7' \
    THREADLAB_PERTURB_SEED=$1 THREADLAB_PERTURB_DENSITY=$DENSITY \
    THREADLAB_PERTURB_DELAY_US=$DELAY_US THREADLAB_PERTURB_LOG=1 LD_PRELOAD=$SHIM \
    "${2:-${PROBE}_tsan}" > "$out" 2>&1
  race=0 predicted=0
  grep -q 'WARNING: ThreadSanitizer: data race' "$out" && race=1
  if grep -q ' thread 2 call 1 pthread_mutex_lock: delay' "$out" &&
    ! grep -qE ' thread (0 call 2|3 call [01]) ' "$out"; then
    predicted=1
  fi
}

# Without a seed the shim delays nothing and the probe stays clean.
THREADLAB_SLOWDOWN=4 TSAN_OPTIONS='exitcode=66' THREADLAB_PERTURB_LOG=1 LD_PRELOAD=$SHIM \
  "${PROBE}_tsan" > "$out" 2>&1
rc=$?
if [ $rc -ne 0 ] || grep -q 'perturb:\|WARNING' "$out"; then
  fail "no seed: expected a clean run with no delay, got exit $rc"
else
  echo "ok:   no seed: no delay, TSan silent"
fi

# Bad settings: one line and exit 2, before the program runs.
for bad in THREADLAB_PERTURB_DENSITY=1001 THREADLAB_PERTURB_DELAY_US=0 THREADLAB_PERTURB_SEED=x; do
  env THREADLAB_PERTURB_SEED=1 "$bad" LD_PRELOAD="$SHIM" "$PROBE" > "$out" 2>&1
  rc=$?
  if [ $rc -eq 2 ] && [ "$(wc -l < "$out")" -eq 1 ] && grep -q "^threadlab perturb: ${bad%%=*}=" "$out"; then
    echo "ok:   $bad refused"
  else
    fail "$bad: expected one line and exit 2, got exit $rc"
  fi
done

hits= misses=
for seed in $(seq 1 "$K"); do
  perturbed "$seed"
  if [ $race -ne $predicted ]; then
    fail "seed $seed: race $race, its delays predicted $predicted"
  fi
  if [ $race -eq 1 ]; then hits="$hits $seed"; else misses="$misses $seed"; fi
done
echo "seeds 1-$K at density $DENSITY/1000, delay $DELAY_US us: race with seeds:${hits:- none}"
[ -n "$hits" ] || fail "no seed of 1-$K showed the race"
[ -n "$misses" ] || fail "every seed of 1-$K showed the race: the probe hides nothing"

# Again: each seed that showed it shows it, and one that did not still does not.
set -- $misses
for seed in $hits $1; do
  perturbed "$seed"
  case " $hits " in *" $seed "*) want=1 ;; *) want=0 ;; esac
  if [ $race -ne $want ]; then
    fail "seed $seed again: race $race, first run $want"
  else
    echo "ok:   seed $seed again: race $race as before"
  fi
done

# The plain build runs under the same shim (no TSan: nothing to report).
set -- $hits
perturbed "$1" "$PROBE"
grep -q 'the reader saw' "$out" || fail "plain build under the shim did not finish"

[ $fails -eq 0 ] || exit 1
echo "perturb: all checks passed"
