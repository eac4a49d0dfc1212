#!/bin/sh
# docs/CHOOSING.md backs its figures with benchmarks, written `make bench-NAME`
# for the whole target or `make bench-NAME`: `SECTION` for one section's
# figure.  Every target it names must be a rule in Makefile.am, and every
# section one that the target's benchmark really runs, so that renaming
# either cannot leave the guide citing nothing:
#   - a word (`create`, `handoff`) is an entry of the sections table in the
#     source of a benchmark program the rule builds (bench/NAME.c);
#   - a number (`1000`) is a connection count that program runs by default
#     (its `counts[] = {...}` initializer);
#   - a lab id (`perf/giant-lock`) is a lab of a category the rule's recipe
#     hands to `threadlab bench`, with a `bench:` line in its header.
# The lab ids the guide names elsewhere are checked by tests/docs-labs.sh,
# which reads every docs/*.md.
set -u
: "${THREADLAB_SRCDIR:?run me from make check}"
cd "$THREADLAB_SRCDIR" || exit 99
guide=docs/CHOOSING.md
fails=0 targets=0 sections=0
fail() {
  echo "FAIL: $guide: $*"
  fails=$((fails + 1))
}
[ -f "$guide" ] || { echo "FAIL: no $guide"; exit 1; }

# Makefile.am with its continuation lines joined, so that a rule's
# prerequisites are on its own line.
mk=$(sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' Makefile.am)

# The rule for target $1: its line, then its recipe lines (tab-indented).
rule() {
  printf '%s\n' "$mk" | awk -v t="$1:" '
    index($0, t) == 1 { on = 1; print; next }
    on && /^\t/ { print; next }
    { on = 0 }'
}

# The recipe of a rule with every $(VAR) replaced by VAR's value in Makefile.am.
expand() {
  text=$1
  for var in $(printf '%s\n' "$text" | grep -oE '\$\([A-Z_]+\)' | tr -d '$()' | sort -u); do
    value=$(printf '%s\n' "$mk" | sed -n "s/^$var = //p" | head -n 1)
    text=$(printf '%s\n' "$text" | sed "s|\$($var)|$value|g")
  done
  printf '%s\n' "$text"
}

# The sources of the benchmark programs a rule builds: bench/NAME.c for each
# prerequisite bench/NAME.
sources() {
  for p in $(printf '%s\n' "$1" | head -n 1 | cut -d: -f2-); do
    case $p in bench/*) [ -f "$p.c" ] && echo "$p.c" ;; esac
  done
}

check_section() { # target, its rule, section
  target=$1 text=$2 section=$3
  case $section in
    */*)
      recipe=$(expand "$(printf '%s\n' "$text" | tail -n +2)")
      cats=$(printf '%s\n' "$recipe" | sed -n 's/.*threadlab bench //p')
      cat=${section%%/*}
      case " $cats " in
        *" $cat "* | *" $section "*) ;;
        *) fail "$target: $section is not in what its recipe benches (threadlab bench $cats)"; return ;;
      esac
      grep -qE '^ \* bench: ' "labs/$section/broken.c" "labs/$section/fixed.c" 2>/dev/null ||
        fail "$target: $section has no bench: line in labs/$section/{broken,fixed}.c"
      ;;
    *[!0-9]*)
      found=
      for src in $(sources "$text"); do
        grep -qF "{\"$section\"," "$src" && found=$src
      done
      [ -n "$found" ] || fail "$target: no section \"$section\" in the sections table of $(sources "$text" | xargs)"
      ;;
    *)
      found=
      for src in $(sources "$text"); do
        grep -E 'counts\[[0-9]*\] = \{' "$src" | tr -c '0-9\n' ' ' | tr -s ' ' '\n' |
          grep -qx "$section" && found=$src
      done
      [ -n "$found" ] || fail "$target: $section connections is not a count $(sources "$text" | xargs) runs by default"
      ;;
  esac
}

# A citation cut by a line break would escape the checks below.
split=$(grep -nE '`make$|`make bench-[a-z]+`:$' "$guide")
if [ -n "$split" ]; then
  printf '%s\n' "$split" | sed "s|^|FAIL: $guide: a citation split over two lines, line |"
  fails=$((fails + 1))
fi
for target in $(grep -oE '`make bench-[a-z]+`' "$guide" | tr -d '`' | sed 's/^make //' | sort -u); do
  targets=$((targets + 1))
  [ -n "$(rule "$target")" ] || fail "cites make $target, which Makefile.am has no rule for"
done
cites=$(grep -oE '`make bench-[a-z]+`: `[^`]+`' "$guide" | sed -E 's/`make (bench-[a-z]+)`: `([^`]+)`/\1 \2/' | sort -u)
while read -r target section; do
  [ -n "$target" ] || continue
  sections=$((sections + 1))
  text=$(rule "$target")
  [ -n "$text" ] || continue # reported above
  check_section "$target" "$text" "$section"
done <<EOF
$cites
EOF

echo "choosing: $targets bench targets and $sections sections cited, $fails wrong"
if [ "$targets" -eq 0 ] || [ "$sections" -eq 0 ]; then
  echo "FAIL: $guide cites no benchmark section (or the citation form changed)"
  exit 1
fi
[ "$fails" -eq 0 ]
