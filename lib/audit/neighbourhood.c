/*
 * neighbourhood.c — gathering a neighbourhood and recomputing its
 * findings (see neighbourhood.h).
 *
 * Persons are runs of the sorted store and are marked in a set of record
 * indexes, households in a set of refs.  One person's neighbourhood (the
 * window's check, an auditor's question) keeps them in hash tables, so
 * that it costs what it gathers whatever the county's size; a gathering
 * by codes, which may take half the county, keeps them as bitmaps.
 */
#include "audit/neighbourhood.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/index_set.h"
#include "match/household.h"
#include "match/match.h"

typedef struct run {
    size_t begin, end;
} run;

typedef struct builder {
    am_source *src;
    am_err *err;
    am_index_set listed; /* records whose person is gathered (N2) */
    am_index_set near;   /* records whose person is in N1 */
    am_index_set hh;     /* household refs gathered */
    run *runs;          /* gathered persons, in the order found */
    size_t nruns, capruns;
    uint32_t *refs;     /* gathered households, in the order found */
    size_t nrefs, caprefs;
    size_t nrecords, max_records;
    int too_big;
} builder;

static am_status nomem(am_err *err)
{
    return am_fail(err, AM_ERR_NOMEM, "out of memory gathering records");
}

static am_status list_run(builder *b, size_t begin, size_t end)
{
    if (begin >= end || am_index_set_has(&b->listed, begin))
        return AM_OK;
    if (b->nrecords + (end - begin) > b->max_records) {
        b->too_big = 1;
        return AM_OK;
    }
    for (size_t i = begin; i < end; i++)
        if (!am_index_set_add(&b->listed, i))
            return nomem(b->err);
    b->nrecords += end - begin;
    return AM_PUSH(b->runs, b->nruns, b->capruns, ((run){begin, end})) ? AM_OK : nomem(b->err);
}

static am_status list_household(builder *b, uint32_t ref)
{
    if (ref == 0 || ref > b->src->nhouseholds)
        return am_source_household(b->src, ref, b->err); /* names the corruption */
    if (am_index_set_has(&b->hh, ref))
        return AM_OK;
    if (!am_index_set_add(&b->hh, ref))
        return nomem(b->err);
    return AM_PUSH(b->refs, b->nrefs, b->caprefs, ref) ? AM_OK : nomem(b->err);
}

/* Lists the households of the records of runs [from, to). */
static am_status households_of(builder *b, size_t from, size_t to)
{
    for (size_t r = from; r < to; r++)
        for (size_t i = b->runs[r].begin; i < b->runs[r].end; i++) {
            const uint32_t h = b->src->records[i].household;
            const am_status st = h ? list_household(b, h) : AM_OK;
            if (st != AM_OK)
                return st;
        }
    return AM_OK;
}

/* Lists everyone with a record in households refs[from ..). */
static am_status members_of(builder *b, size_t from)
{
    for (size_t h = from; h < b->nrefs && !b->too_big; h++) {
        const uint32_t *idx;
        size_t n;
        am_status st = am_source_members(b->src, b->refs[h], &idx, &n, b->err);
        for (size_t k = 0; st == AM_OK && k < n && !b->too_big; k++) {
            if (am_index_set_has(&b->listed, idx[k]))
                continue;
            size_t begin, end;
            if ((st = am_source_run_around(b->src, idx[k], &begin, &end, b->err)) == AM_OK)
                st = list_run(b, begin, end);
        }
        if (st != AM_OK)
            return st;
    }
    return AM_OK;
}

static int compare_tokens(const void *a, const void *b) { return memcmp(a, b, AM_TOKEN_BYTES); }

/* From the seeds already listed: H1, N1, H2, N2; then the copy. */
static am_status expand_and_copy(builder *b, am_hood *hood)
{
    am_source *src = b->src;
    am_status st = households_of(b, 0, b->nruns);
    const size_t nh1 = b->nrefs;
    if (st == AM_OK)
        st = members_of(b, 0);
    const size_t nn1 = b->nruns;
    if (st == AM_OK)
        st = households_of(b, 0, nn1);
    if (st == AM_OK)
        st = members_of(b, nh1);
    if (st != AM_OK || b->too_big)
        return st;
    for (size_t r = 0; r < nn1; r++)
        for (size_t i = b->runs[r].begin; i < b->runs[r].end; i++)
            if (!am_index_set_add(&b->near, i))
                return nomem(b->err);
    /* Every gathered record, in store order. */
    if (nn1 && !(hood->near = am_malloc(nn1 * sizeof *hood->near)))
        return nomem(b->err);
    const unsigned char *previous = NULL;
    size_t at = 0, i;
    while (st == AM_OK && am_index_set_next(&b->listed, &at, &i)) {
        am_record r = src->records[i];
        const int starts = !previous || memcmp(previous, r.person, AM_TOKEN_BYTES) != 0;
        previous = src->records[i].person;
        if (starts && hood->nnear && hood->near[hood->nnear - 1].end == SIZE_MAX)
            hood->near[hood->nnear - 1].end = hood->store.count;
        if (starts && am_index_set_has(&b->near, i)) {
            am_hood_person *p = &hood->near[hood->nnear++];
            memcpy(p->token, r.person, AM_TOKEN_BYTES);
            p->begin = hood->store.count;
            p->end = SIZE_MAX;
        }
        if (r.household) {
            if ((st = am_source_household(src, r.household, b->err)) != AM_OK)
                break;
            if (am_store_household(&hood->store, am_source_household_token(src, r.household),
                                   &r.household) != AM_OK) {
                st = nomem(b->err);
                break;
            }
        }
        if (am_store_append(&hood->store, &r, 1) != AM_OK)
            st = nomem(b->err);
    }
    if (hood->nnear && hood->near[hood->nnear - 1].end == SIZE_MAX)
        hood->near[hood->nnear - 1].end = hood->store.count;
    /* H1 by token, for telling whose findings are whole. */
    if (st == AM_OK && nh1 && !(hood->focus = am_malloc(nh1 * sizeof *hood->focus)))
        st = nomem(b->err);
    for (size_t h = 0; st == AM_OK && h < nh1; h++) {
        if ((st = am_source_household(src, b->refs[h], b->err)) == AM_OK)
            memcpy(hood->focus[hood->nfocus++], am_source_household_token(src, b->refs[h]),
                   AM_TOKEN_BYTES);
    }
    if (st == AM_OK && hood->nfocus > 1)
        qsort(hood->focus, hood->nfocus, sizeof *hood->focus, compare_tokens);
    return st;
}

/* Dense sets for a gathering that may take a good share of the county. */
static am_status builder_init(builder *b, am_source *src, size_t max_records, int dense,
                              am_err *err)
{
    memset(b, 0, sizeof *b);
    b->src = src;
    b->err = err;
    b->max_records = max_records;
    const int ok = am_index_set_init(&b->listed, src->nrecords, dense) &
                   am_index_set_init(&b->near, src->nrecords, dense) &
                   am_index_set_init(&b->hh, src->nhouseholds + 1, dense);
    return ok ? AM_OK : nomem(err);
}

static void builder_free(builder *b)
{
    am_index_set_free(&b->listed);
    am_index_set_free(&b->near);
    am_index_set_free(&b->hh);
    am_free(b->runs);
    am_free(b->refs);
}

static am_status gather(builder *b, am_hood *hood, am_status st)
{
    if (st == AM_OK && !b->too_big)
        st = expand_and_copy(b, hood);
    if (st != AM_OK || b->too_big)
        am_hood_free(hood);
    builder_free(b);
    return st;
}

am_status am_hood_gather(am_source *src, const unsigned char *person, uint32_t household,
                         am_hood *hood, am_err *err)
{
    memset(hood, 0, sizeof *hood);
    builder b;
    am_status st = builder_init(&b, src, SIZE_MAX, 0, err);
    if (st == AM_OK && person) {
        size_t begin, end;
        if ((st = am_source_person(src, person, &begin, &end, err)) == AM_OK)
            st = list_run(&b, begin, end);
    }
    if (st == AM_OK && household)
        st = list_household(&b, household);
    return gather(&b, hood, st);
}

am_status am_hood_gather_codes(am_source *src, const am_catalogue *cat, const uint8_t *codes,
                               size_t max_records, am_hood *hood, int *too_big, am_err *err)
{
    memset(hood, 0, sizeof *hood);
    *too_big = 0;
    builder b;
    am_status st = builder_init(&b, src, max_records, 1, err);
    const am_record *r = src->records;
    const size_t n = src->nrecords;
    for (size_t i = 0; st == AM_OK && i < n && !b.too_big;) {
        size_t j = i;
        int holds = 0;
        for (; j < n && memcmp(r[j].person, r[i].person, AM_TOKEN_BYTES) == 0; j++) {
            if (!codes[r[j].code])
                continue;
            holds = 1;
            /* A household item is held by every member of the household. */
            if (r[j].household && am_code_is_item(cat, r[j].code) &&
                cat->items[r[j].code].unit == AM_UNIT_HOUSEHOLD &&
                (st = list_household(&b, r[j].household)) != AM_OK)
                break;
        }
        if (st == AM_OK && holds)
            st = list_run(&b, i, j);
        i = j;
    }
    /* The households were seeds: their members join N1 through H1. */
    st = gather(&b, hood, st);
    *too_big = b.too_big;
    return st;
}

int am_hood_near(const am_hood *hood, const unsigned char token[AM_TOKEN_BYTES])
{
    size_t lo = 0, hi = hood->nnear;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = memcmp(hood->near[mid].token, token, AM_TOKEN_BYTES);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int am_hood_focus(const am_hood *hood, const unsigned char token[AM_TOKEN_BYTES])
{
    return hood->nfocus &&
           bsearch(token, hood->focus, hood->nfocus, sizeof *hood->focus, compare_tokens) != NULL;
}

am_status am_hood_findings(const am_match_input *whole, am_hood *hood, const am_rules *rules,
                           int32_t window_start, int32_t window_end, unsigned threads,
                           am_finding_list *out)
{
    memset(out, 0, sizeof *out);
    /* The run's catalogue, feeds and death lag over the small store, with
     * these rules. */
    am_match_input in = *whole;
    in.store = &hood->store;
    in.rules = rules;
    am_household_index index;
    am_status st = am_households_build(&hood->store, in.catalogue, rules, &index, threads);
    if (st == AM_OK) {
        st = am_match_all(&in, &index, window_start, window_end, threads, out);
        am_households_free(&index);
    }
    return st;
}

void am_hood_free(am_hood *hood)
{
    am_store_free(&hood->store);
    am_free(hood->near);
    am_free(hood->focus);
    memset(hood, 0, sizeof *hood);
}
