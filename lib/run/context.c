/*
 * context.c — the life of a run: creating and freeing the context, loading
 * its key and catalogue, and the accessors the public API promises.
 */
#include "run/context.h"
#include "run/partition.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/text_file.h"
#include "cycle/drift.h"
#include "audit/query.h"
#include "audit/snapshot.h"

const char *am_version(int *number)
{
    if (number)
        *number = AIDMATCH_VERSION_NUMBER;
    return AIDMATCH_VERSION_STRING;
}

am_status am_ctx_new(am_ctx **out)
{
    if (!out)
        return AM_ERR_INVALID;
    *out = NULL;
    if (am_crypto_init() != 0)
        return AM_ERR_NOMEM;
    am_ctx *ctx = am_calloc(1, sizeof *ctx);
    if (!ctx)
        return AM_ERR_NOMEM;
    ctx->errmsg_slot = &ctx->err;
    ctx->death_lag_days = 30;
    ctx->threads = 1;
    ctx->drift_permille = AM_DRIFT_DEFAULT_PERMILLE;
    ctx->csv_bom = 1;
    ctx->linked.link_threshold = AM_LINK_THRESHOLD_DEFAULT;
    ctx->linked.review_threshold = AM_REVIEW_THRESHOLD_DEFAULT;
    ctx->feed_run = (am_feed_run){.err = &ctx->err,
                                  .catalogue = &ctx->catalogue,
                                  .base_dir = &ctx->base_dir,
                                  .key = &ctx->key,
                                  .feeds = &ctx->feeds,
                                  .nfeeds = &ctx->nfeeds,
                                  .capfeeds = &ctx->capfeeds,
                                  .threads = &ctx->threads,
                                  .store = &ctx->store,
                                  .spill = &ctx->spill,
                                  .rejects = &ctx->rejects,
                                  .links = &ctx->links,
                                  .progress = &ctx->progress,
                                  .stage = &ctx->stage};
    *out = ctx;
    return AM_OK;
}

void am_ctx_free(am_ctx *ctx)
{
    if (!ctx)
        return;
    am_answer_free(ctx->answer);
    am_snapshot_release(ctx->snapshot);
    am_key_clear(&ctx->key);
    am_catalogue_free(&ctx->catalogue);
    am_rules_free(&ctx->rules);
    for (size_t i = 0; i < ctx->nfeeds; i++) {
        am_feed_release(ctx->feeds[i]);
        am_free(ctx->feeds[i]);
    }
    am_free(ctx->feeds);
    am_store_free(&ctx->store);
    am_partitioner_free(ctx);
    am_free(ctx->temp_dir);
    am_reject_list_free(&ctx->rejects);
    am_link_input_free(&ctx->links);
    am_links_free(&ctx->linked);
    am_findings_free(&ctx->findings);
    am_review_free(&ctx->review);
    am_outcomes_free(&ctx->outcomes);
    am_previous_free(ctx->previous);
    am_free(ctx->previous_missing);
    am_free(ctx->previous);
    am_free(ctx->base_dir);
    am_free(ctx->data_dir);
    am_diags_free(ctx);
    am_free(ctx->centre_name);
    am_free(ctx);
}

const char *am_errmsg(const am_ctx *ctx) { return ctx ? ctx->err.msg : ""; }

am_status am_set_data_dir(am_ctx *ctx, const char *dir)
{
    if (!ctx)
        return AM_ERR_INVALID;
    char *copy = NULL;
    if (dir && !(copy = am_strdup(dir)))
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory");
    am_free(ctx->data_dir);
    ctx->data_dir = copy;
    return AM_OK;
}

am_status am_load_catalogue(am_ctx *ctx, const char *dir)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!dir)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_load_catalogue: dir is NULL");
    if (ctx->have_catalogue)
        return am_fail(&ctx->err, AM_ERR_INVALID, "a catalogue is already loaded");
    const am_status st = am_catalogue_load(&ctx->catalogue, dir, &ctx->err);
    ctx->have_catalogue = st == AM_OK;
    return st;
}

am_status am_load_key_file(am_ctx *ctx, const char *path)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!path)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_load_key_file: path is NULL");
    if (ctx->key.bytes)
        return am_fail(&ctx->err, AM_ERR_INVALID, "a key is already loaded");
    return am_key_load_file(&ctx->key, path, &ctx->err);
}

am_status am_load_key(am_ctx *ctx, const void *key, size_t len)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!key)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_load_key: key is NULL");
    if (ctx->key.bytes)
        return am_fail(&ctx->err, AM_ERR_INVALID, "a key is already loaded");
    return am_key_set(&ctx->key, key, len, &ctx->err);
}

const char *am_key_fingerprint(const am_ctx *ctx)
{
    return ctx && ctx->key.bytes ? ctx->key.fingerprint : "";
}

size_t am_feed_count(const am_ctx *ctx) { return ctx ? ctx->nfeeds : 0; }

am_status am_feed_stats_get(const am_ctx *ctx, size_t i, am_feed_stats *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= ctx->nfeeds)
        return am_fail_index(ctx->errmsg_slot, "am_feed_stats_get", out, "feed", i, ctx->nfeeds);
    const am_feed *feed = ctx->feeds[i];
    memset(out, 0, sizeof *out);
    out->name = feed->name;
    out->agency = feed->agency >= 0 ? ctx->catalogue.agencies[feed->agency].code : "";
    out->path = feed->path_for_stats && feed->file ? feed->file : "";
    out->file_xxh3 = feed->xxh3;
    out->encoding = am_encoding_name(feed->encoding_used);
    out->rows_read = feed->rows_read;
    out->rows_ingested = feed->rows_ingested;
    out->rows_rejected = feed->rows_rejected;
    out->bytes_read = feed->bytes_read;
    return AM_OK;
}

uint64_t am_feed_rejected(const am_ctx *ctx, size_t i, am_reject reason)
{
    if (!ctx || i >= ctx->nfeeds || (unsigned)reason >= AM_REJECT__COUNT)
        return 0;
    return ctx->feeds[i]->by_reason[reason];
}

size_t am_reject_count(const am_ctx *ctx) { return ctx ? ctx->rejects.count : 0; }

am_status am_reject_get(const am_ctx *ctx, size_t i, am_reject_row *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= ctx->rejects.count)
        return am_fail_index(ctx->errmsg_slot, "am_reject_get", out, "rejected row", i,
                             ctx->rejects.count);
    const am_reject_entry *r = &ctx->rejects.v[i];
    out->feed = ctx->feeds[r->feed]->name;
    out->line = r->line;
    out->reason = (am_reject)r->reason;
    out->detail = r->detail;
    return AM_OK;
}

am_status am_set_window(am_ctx *ctx, const char *start, const char *end)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!start || !end)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_set_window: start or end is NULL");
    int32_t s, e;
    if (!am_day_parse(start, strlen(start), AM_DATE_AUTO, &s) ||
        !am_day_parse(end, strlen(end), AM_DATE_AUTO, &e) || e < s)
        return am_fail(&ctx->err, AM_ERR_FORMAT,
                       "window: expected two dates YYYY-MM-DD, the end not before the start");
    ctx->window = (am_run_window){.set = 1, .start = s, .end = e};
    ctx->stage = am_stage_findings_stale(ctx->stage);
    return AM_OK;
}

am_status am_load_rules_mem(am_ctx *ctx, const char *text, size_t len, const char *name)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if ((!text && len))
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_load_rules_mem: text is NULL");
    if (!ctx->have_catalogue)
        return am_fail(&ctx->err, AM_ERR_INVALID, "load the catalogue before rules");
    const am_status st = am_rules_parse(&ctx->rules, &ctx->catalogue, text, len,
                                        name ? name : "rules", &ctx->err);
    if (st == AM_OK)
        ctx->stage = am_stage_findings_stale(ctx->stage);
    return st;
}

am_status am_load_rules(am_ctx *ctx, const char *path)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!path)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_load_rules: path is NULL");
    char *text;
    size_t len;
    am_status st = am_read_text_file(path, (size_t)1 << 24, "rules", &text, &len, &ctx->err);
    if (st == AM_OK)
        st = am_load_rules_mem(ctx, text, len, path);
    am_free(text);
    return st;
}

am_match_input am_ctx_match_input(const am_ctx *ctx)
{
    return (am_match_input){.catalogue = &ctx->catalogue,
                            .store = &ctx->store,
                            .rules = &ctx->rules,
                            .feeds = ctx->feeds,
                            .nfeeds = ctx->nfeeds,
                            .death_lag_days = ctx->death_lag_days,
                            .threads = ctx->threads};
}

am_cycle am_ctx_cycle(const am_ctx *ctx)
{
    return (am_cycle){.match = am_ctx_match_input(ctx),
                      .findings = &ctx->findings,
                      .review = &ctx->review,
                      .previous = ctx->previous,
                      .previous_missing = ctx->previous_missing,
                      .outcomes = &ctx->outcomes,
                      .diags = ctx->diags,
                      .ndiags = ctx->ndiags,
                      .centre_name = ctx->centre_name,
                      .key_fingerprint = ctx->key.fingerprint,
                      .run_date = ctx->run_date,
                      .run_date_set = ctx->run_date_set,
                      .drift_permille = ctx->drift_permille};
}

am_status am_set_threads(am_ctx *ctx, unsigned threads)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (threads < 1 || threads > 64)
        return am_fail(&ctx->err, AM_ERR_INVALID, "threads: expected 1 to 64, got %u", threads);
    ctx->threads = threads;
    return AM_OK;
}

size_t am_finding_count(const am_ctx *ctx) { return ctx ? ctx->findings.count : 0; }

am_status am_finding_get(const am_ctx *ctx, size_t i, am_finding *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= ctx->findings.count)
        return am_fail_index(ctx->errmsg_slot, "am_finding_get", out, "finding", i,
                             ctx->findings.count);
    *out = ctx->findings.v[i].pub;
    return AM_OK;
}
