/*
 * check.c — `aidmatch check`: every problem of a centre file and its feeds
 * in one pass, each with where it is, what was found, what was expected
 * and a suggestion (am_check_centre, am_diagnostic_get).
 *
 * The loaders stop at the first error, which is right for a run and wrong
 * for a person fixing a file written by hand.  So the check loads the
 * [centre] section, then each feed section with it, into scratch contexts;
 * a line the loader refuses is recorded and blanked out (keeping every
 * other line where it was, so line numbers stay true), and the load is
 * tried again, until the section loads or fails without a line.  Each feed
 * that loads then ingests a sample of its first rows.
 */
#include <errno.h>
#include <iconv.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/blanks.h"
#include "common/edit_distance.h"
#include "common/day.h"
#include "read/csv_reader.h"
#include "match/rules.h"
#include "read/feed.h"
#include "common/text_file.h"
#include "read/inflater.h"
#include "run/context.h"

#define SAMPLE_BYTES_MAX ((size_t)64 << 20)
#define RETRIES_MAX 200

static am_status add(am_ctx *ctx, am_severity severity, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Characters that look like a space or like nothing, which a person
 * cannot see in the message nor in the file. */
static const struct {
    const char *utf8, *name;
} invisible[] = {
    {"\xC2\xA0", "a no-break space (U+00A0), which looks like a space"},
    {"\xE2\x80\x8B", "a zero-width space (U+200B), which looks like nothing"},
    {"\xEF\xBB\xBF", "a byte-order mark (U+FEFF), which looks like nothing"},
    {"\xE3\x80\x80", "a full-width space (U+3000), which looks like a space"},
};

/* What invisible character s holds, named; NULL when none. */
static const char *invisible_in(const char *s)
{
    for (size_t i = 0; i < sizeof invisible / sizeof *invisible; i++)
        if (strstr(s, invisible[i].utf8))
            return invisible[i].name;
    return NULL;
}

static am_status add(am_ctx *ctx, am_severity severity, const char *fmt, ...)
{
    char msg[AM_ERRMSG_MAX + 640];
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(msg, sizeof msg - 128, fmt, ap);
    va_end(ap);
    const char *hidden = n > 0 ? invisible_in(msg) : NULL;
    if (hidden)
        snprintf(msg + strlen(msg), 128, " (the text holds %s: delete it)", hidden);
    /* a [centre] mistake is met again with every feed section */
    for (size_t i = 0; i < ctx->ndiags; i++)
        if (strcmp(ctx->diags[i].message, msg) == 0)
            return AM_OK;
    char *message = am_strdup(msg);
    if (!message || !AM_PUSH(ctx->diags, ctx->ndiags, ctx->capdiags,
                             ((am_diag){.severity = severity, .message = message}))) {
        am_free(message);
        return AM_ERR_NOMEM;
    }
    return AM_OK;
}

void am_diags_free(am_ctx *ctx)
{
    for (size_t i = 0; i < ctx->ndiags; i++)
        am_free(ctx->diags[i].message);
    am_free(ctx->diags);
    ctx->diags = NULL;
    ctx->ndiags = ctx->capdiags = 0;
}

/* ---- text helpers ---- */

/* Decodes up to max code points of UTF-8 s; returns how many. */
static size_t code_points(const char *s, uint32_t *out, size_t max)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n < max;) {
        uint32_t c = *p;
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (extra)
            c &= 0x3Fu >> extra;
        p++;
        while (extra-- > 0 && (*p & 0xC0) == 0x80)
            c = c << 6 | (*p++ & 0x3Fu);
        out[n++] = c;
    }
    return n;
}

/* Levenshtein distance between two UTF-8 strings, by code point. */
static size_t distance(const char *a, const char *b)
{
    uint32_t x[AM_EDIT_DISTANCE_MAX], y[AM_EDIT_DISTANCE_MAX];
    const size_t n = code_points(a, x, AM_EDIT_DISTANCE_MAX);
    const size_t m = code_points(b, y, AM_EDIT_DISTANCE_MAX);
    return am_edit_distance(x, n, y, m);
}

/* The nearest of n names to word, or NULL when none is near: at most half
 * the word's length away, or containing it, or contained in it. */
static const char *nearest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    uint32_t tmp[64];
    const size_t len = code_points(word, tmp, 64);
    for (size_t i = 0; i < n; i++) {
        if (!*names[i])
            continue;
        size_t d = distance(word, names[i]);
        if (strstr(names[i], word) || strstr(word, names[i]))
            d = d < 1 ? d : 1;
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    return best && best_d > 0 && best_d <= (len + 1) / 2 ? best : NULL;
}

static int valid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        int extra = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                                : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0 || (extra == 1 && *p < 0xC2) || end - p <= extra)
            return 0;
        for (int i = 1; i <= extra; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        p += extra + 1;
    }
    return 1;
}

/* Whether len bytes decode as GB18030 (so as GBK), converting them into
 * out (size bytes, NUL-terminated) when out is not NULL. */
static int decodes_as_gbk(const char *s, size_t len, char *out, size_t size)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return 0;
    char scratch[4096];
    char *in = (char *)(uintptr_t)s;
    size_t left = len;
    int ok = 1;
    while (left && ok) {
        char *o = out ? out : scratch;
        size_t room = out ? size - 1 : sizeof scratch;
        char *start = o;
        if (iconv(cd, &in, &left, &o, &room) == (size_t)-1 && errno != E2BIG)
            ok = 0;
        if (out) {
            *o = '\0';
            (void)start;
            break;
        }
    }
    iconv_close(cd);
    sodium_memzero(scratch, sizeof scratch); /* the sample's raw IDs and names */
    return ok;
}

/* Which UTF-16 byte-order mark the n bytes at p open with: 'l' (FF FE,
 * little-endian), 'b' (FE FF) or 0 for none. */
static int utf16_bom(const unsigned char *p, size_t n)
{
    return n < 2 ? 0 : p[0] == 0xFF && p[1] == 0xFE ? 'l' : p[0] == 0xFE && p[1] == 0xFF ? 'b' : 0;
}

/* The start of UTF-16 text (little-endian or not; a BOM skipped) as
 * UTF-8 in out, NUL-terminated, as much as fits; returns its length. */
static size_t utf16_as_utf8(const char *s, size_t len, int little_endian, char *out, size_t size)
{
    iconv_t cd = iconv_open("UTF-8", little_endian ? "UTF-16LE" : "UTF-16BE");
    if (cd == (iconv_t)-1 || !size) {
        if (size)
            out[0] = '\0';
        return 0;
    }
    if (utf16_bom((const unsigned char *)s, len)) {
        s += 2;
        len -= 2;
    }
    char *in = (char *)(uintptr_t)s, *o = out;
    size_t left = len, room = size - 1;
    (void)iconv(cd, &in, &left, &o, &room); /* stops where out is full or a unit is bad */
    iconv_close(cd);
    *o = '\0';
    return (size_t)(o - out);
}

/* ---- the centre file, section by section ---- */

/* What a line of the centre file is, as libinih reads it: an indented
 * line after a key continues that key's value, even one opening with
 * '['. */
typedef enum line_kind {
    LINE_OTHER,        /* blank or a comment */
    LINE_SECTION,
    LINE_KEY,
    LINE_CONTINUATION,
} line_kind;

typedef struct line_info {
    const char *start;
    size_t len;
    int section; /* index into sections, -1 before the first */
    line_kind kind;
    int map;     /* a key line or continuation of item_map or fact_map */
} line_info;

typedef struct centre_text {
    const char *path;
    char *text; /* as read, full-width punctuation written as ASCII */
    size_t len;
    line_info *lines;
    size_t nlines, caplines;
    char **sections; /* "centre" or "feed NAME" */
    size_t *section_line;
    size_t nsections, capsections; /* of both arrays: it moves once both have grown */
} centre_text;

static void centre_text_free(centre_text *t)
{
    am_free(t->text);
    am_free(t->lines);
    for (size_t i = 0; i < t->nsections; i++)
        am_free(t->sections[i]);
    am_free(t->sections);
    am_free(t->section_line);
}

#define FULL_WIDTH_COLON "\xEF\xBC\x9A"
#define FULL_WIDTH_EQUALS "\xEF\xBC\x9D"
#define FULL_WIDTH_SEMICOLON "\xEF\xBC\x9B"
#define FULL_WIDTH_OPEN "\xEF\xBC\xBB"
#define FULL_WIDTH_CLOSE "\xEF\xBC\xBD"
#define FULL_WIDTH_BAR "\xEF\xBD\x9C"

/* The separator of a key line: its first '=' or ':', either typed full
 * width; NULL when it has none. */
static const char *separator_of(const char *s, size_t len)
{
    for (const char *p = s; p < s + len; p++) {
        if (*p == '=' || *p == ':')
            return p;
        if (p + 3 <= s + len &&
            (memcmp(p, FULL_WIDTH_COLON, 3) == 0 || memcmp(p, FULL_WIDTH_EQUALS, 3) == 0))
            return p;
    }
    return NULL;
}

/* The key of a key line of len bytes at s: after its indentation, before
 * its separator, without the blanks around it (U+3000 too, as the loader
 * trims them); *key_len 0 when the line has no separator. */
static const char *key_of(const char *s, size_t len, size_t *key_len)
{
    const char *end = s + len;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    const char *sep = separator_of(s, (size_t)(end - s));
    *key_len = sep ? (size_t)(sep - s) : 0;
    am_trim_cell(&s, key_len);
    return s;
}

/* Where the value at value ends: at its inline comment, as libinih (and
 * centre.c, for a continuation line) reads it; else at end. */
static const char *value_end(const char *value, const char *end)
{
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    return value + am_before_inline_comment(value, (size_t)(end - value));
}

static int split_lines(centre_text *t)
{
    int section = -1, after_key = 0, map = 0;
    for (const char *p = t->text, *end = t->text + t->len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *s = p;
        while (s < p + len && (*s == ' ' || *s == '\t'))
            s++;
        const size_t rest = (size_t)(p + len - s);
        int blank = 1;
        for (const char *q = s; q < p + len && blank; q++)
            blank = *q == '\r';
        line_kind kind;
        if (blank || *s == ';' || *s == '#') {
            kind = LINE_OTHER;
        } else if (after_key && s > p) {
            kind = LINE_CONTINUATION;
        } else if (*s == '[' || (rest >= 3 && memcmp(s, FULL_WIDTH_OPEN, 3) == 0)) {
            /* A bracket typed full width still opens a section, for the
             * keys after it; fix_full_width reports it. */
            kind = LINE_SECTION;
            const char *name = s + (*s == '[' ? 1 : 3), *close = name;
            while (close < p + len && *close != ']' &&
                   !(close + 3 <= p + len && memcmp(close, FULL_WIDTH_CLOSE, 3) == 0))
                close++;
            size_t sections_capacity = t->capsections;
            if (!AM_RESERVE(t->sections, sections_capacity, t->nsections + 1) ||
                !AM_RESERVE(t->section_line, t->capsections, t->nsections + 1))
                return 0;
            if (!(t->sections[t->nsections] = am_strndup(name, (size_t)(close - name))))
                return 0;
            t->section_line[t->nsections] = t->nlines + 1;
            section = (int)t->nsections++;
            after_key = 0;
        } else {
            kind = LINE_KEY;
            size_t key_len;
            const char *key = key_of(s, rest, &key_len);
            map = am_feed_key_is_code_map(key, key_len);
            after_key = 1;
        }
        const line_info info = {p, len, section, kind,
                                (kind == LINE_KEY || kind == LINE_CONTINUATION) && map};
        if (!AM_PUSH(t->lines, t->nlines, t->caplines, info))
            return 0;
        p += len + 1;
    }
    return 1;
}

/* Full-width punctuation people type with a Chinese input method. */
static const struct {
    const char *wide, *ascii, *name;
} full_width[] = {{FULL_WIDTH_COLON, ":", "colon"},  {FULL_WIDTH_EQUALS, "=", "equals sign"},
                  {FULL_WIDTH_BAR, "|", "bar"},      {FULL_WIDTH_SEMICOLON, ";", "semicolon"},
                  {FULL_WIDTH_OPEN, "[", "bracket"}, {FULL_WIDTH_CLOSE, "]", "bracket"}};

/* Reports each full-width mark in [from, to) of line i whose ASCII form
 * is in `marks`, and writes it as that form so the check goes on. */
static am_status report_full_width(am_ctx *ctx, const centre_text *t, size_t i, char *from,
                                   const char *to, const char *marks)
{
    for (char *p = from; p + 3 <= to; p++) {
        for (size_t m = 0; m < sizeof full_width / sizeof *full_width; m++) {
            if (memcmp(p, full_width[m].wide, 3) != 0 || !strchr(marks, full_width[m].ascii[0]))
                continue;
            const am_status st = add(ctx, AM_SEVERITY_ERROR,
                                     "%s:%zu: found a full-width %s '%s'; expected ASCII '%s': "
                                     "retype it with the input method in English mode",
                                     t->path, i + 1, full_width[m].name, full_width[m].wide,
                                     full_width[m].ascii);
            if (st != AM_OK)
                return st;
            /* The ASCII mark, the rest of the line moved up to it and two
             * spaces at its end: the line keeps its length, and a
             * section's name or a map's text gains no space. */
            char *end = (char *)(uintptr_t)t->lines[i].start + t->lines[i].len;
            p[0] = full_width[m].ascii[0];
            memmove(p + 1, p + 3, (size_t)(end - (p + 3)));
            end[-1] = end[-2] = ' ';
            to -= 2;
            break;
        }
    }
    return AM_OK;
}

/* A code map's full-width marks in [from, the value's end) of line i: a
 * bar always separates entries; a colon separates an entry's text from
 * its code only in an entry without an ASCII ':', else it is the feed's
 * own text (低保：城市:DIBAO_URBAN). */
static am_status report_map_marks(am_ctx *ctx, const centre_text *t, size_t i, char *from,
                                  const char *line_end)
{
    am_status st = report_full_width(ctx, t, i, from, value_end(from, line_end), "|");
    /* right to left: a mark made ASCII moves only the text after it */
    char *entry_end = (char *)(uintptr_t)value_end(from, line_end);
    while (st == AM_OK && entry_end > from) {
        char *entry = entry_end;
        while (entry > from && entry[-1] != '|')
            entry--;
        if (!memchr(entry, ':', (size_t)(entry_end - entry)))
            st = report_full_width(ctx, t, i, entry, entry_end, ":");
        entry_end = entry > from ? entry - 1 : from;
    }
    return st;
}

/* Full-width marks where the centre file's syntax wants ASCII: a
 * section's brackets, a comment's semicolon, a key's separator, and the
 * ':' and '|' of a code map.  Elsewhere in a value (a centre's name, a
 * column's) they are text. */
static am_status fix_full_width(am_ctx *ctx, centre_text *t)
{
    am_status st = AM_OK;
    for (size_t i = 0; st == AM_OK && i < t->nlines; i++) {
        const line_info *l = &t->lines[i];
        char *line = (char *)(uintptr_t)l->start, *end = line + l->len, *s = line;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        if (l->kind == LINE_SECTION) {
            st = report_full_width(ctx, t, i, s, end, "[]");
        } else if (l->kind == LINE_KEY &&
                   (size_t)(end - s) >= 3 && memcmp(s, FULL_WIDTH_SEMICOLON, 3) == 0) {
            st = report_full_width(ctx, t, i, s, s + 3, ";");
        } else if (l->kind == LINE_KEY) {
            char *sep = (char *)(uintptr_t)separator_of(s, (size_t)(end - s));
            if (sep && (unsigned char)*sep >= 0x80)
                st = report_full_width(ctx, t, i, sep, sep + 3, ":=");
            if (st == AM_OK && sep && l->map)
                st = report_map_marks(ctx, t, i, sep + 1, end);
        } else if (l->kind == LINE_CONTINUATION && l->map) {
            st = report_map_marks(ctx, t, i, s, end);
        }
    }
    return st;
}

/* The centre text with only the lines of sections keep[] (and lines before
 * any section) left; the others blank, so line numbers stay. */
static char *text_of(const centre_text *t, const int *keep, const unsigned char *blank_line)
{
    /* every line gains a line end, the last too when the text has none */
    char *out = am_malloc(t->len + 2);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < t->nlines; i++) {
        const int s = t->lines[i].section;
        if ((s < 0 || keep[s]) && !blank_line[i]) {
            memcpy(out + n, t->lines[i].start, t->lines[i].len);
            n += t->lines[i].len;
        }
        out[n++] = '\n';
    }
    out[n] = '\0';
    return out;
}

/* The line number in "PATH:LINE: ..." when the message starts so. */
static size_t line_of(const char *msg, const char *path)
{
    const size_t n = strlen(path);
    if (strncmp(msg, path, n) != 0 || msg[n] != ':')
        return 0;
    char *end;
    const unsigned long line = strtoul(msg + n + 1, &end, 10);
    return *end == ':' ? (size_t)line : 0;
}

/* Whether line i is in section s or in a later section of the same name,
 * which adds to the same feed. */
static int in_section(const centre_text *t, size_t i, size_t s)
{
    const int at = t->lines[i].section;
    return at >= 0 && strcmp(t->sections[at], t->sections[s]) == 0;
}

/* The line in section s (or a section of its name) whose key is key, or
 * the section's own line. */
static size_t key_line(const centre_text *t, size_t s, const char *key)
{
    const size_t klen = strlen(key);
    for (size_t i = 0; i < t->nlines; i++) {
        if (!in_section(t, i, s) || t->lines[i].kind != LINE_KEY)
            continue;
        size_t len;
        const char *at = key_of(t->lines[i].start, t->lines[i].len, &len);
        if (len == klen && memcmp(at, key, klen) == 0)
            return i + 1;
    }
    return t->section_line[s];
}

/* The line of section s's item_map or fact_map, its key's line or one
 * continuing it, that maps a text to code (":CODE", blanks around it
 * allowed); the map key's own line when none does. */
static size_t map_line(const centre_text *t, size_t s, const char *key, const char *code)
{
    const size_t n = strlen(code);
    for (size_t i = 0; i < t->nlines && n; i++) {
        const line_info *l = &t->lines[i];
        if (!l->map || !in_section(t, i, s))
            continue;
        const char *start = l->start, *end = l->start + l->len;
        if (l->kind == LINE_KEY) {
            const char *sep = separator_of(start, l->len);
            end = sep ? value_end(sep + 1, end) : end;
        } else {
            end = value_end(start, end);
        }
        for (const char *p = start; p + n <= end; p++) {
            if (memcmp(p, code, n) != 0)
                continue;
            const char *before = p, *after = p + n;
            while (before > start && (before[-1] == ' ' || before[-1] == '\t'))
                before--;
            while (after < end && (*after == ' ' || *after == '\t' || *after == '\r'))
                after++;
            if (before > start && before[-1] == ':' &&
                (after == end || *after == '|' || *after == ';'))
                return i + 1;
        }
    }
    return key_line(t, s, key);
}

/* A code the catalogue does not have, and the nearest that it has. */
static const char *nearest_code(const am_ctx *scratch, const char *code)
{
    const am_catalogue *cat = &scratch->catalogue;
    const size_t n = cat->nitems + cat->nfacts + cat->nagencies;
    const char **names = am_malloc((n + 1) * sizeof *names);
    if (!names)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < cat->nitems; i++)
        names[k++] = cat->items[i].code;
    for (size_t i = 0; i < cat->nfacts; i++)
        names[k++] = cat->facts[i].code;
    for (size_t i = 0; i < cat->nagencies; i++)
        names[k++] = cat->agencies[i].code;
    const char *best = nearest(code, names, k);
    am_free(names);
    return best;
}

/* The keys a centre file may use, for the nearest to an unknown one:
 * [centre]'s first (CENTRE_KEYS of them), then a feed's. */
#define CENTRE_KEYS 14
static const char *const known_keys[] = {
    "name", "catalogue", "key", "rules", "window_start", "window_end", "death_lag_days",
    "outcomes", "drift_share", "link_threshold", "review_threshold", "csv_bom", "memory_limit",
    "temp_dir", "agency", "kind", "file", "encoding", "delimiter",
    "ids", "key_fingerprint", "person_id", "household_id", "item", "item_column", "item_map",
    "fact", "fact_column", "fact_map", "amount", "start", "end", "date", "month", "value",
    "date_format", "amount_unit", "thousands", "max_amount", "max_field", "max_line",
    "max_rows", "max_rejects", "max_gzip_ratio", "stale_days", "split_above", "birth_date",
    "sex", "area"};

/* Copies the quoted text after marker in msg into out; 0 if none. */
static int quoted_after(const char *msg, const char *marker, char *out, size_t size)
{
    const char *p = strstr(msg, marker);
    if (!p)
        return 0;
    p += strlen(marker);
    const char *close = strchr(p, '\'');
    if (!close || (size_t)(close - p) >= size)
        return 0;
    snprintf(out, size, "%.*s", (int)(close - p), p);
    return 1;
}

/* Records a loader's message, with a suggestion where one can be made:
 * the nearest known key to an unknown one, the nearest catalogue code to
 * one the catalogue does not have (value is the blamed line's value, the
 * centre file's own text, or NULL). */
static am_status record(am_ctx *ctx, const am_ctx *scratch, const char *msg, const char *value)
{
    char word[64];
    const char *near = NULL;
    if (quoted_after(msg, "unknown key '", word, sizeof word)) {
        /* a key of the other kind of section: say where it goes */
        int centre_key = 0, feed_key = 0;
        for (size_t i = 0; i < sizeof known_keys / sizeof *known_keys; i++)
            if (strcmp(word, known_keys[i]) == 0)
                *(i < CENTRE_KEYS ? &centre_key : &feed_key) = 1;
        const int in_centre = strstr(msg, "in [centre]") != NULL;
        if (centre_key && !in_centre)
            return add(ctx, AM_SEVERITY_ERROR, "%s; %s belongs in [centre]", msg, word);
        if (feed_key && in_centre)
            return add(ctx, AM_SEVERITY_ERROR, "%s; %s belongs in a [feed NAME] section", msg,
                       word);
        near = nearest(word, known_keys, sizeof known_keys / sizeof *known_keys);
    } else if (scratch->have_catalogue &&
             (quoted_after(msg, "got '", word, sizeof word) ||
              ((strstr(msg, "code") || strstr(msg, "agency")) &&
               (quoted_after(msg, ": '", word, sizeof word) ||
                (value && snprintf(word, sizeof word, "%s", value) < (int)sizeof word)))))
        near = nearest_code(scratch, word);
    /* a value that looks right but holds what cannot be seen is quoted,
     * so that add() can say what it holds */
    const int hidden = value && invisible_in(value);
    if (near)
        return add(ctx, AM_SEVERITY_ERROR, "%s; did you mean %s?%s%s%s", msg, near,
                   hidden ? " (got '" : "", hidden ? value : "", hidden ? "')" : "");
    return add(ctx, AM_SEVERITY_ERROR, "%s%s%s%s", msg, hidden ? " (got '" : "",
               hidden ? value : "", hidden ? "')" : "");
}

/* The value of a "key = value" line, trimmed, into out. */
static const char *line_value(const centre_text *t, size_t line, char *out, size_t size)
{
    const line_info *l = &t->lines[line - 1];
    const char *eq = memchr(l->start, '=', l->len);
    if (!eq)
        return NULL;
    const char *v = eq + 1, *end = l->start + l->len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    if ((size_t)(end - v) >= size)
        return NULL;
    snprintf(out, size, "%.*s", (int)(end - v), v);
    return out;
}

/* Loads text into a fresh context, blanking each line the loader refuses
 * and loading again.  Returns the context that loaded (the caller frees
 * it) or NULL, with every refusal recorded on ctx. */
static am_ctx *load_section(am_ctx *ctx, const centre_text *t, const int *keep, am_status *st)
{
    unsigned char *blank = am_calloc(t->nlines + 1, 1);
    if (!blank) {
        *st = AM_ERR_NOMEM;
        return NULL;
    }
    am_ctx *scratch = NULL;
    int blamed = 0;
    char last_what[AM_ERRMSG_MAX] = ""; /* the last refusal, after its "PATH:LINE" */
    size_t last_line = 0;               /* and its line */
    for (int tries = 0; tries < RETRIES_MAX; tries++) {
        char *text = text_of(t, keep, blank);
        if (!text || am_ctx_new(&scratch) != AM_OK) {
            am_free(text);
            *st = AM_ERR_NOMEM;
            break;
        }
        if (ctx->data_dir)
            am_set_data_dir(scratch, ctx->data_dir);
        const am_status loaded =
            am_load_centre_mem(scratch, text, strlen(text), t->path, ctx->base_dir);
        am_free(text);
        if (loaded == AM_OK)
            break;
        const char *msg = am_errmsg(scratch);
        const size_t line = line_of(msg, t->path);
        char value[128];
        /* once a line was refused, an error without a line (a key found
         * missing at the end) is most often its consequence */
        if (!line && blamed) {
            am_ctx_free(scratch);
            scratch = NULL;
            break;
        }
        /* the same mistake at the next key line, of another key (a feed
         * before [centre]: "no catalogue loaded" at each of its keys), is
         * the section's, told once; a key given again and again is not */
        const char *what = line ? strchr(strchr(msg + strlen(t->path), ':') + 1, ':') : NULL;
        int again = what && last_line && line > last_line && line <= t->nlines &&
                    strcmp(what, last_what) == 0;
        for (size_t i = last_line; again && i < line - 1; i++)
            again = blank[i] || t->lines[i].kind != LINE_KEY;
        if (again) {
            size_t a, b;
            const char *key = key_of(t->lines[line - 1].start, t->lines[line - 1].len, &a);
            const char *last_key =
                key_of(t->lines[last_line - 1].start, t->lines[last_line - 1].len, &b);
            again = a != b || memcmp(key, last_key, a) != 0;
        }
        if (what) {
            snprintf(last_what, sizeof last_what, "%s", what);
            last_line = line;
        }
        if ((!again && (*st = record(ctx, scratch, msg,
                                     line && line <= t->nlines
                                         ? line_value(t, line, value, sizeof value)
                                         : NULL)) != AM_OK) ||
            !line || line > t->nlines || blank[line - 1]) {
            am_ctx_free(scratch);
            scratch = NULL;
            break;
        }
        /* a section that cannot be read leaves its keys nowhere: they
         * would only be blamed again under the section before it */
        if (t->lines[line - 1].kind == LINE_SECTION) {
            am_ctx_free(scratch);
            scratch = NULL;
            break;
        }
        /* a key refused takes its continuation lines with it */
        blank[line - 1] = 1;
        for (size_t i = line; i < t->nlines && (t->lines[i].kind == LINE_CONTINUATION ||
                                               t->lines[i].kind == LINE_OTHER); i++)
            blank[i] = t->lines[i].kind == LINE_CONTINUATION;
        blamed = 1;
        am_ctx_free(scratch);
        scratch = NULL;
    }
    am_free(blank);
    return scratch;
}

/* ---- feeds ---- */

/* The centre-file key that maps a column. */
static const char *column_key(int c)
{
    static const char *const keys[AM_COL__COUNT] = {
        [AM_COL_PERSON] = "person_id", [AM_COL_NAME] = "name",
        [AM_COL_HOUSEHOLD] = "household_id", [AM_COL_CODE] = "item_column",
        [AM_COL_AMOUNT] = "amount", [AM_COL_START] = "start",
        [AM_COL_END] = "end", [AM_COL_DATE] = "date",
        [AM_COL_MONTH] = "month", [AM_COL_VALUE] = "value",
        [AM_COL_BIRTH_DATE] = "birth_date", [AM_COL_SEX] = "sex",
        [AM_COL_AREA] = "area",
    };
    return keys[c];
}

/* What a file that is not CSV is, from its first bytes, and what to do. */
static const char *not_csv(const unsigned char *head, size_t n)
{
    if (n >= 4 && memcmp(head, "PK\x03\x04", 4) == 0)
        return "an Excel .xlsx workbook or a zip archive; open it in Excel or WPS and save "
               "as 'CSV UTF-8 (逗号分隔)', or unzip it, and name that file";
    if (n >= 8 && memcmp(head, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
        return "an Excel .xls workbook; open it in Excel or WPS and save as 'CSV UTF-8 "
               "(逗号分隔)', and name that file";
    if (n >= 5 && memcmp(head, "%PDF-", 5) == 0)
        return "a PDF document; ask the agency for the data as CSV (a PDF table cannot be "
               "read)";
    if (n >= 6 && memcmp(head, "7z\xBC\xAF\x27\x1C", 6) == 0)
        return "a 7z archive; extract it and name the CSV file inside";
    if (n >= 4 && memcmp(head, "Rar!", 4) == 0)
        return "a RAR archive; extract it and name the CSV file inside";
    return NULL;
}

/* The sample being read: plain or inflated bytes up to the end of the
 * (rows+1)th line that is not blank, in secret memory (it holds raw IDs
 * and names).  Blank lines are no rows, so they do not count: a feed
 * that opens with many is sampled past them.  A line ends at LF, CRLF or
 * a CR alone, as the reader's do; in UTF-16 (a BOM, or declared) at such
 * a code unit, not at a byte of a character such as 不 (U+4E0D), and the
 * sample ends between units.  full: the file goes on after the sample. */
typedef struct sample_reader {
    char *buf;
    size_t len, cap;
    uint64_t lines, rows;
    am_encoding declared; /* the feed's encoding key */
    enum { UNIT_UNKNOWN, UNIT_BYTE, UNIT_UTF16LE, UNIT_UTF16BE } unit;
    unsigned char odd; /* a UTF-16 unit's first byte, its chunk having ended */
    int has_odd;
    int line_has_text; /* a character other than a line end since the line began */
    int after_cr;      /* the last character other than NUL was a CR */
    int full;
} sample_reader;

/* Ends a line; 1 when it is the sample's last. */
static int sample_line_ends(sample_reader *s)
{
    const int counts = s->line_has_text;
    s->line_has_text = 0;
    return counts && ++s->lines > s->rows;
}

/* Takes one character, a byte or a UTF-16 code unit.  Returns 0, or
 * where the sample ends: SAMPLE_ENDS_BEFORE it (a CR alone ended the
 * sample's last line) or SAMPLE_ENDS_AFTER it (an LF did). */
enum { SAMPLE_ENDS_BEFORE = 1, SAMPLE_ENDS_AFTER };
static int sample_char(sample_reader *s, unsigned c)
{
    /* NUL: the other half of a UTF-16 line end read as bytes */
    if (c == 0)
        return 0;
    const int cr_alone = s->after_cr && c != '\n';
    s->after_cr = c == '\r';
    if (cr_alone && sample_line_ends(s))
        return SAMPLE_ENDS_BEFORE;
    if (c == '\n' && sample_line_ends(s))
        return SAMPLE_ENDS_AFTER;
    s->line_has_text |= c != '\r' && c != '\n';
    return 0;
}

static am_status sample_take(void *user, const unsigned char *p, size_t n)
{
    sample_reader *s = user;
    if (s->full || !n)
        return AM_OK;
    size_t i = 0;
    if (s->unit == UNIT_UNKNOWN) {
        /* a BOM says, and is no text of the header's line */
        const int bom = utf16_bom(p, n);
        if (bom)
            s->unit = bom == 'l' ? UNIT_UTF16LE : UNIT_UTF16BE, i = 2;
        /* declared, and with the zeros of UTF-16 (a file declared so that
         * is not is sampled by its bytes, not read 64 MiB for a line end) */
        else if ((s->declared == AM_ENC_UTF16LE || s->declared == AM_ENC_UTF16BE) &&
                 memchr(p, 0, n))
            s->unit = s->declared == AM_ENC_UTF16LE ? UNIT_UTF16LE : UNIT_UTF16BE;
        else
            s->unit = UNIT_BYTE, i = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    }
    const size_t base = s->len; /* where p[0] goes in the sample */
    size_t cut = SIZE_MAX;      /* where the sample ends, counted from its start */
    if (s->unit == UNIT_BYTE) {
        for (; i < n && cut == SIZE_MAX; i++) {
            const int ends = sample_char(s, p[i]);
            if (ends)
                cut = base + i + (ends == SAMPLE_ENDS_AFTER);
        }
    } else {
        const int le = s->unit == UNIT_UTF16LE;
        if (s->has_odd) { /* the unit begun at the end of the last chunk */
            s->has_odd = 0;
            const int ends = sample_char(s, le ? s->odd | (unsigned)p[0] << 8
                                               : (unsigned)s->odd << 8 | p[0]);
            if (ends)
                cut = ends == SAMPLE_ENDS_AFTER ? base + 1 : base - 1;
            i = 1;
        }
        for (; i + 1 < n && cut == SIZE_MAX; i += 2) {
            const int ends = sample_char(s, le ? p[i] | (unsigned)p[i + 1] << 8
                                               : (unsigned)p[i] << 8 | p[i + 1]);
            if (ends)
                cut = base + i + (ends == SAMPLE_ENDS_AFTER ? 2 : 0);
        }
        if (cut == SIZE_MAX && i < n) {
            s->odd = p[i];
            s->has_odd = 1;
        }
    }
    size_t used = n;
    if (cut != SIZE_MAX) {
        s->full = 1;
        if (cut < base) { /* before the unit's first byte, taken with the last chunk */
            s->len = cut;
            used = 0;
        } else {
            used = cut - base;
        }
    }
    if (used > SAMPLE_BYTES_MAX - s->len) {
        used = SAMPLE_BYTES_MAX - s->len;
        s->full = 1;
    }
    if (!am_reserve_secret(&s->buf, &s->cap, s->len + used + 1))
        return AM_ERR_NOMEM;
    memcpy(s->buf + s->len, p, used);
    s->len += used;
    return AM_OK;
}

/* Reads the first rows+1 lines that are not blank of a feed file (gzip or
 * plain), at most SAMPLE_BYTES_MAX bytes, through the library's inflater
 * and secret buffers (am_secret_malloc), never stdio's or zlib's own.
 * Returns the bytes (the caller frees them with am_secret_free) or NULL;
 * *io_error is SAMPLE_UNREADABLE when the file could not be read and
 * SAMPLE_BAD_GZIP when its gzip data is damaged or cut short, else 0;
 * *cut says whether the file goes on after the sample, and *lines how
 * many lines that are not blank the sample ends (the header's among
 * them).  declared: the feed's encoding key, which says where a UTF-16
 * file without a BOM ends its lines. */
enum { SAMPLE_UNREADABLE = 1, SAMPLE_BAD_GZIP };
static char *read_sample(const char *path, uint64_t rows, am_encoding declared, size_t *len,
                         int *io_error, int *cut, uint64_t *lines)
{
    enum { SAMPLE_CHUNK = 1 << 16 };
    struct stat sb;
    int e = 0;
    *io_error = 0;
    *len = 0;
    const int fd = am_open_regular(path, &sb, &e);
    if (fd < 0) {
        *io_error = SAMPLE_UNREADABLE;
        return NULL;
    }
    sample_reader s = {.rows = rows, .declared = declared};
    am_inflater *z = NULL;
    unsigned char *chunk = am_secret_malloc(SAMPLE_CHUNK);
    am_status st = chunk && am_reserve_secret(&s.buf, &s.cap, 1) ? AM_OK : AM_ERR_NOMEM;
    int first = 1, eof = 0;
    while (st == AM_OK && !s.full && !eof) {
        size_t n = 0;
        while (n < SAMPLE_CHUNK) {
            const ssize_t got = read(fd, chunk + n, SAMPLE_CHUNK - n);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                eof = 1;
                *io_error = got < 0 ? SAMPLE_UNREADABLE : 0;
                break;
            }
            n += (size_t)got;
        }
        if (first && n >= 2 && chunk[0] == 0x1f && chunk[1] == 0x8b)
            st = am_inflater_new(&z);
        first = 0;
        if (st == AM_OK && n)
            st = z ? am_inflater_feed(z, chunk, n, sample_take, &s) : sample_take(&s, chunk, n);
    }
    /* Damaged gzip data, or a gzip file read to its end whose stream had
     * not ended: cut short. */
    if (!*io_error &&
        (st == AM_ERR_FORMAT || (st == AM_OK && z && eof && !s.full && !am_inflater_done(z))))
        *io_error = SAMPLE_BAD_GZIP;
    close(fd);
    am_inflater_free(z);
    am_secret_free(chunk);
    if (st != AM_OK && st != AM_ERR_FORMAT) {
        am_secret_free(s.buf);
        return NULL;
    }
    *len = s.len;
    *cut = s.full;
    *lines = s.lines;
    return s.buf;
}

/* The first of the common delimiters other than delim that s holds, or
 * 0: in a header read as one column, the delimiter the file uses. */
static char other_delimiter(const char *s, char delim)
{
    for (; *s; s++)
        if (*s != delim && strchr(",;\t|", *s))
            return *s;
    return 0;
}

/* The length of the line at s (of len bytes) without its line end (LF,
 * CRLF or a CR alone), and in *next where the line after it starts (len
 * when none does). */
static size_t line_length(const char *s, size_t len, size_t *next)
{
    size_t n = 0;
    while (n < len && s[n] != '\n' && s[n] != '\r')
        n++;
    *next = n + (n < len) + (n + 1 < len && s[n] == '\r' && s[n + 1] == '\n');
    return n;
}

/* The header's column names, as UTF-8 (GBK converted), joined by ", "
 * into list, and split into names[]; in *header_line its line, the first
 * that is not blank. */
static size_t header_columns(const am_feed *feed, const char *sample, size_t len, char *list,
                             size_t list_size, char names[][64], size_t max,
                             unsigned long *header_line, int *complete)
{
    if (len >= 3 && memcmp(sample, "\xEF\xBB\xBF", 3) == 0) {
        sample += 3;
        len -= 3;
    }
    *header_line = 1;
    size_t hlen, next;
    while ((hlen = line_length(sample, len, &next)) == 0 && next < len) {
        sample += next;
        len -= next;
        ++*header_line;
    }
    char line[4096];
    *complete = hlen < sizeof line;
    if (hlen >= sizeof line)
        hlen = sizeof line - 1;
    if (valid_utf8(sample, hlen)) {
        memcpy(line, sample, hlen);
        line[hlen] = '\0';
    } else if (!decodes_as_gbk(sample, hlen, line, sizeof line)) {
        line[0] = '\0';
    }
    const char delim = feed->reader.delimiter ? (char)feed->reader.delimiter : ',';
    size_t count = 0, used = 0;
    list[0] = '\0';
    for (char *p = line; *p && count < max;) {
        char *end = strchr(p, delim);
        if (!end)
            end = p + strcspn(p, "\r");
        const char save = *end;
        *end = '\0';
        const char *s = p;
        size_t n = strlen(s);
        while (n && (*s == ' ' || *s == '"')) {
            s++;
            n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '"' || s[n - 1] == '\r'))
            n--;
        *complete &= n < 64;
        snprintf(names[count], 64, "%.*s", (int)n, s);
        used += (size_t)snprintf(list + used, used < list_size ? list_size - used : 0, "%s'%s'",
                                 count ? ", " : "", names[count]);
        count++;
        *end = save;
        if (!save || save == '\r')
            break;
        p = end + 1;
        *complete &= count < max;
    }
    *complete &= used < list_size;
    sodium_memzero(line, sizeof line); /* a first line of data holds raw IDs and names */
    return count;
}

/* Whether a header cell is a resident ID (15 digits, or 17 and a check
 * character): the first line is then a row of data, not printed. */
static int resident_id_like(const char *cell)
{
    size_t digits = 0, n = strlen(cell);
    for (size_t i = 0; i < n; i++)
        digits += cell[i] >= '0' && cell[i] <= '9';
    return (n == 15 && digits == 15) ||
           (n == 18 && (digits == 18 || (digits == 17 && (cell[17] == 'X' || cell[17] == 'x'))));
}

/* A message of the form "feed NAME: KEY: ..." given where KEY is in the
 * centre file (or the feed's section), as "centre.ini:LINE: feed ...". */
static void locate(const centre_text *t, size_t s, const char *msg, char *out, size_t size)
{
    const char *key = strncmp(msg, "feed ", 5) == 0 ? strstr(msg, ": ") : NULL;
    char name[64] = "";
    if (key) {
        key += 2;
        const size_t n = strcspn(key, ": ");
        if (key[n] == ':' && n < sizeof name)
            snprintf(name, sizeof name, "%.*s", (int)n, key);
    }
    char code[64];
    size_t line = t->section_line[s];
    if (*name && am_feed_key_is_code_map(name, strlen(name)) &&
        quoted_after(msg, "got '", code, sizeof code))
        line = map_line(t, s, name, code);
    else if (*name)
        line = key_line(t, s, name);
    snprintf(out, size, "%s:%zu: %s", t->path, line, msg);
}

/* What most of a sample's rejects say of the centre file: the key whose
 * column holds the values, and what to do. */
#define RESIDENT_IDS "expected the column of 18-character resident IDs"
static const struct {
    am_reject reason;
    const char *key; /* "date": start, date or month, whichever is set */
    const char *advice;
} reject_advice[] = {
    {AM_REJECT_MISSING_ID, "person_id", "expected the column of resident IDs"},
    {AM_REJECT_BAD_LENGTH, "person_id", RESIDENT_IDS},
    {AM_REJECT_BAD_CHAR, "person_id", RESIDENT_IDS},
    {AM_REJECT_BAD_BIRTH_DATE, "person_id", RESIDENT_IDS},
    {AM_REJECT_BAD_CHECK_DIGIT, "person_id", RESIDENT_IDS},
    {AM_REJECT_EXCEL_MANGLED, "person_id",
     "Excel turned the IDs into numbers: ask the agency for the file with the ID column "
     "formatted as text"},
    {AM_REJECT_BAD_TOKEN, "person_id", "expected tokens of 32 hex digits (ids = token)"},
    {AM_REJECT_BAD_HOUSEHOLD, "household_id", "expected the column of household IDs"},
    {AM_REJECT_MISSING_DATE, "date", "expected the column of dates"},
    {AM_REJECT_BAD_DATE, "date",
     "expected dates such as 2024-01-31, or date_format = how the feed writes them "
     "(such as %Y年%m月%d日)"},
    {AM_REJECT_END_BEFORE_START, "end", "expected the end's column to hold the later date"},
    {AM_REJECT_MISSING_AMOUNT, "amount", "expected the column of amounts"},
    {AM_REJECT_BAD_AMOUNT, "amount",
     "expected yuan such as 1200.00, or amount_unit and thousands as the feed writes them"},
    {AM_REJECT_NEGATIVE_AMOUNT, "amount", "expected the column of amounts paid"},
    {AM_REJECT_ABSURD_AMOUNT, "max_amount", "expected amounts in yuan, not fen"},
    {AM_REJECT_UNKNOWN_ITEM, "item_map", "expected every value of the column in item_map"},
    {AM_REJECT_BAD_GRADE, "value", "expected the column of the fact's values"},
    {AM_REJECT_TOO_FEW_FIELDS, "delimiter", "expected every row to hold the header's columns"},
    {AM_REJECT_TOO_MANY_FIELDS, "delimiter", "expected every row to hold the header's columns"},
    {AM_REJECT_BAD_ENCODING, "encoding", "expected the file's encoding"},
    {AM_REJECT_FIELD_TOO_LONG, "max_field", "expected fields no longer than max_field"},
    {AM_REJECT_EMBEDDED_NUL, "file", "expected a text file"},
};

/* Warns that most of a feed's sample would be rejected (the run reads on,
 * rejecting them, and an item of the feed's would be missing for all it
 * leaves out), naming the commonest reason and the key to look at. */
static am_status warn_rejects(am_ctx *ctx, const centre_text *t, size_t s, const am_ctx *scratch,
                              const am_feed_stats *stats)
{
    const am_feed *feed = scratch->feeds[0];
    am_reject top = AM_REJECT_MISSING_ID;
    uint64_t most = 0;
    for (int r = 0; r < AM_REJECT__COUNT; r++) {
        const uint64_t n = am_feed_rejected(scratch, 0, (am_reject)r);
        if (n > most)
            most = n, top = (am_reject)r;
    }
    const char *key = "file", *advice = "";
    for (size_t i = 0; i < sizeof reject_advice / sizeof *reject_advice; i++)
        if (reject_advice[i].reason == top)
            key = reject_advice[i].key, advice = reject_advice[i].advice;
    if (strcmp(key, "date") == 0)
        key = feed->column[AM_COL_START] ? "start"
              : feed->column[AM_COL_DATE] ? "date"
                                          : "month";
    if (strcmp(key, "item_map") == 0 && feed->code_key_is_fact)
        key = "fact_map";
    return add(ctx, AM_SEVERITY_WARNING,
               "%s:%zu: feed %s: %llu of the first %llu rows would be rejected, %llu of them "
               "as %s: %s", t->path, key_line(t, s, key), feed->name,
               (unsigned long long)stats->rows_rejected, (unsigned long long)stats->rows_read,
               (unsigned long long)most, am_reject_name(top), advice);
}

/* Checks a feed that loaded: its spec (unless the loader already refused
 * a line of it, whose consequences would only repeat it), its file, and a
 * sample of its rows. */
static am_status check_feed(am_ctx *ctx, const centre_text *t, size_t s, am_ctx *scratch,
                            uint64_t rows, int spec_blamed)
{
    am_feed *feed = scratch->nfeeds ? scratch->feeds[0] : NULL;
    if (!feed)
        return AM_OK;
    const size_t file_line = key_line(t, s, "file");
    /* The spec first, so that its mistakes are reported with the file's. */
    char where[AM_ERRMSG_MAX + 64];
    am_status st = AM_OK;
    const int spec_ok = !spec_blamed && am_feed_validate(feed) == AM_OK;
    if (!spec_ok && !spec_blamed) {
        locate(t, s, am_errmsg(scratch), where, sizeof where);
        if ((st = record(ctx, scratch, where, NULL)) != AM_OK)
            return st;
    }
    if (!feed->file && file_line != t->section_line[s])
        return AM_OK; /* its file line was refused, and told */
    if (!feed->file)
        return add(ctx, AM_SEVERITY_ERROR,
                   "%s:%zu: feed %s has no file; expected file = the export's path (relative to "
                   "the centre file)", t->path, t->section_line[s], feed->name);
    struct stat sb;
    if (stat(feed->file, &sb) == 0 && !S_ISREG(sb.st_mode))
        return add(ctx, AM_SEVERITY_ERROR, "%s:%zu: feed %s: %s: %s", t->path, file_line,
                   feed->name, feed->file,
                   S_ISDIR(sb.st_mode) ? strerror(EISDIR) : "not a regular file");
    /* Not stdio, whose buffer would keep a page of raw IDs after fclose. */
    int open_error = 0;
    const int fd = am_open_regular(feed->file, &sb, &open_error);
    if (fd < 0) {
        /* a path typed as Windows shows it, or quoted */
        const char *hint = open_error != ENOENT           ? ""
                           : strchr(feed->file, '"')      ? "; write the path without quotes"
                           : strchr(feed->file, '\\') ? "; write paths with '/' (as data/feed.csv), not '\\'"
                                                          : "";
        return add(ctx, AM_SEVERITY_ERROR, "%s:%zu: feed %s: %s: %s%s", t->path, file_line,
                   feed->name, feed->file,
                   open_error ? strerror(open_error) : "not a regular file", hint);
    }
    unsigned char head[8];
    const ssize_t got = read(fd, head, sizeof head);
    close(fd);
    const size_t nhead = got > 0 ? (size_t)got : 0;
    const char *kind = not_csv(head, nhead);
    if (kind)
        return add(ctx, AM_SEVERITY_ERROR, "%s:%zu: feed %s: %s is not CSV but %s", t->path,
                   file_line, feed->name, feed->file, kind);
    size_t len = 0;
    int io_error, cut = 0;
    uint64_t lines = 0;
    char *sample =
        read_sample(feed->file, rows, feed->reader.encoding, &len, &io_error, &cut, &lines);
    if (!sample || io_error) {
        am_secret_free(sample);
        return add(ctx, AM_SEVERITY_ERROR, "%s:%zu: feed %s: %s: %s", t->path, file_line,
                   feed->name, feed->file,
                   io_error == SAMPLE_BAD_GZIP    ? "truncated or corrupt gzip data"
                   : io_error == SAMPLE_UNREADABLE ? "cannot be read"
                                                   : "out of memory");
    }
    /* A sample of blank lines only, the file going on: nothing to judge
     * by, and the run reads the rest. */
    if (!spec_ok || (cut && lines == 0)) {
        am_secret_free(sample);
        return AM_OK;
    }
    /* The sample ends where the count of lines did, maybe inside a quoted
     * field that goes on: that record is the cut's, not the feed's. */
    feed->reader.cut_short = cut;
    const int declared_utf8 = feed->reader.encoding == AM_ENC_UTF8;
    /* UTF-16 without a BOM: every other byte of its ASCII text is 0 */
    size_t zeros[2] = {0, 0};
    for (size_t i = 0; i < len; i++)
        zeros[i & 1] += sample[i] == 0;
    const int bom16 = utf16_bom((const unsigned char *)sample, len);
    const char *utf16 = bom16               ? NULL
                        : zeros[1] * 4 > len ? "utf-16"
                        : zeros[0] * 4 > len ? "utf-16be"
                                             : NULL;
    const int declared_utf16 = feed->reader.encoding == AM_ENC_UTF16LE ||
                               feed->reader.encoding == AM_ENC_UTF16BE;
    /* UTF-16 by its BOM, or declared and with the zeros of its ASCII: its
     * header is read as UTF-8 for the messages (a file declared UTF-16
     * that is not is read as it is) */
    const int read_as_utf16 = bom16 || (declared_utf16 && (zeros[0] + zeros[1]) * 4 > len);
    /* a BOM says UTF-16 whatever encoding says; auto reads it */
    const int bom16_declared_otherwise =
        bom16 && !declared_utf16 && feed->reader.encoding != AM_ENC_AUTO;
    const int little_endian = bom16 ? bom16 == 'l' : feed->reader.encoding == AM_ENC_UTF16LE;
    const int looks_gbk = !utf16 && !memchr(sample, 0, len) && !valid_utf8(sample, len) &&
                          decodes_as_gbk(sample, len, NULL, 0);
    st = am_feed_ingest_buffer(feed, sample, len);
    char list[2048], names[64][64];
    if (st != AM_OK) {
        const char *msg = am_errmsg(scratch);
        const char *col = strstr(msg, "column '");
        if (strstr(msg, "is not in the header") && col) {
            unsigned long header_line;
            int complete;
            char as_utf8[8192];
            const size_t n =
                read_as_utf16
                    ? header_columns(feed, as_utf8,
                                     utf16_as_utf8(sample, len, little_endian, as_utf8,
                                                   sizeof as_utf8),
                                     list, sizeof list, names, 64, &header_line, &complete)
                    : header_columns(feed, sample, len, list, sizeof list, names, 64,
                                     &header_line, &complete);
            sodium_memzero(as_utf8, sizeof as_utf8); /* the sample's raw IDs and names */
            int data_row = 0;
            for (size_t i = 0; i < n; i++)
                data_row |= resident_id_like(names[i]);
            const char *header_ascii_only = valid_utf8(sample, len) ? NULL : "";
            char wanted[256];
            col += 8;
            const char *close = strchr(col, '\'');
            snprintf(wanted, sizeof wanted, "%.*s", close ? (int)(close - col) : 0, col);
            int in_utf8_header = 0;
            for (size_t i = 0; i < n; i++)
                in_utf8_header |= strcmp(names[i], wanted) == 0;
            const char delim = feed->reader.delimiter ? (char)feed->reader.delimiter : ',';
            const char other_delim = n == 1 ? other_delimiter(names[0], delim) : 0;
            if (bom16_declared_otherwise) {
                st = add(ctx, AM_SEVERITY_ERROR,
                         "%s:%zu: feed %s: %s:1: the file is UTF-16 (it opens with a byte-order "
                         "mark), not the declared encoding: set encoding = auto", t->path,
                         key_line(t, s, "encoding"), feed->name, feed->file);
            } else if (utf16 && !declared_utf16) {
                st = add(ctx, AM_SEVERITY_ERROR,
                         "%s:%zu: feed %s: %s:1: the file looks like UTF-16 without a byte-order "
                         "mark: set encoding = %s", t->path, key_line(t, s, "encoding"),
                         feed->name, feed->file, utf16);
            } else if (looks_gbk && feed->reader.encoding != AM_ENC_GB18030 &&
                       (declared_utf8 || header_ascii_only)) {
                st = add(ctx, AM_SEVERITY_ERROR,
                         "%s:%zu: feed %s: %s:%lu: the header does not read as %s; the file "
                         "looks like GBK: set encoding = gbk", t->path,
                         key_line(t, s, "encoding"), feed->name, feed->file, header_line,
                         declared_utf8 ? "UTF-8 (encoding = utf-8)" : "UTF-8");
            } else if (in_utf8_header && feed->reader.encoding != AM_ENC_UTF8 &&
                       feed->reader.encoding != AM_ENC_AUTO && valid_utf8(sample, len)) {
                /* The header holds the column, read as UTF-8: the declared
                 * encoding is what is wrong. */
                st = add(ctx, AM_SEVERITY_ERROR,
                         "%s:%zu: feed %s: %s:%lu: the header reads as UTF-8, not as the "
                         "declared encoding: set encoding = utf-8", t->path,
                         key_line(t, s, "encoding"), feed->name, feed->file, header_line);
            } else if (other_delim) {
                /* The header read as one column holding another common
                 * delimiter: the declared one is what is wrong. */
                st = add(ctx, AM_SEVERITY_ERROR,
                         "%s:%zu: feed %s: %s:%lu: the header is one column holding '%c': "
                         "set delimiter %s", t->path, key_line(t, s, "delimiter"),
                         feed->name, feed->file, header_line, other_delim,
                         /* " ;" would start a comment */
                         other_delim == '\t'  ? "= tab"
                         : other_delim == ';' ? "=;"
                                              : (char[]){'=', ' ', other_delim, '\0'});
            } else if (data_row) {
                /* its cells are a person's: never printed */
                st = add(ctx, AM_SEVERITY_ERROR,
                         "%s:%zu: feed %s: %s:%lu: the first line holds a resident ID: it is a "
                         "row of data, not the header; expected the export with its header row "
                         "(the column names)", t->path, file_line, feed->name, feed->file,
                         header_line);
            } else {
                /* The reader stops at the first column it misses; every
                 * one is told, each at the line of the key that names it
                 * (the others only when the whole header was read). */
                const char *ptrs[64];
                for (size_t i = 0; i < n; i++) {
                    size_t name_len = strlen(names[i]);
                    ptrs[i] = names[i];
                    am_trim_cell(&ptrs[i], &name_len); /* as the reader trims a cell */
                    names[i][ptrs[i] - names[i] + (ptrdiff_t)name_len] = '\0';
                }
                st = AM_OK;
                for (int c = 0; c < AM_COL__COUNT && st == AM_OK; c++) {
                    const char *column = feed->column[c];
                    int in_header = 0;
                    for (size_t i = 0; column && i < n; i++)
                        in_header |= strcmp(ptrs[i], column) == 0;
                    if (!column ||
                        (strcmp(column, wanted) != 0 && (in_header || !complete)))
                        continue;
                    const char *near = nearest(column, ptrs, n);
                    char suggestion[320] = "";
                    if (near)
                        snprintf(suggestion, sizeof suggestion, "; did you mean '%s'?", near);
                    st = add(ctx, AM_SEVERITY_ERROR,
                             "%s:%zu: feed %s: %s:%lu: no column '%s' in the header; the "
                             "header has %s%s", t->path,
                             key_line(t, s, c == AM_COL_CODE && feed->code_key_is_fact
                                                ? "fact_column"
                                                : column_key(c)),
                             feed->name, feed->file, header_line, column, list, suggestion);
                }
            }
        } else if (line_of(msg, t->path)) {
            st = record(ctx, scratch, msg, NULL);
        } else if (strncmp(msg, feed->name, strlen(feed->name)) == 0 &&
                   msg[strlen(feed->name)] == ':') {
            /* the sample was read from memory under the feed's name */
            snprintf(where, sizeof where, "%s:%zu: feed %s: %s%s", t->path, file_line,
                     feed->name, feed->file, msg + strlen(feed->name));
            st = record(ctx, scratch, where, NULL);
        } else {
            locate(t, s, msg, where, sizeof where);
            st = record(ctx, scratch, where, NULL);
        }
        sodium_memzero(list, sizeof list); /* a first line of data: a person's cells */
        sodium_memzero(names, sizeof names);
        am_secret_free(sample);
        return st;
    }
    am_secret_free(sample);
    am_feed_stats stats;
    if (am_feed_stats_get(scratch, 0, &stats) != AM_OK || stats.rows_read == 0)
        return AM_OK;
    const uint64_t bad = am_feed_rejected(scratch, 0, AM_REJECT_BAD_ENCODING);
    if (bad * 2 > stats.rows_read && looks_gbk)
        st = add(ctx, AM_SEVERITY_WARNING,
                 "%s:%zu: feed %s: %llu of the first %llu rows are not %s (bad_encoding); the "
                 "file decodes as GBK: set encoding = gbk", t->path, key_line(t, s, "encoding"),
                 feed->name, (unsigned long long)bad, (unsigned long long)stats.rows_read,
                 declared_utf8 ? "UTF-8 as declared" : "readable");
    else if (stats.rows_rejected * 2 > stats.rows_read)
        st = warn_rejects(ctx, t, s, scratch, &stats);
    /* One-off items are paid on a day: rows of one with a start and a
     * later end say the feed maps the wrong columns.  Periodic payments
     * past the run date stretch the default window past it. */
    const am_catalogue *cat = &scratch->catalogue;
    uint64_t spread = 0, after = 0;
    int spread_code = -1;
    int32_t latest = INT32_MIN;
    for (size_t i = 0; feed->kind == AM_FEED_PAYMENTS && i < scratch->store.count; i++) {
        const am_record *r = &scratch->store.records[i];
        if (!am_code_is_item(cat, r->code))
            continue;
        if (!cat->items[r->code].periodic) {
            if (r->end != r->start && spread++ == 0)
                spread_code = r->code;
        } else if (ctx->run_date_set && r->end > ctx->run_date) {
            after++;
            latest = r->end > latest ? r->end : latest;
        }
    }
    if (st == AM_OK && spread)
        st = add(ctx, AM_SEVERITY_WARNING,
                 "%s:%zu: feed %s: %llu of the first %llu rows pay a one-off item (such as %s) "
                 "over a start and a later end; a one-off item is paid on a day: expected "
                 "date = the payment day's column", t->path, key_line(t, s, "start"),
                 feed->name, (unsigned long long)spread, (unsigned long long)stats.rows_read,
                 cat->items[spread_code].code);
    if (st == AM_OK && after && !scratch->window.set) {
        char run[11], last[11];
        am_day_format(ctx->run_date, run);
        am_day_format(latest, last);
        st = add(ctx, AM_SEVERITY_WARNING,
                 "%s:%zu: feed %s: %llu of the first %llu rows are paid past the run date %s "
                 "(the latest to %s), which stretches the default window past it and raises "
                 "MISSING findings for months not yet come; set window_start and window_end "
                 "in [centre]", t->path, t->section_line[s], feed->name,
                 (unsigned long long)after, (unsigned long long)stats.rows_read, run, last);
    }
    return st;
}

/* A feed's file as the file system knows it, whatever the path's form. */
typedef struct feed_file {
    dev_t dev;
    ino_t ino;
    size_t section; /* the feed's first section */
} feed_file;

/* Warns when the feed of section s reads a file an earlier feed reads:
 * each row would be read twice and, on a payments feed, paid twice, so
 * every row would be a DUPLICATE finding.  files[] holds the earlier
 * feeds' files (room for one per section). */
static am_status check_file_named_once(am_ctx *ctx, const centre_text *t, size_t s,
                                       const am_ctx *scratch, feed_file *files, size_t *nfiles)
{
    const am_feed *feed = scratch->nfeeds ? scratch->feeds[0] : NULL;
    struct stat sb;
    if (!feed || !feed->file || stat(feed->file, &sb) != 0 || !S_ISREG(sb.st_mode))
        return AM_OK;
    for (size_t i = 0; i < *nfiles; i++)
        if (files[i].dev == sb.st_dev && files[i].ino == sb.st_ino)
            return add(ctx, AM_SEVERITY_WARNING,
                       "%s:%zu: feed %s: %s is also the file of feed %s (line %zu): its rows "
                       "would be read twice, a payment paid twice; expected each export named "
                       "by one feed", t->path, key_line(t, s, "file"), feed->name, feed->file,
                       t->sections[files[i].section] + 5, key_line(t, files[i].section, "file"));
    files[(*nfiles)++] = (feed_file){.dev = sb.st_dev, .ino = sb.st_ino, .section = s};
    return AM_OK;
}

/* Marks the codes a loaded feed supplies. */
static void mark_supplied(const am_ctx *scratch, unsigned char *supplied, size_t ncodes)
{
    const am_feed *feed = scratch->nfeeds ? scratch->feeds[0] : NULL;
    if (!feed)
        return;
    if (feed->code_constant >= 0 && (size_t)feed->code_constant < ncodes)
        supplied[feed->code_constant] = 1;
    for (size_t i = 0; i < feed->ncode_map; i++)
        if (feed->code_map[i].code < ncodes)
            supplied[feed->code_map[i].code] = 1;
}

/* The first code of a group no feed supplies, as "A|B", or 0 if some
 * code of it is supplied. */
static int unsupplied(const am_catalogue *cat, const am_group *g, const unsigned char *supplied,
                      char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < g->n; i++) {
        const unsigned code = g->refs[i].code;
        if (supplied[code])
            return 0;
        const char *name = am_code_is_item(cat, code) ? cat->items[code].code
                                                      : cat->facts[code - cat->nitems].code;
        used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%s%s",
                                 i ? "|" : "", name);
    }
    return g->n > 0;
}

/* An entitlement whose condition the feeds can meet but whose item no
 * feed pays: everyone entitled would be reported MISSING, as when a feed
 * is left out of the centre file. */
static am_status check_rules(am_ctx *ctx, const char *path, const am_ctx *centre,
                             const unsigned char *supplied)
{
    const am_catalogue *cat = &centre->catalogue;
    am_status st = AM_OK;
    for (size_t r = 0; r < centre->rules.n && st == AM_OK; r++) {
        const am_rule *rule = &centre->rules.v[r];
        char codes[256], term[256];
        if (rule->kind != AM_RULE_ENTITLES ||
            !unsupplied(cat, &rule->second, supplied, codes, sizeof codes))
            continue;
        int can_be_met = 1;
        for (size_t g = 0; g < rule->nterms && can_be_met; g++)
            can_be_met = !unsupplied(cat, &rule->terms[g], supplied, term, sizeof term);
        if (can_be_met)
            st = add(ctx, AM_SEVERITY_WARNING,
                     "%s: rule %s (%s:%lu): no feed supplies %s, so everyone who meets the "
                     "rule's condition will be reported MISSING; expected a feed that pays it",
                     path, rule->id, rule->origin, rule->line, codes);
    }
    return st;
}

/* Checks the centre file's text, which t owns; relative paths are taken
 * from base_dir (NULL: the current directory). */
static am_status check_centre_text(am_ctx *ctx, centre_text t, const char *base_dir,
                                   uint64_t sample_rows)
{
    const char *path = t.path;
    am_status st = AM_OK;
    if (!sample_rows)
        sample_rows = 10000;
    if (!valid_utf8(t.text, t.len)) {
        const int gbk = decodes_as_gbk(t.text, t.len, NULL, 0);
        st = add(ctx, AM_SEVERITY_ERROR,
                 "%s: the centre file is not UTF-8%s; save it as UTF-8 (in Notepad: Save As, "
                 "Encoding UTF-8)", path, gbk ? " but looks like GBK (ANSI)" : "");
        centre_text_free(&t);
        return st;
    }
    am_free(ctx->base_dir);
    ctx->base_dir = base_dir ? am_strdup(base_dir) : NULL;
    int *keep = NULL;
    if (base_dir && !ctx->base_dir) {
        centre_text_free(&t);
        return AM_ERR_NOMEM;
    }
    if (!split_lines(&t) || (st = fix_full_width(ctx, &t)) != AM_OK ||
        !(keep = am_calloc(t.nsections + 1, sizeof *keep))) {
        centre_text_free(&t);
        am_free(keep);
        return st != AM_OK ? st : AM_ERR_NOMEM;
    }
    for (size_t s = 0; s < t.nsections; s++)
        keep[s] = strcmp(t.sections[s], "centre") == 0;
    const size_t before_centre = ctx->ndiags;
    am_ctx *centre = load_section(ctx, &t, keep, &st);
    if (centre && st == AM_OK && centre->rules.n == 0 && ctx->ndiags == before_centre)
        st = add(ctx, AM_SEVERITY_WARNING,
                 "%s: no rules loaded: only implicit duplicates will be checked; expected "
                 "rules = a rules file in [centre] (such as the installed default.rules)", path);
    size_t nfeeds = 0, feeds_loaded = 0;
    const size_t ncodes = centre ? centre->catalogue.nitems + centre->catalogue.nfacts : 0;
    unsigned char *supplied = am_calloc(ncodes + 1, 1);
    feed_file *files = am_calloc(t.nsections + 1, sizeof *files);
    size_t nfiles = 0;
    if (!supplied || !files)
        st = AM_ERR_NOMEM;
    for (size_t s = 0; s < t.nsections && st == AM_OK; s++) {
        if (strcmp(t.sections[s], "centre") != 0 && strncmp(t.sections[s], "feed ", 5) != 0) {
            st = add(ctx, AM_SEVERITY_ERROR,
                     "%s:%zu: unknown section '[%s]'; expected [centre] or [feed NAME]", path,
                     t.section_line[s], t.sections[s]);
            continue;
        }
        if (strncmp(t.sections[s], "feed ", 5) != 0)
            continue;
        /* a section repeated under the same name is one feed, checked once */
        size_t first = 0;
        while (strcmp(t.sections[first], t.sections[s]) != 0)
            first++;
        if (first != s)
            continue;
        nfeeds++;
        for (size_t same = s; same < t.nsections; same++)
            keep[same] = strcmp(t.sections[same], t.sections[s]) == 0;
        const size_t before = ctx->ndiags;
        am_ctx *scratch = centre ? load_section(ctx, &t, keep, &st) : NULL;
        for (size_t same = s; same < t.nsections; same++)
            if (strcmp(t.sections[same], t.sections[s]) == 0)
                keep[same] = 0;
        if (scratch && st == AM_OK) {
            feeds_loaded++;
            st = check_feed(ctx, &t, s, scratch, sample_rows, ctx->ndiags > before);
            mark_supplied(scratch, supplied, ncodes);
            if (st == AM_OK)
                st = check_file_named_once(ctx, &t, s, scratch, files, &nfiles);
        }
        am_ctx_free(scratch);
    }
    if (st == AM_OK && centre && nfeeds == 0)
        st = add(ctx, AM_SEVERITY_ERROR, "%s: no [feed NAME] section; expected one per export",
                 path);
    /* only when every feed loaded: a feed refused says nothing of its codes */
    if (st == AM_OK && centre && nfeeds && feeds_loaded == nfeeds)
        st = check_rules(ctx, path, centre, supplied);
    am_free(supplied);
    am_free(files);
    am_ctx_free(centre);
    am_free(keep);
    centre_text_free(&t);
    return st;
}

am_status am_check_centre(am_ctx *ctx, const char *path, uint64_t sample_rows)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!path)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_check_centre: path is NULL");
    am_diags_free(ctx);
    centre_text t = {.path = path};
    am_err err = {{0}};
    const am_status st =
        am_read_text_file(path, (size_t)1 << 24, "centre file", &t.text, &t.len, &err);
    if (st != AM_OK)
        return st == AM_ERR_NOMEM ? st : add(ctx, AM_SEVERITY_ERROR, "%s", err.msg);
    const char *slash = strrchr(path, '/');
    char *dir = slash ? am_strndup(path, (size_t)(slash - path) + (slash == path)) : NULL;
    if (slash && !dir) {
        centre_text_free(&t);
        return AM_ERR_NOMEM;
    }
    const am_status result = check_centre_text(ctx, t, dir, sample_rows);
    am_free(dir);
    return result;
}

am_status am_check_centre_mem(am_ctx *ctx, const char *text, size_t len, const char *name,
                              const char *base_dir, uint64_t sample_rows)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if ((!text && len) || !name)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_check_centre_mem: text or name is NULL");
    am_diags_free(ctx);
    centre_text t = {.path = name, .text = am_malloc(len + 1), .len = len};
    if (!t.text)
        return AM_ERR_NOMEM;
    if (len)
        memcpy(t.text, text, len);
    t.text[len] = '\0';
    return check_centre_text(ctx, t, base_dir, sample_rows);
}

size_t am_diagnostic_count(const am_ctx *ctx) { return ctx ? ctx->ndiags : 0; }

am_status am_diagnostic_get(const am_ctx *ctx, size_t i, am_diagnostic *out)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!out || i >= ctx->ndiags)
        return am_fail_index(ctx->errmsg_slot, "am_diagnostic_get", out, "problem", i, ctx->ndiags);
    out->severity = ctx->diags[i].severity;
    out->message = ctx->diags[i].message;
    return AM_OK;
}
