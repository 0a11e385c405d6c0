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
    AM_DATE_EXCEL,    /* an Excel serial day number (1900 system) */
    AM_DATE_PATTERN   /* a pattern of am_date_formats */
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

/* A feed's date_format: "auto", "excel" or strftime-like patterns, one
 * or more separated by '|', tried in order.  In a pattern %Y is a
 * four-digit year, %m a month and %d a day of one or two digits, %H %M %S
 * a time of day of one or two digits (checked, then dropped), %% a
 * percent sign; every other byte (UTF-8 such as 年 included) must be
 * there as written.  A pattern without %d reads a month: its first day,
 * or its last where the day ends a period. */
#define AM_DATE_FORMATS_MAX 8
#define AM_DATE_PATTERN_MAX 64
typedef struct am_date_formats {
    unsigned n; /* 0: auto */
    struct {
        am_date_format kind; /* AM_DATE_AUTO, AM_DATE_EXCEL or AM_DATE_PATTERN */
        char pattern[AM_DATE_PATTERN_MAX];
    } f[AM_DATE_FORMATS_MAX];
} am_date_formats;

/* Reads a date_format value into *out.  Returns 1, or 0 with a reason of
 * at most why_size bytes (which pattern, what is wrong) in why. */
int am_date_formats_parse(const char *text, am_date_formats *out, char *why, size_t why_size);

/* Parses a date field with the formats in order, the first that reads it
 * winning.  *first and *last are the same day for a full date; a month
 * pattern gives the month's first and last day.  Returns 1, or 0 when no
 * format reads the text as a real day. */
int am_day_parse_formats(const am_date_formats *formats, const char *s, size_t len,
                         int32_t *first, int32_t *last);

/* Parses a pay month "YYYYMM" or "YYYY-MM" into its first and last day.
 * Returns 1 on success. */
int am_month_parse(const char *s, size_t len, int32_t *first, int32_t *last);

#endif
