/*
 * index_set.h — a set of indexes below some range, kept either as a
 * bitmap over the whole range (dense: for sets that may hold a good share
 * of it) or as a hash table of its members (sparse: for small sets of a
 * large range, whose cost must follow the members, not the range).
 */
#ifndef AM_INDEX_SET_H
#define AM_INDEX_SET_H

#include <stddef.h>
#include <stdint.h>

typedef struct am_index_set {
    uint64_t *bits;  /* dense: one bit per index of the range */
    size_t range;
    uint64_t *slots; /* sparse: open addressing, member + 1, 0 empty */
    size_t nslots;   /* a power of two, at least twice the members */
    size_t *members; /* sparse: in the order added, sorted by the first next */
    size_t count, capmembers;
    int sorted;
} am_index_set;

/* Makes an empty set of indexes below range, dense or sparse.  Returns 1,
 * or 0 when out of memory (nothing then to free). */
int am_index_set_init(am_index_set *s, size_t range, int dense);

/* Whether i is a member. */
int am_index_set_has(const am_index_set *s, size_t i);

/* Adds i (below the range; adding a member again does nothing).  Not
 * after am_index_set_next.  Returns 1, or 0 when out of memory, the set
 * then unchanged. */
int am_index_set_add(am_index_set *s, size_t i);

/* The members in ascending order: *at starts at 0; each call puts the
 * next member in *i and returns 1, then 0 when there are no more. */
int am_index_set_next(am_index_set *s, size_t *at, size_t *i);

void am_index_set_free(am_index_set *s);

#endif
