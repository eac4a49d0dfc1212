#!/bin/sh
# threadlab try on the labs' own broken.c and fixed.c, given as if they were
# a learner's files: each tool's row must agree with the header's expect line
# (try --check-header compares them as `threadlab check` does: the verdicts
# and the anchors), and the one verdict must be the header's class (the
# header weighed as try weighs tools: clean for every fixed program).
#
# make check runs one lab per category (TRY_LABS unset), both variants;
# `make check-try` runs every lab (TRY_LABS=all), which takes too long for
# make check.  Either way the score is printed: classes named, at the line,
# clean programs flagged.
#
# Schedule perturbation runs on every program TSan and the native run find
# clean (every fixed one): up to 16 more TSan runs, 10-20 s a program.  The
# subset keeps it for race/counter only (its fixed program must stay clean
# under the delays too) and passes --perturb 0 elsewhere; TRY_LABS=all
# keeps it everywhere.
#
# usecase/fetcher links libcurl and libmicrohttpd: the test passes their
# pkg-config flags with --cflags/--ldflags (a learner would do the same).
set -u
: "${THREADLAB:?run me from make check}" "${THREADLAB_SRCDIR:?run me from make check}"
cd "$THREADLAB_SRCDIR" || exit 99
out=$(mktemp -d "${TMPDIR:-/tmp}/try-labs.XXXXXX") || exit 99
trap 'rm -rf "$out"' EXIT

if [ "${TRY_LABS:-}" = all ]; then
  labs=$(ls -d labs/*/*/ | sed 's|/$||')
else
  labs="labs/race/counter labs/deadlock/lock-order labs/leak/unjoined labs/livelock/polite-trylock
    labs/lifetime/dangling-stack labs/perf/false-sharing-atomic labs/process/robust-mutex
    labs/executor/pool-not-freed labs/eventloop/edge-triggered labs/usecase/fetcher"
fi

fails=0 broken=0 named=0 at_line=0 fixed=0 flagged=0
start=$(date +%s)
for lab in $labs; do
  [ -f "$lab/broken.c" ] && [ -f "$lab/fixed.c" ] || continue
  set --
  if [ "${TRY_LABS:-}" != all ] && [ "$lab" != labs/race/counter ]; then
    set -- --perturb 0
  fi
  case $lab in
  labs/usecase/fetcher)
    if ! pkg-config --exists libcurl libmicrohttpd; then
      echo "skip: $lab (libcurl or libmicrohttpd not installed)"; continue
    fi
    set -- "$@" --cflags "$(pkg-config --cflags libcurl libmicrohttpd)" \
      --ldflags "$(pkg-config --libs libcurl libmicrohttpd)" ;;
  esac
  for variant in broken fixed; do
    log=$out/log
    "$THREADLAB" try "$@" --check-header "$lab/$variant.c" > "$log" 2>&1
    rc=$?
    line=$(grep '^header class: ' "$log")
    verdict=$(sed -n 's/^verdict: \([a-z-]*\).*/\1/p' "$log")
    if [ "$rc" -eq 0 ]; then echo "ok:   $lab $variant: $line"
    else echo "FAIL: $lab $variant (exit $rc):"; sed 's/^/    /' "$log"; fails=$((fails + 1)); fi
    if [ "$variant" = broken ]; then
      broken=$((broken + 1))
      case $line in *"agrees)"*) named=$((named + 1)) ;; esac
      case $line in *"at the line") at_line=$((at_line + 1)) ;; esac
    else
      fixed=$((fixed + 1))
      [ "$verdict" = clean ] || flagged=$((flagged + 1))
    fi
  done
done
echo "score: broken programs: class named $named of $broken, at the line $at_line;" \
  "fixed programs flagged: $flagged of $fixed; $(($(date +%s) - start)) s"
[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
