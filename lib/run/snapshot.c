/*
 * snapshot.c — the snapshot's public entry points: writing a reconciled
 * run's snapshot, opening one into a context (whose catalogue, feeds and
 * rules become the snapshot's), and verifying it whole.  The file itself
 * is audit/snapshot.c's.
 */
#include <sys/stat.h>

#include "aidmatch.h"
#include "audit/query.h"
#include "audit/snapshot.h"
#include "common/alloc.h"
#include "common/atomic_file.h"
#include "run/context.h"
#include "run/partition.h"

am_status am_snapshot_write(am_ctx *ctx, const char *path)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!path || !*path)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_snapshot_write: path is NULL or empty");
    const am_status ready =
        am_stage_check(ctx->stage, AM_FINDINGS_CURRENT, "am_snapshot_write", &ctx->err);
    if (ready != AM_OK)
        return ready;
    /* A snapshot in an output directory not made yet (the first night of
     * --snapshot OUT/county.snap): the directory is made for it. */
    char *parents = am_strdup(path);
    if (!parents)
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory");
    am_make_parents(parents);
    am_free(parents);
    am_status st;
    /* A partitioned run holds no records in memory, or only the report's
     * evidence once outputs are written. */
    if (ctx->partitioner) {
        st = am_partition_snapshot(ctx, path);
    } else {
        const am_snapshot_run run = {.match = am_ctx_match_input(ctx),
                                     .window = &ctx->window,
                                     .findings = &ctx->findings,
                                     .links = &ctx->linked,
                                     .key_fingerprint = ctx->key.bytes ? ctx->key.fingerprint : "",
                                     .centre_name = ctx->centre_name};
        st = am_snapshot_save(&run, path, &ctx->err);
    }
    struct stat sb;
    ctx->snapshot_written_set = st == AM_OK && stat(path, &sb) == 0;
    if (ctx->snapshot_written_set)
        ctx->snapshot_written = (am_file_id){(unsigned long long)sb.st_dev,
                                             (unsigned long long)sb.st_ino};
    return st;
}

am_status am_snapshot_verify(am_ctx *ctx)
{
    if (!ctx)
        return AM_ERR_INVALID;
    const am_status ready =
        am_stage_check(ctx->stage, AM_IN(AM_STAGE_SNAPSHOT), "am_snapshot_verify", &ctx->err);
    if (ready != AM_OK)
        return ready;
    return am_snapshot_verify_all(ctx->snapshot, &ctx->catalogue, &ctx->err);
}

/* Undoes what a failed open put into ctx, and clears what a centre file
 * loaded for its key put there. */
static void reset_ctx(am_ctx *ctx)
{
    am_rules_free(&ctx->rules);
    for (size_t i = 0; i < ctx->nfeeds; i++) {
        am_feed_release(ctx->feeds[i]);
        am_free(ctx->feeds[i]);
    }
    am_free(ctx->feeds);
    ctx->feeds = NULL;
    ctx->nfeeds = ctx->capfeeds = 0;
    am_catalogue_free(&ctx->catalogue);
    ctx->have_catalogue = 0;
}

/* The snapshot's feeds join the context as declared feeds do: a name
 * given twice is refused. */
static am_status add_feed(void *run, const char *name, am_feed **out)
{
    const am_feed_run *feeds = run;
    if (am_feed_named(feeds, name))
        return AM_ERR_INVALID;
    return am_feed_append(feeds, name, out);
}

am_status am_snapshot_open(am_ctx *ctx, const char *path)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!path)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_snapshot_open: path is NULL");
    const am_status ready =
        am_stage_check(ctx->stage, AM_IN(AM_STAGE_SETUP), "am_snapshot_open", &ctx->err);
    if (ready != AM_OK)
        return ready;
    /* A centre file loaded for its key gives way to the snapshot's own
     * catalogue, feeds and rules. */
    am_answer_forget(&ctx->answer);
    reset_ctx(ctx);
    am_snapshot *snap = am_calloc(1, sizeof *snap);
    if (!snap || !(snap->path = am_strdup(path))) {
        am_free(snap);
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory opening %s", path);
    }
    am_snapshot_meta m = {0};
    const am_snapshot_into into = {.catalogue = &ctx->catalogue,
                                   .rules = &ctx->rules,
                                   .add_feed = add_feed,
                                   .run = &ctx->feed_run,
                                   .key = &ctx->key};
    am_status st = am_snapshot_load(snap, &into, &m, &ctx->err);
    char *centre = NULL;
    if (st == AM_OK && *m.centre && !(centre = am_strdup(m.centre)))
        st = am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory opening %s", path);
    am_free(m.fingerprint);
    am_free(m.centre);
    if (st != AM_OK) {
        reset_ctx(ctx);
        am_snapshot_release(snap);
        return st;
    }
    ctx->have_catalogue = 1;
    am_free(ctx->centre_name);
    ctx->centre_name = centre;
    ctx->death_lag_days = m.death_lag;
    ctx->window = (am_run_window){.set = 1, .start = m.window_start, .end = m.window_end};
    ctx->snapshot = snap;
    ctx->stage = AM_STAGE_SNAPSHOT;
    return AM_OK;
}

