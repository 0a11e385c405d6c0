/*
 * size.c — sizes with K, M and G suffixes (see size.h).
 */
#include "common/size.h"

int am_size_parse(const char *text, uint64_t *bytes)
{
    uint64_t v = 0;
    const char *p = text;
    if (!text || *p < '0' || *p > '9')
        return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    unsigned shift = 0;
    if (*p == 'K' || *p == 'k')
        shift = 10;
    else if (*p == 'M' || *p == 'm')
        shift = 20;
    else if (*p == 'G' || *p == 'g')
        shift = 30;
    if (shift)
        p++;
    if (*p || v > UINT64_MAX >> shift)
        return 0;
    *bytes = v << shift;
    return 1;
}
