/*
 * fuzz_csv_scan.c — the vectorised scanner against libcsv, the reference:
 * the same bytes read with every line through libcsv and with the quote-free
 * lines split by each scanner kind this CPU has must give the same records
 * (fields byte for byte, row boundaries, start lines, flags), the same
 * status and message, and the same result.  The scanner kinds must also
 * find the same separators as the plain C one on the raw bytes, however
 * small the room for positions.
 *
 * Input: byte 0 picks the reader options (as fuzz_csv_reader), byte 1 the
 * room for positions and whether the callback stops the read early; the
 * rest is the file (plain or gzip).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "read/csv_reader.h"
#include "read/separator_scan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* Everything a read delivered, written out in one byte string. */
typedef struct transcript {
    unsigned char *p;
    size_t len, cap;
    uint64_t rows, stop_after; /* stop_after 0: never */
} transcript;

static void put(transcript *t, const void *p, size_t n)
{
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n)
            cap *= 2;
        t->p = realloc(t->p, cap);
        FUZZ_CHECK(t->p != NULL);
        t->cap = cap;
    }
    if (n)
        memcpy(t->p + t->len, p, n);
    t->len += n;
}

static int on_row(void *user, const am_text_row *row)
{
    transcript *t = user;
    const uint64_t head[5] = {row->line, row->nfields, (uint64_t)row->bad_encoding,
                              (uint64_t)row->has_nul, (uint64_t)row->field_too_long};
    put(t, head, sizeof head);
    for (size_t i = 0; i < row->nfields; i++) {
        const uint64_t len = row->len[i];
        put(t, &len, sizeof len);
        put(t, row->field[i], row->len[i] + 1); /* with its NUL */
    }
    t->rows++;
    return t->stop_after && t->rows >= t->stop_after;
}

typedef struct outcome {
    am_status st;
    am_read_result result;
    am_err err;
    transcript t;
} outcome;

static void read_with(const uint8_t *data, size_t size, const am_reader_opts *opts,
                      uint64_t stop_after, outcome *o)
{
    memset(o, 0, sizeof *o);
    o->t.stop_after = stop_after;
    o->st = am_read_csv_buffer(data, size, "fuzz.csv", opts, on_row, &o->t, &o->result, &o->err);
}

static void same_outcome(const outcome *a, const outcome *b)
{
    FUZZ_CHECK(a->st == b->st);
    FUZZ_CHECK(a->t.rows == b->t.rows);
    FUZZ_CHECK(a->t.len == b->t.len);
    FUZZ_CHECK(a->t.len == 0 || memcmp(a->t.p, b->t.p, a->t.len) == 0);
    FUZZ_CHECK(a->result.records == b->result.records);
    FUZZ_CHECK(a->result.bytes_read == b->result.bytes_read);
    FUZZ_CHECK(a->result.encoding == b->result.encoding);
    FUZZ_CHECK(strcmp(a->result.xxh3, b->result.xxh3) == 0);
    /* The callback's stop leaves err as the callback left it. */
    FUZZ_CHECK(a->st == AM_OK || a->st == AM_ERR_ABORTED || strcmp(a->err.msg, b->err.msg) == 0);
}

/* Every kind finds what the plain C kind finds, with cap slots a call. */
static void same_separators(const uint8_t *data, size_t size, unsigned char delim, size_t cap)
{
    uint32_t *want = malloc((size + 1) * sizeof *want), *got = malloc((cap + 1) * sizeof *got);
    FUZZ_CHECK(want && got);
    size_t nwant, scanned;
    nwant = am_separator_scanner(AM_SCAN_SCALAR)((const char *)data, size, delim, want,
                                                 size + AM_SCAN_MIN_CAP, &scanned);
    FUZZ_CHECK(scanned == size);
    for (am_scan_kind k = AM_SCAN_BEST; k <= AM_SCAN_AVX2; k++) {
        am_separator_scan_fn scan = am_separator_scanner(k);
        if (!scan)
            continue;
        size_t base = 0, seen = 0;
        while (base < size) {
            size_t n = scan((const char *)data + base, size - base, delim, got, cap, &scanned);
            FUZZ_CHECK(scanned > 0 && scanned <= size - base && n <= cap);
            for (size_t i = 0; i < n; i++) {
                FUZZ_CHECK(seen < nwant);
                FUZZ_CHECK(base + got[i] == want[seen]);
                seen++;
            }
            base += scanned;
        }
        FUZZ_CHECK(seen == nwant);
    }
    free(want);
    free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char delimiters[8] = {',', '\t', ';', '|', ' ', ':', 0, 'a'};
    if (size < 2)
        return 0;
    const unsigned opt = data[0], more = data[1];
    data += 2;
    size -= 2;

    am_reader_opts opts = {.encoding = (am_encoding)(opt % 5)};
    opts.delimiter = delimiters[(opt >> 3) & 7];
    uint64_t stop_after = 0;
    switch (opt >> 6) {
    case 1: opts.max_field = 16; break;
    case 2: opts.max_line = 40; break;
    case 3: opts.max_rows = 3; break;
    default: break;
    }
    if (more & 0x80)
        stop_after = 1 + (more & 3);

    outcome ref, got;
    opts.libcsv_only = 1;
    read_with(data, size, &opts, stop_after, &ref);
    opts.libcsv_only = 0;
    for (am_scan_kind k = AM_SCAN_BEST; k <= AM_SCAN_AVX2; k++) {
        if (!am_separator_scanner(k))
            continue;
        opts.scan = k;
        read_with(data, size, &opts, stop_after, &got);
        same_outcome(&ref, &got);
        free(got.t.p);
    }
    free(ref.t.p);

    same_separators(data, size, opts.delimiter ? opts.delimiter : ',',
                    AM_SCAN_MIN_CAP + (more & 0x7f));
    return 0;
}
