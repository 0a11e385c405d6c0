/* Known-answer tests for every rule kind, each with the near-misses that
 * must not fire.  Feeds are built in memory: one of periodic payments, one
 * of one-off payments, and one registry. */
#include <aidmatch.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "read/resident_id.h"
#include "check_run.h"

static const unsigned char test_key[16] = {7, 7, 7, 7, 7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8};

static const char *person(int n)
{
    static char ids[16][19];
    char *id = ids[n % 16];
    char digits[40];
    snprintf(digits, sizeof digits, "32028119700101%03d", n);
    memcpy(id, digits, 17);
    id[17] = am_id_check_char(id);
    id[18] = '\0';
    return id;
}

static const char item_map[] =
    "DIBAO_URBAN:DIBAO_URBAN|TEKUN_HOME:TEKUN_HOME|TEKUN_INST:TEKUN_INST|ORPHAN:ORPHAN|"
    "DIS_NURSING:DIS_NURSING|DIS_LIVING:DIS_LIVING|MED_PREM:MED_PREM|FUNERAL:FUNERAL|"
    "TEMP_EXPEND:TEMP_EXPEND|UNION_AID:UNION_AID|FESTIVAL:FESTIVAL";
static const char fact_map[] =
    "DEATH:DEATH|DISABILITY:DISABILITY|HUKOU:HUKOU|VEHICLE:VEHICLE";

static void declare(am_ctx *ctx, const char *name, const char *const (*keys)[2])
{
    am_feed *feed;
    ck_assert_int_eq(am_feed_new(ctx, name, &feed), AM_OK);
    for (; (*keys)[0]; keys++)
        ck_assert_msg(am_feed_set(feed, (*keys)[0], (*keys)[1]) == AM_OK, "%s", am_errmsg(ctx));
}

/* Rows are "P<n>,household,code,amount,start,end" for payments,
 * "P<n>,household,code,amount,date" for one-offs and
 * "P<n>,household,code,value,start,end" for the registry; P<n> becomes a
 * resident ID. */
static void ingest(am_ctx *ctx, const char *name, const char *header, const char *rows)
{
    char csv[8192];
    snprintf(csv, sizeof csv, "%s\n", header);
    for (const char *p = rows; *p;) {
        const char *eol = strchr(p, '\n');
        const size_t len = eol ? (size_t)(eol - p) : strlen(p);
        int n;
        ck_assert_int_eq(sscanf(p, "P%d", &n), 1);
        const char *rest = memchr(p, ',', len);
        strcat(csv, person(n));
        strncat(csv, rest, len - (size_t)(rest - p));
        strcat(csv, "\n");
        p += len + (eol != NULL);
    }
    ck_assert_msg(am_feed_ingest_buffer(am_feed_find(ctx, name), csv, strlen(csv)) == AM_OK, "%s",
                  am_errmsg(ctx));
    am_feed_stats s;
    for (size_t i = 0; i < am_feed_count(ctx); i++)
        if (am_feed_stats_get(ctx, i, &s) == AM_OK && strcmp(s.name, name) == 0)
            ck_assert_msg(s.rows_rejected == 0, "feed %s rejected rows", name);
}

static am_ctx *run(const char *rules, const char *payments, const char *one_offs, const char *registry)
{
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/data/catalogue", getenv("AM_SOURCE_ROOT"));
    ck_assert_int_eq(am_load_catalogue(ctx, dir), AM_OK);
    ck_assert_int_eq(am_load_key(ctx, test_key, sizeof test_key), AM_OK);
    ck_assert_msg(am_load_rules_mem(ctx, rules, strlen(rules), "t.rules") == AM_OK, "%s",
                  am_errmsg(ctx));
    ck_assert_int_eq(am_set_window(ctx, "2025-01-01", "2025-12-31"), AM_OK);
    const char *const pay[][2] = {{"agency", "MCA"}, {"person_id", "id"}, {"household_id", "hh"},
                                  {"item_column", "code"}, {"item_map", item_map},
                                  {"amount", "amount"}, {"start", "start"}, {"end", "end"}, {NULL, NULL}};
    const char *const once[][2] = {{"agency", "ACFTU"}, {"person_id", "id"}, {"household_id", "hh"},
                                   {"item_column", "code"}, {"item_map", item_map},
                                   {"amount", "amount"}, {"date", "date"}, {NULL, NULL}};
    const char *const reg[][2] = {{"agency", "PSB"}, {"kind", "registry"}, {"person_id", "id"},
                                  {"household_id", "hh"}, {"fact_column", "code"},
                                  {"fact_map", fact_map}, {"value", "value"}, {"start", "start"},
                                  {"end", "end"}, {NULL, NULL}};
    declare(ctx, "pay", pay);
    declare(ctx, "once", once);
    declare(ctx, "reg", reg);
    ingest(ctx, "pay", "id,hh,code,amount,start,end", payments);
    ingest(ctx, "once", "id,hh,code,amount,date", one_offs);
    ingest(ctx, "reg", "id,hh,code,value,start,end", registry);
    ck_assert_msg(am_reconcile(ctx, NULL, NULL) == AM_OK, "%s", am_errmsg(ctx));
    return ctx;
}

/* The only finding of a kind, which must exist; or NULL when expected
 * to be absent (count 0). */
static int count_kind(am_ctx *ctx, am_kind kind, am_finding *out)
{
    int n = 0;
    for (size_t i = 0; i < am_finding_count(ctx); i++) {
        am_finding f;
        am_finding_get(ctx, i, &f);
        if (f.kind == kind) {
            if (out)
                *out = f;
            n++;
        }
    }
    return n;
}

static void expect_finding(const am_finding *f, const char *rule, const char *items,
                           const char *start, const char *end, long long days, long long fen)
{
    ck_assert_str_eq(f->rule_id, rule);
    ck_assert_str_eq(f->items, items);
    ck_assert_str_eq(f->period_start, start);
    ck_assert_str_eq(f->period_end, end);
    ck_assert_int_eq(f->overlap_days, days);
    ck_assert_int_eq(f->amount_fen, fen);
    ck_assert_ptr_nonnull(f->policy_source);
}

static const char exclusive_rules[] =
    "rule R01 exclusive ORPHAN vs TEKUN_HOME|TEKUN_INST\n  source orphans\n"
    "rule R02 exclusive TEKUN_HOME|TEKUN_INST vs DIBAO_URBAN\n  source coordination\n";

START_TEST(exclusive_person)
{
    /* ORPHAN all year (3650.00 = 10/day); TEKUN from July (1840.00 for 184 days). */
    am_ctx *ctx = run(exclusive_rules,
                      "P1,,ORPHAN,3650.00,2025-01-01,2025-12-31\n"
                      "P1,,TEKUN_HOME,1840.00,2025-07-01,2025-12-31\n"
                      /* near miss: touching periods */
                      "P2,,ORPHAN,1810.00,2025-01-01,2025-06-30\n"
                      "P2,,TEKUN_HOME,1840.00,2025-07-01,2025-12-31\n",
                      "", "");
    am_finding f;
    ck_assert_int_eq(count_kind(ctx, AM_KIND_CONFLICT, &f), 1);
    expect_finding(&f, "R01", "ORPHAN;TEKUN_HOME", "2025-07-01", "2025-12-31", 184, 184000);
    ck_assert_str_eq(f.evidence, "pay:2;pay:3");
    am_ctx_free(ctx);
}
END_TEST

START_TEST(exclusive_through_household)
{
    /* P1 is 特困 all year and joins household H1 (dibao, paid to P2) on 1 March.
     * P3 leaves H2 (dibao) on 28 February and is 特困 from 1 March: near miss. */
    am_ctx *ctx = run(exclusive_rules,
                      "P1,,TEKUN_HOME,3650.00,2025-01-01,2025-12-31\n"
                      "P2,H1,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n"
                      "P3,,TEKUN_HOME,3060.00,2025-03-01,2025-12-31\n"
                      "P4,H2,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n",
                      "",
                      "P1,H1,HUKOU,,2025-03-01,\n"
                      "P2,H1,HUKOU,,,\n"
                      "P3,H2,HUKOU,,,2025-02-28\n"
                      "P3,H3,HUKOU,,2025-03-01,\n"
                      "P4,H2,HUKOU,,,\n");
    am_finding f;
    ck_assert_int_eq(count_kind(ctx, AM_KIND_CONFLICT, &f), 1);
    expect_finding(&f, "R02", "DIBAO_URBAN;TEKUN_HOME", "2025-03-01", "2025-12-31", 306, 306000);
    ck_assert_str_eq(f.evidence, "pay:2;pay:3;reg:2");
    am_ctx_free(ctx);
}
END_TEST

static const char entitles_rules[] =
    "rule R12 entitles DISABILITY=1-2 -> DIS_NURSING grace 31\n  source nursing\n";

START_TEST(entitles_cases)
{
    am_ctx *ctx = run(entitles_rules,
                      /* P1: paid only to June: July-December missing */
                      "P1,,DIS_NURSING,1810.00,2025-01-01,2025-06-30\n"
                      /* P2: certificate from 15 March, paid from 1 April: within grace */
                      "P2,,DIS_NURSING,2750.00,2025-04-01,2025-12-31\n"
                      /* P5: dies 30 June, paid to the day of death: nothing missing after */
                      "P5,,DIS_NURSING,1810.00,2025-01-01,2025-06-30\n",
                      "",
                      "P1,,DISABILITY,1,2020-05-01,\n"
                      "P2,,DISABILITY,一级,2025-03-15,\n"
                      /* P3: grade 3 is not entitled */
                      "P3,,DISABILITY,3,,\n"
                      /* P4: certificate since ever, open: missing over the window only */
                      "P4,,DISABILITY,2,,\n"
                      "P5,,DISABILITY,2,,\n"
                      "P5,,DEATH,,2025-06-30,2025-06-30\n");
    int missing = 0;
    for (size_t i = 0; i < am_finding_count(ctx); i++) {
        am_finding f;
        am_finding_get(ctx, i, &f);
        ck_assert_int_eq(f.kind, AM_KIND_MISSING);
        ck_assert_int_eq(f.amount_fen, 0);
        ck_assert_str_eq(f.items, "DIS_NURSING");
        ck_assert_str_eq(f.agencies, "MCA");
        missing++;
        if (f.overlap_days == 184)
            expect_finding(&f, "R12", "DIS_NURSING", "2025-07-01", "2025-12-31", 184, 0);
        else
            expect_finding(&f, "R12", "DIS_NURSING", "2025-01-01", "2025-12-31", 365, 0);
    }
    ck_assert_int_eq(missing, 2);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(entitles_through_household_and_conditions)
{
    /* Dibao household members with a disability are owed DIS_LIVING. */
    static const char rules[] =
        "rule R11 entitles DIBAO_URBAN & DISABILITY -> DIS_LIVING grace 31\n  source living\n";
    am_ctx *ctx = run(rules,
                      "P1,H1,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n"
                      "P3,,DIS_LIVING,3650.00,2025-01-01,2025-12-31\n",
                      "",
                      "P1,H1,HUKOU,,,\n"
                      "P2,H1,HUKOU,,,\n"
                      "P2,,DISABILITY,4,2025-06-01,\n"
                      /* P3 is disabled and paid, but not in a dibao household */
                      "P3,,DISABILITY,4,,\n");
    am_finding f;
    ck_assert_int_eq(count_kind(ctx, AM_KIND_MISSING, &f), 1);
    expect_finding(&f, "R11", "DIS_LIVING", "2025-06-01", "2025-12-31", 214, 0);
    ck_assert_str_eq(f.evidence, "pay:2;reg:3;reg:4");
    am_ctx_free(ctx);
}
END_TEST

static const char death_rules[] =
    "rule R14 ends_at DEATH except FUNERAL\n  source death\n";

START_TEST(after_death_grades)
{
    am_ctx *ctx = run(death_rules,
                      /* P1 dies 30 June; paid all year: 184 days after, high */
                      "P1,,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n"
                      /* P2 dies 30 June; paid to 20 July: 20 days, within the lag */
                      "P2,,TEKUN_HOME,2010.00,2025-01-01,2025-07-20\n"
                      /* P3 dies 30 June; paid exactly to that day: near miss */
                      "P3,,TEKUN_HOME,1810.00,2025-01-01,2025-06-30\n",
                      "P3,,FUNERAL,1200.00,2025-07-05\n"
                      "P3,,TEMP_EXPEND,500.00,2025-07-06\n",
                      "P1,,DEATH,,2025-06-30,\n"
                      "P2,,DEATH,,2025-06-30,\n"
                      "P3,,DEATH,,2025-06-30,\n");
    ck_assert_int_eq(count_kind(ctx, AM_KIND_AFTER_DEATH, NULL), 3);
    for (size_t i = 0; i < am_finding_count(ctx); i++) {
        am_finding f;
        am_finding_get(ctx, i, &f);
        if (strcmp(f.items, "DIBAO_URBAN") == 0) {
            expect_finding(&f, "R14", "DIBAO_URBAN", "2025-07-01", "2025-12-31", 184, 184000);
            ck_assert_str_eq(f.priority, "high");
            ck_assert_str_eq(f.evidence, "pay:2;reg:2");
        } else if (strcmp(f.items, "TEKUN_HOME") == 0) {
            expect_finding(&f, "R14", "TEKUN_HOME", "2025-07-01", "2025-07-20", 20, 20000);
            ck_assert_str_eq(f.priority, "low");
        } else {
            expect_finding(&f, "R14", "TEMP_EXPEND", "2025-07-06", "2025-07-06", 1, 50000);
            ck_assert_str_eq(f.agencies, "ACFTU");
        }
    }
    am_ctx_free(ctx);
}
END_TEST

START_TEST(disqualified_while_fact_holds)
{
    static const char rules[] =
        "rule R15V disqualifies VEHICLE DIBAO_URBAN\n  source vehicle\n";
    am_ctx *ctx = run(rules,
                      "P1,H1,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n"
                      "P3,H2,DIBAO_URBAN,2750.00,2025-04-01,2025-12-31\n",
                      "",
                      "P1,H1,HUKOU,,,\n"
                      "P2,H1,HUKOU,,,\n"
                      /* P2, a member, registers a car on 1 April */
                      "P2,,VEHICLE,,2025-04-01,\n"
                      /* P3 sold the car before the household went on dibao */
                      "P3,,VEHICLE,,2020-01-01,2025-03-31\n");
    am_finding f;
    ck_assert_int_eq(count_kind(ctx, AM_KIND_DISQUALIFIED, &f), 1);
    expect_finding(&f, "R15V", "DIBAO_URBAN", "2025-04-01", "2025-12-31", 275, 275000);
    ck_assert_str_eq(f.unit, "person");
    am_ctx_free(ctx);
}
END_TEST

static const char household_rules[] =
    "rule R16 household_unique DIBAO_URBAN\n  source one claim\n"
    "rule R17 household_unique TEMP_EXPEND|UNION_AID window 30\n  source one event\n";

START_TEST(household_duplicates)
{
    am_ctx *ctx = run(household_rules,
                      /* two members of H1 each claim dibao for it, overlapping in Q2 */
                      "P1,H1,DIBAO_URBAN,1810.00,2025-01-01,2025-06-30\n"
                      "P2,H1,DIBAO_URBAN,2750.00,2025-04-01,2025-12-31\n"
                      /* P3 lives in H3 (dibao paid to P4) and claims dibao for H4 too */
                      "P4,H3,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n"
                      "P3,H4,DIBAO_URBAN,1840.00,2025-07-01,2025-12-31\n"
                      /* P5 moves from H5 to H6 on 1 July; both on dibao: near miss */
                      "P6,H5,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n"
                      "P7,H6,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n"
                      /* ...and a person-unit payment whose household is inferred from
                       * the hukou register on 1 January does not keep P5 in H5 */
                      "P5,,MED_PREM,120.00,2025-01-01,2025-12-31\n"
                      /* P12 died before 2025 yet is claimed by H9 and still in H10 (dibao,
                       * paid to P13): after death nothing is held, so no R16 finding */
                      "P12,H9,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n"
                      "P13,H10,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n",
                      /* one hardship paid by two agencies to H7 within 30 days; H8 is 45 days apart */
                      "P8,H7,TEMP_EXPEND,2000.00,2025-03-01\n"
                      "P9,H7,UNION_AID,800.00,2025-03-20\n"
                      "P10,H8,TEMP_EXPEND,2000.00,2025-03-01\n"
                      "P11,H8,UNION_AID,800.00,2025-04-15\n",
                      "P1,H1,HUKOU,,,\nP2,H1,HUKOU,,,\n"
                      "P3,H3,HUKOU,,,\nP4,H3,HUKOU,,,\n"
                      "P5,H5,HUKOU,,,2025-06-30\nP5,H6,HUKOU,,2025-07-01,\n"
                      "P6,H5,HUKOU,,,\nP7,H6,HUKOU,,,\n"
                      "P12,H10,HUKOU,,,\nP13,H10,HUKOU,,,\nP12,,DEATH,,2024-12-31,\n");
    ck_assert_int_eq(count_kind(ctx, AM_KIND_HOUSEHOLD_DUPLICATE, NULL), 3);
    for (size_t i = 0; i < am_finding_count(ctx); i++) {
        am_finding f;
        am_finding_get(ctx, i, &f);
        ck_assert_int_eq(f.kind, AM_KIND_HOUSEHOLD_DUPLICATE);
        if (strcmp(f.rule_id, "R17") == 0) {
            expect_finding(&f, "R17", "TEMP_EXPEND;UNION_AID", "2025-03-01", "2025-03-20", 20, 80000);
            ck_assert_str_eq(f.unit, "household");
            ck_assert_str_eq(f.agencies, "ACFTU");
        } else if (strcmp(f.unit, "household") == 0) {
            /* 91 days of Q2: 1810*91/181 = 910, 2750*91/275 = 910 */
            expect_finding(&f, "R16", "DIBAO_URBAN", "2025-04-01", "2025-06-30", 91, 91000);
            ck_assert_str_eq(f.evidence, "pay:2;pay:3");
        } else {
            /* P3 through H3 (3650/365 a day) and H4 (10 a day) from July: 184 days */
            expect_finding(&f, "R16", "DIBAO_URBAN", "2025-07-01", "2025-12-31", 184, 184000);
            ck_assert_str_eq(f.evidence, "pay:4;pay:5;reg:4");
            ck_assert_str_eq(f.agencies, "MCA");
        }
    }
    am_ctx_free(ctx);
}
END_TEST

START_TEST(exclusive_within_household)
{
    /* FUC_CHILD is topped up in a dibao household: encoded here as an
     * exclusive pair across members, so the household is the subject. */
    static const char rules[] =
        "rule R04 exclusive ORPHAN vs DIBAO_URBAN scope household\n  source top-up\n";
    am_ctx *ctx = run(rules,
                      "P1,H1,DIBAO_URBAN,3650.00,2025-01-01,2025-12-31\n"
                      "P2,,ORPHAN,1840.00,2025-07-01,2025-12-31\n"
                      /* P3's orphan allowance ends the day before joining H1 */
                      "P3,,ORPHAN,1810.00,2025-01-01,2025-06-30\n",
                      "",
                      "P1,H1,HUKOU,,,\nP2,H1,HUKOU,,2025-10-01,\nP3,H1,HUKOU,,2025-07-01,\n");
    am_finding f;
    ck_assert_int_eq(count_kind(ctx, AM_KIND_CONFLICT, &f), 1);
    expect_finding(&f, "R04", "DIBAO_URBAN;ORPHAN", "2025-10-01", "2025-12-31", 92, 92000);
    ck_assert_str_eq(f.unit, "household");
    ck_assert_str_eq(f.evidence, "pay:2;pay:3;reg:3");
    am_ctx_free(ctx);
}
END_TEST

START_TEST(findings_are_ordered_and_ids_unique)
{
    am_ctx *ctx = run(exclusive_rules,
                      "P1,,ORPHAN,3650.00,2025-01-01,2025-12-31\n"
                      "P1,,TEKUN_HOME,1840.00,2025-07-01,2025-12-31\n"
                      "P2,,ORPHAN,3650.00,2025-01-01,2025-12-31\n"
                      "P2,,TEKUN_INST,100.00,2025-12-01,2025-12-31\n"
                      "P2,,TEKUN_INST,100.00,2025-12-01,2025-12-31\n",
                      "", "");
    ck_assert_uint_eq(am_finding_count(ctx), 3);
    am_finding prev, f;
    am_finding_get(ctx, 0, &prev);
    for (size_t i = 1; i < am_finding_count(ctx); i++) {
        am_finding_get(ctx, i, &f);
        ck_assert(prev.amount_fen > f.amount_fen ||
                  (prev.amount_fen == f.amount_fen && strcmp(prev.id, f.id) < 0));
        ck_assert_str_ne(prev.id, f.id);
        prev = f;
    }
    am_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("match");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, exclusive_person);
    tcase_add_test(tc, exclusive_through_household);
    tcase_add_test(tc, entitles_cases);
    tcase_add_test(tc, entitles_through_household_and_conditions);
    tcase_add_test(tc, after_death_grades);
    tcase_add_test(tc, disqualified_while_fact_holds);
    tcase_add_test(tc, household_duplicates);
    tcase_add_test(tc, exclusive_within_household);
    tcase_add_test(tc, findings_are_ordered_and_ids_unique);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
