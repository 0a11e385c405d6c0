/* Tests for centre files and feed specs: what loads, and the message each
 * mistake produces. */
#include <aidmatch.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "check_run.h"

static char dir[] = "/tmp/am_centre_XXXXXX";

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/test.key", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("000102030405060708090a0b0c0d0e0f\n", f);
    fclose(f);
    ck_assert_int_eq(chmod(path, 0600), 0);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    strcpy(dir, "/tmp/am_centre_XXXXXX");
}

/* A centre file text with the catalogue and key lines filled in. */
static const char *centre(const char *rest)
{
    static char text[4096];
    snprintf(text, sizeof text, "[centre]\nname = test\ncatalogue = %s/data/catalogue\nkey = test.key\n%s",
             getenv("AM_SOURCE_ROOT"), rest);
    return text;
}

static am_status load(am_ctx **ctx, const char *text)
{
    ck_assert_int_eq(am_ctx_new(ctx), AM_OK);
    return am_load_centre_mem(*ctx, text, strlen(text), "test.ini", dir);
}

/* am_check_centre keeps going past a refused line, and a data directory
 * supplies the catalogue and rules a centre file does not name. */
START_TEST(check_reports_every_mistake_and_data_dir_fills_in)
{
    char path[512], data[512];
    snprintf(path, sizeof path, "%s/centre.ini", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "[centre]\nkey = test.key\n[feed a]\nagency = MCAA\nfile = a.csv\n"
               "[feed b]\nagency = MCA\npersn_id = id\n");
    fclose(f);
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    snprintf(data, sizeof data, "%s/data", getenv("AM_SOURCE_ROOT"));
    ck_assert_int_eq(am_set_data_dir(ctx, data), AM_OK);
    ck_assert_int_eq(am_check_centre(ctx, path, 0), AM_OK);
    ck_assert_uint_eq(am_diagnostic_count(ctx), 4);
    char wanted[4][1024];
    snprintf(wanted[0], sizeof wanted[0], "%s:4: feed a: agency: expected an agency code from "
             "agencies.csv; did you mean MCA?", path);
    snprintf(wanted[1], sizeof wanted[1], "%s:5: feed a: %s/a.csv: No such file or directory",
             path, dir);
    snprintf(wanted[2], sizeof wanted[2], "%s:8: feed b: unknown key 'persn_id'; did you mean "
             "person_id?", path);
    snprintf(wanted[3], sizeof wanted[3], "%s:6: feed b has no file; expected file = the "
             "export's path (relative to the centre file)", path);
    for (size_t i = 0; i < 4; i++) {
        am_diagnostic d;
        ck_assert_int_eq(am_diagnostic_get(ctx, i, &d), AM_OK);
        ck_assert_int_eq(d.severity, AM_SEVERITY_ERROR);
        ck_assert_str_eq(d.message, wanted[i]);
    }
    am_diagnostic d;
    ck_assert_int_eq(am_diagnostic_get(ctx, 4, &d), AM_ERR_INVALID);
    /* the default rules were loaded: no "no rules loaded" warning above */
    ck_assert_int_eq(am_load_centre(ctx, path), AM_ERR_FORMAT);
    am_ctx_free(ctx);
}
END_TEST

/* From memory (a centre file on stdin), the same problems, named by the
 * name given, relative paths taken from base_dir; the text need not end
 * in a NUL, and what lies past len is not read. */
START_TEST(check_from_memory_names_the_text_and_its_base)
{
    static const char text[] = "[centre]\nkey = test.key\n[feed a]\nagency = MCAA\n"
                               "file = a.csv\n[feed b]\nagency = MCA\npersn_id = id\n"
                               "[feed c]\nthis line lies past len";
    const size_t len = strlen(text) - strlen("[feed c]\nthis line lies past len");
    char data[512], wanted[4][1024];
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    snprintf(data, sizeof data, "%s/data", getenv("AM_SOURCE_ROOT"));
    ck_assert_int_eq(am_set_data_dir(ctx, data), AM_OK);
    ck_assert_int_eq(am_check_centre_mem(ctx, text, len, "<stdin>", dir, 0), AM_OK);
    ck_assert_uint_eq(am_diagnostic_count(ctx), 4);
    snprintf(wanted[0], sizeof wanted[0], "<stdin>:4: feed a: agency: expected an agency code "
             "from agencies.csv; did you mean MCA?");
    snprintf(wanted[1], sizeof wanted[1], "<stdin>:5: feed a: %s/a.csv: No such file or "
             "directory", dir);
    snprintf(wanted[2], sizeof wanted[2], "<stdin>:8: feed b: unknown key 'persn_id'; did you "
             "mean person_id?");
    snprintf(wanted[3], sizeof wanted[3], "<stdin>:6: feed b has no file; expected file = the "
             "export's path (relative to the centre file)");
    for (size_t i = 0; i < 4; i++) {
        am_diagnostic d;
        ck_assert_int_eq(am_diagnostic_get(ctx, i, &d), AM_OK);
        ck_assert_str_eq(d.message, wanted[i]);
    }
    ck_assert_int_eq(am_check_centre_mem(ctx, NULL, 1, "<stdin>", NULL, 0), AM_ERR_INVALID);
    ck_assert_int_eq(am_check_centre_mem(ctx, text, len, NULL, NULL, 0), AM_ERR_INVALID);
    /* an empty text is checked, not refused: it names no catalogue */
    ck_assert_int_eq(am_check_centre_mem(ctx, "", 0, "<stdin>", NULL, 0), AM_OK);
    ck_assert_uint_ge(am_diagnostic_count(ctx), 1);
    am_ctx_free(ctx);
}
END_TEST

START_TEST(good_centre_declares_feeds)
{
    am_ctx *ctx;
    const char *text = centre("death_lag_days = 45\n"
                              "\n; a comment\n# another\n"
                              "[feed mca]\nagency = MCA\nitem_column = 类型\n"
                              "item_map = 城市低保:DIBAO_URBAN\n"
                              "    | 农村低保:DIBAO_RURAL ; 农村\n"
                              "person_id = 身份证号\namount = 金额\nmonth = 月份\n"
                              "[feed psb_death]\nkind = registry\nagency = PSB\nfact = DEATH\n"
                              "person_id = id\ndate = 死亡日期\n");
    ck_assert_msg(load(&ctx, text) == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_uint_eq(am_feed_count(ctx), 2);
    ck_assert_int_eq(strlen(am_key_fingerprint(ctx)), 16);
    am_feed_stats s;
    ck_assert_int_eq(am_feed_stats_get(ctx, 1, &s), AM_OK);
    ck_assert_str_eq(s.name, "psb_death");
    ck_assert_str_eq(s.agency, "PSB");
    /* Both map entries resolve: a row of either value ingests. */
    const char csv[] = "身份证号,类型,金额,月份\n"
                       "11010519491231002X,城市低保,100,202501\n"
                       "11010519491231002X,农村低保,100,202502\n"
                       "11010519491231002X,五保,100,202503\n";
    ck_assert_msg(am_feed_ingest_buffer(am_feed_find(ctx, "mca"), csv, sizeof csv - 1) == AM_OK,
                  "%s", am_errmsg(ctx));
    ck_assert_int_eq(am_feed_stats_get(ctx, 0, &s), AM_OK);
    ck_assert_uint_eq(s.rows_read, 3);
    ck_assert_uint_eq(s.rows_ingested, 2);
    ck_assert_uint_eq(am_feed_rejected(ctx, 0, AM_REJECT_UNKNOWN_ITEM), 1);
    am_ctx_free(ctx);
}
END_TEST

/* A feed name of 44 bytes, the most the docs allow, loads whole. */
START_TEST(feed_name_of_44_bytes_loads)
{
    am_ctx *ctx;
    const am_status st =
        load(&ctx, centre("[feed abcdefghijabcdefghijabcdefghijabcdefghij1234]\nagency = MCA\n"));
    ck_assert_msg(st == AM_OK, "%s", am_errmsg(ctx));
    ck_assert_ptr_nonnull(am_feed_find(ctx, "abcdefghijabcdefghijabcdefghijabcdefghij1234"));
    am_ctx_free(ctx);
}
END_TEST

START_TEST(mistakes_give_file_line_and_expectation)
{
    static const struct {
        const char *rest;
        am_status status;
        const char *message;
    } cases[] = {
        {"colour = red\n", AM_ERR_FORMAT, "test.ini:5: unknown key 'colour' in [centre]"},
        {"[feeds x]\na = b\n", AM_ERR_FORMAT, "test.ini:6: unknown section"},
        {"[feed x]\nagency = NOPE\n", AM_ERR_FORMAT, "test.ini:6: feed x: agency: expected an agency code"},
        {"[feed x]\nkind = sometimes\n", AM_ERR_FORMAT, "test.ini:6: feed x: kind: expected payments or registry"},
        {"[feed x]\nwhat = ever\n", AM_ERR_FORMAT, "test.ini:6: feed x: unknown key 'what'"},
        {"[feed x:y]\nagency = MCA\n", AM_ERR_FORMAT,
         "test.ini:5: feed name 'x:y': a feed name uses only"},
        {"[feed x]\nagency = MCA\nagency = DPF\n", AM_ERR_FORMAT, "test.ini:7: key 'agency' given twice in [feed x]"},
        {"[feed x]\nagency = MCA\nkind = payments\nagency = DPF\n", AM_ERR_FORMAT,
         "test.ini:8: key 'agency' given twice in [feed x]"},
        {"[feed x]\nagency = MCA\n[feed y]\nagency = MCA\n[feed x]\nagency = DPF\n",
         AM_ERR_FORMAT, "test.ini:10: key 'agency' given twice in [feed x]"},
        /* A feed name of 45 bytes; 44 load (below). */
        {"[feed abcdefghijabcdefghijabcdefghijabcdefghij12345]\nagency = MCA\n", AM_ERR_FORMAT,
         "test.ini:5: feed name longer than 44 bytes"},
        {"[centre_abcdefghijabcdefghijabcdefghijabcdefghij123]\na = b\n", AM_ERR_FORMAT,
         "test.ini:5: section name longer than 49 bytes"},
        {"[feed x]\nagency = MCA\n  more\n", AM_ERR_FORMAT, "test.ini:7: only item_map and fact_map"},
        {"death_lag_days = 3\n  4\n", AM_ERR_FORMAT, "test.ini:6: only item_map and fact_map"},
        {"[feed x\nagency = MCA\n", AM_ERR_FORMAT,
         "test.ini:5: expected ']' to close the section's name"},
        {"[feed x]\nagency = MCA\n[feed x]\n  agency = DPF\n", AM_ERR_FORMAT,
         "test.ini:8: key 'agency' given twice in [feed x]"},
        {"death_lag_days = -3\n", AM_ERR_FORMAT, "test.ini:5: death_lag_days"},
        {"[feed x]\nencoding = ebcdic\n", AM_ERR_FORMAT, "encoding: expected auto, utf-8"},
        {"[feed x]\nmax_amount = -5\n", AM_ERR_FORMAT, "max_amount: expected a positive amount"},
        {"[feed x]\ndelimiter = ab\n", AM_ERR_FORMAT, "delimiter: expected one character"},
        {"[feed x]\nmax_rejects = many\n", AM_ERR_FORMAT,
         "test.ini:6: feed x: max_rejects: expected a row count from 0 to 4294967295"},
        {"[feed x]\nmax_gzip_ratio = 1\n", AM_ERR_FORMAT,
         "test.ini:6: feed x: max_gzip_ratio: expected a ratio from 2 to 100000"},
        {"[feed x]\nmax_rows = 4294967295\n", AM_ERR_FORMAT,
         "test.ini:6: feed x: max_rows: expected a row count from 1 to 4294967294"},
        {"link_threshold = 0.5\n", AM_ERR_FORMAT,
         "test.ini:5: link_threshold: expected a probability above 0.5 and at most 1, at most "
         "three decimals, such as 0.99"},
        {"link_threshold = 1.001\n", AM_ERR_FORMAT, "test.ini:5: link_threshold: expected"},
        {"link_threshold = 0.9999\n", AM_ERR_FORMAT, "test.ini:5: link_threshold: expected"},
        {"link_threshold = 99%\n", AM_ERR_FORMAT, "test.ini:5: link_threshold: expected"},
        {"review_threshold = -0.1\n", AM_ERR_FORMAT,
         "test.ini:5: review_threshold: expected a probability from 0 to 1, at most three "
         "decimals, such as 0.3"},
        {"review_threshold = 0.95\nlink_threshold = 0.9\n", AM_ERR_FORMAT,
         "test.ini:5: review_threshold: expected at most link_threshold (0.900)"},
        {"review_threshold = 0.995\n", AM_ERR_FORMAT,
         "test.ini:5: review_threshold: expected at most link_threshold (0.990)"},
        {"this is not ini\n", AM_ERR_FORMAT, "test.ini:5: expected [section]"},
        {"name = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
         AM_ERR_FORMAT, "test.ini:5: line longer than 197 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        am_ctx *ctx;
        const am_status st = load(&ctx, centre(cases[i].rest));
        ck_assert_msg(st == cases[i].status, "case %zu: status %d: %s", i, st, am_errmsg(ctx));
        ck_assert_msg(strstr(am_errmsg(ctx), cases[i].message) != NULL, "case %zu: got '%s'", i,
                      am_errmsg(ctx));
        am_ctx_free(ctx);
    }
}
END_TEST

/* Every number the centre file holds, at the INT64 and UINT64 edges and
 * either side of its range: accepted exactly when it is digits only and in
 * range, otherwise refused with the key's expectation, word for word. */
START_TEST(numbers_at_their_edges)
{
    static const struct {
        const char *text;
        uint64_t value;
        int number; /* 1: digits only, and value is what they say */
    } values[] = {
        {"0", 0, 1},
        {"1", 1, 1},
        {"2", 2, 1},
        {"15", 15, 1},
        {"16", 16, 1},
        {"3650", 3650, 1},
        {"3651", 3651, 1},
        {"100000", 100000, 1},
        {"100001", 100001, 1},
        {"1073741824", 1073741824, 1},
        {"1073741825", 1073741825, 1},
        {"2147483647", 2147483647, 1},
        {"2147483648", 2147483648u, 1},
        {"4294967294", 4294967294u, 1},
        {"4294967295", 4294967295u, 1},
        {"4294967296", 4294967296u, 1},
        {"9223372036854775807", 9223372036854775807u, 1},
        {"9223372036854775808", 9223372036854775808u, 1},
        {"18446744073709551615", 18446744073709551615u, 0}, /* refused: past the parser's room */
        {"18446744073709551616", 0, 0},
        {"99999999999999999999999", 0, 0},
        {"0000000000000000000000000001", 1, 1},
        {"-1", 0, 0},
        {"-0", 0, 0},
        {"-9223372036854775808", 0, 0},
        {"+1", 0, 0},
        {"1 2", 0, 0},
        {"0x10", 0, 0},
        {"1e3", 0, 0},
        {"1.0", 0, 0},
        {"１", 0, 0}, /* a full-width digit */
    };
    static const struct {
        const char *key;
        uint64_t lo, hi;
        const char *expected; /* after "test.ini:LINE: " */
        int centre;           /* 1: a [centre] key, else a feed's */
    } keys[] = {
        {"death_lag_days", 0, 3650, "death_lag_days: expected 0 to 3650 days", 1},
        {"max_rows", 1, 4294967294u, "feed x: max_rows: expected a row count from 1 to 4294967294", 0},
        {"max_rejects", 0, 4294967295u,
         "feed x: max_rejects: expected a row count from 0 to 4294967295", 0},
        {"max_gzip_ratio", 2, 100000, "feed x: max_gzip_ratio: expected a ratio from 2 to 100000", 0},
        {"stale_days", 0, 3650,
         "feed x: stale_days: expected a number of days from 0 (never stale) to 3650", 0},
        {"max_field", 16, 1073741824,
         "feed x: max_field: expected a byte count from 16 to 1073741824", 0},
        {"max_line", 16, 1073741824,
         "feed x: max_line: expected a byte count from 16 to 1073741824", 0},
    };
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
            char rest[256];
            if (keys[k].centre)
                snprintf(rest, sizeof rest, "%s = %s\n", keys[k].key, values[v].text);
            else
                snprintf(rest, sizeof rest, "[feed x]\n%s = %s\n", keys[k].key, values[v].text);
            am_ctx *ctx;
            const am_status st = load(&ctx, centre(rest));
            const int accept = values[v].number && values[v].value >= keys[k].lo &&
                               values[v].value <= keys[k].hi;
            if (accept) {
                ck_assert_msg(st == AM_OK, "%s = %s: %s", keys[k].key, values[v].text,
                              am_errmsg(ctx));
            } else {
                char want[256];
                snprintf(want, sizeof want, "test.ini:%d: %s", keys[k].centre ? 5 : 6,
                         keys[k].expected);
                ck_assert_msg(st == AM_ERR_FORMAT, "%s = %s: accepted", keys[k].key,
                              values[v].text);
                ck_assert_msg(strcmp(am_errmsg(ctx), want) == 0, "%s = %s: got '%s'",
                              keys[k].key, values[v].text, am_errmsg(ctx));
            }
            am_ctx_free(ctx);
        }
    }
}
END_TEST

/* Feeds and repeated keys are found through a hash map: a section may be
 * reopened to add keys, a feed declared through the API before the file
 * is the one the file's section configures, and every feed of a large
 * file is found under its own name, in the declared order. */
START_TEST(feed_sections_are_found_by_name)
{
    am_ctx *ctx;
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    char data[512], catalogue[600];
    snprintf(data, sizeof data, "%s/data", getenv("AM_SOURCE_ROOT"));
    snprintf(catalogue, sizeof catalogue, "%s/catalogue", data);
    ck_assert_int_eq(am_set_data_dir(ctx, data), AM_OK);
    ck_assert_int_eq(am_load_catalogue(ctx, catalogue), AM_OK);
    am_feed *early;
    ck_assert_int_eq(am_feed_new(ctx, "early", &early), AM_OK);
    enum { FEEDS = 3000 };
    const size_t cap = 256 + FEEDS * 64;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    size_t n = (size_t)snprintf(text, cap, "%s[feed early]\nagency = PSB\n", centre(""));
    for (int i = 0; i < FEEDS; i++)
        n += (size_t)snprintf(text + n, cap - n, "[feed f%d]\nagency = MCA\n", i);
    n += (size_t)snprintf(text + n, cap - n, "[feed f7]\nkind = registry\n");
    ck_assert_msg(am_load_centre_mem(ctx, text, n, "test.ini", dir) == AM_OK, "%s",
                  am_errmsg(ctx));
    ck_assert_uint_eq(am_feed_count(ctx), FEEDS + 1);
    am_feed_stats s;
    ck_assert_int_eq(am_feed_stats_get(ctx, 0, &s), AM_OK);
    ck_assert_str_eq(s.name, "early");
    ck_assert_str_eq(s.agency, "PSB");
    char name[16];
    for (int i = 0; i < FEEDS; i += 499) {
        snprintf(name, sizeof name, "f%d", i);
        ck_assert_int_eq(am_feed_stats_get(ctx, (size_t)i + 1, &s), AM_OK);
        ck_assert_str_eq(s.name, name);
        ck_assert_ptr_nonnull(am_feed_find(ctx, name));
    }
    am_ctx_free(ctx);
    /* The same file once more, with a key repeated in the last feed. */
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    n += (size_t)snprintf(text + n, cap - n, "agency = DPF\n[feed f2999]\nagency = MCA\n");
    ck_assert_int_eq(am_load_centre_mem(ctx, text, n, "test.ini", dir), AM_ERR_FORMAT);
    ck_assert_str_eq(am_errmsg(ctx), "test.ini:6009: key 'agency' given twice in [feed f7]");
    am_ctx_free(ctx);
    free(text);
}
END_TEST

/* [centre] name reaches summary.json and report.html as written: it must
 * be UTF-8 text without control characters, and is not echoed when not. */
START_TEST(centre_name_is_utf8_text)
{
    static const struct {
        const char *name;
        int ok;
    } cases[] = {
        {"\xe6\x9f\x90\xe5\x8e\xbf\xe6\x95\x91\xe5\x8a\xa9\xe4\xb8\xad\xe5\xbf\x83", 1}, /* 某县救助中心 */
        {"Centre \xf0\x9f\x8f\x9b 4-byte", 1},
        {"a\xff b", 0},
        {"a\x01b", 0},
        {"tab\there", 0},
        {"a\x7f", 0},
        {"\xc2\x85", 0},          /* C1 control NEL */
        {"\xc0\xaf", 0},          /* overlong '/' */
        {"\xed\xa0\x80", 0},     /* a surrogate */
        {"\xf4\x90\x80\x80", 0}, /* past U+10FFFF */
        {"\xe5\x8e", 0},          /* cut short */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[512];
        snprintf(text, sizeof text, "[centre]\nname = %s\ncatalogue = %s/data/catalogue\nkey = test.key\n",
                 cases[i].name, getenv("AM_SOURCE_ROOT"));
        am_ctx *ctx;
        const am_status st = load(&ctx, text);
        if (cases[i].ok) {
            ck_assert_msg(st == AM_OK, "case %zu: %s", i, am_errmsg(ctx));
        } else {
            ck_assert_msg(st == AM_ERR_FORMAT, "case %zu: status %d", i, st);
            ck_assert_str_eq(am_errmsg(ctx),
                             "test.ini:2: name: expected UTF-8 text without control characters");
        }
        am_ctx_free(ctx);
    }
}
END_TEST

/* Spec problems that only show once the whole section is known. */
START_TEST(incomplete_specs_fail_at_ingest)
{
    static const struct {
        const char *rest;
        am_status status;
        const char *message;
    } cases[] = {
        {"[feed x]\nperson_id = id\nitem = DIBAO_URBAN\namount = a\nmonth = m\nfile = x.csv\n",
         AM_ERR_FORMAT, "feed x: agency is not set"},
        {"[feed x]\nagency = MCA\nitem = DIBAO_URBAN\namount = a\nmonth = m\nfile = x.csv\n",
         AM_ERR_FORMAT, "feed x: person_id"},
        {"[feed x]\nagency = MCA\nperson_id = id\nitem = NOPE\namount = a\nmonth = m\nfile = x.csv\n",
         AM_ERR_FORMAT, "feed x: item: 'NOPE' is not an item code in the catalogue"},
        {"[feed x]\nagency = MCA\nperson_id = id\nfact = DEATH\nfile = x.csv\ndate = d\n",
         AM_ERR_FORMAT, "a payments feed names its codes with item"},
        {"[feed x]\nagency = MCA\nperson_id = id\nitem = DIBAO_URBAN\nmonth = m\nfile = x.csv\n",
         AM_ERR_FORMAT, "a payments feed needs amount"},
        {"[feed x]\nagency = MCA\nperson_id = id\nitem = DIBAO_URBAN\namount = a\nfile = x.csv\n",
         AM_ERR_FORMAT, "set exactly one of start (with end), date, or month"},
        {"[feed x]\nagency = MCA\nperson_id = id\nitem_column = t\namount = a\nmonth = m\nfile = x.csv\n",
         AM_ERR_FORMAT, "a code column needs its map"},
        {"[feed x]\nagency = MCA\nperson_id = id\nitem = DIBAO_URBAN\namount = a\nmonth = m\nfile = x.csv\nids = token\n",
         AM_ERR_KEY, "ids = token needs key_fingerprint"},
        {"[feed x]\nagency = MCA\nperson_id = id\nitem = DIBAO_URBAN\namount = a\nmonth = m\nfile = x.csv\nids = token\nkey_fingerprint = 0000000000000000\n",
         AM_ERR_KEY, "tokens from different keys never match"},
        {"[feed x]\nagency = MCA\nperson_id = id\nitem = DIBAO_URBAN\namount = a\nmonth = m\nfile = missing.csv\n",
         AM_ERR_IO, "missing.csv"},
        {"[feed x]\nagency = MCA\nperson_id = id\nitem = DIBAO_URBAN\namount = a\nmonth = m\n",
         AM_ERR_FORMAT, "feed x has no file"},
        {"[feed x]\nagency = MCA\nperson_id = id\nitem = DIBAO_URBAN\namount = a\nmonth = m\nfile = header.csv\n",
         AM_ERR_FORMAT, "header.csv:1: column 'a' named in feed x is not in the header"},
    };
    char path[256];
    snprintf(path, sizeof path, "%s/header.csv", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("id,m,amount\n", f);
    fclose(f);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        am_ctx *ctx;
        ck_assert_msg(load(&ctx, centre(cases[i].rest)) == AM_OK, "case %zu: %s", i, am_errmsg(ctx));
        const am_status st = am_ingest(ctx);
        ck_assert_msg(st == cases[i].status, "case %zu: status %d: %s", i, st, am_errmsg(ctx));
        ck_assert_msg(strstr(am_errmsg(ctx), cases[i].message) != NULL, "case %zu: got '%s'", i,
                      am_errmsg(ctx));
        am_ctx_free(ctx);
    }
}
END_TEST

START_TEST(centre_needs_catalogue_and_key)
{
    am_ctx *ctx;
    const char text[] = "[centre]\nname = x\n";
    ck_assert_int_eq(load(&ctx, text), AM_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(am_errmsg(ctx), "names no catalogue"));
    am_ctx_free(ctx);
    const char early[] = "[feed x]\nagency = MCA\n";
    ck_assert_int_eq(load(&ctx, early), AM_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(am_errmsg(ctx), "test.ini:2: no catalogue loaded"));
    am_ctx_free(ctx);
    ck_assert_int_eq(am_ctx_new(&ctx), AM_OK);
    ck_assert_int_eq(am_load_centre(ctx, "/nonexistent/centre.ini"), AM_ERR_IO);
    ck_assert_int_eq(am_load_centre(ctx, dir), AM_ERR_IO);
    am_ctx_free(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("centre");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, good_centre_declares_feeds);
    tcase_add_test(tc, mistakes_give_file_line_and_expectation);
    tcase_add_test(tc, feed_name_of_44_bytes_loads);
    tcase_add_test(tc, centre_name_is_utf8_text);
    tcase_add_test(tc, feed_sections_are_found_by_name);
    tcase_add_test(tc, incomplete_specs_fail_at_ingest);
    tcase_add_test(tc, centre_needs_catalogue_and_key);
    tcase_add_test(tc, check_reports_every_mistake_and_data_dir_fills_in);
    tcase_add_test(tc, check_from_memory_names_the_text_and_its_base);
    tcase_add_test(tc, numbers_at_their_edges);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
