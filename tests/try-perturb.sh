#!/bin/sh
# threadlab try's schedule perturbation and signal-handler pass
# (HACKING.md, "threadlab try"):
#  - probes/hb-hidden-perturb's source, a race hidden behind an unrelated
#    mutex hand-off (TSan is silent natively): try re-runs the TSan build
#    under the shim, seed after seed, and reports the race in TSan's row and
#    the verdict with the seed that showed it; the environment try prints to
#    replay it shows it again on the probe's own TSan build; with
#    --perturb 0 the race stays hidden and the verdict is clean;
#  - tests/fixtures/try/signal-lock.c, pthread_mutex_lock, unlock and
#    printf in a SIGUSR1 handler: each /* flagged */ line is a row of the
#    signal-handler pass, and the verdict is signal-unsafe at the first,
#    with race/signal-handler to read; the same in --format json.
# Which seed shows the race is fixed by the shim's placement (a hash of the
# seed, the thread and the call's rank), not by timing; each run is bounded
# by try's time limit.
set -u
: "${THREADLAB:?run me from make check}" "${THREADLAB_SRCDIR:?run me from make check}"
: "${THREADLAB_BUILDDIR:?run me from make check}"
PROBE=$THREADLAB_SRCDIR/labs/probes/hb-hidden-perturb/probe.c
PROBE_TSAN=$THREADLAB_BUILDDIR/labs/probes/hb-hidden-perturb/probe_tsan
SIG=$THREADLAB_SRCDIR/tests/fixtures/try/signal-lock.c
if [ ! -x "$PROBE_TSAN" ]; then
  echo "SKIP: no ThreadSanitizer build"
  exit 77
fi
base=$(mktemp -d "${TMPDIR:-/tmp}/try-perturb.XXXXXX") || exit 99
trap 'rm -rf "$base"' EXIT
out=$base/out err=$base/err
fails=0

fail() { echo "FAIL: $*"; sed 's/^/    | /' "$out" "$err" | head -n 30; fails=$((fails + 1)); }
ok() { echo "ok:   $*"; }
has() {
  if grep -qE -- "$2" "$out"; then ok "$1: has /$2/"; else fail "$1: lacks /$2/"; fi
}
lacks() {
  if grep -qE -- "$2" "$out"; then fail "$1: has /$2/"; else ok "$1: lacks /$2/"; fi
}

# The hidden race, under perturbation.
"$THREADLAB" try "$PROBE" > "$out" 2> "$err"
rc=$?
[ $rc -eq 1 ] && ok "hidden race: exit 1" || fail "hidden race: exit $rc (want 1)"
seed=$(sed -n 's/^  TSan .*\[schedule perturbation, seed \([0-9]*\)\]$/\1/p' "$out" | head -n 1)
if [ -n "$seed" ]; then ok "hidden race: TSan's row names seed $seed"
else fail "hidden race: no seed in TSan's row"; seed=0; fi
has "hidden race" "^  perturbed .*: seed $seed shows a data race$"
# At the read or the write: the two lines the probe marks.
lines=$(grep -n '/\* @\(read\|write\) \*/' "$PROBE" | cut -d: -f1 | paste -sd'|')
has "hidden race" "^verdict: data-race at probe\.c:($lines) \(confidence [a-z]+\)$"
has "hidden race" "shown under schedule perturbation with seed $seed: THREADLAB_PERTURB_SEED=$seed "
has "hidden race" "^see: threadlab show race/"

# Replay: the settings try printed, on the probe's TSan build.
replay=$(sed -n 's/^  replay: \(.*\) \.\/a\.out .*/\1/p' "$out")
case $replay in
*"THREADLAB_PERTURB_SEED=$seed "*) ok "replay: $replay" ;;
*) fail "replay line: '$replay'" ;;
esac
eval "env $replay \"\$PROBE_TSAN\"" > "$out" 2> "$err"
rc=$?
if [ $rc -eq 66 ] && grep -q 'WARNING: ThreadSanitizer: data race' "$err"; then
  ok "replay: seed $seed shows the race again (exit 66)"
else
  fail "replay: seed $seed: exit $rc, want TSan's data race (66)"
fi

# Without perturbation the race stays hidden: TSan is silent, as the probe's
# header says.
"$THREADLAB" try --perturb 0 "$PROBE" > "$out" 2> "$err"
rc=$?
[ $rc -eq 0 ] && ok "--perturb 0: exit 0" || fail "--perturb 0: exit $rc (want 0)"
has "--perturb 0" "^verdict: clean"
lacks "--perturb 0" "^  perturbed"

# The signal-handler pass.
"$THREADLAB" try --perturb 0 "$SIG" > "$out" 2> "$err"
rc=$?
[ $rc -eq 1 ] && ok "signal handler: exit 1" || fail "signal handler: exit $rc (want 1)"
marked=$(grep -n '/\* flagged' "$SIG" | cut -d: -f1 | tr '\n' ' ')
rows=$(sed -n 's/^ *signal-unsafe  signal-lock\.c:\([0-9]*\) .*/\1/p' "$out" | tr '\n' ' ')
if [ -n "$marked" ] && [ "$marked" = "$rows" ]; then ok "signal handler: rows at the marked lines $marked"
else fail "signal handler: rows at '$rows', marked '$marked'"; fi
first=${marked%% *}
has "signal handler" "^verdict: signal-unsafe at signal-lock\.c:$first "
has "signal handler" "calls pthread_mutex_lock \(a lock"
has "signal handler" "^see: threadlab show race/signal-handler$"

"$THREADLAB" try --perturb 0 --format json "$SIG" > "$out" 2> "$err"
has "signal handler, json" '"class":"signal-unsafe"'
has "signal handler, json" '"tool":"sigpass"'
has "signal handler, json" '"verdict":"signal-unsafe"'
n=$(grep -o '"detail":"the handler on_usr1 calls' "$out" | wc -l)
[ "$n" -eq 3 ] && ok "signal handler, json: 3 findings" || fail "signal handler, json: $n findings"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
