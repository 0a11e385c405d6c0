/*
 * test_csv_reader.c — known-answer tests for csv_reader.c and
 * text_decoder.c.
 *
 * Every read is turned into a transcript, one row per line:
 *     LINE[B][N][T]:field|field|...
 * (B bad_encoding, N has_nul, T field_too_long; in fields \n, \r, NUL, |
 * and \ are written \n, \r, \0, \| and \\), and compared with the expected
 * text.  The large inputs are built here from fixed byte strings (the GBK,
 * GB18030 and UTF-16 bytes are written out, not produced by iconv), so the
 * oracle does not share code with the reader.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include "read/csv_reader.h"
#include "common/error.h"
#ifdef AM_FAULT_INJECTION
#include "common/fault.h"
#endif
#include "check_run.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void buf_put(buf *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        b->p = realloc(b->p, cap);
        ck_assert_ptr_nonnull(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

typedef struct sink {
    buf t;          /* transcript */
    uint64_t rows;
    uint64_t stop_at; /* return 1 on this row (1-based); 0 never */
} sink;

static int collect(void *user, const am_text_row *row)
{
    sink *s = user;
    char head[64];

    ck_assert_uint_gt(row->nfields, 0);
    snprintf(head, sizeof head, "%llu%s%s%s:", (unsigned long long)row->line,
             row->bad_encoding ? "B" : "", row->has_nul ? "N" : "",
             row->field_too_long ? "T" : "");
    buf_str(&s->t, head);
    for (size_t i = 0; i < row->nfields; i++) {
        ck_assert_msg(row->field[i][row->len[i]] == '\0', "field %zu not NUL-terminated", i);
        if (i)
            buf_str(&s->t, "|");
        for (size_t k = 0; k < row->len[i]; k++) {
            char c = row->field[i][k];
            switch (c) {
            case '\n': buf_str(&s->t, "\\n"); break;
            case '\r': buf_str(&s->t, "\\r"); break;
            case '\0': buf_str(&s->t, "\\0"); break;
            case '|': buf_str(&s->t, "\\|"); break;
            case '\\': buf_str(&s->t, "\\\\"); break;
            default: buf_put(&s->t, &c, 1);
            }
        }
    }
    buf_str(&s->t, "\n");
    s->rows++;
    return s->stop_at && s->rows == s->stop_at;
}

static const char *tx(const sink *s) { return s->t.p ? s->t.p : ""; }

static void hex128(const void *p, size_t n, char out[33])
{
    XXH128_hash_t h = XXH3_128bits(p, n);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
}

static void gzip_bytes(const void *in, size_t n, buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    out->len = 0;
    buf_put(out, "", 0);
    char *dst = malloc(cap);
    ck_assert_ptr_nonnull(dst);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)dst;
    zs.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    buf_put(out, dst, cap - zs.avail_out);
    deflateEnd(&zs);
    free(dst);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static char *temp_path(const char *tag)
{
    char tmpl[] = "/tmp/am_csvtest_XXXXXX";
    int fd = mkstemp(tmpl);
    ck_assert_int_ge(fd, 0);
    close(fd);
    unlink(tmpl);
    size_t n = strlen(tmpl) + strlen(tag) + 1;
    char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    snprintf(p, n, "%s%s", tmpl, tag);
    return p;
}

static am_status read_mem(const void *p, size_t n, const am_reader_opts *o, sink *s,
                          am_read_result *res, am_err *err)
{
    err->msg[0] = '\0';
    return am_read_csv_buffer(p, n, "t", o, collect, s, res, err);
}

/* ------------------------------------------------------------------ */
/* Known answers over buffers                                           */

#define IN(s) s, sizeof(s) - 1

/* Byte strings used below. */
#define U8_NAME "\xE5\xA7\x93\xE5\x90\x8D"   /* 姓名 */
#define U8_AMT "\xE9\x87\x91\xE9\xA2\x9D"    /* 金额 */
#define U8_ZS "\xE5\xBC\xA0\xE4\xB8\x89"     /* 张三 */
#define U8_ZHANG "\xE5\xBC\xA0"              /* 张 */
#define GB_NAME "\xD0\xD5\xC3\xFB"
#define GB_AMT "\xBD\xF0\xB6\xEE"
#define GB_ZS "\xD5\xC5\xC8\xFD"
#define FFFD "\xEF\xBF\xBD"
#define U8_BOM "\xEF\xBB\xBF"

typedef struct kat {
    const char *what;
    const char *in;
    size_t len;
    am_encoding enc;
    unsigned char delim;
    size_t max_field, max_line;
    uint64_t max_rows;
    am_status want;
    am_encoding want_enc;
    const char *rows;
    const char *msg; /* exact message, or NULL when want is AM_OK */
} kat;

static const kat kats[] = {
    {"plain", IN("a,b,c\n1,2,3\n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1:a|b|c\n2:1|2|3\n", NULL},
    /* Quote-free stretches are split without queuing their lines, which
     * are numbered from their line ends: CRLF, a lone CR, blank lines. */
    {"line ends of every kind in one stretch", IN("a,b\r\nc\rd\n\n\r\ne,f\n"), AM_ENC_AUTO, 0,
     0, 0, 0, AM_OK, AM_ENC_UTF8, "1:a|b\n2:c\n3:d\n6:e|f\n", NULL},
    {"stretches on both sides of a quoted line", IN("a\r\n\nb\n\"c\nx\",y\nd\r\ne\r"),
     AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8, "1:a\n3:b\n4:c\\nx|y\n6:d\n7:e\n", NULL},
    {"quoted delimiter and doubled quotes",
     IN("name,note\n\"Li, Wei\",\"said \"\"hi\"\"\"\n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK,
     AM_ENC_UTF8, "1:name|note\n2:Li, Wei|said \"hi\"\n", NULL},
    {"embedded newlines keep later line numbers",
     IN("h1,h2\n\"line1\nline2\",x\nnext,y\n\"a\n\nb\",z\nlast,w\n"), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_OK, AM_ENC_UTF8, "1:h1|h2\n2:line1\\nline2|x\n4:next|y\n5:a\\n\\nb|z\n8:last|w\n", NULL},
    {"newline in a later field", IN("a,\"b\nc\",\"d\n\ne\"\nf\n"), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_OK, AM_ENC_UTF8, "1:a|b\\nc|d\\n\\ne\n5:f\n", NULL},
    {"crlf", IN("a,b\r\n1,2\r\n\r\n3,4\r\n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1:a|b\n2:1|2\n4:3|4\n", NULL},
    {"crlf inside quotes is data", IN("a,\"x\r\ny\"\r\nb,c\r\n"), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_OK, AM_ENC_UTF8, "1:a|x\\r\\ny\n3:b|c\n", NULL},
    {"lone cr", IN("a,b\r1,2\r\r3,4\r"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1:a|b\n2:1|2\n4:3|4\n", NULL},
    {"lf then cr are two line ends", IN("a\n\rb\r\n\nc"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK,
     AM_ENC_UTF8, "1:a\n3:b\n5:c\n", NULL},
    {"blank lines", IN("\n\na,b\n\n\nc,d\n\n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "3:a|b\n6:c|d\n", NULL},
    {"no trailing newline", IN("a,b\nc,d"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1:a|b\n2:c|d\n", NULL},
    {"no trailing newline after quoted field", IN("a,\"b\nc\""), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_OK, AM_ENC_UTF8, "1:a|b\\nc\n", NULL},
    {"spaces are kept", IN(" a , b ,\t c\t\n  \n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1: a | b |\t c\t\n2:  \n", NULL},
    {"empty fields", IN(",,\n\"\",x\n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1:||\n2:|x\n", NULL},
    {"stray quotes in unquoted fields", IN("5\" disk,ok\nab\"c,d\"\n"), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_OK, AM_ENC_UTF8, "1:5\" disk|ok\n2:ab\"c|d\"\n", NULL},
    {"semicolon delimiter", IN("a;b,c\n"), AM_ENC_AUTO, ';', 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1:a|b,c\n", NULL},
    {"tab delimiter", IN("a\tb c\n"), AM_ENC_AUTO, '\t', 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1:a|b c\n", NULL},
    {"empty input", IN(""), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8, "", NULL},
    {"only line ends", IN("\n\r\n\r"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8, "", NULL},

    /* Encodings */
    {"utf-8 auto", IN(U8_NAME "," U8_AMT "\n" U8_ZS ",100\n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK,
     AM_ENC_UTF8, "1:" U8_NAME "|" U8_AMT "\n2:" U8_ZS "|100\n", NULL},
    {"utf-8 bom auto", IN(U8_BOM U8_NAME "," U8_AMT "\n" U8_ZS ",100\n"), AM_ENC_AUTO, 0, 0, 0,
     0, AM_OK, AM_ENC_UTF8, "1:" U8_NAME "|" U8_AMT "\n2:" U8_ZS "|100\n", NULL},
    {"utf-8 bom declared", IN(U8_BOM "id,x\n1,2\n"), AM_ENC_UTF8, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1:id|x\n2:1|2\n", NULL},
    {"bom only", IN(U8_BOM), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8, "", NULL},
    {"gbk declared", IN(GB_NAME "," GB_AMT "\n" GB_ZS ",100\n"), AM_ENC_GB18030, 0, 0, 0, 0,
     AM_OK, AM_ENC_GB18030, "1:" U8_NAME "|" U8_AMT "\n2:" U8_ZS "|100\n", NULL},
    {"gbk auto", IN(GB_NAME "," GB_AMT "\n" GB_ZS ",100\n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK,
     AM_ENC_GB18030, "1:" U8_NAME "|" U8_AMT "\n2:" U8_ZS "|100\n", NULL},
    {"gbk auto after ascii header", IN("id,name\n1," GB_ZS "\n"), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_OK, AM_ENC_GB18030, "1:id|name\n2:1|" U8_ZS "\n", NULL},
    {"gb18030 four-byte", IN("\x95\x32\x82\x36,x\n"), AM_ENC_GB18030, 0, 0, 0, 0, AM_OK,
     AM_ENC_GB18030, "1:\xF0\xA0\x80\x80|x\n", NULL},
    {"utf-16le bom", IN("\xFF\xFE" "a\0,\0b\0\n\0" "\x20\x5F\x09\x4E,\0" "1\0\n\0"),
     AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF16LE, "1:a|b\n2:" U8_ZS "|1\n", NULL},
    {"utf-16le declared with bom", IN("\xFF\xFE" "a\0\n\0"), AM_ENC_UTF16LE, 0, 0, 0, 0, AM_OK,
     AM_ENC_UTF16LE, "1:a\n", NULL},
    {"utf-16be bom", IN("\xFE\xFF" "\0a\0,\0b\0\n" "\x5F\x20\x4E\x09"), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_OK, AM_ENC_UTF16BE, "1:a|b\n2:" U8_ZS "\n", NULL},
    {"utf-16le lone surrogate", IN("\xFF\xFE" "a\0\x00\xD8,\0x\0\n\0" "y\0\n\0"), AM_ENC_AUTO,
     0, 0, 0, 0, AM_OK, AM_ENC_UTF16LE, "1B:a" FFFD "|x\n2:y\n", NULL},
    {"utf-16le odd last byte", IN("\xFF\xFE" "a\0\n\0b"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK,
     AM_ENC_UTF16LE, "1:a\n2B:" FFFD "\n", NULL},

    /* Invalid input: the row is delivered and flagged, its neighbours not */
    {"invalid utf-8 declared", IN("id,name\n1,ok\n2,bad\xFF\n3,fine\n"), AM_ENC_UTF8, 0, 0, 0,
     0, AM_OK, AM_ENC_UTF8, "1:id|name\n2:1|ok\n3B:2|bad" FFFD "\n4:3|fine\n", NULL},
    {"invalid byte under auto is gb18030 and still flagged",
     IN("id,name\n1,ok\n2,bad\xFF\n3,fine\n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_GB18030,
     "1:id|name\n2:1|ok\n3B:2|bad" FFFD "\n4:3|fine\n", NULL},
    {"overlong, surrogate and too-large sequences",
     IN("\xC0\xAF,\xED\xA0\x80,\xF4\x90\x80\x80\nok\n"), AM_ENC_UTF8, 0, 0, 0, 0, AM_OK,
     AM_ENC_UTF8, "1B:" FFFD FFFD "|" FFFD FFFD FFFD "|" FFFD FFFD FFFD FFFD "\n2:ok\n", NULL},
    {"cut utf-8 sequence does not swallow the delimiter",
     IN(U8_ZS ",a\n\xE5\xBC,x\n"), AM_ENC_UTF8, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1:" U8_ZS "|a\n2B:" FFFD "|x\n", NULL},
    /* Eight good characters outweigh one bad sequence: still UTF-8. */
    {"mostly valid utf-8 under auto",
     IN(U8_NAME "," U8_AMT "," U8_ZS "," U8_ZS "\n\xE5\xBC,x\n"), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_OK, AM_ENC_UTF8, "1:" U8_NAME "|" U8_AMT "|" U8_ZS "|" U8_ZS "\n2B:" FFFD "|x\n", NULL},
    {"two good characters do not outweigh one bad sequence",
     IN(U8_ZS ",a\n\xE5\xBC,x\n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_GB18030,
     "1:\xE5\xAF\xAE\xE7\x8A\xB1\xE7\xAC\x81|a\n2:\xE5\xAF\xAE|x\n", NULL},
    {"cut utf-8 sequence at end of input", IN("a\n\xE5\xBC"), AM_ENC_UTF8, 0, 0, 0, 0, AM_OK,
     AM_ENC_UTF8, "1:a\n2B:" FFFD "\n", NULL},
    {"bad gbk lead before a comma", IN(GB_ZS "\x81,x\n" GB_ZS ",y\n"), AM_ENC_GB18030, 0, 0, 0,
     0, AM_OK, AM_ENC_GB18030, "1B:" U8_ZS FFFD "|x\n2:" U8_ZS "|y\n", NULL},
    /* Cut short by the end of the file, a four-byte character's first two
     * bytes are invalid like any other: the 0 and the line end after them
     * stay (they were once swallowed into one U+FFFD). */
    {"gb18030 cut short at the end", IN("a,b\n1,\x81\x30\n"), AM_ENC_GB18030, 0, 0, 0, 0,
     AM_OK, AM_ENC_GB18030, "1:a|b\n2B:1|" FFFD "0\n", NULL},
    {"bom in the middle", IN("a,b\n" U8_BOM "c,d\ne,f\n"), AM_ENC_UTF8, 0, 0, 0, 0, AM_OK,
     AM_ENC_UTF8, "1:a|b\n2B:" U8_BOM "c|d\n3:e|f\n", NULL},
    {"bom in the middle under auto", IN(U8_BOM "a\n" U8_BOM "b\n"), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_OK, AM_ENC_UTF8, "1:a\n2B:" U8_BOM "b\n", NULL},
    {"genuine U+FFFD is not flagged", IN("a," FFFD "\n"), AM_ENC_UTF8, 0, 0, 0, 0, AM_OK,
     AM_ENC_UTF8, "1:a|" FFFD "\n", NULL},
    {"flag covers every line of a multi-line record", IN("\"a\n\xFF\",b\nc\n"), AM_ENC_UTF8, 0,
     0, 0, 0, AM_OK, AM_ENC_UTF8, "1B:a\\n" FFFD "|b\n3:c\n", NULL},

    /* NUL and limits */
    {"embedded nul", IN("a,b\0c\nd,e\n"), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK, AM_ENC_UTF8,
     "1N:a|b\\0c\n2:d|e\n", NULL},
    {"field too long", IN("abcdef,xy\nabcd,e\n"), AM_ENC_AUTO, 0, 4, 0, 0, AM_OK, AM_ENC_UTF8,
     "1T:abcd|xy\n2:abcd|e\n", NULL},
    {"field truncated on a character boundary", IN(U8_ZS ",x\n"), AM_ENC_AUTO, 0, 4, 0, 0,
     AM_OK, AM_ENC_UTF8, "1T:" U8_ZHANG "|x\n", NULL},
    {"quoted field too long", IN("\"a,b,c\",d\n"), AM_ENC_AUTO, 0, 3, 0, 0, AM_OK, AM_ENC_UTF8,
     "1T:a,b|d\n", NULL},
    {"line of exactly max_line", IN("a,b\n12345678\n"), AM_ENC_AUTO, 0, 0, 8, 0, AM_OK,
     AM_ENC_UTF8, "1:a|b\n2:12345678\n", NULL},
    {"line too long", IN("a,b\n123456789\nc\n"), AM_ENC_AUTO, 0, 0, 8, 0, AM_ERR_LIMIT,
     AM_ENC_UTF8, "1:a|b\n", "t:2: line longer than 8 bytes"},
    {"quoted record too long", IN("x\n\"abcdefgh\nabcdefgh\nabcdefgh\"\n"), AM_ENC_AUTO, 0, 0,
     10, 0, AM_ERR_LIMIT, AM_ENC_UTF8, "1:x\n", "t:2: quoted record longer than 10 bytes"},
    {"max_rows reached exactly", IN("h\n1\n2\n"), AM_ENC_AUTO, 0, 0, 0, 3, AM_OK, AM_ENC_UTF8,
     "1:h\n2:1\n3:2\n", NULL},
    {"max_rows exceeded", IN("h\n1\n\n2\n"), AM_ENC_AUTO, 0, 0, 0, 2, AM_ERR_LIMIT, AM_ENC_UTF8,
     "1:h\n2:1\n", "t:4: more than 1 rows after the header; raise max_rows if the feed is really "
     "this long"},

    /* Unterminated quotes */
    {"unterminated quote", IN("a,b\nc,\"unclosed\nmore\n"), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_ERR_FORMAT, AM_ENC_UTF8, "1:a|b\n", "t:2: unterminated quoted field"},
    {"unterminated quote without final newline", IN("a\n\n\"x"), AM_ENC_AUTO, 0, 0, 0, 0,
     AM_ERR_FORMAT, AM_ENC_UTF8, "1:a\n", "t:3: unterminated quoted field"},
    {"unterminated quote after a multi-line field", IN("\"p\nq\",\"r\ns\n"), AM_ENC_AUTO, 0, 0,
     0, 0, AM_ERR_FORMAT, AM_ENC_UTF8, "", "t:2: unterminated quoted field"},
    {"text after a closing quote reopens the field", IN("\"ab\"c,d\ne\n"), AM_ENC_AUTO, 0, 0, 0,
     0, AM_ERR_FORMAT, AM_ENC_UTF8, "", "t:1: unterminated quoted field"},
    {"doubled quote at end of input", IN("\"ab\"\""), AM_ENC_AUTO, 0, 0, 0, 0, AM_ERR_FORMAT,
     AM_ENC_UTF8, "", "t:1: unterminated quoted field"},
    {"closing quote at end of input", IN("x,\"ab\"\"c\""), AM_ENC_AUTO, 0, 0, 0, 0, AM_OK,
     AM_ENC_UTF8, "1:x|ab\"c\n", NULL},
};

#define NKATS (sizeof kats / sizeof kats[0])

START_TEST(test_kat)
{
    const kat *k = &kats[_i];
    am_reader_opts o = {k->enc, k->delim, k->max_field, k->max_line, k->max_rows, 0, 0, 0, NULL, 0, 0};
    sink s = {0};
    am_read_result res;
    am_err err;

    am_status st = read_mem(k->in, k->len, &o, &s, &res, &err);
    ck_assert_msg(st == k->want, "%s: status %d (%s), want %d", k->what, (int)st, err.msg,
                  (int)k->want);
    ck_assert_msg(strcmp(tx(&s), k->rows) == 0, "%s: rows\n%s\nwant\n%s", k->what, tx(&s),
                  k->rows);
    if (k->msg)
        ck_assert_msg(strcmp(err.msg, k->msg) == 0, "%s: message '%s', want '%s'", k->what,
                      err.msg, k->msg);
    ck_assert_msg(res.encoding == k->want_enc, "%s: encoding %s, want %s", k->what,
                  am_encoding_name(res.encoding), am_encoding_name(k->want_enc));
    ck_assert_uint_eq(res.records, s.rows);
    ck_assert_uint_eq(res.bytes_read, k->len);
    buf_free(&s.t);
}
END_TEST

/* UTF-8 is checked 16 bytes at a time where the text is ASCII and common
 * CJK characters: every kind of damage, and every character that takes
 * the general check, at every position relative to those blocks. */
static const struct {
    const char *bytes; /* put between two runs of CJK */
    const char *read;  /* what the reader must deliver in its place */
    int bad;
} block_cases[] = {
    {"", "", 0},
    {"\xE6\x96", "\xEF\xBF\xBD", 1},            /* a CJK lead and one continuation */
    {"\xE6", "\xEF\xBF\xBD", 1},                /* a lone lead */
    {"\x80", "\xEF\xBF\xBD", 1},                /* a stray continuation */
    {"\xE6\x96\x87\x80", "\xE6\x96\x87\xEF\xBF\xBD", 1}, /* one continuation too many */
    {"\xEF\xBC\x8C", "\xEF\xBC\x8C", 0},        /* a full-width comma: valid, not common */
    {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", 0}, /* four bytes */
    {"\xC3\xA9", "\xC3\xA9", 0},                /* two bytes */
    {"\xE3\x80\x80", "\xE3\x80\x80", 0},        /* U+3000, a common lead */
    {"\xED\x9F\xBF", "\xED\x9F\xBF", 0},        /* U+D7FF: ED is no common lead */
    {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 1}, /* a surrogate */
    {"\xE0\xA0\x80", "\xE0\xA0\x80", 0},        /* U+0800: nor is E0 */
    {"\xE0\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 1}, /* overlong */
};

START_TEST(test_utf8_blocks)
{
    static const char cjk[] = "\xE6\xB1\x9F\xE8\x8B\x8F\xE7\x9C\x81\xE6\xB1\x9F\xE9\x98\xB4"
                              "\xE5\xB8\x82\xE5\xA4\x8F\xE6\xB8\xAF"; /* 江苏省江阴市夏港 */
    const size_t ncases = sizeof block_cases / sizeof *block_cases;
    for (size_t c = 0; c < ncases; c++) {
        for (size_t shift = 0; shift < 40; shift++) {
            buf in = {0}, want = {0};
            buf_str(&in, "h\n");
            buf_str(&want, "1:h\n");
            for (size_t k = 0; k < shift; k++)
                buf_str(&in, "a");
            buf_str(&in, cjk);
            buf_str(&in, block_cases[c].bytes);
            buf_str(&in, cjk);
            buf_str(&in, "\n");
            buf_str(&want, block_cases[c].bad ? "2B:" : "2:");
            for (size_t k = 0; k < shift; k++)
                buf_str(&want, "a");
            buf_str(&want, cjk);
            buf_str(&want, block_cases[c].read);
            buf_str(&want, cjk);
            buf_str(&want, "\n");
            am_reader_opts o = {.encoding = AM_ENC_UTF8};
            sink s = {0};
            am_read_result res;
            am_err err;
            ck_assert_int_eq(read_mem(in.p, in.len, &o, &s, &res, &err), AM_OK);
            ck_assert_msg(strcmp(tx(&s), want.p) == 0, "case %zu, shift %zu:\n%s\nwant\n%s", c,
                          shift, tx(&s), want.p);
            buf_free(&s.t);
            buf_free(&in);
            buf_free(&want);
        }
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Hash, counts, callback                                               */

START_TEST(test_xxh3_known)
{
    static const char data[] = "a,b\n1,2\n";
    am_read_result res;
    am_err err;
    sink s = {0};
    char want[33];

    ck_assert_int_eq(read_mem(data, sizeof data - 1, NULL, &s, &res, &err), AM_OK);
    hex128(data, sizeof data - 1, want);
    ck_assert_str_eq(res.xxh3, want);
    ck_assert_uint_eq(res.bytes_read, 8);
    ck_assert_uint_eq(res.records, 2);
    buf_free(&s.t);

    /* Published XXH3-128 of the empty input, seed 0. */
    ck_assert_int_eq(read_mem("", 0, NULL, &s, &res, &err), AM_OK);
    ck_assert_str_eq(res.xxh3, "99aa06d3014798d86001c324468d497f");
    ck_assert_uint_eq(res.records, 0);
}
END_TEST

/* The callback shares err with its caller and explains its own stop: the
 * reader must leave that message alone. */
typedef struct stopper {
    sink s;
    am_err *err;
} stopper;

static int stop_with_message(void *user, const am_text_row *row)
{
    stopper *st = user;
    int stop = collect(&st->s, row);
    if (stop)
        am_fail(st->err, AM_ERR_FORMAT, "t:%llu: callback's own reason",
                (unsigned long long)row->line);
    return stop;
}

START_TEST(test_callback_abort)
{
    static const char data[] = "h\n1\n2\n3\n";
    am_read_result res;
    am_err err;
    stopper st = {{{0}, 0, 0}, &err};

    st.s.stop_at = 2;
    err.msg[0] = '\0';
    ck_assert_int_eq(am_read_csv_buffer(data, sizeof data - 1, "t", NULL, stop_with_message, &st,
                                        &res, &err),
                     AM_ERR_ABORTED);
    ck_assert_str_eq(tx(&st.s), "1:h\n2:1\n");
    ck_assert_str_eq(err.msg, "t:2: callback's own reason");
    ck_assert_uint_eq(res.records, 2);
    ck_assert_str_eq(res.xxh3, "");
    buf_free(&st.s.t);

    /* The same inside a batch of quote-free lines and after a quoted one. */
    static const char data2[] = "\"h\"\na\nb\nc\nd\n";
    stopper st2 = {{{0}, 0, 0}, &err};
    st2.s.stop_at = 3;
    ck_assert_int_eq(am_read_csv_buffer(data2, sizeof data2 - 1, "t", NULL, stop_with_message,
                                        &st2, &res, &err),
                     AM_ERR_ABORTED);
    ck_assert_str_eq(tx(&st2.s), "1:h\n2:a\n3:b\n");
    ck_assert_uint_eq(res.records, 3);
    buf_free(&st2.s.t);
}
END_TEST

static int count_only(void *user, const am_text_row *row)
{
    (void)row;
    (*(uint64_t *)user)++;
    return 0;
}

/* iconv_open failing for want of descriptors is an I/O error that says so,
 * not "cannot decode gb18030 on this system" (a configuration error).  Run
 * in a fresh process (this test program again, see main), where the GB18030
 * module is not loaded yet, under a descriptor limit already reached. */
static int decoder_out_of_descriptors(void)
{
    const int lowest = dup(0);
    close(lowest);
    struct rlimit was, lim;
    if (getrlimit(RLIMIT_NOFILE, &was) != 0)
        return 10;
    lim = was;
    lim.rlim_cur = (rlim_t)lowest;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 10;
    am_reader_opts o = {AM_ENC_GB18030, ',', 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    am_read_result res;
    am_err err;
    const am_status st = am_read_csv_buffer("a,b\n", 4, "t", &o, NULL, NULL, &res, &err);
    setrlimit(RLIMIT_NOFILE, &was); /* the sanitizers' exit reports need descriptors */
    if (st != AM_ERR_IO)
        return 11;
    return strcmp(err.msg, "t: cannot open the gb18030 decoder: Too many open files") ? 12 : 0;
}

START_TEST(test_decoder_out_of_descriptors)
{
    const pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("AM_TEST_DECODER_EMFILE", "1", 1);
        execl("/proc/self/exe", "test_csv_reader", (char *)NULL);
        _exit(13);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child: exit %d (10 setrlimit, 11 status, 12 message, 13 exec)",
                  WEXITSTATUS(status));
}
END_TEST

START_TEST(test_null_callback_and_opts)
{
    am_read_result res;
    am_err err;
    uint64_t n = 0;

    ck_assert_int_eq(am_read_csv_buffer("a\nb\n", 4, "x", NULL, NULL, NULL, &res, &err), AM_OK);
    ck_assert_uint_eq(res.records, 2);
    ck_assert_int_eq(am_read_csv_buffer("a\nb\n", 4, NULL, NULL, count_only, &n, NULL, NULL),
                     AM_OK);
    ck_assert_uint_eq(n, 2);
    am_reader_opts bad = {AM_ENC_AUTO, '"', 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    ck_assert_int_eq(am_read_csv_buffer("a\n", 2, "x", &bad, NULL, NULL, &res, &err),
                     AM_ERR_INVALID);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Encoding names                                                       */

static const struct {
    const char *name;
    int ok;
    am_encoding enc;
} enc_names[] = {
    {"auto", 1, AM_ENC_AUTO},         {"utf-8", 1, AM_ENC_UTF8},
    {"UTF-8", 1, AM_ENC_UTF8},        {"utf8", 1, AM_ENC_UTF8},
    {"gbk", 1, AM_ENC_GB18030},       {"GBK", 1, AM_ENC_GB18030},
    {"gb2312", 1, AM_ENC_GB18030},    {"gb18030", 1, AM_ENC_GB18030},
    {"utf-16", 1, AM_ENC_UTF16LE},    {"utf-16le", 1, AM_ENC_UTF16LE},
    {"UTF-16BE", 1, AM_ENC_UTF16BE},  {"latin1", 0, AM_ENC_AUTO},
    {"", 0, AM_ENC_AUTO},             {"utf-88", 0, AM_ENC_AUTO},
};

START_TEST(test_encoding_names)
{
    for (size_t i = 0; i < sizeof enc_names / sizeof enc_names[0]; i++) {
        am_encoding e = (am_encoding)99;
        int ok = am_encoding_parse(enc_names[i].name, &e);
        ck_assert_msg(ok == enc_names[i].ok, "parse '%s'", enc_names[i].name);
        if (ok)
            ck_assert_msg(e == enc_names[i].enc, "parse '%s' gave %d", enc_names[i].name, e);
    }
    ck_assert_str_eq(am_encoding_name(AM_ENC_AUTO), "auto");
    ck_assert_str_eq(am_encoding_name(AM_ENC_UTF8), "utf-8");
    ck_assert_str_eq(am_encoding_name(AM_ENC_GB18030), "gb18030");
    ck_assert_str_eq(am_encoding_name(AM_ENC_UTF16LE), "utf-16le");
    ck_assert_str_eq(am_encoding_name(AM_ENC_UTF16BE), "utf-16be");
}
END_TEST

/* ------------------------------------------------------------------ */
/* gzip                                                                 */

static const char gz_plain[] = "id,name\n1," U8_ZS "\n\"2\n\",x\n";
static const char gz_rows[] = "1:id|name\n2:1|" U8_ZS "\n3:2\\n|x\n";

START_TEST(test_gzip_buffer)
{
    buf z = {0};
    sink s = {0};
    am_read_result res;
    am_err err;
    char want[33];

    gzip_bytes(gz_plain, sizeof gz_plain - 1, &z);
    ck_assert_int_eq(read_mem(z.p, z.len, NULL, &s, &res, &err), AM_OK);
    ck_assert_str_eq(tx(&s), gz_rows);
    ck_assert_uint_eq(res.bytes_read, z.len);
    hex128(z.p, z.len, want);
    ck_assert_str_eq(res.xxh3, want);
    ck_assert_int_eq(res.encoding, AM_ENC_UTF8);
    buf_free(&s.t);
    buf_free(&z);
}
END_TEST

START_TEST(test_gzip_members)
{
    buf a = {0}, b = {0};
    sink s = {0};
    am_read_result res;
    am_err err;

    gzip_bytes("a,1\n", 4, &a);
    gzip_bytes("b,2\n", 4, &b);
    buf_put(&a, b.p, b.len);
    ck_assert_int_eq(read_mem(a.p, a.len, NULL, &s, &res, &err), AM_OK);
    ck_assert_str_eq(tx(&s), "1:a|1\n2:b|2\n");
    buf_free(&s.t);

    /* Anything but another member after the end is corruption: bytes too
     * few for a header, and a whole header's worth that is not one. */
    size_t whole = a.len;
    buf_put(&a, "\0\0\0\0", 4);
    ck_assert_int_eq(read_mem(a.p, a.len, NULL, &s, &res, &err), AM_ERR_IO);
    ck_assert_str_eq(err.msg, "t: truncated or corrupt gzip data");
    buf_free(&s.t);
    a.len = whole;
    buf_put(&a, "not a gzip member, but text", 27);
    ck_assert_int_eq(read_mem(a.p, a.len, NULL, &s, &res, &err), AM_ERR_IO);
    ck_assert_str_eq(err.msg, "t: truncated or corrupt gzip data");
    buf_free(&s.t);
    buf_free(&a);
    buf_free(&b);
}
END_TEST

static int count_rows(void *user, const am_text_row *row)
{
    (void)row;
    ++*(uint64_t *)user;
    return 0;
}

/* A gzip bomb: text past 16 MiB that inflates more than max_inflate_ratio
 * (default 100) times its stored size fails the read; below the floor, or
 * with the ratio raised, the same kind of file is read whole. */
START_TEST(test_gzip_ratio_guard)
{
    static const char row[] = "1234567890123456789012345678901\n"; /* 32 bytes */
    const size_t big = (size_t)24 << 20, small = (size_t)4 << 20;
    char *text = malloc(big);
    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i < big; i += 32)
        memcpy(text + i, row, 32);
    buf z = {0};
    am_read_result res;
    am_err err;
    uint64_t rows = 0;
    gzip_bytes(text, big, &z);
    ck_assert_uint_gt(big / z.len, 100); /* about 1000 */
    ck_assert_int_eq(am_read_csv_buffer(z.p, z.len, "t", NULL, count_rows, &rows, &res, &err),
                     AM_ERR_LIMIT);
    ck_assert_str_eq(err.msg, "t: the gzip data inflates to more than 100 times its size; raise "
                              "max_gzip_ratio if the feed is really this repetitive");
    ck_assert_uint_lt(rows, big / 32);
    am_reader_opts raised = {.max_inflate_ratio = 5000};
    rows = 0;
    ck_assert_int_eq(am_read_csv_buffer(z.p, z.len, "t", &raised, count_rows, &rows, &res, &err),
                     AM_OK);
    ck_assert_uint_eq(rows, big / 32);
    gzip_bytes(text, small, &z);
    rows = 0;
    ck_assert_int_eq(am_read_csv_buffer(z.p, z.len, "t", NULL, count_rows, &rows, &res, &err),
                     AM_OK);
    ck_assert_uint_eq(rows, small / 32);
    buf_free(&z);
    free(text);
}
END_TEST

START_TEST(test_gzip_damaged_buffer)
{
    buf z = {0};
    sink s = {0};
    am_read_result res;
    am_err err;

    gzip_bytes(gz_plain, sizeof gz_plain - 1, &z);
    /* Cut inside the trailer, inside the data, and right after the magic. */
    size_t cuts[] = {z.len - 1, z.len - 8, z.len / 2, 2};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        ck_assert_int_eq(read_mem(z.p, cuts[i], NULL, &s, &res, &err), AM_ERR_IO);
        ck_assert_str_eq(err.msg, "t: truncated or corrupt gzip data");
        buf_free(&s.t);
    }
    /* A flipped bit in the CRC, then (CRC mended) in the length. */
    z.p[z.len - 6] ^= 1;
    ck_assert_int_eq(read_mem(z.p, z.len, NULL, &s, &res, &err), AM_ERR_IO);
    ck_assert_str_eq(err.msg, "t: truncated or corrupt gzip data");
    buf_free(&s.t);
    z.p[z.len - 6] ^= 1;
    z.p[z.len - 2] ^= 1;
    ck_assert_int_eq(read_mem(z.p, z.len, NULL, &s, &res, &err), AM_ERR_IO);
    ck_assert_str_eq(err.msg, "t: truncated or corrupt gzip data");
    buf_free(&s.t);
    buf_free(&z);
}
END_TEST

START_TEST(test_gzip_file)
{
    buf z = {0};
    sink s = {0};
    am_read_result res;
    am_err err;
    char want[33], msg[600];
    char *path = temp_path(".csv");  /* not .gz: detection is by content */

    gzip_bytes(gz_plain, sizeof gz_plain - 1, &z);
    write_file(path, z.p, z.len);
    ck_assert_int_eq(am_read_csv_file(path, NULL, collect, &s, &res, &err), AM_OK);
    ck_assert_str_eq(tx(&s), gz_rows);
    ck_assert_uint_eq(res.bytes_read, z.len);
    hex128(z.p, z.len, want);
    ck_assert_str_eq(res.xxh3, want);
    buf_free(&s.t);

    write_file(path, z.p, z.len - 5);
    ck_assert_int_eq(am_read_csv_file(path, NULL, collect, &s, &res, &err), AM_ERR_IO);
    snprintf(msg, sizeof msg, "%s: truncated or corrupt gzip data", path);
    ck_assert_str_eq(err.msg, msg);
    buf_free(&s.t);

    unlink(path);
    free(path);
    buf_free(&z);
}
END_TEST

/* ------------------------------------------------------------------ */
/* gzip inflated ahead, on a thread of its own                          */

/* The threads of this process, from /proc: the inflating thread is one. */
static int threads_now(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

typedef struct ahead_sink {
    sink s;
    int most_threads; /* seen during the callbacks */
} ahead_sink;

/* As collect, without an assertion per row: Check writes down where each
 * one passed, which for millions of rows takes a minute. */
static int collect_ahead(void *user, const am_text_row *row)
{
    ahead_sink *a = user;
    sink *s = &a->s;
    if (s->rows % 4096 == 1000) {
        const int n = threads_now();
        if (n > a->most_threads)
            a->most_threads = n;
    }
    char head[32];
    snprintf(head, sizeof head, "%llu%s:", (unsigned long long)row->line,
             row->bad_encoding ? "B" : "");
    buf_str(&s->t, head);
    for (size_t i = 0; i < row->nfields; i++) {
        buf_put(&s->t, "|", i > 0);
        buf_put(&s->t, row->field[i], row->len[i]);
    }
    buf_str(&s->t, "\n");
    s->rows++;
    return s->stop_at && s->rows == s->stop_at;
}

/* bytes of text that compress little, so that 6 MB is more than the
 * inflating thread's ring and many times a reader's chunk: random digits,
 * Chinese names, quoted fields holding line ends, CRLF. */
static void ahead_text(buf *b, size_t bytes)
{
    uint32_t x = 12345;
    char row[160];
    buf_str(b, "id,name,note\n");
    for (unsigned i = 0; b->len < bytes; i++) {
        x = x * 1664525u + 1013904223u;
        const unsigned long long r = x;
        if (i % 7 == 3)
            snprintf(row, sizeof row, "%08u,\xE5\xBC\xA0%llu,\"two\nlines %llu\"\n", i, r, r % 977);
        else if (i % 5 == 1)
            snprintf(row, sizeof row, "%08u,\xE6\x9D\x8E%llu,%llu\r\n", i, r, r * 2654435761u);
        else
            snprintf(row, sizeof row, "%08u,n%llu,%llu\n", i, r, r % 100003);
        buf_str(b, row);
    }
}

typedef struct ahead_read {
    am_status st;
    char msg[sizeof ((am_err *)0)->msg];
    ahead_sink a;
    am_read_result res;
} ahead_read;

#ifdef AM_FAULT_INJECTION
/* What read_ahead makes fail (fault.h): its nth read (0: none), and
 * whether it refuses every thread start. */
static unsigned long fail_read_at;
static int refuse_threads;
static unsigned long threads_refused; /* by the last read_ahead */
#endif

static void read_ahead(const char *path, am_reader_opts o, int ahead, uint64_t stop_at,
                       ahead_read *out)
{
    am_err err;
    err.msg[0] = '\0';
    memset(out, 0, sizeof *out);
    out->a.s.stop_at = stop_at;
    o.inflate_ahead = ahead;
#ifdef AM_FAULT_INJECTION
    am_fault_fail_read_at(fail_read_at);
    am_fault_refuse_threads(refuse_threads);
#endif
    out->st = am_read_csv_file(path, &o, collect_ahead, &out->a, &out->res, &err);
#ifdef AM_FAULT_INJECTION
    am_fault_fail_read_at(0);
    threads_refused = am_fault_refuse_threads(0);
#endif
    memcpy(out->msg, err.msg, sizeof out->msg);
}

/* Reads the file both ways: the same records, counts, hash and failure,
 * and, for a whole file (read long enough to be seen), the second way
 * really on a second thread.  Returns the status. */
static am_status same_both_ways(const char *path, am_reader_opts o, uint64_t stop_at,
                                int whole, const char *what)
{
    ahead_read *one = malloc(sizeof *one), *two = malloc(sizeof *two);
    ck_assert_ptr_nonnull(one);
    ck_assert_ptr_nonnull(two);
    read_ahead(path, o, 0, stop_at, one);
    read_ahead(path, o, 1, stop_at, two);
    ck_assert_msg(one->st == two->st, "%s: %d against %d", what, (int)one->st, (int)two->st);
    ck_assert_msg(strcmp(one->msg, two->msg) == 0, "%s: \"%s\" against \"%s\"", what, one->msg,
                  two->msg);
    ck_assert_msg(one->a.s.rows == two->a.s.rows, "%s: %llu rows against %llu", what,
                  (unsigned long long)one->a.s.rows, (unsigned long long)two->a.s.rows);
    ck_assert_msg(strcmp(tx(&one->a.s), tx(&two->a.s)) == 0, "%s: other records", what);
    ck_assert_uint_eq(one->res.records, two->res.records);
    ck_assert_msg(one->res.bytes_read == two->res.bytes_read, "%s: %llu bytes read against %llu",
                  what, (unsigned long long)one->res.bytes_read,
                  (unsigned long long)two->res.bytes_read);
    if (one->st == AM_OK) {
        ck_assert_str_eq(one->res.xxh3, two->res.xxh3);
        ck_assert_int_eq(one->res.encoding, two->res.encoding);
    }
    if (whole)
        ck_assert_msg(two->a.most_threads > one->a.most_threads,
                      "%s: %d threads inflating ahead, %d not", what, two->a.most_threads,
                      one->a.most_threads);
    const am_status st = one->st;
    buf_free(&one->a.s.t);
    buf_free(&two->a.s.t);
    free(one);
    free(two);
    return st;
}

START_TEST(test_ahead_same_records)
{
    buf text = {0}, z = {0}, z2 = {0};
    ahead_text(&text, (size_t)6 << 20);
    gzip_bytes(text.p, text.len, &z);
    ck_assert_uint_gt(z.len, 4u << 18); /* four reader's chunks at least */
    char *path = temp_path(".csv.gz");
    am_reader_opts o = {.encoding = AM_ENC_AUTO};
    write_file(path, z.p, z.len);
    ck_assert_int_eq(same_both_ways(path, o, 0, 1, "one member"), AM_OK);

    /* Two members, the cut inside a line and inside a quoted field. */
    const size_t cut = text.len / 2 + 11;
    gzip_bytes(text.p, cut, &z);
    gzip_bytes(text.p + cut, text.len - cut, &z2);
    buf_put(&z, z2.p, z2.len);
    write_file(path, z.p, z.len);
    ck_assert_int_eq(same_both_ways(path, o, 0, 1, "two members"), AM_OK);

    /* GB18030 declared, and a libcsv-only read. */
    o.encoding = AM_ENC_GB18030;
    ck_assert_int_eq(same_both_ways(path, o, 0, 1, "gb18030"), AM_OK);
    o = (am_reader_opts){.encoding = AM_ENC_UTF8, .libcsv_only = 1};
    ck_assert_int_eq(same_both_ways(path, o, 0, 1, "libcsv only"), AM_OK);

    o = (am_reader_opts){.encoding = AM_ENC_AUTO};
    /* The callback stopping it: in the first chunk, read on this thread;
     * at two fifths, with the inflating thread waiting for room; and near
     * the end, with it done. */
    ck_assert_int_eq(same_both_ways(path, o, 10, 0, "stopped at 10"), AM_ERR_ABORTED);
    ck_assert_int_eq(same_both_ways(path, o, 80000, 0, "stopped at 80000"), AM_ERR_ABORTED);
    ck_assert_int_eq(same_both_ways(path, o, 200000, 0, "stopped at 200000"), AM_ERR_ABORTED);
    unlink(path);
    free(path);
    buf_free(&text);
    buf_free(&z);
    buf_free(&z2);
}
END_TEST

/* Damage anywhere fails the same way, after the same records. */
START_TEST(test_ahead_same_failures)
{
    buf text = {0}, z = {0}, bad = {0};
    ahead_text(&text, (size_t)6 << 20);
    gzip_bytes(text.p, text.len, &z);
    char *path = temp_path(".csv.gz");
    char what[64];
    const am_reader_opts o = {.encoding = AM_ENC_AUTO};
    const size_t cuts[] = {z.len - 1, z.len - 5, z.len - 8, z.len * 3 / 4, z.len / 3};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_file(path, z.p, cuts[i]);
        snprintf(what, sizeof what, "cut at %zu of %zu", cuts[i], z.len);
        ck_assert_int_eq(same_both_ways(path, o, 0, 0, what), AM_ERR_IO);
    }
    const size_t flips[] = {z.len / 2, z.len * 3 / 4, z.len - 6, z.len - 2};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        bad.len = 0;
        buf_put(&bad, z.p, z.len);
        bad.p[flips[i]] ^= 0x55;
        write_file(path, bad.p, bad.len);
        snprintf(what, sizeof what, "byte %zu of %zu changed", flips[i], z.len);
        ck_assert_int_ne(same_both_ways(path, o, 0, 0, what), AM_OK);
    }
    bad.len = 0;
    buf_put(&bad, z.p, z.len);
    buf_str(&bad, "not a gzip member");
    write_file(path, bad.p, bad.len);
    ck_assert_int_eq(same_both_ways(path, o, 0, 0, "text after the member"), AM_ERR_IO);
    unlink(path);
    free(path);
    buf_free(&text);
    buf_free(&z);
    buf_free(&bad);
}
END_TEST

/* The gzip ratio's limit, reached on the inflating thread, fails as on
 * the reader's own, after the same records. */
START_TEST(test_ahead_ratio_limit)
{
    buf text = {0}, z = {0};
    ahead_text(&text, (size_t)17 << 20); /* past the ratio's 16 MiB floor */
    gzip_bytes(text.p, text.len, &z);
    char *path = temp_path(".csv.gz");
    write_file(path, z.p, z.len);
    ck_assert_uint_gt(z.len, 4u << 18);
    const unsigned ratio = (unsigned)(text.len / z.len) - 1;
    am_reader_opts o = {.encoding = AM_ENC_AUTO, .max_inflate_ratio = ratio};
    ck_assert_int_eq(same_both_ways(path, o, 0, 0, "ratio"), AM_ERR_LIMIT);
    o.max_inflate_ratio = ratio + 2;
    ck_assert_int_eq(same_both_ways(path, o, 0, 1, "ratio raised"), AM_OK);
    unlink(path);
    free(path);
    buf_free(&text);
    buf_free(&z);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Files                                                                */

START_TEST(test_plain_file)
{
    static const char data[] = U8_BOM "a,b\r\n\"c\r\nd\",e\r\nf,g";
    sink s = {0};
    am_read_result res;
    am_err err;
    char want[33];
    char *path = temp_path(".csv");

    write_file(path, data, sizeof data - 1);
    ck_assert_int_eq(am_read_csv_file(path, NULL, collect, &s, &res, &err), AM_OK);
    ck_assert_str_eq(tx(&s), "1:a|b\n2:c\\r\\nd|e\n4:f|g\n");
    ck_assert_uint_eq(res.bytes_read, sizeof data - 1);
    hex128(data, sizeof data - 1, want);
    ck_assert_str_eq(res.xxh3, want);
    ck_assert_int_eq(res.encoding, AM_ENC_UTF8);
    unlink(path);
    free(path);
    buf_free(&s.t);
}
END_TEST

START_TEST(test_missing_file)
{
    sink s = {0};
    am_read_result res;
    am_err err;
    char *path = temp_path("-missing.csv");
    char want[600];

    ck_assert_int_eq(am_read_csv_file(path, NULL, collect, &s, &res, &err), AM_ERR_IO);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    ck_assert_str_eq(err.msg, want);
    ck_assert_uint_eq(s.rows, 0);
    free(path);
}
END_TEST

START_TEST(test_directory)
{
    sink s = {0};
    am_read_result res;
    am_err err;
    char tmpl[] = "/tmp/am_csvdir_XXXXXX";
    char want[600];

    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    ck_assert_int_eq(am_read_csv_file(tmpl, NULL, collect, &s, &res, &err), AM_ERR_IO);
    snprintf(want, sizeof want, "%s: Is a directory", tmpl);
    ck_assert_str_eq(err.msg, want);
    rmdir(tmpl);
}
END_TEST

START_TEST(test_unreadable_file)
{
    sink s = {0};
    am_read_result res;
    am_err err;
    char *path = temp_path(".csv");
    char want[600];

    write_file(path, "a\n", 2);
    ck_assert_int_eq(chmod(path, 0), 0);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        close(fd); /* privileged: permissions do not apply, nothing to test */
    } else {
        ck_assert_int_eq(am_read_csv_file(path, NULL, collect, &s, &res, &err), AM_ERR_IO);
        snprintf(want, sizeof want, "%s: Permission denied", path);
        ck_assert_str_eq(err.msg, want);
    }
    unlink(path);
    free(path);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Chunk boundaries                                                     */

/* Records alternate between two fixed shapes, after a header padded by
 * 0..period-1 bytes, so that whatever the reader's chunk size some padding
 * puts a chunk boundary at every position of both shapes (inside a
 * character, between CR and LF, inside a quoted field):
 *   A: NNNNNN,张三 𠀀,<TAB>x y<CR><LF>        one line, no quotes, spaces
 *   B: NNNNNN,张三𠀀,"多<CR><LF>行"<CR><LF>    two lines, quoted */
enum { TARGET_BYTES = 300 * 1024 };

typedef enum { FORM_UTF8, FORM_GB18030, FORM_UTF16LE } form;

#define U8_A_TAIL ",\xE5\xBC\xA0\xE4\xB8\x89 \xF0\xA0\x80\x80,\tx y\r\n"
#define U8_B_TAIL ",\xE5\xBC\xA0\xE4\xB8\x89\xF0\xA0\x80\x80,\"\xE5\xA4\x9A\r\n\xE8\xA1\x8C\"\r\n"
#define GB_A_TAIL ",\xD5\xC5\xC8\xFD \x95\x32\x82\x36,\tx y\r\n"
#define GB_B_TAIL ",\xD5\xC5\xC8\xFD\x95\x32\x82\x36,\"\xB6\xE0\r\n\xD0\xD0\"\r\n"
/* UTF-16LE of the same, after the six digits. */
static const unsigned char u16_a_tail[] = {
    ',', 0, 0x20, 0x5F, 0x09, 0x4E, ' ', 0, 0x40, 0xD8, 0x00, 0xDC, ',', 0, '\t', 0,
    'x', 0, ' ', 0, 'y', 0, '\r', 0, '\n', 0};
static const unsigned char u16_b_tail[] = {
    ',', 0, 0x20, 0x5F, 0x09, 0x4E, 0x40, 0xD8, 0x00, 0xDC, ',', 0, '"', 0, 0x1A, 0x59,
    '\r', 0, '\n', 0, 0x4C, 0x88, '"', 0, '\r', 0, '\n', 0};

static void put_ascii(buf *b, form f, const char *s)
{
    for (; *s; s++) {
        buf_put(b, s, 1);
        if (f == FORM_UTF16LE)
            buf_put(b, "", 1);
    }
}

static size_t build(buf *b, form f, size_t pad)
{
    char digits[16];
    size_t n = 0;

    b->len = 0;
    if (f == FORM_UTF16LE)
        buf_put(b, "\xFF\xFE", 2);
    put_ascii(b, f, "h,name,note\r\np");
    for (size_t i = 0; i < pad; i++)
        put_ascii(b, f, "x");
    put_ascii(b, f, "\r\n");
    while (b->len < TARGET_BYTES) {
        int quoted = n % 2;
        snprintf(digits, sizeof digits, "%06zu", n++);
        put_ascii(b, f, digits);
        if (f == FORM_UTF8) {
            if (quoted)
                buf_put(b, U8_B_TAIL, sizeof U8_B_TAIL - 1);
            else
                buf_put(b, U8_A_TAIL, sizeof U8_A_TAIL - 1);
        } else if (f == FORM_GB18030) {
            if (quoted)
                buf_put(b, GB_B_TAIL, sizeof GB_B_TAIL - 1);
            else
                buf_put(b, GB_A_TAIL, sizeof GB_A_TAIL - 1);
        } else {
            if (quoted)
                buf_put(b, u16_b_tail, sizeof u16_b_tail);
            else
                buf_put(b, u16_a_tail, sizeof u16_a_tail);
        }
    }
    return n;
}

typedef struct big_check {
    uint64_t rows;
    uint64_t next_line; /* where the next record must start */
    uint64_t bad;
    int pad_ok;
} big_check;

static int check_big_row(void *user, const am_text_row *row)
{
    big_check *c = user;
    static const char name_a[] = "\xE5\xBC\xA0\xE4\xB8\x89 \xF0\xA0\x80\x80";
    static const char note_a[] = "\tx y";
    static const char name_b[] = "\xE5\xBC\xA0\xE4\xB8\x89\xF0\xA0\x80\x80";
    static const char note_b[] = "\xE5\xA4\x9A\r\n\xE8\xA1\x8C";
    char digits[32];

    if (c->rows == 0) {
        if (!(row->line == 1 && row->nfields == 3))
            c->bad++;
    } else if (c->rows == 1) {
        c->pad_ok = row->line == 2 && row->nfields == 1;
        c->next_line = 3;
    } else {
        uint64_t k = c->rows - 2;
        int quoted = k % 2;
        const char *name = quoted ? name_b : name_a, *note = quoted ? note_b : note_a;
        size_t nlen = quoted ? sizeof name_b - 1 : sizeof name_a - 1;
        size_t tlen = quoted ? sizeof note_b - 1 : sizeof note_a - 1;
        snprintf(digits, sizeof digits, "%06llu", (unsigned long long)k);
        if (row->line != c->next_line || row->nfields != 3 || row->bad_encoding ||
            row->has_nul || row->field_too_long || strcmp(row->field[0], digits) != 0 ||
            row->len[1] != nlen || memcmp(row->field[1], name, nlen + 1) != 0 ||
            row->len[2] != tlen || memcmp(row->field[2], note, tlen + 1) != 0)
            c->bad++;
        c->next_line += quoted ? 2 : 1;
    }
    c->rows++;
    return 0;
}

static void run_big(form f, am_encoding enc, am_encoding want_enc, int gz, int as_file)
{
    /* Two records' worth of padding; UTF-16 pads two bytes at a time. */
    size_t period = f == FORM_UTF8 ? sizeof U8_A_TAIL + sizeof U8_B_TAIL - 2 + 12
                    : f == FORM_GB18030
                        ? sizeof GB_A_TAIL + sizeof GB_B_TAIL - 2 + 12
                        : (sizeof u16_a_tail + sizeof u16_b_tail + 24) / 2;
    buf b = {0}, z = {0};
    am_reader_opts o = {enc, 0, 0, 0, 0, 0, 0, 0, NULL, 0, 0};
    char *path = as_file ? temp_path(".csv") : NULL;

    for (size_t pad = 0; pad < period; pad++) {
        size_t n = build(&b, f, pad);
        const buf *in = &b;
        if (gz) {
            gzip_bytes(b.p, b.len, &z);
            in = &z;
        }
        big_check c = {0, 0, 0, 0};
        am_read_result res;
        am_err err;
        am_status st;
        if (as_file) {
            write_file(path, in->p, in->len);
            st = am_read_csv_file(path, &o, check_big_row, &c, &res, &err);
        } else {
            st = am_read_csv_buffer(in->p, in->len, "big", &o, check_big_row, &c, &res, &err);
        }
        ck_assert_msg(st == AM_OK, "pad %zu: %s", pad, err.msg);
        ck_assert_msg(c.bad == 0 && c.pad_ok, "pad %zu: %llu bad rows", pad,
                      (unsigned long long)c.bad);
        ck_assert_uint_eq(c.rows, n + 2);
        ck_assert_uint_eq(res.records, n + 2);
        ck_assert_uint_eq(res.bytes_read, in->len);
        ck_assert_int_eq(res.encoding, want_enc);
    }
    if (path) {
        unlink(path);
        free(path);
    }
    buf_free(&b);
    buf_free(&z);
}

START_TEST(test_chunks_utf8) { run_big(FORM_UTF8, AM_ENC_AUTO, AM_ENC_UTF8, 0, 0); }
END_TEST
START_TEST(test_chunks_utf8_file) { run_big(FORM_UTF8, AM_ENC_UTF8, AM_ENC_UTF8, 0, 1); }
END_TEST
START_TEST(test_chunks_utf8_gzip) { run_big(FORM_UTF8, AM_ENC_AUTO, AM_ENC_UTF8, 1, 0); }
END_TEST
START_TEST(test_chunks_gb18030) { run_big(FORM_GB18030, AM_ENC_AUTO, AM_ENC_GB18030, 0, 0); }
END_TEST
START_TEST(test_chunks_gb18030_gzip_file)
{
    run_big(FORM_GB18030, AM_ENC_GB18030, AM_ENC_GB18030, 1, 1);
}
END_TEST
START_TEST(test_chunks_utf16le) { run_big(FORM_UTF16LE, AM_ENC_AUTO, AM_ENC_UTF16LE, 0, 0); }
END_TEST

/* AUTO must wait for the first non-ASCII byte however late it comes. */
START_TEST(test_auto_decides_late)
{
    buf b = {0};
    sink s = {0};
    am_read_result res;
    am_err err;
    char want[64];

    for (int i = 0; i < 40000; i++)
        buf_str(&b, "12345678\n");
    buf_str(&b, "1," GB_ZS "\n");
    ck_assert_int_eq(read_mem(b.p, b.len, NULL, &s, &res, &err), AM_OK);
    ck_assert_int_eq(res.encoding, AM_ENC_GB18030);
    snprintf(want, sizeof want, "40001:1|%s\n", U8_ZS);
    ck_assert_str_eq(s.t.p + s.t.len - strlen(want), want);
    ck_assert_uint_eq(res.records, 40001);
    buf_free(&s.t);

    b.len -= strlen("1," GB_ZS "\n");
    buf_str(&b, "1," U8_ZS "\n");
    ck_assert_int_eq(read_mem(b.p, b.len, NULL, &s, &res, &err), AM_OK);
    ck_assert_int_eq(res.encoding, AM_ENC_UTF8);
    ck_assert_str_eq(s.t.p + s.t.len - strlen(want), want);
    buf_free(&s.t);
    buf_free(&b);
}
END_TEST

/* Many short quote-free lines, with blank lines between: every record
 * must carry its own line number however the lines are grouped. */
typedef struct short_check {
    uint64_t rows, bad;
} short_check;

static int check_short_row(void *user, const am_text_row *row)
{
    short_check *c = user;
    /* Line L holds its own number unless L % 3 == 0 (blank). */
    uint64_t want = c->rows + c->rows / 2 + 1;
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)want);
    if (row->line != want || row->nfields != 2 || strcmp(row->field[0], digits) != 0 ||
        strcmp(row->field[1], " v ") != 0)
        c->bad++;
    c->rows++;
    return 0;
}

START_TEST(test_many_short_lines)
{
    buf b = {0};
    short_check c = {0, 0};
    am_read_result res;
    am_err err;
    char line[64];

    for (unsigned long l = 1; l <= 60000; l++) {
        if (l % 3 == 0)
            snprintf(line, sizeof line, "%s", l % 2 ? "\r\n" : "\n");
        else
            snprintf(line, sizeof line, "%lu, v %s", l, l % 2 ? "\r\n" : "\n");
        buf_str(&b, line);
    }
    ck_assert_int_eq(am_read_csv_buffer(b.p, b.len, "t", NULL, check_short_row, &c, &res, &err),
                     AM_OK);
    ck_assert_uint_eq(c.bad, 0);
    ck_assert_uint_eq(c.rows, 40000);
    buf_free(&b);
}
END_TEST

/* The start of a longer file (cut_short): a last record the cut left
 * open, in quotes or without its line end, is dropped; the same text
 * read as a whole file fails or reads it. */
START_TEST(test_cut_short)
{
    static const struct {
        const char *text, *whole, *cut;
        am_status whole_st;
    } cases[] = {
        {"h,n\n1,a\n2,\"b\nc", "", "1:h|n\n2:1|a\n", AM_ERR_FORMAT},
        {"h,n\n1,a\n2,b", "1:h|n\n2:1|a\n3:2|b\n", "1:h|n\n2:1|a\n", AM_OK},
        {"h,n\n1,a\n2,\"b\nc\"\n", "1:h|n\n2:1|a\n3:2|b\\nc\n", "1:h|n\n2:1|a\n3:2|b\\nc\n",
         AM_OK},
        {"\n\n", "", "", AM_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        for (int cut = 0; cut <= 1; cut++) {
            am_reader_opts o = {.encoding = AM_ENC_AUTO, .cut_short = cut};
            sink s = {0};
            am_read_result res;
            am_err err;
            const am_status st = read_mem(cases[i].text, strlen(cases[i].text), &o, &s, &res, &err);
            ck_assert_msg(st == (cut ? AM_OK : cases[i].whole_st), "case %zu cut %d: %d %s", i, cut,
                          (int)st, err.msg);
            if (st == AM_OK)
                ck_assert_str_eq(tx(&s), cut ? cases[i].cut : cases[i].whole);
            else
                ck_assert_str_eq(err.msg, "t:3: unterminated quoted field");
            buf_free(&s.t);
        }
    }
}
END_TEST

/* A field longer than libcsv's first buffer, and than one chunk. */
START_TEST(test_long_field_across_chunks)
{
    buf b = {0};
    sink s = {0};
    am_read_result res;
    am_err err;
    am_reader_opts o = {AM_ENC_AUTO, 0, 1000000, 0, 0, 0, 0, 0, NULL, 0, 0};

    buf_str(&b, "a,\"");
    for (int i = 0; i < 70000; i++)
        buf_str(&b, "xy\n");
    buf_str(&b, "\",z\nlast\n");
    ck_assert_int_eq(read_mem(b.p, b.len, &o, &s, &res, &err), AM_OK);
    ck_assert_uint_eq(res.records, 2);
    static const char tail[] = "|z\n70002:last\n";
    ck_assert_uint_ge(s.t.len, sizeof tail - 1);
    ck_assert_str_eq(s.t.p + s.t.len - (sizeof tail - 1), tail);
    buf_free(&s.t);
    buf_free(&b);
}
END_TEST

#ifdef AM_FAULT_INJECTION
/* ahead_text's 6 MiB gzipped into a new file; its path, to unlink and
 * free, and in *stored its size. */
static char *ahead_gzip_file(size_t *stored)
{
    buf text = {0}, z = {0};
    ahead_text(&text, (size_t)6 << 20);
    gzip_bytes(text.p, text.len, &z);
    char *path = temp_path(".csv.gz");
    write_file(path, z.p, z.len);
    *stored = z.len;
    buf_free(&text);
    buf_free(&z);
    return path;
}

/* Every allocation in turn fails: the read must report AM_ERR_NOMEM (or,
 * if the failed allocation was not needed, succeed with the right rows)
 * and leak nothing (LeakSanitizer checks the latter). */
/* With the inflating thread asked for: a failed allocation is a failed
 * read or, the thread's own, a read on one thread, never other records. */
START_TEST(test_ahead_allocation_failures)
{
    size_t stored;
    char *path = ahead_gzip_file(&stored);
    ahead_read *want = malloc(sizeof *want), *got = malloc(sizeof *got);
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(got);
    const am_reader_opts o = {.encoding = AM_ENC_AUTO};
    read_ahead(path, o, 0, 0, want);
    ck_assert_int_eq(want->st, AM_OK);
    char outcomes[200];
    for (unsigned long n = 1; n < sizeof outcomes; n++) {
        am_fault_fail_at(n);
        read_ahead(path, o, 1, 0, got);
        am_fault_fail_at(0);
        ck_assert_msg(got->st == AM_OK || got->st == AM_ERR_NOMEM, "n=%lu: %d %s", n,
                      (int)got->st, got->msg);
        if (got->st == AM_OK)
            ck_assert_msg(strcmp(tx(&got->a.s), tx(&want->a.s)) == 0 &&
                              got->res.bytes_read == want->res.bytes_read,
                          "n=%lu: other records", n);
        else
            ck_assert_msg(strstr(got->msg, "out of memory") != NULL, "n=%lu: %s", n, got->msg);
        outcomes[n - 1] = got->st == AM_OK ? '.' : 'x';
        buf_free(&got->a.s.t);
    }
    outcomes[sizeof outcomes - 1] = '\0';
    /* Reads that failed for memory, then the thread's six allocations
     * failing at no cost, then the reader's own again. */
    const char *last_failed = strrchr(outcomes, 'x');
    ck_assert_ptr_nonnull(last_failed);
    size_t free_failures = 0;
    for (const char *c = outcomes; c < last_failed; c++)
        free_failures += *c == '.';
    ck_assert_msg(free_failures >= 6, "%s", outcomes);
    buf_free(&want->a.s.t);
    free(want);
    free(got);
    unlink(path);
    free(path);
}
END_TEST

/* Whichever read fails, the reader's own or the inflating thread's, the
 * read fails the same way both ways, after the same records, with the
 * same stored bytes counted and a message naming the file and the error
 * word for word. */
START_TEST(test_ahead_read_failures)
{
    size_t stored;
    char *path = ahead_gzip_file(&stored);
    const am_reader_opts o = {.encoding = AM_ENC_AUTO};
    char what[64], want[600];
    snprintf(want, sizeof want, "%s: Input/output error", path);
    ahead_read *got = malloc(sizeof *got);
    ck_assert_ptr_nonnull(got);
    /* One reader's chunk of 256 KiB a read: the file is read in about
     * stored / 2^18 + 1 reads, the first on the reader's own thread. */
    const unsigned long reads = (unsigned long)(stored >> 18) + 1;
    unsigned long failed = 0;
    for (fail_read_at = 1; fail_read_at <= reads + 2; fail_read_at++) {
        snprintf(what, sizeof what, "read %lu of %lu failing", fail_read_at, reads);
        const am_status st = same_both_ways(path, o, 0, 0, what);
        if (st == AM_OK)
            continue;
        ck_assert_msg(st == AM_ERR_IO, "%s: %d", what, (int)st);
        read_ahead(path, o, 1, 0, got);
        ck_assert_str_eq(got->msg, want);
        ck_assert_msg(got->res.bytes_read == (uint64_t)(fail_read_at - 1) << 18,
                      "%s: %llu bytes read", what, (unsigned long long)got->res.bytes_read);
        buf_free(&got->a.s.t);
        failed++;
    }
    fail_read_at = 0;
    ck_assert_uint_eq(failed, reads);
    free(got);
    unlink(path);
    free(path);
}
END_TEST

/* A thread that cannot start costs speed, not records: the read goes on
 * on the reader's own thread. */
START_TEST(test_ahead_thread_refused)
{
    size_t stored;
    char *path = ahead_gzip_file(&stored);
    const am_reader_opts o = {.encoding = AM_ENC_AUTO};
    ahead_read *want = malloc(sizeof *want), *got = malloc(sizeof *got);
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(got);
    fail_read_at = 0;
    read_ahead(path, o, 0, 0, want);
    ck_assert_uint_eq(threads_refused, 0);
    refuse_threads = 1;
    read_ahead(path, o, 1, 0, got);
    refuse_threads = 0;
    ck_assert_uint_eq(threads_refused, 1);
    ck_assert_int_eq(got->st, AM_OK);
    ck_assert_msg(strcmp(tx(&got->a.s), tx(&want->a.s)) == 0, "other records");
    ck_assert_uint_eq(got->res.bytes_read, want->res.bytes_read);
    ck_assert_str_eq(got->res.xxh3, want->res.xxh3);
    ck_assert_int_eq(got->a.most_threads, want->a.most_threads);
    buf_free(&want->a.s.t);
    buf_free(&got->a.s.t);
    free(want);
    free(got);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(test_allocation_failures)
{
    buf z = {0}, big = {0};
    static const char gb[] = "h,n\n1," GB_ZS "\n\"2\n\"," GB_ZS "\n";
    int nomem = 0, ok = 0;

    gzip_bytes(gb, sizeof gb - 1, &z);
    for (unsigned long n = 1; n < 400 && ok < 3; n++) {
        sink s = {0};
        am_read_result res;
        am_err err;
        am_fault_fail_at(n);
        am_status st = read_mem(z.p, z.len, NULL, &s, &res, &err);
        am_fault_fail_at(0);
        ck_assert_msg(st == AM_OK || st == AM_ERR_NOMEM, "n=%lu: %d %s", n, (int)st, err.msg);
        if (st == AM_OK) {
            ck_assert_str_eq(tx(&s), "1:h|n\n2:1|" U8_ZS "\n3:2\\n|" U8_ZS "\n");
            ok++;
        } else {
            nomem++;
            ck_assert_msg(strstr(err.msg, "out of memory") != NULL, "n=%lu: %s", n, err.msg);
        }
        buf_free(&s.t);
    }
    ck_assert_int_gt(nomem, 3);
    ck_assert_int_eq(ok, 3);

    /* Growth of libcsv's buffer: its retry with a smaller block must not
     * hide the failure. */
    buf_str(&big, "\"");
    for (int i = 0; i < 5000; i++)
        buf_str(&big, "abcdefgh\n");
    buf_str(&big, "\"\n");
    nomem = ok = 0;
    for (unsigned long n = 1; n < 100 && ok < 3; n++) {
        sink s = {0};
        am_read_result res;
        am_err err;
        am_fault_fail_at(n);
        am_status st = read_mem(big.p, big.len, NULL, &s, &res, &err);
        am_fault_fail_at(0);
        ck_assert_msg(st == AM_OK || st == AM_ERR_NOMEM, "n=%lu: %d %s", n, (int)st, err.msg);
        if (st == AM_OK) {
            ck_assert_uint_eq(s.rows, 1);
            ck_assert_uint_eq(s.t.len, strlen("1:") + 5000 * 10 + 1);
            ok++;
        } else {
            nomem++;
        }
        buf_free(&s.t);
    }
    ck_assert_int_gt(nomem, 3);
    buf_free(&z);
    buf_free(&big);
}
END_TEST
#endif

/* ------------------------------------------------------------------ */

static Suite *csv_reader_suite(void)
{
    Suite *s = suite_create("csv_reader");
    TCase *tc = tcase_create("kat");
    tcase_add_loop_test(tc, test_kat, 0, (int)NKATS);
    tcase_add_test(tc, test_xxh3_known);
    tcase_add_test(tc, test_callback_abort);
    tcase_add_test(tc, test_null_callback_and_opts);
    tcase_add_test(tc, test_decoder_out_of_descriptors);
    tcase_add_test(tc, test_utf8_blocks);
    tcase_add_test(tc, test_encoding_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("gzip_and_files");
    tcase_add_test(tc, test_gzip_buffer);
    tcase_add_test(tc, test_gzip_members);
    tcase_add_test(tc, test_gzip_ratio_guard);
    tcase_add_test(tc, test_gzip_damaged_buffer);
    tcase_add_test(tc, test_gzip_file);
    tcase_add_test(tc, test_plain_file);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_directory);
    tcase_add_test(tc, test_unreadable_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("chunks");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_chunks_utf8);
    tcase_add_test(tc, test_chunks_utf8_file);
    tcase_add_test(tc, test_chunks_utf8_gzip);
    tcase_add_test(tc, test_chunks_gb18030);
    tcase_add_test(tc, test_chunks_gb18030_gzip_file);
    tcase_add_test(tc, test_chunks_utf16le);
    tcase_add_test(tc, test_auto_decides_late);
    tcase_add_test(tc, test_many_short_lines);
    tcase_add_test(tc, test_long_field_across_chunks);
    tcase_add_test(tc, test_cut_short);
    tcase_add_test(tc, test_ahead_same_records);
    tcase_add_test(tc, test_ahead_same_failures);
    tcase_add_test(tc, test_ahead_ratio_limit);
#ifdef AM_FAULT_INJECTION
    tcase_add_test(tc, test_allocation_failures);
    tcase_add_test(tc, test_ahead_allocation_failures);
    tcase_add_test(tc, test_ahead_read_failures);
    tcase_add_test(tc, test_ahead_thread_refused);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (getenv("AM_TEST_DECODER_EMFILE"))
        return decoder_out_of_descriptors();
    const int failed = am_check_failures(csv_reader_suite());
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
