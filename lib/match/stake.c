/*
 * stake.c — money at stake over overlapping payments (see stake.h).
 */
#include "match/stake.h"

#include <stdlib.h>

#include "common/alloc.h"
#include "common/money.h"

int64_t am_record_share(const am_record *r, int32_t start, int32_t end)
{
    const int32_t lo = start > r->start ? start : r->start;
    const int32_t hi = end < r->end ? end : r->end;
    if (lo > hi)
        return 0;
    return am_money_prorate(r->amount_fen, (int64_t)hi - lo + 1, (int64_t)r->end - r->start + 1);
}

static int compare_days(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int am_stake_add(const am_piece *pieces, size_t n, am_stake *s)
{
    if (n < 2)
        return 1;
    /* Between two consecutive boundaries the set of pieces in force does
     * not change.  64-bit: end + 1 of an open period must not wrap. */
    int64_t *bounds = am_malloc(n * 2 * sizeof *bounds);
    if (!bounds)
        return 0;
    for (size_t i = 0; i < n; i++) {
        bounds[2 * i] = pieces[i].start;
        bounds[2 * i + 1] = (int64_t)pieces[i].end + 1;
    }
    qsort(bounds, n * 2, sizeof *bounds, compare_days);
    for (size_t b = 0; b + 1 < n * 2; b++) {
        if (bounds[b + 1] <= bounds[b])
            continue;
        const int32_t lo = (int32_t)bounds[b], hi = (int32_t)(bounds[b + 1] - 1);
        /* The largest share is paid rightly; the others are at stake. */
        int64_t rest = 0, largest = 0;
        int active = 0;
        for (size_t i = 0; i < n; i++) {
            if (pieces[i].start > lo || pieces[i].end < hi)
                continue;
            const int64_t share = am_record_share(pieces[i].record, lo, hi);
            rest = am_money_add(rest, share > largest ? largest : share);
            largest = share > largest ? share : largest;
            active++;
        }
        if (active < 2)
            continue;
        s->amount_fen = am_money_add(s->amount_fen, rest);
        s->days += (int64_t)hi - lo + 1;
        if (s->first > lo)
            s->first = lo;
        if (s->last < hi)
            s->last = hi;
    }
    am_free(bounds);
    return 1;
}

void am_stake_add_one_offs(const am_record *const *records, size_t n, am_stake *s)
{
    int64_t largest = 0;
    for (size_t i = 0; i < n; i++) {
        const am_record *r = records[i];
        s->amount_fen = am_money_add(s->amount_fen, r->amount_fen);
        largest = r->amount_fen > largest ? r->amount_fen : largest;
        if (s->first > r->start)
            s->first = r->start;
        if (s->last < r->start)
            s->last = r->start;
    }
    s->amount_fen -= largest;
}
