#!/bin/sh
# libthreadlab's own synchronisation (tl_event, tl_bsem, tl_stage, tl_queue)
# must give Helgrind nothing to say: its unit tests run under it here (their
# TSan builds, *_tsan, run as tests of their own).
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}"
if [ -z "${VALGRIND:-}" ]; then echo "SKIP: Valgrind not installed"; exit 77; fi
if [ -n "${HARNESS_SAN:-}" ]; then echo "SKIP: the unit tests are built with ASan (--enable-asan)"; exit 77; fi
status=0
for t in test_sync test_queue; do
  if CK_FORK=no "$VALGRIND" --tool=helgrind -q --error-exitcode=9 \
       "$THREADLAB_BUILDDIR/tests/unit/$t"; then
    echo "ok: $t is clean under Helgrind"
  else
    echo "FAIL: $t under Helgrind (exit $?)"; status=1
  fi
done
exit $status
