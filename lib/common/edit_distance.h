/*
 * edit_distance.h — Levenshtein distance of two short strings of code
 * points, for "did you mean" suggestions.
 */
#ifndef AM_EDIT_DISTANCE_H
#define AM_EDIT_DISTANCE_H

#include <stddef.h>
#include <stdint.h>

/* The longest string am_edit_distance compares; longer ones are cut. */
#define AM_EDIT_DISTANCE_MAX 64

/* The number of insertions, deletions and substitutions that turn
 * a[0..na) into b[0..nb), each cut at AM_EDIT_DISTANCE_MAX. */
size_t am_edit_distance(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

#endif
