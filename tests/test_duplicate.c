/* Known-answer tests for the DUPLICATE matcher, driven through the public
 * API with feeds held in memory. */
#include <aidmatch.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/resident_id.h"
#include "check_run.h"

static const unsigned char test_key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* A valid resident ID for person n: Jiangyin area code, born 1980-01-01. */
static const char *person_id(int n)
{
    static char ids[8][19];
    char *id = ids[n % 8];
    snprintf(id, 19, "32028119800101%03d", n);
    id[17] = am_id_check_char(id);
    id[18] = '\0';
    return id;
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

/* Declares a payments feed of one item and ingests csv (header: id,start,end,amount). */
static void add_feed(am_ctx *ctx, const char *name, const char *agency, const char *item,
                     const char *csv)
{
    am_feed *feed;
    ck_assert_int_eq(am_feed_new(ctx, name, &feed), AM_OK);
    const char *keys[][2] = {{"agency", agency}, {"kind", "payments"}, {"item", item},
                             {"person_id", "id"}, {"amount", "amount"}, {"start", "start"},
                             {"end", "end"}};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        ck_assert_msg(am_feed_set(feed, keys[i][0], keys[i][1]) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_msg(am_feed_ingest_buffer(feed, csv, strlen(csv)) == AM_OK, "%s", am_errmsg(ctx));
}

typedef struct expect {
    size_t findings;
    const char *items, *agencies, *start, *end;
    long long days, fen;
    const char *evidence;
} expect;

static void check_one(am_ctx *ctx, const expect *e)
{
    ck_assert_msg(am_reconcile(ctx, NULL, NULL) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_uint_eq(am_finding_count(ctx), e->findings);
    if (!e->findings)
        return;
    am_finding f;
    ck_assert_int_eq(am_finding_get(ctx, 0, &f), AM_OK);
    ck_assert_int_eq(f.kind, AM_KIND_DUPLICATE);
    ck_assert_str_eq(f.rule_id, "DUP");
    ck_assert_str_eq(f.unit, "person");
    ck_assert_str_eq(f.items, e->items);
    ck_assert_str_eq(f.agencies, e->agencies);
    ck_assert_str_eq(f.period_start, e->start);
    ck_assert_str_eq(f.period_end, e->end);
    ck_assert_int_eq(f.overlap_days, e->days);
    ck_assert_int_eq(f.amount_fen, e->fen);
    ck_assert_str_eq(f.evidence, e->evidence);
    ck_assert_int_eq(strlen(f.id), 32);
    ck_assert_int_eq(strlen(f.subject), 32);
}

static char csv_buf[4096];

/* Builds "id,start,end,amount" rows for person p from a compact list. */
static const char *rows(int p, const char *const *periods)
{
    strcpy(csv_buf, "id,start,end,amount\n");
    for (; *periods; periods++) {
        char line[128];
        snprintf(line, sizeof line, "%s,%s\n", person_id(p), *periods);
        strcat(csv_buf, line);
    }
    return csv_buf;
}

START_TEST(overlap_cases)
{
    static const struct {
        const char *periods[4];
        expect e;
    } cases[] = {
        /* Two months paid twice over 10 days: 10/31 of each; the smaller share counts. */
        {{"2025-01-01,2025-01-31,1100.00", "2025-01-22,2025-02-28,1100.00", NULL},
         {1, "DIBAO_URBAN", "MCA", "2025-01-22", "2025-01-31", 10, 28947, "mca:2;mca:3"}},
        /* Touching periods (end = start - 1) do not overlap. */
        {{"2025-01-01,2025-01-31,1100.00", "2025-02-01,2025-02-28,1100.00", NULL},
         {0, NULL, NULL, NULL, NULL, 0, 0, NULL}},
        /* Identical periods: the whole second payment is at stake. */
        {{"2025-03-01,2025-03-31,900.00", "2025-03-01,2025-03-31,900.00", NULL},
         {1, "DIBAO_URBAN", "MCA", "2025-03-01", "2025-03-31", 31, 90000, "mca:2;mca:3"}},
        /* One day in common, the end of one and the start of the other. */
        {{"2025-01-01,2025-01-31,310.00", "2025-01-31,2025-03-01,300.00", NULL},
         {1, "DIBAO_URBAN", "MCA", "2025-01-31", "2025-01-31", 1, 1000, "mca:2;mca:3"}},
        /* A contained period and a third record overlapping nothing. */
        {{"2025-01-01,2025-12-31,3650.00", "2025-06-01,2025-06-10,500.00",
          "2026-01-01,2026-01-31,310.00", NULL},
         {1, "DIBAO_URBAN", "MCA", "2025-06-01", "2025-06-10", 10, 10000, "mca:2;mca:3"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        am_ctx *ctx = new_ctx();
        add_feed(ctx, "mca", "MCA", "DIBAO_URBAN", rows(1, cases[i].periods));
        check_one(ctx, &cases[i].e);
        am_ctx_free(ctx);
    }
}
END_TEST

START_TEST(three_way_overlap_takes_all_but_largest)
{
    am_ctx *ctx = new_ctx();
    static const char *const periods[] = {"2025-01-01,2025-01-10,100.00",
                                          "2025-01-01,2025-01-10,200.00",
                                          "2025-01-01,2025-01-10,300.00", NULL};
    add_feed(ctx, "mca", "MCA", "TEKUN_HOME", rows(2, periods));
    const expect e = {1, "TEKUN_HOME", "MCA", "2025-01-01", "2025-01-10", 10, 30000,
                      "mca:2;mca:3;mca:4"};
    check_one(ctx, &e);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(two_agencies_pay_the_same_item)
{
    am_ctx *ctx = new_ctx();
    static const char *const mca[] = {"2025-01-01,2025-06-30,1810.00", NULL};
    static const char *const dpf[] = {"2025-04-01,2025-12-31,2750.00", NULL};
    add_feed(ctx, "mca_nursing", "MCA", "DIS_NURSING", rows(3, mca));
    add_feed(ctx, "dpf_nursing", "DPF", "DIS_NURSING", rows(3, dpf));
    /* 91 days: 1810*91/181 = 910.00 and 2750*91/275 = 910.00 */
    const expect e = {1, "DIS_NURSING", "DPF;MCA", "2025-04-01", "2025-06-30", 91, 91000,
                      "dpf_nursing:2;mca_nursing:2"};
    check_one(ctx, &e);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(different_people_and_items_never_match)
{
    am_ctx *ctx = new_ctx();
    static const char *const same[] = {"2025-01-01,2025-01-31,100.00", NULL};
    add_feed(ctx, "a", "MCA", "DIBAO_URBAN", rows(4, same));
    add_feed(ctx, "b", "MCA", "DIBAO_URBAN", rows(5, same));
    add_feed(ctx, "c", "MCA", "DIBAO_RURAL", rows(4, same));
    ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
    ck_assert_uint_eq(am_finding_count(ctx), 0);
    am_ctx_free(ctx);
}
END_TEST

/* One-off items: FESTIVAL has a 300-day window, TEMP_EMERG may repeat. */
START_TEST(one_off_windows)
{
    static const struct {
        const char *item;
        const char *periods[4];
        expect e;
    } cases[] = {
        {"FESTIVAL", {"2025-01-20,2025-01-20,500.00", "2025-09-30,2025-09-30,400.00", NULL},
         {1, "FESTIVAL", "MCA", "2025-01-20", "2025-09-30", 254, 40000, "mca:2;mca:3"}},
        /* 300 days apart: outside the window. */
        {"FESTIVAL", {"2025-01-01,2025-01-01,500.00", "2025-10-28,2025-10-28,500.00", NULL},
         {0, NULL, NULL, NULL, NULL, 0, 0, NULL}},
        /* 299 days apart: inside. */
        {"FESTIVAL", {"2025-01-01,2025-01-01,500.00", "2025-10-27,2025-10-27,500.00", NULL},
         {1, "FESTIVAL", "MCA", "2025-01-01", "2025-10-27", 300, 50000, "mca:2;mca:3"}},
        {"TEMP_EMERG", {"2025-01-01,2025-01-01,2000.00", "2025-01-02,2025-01-02,2000.00", NULL},
         {0, NULL, NULL, NULL, NULL, 0, 0, NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        am_ctx *ctx = new_ctx();
        add_feed(ctx, "mca", "MCA", cases[i].item, rows(6, cases[i].periods));
        check_one(ctx, &cases[i].e);
        am_ctx_free(ctx);
    }
}
END_TEST

/* An item whose window is none may repeat, but the same item paid to one
 * person on one day by two agencies is one need met twice. */
START_TEST(same_day_by_two_agencies)
{
    static const struct {
        const char *charity[3], *mca[3];
        expect e;
    } cases[] = {
        /* same day, two agencies: all but the largest is at stake */
        {{"2025-03-05,2025-03-05,800.00", NULL}, {"2025-03-05,2025-03-05,500.00", NULL},
         {1, "CHARITY_AID", "CHARITY;MCA", "2025-03-05", "2025-03-05", 1, 50000,
          "charity:2;mca:2"}},
        /* one day apart: not a duplicate of a window-none item */
        {{"2025-03-05,2025-03-05,800.00", NULL}, {"2025-03-06,2025-03-06,500.00", NULL},
         {0, NULL, NULL, NULL, NULL, 0, 0, NULL}},
        /* same day, one agency twice: its own repeated aid, not a finding */
        {{"2025-03-05,2025-03-05,800.00", "2025-03-05,2025-03-05,300.00", NULL}, {NULL},
         {0, NULL, NULL, NULL, NULL, 0, 0, NULL}},
        /* same day, one agency twice and a second agency: all three involved */
        {{"2025-03-05,2025-03-05,800.00", "2025-03-05,2025-03-05,300.00", NULL},
         {"2025-03-05,2025-03-05,500.00", NULL},
         {1, "CHARITY_AID", "CHARITY;MCA", "2025-03-05", "2025-03-05", 1, 80000,
          "charity:2;charity:3;mca:2"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        am_ctx *ctx = new_ctx();
        add_feed(ctx, "charity", "CHARITY", "CHARITY_AID", rows(6, cases[i].charity));
        if (cases[i].mca[0])
            add_feed(ctx, "mca", "MCA", "CHARITY_AID", rows(6, cases[i].mca));
        check_one(ctx, &cases[i].e);
        if (cases[i].e.findings) {
            am_finding f;
            ck_assert_int_eq(am_finding_get(ctx, 0, &f), AM_OK);
            ck_assert_ptr_nonnull(strstr(f.policy_source, "same day by two agencies"));
        }
        am_ctx_free(ctx);
    }
}
END_TEST

/* The id hashes rule, subject, items and agencies, not line numbers. */
START_TEST(finding_id_is_stable_across_exports)
{
    char first_id[33];
    for (int pass = 0; pass < 2; pass++) {
        am_ctx *ctx = new_ctx();
        /* The second export adds an older row first, moving every line. */
        const char *id = person_id(7);
        char buf[512];
        if (pass == 0)
            snprintf(buf, sizeof buf,
                     "id,start,end,amount\n%s,2025-01-01,2025-01-31,1.00\n"
                     "%s,2025-01-15,2025-02-15,1.00\n", id, id);
        else
            snprintf(buf, sizeof buf,
                     "id,start,end,amount\n%s,2024-12-01,2024-12-31,1.00\n"
                     "%s,2025-01-15,2025-02-15,1.00\n%s,2025-01-01,2025-01-31,1.00\n", id, id, id);
        add_feed(ctx, "mca", "MCA", "DIBAO_URBAN", buf);
        ck_assert_int_eq(am_reconcile(ctx, NULL, NULL), AM_OK);
        ck_assert_uint_eq(am_finding_count(ctx), 1);
        am_finding f;
        am_finding_get(ctx, 0, &f);
        if (pass == 0)
            strcpy(first_id, f.id);
        else
            ck_assert_str_eq(f.id, first_id);
        am_ctx_free(ctx);
    }
}
END_TEST

static int stop_at_first(void *user, const am_finding *f)
{
    (*(int *)user)++;
    return 1;
}

START_TEST(callback_can_stop)
{
    am_ctx *ctx = new_ctx();
    static const char *const periods[] = {"2025-01-01,2025-01-31,1.00",
                                          "2025-01-01,2025-01-31,1.00", NULL};
    add_feed(ctx, "mca", "MCA", "DIBAO_URBAN", rows(1, periods));
    int calls = 0;
    ck_assert_int_eq(am_reconcile(ctx, stop_at_first, &calls), AM_ERR_ABORTED);
    ck_assert_int_eq(calls, 1);
    am_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("duplicate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, overlap_cases);
    tcase_add_test(tc, three_way_overlap_takes_all_but_largest);
    tcase_add_test(tc, two_agencies_pay_the_same_item);
    tcase_add_test(tc, different_people_and_items_never_match);
    tcase_add_test(tc, one_off_windows);
    tcase_add_test(tc, same_day_by_two_agencies);
    tcase_add_test(tc, finding_id_is_stable_across_exports);
    tcase_add_test(tc, callback_can_stop);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
