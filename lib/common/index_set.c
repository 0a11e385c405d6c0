/*
 * index_set.c — a set of indexes, dense or sparse (see index_set.h).
 */
#include "common/index_set.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

#define FIRST_SLOTS 64

int am_index_set_init(am_index_set *s, size_t range, int dense)
{
    memset(s, 0, sizeof *s);
    s->range = range;
    if (dense)
        s->bits = am_calloc(range / 64 + 1, sizeof *s->bits);
    else if ((s->slots = am_calloc(FIRST_SLOTS, sizeof *s->slots)))
        s->nslots = FIRST_SLOTS;
    return s->bits || s->slots;
}

/* Fibonacci hashing: the top bits of the product, as many as the table's. */
static size_t slot_of(const am_index_set *s, uint64_t key)
{
    const uint64_t mixed = key * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(mixed >> 32 ^ mixed) & (s->nslots - 1);
}

/* The slot holding key, or the empty one where it would go. */
static uint64_t *find(const am_index_set *s, uint64_t key)
{
    size_t k = slot_of(s, key);
    while (s->slots[k] && s->slots[k] != key)
        k = (k + 1) & (s->nslots - 1);
    return &s->slots[k];
}

int am_index_set_has(const am_index_set *s, size_t i)
{
    if (s->bits)
        return i < s->range && (int)(s->bits[i >> 6] >> (i & 63) & 1);
    return *find(s, (uint64_t)i + 1) != 0;
}

static int grow_slots(am_index_set *s)
{
    const size_t n = s->nslots * 2;
    uint64_t *old = s->slots, *slots = am_calloc(n, sizeof *slots);
    if (!slots)
        return 0;
    const size_t oldn = s->nslots;
    s->slots = slots;
    s->nslots = n;
    for (size_t k = 0; k < oldn; k++)
        if (old[k])
            *find(s, old[k]) = old[k];
    am_free(old);
    return 1;
}

int am_index_set_add(am_index_set *s, size_t i)
{
    if (s->bits) {
        s->bits[i >> 6] |= (uint64_t)1 << (i & 63);
        return 1;
    }
    uint64_t *slot = find(s, (uint64_t)i + 1);
    if (*slot)
        return 1;
    if ((s->count + 1) * 2 > s->nslots) {
        if (!grow_slots(s))
            return 0;
        slot = find(s, (uint64_t)i + 1);
    }
    if (!AM_RESERVE(s->members, s->capmembers, s->count + 1))
        return 0;
    *slot = (uint64_t)i + 1;
    s->members[s->count++] = i;
    return 1;
}

static int compare_sizes(const void *a, const void *b)
{
    const size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

int am_index_set_next(am_index_set *s, size_t *at, size_t *i)
{
    if (!s->bits) {
        if (!s->sorted && s->count > 1)
            qsort(s->members, s->count, sizeof *s->members, compare_sizes);
        s->sorted = 1;
        if (*at >= s->count)
            return 0;
        *i = s->members[(*at)++];
        return 1;
    }
    /* Word by word: a pass over an empty stretch costs a word per 64. */
    for (size_t w = *at >> 6; w <= s->range / 64; w++) {
        uint64_t bits = s->bits[w];
        if (w == *at >> 6)
            bits &= ~(uint64_t)0 << (*at & 63);
        if (bits) {
            *i = w * 64 + (size_t)__builtin_ctzll(bits);
            *at = *i + 1;
            return 1;
        }
    }
    *at = s->range + 1;
    return 0;
}

void am_index_set_free(am_index_set *s)
{
    am_free(s->bits);
    am_free(s->slots);
    am_free(s->members);
    memset(s, 0, sizeof *s);
}
