/*
 * feeds.c — the run's feeds as public entry points: declaring one
 * (am_feed_new), finding one by name, reading them all (am_ingest), and the
 * progress callback while they are read.  The feeds themselves see the run
 * through its am_feed_run (read/feed_run.h).
 */
#include "aidmatch.h"
#include "read/feed.h"
#include "read/feed_run.h"
#include "run/context.h"

am_status am_feed_new(am_ctx *ctx, const char *name, am_feed **out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!name || !out)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_feed_new: name or out is NULL");
    *out = NULL;
    if (!ctx->have_catalogue)
        return am_fail(&ctx->err, AM_ERR_INVALID, "feed %s: load the catalogue first", name);
    if (!*name)
        return am_fail(&ctx->err, AM_ERR_INVALID, "a feed needs a name");
    if (am_feed_named(&ctx->feed_run, name))
        return am_fail(&ctx->err, AM_ERR_INVALID, "feed %s is declared twice", name);
    return am_feed_append(&ctx->feed_run, name, out);
}

am_feed *am_feed_find(am_ctx *ctx, const char *name)
{
    if (!ctx || !name)
        return NULL;
    return am_feed_named(&ctx->feed_run, name);
}

am_status am_ingest(am_ctx *ctx)
{
    if (!ctx)
        return AM_ERR_INVALID;
    return am_ingest_all(&ctx->feed_run);
}

am_status am_set_progress_fn(am_ctx *ctx, am_progress_fn fn, void *user)
{
    if (!ctx)
        return AM_ERR_INVALID;
    ctx->progress.fn = fn;
    ctx->progress.user = user;
    return AM_OK;
}
