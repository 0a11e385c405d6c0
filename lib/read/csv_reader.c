/*
 * csv_reader.c — feed files to UTF-8 CSV records (see csv_reader.h).
 *
 * This file owns the path from stored bytes to records: opening the file
 * (or taking the caller's buffer), hashing and counting the bytes as
 * stored, inflating gzip, handing the bytes to the text decoder, cutting
 * the UTF-8 text into physical lines, and driving libcsv over them so that
 * each record knows the line it starts on.  It also owns the record's
 * storage: one byte arena for the fields libcsv hands over (a line split
 * without libcsv leaves its fields in the decoded text) and one field
 * array, reused and grown geometrically, so a read allocates a handful of
 * times however long the file is.  Nothing outlives one call and nothing
 * is shared between calls, so separate reads may run in separate threads.
 *
 * Where libcsv is not trusted as is:
 *  - It trims spaces and tabs around unquoted fields; callers trim for
 *    themselves (and must see what was there).  A space function that
 *    accepts nothing would do, but libcsv calls it for nearly every byte,
 *    which costs 40% of its speed.  Instead spaces and tabs are swapped
 *    for bytes valid UTF-8 never holds (0xFE, 0xFF) before libcsv sees the
 *    line, and swapped back in the fields of the records that had them;
 *    libcsv then behaves exactly as with that space function.
 *  - It does not count lines, and a record's first callback only arrives
 *    when its first field ends, possibly lines later.  The text is cut
 *    into physical lines here, and libcsv is fed one line at a time, so
 *    this file knows where each record starts.  A run of lines known to
 *    hold one record each (no quote, outside any record) is not given to
 *    libcsv at all: the vectorised separator scanner finds its delimiters
 *    and line ends, and split_quote_free cuts the fields as libcsv would
 *    (fuzz_csv_scan holds the two to the same records).
 *  - CSV_STRICT_FINI only reports an unterminated quote together with
 *    CSV_STRICT, which would also refuse the stray quotes real feeds carry.
 *    Instead a line end is fed after the last line: a record still open
 *    after that is inside quotes.
 *  - Its buffer grows through csv_set_realloc_func, but on failure it
 *    retries with half the block and so hides the failure.  The block size
 *    is set before every call so that the buffer grows at most once per
 *    call, by a known amount; any other growth means an allocation failed.
 */
#include "read/csv_reader.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "common/alloc.h"
#include "common/text_file.h"
#include "read/inflate_ahead.h"
#include "read/inflater.h"
#include "read/separator_scan.h"
#include "read/text_decoder.h"

/* Big enough that syscalls, inflate calls and decoder calls cost nothing
 * per byte, small enough to stay in L2 with the decoded copy. */
#define CHUNK (256u * 1024u)

#define DEFAULT_MAX_FIELD ((size_t)65536)
#define DEFAULT_MAX_LINE ((size_t)1024 * 1024)
#define MIN_CSV_BLOCK ((size_t)4096)
/* CSV exports compress 5 to 20 times; a gzip bomb (100M short rows in
 * 204 KB) about 1000 (am_inflate_ratio_exceeded). */
#define DEFAULT_MAX_INFLATE_RATIO 100u

/* Valid UTF-8 never holds these bytes; they stand for space and tab
 * while libcsv sees the text (see the file comment). */
#define SUB_SPACE 0xFE
#define SUB_TAB 0xFF
enum { HAS_SPACE = 1, HAS_TAB = 2 };

#define BATCH_MAX 1024
/* Separator positions per scanner call: 4 KB on the stack. */
#define SCAN_SLOTS 1024

typedef unsigned long long ull;

/* Where a record starts and what was found in its lines. */
typedef struct rec_info {
    uint64_t line;
    unsigned char bad, nul, sub, too_long;
} rec_info;

typedef struct reader {
    const char *name;
    am_err *err;
    am_row_fn fn;
    void *user;
    size_t max_field, max_line;
    uint64_t max_rows;
    const char *max_rows_advice;
    int cut_short; /* am_reader_opts.cut_short */
    unsigned max_inflate_ratio;
    unsigned char delim;
    am_separator_scan_fn scan; /* NULL: libcsv splits every line */

    /* The bytes as stored. */
    XXH3_state_t *hash; /* secret memory: it buffers the last stored bytes;
                         * NULL for a part, whose file the survey hashed */
    uint64_t bytes;
    int sniffed;     /* gzip magic looked for */
    int gz;          /* the stored bytes are gzip */
    am_inflater *inflater;
    uint64_t inflated; /* text bytes out of the inflater so far */
    am_status sink_st; /* what decoding the inflated bytes last returned */

    am_text_decoder dec;
    int dec_ready;

    /* Physical lines of the decoded text. */
    uint64_t line;   /* the line being fed, 1-based */
    size_t line_len; /* its bytes so far, line end excluded */
    int prev_cr;     /* the last chunk ended in CR: an LF next is its pair */

    /* The record being built. */
    struct csv_parser csv;
    int csv_ready;
    int sub_space, sub_tab; /* space, tab are not the delimiter: substitute */
    int in_record;          /* a record fed line by line is open */
    rec_info rec;           /* its start line and flags */
    uint64_t field_line;    /* where its unfinished field starts */
    size_t rec_bytes;       /* bytes fed to libcsv since it started */
    rec_info *batch;        /* lines queued for one libcsv call */
    size_t nbatch, ibatch;
    int batching;
    rec_info *cur;          /* &rec, or the batch entry libcsv is on */
    char *arena;            /* the fields so far, each NUL-terminated */
    size_t alen, acap;
    size_t *foff, *flen;
    char **fptr;            /* set from foff at the row's end, or as split in place */
    size_t nf, fcap;
    int in_place;           /* the fields are in the decoded text, not the arena */

    uint64_t records;
    am_status st; /* a failure raised inside a libcsv callback */
} reader;

const char *am_encoding_name(am_encoding enc)
{
    switch (enc) {
    case AM_ENC_AUTO: return "auto";
    case AM_ENC_UTF8: return "utf-8";
    case AM_ENC_GB18030: return "gb18030";
    case AM_ENC_UTF16LE: return "utf-16le";
    case AM_ENC_UTF16BE: return "utf-16be";
    }
    return "unknown";
}

/* ASCII-only, so that the current locale cannot change what a centre file
 * means. */
static int same_name(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (x != y)
            return 0;
        if (!x)
            return 1;
    }
}

int am_encoding_parse(const char *name, am_encoding *out)
{
    static const struct {
        const char *name;
        am_encoding enc;
    } names[] = {
        {"auto", AM_ENC_AUTO},         {"utf-8", AM_ENC_UTF8},
        {"utf8", AM_ENC_UTF8},         {"gb18030", AM_ENC_GB18030},
        {"gbk", AM_ENC_GB18030},       {"gb2312", AM_ENC_GB18030},
        {"utf-16", AM_ENC_UTF16LE},    {"utf16", AM_ENC_UTF16LE},
        {"utf-16le", AM_ENC_UTF16LE},  {"utf16le", AM_ENC_UTF16LE},
        {"utf-16be", AM_ENC_UTF16BE},  {"utf16be", AM_ENC_UTF16BE},
    };

    if (!name || !out)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (same_name(name, names[i].name)) {
            *out = names[i].enc;
            return 1;
        }
    }
    return 0;
}

/* strerror() may share a buffer between threads; strerror_r comes in two
 * incompatible flavours depending on feature macros. */
static const char *errtext(int e, char *buf, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(e, buf, n);
#else
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "error %d", e);
    return buf;
#endif
}

static am_status io_fail(reader *r, int e)
{
    char buf[128];
    return am_fail(r->err, AM_ERR_IO, "%s: %s", r->name, errtext(e, buf, sizeof buf));
}

static am_status nomem(reader *r)
{
    return am_fail(r->err, AM_ERR_NOMEM, "%s:%llu: out of memory", r->name, (ull)r->line);
}

static am_status gz_fail(reader *r)
{
    return am_fail(r->err, AM_ERR_IO, "%s: truncated or corrupt gzip data", r->name);
}

/* ------------------------------------------------------------------ */
/* Records (libcsv callbacks)                                           */

static void unsubstitute(char *p, size_t n, unsigned sub)
{
    char *e = p + n, *q;

    if (sub & HAS_SPACE)
        for (q = p; (q = memchr(q, SUB_SPACE, (size_t)(e - q))) != NULL;)
            *q++ = ' ';
    if (sub & HAS_TAB)
        for (q = p; (q = memchr(q, SUB_TAB, (size_t)(e - q))) != NULL;)
            *q++ = '\t';
}

/* Grows the arena for a field of len bytes and the field arrays for one
 * more field.  Returns 0, with r->st set, when out of memory. */
static int make_room(reader *r, size_t len)
{
    /* All three field arrays must reach the new size before fcap says so. */
    size_t c1 = r->fcap, c2 = r->fcap, c3 = r->fcap;
    if (!am_reserve_secret(&r->arena, &r->acap, r->alen + len + 1) ||
        !AM_RESERVE(r->foff, c1, r->nf + 1) || !AM_RESERVE(r->flen, c2, r->nf + 1) ||
        !AM_RESERVE(r->fptr, c3, r->nf + 1)) {
        r->st = nomem(r);
        return 0;
    }
    r->fcap = c3;
    return 1;
}

/* Most fields are a few bytes: they are copied inline, in at most two
 * overlapping moves, rather than through a call to memcpy. */
static inline void copy_field(char *dst, const char *src, size_t len)
{
    if (len >= 8 && len <= 16) {
        memcpy(dst, src, 8);
        memcpy(dst + len - 8, src + len - 8, 8);
    } else if (len >= 4 && len < 8) {
        memcpy(dst, src, 4);
        memcpy(dst + len - 4, src + len - 4, 4);
    } else if (len < 4) {
        for (size_t i = 0; i < len; i++)
            dst[i] = src[i];
    } else {
        memcpy(dst, src, len);
    }
}

/* A field longer than max_field is cut, backing off to a character
 * boundary: the caller is promised UTF-8. */
static size_t cut_field(reader *r, const char *f, size_t len)
{
    if (len <= r->max_field)
        return len;
    len = r->max_field;
    while (len > 0 && ((unsigned char)f[len] & 0xC0) == 0x80)
        len--;
    r->cur->too_long = 1;
    return len;
}

static void on_field(void *data, size_t len, void *user)
{
    reader *r = user;
    const char *f = data;

    if (r->st != AM_OK)
        return;
    len = cut_field(r, f, len);
    if (__builtin_expect(r->alen + len + 1 > r->acap || r->nf == r->fcap, 0) &&
        !make_room(r, len))
        return;
    char *dst = r->arena + r->alen;
    copy_field(dst, f, len);
    dst[len] = '\0';
    if (r->cur->sub)
        unsubstitute(dst, len, r->cur->sub);
    r->foff[r->nf] = r->alen;
    r->flen[r->nf] = len;
    r->nf++;
    r->alen += len + 1;
    /* The next field starts after the delimiter, on this same line. */
    r->field_line = r->line;
}

/* A field of a line split without libcsv stays where it is in the
 * decoded text: the delimiter or line end after it, already found, becomes
 * its NUL, which saves copying every field into the arena. */
static void on_field_in_place(reader *r, char *f, size_t len)
{
    if (r->st != AM_OK)
        return;
    len = cut_field(r, f, len);
    if (__builtin_expect(r->nf == r->fcap, 0) && !make_room(r, 0))
        return;
    f[len] = '\0';
    if (r->cur->sub)
        unsubstitute(f, len, r->cur->sub);
    r->fptr[r->nf] = f;
    r->flen[r->nf] = len;
    r->nf++;
    r->field_line = r->line;
}

static void on_row(int c, void *user)
{
    reader *r = user;
    const rec_info *ri = r->cur;

    (void)c;
    if (r->st == AM_OK) {
        if (r->max_rows && r->records >= r->max_rows) {
            r->st = am_fail(r->err, AM_ERR_LIMIT,
                            "%s:%llu: more than %llu rows after the header; %s", r->name,
                            (ull)ri->line, (ull)r->max_rows - 1,
                            r->max_rows_advice ? r->max_rows_advice
                                               : "raise max_rows if the feed is really this long");
        } else {
            if (!r->in_place)
                for (size_t i = 0; i < r->nf; i++)
                    r->fptr[i] = r->arena + r->foff[i];
            am_text_row row = {
                .nfields = r->nf,
                .field = r->fptr,
                .len = r->flen,
                .line = ri->line,
                .bad_encoding = ri->bad,
                .has_nul = ri->nul,
                .field_too_long = ri->too_long,
            };
            r->records++;
            /* The callback explains its own stop: its message is kept. */
            if (r->fn && r->fn(r->user, &row) != 0)
                r->st = AM_ERR_ABORTED;
        }
    }
    r->in_record = 0;
    r->nf = r->alen = r->rec_bytes = 0;
    if (r->batching) {
        if (r->ibatch < r->nbatch)
            r->ibatch++;
        r->cur = &r->batch[r->ibatch];
    } else {
        memset(&r->rec, 0, sizeof r->rec);
    }
}

/* ------------------------------------------------------------------ */
/* Lines                                                                */

/* Runs libcsv over n bytes during which its field buffer needs at most
 * need bytes. */
static am_status parse(reader *r, const char *s, size_t n, size_t need)
{
    size_t have = csv_get_buffer_size(&r->csv), blk = 0;

    if (have < need) {
        blk = need - have;
        if (blk < have)
            blk = have;
        if (blk < MIN_CSV_BLOCK)
            blk = MIN_CSV_BLOCK;
        csv_set_blk_size(&r->csv, blk);
    }
    size_t done = csv_parse(&r->csv, s, n, on_field, on_row, r);
    if (r->st != AM_OK)
        return r->st;
    size_t now = csv_get_buffer_size(&r->csv);
    if (done != n || csv_error(&r->csv) != CSV_SUCCESS || (now != have && now != have + blk))
        return nomem(r);
    return AM_OK;
}

/* Feeds one piece of a physical line on its own: clen bytes of content
 * followed by tlen bytes of line end (0 if the line goes on in the next
 * chunk). */
static am_status feed_piece(reader *r, const char *s, size_t clen, size_t tlen,
                            const rec_info *flags)
{
    if (clen > 0) {
        r->line_len += clen;
        if (!r->in_record) {
            /* Blank lines never reach here, and with nothing counted as
             * space any other byte makes libcsv start a row. */
            r->in_record = 1;
            r->rec.line = r->field_line = r->line;
        }
    }
    if (r->in_record) {
        r->rec.bad |= flags->bad;
        r->rec.nul |= flags->nul;
        r->rec.sub |= flags->sub;
        r->rec_bytes += clen + tlen;
        /* An unbalanced quote would otherwise pull the rest of the file
         * into one field in memory. */
        if (r->line != r->rec.line && r->rec_bytes > r->max_line)
            return am_fail(r->err, AM_ERR_LIMIT, "%s:%llu: quoted record longer than %zu bytes",
                           r->name, (ull)r->rec.line, r->max_line);
    }
    /* libcsv's field buffer never holds more than the record so far. */
    am_status st = parse(r, s, clen + tlen, (r->in_record ? r->rec_bytes : clen + tlen) + 2);
    if (st != AM_OK)
        return st;
    if (tlen > 0) {
        r->line++;
        r->line_len = 0;
    }
    return AM_OK;
}

/* Splits n bytes of whole lines that hold no quote, as libcsv would with
 * nothing counted as space: each delimiter and line end closes a field, a
 * line end closes the record, and an empty line (or the LF of a CRLF) is
 * no record.  The fields are left in s (on_field_in_place) and the rows
 * go through on_row, as libcsv's do.
 *
 * Queued lines (count_lines 0) have their start lines and flags in the
 * batch.  A region (count_lines 1: split_lines found no quote, NUL or
 * bad encoding in it, and it ends after an LF) is not queued line by
 * line: the line ends found here number its lines, and each line's length
 * is checked here.  Its rows take their start line in r->rec, whose flags
 * are all clear outside a record (on_row clears them). */
static am_status split_quote_free(reader *r, char *s, size_t n, int count_lines)
{
    uint32_t pos[SCAN_SLOTS];
    size_t base = 0, line_start = 0, field_start = 0, cr_end = SIZE_MAX;

    r->in_place = 1;
    while (base < n) {
        size_t len = n - base < UINT32_MAX ? n - base : UINT32_MAX, scanned;
        size_t k = r->scan(s + base, len, r->delim, pos, SCAN_SLOTS, &scanned);
        for (size_t j = 0; j < k; j++) {
            const size_t p = base + pos[j];
            /* Read first: the field's NUL takes the byte's place. */
            const unsigned char c = (unsigned char)s[p];
            if (c == r->delim) {
                on_field_in_place(r, s + field_start, p - field_start);
                field_start = p + 1;
                continue;
            }
            if (p > line_start) {
                if (count_lines && p - line_start > r->max_line) {
                    r->st = am_fail(r->err, AM_ERR_LIMIT, "%s:%llu: line longer than %zu bytes",
                                    r->name, (ull)r->line, r->max_line);
                    break;
                }
                on_field_in_place(r, s + field_start, p - field_start);
                if (count_lines)
                    r->rec.line = r->line;
                on_row(0, r);
                if (r->st != AM_OK)
                    break;
            }
            if (count_lines) {
                /* The LF of a CRLF ends no line of its own. */
                if (c == '\r')
                    cr_end = p + 1;
                if (p != cr_end)
                    r->line++;
            }
            line_start = field_start = p + 1;
        }
        if (r->st != AM_OK)
            break;
        base += scanned;
    }
    r->in_place = 0;
    return r->st;
}

/* Splits the queued lines at once: each holds exactly one record. */
static am_status flush_batch(reader *r, char *s, size_t *open, size_t from, size_t to,
                             size_t *longest)
{
    if (!*open)
        return AM_OK;
    r->batching = 1;
    r->ibatch = 0;
    r->cur = r->batch;
    am_status st = r->scan ? split_quote_free(r, s + from, to - from, 0)
                           : parse(r, s + from, to - from, *longest + 2);
    r->batching = 0;
    r->nbatch = 0;
    r->cur = &r->rec;
    *open = 0;
    *longest = 0;
    return st;
}

static size_t find_byte(const char *s, size_t from, size_t n, int c)
{
    const char *p = memchr(s + from, c, n - from);
    return p ? (size_t)(p - s) : n;
}

/* Cuts decoded text into physical lines (LF, CRLF or a lone CR) and feeds
 * them to libcsv.
 *
 * A line that starts outside any record and holds no quote is exactly one
 * record, so runs of such lines go to libcsv in one call, their start lines
 * and flags queued for on_row: this saves most of a per-line call's cost.
 * Other lines (quotes, continuations across chunks) go one at a time.
 * Where the scanner splits (r->scan), a stretch starting at a line start
 * outside any record and ending after the last LF before the next quote,
 * NUL or bad encoding is not even queued: it goes to split_quote_free at
 * once, which numbers its lines itself, and its spaces and tabs, which
 * only libcsv would trim, are left as they are.  Lines after that LF (a
 * last line ended by a lone CR) are queued as before.
 *
 * Every scan keeps the position of the next occurrence of its byte and
 * moves on only once passed, so each byte is looked at once per kind
 * whatever the line lengths.  Finding a stretch's last LF walks back over
 * the bytes after it, up to the next quote, NUL or bad byte, once more;
 * no two such walks cover the same bytes, so the work stays linear. */
static am_status split_lines(reader *r, char *s, size_t n, const size_t *marks, size_t nmarks)
{
    size_t pos = 0, mi = 0, open = 0, bstart = 0, longest = 0;
    am_status st;

    if (n == 0)
        return AM_OK;
    if (r->prev_cr) {
        r->prev_cr = 0;
        if (s[0] == '\n') {
            /* Second half of a CRLF cut by the chunk boundary: same line
             * end, but libcsv still sees it (inside quotes it is data). */
            if (r->in_record)
                r->rec_bytes++;
            if ((st = parse(r, s, 1, r->rec_bytes + 3)) != AM_OK)
                return st;
            pos = 1;
        }
    }
    if (!r->batch && !(r->batch = am_malloc((BATCH_MAX + 1) * sizeof *r->batch)))
        return nomem(r);

    size_t next_cr = find_byte(s, pos, n, '\r'), next_lf = find_byte(s, pos, n, '\n');
    size_t next_q = find_byte(s, pos, n, '"'), next_nul = find_byte(s, pos, n, '\0');
    size_t next_sp = r->sub_space ? find_byte(s, pos, n, ' ') : n;
    size_t next_tab = r->sub_tab ? find_byte(s, pos, n, '\t') : n;

    while (pos < n) {
        if (r->scan && !r->in_record && r->line_len == 0) {
            if (next_q < pos)
                next_q = find_byte(s, pos, n, '"');
            if (next_nul < pos)
                next_nul = find_byte(s, pos, n, '\0');
            if (next_lf < pos)
                next_lf = find_byte(s, pos, n, '\n');
            size_t limit = next_q < next_nul ? next_q : next_nul;
            if (mi < nmarks && marks[mi] < limit)
                limit = marks[mi];
            if (next_lf < limit) {
                /* After the last LF before limit: at next_lf + 1 at the least. */
                size_t end = limit;
                while (s[end - 1] != '\n')
                    end--;
                if ((st = flush_batch(r, s, &open, bstart, pos, &longest)) != AM_OK ||
                    (st = split_quote_free(r, s + pos, end - pos, 1)) != AM_OK)
                    return st;
                pos = end;
                if (next_sp < pos)
                    next_sp = find_byte(s, pos, n, ' ');
                if (next_tab < pos)
                    next_tab = find_byte(s, pos, n, '\t');
                continue;
            }
        }
        if (next_cr < pos)
            next_cr = find_byte(s, pos, n, '\r');
        if (next_lf < pos)
            next_lf = find_byte(s, pos, n, '\n');
        size_t t = next_cr < next_lf ? next_cr : next_lf, end;
        if (t == n) {
            end = n;
        } else if (s[t] == '\n') {
            end = t + 1;
        } else if (t + 1 == n) {
            end = n;
            r->prev_cr = 1;
        } else {
            end = s[t + 1] == '\n' ? t + 2 : t + 1;
        }
        size_t clen = t - pos, tlen = end - t;

        rec_info flags = {0, 0, 0, 0, 0};
        while (mi < nmarks && marks[mi] < end) {
            flags.bad = 1;
            mi++;
        }
        if (next_nul < pos)
            next_nul = find_byte(s, pos, n, '\0');
        flags.nul = next_nul < t;
        while (next_sp < t) {
            s[next_sp] = (char)SUB_SPACE;
            flags.sub |= HAS_SPACE;
            next_sp = find_byte(s, next_sp + 1, n, ' ');
        }
        while (next_tab < t) {
            s[next_tab] = (char)SUB_TAB;
            flags.sub |= HAS_TAB;
            next_tab = find_byte(s, next_tab + 1, n, '\t');
        }
        if (next_q < pos)
            next_q = find_byte(s, pos, n, '"');

        if (r->line_len + clen > r->max_line) {
            if ((st = flush_batch(r, s, &open, bstart, pos, &longest)) != AM_OK)
                return st;
            return am_fail(r->err, AM_ERR_LIMIT, "%s:%llu: line longer than %zu bytes", r->name,
                           (ull)r->line, r->max_line);
        }
        if (tlen > 0 && !r->in_record && next_q >= t) {
            if (!open) {
                open = 1;
                bstart = pos;
            }
            if (clen > 0) {
                flags.line = r->line;
                r->batch[r->nbatch++] = flags;
            }
            if (clen + tlen > longest)
                longest = clen + tlen;
            r->line++;
            pos = end;
            if (r->nbatch == BATCH_MAX &&
                (st = flush_batch(r, s, &open, bstart, pos, &longest)) != AM_OK)
                return st;
            continue;
        }
        if ((st = flush_batch(r, s, &open, bstart, pos, &longest)) != AM_OK)
            return st;
        if ((st = feed_piece(r, s + pos, clen, tlen, &flags)) != AM_OK)
            return st;
        pos = end;
    }
    return flush_batch(r, s, &open, bstart, pos, &longest);
}

static am_status decode(reader *r, const void *p, size_t n, int final)
{
    am_status st = am_text_decoder_feed(&r->dec, p, n, final);
    if (st == AM_ERR_NOMEM)
        return nomem(r);
    if (st == AM_ERR_IO)
        return am_fail(r->err, st, "%s:%llu: cannot open the %s decoder: %s", r->name,
                       (ull)r->line, am_encoding_name(r->dec.enc), strerror(r->dec.open_errno));
    if (st != AM_OK)
        return am_fail(r->err, st, "%s:%llu: cannot decode %s on this system", r->name,
                       (ull)r->line, am_encoding_name(r->dec.enc));
    return split_lines(r, r->dec.out, r->dec.out_len, r->dec.marks, r->dec.nmarks);
}

/* ------------------------------------------------------------------ */
/* Stored bytes                                                         */

static am_status ratio_fail(reader *r)
{
    return am_fail(r->err, AM_ERR_LIMIT,
                   "%s: the gzip data inflates to more than %u times its size; "
                   "raise max_gzip_ratio if the feed is really this repetitive",
                   r->name, r->max_inflate_ratio);
}

static am_status decode_inflated(void *user, const unsigned char *out, size_t len)
{
    reader *r = user;
    r->inflated += len;
    if (am_inflate_ratio_exceeded(r->inflated, r->bytes, r->max_inflate_ratio))
        return r->sink_st = ratio_fail(r);
    return r->sink_st = decode(r, out, len, 0);
}

static am_status inflate_some(reader *r, const unsigned char *p, size_t n)
{
    am_status st = am_inflater_feed(r->inflater, p, n, decode_inflated, r);
    if (st == AM_OK || r->sink_st != AM_OK)
        return st; /* the decoder's failure already says what it was */
    return st == AM_ERR_NOMEM ? nomem(r) : gz_fail(r);
}

/* Takes the next n stored bytes (n <= CHUNK; the first call gets at least
 * two bytes unless the whole input is shorter). */
static am_status pump(reader *r, const unsigned char *p, size_t n)
{
    if (r->hash)
        XXH3_128bits_update(r->hash, p, n);
    r->bytes += n;
    if (!r->sniffed) {
        r->sniffed = 1;
        if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
            am_status st = am_inflater_new(&r->inflater);
            if (st == AM_ERR_NOMEM)
                return nomem(r);
            if (st != AM_OK)
                return gz_fail(r);
            r->gz = 1;
        }
    }
    return r->gz ? inflate_some(r, p, n) : decode(r, p, n, 0);
}

static am_status finish(reader *r)
{
    am_status st;

    if (r->gz && !am_inflater_done(r->inflater))
        return gz_fail(r);
    if ((st = decode(r, NULL, 0, 1)) != AM_OK)
        return st;
    if (r->in_record && r->cut_short)
        return r->st; /* the cut's record, left in libcsv unread */
    if (r->in_record) {
        /* Ends a last line that has no line end; inside quotes it is just
         * data and the record stays open. */
        r->rec_bytes++;
        if ((st = parse(r, "\n", 1, r->rec_bytes + 2)) != AM_OK)
            return st;
        if (r->in_record)
            return am_fail(r->err, AM_ERR_FORMAT, "%s:%llu: unterminated quoted field", r->name,
                           (ull)r->field_line);
    }
    csv_fini(&r->csv, on_field, on_row, r);
    return r->st;
}

/* ------------------------------------------------------------------ */
/* Set-up and tear-down                                                 */

static am_status setup(reader *r, const char *name, const am_reader_opts *opts, am_row_fn fn,
                       void *user, am_err *err)
{
    static const am_reader_opts defaults = {.encoding = AM_ENC_AUTO, .delimiter = ','};

    memset(r, 0, sizeof *r);
    r->name = name ? name : "(buffer)";
    r->err = err;
    r->fn = fn;
    r->user = user;
    r->line = 1;
    r->st = AM_OK;
    r->cur = &r->rec;
    if (!opts)
        opts = &defaults;
    unsigned char delim = opts->delimiter ? opts->delimiter : ',';
    if (delim == '"' || delim == '\r' || delim == '\n' || delim >= 0x80)
        return am_fail(err, AM_ERR_INVALID,
                       "%s: delimiter must be ASCII and not a quote or line end", r->name);
    if ((unsigned)opts->encoding > AM_ENC_UTF16BE)
        return am_fail(err, AM_ERR_INVALID, "%s: unknown encoding %d", r->name,
                       (int)opts->encoding);
    r->max_field = opts->max_field ? opts->max_field : DEFAULT_MAX_FIELD;
    r->max_line = opts->max_line ? opts->max_line : DEFAULT_MAX_LINE;
    r->max_rows = opts->max_rows;
    r->max_rows_advice = opts->max_rows_advice;
    r->cut_short = opts->cut_short;
    r->max_inflate_ratio = opts->max_inflate_ratio ? opts->max_inflate_ratio
                                                   : DEFAULT_MAX_INFLATE_RATIO;
    r->delim = delim;
    if (!opts->libcsv_only && !(r->scan = am_separator_scanner(opts->scan)))
        r->scan = am_separator_scanner(AM_SCAN_BEST);

    if (!(r->hash = am_secret_malloc(sizeof *r->hash)))
        return nomem(r);
    XXH3_INITSTATE(r->hash);
    XXH3_128bits_reset(r->hash);

    am_status st = am_text_decoder_init(&r->dec, opts->encoding);
    r->dec_ready = 1;
    if (st == AM_ERR_NOMEM)
        return nomem(r);
    if (st == AM_ERR_IO)
        return am_fail(err, st, "%s: cannot open the %s decoder: %s", r->name,
                       am_encoding_name(opts->encoding), strerror(r->dec.open_errno));
    if (st != AM_OK)
        return am_fail(err, st, "%s: cannot decode %s on this system", r->name,
                       am_encoding_name(opts->encoding));

    if (csv_init(&r->csv, CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return nomem(r);
    r->csv_ready = 1;
    csv_set_delim(&r->csv, delim);
    /* With a delimiter libcsv never counts as space (see csv_parse). */
    r->sub_space = delim != ' ';
    r->sub_tab = delim != '\t';
    csv_set_realloc_func(&r->csv, am_secret_realloc);
    csv_set_free_func(&r->csv, am_secret_free);
    return AM_OK;
}

static void teardown(reader *r, am_status st, am_read_result *result)
{
    if (result) {
        memset(result, 0, sizeof *result);
        /* ASCII so far: AUTO had nothing to decide on, and ASCII is UTF-8. */
        result->encoding = r->dec_ready && r->dec.enc != AM_ENC_AUTO ? r->dec.enc : AM_ENC_UTF8;
        result->bytes_read = r->bytes;
        result->records = r->records;
        if (st == AM_OK && r->hash) {
            XXH128_hash_t h = XXH3_128bits_digest(r->hash);
            snprintf(result->xxh3, sizeof result->xxh3, "%016llx%016llx", (ull)h.high64,
                     (ull)h.low64);
        }
    }
    if (r->csv_ready)
        csv_free(&r->csv);
    if (r->dec_ready)
        am_text_decoder_free(&r->dec);
    am_inflater_free(r->inflater);
    am_secret_free(r->arena);
    am_secret_free(r->hash);
    am_free(r->foff);
    am_free(r->flen);
    am_free(r->fptr);
    am_free(r->batch);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                         */

am_status am_read_csv_buffer(const void *data, size_t len, const char *name,
                             const am_reader_opts *opts, am_row_fn fn, void *user,
                             am_read_result *result, am_err *err)
{
    reader r;
    am_status st;

    if (!data && len > 0)
        return am_fail(err, AM_ERR_INVALID, "%s: no data", name ? name : "(buffer)");
    st = setup(&r, name, opts, fn, user, err);
    for (size_t off = 0; st == AM_OK && off < len; off += CHUNK)
        st = pump(&r, (const unsigned char *)data + off, len - off < CHUNK ? len - off : CHUNK);
    if (st == AM_OK)
        st = finish(&r);
    teardown(&r, st, result);
    return st;
}

am_status am_read_csv_part(int fd, const char *name, uint64_t offset, uint64_t len,
                           uint64_t first_line, const am_reader_opts *opts, am_row_fn fn,
                           void *user, am_read_result *result, am_err *err)
{
    reader r;
    unsigned char *buf = NULL;
    am_status st = setup(&r, name, opts, fn, user, err);
    if (st == AM_OK && offset > 0 && r.dec.enc == AM_ENC_AUTO)
        st = am_fail(err, AM_ERR_INVALID, "%s: a part after the first needs its encoding",
                     r.name);
    if (st == AM_OK && !(buf = am_secret_malloc(CHUNK)))
        st = nomem(&r);
    if (st == AM_OK) {
        r.line = r.field_line = first_line;
        r.sniffed = 1; /* a plain file: the caller looked */
        am_secret_free(r.hash); /* the survey hashed the whole file once */
        r.hash = NULL;
        if (offset > 0)
            r.dec.at_start = 0;
    }
    for (uint64_t done = 0; st == AM_OK && done < len;) {
        const size_t want = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
        const ssize_t n = pread(fd, buf, want, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* Cut short since it was measured: not the bytes it was cut on. */
            st = n < 0 ? io_fail(&r, errno)
                       : am_fail(err, AM_ERR_IO, "%s: changed while being read", r.name);
            break;
        }
        st = pump(&r, buf, (size_t)n);
        done += (uint64_t)n;
    }
    if (st == AM_OK)
        st = finish(&r);
    am_secret_free(buf);
    teardown(&r, st, result);
    return st;
}

/* Reads the rest of r's gzip file with the inflating on a thread of its
 * own (inflate_ahead.h): the same text, failures and counts as reading on
 * here.  Returns 0, having read nothing, when no thread could be started;
 * else 1 with the reading's status in *st. */
static int read_inflated_ahead(reader *r, int fd, am_status *st)
{
    const am_ahead_source src = {.fd = fd, .read_size = CHUNK, .inflater = r->inflater,
                                 .hash = r->hash, .bytes = r->bytes, .inflated = r->inflated,
                                 .max_ratio = r->max_inflate_ratio};
    am_inflate_ahead *a = am_inflate_ahead_start(&src);
    if (!a)
        return 0;
    const unsigned char *text;
    size_t len;
    am_status got;
    *st = AM_OK;
    while ((got = am_inflate_ahead_next(a, &text, &len, &r->bytes)) == AM_OK && len > 0)
        if ((*st = decode(r, text, len, 0)) != AM_OK)
            break;
    am_ahead_tally tally;
    am_inflate_ahead_stop(a, &tally);
    if (got == AM_OK && len > 0)
        return 1; /* the decoder's failure, with its message */
    r->bytes = tally.bytes;
    switch (got) {
    case AM_OK:
        break;
    case AM_ERR_IO:
        *st = io_fail(r, tally.read_errno);
        break;
    case AM_ERR_LIMIT:
        *st = ratio_fail(r);
        break;
    case AM_ERR_NOMEM:
        *st = nomem(r);
        break;
    default:
        *st = gz_fail(r);
    }
    return 1;
}

am_status am_read_csv_file(const char *path, const am_reader_opts *opts, am_row_fn fn,
                           void *user, am_read_result *result, am_err *err)
{
    reader r;
    struct stat sb;
    unsigned char *buf = NULL;
    int fd = -1, tried_ahead = 0;
    am_status st;

    if (!path)
        return am_fail(err, AM_ERR_INVALID, "(null): no path");
    st = setup(&r, path, opts, fn, user, err);
    if (st == AM_OK) {
        /* Opened without blocking and checked on the open file: a FIFO
         * would hang the run, and a rename between a check and the open
         * would read another file. */
        int e = 0;
        fd = am_open_regular(path, &sb, &e);
        if (fd < 0 && e)
            st = io_fail(&r, e);
        else if (fd < 0 && S_ISDIR(sb.st_mode))
            st = io_fail(&r, EISDIR);
        else if (fd < 0)
            st = am_fail(r.err, AM_ERR_IO, "%s: not a regular file", r.name);
        else if (!(buf = am_secret_malloc(CHUNK)))
            st = nomem(&r);
    }
    while (st == AM_OK) {
        ssize_t n = am_read_full(fd, buf, CHUNK);
        if (n < 0) {
            st = io_fail(&r, errno);
            break;
        }
        if (n > 0)
            st = pump(&r, buf, (size_t)n);
        if ((size_t)n < CHUNK)
            break;
        /* The first chunk said gzip: the rest may be inflated ahead. */
        if (st == AM_OK && r.gz && opts && opts->inflate_ahead && !tried_ahead) {
            tried_ahead = 1;
            if (read_inflated_ahead(&r, fd, &st))
                break;
        }
    }
    if (st == AM_OK)
        st = finish(&r);
    if (fd >= 0)
        close(fd);
    am_secret_free(buf);
    teardown(&r, st, result);
    return st;
}
