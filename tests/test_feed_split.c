/*
 * test_feed_split.c — known answers for feed_split.c (how many parts, where
 * the cuts fall, which files are read whole) and the differential check
 * that a feed read in parts gives the records of the feed read whole:
 * the same fields, flags and line numbers, in the same order once the
 * parts are put end to end, over random quote-free files with every line
 * end, invalid bytes, UTF-8 and GB18030 text.
 */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "read/csv_reader.h"
#include "read/feed_split.h"
#include "check_run.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/am_split_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char path[96];
    snprintf(path, sizeof path, "%s/feed.csv", dir);
    unlink(path);
    rmdir(dir);
}

static const char *write_file(const void *bytes, size_t len)
{
    static char path[96];
    snprintf(path, sizeof path, "%s/feed.csv", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

typedef struct transcript {
    char *p;
    size_t len, cap;
} transcript;

static void put(transcript *t, const void *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        ck_assert_ptr_nonnull(t->p);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

/* One line per record: LINE, the flags, and the fields with their
 * lengths, so that any difference in a byte shows. */
static int record(void *user, const am_text_row *row)
{
    transcript *t = user;
    char head[64];
    const int n = snprintf(head, sizeof head, "%llu%s%s%s:", (unsigned long long)row->line,
                           row->bad_encoding ? "B" : "", row->has_nul ? "N" : "",
                           row->field_too_long ? "T" : "");
    put(t, head, (size_t)n);
    for (size_t i = 0; i < row->nfields; i++) {
        const int m = snprintf(head, sizeof head, "%s%zu=", i ? "|" : "", row->len[i]);
        put(t, head, (size_t)m);
        put(t, row->field[i], row->len[i]);
    }
    put(t, "\n", 1);
    return 0;
}

static void read_whole(const char *path, const am_reader_opts *opts, transcript *t,
                       am_read_result *result)
{
    am_err err;
    ck_assert_msg(am_read_csv_file(path, opts, record, t, result, &err) == AM_OK, "%s",
                  err.msg);
}

static void read_parts(const am_feed_plan *plan, const am_reader_opts *opts, transcript *t,
                       am_encoding *first_encoding)
{
    for (size_t k = 0; k < plan->nparts; k++) {
        am_reader_opts o = *opts;
        o.encoding = plan->encoding;
        am_read_result result;
        am_err err;
        ck_assert_msg(am_read_csv_part(plan->fd, "feed", plan->offset[k],
                                       plan->offset[k + 1] - plan->offset[k],
                                       plan->first_line[k], &o, record, t, &result,
                                       &err) == AM_OK,
                      "%s", err.msg);
        ck_assert_str_eq(result.xxh3, ""); /* the survey hashed the file */
        if (k == 0)
            *first_encoding = result.encoding;
    }
}

/* ------------------------------------------------------------------ */
/* How many parts                                                       */

static const struct {
    uint64_t size, split_above;
    unsigned threads;
    size_t parts;
} parts_kats[] = {
    {100, 0, 2, 0},                                  /* 0: never */
    {100, 64, 1, 0},                                 /* one thread */
    {64, 64, 2, 0},                                  /* not above */
    {65, 64, 2, 8},                                  /* four per thread */
    {(uint64_t)1 << 30, (uint64_t)64 << 20, 3, 12},
    {(uint64_t)1 << 30, (uint64_t)64 << 20, 4, 16},
    {(uint64_t)1 << 30, (uint64_t)64 << 20, 8, 16},  /* AM_SPLIT_MAX_PARTS */
    {10, 1, 2, 8},
    {UINT64_MAX, 1, 2, 8},
    {UINT64_MAX, UINT64_MAX, 2, 0},
    {UINT64_MAX, UINT64_MAX - 1, 2, 8},
    {(uint64_t)INT64_MAX, (uint64_t)INT64_MAX - 1, 2, 8},
    {1000, 100, UINT32_MAX, 16},                     /* 4 * threads does not wrap */
};

START_TEST(test_split_parts)
{
    const size_t n = am_feed_split_parts(parts_kats[_i].size, parts_kats[_i].split_above,
                                         parts_kats[_i].threads);
    ck_assert_msg(n == parts_kats[_i].parts, "kat %d: %zu parts, expected %zu", _i, n,
                  parts_kats[_i].parts);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Where the cuts fall                                                  */

START_TEST(test_cuts_after_line_ends)
{
    /* 10 lines of 10 bytes: targets 25, 50, 75 fall inside lines 3, 6 and
     * 8, so the cuts are after their LFs, at 30, 60 and 80. */
    char text[101] = "";
    for (int i = 0; i < 10; i++)
        snprintf(text + 10 * i, 11, "l%d,abcdef\n", i);
    const char *path = write_file(text, 100);
    const am_reader_opts opts = {0};
    am_feed_plan plan;
    ck_assert_int_eq(am_feed_plan_make(path, &opts, 4, &plan), 1);
    ck_assert_uint_eq(plan.nparts, 4);
    const uint64_t offsets[] = {0, 30, 60, 80, 100}, lines[] = {1, 4, 7, 9};
    for (size_t k = 0; k < 4; k++) {
        ck_assert_uint_eq(plan.offset[k], offsets[k]);
        ck_assert_uint_eq(plan.first_line[k], lines[k]);
    }
    ck_assert_uint_eq(plan.offset[4], offsets[4]);
    ck_assert_uint_eq(plan.bytes, 100);
    ck_assert_int_eq(plan.encoding, AM_ENC_UTF8); /* ASCII only */
    transcript whole = {0};
    am_read_result result;
    read_whole(path, &opts, &whole, &result);
    ck_assert_str_eq(plan.xxh3, result.xxh3);
    am_feed_plan_close(&plan);
    ck_assert_int_eq(plan.fd, -1);
    free(whole.p);
}
END_TEST

START_TEST(test_line_ends_counted_as_the_reader_cuts_them)
{
    /* Line ends before the cut: CRLF (1), lone CR (1), LF (1), CR CR LF
     * (2), LF (1): the part after starts on line 7. */
    const char text[] = "h\r\na\rb\nc\r\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nyyyyyyyy\n";
    const char *path = write_file(text, sizeof text - 1);
    const am_reader_opts opts = {0};
    am_feed_plan plan;
    ck_assert_int_eq(am_feed_plan_make(path, &opts, 2, &plan), 1);
    ck_assert_uint_eq(plan.nparts, 2);
    ck_assert_uint_eq(plan.offset[1], 40); /* after the x line */
    ck_assert_uint_eq(plan.first_line[1], 7);
    am_feed_plan_close(&plan);
}
END_TEST

static const struct {
    const char *why;
    const char *text;
    am_encoding encoding;
    uint64_t max_rows;
} whole_kats[] = {
    {"a quote", "a,b\n1,2\n3,\"4\"\n5,6\n7,8\n9,10\n", AM_ENC_AUTO, 0},
    {"gzip", "\x1f\x8b\x08,b\n1,2\n3,4\n5,6\n7,8\n9,10\n", AM_ENC_AUTO, 0},
    {"UTF-16LE BOM", "\xff\xfe" "a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n", AM_ENC_AUTO, 0},
    {"UTF-16BE BOM", "\xfe\xff" "a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n", AM_ENC_AUTO, 0},
    {"UTF-16 declared", "a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n", AM_ENC_UTF16LE, 0},
    {"more lines than max_rows", "a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n", AM_ENC_AUTO, 6},
    {"one line end, at the end", "a,b,cccccccccccccccccccccccccccccccccccc\n", AM_ENC_AUTO, 0},
    {"no line end", "a,b,cccccccccccccccccccccccccccccccccccccc", AM_ENC_AUTO, 0},
    {"lone CRs only", "a,b\r1,2\r3,4\r5,6\r7,8\r9,10\r", AM_ENC_AUTO, 0},
};

START_TEST(test_read_whole)
{
    const char *path = write_file(whole_kats[_i].text, strlen(whole_kats[_i].text));
    const am_reader_opts opts = {.encoding = whole_kats[_i].encoding,
                                 .max_rows = whole_kats[_i].max_rows};
    am_feed_plan plan;
    ck_assert_msg(am_feed_plan_make(path, &opts, 4, &plan) == 0, "%s: cut", whole_kats[_i].why);
    ck_assert_int_eq(plan.fd, -1);
    ck_assert_uint_eq(plan.nparts, 0);
}
END_TEST

START_TEST(test_max_rows_exactly_enough)
{
    /* Six lines: six records at most, the header included. */
    const char text[] = "a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n";
    const char *path = write_file(text, sizeof text - 1);
    const am_reader_opts opts = {.max_rows = 7};
    am_feed_plan plan;
    ck_assert_int_eq(am_feed_plan_make(path, &opts, 2, &plan), 1);
    am_feed_plan_close(&plan);
}
END_TEST

START_TEST(test_missing_file_read_whole)
{
    const am_reader_opts opts = {0};
    am_feed_plan plan;
    ck_assert_int_eq(am_feed_plan_make("/nonexistent/feed.csv", &opts, 2, &plan), 0);
    ck_assert_int_eq(plan.fd, -1);
}
END_TEST

START_TEST(test_later_part_needs_encoding)
{
    const char text[] = "a,b\n1,2\n";
    const char *path = write_file(text, sizeof text - 1);
    const int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    transcript t = {0};
    am_err err;
    const am_reader_opts opts = {0};
    ck_assert_int_eq(am_read_csv_part(fd, "feed.csv", 4, 4, 2, &opts, record, &t, NULL, &err),
                     AM_ERR_INVALID);
    ck_assert_str_eq(err.msg, "feed.csv: a part after the first needs its encoding");
    close(fd);
    free(t.p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Parts end to end against the whole                                   */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* Pieces random files are made of: no quote, every line end, the
 * delimiter, spaces and tabs, UTF-8 and GB18030 characters, bytes invalid
 * in either, a NUL, a UTF-8 BOM in mid-file, and a lone GB18030 lead
 * byte before a line end. */
static const char *const pieces[] = {
    "a", "17", ",", ",", ",", "\n", "\n", "\r\n", "\r", "\n\n", " ", "\t", "张三",
    "\xd5\xc5\xc8\xfd", "\x81\x30\x81\x30", "\xff", "\xe4\xb8", "\x81\n", "\xef\xbb\xbf",
    "32010219900101123X", "\x00",
};

static size_t random_file(char *text, size_t cap, int gb18030)
{
    size_t n = 0;
    if (next() % 5 == 0) {
        memcpy(text, "\xef\xbb\xbf", 3); /* a BOM at the start, where it is one */
        n = 3;
    }
    const char *header = "id,name,amount\n";
    memcpy(text + n, header, strlen(header));
    n += strlen(header);
    /* A run of ASCII first, so that AUTO decides late or not at all. */
    const size_t ascii = next() % 3 == 0 ? next() % 600 : 0;
    for (size_t i = 0; i < ascii && n + 1 < cap; i++)
        text[n++] = i % 20 == 19 ? '\n' : (char)('a' + i % 26);
    while (n + 24 < cap) {
        size_t k = next() % (sizeof pieces / sizeof *pieces);
        if (!gb18030 && (k == 13 || k == 14 || k == 17))
            k = 12;
        const size_t len = k == sizeof pieces / sizeof *pieces - 1 ? 1 : strlen(pieces[k]);
        memcpy(text + n, pieces[k], len);
        n += len;
    }
    return n;
}

START_TEST(test_parts_read_as_whole)
{
    static char text[24 * 1024];
    const am_encoding encodings[] = {AM_ENC_AUTO, AM_ENC_UTF8, AM_ENC_GB18030};
    size_t cut_files = 0;
    for (int round = 0; round < 300; round++) {
        const am_encoding enc = encodings[round % 3];
        const size_t len =
            random_file(text, 200 + next() % (sizeof text - 200), enc == AM_ENC_GB18030 ||
                                                                      (enc == AM_ENC_AUTO &&
                                                                       next() % 2));
        const char *path = write_file(text, len);
        const am_reader_opts opts = {.encoding = enc, .max_field = 64 + next() % 64};
        transcript whole = {0}, parts = {0};
        am_read_result result;
        read_whole(path, &opts, &whole, &result);
        am_feed_plan plan;
        const size_t want = 2 + next() % (AM_SPLIT_MAX_PARTS - 1);
        if (!am_feed_plan_make(path, &opts, want, &plan)) {
            free(whole.p);
            continue;
        }
        cut_files++;
        ck_assert_uint_le(plan.nparts, want);
        ck_assert_str_eq(plan.xxh3, result.xxh3);
        am_encoding first;
        read_parts(&plan, &opts, &parts, &first);
        ck_assert_msg(whole.len == parts.len && memcmp(whole.p, parts.p, whole.len) == 0,
                      "round %d (%s, %zu bytes, %zu parts): the parts read differently", round,
                      am_encoding_name(enc), len, plan.nparts);
        ck_assert_int_eq(first, result.encoding);
        /* The later parts' encoding is what the whole read decided. */
        ck_assert_int_eq(plan.encoding, result.encoding);
        am_feed_plan_close(&plan);
        free(whole.p);
        free(parts.p);
    }
    ck_assert_uint_gt(cut_files, 250); /* the comparison ran, nearly every time */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("feed_split");
    TCase *tc = tcase_create("split");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_split_parts, 0, sizeof parts_kats / sizeof *parts_kats);
    tcase_add_test(tc, test_cuts_after_line_ends);
    tcase_add_test(tc, test_line_ends_counted_as_the_reader_cuts_them);
    tcase_add_loop_test(tc, test_read_whole, 0, sizeof whole_kats / sizeof *whole_kats);
    tcase_add_test(tc, test_max_rows_exactly_enough);
    tcase_add_test(tc, test_missing_file_read_whole);
    tcase_add_test(tc, test_later_part_needs_encoding);
    tcase_add_test(tc, test_parts_read_as_whole);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const int failed = am_check_failures(suite());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
