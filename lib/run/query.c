/*
 * query.c — the auditor's questions as public entry points: each builds
 * the am_question its run answers from (audit/query.c does the work), and
 * the answer kept by the context is read here.
 */
#include <string.h>

#include "aidmatch.h"
#include "audit/query.h"
#include "audit/record_row.h"
#include "audit/snapshot.h"
#include "match/duplicate.h"
#include "run/context.h"

static am_question question_of(am_ctx *ctx)
{
    return (am_question){.match = am_ctx_match_input(ctx),
                         .have_catalogue = ctx->have_catalogue,
                         .window = &ctx->window,
                         .findings = &ctx->findings,
                         .links = ctx->snapshot ? &ctx->snapshot->links : &ctx->linked,
                         .key = &ctx->key,
                         .snapshot = ctx->snapshot,
                         .stage = ctx->stage,
                         .answer = &ctx->answer,
                         .err = &ctx->err};
}

/* A run partitioned on disk keeps no records in memory to answer from. */
static am_status answerable(am_ctx *ctx)
{
    if (ctx->spill.put && !ctx->snapshot)
        return am_fail(&ctx->err, AM_ERR_INVALID,
                       "a run partitioned on disk (a memory limit) keeps no records to answer "
                       "questions from: ask a snapshot, or a run without a memory limit");
    return AM_OK;
}

am_status am_match_rules(am_ctx *ctx, const char *text, size_t len, const char *name,
                         const am_filter *in, unsigned flags)
{
    if (!ctx)
        return AM_ERR_INVALID;
    const am_status st = answerable(ctx);
    if (st != AM_OK)
        return st;
    const am_question q = question_of(ctx);
    return am_question_rules(&q, text, len, name, in, flags);
}

am_status am_person_lookup(am_ctx *ctx, const char *id_or_token, const am_filter *in)
{
    if (!ctx)
        return AM_ERR_INVALID;
    const am_status st = answerable(ctx);
    if (st != AM_OK)
        return st;
    const am_question q = question_of(ctx);
    return am_question_person(&q, id_or_token, in);
}

am_status am_explain(am_ctx *ctx, const char *finding_id)
{
    if (!ctx)
        return AM_ERR_INVALID;
    const am_status st = answerable(ctx);
    if (st != AM_OK)
        return st;
    const am_question q = question_of(ctx);
    return am_question_explain(&q, finding_id);
}

/* ------------------------------------------------------------------ */
/* Reading answers                                                      */

const char *am_person_token(const am_ctx *ctx)
{
    return ctx && ctx->answer ? ctx->answer->token : "";
}

size_t am_person_record_count(const am_ctx *ctx)
{
    return ctx && ctx->answer ? ctx->answer->nperson : 0;
}

am_status am_person_record_get(const am_ctx *ctx, size_t i, am_record_info *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= am_person_record_count(ctx))
        return am_fail_index(ctx->errmsg_slot, "am_person_record_get", out, "record", i,
                             am_person_record_count(ctx));
    am_record_row_info(&ctx->answer->rows[i], out);
    return AM_OK;
}

size_t am_result_count(const am_ctx *ctx)
{
    return ctx && ctx->answer && ctx->answer->extra ? ctx->answer->findings.count : 0;
}

am_status am_result_get(const am_ctx *ctx, size_t i, am_result *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= am_result_count(ctx))
        return am_fail_index(ctx->errmsg_slot, "am_result_get", out, "result", i,
                             am_result_count(ctx));
    const am_answer *a = ctx->answer;
    *out = (am_result){
        .finding = a->findings.v[i].pub,
        .facts = a->extra[i].facts,
        .area = a->extra[i].area,
        .concerns = a->extra[i].concerns ? a->extra[i].concerns : "",
        .evidence_count = a->extra[i].nrows,
    };
    return AM_OK;
}

am_status am_result_evidence_get(const am_ctx *ctx, size_t i, size_t k, am_record_info *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= am_result_count(ctx))
        return am_fail_index(ctx->errmsg_slot, "am_result_evidence_get", out, "result", i,
                             am_result_count(ctx));
    if (k >= ctx->answer->extra[i].nrows)
        return am_fail_index(ctx->errmsg_slot, "am_result_evidence_get", out, "evidence record",
                             k, ctx->answer->extra[i].nrows);
    am_record_row_info(&ctx->answer->rows[ctx->answer->extra[i].first_row + k], out);
    return AM_OK;
}

am_status am_result_links_get(const am_ctx *ctx, size_t i, am_result_links *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= am_result_count(ctx))
        return am_fail_index(ctx->errmsg_slot, "am_result_links_get", out, "result", i,
                             am_result_count(ctx));
    const am_answer *a = ctx->answer;
    const am_answer_extra *x = &a->extra[i];
    *out = (am_result_links){
        .linked = x->linked,
        .possible_id_error = x->id_error ? a->id_errors + x->id_error - 1 : "",
    };
    return AM_OK;
}

const char *am_person_record_linked(const am_ctx *ctx, size_t i)
{
    return i < am_person_record_count(ctx) ? ctx->answer->rows[i].linked : NULL;
}

const char *am_result_evidence_linked(const am_ctx *ctx, size_t i, size_t k)
{
    if (i >= am_result_count(ctx) || k >= ctx->answer->extra[i].nrows)
        return NULL;
    return ctx->answer->rows[ctx->answer->extra[i].first_row + k].linked;
}

static const char *rule_kind_name(am_rule_kind kind)
{
    switch (kind) {
    case AM_RULE_EXCLUSIVE: return "exclusive";
    case AM_RULE_ENTITLES: return "entitles";
    case AM_RULE_HOUSEHOLD_UNIQUE: return "household_unique";
    case AM_RULE_ENDS_AT: return "ends_at";
    case AM_RULE_DISQUALIFIES: return "disqualifies";
    }
    return "unknown";
}

static const am_rule *find_rule(const am_rules *rules, const char *id)
{
    for (size_t i = 0; i < rules->n; i++)
        if (strcmp(rules->v[i].id, id) == 0)
            return &rules->v[i];
    return NULL;
}

am_status am_rule_get(const am_ctx *ctx, const char *rule_id, am_rule_info *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!rule_id || !out)
        return am_fail(ctx->errmsg_slot, AM_ERR_INVALID, "am_rule_get: rule_id or out is NULL");
    const am_rule *r = ctx->answer ? find_rule(&ctx->answer->rules, rule_id) : NULL;
    if (!r)
        r = find_rule(&ctx->rules, rule_id);
    if (r) {
        *out = (am_rule_info){.id = r->id, .kind = rule_kind_name(r->kind),
                              .text = r->text ? r->text : "", .origin = r->origin ? r->origin : "",
                              .line = r->line, .source = r->source};
        return AM_OK;
    }
    if (strcmp(rule_id, AM_DUPLICATE_RULE_ID) == 0) {
        *out = (am_rule_info){
            .id = AM_DUPLICATE_RULE_ID,
            .kind = "duplicate",
            .text = "(implicit) an item is paid once per person and period: periodic items "
                    "whose periods overlap, and one-off items paid again within the item's "
                    "duplicate_window_days (items.csv), are duplicates",
            .origin = "",
            .line = 0,
            .source = AM_DUPLICATE_SOURCE,
        };
        return AM_OK;
    }
    return am_fail(ctx->errmsg_slot, AM_ERR_INVALID, "am_rule_get: no rule %.64s", rule_id);
}
