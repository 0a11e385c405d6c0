/*
 * stake.h — money at stake where payments overlap: over every stretch of
 * days in which several pieces of payment are in force, the pro-rated
 * amounts of all but the largest.  What one payment would have covered is
 * not at stake; what the others add is.  One-off payments paid once too
 * often are judged the same way: every payment but the largest.
 */
#ifndef AM_STAKE_H
#define AM_STAKE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* A part [start, end] of a payment record's period. */
typedef struct am_piece {
    int32_t start, end;
    const am_record *record;
} am_piece;

typedef struct am_stake {
    int64_t amount_fen; /* added up over every overlapping stretch */
    int64_t days;       /* days on which two or more pieces are in force */
    int32_t first, last; /* the first and last such day */
} am_stake;

/* Adds the stake of n pieces to *s (start from AM_STAKE_EMPTY).
 * Returns 0 when out of memory. */
int am_stake_add(const am_piece *pieces, size_t n, am_stake *s);

/* Adds to *s the stake of n one-off payments of one cluster: every payment
 * but the largest, the one that was due.  first and last take their days;
 * days is left to the caller.  Amounts saturate (money.h). */
void am_stake_add_one_offs(const am_record *const *records, size_t n, am_stake *s);

#define AM_STAKE_EMPTY ((am_stake){0, 0, INT32_MAX, INT32_MIN})

/* The share of a record's amount that falls on days [start, end]. */
int64_t am_record_share(const am_record *r, int32_t start, int32_t end);

#endif
