/*
 * key_sort.c — sorting items in memory by a 64-bit key (see key_sort.h).
 */
#include "store/key_sort.h"

#include <stdlib.h>
#include <string.h>

#include "common/thread_pair.h"

/* Below this many items a range is sorted by insertion. */
#define SMALL_RANGE 24

static void insertion_sort(unsigned char *v, size_t n, size_t size,
                           int (*cmp)(const void *, const void *), unsigned char *tmp)
{
    for (size_t i = 1; i < n; i++) {
        size_t j = i;
        if (cmp(v + (j - 1) * size, v + i * size) <= 0)
            continue;
        memcpy(tmp, v + i * size, size);
        for (; j > 0 && cmp(v + (j - 1) * size, tmp) > 0; j--)
            memcpy(v + j * size, v + (j - 1) * size, size);
        memcpy(v + j * size, tmp, size);
    }
}

/* Swaps size bytes (a multiple of the word) a word of type T at a time. */
#define SWAP_WORDS(T, a, b, size)                                                           \
    for (size_t k = 0; k < (size); k += sizeof(T)) {                                        \
        T x, y;                                                                             \
        memcpy(&x, (a) + k, sizeof x);                                                      \
        memcpy(&y, (b) + k, sizeof y);                                                      \
        memcpy((a) + k, &y, sizeof y);                                                      \
        memcpy((b) + k, &x, sizeof x);                                                      \
    }

/* Items are a few words long: swapped a word at a time, where a memcpy
 * of a size known only at run time is a call (linking's registry entries
 * are 44 bytes, its candidate refs 12: whole 32-bit words). */
static inline void swap_items(unsigned char *a, unsigned char *b, size_t size, unsigned char *tmp)
{
    if (size % sizeof(uint64_t) == 0) {
        SWAP_WORDS(uint64_t, a, b, size)
    } else if (size % sizeof(uint32_t) == 0) {
        SWAP_WORDS(uint32_t, a, b, size)
    } else {
        memcpy(tmp, a, size);
        memcpy(a, b, size);
        memcpy(b, tmp, size);
    }
}

static void radix_sort(unsigned char *v, size_t n, size_t size, const am_order *order, int shift,
                       unsigned char *tmp);

/* Puts n items (at least SMALL_RANGE) into 256 buckets by byte
 * `shift / 8` of their keys, in place: each item is swapped straight
 * into its byte's bucket (an "American flag" sort, as the store's).
 * count[b] is then bucket b's size. */
static void distribute(unsigned char *v, size_t n, size_t size, const am_order *order, int shift,
                       unsigned char *tmp, size_t count[256])
{
    size_t next[256], end[256];
    memset(count, 0, 256 * sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[(order->key(v + i * size) >> shift) & 0xFF]++;
    size_t at = 0;
    for (int b = 0; b < 256; b++) {
        next[b] = at;
        at += count[b];
        end[b] = at;
    }
    for (int b = 0; b < 256; b++) {
        while (next[b] < end[b]) {
            unsigned char *item = v + next[b] * size;
            const unsigned d = (unsigned)(order->key(item) >> shift) & 0xFF;
            if (d == (unsigned)b) {
                next[b]++;
                continue;
            }
            swap_items(v + next[d]++ * size, item, size, tmp);
        }
    }
}

/* Sorts buckets [from, to) of a distribution on the next byte. */
static void sort_buckets(unsigned char *v, const size_t count[256], int from, int to, size_t size,
                         const am_order *order, int shift, unsigned char *tmp)
{
    size_t at = 0;
    for (int b = 0; b < from; b++)
        at += count[b];
    for (int b = from; b < to; b++) {
        radix_sort(v + at * size, count[b], size, order, shift - 8, tmp);
        at += count[b];
    }
}

/* Sorts n items by byte `shift / 8` of their keys and the bytes below it,
 * in place, bucket by bucket.  Items of one key are left to cmp.  Keys
 * are keyed hashes or counts, so buckets fill evenly or the ranges are
 * short. */
static void radix_sort(unsigned char *v, size_t n, size_t size, const am_order *order, int shift,
                       unsigned char *tmp)
{
    if (n < SMALL_RANGE) {
        insertion_sort(v, n, size, order->cmp, tmp);
        return;
    }
    if (shift < 0) {
        qsort(v, n, size, order->cmp);
        return;
    }
    size_t count[256];
    distribute(v, n, size, order, shift, tmp, count);
    sort_buckets(v, count, 0, 256, size, order, shift, tmp);
}

void am_key_sort(void *items, size_t n, size_t size, const am_order *order, void *tmp)
{
    if (order->key)
        radix_sort(items, n, size, order, 56, tmp);
    else
        qsort(items, n, size, order->cmp);
}

typedef struct half_sort {
    unsigned char *v, *tmp;
    const size_t *count;
    int from, to;
    size_t size;
    const am_order *order;
} half_sort;

static void *sort_half(void *p)
{
    const half_sort *h = p;
    sort_buckets(h->v, h->count, h->from, h->to, h->size, h->order, 56, h->tmp);
    return NULL;
}

size_t am_key_sort_pair(void *items, size_t n, size_t size, const am_order *order, void *tmp,
                        unsigned threads)
{
    unsigned char *v = items, *scratch = tmp;
    if (n < SMALL_RANGE) {
        insertion_sort(v, n, size, order->cmp, scratch);
    } else {
        size_t count[256];
        distribute(v, n, size, order, 56, scratch, count);
        half_sort halves[2] = {{v, scratch, count, 0, 128, size, order},
                               {v, scratch + size, count, 128, 256, size, order}};
        am_run_pair(sort_half, &halves[0], &halves[1], threads, n);
    }
    size_t lo = 0, hi = n; /* the first item whose key's top bit is set */
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (order->key(v + mid * size) >> 63)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}
