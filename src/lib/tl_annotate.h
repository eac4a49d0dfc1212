/* tl_annotate — Valgrind client requests for libthreadlab and the labs, and
 * whether this build runs under TSan.
 *
 * Helgrind and DRD do not see the ordering C11 atomics give (TSan does): a
 * lab whose correct program relies on atomics states that ordering itself
 * with Valgrind's client requests (DRD honours Helgrind's), and staging words
 * that only ever change atomically are hidden from both.  Outside Valgrind
 * these are a few no-op instructions; where Valgrind's headers are missing
 * (a build without the valgrind package) they compile to nothing, so the
 * project builds everywhere and only the Valgrind tests need Valgrind.
 */
#ifndef TL_ANNOTATE_H
#define TL_ANNOTATE_H

#if defined(__has_include)
#if __has_include(<valgrind/helgrind.h>) && __has_include(<valgrind/drd.h>)
#include <valgrind/drd.h>
#include <valgrind/helgrind.h>
#include <valgrind/valgrind.h>
#endif
#endif

#ifndef ANNOTATE_HAPPENS_BEFORE
#define ANNOTATE_HAPPENS_BEFORE(obj) ((void)(obj))
#define ANNOTATE_HAPPENS_AFTER(obj)  ((void)(obj))
#endif
#ifndef ANNOTATE_BENIGN_RACE_SIZED
#define ANNOTATE_BENIGN_RACE_SIZED(addr, size, why) ((void)(addr), (void)(size), (void)(why))
#endif
#ifndef VALGRIND_HG_DISABLE_CHECKING
#define VALGRIND_HG_DISABLE_CHECKING(addr, len) ((void)(addr), (void)(len))
#endif
#ifndef DRD_IGNORE_VAR
#define DRD_IGNORE_VAR(x) ((void)&(x))
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* 1 in a build made with -fsanitize=thread (gcc says so with a macro,
 * clang with __has_feature), else 0. */
#if defined(__SANITIZE_THREAD__)
#define TL_BUILT_WITH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TL_BUILT_WITH_TSAN 1
#endif
#endif
#ifndef TL_BUILT_WITH_TSAN
#define TL_BUILT_WITH_TSAN 0
#endif

#endif
