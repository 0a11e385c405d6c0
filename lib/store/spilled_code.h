/*
 * spilled_code.h — the compact form of a spilled record in partition
 * files: fields as variable-length integers, the household token only when
 * there is one.  A partitioned run writes every record twice (to its
 * bucket, then to its partition) and the page cache's writes were most of
 * what partitioning cost (bench/RESULTS.md); at 10M persons the form takes
 * about 37 bytes a record where the fixed one takes 64.
 */
#ifndef AM_SPILLED_CODE_H
#define AM_SPILLED_CODE_H

#include <stddef.h>

#include "store/spill.h"

/* The most bytes one record's encoding takes. */
#define AM_SPILLED_CODE_MAX 72

/* Encodes s into out (room for AM_SPILLED_CODE_MAX bytes) and returns the
 * bytes written.  Carries every field of a spilled record as spill.h
 * describes it: rec.household 0 or 1, the token only when it is 1. */
size_t am_spilled_encode(const void *s, unsigned char *out);

/* Decodes one record from the avail bytes at in into *s (an am_spilled).
 * Returns the bytes it took, or 0 when they are not a record's encoding
 * (cut short, a field out of its range, unknown flags). */
size_t am_spilled_decode(const unsigned char *in, size_t avail, void *s);

/* The bytes am_spilled_decode would take from the avail bytes at in, 0
 * where it would refuse them; nothing decoded, so that a record can be
 * copied from file to file as it is. */
size_t am_spilled_measure(const unsigned char *in, size_t avail);

/* The person key (am_token_key) of the record whose encoding begins at
 * in, which am_spilled_measure has found whole: the encoding puts the
 * person's token after a flags byte. */
static inline uint64_t am_spilled_person_key(const unsigned char *in)
{
    return am_token_key(in + 1);
}

/* Encoding, decoding and measuring, for spill files of records
 * (am_spill_create_coded). */
extern const am_spill_codec am_spilled_codec;

#endif
