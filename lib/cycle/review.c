/*
 * review.c — the nightly cycle's entry points: the run date, the previous
 * run, outcomes, the drift share, and am_review(), which derives from the
 * findings of a reconciliation their facts, areas, changes, outcomes and
 * suppression (see review.h); and the summary.json members that report it.
 */
#include "cycle/review.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "run/context.h"
#include "cycle/delta.h"
#include "cycle/drift.h"
#include "match/facts.h"
#include "common/json.h"
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

am_status am_set_run_date(am_ctx *ctx, const char *date)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!date)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_set_run_date: date is NULL");
    int32_t day;
    const size_t len = strlen(date);
    /* Only the canonical form: a run date is written by programs. */
    if (len != 10 || date[4] != '-' || date[7] != '-' ||
        !am_day_parse(date, len, AM_DATE_AUTO, &day))
        return am_fail(&ctx->err, AM_ERR_FORMAT, "run date: expected a real date as YYYY-MM-DD");
    ctx->run_date = day;
    ctx->run_date_set = 1;
    ctx->stage = am_stage_review_stale(ctx->stage);
    return AM_OK;
}

am_status am_set_drift_share(am_ctx *ctx, unsigned per_mille)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (per_mille > AM_DRIFT_MAX_PERMILLE)
        return am_fail(&ctx->err, AM_ERR_INVALID,
                       "drift share: expected at most %u per mille, got %u", AM_DRIFT_MAX_PERMILLE,
                       per_mille);
    ctx->drift_permille = per_mille;
    return AM_OK;
}

/* A previous run is of this centre under this key, as far as both
 * recorded them: ids and tokens of another key never compare, and another
 * centre's findings would all read as resolved. */
static am_status check_previous_origin(am_ctx *ctx, const am_previous *prev)
{
    const char *fingerprint = ctx->key.fingerprint;
    if (prev->key_fingerprint[0] && fingerprint[0] &&
        strcmp(prev->key_fingerprint, fingerprint) != 0)
        return am_fail(&ctx->err, AM_ERR_KEY,
                       "the previous run was made under another key (fingerprint %s; this "
                       "run's is %s): its findings cannot be compared with tonight's; give "
                       "--previous a run of this centre under this key",
                       prev->key_fingerprint, fingerprint);
    const char *centre = ctx->centre_name ? ctx->centre_name : "";
    if (prev->centre && ctx->centre_name && strcmp(prev->centre, centre) != 0)
        return am_fail(&ctx->err, AM_ERR_FORMAT,
                       "the previous run is of the centre '%.80s', this run of '%.80s': give "
                       "--previous a run of this centre",
                       prev->centre, centre);
    return AM_OK;
}

am_status am_load_previous(am_ctx *ctx, const char *dir)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!dir)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_load_previous: dir is NULL");
    if (ctx->previous)
        return am_fail(&ctx->err, AM_ERR_INVALID, "a previous run is already loaded");
    struct stat sb;
    if (stat(dir, &sb) != 0 && errno == ENOENT) {
        /* The first night: the directory the nightly line names is
         * written by this very run. */
        char *copy = am_strdup(dir);
        if (!copy)
            return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory");
        am_free(ctx->previous_missing);
        ctx->previous_missing = copy;
        ctx->stage = am_stage_review_stale(ctx->stage);
        return AM_OK;
    }
    am_previous *prev = am_calloc(1, sizeof *prev);
    if (!prev)
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory");
    am_status st = am_previous_load(prev, dir, &ctx->err);
    if (st == AM_OK)
        st = check_previous_origin(ctx, prev);
    if (st != AM_OK) {
        am_previous_free(prev);
        am_free(prev);
        return st;
    }
    am_free(ctx->previous_missing);
    ctx->previous_missing = NULL;
    ctx->previous = prev;
    ctx->stage = am_stage_review_stale(ctx->stage);
    return AM_OK;
}

size_t am_outcome_skipped_count(const am_ctx *ctx)
{
    return ctx ? ctx->outcomes.nskipped : 0;
}

am_status am_outcome_skipped_get(const am_ctx *ctx, size_t i, const char **file, uint64_t *line,
                                 const char **reason)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (i >= ctx->outcomes.nskipped || !file || !line || !reason)
        return am_fail_index(ctx->errmsg_slot, "am_outcome_skipped_get",
                             file && line && reason ? (const void *)file : NULL, "skipped row",
                             i, ctx->outcomes.nskipped);
    const am_outcome_skip *k = &ctx->outcomes.skipped[i];
    *file = k->file;
    *line = k->line;
    *reason = k->reason;
    return AM_OK;
}

const char *am_previous_missing(const am_ctx *ctx)
{
    return ctx ? ctx->previous_missing : NULL;
}

am_status am_load_outcomes(am_ctx *ctx, const char *path)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!path)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_load_outcomes: path is NULL");
    ctx->stage = am_stage_review_stale(ctx->stage);
    return am_outcomes_load(&ctx->outcomes, path, &ctx->err);
}

am_status am_feed_drift_get(const am_ctx *ctx, size_t i, am_feed_drift *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!ctx->previous)
        return am_fail(ctx->errmsg_slot, AM_ERR_INVALID,
                       "am_feed_drift_get: no previous run is loaded (am_load_previous)");
    if (!out || i >= ctx->nfeeds)
        return am_fail_index(ctx->errmsg_slot, "am_feed_drift_get", out, "feed", i, ctx->nfeeds);
    am_drift_of(ctx, i, out);
    return AM_OK;
}

am_status am_feed_age_get(const am_ctx *ctx, size_t i, am_feed_age *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= ctx->nfeeds)
        return am_fail_index(ctx->errmsg_slot, "am_feed_age_get", out, "feed", i, ctx->nfeeds);
    if (!ctx->feeds[i]->ingested)
        return am_fail(ctx->errmsg_slot, AM_ERR_INVALID,
                       "am_feed_age_get: feed %s is not ingested", ctx->feeds[i]->name);
    am_feed_age_of(ctx, i, out);
    return AM_OK;
}

void am_review_free(am_review_state *r)
{
    am_free(r->v);
    am_free(r->resolved);
    am_free(r->unmatched);
    memset(r, 0, sizeof *r);
}

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Counts the finding ids that have an outcome as of the run date but no
 * finding tonight: outcomes for findings that are gone, or mistyped ids. */
static am_status count_unmatched(am_ctx *ctx, int32_t as_of)
{
    am_review_state *rv = &ctx->review;
    const am_outcomes *o = &ctx->outcomes;
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
        ids[i] = ctx->findings.v[i].id;
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

static am_status review(am_ctx *ctx)
{
    am_review_state *rv = &ctx->review;
    const am_previous *prev = ctx->previous;
    const am_status ready = am_stage_check(ctx->stage, AM_FINDINGS_CURRENT, "am_review", &ctx->err);
    if (ready != AM_OK)
        return ready;
    if (prev) {
        const am_status origin = check_previous_origin(ctx, prev);
        if (origin != AM_OK)
            return origin;
    }
    if (prev && !ctx->run_date_set)
        return am_fail(&ctx->err, AM_ERR_INVALID,
                       "set the run date (am_set_run_date, --run-date) to compare with a "
                       "previous run");
    if (prev && prev->run_date[0] && prev->run_day > ctx->run_date) {
        char date[11];
        am_day_format(ctx->run_date, date);
        return am_fail(&ctx->err, AM_ERR_INVALID,
                       "the previous run is dated %s, after this run's date %s", prev->run_date,
                       date);
    }
    am_review_free(rv);
    if (ctx->run_date_set)
        am_day_format(ctx->run_date, rv->run_date);
    const size_t n = ctx->findings.count;
    rv->v = am_calloc(n ? n : 1, sizeof *rv->v);
    if (!rv->v)
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory reviewing findings");
    rv->n = n;

    am_evidence_index ix;
    am_facts_scratch scratch = {0};
    const am_match_input in = am_ctx_match_input(ctx);
    am_status st = am_evidence_index_build(&in, &ctx->findings, NULL, 0, &ix);
    for (size_t i = 0; st == AM_OK && i < n; i++) {
        uint32_t area;
        st = am_facts_of(&in, &ix, &ctx->findings.v[i].pub, &scratch, rv->v[i].facts, &area);
        if (st == AM_OK && area)
            snprintf(rv->v[i].area, sizeof rv->v[i].area, "%06u", (unsigned)(area % 1000000));
    }
    am_facts_scratch_free(&scratch);
    am_evidence_index_free(&ix);
    if (st == AM_OK)
        st = am_delta_classify(ctx);

    am_outcomes_sort(&ctx->outcomes);
    const int32_t as_of = ctx->run_date_set ? ctx->run_date : INT32_MAX;
    for (size_t i = 0; st == AM_OK && i < n; i++) {
        am_review_rec *r = &rv->v[i];
        const am_finding_rec *f = &ctx->findings.v[i];
        const am_outcome_entry *o = am_outcomes_latest(&ctx->outcomes, f->id, as_of);
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
        st = count_unmatched(ctx, as_of);
    if (st != AM_OK) {
        am_review_free(rv);
        return am_fail(&ctx->err, st, "out of memory reviewing findings");
    }
    ctx->stage = AM_STAGE_REVIEWED;
    return AM_OK;
}

am_status am_review(am_ctx *ctx)
{
    if (!ctx)
        return AM_ERR_INVALID;
    return review(ctx);
}

am_status am_review_ensure(am_ctx *ctx)
{
    return ctx->stage == AM_STAGE_REVIEWED ? AM_OK : review(ctx);
}

am_status am_finding_review_get(const am_ctx *ctx, size_t i, am_finding_review *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out)
        return am_fail(ctx->errmsg_slot, AM_ERR_INVALID, "am_finding_review_get: out is NULL");
    const am_status ready = am_stage_check(ctx->stage, AM_IN(AM_STAGE_REVIEWED),
                                           "am_finding_review_get", ctx->errmsg_slot);
    if (ready != AM_OK)
        return ready;
    if (i >= ctx->review.n)
        return am_fail_index(ctx->errmsg_slot, "am_finding_review_get", out, "finding", i,
                             ctx->review.n);
    const am_review_rec *r = &ctx->review.v[i];
    out->facts = r->facts;
    out->change = (am_change)r->change;
    out->first_seen = r->first_seen;
    out->outcome = (am_outcome)r->outcome;
    out->outcome_date = r->outcome_date;
    out->suppressed = r->suppressed;
    out->area = r->area;
    return AM_OK;
}

void am_review_summary_json(const am_ctx *ctx, FILE *out)
{
    const am_review_state *rv = &ctx->review;
    const am_previous *prev = ctx->previous;
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
    for (size_t i = 0; i < ctx->ndiags; i++) {
        if (ctx->diags[i].severity != AM_SEVERITY_WARNING)
            continue;
        fputs(nwarnings++ ? ",\n    " : "\n    ", out);
        am_json_write_string(out, ctx->diags[i].message);
    }
    fputs(nwarnings ? "\n  ]" : "]", out);
    if (ctx->previous_missing) {
        fputs(",\n  \"previous_run_missing\": {\"directory\": ", out);
        am_json_write_string(out, ctx->previous_missing);
        fputs(", \"note\": \"the directory does not exist yet: no previous run to compare "
              "with (the first night)\"}",
              out);
    }
    if (prev) {
        fputs(",\n  \"delta\": {", out);
        for (int c = 0; c < AM_CHANGE__COUNT; c++) {
            char money[32];
            am_money_format(rv->amount_by_change[c], money);
            fprintf(out, "%s\"%s\": {\"count\": %zu, \"amount_at_stake\": \"%s\"}",
                    c ? ", " : "", am_change_name((am_change)c), rv->by_change[c], money);
        }
        fputc('}', out);
    } else {
        fputs(",\n  \"delta\": null", out);
    }
    char share[16];
    am_drift_share_format(ctx->drift_permille, share);
    fprintf(out, ",\n  \"drift_share\": \"%s\"", share);
    if (prev) {
        fputs(",\n  \"drift\": [", out);
        for (size_t i = 0; i < ctx->nfeeds; i++) {
            am_feed_drift d;
            am_drift_of(ctx, i, &d);
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
            am_feed_age_of(ctx, i, &age);
            fprintf(out,
                    ", \"shrunk\": %s, \"grew\": %s, \"stale\": %s, \"unchanged_days\": %" PRId32
                    ", \"stale_days\": %" PRId32 "}",
                    d.shrunk ? "true" : "false", d.grew ? "true" : "false",
                    d.stale ? "true" : "false", age.unchanged_days, age.stale_days);
        }
        fputs(ctx->nfeeds ? "\n  ]" : "]", out);
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
    const am_outcomes *o = &ctx->outcomes;
    for (size_t i = 0; i < o->nskipped; i++) {
        fputs(i ? ",\n    {\"file\": " : "\n    {\"file\": ", out);
        am_json_write_string(out, o->skipped[i].file);
        fprintf(out, ", \"line\": %" PRIu64 ", \"reason\": ", o->skipped[i].line);
        am_json_write_string(out, o->skipped[i].reason);
        fputc('}', out);
    }
    fputs(o->nskipped ? "\n  ]}" : "]}", out);
}
