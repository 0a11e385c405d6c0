/*
 * alloc.c — allocation wrappers (see alloc.h).
 *
 * With -DAM_FAULT_INJECTION the wrappers count allocations per thread and
 * fail the one chosen by am_fault_fail_at(); production builds compile the
 * counter away.
 */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef AM_FAULT_INJECTION
#include "fault.h"

static _Thread_local unsigned long fault_countdown;

void am_fault_fail_at(unsigned long nth) { fault_countdown = nth; }

static int should_fail(void)
{
    if (fault_countdown == 0)
        return 0;
    return --fault_countdown == 0;
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
