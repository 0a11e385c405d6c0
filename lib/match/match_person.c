/*
 * match_person.c — the rules that are judged one person at a time:
 * exclusive, entitles, ends_at, disqualifies, and the "one person in two
 * claiming households" half of household_unique.
 *
 * For each person the matcher first lists their holdings: every record of
 * their own, and every payment of a household-unit item made to a
 * household they belonged to, cut to the days they belonged.  A rule is
 * then set algebra on the days of the holdings it names (span.h), clipped
 * at the person's death: the dead hold nothing and are owed nothing.
 */
#include "match/match.h"

#include <stdlib.h>
#include <string.h>

#include "common/money.h"
#include "common/alloc.h"
#include "common/span.h"
#include "match/stake.h"

typedef struct holding {
    uint16_t code;
    uint8_t value;
    int32_t start, end;
    const am_record *record;  /* the payment or registry record */
    const am_record *via;     /* the membership that passes it on, or NULL for own records */
    uint32_t household;       /* claim household of an item payment, 0 if none */
} holding;

typedef struct membership {
    uint32_t household;
    int32_t start, end;
    const am_record *via;
} membership;

typedef struct person_eval {
    const am_match_input *in;
    am_finding_list *out;
    const am_household_index *index;
    const am_rules *rules;
    int32_t window_start, window_end;
    int hukou, death_code;
    const am_record *begin, *end; /* the person's own records */
    holding *h;
    size_t nh, caph;
    membership *m;
    size_t nm, capm;
    uint64_t *held; /* bit per code: some holding has it (any value) */
    int32_t death; /* AM_DAY_OPEN if alive */
    const am_record *death_record;
    am_spans s1, s2, s3, s4;
    /* the finding being assembled */
    const am_record **evidence;
    size_t nevidence, capevidence;
    uint16_t *codes, *agencies;
    size_t ncodes, nagencies, capcodes, capagencies;
    am_piece *pieces;
    size_t npieces, cappieces;
} person_eval;

static int add_holding(person_eval *pe, const holding *h)
{
    if (!AM_RESERVE(pe->h, pe->caph, pe->nh + 1))
        return 0;
    pe->h[pe->nh++] = *h;
    pe->held[h->code / 64] |= UINT64_C(1) << (h->code % 64);
    return 1;
}

/* Whether some holding has a code of the group, whatever its value: when
 * not, every rule that needs the group is judged without a look at the
 * holdings, which is most rules for most persons. */
static int group_held(const person_eval *pe, const am_group *g)
{
    for (size_t i = 0; i < g->n; i++)
        if (pe->held[g->refs[i].code / 64] & UINT64_C(1) << (g->refs[i].code % 64))
            return 1;
    return 0;
}

/* Whether the rule can find anything: each rule kind finds nothing when a
 * group it intersects with, or starts from, is not held at all. */
static int rule_can_apply(const person_eval *pe, const am_rule *rule)
{
    switch (rule->kind) {
    case AM_RULE_EXCLUSIVE:
    case AM_RULE_DISQUALIFIES:
        return group_held(pe, &rule->first) && group_held(pe, &rule->second);
    case AM_RULE_ENTITLES:
        for (size_t t = 0; t < rule->nterms; t++)
            if (!group_held(pe, &rule->terms[t]))
                return 0;
        return 1;
    case AM_RULE_ENDS_AT:
    case AM_RULE_HOUSEHOLD_UNIQUE:
        return group_held(pe, &rule->first);
    }
    return 1;
}

static int add_membership(person_eval *pe, uint32_t household, int32_t start, int32_t end,
                          const am_record *via)
{
    if (!AM_RESERVE(pe->m, pe->capm, pe->nm + 1))
        return 0;
    pe->m[pe->nm++] = (membership){household, start, end, via};
    return 1;
}

static int compare_memberships(const void *pa, const void *pb)
{
    const membership *a = pa, *b = pb;
    if (a->household != b->household)
        return a->household < b->household ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

static const am_item *item_of(const person_eval *pe, uint16_t code)
{
    const am_catalogue *cat = pe->in->catalogue;
    return am_code_is_item(cat, code) ? &cat->items[code] : NULL;
}

/* Passes on what a household was paid to one member, for the days the
 * member belonged.  The person's own claims are already holdings. */
static int derive_from(person_eval *pe, uint32_t household, int32_t start, int32_t end,
                       const am_record *via)
{
    const am_household_index *ix = pe->index;
    if (!(ix->has_shared[household / 64] >> (household % 64) & 1))
        return 1;
    /* The person's own records are one run of the store. */
    const size_t own_begin = (size_t)(pe->begin - ix->records);
    const size_t own_end = (size_t)(pe->end - ix->records);
    for (size_t c = ix->first_shared[household]; c < ix->first_shared[household + 1]; c++) {
        const am_shared_claim *claim = &ix->shared[c];
        if (claim->record >= own_begin && claim->record < own_end)
            continue;
        const int32_t lo = claim->start > start ? claim->start : start;
        const int32_t hi = claim->end < end ? claim->end : end;
        if (lo > hi)
            continue;
        const holding h = {claim->code, 0, lo, hi, &ix->records[claim->record], via, household};
        if (!add_holding(pe, &h))
            return 0;
    }
    return 1;
}

static int build_holdings(person_eval *pe)
{
    for (size_t i = 0; i < pe->nh; i++)
        pe->held[pe->h[i].code / 64] = 0;
    pe->nh = pe->nm = 0;
    pe->death = AM_DAY_OPEN;
    pe->death_record = NULL;
    for (const am_record *r = pe->begin; r < pe->end; r++) {
        const holding h = {r->code, r->value, r->start, r->end, r, NULL,
                           item_of(pe, r->code) ? r->household : 0};
        if (!add_holding(pe, &h))
            return 0;
        if (r->code == pe->death_code && r->start < pe->death) {
            pe->death = r->start;
            pe->death_record = r;
        }
        /* Claiming a household item for a household makes the claimant a
         * member for the claimed period; a person-unit payment does not,
         * even when its household was inferred from the hukou register. */
        const am_item *item = item_of(pe, r->code);
        const int member = r->household && (r->code == pe->hukou ||
                                             (item && item->unit == AM_UNIT_HOUSEHOLD));
        if (member && !add_membership(pe, r->household, r->start, r->end, r))
            return 0;
    }
    /* Merge each household's membership spans first, so that a claim seen
     * through two memberships is passed on once. */
    if (pe->nm > 1) /* qsort must not be given NULL, even with nothing to sort */
        qsort(pe->m, pe->nm, sizeof *pe->m, compare_memberships);
    for (size_t i = 0; i < pe->nm;) {
        membership merged = pe->m[i];
        size_t j = i + 1;
        for (; j < pe->nm && pe->m[j].household == merged.household; j++) {
            if ((int64_t)pe->m[j].start <= (int64_t)merged.end + 1) {
                if (pe->m[j].end > merged.end)
                    merged.end = pe->m[j].end;
                continue;
            }
            if (!derive_from(pe, merged.household, merged.start, merged.end, merged.via))
                return 0;
            merged = pe->m[j];
        }
        if (!derive_from(pe, merged.household, merged.start, merged.end, merged.via))
            return 0;
        i = j;
    }
    return 1;
}

static int matches(const am_group *g, const holding *h) { return am_group_has(g, h->code, h->value); }

/* The days on which the person holds something of the group, up to death. */
static int group_days(person_eval *pe, const am_group *g, am_spans *out)
{
    am_spans_clear(out);
    for (size_t i = 0; i < pe->nh; i++)
        if (matches(g, &pe->h[i]) && !am_spans_add(out, pe->h[i].start, pe->h[i].end))
            return 0;
    am_spans_normalise(out);
    if (pe->death != AM_DAY_OPEN)
        am_spans_clip(out, INT32_MIN, pe->death);
    return 1;
}

/* --- assembling a finding ------------------------------------------- */

static void reset_finding(person_eval *pe) { pe->nevidence = pe->ncodes = pe->nagencies = 0; }

static int add_evidence(person_eval *pe, const am_record *r)
{
    if (!AM_RESERVE(pe->evidence, pe->capevidence, pe->nevidence + 1))
        return 0;
    pe->evidence[pe->nevidence++] = r;
    return 1;
}

static int add_code(person_eval *pe, uint16_t code)
{
    for (size_t i = 0; i < pe->ncodes; i++)
        if (pe->codes[i] == code)
            return 1;
    if (!AM_RESERVE(pe->codes, pe->capcodes, pe->ncodes + 1))
        return 0;
    pe->codes[pe->ncodes++] = code;
    return 1;
}

static int add_agency(person_eval *pe, uint16_t agency)
{
    if (!AM_RESERVE(pe->agencies, pe->capagencies, pe->nagencies + 1))
        return 0;
    pe->agencies[pe->nagencies++] = agency;
    return 1;
}

/* Adds a holding to the finding: its record, how it reached the person,
 * its item and the agency that paid it. */
static int involve(person_eval *pe, const holding *h)
{
    if (!add_evidence(pe, h->record) || (h->via && !add_evidence(pe, h->via)))
        return 0;
    if (!item_of(pe, h->code))
        return 1;
    return add_code(pe, h->code) &&
           add_agency(pe, (uint16_t)pe->in->feeds[h->record->feed]->agency);
}

static am_status emit(person_eval *pe, const am_rule *rule, am_kind kind, const am_spans *days,
                      int64_t amount, const char *priority)
{
    const am_finding_draft d = {
        .kind = kind,
        .rule_id = rule->id,
        .policy_source = rule->source,
        .priority = priority,
        .subject = pe->begin->person,
        .start = days->v[0].start,
        .end = days->v[days->n - 1].end,
        .days = am_spans_days(days),
        .amount_fen = amount,
        .codes = pe->codes,
        .ncodes = pe->ncodes,
        .agencies = pe->agencies,
        .nagencies = pe->nagencies,
        .evidence = pe->evidence,
        .nevidence = pe->nevidence,
    };
    return am_findings_add(pe->in, pe->out, &d);
}

/* What the group's payments to this person cost over the given days. */
static int64_t group_cost(const person_eval *pe, const am_group *g, const am_spans *days)
{
    int64_t cost = 0;
    for (size_t i = 0; i < pe->nh; i++) {
        const holding *h = &pe->h[i];
        if (!matches(g, h) || !item_of(pe, h->code))
            continue;
        for (size_t k = 0; k < days->n; k++) {
            const int32_t lo = days->v[k].start > h->start ? days->v[k].start : h->start;
            const int32_t hi = days->v[k].end < h->end ? days->v[k].end : h->end;
            if (lo <= hi)
                cost += am_record_share(h->record, lo, hi);
        }
    }
    return cost;
}

/* Involves every holding of the group that touches the days: as items of
 * the finding, or (as_evidence_only) only as the records that show why. */
static int involve_group(person_eval *pe, const am_group *g, const am_spans *days,
                         int as_evidence_only)
{
    for (size_t i = 0; i < pe->nh; i++) {
        const holding *h = &pe->h[i];
        if (!matches(g, h) || am_spans_overlap(days, h->start, h->end) == 0)
            continue;
        if (as_evidence_only ? !add_evidence(pe, h->record) || (h->via && !add_evidence(pe, h->via))
                             : !involve(pe, h))
            return 0;
    }
    return 1;
}

/* --- the rules -------------------------------------------------------- */

/* s3 = the days the person holds both of the rule's groups.  Returns 0
 * when out of memory. */
static int both_groups(person_eval *pe, const am_rule *rule)
{
    return group_days(pe, &rule->first, &pe->s1) && group_days(pe, &rule->second, &pe->s2) &&
           am_spans_intersect(&pe->s1, &pe->s2, &pe->s3);
}

static am_status exclusive(person_eval *pe, const am_rule *rule)
{
    if (!both_groups(pe, rule))
        return AM_ERR_NOMEM;
    if (pe->s3.n == 0)
        return AM_OK;
    reset_finding(pe);
    if (!involve_group(pe, &rule->first, &pe->s3, 0) || !involve_group(pe, &rule->second, &pe->s3, 0))
        return AM_ERR_NOMEM;
    /* Which side should stop is for the caseworker; the smaller is the
     * least that was paid wrongly. */
    const int64_t a = group_cost(pe, &rule->first, &pe->s3);
    const int64_t b = group_cost(pe, &rule->second, &pe->s3);
    return emit(pe, rule, AM_KIND_CONFLICT, &pe->s3, a < b ? a : b, "normal");
}

static am_status entitles(person_eval *pe, const am_rule *rule)
{
    /* s1: days every condition holds, within the window and up to death. */
    if (!group_days(pe, &rule->terms[0], &pe->s1))
        return AM_ERR_NOMEM;
    for (size_t t = 1; t < rule->nterms && pe->s1.n; t++) {
        if (!group_days(pe, &rule->terms[t], &pe->s2) ||
            !am_spans_intersect(&pe->s1, &pe->s2, &pe->s3))
            return AM_ERR_NOMEM;
        am_spans tmp = pe->s1;
        pe->s1 = pe->s3;
        pe->s3 = tmp;
    }
    am_spans_clip(&pe->s1, pe->window_start, pe->window_end);
    if (pe->s1.n == 0)
        return AM_OK;
    if (!group_days(pe, &rule->second, &pe->s2) || !am_spans_subtract(&pe->s1, &pe->s2, &pe->s3))
        return AM_ERR_NOMEM;
    am_spans_clear(&pe->s4);
    for (size_t k = 0; k < pe->s3.n; k++) {
        const am_span *u = &pe->s3.v[k];
        if ((int64_t)u->end - u->start + 1 > rule->grace_days && !am_spans_add(&pe->s4, u->start, u->end))
            return AM_ERR_NOMEM;
    }
    if (pe->s4.n == 0)
        return AM_OK;
    reset_finding(pe);
    for (size_t t = 0; t < rule->nterms; t++)
        if (!involve_group(pe, &rule->terms[t], &pe->s4, 1))
            return AM_ERR_NOMEM;
    const uint16_t target = rule->second.refs[0].code;
    if (!add_code(pe, target) || !add_agency(pe, item_of(pe, target)->agency))
        return AM_ERR_NOMEM;
    return emit(pe, rule, AM_KIND_MISSING, &pe->s4, 0, "normal");
}

static am_status disqualifies(person_eval *pe, const am_rule *rule)
{
    if (!both_groups(pe, rule))
        return AM_ERR_NOMEM;
    if (pe->s3.n == 0)
        return AM_OK;
    reset_finding(pe);
    if (!involve_group(pe, &rule->first, &pe->s3, 1) || !involve_group(pe, &rule->second, &pe->s3, 0))
        return AM_ERR_NOMEM;
    return emit(pe, rule, AM_KIND_DISQUALIFIED, &pe->s3, group_cost(pe, &rule->second, &pe->s3),
                "normal");
}

/* One finding per item paid for days after the death the rule names. */
static am_status ends_at(person_eval *pe, const am_rule *rule)
{
    int32_t day = AM_DAY_OPEN;
    const am_record *fact = NULL;
    for (const am_record *r = pe->begin; r < pe->end; r++)
        if (am_group_has(&rule->first, r->code, r->value) && r->start < day) {
            day = r->start;
            fact = r;
        }
    if (!fact)
        return AM_OK;
    const am_catalogue *cat = pe->in->catalogue;
    for (const am_record *r = pe->begin; r < pe->end;) {
        const am_record *run_end = r;
        while (run_end < pe->end && run_end->code == r->code)
            run_end++;
        if (am_code_is_item(cat, r->code) && !am_group_has(&rule->second, r->code, 0)) {
            reset_finding(pe);
            am_spans_clear(&pe->s1);
            int64_t amount = 0, latest = 0;
            for (const am_record *p = r; p < run_end; p++) {
                if (p->end <= day)
                    continue;
                const int32_t from = p->start > day ? p->start : day + 1;
                if (!am_spans_add(&pe->s1, from, p->end) || !add_evidence(pe, p) ||
                    !add_agency(pe, (uint16_t)pe->in->feeds[p->feed]->agency))
                    return AM_ERR_NOMEM;
                amount = am_money_add(amount, am_record_share(p, from, p->end));
                if ((int64_t)p->end - day > latest)
                    latest = (int64_t)p->end - day;
            }
            if (pe->s1.n) {
                am_spans_normalise(&pe->s1);
                if (!add_evidence(pe, fact) || !add_code(pe, r->code))
                    return AM_ERR_NOMEM;
                /* Deaths reach the registry late: a payment just after one is
                 * expected; one long after is not. */
                const char *priority = latest <= pe->in->death_lag_days ? "low" : "high";
                const am_status st = emit(pe, rule, AM_KIND_AFTER_DEATH, &pe->s1, amount, priority);
                if (st != AM_OK)
                    return st;
            }
        }
        r = run_end;
    }
    return AM_OK;
}

static int32_t effective_end(const person_eval *pe, const am_rule *rule, const holding *h)
{
    const am_item *item = item_of(pe, h->code);
    if (item->periodic)
        return h->end;
    const int32_t window = rule->window_days ? rule->window_days : item->duplicate_window_days;
    return window ? h->start + window - 1 : h->start - 1;
}

/* A household-attributed holding and the last day it can collide. */
typedef struct reach {
    int32_t start, end;
    const holding *h;
} reach;

static int compare_reaches(const void *pa, const void *pb)
{
    const reach *a = pa, *b = pb;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* One person held a group item through two households at once. */
static am_status two_households(person_eval *pe, const am_rule *rule)
{
    reach *reaches = am_malloc((pe->nh ? pe->nh : 1) * sizeof *reaches);
    unsigned char *involved = am_calloc(pe->nh ? pe->nh : 1, 1);
    am_status st = reaches && involved ? AM_OK : AM_ERR_NOMEM;
    size_t n = 0;
    /* Like every rule but ends_at, this one looks at days up to death. */
    for (size_t i = 0; st == AM_OK && i < pe->nh; i++) {
        const holding *h = &pe->h[i];
        if (!h->household || !matches(&rule->first, h) || h->start > pe->death)
            continue;
        const int32_t end = effective_end(pe, rule, h);
        reaches[n++] = (reach){h->start, end < pe->death ? end : pe->death, h};
    }
    if (st == AM_OK)
        qsort(reaches, n, sizeof *reaches, compare_reaches);
    am_spans_clear(&pe->s1);
    for (size_t i = 0; st == AM_OK && i < n; i++) {
        for (size_t j = i + 1; j < n && reaches[j].start <= reaches[i].end; j++) {
            const holding *a = reaches[i].h, *b = reaches[j].h;
            if (a->household == b->household)
                continue;
            const int32_t hi = reaches[i].end < reaches[j].end ? reaches[i].end : reaches[j].end;
            if (!am_spans_add(&pe->s1, reaches[j].start, hi)) {
                st = AM_ERR_NOMEM;
                break;
            }
            involved[a - pe->h] = involved[b - pe->h] = 1;
        }
    }
    am_free(reaches);
    if (st == AM_OK && pe->s1.n) {
        am_spans_normalise(&pe->s1);
        reset_finding(pe);
        pe->npieces = 0;
        for (size_t i = 0; st == AM_OK && i < pe->nh; i++) {
            if (!involved[i])
                continue;
            const int32_t end = pe->h[i].end < pe->death ? pe->h[i].end : pe->death;
            if (!involve(pe, &pe->h[i]) || !AM_RESERVE(pe->pieces, pe->cappieces, pe->npieces + 1))
                st = AM_ERR_NOMEM;
            else
                pe->pieces[pe->npieces++] = (am_piece){pe->h[i].start, end, pe->h[i].record};
        }
        am_stake stake = AM_STAKE_EMPTY;
        if (st == AM_OK && !am_stake_add(pe->pieces, pe->npieces, &stake))
            st = AM_ERR_NOMEM;
        if (st == AM_OK)
            st = emit(pe, rule, AM_KIND_HOUSEHOLD_DUPLICATE, &pe->s1, stake.amount_fen, "normal");
    }
    am_free(involved);
    return st;
}

static am_status judge_person(person_eval *pe)
{
    if (!build_holdings(pe))
        return AM_ERR_NOMEM;
    for (size_t i = 0; i < pe->rules->n; i++) {
        const am_rule *rule = &pe->rules->v[i];
        if (!rule_can_apply(pe, rule))
            continue;
        am_status st = AM_OK;
        switch (rule->kind) {
        case AM_RULE_EXCLUSIVE: st = rule->household_scope ? AM_OK : exclusive(pe, rule); break;
        case AM_RULE_ENTITLES: st = entitles(pe, rule); break;
        case AM_RULE_DISQUALIFIES: st = disqualifies(pe, rule); break;
        case AM_RULE_ENDS_AT: st = ends_at(pe, rule); break;
        case AM_RULE_HOUSEHOLD_UNIQUE: st = two_households(pe, rule); break;
        }
        if (st != AM_OK)
            return st;
    }
    return AM_OK;
}

am_status am_match_persons(const am_match_input *in, const am_household_index *index,
                           int32_t window_start, int32_t window_end, size_t begin, size_t end,
                           am_finding_list *out)
{
    person_eval pe = {
        .in = in,
        .out = out,
        .index = index,
        .rules = in->rules,
        .window_start = window_start,
        .window_end = window_end,
        .hukou = am_hukou_code(in->catalogue),
        .death_code = am_death_code(in->catalogue),
    };
    const am_record *records = in->store->records;
    const size_t n = end;
    const size_t ncodes = in->catalogue->nitems + in->catalogue->nfacts;
    pe.held = am_calloc(ncodes / 64 + 1, sizeof *pe.held);
    am_status st = pe.held ? AM_OK : AM_ERR_NOMEM;
    for (size_t i = begin; i < n && st == AM_OK;) {
        const size_t j = am_person_run_end(records, n, i);
        pe.begin = &records[i];
        pe.end = &records[j];
        st = judge_person(&pe);
        i = j;
    }
    am_free(pe.held);
    am_free(pe.h);
    am_free(pe.m);
    am_spans_free(&pe.s1);
    am_spans_free(&pe.s2);
    am_spans_free(&pe.s3);
    am_spans_free(&pe.s4);
    am_free(pe.evidence);
    am_free(pe.codes);
    am_free(pe.agencies);
    am_free(pe.pieces);
    return st;
}
