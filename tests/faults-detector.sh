#!/bin/sh
# A detector that fails: Valgrind (through THREADLAB_VALGRIND, a stand-in
# script) and a TSan build (the fixture tree's broken_tsan) that crash, hang,
# print garbage or stop half-way through their report.  The runner must name
# the tool and how it failed, and never call the run clean.
set -u
. "${THREADLAB_SRCDIR:?run me from make check}/tests/faults-lib.sh"

make_lab quiet
ln -s "$FAULT_LAB" "$tmp/build/labs/faults/quiet/broken"
mkfifo "$tmp/never"

# The Valgrind stand-in: MODE picks the failure; fd 3 is where the runner
# asked for the document (--xml-fd=3).
cat > "$tmp/valgrind" <<END
#!/bin/sh
case \$FAKE_MODE in
clean) cat "$FIXTURES/valgrind/helgrind-clean.xml" >&3 ;;
crash) echo "half a report" >&3; kill -SEGV \$\$ ;;
hang) echo "\$\$" > "$tmp/hung.pid"; read -r _ < "$tmp/never" ;;
garbage) od -c "$FAULT_LAB" | head -n 40 >&3 ;;
truncated) cat "$FIXTURES/valgrind/truncated-no-footer.xml" >&3 ;;
refuses) echo "valgrind: failed to start tool 'helgrind' for platform 'amd64-linux'" >&2; exit 1 ;;
esac
END
chmod +x "$tmp/valgrind"
export THREADLAB_VALGRIND="$tmp/valgrind"

# judged TOOL MODE LINE WHAT...: `check faults/quiet --tool TOOL` with the
# stand-in in MODE exits 1 with its line starting LINE (ERROR: the report
# cannot be judged; FAIL: a finding), and its output names each WHAT.
judged() {
  tool=$1 mode=$2 want=$3; shift 3
  FAKE_MODE=$mode tl check faults/quiet --tool "$tool"
  got=$?
  if [ "$got" -ne 1 ] || ! grep -q "^$want  *faults/quiet .* $tool " "$out"; then
    bad "$tool $mode: exit $got (want 1) or no $want line"; return
  fi
  for w in "$@"; do
    has "$out" "$w" || { bad "$tool $mode: the output lacks '$w'"; return; }
  done
  ok "$tool $mode: $want, exit 1, '$*'"
}

# The stand-in itself works: a whole clean document passes.
FAKE_MODE=clean tl check faults/quiet --tool helgrind
if [ $? -eq 0 ] && grep -q '^PASS' "$out"; then ok "helgrind clean document: PASS"
else bad "helgrind clean document: not PASS"; fi

judged helgrind crash ERROR "Helgrind: $tmp/valgrind died of signal 11" "cannot be read"
judged helgrind garbage ERROR "Helgrind: $tmp/valgrind exited with status 0" "cannot be read"
judged helgrind truncated ERROR "Helgrind: $tmp/valgrind exited with status 0" "cannot be read"
FAKE_MODE=crash tl run faults/quiet --tool helgrind
got=$?
if [ "$got" -eq 99 ] && [ "$(wc -l < "$err")" -eq 1 ] &&
  has "$err" "threadlab: Helgrind: $tmp/valgrind died of signal 11" && ! has "$out" "verdict"; then
  ok "run under a crashing Valgrind: one line on stderr, no verdict, exit 99"
else bad "run under a crashing Valgrind: exit $got"; fi
judged helgrind refuses ERROR "exited with status 1 and wrote no report: valgrind: failed to start"

# gone_if_started WHAT: the hanging program wrote its pid (unless it was
# killed before it could, on a loaded machine), and that process is gone.
gone_if_started() {
  if [ ! -s "$tmp/hung.pid" ]; then ok "$1 hang: killed before it started hanging"
  elif gone "$(cat "$tmp/hung.pid")"; then ok "$1 hang: it is gone"
  else bad "$1 hang: pid $(cat "$tmp/hung.pid") lives"; fi
  rm -f "$tmp/hung.pid"
}
# A hang is ended at the time limit with its group, judged timeout.
FAKE_MODE=hang THREADLAB_TIME_LIMIT=2 tl check faults/quiet --tool helgrind
got=$?
if [ "$got" -eq 1 ] && grep -q '^FAIL.*helgrind' "$out" && has "$out" "got:      timeout"; then
  ok "helgrind hang: FAIL, got timeout (exit 1)"
else bad "helgrind hang: exit $got"; fi
gone_if_started helgrind

# The TSan build is its own detector: broken_tsan stands in for it.
tsan() { program quiet broken_tsan "$1"; }
tsan 'exit 0'
tl check faults/quiet --tool tsan
if [ $? -eq 0 ] && grep -q '^PASS' "$out"; then ok "tsan silent, exit 0: PASS"
else bad "tsan silent, exit 0: not PASS"; fi

tsan 'echo "ThreadSanitizer:DEADLYSIGNAL" >&2; kill -SEGV $$'
judged tsan crash FAIL "got:      crash" "signal 11"
tsan 'od -c "'"$FAULT_LAB"'" | head -n 40 >&2; exit 66'
judged tsan garbage ERROR "TSan: the program exited with 66, TSan's code for a report, but no report"
tsan 'printf "==================\nWARNING: ThreadSanitizer: data race (pid=1)\n  Write of size 4 at 0x1 by thread T1:\n" >&2; exit 66'
judged tsan truncated ERROR "TSan: the program exited with status 66, and its report cannot be read"
tsan 'echo "$$" > "'"$tmp/hung.pid"'"; read -r _ < "'"$tmp/never"'"'
THREADLAB_TIME_LIMIT=2 tl check faults/quiet --tool tsan
got=$?
if [ "$got" -eq 1 ] && has "$out" "got:      timeout"; then ok "tsan hang: FAIL, got timeout (exit 1)"
else bad "tsan hang: exit $got"; fi
gone_if_started tsan

# A launcher that is not there: the tool's tests skip, saying why.
THREADLAB_VALGRIND=$tmp/none tl check faults/quiet --tool helgrind
if [ $? -eq 77 ] && has "$out" "THREADLAB_VALGRIND=$tmp/none is not an executable"; then
  ok "THREADLAB_VALGRIND not executable: SKIP (77), said why"
else bad "THREADLAB_VALGRIND not executable"; fi
finish
