#!/bin/sh
# libthreadlab's own synchronisation (tl_event, tl_bsem, tl_stage, tl_queue,
# tl_pool, tl_ppool) must give Helgrind nothing to say: its unit tests run under it
# here (their TSan builds, *_tsan, run as tests of their own).  tl_pool's
# tests run under DRD too: its futures are handed between threads in more
# ways than the others, and DRD judges some of them differently (a mutex
# destroyed before its first lock, for one).  test_pool runs fewer rounds
# under Valgrind (RUNNING_ON_VALGRIND), about 10 s for both tools.
set -u
: "${THREADLAB_BUILDDIR:?run me from make check}"
if [ -z "${VALGRIND:-}" ]; then echo "SKIP: Valgrind not installed"; exit 77; fi
if [ -n "${HARNESS_SAN:-}" ]; then echo "SKIP: the unit tests are built with ASan (--enable-asan)"; exit 77; fi
status=0
for run in helgrind:test_sync helgrind:test_queue helgrind:test_pool drd:test_pool \
    helgrind:test_ppool drd:test_ppool; do
  tool=${run%%:*} t=${run#*:}
  if CK_FORK=no "$VALGRIND" --tool="$tool" -q --error-exitcode=9 \
       "$THREADLAB_BUILDDIR/tests/unit/$t"; then
    echo "ok: $t is clean under $tool"
  else
    echo "FAIL: $t under $tool (exit $?)"; status=1
  fi
done
exit $status
