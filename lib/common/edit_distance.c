/*
 * edit_distance.c — Levenshtein distance (see edit_distance.h), one row
 * of the table at a time.
 */
#include "common/edit_distance.h"

size_t am_edit_distance(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    if (na > AM_EDIT_DISTANCE_MAX)
        na = AM_EDIT_DISTANCE_MAX;
    if (nb > AM_EDIT_DISTANCE_MAX)
        nb = AM_EDIT_DISTANCE_MAX;
    size_t row[AM_EDIT_DISTANCE_MAX + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            const size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}
