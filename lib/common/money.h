/*
 * money.h — amounts as integer fen.  No floating point ever touches money:
 * 0.1 yuan has no exact binary representation, and sums of such errors
 * would make two runs of the same data disagree in the last digit.
 */
#ifndef AM_MONEY_H
#define AM_MONEY_H

#include <stddef.h>
#include <stdint.h>

typedef enum am_money_status {
    AM_MONEY_OK = 0,
    AM_MONEY_BAD,      /* not a decimal with at most two decimals */
    AM_MONEY_NEGATIVE,
    AM_MONEY_OVERFLOW  /* too large to hold */
} am_money_status;

/* Parses a yuan amount such as "1234.5", "1,234.50", "¥12", "+3" into fen.
 * Thousands separators (',') and a leading ¥/￥ are accepted; spaces are
 * not trimmed (the caller trims).  Above 92233720368547757.99 yuan it
 * returns AM_MONEY_OVERFLOW (fen must fit an int64_t with room to spare). */
am_money_status am_money_parse(const char *s, size_t len, int64_t *fen);

/* Writes fen as yuan with exactly two decimals ("-12.30") and a NUL into
 * out, which must hold 32 bytes.  Returns the length written. */
int am_money_format(int64_t fen, char out[32]);

/* Returns a + b, or INT64_MAX / INT64_MIN where the sum would overflow:
 * totals of amounts saturate rather than wrap. */
int64_t am_money_add(int64_t a, int64_t b);

/* Returns amount * part / whole rounded half away from zero, computed
 * without overflow: the pro-rated share of an amount over part of a
 * period.  whole must be positive. */
int64_t am_money_prorate(int64_t amount, int64_t part, int64_t whole);

#endif
