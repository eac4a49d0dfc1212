#!/bin/sh
# The course (docs/PATH.md), the Python map (docs/PYTHON.md), the other
# pages and every lab's README name labs by id: race/counter, or
# labs/race/counter/... .  Each one named must exist in the labs/ tree (a
# directory with a broken.c, demo.c or probe.c), so that a renamed or moved
# lab cannot leave a page pointing at nothing.
set -u
: "${THREADLAB_SRCDIR:?run me from make check}"
cd "$THREADLAB_SRCDIR" || exit 99
cats=$(ls labs)
fails=0 named=0
for md in README.md docs/*.md labs/*/*/README.md; do
  [ -f "$md" ] || continue
  # CATEGORY/NAME not inside a longer path word, with or without labs/ in front.
  for id in $(grep -oE '(^|[^A-Za-z0-9_./-])(labs/)?[a-z]+/[a-z0-9][a-z0-9-]*' "$md" |
              sed -E 's/^[^a-z]*//; s#^labs/##' | sort -u); do
    case $id in */*) ;; *) continue ;; esac # "labs/race" alone names no lab
    cat=${id%%/*}
    case " $(echo $cats) " in *" $cat "*) ;; *) continue ;; esac
    named=$((named + 1))
    if [ ! -f labs/"$id"/broken.c ] && [ ! -f labs/"$id"/demo.c ] && [ ! -f labs/"$id"/probe.c ]; then
      echo "FAIL: $md names $id, which is not a lab (no labs/$id/broken.c, demo.c or probe.c)"
      fails=$((fails + 1))
    fi
  done
done
echo "docs-labs: $named lab names checked, $fails unknown"
[ "$fails" -eq 0 ]
