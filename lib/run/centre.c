/*
 * centre.c — reading a centre file: the [centre] section and one
 * [feed NAME] section per agency export.
 *
 * The INI syntax is libinih's.  Its Debian build reads lines of at most
 * 200 bytes and tunes that through process-wide globals, which a library
 * must not touch; so the text is handed to inih through our own line
 * reader, which counts lines for error messages and refuses an over-long
 * line instead of letting inih split it silently.  Long item maps are
 * written as indented continuation lines.
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aidmatch.h"
#include "common/alloc.h"
#include "common/blanks.h"
#include "common/name_map.h"
#include "run/context.h"
#include "run/partition.h"
#include "common/size.h"
#include "common/text_file.h"
#include "cycle/drift.h"
#include "link/link.h"
#include "read/feed.h"

/* inih's fixed buffer holds 200 bytes including CR, LF and NUL. */
#define INI_LINE_MAX 197
/* inih keeps 49 bytes of a section name (its buffer of 50 holds the NUL);
 * longer ones would be cut and merge silently.  "feed " leaves 44 bytes
 * for a feed's name. */
#define INI_SECTION_MAX 49
#define FEED_NAME_MAX (INI_SECTION_MAX - 5)

static const char ONLY_MAPS_CONTINUE[] = "only item_map and fact_map continue on indented lines";

typedef struct centre_reader {
    am_ctx *ctx;
    const char *name;
    const char *text, *end, *pos;
    unsigned long line;
    int line_is_continuation;
    int too_long;
    /* a section's line read_line refused, which stops the reading */
    enum {
        SECTION_READ,
        SECTION_TOO_LONG,      /* [centre] or an unknown one */
        FEED_NAME_TOO_LONG,
        SECTION_UNCLOSED,      /* a '[' line without its ']' */
        FEED_NAME_INVALID,     /* bad_feed_name */
    } section_refused;
    char bad_feed_name[INI_SECTION_MAX + 1];
    am_name_map seen;  /* "section\nkey" of every key so far, to refuse repeats */
    am_name_map feeds; /* feed name -> am_feed, declared before or in this file */
    char last_section[128], last_key[64];
    char *window_start, *window_end; /* applied once both are known */
    unsigned long review_line;       /* review_threshold's line, checked at the end */
    int rules_named;
    am_status status;
} centre_reader;

/* Loads the data directory's catalogue (am_set_data_dir) for a centre file
 * that names none.  Returns AM_OK, or the loader's status with its message
 * on ctx; AM_OK without loading when there is no data directory. */
static am_status load_default_catalogue(am_ctx *ctx)
{
    if (ctx->have_catalogue || !ctx->data_dir)
        return AM_OK;
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/catalogue", ctx->data_dir) >= sizeof path)
        return am_fail(&ctx->err, AM_ERR_INVALID, "data directory path too long");
    return am_load_catalogue(ctx, path);
}

static int valid_feed_name(const char *name, size_t len)
{
    if (!len)
        return 0;
    for (const char *p = name; p < name + len; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return 0;
    return 1;
}

static char *read_line(char *buf, int size, void *stream)
{
    centre_reader *r = stream;
    if (r->pos >= r->end || r->too_long || r->section_refused != SECTION_READ)
        return NULL;
    const char *nl = memchr(r->pos, '\n', (size_t)(r->end - r->pos));
    const char *stop = nl ? nl + 1 : r->end;
    const size_t len = (size_t)(stop - r->pos);
    r->line++;
    if (len > INI_LINE_MAX || (int)len >= size) {
        r->too_long = 1;
        return NULL;
    }
    const char *open = r->pos;
    while (open < stop && (*open == ' ' || *open == '\t'))
        open++;
    if (open < stop && *open == '[') {
        const char *close = memchr(open, ']', (size_t)(stop - open));
        /* indented after a key, libinih reads it as the key's continuation */
        const int indented = open > r->pos;
        /* libinih would go on past a name left open, and the keys under
         * it would be blamed as keys of the section before */
        if (!close && !indented) {
            r->section_refused = SECTION_UNCLOSED;
            return NULL;
        }
        if (close && close - open - 1 > INI_SECTION_MAX) {
            r->section_refused =
                strncmp(open + 1, "feed ", 5) == 0 ? FEED_NAME_TOO_LONG : SECTION_TOO_LONG;
            return NULL;
        }
        /* told at its line, once, not at each of its keys' */
        const char *name = open + 6;
        if (close && !indented && close - open >= 6 && strncmp(open + 1, "feed ", 5) == 0 &&
            !valid_feed_name(name, (size_t)(close - name))) {
            snprintf(r->bad_feed_name, sizeof r->bad_feed_name, "%.*s", (int)(close - name),
                     name);
            r->section_refused = FEED_NAME_INVALID;
            return NULL;
        }
        /* an indented key after it starts afresh, not continuing the last */
        if (!indented)
            r->last_key[0] = '\0';
    }
    memcpy(buf, r->pos, len);
    buf[len] = '\0';
    r->line_is_continuation = r->pos[0] == ' ' || r->pos[0] == '\t';
    r->pos = stop;
    return buf;
}

static am_status fail_line(centre_reader *r, am_status status, const char *what)
{
    r->status = am_fail(&r->ctx->err, status, "%s:%lu: %s", r->name, r->line, what);
    return r->status;
}

static char *resolve(const am_ctx *ctx, const char *value)
{
    if (value[0] == '/' || !ctx->base_dir)
        return am_strdup(value);
    return am_strdup_printf("%s/%s", ctx->base_dir, value);
}

/* Wraps a loader failure message with the centre file's line. */
static am_status loader_failed(centre_reader *r, am_status status)
{
    char inner[AM_ERRMSG_MAX];
    snprintf(inner, sizeof inner, "%s", r->ctx->err.msg);
    return fail_line(r, status, inner);
}

/* The centre's name goes into summary.json and report.html as written:
 * it must be well-formed UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF) without control characters (C0, DEL, C1). */
static int printable_utf8(const unsigned char *s)
{
    while (*s) {
        const unsigned c = *s;
        unsigned cp, n;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return 0;
            s++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            cp = c & 0x1F, n = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            cp = c & 0x0F, n = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            cp = c & 0x07, n = 3;
        else
            return 0;
        for (unsigned i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F))
            return 0;
        s += n + 1;
    }
    return 1;
}

static am_status centre_key(centre_reader *r, const char *key, const char *value)
{
    am_ctx *ctx = r->ctx;
    if (strcmp(key, "name") == 0) {
        if (!printable_utf8((const unsigned char *)value))
            return fail_line(r, AM_ERR_FORMAT,
                             "name: expected UTF-8 text without control characters");
        char *copy = am_strdup(value);
        if (!copy)
            return fail_line(r, AM_ERR_NOMEM, "out of memory");
        am_free(ctx->centre_name);
        ctx->centre_name = copy;
        return AM_OK;
    }
    if (strcmp(key, "catalogue") == 0 || strcmp(key, "key") == 0) {
        const int is_catalogue = key[0] == 'c';
        if (is_catalogue ? ctx->have_catalogue : ctx->key.bytes != NULL)
            return AM_OK; /* the embedder's own choice wins */
        char *path = resolve(ctx, value);
        if (!path)
            return fail_line(r, AM_ERR_NOMEM, "out of memory");
        const am_status st = is_catalogue ? am_load_catalogue(ctx, path) : am_load_key_file(ctx, path);
        am_free(path);
        return st == AM_OK ? AM_OK : loader_failed(r, st);
    }
    if (strcmp(key, "rules") == 0) {
        r->rules_named = 1;
        char *path = resolve(ctx, value);
        if (!path)
            return fail_line(r, AM_ERR_NOMEM, "out of memory");
        const am_status st = ctx->have_catalogue ? am_load_rules(ctx, path) : AM_ERR_INVALID;
        am_free(path);
        if (st == AM_ERR_INVALID)
            return fail_line(r, AM_ERR_FORMAT, "rules: set catalogue before rules");
        return st == AM_OK ? AM_OK : loader_failed(r, st);
    }
    if (strcmp(key, "window_start") == 0 || strcmp(key, "window_end") == 0) {
        char *copy = am_strdup(value);
        if (!copy)
            return fail_line(r, AM_ERR_NOMEM, "out of memory");
        char **slot = key[7] == 's' ? &r->window_start : &r->window_end;
        am_free(*slot);
        *slot = copy;
        return AM_OK;
    }
    if (strcmp(key, "death_lag_days") == 0) {
        char *end;
        errno = 0;
        const long days = strtol(value, &end, 10);
        /* Digits only, as every count in the file: no sign, no spaces. */
        if (errno || *end || end == value || *value < '0' || *value > '9' || days > 3650)
            return fail_line(r, AM_ERR_FORMAT, "death_lag_days: expected 0 to 3650 days");
        ctx->death_lag_days = (int32_t)days;
        return AM_OK;
    }
    if (strcmp(key, "outcomes") == 0) {
        char *path = resolve(ctx, value);
        if (!path)
            return fail_line(r, AM_ERR_NOMEM, "out of memory");
        const am_status st = am_load_outcomes(ctx, path);
        am_free(path);
        return st == AM_OK ? AM_OK : loader_failed(r, st);
    }
    if (strcmp(key, "drift_share") == 0) {
        uint32_t permille;
        if (!am_drift_share_parse(value, &permille))
            return fail_line(r, AM_ERR_FORMAT,
                             "drift_share: expected a share such as 0.5 (50 %), at most three "
                             "decimals, 0 to 1000");
        ctx->drift_permille = permille;
        return AM_OK;
    }
    if (strcmp(key, "link_threshold") == 0) {
        unsigned t;
        if (!am_link_probability_parse(value, &t) || t < AM_LINK_THRESHOLD_MIN)
            return fail_line(r, AM_ERR_FORMAT,
                             "link_threshold: expected a probability above 0.5 and at most 1, "
                             "at most three decimals, such as 0.99");
        ctx->linked.link_threshold = t;
        return AM_OK;
    }
    if (strcmp(key, "review_threshold") == 0) {
        unsigned t;
        if (!am_link_probability_parse(value, &t))
            return fail_line(r, AM_ERR_FORMAT,
                             "review_threshold: expected a probability from 0 to 1, at most "
                             "three decimals, such as 0.3");
        ctx->linked.review_threshold = t;
        r->review_line = r->line;
        return AM_OK;
    }
    if (strcmp(key, "csv_bom") == 0) {
        if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
            return fail_line(r, AM_ERR_FORMAT, "csv_bom: expected yes or no");
        ctx->csv_bom = value[0] == 'y';
        return AM_OK;
    }
    if (strcmp(key, "memory_limit") == 0) {
        uint64_t bytes;
        if (!am_size_parse(value, &bytes) || bytes < AM_MEMORY_LIMIT_MIN)
            return fail_line(r, AM_ERR_FORMAT,
                             "memory_limit: expected a size of at least 128M, such as 2G");
        if (ctx->memory_limit)
            return AM_OK; /* the embedder's own choice wins */
        const am_status st = am_set_memory_limit(ctx, bytes);
        return st == AM_OK ? AM_OK : fail_line(r, st, "memory_limit: set before any feed is read");
    }
    if (strcmp(key, "temp_dir") == 0) {
        if (ctx->temp_dir)
            return AM_OK;
        char *path = resolve(ctx, value);
        if (!path)
            return fail_line(r, AM_ERR_NOMEM, "out of memory");
        const am_status st = am_set_temp_dir(ctx, path);
        am_free(path);
        return st == AM_OK ? AM_OK : fail_line(r, st, "temp_dir: set before any feed is read");
    }
    char what[384];
    snprintf(what, sizeof what, "unknown key '%.60s' in [centre] (expected name, catalogue, key, "
                                "rules, window_start, window_end, death_lag_days, outcomes, "
                                "drift_share, link_threshold, review_threshold, csv_bom, "
                                "memory_limit or temp_dir)",
             key);
    return fail_line(r, AM_ERR_FORMAT, what);
}

/* The length of a continuation line's value before its inline comment and
 * the blanks before that: libinih 55 strips inline comments from key
 * lines but passes a continuation line whole. */
static size_t without_inline_comment(const char *value)
{
    size_t n = am_before_inline_comment(value, strlen(value));
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        n--;
    return n;
}

static am_status feed_key(centre_reader *r, const char *feed_name, const char *key,
                          const char *value, int continuation)
{
    am_ctx *ctx = r->ctx;
    am_feed *feed = am_name_map_get(&r->feeds, feed_name);
    if (!feed) {
        if (!valid_feed_name(feed_name, strlen(feed_name)))
            return fail_line(r, AM_ERR_FORMAT,
                             "a feed name uses only letters, digits, '_', '-' and '.'");
        am_status st = load_default_catalogue(ctx);
        if (st != AM_OK)
            return loader_failed(r, st);
        if (!ctx->have_catalogue)
            return fail_line(r, AM_ERR_FORMAT,
                             "no catalogue loaded: set catalogue in [centre] before any feed");
        if ((st = am_feed_append(&ctx->feed_run, feed_name, &feed)) != AM_OK)
            return loader_failed(r, st);
        if (am_name_map_add(&r->feeds, feed_name, feed) < 0)
            return fail_line(r, AM_ERR_NOMEM, "out of memory");
    }
    if (continuation) {
        if (!am_feed_key_is_code_map(key, strlen(key)) || !feed->code_map_text)
            return fail_line(r, AM_ERR_FORMAT, ONLY_MAPS_CONTINUE);
        char *joined = am_strdup_printf("%s|%.*s", feed->code_map_text,
                                        (int)without_inline_comment(value), value);
        if (!joined)
            return fail_line(r, AM_ERR_NOMEM, "out of memory");
        const am_status st = am_feed_set(feed, key, joined);
        am_free(joined);
        return st == AM_OK ? AM_OK : loader_failed(r, st);
    }
    const am_status st = am_feed_set(feed, key, value);
    return st == AM_OK ? AM_OK : loader_failed(r, st);
}

/* Remembers section+key; returns 0 if it was given before, -1 when out
 * of memory. */
static int first_time(centre_reader *r, const char *section, const char *key)
{
    const size_t n = strlen(section) + strlen(key) + 2;
    char *entry = am_malloc(n);
    if (!entry)
        return -1;
    snprintf(entry, n, "%s\n%s", section, key);
    const int added = am_name_map_add(&r->seen, entry, r);
    am_free(entry);
    return added;
}

/* s without the blanks around it, U+3000 included (libinih strips only
 * ASCII ones, and a Chinese input method types a full-width space), in
 * out of INI_LINE_MAX + 1 bytes. */
static const char *trimmed(const char *s, char *out)
{
    size_t len = strlen(s);
    am_trim_cell(&s, &len);
    snprintf(out, INI_LINE_MAX + 1, "%.*s", (int)len, s);
    return out;
}

static int on_pair(void *user, const char *section, const char *key, const char *value)
{
    centre_reader *r = user;
    if (r->status != AM_OK)
        return 0;
    char key_text[INI_LINE_MAX + 1], value_text[INI_LINE_MAX + 1];
    key = trimmed(key, key_text);
    value = trimmed(value, value_text);
    const int continuation = r->line_is_continuation && strcmp(section, r->last_section) == 0 &&
                             strcmp(key, r->last_key) == 0;
    if (!continuation) {
        const int fresh = first_time(r, section, key);
        if (fresh < 0) {
            fail_line(r, AM_ERR_NOMEM, "out of memory");
            return 0;
        }
        if (fresh == 0) {
            /* "[section]": a second [feed f] section adds to the first */
            char what[160];
            snprintf(what, sizeof what, "key '%.60s' given twice in [%s]", key, section);
            fail_line(r, AM_ERR_FORMAT, what);
            return 0;
        }
    }
    snprintf(r->last_section, sizeof r->last_section, "%s", section);
    snprintf(r->last_key, sizeof r->last_key, "%s", key);
    if (strcmp(section, "centre") == 0 && continuation)
        fail_line(r, AM_ERR_FORMAT, ONLY_MAPS_CONTINUE);
    else if (strcmp(section, "centre") == 0)
        centre_key(r, key, value);
    else if (strncmp(section, "feed ", 5) == 0)
        feed_key(r, section + 5, key, value, continuation);
    else
        fail_line(r, AM_ERR_FORMAT, "unknown section (expected [centre] or [feed NAME])");
    return r->status == AM_OK;
}

am_status am_load_centre_mem(am_ctx *ctx, const char *text, size_t len, const char *name,
                             const char *base_dir)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if ((!text && len))
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_load_centre_mem: text is NULL");
    if (!name)
        name = "centre";
    char *dir = base_dir ? am_strdup(base_dir) : NULL;
    if (base_dir && !dir)
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory");
    am_free(ctx->base_dir);
    ctx->base_dir = dir;
    centre_reader r = {.ctx = ctx, .name = name, .text = text, .pos = text, .end = text + len};
    for (size_t i = 0; i < ctx->nfeeds && r.status == AM_OK; i++)
        if (am_name_map_add(&r.feeds, ctx->feeds[i]->name, ctx->feeds[i]) < 0)
            r.status = am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory");
    const int rc = r.status == AM_OK ? ini_parse_stream(read_line, &r, on_pair, &r) : 0;
    if (r.status == AM_OK && (r.window_start || r.window_end)) {
        if (!r.window_start || !r.window_end)
            r.status = am_fail(&ctx->err, AM_ERR_FORMAT,
                               "%s: window_start and window_end go together", name);
        else if (am_set_window(ctx, r.window_start, r.window_end) != AM_OK)
            r.status = am_fail(&ctx->err, AM_ERR_FORMAT,
                               "%s: window_start, window_end: expected YYYY-MM-DD dates, the end "
                               "not before the start", name);
    }
    if (r.status == AM_OK && r.review_line &&
        ctx->linked.review_threshold > ctx->linked.link_threshold)
        r.status = am_fail(&ctx->err, AM_ERR_FORMAT,
                           "%s:%lu: review_threshold: expected at most link_threshold (%u.%03u)",
                           name, r.review_line, ctx->linked.link_threshold / 1000,
                           ctx->linked.link_threshold % 1000);
    am_free(r.window_start);
    am_free(r.window_end);
    am_name_map_free(&r.seen);
    am_name_map_free(&r.feeds);
    if (r.status != AM_OK)
        return r.status;
    switch (r.section_refused) {
    case SECTION_READ:
        break;
    case FEED_NAME_INVALID:
        return am_fail(&ctx->err, AM_ERR_FORMAT,
                       "%s:%lu: feed name '%s': a feed name uses only letters, digits, '_', '-' "
                       "and '.'", name, r.line, r.bad_feed_name);
    case SECTION_UNCLOSED:
        return am_fail(&ctx->err, AM_ERR_FORMAT, "%s:%lu: expected ']' to close the section's name",
                       name, r.line);
    case FEED_NAME_TOO_LONG:
        return am_fail(&ctx->err, AM_ERR_FORMAT, "%s:%lu: feed name longer than %d bytes",
                       name, r.line, FEED_NAME_MAX);
    case SECTION_TOO_LONG:
        return am_fail(&ctx->err, AM_ERR_FORMAT, "%s:%lu: section name longer than %d bytes",
                       name, r.line, INI_SECTION_MAX);
    }
    if (r.too_long)
        return am_fail(&ctx->err, AM_ERR_FORMAT,
                       "%s:%lu: line longer than %d bytes; continue long item maps on indented lines",
                       name, r.line, INI_LINE_MAX);
    if (rc == -2)
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory");
    if (rc != 0)
        return am_fail(&ctx->err, AM_ERR_FORMAT,
                       "%s:%d: expected [section], key = value, or a comment", name, rc);
    am_status st = load_default_catalogue(ctx);
    if (st != AM_OK)
        return st;
    if (!ctx->have_catalogue)
        return am_fail(&ctx->err, AM_ERR_FORMAT, "%s: [centre] names no catalogue", name);
    if (!r.rules_named && ctx->data_dir) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/rules/default.rules", ctx->data_dir) >=
            sizeof path)
            return am_fail(&ctx->err, AM_ERR_INVALID, "data directory path too long");
        if ((st = am_load_rules(ctx, path)) != AM_OK)
            return st;
    }
    if (!ctx->key.bytes)
        return am_fail(&ctx->err, AM_ERR_FORMAT, "%s: [centre] names no key", name);
    return AM_OK;
}

am_status am_load_centre(am_ctx *ctx, const char *path)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!path)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_load_centre: path is NULL");
    char *text;
    size_t n;
    const am_status read = am_read_text_file(path, (size_t)1 << 24, "centre file", &text, &n,
                                             &ctx->err);
    if (read != AM_OK)
        return read;
    char *dir = am_strdup(path);
    if (!dir) {
        am_free(text);
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        strcpy(dir, ".");
    const am_status result = am_load_centre_mem(ctx, text, n, path, dir);
    am_free(dir);
    am_free(text);
    return result;
}
