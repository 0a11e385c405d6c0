/*
 * cycle.c — the nightly cycle's public entry points: the run date, the
 * previous run, outcomes, the drift share, am_review() and what it found
 * (cycle/: review.c, delta.c, drift.c do the work on an am_cycle).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "aidmatch.h"
#include "common/alloc.h"
#include "common/day.h"
#include "cycle/cycle.h"
#include "cycle/delta.h"
#include "cycle/drift.h"
#include "cycle/outcomes.h"
#include "cycle/previous.h"
#include "cycle/review.h"
#include "run/context.h"

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
        st = am_previous_check_origin(prev, ctx->centre_name, ctx->key.fingerprint, &ctx->err);
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
    const am_cycle c = am_ctx_cycle(ctx);
    am_drift_of(&c, i, out);
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
    const am_cycle c = am_ctx_cycle(ctx);
    am_feed_age_of(&c, i, out);
    return AM_OK;
}

/* The review of the run's findings; the stage moves to reviewed. */
static am_status review(am_ctx *ctx)
{
    const am_status ready = am_stage_check(ctx->stage, AM_FINDINGS_CURRENT, "am_review", &ctx->err);
    if (ready != AM_OK)
        return ready;
    am_outcomes_sort(&ctx->outcomes);
    const am_cycle c = am_ctx_cycle(ctx);
    const am_status st = am_review_run(&c, &ctx->review, &ctx->err);
    if (st == AM_OK)
        ctx->stage = AM_STAGE_REVIEWED;
    return st;
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


size_t am_delta_count(const am_ctx *ctx)
{
    if (!ctx || ctx->stage != AM_STAGE_REVIEWED)
        return 0;
    const am_cycle c = am_ctx_cycle(ctx);
    return am_delta_rows(&c);
}

am_status am_delta_get(const am_ctx *ctx, size_t i, am_delta_row *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= am_delta_count(ctx))
        return am_fail_index(ctx->errmsg_slot, "am_delta_get", out, "delta row", i,
                             am_delta_count(ctx));
    const am_cycle c = am_ctx_cycle(ctx);
    am_delta_row_of(&c, i, out);
    return AM_OK;
}
