/*
 * reconcile.c — the match stage of a run: am_reconcile links the rows
 * whose damaged IDs were held (link/), sorts the store,
 * builds the household index and runs the matchers (match/reconcile.c)
 * over the window, moving the run from ingested to reconciled
 * (common/stage.h); a run partitioned on disk goes a partition at a time
 * (partition.c).
 */
#include "run/context.h"

#include "audit/query.h"
#include "cycle/review.h"
#include "match/household.h"
#include "match/match.h"
#include "match/run_window.h"
#include "read/reject.h"
#include "run/partition.h"
#include "run/reconcile.h"

/* Links the rows held for their damaged IDs (link/link.h).  Each was
 * counted a reject as it was read; a linked one is ingested instead, its
 * reject taken back, so that the counts reconcile before and after, and
 * the reject list is then settled to max_rejects per reason (reject.h). */
static am_status link_held_rows(am_ctx *ctx)
{
    const size_t before = ctx->linked.n;
    const am_status st =
        am_partition_has_registry(ctx)
            ? am_partition_link(ctx)
            : am_link_run(&ctx->links, &ctx->store, &ctx->linked, ctx->threads);
    if (st == AM_ERR_IO)
        return st; /* a partition file's failure, told in ctx->err */
    if (st == AM_ERR_LIMIT)
        return am_fail(&ctx->err, st, "linking damaged IDs: the hukou registry has %zu "
                       "entries, more than %u", ctx->links.registry.n, UINT32_MAX - 1);
    if (st != AM_OK)
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory linking damaged IDs");
    am_reject_list_sort(&ctx->rejects);
    for (size_t i = before; i < ctx->linked.n; i++) {
        am_link_result *l = &ctx->linked.v[i];
        if (l->status == AM_LINKED)
            l->taken_back = (uint8_t)am_reject_take_back(&ctx->rejects, ctx->feeds[l->feed], l->line);
    }
    am_links_sort(&ctx->linked);
    am_reject_list_settle(&ctx->rejects, ctx->feeds, ctx->nfeeds);
    return AM_OK;
}

/* Hands every finding to fn, which may stop it. */
static am_status report_findings(am_ctx *ctx, am_finding_fn fn, void *user)
{
    for (size_t i = 0; fn && i < ctx->findings.count; i++)
        if (fn(user, &ctx->findings.v[i].pub) != 0)
            return am_fail(&ctx->err, AM_ERR_ABORTED, "stopped by the findings callback");
    return AM_OK;
}

/* A partitioned run: the rows linking joined to the run (appended to the
 * store, which holds nothing else) go to the partition files like every
 * other record. */
static am_status spill_linked(am_ctx *ctx)
{
    am_store *linked = &ctx->store;
    if (linked->count) {
        const am_status st =
            ctx->spill.put(ctx->spill.user, linked->records, linked->count,
                           (const unsigned char(*)[AM_TOKEN_BYTES])linked->households, &ctx->err);
        if (st != AM_OK)
            return st;
        linked->count = 0;
    }
    return AM_OK;
}

am_status am_reconcile_begin(am_ctx *ctx, const char *call)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!ctx->have_catalogue)
        return am_fail(&ctx->err, AM_ERR_INVALID, "no catalogue loaded");
    const am_status ready = am_stage_check(
        ctx->stage, AM_IN(AM_STAGE_INGESTED) | AM_FINDINGS_CURRENT, call, &ctx->err);
    if (ready != AM_OK)
        return ready;
    if (ctx->spill.put && ctx->partitions_used)
        return am_fail(&ctx->err, AM_ERR_INVALID,
                       "a partitioned run is reconciled once: its partitions are gone");
    am_answer_forget(&ctx->answer); /* its indexes describe the store about to change */
    am_findings_free(&ctx->findings);
    am_review_free(&ctx->review);
    ctx->stage = AM_STAGE_INGESTED;
    am_status st = link_held_rows(ctx);
    if (st == AM_OK && ctx->spill.put)
        st = spill_linked(ctx);
    return st;
}

am_status am_reconcile(am_ctx *ctx, am_finding_fn fn, void *user)
{
    am_status st = am_reconcile_begin(ctx, "am_reconcile");
    if (st != AM_OK)
        return st;
    am_household_index index;
    if (ctx->spill.put) {
        if ((st = am_partition_reconcile(ctx)) != AM_OK)
            return st;
        ctx->stage = AM_STAGE_RECONCILED;
        return report_findings(ctx, fn, user);
    }
    st = am_store_sort(&ctx->store, ctx->threads);
    if (st == AM_OK)
        st = am_households_build(&ctx->store, &ctx->catalogue, &ctx->rules, &index,
                                 ctx->threads);
    if (st == AM_OK) {
        int32_t start, end;
        am_run_window_of(&ctx->window, &ctx->catalogue, &ctx->store, &start, &end);
        const am_match_input in = am_ctx_match_input(ctx);
        st = am_match_all(&in, &index, start, end, ctx->threads, &ctx->findings);
        am_households_free(&index);
    }
    if (st != AM_OK) {
        am_findings_free(&ctx->findings);
        return st == AM_ERR_LIMIT
                   ? am_fail(&ctx->err, st, "more than %u records to match", UINT32_MAX - 1)
                   : am_fail(&ctx->err, st, "out of memory while matching");
    }
    ctx->stage = AM_STAGE_RECONCILED;
    return report_findings(ctx, fn, user);
}
