/*
 * span.h — sets of days as sorted, disjoint inclusive ranges, and the set
 * algebra rules are written in: union, intersection, difference.
 */
#ifndef AM_SPAN_H
#define AM_SPAN_H

#include <stddef.h>
#include <stdint.h>

typedef struct am_span {
    int32_t start, end; /* inclusive */
} am_span;

typedef struct am_spans {
    am_span *v;
    size_t n, capacity;
} am_spans;

/* Appends [start, end]; call am_spans_normalise before using the set.
 * Returns 0 when out of memory. */
int am_spans_add(am_spans *s, int32_t start, int32_t end);

/* Sorts and merges overlapping or touching ranges into a set. */
void am_spans_normalise(am_spans *s);

/* out = a ∩ b, out = a \ b (a and b normalised; out is overwritten).
 * Return 0 when out of memory. */
int am_spans_intersect(const am_spans *a, const am_spans *b, am_spans *out);
int am_spans_subtract(const am_spans *a, const am_spans *b, am_spans *out);

/* Keeps only the days within [lo, hi]. */
void am_spans_clip(am_spans *s, int32_t lo, int32_t hi);

/* Days in the set, and days the set shares with [start, end]. */
int64_t am_spans_days(const am_spans *s);
int64_t am_spans_overlap(const am_spans *s, int32_t start, int32_t end);

void am_spans_clear(am_spans *s);
void am_spans_free(am_spans *s);

#endif
