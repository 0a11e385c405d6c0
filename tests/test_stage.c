/*
 * test_stage.c — the run's stages (lib/common/stage.h) through the public
 * API: every stage-bound call in every stage, on the sample county, and
 * the bug that made them necessary (ingesting after am_reconcile() wrote
 * the old findings beside the new counts).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aidmatch.h"
#include "check_run.h"
#include "test_files.h"

enum { SETUP, INGESTED, RECONCILED, REVIEWED, SNAPSHOT, NSTAGES };
static const char *const stage_names[NSTAGES] = {"setup", "ingested", "reconciled", "reviewed",
                                                 "snapshot"};

static char dir[64];

static const char *tmp(const char *name)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/am_stage_XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
    }
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

/* A file of the source tree, by its path there. */
static char *slurp(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", getenv("AM_SOURCE_ROOT"), rel);
    return am_test_slurp(path, len);
}

static void load_sample(am_ctx *ctx)
{
    size_t len;
    char *hex = slurp("data/sample/sample.key", &len);
    unsigned char key[16];
    for (int i = 0; i < 16; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        key[i] = (unsigned char)v;
    }
    free(hex);
    ck_assert_int_eq(am_load_key(ctx, key, sizeof key), AM_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/data/sample/centre.ini", getenv("AM_SOURCE_ROOT"));
    ck_assert_msg(am_load_centre(ctx, path) == AM_OK, "%s", am_errmsg(ctx));
}

static const char *sample_snapshot(void)
{
    static char path[256];
    if (!path[0]) {
        am_ctx *ctx;
        ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
        load_sample(ctx);
        ck_assert_int_eq(am_ingest(ctx), AM_OK);
        ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
        snprintf(path, sizeof path, "%s", tmp("sample.snap"));
        ck_assert_msg(am_snapshot_write(ctx, path) == AM_OK, "%s", am_errmsg(ctx));
        am_ctx_free(ctx);
    }
    return path;
}

/* A context brought to stage by the calls that lead there. */
static am_ctx *in_stage(int stage)
{
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    if (stage == SNAPSHOT) {
        ck_assert_msg(am_snapshot_open(ctx, sample_snapshot()) == AM_OK, "%s", am_errmsg(ctx));
        return ctx;
    }
    load_sample(ctx);
    if (stage >= INGESTED)
        ck_assert_msg(am_ingest(ctx) == AM_OK, "%s", am_errmsg(ctx));
    if (stage >= RECONCILED)
        ck_assert_msg(am_reconcile(ctx, NULL, NULL) == AM_OK, "%s", am_errmsg(ctx));
    if (stage >= REVIEWED)
        ck_assert_msg(am_review(ctx) == AM_OK, "%s", am_errmsg(ctx));
    return ctx;
}

static am_status call_reconcile(am_ctx *c) { return am_reconcile(c, NULL, NULL); }
static am_status call_review(am_ctx *c) { return am_review(c); }
static am_status call_write_outputs(am_ctx *c) { return am_write_outputs(c, tmp("out"), -1); }
static am_status call_snapshot_write(am_ctx *c) { return am_snapshot_write(c, tmp("s.snap")); }
static am_status call_snapshot_open(am_ctx *c) { return am_snapshot_open(c, sample_snapshot()); }
static am_status call_snapshot_verify(am_ctx *c) { return am_snapshot_verify(c); }
static am_status call_finding_review_get(am_ctx *c)
{
    am_finding_review r;
    return am_finding_review_get(c, 0, &r);
}
static am_status call_match_rules(am_ctx *c)
{
    static const char rules[] = "rule X1 exclusive DIBAO_URBAN vs DIBAO_RURAL\n  source test\n";
    return am_match_rules(c, rules, sizeof rules - 1, "test", NULL, 0);
}
static am_status call_explain(am_ctx *c) { return am_explain(c, "0123456789abcdef0123456789abcdef"); }
static am_status call_person_lookup(am_ctx *c)
{
    return am_person_lookup(c, "0123456789abcdef0123456789abcdef", NULL);
}
static am_status call_set_threads(am_ctx *c) { return am_set_threads(c, 2); }
static am_status call_set_drift_share(am_ctx *c) { return am_set_drift_share(c, 400); }
static am_status call_set_run_date(am_ctx *c) { return am_set_run_date(c, "2026-01-31"); }
static am_status call_set_progress_fn(am_ctx *c) { return am_set_progress_fn(c, NULL, NULL); }
static am_status call_feed_stats_get(am_ctx *c)
{
    am_feed_stats s;
    return am_feed_stats_get(c, 0, &s);
}
static am_status call_finding_get(am_ctx *c)
{
    am_finding f;
    return am_finding_count(c) ? am_finding_get(c, 0, &f) : AM_OK;
}
static am_status call_reject_get(am_ctx *c)
{
    am_reject_row r;
    return am_reject_count(c) ? am_reject_get(c, 0, &r) : AM_OK;
}

#define ALL ((1u << NSTAGES) - 1)
#define OWN_RUN ((1u << SETUP) | (1u << INGESTED) | (1u << RECONCILED) | (1u << REVIEWED))
#define FINDINGS ((1u << RECONCILED) | (1u << REVIEWED))

/* Every call whose stage matters, with the stages it accepts; calls that
 * accept every stage are here too, to show they do. */
static const struct stage_case {
    const char *call;
    am_status (*fn)(am_ctx *);
    unsigned accepted;
    const char *first; /* what the message says to call first, from the stage before */
} cases[] = {
    {"am_reconcile", call_reconcile, (1u << INGESTED) | FINDINGS, "am_ingest()"},
    {"am_review", call_review, FINDINGS, "am_reconcile()"},
    {"am_write_outputs", call_write_outputs, FINDINGS, "am_reconcile()"},
    {"am_snapshot_write", call_snapshot_write, FINDINGS, "am_reconcile()"},
    {"am_snapshot_open", call_snapshot_open, 1u << SETUP, "am_ctx_new()"},
    {"am_snapshot_verify", call_snapshot_verify, 1u << SNAPSHOT, "am_snapshot_open()"},
    {"am_finding_review_get", call_finding_review_get, 1u << REVIEWED, NULL},
    {"am_match_rules", call_match_rules, FINDINGS | (1u << SNAPSHOT), "am_reconcile()"},
    {"am_explain", call_explain, FINDINGS | (1u << SNAPSHOT), "am_reconcile()"},
    {"am_person_lookup", call_person_lookup, FINDINGS | (1u << SNAPSHOT), "am_reconcile()"},
    {"am_set_threads", call_set_threads, ALL, NULL},
    {"am_set_drift_share", call_set_drift_share, ALL, NULL},
    {"am_set_run_date", call_set_run_date, ALL, NULL},
    {"am_set_progress_fn", call_set_progress_fn, ALL, NULL},
    {"am_feed_stats_get", call_feed_stats_get, ALL, NULL},
    {"am_finding_get", call_finding_get, ALL, NULL},
    {"am_reject_get", call_reject_get, ALL, NULL},
};
#define NCASES (sizeof cases / sizeof *cases)

/* One loop iteration per (call, stage): a call a stage does not accept
 * returns AM_ERR_STATE and says what to call first; one it accepts
 * returns anything else. */
START_TEST(every_call_in_every_stage)
{
    const struct stage_case *c = &cases[_i / NSTAGES];
    const int stage = _i % NSTAGES;
    am_ctx *ctx = in_stage(stage);
    const am_status st = c->fn(ctx);
    if (c->accepted & (1u << stage)) {
        ck_assert_msg(st != AM_ERR_STATE, "%s in stage %s: refused: %s", c->call,
                      stage_names[stage], am_errmsg(ctx));
    } else {
        ck_assert_msg(st == AM_ERR_STATE, "%s in stage %s: got %s, not AM_ERR_STATE", c->call,
                      stage_names[stage], am_strerror(st));
        /* The context is new, so a message there is this call's. */
        ck_assert_msg(strncmp(am_errmsg(ctx), c->call, strlen(c->call)) == 0 &&
                          am_errmsg(ctx)[strlen(c->call)] == ':',
                      "%s in stage %s: message '%s'", c->call, stage_names[stage],
                      am_errmsg(ctx));
        if (c->first && stage != SNAPSHOT && stage != REVIEWED)
            ck_assert_msg(strstr(am_errmsg(ctx), c->first) != NULL, "%s in stage %s: %s",
                          c->call, stage_names[stage], am_errmsg(ctx));
    }
    am_ctx_free(ctx);
}
END_TEST

/* The messages a person acts on, word for word. */
START_TEST(messages_name_the_call_to_make_first)
{
    am_ctx *ctx = in_stage(INGESTED);
    ck_assert_int_eq(am_write_outputs(ctx, tmp("out"), -1), AM_ERR_STATE);
    ck_assert_str_eq(am_errmsg(ctx),
                     "am_write_outputs: the run is ingested, not reconciled: call am_reconcile() "
                     "first");
    am_ctx_free(ctx);
    ctx = in_stage(SETUP);
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_ERR_STATE);
    ck_assert_str_eq(am_errmsg(ctx), "am_reconcile: the run is not yet ingested: call am_ingest() "
                                     "or am_feed_ingest_buffer() first");
    am_ctx_free(ctx);
    ctx = in_stage(SNAPSHOT);
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_ERR_STATE);
    ck_assert_str_eq(am_errmsg(ctx),
                     "am_reconcile: the run is reading a snapshot, which answers questions "
                     "only: ask it with am_match_rules(), am_person_lookup() or am_explain(), "
                     "or call am_ctx_new() for a new context");
    am_ctx_free(ctx);
    ctx = in_stage(INGESTED);
    ck_assert_int_eq(am_explain(ctx, "0123456789abcdef0123456789abcdef"), AM_ERR_STATE);
    ck_assert_str_eq(am_errmsg(ctx),
                     "am_explain: the run is ingested, not reconciled: open a snapshot "
                     "(am_snapshot_open()), or call am_reconcile(), before asking questions");
    am_ctx_free(ctx);
    ctx = in_stage(RECONCILED);
    am_finding_review r;
    ck_assert_int_eq(am_finding_review_get(ctx, 0, &r), AM_ERR_STATE);
    ck_assert_str_eq(am_errmsg(ctx),
                     "am_finding_review_get: the run is reconciled: call am_review() first");
    ck_assert_int_eq(am_review(ctx), AM_OK);
    ck_assert_int_eq(am_finding_review_get(ctx, 100000, &r), AM_ERR_INVALID);
    ck_assert_str_eq(am_errmsg(ctx), "am_finding_review_get: no finding 100000: there are 65");
    am_ctx_free(ctx);
}
END_TEST

/* Settings out of range fail with a message of their own, never leaving
 * an older one in am_errmsg(), and leave the setting as it was. */
START_TEST(settings_out_of_range_say_so)
{
    am_ctx *ctx = in_stage(SETUP);
    ck_assert_int_eq(am_set_window(ctx, "2026-02-01", "2026-01-01"), AM_ERR_FORMAT);
    ck_assert_int_eq(am_set_threads(ctx, 0), AM_ERR_INVALID);
    ck_assert_str_eq(am_errmsg(ctx), "threads: expected 1 to 64, got 0");
    ck_assert_int_eq(am_set_threads(ctx, 65), AM_ERR_INVALID);
    ck_assert_str_eq(am_errmsg(ctx), "threads: expected 1 to 64, got 65");
    ck_assert_int_eq(am_set_threads(ctx, 64), AM_OK);
    ck_assert_int_eq(am_set_drift_share(ctx, 1000001), AM_ERR_INVALID);
    ck_assert_str_eq(am_errmsg(ctx),
                     "drift share: expected at most 1000000 per mille, got 1000001");
    ck_assert_int_eq(am_set_drift_share(ctx, 1000000), AM_OK);
    ck_assert_int_eq(am_set_threads(NULL, 0), AM_ERR_INVALID);
    ck_assert_int_eq(am_set_drift_share(NULL, 0), AM_ERR_INVALID);
    am_ctx_free(ctx);
}
END_TEST

/* A NULL context has nowhere to keep a message: every call of the table,
 * and the counts, strings and handles, answer AM_ERR_INVALID, 0, "" or
 * NULL (aidmatch.h's conventions). */
START_TEST(a_null_context_fails_with_nothing_to_say)
{
    for (size_t i = 0; i < NCASES; i++)
        if (cases[i].fn != call_finding_get && cases[i].fn != call_reject_get) /* ask a count */
            ck_assert_msg(cases[i].fn(NULL) == AM_ERR_INVALID, "%s(NULL)", cases[i].call);
    am_finding f;
    ck_assert_int_eq(am_finding_get(NULL, 0, &f), AM_ERR_INVALID);
    am_reject_row rr;
    ck_assert_int_eq(am_reject_get(NULL, 0, &rr), AM_ERR_INVALID);
    ck_assert_int_eq(am_ingest(NULL), AM_ERR_INVALID);
    am_feed *feed = (am_feed *)1;
    ck_assert_int_eq(am_feed_new(NULL, "x", &feed), AM_ERR_INVALID);
    ck_assert_ptr_null(am_feed_find(NULL, "x"));
    ck_assert_int_eq(am_feed_set(NULL, "file", "x.csv"), AM_ERR_INVALID);
    ck_assert_int_eq(am_feed_ingest_buffer(NULL, "", 0), AM_ERR_INVALID);
    ck_assert_str_eq(am_errmsg(NULL), "");
    ck_assert_uint_eq(am_finding_count(NULL), 0);
    ck_assert_uint_eq(am_reject_count(NULL), 0);
    ck_assert_uint_eq(am_feed_count(NULL), 0);
    ck_assert_uint_eq(am_delta_count(NULL), 0);
    ck_assert_uint_eq(am_outcome_skipped_count(NULL), 0);
    ck_assert_uint_eq(am_result_count(NULL), 0);
    ck_assert_uint_eq(am_person_record_count(NULL), 0);
    ck_assert_str_eq(am_person_token(NULL), "");
    ck_assert_str_eq(am_key_fingerprint(NULL), "");
    ck_assert_ptr_null(am_previous_missing(NULL));
    am_delta_row d;
    ck_assert_int_eq(am_delta_get(NULL, 0, &d), AM_ERR_INVALID);
    am_rule_info ri;
    ck_assert_int_eq(am_rule_get(NULL, "DUP", &ri), AM_ERR_INVALID);
    am_feed_drift dr;
    ck_assert_int_eq(am_feed_drift_get(NULL, 0, &dr), AM_ERR_INVALID);
    ck_assert_int_eq(am_set_csv_bom(NULL, 1), AM_ERR_INVALID);
    ck_assert_int_eq(am_load_previous(NULL, "x"), AM_ERR_INVALID);
    ck_assert_int_eq(am_load_outcomes(NULL, "x"), AM_ERR_INVALID);
}
END_TEST

/* Misuse — a NULL argument, an index past the end — fails with a message
 * naming the call, also in accessors given a const context, and never
 * leaves an older message in am_errmsg() (each case follows a failure of
 * its own).  Word for word, on a reviewed run. */
#define MISUSE(call, message)                                                   \
    do {                                                                        \
        ck_assert_int_eq(am_set_threads(ctx, 0), AM_ERR_INVALID);               \
        ck_assert_int_eq(call, AM_ERR_INVALID);                                 \
        ck_assert_str_eq(am_errmsg(ctx), message);                              \
    } while (0)

START_TEST(misuse_names_the_call)
{
    am_ctx *ctx = in_stage(REVIEWED);
    am_feed_stats fs;
    am_reject_row rr;
    am_finding f;
    am_delta_row dr;
    am_feed_drift fd;
    am_diagnostic dg;
    am_rule_info ri;
    am_result res;
    am_record_info rec;
    const char *file, *reason;
    uint64_t line;
    char want[160];
    MISUSE(am_load_catalogue(ctx, NULL), "am_load_catalogue: dir is NULL");
    MISUSE(am_load_key_file(ctx, NULL), "am_load_key_file: path is NULL");
    MISUSE(am_load_rules(ctx, NULL), "am_load_rules: path is NULL");
    MISUSE(am_load_rules_mem(ctx, NULL, 3, "x"), "am_load_rules_mem: text is NULL");
    MISUSE(am_load_centre(ctx, NULL), "am_load_centre: path is NULL");
    MISUSE(am_check_centre(ctx, NULL, 0), "am_check_centre: path is NULL");
    MISUSE(am_set_window(ctx, "2026-01-01", NULL), "am_set_window: start or end is NULL");
    MISUSE(am_set_run_date(ctx, NULL), "am_set_run_date: date is NULL");
    MISUSE(am_load_previous(ctx, NULL), "am_load_previous: dir is NULL");
    MISUSE(am_load_outcomes(ctx, NULL), "am_load_outcomes: path is NULL");
    MISUSE(am_write_outputs(ctx, "", -1), "am_write_outputs: dir is NULL or empty");
    MISUSE(am_snapshot_write(ctx, NULL), "am_snapshot_write: path is NULL or empty");
    MISUSE(am_feed_new(ctx, "x", NULL), "am_feed_new: name or out is NULL");
    MISUSE(am_explain(ctx, NULL), "am_explain: finding_id is NULL");
    MISUSE(am_person_lookup(ctx, NULL, NULL), "am_person_lookup: id_or_token is NULL");
    snprintf(want, sizeof want, "am_feed_stats_get: no feed %zu: there are %zu",
             am_feed_count(ctx), am_feed_count(ctx));
    MISUSE(am_feed_stats_get(ctx, am_feed_count(ctx), &fs), want);
    MISUSE(am_feed_stats_get(ctx, 0, NULL), "am_feed_stats_get: out is NULL");
    snprintf(want, sizeof want, "am_reject_get: no rejected row %zu: there are %zu",
             am_reject_count(ctx) + 5, am_reject_count(ctx));
    MISUSE(am_reject_get(ctx, am_reject_count(ctx) + 5, &rr), want);
    MISUSE(am_finding_get(ctx, 65, &f), "am_finding_get: no finding 65: there are 65");
    MISUSE(am_finding_review_get(ctx, 0, NULL), "am_finding_review_get: out is NULL");
    MISUSE(am_delta_get(ctx, 0, &dr), "am_delta_get: no delta row 0: there are 0");
    MISUSE(am_feed_drift_get(ctx, 0, &fd),
           "am_feed_drift_get: no previous run is loaded (am_load_previous)");
    MISUSE(am_diagnostic_get(ctx, 0, &dg), "am_diagnostic_get: no problem 0: there are 0");
    MISUSE(am_outcome_skipped_get(ctx, 0, &file, &line, &reason),
           "am_outcome_skipped_get: no skipped row 0: there are 0");
    MISUSE(am_rule_get(ctx, "NOPE", &ri), "am_rule_get: no rule NOPE");
    MISUSE(am_result_get(ctx, 0, &res), "am_result_get: no result 0: there are 0");
    MISUSE(am_person_record_get(ctx, 0, &rec), "am_person_record_get: no record 0: there are 0");
    am_ctx_free(ctx);
}
END_TEST

/* What falls back: a new run date, previous run or outcomes make the
 * review old; new rules or a new window make the findings old. */
START_TEST(changes_send_the_run_back)
{
    am_ctx *ctx = in_stage(REVIEWED);
    am_finding_review r;
    ck_assert_int_eq(am_finding_review_get(ctx, 0, &r), AM_OK);
    ck_assert_int_eq(am_set_run_date(ctx, "2026-01-31"), AM_OK);
    ck_assert_int_eq(am_finding_review_get(ctx, 0, &r), AM_ERR_STATE);
    ck_assert_int_eq(am_review(ctx), AM_OK);
    ck_assert_int_eq(am_finding_review_get(ctx, 0, &r), AM_OK);
    ck_assert_int_eq(am_set_window(ctx, "2025-01-01", "2025-06-30"), AM_OK);
    ck_assert_int_eq(am_review(ctx), AM_ERR_STATE);
    ck_assert_int_eq(am_write_outputs(ctx, tmp("out"), -1), AM_ERR_STATE);
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
    ck_assert_int_eq(am_write_outputs(ctx, tmp("out"), -1), AM_OK);
    am_ctx_free(ctx);
}
END_TEST

/* The sample's 低保 feed declared once more, under another name: its rows
 * ingested again are payments made twice. */
static am_feed *declare_dibao_again(am_ctx *ctx)
{
    am_feed *feed;
    ck_assert_int_eq(am_feed_new(ctx, "mca_dibao_again", &feed), AM_OK);
    static const char *const spec[][2] = {
        {"agency", "MCA"}, {"kind", "payments"}, {"person_id", "身份证号码"},
        {"name", "姓名"}, {"household_id", "户编号"}, {"item_column", "救助类型"},
        {"item_map", "城市低保:DIBAO_URBAN | 农村低保:DIBAO_RURAL | 分散特困:TEKUN_HOME | "
                     "集中特困:TEKUN_INST | 特困照料护理:TEKUN_CARE"},
        {"month", "发放月份"}, {"amount", "发放金额"}};
    for (size_t i = 0; i < sizeof spec / sizeof *spec; i++)
        ck_assert_msg(am_feed_set(feed, spec[i][0], spec[i][1]) == AM_OK, "%s: %s", spec[i][0],
                      am_errmsg(ctx));
    return feed;
}

/* The reproduction: a feed declared and ingested after
 * am_reconcile() used to leave the earlier findings to be written beside
 * the new rows' counts. */
START_TEST(ingesting_after_reconcile_needs_reconcile_again)
{
    am_ctx *ctx = in_stage(RECONCILED);
    const size_t before = am_finding_count(ctx);
    am_feed *feed = declare_dibao_again(ctx);
    size_t len;
    char *csv = slurp("data/sample/mca_dibao_tekun.csv", &len);
    ck_assert_msg(am_feed_ingest_buffer(feed, csv, len) == AM_OK, "%s", am_errmsg(ctx));
    free(csv);
    ck_assert_int_eq(am_write_outputs(ctx, tmp("late"), -1), AM_ERR_STATE);
    ck_assert_int_eq(am_snapshot_write(ctx, tmp("late.snap")), AM_ERR_STATE);
    /* The stage alone stops the questions too: the store is unsorted now,
     * and nothing else checks it (audit/source.c). */
    ck_assert_int_eq(am_person_lookup(ctx, "0123456789abcdef0123456789abcdef", NULL),
                     AM_ERR_STATE);
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
    ck_assert_uint_gt(am_finding_count(ctx), before); /* the same payments, paid twice */
    ck_assert_msg(am_write_outputs(ctx, tmp("late"), -1) == AM_OK, "%s", am_errmsg(ctx));
    am_ctx_free(ctx);
}
END_TEST

/* What a progress callback sees of the run while a feed is being
 * ingested after a review: once rows have moved into the store, the
 * findings and the review (whose evidence index points into the store)
 * are no longer current, even before the reading ends. */
typedef struct mid_ingest {
    am_ctx *ctx;
    int calls;
    am_status review_get, write_outputs; /* at the last call before the feed's end */
} mid_ingest;

static int during_ingest(void *user, const am_progress *progress)
{
    mid_ingest *m = user;
    if (progress->done)
        return 0;
    m->calls++;
    am_finding_review r;
    m->review_get = am_finding_review_get(m->ctx, 0, &r);
    m->write_outputs = am_write_outputs(m->ctx, tmp("mid"), -1);
    return 0;
}

START_TEST(rows_moved_into_the_store_make_the_review_stale_at_once)
{
    am_ctx *ctx = in_stage(REVIEWED);
    am_feed *feed = declare_dibao_again(ctx);
    /* The sample's rows again and again: two progress calls' worth, so
     * that the second comes after the first batch moved. */
    size_t len;
    char *csv = slurp("data/sample/mca_dibao_tekun.csv", &len);
    const char *body = strchr(csv, '\n') + 1;
    const size_t head = (size_t)(body - csv), rows_each = 477, copies = 300;
    ck_assert_uint_gt(rows_each * copies, 2 * 65536);
    char *big = malloc(head + (len - head) * copies);
    ck_assert_ptr_nonnull(big);
    memcpy(big, csv, head);
    for (size_t k = 0; k < copies; k++)
        memcpy(big + head + k * (len - head), body, len - head);
    mid_ingest m = {ctx, 0, AM_OK, AM_OK};
    ck_assert_int_eq(am_set_progress_fn(ctx, during_ingest, &m), AM_OK);
    ck_assert_msg(am_feed_ingest_buffer(feed, big, head + (len - head) * copies) == AM_OK, "%s",
                  am_errmsg(ctx));
    free(big);
    free(csv);
    ck_assert_int_ge(m.calls, 2);
    ck_assert_int_eq(m.review_get, AM_ERR_STATE);
    ck_assert_int_eq(m.write_outputs, AM_ERR_STATE);
    am_ctx_free(ctx);
}
END_TEST

static void cleanup(void)
{
    if (dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
}

int main(void)
{
    Suite *s = suite_create("stage");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, every_call_in_every_stage, 0, (int)(NCASES * NSTAGES));
    tcase_add_test(tc, messages_name_the_call_to_make_first);
    tcase_add_test(tc, settings_out_of_range_say_so);
    tcase_add_test(tc, misuse_names_the_call);
    tcase_add_test(tc, a_null_context_fails_with_nothing_to_say);
    tcase_add_test(tc, changes_send_the_run_back);
    tcase_add_test(tc, ingesting_after_reconcile_needs_reconcile_again);
    tcase_add_test(tc, rows_moved_into_the_store_make_the_review_stale_at_once);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
