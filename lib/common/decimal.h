/*
 * decimal.h — unsigned fixed-point numbers written as decimal text, the
 * one digit loop behind amounts in yuan, link probabilities and counts in
 * the outputs (snprintf's format parsing costs more than the digits in
 * files of millions of rows).
 */
#ifndef AM_DECIMAL_H
#define AM_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* The longest text am_decimal_text writes, NUL included: twenty digits
 * (with the zero before the point), a point and the NUL. */
#define AM_DECIMAL_TEXT_MAX 22

/* Writes v / 10^decimals with exactly `decimals` digits after a point
 * (none and no point when decimals is 0) and at least one before it
 * ("0.005" for 5 with 3), then a NUL, into out; decimals is at most 19.
 * out holds the text: AM_DECIMAL_TEXT_MAX bytes always suffice.  Returns
 * the length written, NUL not counted. */
size_t am_decimal_text(uint64_t v, unsigned decimals, char *out);

#endif
