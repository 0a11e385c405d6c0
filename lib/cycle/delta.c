/*
 * delta.c — new, persisting and resolved findings, and delta.csv (see
 * delta.h).  Finding ids hash what a finding is about and never where its
 * evidence sits, so the same id on two nights is the same finding.
 */
#include "cycle/delta.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/atomic_file.h"
#include "common/csv_out.h"
#include "common/money.h"
#include "cycle/review.h"

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

am_status am_delta_classify(const am_cycle *c, am_review_state *rv)
{
    const am_previous *prev = c->previous;
    memset(rv->by_change, 0, sizeof rv->by_change);
    memset(rv->amount_by_change, 0, sizeof rv->amount_by_change);
    for (size_t i = 0; i < rv->n; i++) {
        am_review_rec *r = &rv->v[i];
        const am_prev_finding *pf = am_previous_find(prev, c->findings->v[i].id);
        r->change = pf ? AM_CHANGE_PERSISTING : AM_CHANGE_NEW;
        const char *first = rv->run_date;
        if (pf)
            first = pf->first_seen[0] ? pf->first_seen : prev->run_date;
        memcpy(r->first_seen, first, sizeof r->first_seen);
        rv->by_change[r->change]++;
        rv->amount_by_change[r->change] =
            am_money_add(rv->amount_by_change[r->change], c->findings->v[i].pub.amount_fen);
    }
    if (!prev || !prev->count)
        return AM_OK;
    /* The previous run's findings are sorted by id; so are tonight's ids
     * once sorted, and the resolved ones come out in id order. */
    const char **ids = am_malloc((rv->n ? rv->n : 1) * sizeof *ids);
    rv->resolved = am_malloc(prev->count * sizeof *rv->resolved);
    if (!ids || !rv->resolved) {
        am_free(ids);
        am_free(rv->resolved);
        rv->resolved = NULL;
        return AM_ERR_NOMEM;
    }
    for (size_t i = 0; i < rv->n; i++)
        ids[i] = c->findings->v[i].id;
    qsort(ids, rv->n, sizeof *ids, compare_ids);
    for (size_t j = 0; j < prev->count; j++) {
        const char *id = prev->findings[j].id;
        if (!bsearch(&id, ids, rv->n, sizeof *ids, compare_ids)) {
            rv->resolved[rv->nresolved++] = &prev->findings[j];
            rv->by_change[AM_CHANGE_RESOLVED]++;
            if (prev->findings[j].amount_fen > 0)
                rv->amount_by_change[AM_CHANGE_RESOLVED] = am_money_add(
                    rv->amount_by_change[AM_CHANGE_RESOLVED], prev->findings[j].amount_fen);
        }
    }
    am_free(ids);
    return AM_OK;
}

size_t am_delta_rows(const am_cycle *c)
{
    return c->previous ? c->review->n + c->review->nresolved : 0;
}

void am_delta_row_of(const am_cycle *c, size_t i, am_delta_row *out)
{
    const am_review_state *rv = c->review;
    if (i < rv->n) {
        out->finding_id = c->findings->v[i].id;
        out->change = (am_change)rv->v[i].change;
        out->first_seen = rv->v[i].first_seen;
        out->last_seen = rv->run_date;
        return;
    }
    const am_prev_finding *pf = rv->resolved[i - rv->n];
    out->finding_id = pf->id;
    out->change = AM_CHANGE_RESOLVED;
    out->first_seen = pf->first_seen[0] ? pf->first_seen : c->previous->run_date;
    out->last_seen = c->previous->run_date[0] ? c->previous->run_date : pf->last_seen;
}

/* delta.csv repeats what each finding is about, so that a resolved one
 * can still be read once the directory holding its night is replaced. */
am_status am_delta_write(const am_cycle *c, int bom, const char *path, am_err *err)
{
    am_atomic_file f;
    const am_status st = am_atomic_open(&f, path, err);
    if (st != AM_OK)
        return st;
    if (bom)
        fputs(AM_CSV_BOM, f.out);
    fputs("finding_id,status,first_seen,last_seen,kind,rule_id,unit,subject,items,agencies,"
          "period_start,period_end,amount_at_stake,priority\n",
          f.out);
    const size_t n = am_delta_rows(c);
    for (size_t i = 0; i < n; i++) {
        am_delta_row row;
        am_delta_row_of(c, i, &row);
        char amount[32];
        const char *fields[14] = {row.finding_id, am_change_name(row.change), row.first_seen,
                                  row.last_seen};
        if (i < c->review->n) {
            const am_finding *p = &c->findings->v[i].pub;
            am_money_format(p->amount_fen, amount);
            const char *const about[] = {am_kind_name(p->kind), p->rule_id,    p->unit,
                                         p->subject,            p->items,      p->agencies,
                                         p->period_start,       p->period_end, amount,
                                         p->priority};
            memcpy(fields + 4, about, sizeof about);
        } else {
            const am_prev_finding *pf = c->review->resolved[i - c->review->n];
            am_money_format(pf->amount_fen, amount);
            const char *const about[] = {
                pf->kind >= 0 ? am_kind_name((am_kind)pf->kind) : "",
                am_prev_finding_detail(pf, AM_PREV_RULE),
                am_prev_finding_detail(pf, AM_PREV_UNIT),
                am_prev_finding_detail(pf, AM_PREV_SUBJECT),
                am_prev_finding_detail(pf, AM_PREV_ITEMS),
                am_prev_finding_detail(pf, AM_PREV_AGENCIES),
                am_prev_finding_detail(pf, AM_PREV_PERIOD_START),
                am_prev_finding_detail(pf, AM_PREV_PERIOD_END),
                amount,
                am_prev_finding_detail(pf, AM_PREV_PRIORITY)};
            memcpy(fields + 4, about, sizeof about);
        }
        am_csv_row(f.out, fields, 14);
    }
    return am_atomic_commit(&f, err);
}
