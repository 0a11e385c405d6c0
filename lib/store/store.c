/*
 * store.c — appending, interning and sorting records (see store.h).
 */
#include "store/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "common/alloc.h"
#include "common/thread_pair.h"

am_status am_store_reserve(am_store *store, size_t more)
{
    return more <= SIZE_MAX - store->count &&
                   AM_RESERVE(store->records, store->capacity, store->count + more)
               ? AM_OK
               : AM_ERR_NOMEM;
}

am_status am_store_append(am_store *store, const am_record *records, size_t n)
{
    const am_status st = am_store_reserve(store, n);
    if (st != AM_OK)
        return st;
    if (n) {
        am_prefault(store->records + store->count, n * sizeof *records);
        memcpy(store->records + store->count, records, n * sizeof *records);
    }
    store->count += n;
    return AM_OK;
}

static size_t slot_of(const unsigned char token[AM_TOKEN_BYTES], size_t nslots)
{
    /* Tokens are already uniformly random, but hashing keeps the table
     * sound even if a feed supplies crafted tokens. */
    return (size_t)XXH3_64bits(token, AM_TOKEN_BYTES) & (nslots - 1);
}

/* How many slots a rehash has asked for ahead of writing them. */
#define REHASH_AHEAD 16

static am_status grow_slots(am_store *store, size_t wanted)
{
    size_t nslots = store->nslots ? store->nslots : 1024;
    while (wanted * 2 > nslots)
        nslots *= 2;
    if (nslots == store->nslots)
        return AM_OK;
    uint32_t *slots = am_calloc(nslots, sizeof *slots);
    if (!slots)
        return AM_ERR_NOMEM;
    /* At most half full, the table has a slot written on nearly every page. */
    am_prefault(slots, nslots * sizeof *slots);
    /* Readers wait for this under their lock: each slot is asked for
     * REHASH_AHEAD tokens before it is written, so that the misses to
     * memory overlap. */
    size_t ahead[REHASH_AHEAD];
    const size_t n = store->nhouseholds;
    for (size_t h = 0; h < n + REHASH_AHEAD; h++) {
        if (h >= REHASH_AHEAD) {
            const size_t k = h - REHASH_AHEAD;
            size_t s = ahead[k % REHASH_AHEAD];
            while (slots[s])
                s = (s + 1) & (nslots - 1);
            slots[s] = (uint32_t)k + 1;
        }
        if (h < n) {
            ahead[h % REHASH_AHEAD] = slot_of(store->households[h], nslots);
            __builtin_prefetch(&slots[ahead[h % REHASH_AHEAD]], 1);
        }
    }
    am_free(store->slots);
    store->slots = slots;
    store->nslots = nslots;
    return AM_OK;
}

/* Most households a store can number: references are 32-bit, 0 is none. */
#define MAX_HOUSEHOLDS ((size_t)UINT32_MAX - 1)

/* Makes room for up to `more` new households, as many as the limit lets. */
static am_status reserve_households(am_store *store, size_t more)
{
    if (more > MAX_HOUSEHOLDS - store->nhouseholds)
        more = MAX_HOUSEHOLDS - store->nhouseholds;
    if (grow_slots(store, store->nhouseholds + more) != AM_OK ||
        !AM_RESERVE(store->households, store->households_capacity, store->nhouseholds + more))
        return AM_ERR_NOMEM;
    if (more)
        am_prefault(store->households + store->nhouseholds, more * sizeof *store->households);
    return AM_OK;
}

/* Finds or adds a token whose slot chain starts at s; room is reserved.
 * Returns its reference, or 0 when it is new and the store is full. */
static uint32_t intern_at(am_store *store, size_t s, const unsigned char token[AM_TOKEN_BYTES])
{
    while (store->slots[s]) {
        if (am_token_eq(store->households[store->slots[s] - 1], token))
            return store->slots[s];
        s = (s + 1) & (store->nslots - 1);
    }
    if (store->nhouseholds == MAX_HOUSEHOLDS)
        return 0;
    memcpy(store->households[store->nhouseholds++], token, AM_TOKEN_BYTES);
    store->slots[s] = (uint32_t)store->nhouseholds;
    return store->slots[s];
}

am_status am_store_household(am_store *store, const unsigned char token[AM_TOKEN_BYTES],
                             uint32_t *ref)
{
    const am_status st = reserve_households(store, 1);
    if (st != AM_OK)
        return st;
    *ref = intern_at(store, slot_of(token, store->nslots), token);
    return *ref ? AM_OK : AM_ERR_LIMIT;
}

/* How far ahead the slots are fetched: enough lookups in flight to hide
 * a miss to memory, few enough to stay in the L1 cache. */
#define LOOKAHEAD 16

am_status am_store_households(am_store *store, const unsigned char *tokens, size_t n,
                              uint32_t *refs)
{
    const am_status st = reserve_households(store, n);
    if (st != AM_OK)
        return st;
    /* A large table misses the cache on nearly every lookup; the slots of
     * the next LOOKAHEAD tokens are requested before they are needed, and
     * the token a slot points at halfway there. */
    size_t ahead[LOOKAHEAD];
    for (size_t i = 0; i < n + LOOKAHEAD; i++) {
        if (i >= LOOKAHEAD) {
            const size_t k = i - LOOKAHEAD;
            refs[k] = intern_at(store, ahead[k % LOOKAHEAD], tokens + k * AM_TOKEN_BYTES);
            if (!refs[k])
                return AM_ERR_LIMIT;
        }
        const size_t half = i - LOOKAHEAD / 2;
        if (i >= LOOKAHEAD / 2 && half < n) {
            const uint32_t first = store->slots[ahead[half % LOOKAHEAD]];
            if (first)
                __builtin_prefetch(store->households[first - 1]);
        }
        if (i < n) {
            ahead[i % LOOKAHEAD] = slot_of(tokens + i * AM_TOKEN_BYTES, store->nslots);
            __builtin_prefetch(&store->slots[ahead[i % LOOKAHEAD]]);
        }
    }
    return AM_OK;
}

int am_record_compare(const void *pa, const void *pb)
{
    const am_record *a = pa, *b = pb;
    const int c = am_token_cmp(a->person, b->person);
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
 * records costs no extra memory), each large bucket likewise by the next
 * byte, and each small run is then sorted on the whole key.
 * Tokens are keyed hashes, so the buckets come out evenly filled; 256 of
 * them keep every bucket's write position in cache. */
#define BUCKETS 256
/* Runs this small are sorted directly; a person's records (a few, and
 * equal in all token bytes) stop the radix passes at RADIX_DEPTH. */
#define SMALL_RUN 32
#define RADIX_DEPTH 3

/* Each bucket is written front to back, but 256 of them interleaved are
 * more streams than the hardware prefetcher follows: the place a bucket
 * will write a few records on is asked for at each write, so that it
 * is in cache when the carry chain gets there. */
#define PREFETCH_AHEAD 4

/* Asks for the place PREFETCH_AHEAD records after at, to be written.  Its
 * address is reckoned as a number: it may lie past the array. */
static inline void prefetch_ahead(const am_record *at)
{
    __builtin_prefetch((const void *)((uintptr_t)at + PREFETCH_AHEAD * sizeof *at), 1);
}

/* Distributes records[0, n) by token byte `depth` into end[0..255], each
 * one past its bucket's last record. */
static void flag_sort(am_record *r, size_t n, unsigned depth, size_t end[BUCKETS])
{
    size_t next[BUCKETS];
    memset(next, 0, sizeof next);
    for (size_t i = 0; i < n; i++)
        next[r[i].person[depth]]++;
    size_t sum = 0;
    for (unsigned b = 0; b < BUCKETS; b++) {
        const size_t count = next[b];
        next[b] = sum;
        sum += count;
        end[b] = sum;
    }
    for (unsigned b = 0; b < BUCKETS; b++) {
        while (next[b] < end[b]) {
            /* Carry the record at next[b] to its bucket, swapping out the
             * one there, until a record that belongs in b comes back. */
            am_record carried = r[next[b]];
            unsigned target = carried.person[depth];
            while (target != b) {
                const am_record displaced = r[next[target]];
                prefetch_ahead(&r[next[target]]);
                r[next[target]++] = carried;
                carried = displaced;
                target = carried.person[depth];
            }
            r[next[b]++] = carried;
        }
    }
}

/* Small runs: insertion sort, which moves each record once on average
 * and needs no buffer. */
static void insertion_sort(am_record *r, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const am_record x = r[i];
        size_t j = i;
        for (; j > 0 && am_record_compare(&r[j - 1], &x) > 0; j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

/* Sorts a run whose records agree on the first `depth` token bytes: by
 * the next byte while the run is large, then on the whole key. */
static void sort_run(am_record *r, size_t n, unsigned depth)
{
    if (n <= SMALL_RUN) {
        insertion_sort(r, n);
        return;
    }
    if (depth >= RADIX_DEPTH) {
        qsort(r, n, sizeof *r, am_record_compare);
        return;
    }
    size_t end[BUCKETS];
    flag_sort(r, n, depth, end);
    size_t start = 0;
    for (unsigned b = 0; b < BUCKETS; b++) {
        sort_run(r + start, end[b] - start, depth + 1);
        start = end[b];
    }
}

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
        sort_run(s->records + start, s->end[b] - start, 1);
        start = s->end[b];
    }
    return NULL;
}

/* The first pass on two threads.  Each bucket's place is cut in two
 * stripes, one for each thread, and each thread carries records between
 * its own stripes only, as flag_sort() does, so that no record is touched
 * by both.  A record whose bucket's stripe is already full waits at the
 * back of the stripe being settled, which shrinks by one.  Tokens are
 * keyed hashes, so what a thread finds of a bucket, over all its stripes,
 * is close to its share of it: few records wait, and they are carried to
 * their buckets afterwards, on one thread. */
typedef struct stripes {
    am_record *r;
    size_t from, to;       /* the records this thread counts */
    size_t count[BUCKETS]; /* what it counted in each bucket */
    size_t next[BUCKETS];  /* first place of its stripe of bucket b not yet settled */
    size_t end[BUCKETS];   /* where the records waiting in that stripe begin */
    size_t stop[BUCKETS];  /* the stripe's end */
} stripes;

static void *count_buckets(void *arg)
{
    stripes *s = arg;
    memset(s->count, 0, sizeof s->count);
    for (size_t i = s->from; i < s->to; i++)
        s->count[s->r[i].person[0]]++;
    return NULL;
}

static void *settle_stripes(void *arg)
{
    stripes *s = arg;
    am_record *r = s->r;
    for (unsigned b = 0; b < BUCKETS; b++) {
        while (s->next[b] < s->end[b]) {
            am_record carried = r[s->next[b]];
            unsigned target = carried.person[0];
            while (target != b) {
                size_t place;
                if (s->next[target] < s->end[target]) {
                    place = s->next[target]++;
                    prefetch_ahead(&r[place]);
                } else if ((place = --s->end[b]) == s->next[b]) {
                    break; /* the last unsettled place of b: carried waits there */
                }
                const am_record displaced = r[place];
                r[place] = carried;
                carried = displaced;
                target = carried.person[0];
            }
            r[s->next[b]] = carried;
            if (target == b)
                s->next[b]++;
        }
    }
    return NULL;
}

/* Where the waiting records of a bucket go: the waiting places of its two
 * stripes, which between them are exactly as many as its records still
 * waiting anywhere.  [at, stop) is the range being filled, then [then_at,
 * then_stop). */
typedef struct waiting_places {
    size_t at[BUCKETS], stop[BUCKETS], then_at[BUCKETS], then_stop[BUCKETS];
} waiting_places;

static int has_place(const waiting_places *w, unsigned b)
{
    return w->at[b] < w->stop[b] || w->then_at[b] < w->then_stop[b];
}

static size_t take_place(waiting_places *w, unsigned b)
{
    if (w->at[b] == w->stop[b]) {
        w->at[b] = w->then_at[b];
        w->stop[b] = w->then_stop[b];
        w->then_at[b] = w->then_stop[b];
    }
    return w->at[b]++;
}

/* flag_sort() over the waiting places only. */
static void settle_waiting(am_record *r, const stripes half[2])
{
    waiting_places w;
    for (unsigned b = 0; b < BUCKETS; b++) {
        w.at[b] = half[0].end[b];
        w.stop[b] = half[0].stop[b];
        w.then_at[b] = half[1].end[b];
        w.then_stop[b] = half[1].stop[b];
    }
    for (unsigned b = 0; b < BUCKETS; b++) {
        while (has_place(&w, b)) {
            const size_t hole = take_place(&w, b);
            am_record carried = r[hole];
            unsigned target = carried.person[0];
            while (target != b) {
                const size_t place = take_place(&w, target);
                const am_record displaced = r[place];
                r[place] = carried;
                carried = displaced;
                target = carried.person[0];
            }
            r[hole] = carried;
        }
    }
}

/* flag_sort(r, n, 0, end) on two threads. */
static void first_pass_on_two(am_record *r, size_t n, size_t end[BUCKETS])
{
    stripes half[2];
    half[0].r = half[1].r = r;
    half[0].from = 0;
    half[0].to = half[1].from = n / 2;
    half[1].to = n;
    am_run_pair(count_buckets, &half[0], &half[1], 2, n);
    size_t start = 0;
    for (unsigned b = 0; b < BUCKETS; b++) {
        const size_t count = half[0].count[b] + half[1].count[b];
        half[0].next[b] = start;
        half[0].end[b] = half[0].stop[b] = half[1].next[b] = start + count / 2;
        half[1].end[b] = half[1].stop[b] = start + count;
        start = end[b] = start + count;
    }
    am_run_pair(settle_stripes, &half[0], &half[1], 2, n);
    settle_waiting(r, half);
}

am_status am_store_sort(am_store *store, unsigned threads)
{
    const size_t n = store->count;
    if (n < 2)
        return AM_OK;
    size_t end[BUCKETS];
    am_record *r = store->records;
    if (threads > 1 && n >= AM_PAIR_MIN_ITEMS)
        first_pass_on_two(r, n, end);
    else
        flag_sort(r, n, 0, end);
    /* The buckets are independent: each thread sorts a run of them. */
    bucket_sorter halves[2] = {{r, end, 0, BUCKETS / 2}, {r, end, BUCKETS / 2, BUCKETS}};
    am_run_pair(sort_buckets, &halves[0], &halves[1], threads, n);
    return AM_OK;
}

void am_store_clear(am_store *store)
{
    store->count = 0;
    store->nhouseholds = 0;
    if (store->slots)
        memset(store->slots, 0, store->nslots * sizeof *store->slots);
}

void am_store_free(am_store *store)
{
    am_free(store->records);
    am_free(store->households);
    am_free(store->slots);
    memset(store, 0, sizeof *store);
}
