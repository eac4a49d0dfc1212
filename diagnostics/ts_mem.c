/* ts_mem — another process's memory and its executable's symbols (ts_mem.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "ts_mem.h"
#include "ts_sample.h"
#include "tl_procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ts_mem_open(const char *root, pid_t pid)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%d/mem", root ? root : "/proc", (int)pid);
	int fd;

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ts_mem_read(int fd, uint64_t addr, void *buf, size_t len)
{
	size_t got = 0;

	/* off_t is signed: user-space addresses on x86_64 stay below 2^47,
	 * anything past 2^63 is no address we can read. */
	if (addr > (uint64_t)INT64_MAX - len)
		return -EIO;
	while (got < len) {
		ssize_t r = pread(fd, (char *)buf + got, len - got, (off_t)(addr + got));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		got += (size_t)r;
	}
	return 0;
}

/* ------------------------------------------------------------------ maps */

/* Reads a whole file that has no useful size (maps): plain read until EOF,
 * since the kernel resumes maps by file position.  Caller frees *out. */
static int slurp(const char *path, char **out, size_t *len)
{
	size_t cap = 0, got = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (cap - got < 4096) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (nb == NULL) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		r = read(fd, buf + got, cap - got - 1);
		if (r < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			free(buf);
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int ts_mem_find_base(const char *maps, size_t len, const char *exe_path, uint64_t *base)
{
	const char *p = maps, *end = maps + len;
	bool found = false;
	uint64_t best = 0, lo;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct tl_map_line m;

		/* lo-hi perms offset dev inode path: the file mapped at offset 0 */
		if (tl_procfs_parse_map_line(p, (size_t)(eol - p), &m) != 0 || m.path == NULL ||
		    m.path[0] != '/' || m.offset != 0) {
			p = eol + (nl ? 1 : 0);
			continue;
		}
		p = eol + (nl ? 1 : 0);
		if (exe_path != NULL &&
		    (strlen(exe_path) != m.path_len || memcmp(m.path, exe_path, m.path_len) != 0))
			continue;
		lo = m.lo;
		if (!found || lo < best)
			best = lo;
		found = true;
		if (exe_path == NULL)
			break; /* the first file mapping: the executable, in maps order */
	}
	if (!found)
		return -ENOENT;
	*base = best;
	return 0;
}

/* ------------------------------------------------------------------ ELF */

static int sym_cmp(const void *a, const void *b)
{
	const struct ts_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Adds the symbols of one type (STT_OBJECT, STT_FUNC) of one symbol table
 * section. */
static int add_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, uint64_t base, int type,
                       struct ts_syms *out, size_t *cap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, count;

	if (data == NULL || sh->sh_entsize == 0)
		return 0;
	count = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;
		char *copy;

		if (gelf_getsym(data, (int)i, &sym) == NULL)
			break;
		if (GELF_ST_TYPE(sym.st_info) != type || sym.st_shndx == SHN_UNDEF ||
		    sym.st_shndx >= SHN_LORESERVE)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (name == NULL || name[0] == '\0')
			continue;
		if (out->n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			struct ts_sym *nv = realloc(out->v, nc * sizeof(*nv));

			if (nv == NULL)
				return -ENOMEM;
			out->v = nv;
			*cap = nc;
		}
		copy = strdup(name);
		if (copy == NULL)
			return -ENOMEM;
		out->v[out->n].name = copy;
		out->v[out->n].addr = sym.st_value + base;
		out->v[out->n].size = sym.st_size;
		out->n++;
	}
	return 0;
}

/* The load base of a PIE: where the mapping of file offset 0 begins, less
 * the address the first PT_LOAD segment asks for (0 for usual PIEs). */
static int pie_base(Elf *elf, const char *root, pid_t pid, uint64_t *base)
{
	char path[PATH_MAX], exe[PATH_MAX];
	uint64_t first_vaddr = UINT64_MAX, lo;
	size_t i, nph;
	char *maps = NULL;
	size_t len = 0;
	ssize_t n;
	int rc;

	if (elf_getphdrnum(elf, &nph) != 0)
		return -ENOEXEC;
	for (i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) != NULL && ph.p_type == PT_LOAD &&
		    ph.p_vaddr < first_vaddr)
			first_vaddr = ph.p_vaddr;
	}
	if (first_vaddr == UINT64_MAX)
		return -ENOEXEC;

	snprintf(path, sizeof(path), "%s/%d/exe", root, (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n >= 0)
		exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/%d/maps", root, (int)pid);
	if ((rc = slurp(path, &maps, &len)) < 0)
		return rc;
	rc = ts_mem_find_base(maps, len, n >= 0 ? exe : NULL, &lo);
	free(maps);
	if (rc < 0)
		return rc;
	*base = lo - (first_vaddr & ~(uint64_t)4095);
	return 0;
}

int ts_syms_load(const char *root, pid_t pid, struct ts_syms *out)
{
	return ts_syms_load_type(root, pid, STT_OBJECT, out);
}

int ts_syms_load_type(const char *root, pid_t pid, int type, struct ts_syms *out)
{
	char path[PATH_MAX];
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t cap = 0;
	bool have_symtab = false;
	Elf *elf;
	int fd, n, rc = 0, pass;

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		root = "/proc";
	n = snprintf(path, sizeof(path), "%s/%d/exe", root, (int)pid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOEXEC;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf == NULL || elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &eh) == NULL) {
		rc = -ENOEXEC;
		goto out;
	}
	if (eh.e_type == ET_DYN && (rc = pie_base(elf, root, pid, &out->base)) < 0)
		goto out;
	/* .symtab holds every object, static ones too; .dynsym only exported
	 * ones, and only if there is no .symtab (a stripped binary). */
	for (pass = 0; pass < 2 && rc == 0; pass++) {
		Elf64_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;

		if (pass == 1 && have_symtab)
			break;
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn)) != NULL && rc == 0) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != want)
				continue;
			have_symtab = true;
			rc = add_symbols(elf, scn, &sh, out->base, type, out, &cap);
		}
	}
	if (rc == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof(out->v[0]), sym_cmp);
out:
	if (elf != NULL)
		elf_end(elf);
	close(fd);
	if (rc < 0)
		ts_syms_free(out);
	return rc;
}

void ts_syms_free(struct ts_syms *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

bool ts_sanitizer_runtime_symbol(const char *name)
{
	return strncmp(name, "_ZN11__sanitizer", 16) == 0 || strncmp(name, "_ZN6__tsan", 10) == 0 ||
	       strncmp(name, "__sanitizer::", 13) == 0 || strncmp(name, "__tsan::", 8) == 0;
}

const struct ts_sym *ts_syms_find(const struct ts_syms *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

const struct ts_sym *ts_syms_lookup(const struct ts_syms *s, uint64_t addr, uint64_t *offset)
{
	size_t lo = 0, hi = s->n;

	/* The last symbol starting at or below addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Several names may start at one address: any that holds addr. */
	while (lo > 0) {
		const struct ts_sym *y = &s->v[--lo];

		if (addr - y->addr < y->size || (addr == y->addr && y->size == 0)) {
			*offset = addr - y->addr;
			return y;
		}
		if (lo == 0 || s->v[lo - 1].addr != y->addr)
			break;
	}
	return NULL;
}

const char *ts_syms_describe(const struct ts_syms *s, uint64_t addr, char *buf, size_t len)
{
	uint64_t off;
	const struct ts_sym *y = ts_syms_lookup(s, addr, &off);

	if (y == NULL)
		return NULL;
	if (off == 0)
		snprintf(buf, len, "%s", y->name);
	else
		snprintf(buf, len, "%s+%llu", y->name, (unsigned long long)off);
	return buf;
}

/* ------------------------------------------------------------------ smaps */

/* "Name:   123 kB" at the start of a line: the number, when the name is it. */
static bool smaps_kb(const char *line, size_t len, const char *name, unsigned long long *kb)
{
	size_t n = strlen(name);
	char *end;

	if (len <= n || memcmp(line, name, n) != 0 || line[n] != ':')
		return false;
	*kb = strtoull(line + n + 1, &end, 10);
	return end != line + n + 1;
}

int ts_smaps_parse(const char *text, size_t len, struct ts_smaps *m)
{
	const char *p = text, *end = text + len;
	struct ts_mapping *cur = NULL;
	struct tl_map_line prev = {0};
	bool heap = false, have_prev = false;

	m->n = 0;
	m->heap_kb = m->anon_kb = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((nl ? nl : end) - p);
		struct tl_map_line ml;
		unsigned long long kb;

		/* A mapping's line starts with a hex digit; its fields' with
		 * a capital letter. */
		if (ll > 0 && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
			if (tl_procfs_parse_map_line(p, ll, &ml) != 0)
				return -EINVAL;
			if (ts_grow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v)))
				return -ENOMEM;
			cur = &m->v[m->n++];
			memset(cur, 0, sizeof(*cur));
			cur->lo = ml.lo;
			cur->hi = ml.hi;
			cur->guarded = have_prev && ml.anonymous && prev.anonymous &&
			               strcmp(ml.perms, "rw-p") == 0 &&
			               strcmp(prev.perms, "---p") == 0 && prev.hi == ml.lo;
			prev = ml;
			have_prev = true;
			heap = ml.path != NULL && ml.path_len == 6 &&
			       memcmp(ml.path, "[heap]", 6) == 0;
		} else if (cur != NULL && smaps_kb(p, ll, "Rss", &kb)) {
			cur->rss_kb = kb;
			if (heap)
				m->heap_kb += kb;
		} else if (cur != NULL && smaps_kb(p, ll, "Swap", &kb)) {
			cur->swap_kb = kb;
		} else if (cur != NULL && smaps_kb(p, ll, "Anonymous", &kb)) {
			m->anon_kb += kb;
		}
		p += ll + (nl ? 1 : 0);
	}
	return 0;
}

const struct ts_mapping *ts_smaps_find(const struct ts_smaps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->v[mid].lo)
			hi = mid;
		else if (addr >= m->v[mid].hi)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

void ts_smaps_free(struct ts_smaps *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

int ts_stacks_without_thread(const char *root, pid_t pid, const uint64_t *sp, size_t n,
                             size_t stack_size, size_t *count, unsigned long long *rss_kb)
{
	char path[PATH_MAX];
	struct ts_smaps m = {0};
	char *text = NULL;
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/%d/smaps", root ? root : "/proc", (int)pid);
	if ((rc = slurp(path, &text, &len)) != 0)
		return rc;
	rc = ts_smaps_parse(text, len, &m);
	free(text);
	*count = 0;
	*rss_kb = 0;
	for (size_t i = 0; rc == 0 && i < m.n; i++) {
		const struct ts_mapping *k = &m.v[i];
		uint64_t size = k->hi - k->lo;
		bool owned = false;

		if (!k->guarded || size + 4096 < stack_size || size > stack_size + 4096)
			continue;
		for (size_t j = 0; j < n && !owned; j++)
			owned = sp[j] >= k->lo && sp[j] < k->hi;
		if (!owned) {
			(*count)++;
			*rss_kb += k->rss_kb;
		}
	}
	ts_smaps_free(&m);
	return rc;
}

int ts_lowest_held_page(int pagemap_fd, uint64_t lo, uint64_t hi, uint64_t held, uint64_t *lowest)
{
	uint64_t entries[64]; /* 256 KiB of address space per read */
	const uint64_t page = 4096;
	uint64_t found = 0, top = hi;

	*lowest = hi;
	/* pagemap: one 64-bit entry per page; bit 63 present, bit 62 swapped. */
	while (top > lo && (held == 0 || found < held)) {
		size_t want = (size_t)((top - lo) / page);
		uint64_t from;
		ssize_t r;

		if (want > sizeof(entries) / sizeof(entries[0]))
			want = sizeof(entries) / sizeof(entries[0]);
		from = top - want * page;
		r = pread(pagemap_fd, entries, want * sizeof(entries[0]), (off_t)(from / page * 8));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if ((size_t)r != want * sizeof(entries[0]))
			return -EIO;
		for (size_t i = want; i-- > 0;)
			if (entries[i] >> 62) {
				*lowest = from + i * page;
				found++;
			}
		top = from;
	}
	return 0;
}
