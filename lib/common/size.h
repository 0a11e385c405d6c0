/*
 * size.h — a size as people write it: bytes, or with a K, M or G suffix
 * (binary: 1K = 1024 bytes), for --memory-limit and memory_limit.
 */
#ifndef AM_SIZE_H
#define AM_SIZE_H

#include <stdint.h>

/* Parses text ("2G", "512M", "1048576") into *bytes.  Returns 1, or 0 for
 * anything else (empty, a sign, a fraction, another suffix, a size past
 * UINT64_MAX); *bytes is then unchanged. */
int am_size_parse(const char *text, uint64_t *bytes);

#endif
