/*
 * area.h — the area code kept with a record: the first six digits of a
 * raw resident ID, the county-level administrative division where the ID
 * was issued.  An area code identifies nobody on its own; the rest of the
 * ID is hashed and wiped as before.  It lives in the record's three
 * reserved bytes (six digits need 20 bits), so a record stays 48 bytes.
 * Records of tokenised feeds have no area code (0: unknown).
 */
#ifndef AM_AREA_H
#define AM_AREA_H

#include <stdint.h>

#include "store/store.h"

/* Keeps an area code (below 2^24) in rec. */
static inline void am_area_put(am_record *rec, uint32_t code)
{
    rec->reserved[0] = (uint8_t)(code & 0xFF);
    rec->reserved[1] = (uint8_t)((code >> 8) & 0xFF);
    rec->reserved[2] = (uint8_t)((code >> 16) & 0xFF);
}

/* Keeps the area code of a normalised 18-character ID in rec. */
static inline void am_area_set(am_record *rec, const char *id18)
{
    uint32_t code = 0;
    for (int i = 0; i < 6; i++)
        code = code * 10 + (uint32_t)(id18[i] - '0');
    am_area_put(rec, code);
}

/* The record's area code, 0 when unknown. */
static inline uint32_t am_area_of(const am_record *rec)
{
    return (uint32_t)rec->reserved[0] | (uint32_t)rec->reserved[1] << 8 |
           (uint32_t)rec->reserved[2] << 16;
}

#endif
