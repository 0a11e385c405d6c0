/*
 * test_csv_out.c — known answers for CSV cells written for spreadsheets
 * (common/csv_out.c): quoting, doubled quotes, the formula guard, rows.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/csv_out.h"
#include "check_run.h"

static const struct {
    const char *in, *out;
} field_kats[] = {
    {"", ""},
    {"plain", "plain"},
    {"低保", "低保"},
    {"a,b", "\"a,b\""},
    {"\"", "\"\"\"\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"\"\"x\"", "\"\"\"\"\"x\"\"\""},  /* quotes at the start, together, at the end */
    {"line\nbreak", "\"line\nbreak\""},
    {"cr\rhere", "\"cr\rhere\""},
    {"=SUM(A1)", "'=SUM(A1)"},
    {"+86", "'+86"},
    {"-1", "'-1"},
    {"@cmd", "'@cmd"},
    {"\tx", "'\tx"},
    {"\r", "\"'\r\""},
    {"=1,2", "\"'=1,2\""},
    {"=\"x\"", "\"'=\"\"x\"\"\""},
};

static char *written(void (*write)(FILE *, const void *), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    write(out, arg);
    ck_assert_int_eq(fclose(out), 0);
    return buf;
}

static void write_field(FILE *out, const void *s) { am_csv_field(out, s); }

START_TEST(test_field_kat)
{
    char *got = written(write_field, field_kats[_i].in);
    ck_assert_str_eq(got, field_kats[_i].out);
    free(got);
}
END_TEST

static void write_row(FILE *out, const void *unused)
{
    static const char *const fields[] = {"mca", "", "a,b", "-5", "x\"y"};
    (void)unused;
    am_csv_row(out, fields, sizeof fields / sizeof *fields);
    am_csv_row(out, fields, 0);
}

START_TEST(test_row)
{
    char *got = written(write_row, NULL);
    ck_assert_str_eq(got, "mca,,\"a,b\",'-5,\"x\"\"y\"\n\n");
    free(got);
}
END_TEST

/* Rows about as long as the row buffer: each cell is cut at a length
 * from 0 to 1100 bytes, the row written whole must equal its cells
 * written one by one, whichever cell the buffer runs out in. */
typedef struct long_row {
    const char *fields[4];
} long_row;

static void write_long_row(FILE *out, const void *arg)
{
    am_csv_row(out, ((const long_row *)arg)->fields, 4);
}

static void write_cells(FILE *out, const void *arg)
{
    const long_row *r = arg;
    for (size_t i = 0; i < 4; i++) {
        if (i)
            fputc(',', out);
        am_csv_field(out, r->fields[i]);
    }
    fputc('\n', out);
}

START_TEST(test_long_rows)
{
    static char cell[1101];
    for (size_t i = 0; i < sizeof cell - 1; i++)
        cell[i] = i % 97 == 5 ? '"' : i % 89 == 7 ? ',' : (char)('a' + i % 26);
    for (size_t len = 0; len < sizeof cell; len += len < 990 ? 90 : 1) {
        char *text = strndup(cell, len);
        ck_assert_ptr_nonnull(text);
        const long_row rows[] = {{{"=x", text, "b", "\"q\""}},
                                 {{text, "", text, "-1"}},
                                 {{"a", "b", "c", text}}};
        for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
            char *got = written(write_long_row, &rows[r]);
            char *want = written(write_cells, &rows[r]);
            ck_assert_msg(strcmp(got, want) == 0, "row %zu with a cell of %zu bytes", r, len);
            free(got);
            free(want);
        }
        free(text);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csv_out");
    TCase *tc = tcase_create("cells");
    tcase_add_loop_test(tc, test_field_kat, 0, (int)(sizeof field_kats / sizeof *field_kats));
    tcase_add_test(tc, test_row);
    tcase_add_test(tc, test_long_rows);
    suite_add_tcase(s, tc);
    const int failed = am_check_failures(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
