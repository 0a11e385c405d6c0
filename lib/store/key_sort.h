/*
 * key_sort.h — sorting items in memory by a 64-bit key, in place: a
 * partition file's runs (extsort.c) and linking's registry.  A radix sort
 * on keyed tokens touches each item a few times where qsort compares it
 * log n times through a call.
 */
#ifndef AM_KEY_SORT_H
#define AM_KEY_SORT_H

#include <stddef.h>
#include <stdint.h>

/* The order of a sort: cmp, as qsort's; and key, or NULL: a 64-bit key
 * of an item that orders items as cmp does wherever keys differ
 * (key(a) < key(b) implies cmp(a, b) < 0), so that what fits in memory is
 * sorted by the key's bytes and cmp only orders items of one key. */
typedef struct am_order {
    int (*cmp)(const void *, const void *);
    uint64_t (*key)(const void *);
} am_order;

/* Sorts the n items (size bytes each) at items into order: by key's bytes,
 * and cmp among items of one key (qsort alone when key is NULL).  tmp is
 * size bytes of scratch.  Cannot fail. */
void am_key_sort(void *items, size_t n, size_t size, const am_order *order, void *tmp);

/* The same, with a key (order->key not NULL), sorting the items whose
 * keys' top bit is clear and those whose top bit is set on two threads
 * when threads > 1 (and the items are many: thread_pair.h).  tmp is 2 *
 * size bytes of scratch.  Returns the index of the first item whose key's
 * top bit is set (n when none), where two walks of the sorted items may
 * split.  Cannot fail. */
size_t am_key_sort_pair(void *items, size_t n, size_t size, const am_order *order, void *tmp,
                        unsigned threads);

#endif
