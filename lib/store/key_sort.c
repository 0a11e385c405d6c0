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
    for (int b = 0; b < 256; b++) {
        radix_sort(v, count[b], size, order, shift - 8, tmp);
        v += count[b] * size;
    }
}

void am_key_sort(void *items, size_t n, size_t size, const am_order *order, void *tmp)
{
    if (order->key)
        radix_sort(items, n, size, order, 56, tmp);
    else
        qsort(items, n, size, order->cmp);
}

/* One thread's share of the split by the keys' top bit: its items with
 * the bit clear put before those with it set (Hoare's partition). */
typedef struct bit_split {
    unsigned char *v, *tmp;
    size_t n, size;
    const am_order *order;
    size_t clear; /* out: how many of the n have the bit clear */
} bit_split;

static int top_bit_set(const am_order *order, const unsigned char *item)
{
    return (int)(order->key(item) >> 63);
}

static void *split_by_top_bit(void *arg)
{
    bit_split *s = arg;
    size_t i = 0, j = s->n;
    for (;;) {
        while (i < j && !top_bit_set(s->order, s->v + i * s->size))
            i++;
        while (i < j && top_bit_set(s->order, s->v + (j - 1) * s->size))
            j--;
        if (i == j)
            break;
        swap_items(s->v + i * s->size, s->v + (j - 1) * s->size, s->size, s->tmp);
        i++;
        j--;
    }
    s->clear = i;
    return NULL;
}

/* Two ranges of n items exchanged, or one thread's share of them. */
typedef struct range_swap {
    unsigned char *a, *b, *tmp;
    size_t n, size;
} range_swap;

static void *swap_ranges(void *arg)
{
    const range_swap *s = arg;
    for (size_t i = 0; i < s->n; i++)
        swap_items(s->a + i * s->size, s->b + i * s->size, s->size, s->tmp);
    return NULL;
}

/* The items of one top bit, sorted by one thread. */
typedef struct half_sort {
    unsigned char *v, *tmp;
    size_t n, size;
    const am_order *order;
} half_sort;

static void *sort_half(void *p)
{
    const half_sort *h = p;
    radix_sort(h->v, h->n, h->size, h->order, 56, h->tmp);
    return NULL;
}

/* Splits the items by their keys' top bit on two threads, which then sort
 * a side each: no pass over all the items on one thread.  Each thread
 * splits its half, leaving [clear | set] [clear | set]; the set items of
 * the first half and the clear ones of the second then trade places,
 * the fewer of them moving.  Returns the first item with the bit set. */
static size_t sort_split_on_two(unsigned char *v, size_t n, size_t size, const am_order *order,
                                unsigned char *scratch)
{
    const size_t mid = n / 2;
    bit_split split[2] = {{v, scratch, mid, size, order, 0},
                          {v + mid * size, scratch + size, n - mid, size, order, 0}};
    am_run_pair(split_by_top_bit, &split[0], &split[1], 2, n);
    const size_t first_set = split[0].clear, first_set_size = mid - first_set;
    const size_t second_clear = split[1].clear;
    const size_t moving = first_set_size < second_clear ? first_set_size : second_clear;
    const size_t share = moving / 2;
    unsigned char *a = v + first_set * size, *b = v + (mid + second_clear - moving) * size;
    range_swap swaps[2] = {{a, b, scratch, share, size},
                           {a + share * size, b + share * size, scratch + size, moving - share,
                            size}};
    am_run_pair(swap_ranges, &swaps[0], &swaps[1], 2, moving);
    const size_t boundary = first_set + second_clear;
    half_sort halves[2] = {{v, scratch, boundary, size, order},
                           {v + boundary * size, scratch + size, n - boundary, size, order}};
    am_run_pair(sort_half, &halves[0], &halves[1], 2, n);
    return boundary;
}

size_t am_key_sort_pair(void *items, size_t n, size_t size, const am_order *order, void *tmp,
                        unsigned threads)
{
    unsigned char *v = items;
    if (threads > 1 && n >= AM_PAIR_MIN_ITEMS)
        return sort_split_on_two(v, n, size, order, tmp);
    radix_sort(v, n, size, order, 56, tmp);
    size_t lo = 0, hi = n; /* the first item whose key's top bit is set */
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (top_bit_set(order, v + mid * size))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}
