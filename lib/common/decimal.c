/*
 * decimal.c — fixed-point decimal text (see decimal.h).
 */
#include "common/decimal.h"

size_t am_decimal_text(uint64_t v, unsigned decimals, char *out)
{
    char digits[AM_DECIMAL_TEXT_MAX];
    size_t n = 0, len = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || n <= decimals);
    while (n > decimals)
        out[len++] = digits[--n];
    if (decimals)
        out[len++] = '.';
    while (n)
        out[len++] = digits[--n];
    out[len] = '\0';
    return len;
}
