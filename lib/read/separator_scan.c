/*
 * separator_scan.c — the vectorised search for delimiters and line ends
 * (see separator_scan.h).  Each block of 16 or 32 bytes is compared with
 * the three bytes at once; the positions come out of the resulting bit
 * mask lowest first.  The plain C kind is the reference the others are
 * fuzzed against, and scans the tail shorter than a block.
 */
#include "read/separator_scan.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

static size_t scan_scalar(const char *s, size_t n, unsigned char delim, uint32_t *pos,
                          size_t cap, size_t *scanned)
{
    size_t i = 0, k = 0;
    for (; i < n && k < cap; i++) {
        const unsigned char c = (unsigned char)s[i];
        if (c == delim || c == '\r' || c == '\n')
            pos[k++] = (uint32_t)i;
    }
    *scanned = i;
    return k;
}

/* Scans the part of s after the whole blocks the caller took (i bytes,
 * k positions so far). */
static size_t finish_tail(const char *s, size_t n, size_t i, size_t k, unsigned char delim,
                          uint32_t *pos, size_t cap, size_t *scanned)
{
    size_t tail, more = scan_scalar(s + i, n - i, delim, pos + k, cap - k, &tail);
    for (size_t j = k; j < k + more; j++)
        pos[j] += (uint32_t)i;
    *scanned = i + tail;
    return k + more;
}

#ifdef HAVE_X86
static size_t scan_sse2(const char *s, size_t n, unsigned char delim, uint32_t *pos,
                        size_t cap, size_t *scanned)
{
    const __m128i d = _mm_set1_epi8((char)delim), cr = _mm_set1_epi8('\r'),
                  lf = _mm_set1_epi8('\n');
    size_t i = 0, k = 0;
    for (; i + 16 <= n && cap - k >= 16; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, cr)),
                                         _mm_cmpeq_epi8(v, lf));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        while (m) {
            pos[k++] = (uint32_t)(i + (unsigned)__builtin_ctz(m));
            m &= m - 1;
        }
    }
    if (i + 16 <= n) {
        /* pos[] is nearly full: the caller comes back for the rest. */
        *scanned = i;
        return k;
    }
    return finish_tail(s, n, i, k, delim, pos, cap, scanned);
}

__attribute__((target("avx2"))) static size_t scan_avx2(const char *s, size_t n,
                                                        unsigned char delim, uint32_t *pos,
                                                        size_t cap, size_t *scanned)
{
    const __m256i d = _mm256_set1_epi8((char)delim), cr = _mm256_set1_epi8('\r'),
                  lf = _mm256_set1_epi8('\n');
    size_t i = 0, k = 0;
    for (; i + 32 <= n && cap - k >= 32; i += 32) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        const __m256i hit = _mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(v, d), _mm256_cmpeq_epi8(v, cr)),
            _mm256_cmpeq_epi8(v, lf));
        unsigned m = (unsigned)_mm256_movemask_epi8(hit);
        while (m) {
            pos[k++] = (uint32_t)(i + (unsigned)__builtin_ctz(m));
            m &= m - 1;
        }
    }
    if (i + 32 <= n) {
        *scanned = i;
        return k;
    }
    return finish_tail(s, n, i, k, delim, pos, cap, scanned);
}
#endif

am_separator_scan_fn am_separator_scanner(am_scan_kind kind)
{
    switch (kind) {
    case AM_SCAN_SCALAR: return scan_scalar;
#ifdef HAVE_X86
    case AM_SCAN_SSE2: return scan_sse2;
    case AM_SCAN_AVX2: return __builtin_cpu_supports("avx2") ? scan_avx2 : NULL;
    /* AVX2 reads no faster than SSE2 here (bench/read_cost): fields are
     * a few bytes, so the time goes to the positions, not the compares. */
    case AM_SCAN_BEST: return scan_sse2;
#else
    case AM_SCAN_SSE2:
    case AM_SCAN_AVX2: return NULL;
    case AM_SCAN_BEST: return scan_scalar;
#endif
    }
    return NULL;
}
