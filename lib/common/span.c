/*
 * span.c — day-set algebra (see span.h).  Sets are small (a person's
 * payments of one item), so linear merges beat anything cleverer.
 */
#include "common/span.h"

#include <stdlib.h>

#include "common/alloc.h"

int am_spans_add(am_spans *s, int32_t start, int32_t end)
{
    return AM_PUSH(s->v, s->n, s->capacity, ((am_span){start, end}));
}

static int compare_spans(const void *pa, const void *pb)
{
    const am_span *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->end < b->end ? -1 : a->end > b->end;
}

void am_spans_normalise(am_spans *s)
{
    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof *s->v, compare_spans);
    size_t out = 0;
    for (size_t i = 1; i < s->n; i++) {
        /* 64-bit: an open end is INT32_MAX, and end + 1 must not wrap. */
        if ((int64_t)s->v[i].start <= (int64_t)s->v[out].end + 1) {
            if (s->v[i].end > s->v[out].end)
                s->v[out].end = s->v[i].end;
        } else {
            s->v[++out] = s->v[i];
        }
    }
    s->n = out + 1;
}

int am_spans_intersect(const am_spans *a, const am_spans *b, am_spans *out)
{
    out->n = 0;
    size_t i = 0, j = 0;
    while (i < a->n && j < b->n) {
        const int32_t lo = a->v[i].start > b->v[j].start ? a->v[i].start : b->v[j].start;
        const int32_t hi = a->v[i].end < b->v[j].end ? a->v[i].end : b->v[j].end;
        if (lo <= hi && !am_spans_add(out, lo, hi))
            return 0;
        if (a->v[i].end < b->v[j].end)
            i++;
        else
            j++;
    }
    return 1;
}

int am_spans_subtract(const am_spans *a, const am_spans *b, am_spans *out)
{
    out->n = 0;
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        int64_t lo = a->v[i].start;
        const int64_t hi = a->v[i].end;
        while (j < b->n && b->v[j].end < lo)
            j++;
        for (size_t k = j; k < b->n && b->v[k].start <= hi && lo <= hi; k++) {
            if (b->v[k].start > lo && !am_spans_add(out, (int32_t)lo, b->v[k].start - 1))
                return 0;
            lo = (int64_t)b->v[k].end + 1;
        }
        if (lo <= hi && !am_spans_add(out, (int32_t)lo, (int32_t)hi))
            return 0;
    }
    return 1;
}

void am_spans_clip(am_spans *s, int32_t lo, int32_t hi)
{
    size_t out = 0;
    for (size_t i = 0; i < s->n; i++) {
        am_span sp = s->v[i];
        if (sp.start < lo)
            sp.start = lo;
        if (sp.end > hi)
            sp.end = hi;
        if (sp.start <= sp.end)
            s->v[out++] = sp;
    }
    s->n = out;
}

int64_t am_spans_days(const am_spans *s)
{
    int64_t days = 0;
    for (size_t i = 0; i < s->n; i++)
        days += (int64_t)s->v[i].end - s->v[i].start + 1;
    return days;
}

int64_t am_spans_overlap(const am_spans *s, int32_t start, int32_t end)
{
    int64_t days = 0;
    for (size_t i = 0; i < s->n; i++) {
        const int32_t lo = s->v[i].start > start ? s->v[i].start : start;
        const int32_t hi = s->v[i].end < end ? s->v[i].end : end;
        if (lo <= hi)
            days += (int64_t)hi - lo + 1;
    }
    return days;
}

void am_spans_clear(am_spans *s) { s->n = 0; }

void am_spans_free(am_spans *s)
{
    am_free(s->v);
    s->v = NULL;
    s->n = s->capacity = 0;
}
