/*
 * outputs.c — the run's last step, am_write_outputs(): the nightly review
 * (review.c), unless done since the last reconciliation, then writing
 * (output.c), which only writes what the review decided.
 */
#include "aidmatch.h"
#include "cycle/review.h"
#include "run/context.h"
#include "write/output.h"

am_status am_write_outputs(am_ctx *ctx, const char *dir, double wall_seconds)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!dir || !*dir)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_write_outputs: dir is NULL or empty");
    const am_status ready =
        am_stage_check(ctx->stage, AM_FINDINGS_CURRENT, "am_write_outputs", &ctx->err);
    if (ready != AM_OK)
        return ready;
    const am_status reviewed = am_review_ensure(ctx);
    if (reviewed != AM_OK)
        return reviewed;
    return am_output_write(ctx, dir, wall_seconds);
}
