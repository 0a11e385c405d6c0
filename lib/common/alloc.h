/*
 * alloc.h — the library's only way to allocate memory.
 *
 * Every allocation goes through these wrappers so that a test build can
 * make the Nth allocation fail and prove that each failure is returned as
 * AM_ERR_NOMEM rather than crashing.
 */
#ifndef AM_ALLOC_H
#define AM_ALLOC_H

#include <stddef.h>

void *am_malloc(size_t size);
void *am_calloc(size_t count, size_t size);
void *am_realloc(void *ptr, size_t size);
void am_free(void *ptr);
/* Copies len bytes of s and a terminating NUL; NULL on failure. */
char *am_strndup(const char *s, size_t len);
char *am_strdup(const char *s);
/* Formats into a new string of just the size it needs (free it with
 * am_free): for paths made of a directory and a name.  NULL when out of
 * memory. */
char *am_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Asks the kernel to map the pages of [p, p + bytes) ready for writing,
 * in one call, just before the caller writes them all: a first write to
 * each page would otherwise trap into the kernel once a page, and in a
 * virtual machine that trap costs more than the page (bench/RESULTS.md:
 * about 12 µs a page faulted by writes, 5.5 µs populated in one call, on
 * the bench machine).  Only for memory the caller is about to fill (it
 * becomes resident); what it holds is unchanged.  Ranges under 64 KB,
 * and kernels without MADV_POPULATE_WRITE (Linux before 5.14), are left
 * to fault as they are written. */
void am_prefault(void *p, size_t bytes);

/* Memory for raw feed text (read buffers, the decoder's output, the CSV
 * parser's field buffers, the inflater's window), which holds resident
 * IDs and names: whole pages marked MADV_DONTDUMP, so that no core dump
 * holds them, and wiped when freed or moved.  am_secret_malloc returns
 * zeroed memory or NULL; am_secret_realloc keeps the contents (NULL when
 * out of memory, p then unchanged); am_secret_free wipes and frees (NULL
 * is allowed).  Never mix them with am_malloc/am_free. */
void *am_secret_malloc(size_t size);
void *am_secret_realloc(void *p, size_t size);
void am_secret_free(void *p);
/* am_reserve_array for a secret byte buffer: at least need bytes. */
int am_reserve_secret(char **buf, size_t *capacity, size_t need);

/* Makes a growing array hold at least need elements of size bytes: its
 * capacity doubles (from 16 when empty) as often as that takes, in one
 * move, and jumps to 40 MB once past 1 MB (alloc.c says why: address
 * space, not resident memory).  array_ptr is the address of the array's pointer (T **), read and
 * written as a pointer; use AM_RESERVE, which passes it and the element
 * size from the array itself.  Returns 1, or 0 when out of memory or the
 * size would overflow, the array and *capacity then unchanged. */
int am_reserve_array(void *array_ptr, size_t *capacity, size_t need, size_t size);

/* Room for need elements in array (a T * lvalue) whose capacity (a size_t
 * lvalue) counts what is allocated: 1, or 0 when out of memory, the array
 * and capacity then unchanged.  Free when need fits, so hot loops use it
 * as they are.  Like AM_PUSH, it evaluates its arguments more than once:
 * give it names, not expressions with side effects. */
#define AM_RESERVE(array, capacity, need)                                                   \
    ((need) <= (capacity) || am_reserve_array(&(array), &(capacity), (need), sizeof *(array)))

/* Appends value to array (count used, capacity allocated): 1, or 0 when
 * out of memory, nothing then changed. */
#define AM_PUSH(array, count, capacity, value)                                              \
    (AM_RESERVE(array, capacity, (count) + 1) && ((array)[(count)++] = (value), 1))

#endif
