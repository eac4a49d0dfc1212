#!/bin/sh
# The man pages: groff finds nothing to warn about in them, and they cannot
# drift from the programs: every command of threadlab --help has its entry in
# threadlab.1's COMMANDS and every entry there is a command; each command's
# options (its --help) are in its entry and each option there is in its
# --help; every long option of threadstat --help and threadstat doctor --help
# is in threadstat.1.
set -u
: "${THREADLAB:?run me from make check}" "${THREADLAB_BUILDDIR:?run me from make check}"
: "${THREADLAB_SRCDIR:?run me from make check}"
TS=$THREADLAB_BUILDDIR/diagnostics/threadstat
DOC=$THREADLAB_SRCDIR/doc
if ! command -v groff >/dev/null 2>&1; then
  echo "SKIP: groff is not installed (apt-get install groff-base)"
  exit 77
fi
fails=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/man.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok:   $*"; }

for page in threadlab.1 threadstat.1; do
  groff -man -Tutf8 -ww -z "$DOC/$page" > "$tmp/groff" 2>&1
  if [ -s "$tmp/groff" ]; then fail "groff warns about $page:"; sed 's/^/    /' "$tmp/groff"
  else ok "groff -ww: $page"; fi
done

# A page's source as plain words: no \- \% \(space) or font changes.
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\%//g' -e 's/\\ / /g' "$DOC/$1"; }
# The long options on a program's option lines ("  -v, --verbose  ...").
option_lines() { sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u; }
# Every --word of its input.
long_options() { grep -o -- '--[a-z][a-z-]*' | sort -u; }
# In: a set of words ($1) and the words they must be found among ($2).
missing() { printf '%s\n' "$1" | while read -r w; do [ -z "$w" ] || printf '%s\n' "$2" | grep -qxF -- "$w" || echo "$w"; done; }

plain threadlab.1 > "$tmp/threadlab.1"
plain threadstat.1 > "$tmp/threadstat.1"

# --- threadlab: its commands
"$THREADLAB" --help > "$tmp/help" || fail "threadlab --help exits $?"
help_cmds=$(sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' "$tmp/help" | sort)
man_cmds=$(awk '/^\.SH/ { inside = ($2 == "COMMANDS") }
  inside && /^\.SS/ { sub(/^\.SS +"?/, ""); sub(/[ "].*/, ""); print }' "$tmp/threadlab.1" | sort)
[ -n "$help_cmds" ] || fail "no commands found in threadlab --help"
[ "$(echo "$help_cmds" | wc -l)" -ge 6 ] || fail "too few commands in threadlab --help: $help_cmds"
m=$(missing "$help_cmds" "$man_cmds")
[ -z "$m" ] && ok "threadlab.1 has every command of --help" || fail "threadlab.1 lacks commands:" $m
m=$(missing "$man_cmds" "$help_cmds")
[ -z "$m" ] && ok "every command in threadlab.1 is in --help" || fail "threadlab.1 has commands --help lacks:" $m
m=$(missing "$(option_lines < "$tmp/help")" "$(long_options < "$tmp/threadlab.1")")
[ -z "$m" ] && ok "threadlab.1 has threadlab's own options" || fail "threadlab.1 lacks:" $m

# --- threadlab: each command's options, in its own entry (its .SS up to the
# next .SS or .SH), and each option of the entry's list (.TP tags) in --help.
for cmd in $help_cmds; do
  if ! "$THREADLAB" "$cmd" --help > "$tmp/cmdhelp"; then fail "threadlab $cmd --help exits non-zero"; continue; fi
  awk -v c="$cmd" '/^\.S[HS]/ { inside = 0 }
    /^\.SS/ { w = $0; sub(/^\.SS +"?/, "", w); sub(/[ "].*/, "", w); inside = (w == c) }
    inside' "$tmp/threadlab.1" > "$tmp/entry"
  awk 'tag { print; tag = 0 } /^\.TP/ { tag = 1 }' "$tmp/entry" > "$tmp/tags"
  help_opts=$(option_lines < "$tmp/cmdhelp" | grep -vx -- --help)
  m=$(missing "$help_opts" "$(long_options < "$tmp/entry")")
  [ -z "$m" ] && ok "threadlab.1 '$cmd' has its options:" $help_opts || fail "threadlab.1 '$cmd' lacks:" $m
  m=$(missing "$(long_options < "$tmp/tags")" "$help_opts")
  [ -z "$m" ] && ok "threadlab $cmd --help has the options of its man entry" ||
    fail "threadlab.1 '$cmd' lists options its --help lacks:" $m
done

# --- threadstat
if "$TS" --help > "$tmp/tshelp" && "$TS" doctor --help >> "$tmp/tshelp"; then
  ts_opts=$(long_options < "$tmp/tshelp")
  [ "$(echo "$ts_opts" | wc -l)" -ge 8 ] || fail "too few options in threadstat --help: $ts_opts"
  m=$(missing "$ts_opts" "$(long_options < "$tmp/threadstat.1")")
  [ -z "$m" ] && ok "threadstat.1 has every option of its --help:" $ts_opts || fail "threadstat.1 lacks:" $m
else
  fail "threadstat --help or threadstat doctor --help exits non-zero"
fi
grep -q '^\.SS doctor' "$tmp/threadstat.1" && ok "threadstat.1 has doctor" || fail "threadstat.1 lacks .SS doctor"

[ "$fails" -eq 0 ] && echo "man: all passed" || echo "man: $fails failed"
[ "$fails" -eq 0 ]
