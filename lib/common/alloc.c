/*
 * alloc.c — allocation wrappers (see alloc.h).
 *
 * With -DAM_FAULT_INJECTION the wrappers count allocations, in all threads
 * together, and fail the one chosen by am_fault_fail_at(); production
 * builds compile the counter away.
 */
#define _DEFAULT_SOURCE /* MADV_DONTDUMP, MADV_POPULATE_WRITE */
#include "common/alloc.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef AM_FAULT_INJECTION
#include "common/fault.h"

/* One countdown for every thread, so that the allocations of a run's
 * helper threads can be made to fail too. */
static atomic_ulong fault_countdown;

void am_fault_fail_at(unsigned long nth) { atomic_store(&fault_countdown, nth); }

static int should_fail(void) { return am_fault_count_down(&fault_countdown); }
#else
static int should_fail(void) { return 0; }
#endif

void *am_malloc(size_t size)
{
    return should_fail() ? NULL : malloc(size ? size : 1);
}

void *am_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *am_realloc(void *ptr, size_t size)
{
    return should_fail() ? NULL : realloc(ptr, size ? size : 1);
}

void am_free(void *ptr) { free(ptr); }

#define PREFAULT_MIN ((size_t)64 * 1024)

void am_prefault(void *p, size_t bytes)
{
#ifdef MADV_POPULATE_WRITE
    if (!p || bytes < PREFAULT_MIN)
        return;
    /* The whole pages the range lies in: the first and last may be shared
     * with other blocks of the same mapping, which populating leaves as
     * they are. */
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    const uintptr_t start = (uintptr_t)p & ~(page - 1);
    const uintptr_t end = ((uintptr_t)p + bytes + page - 1) & ~(page - 1);
    /* A refusal (an old kernel, no memory for page tables) only leaves
     * the pages to fault as they are written. */
    (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* A secret block is whole pages: one for its size, then the caller's. */
#define SECRET_PAGE ((size_t)4096)

static size_t *secret_head(void *p) { return (size_t *)((char *)p - SECRET_PAGE); }

void *am_secret_malloc(size_t size)
{
    if (should_fail() || size > SIZE_MAX - 2 * SECRET_PAGE)
        return NULL;
    const size_t pages = (size + SECRET_PAGE - 1) / SECRET_PAGE * SECRET_PAGE + SECRET_PAGE;
    char *block = aligned_alloc(SECRET_PAGE, pages);
    if (!block)
        return NULL;
    /* Best effort: a kernel without MADV_DONTDUMP still gets wiped memory. */
    (void)madvise(block, pages, MADV_DONTDUMP);
    memset(block, 0, pages);
    *(size_t *)block = pages;
    return block + SECRET_PAGE;
}

void am_secret_free(void *p)
{
    if (!p)
        return;
    size_t *head = secret_head(p);
    const size_t pages = *head;
    sodium_memzero(head, pages);
    (void)madvise(head, pages, MADV_DODUMP); /* the allocator may reuse the pages */
    free(head);
}

void *am_secret_realloc(void *p, size_t size)
{
    if (!p)
        return am_secret_malloc(size);
    const size_t old = *secret_head(p) - SECRET_PAGE;
    if (size <= old)
        return p;
    void *grown = am_secret_malloc(size);
    if (!grown)
        return NULL;
    memcpy(grown, p, old);
    am_secret_free(p);
    return grown;
}

int am_reserve_secret(char **buf, size_t *capacity, size_t need)
{
    if (need <= *capacity)
        return 1;
    size_t cap = *capacity ? *capacity : 4096;
    while (cap < need) {
        if (cap > SIZE_MAX / 4)
            return 0;
        cap *= 2;
    }
    char *grown = am_secret_realloc(*buf, cap);
    if (!grown)
        return 0;
    *buf = grown;
    *capacity = cap;
    return 1;
}

char *am_strndup(const char *s, size_t len)
{
    char *copy = am_malloc(len + 1);
    if (copy) {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

char *am_strdup(const char *s) { return am_strndup(s, strlen(s)); }

char *am_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = am_malloc((size_t)n + 1);
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

#define LARGE_FROM ((size_t)1 << 20)
#define LARGE_BYTES ((size_t)40 << 20)

int am_reserve_array(void *array_ptr, size_t *capacity, size_t need, size_t size)
{
    if (need <= *capacity)
        return 1;
    size_t cap = *capacity ? *capacity : 16;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return 0;
        cap *= 2;
    }
    if (cap > SIZE_MAX / size)
        return 0;
    /* An array that grows past LARGE_FROM bytes jumps to LARGE_BYTES of
     * address space at once: an allocation that large is mapped by the C
     * library (glibc maps all above 32 MB), its pages resident only once
     * written, and later growth remaps them; grown by doubling inside the
     * heap instead, it would be copied into fresh pages at each step, a
     * page fault a page (am_prefault). */
    if (cap * size >= LARGE_FROM && cap * size < LARGE_BYTES)
        cap = LARGE_BYTES / size;
    /* The pointer is copied out and back, not written through a void **,
     * which would alias a T *. */
    void *array;
    memcpy(&array, array_ptr, sizeof array);
    void *grown = am_realloc(array, cap * size);
    if (!grown)
        return 0;
    memcpy(array_ptr, &grown, sizeof grown);
    *capacity = cap;
    return 1;
}

