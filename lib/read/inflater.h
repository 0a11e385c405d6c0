/*
 * inflater.h — gzip to bytes, as a stream: ISA-L's igzip where the build
 * has it (several times faster than zlib on x86-64), else zlib.  Both
 * accept the same files and refuse the same damage.
 */
#ifndef AM_INFLATER_H
#define AM_INFLATER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct am_inflater am_inflater;

/* Receives len inflated bytes, valid during the call only; anything but
 * AM_OK stops the inflating and is returned as is. */
typedef am_status (*am_inflate_sink)(void *user, const unsigned char *out, size_t len);

/* The gzip bomb guard, one check for whichever thread inflates: 1 when
 * inflated text bytes from stored bytes are past a floor of 16 MiB (so
 * that a small file of one repeated row is not refused) and more than
 * max_ratio times stored. */
static inline int am_inflate_ratio_exceeded(uint64_t inflated, uint64_t stored,
                                            unsigned max_ratio)
{
    return inflated > ((uint64_t)16 << 20) && inflated / max_ratio > stored;
}

/* A new inflater at the start of a gzip file, in *out (the caller frees it
 * with am_inflater_free).  Returns AM_OK or AM_ERR_NOMEM. */
am_status am_inflater_new(am_inflater **out);

/* Inflates the next n stored bytes, handing every byte of output to sink
 * before returning.  Concatenated gzip members are one file, as gzip(1)
 * reads them.  Returns AM_OK; AM_ERR_FORMAT when the bytes are not gzip or
 * are damaged (bad header, data or check sum, or bytes after a member that
 * do not start another); AM_ERR_NOMEM; or what sink returned.  No message
 * is set: the caller names the file. */
am_status am_inflater_feed(am_inflater *z, const unsigned char *p, size_t n,
                           am_inflate_sink sink, void *user);

/* 1 when the bytes so far end exactly at the end of a member: a file that
 * stops anywhere else is truncated. */
int am_inflater_done(const am_inflater *z);

/* "isa-l" or "zlib": what this build inflates with. */
const char *am_inflater_engine(void);

/* Frees z (NULL is allowed). */
void am_inflater_free(am_inflater *z);

#endif
