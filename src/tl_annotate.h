/* tl_annotate — Helgrind/DRD happens-before annotations for labs.
 *
 * Helgrind and DRD do not see the ordering C11 atomics give (TSan does): a
 * lab whose correct program relies on atomics states that ordering itself
 * with Valgrind's client requests (DRD honours Helgrind's).  Outside
 * Valgrind they are a few no-op instructions; where Valgrind's headers are
 * missing they compile to nothing. */
#ifndef TL_ANNOTATE_H
#define TL_ANNOTATE_H

#if defined(__has_include)
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#endif
#endif
#ifndef ANNOTATE_HAPPENS_BEFORE
#define ANNOTATE_HAPPENS_BEFORE(obj) ((void)(obj))
#define ANNOTATE_HAPPENS_AFTER(obj)  ((void)(obj))
#endif
#ifndef ANNOTATE_BENIGN_RACE_SIZED
#define ANNOTATE_BENIGN_RACE_SIZED(addr, size, why) ((void)(addr), (void)(size), (void)(why))
#endif

#endif
