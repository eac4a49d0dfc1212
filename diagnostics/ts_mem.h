/* ts_mem — another process's memory and the data symbols of its executable.
 *
 * Memory is read with pread on a kept descriptor of ROOT/PID/mem.  Opening or
 * reading it needs ptrace access to the process (same user and not
 * undumpable, or CAP_SYS_PTRACE; under Yama's ptrace_scope 1 also being its
 * ancestor or its named tracer): without it the calls give -EACCES or -EPERM.
 *
 * Symbols come from the symbol tables (.symtab, else .dynsym) of ROOT/PID/exe,
 * read with libelf.  A position-independent executable is loaded at a base
 * that ROOT/PID/maps shows as the executable's mapping of file offset 0; the
 * addresses given here have that base added, so they can be read directly.
 */
#ifndef TS_MEM_H
#define TS_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Opens ROOT/PID/mem read-only.  A descriptor, or a negative errno. */
int ts_mem_open(const char *root, pid_t pid);

/* Reads len bytes at addr.  0, or a negative errno (-EIO for an address
 * that is not mapped, also for a short read). */
int ts_mem_read(int fd, uint64_t addr, void *buf, size_t len);

struct ts_sym {
	uint64_t addr; /* run-time address: load base added */
	uint64_t size;
	char *name;
};

/* The data objects (STT_OBJECT, STT_TLS excluded) of a process's executable,
 * sorted by address. */
struct ts_syms {
	struct ts_sym *v;
	size_t n;
	uint64_t base; /* load base (0 for a fixed-address executable) */
};

/* Loads the executable's data symbols.  0, or a negative errno: -ENOEXEC
 * when the file is no ELF that libelf can read, -ENOENT when no mapping of
 * the executable is found in maps for a PIE (a kernel thread has no exe at
 * all: -ENOENT too).  An executable without a symbol table gives 0 and no
 * symbols. */
int ts_syms_load(const char *root, pid_t pid, struct ts_syms *out);
/* The same for the symbols of one ELF type: STT_OBJECT, or STT_FUNC. */
int ts_syms_load_type(const char *root, pid_t pid, int type, struct ts_syms *out);
void ts_syms_free(struct ts_syms *s);

/* Whether a symbol belongs to a sanitizer's runtime linked into the program
 * (its namespaces __sanitizer and __tsan): mangled, as a symbol table names
 * it, or as debug information does. */
bool ts_sanitizer_runtime_symbol(const char *name);

/* The symbol of that name, or NULL. */
const struct ts_sym *ts_syms_find(const struct ts_syms *s, const char *name);

/* The object that holds addr, or NULL; *offset is addr's place in it. */
const struct ts_sym *ts_syms_lookup(const struct ts_syms *s, uint64_t addr, uint64_t *offset);

/* Writes "NAME" or "NAME+OFFSET" for the object that holds addr into buf and
 * returns buf, or returns NULL when no known object holds it. */
const char *ts_syms_describe(const struct ts_syms *s, uint64_t addr, char *buf, size_t len);

/* The load base, from the text of ROOT/PID/maps and the executable's path as
 * readlink(ROOT/PID/exe) gives it (NULL: take the first file mapping of
 * offset 0, for fixtures where exe is a plain file).  0 or -ENOENT. */
int ts_mem_find_base(const char *maps, size_t len, const char *exe_path, uint64_t *base);

/* ------------------------------------------------------------------ smaps */

/* One mapping of ROOT/PID/smaps, with what is resident of it. */
struct ts_mapping {
	uint64_t lo, hi;
	unsigned long long rss_kb, swap_kb;
	/* Anonymous rw-p right above an anonymous ---p guard: how glibc maps
	 * a thread stack (tl_procfs_count_stacks_in_maps has the rule). */
	bool guarded;
};

/* The mappings of a process (in address order, as smaps lists them) and its
 * totals: the heap ([heap]'s Rss) and every anonymous page (the sum of the
 * "Anonymous:" lines: heap, thread stacks, malloc arenas, private copies). */
struct ts_smaps {
	struct ts_mapping *v;
	size_t n, cap;
	unsigned long long heap_kb, anon_kb;
};

/* Parses the text of a smaps file into m (reusing its array).  0, -EINVAL
 * for text that is no smaps, -ENOMEM. */
int ts_smaps_parse(const char *text, size_t len, struct ts_smaps *m);

/* The mapping that holds addr, or NULL. */
const struct ts_mapping *ts_smaps_find(const struct ts_smaps *m, uint64_t addr);

void ts_smaps_free(struct ts_smaps *m);

/* The thread stacks of ROOT/PID (guarded mappings of stack_size, give or
 * take a page) that hold none of the n stack pointers given, and their
 * resident KiB, from its smaps.  0 or a negative errno. */
int ts_stacks_without_thread(const char *root, pid_t pid, const uint64_t *sp, size_t n,
                             size_t stack_size, size_t *count, unsigned long long *rss_kb);

/* The lowest page of [lo, hi) that was ever touched and is still held
 * (present or swapped, from ROOT/PID/pagemap on fd): for a stack, which
 * grows down, its high-water mark is hi less that.  The pages are looked at
 * from the top down, and the look stops once `held` pages (what smaps said:
 * Rss + Swap, in 4 KiB pages) have been found: a stack's pages are mostly
 * one run under its top, so an 8 MiB stack costs one small read, not 2048
 * entries.  0 with *lowest = hi when no page is held, or a negative errno. */
int ts_lowest_held_page(int pagemap_fd, uint64_t lo, uint64_t hi, uint64_t held, uint64_t *lowest);

#endif
