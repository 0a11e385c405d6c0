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

/* Makes a growing array of elements of size bytes hold at least need of
 * them: its capacity doubles (from 16 when empty) as often as that takes,
 * in one move of *array.  Returns 1, or 0 when out of memory or the size
 * would overflow, *array and *capacity then unchanged. */
int am_reserve_array(void **array, size_t *capacity, size_t need, size_t size);

/* am_reserve_array for one more element than *capacity: doubles it. */
int am_grow_array(void **array, size_t *capacity, size_t size);

#endif
