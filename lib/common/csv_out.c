/*
 * csv_out.c — CSV cells for spreadsheets (see csv_out.h).  The formula
 * guard lives here alone, so that every output neutralises the same cells.
 */
#include "common/csv_out.h"

#include <string.h>

int am_cell_is_formula(const char *s)
{
    return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
           s[0] == '\r';
}

void am_csv_field(FILE *out, const char *s)
{
    const int quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', out);
    if (am_cell_is_formula(s))
        fputc('\'', out);
    /* Up to each quote, written once more to double it: whole runs, not
     * a call a byte, as outputs hold millions of cells. */
    for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
        fwrite(s, 1, (size_t)(q - s) + 1, out);
        fputc('"', out);
    }
    fputs(s, out);
    if (quote)
        fputc('"', out);
}

void am_csv_row(FILE *out, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        am_csv_field(out, fields[i]);
    }
    fputc('\n', out);
}
