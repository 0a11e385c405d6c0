/*
 * match_household.c — the rules judged household by household.
 *
 * household_unique: a household is paid one claim per period, so two
 * members paid for it, or one hardship paid twice by two agencies within
 * the rule's window, is a HOUSEHOLD_DUPLICATE whose subject is the
 * household.  (The other half of the rule, one person claimed by two
 * households, is judged person by person in match_person.c.)
 *
 * exclusive with scope household: one member holds an item of one side
 * while any member holds an item of the other.
 */
#include "match/match.h"

#include <string.h>

#include "common/alloc.h"
#include "common/span.h"
#include "match/stake.h"

/* A part of a record held on one side of an exclusive rule, and the
 * membership record that put it in the household (NULL for a claim). */
typedef struct side_piece {
    am_piece piece;
    const am_record *via;
} side_piece;

typedef struct household_eval {
    const am_match_input *in;
    am_finding_list *out;
    const am_record **cluster;
    size_t ncluster, capcluster;
    const am_record **involved;
    size_t ninvolved, capinvolved;
    am_piece *pieces;
    size_t npieces, cappieces;
    uint16_t *codes, *agencies;
    size_t ncodes, capcodes, nagencies, capagencies;
    side_piece *sides[2]; /* exclusive: what each side holds, cut to membership */
    size_t nsides[2], capsides[2];
    am_spans days[2], both;
} household_eval;

static int32_t reach_of(const am_catalogue *cat, const am_rule *rule, const am_record *r)
{
    const am_item *item = &cat->items[r->code];
    if (item->periodic)
        return r->end;
    const int32_t window = rule->window_days ? rule->window_days : item->duplicate_window_days;
    return window ? r->start + window - 1 : r->start - 1;
}

/* A cluster collides when it holds two claimants or two items: one
 * claimant paid one item twice is a plain DUPLICATE, already reported. */
static int collides(const household_eval *he)
{
    for (size_t i = 1; i < he->ncluster; i++)
        if (he->cluster[i]->code != he->cluster[0]->code ||
            memcmp(he->cluster[i]->person, he->cluster[0]->person, AM_TOKEN_BYTES) != 0)
            return 1;
    return 0;
}

static int add_cluster_stake(household_eval *he, const am_catalogue *cat, am_stake *stake)
{
    int periodic = 1;
    for (size_t i = 0; i < he->ncluster; i++)
        periodic &= cat->items[he->cluster[i]->code].periodic;
    if (periodic) {
        he->npieces = 0;
        for (size_t i = 0; i < he->ncluster; i++) {
            const am_record *r = he->cluster[i];
            if (!AM_PUSH(he->pieces, he->npieces, he->cappieces, ((am_piece){r->start, r->end, r})))
                return 0;
        }
        return am_stake_add(he->pieces, he->npieces, stake);
    }
    am_stake_add_one_offs(he->cluster, he->ncluster, stake);
    stake->days = (int64_t)stake->last - stake->first + 1;
    return 1;
}

/* Adds the finding about household made of the involved records, codes
 * and agencies gathered in he. */
static am_status emit(household_eval *he, const am_rule *rule, uint32_t household, am_kind kind,
                      int32_t start, int32_t end, int64_t days, int64_t amount)
{
    const am_finding_draft d = {
        .kind = kind,
        .rule_id = rule->id,
        .policy_source = rule->source,
        .priority = "normal",
        .household_subject = 1,
        .subject = he->in->store->households[household - 1],
        .start = start,
        .end = end,
        .days = days,
        .amount_fen = amount,
        .codes = he->codes,
        .ncodes = he->ncodes,
        .agencies = he->agencies,
        .nagencies = he->nagencies,
        .evidence = he->involved,
        .nevidence = he->ninvolved,
    };
    return am_findings_add(he->in, he->out, &d);
}

static am_status judge_household(household_eval *he, const am_rule *rule,
                                 const am_household_index *ix, uint32_t household)
{
    const am_catalogue *cat = he->in->catalogue;
    am_stake stake = AM_STAKE_EMPTY;
    he->ninvolved = 0;
    const am_record *records = ix->records;
    const size_t end = ix->first[household + 1];
    size_t c = ix->first[household];
    while (c < end) {
        while (c < end && !am_group_has(&rule->first, records[ix->claims[c]].code, 0))
            c++;
        if (c == end)
            break;
        he->ncluster = 0;
        int32_t reach = reach_of(cat, rule, &records[ix->claims[c]]);
        if (!AM_PUSH(he->cluster, he->ncluster, he->capcluster, &records[ix->claims[c]]))
            return AM_ERR_NOMEM;
        for (c++; c < end && records[ix->claims[c]].start <= reach; c++) {
            const am_record *r = &records[ix->claims[c]];
            if (!am_group_has(&rule->first, r->code, 0))
                continue;
            if (!AM_PUSH(he->cluster, he->ncluster, he->capcluster, r))
                return AM_ERR_NOMEM;
            const int32_t e = reach_of(cat, rule, r);
            reach = e > reach ? e : reach;
        }
        if (he->ncluster < 2 || !collides(he))
            continue;
        if (!add_cluster_stake(he, cat, &stake))
            return AM_ERR_NOMEM;
        for (size_t i = 0; i < he->ncluster; i++)
            if (!AM_PUSH(he->involved, he->ninvolved, he->capinvolved, he->cluster[i]))
                return AM_ERR_NOMEM;
    }
    if (he->ninvolved == 0)
        return AM_OK;
    he->ncodes = he->nagencies = 0;
    for (size_t i = 0; i < he->ninvolved; i++) {
        const am_record *r = he->involved[i];
        if (!AM_PUSH(he->codes, he->ncodes, he->capcodes, r->code) ||
            !AM_PUSH(he->agencies, he->nagencies, he->capagencies,
                  (uint16_t)he->in->feeds[r->feed]->agency))
            return AM_ERR_NOMEM;
    }
    return emit(he, rule, household, AM_KIND_HOUSEHOLD_DUPLICATE, stake.first, stake.last,
                stake.days, stake.amount_fen);
}

static int add_side(household_eval *he, int side, int32_t start, int32_t end,
                    const am_record *r, const am_record *via)
{
    if (start > end)
        return 1;
    const side_piece piece = {{start, end, r}, via};
    return AM_PUSH(he->sides[side], he->nsides[side], he->capsides[side], piece) &&
           am_spans_add(&he->days[side], start, end);
}

/* Sorts a record into the side(s) of the rule its item is on. */
static int add_to_sides(household_eval *he, const am_rule *rule, const am_record *r,
                        int32_t start, int32_t end, const am_record *via)
{
    const int32_t lo = start > r->start ? start : r->start, hi = end < r->end ? end : r->end;
    return (!am_group_has(&rule->first, r->code, 0) || add_side(he, 0, lo, hi, r, via)) &&
           (!am_group_has(&rule->second, r->code, 0) || add_side(he, 1, lo, hi, r, via));
}

static am_status household_exclusive(household_eval *he, const am_rule *rule,
                                     const am_household_index *ix, uint32_t household)
{
    const am_catalogue *cat = he->in->catalogue;
    for (int side = 0; side < 2; side++) {
        he->nsides[side] = 0;
        am_spans_clear(&he->days[side]);
    }
    /* Household-unit items arrive as the household's claims; person-unit
     * items are each member's own, for the days they were a member. */
    for (size_t c = ix->first_shared[household]; c < ix->first_shared[household + 1]; c++)
        if (!add_to_sides(he, rule, &ix->records[ix->shared[c].record], AM_DAY_EVER, AM_DAY_OPEN, NULL))
            return AM_ERR_NOMEM;
    for (size_t m = ix->first_member[household]; m < ix->first_member[household + 1]; m++) {
        const am_record *member = &ix->records[ix->members[m]], *begin, *end;
        am_person_records(he->in->store, member->person, &begin, &end);
        for (const am_record *r = begin; r < end; r++)
            if (am_code_is_item(cat, r->code) && cat->items[r->code].unit == AM_UNIT_PERSON &&
                !add_to_sides(he, rule, r, member->start, member->end, member))
                return AM_ERR_NOMEM;
    }
    am_spans_normalise(&he->days[0]);
    am_spans_normalise(&he->days[1]);
    if (!am_spans_intersect(&he->days[0], &he->days[1], &he->both))
        return AM_ERR_NOMEM;
    if (he->both.n == 0)
        return AM_OK;
    he->ninvolved = he->ncodes = he->nagencies = 0;
    int64_t cost[2] = {0, 0};
    for (int side = 0; side < 2; side++) {
        for (size_t i = 0; i < he->nsides[side]; i++) {
            const am_piece *p = &he->sides[side][i].piece;
            if (am_spans_overlap(&he->both, p->start, p->end) == 0)
                continue;
            for (size_t k = 0; k < he->both.n; k++) {
                const am_span *x = &he->both.v[k];
                cost[side] += am_record_share(p->record, x->start > p->start ? x->start : p->start,
                                              x->end < p->end ? x->end : p->end);
            }
            const am_record *via = he->sides[side][i].via;
            if (!AM_PUSH(he->involved, he->ninvolved, he->capinvolved, p->record) ||
                (via && !AM_PUSH(he->involved, he->ninvolved, he->capinvolved, via)) ||
                !AM_PUSH(he->codes, he->ncodes, he->capcodes, p->record->code) ||
                !AM_PUSH(he->agencies, he->nagencies, he->capagencies,
                      (uint16_t)he->in->feeds[p->record->feed]->agency))
                return AM_ERR_NOMEM;
        }
    }
    return emit(he, rule, household, AM_KIND_CONFLICT, he->both.v[0].start,
                he->both.v[he->both.n - 1].end, am_spans_days(&he->both),
                cost[0] < cost[1] ? cost[0] : cost[1]);
}

am_status am_match_households(const am_match_input *in, const am_household_index *index,
                              uint32_t first, uint32_t last, am_finding_list *out)
{
    const am_rules *rules = in->rules;
    household_eval he = {.in = in, .out = out};
    am_status st = AM_OK;
    for (size_t r = 0; r < rules->n && st == AM_OK; r++) {
        const am_rule *rule = &rules->v[r];
        const int unique = rule->kind == AM_RULE_HOUSEHOLD_UNIQUE;
        if (!unique && !(rule->kind == AM_RULE_EXCLUSIVE && rule->household_scope))
            continue;
        for (uint32_t h = first; h < last && st == AM_OK; h++)
            st = unique ? judge_household(&he, rule, index, h)
                        : household_exclusive(&he, rule, index, h);
    }
    for (int side = 0; side < 2; side++) {
        am_free(he.sides[side]);
        am_spans_free(&he.days[side]);
    }
    am_spans_free(&he.both);
    am_free(he.cluster);
    am_free(he.involved);
    am_free(he.pieces);
    am_free(he.codes);
    am_free(he.agencies);
    return st;
}
