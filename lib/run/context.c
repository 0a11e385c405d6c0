/*
 * context.c — the life of a run: creating and freeing the context, loading
 * its key and catalogue, and the accessors the public API promises.
 */
#include "run/context.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/text_file.h"
#include "cycle/drift.h"
#include "match/duplicate.h"
#include "match/match.h"
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
    for (size_t i = 0; i < ctx->nrejects; i++)
        am_free(ctx->rejects[i].detail);
    am_free(ctx->rejects);
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

am_status am_ctx_reject(am_ctx *ctx, am_feed *feed, uint64_t line, am_reject reason,
                        const char *detail)
{
    if (!am_feed_count_reject(feed, reason))
        return AM_OK;
    char *copy = am_strdup(detail);
    const am_reject_entry entry = {
        .feed = feed->index, .reason = (uint8_t)reason, .line = line, .detail = copy};
    if (!copy || am_ctx_reject_entry(ctx, &entry) != AM_OK) {
        am_free(copy);
        /* Counted already: undone, so that the counts still match the rows. */
        feed->rows_rejected--;
        feed->by_reason[reason]--;
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory recording rejects");
    }
    return AM_OK;
}

am_status am_ctx_reject_entry(am_ctx *ctx, const am_reject_entry *entry)
{
    if (ctx->nrejects == ctx->rejects_capacity) {
        const size_t cap = ctx->rejects_capacity ? ctx->rejects_capacity * 2 : 256;
        am_reject_entry *grown = am_realloc(ctx->rejects, cap * sizeof *grown);
        if (!grown)
            return AM_ERR_NOMEM;
        ctx->rejects = grown;
        ctx->rejects_capacity = cap;
    }
    ctx->rejects[ctx->nrejects++] = *entry;
    return AM_OK;
}

static int compare_rejects(const void *pa, const void *pb)
{
    const am_reject_entry *a = pa, *b = pb;
    if (a->feed != b->feed)
        return a->feed < b->feed ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

void am_ctx_sort_rejects(am_ctx *ctx)
{
    if (ctx->nrejects > 1)
        qsort(ctx->rejects, ctx->nrejects, sizeof *ctx->rejects, compare_rejects);
}

size_t am_reject_count(const am_ctx *ctx) { return ctx ? ctx->nrejects : 0; }

am_status am_reject_get(const am_ctx *ctx, size_t i, am_reject_row *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= ctx->nrejects)
        return am_fail_index(ctx->errmsg_slot, "am_reject_get", out, "rejected row", i,
                             ctx->nrejects);
    const am_reject_entry *r = &ctx->rejects[i];
    out->feed = ctx->feeds[r->feed]->name;
    out->line = r->line;
    out->reason = (am_reject)r->reason;
    out->detail = r->detail;
    return AM_OK;
}

const char *am_kind_name(am_kind kind)
{
    static const char *const names[AM_KIND__COUNT] = {
        [AM_KIND_DUPLICATE] = "DUPLICATE",
        [AM_KIND_HOUSEHOLD_DUPLICATE] = "HOUSEHOLD_DUPLICATE",
        [AM_KIND_CONFLICT] = "CONFLICT",
        [AM_KIND_MISSING] = "MISSING",
        [AM_KIND_AFTER_DEATH] = "AFTER_DEATH",
        [AM_KIND_DISQUALIFIED] = "DISQUALIFIED",
    };
    return (unsigned)kind < AM_KIND__COUNT ? names[kind] : "UNKNOWN";
}

/* The default window: every day some periodic item was paid for. */
static void payment_window(const am_ctx *ctx, int32_t *start, int32_t *end)
{
    const am_catalogue *cat = &ctx->catalogue;
    *start = AM_DAY_OPEN;
    *end = AM_DAY_EVER;
    for (size_t i = 0; i < ctx->store.count; i++) {
        const am_record *r = &ctx->store.records[i];
        if (!am_code_is_item(cat, r->code) || !cat->items[r->code].periodic)
            continue;
        if (r->start < *start)
            *start = r->start;
        if (r->end > *end)
            *end = r->end;
    }
}

void am_ctx_window(const am_ctx *ctx, int32_t *start, int32_t *end)
{
    *start = ctx->window_start;
    *end = ctx->window_end;
    if (!ctx->window_set)
        payment_window(ctx, start, end);
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
    ctx->window_set = 1;
    ctx->window_start = s;
    ctx->window_end = e;
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

am_status am_reconcile(am_ctx *ctx, am_finding_fn fn, void *user)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!ctx->have_catalogue)
        return am_fail(&ctx->err, AM_ERR_INVALID, "no catalogue loaded");
    const am_status ready = am_stage_check(
        ctx->stage, AM_IN(AM_STAGE_INGESTED) | AM_FINDINGS_CURRENT, "am_reconcile", &ctx->err);
    if (ready != AM_OK)
        return ready;
    am_answer_forget(ctx); /* its indexes describe the store about to change */
    am_findings_free(&ctx->findings);
    am_review_free(&ctx->review);
    ctx->stage = AM_STAGE_INGESTED;
    am_household_index index;
    am_status st = am_store_sort(&ctx->store, ctx->threads);
    if (st == AM_OK)
        st = am_households_build(&ctx->store, &ctx->catalogue, &ctx->rules, &index,
                                 ctx->threads);
    if (st == AM_OK) {
        int32_t start = ctx->window_start, end = ctx->window_end;
        if (!ctx->window_set)
            payment_window(ctx, &start, &end);
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
    for (size_t i = 0; fn && i < ctx->findings.count; i++)
        if (fn(user, &ctx->findings.v[i].pub) != 0)
            return am_fail(&ctx->err, AM_ERR_ABORTED, "stopped by the findings callback");
    return AM_OK;
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
