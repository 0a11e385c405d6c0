/* Known-answer tests for day numbers, date parsing, money in fen and
 * fixed-point decimal text. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/day.h"
#include "common/decimal.h"
#include "common/money.h"
#include "match/stake.h"
#include "check_run.h"

START_TEST(days_round_trip)
{
    static const struct {
        int y, m, d;
        int32_t day;
    } cases[] = {
        {1970, 1, 1, 0},      {1970, 1, 2, 1},      {1969, 12, 31, -1},  {2000, 2, 29, 11016},
        {2024, 2, 29, 19782}, {2025, 12, 31, 20453}, {1800, 1, 1, -62091}, {2100, 3, 1, 47541},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int ok, y, m, d;
        const int32_t day = am_day_from_ymd(cases[i].y, cases[i].m, cases[i].d, &ok);
        ck_assert_int_eq(ok, 1);
        ck_assert_int_eq(day, cases[i].day);
        am_day_to_ymd(day, &y, &m, &d);
        ck_assert_int_eq(y, cases[i].y);
        ck_assert_int_eq(m, cases[i].m);
        ck_assert_int_eq(d, cases[i].d);
    }
    ck_assert_int_eq(AM_DAY_EVER, -62091);
}
END_TEST

START_TEST(every_day_round_trips)
{
    for (int32_t day = -62091; day < 50000; day += 7) {
        int y, m, d, ok;
        am_day_to_ymd(day, &y, &m, &d);
        ck_assert_int_eq(am_day_from_ymd(y, m, d, &ok), day);
        ck_assert_int_eq(ok, 1);
    }
}
END_TEST

START_TEST(date_parsing)
{
    static const struct {
        const char *text;
        am_date_format fmt;
        int ok;
        const char *iso;
    } cases[] = {
        {"2025-01-31", AM_DATE_AUTO, 1, "2025-01-31"},
        {"20250131", AM_DATE_AUTO, 1, "2025-01-31"},
        {"2025/1/5", AM_DATE_AUTO, 1, "2025-01-05"},
        {"2025-1-5", AM_DATE_AUTO, 1, "2025-01-05"},
        {"2025.12.01", AM_DATE_AUTO, 1, "2025-12-01"},
        {"2024-02-29", AM_DATE_AUTO, 1, "2024-02-29"},
        {"2025-02-29", AM_DATE_AUTO, 0, NULL},
        {"2025-02-30", AM_DATE_AUTO, 0, NULL},
        {"20250230", AM_DATE_AUTO, 0, NULL},
        {"2025-13-01", AM_DATE_AUTO, 0, NULL},
        {"2025/1/5/", AM_DATE_AUTO, 0, NULL},
        {"2025-01/05", AM_DATE_AUTO, 0, NULL},
        {"25-01-05", AM_DATE_AUTO, 0, NULL},
        {"", AM_DATE_AUTO, 0, NULL},
        {"abc", AM_DATE_AUTO, 0, NULL},
        {"45658", AM_DATE_EXCEL, 1, "2025-01-01"},
        {"61", AM_DATE_EXCEL, 1, "1900-03-01"},
        {"60", AM_DATE_EXCEL, 0, NULL},
        {"2025-01-01", AM_DATE_EXCEL, 0, NULL},
        /* The year range's edges, and numbers at the INT32 and INT64 edges
         * in every place a date has a number: refused, never wrapped. */
        {"1800-01-01", AM_DATE_AUTO, 1, "1800-01-01"},
        {"1799-12-31", AM_DATE_AUTO, 0, NULL},
        {"2200-12-31", AM_DATE_AUTO, 1, "2200-12-31"},
        {"2201-01-01", AM_DATE_AUTO, 0, NULL},
        {"22001231", AM_DATE_AUTO, 1, "2200-12-31"},
        {"99991231", AM_DATE_AUTO, 0, NULL},
        {"00000101", AM_DATE_AUTO, 0, NULL},
        {"2147483647-01-01", AM_DATE_AUTO, 0, NULL},
        {"4294967297-01-01", AM_DATE_AUTO, 0, NULL},
        {"99999999999999999999-01-01", AM_DATE_AUTO, 0, NULL},
        {"2025-4294967297-01", AM_DATE_AUTO, 0, NULL},
        {"2025-01-2147483648", AM_DATE_AUTO, 0, NULL},
        {"2025-01-18446744073709551617", AM_DATE_AUTO, 0, NULL},
        {"-2025-01-01", AM_DATE_AUTO, 0, NULL},
        {"+2025-01-01", AM_DATE_AUTO, 0, NULL},
        {"0", AM_DATE_EXCEL, 0, NULL},
        {"-1", AM_DATE_EXCEL, 0, NULL},
        {"120000", AM_DATE_EXCEL, 1, "2228-07-18"},
        {"120001", AM_DATE_EXCEL, 0, NULL},
        {"2147483647", AM_DATE_EXCEL, 0, NULL},
        {"2147483648", AM_DATE_EXCEL, 0, NULL},
        {"4294967357", AM_DATE_EXCEL, 0, NULL}, /* 61 + 2^32 */
        {"9223372036854775807", AM_DATE_EXCEL, 0, NULL},
        {"9223372036854775808", AM_DATE_EXCEL, 0, NULL},
        {"18446744073709551677", AM_DATE_EXCEL, 0, NULL}, /* 61 + 2^64 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int32_t day = 0;
        const int ok = am_day_parse(cases[i].text, strlen(cases[i].text), cases[i].fmt, &day);
        ck_assert_msg(ok == cases[i].ok, "case %zu '%s'", i, cases[i].text);
        if (ok) {
            char iso[11];
            am_day_format(day, iso);
            ck_assert_str_eq(iso, cases[i].iso);
        }
    }
}
END_TEST

START_TEST(month_parsing)
{
    int32_t first, last;
    char a[11], b[11];
    ck_assert(am_month_parse("202402", 6, &first, &last));
    am_day_format(first, a);
    am_day_format(last, b);
    ck_assert_str_eq(a, "2024-02-01");
    ck_assert_str_eq(b, "2024-02-29");
    ck_assert(am_month_parse("2025-12", 7, &first, &last));
    am_day_format(last, b);
    ck_assert_str_eq(b, "2025-12-31");
    ck_assert(!am_month_parse("202513", 6, &first, &last));
    ck_assert(!am_month_parse("20251", 5, &first, &last));
    ck_assert(!am_month_parse("2025-1x", 7, &first, &last));
    /* INT32 and INT64 edges in the year and the month. */
    static const char *const edges[] = {"220101", "179912", "214748364701", "429496729701",
                                        "922337203685477580701", "2025-4294967297",
                                        "2025-18446744073709551617", "4294967297-01", "-20251"};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        ck_assert_msg(!am_month_parse(edges[i], strlen(edges[i]), &first, &last), "%s", edges[i]);
    ck_assert(am_month_parse("220012", 6, &first, &last));
    am_day_format(last, b);
    ck_assert_str_eq(b, "2200-12-31");
    char open[11];
    am_day_format(AM_DAY_OPEN, open);
    ck_assert_str_eq(open, "");
}
END_TEST

START_TEST(date_patterns)
{
    static const struct {
        const char *formats, *text;
        int ok;
        const char *first, *last;
    } cases[] = {
        {"%Y年%m月%d日", "2025年1月1日", 1, "2025-01-01", "2025-01-01"},
        {"%Y年%m月%d日", "2025年12月31日", 1, "2025-12-31", "2025-12-31"},
        {"%Y年%m月%d日", "2025年2月29日", 0, NULL, NULL},
        {"%Y年%m月%d日", "2025年1月1", 0, NULL, NULL},
        {"%Y年%m月%d日", "2025-01-01", 0, NULL, NULL},
        {"%Y-%m-%d %H:%M:%S", "2025-01-01 00:00:00", 1, "2025-01-01", "2025-01-01"},
        {"%Y-%m-%d %H:%M:%S", "2025-01-01 23:59:59", 1, "2025-01-01", "2025-01-01"},
        {"%Y-%m-%d %H:%M:%S", "2025-01-01 24:00:00", 0, NULL, NULL},
        {"%Y-%m-%d %H:%M:%S", "2025-01-01 12:60:00", 0, NULL, NULL},
        {"%Y-%m-%d %H:%M:%S", "2025-01-01", 0, NULL, NULL},
        {"%d/%m/%Y", "01/03/2025", 1, "2025-03-01", "2025-03-01"},
        {"%d/%m/%Y", "1/3/2025", 1, "2025-03-01", "2025-03-01"},
        {"%d/%m/%Y", "31/04/2025", 0, NULL, NULL},
        {"%d/%m/%Y", "01/03/25", 0, NULL, NULL},
        {"%Y%m", "202504", 1, "2025-04-01", "2025-04-30"},
        {"%Y%m", "202402", 1, "2024-02-01", "2024-02-29"},
        {"%Y%m", "202513", 0, NULL, NULL},
        {"%Y年%m月", "2025年4月", 1, "2025-04-01", "2025-04-30"},
        {"%Y年%m月", "2025年04月", 1, "2025-04-01", "2025-04-30"},
        {"%Y年%m月", "2025年4月1日", 0, NULL, NULL},
        {"100%% %Y-%m-%d", "100% 2025-01-02", 1, "2025-01-02", "2025-01-02"},
        /* a list: the first format that reads the text wins */
        {"%Y年%m月%d日 | %Y-%m-%d %H:%M:%S | auto", "2025-01-05 08:30:00", 1, "2025-01-05",
         "2025-01-05"},
        {"%Y年%m月%d日 | %Y-%m-%d %H:%M:%S | auto", "2025/1/5", 1, "2025-01-05", "2025-01-05"},
        {"%Y年%m月%d日 | %Y-%m-%d %H:%M:%S | auto", "2025年1月5日", 1, "2025-01-05",
         "2025-01-05"},
        {"%Y年%m月%d日 | %Y-%m-%d %H:%M:%S | auto", "5/1/2025", 0, NULL, NULL},
        {"excel | %Y年%m月", "45658", 1, "2025-01-01", "2025-01-01"},
        {"excel | %Y年%m月", "2025年1月", 1, "2025-01-01", "2025-01-31"},
        /* edges: the calendar's limits, digits past a field's width */
        {"%Y-%m-%d", "1800-01-01", 1, "1800-01-01", "1800-01-01"},
        {"%Y-%m-%d", "2200-12-31", 1, "2200-12-31", "2200-12-31"},
        {"%Y-%m-%d", "1799-12-31", 0, NULL, NULL},
        {"%Y-%m-%d", "2201-01-01", 0, NULL, NULL},
        {"%Y-%m-%d", "9223372036854775807-01-01", 0, NULL, NULL},
        {"%Y-%m-%d", "2025-001-01", 0, NULL, NULL},
        {"%Y-%m-%d", "2025-01-01x", 0, NULL, NULL},
        {"%Y-%m-%d", "", 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        am_date_formats f;
        char why[160] = "";
        ck_assert_msg(am_date_formats_parse(cases[i].formats, &f, why, sizeof why), "case %zu: %s",
                      i, why);
        int32_t first = 0, last = 0;
        const int ok =
            am_day_parse_formats(&f, cases[i].text, strlen(cases[i].text), &first, &last);
        ck_assert_msg(ok == cases[i].ok, "case %zu '%s'", i, cases[i].text);
        if (ok) {
            char a[11], b[11];
            am_day_format(first, a);
            am_day_format(last, b);
            ck_assert_str_eq(a, cases[i].first);
            ck_assert_str_eq(b, cases[i].last);
        }
    }
}
END_TEST

START_TEST(date_format_mistakes)
{
    static const struct {
        const char *formats, *why;
    } cases[] = {
        {"yyyy-mm-dd", "'yyyy-mm-dd': auto, excel, or a pattern such as %Y-%m-%d or %Y年%m月%d日"},
        {"%Y-%m-%e", "'%Y-%m-%e': %e is not a conversion (use %Y %m %d %H %M %S)"},
        {"%Y-%d", "'%Y-%d': a pattern needs at least %Y and %m"},
        {"%Y-%m-%d-%d", "'%Y-%m-%d-%d': %d twice"},
        {"%Y-%m-%d |", "an empty format (formats are separated by '|')"},
        {"", "an empty format (formats are separated by '|')"},
        {"auto|auto|auto|auto|auto|auto|auto|auto|auto", "at most 8 formats"},
        {"%Y-%m-%d..............................................................",
         "a format of at most 63 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        am_date_formats f;
        char why[160] = "";
        ck_assert_msg(!am_date_formats_parse(cases[i].formats, &f, why, sizeof why), "case %zu",
                      i);
        ck_assert_str_eq(why, cases[i].why);
    }
}
END_TEST

START_TEST(money_parsing)
{
    static const struct {
        const char *text;
        am_money_status status;
        int64_t fen;
    } cases[] = {
        {"0", AM_MONEY_OK, 0},
        {"12", AM_MONEY_OK, 1200},
        {"12.5", AM_MONEY_OK, 1250},
        {"12.05", AM_MONEY_OK, 1205},
        {".5", AM_MONEY_OK, 50},
        {"12.", AM_MONEY_OK, 1200},
        {"1,234.50", AM_MONEY_OK, 123450},
        {"+3", AM_MONEY_OK, 300},
        {"\xC2\xA5" "88", AM_MONEY_OK, 8800},
        {"\xEF\xBF\xA5" "1.01", AM_MONEY_OK, 101},
        {"-0", AM_MONEY_OK, 0},
        {"-1.00", AM_MONEY_NEGATIVE, 0},
        {"12.345", AM_MONEY_BAD, 0},
        {"1e3", AM_MONEY_BAD, 0},
        {"", AM_MONEY_BAD, 0},
        {".", AM_MONEY_BAD, 0},
        {",1", AM_MONEY_BAD, 0},
        {"1,2,3", AM_MONEY_BAD, 0},
        {"1234,567", AM_MONEY_BAD, 0},
        {"1,23", AM_MONEY_BAD, 0},
        {"12,345,678.9", AM_MONEY_OK, 1234567890},
        {"12 3", AM_MONEY_BAD, 0},
        {"99999999999999999999", AM_MONEY_OVERFLOW, 0},
        /* INT64 edges: the largest amount held, and one fen above INT64_MAX,
         * which must not wrap to INT64_MIN (signed overflow). */
        {"92233720368547757.99", AM_MONEY_OK, 9223372036854775799},
        {"92,233,720,368,547,757.99", AM_MONEY_OK, 9223372036854775799},
        {"92233720368547758", AM_MONEY_OVERFLOW, 0},
        {"92233720368547758.07", AM_MONEY_OVERFLOW, 0},
        {"92233720368547758.08", AM_MONEY_OVERFLOW, 0},
        {"92233720368547759", AM_MONEY_OVERFLOW, 0},
        {"-92233720368547758.08", AM_MONEY_OVERFLOW, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t fen = -7;
        const am_money_status st = am_money_parse(cases[i].text, strlen(cases[i].text), &fen);
        ck_assert_msg(st == cases[i].status, "case %zu '%s': status %d", i, cases[i].text, st);
        if (st == AM_MONEY_OK)
            ck_assert_int_eq(fen, cases[i].fen);
    }
}
END_TEST

START_TEST(money_formatting_and_prorating)
{
    char out[32];
    ck_assert_int_eq(am_money_format(0, out), 4);
    ck_assert_str_eq(out, "0.00");
    am_money_format(5, out);
    ck_assert_str_eq(out, "0.05");
    am_money_format(123456, out);
    ck_assert_str_eq(out, "1234.56");
    am_money_format(-1230, out);
    ck_assert_str_eq(out, "-12.30");
    am_money_format(INT64_MIN, out);
    ck_assert_str_eq(out, "-92233720368547758.08");
    /* 1,100 yuan for 31 days, 10 of them at issue: 354.838... -> 354.84 */
    ck_assert_int_eq(am_money_prorate(110000, 10, 31), 35484);
    ck_assert_int_eq(am_money_prorate(100, 1, 2), 50);
    ck_assert_int_eq(am_money_prorate(1, 1, 2), 1); /* half rounds away from zero */
    ck_assert_int_eq(am_money_prorate(-1, 1, 2), -1);
    ck_assert_int_eq(am_money_prorate(INT64_MAX / 2, 365, 365), INT64_MAX / 2);
    ck_assert_int_eq(am_money_prorate(INT64_MAX, 1, 1), INT64_MAX);
    ck_assert_int_eq(am_money_prorate(INT64_MAX, 1, 2), INT64_MAX / 2 + 1);
}
END_TEST

static const struct {
    uint64_t v;
    unsigned decimals;
    const char *text;
} decimal_kats[] = {
    {0, 0, "0"},
    {7, 0, "7"},
    {4294967295u, 0, "4294967295"},
    {UINT64_MAX, 0, "18446744073709551615"},
    {0, 3, "0.000"},
    {5, 3, "0.005"},
    {50, 3, "0.050"},
    {1000, 3, "1.000"},
    {65535, 3, "65.535"},
    {5, 19, "0.0000000000000000005"},
    {UINT64_MAX, 19, "1.8446744073709551615"},
    {UINT64_MAX, 2, "184467440737095516.15"},
};

START_TEST(decimal_text_kat)
{
    char out[AM_DECIMAL_TEXT_MAX + 8];
    memset(out, '#', sizeof out);
    const size_t len = am_decimal_text(decimal_kats[_i].v, decimal_kats[_i].decimals, out);
    ck_assert_str_eq(out, decimal_kats[_i].text);
    ck_assert_uint_eq(len, strlen(decimal_kats[_i].text));
    ck_assert_uint_lt(len, AM_DECIMAL_TEXT_MAX);
    ck_assert_int_eq(out[AM_DECIMAL_TEXT_MAX], '#'); /* nothing past the bound */
}
END_TEST

/* Totals saturate at the INT64 edges instead of wrapping. */
START_TEST(money_sums_saturate)
{
    ck_assert_int_eq(am_money_add(1, 2), 3);
    ck_assert_int_eq(am_money_add(INT64_MAX - 1, 1), INT64_MAX);
    ck_assert_int_eq(am_money_add(INT64_MAX, 1), INT64_MAX);
    ck_assert_int_eq(am_money_add(INT64_MAX, INT64_MAX), INT64_MAX);
    ck_assert_int_eq(am_money_add(INT64_MIN, -1), INT64_MIN);
    ck_assert_int_eq(am_money_add(INT64_MAX, INT64_MIN), -1);
    /* Three payments of the largest amount held, over the same month: the
     * two duplicated ones are at stake, and their sum does not fit. */
    am_record r[3];
    memset(r, 0, sizeof r);
    am_piece p[3];
    for (int i = 0; i < 3; i++) {
        r[i].amount_fen = 9223372036854775799;
        r[i].start = 100;
        r[i].end = 129;
        p[i] = (am_piece){100, 129, &r[i]};
    }
    am_stake s = {0, 0, INT32_MAX, INT32_MIN};
    ck_assert(am_stake_add(p, 3, &s));
    ck_assert_int_eq(s.amount_fen, INT64_MAX);
    ck_assert_int_eq(s.days, 30);
    am_stake two = {0, 0, INT32_MAX, INT32_MIN};
    ck_assert(am_stake_add(p, 2, &two));
    ck_assert_int_eq(two.amount_fen, 9223372036854775799);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("day_money");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, days_round_trip);
    tcase_add_test(tc, every_day_round_trips);
    tcase_add_test(tc, date_parsing);
    tcase_add_test(tc, month_parsing);
    tcase_add_test(tc, date_patterns);
    tcase_add_test(tc, date_format_mistakes);
    tcase_add_test(tc, money_parsing);
    tcase_add_test(tc, money_formatting_and_prorating);
    tcase_add_loop_test(tc, decimal_text_kat, 0, (int)(sizeof decimal_kats / sizeof *decimal_kats));
    tcase_add_test(tc, money_sums_saturate);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
