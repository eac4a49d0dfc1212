/* sigpass: tl_sigpass from the command line, for tests/sigpass.sh.
 *
 *	tests/sigpass [-CFLAG...] FILE...
 *
 * Arguments starting with '-' are compiler options (-Idir, -Dname: joined),
 * the rest the program's files.  Prints one line per finding,
 * "FILE:LINE: HANDLER calls CALLEE", with " (in F)" when it is called in a
 * function F the handler calls and " - a lock" when it waits for another
 * thread.  Exit 0: nothing found; 1: findings; 2: bad usage or a file that
 * does not parse (one line on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_sigpass.h"

static int run(const char **files, size_t nfiles, const char **flags)
{
	if (nfiles == 0) {
		fprintf(stderr, "usage: sigpass [-CFLAG...] FILE...\n");
		return 2;
	}
	struct tl_sig_findings out;
	char err[512];
	if (tl_sigpass(files, nfiles, flags, &out, err, sizeof err) != 0) {
		fprintf(stderr, "sigpass: %s\n", err);
		return 2;
	}
	for (size_t i = 0; i < out.n; i++) {
		const struct tl_sig_finding *f = &out.v[i];
		printf("%s:%u: %s calls %s%s%s%s%s\n", f->file, f->line, f->handler, f->callee,
		       f->via[0] ? " (in " : "", f->via, f->via[0] ? ")" : "",
		       f->locking ? " - a lock" : "");
	}
	int rc = out.n ? 1 : 0;
	tl_sig_findings_free(&out);
	return rc;
}

int main(int argc, char **argv)
{
	const char **files = calloc((size_t)argc, sizeof *files);
	const char **flags = calloc((size_t)argc, sizeof *flags);
	int rc = 2;
	if (!files || !flags)
		fprintf(stderr, "sigpass: out of memory\n");
	else {
		size_t nfiles = 0, nflags = 0;
		for (int i = 1; i < argc; i++) {
			if (argv[i][0] == '-')
				flags[nflags++] = argv[i];
			else
				files[nfiles++] = argv[i];
		}
		rc = run(files, nfiles, flags);
	}
	free(files);
	free(flags);
	return rc;
}
