/*
 * facts.c — evidence records and facts fingerprints (see facts.h).
 *
 * A finding keeps its evidence as text ("feed:line;..."), which is what
 * findings.csv shows; the records behind it are found again with one pass
 * over the store and a hash table of the (feed, line) pairs wanted, so no
 * per-record index of the whole store is ever built.
 */
#include "match/facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "common/alloc.h"
#include "store/area.h"
#include "common/day.h"
#include "common/thread_pair.h"

int am_evidence_next(const am_match_input *in, const char **cursor, uint16_t *feed, uint32_t *line)
{
    const char *p = *cursor;
    while (*p) {
        const char *end = strchr(p, ';');
        if (!end)
            end = p + strlen(p);
        const char *colon = end;
        while (colon > p && colon[-1] != ':')
            colon--;
        *cursor = *end ? end + 1 : end;
        if (colon > p) {
            const size_t name_len = (size_t)(colon - 1 - p);
            unsigned long v = 0;
            int digits = colon < end;
            for (const char *q = colon; q < end; q++) {
                digits &= *q >= '0' && *q <= '9';
                v = v * 10 + (unsigned long)(*q - '0');
                if (v > UINT32_MAX)
                    digits = 0;
            }
            for (size_t i = 0; digits && i < in->nfeeds; i++) {
                const char *name = in->feeds[i]->name;
                if (strlen(name) == name_len && memcmp(name, p, name_len) == 0) {
                    *feed = (uint16_t)i;
                    *line = (uint32_t)v;
                    return 1;
                }
            }
        }
        p = *cursor;
    }
    return 0;
}

static uint64_t key_of(uint16_t feed, uint32_t line)
{
    return ((uint64_t)feed << 32 | line) + 1;
}

static size_t slot_of(uint64_t key, size_t nslots)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (nslots - 1);
}

static am_evidence_slot *lookup(const am_evidence_index *ix, uint64_t key)
{
    size_t s = slot_of(key, ix->nslots);
    while (ix->slots[s].key && ix->slots[s].key != key)
        s = (s + 1) & (ix->nslots - 1);
    return &ix->slots[s];
}

/* Nearly every record is evidence of nothing.  A bit per key hash, few
 * enough bits to stay in cache, turns most of them away before the slot
 * table (which does not fit) is probed. */
typedef struct evidence_filter {
    uint64_t *bits;
    unsigned shift; /* 64 - log2 of the number of bits */
} evidence_filter;

static uint64_t filter_bit(const evidence_filter *f, uint64_t key)
{
    return (key * 0xD6E8FEB86659FD93ull) >> f->shift;
}

static int filter_may_hold(const evidence_filter *f, uint64_t key)
{
    const uint64_t b = filter_bit(f, key);
    return f->bits[b / 64] >> (b % 64) & 1;
}

typedef struct evidence_scan {
    const am_evidence_index *ix;
    const evidence_filter *filter;
    const am_record *records;
    size_t begin, end;
} evidence_scan;

static void *scan_records(void *arg)
{
    const evidence_scan *scan = arg;
    for (size_t i = scan->begin; i < scan->end; i++) {
        const am_record *r = &scan->records[i];
        const uint64_t key = key_of(r->feed, r->line);
        if (!filter_may_hold(scan->filter, key))
            continue;
        am_evidence_slot *s = lookup(scan->ix, key);
        if (s->key)
            s->rec = r;
    }
    return NULL;
}

am_status am_evidence_index_build(const am_match_input *in, const am_finding_list *findings,
                                  const size_t *which, size_t n, am_evidence_index *ix)
{
    memset(ix, 0, sizeof *ix);
    if (!which)
        n = findings->count;
    size_t refs = 0;
    for (size_t k = 0; k < n; k++) {
        const char *e = findings->v[which ? which[k] : k].pub.evidence;
        refs += 1;
        for (; *e; e++)
            refs += *e == ';';
    }
    size_t nslots = 16;
    while (nslots < refs * 2)
        nslots *= 2;
    ix->slots = am_calloc(nslots, sizeof *ix->slots);
    if (!ix->slots)
        return AM_ERR_NOMEM;
    ix->nslots = nslots;
    /* Eight bits a key, up to 2^24 bits (2 MiB, for two million keys):
     * below the cap, about one record in eight that is no evidence gets
     * past the filter to the table. */
    evidence_filter filter = {NULL, 64 - 12};
    while (filter.shift > 40 && ((uint64_t)1 << (64 - filter.shift)) < refs * 8)
        filter.shift--;
    filter.bits = am_calloc(((size_t)1 << (64 - filter.shift)) / 64, sizeof *filter.bits);
    if (!filter.bits) {
        am_evidence_index_free(ix);
        return AM_ERR_NOMEM;
    }
    for (size_t k = 0; k < n; k++) {
        const char *cursor = findings->v[which ? which[k] : k].pub.evidence;
        uint16_t feed;
        uint32_t line;
        while (am_evidence_next(in, &cursor, &feed, &line)) {
            const uint64_t key = key_of(feed, line), b = filter_bit(&filter, key);
            lookup(ix, key)->key = key;
            filter.bits[b / 64] |= (uint64_t)1 << (b % 64);
        }
    }
    /* The pass over the store is split between threads: no two records
     * share a (feed, line), so each slot is written by one of them. */
    const size_t half = in->store->count / 2;
    evidence_scan halves[2] = {{ix, &filter, in->store->records, 0, half},
                               {ix, &filter, in->store->records, half, in->store->count}};
    am_run_pair(scan_records, &halves[0], &halves[1], in->threads, in->store->count);
    am_free(filter.bits);
    return AM_OK;
}

const am_record *am_evidence_find(const am_evidence_index *ix, uint16_t feed, uint32_t line)
{
    if (!ix->nslots)
        return NULL;
    return lookup(ix, key_of(feed, line))->rec;
}

void am_evidence_index_free(am_evidence_index *ix)
{
    am_free(ix->slots);
    memset(ix, 0, sizeof *ix);
}

static int compare_hashes(const void *a, const void *b) { return memcmp(a, b, 16); }

static int compare_areas(const void *pa, const void *pb)
{
    const uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

static void put_u64(XXH3_state_t *st, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    XXH3_128bits_update(st, b, sizeof b);
}

static void put_str(XXH3_state_t *st, const char *s)
{
    XXH3_128bits_update(st, s, strlen(s) + 1); /* with its NUL: a separator */
}

static void hash_record(const am_match_input *in, const am_record *r, unsigned char out[16])
{
    XXH3_state_t st;
    XXH3_INITSTATE(&st);
    XXH3_128bits_reset(&st);
    put_str(&st, in->feeds[r->feed]->name);
    XXH3_128bits_update(&st, r->person, sizeof r->person);
    if (r->household)
        XXH3_128bits_update(&st, in->store->households[r->household - 1], AM_TOKEN_BYTES);
    else
        XXH3_128bits_update(&st, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", AM_TOKEN_BYTES);
    put_str(&st, am_code_name(in->catalogue, r->code));
    put_u64(&st, (uint64_t)(int64_t)r->start);
    put_u64(&st, (uint64_t)(int64_t)r->end);
    put_u64(&st, (uint64_t)r->amount_fen);
    put_u64(&st, r->value);
    const XXH128_hash_t h = XXH3_128bits_digest(&st);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    memcpy(out, c.digest, 16);
}

am_status am_facts_of(const am_match_input *in, const am_evidence_index *ix, const am_finding *f,
                      am_facts_scratch *scratch, char out[33], uint32_t *area)
{
    size_t n = 1;
    for (const char *e = f->evidence; *e; e++)
        n += *e == ';';
    /* Both arrays grow alike from the one capacity, which moves only once
     * both have. */
    size_t hashes_capacity = scratch->capacity;
    if (!AM_RESERVE(scratch->hashes, hashes_capacity, n) ||
        !AM_RESERVE(scratch->areas, scratch->capacity, n))
        return AM_ERR_NOMEM;
    size_t nh = 0, na = 0;
    const char *cursor = f->evidence;
    uint16_t feed;
    uint32_t line;
    while (nh < n && am_evidence_next(in, &cursor, &feed, &line)) {
        const am_record *r = am_evidence_find(ix, feed, line);
        if (r) {
            hash_record(in, r, scratch->hashes[nh++]);
            const uint32_t a = am_area_of(r);
            if (a)
                scratch->areas[na++] = a;
        } else {
            /* Not in the store (cannot happen for a finding of this run):
             * the reference itself stands for the record. */
            char ref[96];
            snprintf(ref, sizeof ref, "%s:%u", in->feeds[feed]->name, (unsigned)line);
            XXH128_canonical_t c;
            XXH128_canonicalFromHash(&c, XXH3_128bits(ref, strlen(ref)));
            memcpy(scratch->hashes[nh++], c.digest, 16);
        }
    }
    qsort(scratch->hashes, nh, sizeof *scratch->hashes, compare_hashes);
    XXH3_state_t st;
    XXH3_INITSTATE(&st);
    XXH3_128bits_reset(&st);
    put_str(&st, am_kind_name(f->kind));
    put_str(&st, f->period_start);
    put_str(&st, f->period_end);
    put_u64(&st, (uint64_t)f->overlap_days);
    put_u64(&st, (uint64_t)f->amount_fen);
    XXH3_128bits_update(&st, scratch->hashes, nh * sizeof *scratch->hashes);
    const XXH128_hash_t h = XXH3_128bits_digest(&st);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
    *area = 0;
    if (na) {
        qsort(scratch->areas, na, sizeof *scratch->areas, compare_areas);
        size_t best = 0, run = 0;
        for (size_t i = 0; i < na; i++) {
            run = i > 0 && scratch->areas[i] == scratch->areas[i - 1] ? run + 1 : 1;
            if (run > best) {
                best = run;
                *area = scratch->areas[i];
            }
        }
    }
    return AM_OK;
}

void am_facts_scratch_free(am_facts_scratch *scratch)
{
    am_free(scratch->hashes);
    am_free(scratch->areas);
    memset(scratch, 0, sizeof *scratch);
}
