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

/* Appends s to b[*at, cap) as am_csv_field writes it; 0 when it does not
 * fit, *at then unchanged. */
static int field_into(char *b, size_t cap, size_t *at, const char *s)
{
    size_t k = *at;
    const int quote = strpbrk(s, ",\"\r\n") != NULL, formula = am_cell_is_formula(s);
    const size_t extra = (size_t)quote * 2 + (size_t)formula;
    if (extra > cap - k)
        return 0;
    if (quote)
        b[k++] = '"';
    if (formula)
        b[k++] = '\'';
    for (; *s; s++) {
        if (cap - k < 2 + (size_t)quote)
            return 0;
        b[k++] = *s;
        if (*s == '"')
            b[k++] = '"';
    }
    if (quote)
        b[k++] = '"';
    *at = k;
    return 1;
}

void am_csv_row(FILE *out, const char *const *fields, size_t n)
{
    /* A row is put together here and written in one call: a call a cell
     * or a byte, each taking the stream's lock, cost more than the cells
     * themselves in outputs of millions of rows.  A row too long for the
     * buffer writes its remaining cells one by one. */
    char b[1024];
    size_t at = 0, i = 0;
    int comma_due = 0; /* field i's comma is not in b */
    for (; i < n; i++) {
        if (i && at == sizeof b) {
            comma_due = 1;
            break;
        }
        if (i)
            b[at++] = ',';
        if (!field_into(b, sizeof b, &at, fields[i]))
            break;
    }
    if (i == n && at < sizeof b) {
        b[at++] = '\n';
        fwrite(b, 1, at, out);
        return;
    }
    fwrite(b, 1, at, out);
    for (size_t j = i; j < n; j++) {
        if (j > i || comma_due)
            fputc(',', out);
        am_csv_field(out, fields[j]);
    }
    fputc('\n', out);
}
