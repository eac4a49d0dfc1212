/* schedstat-floor — the least a thread sampler can cost: the floor that
 * make bench-threadstat measures threadstat against.
 *
 *   schedstat-floor PID K
 *
 * Opens /proc/PID/task/TID/schedstat of every thread of PID once, then reads
 * each of them K times with pread on those kept descriptors: no listing, no
 * parsing, no output.  Whatever a sampler does beyond this (listing the
 * threads, parsing, stat, printing) is its own overhead.  Exit 0, 1 when the
 * process cannot be read, 2 on usage errors.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[64], buf[256];
	struct rlimit rl;
	struct dirent *d;
	int *fd = NULL;
	size_t n = 0, cap = 0;
	long k;
	DIR *dir;

	if (argc != 3 || (k = strtol(argv[2], NULL, 10)) < 1) {
		fprintf(stderr, "usage: schedstat-floor PID K\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	snprintf(path, sizeof(path), "/proc/%s/task", argv[1]);
	dir = opendir(path);
	if (dir == NULL) {
		fprintf(stderr, "schedstat-floor: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		if (n == cap) {
			int *nf = realloc(fd, (cap = cap ? cap * 2 : 1024) * sizeof(*fd));

			if (nf == NULL) {
				fprintf(stderr, "schedstat-floor: out of memory\n");
				return 1;
			}
			fd = nf;
		}
		snprintf(path, sizeof(path), "%s/schedstat", d->d_name);
		fd[n] = openat(dirfd(dir), path, O_RDONLY | O_CLOEXEC);
		if (fd[n] < 0) {
			fprintf(stderr, "schedstat-floor: task/%s: %s\n", path, strerror(errno));
			return 1;
		}
		n++;
	}
	for (long s = 0; s < k; s++)
		for (size_t i = 0; i < n; i++)
			if (pread(fd[i], buf, sizeof(buf), 0) <= 0) {
				fprintf(stderr, "schedstat-floor: a thread ended\n");
				return 1;
			}
	return 0;
}
