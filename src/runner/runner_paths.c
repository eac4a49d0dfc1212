/* runner_paths — where the labs are: their sources and lessons (the source
 * tree, or pkgdatadir once installed) and their programs (the build tree,
 * or pkglibexecdir).
 *
 * In order, the first that applies:
 *   THREADLAB_SRCDIR / THREADLAB_BUILDDIR   each tree on its own (make check
 *                                           sets both; a VPATH build needs it)
 *   THREADLAB_HOME                          one tree holding both, like a
 *                                           source tree built in place
 *   .threadlab-tree beside the executable   a build tree: it is the build
 *                                           directory, the file names the
 *                                           source directory (written by make)
 *   the configure-time paths                an installed threadlab
 * No path of the build tree is compiled in, so an installed threadlab works
 * from any directory and a build tree can be moved with its marker.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

static struct {
	bool done;
	char src[PATH_MAX];
	char build[PATH_MAX];
	char exe_dir[PATH_MAX];
	bool build_tree;
} paths;

static void copy_path(char *dst, const char *src)
{
	snprintf(dst, PATH_MAX, "%s", src);
}

/* "srcdir=/abs/path" from the build tree's marker; false if there is none. */
static bool read_marker(const char *dir, char *srcdir)
{
	char name[PATH_MAX + 32], line[PATH_MAX + 16];
	snprintf(name, sizeof name, "%s/.threadlab-tree", dir);
	FILE *f = fopen(name, "r");
	if (!f)
		return false;
	bool ok = fgets(line, sizeof line, f) && !strncmp(line, "srcdir=", 7);
	fclose(f);
	if (!ok)
		return false;
	line[strcspn(line, "\n")] = '\0';
	copy_path(srcdir, line + 7);
	return srcdir[0] != '\0';
}

static void resolve(void)
{
	if (paths.done)
		return;
	paths.done = true;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		copy_path(paths.exe_dir, dirname(exe));
	}
	const char *home = getenv("THREADLAB_HOME");
	if (home && *home) {
		copy_path(paths.src, home);
		copy_path(paths.build, home);
	} else if (paths.exe_dir[0] && read_marker(paths.exe_dir, paths.src)) {
		copy_path(paths.build, paths.exe_dir);
		paths.build_tree = true;
	} else {
		copy_path(paths.src, TL_PKGDATADIR);
		copy_path(paths.build, TL_PKGLIBEXECDIR);
	}
	const char *s = getenv("THREADLAB_SRCDIR"), *b = getenv("THREADLAB_BUILDDIR");
	if (s && *s)
		copy_path(paths.src, s);
	if (b && *b)
		copy_path(paths.build, b);
}

const char *runner_srcdir(void)
{
	resolve();
	return paths.src;
}

const char *runner_builddir(void)
{
	resolve();
	return paths.build;
}

/* threadstat: built in the build tree's diagnostics/, installed beside us. */
void runner_threadstat_path(char *buf, size_t len)
{
	resolve();
	if (paths.build_tree || !paths.exe_dir[0])
		snprintf(buf, len, "%s/diagnostics/threadstat", runner_builddir());
	else
		snprintf(buf, len, "%s/threadstat", paths.exe_dir);
}
