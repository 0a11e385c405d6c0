/*
 * outputs.c — the run's last step, am_write_outputs(): the nightly review
 * (cycle.c), unless done since the last reconciliation, then writing
 * (write/output.c), which only writes what the review decided.  A
 * partitioned run first loads the records the report shows (partition.c).
 */
#include "aidmatch.h"
#include "run/context.h"
#include "run/partition.h"
#include "write/report.h"
#include "write/output.h"

am_status am_set_csv_bom(am_ctx *ctx, int bom)
{
    if (!ctx)
        return AM_ERR_INVALID;
    ctx->csv_bom = bom != 0;
    return AM_OK;
}

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
    if (ctx->partitioner) {
        /* A partitioned run: the report's evidence, from the partitions. */
        size_t top[AM_REPORT_TOP];
        const size_t n = am_report_pick_top(&ctx->findings, &ctx->review, top);
        const am_status loaded = am_partition_evidence(ctx, top, n);
        if (loaded != AM_OK)
            return loaded;
    }
    const am_output_run run = {.cycle = am_ctx_cycle(ctx),
                               .rejects = &ctx->rejects,
                               .links = &ctx->linked,
                               .csv_bom = ctx->csv_bom,
                               .threads = ctx->threads,
                               .wall_seconds = wall_seconds,
                               .written = &ctx->snapshot_written,
                               .nwritten = ctx->snapshot_written_set ? 1 : 0};
    return am_output_write(&run, dir, &ctx->err);
}
