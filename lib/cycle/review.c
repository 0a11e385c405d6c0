/*
 * review.c — the review of a reconciliation's findings: their facts,
 * areas, changes, outcomes and suppression (see review.h); and the
 * summary.json members that report it.  The public entry points of the
 * nightly cycle are run/cycle.c's.
 */
#include "cycle/review.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "cycle/delta.h"
#include "cycle/drift.h"
#include "match/facts.h"
#include "common/json.h"
#include "common/day.h"
#include "common/money.h"
#include "cycle/outcomes.h"

const char *am_outcome_name(am_outcome outcome)
{
    static const char *const names[AM_OUTCOME__COUNT] = {
        [AM_OUTCOME_NONE] = "none",
        [AM_OUTCOME_CONFIRMED] = "confirmed",
        [AM_OUTCOME_ERROR_CORRECTED] = "error_corrected",
        [AM_OUTCOME_NO_ISSUE] = "no_issue",
    };
    return (unsigned)outcome < AM_OUTCOME__COUNT ? names[outcome] : "unknown";
}

const char *am_change_name(am_change change)
{
    static const char *const names[AM_CHANGE__COUNT] = {
        [AM_CHANGE_NEW] = "new",
        [AM_CHANGE_PERSISTING] = "persisting",
        [AM_CHANGE_RESOLVED] = "resolved",
    };
    return (unsigned)change < AM_CHANGE__COUNT ? names[change] : "unknown";
}

am_status am_previous_check_origin(const am_previous *prev, const char *centre_name,
                                   const char *key_fingerprint, am_err *err)
{
    if (prev->key_fingerprint[0] && key_fingerprint[0] &&
        strcmp(prev->key_fingerprint, key_fingerprint) != 0)
        return am_fail(err, AM_ERR_KEY,
                       "the previous run was made under another key (fingerprint %s; this "
                       "run's is %s): its findings cannot be compared with tonight's; give "
                       "--previous a run of this centre under this key",
                       prev->key_fingerprint, key_fingerprint);
    const char *centre = centre_name ? centre_name : "";
    if (prev->centre && centre_name && strcmp(prev->centre, centre) != 0)
        return am_fail(err, AM_ERR_FORMAT,
                       "the previous run is of the centre '%.80s', this run of '%.80s': give "
                       "--previous a run of this centre",
                       prev->centre, centre);
    return AM_OK;
}

void am_review_free(am_review_state *r)
{
    am_free(r->v);
    am_free(r->resolved);
    am_free(r->unmatched);
    am_evidence_index_free(&r->evidence);
    memset(r, 0, sizeof *r);
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Counts the finding ids that have an outcome as of the run date but no
 * finding tonight: outcomes for findings that are gone, or mistyped ids. */
static am_status count_unmatched(const am_cycle *c, am_review_state *rv, int32_t as_of)
{
    const am_outcomes *o = c->outcomes;
    rv->outcomes_unmatched = 0;
    if (!o->count)
        return AM_OK;
    const char **ids = am_malloc((rv->n ? rv->n : 1) * sizeof *ids);
    rv->unmatched = am_malloc(o->count * sizeof *rv->unmatched);
    if (!ids || !rv->unmatched) {
        am_free(ids);
        return AM_ERR_NOMEM;
    }
    for (size_t i = 0; i < rv->n; i++)
        ids[i] = c->findings->v[i].id;
    qsort(ids, rv->n, sizeof *ids, compare_ids);
    for (size_t j = 0; j < o->count; j++) {
        if (o->v[j].day > as_of || (j > 0 && memcmp(o->v[j].id, o->v[j - 1].id, 32) == 0 &&
                                    o->v[j - 1].day <= as_of))
            continue; /* not yet recorded, or an id already counted */
        const char *id = o->v[j].id;
        if (!bsearch(&id, ids, rv->n, sizeof *ids, compare_ids))
            rv->unmatched[rv->outcomes_unmatched++] = id;
    }
    am_free(ids);
    return AM_OK;
}

am_status am_review_run(const am_cycle *c, am_review_state *rv, am_err *err)
{
    const am_previous *prev = c->previous;
    if (prev) {
        const am_status origin =
            am_previous_check_origin(prev, c->centre_name, c->key_fingerprint, err);
        if (origin != AM_OK)
            return origin;
    }
    if (prev && !c->run_date_set)
        return am_fail(err, AM_ERR_INVALID,
                       "set the run date (am_set_run_date, --run-date) to compare with a "
                       "previous run");
    if (prev && prev->run_date[0] && prev->run_day > c->run_date) {
        char date[11];
        am_day_format(c->run_date, date);
        return am_fail(err, AM_ERR_INVALID,
                       "the previous run is dated %s, after this run's date %s", prev->run_date,
                       date);
    }
    am_review_free(rv);
    if (c->run_date_set)
        am_day_format(c->run_date, rv->run_date);
    const size_t n = c->findings->count;
    rv->v = am_calloc(n ? n : 1, sizeof *rv->v);
    if (!rv->v)
        return am_fail(err, AM_ERR_NOMEM, "out of memory reviewing findings");
    rv->n = n;

    am_evidence_index *ix = &rv->evidence;
    am_facts_scratch scratch = {0};
    /* A partitioned run's findings come with their facts: its records are
     * no longer in memory. */
    const int known = n && c->findings->v[0].facts_known;
    am_status st = known ? AM_OK : am_evidence_index_build(&c->match, c->findings, NULL, 0, ix);
    for (size_t i = 0; st == AM_OK && i < n; i++) {
        uint32_t area = c->findings->v[i].area;
        if (known)
            memcpy(rv->v[i].facts, c->findings->v[i].facts, sizeof rv->v[i].facts);
        else
            st = am_facts_of(&c->match, ix, &c->findings->v[i].pub, &scratch, rv->v[i].facts,
                             &area);
        if (st == AM_OK && area)
            snprintf(rv->v[i].area, sizeof rv->v[i].area, "%06u", (unsigned)(area % 1000000));
    }
    am_facts_scratch_free(&scratch);
    if (st == AM_OK)
        st = am_delta_classify(c, rv);

    const int32_t as_of = c->run_date_set ? c->run_date : INT32_MAX;
    for (size_t i = 0; st == AM_OK && i < n; i++) {
        am_review_rec *r = &rv->v[i];
        const am_finding_rec *f = &c->findings->v[i];
        const am_outcome_entry *o = am_outcomes_latest(c->outcomes, f->id, as_of);
        if (o) {
            r->outcome = o->outcome;
            am_day_format(o->day, r->outcome_date);
        }
        rv->by_outcome[r->outcome]++;
        const char *judged =
            am_outcome_suppresses(o, r->facts, prev, am_previous_find(prev, f->id));
        if (judged) {
            r->suppressed = 1;
            memcpy(r->reviewed, judged, sizeof r->reviewed);
            rv->suppressed++;
            rv->suppressed_amount = am_money_add(rv->suppressed_amount, f->pub.amount_fen);
        }
    }
    if (st == AM_OK)
        st = count_unmatched(c, rv, as_of);
    if (st != AM_OK) {
        am_review_free(rv);
        return am_fail(err, st, "out of memory reviewing findings");
    }
    return AM_OK;
}

void am_review_summary_json(const am_cycle *c, FILE *out)
{
    const am_review_state *rv = c->review;
    const am_previous *prev = c->previous;
    if (rv->run_date[0])
        fprintf(out, ",\n  \"run_date\": \"%s\"", rv->run_date);
    else
        fputs(",\n  \"run_date\": null", out);
    if (prev && prev->run_date[0])
        fprintf(out, ",\n  \"previous_run_date\": \"%s\"", prev->run_date);
    else
        fputs(",\n  \"previous_run_date\": null", out);
    /* the set-up's warnings (am_check_centre) when the run was checked */
    fputs(",\n  \"warnings\": [", out);
    size_t nwarnings = 0;
    for (size_t i = 0; i < c->ndiags; i++) {
        if (c->diags[i].severity != AM_SEVERITY_WARNING)
            continue;
        fputs(nwarnings++ ? ",\n    " : "\n    ", out);
        am_json_write_string(out, c->diags[i].message);
    }
    fputs(nwarnings ? "\n  ]" : "]", out);
    if (c->previous_missing) {
        fputs(",\n  \"previous_run_missing\": {\"directory\": ", out);
        am_json_write_string(out, c->previous_missing);
        fputs(", \"note\": \"the directory does not exist yet: no previous run to compare "
              "with (the first night)\"}",
              out);
    }
    if (prev) {
        fputs(",\n  \"delta\": {", out);
        for (int change = 0; change < AM_CHANGE__COUNT; change++) {
            char money[32];
            am_money_format(rv->amount_by_change[change], money);
            fprintf(out, "%s\"%s\": {\"count\": %zu, \"amount_at_stake\": \"%s\"}",
                    change ? ", " : "", am_change_name((am_change)change),
                    rv->by_change[change], money);
        }
        fputc('}', out);
    } else {
        fputs(",\n  \"delta\": null", out);
    }
    char share[16];
    am_drift_share_format(c->drift_permille, share);
    fprintf(out, ",\n  \"drift_share\": \"%s\"", share);
    if (prev) {
        fputs(",\n  \"drift\": [", out);
        for (size_t i = 0; i < c->match.nfeeds; i++) {
            am_feed_drift d;
            am_drift_of(c, i, &d);
            fprintf(out, "%s\n    {\"feed\": ", i ? "," : "");
            am_json_write_string(out, d.name);
            fprintf(out, ", \"rows_read\": %" PRIu64, d.rows_read);
            if (d.in_previous)
                fprintf(out, ", \"previous_rows_read\": %" PRIu64, d.previous_rows_read);
            else
                fputs(", \"previous_rows_read\": null", out);
            if (d.in_previous && d.previous_rows_read)
                fprintf(out, ", \"change_permille\": %" PRId64, d.change_permille);
            else
                fputs(", \"change_permille\": null", out);
            am_feed_age age;
            am_feed_age_of(c, i, &age);
            fprintf(out,
                    ", \"shrunk\": %s, \"grew\": %s, \"stale\": %s, \"unchanged_days\": %" PRId32
                    ", \"stale_days\": %" PRId32 "}",
                    d.shrunk ? "true" : "false", d.grew ? "true" : "false",
                    d.stale ? "true" : "false", age.unchanged_days, age.stale_days);
        }
        fputs(c->match.nfeeds ? "\n  ]" : "]", out);
    } else {
        fputs(",\n  \"drift\": null", out);
    }
    fputs(",\n  \"outcomes\": {", out);
    for (int k = 0; k < AM_OUTCOME__COUNT; k++)
        fprintf(out, "%s\"%s\": %zu", k ? ", " : "", am_outcome_name((am_outcome)k),
                rv->by_outcome[k]);
    char money[32];
    am_money_format(rv->suppressed_amount, money);
    fprintf(out,
            ", \"suppressed\": %zu, \"suppressed_amount_at_stake\": \"%s\", "
            "\"unmatched_ids\": %zu, \"unmatched_finding_ids\": [",
            rv->suppressed, money, rv->outcomes_unmatched);
    for (size_t i = 0; i < rv->outcomes_unmatched; i++)
        fprintf(out, "%s\"%.32s\"", i ? ", " : "", rv->unmatched[i]);
    fputs("], \"skipped_rows\": [", out);
    const am_outcomes *o = c->outcomes;
    for (size_t i = 0; i < o->nskipped; i++) {
        fputs(i ? ",\n    {\"file\": " : "\n    {\"file\": ", out);
        am_json_write_string(out, o->skipped[i].file);
        fprintf(out, ", \"line\": %" PRIu64 ", \"reason\": ", o->skipped[i].line);
        am_json_write_string(out, o->skipped[i].reason);
        fputc('}', out);
    }
    fputs(o->nskipped ? "\n  ]}" : "]}", out);
}
