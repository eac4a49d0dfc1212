#!/bin/sh
# threadlab matrix: bad input gets one line and exit 2; the JSON it prints
# is valid against docs/matrix.schema.json (Python's jsonschema, which must
# also reject a document missing a required part); the CSV has one row per
# expectation; a log of make check newer than the program is reused and an
# older one is not; and docs/MATRIX.md's part that follows from the headers
# is what the headers say now (make matrix rewrites the whole page).
set -u
: "${THREADLAB:?run me from make check}" "${THREADLAB_SRCDIR:?run me from make check}"
: "${THREADLAB_BUILDDIR:?run me from make check}"
fails=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/matrix.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok:   $*"; }

# usage STATUS DESCRIPTION ARGS...: exit 2 and exactly one line on stderr
usage() {
  what=$1; shift
  "$THREADLAB" matrix "$@" > "$tmp/out" 2> "$tmp/err"
  st=$? lines=$(wc -l < "$tmp/err")
  if [ "$st" -eq 2 ] && [ "$lines" -eq 1 ]; then ok "$what (exit 2: $(cat "$tmp/err"))"
  else fail "$what: exit $st, $lines stderr lines"; sed 's/^/    /' "$tmp/err"; fi
}
usage "unknown format" --format xml
usage "unknown tool" --tools tsan,nosuch
usage "no tool" --tools ,
usage "--jobs 0" --jobs 0
usage "--jobs not a number" --jobs many
usage "unknown lab" nosuch-lab
usage "--rerun with --expected" --rerun --expected

# validate FILE WHAT [fail]: FILE against the schema (or, with "fail", it must not validate)
validate() {
  if [ -z "${PYTHON3:-}" ]; then
    echo "SKIP: $2: no python3 with jsonschema (apt-get install python3-jsonschema)"
    return
  fi
  "$PYTHON3" - "$THREADLAB_SRCDIR/docs/matrix.schema.json" "$1" > "$tmp/validate" 2>&1 <<'EOF'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
EOF
  st=$?
  if [ "${3:-}" = fail ]; then
    [ "$st" -ne 0 ] && ok "$2: rejected by the schema" || fail "$2: the schema accepted it"
  elif [ "$st" -eq 0 ]; then ok "$2: valid against docs/matrix.schema.json"
  else fail "$2: not valid:"; tail -n 5 "$tmp/validate" | sed 's/^/    /'; fi
}

# --- the headers alone
"$THREADLAB" matrix --expected --format json > "$tmp/expected.json" 2> "$tmp/err" ||
  fail "matrix --expected --format json exits $?"
validate "$tmp/expected.json" "matrix --expected --format json"
sed '/"programs":/,$d' "$tmp/expected.json" > "$tmp/cut.json"
echo '"x":1}' >> "$tmp/cut.json"
validate "$tmp/cut.json" "a document without its programs" fail

"$THREADLAB" check --list-tests > "$tmp/tests" || fail "check --list-tests exits $?"
"$THREADLAB" matrix --expected --format csv > "$tmp/expected.csv" || fail "matrix --format csv exits $?"
rows=$(($(wc -l < "$tmp/expected.csv") - 1)) want=$(wc -l < "$tmp/tests")
[ "$rows" -eq "$want" ] && ok "CSV: one row per expectation ($rows)" ||
  fail "CSV: $rows rows, check --list-tests names $want"

# docs/MATRIX.md: from "## Expected" to "## Measured", as the headers say now.
"$THREADLAB" matrix --expected > "$tmp/expected.md" || fail "matrix --expected exits $?"
sed -n '/^## Expected/,/^## Measured/p' "$THREADLAB_SRCDIR/docs/MATRIX.md" | sed '$d' > "$tmp/doc.md"
if [ ! -s "$tmp/expected.md" ]; then fail "matrix --expected printed nothing"
elif diff -u "$tmp/doc.md" "$tmp/expected.md" > "$tmp/diff"; then
  ok "docs/MATRIX.md's expected part matches the lab headers"
else
  fail "docs/MATRIX.md's expected part differs from the headers (make matrix):"
  head -n 20 "$tmp/diff" | sed 's/^/    /'
fi
for w in "| any detector |" "## Measured" "| tool | programs | TP | FN | FP | TN |"; do
  grep -qF -- "$w" "$THREADLAB_SRCDIR/docs/MATRIX.md" && ok "docs/MATRIX.md has '$w'" ||
    fail "docs/MATRIX.md lacks '$w'"
done

# --- measured: race/counter's programs natively and under TSan, in a build
# tree of links where broken's TSan log is fresh and fixed's is stale.
b=$tmp/build
mkdir -p "$b/labs/race/counter"
for p in broken broken_tsan fixed fixed_tsan; do
  ln -s "$THREADLAB_BUILDDIR/labs/race/counter/$p" "$b/labs/race/counter/$p"
done
echo '   measured: got=data-race anchors=1/1 wall_ms=1.5' > "$b/labs/race/counter/broken.tsan.log"
echo '   measured: got=clean anchors=0/0 wall_ms=1.5' > "$b/labs/race/counter/fixed.tsan.log"
touch -d '2000-01-01' "$b/labs/race/counter/fixed.tsan.log"
THREADLAB_BUILDDIR=$b "$THREADLAB" matrix race/counter --tools run,tsan --jobs 2 --format json \
  > "$tmp/measured.json" 2> "$tmp/err"
st=$?
[ "$st" -eq 0 ] && ok "matrix race/counter --tools run,tsan --jobs 2" ||
  { fail "matrix race/counter exits $st"; sed 's/^/    /' "$tmp/err"; }
grep -q '^matrix: 1 verdicts taken from make check.s logs (newer than the programs), 3 run now' \
  "$tmp/err" && ok "it says which verdicts it reused and which it ran" ||
  { fail "not 1 reused and 3 run:"; sed 's/^/    /' "$tmp/err"; }
[ "$(grep -c '^matrix: race/counter' "$tmp/err")" -eq 2 ] &&
  ok "one progress line per program when piped" || fail "not one line per program"
validate "$tmp/measured.json" "matrix race/counter --format json (measured)"
if [ -n "${PYTHON3:-}" ]; then
  "$PYTHON3" - "$tmp/measured.json" > "$tmp/facts" 2>&1 <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
cells = {(p["variant"], c["tool"]): c for p in m["programs"] for c in p["tools"]}
assert cells[("broken", "tsan")]["from"] == "log" and cells[("broken", "tsan")]["wall_s"] == 0.0015
assert cells[("fixed", "tsan")]["from"] == "run", "a log older than the program was reused"
assert cells[("broken", "run")]["measured"] == "wrong-result"
assert cells[("broken", "tsan")]["measured_class"] == "TP"
assert cells[("fixed", "tsan")]["measured_class"] == "TN"
tsan = [t for t in m["tools"] if t["tool"] == "tsan"][0]["measured"]
assert (tsan["TP"], tsan["FN"], tsan["FP"], tsan["TN"]) == (1, 0, 0, 1), tsan
assert tsan["precision"] == 1 and tsan["recall"] == 1 and tsan["hit_at_line"] == 1
assert tsan["slowdown"] > 0
EOF
  [ $? -eq 0 ] && ok "measured cells: the fresh log reused, the stale one run; TP and TN counted" ||
    { fail "measured cells:"; sed 's/^/    /' "$tmp/facts"; }
fi

echo "matrix: $fails failed"
[ "$fails" -eq 0 ]
