/*
 * day.h — calendar days as plain integers, and the date formats feeds use.
 *
 * A day is the number of days since 1970-01-01 (proleptic Gregorian), so
 * periods are inclusive integer ranges and overlap is arithmetic.
 */
#ifndef AM_DAY_H
#define AM_DAY_H

#include <stddef.h>
#include <stdint.h>

/* End of a period that has not ended (a registry fact still in force). */
#define AM_DAY_OPEN INT32_MAX
/* Start of a fact in force since before records began: 1800-01-01, early
 * enough for any birth, and far enough from INT32_MIN that day arithmetic
 * cannot overflow. */
#define AM_DAY_EVER (-62091)

typedef enum am_date_format {
    AM_DATE_AUTO = 0, /* YYYY-MM-DD, YYYY/M/D, YYYY-M-D, YYYYMMDD, YYYY.MM.DD */
    AM_DATE_EXCEL     /* an Excel serial day number (1900 system) */
} am_date_format;

/* Returns the day number of a valid y-m-d, or 0 with *ok = 0 when the date
 * does not exist (Feb 30) or the year is outside 1800-2200. */
int32_t am_day_from_ymd(int y, int m, int d, int *ok);

/* Splits a day number into year, month and day. */
void am_day_to_ymd(int32_t day, int *y, int *m, int *d);

/* Writes "YYYY-MM-DD" and a NUL into out (11 bytes); AM_DAY_OPEN writes "". */
void am_day_format(int32_t day, char out[11]);

/* Parses a date field (len bytes, already trimmed).  Returns 1 and sets
 * *day, or 0 when the text is not a date in the format or not a real day. */
int am_day_parse(const char *s, size_t len, am_date_format fmt, int32_t *day);

/* Parses a pay month "YYYYMM" or "YYYY-MM" into its first and last day.
 * Returns 1 on success. */
int am_month_parse(const char *s, size_t len, int32_t *first, int32_t *last);

#endif
