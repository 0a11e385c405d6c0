/*
 * money.c — parsing, formatting and pro-rating amounts in fen (see money.h).
 */
#include "common/money.h"

#include <string.h>

#include "common/decimal.h"

#define FEN_MAX (INT64_MAX / 100 - 1)

am_money_status am_money_parse(const char *s, size_t len, int64_t *fen)
{
    size_t i = 0;
    int negative = 0;
    if (len >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA5)
        i = 2; /* ¥ U+00A5 */
    else if (len >= 3 && memcmp(s, "\xEF\xBF\xA5", 3) == 0)
        i = 3; /* ￥ U+FFE5 */
    if (i < len && (s[i] == '-' || s[i] == '+'))
        negative = s[i++] == '-';
    int64_t yuan = 0;
    int int_digits = 0, decimals = 0, frac = 0;
    /* Thousands separators must group by three ("1,234"), so that a list
     * such as "1,2,3" is refused rather than read as 123. */
    int group = -1; /* digits since the last ',', or -1 before any */
    for (; i < len && s[i] != '.'; i++) {
        if (s[i] == ',') {
            if (int_digits == 0 || (group >= 0 && group != 3) || (group < 0 && int_digits > 3))
                return AM_MONEY_BAD;
            group = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return AM_MONEY_BAD;
        if (group >= 0)
            group++;
        if (yuan > FEN_MAX / 10)
            return AM_MONEY_OVERFLOW;
        yuan = yuan * 10 + (s[i] - '0');
        int_digits++;
    }
    if (yuan > FEN_MAX)
        return AM_MONEY_OVERFLOW; /* yuan * 100 + 99 must stay below INT64_MAX */
    if (i < len) { /* at '.' */
        for (i++; i < len; i++) {
            if (s[i] < '0' || s[i] > '9' || ++decimals > 2)
                return AM_MONEY_BAD;
            frac = frac * 10 + (s[i] - '0');
        }
        if (decimals == 0 && int_digits == 0)
            return AM_MONEY_BAD;
    }
    if ((int_digits == 0 && decimals == 0) || (group >= 0 && group != 3))
        return AM_MONEY_BAD;
    if (decimals == 1)
        frac *= 10;
    const int64_t total = yuan * 100 + frac;
    if (negative && total != 0)
        return AM_MONEY_NEGATIVE;
    *fen = total;
    return AM_MONEY_OK;
}

int am_money_format(int64_t fen, char out[32])
{
    const int negative = fen < 0;
    /* Work in unsigned so that INT64_MIN does not overflow on negation. */
    const uint64_t v = negative ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    if (negative)
        out[0] = '-';
    return negative + (int)am_decimal_text(v, 2, out + negative);
}

int64_t am_money_add(int64_t a, int64_t b)
{
    int64_t sum;
    if (!__builtin_add_overflow(a, b, &sum))
        return sum;
    return b > 0 ? INT64_MAX : INT64_MIN;
}

/* 128-bit intermediate: an absurd amount times a long period must not wrap. */
__extension__ typedef __int128 wide_int;

int64_t am_money_prorate(int64_t amount, int64_t part, int64_t whole)
{
    const wide_int num = (wide_int)amount * part;
    const wide_int half = whole / 2;
    const wide_int q = num >= 0 ? (num + half) / whole : (num - half) / whole;
    return (int64_t)q;
}
