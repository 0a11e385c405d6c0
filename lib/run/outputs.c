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
    if (!ctx || !dir || !*dir)
        return AM_ERR_INVALID;
    if (!ctx->reconciled)
        return am_fail(&ctx->err, AM_ERR_INVALID, "run am_reconcile() before writing outputs");
    const am_status reviewed = am_review_ensure(ctx);
    if (reviewed != AM_OK)
        return reviewed;
    return am_output_write(ctx, dir, wall_seconds);
}
