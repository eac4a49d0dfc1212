/* fuzz_reports.h — the promises both report parsers make (tl_verdict.h,
 * report_internal.h), checked by fuzz_tsan.c and fuzz_valgrind.c. */
#ifndef TL_FUZZ_REPORTS_H
#define TL_FUZZ_REPORTS_H

#include "tl_verdict.h"

typedef int fuzz_report_parser(const char *text, size_t len, struct tl_reports *out, char *err,
                               size_t errlen);

/* The parser a target fuzzes (its fuzz_*.c defines it).  fuzz_reports.c's
 * LLVMFuzzerTestOneInput runs it on the input and REQUIREs what every parser
 * promises: 0 or -1; on -1 a one-line message; every report kept whole (a
 * verdict word, a kind and a what); and the runner's queries run on them. */
extern fuzz_report_parser *const fuzz_target_parser;

#endif
