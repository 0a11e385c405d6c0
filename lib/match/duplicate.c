/*
 * duplicate.c — the DUPLICATE matcher (see duplicate.h).
 *
 * Records arrive sorted by person, item and start, so each person's
 * payments of one item are a contiguous run.  Periodic items duplicate when
 * their inclusive day ranges overlap; a one-off payment duplicates another
 * of the same item made within the item's duplicate window, which is the
 * same test once each payment is widened to [day, day + window - 1].
 * An item whose window is none may be paid again and again, but not twice
 * on one day by two agencies: that is one need met twice, found with a
 * window of one day among payments of more than one agency.
 *
 * Money at stake is what was paid beyond one payment (stake.h); for
 * one-off items, every payment but the largest.
 */
#include "match/duplicate.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "match/stake.h"

typedef struct cluster {
    const am_record **records;
    size_t count, capacity;
} cluster;

static int push(cluster *c, const am_record *r)
{
    return AM_PUSH(c->records, c->count, c->capacity, r);
}

static int32_t effective_end(const am_item *item, const am_record *r)
{
    if (item->periodic)
        return r->end;
    return r->start + (item->duplicate_window_days > 0 ? item->duplicate_window_days : 1) - 1;
}

/* Whether a cluster's payments come from more than one agency. */
static int several_agencies(const am_match_input *in, const cluster *c)
{
    const int first = in->feeds[c->records[0]->feed]->agency;
    for (size_t i = 1; i < c->count; i++)
        if (in->feeds[c->records[i]->feed]->agency != first)
            return 1;
    return 0;
}

/* Periodic clusters: the shared stretch-by-stretch rule (stake.h). */
static int periodic_stake(const cluster *c, am_stake *s)
{
    am_piece *pieces = am_malloc(c->count * sizeof *pieces);
    if (!pieces)
        return 0;
    for (size_t i = 0; i < c->count; i++)
        pieces[i] = (am_piece){c->records[i]->start, c->records[i]->end, c->records[i]};
    const int ok = am_stake_add(pieces, c->count, s);
    am_free(pieces);
    return ok;
}

/* Reports one person's runs of one item, already split into clusters of
 * mutually reachable overlaps, as a single finding. */
static am_status report(const am_match_input *in, am_finding_list *out, const am_item *item,
                        const cluster *involved, am_stake *s)
{
    uint16_t *agencies = am_malloc(involved->count * sizeof *agencies);
    if (!agencies)
        return AM_ERR_NOMEM;
    for (size_t i = 0; i < involved->count; i++)
        agencies[i] = (uint16_t)in->feeds[involved->records[i]->feed]->agency;
    const uint16_t code = involved->records[0]->code;
    if (!item->periodic)
        s->days = (int64_t)s->last - s->first + 1;
    const int same_day = !item->periodic && item->duplicate_window_days <= 0;
    const am_finding_draft d = {
        .kind = AM_KIND_DUPLICATE,
        .rule_id = AM_DUPLICATE_RULE_ID,
        .policy_source = same_day ? AM_SAME_DAY_SOURCE : AM_DUPLICATE_SOURCE,
        .priority = "normal",
        .subject = involved->records[0]->person,
        .start = s->first,
        .end = s->last,
        .days = s->days,
        .amount_fen = s->amount_fen,
        .codes = &code,
        .ncodes = 1,
        .agencies = agencies,
        .nagencies = involved->count,
        .evidence = involved->records,
        .nevidence = involved->count,
    };
    const am_status st = am_findings_add(in, out, &d);
    am_free(agencies);
    return st;
}

/* Handles the run [begin, end) of one person's records of one item. */
static am_status match_run(const am_match_input *in, am_finding_list *out, const am_item *item,
                           const am_record *begin, const am_record *end, cluster *current,
                           cluster *involved)
{
    am_stake s = AM_STAKE_EMPTY;
    involved->count = 0;
    const am_record *r = begin;
    while (r < end) {
        current->count = 0;
        int32_t reach = effective_end(item, r);
        if (!push(current, r))
            return AM_ERR_NOMEM;
        for (r++; r < end && r->start <= reach; r++) {
            if (!push(current, r))
                return AM_ERR_NOMEM;
            const int32_t e = effective_end(item, r);
            reach = e > reach ? e : reach;
        }
        if (current->count < 2)
            continue;
        if (!item->periodic && item->duplicate_window_days <= 0 &&
            !several_agencies(in, current))
            continue;
        if (item->periodic) {
            if (!periodic_stake(current, &s))
                return AM_ERR_NOMEM;
        } else {
            am_stake_add_one_offs(current->records, current->count, &s);
        }
        for (size_t i = 0; i < current->count; i++)
            if (!push(involved, current->records[i]))
                return AM_ERR_NOMEM;
    }
    return involved->count ? report(in, out, item, involved, &s) : AM_OK;
}

am_status am_match_duplicates(const am_match_input *in, size_t begin, size_t end,
                              am_finding_list *out)
{
    const am_catalogue *cat = in->catalogue;
    const am_record *records = in->store->records;
    const size_t n = end;
    cluster current = {0}, involved = {0};
    am_status st = AM_OK;
    for (size_t i = begin; i < n && st == AM_OK;) {
        size_t j = i + 1;
        while (j < n && records[j].code == records[i].code &&
               am_token_eq(records[j].person, records[i].person))
            j++;
        if (am_code_is_item(cat, records[i].code) && j - i > 1) {
            const am_item *item = &cat->items[records[i].code];
            st = match_run(in, out, item, &records[i], &records[j], &current, &involved);
        }
        i = j;
    }
    am_free(current.records);
    am_free(involved.records);
    return st;
}
