/*
 * csv_out.h — writing CSV cells for people who open them in a
 * spreadsheet: quoting, the guard against formula injection that every
 * output shares (CSV and workbook alike), and the UTF-8 byte order mark
 * that makes Excel and WPS read UTF-8 instead of the system's GBK.
 */
#ifndef AM_CSV_OUT_H
#define AM_CSV_OUT_H

#include <stddef.h>
#include <stdio.h>

/* The UTF-8 byte order mark, written first in a CSV output unless the
 * centre turns it off (csv_bom = no). */
#define AM_CSV_BOM "\xEF\xBB\xBF"

/* 1 when a spreadsheet would read a cell beginning with s as a formula
 * (=, +, -, @, tab or carriage return first): such a cell is written with
 * a leading apostrophe, in CSV and workbook alike.  s is NUL-terminated. */
int am_cell_is_formula(const char *s);

/* Writes one CSV field: quoted when it holds a comma, quote or line break;
 * with a leading ' when am_cell_is_formula.  Errors show in ferror(out). */
void am_csv_field(FILE *out, const char *s);

/* Writes n fields separated by commas and ends the line. */
void am_csv_row(FILE *out, const char *const *fields, size_t n);

#endif
