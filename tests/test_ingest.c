/* Tests for turning rows into records or rejects: every row lands in
 * exactly one place, with the documented reason, and no detail repeats a
 * raw value. */
#include <aidmatch.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link/link.h"
#include "run/context.h"
#include "check_run.h"

static const unsigned char test_key[16] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};

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

static am_feed *feed_with(am_ctx *ctx, const char *const (*keys)[2])
{
    am_feed *feed;
    ck_assert_int_eq(am_feed_new(ctx, "f", &feed), AM_OK);
    for (; (*keys)[0]; keys++)
        ck_assert_msg(am_feed_set(feed, (*keys)[0], (*keys)[1]) == AM_OK, "%s", am_errmsg(ctx));
    return feed;
}

static const char *const payment_keys[][2] = {
    {"agency", "MCA"}, {"item_column", "type"}, {"item_map", "urban:DIBAO_URBAN|rural:DIBAO_RURAL"},
    {"person_id", "id"}, {"household_id", "hh"}, {"name", "name"}, {"amount", "amount"},
    {"start", "from"}, {"end", "to"}, {"max_amount", "50000"}, {NULL, NULL}};

/* Line 1 is the header; each case row's line is its index + 2. */
static const struct {
    const char *row;
    int reason; /* -1: ingested */
} payment_rows[] = {
    {"11010519491231002X,H1,张三,urban,1100.00,2025-01-01,2025-01-31", -1},
    {"11010519491231002x,H1,张三,rural,1100,20250201,20250228", -1},
    {"441900890101221,H2,李四,urban,900.5,2025/3/1,2025/3/31", -1},
    {",H1,王五,urban,1.00,2025-01-01,2025-01-31", AM_REJECT_MISSING_ID},
    {"110105194912310021,H1,王五,urban,1.00,2025-01-01,2025-01-31", AM_REJECT_BAD_CHECK_DIGIT},
    {"3.20281E+17,H1,王五,urban,1.00,2025-01-01,2025-01-31", AM_REJECT_EXCEL_MANGLED},
    {"11010519491231,H1,王五,urban,1.00,2025-01-01,2025-01-31", AM_REJECT_BAD_LENGTH},
    {"11010519491331002X,H1,王五,urban,1.00,2025-01-01,2025-01-31", AM_REJECT_BAD_BIRTH_DATE},
    {"11010519491231002X,H1,王五,urban,1.00,2025-02-30,2025-03-31", AM_REJECT_BAD_DATE},
    {"11010519491231002X,H1,王五,urban,1.00,,2025-03-31", AM_REJECT_MISSING_DATE},
    {"11010519491231002X,H1,王五,urban,1.00,2025-04-01,2025-03-31", AM_REJECT_END_BEFORE_START},
    {"11010519491231002X,H1,王五,urban,-5.00,2025-01-01,2025-01-31", AM_REJECT_NEGATIVE_AMOUNT},
    {"11010519491231002X,H1,王五,urban,50000.01,2025-01-01,2025-01-31", AM_REJECT_ABSURD_AMOUNT},
    {"11010519491231002X,H1,王五,urban,12.345,2025-01-01,2025-01-31", AM_REJECT_BAD_AMOUNT},
    {"11010519491231002X,H1,王五,urban,,2025-01-01,2025-01-31", AM_REJECT_MISSING_AMOUNT},
    {"11010519491231002X,H1,王五,suburban,1.00,2025-01-01,2025-01-31", AM_REJECT_UNKNOWN_ITEM},
    {"11010519491231002X,H1,王五,urban,1.00,2025-01-01", AM_REJECT_TOO_FEW_FIELDS},
    {"11010519491231002X,H1,王五,urban,1.00,2025-01-01,2025-01-31,extra", AM_REJECT_TOO_MANY_FIELDS},
    {"11010519491231002X,HHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH,王五,urban,1.00,2025-01-01,2025-01-31",
     AM_REJECT_BAD_HOUSEHOLD},
    {"\"11010519491231002X\",\"H1\",\"王, 五\",urban,\"1,100.00\",2025-01-01,2025-01-31", -1},
};

/* Dates and amounts as agencies write them: date_format patterns tried in
 * order, amount_unit and thousands; and what a reject then expects. */
START_TEST(dates_and_amounts_as_agencies_write_them)
{
    static const char *const keys[][2] = {
        {"agency", "MCA"}, {"item", "DIBAO_URBAN"}, {"person_id", "id"}, {"amount", "amount"},
        {"start", "from"}, {"end", "to"},
        {"date_format", "%Y年%m月%d日 | %Y-%m-%d %H:%M:%S | %d/%m/%Y | %Y年%m月 | %Y%m"},
        {"amount_unit", "元"}, {"thousands", "，"}, {NULL, NULL}};
    static const struct {
        const char *row;
        int reason; /* -1: ingested */
        const char *detail;
    } rows[] = {
        {"11010519491231002X,870元,2025年1月1日,2025年1月31日", -1, NULL},
        {"11010519491231002X,870.50 元,2025-02-01 00:00:00,2025-02-28 23:59:59", -1, NULL},
        {"11010519491231002X,1，200.00元,01/03/2025,31/03/2025", -1, NULL},
        {"11010519491231002X,870,2025年4月,2025年4月", -1, NULL},
        {"11010519491231002X,870,202505,202506", -1, NULL},
        {"11010519491231002X,870元,2025-01-01,2025-01-31", AM_REJECT_BAD_DATE,
         "column 'from': expected a real date as %Y年%m月%d日, %Y-%m-%d %H:%M:%S, %d/%m/%Y, "
         "%Y年%m月 or %Y%m"},
        {"11010519491231002X,\"1,200元\",2025年1月1日,2025年1月31日", AM_REJECT_BAD_AMOUNT,
         "column 'amount': expected yuan with at most two decimals, e.g. 1234.50, with or "
         "without the feed's amount_unit"},
        {"11010519491231002X,元,2025年1月1日,2025年1月31日", AM_REJECT_BAD_AMOUNT,
         "column 'amount': expected yuan with at most two decimals, e.g. 1234.50, with or "
         "without the feed's amount_unit"},
        {"11010519491231002X,870元元,2025年1月1日,2025年1月31日", AM_REJECT_BAD_AMOUNT, NULL},
        {"11010519491231002X,-5元,2025年1月1日,2025年1月31日", AM_REJECT_NEGATIVE_AMOUNT, NULL},
        /* INT64 edges: INT64_MAX fen and beyond are absurd, never wrapped */
        {"11010519491231002X,92，233，720，368，547，758.07元,2025年1月1日,2025年1月31日",
         AM_REJECT_ABSURD_AMOUNT, NULL},
        {"11010519491231002X,9223372036854775808元,2025年1月1日,2025年1月31日",
         AM_REJECT_ABSURD_AMOUNT, NULL},
        {"11010519491231002X,870元,2025年4月,2025年3月", AM_REJECT_END_BEFORE_START, NULL},
        {"11010519491231002X,870元,2025年2月30日,2025年3月31日", AM_REJECT_BAD_DATE, NULL},
    };
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, keys);
    char csv[4096] = "id,amount,from,to\n";
    const size_t n = sizeof rows / sizeof *rows;
    for (size_t i = 0; i < n; i++) {
        strcat(csv, rows[i].row);
        strcat(csv, "\n");
    }
    ck_assert_msg(am_feed_ingest_buffer(feed, csv, strlen(csv)) == AM_OK, "%s", am_errmsg(ctx));
    am_feed_stats s;
    ck_assert_int_eq(am_feed_stats_get(ctx, 0, &s), AM_OK);
    ck_assert_uint_eq(s.rows_read, n);
    size_t next = 0, ingested = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].reason < 0) {
            ingested++;
            continue;
        }
        am_reject_row r;
        ck_assert_int_eq(am_reject_get(ctx, next++, &r), AM_OK);
        ck_assert_msg(r.line == i + 2, "row %zu: reject at line %llu", i,
                      (unsigned long long)r.line);
        ck_assert_msg((int)r.reason == rows[i].reason, "row %zu: %s (%s)", i,
                      am_reject_name(r.reason), r.detail);
        if (rows[i].detail)
            ck_assert_str_eq(r.detail, rows[i].detail);
    }
    ck_assert_uint_eq(s.rows_ingested, ingested);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(amount_options_are_checked)
{
    am_ctx *ctx = new_ctx();
    am_feed *feed;
    ck_assert_int_eq(am_feed_new(ctx, "f", &feed), AM_OK);
    ck_assert_int_eq(am_feed_set(feed, "thousands", "."), AM_ERR_FORMAT);
    ck_assert_str_eq(am_errmsg(ctx),
                     "feed f: thousands: expected , (the default), ，, space, ' or none");
    ck_assert_int_eq(am_feed_set(feed, "amount_unit", "1元"), AM_ERR_FORMAT);
    ck_assert_int_eq(am_feed_set(feed, "date_format", "YYYY年MM月"), AM_ERR_FORMAT);
    ck_assert_str_eq(am_errmsg(ctx), "feed f: date_format: 'YYYY年MM月': auto, excel, or a "
                                     "pattern such as %Y-%m-%d or %Y年%m月%d日");
    ck_assert_int_eq(am_feed_set(feed, "thousands", "none"), AM_OK);
    ck_assert_int_eq(am_feed_set(feed, "amount_unit", "圆"), AM_OK);
    am_ctx_free(ctx);
}
END_TEST

/* An ID reject's detail says what was expected, never the value. */
START_TEST(id_rejects_say_what_was_expected)
{
    static const char *const keys[][2] = {{"agency", "MCA"},   {"item", "DIBAO_URBAN"},
                                          {"person_id", "身份证号"}, {"amount", "amount"},
                                          {"date", "day"},     {NULL, NULL}};
    static const struct {
        const char *id, *detail;
    } rows[] = {
        {"", "column '身份证号': empty"},
        {"1101051949123100", "column '身份证号': expected 18 characters (or a 15-digit ID of "
                             "before 1999)"},
        {"11010519491231002Y", "column '身份证号': expected digits only, with X only as the "
                               "18th character"},
        {"110105194913310025", "column '身份证号': expected a real birth date as YYYYMMDD in "
                               "characters 7-14"},
        {"110105194912310021", "column '身份证号': expected the 18th character to be the "
                               "check character of the first 17 (GB 11643); a digit is "
                               "mistyped"},
        {"320281601123869000", "column '身份证号': expected the ID as text, not as an Excel "
                               "number; ask the agency to format the column as text and "
                               "export again"},
        {"3.20281E+17", "column '身份证号': expected the ID as text, not as an Excel number; "
                        "ask the agency to format the column as text and export again"},
    };
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, keys);
    char csv[2048] = "身份证号,amount,day\n";
    const size_t n = sizeof rows / sizeof *rows;
    for (size_t i = 0; i < n; i++) {
        strcat(csv, rows[i].id);
        strcat(csv, ",100,2025-01-01\n");
    }
    ck_assert_msg(am_feed_ingest_buffer(feed, csv, strlen(csv)) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_uint_eq(am_reject_count(ctx), n);
    for (size_t i = 0; i < n; i++) {
        am_reject_row r;
        ck_assert_int_eq(am_reject_get(ctx, i, &r), AM_OK);
        ck_assert_str_eq(r.detail, rows[i].detail);
        if (*rows[i].id)
            ck_assert_ptr_null(strstr(r.detail, rows[i].id));
    }
    am_ctx_free(ctx);
}
END_TEST

START_TEST(payment_rows_land_in_one_place)
{
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, payment_keys);
    char csv[8192] = "id,hh,name,type,amount,from,to\n";
    const size_t n = sizeof payment_rows / sizeof *payment_rows;
    for (size_t i = 0; i < n; i++) {
        strcat(csv, payment_rows[i].row);
        strcat(csv, "\n");
    }
    ck_assert_msg(am_feed_ingest_buffer(feed, csv, strlen(csv)) == AM_OK, "%s", am_errmsg(ctx));
    am_feed_stats s;
    ck_assert_int_eq(am_feed_stats_get(ctx, 0, &s), AM_OK);
    ck_assert_uint_eq(s.rows_read, n);
    ck_assert_uint_eq(s.rows_read, s.rows_ingested + s.rows_rejected);
    uint64_t by_reason_total = 0;
    for (int r = 0; r < AM_REJECT__COUNT; r++)
        by_reason_total += am_feed_rejected(ctx, 0, (am_reject)r);
    ck_assert_uint_eq(by_reason_total, s.rows_rejected);
    size_t next_reject = 0, ingested = 0;
    for (size_t i = 0; i < n; i++) {
        if (payment_rows[i].reason < 0) {
            ingested++;
            continue;
        }
        am_reject_row r;
        ck_assert_int_eq(am_reject_get(ctx, next_reject++, &r), AM_OK);
        ck_assert_msg(r.line == i + 2, "row %zu: reject at line %llu", i, (unsigned long long)r.line);
        ck_assert_msg((int)r.reason == payment_rows[i].reason, "row %zu: %s", i,
                      am_reject_name(r.reason));
        ck_assert_str_eq(r.feed, "f");
        ck_assert_ptr_null(strstr(r.detail, "1101051949"));
        ck_assert_ptr_null(strstr(r.detail, "王五"));
    }
    ck_assert_uint_eq(s.rows_ingested, ingested);
    ck_assert_uint_eq(am_reject_count(ctx), next_reject);
    am_ctx_free(ctx);
}
END_TEST

/* A code map's feed text is trimmed as cells are, U+3000 included (an
 * input method types it after Chinese text): "城市低保　" matches the cell
 * "城市低保" and the cell "　城市低保". */
START_TEST(code_map_text_trimmed_as_cells)
{
    static const char *const keys[][2] = {
        {"agency", "MCA"}, {"item_column", "type"},
        {"item_map", "城市低保\xE3\x80\x80:DIBAO_URBAN | \xE3\x80\x80农村低保 :DIBAO_RURAL"},
        {"person_id", "id"}, {"amount", "amount"}, {"start", "from"}, {"end", "to"},
        {NULL, NULL}};
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, keys);
    static const char csv[] =
        "id,type,amount,from,to\n"
        "11010519491231002X,城市低保,1.00,2025-01-01,2025-01-31\n"
        "11010519491231002X,\xE3\x80\x80城市低保,1.00,2025-02-01,2025-02-28\n"
        "441900890101221,农村低保\xE3\x80\x80,1.00,2025-01-01,2025-01-31\n";
    ck_assert_msg(am_feed_ingest_buffer(feed, csv, sizeof csv - 1) == AM_OK, "%s", am_errmsg(ctx));
    am_feed_stats s;
    ck_assert_int_eq(am_feed_stats_get(ctx, 0, &s), AM_OK);
    ck_assert_uint_eq(s.rows_read, 3);
    ck_assert_uint_eq(s.rows_ingested, 3);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(registry_values_and_open_periods)
{
    static const char *const keys[][2] = {
        {"agency", "DPF"}, {"kind", "registry"}, {"fact", "DISABILITY"}, {"person_id", "证号"},
        {"value", "等级"}, {"start", "发证日期"}, {"end", "有效期至"}, {NULL, NULL}};
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, keys);
    const char csv[] = "证号,等级,发证日期,有效期至\n"
                       "11010519491231002X,一级,2020-01-01,\n"
                       "11010519491231002X,2级,,2030-01-01\n"
                       "11010519491231002X,3,2020-01-01,2030-01-01\n"
                       "11010519491231002X,五级,2020-01-01,\n"
                       "11010519491231002X,,2020-01-01,\n";
    ck_assert_int_eq(am_feed_ingest_buffer(feed, csv, sizeof csv - 1), AM_OK);
    am_feed_stats s;
    am_feed_stats_get(ctx, 0, &s);
    ck_assert_uint_eq(s.rows_ingested, 3);
    ck_assert_uint_eq(am_feed_rejected(ctx, 0, AM_REJECT_BAD_GRADE), 2);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(tokenised_feeds_check_tokens)
{
    am_ctx *ctx = new_ctx();
    char fingerprint[17];
    snprintf(fingerprint, sizeof fingerprint, "%s", am_key_fingerprint(ctx));
    const char *const keys[][2] = {
        {"agency", "ACFTU"}, {"item", "UNION_AID"}, {"ids", "token"},
        {"key_fingerprint", fingerprint}, {"person_id", "token"}, {"amount", "amount"},
        {"date", "paid"}, {NULL, NULL}};
    am_feed *feed = feed_with(ctx, keys);
    const char csv[] = "token,amount,paid\n"
                       "00112233445566778899aabbccddeeff,500,2025-05-01\n"
                       "00112233445566778899AABBCCDDEEFF,500,2025-05-01\n"
                       "11010519491231002X,500,2025-05-01\n"
                       "00112233445566778899aabbccddeeZZ,500,2025-05-01\n";
    ck_assert_int_eq(am_feed_ingest_buffer(feed, csv, sizeof csv - 1), AM_OK);
    am_feed_stats s;
    am_feed_stats_get(ctx, 0, &s);
    ck_assert_uint_eq(s.rows_ingested, 2);
    ck_assert_uint_eq(am_feed_rejected(ctx, 0, AM_REJECT_BAD_TOKEN), 2);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(encoding_and_nul_rows_are_rejected)
{
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, payment_keys);
    ck_assert_int_eq(am_feed_set(feed, "encoding", "utf-8"), AM_OK);
    const char csv[] = "id,hh,name,type,amount,from,to\n"
                       "11010519491231002X,H1,\xff\xfe,urban,1.00,2025-01-01,2025-01-31\n"
                       "11010519491231002X,H1,a\0b,urban,1.00,2025-01-01,2025-01-31\n"
                       "11010519491231002X,H1,ok,urban,1.00,2025-01-01,2025-01-31\n";
    ck_assert_int_eq(am_feed_ingest_buffer(feed, csv, sizeof csv - 1), AM_OK);
    am_feed_stats s;
    am_feed_stats_get(ctx, 0, &s);
    ck_assert_uint_eq(s.rows_ingested, 1);
    ck_assert_uint_eq(am_feed_rejected(ctx, 0, AM_REJECT_BAD_ENCODING), 1);
    ck_assert_uint_eq(am_feed_rejected(ctx, 0, AM_REJECT_EMBEDDED_NUL), 1);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(a_feed_is_ingested_once)
{
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, payment_keys);
    const char csv[] = "id,hh,name,type,amount,from,to\n";
    ck_assert_int_eq(am_feed_ingest_buffer(feed, csv, sizeof csv - 1), AM_OK);
    ck_assert_int_eq(am_feed_ingest_buffer(feed, csv, sizeof csv - 1), AM_ERR_INVALID);
    ck_assert_int_eq(am_feed_set(feed, "amount", "x"), AM_ERR_INVALID);
    am_feed *twin;
    ck_assert_int_eq(am_feed_new(ctx, "f", &twin), AM_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(am_errmsg(ctx), "declared twice"));
    am_ctx_free(ctx);
}
END_TEST

/* A feed that fails half-way (an unterminated quote at its end) still keeps
 * what it counted: its statistics and the rejects agree. */
START_TEST(failed_feed_keeps_its_counts)
{
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, payment_keys);
    const char csv[] = "id,hh,name,type,amount,from,to\n"
                       "11010519491231002X,H1,a,urban,1.00,2025-01-01,2025-01-31\n"
                       "bad,H1,a,urban,1.00,2025-01-01,2025-01-31\n"
                       "11010519491231002X,H1,\"a,urban,1.00,2025-01-01,2025-01-31\n";
    ck_assert_int_eq(am_feed_ingest_buffer(feed, csv, sizeof csv - 1), AM_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(am_errmsg(ctx), "unterminated"));
    am_feed_stats s;
    am_feed_stats_get(ctx, 0, &s);
    ck_assert_uint_eq(s.rows_read, s.rows_ingested + s.rows_rejected);
    ck_assert_uint_eq(s.rows_rejected, am_reject_count(ctx));
    ck_assert_uint_eq(s.rows_rejected, 1);
    am_ctx_free(ctx);
}
END_TEST

/* Past max_rejects rows of one reason, a feed's rejects are counted but
 * no longer listed, so that a runaway export cannot fill memory with
 * them: rows_read = ingested + rejected still holds, the counts per
 * reason are whole, and the listed rows are the first of each reason. */
START_TEST(rejects_past_the_cap_are_counted_not_listed)
{
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, payment_keys);
    ck_assert_int_eq(am_feed_set(feed, "max_rejects", "3"), AM_OK);
    char csv[4096] = "id,hh,name,type,amount,from,to\n";
    for (int i = 0; i < 10; i++) /* lines 2..11: unknown_item */
        strcat(csv, "11010519491231002X,H1,a,other,1.00,2025-01-01,2025-01-31\n");
    strcat(csv, "11010519491231002X,H1,a,urban,1.00,2025-01-01,2025-01-31\n");
    for (int i = 0; i < 2; i++) /* lines 13, 14: missing_amount */
        strcat(csv, "11010519491231002X,H1,a,urban,,2025-01-01,2025-01-31\n");
    ck_assert_msg(am_feed_ingest_buffer(feed, csv, strlen(csv)) == AM_OK, "%s", am_errmsg(ctx));
    am_feed_stats s;
    ck_assert_int_eq(am_feed_stats_get(ctx, 0, &s), AM_OK);
    ck_assert_uint_eq(s.rows_read, 13);
    ck_assert_uint_eq(s.rows_ingested, 1);
    ck_assert_uint_eq(s.rows_rejected, 12);
    ck_assert_uint_eq(am_feed_rejected(ctx, 0, AM_REJECT_UNKNOWN_ITEM), 10);
    ck_assert_uint_eq(am_feed_rejected(ctx, 0, AM_REJECT_MISSING_AMOUNT), 2);
    static const uint64_t listed[] = {2, 3, 4, 13, 14};
    ck_assert_uint_eq(am_reject_count(ctx), 5);
    for (size_t i = 0; i < 5; i++) {
        am_reject_row r;
        ck_assert_int_eq(am_reject_get(ctx, i, &r), AM_OK);
        ck_assert_uint_eq(r.line, listed[i]);
    }
    am_ctx_free(ctx);
}
END_TEST

/* An 18-character ID of area 320281, born 1960-01-01, sequence seq,
 * with its check character. */
static void valid_id(unsigned seq, char out[19])
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    snprintf(out, 19, "32028119600101%03u", seq);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (out[i] - '0') * weights[i];
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

/* Linking takes back the rejects of the rows it links, whether or not
 * they were listed, and the list then holds the first max_rejects of the
 * rows that stayed rejects, as if the linked rows had been read whole. */
START_TEST(linked_rows_leave_the_capped_reject_list)
{
    static const char *const reg_keys[][2] = {
        {"agency", "PSB"}, {"kind", "registry"}, {"person_id", "id"}, {"household_id", "hh"},
        {"name", "name"}, {"fact", "HUKOU"}, {"start", "from"}, {"end", "to"}, {NULL, NULL}};
    static const char names[] = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜";
    enum { PEOPLE = 32, PAID = 24 };
    am_ctx *ctx = new_ctx();
    am_feed *reg;
    ck_assert_int_eq(am_feed_new(ctx, "reg", &reg), AM_OK);
    for (const char *const(*k)[2] = reg_keys; (*k)[0]; k++)
        ck_assert_msg(am_feed_set(reg, (*k)[0], (*k)[1]) == AM_OK, "%s", am_errmsg(ctx));
    am_feed *pay = feed_with(ctx, payment_keys);
    ck_assert_int_eq(am_feed_set(pay, "max_rejects", "1"), AM_OK);
    static char reg_csv[8192], pay_csv[8192];
    char id[19];
    strcpy(reg_csv, "id,hh,name,from,to\n");
    strcpy(pay_csv, "id,hh,name,type,amount,from,to\n");
    for (unsigned i = 0; i < PEOPLE; i++) { /* each name is 3 bytes of UTF-8 */
        valid_id(i + 1, id);
        snprintf(reg_csv + strlen(reg_csv), sizeof reg_csv - strlen(reg_csv),
                 "%s,H%u,%.3s%.3s,2000-01-01,\n", id, i, names + 3 * i, names + 3 * (31 - i));
        if (i < PAID) /* lines 2..25, valid: the run's exact matches */
            snprintf(pay_csv + strlen(pay_csv), sizeof pay_csv - strlen(pay_csv),
                     "%s,H%u,%.3s%.3s,urban,1.00,2025-01-01,2025-01-31\n", id, i, names + 3 * i,
                     names + 3 * (31 - i));
    }
    /* Person 26's and 27's IDs with a wrong check character, as 26 and 27
     * are named and housed: linked (lines 26 and 29).  Between them a
     * damaged ID whose row fails anyway (line 27) and one of no one's
     * name and household (line 28). */
    static const struct {
        unsigned person, household;
        int own_name;
        const char *amount;
    } damaged[] = {{26, 25, 1, "1.00"}, {28, 27, 1, ""}, {29, 99, 0, "1.00"}, {27, 26, 1, "1.00"}};
    for (size_t d = 0; d < sizeof damaged / sizeof *damaged; d++) {
        const unsigned i = damaged[d].person - 1;
        valid_id(i + 1, id);
        id[17] = id[17] == '0' ? '1' : '0';
        char name[8] = "某某";
        if (damaged[d].own_name)
            snprintf(name, sizeof name, "%.3s%.3s", names + 3 * i, names + 3 * (31 - i));
        snprintf(pay_csv + strlen(pay_csv), sizeof pay_csv - strlen(pay_csv),
                 "%s,H%u,%s,urban,%s,2025-01-01,2025-01-31\n", id, damaged[d].household, name,
                 damaged[d].amount);
    }
    /* Line 30: two digits short, which no one edit repairs: a reject as
     * read, counted in the summary's no_repair. */
    snprintf(pay_csv + strlen(pay_csv), sizeof pay_csv - strlen(pay_csv),
             "1101051949123100,H1,某某,urban,1.00,2025-01-01,2025-01-31\n");
    ck_assert_msg(am_feed_ingest_buffer(reg, reg_csv, strlen(reg_csv)) == AM_OK, "%s",
                  am_errmsg(ctx));
    ck_assert_msg(am_feed_ingest_buffer(pay, pay_csv, strlen(pay_csv)) == AM_OK, "%s",
                  am_errmsg(ctx));
    am_feed_stats s;
    /* As read: every damaged row a reject, the held ones all listed. */
    ck_assert_int_eq(am_feed_stats_get(ctx, 1, &s), AM_OK);
    ck_assert_uint_eq(s.rows_read, PAID + 5);
    ck_assert_uint_eq(s.rows_rejected, 5);
    ck_assert_uint_eq(am_feed_rejected(ctx, 1, AM_REJECT_BAD_CHECK_DIGIT), 4);
    ck_assert_msg(am_reconcile(ctx, NULL, NULL) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_int_eq(am_feed_stats_get(ctx, 1, &s), AM_OK);
    ck_assert_uint_eq(s.rows_read, PAID + 5);
    ck_assert_uint_eq(s.rows_ingested, PAID + 2);
    ck_assert_uint_eq(s.rows_rejected, 3);
    ck_assert_uint_eq(am_feed_rejected(ctx, 1, AM_REJECT_BAD_CHECK_DIGIT), 2);
    ck_assert_uint_eq(am_reject_count(ctx), 2);
    am_reject_row r;
    ck_assert_int_eq(am_reject_get(ctx, 0, &r), AM_OK);
    ck_assert_uint_eq(r.line, 27);
    ck_assert_int_eq(r.reason, AM_REJECT_BAD_CHECK_DIGIT);
    ck_assert_int_eq(am_reject_get(ctx, 1, &r), AM_OK);
    ck_assert_uint_eq(r.line, 30);
    ck_assert_int_eq(r.reason, AM_REJECT_BAD_LENGTH);
    /* Every damaged row is in one of the summary's link counts: held ones
     * by status (and no_candidate), the unrepairable one in no_repair;
     * the one whose row failed anyway (line 27) in none. */
    const am_links *links = &ctx->linked;
    uint64_t held = 0;
    for (int st = 0; st < AM_LINK__COUNT; st++)
        held += links->count[st][AM_REJECT_BAD_CHECK_DIGIT];
    ck_assert_uint_eq(held + links->no_candidate[AM_REJECT_BAD_CHECK_DIGIT], 3);
    ck_assert_uint_eq(links->no_repair[AM_REJECT_BAD_LENGTH], 1);
    ck_assert_uint_eq(links->no_repair[AM_REJECT_BAD_CHECK_DIGIT], 0);
    /* The linked rows are person 26's and 27's own. */
    valid_id(26, id);
    ck_assert_msg(am_person_lookup(ctx, id, NULL) == AM_OK, "%s", am_errmsg(ctx));
    size_t paid = 0;
    for (size_t i = 0; i < am_person_record_count(ctx); i++) {
        am_record_info info;
        ck_assert_int_eq(am_person_record_get(ctx, i, &info), AM_OK);
        paid += strcmp(info.relation, "self") == 0 && info.line == 26;
    }
    ck_assert_uint_eq(paid, 1);
    am_ctx_free(ctx);
}
END_TEST

/* A row whose ID is written as the last row's reuses its token: every
 * row must still land with the person and area code of its own ID,
 * whatever came between. */
static void expect_own_rows(am_ctx *ctx, const char *id, const char *lines, const char *area)
{
    ck_assert_msg(am_person_lookup(ctx, id, NULL) == AM_OK, "%s", am_errmsg(ctx));
    char got[64] = "";
    for (size_t i = 0; i < am_person_record_count(ctx); i++) {
        am_record_info r;
        ck_assert_int_eq(am_person_record_get(ctx, i, &r), AM_OK);
        if (strcmp(r.relation, "self") != 0)
            continue;
        ck_assert_str_eq(r.area, area);
        snprintf(got + strlen(got), sizeof got - strlen(got), "%llu ", (unsigned long long)r.line);
    }
    ck_assert_str_eq(got, lines);
}

START_TEST(repeated_ids_keep_their_own_person)
{
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, payment_keys);
    const char csv[] = "id,hh,name,type,amount,from,to\n"
                       "11010519491231002X,H1,甲,urban,1.00,2025-01-01,2025-01-31\n"
                       "320281198001010017,H2,乙,urban,1.00,2025-01-01,2025-01-31\n"
                       "11010519491231002X,H1,甲,urban,1.00,2025-02-01,2025-02-28\n"
                       "11010519491231002X,H1,甲,urban,1.00,2025-03-01,2025-03-31\n"
                       "110105194912310021,H1,甲,urban,1.00,2025-04-01,2025-04-30\n"
                       "11010519491231002x,H1,甲,urban,1.00,2025-05-01,2025-05-31\n"
                       "320281198001010017,H2,乙,urban,1.00,2025-02-01,2025-02-28\n";
    ck_assert_msg(am_feed_ingest_buffer(feed, csv, sizeof csv - 1) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_uint_eq(am_reject_count(ctx), 1);
    ck_assert_msg(am_reconcile(ctx, NULL, NULL) == AM_OK, "%s", am_errmsg(ctx));
    expect_own_rows(ctx, "11010519491231002X", "2 4 5 7 ", "110105");
    expect_own_rows(ctx, "320281198001010017", "3 8 ", "320281");
    am_ctx_free(ctx);
}
END_TEST

/* A household repeated across the move of a batch into the store (every
 * 65536 rows) is still the same household on both sides of it. */
START_TEST(household_repeats_survive_a_batch_move)
{
    enum { ROWS = 65536 + 100 };
    static const char row[] = "11010519491231002X,H1,甲,urban,1.00,2025-01-01,2025-01-31\n";
    static const char header[] = "id,hh,name,type,amount,from,to\n";
    const size_t len = sizeof header - 1 + ROWS * (sizeof row - 1);
    char *csv = malloc(len + 1);
    ck_assert_ptr_nonnull(csv);
    char *p = csv;
    memcpy(p, header, sizeof header - 1);
    p += sizeof header - 1;
    for (int i = 0; i < ROWS; i++, p += sizeof row - 1)
        memcpy(p, row, sizeof row - 1);
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, payment_keys);
    ck_assert_msg(am_feed_ingest_buffer(feed, csv, len) == AM_OK, "%s", am_errmsg(ctx));
    free(csv);
    ck_assert_msg(am_reconcile(ctx, NULL, NULL) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_msg(am_person_lookup(ctx, "11010519491231002X", NULL) == AM_OK, "%s", am_errmsg(ctx));
    char first[33] = ""; /* a token: 32 hex digits */
    size_t own = 0;
    for (size_t i = 0; i < am_person_record_count(ctx); i++) {
        am_record_info r;
        ck_assert_int_eq(am_person_record_get(ctx, i, &r), AM_OK);
        if (strcmp(r.relation, "self") != 0)
            continue;
        if (!own++)
            snprintf(first, sizeof first, "%s", r.household);
        ck_assert_msg(strcmp(r.household, first) == 0, "line %llu: household %s, line 2's %s",
                      (unsigned long long)r.line, r.household, first);
    }
    ck_assert_uint_eq(own, ROWS);
    ck_assert_uint_eq(strlen(first), 32);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(empty_buffer_has_no_header)
{
    am_ctx *ctx = new_ctx();
    am_feed *feed = feed_with(ctx, payment_keys);
    ck_assert_int_eq(am_feed_ingest_buffer(feed, "", 0), AM_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(am_errmsg(ctx), "is empty"));
    am_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, payment_rows_land_in_one_place);
    tcase_add_test(tc, code_map_text_trimmed_as_cells);
    tcase_add_test(tc, dates_and_amounts_as_agencies_write_them);
    tcase_add_test(tc, amount_options_are_checked);
    tcase_add_test(tc, id_rejects_say_what_was_expected);
    tcase_add_test(tc, registry_values_and_open_periods);
    tcase_add_test(tc, tokenised_feeds_check_tokens);
    tcase_add_test(tc, encoding_and_nul_rows_are_rejected);
    tcase_add_test(tc, a_feed_is_ingested_once);
    tcase_add_test(tc, failed_feed_keeps_its_counts);
    tcase_add_test(tc, rejects_past_the_cap_are_counted_not_listed);
    tcase_add_test(tc, linked_rows_leave_the_capped_reject_list);
    tcase_add_test(tc, empty_buffer_has_no_header);
    tcase_add_test(tc, repeated_ids_keep_their_own_person);
    tcase_add_test(tc, household_repeats_survive_a_batch_move);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
