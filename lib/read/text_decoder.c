/*
 * text_decoder.c — streaming conversion of a feed's bytes to UTF-8 (see
 * text_decoder.h).
 *
 * This file owns the encoding decision and everything done per byte before
 * CSV parsing: the BOM, AUTO detection, strict UTF-8 validation (by hand,
 * since most feeds are UTF-8 or plain ASCII and iconv would only slow them
 * down), GB18030 and UTF-16 through iconv, and the carrying of incomplete
 * characters across chunk boundaries.
 *
 * Invalid input never stops the stream: each maximal invalid subpart
 * becomes one U+FFFD, so a delimiter or line end that follows a broken
 * character is never swallowed and the damage stays inside its own record.
 */
#include "read/text_decoder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/alloc.h"

/* How much text after the first non-ASCII byte AUTO looks at.  A few
 * hundred bytes of GBK essentially never pass as UTF-8, while a short
 * window keeps the first record from waiting on a large read. */
#define DETECT_WINDOW 256

#define HIGH_BITS 0x8080808080808080ULL

static const char replacement[3] = {'\xEF', '\xBF', '\xBD'};

enum { UTF8_OK, UTF8_SHORT, UTF8_BAD };

/* Classifies the sequence at s (s[0] >= 0x80).  OK: *adv is its length.
 * SHORT: a valid prefix cut off by the end of the data.  BAD: *adv is the
 * length of the maximal invalid subpart (Unicode's "best practice"), which
 * is what one U+FFFD replaces. */
static int utf8_check(const unsigned char *s, size_t avail, size_t *adv)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t n;

    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        *adv = 1;
        return UTF8_BAD;
    }
    for (size_t k = 1; k < n; k++) {
        if (k >= avail) {
            *adv = k;
            return UTF8_SHORT;
        }
        if (s[k] < lo || s[k] > hi) {
            *adv = k;
            return UTF8_BAD;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    *adv = n;
    return UTF8_OK;
}

static size_t ascii_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
    uint64_t w;

    while (i + 8 <= n) {
        memcpy(&w, s + i, 8);
        if (w & HIGH_BITS)
            break;
        i += 8;
    }
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

/* AUTO's verdict on the text from the first non-ASCII byte on.  GBK names
 * are often valid UTF-8 a character or two at a time but hardly ever for
 * long, so UTF-8 needs at least 8 valid multi-byte characters per invalid
 * sequence (and at least one): a UTF-8 file with an early damaged
 * character is then still read as UTF-8, its damage flagged, instead of
 * turning silently into GB18030 mojibake.  A character cut by the end of
 * the window is no evidence either way. */
static int looks_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0, good = 0, bad = 0, adv;

    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        int r = utf8_check(s + i, n - i, &adv);
        if (r == UTF8_SHORT)
            break;
        if (r == UTF8_BAD)
            bad++;
        else
            good++;
        i += adv;
    }
    return good > 0 && good >= 8 * bad;
}

static int is_bom(const char *p)
{
    return p[0] == '\xEF' && p[1] == '\xBB' && p[2] == '\xBF';
}

static int ensure_out(am_text_decoder *d, size_t extra)
{
    return extra <= SIZE_MAX - d->out_len &&
           am_reserve_secret(&d->out, &d->out_cap, d->out_len + extra);
}

static am_status add_mark(am_text_decoder *d, size_t off)
{
    return AM_PUSH(d->marks, d->nmarks, d->marks_cap, off) ? AM_OK : AM_ERR_NOMEM;
}

/* Space for it was reserved by am_text_decoder_feed (3 output bytes per
 * input byte at most). */
static am_status put_replacement(am_text_decoder *d)
{
    am_status st = add_mark(d, d->out_len);
    if (st != AM_OK)
        return st;
    memcpy(d->out + d->out_len, replacement, 3);
    d->out_len += 3;
    d->at_start = 0;
    return AM_OK;
}

static am_status use_encoding(am_text_decoder *d, am_encoding enc)
{
    const char *from = NULL;

    d->enc = enc;
    if (enc == AM_ENC_GB18030) {
        from = "GB18030";
        d->unit = 1; /* a bad lead byte must not take an ASCII byte with it */
    } else if (enc == AM_ENC_UTF16LE) {
        from = "UTF-16LE";
        d->unit = 2;
    } else if (enc == AM_ENC_UTF16BE) {
        from = "UTF-16BE";
        d->unit = 2;
    }
    if (!from)
        return AM_OK;
    d->cd = iconv_open("UTF-8", from);
    if (d->cd == (iconv_t)-1) {
        /* The machine's state (memory, descriptors) is not the feed's
         * fault.  glibc reports a conversion module it could not load for
         * want of a descriptor as EINVAL, like one it does not have: a
         * descriptor opened here tells the two apart. */
        d->open_errno = errno;
        if (errno == EINVAL) {
            const int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (probe >= 0)
                close(probe);
            else if (errno == EMFILE || errno == ENFILE)
                d->open_errno = errno;
        }
        return d->open_errno == ENOMEM   ? AM_ERR_NOMEM
               : d->open_errno == EINVAL ? AM_ERR_FORMAT
                                         : AM_ERR_IO;
    }
    return AM_OK;
}

/* The index of the first byte of a word (in memory order) whose high bit
 * is set in w, which has only high bits and at least one. */
static unsigned first_marked_byte(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (unsigned)__builtin_clzll(w) >> 3;
#else
    return (unsigned)__builtin_ctzll(w) >> 3;
#endif
}

/* A complete, valid U+1000..U+CFFF at s: three bytes, lead E1..EC. */
static int is_common_cjk(const unsigned char *s, size_t n)
{
    return n >= 3 && s[0] >= 0xE1 && s[0] <= 0xEC && (s[1] & 0xC0) == 0x80 &&
           (s[2] & 0xC0) == 0x80;
}

#ifdef __SSE2__
/* How many of the n bytes at s, which start on a character, are ASCII
 * and the common CJK characters only, ending on a character: what a
 * Chinese feed is almost entirely, checked 16 bytes at a time instead of
 * a character at a time.  The first block holding anything else, valid or
 * not, stops it: the general check judges from there.  A character may
 * straddle two blocks, so each block passes on to the next the
 * continuation bytes it still expects, not where the next block starts:
 * every block starts 16 bytes after the last, and the loads do not wait
 * on the checks. */
static size_t common_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
    unsigned expected = 0; /* continuations owed at bytes 0 and 1 of the next block */
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        const unsigned high = (unsigned)_mm_movemask_epi8(v);
        if (!(high | expected))
            continue;
        /* As signed bytes, continuations 80..BF are -128..-65 and the
         * common CJK leads E1..EC are -31..-20. */
        const unsigned cont = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(-64)));
        const unsigned lead = (unsigned)_mm_movemask_epi8(_mm_and_si128(
            _mm_cmpgt_epi8(v, _mm_set1_epi8(-32)), _mm_cmplt_epi8(v, _mm_set1_epi8(-19))));
        /* Every lead wants exactly the next two bytes as continuations. */
        const unsigned wanted = lead << 1 | lead << 2 | expected;
        if ((high & ~(cont | lead)) || cont != (wanted & 0xFFFF))
            break;
        expected = wanted >> 16;
    }
    /* Back to the start of a character the last good block left open: its
     * lead was the block's last byte (two owed) or the one before. */
    return i - (expected == 3 ? 1 : expected == 1 ? 2 : 0);
}
#endif

/* Copies the valid text in[from..to) to the output. */
static void put_run(am_text_decoder *d, const unsigned char *in, size_t from, size_t to)
{
    if (to > from) {
        memcpy(d->out + d->out_len, in + from, to - from);
        d->out_len += to - from;
        d->at_start = 0;
    }
}

/* Valid text is only scanned, and copied a run at a time when something
 * needs handling (or at the end), rather than a character at a time. */
static am_status utf8_span(am_text_decoder *d, const unsigned char *in, size_t len,
                           int final, size_t *used)
{
    size_t i = 0, run = 0, adv;
    uint64_t w;
    am_status st;

    while (i < len) {
#ifdef __SSE2__
        i += common_run(in + i, len - i);
#endif
        /* ASCII eight bytes at a time, stopping on the first byte that is
         * not rather than on the word that holds it. */
        while (i + 8 <= len) {
            memcpy(&w, in + i, 8);
            w &= HIGH_BITS;
            if (w) {
                i += (size_t)first_marked_byte(w);
                break;
            }
            i += 8;
        }
        if (i == len)
            break;
        if (in[i] < 0x80) {
            i++;
            continue;
        }
        /* The common CJK case (U+1000..U+CFFF), a name's characters in a
         * row, without the general check; U+E000..U+FFFF goes the long
         * way, where the BOM is caught. */
        if (is_common_cjk(in + i, len - i)) {
            do
                i += 3;
            while (is_common_cjk(in + i, len - i));
            continue;
        }
        int r = utf8_check(in + i, len - i, &adv);
        if (r == UTF8_OK && !(adv == 3 && is_bom((const char *)in + i))) {
            i += adv;
            continue;
        }
        if (r == UTF8_SHORT && !final)
            break; /* the rest of the character is in the next chunk */
        int first = d->at_start && i == run;
        put_run(d, in, run, i);
        if (r != UTF8_OK) {
            if ((st = put_replacement(d)) != AM_OK)
                return st;
        } else if (first) {
            d->at_start = 0; /* a leading BOM: dropped */
        } else {
            if ((st = add_mark(d, d->out_len)) != AM_OK)
                return st;
            put_run(d, in, i, i + 3);
        }
        i += adv;
        run = i;
    }
    put_run(d, in, run, i);
    *used = i;
    return AM_OK;
}

/* iconv wrote out[from..out_len): drop a leading BOM, mark any other. */
static am_status after_iconv(am_text_decoder *d, size_t from)
{
    char *p = d->out + from, *end = d->out + d->out_len;

    if (p == end)
        return AM_OK;
    if (d->at_start) {
        d->at_start = 0;
        if (end - p >= 3 && is_bom(p)) {
            memmove(p, p + 3, (size_t)(end - p - 3));
            d->out_len -= 3;
            end -= 3;
        }
    }
    while (p < end) {
        char *q = memchr(p, 0xEF, (size_t)(end - p));
        if (!q)
            break;
        if (end - q >= 3 && is_bom(q)) {
            am_status st = add_mark(d, (size_t)(q - d->out));
            if (st != AM_OK)
                return st;
        }
        p = q + 1;
    }
    return AM_OK;
}

static am_status iconv_span(am_text_decoder *d, const unsigned char *in, size_t len,
                            int final, size_t *used)
{
    /* iconv() takes char ** for input it never writes. */
    char *ip = (char *)(uintptr_t)in;
    size_t il = len;
    am_status st;

    while (il > 0) {
        size_t from = d->out_len;
        char *op = d->out + d->out_len;
        size_t ol = d->out_cap - d->out_len;
        size_t r = iconv(d->cd, &ip, &il, &op, &ol);
        int e = errno;
        d->out_len = (size_t)(op - d->out);
        if ((st = after_iconv(d, from)) != AM_OK)
            return st;
        if (r != (size_t)-1)
            break;
        if (e == E2BIG) {
            if (il > (SIZE_MAX - 64) / 4 || !ensure_out(d, 4 * il + 64))
                return AM_ERR_NOMEM;
            continue;
        }
        if (e == EINVAL && !final)
            break; /* the rest of the character is in the next chunk */
        /* A character cut short by the end of the text is invalid like any
         * other: its lead goes, and what follows (an LF: "\x81\x30\n") is
         * read as it would be in mid-file. */
        const size_t skip = il < d->unit ? il : d->unit;
        if ((st = put_replacement(d)) != AM_OK)
            return st;
        ip += skip;
        il -= skip;
    }
    *used = len - il;
    return AM_OK;
}

/* Decodes as much of in as can be decoded now; *used says how much.  What
 * is left (an incomplete character, or AUTO's undecided window) is at most
 * DETECT_WINDOW bytes, and nothing is left when final. */
static am_status span(am_text_decoder *d, const unsigned char *in, size_t len, int final,
                      size_t *used)
{
    size_t i = 0, rest = 0;
    am_status st;

    if (d->enc == AM_ENC_AUTO && !d->sniffed) {
        static const unsigned char bom8[3] = {0xEF, 0xBB, 0xBF};
        am_encoding bom = AM_ENC_AUTO;
        int unsure = 0;
        if (len >= 3 && memcmp(in, bom8, 3) == 0)
            bom = AM_ENC_UTF8; /* the UTF-8 path drops it as a leading U+FEFF */
        else if (len >= 2 && in[0] == 0xFF && in[1] == 0xFE)
            bom = AM_ENC_UTF16LE; /* iconv turns it into a leading U+FEFF */
        else if (len >= 2 && in[0] == 0xFE && in[1] == 0xFF)
            bom = AM_ENC_UTF16BE;
        else if (len == 0 || (len < 3 && memcmp(in, bom8, len) == 0) ||
                 (len == 1 && (in[0] == 0xFF || in[0] == 0xFE)))
            unsure = 1;
        if (unsure && !final) {
            *used = 0;
            return AM_OK;
        }
        d->sniffed = 1;
        if (bom != AM_ENC_AUTO && (st = use_encoding(d, bom)) != AM_OK)
            return st;
    }
    if (d->enc == AM_ENC_AUTO) {
        /* ASCII reads the same in both candidates, so it passes through
         * until a byte that can tell them apart. */
        i = ascii_run(in, len);
        if (i) {
            memcpy(d->out + d->out_len, in, i);
            d->out_len += i;
            d->at_start = 0;
        }
        if (i == len) {
            *used = len;
            return AM_OK;
        }
        rest = len - i;
        if (rest < DETECT_WINDOW && !final) {
            *used = i;
            return AM_OK;
        }
        am_encoding guess = looks_utf8(in + i, rest < DETECT_WINDOW ? rest : DETECT_WINDOW)
                                ? AM_ENC_UTF8
                                : AM_ENC_GB18030;
        if ((st = use_encoding(d, guess)) != AM_OK)
            return st;
    }
    if (d->enc == AM_ENC_UTF8)
        st = utf8_span(d, in + i, len - i, final, &rest);
    else
        st = iconv_span(d, in + i, len - i, final, &rest);
    *used = i + rest;
    return st;
}

am_status am_text_decoder_init(am_text_decoder *d, am_encoding enc)
{
    memset(d, 0, sizeof *d);
    d->cd = (iconv_t)-1;
    d->at_start = 1;
    return use_encoding(d, enc);
}

am_status am_text_decoder_feed(am_text_decoder *d, const void *data, size_t len, int final)
{
    static const unsigned char nothing[1];
    const unsigned char *in = data ? data : nothing;
    size_t used;
    am_status st;

    d->out_len = 0;
    d->nmarks = 0;
    /* Three output bytes per input byte covers every case (U+FFFD for one
     * bad byte; UTF-16 and GB18030 never grow more), so the hot loops need
     * no bounds checks. */
    if (len > SIZE_MAX / 4 - AM_DECODER_CARRY ||
        !ensure_out(d, 3 * (len + AM_DECODER_CARRY) + 16))
        return AM_ERR_NOMEM;

    while (d->ncarry > 0 && (len > 0 || final)) {
        size_t old = d->ncarry;
        size_t take = len < AM_DECODER_CARRY - old ? len : AM_DECODER_CARRY - old;
        memcpy(d->carry + old, in, take);
        d->ncarry += take;
        if ((st = span(d, d->carry, d->ncarry, final && take == len, &used)) != AM_OK)
            return st;
        if (used >= old) {
            /* The carried bytes are done; the input resumes after the part
             * of it that was decoded together with them. */
            d->ncarry = 0;
            in += used - old;
            len -= used - old;
            break;
        }
        memmove(d->carry, d->carry + used, d->ncarry - used);
        d->ncarry -= used;
        in += take;
        len -= take;
        if (final && len == 0 && d->ncarry > 0)
            return AM_ERR_FORMAT; /* unreachable: final spans consume all */
    }
    if (d->ncarry == 0 && (len > 0 || final)) {
        if ((st = span(d, in, len, final, &used)) != AM_OK)
            return st;
        if (len - used > AM_DECODER_CARRY)
            return AM_ERR_FORMAT; /* unreachable: span leaves at most the window */
        if (len > used)
            memcpy(d->carry, in + used, len - used);
        d->ncarry = len - used;
    }
    if (final && d->enc == AM_ENC_AUTO)
        d->enc = AM_ENC_UTF8; /* all ASCII: as good as UTF-8 */
    return AM_OK;
}

void am_text_decoder_free(am_text_decoder *d)
{
    if (d->cd != (iconv_t)-1)
        iconv_close(d->cd);
    d->cd = (iconv_t)-1;
    am_secret_free(d->out);
    am_free(d->marks);
    d->out = NULL;
    d->marks = NULL;
    d->out_cap = d->out_len = d->marks_cap = d->nmarks = 0;
}
