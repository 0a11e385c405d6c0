/*
 * store.c — appending, interning and sorting records (see store.h).
 */
#include "store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "alloc.h"

am_status am_store_add(am_store *store, const am_record *record)
{
    if (store->count == store->capacity) {
        const size_t cap = store->capacity ? store->capacity * 2 : 4096;
        am_record *grown = am_realloc(store->records, cap * sizeof *grown);
        if (!grown)
            return AM_ERR_NOMEM;
        store->records = grown;
        store->capacity = cap;
    }
    store->records[store->count++] = *record;
    return AM_OK;
}

static size_t slot_of(const unsigned char token[AM_TOKEN_BYTES], size_t nslots)
{
    /* Tokens are already uniformly random, but hashing keeps the table
     * sound even if a feed supplies crafted tokens. */
    return (size_t)XXH3_64bits(token, AM_TOKEN_BYTES) & (nslots - 1);
}

static am_status grow_slots(am_store *store)
{
    const size_t nslots = store->nslots ? store->nslots * 2 : 1024;
    uint32_t *slots = am_calloc(nslots, sizeof *slots);
    if (!slots)
        return AM_ERR_NOMEM;
    for (size_t h = 0; h < store->nhouseholds; h++) {
        size_t s = slot_of(store->households[h], nslots);
        while (slots[s])
            s = (s + 1) & (nslots - 1);
        slots[s] = (uint32_t)h + 1;
    }
    am_free(store->slots);
    store->slots = slots;
    store->nslots = nslots;
    return AM_OK;
}

am_status am_store_household(am_store *store, const unsigned char token[AM_TOKEN_BYTES],
                             uint32_t *ref)
{
    if ((store->nhouseholds + 1) * 2 > store->nslots && grow_slots(store) != AM_OK)
        return AM_ERR_NOMEM;
    size_t s = slot_of(token, store->nslots);
    while (store->slots[s]) {
        if (memcmp(store->households[store->slots[s] - 1], token, AM_TOKEN_BYTES) == 0) {
            *ref = store->slots[s];
            return AM_OK;
        }
        s = (s + 1) & (store->nslots - 1);
    }
    if (store->nhouseholds == UINT32_MAX - 1)
        return AM_ERR_LIMIT;
    if (store->nhouseholds == store->households_capacity) {
        const size_t cap = store->households_capacity ? store->households_capacity * 2 : 1024;
        void *grown = am_realloc(store->households, cap * AM_TOKEN_BYTES);
        if (!grown)
            return AM_ERR_NOMEM;
        store->households = grown;
        store->households_capacity = cap;
    }
    memcpy(store->households[store->nhouseholds++], token, AM_TOKEN_BYTES);
    store->slots[s] = (uint32_t)store->nhouseholds;
    *ref = store->slots[s];
    return AM_OK;
}

static int compare_records(const void *pa, const void *pb)
{
    const am_record *a = pa, *b = pb;
    int c = memcmp(a->person, b->person, AM_TOKEN_BYTES);
    if (c)
        return c;
    if (a->code != b->code)
        return a->code < b->code ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    if (a->feed != b->feed)
        return a->feed < b->feed ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* Records are placed in 256 buckets by the first byte of the token, in
 * place (an "American flag" sort: no second array, so sorting ten million
 * records costs no extra memory), and each bucket is then sorted on the
 * whole key.  Tokens are keyed hashes, so the buckets come out evenly
 * filled; 256 of them keep every bucket's write position in cache. */
#define BUCKETS 256

static unsigned bucket_of(const am_record *r) { return r->person[0]; }

typedef struct bucket_sorter {
    am_record *records;
    const size_t *end; /* end[b]: one past bucket b's last record */
    unsigned first, last; /* buckets [first, last) */
} bucket_sorter;

static void *sort_buckets(void *arg)
{
    const bucket_sorter *s = arg;
    size_t start = s->first ? s->end[s->first - 1] : 0;
    for (unsigned b = s->first; b < s->last; b++) {
        if (s->end[b] - start > 1)
            qsort(s->records + start, s->end[b] - start, sizeof *s->records, compare_records);
        start = s->end[b];
    }
    return NULL;
}

am_status am_store_sort(am_store *store, unsigned threads)
{
    const size_t n = store->count;
    if (n < 2)
        return AM_OK;
    size_t *next = am_malloc(BUCKETS * sizeof *next), *end = am_malloc(BUCKETS * sizeof *end);
    if (!next || !end) {
        am_free(next);
        am_free(end);
        return AM_ERR_NOMEM;
    }
    memset(end, 0, BUCKETS * sizeof *end);
    for (size_t i = 0; i < n; i++)
        end[bucket_of(&store->records[i])]++;
    size_t sum = 0;
    for (unsigned b = 0; b < BUCKETS; b++) {
        next[b] = sum;
        sum += end[b];
        end[b] = sum;
    }
    am_record *r = store->records;
    for (unsigned b = 0; b < BUCKETS; b++) {
        while (next[b] < end[b]) {
            /* Carry the record at next[b] to its bucket, swapping out the
             * one there, until a record that belongs in b comes back. */
            am_record carried = r[next[b]];
            unsigned target = bucket_of(&carried);
            while (target != b) {
                const am_record displaced = r[next[target]];
                r[next[target]++] = carried;
                carried = displaced;
                target = bucket_of(&carried);
            }
            r[next[b]++] = carried;
        }
    }
    /* The buckets are independent: each thread sorts a run of them. */
    bucket_sorter halves[2] = {{r, end, 0, BUCKETS / 2}, {r, end, BUCKETS / 2, BUCKETS}};
    pthread_t helper;
    if (threads > 1 && pthread_create(&helper, NULL, sort_buckets, &halves[1]) == 0) {
        sort_buckets(&halves[0]);
        pthread_join(helper, NULL);
    } else {
        sort_buckets(&halves[0]);
        sort_buckets(&halves[1]);
    }
    am_free(next);
    am_free(end);
    return AM_OK;
}

void am_store_free(am_store *store)
{
    am_free(store->records);
    am_free(store->households);
    am_free(store->slots);
    memset(store, 0, sizeof *store);
}
