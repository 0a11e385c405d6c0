/*
 * household.c — claim households and the claims index (see household.h).
 */
#define _GNU_SOURCE /* qsort_r: the claims sort needs the store */
#include "match/household.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/thread_pair.h"

static int fact_code(const am_catalogue *cat, const char *name)
{
    const int fact = am_catalogue_fact(cat, name, strlen(name));
    return fact < 0 ? -1 : (int)am_code_of_fact(cat, (unsigned)fact);
}

int am_hukou_code(const am_catalogue *cat) { return fact_code(cat, "HUKOU"); }
int am_death_code(const am_catalogue *cat) { return fact_code(cat, "DEATH"); }

uint32_t am_hukou_household_on(const am_record *begin, const am_record *end, int hukou,
                               int32_t day)
{
    /* Records are sorted by code, so the hukou records are one run; the
     * scan is short (a person has few). */
    for (const am_record *h = begin; h < end; h++)
        if (h->code == hukou && h->household && h->start <= day && day <= h->end)
            return h->household;
    return 0;
}

/* Assigns claim households within one person's run of records.  Only a
 * record that gains one is written: a snapshot's records are a read-only
 * mapping, which this pass must leave untouched. */
static void assign_claims(const am_catalogue *cat, am_record *begin, am_record *end, int hukou)
{
    for (am_record *r = begin; r < end; r++) {
        if (r->household || !am_code_is_item(cat, r->code))
            continue;
        const uint32_t household = am_hukou_household_on(begin, end, hukou, r->start);
        if (household)
            r->household = household;
    }
}

static int compare_claims(const void *pa, const void *pb, void *records)
{
    const am_record *base = records;
    const am_record *a = &base[*(const uint32_t *)pa], *b = &base[*(const uint32_t *)pb];
    if (a->household != b->household)
        return a->household < b->household ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->code != b->code)
        return a->code < b->code ? -1 : 1;
    const int c = am_token_cmp(a->person, b->person);
    if (c)
        return c;
    if (a->feed != b->feed)
        return a->feed < b->feed ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* Most households have a handful of claims: insertion sort them, and
 * leave the rare large one to qsort_r. */
static void sort_claims(uint32_t *claims, size_t n, am_record *records)
{
    if (n > 16) {
        qsort_r(claims, n, sizeof *claims, compare_claims, records);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        const uint32_t x = claims[i];
        size_t j = i;
        for (; j > 0 && compare_claims(&claims[j - 1], &x, records) > 0; j--)
            claims[j] = claims[j - 1];
        claims[j] = x;
    }
}

/* A list of the wanted records, household by household: items[first[h],
 * first[h + 1]) are household ref h's, in store order.  put writes item
 * k of size bytes for the record at store position pos: the position
 * alone, or what a matcher reads of the record, written while the pass
 * has the record at hand rather than fetched again in household order. */
typedef struct household_list {
    int (*wanted)(const am_record *, const void *filter);
    void (*put)(void *items, size_t k, uint32_t pos, const am_record *r);
    size_t size;
    void *items;     /* out, with count and first; whatever was allocated, */
    size_t count;    /* even when building failed */
    uint32_t *first;
} household_list;

static void put_position(void *items, size_t k, uint32_t pos, const am_record *r)
{
    (void)r;
    ((uint32_t *)items)[k] = pos;
}

static void put_shared_claim(void *items, size_t k, uint32_t pos, const am_record *r)
{
    ((am_shared_claim *)items)[k] = (am_shared_claim){pos, r->code, r->start, r->end};
}

/* Builds lists[0..nlists) with one counting sort, all of them in the same
 * two passes over the store: the store is far larger than any cache, so
 * it is the passes that cost, not the filters. */
static am_status bucket(const am_record *records, uint32_t n, const void *filter, size_t nrefs,
                        household_list *lists, size_t nlists)
{
    for (size_t l = 0; l < nlists; l++) {
        lists[l].items = NULL;
        if (!(lists[l].first = am_calloc(nrefs + 1, sizeof *lists[l].first)))
            return AM_ERR_NOMEM;
        am_prefault(lists[l].first, (nrefs + 1) * sizeof *lists[l].first);
    }
    for (uint32_t i = 0; i < n; i++)
        for (size_t l = 0; l < nlists; l++)
            if (lists[l].wanted(&records[i], filter))
                lists[l].first[records[i].household]++;
    for (size_t l = 0; l < nlists; l++) {
        /* first[h] becomes the end of household h's items; the pass below
         * steps each back to its start.  first[nrefs] is the total. */
        uint32_t *first = lists[l].first;
        for (size_t h = 1; h <= nrefs; h++)
            first[h] += first[h - 1];
        lists[l].count = first[nrefs];
        if (!(lists[l].items = am_malloc((first[nrefs] ? first[nrefs] : 1) * lists[l].size)))
            return AM_ERR_NOMEM;
        am_prefault(lists[l].items, first[nrefs] * lists[l].size);
    }
    for (uint32_t i = n; i-- > 0;)
        for (size_t l = 0; l < nlists; l++)
            if (lists[l].wanted(&records[i], filter))
                lists[l].put(lists[l].items, --lists[l].first[records[i].household], i,
                             &records[i]);
    return AM_OK;
}

/* What the lists are made of. */
typedef struct list_filter {
    const am_catalogue *cat;
    const uint64_t *claimed; /* bit per code a household_unique rule names */
    int hukou;
} list_filter;

/* A payment with a claim household, of an item some household rule
 * counts claims of: no other claim is ever looked at through the list. */
static int is_claim(const am_record *r, const void *filter)
{
    const list_filter *f = filter;
    return r->household && am_code_is_item(f->cat, r->code) &&
           (f->claimed[r->code / 64] >> (r->code % 64) & 1);
}

/* A claim of a household-unit item: what every member holds. */
static int is_shared_claim(const am_record *r, const void *filter)
{
    const am_catalogue *cat = ((const list_filter *)filter)->cat;
    return r->household && am_code_is_item(cat, r->code) &&
           cat->items[r->code].unit == AM_UNIT_HOUSEHOLD;
}

static int is_member_record(const am_record *r, const void *filter)
{
    return r->household && r->code == ((const list_filter *)filter)->hukou;
}

/* Assigns claim households for the persons in records[begin, end). */
typedef struct claim_assigner {
    const am_catalogue *cat;
    am_record *records;
    uint32_t begin, end;
    int hukou;
} claim_assigner;

static void *assign_range(void *arg)
{
    const claim_assigner *a = arg;
    for (size_t i = a->begin; i < a->end;) {
        const size_t j = am_person_run_end(a->records, a->end, i);
        assign_claims(a->cat, &a->records[i], &a->records[j], a->hukou);
        i = j;
    }
    return NULL;
}

/* The three lists are independent of each other: one thread can build
 * the claims (and sort them) while another builds the other two. */
typedef struct list_builder list_builder;
struct list_builder {
    am_status (*build)(const list_builder *);
    const list_filter *filter;
    am_record *records; /* the index's; qsort_r passes it on as a plain void * */
    am_household_index *index;
    uint32_t n;
    int with_members; /* a household-scope rule will ask for members */
    am_status status;
};

static am_status build_claims_and_members(const list_builder *b)
{
    am_household_index *ix = b->index;
    household_list lists[2] = {
        {.wanted = is_claim, .put = put_position, .size = sizeof *ix->claims},
        {.wanted = is_member_record, .put = put_position, .size = sizeof *ix->members}};
    am_status st = bucket(b->records, b->n, b->filter, ix->nrefs, lists, b->with_members ? 2 : 1);
    ix->claims = lists[0].items;
    ix->nclaims = lists[0].count;
    ix->first = lists[0].first;
    ix->members = lists[1].items;
    ix->nmembers = lists[1].count;
    ix->first_member = lists[1].first;
    /* Bucketed by household in one counting sort; each household's few
     * claims are then put in date order. */
    for (size_t h = 1; st == AM_OK && h < ix->nrefs; h++) {
        const size_t count = ix->first[h + 1] - ix->first[h];
        if (count > 1)
            sort_claims(ix->claims + ix->first[h], count, b->records);
    }
    return st;
}

static am_status build_shared(const list_builder *b)
{
    am_household_index *ix = b->index;
    household_list list = {
        .wanted = is_shared_claim, .put = put_shared_claim, .size = sizeof *ix->shared};
    am_status st = bucket(b->records, b->n, b->filter, ix->nrefs, &list, 1);
    ix->shared = list.items;
    ix->nshared = list.count;
    ix->first_shared = list.first;
    if (st == AM_OK) {
        ix->has_shared = am_calloc(ix->nrefs / 64 + 1, sizeof *ix->has_shared);
        if (!ix->has_shared)
            st = AM_ERR_NOMEM;
        for (size_t h = 1; st == AM_OK && h < ix->nrefs; h++)
            if (ix->first_shared[h + 1] > ix->first_shared[h])
                ix->has_shared[h / 64] |= UINT64_C(1) << (h % 64);
    }
    return st;
}

static void *build_list(void *arg)
{
    list_builder *b = arg;
    b->status = b->build(b);
    return NULL;
}

am_status am_households_build(am_store *store, const am_catalogue *cat, const am_rules *rules,
                              am_household_index *index, unsigned threads)
{
    memset(index, 0, sizeof *index);
    am_record *records = store->records;
    if (store->count >= UINT32_MAX)
        return AM_ERR_LIMIT;
    const uint32_t n = (uint32_t)store->count;
    const int hukou = am_hukou_code(cat);
    if (hukou >= 0) {
        /* Cut at a person boundary: a person's claims look at their own
         * hukou records only. */
        const uint32_t cut = (uint32_t)am_person_boundary(records, n, n / 2);
        claim_assigner halves[2] = {{cat, records, 0, cut, hukou}, {cat, records, cut, n, hukou}};
        am_run_pair(assign_range, &halves[0], &halves[1], threads, n);
    }
    index->records = records;
    index->nrefs = store->nhouseholds + 1;
    const size_t ncodes = cat->nitems + cat->nfacts;
    uint64_t *claimed = am_calloc(ncodes / 64 + 1, sizeof *claimed);
    if (!claimed)
        return AM_ERR_NOMEM;
    int with_members = 0;
    for (size_t i = 0; i < rules->n; i++) {
        const am_rule *rule = &rules->v[i];
        with_members |= rule->kind == AM_RULE_EXCLUSIVE && rule->household_scope;
        if (rule->kind != AM_RULE_HOUSEHOLD_UNIQUE)
            continue;
        for (size_t k = 0; k < rule->first.n; k++) {
            const unsigned code = rule->first.refs[k].code;
            claimed[code / 64] |= UINT64_C(1) << (code % 64);
        }
    }
    const list_filter filter = {cat, claimed, hukou};
    list_builder lists[2] = {
        {build_claims_and_members, &filter, records, index, n, with_members, AM_OK},
        {build_shared, &filter, records, index, n, with_members, AM_OK}};
    am_run_pair(build_list, &lists[0], &lists[1], threads, n);
    am_free(claimed);
    if (lists[0].status != AM_OK || lists[1].status != AM_OK) {
        am_households_free(index);
        return AM_ERR_NOMEM;
    }
    return AM_OK;
}

void am_person_records(const am_store *store, const unsigned char token[AM_TOKEN_BYTES],
                       const am_record **begin, const am_record **end)
{
    size_t lo = 0, hi = store->count;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (am_token_cmp(store->records[mid].person, token) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t last = lo;
    while (last < store->count && am_token_eq(store->records[last].person, token))
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
    am_free(index->has_shared);
    am_free(index->members);
    am_free(index->first_member);
    memset(index, 0, sizeof *index);
}
