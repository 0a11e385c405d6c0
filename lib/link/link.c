/*
 * link.c — scoring the registry's candidates for a damaged ID and deciding
 * (see link.h and docs/linking.md).
 *
 * Evidence is compared field by field between the held row and each
 * registry person its ID's repairs name: the name (the same keyed token,
 * else at least half of the keyed character tokens in common by the Dice
 * coefficient, else different) and the household with the registry's
 * entries; the birth date, sex and area the row states with what the
 * repaired ID says.  Each level of agreement weighs log2(m/u) in the
 * Fellegi–Sunter manner, where m is how often a row agrees with its own
 * person and u how often with another one.  Both are estimated from this
 * run: m from the sampled rows whose ID was valid (exact matches); u for
 * the name and household from pairs of registry persons adjacent in token
 * order, which the keyed hash makes a random pairing, and for the facts
 * from sampled rows paired the same way, a row's statements against the
 * next person's ID.
 * A candidate's probability is 2^w over the sum of every candidate's 2^w
 * plus one, the one standing for "the row's person is none of them",
 * weighed like a candidate with no evidence either way.
 */
#include "link/link.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/thread_pair.h"
#include "read/resident_id.h"
#include "store/area.h"
#include "store/extsort.h"
#include "store/key_sort.h"

/* Character tokens in common, in Dice thousandths, for a fuzzy agreement. */
#define FUZZY_DICE 500
/* Registry pairs compared to estimate the u-probabilities, at most. */
#define U_PAIRS 100000

enum { NAME_MISSING = 0, NAME_EXACT, NAME_FUZZY, NAME_DIFFERENT };
/* The household, birth date, sex and area: missing on either side, same
 * or different. */
enum { MISSING = 0, SAME, DIFFERENT };
enum { FACT_BIRTH, FACT_SEX, FACT_AREA, FACT__COUNT };

typedef struct agreement {
    int name, household, fact[FACT__COUNT];
} agreement;

static int cmp_person(const void *pa, const void *pb)
{
    const am_link_person *a = pa, *b = pb;
    const int c = am_token_cmp(a->person, b->person);
    if (c)
        return c;
    if (a->household != b->household)
        return a->household < b->household ? -1 : 1;
    return memcmp(&a->name, &b->name, sizeof a->name);
}

/* The first word of a person's token: the registry is sorted by its
 * bytes first, cmp_person ordering only entries of one word. */
static uint64_t person_key(const void *p)
{
    return am_token_word(((const am_link_person *)p)->person);
}

/* A household's token, which orders households whatever order the
 * threads reading them interned them in; NULL for none (or a reference
 * the store does not hold). */
static const unsigned char *household_token(const am_store *store, uint32_t household)
{
    return household && household <= store->nhouseholds ? store->households[household - 1]
                                                          : NULL;
}

static int entry_before(const am_link_person *a, const am_link_person *b, const am_store *store)
{
    const int c = memcmp(&a->name, &b->name, sizeof a->name);
    if (c)
        return c < 0;
    const unsigned char *ha = household_token(store, a->household),
                        *hb = household_token(store, b->household);
    if (ha && hb)
        return am_token_cmp(ha, hb) < 0;
    if (ha || hb)
        return hb != NULL;
    return a->household < b->household;
}

/* Puts each person's registry entries in the order of their names and
 * household tokens.  cmp_person breaks ties on household references,
 * which are numbered as the readers' batches reach the household table:
 * by the threads' timing when a feed is read in parts.  u's pairs take a
 * person's last entry, so that order must not depend on timing.  A person
 * has a few entries: insertion sort. */
static void order_entries(am_link_person *v, size_t from, size_t to, const am_store *store)
{
    for (size_t b = from, e; b < to; b = e) {
        for (e = b + 1; e < to && am_token_eq(v[e].person, v[b].person); e++)
            ;
        for (size_t i = b + 1; i < e; i++) {
            const am_link_person x = v[i];
            size_t j = i;
            for (; j > b && entry_before(&x, &v[j - 1], store); j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
    }
}

/* A directory of the sorted registry: first[s] is the first entry whose
 * token's top `bits` bits are at least s.  Keyed tokens spread evenly, so
 * a token's entries are found among the four or so of its slot: two cache
 * misses a look-up, where a binary search of a county's registry costs a
 * dozen and sorting the candidates to meet the registry in one walk costs
 * more than both. */
typedef struct registry_index {
    const am_link_people *reg;
    uint32_t *first; /* (1 << bits) + 1 entries */
    unsigned bits;
} registry_index;

static size_t slot_of(const registry_index *ix, const unsigned char *token)
{
    return ix->bits ? (size_t)(am_token_word(token) >> (64 - ix->bits)) : 0;
}

/* One half of the registry ordered and indexed, on one of two threads:
 * entries [from, to) and slots [slot_from, slot_to), which hold exactly
 * those entries (the halves split where the tokens' top bit turns set). */
typedef struct index_half {
    registry_index *ix;
    const am_store *store;
    size_t from, to, slot_from, slot_to;
} index_half;

static void *index_entries(void *arg)
{
    const index_half *h = arg;
    am_link_person *v = (am_link_person *)h->ix->reg->v;
    order_entries(v, h->from, h->to, h->store);
    size_t slot = h->slot_from;
    for (size_t i = h->from; i < h->to; i++)
        for (const size_t s = slot_of(h->ix, v[i].person); slot <= s; slot++)
            h->ix->first[slot] = (uint32_t)i;
    for (; slot < h->slot_to; slot++)
        h->ix->first[slot] = (uint32_t)h->to;
    return NULL;
}

/* Orders each person's entries of the sorted registry and builds its
 * directory, reg_split being the first entry whose token's top bit is
 * set.  Returns AM_OK, AM_ERR_LIMIT (more entries than 32 bits count) or
 * AM_ERR_NOMEM; on AM_OK the caller frees ix->first. */
static am_status index_registry(registry_index *ix, am_link_people *reg, size_t reg_split,
                                const am_store *store, unsigned threads)
{
    if (reg->n >= UINT32_MAX) /* the directory's last slot holds n */
        return AM_ERR_LIMIT;
    ix->reg = reg;
    ix->bits = 0;
    while (ix->bits < 30 && (size_t)4 << (ix->bits + 1) <= reg->n)
        ix->bits++;
    const size_t slots = (size_t)1 << ix->bits;
    if (!(ix->first = am_malloc((slots + 1) * sizeof *ix->first)))
        return AM_ERR_NOMEM;
    am_prefault(ix->first, (slots + 1) * sizeof *ix->first);
    const size_t half = ix->bits ? slots / 2 : slots;
    index_half halves[2] = {{ix, store, 0, reg_split, 0, half},
                            {ix, store, reg_split, reg->n, half, slots + 1}};
    am_run_pair(index_entries, &halves[0], &halves[1], threads, reg->n);
    return AM_OK;
}

/* The registry entries of a person: [*begin, *end), empty when the
 * registry does not hold the token. */
static void person_range(const registry_index *ix, const unsigned char *token, size_t *begin,
                         size_t *end)
{
    const am_link_person *v = ix->reg->v;
    const uint64_t word = am_token_word(token);
    const size_t slot = slot_of(ix, token);
    size_t i = ix->first[slot];
    for (const size_t last = ix->first[slot + 1]; i < last; i++) {
        const uint64_t w = am_token_word(v[i].person);
        if (w > word || (w == word && am_token_cmp(v[i].person, token) >= 0))
            break;
    }
    *begin = i;
    while (i < ix->reg->n && am_token_eq(v[i].person, token))
        i++;
    *end = i;
}

static int cmp_sampled(const void *pa, const void *pb)
{
    const am_link_sampled *a = pa, *b = pb;
    const int c = am_token_cmp(a->p.person, b->p.person);
    if (c)
        return c;
    if (a->feed != b->feed)
        return a->feed < b->feed ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

/* Puts the sample in token order, a random order of persons that is the
 * same every run, for u's pairs of the facts (tally_run). */
static void sort_sample(am_link_samples *sample)
{
    if (sample->n > 1)
        qsort(sample->v, sample->n, sizeof *sample->v, cmp_sampled);
}

static int level(uint32_t stated, uint32_t known)
{
    return !stated || !known ? MISSING : stated == known ? SAME : DIFFERENT;
}

/* How what a row states of its person agrees with what an ID says. */
static void compare_facts(const am_person_facts *stated, const am_person_facts *id, agreement *a)
{
    a->fact[FACT_BIRTH] = level(stated->birth, id->birth);
    a->fact[FACT_SEX] = level(stated->sex, id->sex);
    a->fact[FACT_AREA] = level(stated->area, id->area);
}

/* How a row's name and household agree with any of a person's entries. */
static agreement compare(const am_name_evidence *name, uint32_t household,
                         const am_link_person *begin, const am_link_person *end)
{
    agreement a = {NAME_MISSING, MISSING, {MISSING, MISSING, MISSING}};
    for (const am_link_person *p = begin; p < end; p++) {
        if (name->nchars && p->name.nchars) {
            int level = NAME_DIFFERENT;
            if (memcmp(name->whole, p->name.whole, sizeof name->whole) == 0)
                level = NAME_EXACT;
            else if (am_name_dice(name, &p->name) >= FUZZY_DICE)
                level = NAME_FUZZY;
            if (a.name == NAME_MISSING || level < a.name)
                a.name = level;
        }
        if (household && p->household) {
            const int l = household == p->household ? SAME : DIFFERENT;
            if (a.household == MISSING || l < a.household)
                a.household = l;
        }
    }
    return a;
}

/* Counts of each level over compared pairs. */
typedef struct tally {
    uint64_t name[4], household[3], fact[FACT__COUNT][3];
} tally;

static void count(tally *t, agreement a)
{
    t->name[a.name]++;
    t->household[a.household]++;
}

static void count_facts(tally *t, agreement a)
{
    for (int f = 0; f < FACT__COUNT; f++)
        t->fact[f][a.fact[f]]++;
}

/* A proportion with one added to each outcome (Laplace), so that a level
 * never seen in the run weighs finitely. */
static double smoothed(uint64_t agree, uint64_t pairs, unsigned outcomes)
{
    return ((double)agree + 1.0) / ((double)pairs + outcomes);
}

/* Same or different: the estimate of "same". */
static am_link_estimate two_levels(const uint64_t m[3], const uint64_t u[3])
{
    const uint64_t mn = m[SAME] + m[DIFFERENT], un = u[SAME] + u[DIFFERENT];
    return (am_link_estimate){smoothed(m[SAME], mn, 2), smoothed(u[SAME], un, 2), m[SAME], mn,
                              u[SAME], un};
}

static void estimate(am_links *out, const tally *m, const tally *u)
{
    const uint64_t mn = m->name[1] + m->name[2] + m->name[3];
    const uint64_t un = u->name[1] + u->name[2] + u->name[3];
    out->name = (am_link_estimate){smoothed(m->name[1], mn, 3), smoothed(u->name[1], un, 3),
                                   m->name[1], mn, u->name[1], un};
    out->name_fuzzy = (am_link_estimate){smoothed(m->name[2], mn, 3), smoothed(u->name[2], un, 3),
                                         m->name[2], mn, u->name[2], un};
    out->household = two_levels(m->household, u->household);
    out->birth_date = two_levels(m->fact[FACT_BIRTH], u->fact[FACT_BIRTH]);
    out->sex = two_levels(m->fact[FACT_SEX], u->fact[FACT_SEX]);
    out->area = two_levels(m->fact[FACT_AREA], u->fact[FACT_AREA]);
}

/* What the registry tells of m and u, taken one person's entries (a
 * group, in the sorted registry's order) at a time, so that a registry in
 * memory and one read back from disk are tallied alike: m from the
 * sampled rows of the group's person, u from entries i and i + 1 of
 * different persons for every step-th i (the keyed tokens make that a
 * random pairing).  Within a group i and i + 1 are one person's, so only
 * a group's last entry can begin a pair, which the next group's first
 * ends. */
typedef struct registry_tally {
    const am_link_samples *sample; /* in token order (sort_sample) */
    size_t next_sample;            /* the first sampled row not yet passed */
    size_t entries, step;          /* the registry's entries, and u's stride */
    size_t at;                     /* the index of the next group's first entry */
    am_link_person pending;        /* a pair's first entry, its second to come */
    int has_pending;
    tally m, u;
} registry_tally;

static void tally_start(registry_tally *t, const am_link_samples *sample, size_t entries)
{
    memset(t, 0, sizeof *t);
    t->sample = sample;
    t->entries = entries;
    t->step = entries / U_PAIRS + 1;
}

/* Whether the group of n entries of token, the next one, takes part in
 * the tally (only those are read whole from disk).  Passes the sampled
 * rows of persons before it. */
static int tally_wants(registry_tally *t, const unsigned char *token, size_t n)
{
    const am_link_samples *sample = t->sample;
    while (t->next_sample < sample->n &&
           am_token_cmp(sample->v[t->next_sample].p.person, token) < 0)
        t->next_sample++;
    const size_t last = t->at + n - 1;
    return t->has_pending || (last % t->step == 0 && last + 1 < t->entries) ||
           (t->next_sample < sample->n && am_token_eq(sample->v[t->next_sample].p.person, token));
}

/* Tallies the next group, g[0..n) (tally_wants asked first); a group it
 * does not want may be passed with g NULL. */
static void tally_group(registry_tally *t, const am_link_person *g, size_t n)
{
    const am_link_samples *sample = t->sample;
    if (g) {
        for (; t->next_sample < sample->n &&
               am_token_eq(sample->v[t->next_sample].p.person, g->person);
             t->next_sample++) {
            const am_link_sampled *x = &sample->v[t->next_sample];
            count(&t->m, compare(&x->p.name, x->p.household, g, g + n));
        }
        if (t->has_pending)
            count(&t->u, compare(&t->pending.name, t->pending.household, g, g + 1));
        t->has_pending = 0;
        const size_t last = t->at + n - 1;
        if (last % t->step == 0 && last + 1 < t->entries) {
            t->pending = g[n - 1];
            t->has_pending = 1;
        }
    }
    t->at += n;
}

/* The registry's part of the tally, over a registry in memory. */
static void tally_registry(registry_tally *t, const am_link_people *reg)
{
    for (size_t b = 0, e; b < reg->n; b = e) {
        for (e = b + 1; e < reg->n && am_token_eq(reg->v[e].person, reg->v[b].person); e++)
            ;
        tally_wants(t, reg->v[b].person, e - b);
        tally_group(t, reg->v + b, e - b);
    }
}

/* The sample's own part: m from each row's statements against its own
 * valid ID, u from them against the next person's ID in token order. */
static void tally_sample(const am_link_samples *sample, tally *m, tally *u)
{
    for (size_t i = 0; i < sample->n; i++) {
        agreement a;
        compare_facts(&sample->v[i].stated, &sample->v[i].own, &a);
        count_facts(m, a);
    }
    for (size_t b = 0, e; b < sample->n; b = e) {
        for (e = b + 1; e < sample->n && am_token_eq(sample->v[e].p.person, sample->v[b].p.person);
             e++)
            ;
        for (size_t i = b; e < sample->n && i < e; i++) {
            agreement a;
            compare_facts(&sample->v[i].stated, &sample->v[e].own, &a);
            count_facts(u, a);
        }
    }
}

/* What each level of agreement weighs, from the run's m and u: missing
 * evidence weighs nothing.  Reckoned once, as millions of candidates are
 * weighed. */
typedef struct weights {
    double name[4];
    double two[4][3]; /* household, birth date, sex, area */
} weights;

static weights weights_of(const am_links *l)
{
    const double me = l->name.m, ue = l->name.u, mf = l->name_fuzzy.m, uf = l->name_fuzzy.u;
    weights t = {.name = {[NAME_EXACT] = log2(me / ue),
                          [NAME_FUZZY] = log2(mf / uf),
                          [NAME_DIFFERENT] = log2((1 - me - mf) / (1 - ue - uf))}};
    const am_link_estimate *two[] = {&l->household, &l->birth_date, &l->sex, &l->area};
    for (size_t i = 0; i < sizeof two / sizeof *two; i++) {
        t.two[i][SAME] = log2(two[i]->m / two[i]->u);
        t.two[i][DIFFERENT] = log2((1 - two[i]->m) / (1 - two[i]->u));
    }
    return t;
}

static double weight(const weights *t, agreement a)
{
    double w = 0;
    w += t->name[a.name];
    const int levels[] = {a.household, a.fact[FACT_BIRTH], a.fact[FACT_SEX], a.fact[FACT_AREA]};
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++)
        w += t->two[i][levels[i]];
    return w;
}

static int same_levels(agreement a, agreement b)
{
    return a.name == b.name && a.household == b.household &&
           memcmp(a.fact, b.fact, sizeof a.fact) == 0;
}

static uint8_t agreeing_bits(agreement a)
{
    return (uint8_t)((a.name == NAME_EXACT ? AM_AGREE_NAME : 0) |
                     (a.name == NAME_FUZZY ? AM_AGREE_NAME_FUZZY : 0) |
                     (a.household == SAME ? AM_AGREE_HOUSEHOLD : 0) |
                     (a.fact[FACT_BIRTH] == SAME ? AM_AGREE_BIRTH_DATE : 0) |
                     (a.fact[FACT_SEX] == SAME ? AM_AGREE_SEX : 0) |
                     (a.fact[FACT_AREA] == SAME ? AM_AGREE_AREA : 0));
}

static int cmp_result(const void *pa, const void *pb)
{
    const am_link_result *a = pa, *b = pb;
    if (a->feed != b->feed)
        return a->feed < b->feed ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

typedef struct scored {
    const am_link_candidate *candidate;
    agreement a;
    double w;
} scored;

/* Look-ups ahead of scoring, as each is a cache miss: the directory
 * slots of the row after next, the registry entries (by the slots asked
 * for a row earlier) of the next row, so that their misses overlap the
 * scoring of this one. */
static void prefetch_slots(const am_link_input *in, const registry_index *ix,
                           const am_link_row *row)
{
    for (size_t i = 0; i < row->ncandidates; i++)
        __builtin_prefetch(&ix->first[slot_of(ix, in->candidates[row->first + i].person)]);
}

static void prefetch_entries(const am_link_input *in, const registry_index *ix,
                             const am_link_row *row)
{
    if (!in->registry.n)
        return;
    /* A slot holds four or so entries of 44 bytes: its first three lines. */
    for (size_t i = 0; i < row->ncandidates; i++) {
        const char *entry = (const char *)&in->registry
                                .v[ix->first[slot_of(ix, in->candidates[row->first + i].person)]];
        __builtin_prefetch(entry);
        __builtin_prefetch(entry + 64);
        __builtin_prefetch(entry + 128);
    }
}

/* Scores one held row's registry candidates; returns how many there were
 * and leaves the best first (ties by token, so the choice is the same
 * every run). */
static size_t score_row(const am_link_input *in, const registry_index *ix, const weights *t,
                        const am_link_row *row, scored *s)
{
    const am_link_candidate *candidates = &in->candidates[row->first];
    size_t k = 0;
    for (size_t i = 0; i < row->ncandidates; i++) {
        const am_link_candidate *c = &candidates[i];
        size_t b, e;
        person_range(ix, c->person, &b, &e);
        if (b == e)
            continue;
        s[k].candidate = c;
        s[k].a = compare(&row->name, row->rec.household, in->registry.v + b, in->registry.v + e);
        compare_facts(&row->stated, &c->id, &s[k].a);
        s[k].w = weight(t, s[k].a);
        if (k && (s[k].w > s[0].w ||
                  (s[k].w == s[0].w && am_token_cmp(c->person, s[0].candidate->person) < 0))) {
            const scored best = s[0];
            s[0] = s[k];
            s[k] = best;
        }
        k++;
    }
    return k;
}

/* A held row's result (candidates 0: none in the registry), and the area
 * its record takes if linked. */
typedef struct row_score {
    am_link_result r;
    uint32_t area;
} row_score;

/* Held rows [from, to) scored into scores, on one of two threads: each
 * row reads only its own candidates and writes only its own score. */
typedef struct score_half {
    const am_link_input *in;
    const registry_index *ix;
    const am_links *l;
    const weights *t;
    row_score *scores;
    size_t from, to;
} score_half;

static void *score_rows(void *arg)
{
    const score_half *h = arg;
    const am_link_input *in = h->in;
    scored s[AM_ID_REPAIRS_MAX];
    for (size_t i = h->from; i < h->to; i++) {
        const am_link_row *row = &in->held.v[i];
        if (i + 2 < h->to)
            prefetch_slots(in, h->ix, row + 2);
        if (i + 1 < h->to)
            prefetch_entries(in, h->ix, row + 1);
        row_score *sc = &h->scores[i];
        const size_t k = score_row(in, h->ix, h->t, row, s);
        sc->r.candidates = 0;
        if (!k)
            continue;
        double sum = 1;
        int tied = 0;
        for (size_t j = 0; j < k; j++) {
            sum += exp2(s[j].w);
            tied |= j > 0 && same_levels(s[j].a, s[0].a);
        }
        const double p = exp2(s[0].w) / sum;
        const unsigned thousandths = (unsigned)lround(p * 1000);
        am_link_status status = AM_UNLINKED;
        if (!tied && thousandths >= h->l->link_threshold)
            status = AM_LINKED;
        else if (thousandths >= h->l->review_threshold)
            status = AM_LINK_REVIEW;
        sc->r = (am_link_result){.line = row->rec.line, .feed = row->rec.feed,
                                 .code = row->rec.code, .probability = (uint16_t)thousandths,
                                 .reason = row->reason, .status = (uint8_t)status,
                                 .agreeing = agreeing_bits(s[0].a), .candidates = (uint8_t)k};
        memcpy(sc->r.person, s[0].candidate->person, AM_TOKEN_BYTES);
        sc->area = s[0].candidate->id.area;
    }
    return NULL;
}

/* What both ways of linking do first: the thresholds' defaults, the
 * sample trimmed and sorted, the unrepairable counted. */
static void link_begin(am_link_input *in, am_links *out, registry_tally *t, size_t entries)
{
    if (!out->link_threshold) {
        out->link_threshold = AM_LINK_THRESHOLD_DEFAULT;
        out->review_threshold = AM_REVIEW_THRESHOLD_DEFAULT;
    }
    am_link_samples_trim(&in->sample);
    sort_sample(&in->sample);
    for (size_t r = 0; r < AM_REJECT__COUNT; r++) {
        out->no_repair[r] += in->no_repair[r];
        in->no_repair[r] = 0;
    }
    tally_start(t, &in->sample, entries);
}

/* Estimates m and u from the tally, then scores every held row against
 * the registry ix indexes and links those that pass; frees ix->first. */
static am_status link_held(am_link_input *in, registry_index *ix, registry_tally *t,
                           am_store *store, am_links *out, unsigned threads)
{
    tally_sample(&in->sample, &t->m, &t->u);
    estimate(out, &t->m, &t->u);
    if (!in->held.n) {
        am_free(ix->first);
        return AM_OK;
    }
    am_link_result *grown = am_realloc(out->v, (out->n + in->held.n) * sizeof *out->v);
    if (grown)
        out->v = grown;
    row_score *scores = grown && am_store_reserve(store, in->held.n) == AM_OK
                            ? am_malloc(in->held.n * sizeof *scores)
                            : NULL;
    if (!scores) {
        am_free(ix->first);
        return AM_ERR_NOMEM;
    }
    const weights w = weights_of(out);
    score_half halves[2] = {{in, ix, out, &w, scores, 0, in->held.n / 2},
                            {in, ix, out, &w, scores, in->held.n / 2, in->held.n}};
    am_run_pair(score_rows, &halves[0], &halves[1], threads, in->held.n);
    for (size_t i = 0; i < in->held.n; i++) {
        const am_link_row *row = &in->held.v[i];
        const row_score *sc = &scores[i];
        if (!sc->r.candidates) {
            out->no_candidate[row->reason]++;
            continue;
        }
        out->v[out->n++] = sc->r;
        out->count[sc->r.status][row->reason]++;
        if (sc->r.status == AM_LINKED) {
            am_record *rec = &store->records[store->count++];
            *rec = row->rec;
            memcpy(rec->person, sc->r.person, AM_TOKEN_BYTES);
            am_area_put(rec, sc->area);
        }
    }
    am_free(scores);
    am_free(ix->first);
    sodium_memzero(in->held.v, in->held.n * sizeof *in->held.v);
    in->held.n = 0;
    in->ncandidates = 0;
    return AM_OK;
}

am_status am_link_run(am_link_input *in, am_store *store, am_links *out, unsigned threads)
{
    registry_tally t;
    link_begin(in, out, &t, in->registry.n);
    am_link_person tmp[2];
    const am_order order = {cmp_person, person_key};
    const size_t reg_split = am_key_sort_pair(in->registry.v, in->registry.n,
                                              sizeof *in->registry.v, &order, tmp, threads);
    registry_index ix;
    const am_status indexed = index_registry(&ix, &in->registry, reg_split, store, threads);
    if (indexed != AM_OK)
        return indexed;
    tally_registry(&t, &in->registry);
    return link_held(in, &ix, &t, store, out, threads);
}

/* A spilled registry's order: by person token, then one person's
 * entries as order_entries puts them (name, then no household before a
 * household, then household token), so that the tally sees the entries
 * of each person in the order am_link_run gives them. */
static int cmp_spilled(const void *pa, const void *pb)
{
    const am_link_spilled_person *a = pa, *b = pb;
    int c = am_token_cmp(a->person, b->person);
    if (c)
        return c;
    if ((c = memcmp(&a->name, &b->name, sizeof a->name)) != 0)
        return c;
    if (a->has_household != b->has_household)
        return a->has_household ? 1 : -1;
    return a->has_household ? am_token_cmp(a->household, b->household) : 0;
}

static uint64_t spilled_key(const void *p)
{
    return am_token_word(((const am_link_spilled_person *)p)->person);
}

const am_order am_link_spilled_order = {cmp_spilled, spilled_key};

static int cmp_token(const void *a, const void *b) { return am_token_cmp(a, b); }

static uint64_t token_key(const void *p) { return am_token_word(p); }

/* The reading of a spilled registry: the persons held rows' repairs name
 * (sorted, distinct), and room for one person's entries as read and as
 * they are kept, their households interned. */
typedef struct registry_reader {
    am_link_input *in;
    am_store *store;
    registry_tally *tally;
    unsigned char (*wanted)[AM_TOKEN_BYTES];
    size_t nwanted, next_wanted;
    size_t n;      /* entries in the person's group */
    uint64_t read; /* entries read */
    am_link_spilled_person *group;
    am_link_person *kept;
    size_t group_cap, kept_cap;
} registry_reader;

static am_status wanted_tokens(registry_reader *r)
{
    const am_link_input *in = r->in;
    if (!in->ncandidates)
        return AM_OK;
    if (!(r->wanted = am_malloc(in->ncandidates * sizeof *r->wanted)))
        return AM_ERR_NOMEM;
    for (size_t i = 0; i < in->ncandidates; i++)
        memcpy(r->wanted[i], in->candidates[i].person, AM_TOKEN_BYTES);
    unsigned char tmp[AM_TOKEN_BYTES];
    const am_order order = {cmp_token, token_key};
    am_key_sort(r->wanted, in->ncandidates, sizeof *r->wanted, &order, tmp);
    size_t n = 0;
    for (size_t i = 0; i < in->ncandidates; i++)
        if (!n || !am_token_eq(r->wanted[n - 1], r->wanted[i]))
            memcpy(r->wanted[n++], r->wanted[i], AM_TOKEN_BYTES);
    r->nwanted = n;
    return AM_OK;
}

static am_status group_add(registry_reader *r, const am_link_spilled_person *entry)
{
    const size_t need = r->n + 1;
    if (!AM_RESERVE(r->group, r->group_cap, need) || !AM_RESERVE(r->kept, r->kept_cap, need))
        return AM_ERR_NOMEM;
    r->group[r->n++] = *entry;
    return AM_OK;
}

/* One person's entries, read: tallied and kept if wanted, else passed. */
static am_status group_end(registry_reader *r)
{
    const size_t n = r->n;
    if (!n)
        return AM_OK;
    r->n = 0;
    const unsigned char *token = r->group[0].person;
    const int tallied = tally_wants(r->tally, token, n);
    while (r->next_wanted < r->nwanted && am_token_cmp(r->wanted[r->next_wanted], token) < 0)
        r->next_wanted++;
    const int kept = r->next_wanted < r->nwanted && am_token_eq(r->wanted[r->next_wanted], token);
    if (!tallied && !kept) {
        tally_group(r->tally, NULL, n);
        return AM_OK;
    }
    for (size_t i = 0; i < n; i++) {
        const am_link_spilled_person *e = &r->group[i];
        am_link_person *p = &r->kept[i];
        memset(p, 0, sizeof *p);
        memcpy(p->person, e->person, AM_TOKEN_BYTES);
        memcpy(&p->name, &e->name, sizeof p->name);
        const am_status st =
            e->has_household ? am_store_household(r->store, e->household, &p->household) : AM_OK;
        if (st != AM_OK)
            return st;
    }
    tally_group(r->tally, r->kept, n);
    if (!kept)
        return AM_OK;
    am_link_people *reg = &r->in->registry;
    if (!AM_RESERVE(reg->v, reg->cap, reg->n + n))
        return AM_ERR_NOMEM;
    memcpy(reg->v + reg->n, r->kept, n * sizeof *r->kept);
    reg->n += n;
    return AM_OK;
}

/* A batch of the registry's entries, in order, through group_end. */
static am_status take_entries(void *user, const void *items, size_t n, am_err *err)
{
    (void)err;
    registry_reader *r = user;
    const am_link_spilled_person *e = items;
    for (size_t i = 0; i < n; i++) {
        am_status st;
        if (r->n && !am_token_eq(r->group[0].person, e[i].person) && (st = group_end(r)) != AM_OK)
            return st;
        if ((st = group_add(r, &e[i])) != AM_OK)
            return st;
    }
    r->read += n;
    return AM_OK;
}

/* Reads the buckets whole through group_end, checking they hold entries
 * entries. */
static am_status read_registry(registry_reader *r, const am_link_registry_files *files,
                               uint64_t entries, unsigned threads, am_err *err)
{
    am_status st = am_extsort_buckets(files->buckets, files->n, sizeof(am_link_spilled_person),
                                      &am_link_spilled_order, files->memory, threads,
                                      take_entries, r, err);
    if (st == AM_OK)
        st = group_end(r);
    if (st == AM_OK && r->read != entries)
        st = am_fail(err, AM_ERR_IO, "%s: %llu registry entries, expected %llu",
                     files->n ? files->buckets[0] : "registry", (unsigned long long)r->read,
                     (unsigned long long)entries);
    return st;
}

static void registry_reader_free(registry_reader *r)
{
    if (r->group)
        sodium_memzero(r->group, r->group_cap * sizeof *r->group);
    if (r->kept)
        sodium_memzero(r->kept, r->kept_cap * sizeof *r->kept);
    am_free(r->group);
    am_free(r->kept);
    am_free(r->wanted);
}

am_status am_link_run_spilled(am_link_input *in, const am_link_registry_files *files,
                              uint64_t entries, am_store *store, am_links *out, unsigned threads,
                              am_err *err)
{
    if (entries >= UINT32_MAX)
        return AM_ERR_LIMIT;
    registry_tally t;
    link_begin(in, out, &t, (size_t)entries);
    if (in->registry.n) /* kept by a call that failed */
        sodium_memzero(in->registry.v, in->registry.n * sizeof *in->registry.v);
    in->registry.n = 0;
    registry_reader r = {.in = in, .store = store, .tally = &t};
    am_status st = wanted_tokens(&r);
    if (st == AM_OK)
        st = read_registry(&r, files, entries, threads, err);
    registry_reader_free(&r);
    if (st != AM_OK)
        return st;
    /* Kept in token order: the first entry whose token's top bit is set. */
    size_t lo = 0, hi = in->registry.n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (in->registry.v[mid].person[0] < 0x80)
            lo = mid + 1;
        else
            hi = mid;
    }
    registry_index ix;
    if ((st = index_registry(&ix, &in->registry, lo, store, threads)) != AM_OK)
        return st;
    return link_held(in, &ix, &t, store, out, threads);
}

void am_links_sort(am_links *out)
{
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_result);
}

void am_links_free(am_links *out)
{
    am_free(out->v);
    out->v = NULL;
    out->n = 0;
}

int am_link_probability_parse(const char *text, unsigned *thousandths)
{
    if (!(text[0] == '0' || text[0] == '1'))
        return 0;
    unsigned v = (unsigned)(text[0] - '0') * 1000;
    const char *p = text + 1;
    if (*p == '.') {
        unsigned scale = 100;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10) {
            if (!scale)
                return 0;
            v += (unsigned)(*p - '0') * scale;
        }
        if (p == text + 2)
            return 0; /* "1." */
    }
    if (*p || v > 1000)
        return 0;
    *thousandths = v;
    return 1;
}

const char *am_link_status_name(am_link_status status)
{
    static const char *const names[AM_LINK__COUNT] = {"linked", "review", "unlinked"};
    return (unsigned)status < AM_LINK__COUNT ? names[status] : "?";
}
