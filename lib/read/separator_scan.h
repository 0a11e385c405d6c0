/*
 * separator_scan.h — finds the bytes that end fields and lines (the
 * delimiter, CR, LF) in text known to hold no quote character, many bytes
 * per instruction: SSE2 on every x86-64 (an AVX2 kind, where the CPU has
 * it, is kept to be measured and fuzzed, as it measured no faster), plain
 * C elsewhere.  With no quote, those positions are the whole of CSV: the
 * reader cuts fields between them without libcsv.
 */
#ifndef AM_SEPARATOR_SCAN_H
#define AM_SEPARATOR_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* The smallest cap a scan accepts: one block of the widest kind. */
#define AM_SCAN_MIN_CAP 64

typedef enum am_scan_kind {
    AM_SCAN_BEST = 0, /* the fastest kind this CPU runs */
    AM_SCAN_SCALAR,
    AM_SCAN_SSE2,
    AM_SCAN_AVX2
} am_scan_kind;

/* Writes to pos[], in order, the offset from s of every byte of
 * s[0..*scanned) equal to delim, '\r' or '\n', and returns how many it
 * wrote (at most cap).  It stops early rather than overflow pos[], so
 * *scanned may be less than n, but is more than 0 when n > 0.  Requires
 * cap >= AM_SCAN_MIN_CAP and n <= UINT32_MAX.  Reads s[0..n) only. */
typedef size_t (*am_separator_scan_fn)(const char *s, size_t n, unsigned char delim,
                                       uint32_t *pos, size_t cap, size_t *scanned);

/* Returns the scanner of that kind, or NULL when this CPU or build has no
 * such kind (AM_SCAN_BEST and AM_SCAN_SCALAR are always there).  The
 * function is static: nothing to free, safe from any thread. */
am_separator_scan_fn am_separator_scanner(am_scan_kind kind);

#endif
