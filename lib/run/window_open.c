/*
 * window_open.c — opening a window over the snapshot a context holds:
 * what of the context a check reads (window/check.h), gathered here so
 * that the window's folder never reads the context itself.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "run/context.h"
#include "audit/snapshot.h"
#include "window/check.h"

am_status am_window_open(am_ctx *ctx, const char *journal, am_window **out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_window_open: out is NULL");
    *out = NULL;
    if (!ctx->snapshot)
        return am_fail(&ctx->err, AM_ERR_INVALID, "open a snapshot before opening a window on it");
    am_snapshot *snap = ctx->snapshot;
    am_status st = am_snapshot_verify_all(snap, &ctx->catalogue, &ctx->err);
    if (st != AM_OK)
        return st;
    struct stat sb;
    if (stat(snap->path, &sb) != 0)
        return am_fail(&ctx->err, AM_ERR_IO, "%s: cannot read the snapshot's time", snap->path);
    am_window *w = am_calloc(1, sizeof *w);
    char *path = journal ? am_strdup(journal) : NULL;
    if (!journal && w) {
        const size_t len = strlen(snap->path) + sizeof ".journal";
        if ((path = am_malloc(len)))
            snprintf(path, len, "%s.journal", snap->path);
    }
    if (!w || !path) {
        am_free(w);
        am_free(path);
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory opening the window");
    }
    w->journal.path = path;
    w->env = (am_window_env){
        .view = am_ctx_match_input(ctx),
        .cat = &ctx->catalogue,
        .rules = &ctx->rules,
        .key = ctx->key.bytes ? &ctx->key : NULL,
        .fingerprint = snap->fingerprint,
        .src = &snap->src,
        .nfeeds = ctx->nfeeds,
        .snapshot_stamp = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec,
    };
    am_run_window_of(&ctx->window, &ctx->catalogue, &ctx->store, &w->env.window_start,
                     &w->env.window_end);
    st = am_window_init(w, ctx->feeds, &ctx->err);
    if (st != AM_OK) {
        am_window_close(w);
        return st;
    }
    /* Matching reads the window's feeds too. */
    w->env.view.feeds = w->feeds;
    w->env.view.nfeeds = w->nall;
    *out = w;
    return AM_OK;
}

void am_window_close(am_window *w)
{
    if (!w)
        return;
    am_window_free(w);
    am_free(w);
}
