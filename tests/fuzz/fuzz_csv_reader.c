/*
 * fuzz_csv_reader.c — am_read_csv_buffer on arbitrary bytes, and the text
 * decoder fed the same bytes in arbitrary chunks.
 *
 * Input: byte 0 picks the reader options, byte 1 the chunk cuts; the rest
 * is the file (plain or gzip).
 *
 * Invariants: every record's fields are NUL-terminated, valid UTF-8 (a NUL
 * byte allowed only when the record says has_nul, which a NUL implies), no longer than
 * max_field; records start on strictly increasing lines; the result
 * counts what was delivered; a failure leaves a message.  Decoding in
 * chunks gives the same text and marks as decoding in one piece.
 */
#include <stdlib.h>
#include <string.h>

#include "read/csv_reader.h"
#include "fuzz.h"
#include "read/text_decoder.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

typedef struct state {
    am_reader_opts opts;
    uint64_t last_line;
    uint64_t rows;
    uint64_t stop_after; /* 0: never */
} state;

/* Strict UTF-8 (no overlongs, surrogates or values above U+10FFFF); NUL
 * bytes are counted in *nuls. */
static int valid_utf8(const unsigned char *s, size_t n, size_t *nuls)
{
    size_t i = 0;
    while (i < n) {
        const unsigned c = s[i];
        if (c < 0x80) {
            *nuls += c == 0;
            i++;
            continue;
        }
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if (s[i + k] < lo || s[i + k] > hi)
                return 0;
            lo = 0x80;
            hi = 0xBF;
        }
        i += len;
    }
    return 1;
}

static int on_row(void *user, const am_text_row *row)
{
    state *s = user;
    FUZZ_CHECK(row->line > s->last_line);
    s->last_line = row->line;
    FUZZ_CHECK(row->nfields > 0);
    size_t nuls = 0;
    for (size_t i = 0; i < row->nfields; i++) {
        const char *f = row->field[i];
        FUZZ_CHECK(f[row->len[i]] == '\0');
        FUZZ_CHECK(row->len[i] <= s->opts.max_field);
        FUZZ_CHECK(valid_utf8((const unsigned char *)f, row->len[i], &nuls));
    }
    /* A NUL is flagged; one in the part of a field cut off by max_field
     * leaves the flag without the byte. */
    FUZZ_CHECK(!nuls || row->has_nul);
    FUZZ_CHECK(nuls || !row->has_nul || row->field_too_long);
    s->rows++;
    return s->stop_after && s->rows >= s->stop_after;
}

/* Decodes in one piece and in up to four pieces cut where cuts says:
 * the same text and the same marks must come out. */
static void decoder_chunks(const uint8_t *data, size_t size, am_encoding enc, unsigned cuts)
{
    am_text_decoder whole, parts;
    FUZZ_CHECK(am_text_decoder_init(&whole, enc) == AM_OK);
    FUZZ_CHECK(am_text_decoder_init(&parts, enc) == AM_OK);
    FUZZ_CHECK(am_text_decoder_feed(&whole, data, size, 1) == AM_OK);

    char *text = malloc(whole.out_len + 1);
    size_t *marks = malloc((whole.nmarks + 1) * sizeof *marks);
    FUZZ_CHECK(text && marks);
    size_t tlen = 0, nmarks = 0, off = 0;
    size_t cut[4] = {0, 0, 0, size};
    for (int k = 0; k < 3; k++)
        cut[k] = size ? ((cuts >> (2 * k)) & 3) * size / 4 + ((cuts >> (6 + k)) & 1) : 0;
    for (int k = 0; k < 4; k++) {
        size_t to = cut[k] < off ? off : cut[k] > size ? size : cut[k];
        if (k == 3)
            to = size;
        FUZZ_CHECK(am_text_decoder_feed(&parts, data + off, to - off, k == 3) == AM_OK);
        FUZZ_CHECK(tlen + parts.out_len <= whole.out_len);
        if (parts.out_len)
            memcpy(text + tlen, parts.out, parts.out_len);
        for (size_t m = 0; m < parts.nmarks; m++) {
            FUZZ_CHECK(nmarks < whole.nmarks);
            marks[nmarks++] = tlen + parts.marks[m];
        }
        tlen += parts.out_len;
        off = to;
    }
    FUZZ_CHECK(tlen == whole.out_len);
    FUZZ_CHECK(tlen == 0 || memcmp(text, whole.out, tlen) == 0);
    FUZZ_CHECK(nmarks == whole.nmarks);
    FUZZ_CHECK(nmarks == 0 || memcmp(marks, whole.marks, nmarks * sizeof *marks) == 0);
    FUZZ_CHECK(whole.enc == parts.enc);
    size_t nuls = 0;
    FUZZ_CHECK(valid_utf8((const unsigned char *)whole.out, whole.out_len, &nuls));
    free(text);
    free(marks);
    am_text_decoder_free(&whole);
    am_text_decoder_free(&parts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char delimiters[8] = {',', '\t', ';', '|', ' ', ':', 0, 'a'};
    if (size < 2)
        return 0;
    const unsigned opt = data[0], cuts = data[1];
    data += 2;
    size -= 2;

    state s = {0};
    s.opts.encoding = (am_encoding)(opt % 5);
    s.opts.delimiter = delimiters[(opt >> 3) & 7];
    switch (opt >> 6) {
    case 1: s.opts.max_field = 16; break;
    case 2: s.opts.max_line = 40; break;
    case 3: s.opts.max_rows = 3; s.stop_after = (cuts & 1) ? 2 : 0; break;
    default: break;
    }
    const size_t max_field = s.opts.max_field;
    if (!s.opts.max_field)
        s.opts.max_field = 65536; /* the reader's default, for the check */

    am_reader_opts opts = s.opts;
    opts.max_field = max_field;
    am_read_result result;
    am_err err;
    err.msg[0] = '\0';
    const am_status st =
        am_read_csv_buffer(data, size, "fuzz.csv", &opts, on_row, &s, &result, &err);
    FUZZ_CHECK(result.bytes_read <= size);
    FUZZ_CHECK(result.records == s.rows);
    if (st == AM_OK) {
        FUZZ_CHECK(result.bytes_read == size);
        FUZZ_CHECK(strlen(result.xxh3) == 32);
        FUZZ_CHECK(result.encoding != AM_ENC_AUTO);
    } else {
        FUZZ_CHECK(st == AM_ERR_IO || st == AM_ERR_FORMAT || st == AM_ERR_LIMIT ||
                   st == AM_ERR_ABORTED);
        FUZZ_CHECK(st == AM_ERR_ABORTED || strncmp(err.msg, "fuzz.csv", 8) == 0);
        FUZZ_CHECK(result.xxh3[0] == '\0');
    }

    decoder_chunks(data, size, s.opts.encoding, cuts);
    return 0;
}
