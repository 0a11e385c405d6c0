/*
 * day.c — day numbers and date parsing (see day.h).
 *
 * The conversions are Howard Hinnant's days_from_civil / civil_from_days:
 * branch-light, exact over the whole range, and free of the C library's
 * time-zone state, which would make results depend on the machine.
 */
#include "common/day.h"

#include <stdio.h>
#include <string.h>

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int32_t am_day_from_ymd(int y, int m, int d, int *ok)
{
    if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
        *ok = 0;
        return 0;
    }
    *ok = 1;
    y -= m <= 2;
    const int era = y / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void am_day_to_ymd(int32_t day, int *y, int *m, int *d)
{
    const int32_t z = day + 719468;
    const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int32_t doe = z - era * 146097;
    const int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int32_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

void am_day_format(int32_t day, char out[11])
{
    if (day == AM_DAY_OPEN) {
        out[0] = '\0';
        return;
    }
    int y, m, d;
    am_day_to_ymd(day, &y, &m, &d);
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
}

/* Reads 1..maxdigits decimal digits at s[*pos]; returns -1 if none. */
static int read_number(const char *s, size_t len, size_t *pos, int maxdigits)
{
    int value = 0, n = 0;
    while (*pos < len && n < maxdigits && s[*pos] >= '0' && s[*pos] <= '9') {
        value = value * 10 + (s[*pos] - '0');
        (*pos)++;
        n++;
    }
    return n ? value : -1;
}

static int all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return len > 0;
}

/* 1899-12-30 is serial 0 of Excel's 1900 date system once its fictitious
 * 1900-02-29 is accounted for, which is why serials before 61 are refused. */
static int parse_excel_serial(const char *s, size_t len, int32_t *day)
{
    if (len < 2 || len > 6 || !all_digits(s, len))
        return 0;
    size_t pos = 0;
    const int serial = read_number(s, len, &pos, 6);
    if (serial < 61 || serial > 120000)
        return 0;
    int ok;
    *day = am_day_from_ymd(1899, 12, 30, &ok) + serial;
    return ok;
}

int am_day_parse(const char *s, size_t len, am_date_format fmt, int32_t *day)
{
    if (fmt == AM_DATE_EXCEL)
        return parse_excel_serial(s, len, day);
    int y, m, d, ok;
    if (len == 8 && all_digits(s, len)) {
        y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        m = (s[4] - '0') * 10 + (s[5] - '0');
        d = (s[6] - '0') * 10 + (s[7] - '0');
    } else {
        size_t pos = 0;
        if ((y = read_number(s, len, &pos, 4)) < 0 || pos != 4 || pos >= len)
            return 0;
        const char sep = s[pos++];
        if (sep != '-' && sep != '/' && sep != '.')
            return 0;
        if ((m = read_number(s, len, &pos, 2)) < 0 || pos >= len || s[pos++] != sep)
            return 0;
        if ((d = read_number(s, len, &pos, 2)) < 0 || pos != len)
            return 0;
    }
    *day = am_day_from_ymd(y, m, d, &ok);
    return ok;
}

int am_month_parse(const char *s, size_t len, int32_t *first, int32_t *last)
{
    int y, m, ok;
    if (len == 6 && all_digits(s, len)) {
        y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        m = (s[4] - '0') * 10 + (s[5] - '0');
    } else if ((len == 7 || len == 6) && (s[4] == '-' || s[4] == '/')) {
        size_t pos = 0;
        if ((y = read_number(s, len, &pos, 4)) < 0 || pos != 4)
            return 0;
        pos++;
        if ((m = read_number(s, len, &pos, 2)) < 0 || pos != len)
            return 0;
    } else {
        return 0;
    }
    *first = am_day_from_ymd(y, m, 1, &ok);
    if (!ok)
        return 0;
    *last = am_day_from_ymd(y, m, days_in_month(y, m), &ok);
    return ok;
}

/* Checks one pattern: known conversions, a year and a month, a day only
 * with a month. */
static int check_pattern(const char *p, char *why, size_t why_size)
{
    int seen[128] = {0};
    for (const char *c = p; *c; c++) {
        if (*c != '%')
            continue;
        const char conv = *++c;
        if (!conv || !strchr("YmdHMS%", conv)) {
            snprintf(why, why_size, "'%s': %%%c is not a conversion (use %%Y %%m %%d %%H %%M %%S)",
                     p, conv ? conv : ' ');
            return 0;
        }
        if (conv != '%' && seen[(unsigned char)conv]++) {
            snprintf(why, why_size, "'%s': %%%c twice", p, conv);
            return 0;
        }
    }
    if (!seen['Y'] || !seen['m']) {
        snprintf(why, why_size, "'%s': a pattern needs at least %%Y and %%m", p);
        return 0;
    }
    return 1;
}

int am_date_formats_parse(const char *text, am_date_formats *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = strchr(p, '|');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0) {
            snprintf(why, why_size, "an empty format (formats are separated by '|')");
            return 0;
        }
        if (out->n == AM_DATE_FORMATS_MAX) {
            snprintf(why, why_size, "at most %d formats", AM_DATE_FORMATS_MAX);
            return 0;
        }
        if (len >= AM_DATE_PATTERN_MAX) {
            snprintf(why, why_size, "a format of at most %d bytes", AM_DATE_PATTERN_MAX - 1);
            return 0;
        }
        memcpy(out->f[out->n].pattern, p, len);
        out->f[out->n].pattern[len] = '\0';
        const char *pattern = out->f[out->n].pattern;
        if (strcmp(pattern, "auto") == 0)
            out->f[out->n].kind = AM_DATE_AUTO;
        else if (strcmp(pattern, "excel") == 0)
            out->f[out->n].kind = AM_DATE_EXCEL;
        else if (!strchr(pattern, '%')) {
            snprintf(why, why_size,
                     "'%s': auto, excel, or a pattern such as %%Y-%%m-%%d or %%Y年%%m月%%d日",
                     pattern);
            return 0;
        } else if (!check_pattern(pattern, why, why_size))
            return 0;
        else
            out->f[out->n].kind = AM_DATE_PATTERN;
        out->n++;
        if (!end)
            return 1;
        p = end + 1;
    }
}

/* Reads s with one pattern (checked by check_pattern). */
static int parse_pattern(const char *pattern, const char *s, size_t len, int32_t *first,
                         int32_t *last)
{
    int y = -1, m = -1, d = -1, ok;
    size_t pos = 0;
    for (const char *c = pattern; *c; c++) {
        if (*c != '%' || c[1] == '%') {
            c += *c == '%';
            if (pos >= len || s[pos] != *c)
                return 0;
            pos++;
            continue;
        }
        const char conv = *++c;
        const int v = read_number(s, len, &pos, conv == 'Y' ? 4 : 2);
        if (v < 0)
            return 0;
        switch (conv) {
        case 'Y':
            y = v;
            break;
        case 'm':
            m = v;
            break;
        case 'd':
            d = v;
            break;
        case 'H':
            if (v > 23)
                return 0;
            break;
        default: /* M, S */
            if (v > 59)
                return 0;
            break;
        }
    }
    if (pos != len || y < 1000)
        return 0;
    if (d >= 0) {
        *first = *last = am_day_from_ymd(y, m, d, &ok);
        return ok;
    }
    *first = am_day_from_ymd(y, m, 1, &ok);
    if (!ok)
        return 0;
    *last = am_day_from_ymd(y, m, days_in_month(y, m), &ok);
    return ok;
}

int am_day_parse_formats(const am_date_formats *formats, const char *s, size_t len,
                         int32_t *first, int32_t *last)
{
    if (formats->n == 0) {
        if (!am_day_parse(s, len, AM_DATE_AUTO, first))
            return 0;
        *last = *first;
        return 1;
    }
    for (unsigned i = 0; i < formats->n; i++) {
        if (formats->f[i].kind == AM_DATE_PATTERN) {
            if (parse_pattern(formats->f[i].pattern, s, len, first, last))
                return 1;
        } else if (am_day_parse(s, len, formats->f[i].kind, first)) {
            *last = *first;
            return 1;
        }
    }
    return 0;
}
