/* The nightly cycle: delta classification against a previous run, facts
 * fingerprints, outcomes files (bad rows fail with file:line), suppression
 * switching on and off as facts hold or change, feed drift, progress
 * callbacks, the JSON reader, and report.html's escaping and totals.
 * Nights are whole runs through the public API, written to temporary
 * directories that the next night reads back. */
#include <aidmatch.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/context.h"
#include "cycle/drift.h"
#include "read/feed.h"
#include "common/json.h"
#include "cycle/outcomes.h"
#include "cycle/previous.h"
#include "check_run.h"

static const unsigned char test_key[16] = {5, 4, 3, 2, 1, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};

/* Valid resident IDs: P1, P2 and P4 carry area codes 320281, 320281 and
 * 320282. */
#define P1 "320281197001010012"
#define P2 "320281197001010020"
#define P4 "320282199003030047"
#define P5 "110105194912310011"

#define MCA_BASE                                                                                \
    P1 ",1200.00,2025-01-01,2025-03-31\n" P2 ",900.00,2025-01-01,2025-06-30\n" P4               \
       ",600.00,2025-01-01,2025-03-31\n" P5 ",800.00,2025-01-01,2025-04-30\n"
#define TOWN_BASE P1 ",1200.00,2025-03-01,2025-05-31\n" P4 ",600.00,2025-02-01,2025-04-30\n"

/* The duplicates these give: P1 404.35 (March), P4 393.33 (Feb-Mar). */
#define STAKE_P1 40435
#define STAKE_P4 39333
#define STAKE_P2 14917

static char work[64];

static void setup(void)
{
    snprintf(work, sizeof work, "/tmp/am_delta_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(work));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *path_in(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", work, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char buf[1 << 20];
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static am_ctx *new_ctx(void)
{
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/catalogue", getenv("AM_SOURCE_ROOT"));
    ck_assert_msg(am_load_catalogue(ctx, dir) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_int_eq(am_load_key(ctx, test_key, sizeof test_key), AM_OK);
    return ctx;
}

/* A payments feed of these rows, with one more setting when key is not
 * NULL. */
static void payments_feed_with(am_ctx *ctx, const char *name, const char *rows, const char *key,
                               const char *value)
{
    static const char *const keys[][2] = {{"agency", "MCA"},   {"item", "TEKUN_HOME"},
                                          {"person_id", "id"}, {"amount", "amount"},
                                          {"start", "from"},   {"end", "to"},
                                          {NULL, NULL}};
    am_feed *feed;
    ck_assert_int_eq(am_feed_new(ctx, name, &feed), AM_OK);
    for (size_t i = 0; keys[i][0]; i++)
        ck_assert_int_eq(am_feed_set(feed, keys[i][0], keys[i][1]), AM_OK);
    if (key)
        ck_assert_msg(am_feed_set(feed, key, value) == AM_OK, "%s", am_errmsg(ctx));
    char csv[4096];
    snprintf(csv, sizeof csv, "id,amount,from,to\n%s", rows);
    ck_assert_msg(am_feed_ingest_buffer(feed, csv, strlen(csv)) == AM_OK, "%s", am_errmsg(ctx));
}

static void payments_feed(am_ctx *ctx, const char *name, const char *rows)
{
    payments_feed_with(ctx, name, rows, NULL, NULL);
}

typedef struct night {
    const char *mca, *town; /* rows */
    const char *date;       /* run date, or NULL */
    const char *previous;   /* directory name under work, or NULL */
    const char *outcomes;   /* outcomes file text, or NULL */
    const char *out;        /* directory name under work */
} night;

/* Runs one night and writes its outputs; returns the context. */
static am_ctx *run(const night *n)
{
    am_ctx *ctx = new_ctx();
    if (n->date)
        ck_assert_int_eq(am_set_run_date(ctx, n->date), AM_OK);
    if (n->previous)
        ck_assert_msg(am_load_previous(ctx, path_in(n->previous)) == AM_OK, "%s", am_errmsg(ctx));
    if (n->outcomes) {
        write_file(path_in("outcomes.csv"), n->outcomes);
        ck_assert_msg(am_load_outcomes(ctx, path_in("outcomes.csv")) == AM_OK, "%s",
                      am_errmsg(ctx));
    }
    payments_feed(ctx, "mca", n->mca);
    payments_feed(ctx, "town", n->town);
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
    ck_assert_msg(am_write_outputs(ctx, path_in(n->out), -1) == AM_OK, "%s", am_errmsg(ctx));
    return ctx;
}

/* The index of the finding with this amount at stake, or -1. */
static long finding_by_stake(const am_ctx *ctx, int64_t fen)
{
    for (size_t i = 0; i < am_finding_count(ctx); i++) {
        am_finding f;
        ck_assert_int_eq(am_finding_get(ctx, i, &f), AM_OK);
        if (f.amount_fen == fen)
            return (long)i;
    }
    return -1;
}

static void id_by_stake(const am_ctx *ctx, int64_t fen, char out[33])
{
    const long i = finding_by_stake(ctx, fen);
    ck_assert_int_ge(i, 0);
    am_finding f;
    am_finding_get(ctx, (size_t)i, &f);
    memcpy(out, f.id, 33);
}

static am_finding_review review_by_stake(const am_ctx *ctx, int64_t fen)
{
    const long i = finding_by_stake(ctx, fen);
    ck_assert_int_ge(i, 0);
    am_finding_review r;
    ck_assert_int_eq(am_finding_review_get(ctx, (size_t)i, &r), AM_OK);
    return r;
}

/* The delta row of id, which must exist. */
static am_delta_row delta_of(const am_ctx *ctx, const char *id)
{
    for (size_t i = 0; i < am_delta_count(ctx); i++) {
        am_delta_row d;
        ck_assert_int_eq(am_delta_get(ctx, i, &d), AM_OK);
        if (strcmp(d.finding_id, id) == 0)
            return d;
    }
    ck_abort_msg("no delta row for %s", id);
    return (am_delta_row){0};
}

/* ------------------------------------------------------------------ */

START_TEST(delta_classifies_new_persisting_resolved)
{
    char id1[33], id2[33], id4[33];
    am_ctx *ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-27", NULL, NULL, "n1"});
    id_by_stake(ctx, STAKE_P1, id1);
    id_by_stake(ctx, STAKE_P4, id4);
    ck_assert_uint_eq(am_delta_count(ctx), 0); /* no previous run: no delta */
    ck_assert_int_ne(access(path_in("n1/delta.csv"), F_OK), 0);
    am_ctx_free(ctx);

    /* Night 2: P1's town row is gone, P2 gets one. */
    ctx = run(&(night){MCA_BASE, P4 ",600.00,2025-02-01,2025-04-30\n" P2
                       ",900.00,2025-06-01,2025-07-31\n",
                       "2026-11-28", "n1", NULL, "n2"});
    id_by_stake(ctx, STAKE_P2, id2);
    ck_assert_uint_eq(am_delta_count(ctx), 3);
    am_delta_row d = delta_of(ctx, id4);
    ck_assert_int_eq(d.change, AM_CHANGE_PERSISTING);
    ck_assert_str_eq(d.first_seen, "2026-11-27");
    ck_assert_str_eq(d.last_seen, "2026-11-28");
    d = delta_of(ctx, id2);
    ck_assert_int_eq(d.change, AM_CHANGE_NEW);
    ck_assert_str_eq(d.first_seen, "2026-11-28");
    d = delta_of(ctx, id1);
    ck_assert_int_eq(d.change, AM_CHANGE_RESOLVED);
    ck_assert_str_eq(d.first_seen, "2026-11-27");
    ck_assert_str_eq(d.last_seen, "2026-11-27");
    /* Resolved rows come last. */
    am_delta_get(ctx, 2, &d);
    ck_assert_str_eq(d.finding_id, id1);
    const char *csv = read_text(path_in("n2/delta.csv"));
    ck_assert_ptr_nonnull(strstr(csv, "\xEF\xBB\xBF" "finding_id,status,first_seen,last_seen,kind,"
                                      "rule_id,unit,subject,items,agencies,period_start,"
                                      "period_end,amount_at_stake,priority\n"));
    char line[128];
    snprintf(line, sizeof line, "%s,persisting,2026-11-27,2026-11-28,DUPLICATE,DUP,person,", id4);
    ck_assert_ptr_nonnull(strstr(csv, line));
    snprintf(line, sizeof line, "%s,new,2026-11-28,2026-11-28,DUPLICATE,DUP,person,", id2);
    ck_assert_ptr_nonnull(strstr(csv, line));
    /* A resolved finding keeps the previous run's details and amount. */
    snprintf(line, sizeof line, "%s,resolved,2026-11-27,2026-11-27,DUPLICATE,DUP,person,", id1);
    const char *resolved = strstr(csv, line);
    ck_assert_ptr_nonnull(resolved);
    const char *eol = strchr(resolved, '\n');
    ck_assert_ptr_nonnull(eol);
    ck_assert_ptr_nonnull(strstr(resolved, ",404.35,"));
    ck_assert(strstr(resolved, ",404.35,") < eol);
    const char *summary = read_text(path_in("n2/summary.json"));
    ck_assert_ptr_nonnull(strstr(summary, "\"run_date\": \"2026-11-28\""));
    ck_assert_ptr_nonnull(strstr(summary, "\"previous_run_date\": \"2026-11-27\""));
    ck_assert_ptr_nonnull(strstr(summary, "\"new\": {\"count\": 1,"));
    ck_assert_ptr_nonnull(strstr(summary, "\"resolved\": {\"count\": 1, \"amount_at_stake\": \"404.35\"}"));
    am_ctx_free(ctx);

    /* Night 3 carries first_seen forward through night 2's delta.csv. */
    ctx = run(&(night){MCA_BASE, P4 ",600.00,2025-02-01,2025-04-30\n" P2
                       ",900.00,2025-06-01,2025-07-31\n",
                       "2026-11-29", "n2", NULL, "n3"});
    ck_assert_uint_eq(am_delta_count(ctx), 2);
    ck_assert_str_eq(delta_of(ctx, id4).first_seen, "2026-11-27");
    ck_assert_str_eq(delta_of(ctx, id2).first_seen, "2026-11-28");
    ck_assert_str_eq(review_by_stake(ctx, STAKE_P2).first_seen, "2026-11-28");
    am_ctx_free(ctx);

    /* The previous run may be the very directory written tonight. */
    ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-30", "n3", NULL, "n3"});
    ck_assert_int_eq(delta_of(ctx, id1).change, AM_CHANGE_NEW);
    ck_assert_int_eq(delta_of(ctx, id2).change, AM_CHANGE_RESOLVED);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(facts_ignore_line_numbers_but_not_amounts)
{
    am_ctx *ctx = run(&(night){MCA_BASE, TOWN_BASE, NULL, NULL, NULL, "a"});
    char facts[33];
    memcpy(facts, review_by_stake(ctx, STAKE_P4).facts, 33);
    ck_assert_str_eq(review_by_stake(ctx, STAKE_P4).area, "320282");
    ck_assert_str_eq(review_by_stake(ctx, STAKE_P1).area, "320281");
    ck_assert_uint_eq(strlen(facts), 32);
    am_ctx_free(ctx);
    /* The same rows in another order: other lines, same facts. */
    ctx = run(&(night){P5 ",800.00,2025-01-01,2025-04-30\n" P4 ",600.00,2025-01-01,2025-03-31\n" P2
                       ",900.00,2025-01-01,2025-06-30\n" P1 ",1200.00,2025-01-01,2025-03-31\n",
                       P4 ",600.00,2025-02-01,2025-04-30\n" P1 ",1200.00,2025-03-01,2025-05-31\n",
                       NULL, NULL, NULL, "b"});
    ck_assert_str_eq(review_by_stake(ctx, STAKE_P4).facts, facts);
    am_ctx_free(ctx);
    /* A changed amount changes the facts (here not the stake: the other
     * record's share is the smaller). */
    ctx = run(&(night){MCA_BASE, P1 ",1200.00,2025-03-01,2025-05-31\n" P4
                       ",700.00,2025-02-01,2025-04-30\n",
                       NULL, NULL, NULL, "c"});
    ck_assert_str_ne(review_by_stake(ctx, STAKE_P4).facts, facts);
    /* findings.csv ends with the facts, linked and possible_id_error columns. */
    const char *csv = read_text(path_in("c/findings.csv"));
    ck_assert_ptr_nonnull(strstr(csv, ",policy_source,priority,facts,linked,possible_id_error\n"));
    am_ctx_free(ctx);
}
END_TEST

START_TEST(suppression_follows_the_facts)
{
    char id4[33], outcomes[256];
    am_ctx *ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-27", NULL, NULL, "n1"});
    id_by_stake(ctx, STAKE_P4, id4);
    am_ctx_free(ctx);
    snprintf(outcomes, sizeof outcomes,
             "finding_id,outcome,date,note\n%s,no_issue,2026-11-27,两笔均核实\n", id4);

    /* Without a previous run there is nothing to judge the facts by. */
    ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-28", NULL, outcomes, "alone"});
    ck_assert_int_eq(review_by_stake(ctx, STAKE_P4).outcome, AM_OUTCOME_NO_ISSUE);
    ck_assert_int_eq(review_by_stake(ctx, STAKE_P4).suppressed, 0);
    am_ctx_free(ctx);

    /* Night 2: the previous run (27th) is on or before the outcome (27th)
     * and its facts are tonight's: suppressed, and moved. */
    ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-28", "n1", outcomes, "n2"});
    am_finding_review r = review_by_stake(ctx, STAKE_P4);
    ck_assert_int_eq(r.suppressed, 1);
    ck_assert_str_eq(r.outcome_date, "2026-11-27");
    ck_assert_ptr_null(strstr(read_text(path_in("n2/findings.csv")), id4));
    const char *sup = read_text(path_in("n2/suppressed.csv"));
    ck_assert_ptr_nonnull(strstr(sup, ",facts,linked,possible_id_error,outcome_date,reviewed_facts\n"));
    ck_assert_ptr_nonnull(strstr(sup, id4));
    ck_assert_ptr_null(strstr(sup, "两笔均核实")); /* notes are never written */
    const char *summary = read_text(path_in("n2/summary.json"));
    ck_assert_ptr_nonnull(strstr(summary, "\"no_issue\": 1"));
    ck_assert_ptr_nonnull(strstr(summary, "\"suppressed\": 1"));
    ck_assert_ptr_nonnull(strstr(summary, "\"DUPLICATE\": {\"count\": 1, \"amount_at_stake\": \"404.35\"}"));
    /* Suppressed findings still count in the delta. */
    ck_assert_int_eq(delta_of(ctx, id4).change, AM_CHANGE_PERSISTING);
    am_ctx_free(ctx);

    /* Night 3: the previous run is after the outcome, but suppressed it
     * under that outcome: the facts judged carry forward. */
    ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-29", "n2", outcomes, "n3"});
    ck_assert_int_eq(review_by_stake(ctx, STAKE_P4).suppressed, 1);
    am_ctx_free(ctx);

    /* Night 4: P4's town payment changed; the stake stays, the facts do
     * not: the finding comes back. */
    ctx = run(&(night){MCA_BASE, P1 ",1200.00,2025-03-01,2025-05-31\n" P4
                       ",700.00,2025-02-01,2025-04-30\n",
                       "2026-11-30", "n3", outcomes, "n4"});
    r = review_by_stake(ctx, STAKE_P4);
    ck_assert_int_eq(r.suppressed, 0);
    ck_assert_int_eq(r.outcome, AM_OUTCOME_NO_ISSUE);
    ck_assert_ptr_nonnull(strstr(read_text(path_in("n4/findings.csv")), id4));
    am_ctx_free(ctx);

    /* Night 5: the facts are back as judged, but the outcome was for the
     * facts before the change; nothing carries it now. */
    ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-12-01", "n4", outcomes, "n5"});
    ck_assert_int_eq(review_by_stake(ctx, STAKE_P4).suppressed, 0);
    am_ctx_free(ctx);

    /* An outcome dated after the run date is not yet recorded. */
    snprintf(outcomes, sizeof outcomes,
             "finding_id,outcome,date,note\n%s,no_issue,2026-12-31,\n", id4);
    ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-28", "n1", outcomes, "n6"});
    ck_assert_int_eq(review_by_stake(ctx, STAKE_P4).outcome, AM_OUTCOME_NONE);
    ck_assert_int_eq(review_by_stake(ctx, STAKE_P4).suppressed, 0);
    am_ctx_free(ctx);

    /* The latest outcome wins: no_issue then confirmed is not suppressed;
     * a later no_issue on the same day as confirmed (later row) is. */
    snprintf(outcomes, sizeof outcomes,
             "finding_id,outcome,date,note\n%s,no_issue,2026-11-27,\n%s,confirmed,2026-11-27,\n",
             id4, id4);
    ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-28", "n1", outcomes, "n7"});
    ck_assert_int_eq(review_by_stake(ctx, STAKE_P4).outcome, AM_OUTCOME_CONFIRMED);
    ck_assert_int_eq(review_by_stake(ctx, STAKE_P4).suppressed, 0);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(suppression_rule_in_isolation)
{
    am_previous prev = {0};
    am_prev_finding pf = {0};
    strcpy(pf.id, "0123456789abcdef0123456789abcdef");
    strcpy(pf.facts, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    am_outcome_entry o = {.outcome = AM_OUTCOME_NO_ISSUE};
    int ok;
    o.day = am_day_from_ymd(2026, 11, 27, &ok);
    strcpy(prev.run_date, "2026-11-27");
    prev.run_day = o.day;
    const char *facts = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    ck_assert_ptr_nonnull(am_outcome_suppresses(&o, facts, &prev, &pf));
    ck_assert_ptr_null(am_outcome_suppresses(&o, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", &prev, &pf));
    ck_assert_ptr_null(am_outcome_suppresses(&o, facts, NULL, &pf));
    ck_assert_ptr_null(am_outcome_suppresses(&o, facts, &prev, NULL));
    ck_assert_ptr_null(am_outcome_suppresses(NULL, facts, &prev, &pf));
    o.outcome = AM_OUTCOME_CONFIRMED;
    ck_assert_ptr_null(am_outcome_suppresses(&o, facts, &prev, &pf));
    o.outcome = AM_OUTCOME_NO_ISSUE;
    /* A previous run after the outcome: only its own suppression counts. */
    prev.run_day = o.day + 1;
    ck_assert_ptr_null(am_outcome_suppresses(&o, facts, &prev, &pf));
    pf.suppressed = 1;
    strcpy(pf.outcome_date, "2026-11-27");
    strcpy(pf.reviewed, facts);
    ck_assert_ptr_nonnull(am_outcome_suppresses(&o, facts, &prev, &pf));
    strcpy(pf.outcome_date, "2026-11-26"); /* another outcome's judgement */
    ck_assert_ptr_null(am_outcome_suppresses(&o, facts, &prev, &pf));
    /* A previous run without a date cannot place the outcome. */
    pf.suppressed = 0;
    prev.run_date[0] = '\0';
    prev.run_day = o.day;
    ck_assert_ptr_null(am_outcome_suppresses(&o, facts, &prev, &pf));
}
END_TEST

/* Loads text as an outcomes file; returns the status, message in msg. */
static am_status load_outcomes(am_ctx *ctx, const char *text, char msg[512])
{
    write_file(path_in("o.csv"), text);
    const am_status st = am_load_outcomes(ctx, path_in("o.csv"));
    snprintf(msg, 512, "%s", am_errmsg(ctx));
    return st;
}

START_TEST(outcomes_files_are_checked_row_by_row)
{
    am_ctx *ctx = new_ctx();
    char msg[512], want[512];
    const char *id = "0123456789ABCDEF0123456789abcdef";
    char text[1024];
    snprintf(text, sizeof text,
             "\xEF\xBB\xBFnote,finding_id,date,outcome,extra\n"
             "\"checked, twice\",%s,2026/11/28,No_Issue,x\n"
             ",,,,\n"
             "  ,%s , 2026-11-29 ,confirmed,\n"
             "x,%s,20261130,ERROR_CORRECTED,\n",
             id, id, id);
    ck_assert_msg(load_outcomes(ctx, text, msg) == AM_OK, "%s", msg);
    ck_assert_uint_eq(ctx->outcomes.count, 3);
    ck_assert_str_eq(ctx->outcomes.v[0].id, "0123456789abcdef0123456789abcdef");
    ck_assert_int_eq(ctx->outcomes.v[0].outcome, AM_OUTCOME_NO_ISSUE);
    ck_assert_int_eq(ctx->outcomes.v[2].outcome, AM_OUTCOME_ERROR_CORRECTED);
    am_outcomes_sort(&ctx->outcomes);
    int ok;
    const int32_t d29 = am_day_from_ymd(2026, 11, 29, &ok);
    const am_outcome_entry *e = am_outcomes_latest(&ctx->outcomes, "0123456789abcdef0123456789abcdef", d29);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->outcome, AM_OUTCOME_CONFIRMED);
    ck_assert_ptr_null(am_outcomes_latest(&ctx->outcomes, "0123456789abcdef0123456789abcdef", d29 - 2));

    /* A row that cannot be read is skipped and recorded with its line and
     * what was expected; the rows around it count. */
    static const struct {
        const char *text;
        uint64_t line;
        const char *reason;
    } bad_rows[] = {
        {"finding_id,outcome,date,note\nnot-an-id,no_issue,2026-11-28,张三 320281197001010012\n",
         2, "finding_id: expected the 32 hex digits of a finding id"},
        {"finding_id,outcome,date,note\n0123456789abcdef0123456789abcdef,no_issue,2026-11-28,\n"
         "0123456789abcdef0123456789abcdef,fine,2026-11-28,\n",
         3, "outcome: expected confirmed, error_corrected or no_issue (属实, 已纠正 or 无问题)"},
        {"finding_id,outcome,date,note\n\n0123456789abcdef0123456789abcdef,confirmed,2026-02-30,\n",
         3, "date: expected the date of the outcome as YYYY-MM-DD"},
        {"finding_id,outcome,date,note\n0123456789abcdef0123456789abcdef,confirmed,2026-11-28\n",
         2, "expected 4 fields like the header, got 3"},
    };
    size_t kept = 3;
    for (size_t i = 0; i < sizeof bad_rows / sizeof *bad_rows; i++) {
        ck_assert_msg(load_outcomes(ctx, bad_rows[i].text, msg) == AM_OK, "%s", msg);
        kept += i == 1; /* its good first row */
        ck_assert_uint_eq(ctx->outcomes.count, kept);
        ck_assert_uint_eq(am_outcome_skipped_count(ctx), i + 1);
        const char *file, *reason;
        uint64_t line;
        ck_assert_int_eq(am_outcome_skipped_get(ctx, i, &file, &line, &reason), AM_OK);
        ck_assert_str_eq(file, path_in("o.csv"));
        ck_assert_uint_eq(line, bad_rows[i].line);
        ck_assert_str_eq(reason, bad_rows[i].reason);
    }
    const char *file, *reason;
    uint64_t line;
    ck_assert_int_eq(am_outcome_skipped_get(ctx, 4, &file, &line, &reason), AM_ERR_INVALID);

    /* A file without the header is refused whole. */
    static const struct {
        const char *text;
        const char *where; /* expected after "PATH:" */
    } bad[] = {
        {"finding_id,outcome,note\n", "1: expected a header with the columns finding_id, outcome, date"},
        {"", "1: expected a header"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_int_eq(load_outcomes(ctx, bad[i].text, msg), AM_ERR_FORMAT);
        snprintf(want, sizeof want, "%s:%s", path_in("o.csv"), bad[i].where);
        ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "case %zu: got '%s', want '%s'", i,
                      msg, want);
        ck_assert_uint_eq(ctx->outcomes.count, kept); /* a bad file adds nothing */
    }

    /* Chinese headers and the report's labels, as caseworkers type them. */
    snprintf(text, sizeof text,
             "线索编号,处理结果 outcome,日期,备注\n"
             "%s,属实,2026-12-01,已通知\n"
             "%s,已纠正,2026-12-02,\n"
             "%s, 无问题 ,2026-12-03,\n"
             "%s,No Issue,2026-12-04,\n",
             id, id, id, id);
    ck_assert_msg(load_outcomes(ctx, text, msg) == AM_OK, "%s", msg);
    ck_assert_uint_eq(ctx->outcomes.count, kept + 4);
    ck_assert_int_eq(ctx->outcomes.v[kept].outcome, AM_OUTCOME_CONFIRMED);
    ck_assert_int_eq(ctx->outcomes.v[kept + 1].outcome, AM_OUTCOME_ERROR_CORRECTED);
    ck_assert_int_eq(ctx->outcomes.v[kept + 2].outcome, AM_OUTCOME_NO_ISSUE);
    ck_assert_int_eq(ctx->outcomes.v[kept + 3].outcome, AM_OUTCOME_NO_ISSUE);
    ck_assert_uint_eq(am_outcome_skipped_count(ctx), 4);
    ck_assert_int_eq(am_load_outcomes(ctx, path_in("missing.csv")), AM_ERR_IO);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(outcomes_named_in_the_centre_file)
{
    am_ctx *ctx = new_ctx();
    write_file(path_in("outcomes.csv"), "finding_id,outcome,date\n");
    const char centre[] = "[centre]\noutcomes = outcomes.csv\ndrift_share = .25\n";
    ck_assert_msg(am_load_centre_mem(ctx, centre, sizeof centre - 1, "c.ini", work) == AM_OK, "%s",
                  am_errmsg(ctx));
    ck_assert_uint_eq(ctx->outcomes.files, 1);
    ck_assert_uint_eq(ctx->drift_permille, 250);
    am_ctx_free(ctx);

    ctx = new_ctx();
    write_file(path_in("bad.csv"), "finding_id,outcome\nx,y\n");
    const char bad[] = "[centre]\n\noutcomes = bad.csv\n";
    ck_assert_int_eq(am_load_centre_mem(ctx, bad, sizeof bad - 1, "c.ini", work), AM_ERR_FORMAT);
    char want[300];
    snprintf(want, sizeof want, "c.ini:3: %s/bad.csv:1: expected a header", work);
    ck_assert_msg(strncmp(am_errmsg(ctx), want, strlen(want)) == 0, "%s", am_errmsg(ctx));
    am_ctx_free(ctx);

    ctx = new_ctx();
    const char share[] = "[centre]\ndrift_share = 50%\n";
    ck_assert_int_eq(am_load_centre_mem(ctx, share, sizeof share - 1, "c.ini", work), AM_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(am_errmsg(ctx), "c.ini:2: drift_share"));
    am_ctx_free(ctx);
}
END_TEST

START_TEST(drift_shares_parse_without_floating_point)
{
    static const struct {
        const char *text;
        uint32_t permille;
    } good[] = {{"0.5", 500}, {".25", 250}, {"1", 1000}, {"0.125", 125}, {"0", 0},
                {"2.", 2000}, {" 0.05 ", 50}, {"1000", 1000000}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        uint32_t v = 1;
        ck_assert_msg(am_drift_share_parse(good[i].text, &v), "%s", good[i].text);
        ck_assert_uint_eq(v, good[i].permille);
    }
    static const char *const bad[] = {"", ".", "0.1234", "-1", "abc", "1e3", "1000.001",
                                      "0,5", "50%", "1 2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint32_t v;
        ck_assert_msg(!am_drift_share_parse(bad[i], &v), "'%s' accepted", bad[i]);
    }
    char text[16];
    am_drift_share_format(500, text);
    ck_assert_str_eq(text, "0.500");
}
END_TEST

START_TEST(drift_flags_shrinking_growing_and_stale_feeds)
{
    am_ctx *ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-27", NULL, NULL, "n1"});
    am_feed_drift d;
    ck_assert_int_eq(am_feed_drift_get(ctx, 0, &d), AM_ERR_INVALID); /* no previous run */
    am_ctx_free(ctx);

    /* A week later, mca unchanged (stale: payments' default is 7 days);
     * town halved: exactly 50 %, not more. */
    ctx = new_ctx();
    ck_assert_int_eq(am_set_run_date(ctx, "2026-12-04"), AM_OK);
    ck_assert_int_eq(am_load_previous(ctx, path_in("n1")), AM_OK);
    payments_feed(ctx, "mca", MCA_BASE);
    payments_feed(ctx, "town", P1 ",1200.00,2025-03-01,2025-05-31\n");
    payments_feed(ctx, "extra", P1 ",1.00,2025-03-01,2025-05-31\n");
    ck_assert_int_eq(am_feed_drift_get(ctx, 0, &d), AM_OK);
    ck_assert_str_eq(d.name, "mca");
    ck_assert(d.in_previous && d.stale && !d.shrunk && !d.grew);
    ck_assert_int_eq(d.change_permille, 0);
    ck_assert_int_eq(am_feed_drift_get(ctx, 1, &d), AM_OK);
    ck_assert(d.in_previous && !d.stale && !d.shrunk && !d.grew);
    ck_assert_uint_eq(d.previous_rows_read, 2);
    ck_assert_int_eq(d.change_permille, -500);
    ck_assert_int_eq(am_feed_drift_get(ctx, 2, &d), AM_OK);
    ck_assert(!d.in_previous && !d.shrunk && !d.grew && !d.stale);
    /* With a share of 40 %, halving is flagged. */
    ck_assert_int_eq(am_set_drift_share(ctx, 400), AM_OK);
    ck_assert_int_eq(am_feed_drift_get(ctx, 1, &d), AM_OK);
    ck_assert(d.shrunk && !d.grew);
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
    ck_assert_int_eq(am_write_outputs(ctx, path_in("n2"), -1), AM_OK);
    const char *summary = read_text(path_in("n2/summary.json"));
    ck_assert_ptr_nonnull(strstr(summary, "\"drift_share\": \"0.400\""));
    ck_assert_ptr_nonnull(strstr(summary,
        "{\"feed\": \"town\", \"rows_read\": 1, \"previous_rows_read\": 2, "
        "\"change_permille\": -500, \"shrunk\": true, \"grew\": false, \"stale\": false, "
        "\"unchanged_days\": 0, \"stale_days\": 7}"));
    ck_assert_ptr_nonnull(strstr(summary, "\"feed\": \"mca\", \"rows_read\": 4, "
                                          "\"previous_rows_read\": 4, \"change_permille\": 0, "
                                          "\"shrunk\": false, \"grew\": false, \"stale\": true, "
                                          "\"unchanged_days\": 7, \"stale_days\": 7}"));
    ck_assert_ptr_nonnull(strstr(summary, "\"feed\": \"extra\", \"rows_read\": 1, "
                                          "\"previous_rows_read\": null"));
    ck_assert_int_eq(am_set_drift_share(ctx, 1000001), AM_ERR_INVALID);
    am_ctx_free(ctx);

    /* Growth from the previous run's count: 2 -> 4 rows is +100 %. */
    ctx = new_ctx();
    ck_assert_int_eq(am_set_run_date(ctx, "2026-11-28"), AM_OK);
    ck_assert_int_eq(am_load_previous(ctx, path_in("n1")), AM_OK);
    payments_feed(ctx, "town", MCA_BASE);
    ck_assert_int_eq(am_feed_drift_get(ctx, 0, &d), AM_OK);
    ck_assert(d.grew && !d.shrunk);
    ck_assert_int_eq(d.change_permille, 1000);
    am_ctx_free(ctx);
}
END_TEST

/* Feed i's age in ctx. */
static am_feed_age age_of(const am_ctx *ctx, size_t i)
{
    am_feed_age age;
    ck_assert_int_eq(am_feed_age_get(ctx, i, &age), AM_OK);
    return age;
}

/* Runs one night of feeds mca (its own stale_days, or the default when
 * NULL) and town; returns the context. */
static am_ctx *night_of(const char *date, const char *previous, const char *mca_stale_days,
                        const char *town, const char *out)
{
    am_ctx *ctx = new_ctx();
    ck_assert_int_eq(am_set_run_date(ctx, date), AM_OK);
    if (previous)
        ck_assert_msg(am_load_previous(ctx, path_in(previous)) == AM_OK, "%s", am_errmsg(ctx));
    payments_feed_with(ctx, "mca", MCA_BASE, mca_stale_days ? "stale_days" : NULL,
                       mca_stale_days);
    payments_feed(ctx, "town", town);
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
    ck_assert_msg(am_write_outputs(ctx, path_in(out), -1) == AM_OK, "%s", am_errmsg(ctx));
    return ctx;
}

START_TEST(staleness_counts_the_days_a_file_stays_the_same)
{
    /* Night 1: every file arrives tonight. */
    am_ctx *ctx = night_of("2026-11-27", NULL, NULL, TOWN_BASE, "n1");
    am_feed_age a = age_of(ctx, 0);
    ck_assert_str_eq(a.unchanged_since, "2026-11-27");
    ck_assert_int_eq(a.unchanged_days, 0);
    ck_assert_int_eq(a.stale_days, 7);
    ck_assert(!a.stale);
    ck_assert_ptr_nonnull(strstr(read_text(path_in("n1/summary.json")),
                                 "\"stale_days\": 7, \"unchanged_since\": \"2026-11-27\"}"));
    ck_assert_int_eq(am_feed_age_get(ctx, 2, &a), AM_ERR_INVALID);
    ck_assert_int_eq(am_feed_age_get(ctx, 0, NULL), AM_ERR_INVALID);
    am_ctx_free(ctx);

    /* Night 2: mca the same for a day, not stale by the default; town
     * changed, so new tonight. */
    ctx = night_of("2026-11-28", "n1", NULL, P1 ",1.00,2025-03-01,2025-05-31\n", "n2");
    a = age_of(ctx, 0);
    ck_assert_str_eq(a.unchanged_since, "2026-11-27");
    ck_assert_int_eq(a.unchanged_days, 1);
    ck_assert(!a.stale);
    a = age_of(ctx, 1);
    ck_assert_str_eq(a.unchanged_since, "2026-11-28");
    ck_assert_int_eq(a.unchanged_days, 0);
    am_ctx_free(ctx);

    /* Night 3, six days on: the day mca's file arrived is carried through
     * night 2's summary, so it has been the same for 7 days: stale.  Town,
     * the same since night 2, is 6 days old: not yet. */
    ctx = night_of("2026-12-04", "n2", NULL, P1 ",1.00,2025-03-01,2025-05-31\n", "n3");
    a = age_of(ctx, 0);
    ck_assert_str_eq(a.unchanged_since, "2026-11-27");
    ck_assert_int_eq(a.unchanged_days, 7);
    ck_assert(a.stale);
    am_feed_drift d;
    ck_assert_int_eq(am_feed_drift_get(ctx, 0, &d), AM_OK);
    ck_assert(d.stale);
    a = age_of(ctx, 1);
    ck_assert_int_eq(a.unchanged_days, 6);
    ck_assert(!a.stale);
    ck_assert_int_eq(am_feed_drift_get(ctx, 1, &d), AM_OK);
    ck_assert(!d.stale);
    am_ctx_free(ctx);

    /* The feed's own stale_days: 8 is not reached, 0 is never stale, 1 is
     * stale after a single night. */
    static const struct {
        const char *stale_days;
        int32_t want_days;
        int stale;
    } cases[] = {{"8", 8, 0}, {"0", 0, 0}, {"1", 1, 1}, {"3650", 3650, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ctx = night_of("2026-12-04", "n2", cases[i].stale_days, TOWN_BASE, "n4");
        a = age_of(ctx, 0);
        ck_assert_int_eq(a.stale_days, cases[i].want_days);
        ck_assert_int_eq(a.unchanged_days, 7);
        ck_assert_msg(a.stale == cases[i].stale, "stale_days %s", cases[i].stale_days);
        am_ctx_free(ctx);
    }

    /* A previous run that did not record the day a file arrived (made by
     * an older aidmatch) read it on its own date at the latest. */
    char *summary = strdup(read_text(path_in("n2/summary.json")));
    for (char *p; (p = strstr(summary, ", \"unchanged_since\": \"")) != NULL;)
        memmove(p, p + 33, strlen(p + 33) + 1);
    ck_assert_ptr_null(strstr(summary, "unchanged_since"));
    write_file(path_in("n2/summary.json"), summary);
    free(summary);
    ctx = night_of("2026-12-04", "n2", NULL, TOWN_BASE, "n5");
    a = age_of(ctx, 0);
    ck_assert_str_eq(a.unchanged_since, "2026-11-28");
    ck_assert_int_eq(a.unchanged_days, 6);
    am_ctx_free(ctx);

    /* A damaged day is named. */
    summary = strdup(read_text(path_in("n1/summary.json")));
    char *since = strstr(summary, "\"unchanged_since\": \"2026-11-27\"");
    ck_assert_ptr_nonnull(since);
    memcpy(since + 20, "2026-13-27", 10);
    write_file(path_in("n1/summary.json"), summary);
    free(summary);
    ctx = new_ctx();
    ck_assert_int_eq(am_load_previous(ctx, path_in("n1")), AM_ERR_FORMAT);
    char want[300];
    snprintf(want, sizeof want,
             "%s/summary.json: feeds: mca: unchanged_since: expected YYYY-MM-DD", path_in("n1"));
    ck_assert_str_eq(am_errmsg(ctx), want);
    am_ctx_free(ctx);

    /* Registries rest longer by default; a bad stale_days is refused. */
    ctx = new_ctx();
    am_feed *feed;
    ck_assert_int_eq(am_feed_new(ctx, "deaths", &feed), AM_OK);
    ck_assert_int_eq(am_feed_set(feed, "kind", "registry"), AM_OK);
    ck_assert_int_eq(am_feed_stale_days(feed), 30);
    ck_assert_int_eq(am_feed_set(feed, "stale_days", "90"), AM_OK);
    ck_assert_int_eq(am_feed_stale_days(feed), 90);
    static const char *const bad[] = {"", "-1", "3651", "7 days", "1.5", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(am_feed_set(feed, "stale_days", bad[i]) == AM_ERR_FORMAT, "'%s'", bad[i]);
        ck_assert_str_eq(am_errmsg(ctx), "feed deaths: stale_days: expected a number of days "
                                         "from 0 (never stale) to 3650");
    }
    ck_assert_int_eq(am_feed_stale_days(feed), 90);
    am_ctx_free(ctx);
}
END_TEST

/* The outcomes and previous-run readers are bounded in rows (the bounds
 * are 10,000,000 rows; smaller ones here, through the same code): one more
 * fails the load with AM_ERR_LIMIT, keeping nothing. */
START_TEST(outcomes_and_previous_runs_are_bounded)
{
    const char *id = "0123456789abcdef0123456789abcdef";
    char text[1024];
    snprintf(text, sizeof text, "finding_id,outcome,date\n%s,confirmed,2026-11-28\n"
             "%s,no_issue,2026-11-29\n%s,junk,2026-11-30\n", id, id, id);
    write_file(path_in("outcomes.csv"), text);
    am_outcomes o = {0};
    am_err err = {{0}};
    ck_assert_int_eq(am_outcomes_load_max(&o, path_in("outcomes.csv"), 3, &err), AM_OK);
    ck_assert_uint_eq(o.count, 2);
    ck_assert_uint_eq(o.nskipped, 1);
    ck_assert_int_eq(am_outcomes_load_max(&o, path_in("outcomes.csv"), 2, &err), AM_ERR_LIMIT);
    char want[512];
    snprintf(want, sizeof want, "%s:4: more than 2 rows after the header; an outcomes file "
             "holds no more", path_in("outcomes.csv"));
    ck_assert_str_eq(err.msg, want);
    ck_assert_uint_eq(o.count, 2); /* the first load's rows, none of the second's */
    ck_assert_uint_eq(o.nskipped, 1);
    ck_assert_uint_eq(o.files, 1);
    am_outcomes_free(&o);

    am_ctx *ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-27", NULL, NULL, "b1"});
    am_ctx_free(ctx);
    am_previous prev;
    ck_assert_msg(am_previous_load_max(&prev, path_in("b1"), 1000, &err) == AM_OK, "%s", err.msg);
    const size_t findings = prev.count;
    ck_assert_uint_gt(findings, 1);
    am_previous_free(&prev);
    ck_assert_int_eq(am_previous_load_max(&prev, path_in("b1"), findings, &err), AM_OK);
    am_previous_free(&prev);
    ck_assert_int_eq(am_previous_load_max(&prev, path_in("b1"), findings - 1, &err), AM_ERR_LIMIT);
    snprintf(want, sizeof want, "%s:%zu: more than %zu rows after the header; a previous run's "
             "file holds no more", path_in("b1/findings.csv"), findings + 1, findings - 1);
    ck_assert_str_eq(err.msg, want);
    ck_assert_uint_eq(prev.count, 0);
}
END_TEST

START_TEST(previous_runs_are_checked)
{
    am_ctx *ctx = run(&(night){MCA_BASE, TOWN_BASE, "2026-11-27", NULL, NULL, "n1"});
    am_ctx_free(ctx);

    ctx = new_ctx();
    /* A directory that does not exist yet is the first night; one that
     * exists without a run is an error. */
    ck_assert_ptr_null(am_previous_missing(ctx));
    ck_assert_int_eq(am_load_previous(ctx, path_in("nowhere")), AM_OK);
    ck_assert_str_eq(am_previous_missing(ctx), path_in("nowhere"));
    ck_assert_int_eq(mkdir(path_in("empty"), 0700), 0);
    ck_assert_int_eq(am_load_previous(ctx, path_in("empty")), AM_ERR_IO);
    ck_assert_int_eq(am_load_previous(ctx, path_in("n1")), AM_OK);
    ck_assert_ptr_null(am_previous_missing(ctx));
    ck_assert_int_eq(am_load_previous(ctx, path_in("n1")), AM_ERR_INVALID);
    payments_feed(ctx, "mca", MCA_BASE);
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
    /* Comparing needs a run date, not before the previous run's. */
    ck_assert_int_eq(am_write_outputs(ctx, path_in("x"), -1), AM_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(am_errmsg(ctx), "run date"));
    ck_assert_int_eq(am_set_run_date(ctx, "2026-11-26"), AM_OK);
    ck_assert_int_eq(am_review(ctx), AM_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(am_errmsg(ctx), "dated 2026-11-27"));
    ck_assert_int_eq(am_set_run_date(ctx, "2026-11-27"), AM_OK);
    ck_assert_int_eq(am_review(ctx), AM_OK);
    ck_assert_int_eq(am_set_run_date(ctx, "2026-02-30"), AM_ERR_FORMAT);
    ck_assert_int_eq(am_set_run_date(ctx, "20261128"), AM_ERR_FORMAT);
    ck_assert_int_eq(am_set_run_date(ctx, NULL), AM_ERR_INVALID);
    am_ctx_free(ctx);

    /* A damaged summary.json is named with its line. */
    write_file(path_in("n1/summary.json"), "{\n  \"feeds\": [\n    {\"name\": \"mca\",}\n  ]\n}\n");
    ctx = new_ctx();
    ck_assert_int_eq(am_load_previous(ctx, path_in("n1")), AM_ERR_FORMAT);
    char want[300];
    snprintf(want, sizeof want, "%s:3: expected", path_in("n1/summary.json"));
    ck_assert_msg(strncmp(am_errmsg(ctx), want, strlen(want)) == 0, "%s", am_errmsg(ctx));
    am_ctx_free(ctx);

    /* A damaged findings.csv likewise. */
    write_file(path_in("n1/summary.json"), "{\"feeds\": []}");
    write_file(path_in("n1/findings.csv"), "finding_id,kind\nabc,DUPLICATE\n");
    ctx = new_ctx();
    ck_assert_int_eq(am_load_previous(ctx, path_in("n1")), AM_ERR_FORMAT);
    snprintf(want, sizeof want, "%s:2: finding_id", path_in("n1/findings.csv"));
    ck_assert_msg(strncmp(am_errmsg(ctx), want, strlen(want)) == 0, "%s", am_errmsg(ctx));
    am_ctx_free(ctx);
}
END_TEST

typedef struct progress_log {
    size_t calls, done_calls;
    uint64_t last_rows, last_bytes, total;
    int stop;
} progress_log;

static int on_progress(void *user, const am_progress *p)
{
    progress_log *log = user;
    log->calls++;
    log->done_calls += p->done;
    ck_assert_uint_ge(p->rows, log->last_rows);
    ck_assert_uint_le(p->bytes_read, p->bytes_total);
    log->last_rows = p->rows;
    log->last_bytes = p->bytes_read;
    log->total = p->bytes_total;
    ck_assert_str_eq(p->feed, "big");
    ck_assert_uint_eq(p->feed_count, 1);
    return log->stop;
}

START_TEST(progress_is_reported_and_can_stop)
{
    const size_t rows = 70000;
    const char row[] = P1 ",1.00,2025-01-01,2025-01-31\n";
    char *csv = malloc(32 + rows * (sizeof row - 1));
    ck_assert_ptr_nonnull(csv);
    strcpy(csv, "id,amount,from,to\n");
    size_t len = strlen(csv);
    for (size_t i = 0; i < rows; i++) {
        memcpy(csv + len, row, sizeof row - 1);
        len += sizeof row - 1;
    }
    static const char *const keys[][2] = {{"agency", "MCA"},   {"item", "TEKUN_HOME"},
                                          {"person_id", "id"}, {"amount", "amount"},
                                          {"start", "from"},   {"end", "to"},
                                          {NULL, NULL}};
    for (int stop = 0; stop <= 1; stop++) {
        am_ctx *ctx = new_ctx();
        progress_log log = {.stop = stop};
        ck_assert_int_eq(am_set_progress_fn(ctx, on_progress, &log), AM_OK);
        am_feed *feed;
        ck_assert_int_eq(am_feed_new(ctx, "big", &feed), AM_OK);
        for (size_t i = 0; keys[i][0]; i++)
            ck_assert_int_eq(am_feed_set(feed, keys[i][0], keys[i][1]), AM_OK);
        const am_status st = am_feed_ingest_buffer(feed, csv, len);
        if (stop) {
            ck_assert_int_eq(st, AM_ERR_ABORTED);
            ck_assert_uint_eq(log.calls, 1);
            ck_assert_uint_eq(log.last_rows, 65536);
        } else {
            ck_assert_int_eq(st, AM_OK);
            ck_assert_uint_eq(log.calls, 2); /* at 65536 rows, and at the end */
            ck_assert_uint_eq(log.done_calls, 1);
            ck_assert_uint_eq(log.last_rows, rows);
            ck_assert_uint_eq(log.last_bytes, len);
            ck_assert_uint_eq(log.total, len);
        }
        am_ctx_free(ctx);
    }
    free(csv);
}
END_TEST

START_TEST(json_reader)
{
    am_err err = {{0}};
    am_json *j;
    const char text[] = "{\"a\": [1, -2.5e3, true, false, null, \"x\\u4e2d\\n\\ud83d\\ude00\"],"
                        " \"b\": {\"c\": 18446744073709551615}, \"d\": \"\"}";
    ck_assert_int_eq(am_json_parse(text, sizeof text - 1, "t.json", &j, &err), AM_OK);
    const am_json *a = am_json_get(j, "a");
    ck_assert_int_eq(a->type, AM_JSON_ARRAY);
    ck_assert_str_eq(a->child->text, "1");
    ck_assert_int_eq(a->child->next->next->type, AM_JSON_TRUE);
    ck_assert_str_eq(a->child->next->next->next->next->next->text, "x中\n😀");
    unsigned long long v;
    ck_assert(am_json_uint(am_json_get(j, "b"), "c", &v));
    ck_assert(v == 18446744073709551615ull);
    ck_assert_str_eq(am_json_string(j, "d"), "");
    ck_assert_ptr_null(am_json_string(j, "a"));
    am_json_free(j);
    /* Counts (a previous run's rows_read, a request's amount_fen) at the
     * UINT64 and INT64 edges: a number that does not fit is no count. */
    static const struct {
        const char *text;
        int ok;
        unsigned long long value;
    } counts[] = {
        {"0", 1, 0},
        {"9223372036854775807", 1, 9223372036854775807ull},
        {"9223372036854775808", 1, 9223372036854775808ull},
        {"18446744073709551615", 1, 18446744073709551615ull},
        {"18446744073709551616", 0, 0},
        {"99999999999999999999999999", 0, 0},
        {"-0", 0, 0},
        {"-1", 0, 0},
        {"-9223372036854775808", 0, 0},
        {"1.0", 0, 0},
        {"1e3", 0, 0},
        {"\"1\"", 0, 0},
        {"true", 0, 0},
    };
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        char doc[128];
        snprintf(doc, sizeof doc, "{\"n\": %s}", counts[i].text);
        ck_assert_int_eq(am_json_parse(doc, strlen(doc), "t.json", &j, &err), AM_OK);
        v = 12345;
        ck_assert_msg(am_json_uint(j, "n", &v) == counts[i].ok, "%s", counts[i].text);
        ck_assert_msg(v == (counts[i].ok ? counts[i].value : 12345), "%s: %llu", counts[i].text, v);
        am_json_free(j);
    }
    static const char *const bad[] = {"", "{", "[1,]", "{\"a\" 1}", "\"\\x\"", "tru", "{} x",
                                      "\"a\nb\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                      "[[[[[[[[[[[[[[[[[[[[[[[[[[]]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(am_json_parse(bad[i], strlen(bad[i]), "t.json", &j, &err) == AM_ERR_FORMAT,
                      "'%s' accepted", bad[i]);
        ck_assert_ptr_null(j);
        ck_assert_msg(strncmp(err.msg, "t.json:", 7) == 0, "%s", err.msg);
    }
}
END_TEST

START_TEST(report_is_self_contained_and_escaped)
{
    am_ctx *ctx = new_ctx();
    const char centre[] = "[centre]\nname = <script>alert('x')</script> & \"县\"\n";
    ck_assert_int_eq(am_load_centre_mem(ctx, centre, sizeof centre - 1, "c.ini", work), AM_OK);
    ck_assert_int_eq(am_set_run_date(ctx, "2026-11-28"), AM_OK);
    payments_feed(ctx, "mca", MCA_BASE);
    payments_feed(ctx, "town", TOWN_BASE);
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
    ck_assert_int_eq(am_write_outputs(ctx, path_in("r"), -1), AM_OK);
    const char *html = read_text(path_in("r/report.html"));
    ck_assert_ptr_nonnull(strstr(html, "<!DOCTYPE html>"));
    ck_assert_ptr_nonnull(strstr(html, "<meta charset=\"utf-8\">"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;县&quot;"));
    ck_assert_ptr_null(strstr(html, "<script"));
    ck_assert_ptr_null(strstr(html, "http:"));
    ck_assert_ptr_null(strstr(html, "https:"));
    ck_assert_ptr_null(strstr(html, "src="));
    ck_assert_ptr_nonnull(strstr(html, "\"Noto Sans CJK SC\""));
    ck_assert_ptr_nonnull(strstr(html, "<svg"));
    ck_assert_ptr_nonnull(strstr(html, "id=\"total-findings\">2<"));
    ck_assert_ptr_nonnull(strstr(html, "id=\"total-amount\">¥797.68<"));
    ck_assert_ptr_nonnull(strstr(html, "id=\"run-date\">2026-11-28<"));
    ck_assert_ptr_nonnull(strstr(html, "320282")); /* an area code */
    ck_assert_ptr_null(strstr(html, P4));          /* never a raw ID */
    ck_assert_ptr_null(strstr(html, "19700101"));
    /* The same run gives the same bytes. */
    char *first = strdup(html);
    ck_assert_int_eq(am_write_outputs(ctx, path_in("r"), -1), AM_OK);
    ck_assert_str_eq(read_text(path_in("r/report.html")), first);
    free(first);
    am_ctx_free(ctx);
}
END_TEST

/* A resident ID issued under Jiangyin county's code before it became a
 * city (320221, historic). */
#define H1 "320221196505050033"

START_TEST(report_names_areas_and_explains_itself)
{
    am_ctx *ctx = new_ctx();
    ck_assert_int_eq(am_set_run_date(ctx, "2026-11-28"), AM_OK);
    payments_feed(ctx, "mca", MCA_BASE H1 ",500.00,2025-01-01,2025-02-28\n");
    payments_feed(ctx, "town", TOWN_BASE P5 ",800.00,2025-03-01,2025-03-31\n" H1
                  ",500.00,2025-02-01,2025-02-28\n"
                  "320281197001010013,1.00,2025-02-01,2025-02-28\n");
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
    ck_assert_int_eq(am_write_outputs(ctx, path_in("r"), -1), AM_OK);
    const char *html = read_text(path_in("r/report.html"));
    /* Areas by name from the catalogue's areas.csv; an old code marked
     * and explained; a code the list lacks (Beijing's) as a bare code. */
    ck_assert_ptr_nonnull(strstr(html, "<td>江阴市 <code>320281</code> <span class=\"en\">无锡市</span></td>"));
    ck_assert_ptr_nonnull(strstr(html, "<td>宜兴市 <code>320282</code> <span class=\"en\">无锡市</span></td>"));
    ck_assert_ptr_nonnull(strstr(html, "<td>江阴县 <code>320221</code> <span class=\"badge grey\">旧代码 "
                                       "old code</span> <span class=\"en\">historic (became 江阴市 "
                                       "320281 in 1987)</span></td>"));
    ck_assert_ptr_nonnull(strstr(html, "<td><code>110105</code></td>"));
    ck_assert_ptr_nonnull(strstr(html, "地区 <span class=\"en\">area</span> <code>320221</code> 江阴县"));
    /* Priorities: shown, counted, and the list sortable by money. */
    ck_assert_ptr_nonnull(strstr(html, "id=\"priority-high-count\">0<"));
    ck_assert_ptr_nonnull(strstr(html, "id=\"priority-normal-count\">4<"));
    ck_assert_ptr_nonnull(strstr(html, "id=\"priority-normal-amount\">¥"));
    ck_assert_ptr_nonnull(strstr(html, "<input type=\"radio\" name=\"sort\" id=\"sort-money\""));
    ck_assert_ptr_nonnull(strstr(html, "#sort-money:checked~.list>.finding{order:var(--by-money)}"));
    for (int k = 0; k < 4; k++) {
        char want[32];
        snprintf(want, sizeof want, "style=\"--by-money:%d\"", k);
        ck_assert_msg(strstr(html, want) != NULL, "%s", want);
    }
    ck_assert_ptr_null(strstr(html, "style=\"--by-money:4\""));
    ck_assert_ptr_nonnull(strstr(html, "data-priority=\"normal\">优先级 普通 priority normal<"));
    /* The policy in Chinese, the English beneath; items and agencies by
     * name; why rows were not taken in words. */
    ck_assert_ptr_nonnull(strstr(html, "依据 <span class=\"en\">policy</span> 《社会救助暂行办法》"
                                       "（国务院令第649号）：同一救助项目在同一期间只发放一次<br>"
                                       "<span class=\"en\">社会救助暂行办法 (State Council Order 649)"));
    ck_assert_ptr_nonnull(strstr(html, "分散供养特困人员救助供养金 <code>TEKUN_HOME</code>"));
    ck_assert_ptr_nonnull(strstr(html, "民政局 <code>MCA</code>"));
    ck_assert_ptr_nonnull(strstr(html, "<span class=\"badge grey\" title=\"rejects.csv: "
                                       "bad_check_digit\">身份证号校验位不符（多为录入错误） <span "
                                       "class=\"en\">ID number fails its check digit (mistyped)"
                                       "</span> 1</span>"));
    ck_assert_ptr_nonnull(strstr(html, "<section id=\"terms\">"));
    /* Each tally has bars by money and by count: items of missing aid
     * hold no money. */
    const char *by_item = strstr(html, "<section id=\"by-item\">");
    ck_assert_ptr_nonnull(by_item);
    ck_assert_ptr_nonnull(strstr(by_item, "<th>按金额 <span class=\"en\">by money</span></th>"
                                          "<th>按条数 <span class=\"en\">by count</span></th>"));
    ck_assert_ptr_null(strstr(html, "finding_id<"));
    ck_assert_ptr_null(strstr(html, ">bad_check_digit"));
    ck_assert_ptr_null(strstr(html, H1));
    am_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("delta");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, delta_classifies_new_persisting_resolved);
    tcase_add_test(tc, facts_ignore_line_numbers_but_not_amounts);
    tcase_add_test(tc, suppression_follows_the_facts);
    tcase_add_test(tc, suppression_rule_in_isolation);
    tcase_add_test(tc, outcomes_files_are_checked_row_by_row);
    tcase_add_test(tc, outcomes_named_in_the_centre_file);
    tcase_add_test(tc, drift_shares_parse_without_floating_point);
    tcase_add_test(tc, drift_flags_shrinking_growing_and_stale_feeds);
    tcase_add_test(tc, staleness_counts_the_days_a_file_stays_the_same);
    tcase_add_test(tc, previous_runs_are_checked);
    tcase_add_test(tc, outcomes_and_previous_runs_are_bounded);
    tcase_add_test(tc, progress_is_reported_and_can_stop);
    tcase_add_test(tc, json_reader);
    tcase_add_test(tc, report_is_self_contained_and_escaped);
    tcase_add_test(tc, report_names_areas_and_explains_itself);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
