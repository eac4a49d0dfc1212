#!/bin/sh
# A lesson that says "the report points at broken.c:44" must stay true when
# the code moves.  Every `broken.c:N`, `fixed.c:N`, `demo.c:N` or
# `probe.c:N` that a README or a page under docs/ cites must be a line that
# carries an @anchor (the lines the detectors' reports are checked against),
# and every `@name` a lab's README cites must be an anchor of that lab.  A
# bare `:N` after a citation is refused: write the file name each time.
set -u
: "${THREADLAB_SRCDIR:?run me from make check}"
cd "$THREADLAB_SRCDIR" || exit 99
fails=0 cited=0

fail() {
  echo "FAIL: $1: $2"
  fails=$((fails + 1))
}

for md in README.md docs/*.md labs/*/*/README.md; do
  [ -f "$md" ] || continue
  dir=$(dirname "$md")
  # FILE.c:N, with or without a labs/CAT/NAME/ in front.
  for c in $(grep -oE '(labs/[a-z0-9-]+/[a-z0-9-]+/)?(broken|fixed|demo|probe)\.c:[0-9]+' "$md" | sort -u); do
    cited=$((cited + 1))
    file=${c%:*} line=${c##*:}
    case $file in
      labs/*) src=$file ;;
      *) src=$dir/$file ;;
    esac
    if [ ! -f "$src" ]; then
      fail "$md" "cites $c, but there is no $src"
    elif [ "$line" -eq 0 ] || ! sed -n "${line}p" "$src" | grep -qE '/\*.*@[A-Za-z0-9_-]'; then
      fail "$md" "cites $c, but line $line of $src carries no @anchor: $(sed -n "${line}p" "$src" | sed 's/^[[:space:]]*//')"
    fi
  done
  if grep -nE '`:[0-9]+`' "$md" > /dev/null; then
    fail "$md" "a bare line number $(grep -oE '`:[0-9]+`' "$md" | head -n 1): name the file (broken.c:N)"
  fi
  # `@name` in a lab's README: an anchor of one of its programs.
  case $dir in
    labs/*/*)
      for a in $(grep -oE '`@[A-Za-z0-9_-]+`' "$md" | tr -d '`' | sort -u); do
        cited=$((cited + 1))
        if ! grep -qE "/\*.*$a([^A-Za-z0-9_-]|$)" "$dir"/*.c; then
          fail "$md" "cites $a, which no program in $dir marks"
        fi
      done
      ;;
  esac
done
echo "readme-lines: $cited citations, $fails wrong"
[ "$fails" -eq 0 ]
