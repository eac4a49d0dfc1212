/* fuzz_tsan — the ThreadSanitizer report parser (report_tsan.c) on
 * arbitrary bytes: anything a program under TSan may write to stderr.
 *
 * The corpus: tests/fixtures/tsan (reports captured here, whole, truncated
 * and malformed) and tests/fixtures/fuzz/tsan. fuzz_reports.c
 * runs it and checks what it returns; fuzz.h says how it is built and replayed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fuzz_reports.h"

fuzz_report_parser *const fuzz_target_parser = tl_parse_tsan;
