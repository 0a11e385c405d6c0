/* Tests for loading and validating the catalogue. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "read/catalogue.h"
#include "check_run.h"

static char dir[] = "/tmp/am_cat_XXXXXX";

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(dir)); }

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(dir, "/tmp/am_cat_XXXXXX");
}

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static const char agencies[] = "code,name_zh,name_en\nMCA,民政局,Civil Affairs\nDPF,残联,DPF\n";
static const char items[] =
    "code,name_zh,name_en,agency,unit,periodicity,duplicate_window_days\n"
    "DIBAO_URBAN,城市低保,Urban dibao,MCA,household,periodic,\n"
    "FESTIVAL,节日慰问,Festival grant,MCA,household,one-off,300\n"
    "TEMP_EMERG,临时救助,Temporary aid,MCA,household,one-off,none\n";
static const char facts[] = "code,name_zh,name_en,value_min,value_max\n"
                            "DEATH,死亡,Death,,\nDISABILITY,残疾,Disability,1,4\n";

START_TEST(shipped_catalogue_loads)
{
    am_catalogue cat = {0};
    am_err err = {{0}};
    char path[1024];
    snprintf(path, sizeof path, "%s/data/catalogue", getenv("AM_SOURCE_ROOT"));
    ck_assert_msg(am_catalogue_load(&cat, path, &err) == AM_OK, "%s", err.msg);
    ck_assert_uint_ge(cat.nitems, 40);
    ck_assert_uint_ge(cat.nagencies, 20);
    const int dibao = am_catalogue_item(&cat, "DIBAO_URBAN", 11);
    ck_assert_int_ge(dibao, 0);
    ck_assert_int_eq(cat.items[dibao].unit, AM_UNIT_HOUSEHOLD);
    ck_assert_int_eq(cat.items[dibao].periodic, 1);
    const int disability = am_catalogue_fact(&cat, "DISABILITY", 10);
    ck_assert_int_ge(disability, 0);
    ck_assert_int_eq(cat.facts[disability].value_max, 4);
    ck_assert_str_eq(am_code_name(&cat, am_code_of_fact(&cat, (unsigned)disability)), "DISABILITY");
    am_catalogue_free(&cat);
}
END_TEST

START_TEST(small_catalogue_values)
{
    put("agencies.csv", agencies);
    put("items.csv", items);
    put("facts.csv", facts);
    am_catalogue cat = {0};
    am_err err;
    ck_assert_int_eq(am_catalogue_load(&cat, dir, &err), AM_OK);
    ck_assert_uint_eq(cat.nitems, 3);
    ck_assert_int_eq(cat.items[1].duplicate_window_days, 300);
    ck_assert_int_eq(cat.items[2].duplicate_window_days, 0);
    ck_assert_int_eq(cat.items[1].periodic, 0);
    ck_assert_int_eq(am_catalogue_item(&cat, "FESTIVA", 7), -1);
    ck_assert_int_eq(am_catalogue_agency(&cat, "DPF", 3), 1);
    am_catalogue_free(&cat);
}
END_TEST

START_TEST(errors_name_file_and_line)
{
    static const struct {
        const char *file, *text, *message;
    } cases[] = {
        {"items.csv", "code,name_zh,name_en,agency,unit,periodicity,duplicate_window_days\n"
                      "A,a,a,MCA,person,periodic,\nB,b,b,XYZ,person,periodic,\n",
         "items.csv:3: unknown agency 'XYZ'"},
        {"items.csv", "code,name_zh,name_en,agency,unit,periodicity,duplicate_window_days\n"
                      "A,a,a,MCA,person,periodic,\nA,b,b,MCA,person,periodic,\n",
         "items.csv:3: duplicate code 'A'"},
        {"items.csv", "code,name_zh,name_en,agency,unit,periodicity,duplicate_window_days\n"
                      "A,a,a,MCA,family,periodic,\n",
         "items.csv:2: unit 'family' must be person or household"},
        {"items.csv", "code,name_zh,name_en,agency,unit,periodicity,duplicate_window_days\n"
                      "A,a,a,MCA,person,weekly,\n",
         "items.csv:2: periodicity 'weekly'"},
        {"items.csv", "code,name_zh,name_en,agency,unit,periodicity,duplicate_window_days\n"
                      "A,a,a,MCA,person,one-off,soon\n",
         "items.csv:2: duplicate_window_days 'soon'"},
        {"items.csv", "code,name_zh,name_en,agency,unit,periodicity,duplicate_window_days\n"
                      "a-b,a,a,MCA,person,periodic,\n",
         "items.csv:2: code 'a-b' must use only A-Z, 0-9 and _"},
        {"items.csv", "code,name_zh,name_en,unit,periodicity\n", "items.csv:1: missing column 'agency'"},
        {"agencies.csv", "code,name_zh,name_en\nMCA,a,a\nMCA,b,b\n",
         "agencies.csv:3: duplicate agency code 'MCA'"},
        {"facts.csv", "code,name_zh,name_en,value_min,value_max\nDEATH,a,a,4,1\n",
         "facts.csv:2: value_min and value_max"},
        {"facts.csv", "code,name_zh,name_en,value_min,value_max\nMCA,a,a,,\n",
         "facts.csv:2: duplicate code 'MCA'"},
        {"facts.csv", "", "facts.csv:1: empty file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        put("agencies.csv", agencies);
        put("items.csv", items);
        put("facts.csv", facts);
        put(cases[i].file, cases[i].text);
        am_catalogue cat = {0};
        am_err err = {{0}};
        ck_assert_int_ne(am_catalogue_load(&cat, dir, &err), AM_OK);
        ck_assert_msg(strstr(err.msg, cases[i].message) != NULL, "case %zu: got '%s'", i, err.msg);
        ck_assert_uint_eq(cat.nitems, 0);
    }
}
END_TEST

START_TEST(area_names_are_optional_and_checked)
{
    put("agencies.csv", agencies);
    put("items.csv", items);
    put("facts.csv", facts);
    am_catalogue cat = {0};
    am_err err = {{0}};
    /* Without areas.csv the catalogue loads, and no code has a name. */
    ck_assert_int_eq(am_catalogue_load(&cat, dir, &err), AM_OK);
    ck_assert_uint_eq(cat.nareas, 0);
    ck_assert_ptr_null(am_catalogue_area(&cat, 320281));
    am_catalogue_free(&cat);
    /* Out of order, a historic code, extra columns in another order. */
    put("areas.csv", "status,name,code,city,note\n"
                     "current,宜兴市,320282,无锡市,x\n"
                     "\"historic (became 江阴市 320281 in 1987)\",江阴县,320221,无锡市,\n"
                     "current,江阴市,320281,无锡市,\n"
                     "province,江苏省,320000,,\n");
    ck_assert_msg(am_catalogue_load(&cat, dir, &err) == AM_OK, "%s", err.msg);
    ck_assert_uint_eq(cat.nareas, 4);
    static const struct {
        uint32_t code;
        const char *name, *city, *status;
    } known[] = {{320281, "江阴市", "无锡市", "current"},
                 {320221, "江阴县", "无锡市", "historic (became 江阴市 320281 in 1987)"},
                 {320282, "宜兴市", "无锡市", "current"},
                 {320000, "江苏省", "", "province"}};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        const am_area_name *a = am_catalogue_area(&cat, known[i].code);
        ck_assert_msg(a != NULL, "%u", (unsigned)known[i].code);
        ck_assert_str_eq(a->name, known[i].name);
        ck_assert_str_eq(a->city, known[i].city);
        ck_assert_str_eq(a->status, known[i].status);
    }
    ck_assert_ptr_null(am_catalogue_area(&cat, 320283));
    ck_assert_ptr_null(am_catalogue_area(&cat, 0));
    ck_assert_ptr_null(am_catalogue_area(&cat, UINT32_MAX));
    am_catalogue_free(&cat);
    /* The shipped list: Jiangsu's codes, historic ones included. */
    char path[1024];
    snprintf(path, sizeof path, "%s/data/catalogue", getenv("AM_SOURCE_ROOT"));
    ck_assert_msg(am_catalogue_load(&cat, path, &err) == AM_OK, "%s", err.msg);
    ck_assert_uint_ge(cat.nareas, 100);
    ck_assert_str_eq(am_catalogue_area(&cat, 320281)->name, "江阴市");
    ck_assert_str_eq(am_catalogue_area(&cat, 320223)->name, "宜兴县");
    am_catalogue_free(&cat);

    static const struct {
        const char *text, *message;
    } bad[] = {
        {"code,name\n32028,江阴市\n", "areas.csv:2: area code '32028' must be six digits"},
        {"code,name\n3202811,江阴市\n", "areas.csv:2: area code '3202811' must be six digits"},
        {"code,name\n32O281,江阴市\n", "areas.csv:2: area code '32O281' must be six digits"},
        {"code,name\n320281,\n", "areas.csv:2: area 320281 has no name"},
        {"code,city\n320281,无锡市\n", "areas.csv:1: missing column 'name'"},
        {"code,name\n320281,江阴市\n320282,宜兴市\n320281,江阴\n",
         "areas.csv: area code 320281 is listed twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        put("areas.csv", bad[i].text);
        ck_assert_int_eq(am_catalogue_load(&cat, dir, &err), AM_ERR_FORMAT);
        ck_assert_msg(strstr(err.msg, bad[i].message) != NULL, "case %zu: got '%s'", i, err.msg);
        ck_assert_uint_eq(cat.nareas, 0);
        ck_assert_uint_eq(cat.nitems, 0);
    }
}
END_TEST

START_TEST(missing_file_is_io_error)
{
    put("agencies.csv", agencies);
    put("items.csv", items);
    am_catalogue cat = {0};
    am_err err = {{0}};
    ck_assert_int_eq(am_catalogue_load(&cat, dir, &err), AM_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "facts.csv"));
}
END_TEST

/* A table is bounded by the codes the catalogue can hold: a file named by
 * mistake (a feed, a bomb) is refused before it is kept whole. */
START_TEST(tables_are_bounded)
{
    put("items.csv", items);
    put("facts.csv", facts);
    char path[256];
    snprintf(path, sizeof path, "%s/agencies.csv", dir);
    for (unsigned rows = AM_CATALOGUE_MAX_ROWS; rows <= AM_CATALOGUE_MAX_ROWS + 1; rows++) {
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("code,name_zh,name_en\nMCA,民政局,MCA\n", f);
        for (unsigned i = 1; i < rows; i++)
            fprintf(f, "A%u,a,a\n", i);
        fclose(f);
        am_catalogue cat = {0};
        am_err err = {{0}};
        const am_status st = am_catalogue_load(&cat, dir, &err);
        if (rows == AM_CATALOGUE_MAX_ROWS) {
            ck_assert_msg(st == AM_OK, "%s", err.msg);
            ck_assert_uint_eq(cat.nagencies, AM_CATALOGUE_MAX_ROWS);
            am_catalogue_free(&cat);
        } else {
            ck_assert_int_eq(st, AM_ERR_LIMIT);
            char want[512];
            snprintf(want, sizeof want, "%s:65537: more than 65535 rows after the header; "
                     "a catalogue table holds no more", path);
            ck_assert_str_eq(err.msg, want);
            ck_assert_uint_eq(cat.nagencies, 0);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("catalogue");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, shipped_catalogue_loads);
    tcase_add_test(tc, small_catalogue_values);
    tcase_add_test(tc, errors_name_file_and_line);
    tcase_add_test(tc, area_names_are_optional_and_checked);
    tcase_add_test(tc, missing_file_is_io_error);
    tcase_add_test(tc, tables_are_bounded);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
