/*
 * alloc.c — allocation wrappers (see alloc.h).
 *
 * With -DAM_FAULT_INJECTION the wrappers count allocations, in all threads
 * together, and fail the one chosen by am_fault_fail_at(); production
 * builds compile the counter away.
 */
#include "common/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef AM_FAULT_INJECTION
#include <stdatomic.h>

#include "common/fault.h"

/* One countdown for every thread, so that the allocations of a run's
 * helper threads can be made to fail too. */
static atomic_ulong fault_countdown;

void am_fault_fail_at(unsigned long nth) { atomic_store(&fault_countdown, nth); }

static int should_fail(void)
{
    unsigned long left = atomic_load(&fault_countdown);
    while (left != 0 && !atomic_compare_exchange_weak(&fault_countdown, &left, left - 1))
        ;
    return left == 1;
}
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

int am_reserve_array(void **array, size_t *capacity, size_t need, size_t size)
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
    void *grown = am_realloc(*array, cap * size);
    if (!grown)
        return 0;
    *array = grown;
    *capacity = cap;
    return 1;
}

int am_grow_array(void **array, size_t *capacity, size_t size)
{
    return *capacity < SIZE_MAX && am_reserve_array(array, capacity, *capacity + 1, size);
}
