/*
 * source.c — the indexes questions read through, and the checked
 * accessors that read them (see source.h).
 */
#include "audit/source.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "audit/snapshot.h"

static int compare_keys(const void *a, const void *b)
{
    return memcmp(((const am_finding_key *)a)->id, ((const am_finding_key *)b)->id, 16);
}

/* A household token wanted, and the finding keys waiting for its ref. */
typedef struct wanted_household {
    unsigned char token[AM_TOKEN_BYTES];
    size_t key;
} wanted_household;

static int compare_wanted(const void *a, const void *b)
{
    return memcmp(((const wanted_household *)a)->token, ((const wanted_household *)b)->token,
                  AM_TOKEN_BYTES);
}

/* Finds the household refs of household-subject findings: one pass over
 * the household table, each token looked up among the few wanted. */
static am_status resolve_households(const am_store *store, am_finding_key *keys, size_t n)
{
    size_t nwanted = 0;
    for (size_t i = 0; i < n; i++)
        nwanted += keys[i].unit == 1;
    if (!nwanted)
        return AM_OK;
    wanted_household *w = am_malloc(nwanted * sizeof *w);
    if (!w)
        return AM_ERR_NOMEM;
    nwanted = 0;
    for (size_t i = 0; i < n; i++)
        if (keys[i].unit == 1) {
            memcpy(w[nwanted].token, keys[i].subject, AM_TOKEN_BYTES);
            w[nwanted++].key = i;
        }
    qsort(w, nwanted, sizeof *w, compare_wanted);
    for (size_t h = 0; h < store->nhouseholds; h++) {
        size_t lo = 0, hi = nwanted;
        while (lo < hi) {
            const size_t mid = lo + (hi - lo) / 2;
            if (memcmp(w[mid].token, store->households[h], AM_TOKEN_BYTES) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < nwanted && memcmp(w[lo].token, store->households[h], AM_TOKEN_BYTES) == 0; lo++)
            keys[w[lo].key].household = (uint32_t)h + 1;
    }
    am_free(w);
    return AM_OK;
}

void am_finding_keys_fill(const am_finding_list *findings, am_finding_key *keys)
{
    for (size_t i = 0; i < findings->count; i++) {
        const am_finding *f = &findings->v[i].pub;
        am_finding_key *k = &keys[i];
        memset(k, 0, sizeof *k);
        am_token_parse(f->id, strlen(f->id), k->id);
        am_token_parse(f->subject, strlen(f->subject), k->subject);
        k->kind = (uint8_t)f->kind;
        k->unit = strcmp(f->unit, "household") == 0;
    }
}

void am_finding_keys_sort(am_finding_key *keys, size_t n)
{
    qsort(keys, n, sizeof *keys, compare_keys);
}

am_status am_source_build(const am_store *store, const am_finding_list *findings,
                          int32_t window_start, int32_t window_end, const uint32_t *remap,
                          size_t nhouseholds, am_source *src, am_err *err)
{
    memset(src, 0, sizeof *src);
    if (store->count > UINT32_MAX || store->nhouseholds >= UINT32_MAX)
        return am_fail(err, AM_ERR_LIMIT, "more than 2^32 records");
    const size_t nh = remap ? nhouseholds : store->nhouseholds;
    src->own_first = am_calloc(nh + 2, sizeof *src->own_first);
    size_t nentries = 0;
    for (size_t i = 0; i < store->count; i++)
        nentries += store->records[i].household != 0;
    src->own_records = am_malloc((nentries ? nentries : 1) * sizeof *src->own_records);
    const size_t nf = findings->count;
    src->own_findings = am_calloc(nf ? nf : 1, sizeof *src->own_findings);
    if (!src->own_first || !src->own_records || !src->own_findings) {
        am_source_free(src);
        return am_fail(err, AM_ERR_NOMEM, "out of memory indexing records by household");
    }
    /* Counting sort by household: offsets, then fill in record order. */
    uint64_t *first = src->own_first;
#define NEW_REF(h) (remap ? remap[h] : (h))
    for (size_t i = 0; i < store->count; i++) {
        const uint32_t h = NEW_REF(store->records[i].household);
        if (h)
            first[h + 1]++;
    }
    for (size_t h = 1; h <= nh + 1; h++)
        first[h] += first[h - 1];
    for (size_t i = 0; i < store->count; i++) {
        const uint32_t h = NEW_REF(store->records[i].household);
        if (h)
            src->own_records[first[h]++] = (uint32_t)i;
    }
    /* first[h] now holds where h + 1 starts: shift back. */
    for (size_t h = nh + 1; h > 0; h--)
        first[h] = first[h - 1];
    first[0] = 0;
    am_finding_keys_fill(findings, src->own_findings);
    if (resolve_households(store, src->own_findings, nf) != AM_OK) {
        am_source_free(src);
        return am_fail(err, AM_ERR_NOMEM, "out of memory indexing findings");
    }
    for (size_t i = 0; remap && i < nf; i++)
        src->own_findings[i].household = NEW_REF(src->own_findings[i].household);
#undef NEW_REF
    am_finding_keys_sort(src->own_findings, nf);
    src->records = store->records;
    src->nrecords = store->count;
    src->households = remap ? NULL : (const unsigned char *)store->households;
    src->nhouseholds = nh;
    src->hh_first = src->own_first;
    src->hh_records = src->own_records;
    src->nentries = nentries;
    src->findings = src->own_findings;
    src->nfindings = nf;
    src->window_start = window_start;
    src->window_end = window_end;
    return AM_OK;
}

void am_source_free(am_source *src)
{
    am_free(src->own_first);
    am_free(src->own_records);
    am_free(src->own_findings);
    memset(src, 0, sizeof *src);
}

static am_status corrupt(am_err *err, const am_source *src, const char *what)
{
    return am_fail(err, AM_ERR_FORMAT, "%s: corrupt snapshot: %s",
                   src->snap && src->snap->path ? src->snap->path : "store", what);
}

am_status am_source_records(am_source *src, size_t first, size_t n, am_err *err)
{
    if (first > src->nrecords || n > src->nrecords - first)
        return corrupt(err, src, "a record index out of range");
    if (!src->snap || n == 0)
        return AM_OK;
    return am_snapshot_need(src->snap, AM_SEC_RECORDS, (uint64_t)first * sizeof(am_record),
                            (uint64_t)n * sizeof(am_record), err);
}

am_status am_source_household(am_source *src, uint32_t ref, am_err *err)
{
    if (ref == 0 || ref > src->nhouseholds)
        return corrupt(err, src, "a household reference out of range");
    if (!src->snap)
        return AM_OK;
    return am_snapshot_need(src->snap, AM_SEC_HOUSEHOLDS, (uint64_t)(ref - 1) * AM_TOKEN_BYTES,
                            AM_TOKEN_BYTES, err);
}

am_status am_source_members(am_source *src, uint32_t ref, const uint32_t **idx, size_t *n,
                            am_err *err)
{
    *idx = NULL;
    *n = 0;
    if (ref == 0 || ref > src->nhouseholds)
        return corrupt(err, src, "a household reference out of range");
    am_status st = AM_OK;
    if (src->snap)
        st = am_snapshot_need(src->snap, AM_SEC_HH_FIRST, (uint64_t)ref * sizeof(uint64_t),
                              2 * sizeof(uint64_t), err);
    if (st != AM_OK)
        return st;
    const uint64_t a = src->hh_first[ref], b = src->hh_first[ref + 1];
    if (a > b || b > src->nentries)
        return corrupt(err, src, "records by household out of order");
    if (src->snap && b > a)
        st = am_snapshot_need(src->snap, AM_SEC_HH_RECORDS, a * sizeof(uint32_t),
                              (b - a) * sizeof(uint32_t), err);
    if (st != AM_OK)
        return st;
    *idx = src->hh_records + a;
    *n = (size_t)(b - a);
    return AM_OK;
}

am_status am_source_person(am_source *src, const unsigned char token[AM_TOKEN_BYTES],
                           size_t *begin, size_t *end, am_err *err)
{
    size_t lo = 0, hi = src->nrecords;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const am_status st = am_source_records(src, mid, 1, err);
        if (st != AM_OK)
            return st;
        if (memcmp(src->records[mid].person, token, AM_TOKEN_BYTES) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t last = lo;
    for (;;) {
        if (last >= src->nrecords)
            break;
        const am_status st = am_source_records(src, last, 1, err);
        if (st != AM_OK)
            return st;
        if (memcmp(src->records[last].person, token, AM_TOKEN_BYTES) != 0)
            break;
        last++;
    }
    *begin = lo;
    *end = last;
    return AM_OK;
}

am_status am_source_run_around(am_source *src, size_t i, size_t *begin, size_t *end, am_err *err)
{
    am_status st = am_source_records(src, i, 1, err);
    if (st != AM_OK)
        return st;
    const unsigned char *token = src->records[i].person;
    size_t b = i, e = i + 1;
    while (b > 0) {
        if ((st = am_source_records(src, b - 1, 1, err)) != AM_OK)
            return st;
        if (memcmp(src->records[b - 1].person, token, AM_TOKEN_BYTES) != 0)
            break;
        b--;
    }
    while (e < src->nrecords) {
        if ((st = am_source_records(src, e, 1, err)) != AM_OK)
            return st;
        if (memcmp(src->records[e].person, token, AM_TOKEN_BYTES) != 0)
            break;
        e++;
    }
    *begin = b;
    *end = e;
    return AM_OK;
}

const am_finding_key *am_source_finding(const am_source *src, const unsigned char id[16])
{
    size_t lo = 0, hi = src->nfindings;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = memcmp(src->findings[mid].id, id, 16);
        if (c == 0)
            return &src->findings[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
