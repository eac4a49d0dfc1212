/* fuzz_valgrind — the Valgrind XML parser (report_valgrind.c, through
 * expat) on arbitrary bytes: any document on Valgrind's --xml-fd.
 *
 * The corpus: tests/fixtures/valgrind (Helgrind, DRD and Memcheck documents
 * captured here, truncated and malformed) and tests/fixtures/fuzz/valgrind. fuzz_reports.c
 * runs it and checks what it returns; fuzz.h says how it is built and replayed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "fuzz_reports.h"

fuzz_report_parser *const fuzz_target_parser = tl_parse_valgrind_xml;
