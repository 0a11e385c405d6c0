/*
 * household.c — claim households and the claims index (see household.h).
 */
#include "household.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static int fact_code(const am_catalogue *cat, const char *name)
{
    const int fact = am_catalogue_fact(cat, name, strlen(name));
    return fact < 0 ? -1 : (int)am_code_of_fact(cat, (unsigned)fact);
}

int am_hukou_code(const am_catalogue *cat) { return fact_code(cat, "HUKOU"); }
int am_death_code(const am_catalogue *cat) { return fact_code(cat, "DEATH"); }

/* Assigns claim households within one person's run of records. */
static void assign_claims(const am_catalogue *cat, am_record *begin, am_record *end, int hukou)
{
    for (am_record *r = begin; r < end; r++) {
        if (r->household || !am_code_is_item(cat, r->code))
            continue;
        /* Records are sorted by code, so the hukou records are one run;
         * the scan is short (a person has few). */
        for (const am_record *h = begin; h < end; h++)
            if (h->code == hukou && h->household && h->start <= r->start && r->start <= h->end) {
                r->household = h->household;
                break;
            }
    }
}

static int compare_claims(const void *pa, const void *pb)
{
    const am_record *a = *(const am_record *const *)pa, *b = *(const am_record *const *)pb;
    if (a->household != b->household)
        return a->household < b->household ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->code != b->code)
        return a->code < b->code ? -1 : 1;
    const int c = memcmp(a->person, b->person, AM_TOKEN_BYTES);
    if (c)
        return c;
    if (a->feed != b->feed)
        return a->feed < b->feed ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* Lists records by household with a counting sort: offsets[h] ends up at
 * the first record of household ref h. */
static am_status bucket(const am_record *records, size_t n,
                        int (*wanted)(const am_record *, const void *), const void *arg,
                        size_t nrefs, const am_record ***out, size_t *count, size_t **offsets)
{
    *count = 0;
    for (size_t i = 0; i < n; i++)
        *count += wanted(&records[i], arg);
    *out = am_malloc((*count ? *count : 1) * sizeof **out);
    *offsets = am_calloc(nrefs + 1, sizeof **offsets);
    if (!*out || !*offsets)
        return AM_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (wanted(&records[i], arg))
            (*offsets)[records[i].household + 1]++;
    for (size_t h = 1; h <= nrefs; h++)
        (*offsets)[h] += (*offsets)[h - 1];
    size_t *fill = am_malloc((nrefs + 1) * sizeof *fill);
    if (!fill)
        return AM_ERR_NOMEM;
    memcpy(fill, *offsets, (nrefs + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        if (wanted(&records[i], arg))
            (*out)[fill[records[i].household]++] = &records[i];
    am_free(fill);
    return AM_OK;
}

/* A payment with a claim household. */
static int is_claim(const am_record *r, const void *cat)
{
    return r->household && am_code_is_item(cat, r->code);
}

/* A claim of a household-unit item: what every member holds. */
static int is_shared_claim(const am_record *r, const void *catalogue)
{
    const am_catalogue *cat = catalogue;
    return is_claim(r, cat) && cat->items[r->code].unit == AM_UNIT_HOUSEHOLD;
}

static int is_member_record(const am_record *r, const void *hukou)
{
    return r->household && r->code == *(const int *)hukou;
}

am_status am_households_build(am_ctx *ctx, am_household_index *index)
{
    memset(index, 0, sizeof *index);
    const am_catalogue *cat = &ctx->catalogue;
    am_record *records = ctx->store.records;
    const size_t n = ctx->store.count;
    const int hukou = am_hukou_code(cat);
    if (hukou >= 0) {
        for (size_t i = 0; i < n;) {
            size_t j = i + 1;
            while (j < n && memcmp(records[j].person, records[i].person, AM_TOKEN_BYTES) == 0)
                j++;
            assign_claims(cat, &records[i], &records[j], hukou);
            i = j;
        }
    }
    index->nrefs = ctx->store.nhouseholds + 1;
    /* Bucketed by household in one counting pass; each household's few
     * claims are then put in date order. */
    if (bucket(records, n, is_claim, cat, index->nrefs, &index->claims, &index->nclaims,
               &index->first) != AM_OK ||
        bucket(records, n, is_shared_claim, cat, index->nrefs, &index->shared, &index->nshared,
               &index->first_shared) != AM_OK ||
        bucket(records, n, is_member_record, &hukou, index->nrefs, &index->members,
               &index->nmembers, &index->first_member) != AM_OK) {
        am_households_free(index);
        return AM_ERR_NOMEM;
    }
    for (size_t h = 1; h < index->nrefs; h++) {
        const size_t count = index->first[h + 1] - index->first[h];
        if (count > 1)
            qsort(index->claims + index->first[h], count, sizeof *index->claims, compare_claims);
    }
    return AM_OK;
}

void am_person_records(const am_store *store, const unsigned char token[AM_TOKEN_BYTES],
                       const am_record **begin, const am_record **end)
{
    size_t lo = 0, hi = store->count;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (memcmp(store->records[mid].person, token, AM_TOKEN_BYTES) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t last = lo;
    while (last < store->count && memcmp(store->records[last].person, token, AM_TOKEN_BYTES) == 0)
        last++;
    *begin = store->records + lo;
    *end = store->records + last;
}

void am_households_free(am_household_index *index)
{
    am_free(index->claims);
    am_free(index->first);
    am_free(index->shared);
    am_free(index->first_shared);
    am_free(index->members);
    am_free(index->first_member);
    memset(index, 0, sizeof *index);
}
