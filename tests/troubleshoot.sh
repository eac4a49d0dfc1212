#!/bin/sh
# threadlab help troubleshoot: docs/TROUBLESHOOTING.md is its text (make
# troubleshoot writes it); the symptoms asked for are there, each cause names
# a lab and a command; every lab it names is a lab of this tree (a category
# this tree does not have yet is listed, as docs-labs.sh passes over it); and
# every command is one threadlab, threadstat or make really has.
set -u
: "${THREADLAB:?run me from make check}" "${THREADLAB_SRCDIR:?run me from make check}"
: "${THREADLAB_BUILDDIR:?run me from make check}"
fails=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/troubleshoot.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok:   $*"; }

"$THREADLAB" help troubleshoot > "$tmp/guide" || fail "help troubleshoot exits $?"
if diff -u "$THREADLAB_SRCDIR/docs/TROUBLESHOOTING.md" "$tmp/guide" > "$tmp/diff"; then
  ok "docs/TROUBLESHOOTING.md is threadlab help troubleshoot"
else
  fail "docs/TROUBLESHOOTING.md differs from threadlab help troubleshoot (make troubleshoot):"
  head -n 20 "$tmp/diff" | sed 's/^/    /'
fi

# The symptoms of the brief and the rows of the seeds' troubleshooting table.
for s in "The total comes out short" "Right alone, wrong under load" "Hangs at 0% CPU" \
  "Hangs at 100% CPU" "Thread count keeps growing" "Memory grows with every request" \
  "Slower on 2 cores than on 1" "One thread never gets the lock" "Crashes only sometimes" \
  "Works under a debugger, fails without one" "deadlock" "race condition" "slow threading" \
  "Many small tasks are slow" "Hanging program" "memory explosion"; do
  grep -q "^## .*$s" "$tmp/guide" && ok "symptom: $s" || fail "no symptom heading '$s'"
done

# Each cause: a line, then its lab, then its command.
causes=$(grep -c '^- ' "$tmp/guide") labs=$(grep -c '^  - lab: `' "$tmp/guide")
finds=$(grep -c '^  - find: `' "$tmp/guide")
[ "$causes" -ge 20 ] && [ "$causes" -eq "$labs" ] && [ "$labs" -eq "$finds" ] &&
  ok "$causes causes, each with its lab and command" ||
  fail "$causes causes, $labs labs, $finds commands"

"$THREADLAB" list --names > "$tmp/names" || fail "list --names exits $?"
cats=$(sed 's#/.*##' "$tmp/names" | sort -u)
for id in $(sed -n 's/^  - lab: `\(.*\)`$/\1/p' "$tmp/guide" | sort -u); do
  if grep -qxF "$id" "$tmp/names"; then ok "lab $id"
  elif printf '%s\n' "$cats" | grep -qxF "${id%%/*}"; then fail "$id is not a lab"
  else echo "note: $id: category ${id%%/*} is not in this tree (yet)"; fi
done

"$THREADLAB" list --commands > "$tmp/commands"
sed -n 's/^  - find: `\([^`]*\)`.*/\1/p' "$tmp/guide" | sort -u > "$tmp/finds"
while read -r prog cmd rest; do
  case $prog in
  threadlab)
    grep -qxF "$cmd" "$tmp/commands" && ok "threadlab $cmd" || fail "threadlab has no command $cmd" ;;
  threadstat)
    "$THREADLAB_BUILDDIR/diagnostics/threadstat" --help > "$tmp/ts" 2>&1
    case $cmd in
    --*) grep -q -- "$cmd" "$tmp/ts" && ok "threadstat $cmd" || fail "threadstat has no $cmd" ;;
    *) ok "threadstat $cmd" ;;
    esac ;;
  make)
    grep -q "^$cmd:" "$THREADLAB_SRCDIR/Makefile.am" && ok "make $cmd" || fail "no make target $cmd" ;;
  *) fail "a command of no known program: $prog $cmd $rest" ;;
  esac
done < "$tmp/finds"

echo "troubleshoot: $fails failed"
[ "$fails" -eq 0 ]
