/*
 * feed.c — declaring feeds and setting their spec keys (see feed.h).
 *
 * The keys are the vocabulary of a [feed NAME] section in the centre file;
 * docs/reference.md documents each one.  A value that cannot be right is
 * refused here, at configuration time, with what was expected — not later
 * as a thousand rejected rows.
 */
#include "read/feed.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/blanks.h"
#include "read/feed_run.h"
#include "common/money.h"
#include "common/size.h"

static const char *const column_keys[AM_COL__COUNT] = {
    [AM_COL_PERSON] = "person_id", [AM_COL_NAME] = "name",
    [AM_COL_HOUSEHOLD] = "household_id", [AM_COL_CODE] = NULL,
    [AM_COL_AMOUNT] = "amount", [AM_COL_START] = "start",
    [AM_COL_END] = "end", [AM_COL_DATE] = "date",
    [AM_COL_MONTH] = "month", [AM_COL_VALUE] = "value",
    [AM_COL_BIRTH_DATE] = "birth_date", [AM_COL_SEX] = "sex",
    [AM_COL_AREA] = "area",
};

#define DEFAULT_MAX_AMOUNT_FEN (100000 * 100LL)
/* Above the largest feed of the benchmarks (50M persons), far below the
 * 2^32 lines a feed may have: a runaway export fails in minutes, not
 * after filling memory. */
#define DEFAULT_MAX_ROWS 100000000ull
/* Big enough that a county's payment feeds are read whole, two threads
 * taking whole feeds; its hukou register, by far the biggest, in parts. */
#define DEFAULT_SPLIT_ABOVE ((uint64_t)64 << 20)
/* Enough rows of one mistake to see its pattern and fix the export. */
#define DEFAULT_MAX_REJECTS 1000

am_status am_feed_append(const am_feed_run *run, const char *name, am_feed **out)
{
    *out = NULL;
    if (*run->nfeeds >= UINT16_MAX)
        return am_fail(run->err, AM_ERR_LIMIT, "too many feeds");
    if (!AM_RESERVE(*run->feeds, *run->capfeeds, *run->nfeeds + 1))
        return am_fail(run->err, AM_ERR_NOMEM, "out of memory");
    am_feed *feed = am_calloc(1, sizeof *feed);
    if (!feed || !(feed->name = am_strdup(name))) {
        am_free(feed);
        return am_fail(run->err, AM_ERR_NOMEM, "out of memory");
    }
    feed->run = run;
    feed->index = (uint16_t)*run->nfeeds;
    feed->agency = -1;
    feed->code_constant = -1;
    feed->max_amount_fen = DEFAULT_MAX_AMOUNT_FEN;
    feed->max_rejects = DEFAULT_MAX_REJECTS;
    feed->split_above = DEFAULT_SPLIT_ABOVE;
    feed->reader.max_rows = DEFAULT_MAX_ROWS + 1; /* the reader counts the header */
    feed->stale_days = -1;
    strcpy(feed->thousands, ",");
    (*run->feeds)[(*run->nfeeds)++] = feed;
    *out = feed;
    return AM_OK;
}

am_feed *am_feed_named(const am_feed_run *run, const char *name)
{
    for (size_t i = 0; i < *run->nfeeds; i++)
        if (strcmp((*run->feeds)[i]->name, name) == 0)
            return (*run->feeds)[i];
    return NULL;
}

static am_status replace_string(am_feed *feed, char **slot, const char *value)
{
    char *copy = am_strdup(value);
    if (!copy)
        return am_fail(feed->run->err, AM_ERR_NOMEM, "out of memory");
    am_free(*slot);
    *slot = copy;
    return AM_OK;
}

static am_status bad_value(am_feed *feed, const char *key, const char *expected)
{
    return am_fail(feed->run->err, AM_ERR_FORMAT, "feed %s: %s: expected %s", feed->name, key,
                   expected);
}

static int parse_count(const char *s, uint64_t *out)
{
    if (!*s)
        return 0;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > UINT64_MAX / 10 - 1)
            return 0;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 1;
}

/* Resolves an item or fact code for this feed's kind. */
static int lookup_code(am_feed *feed, const char *text, size_t len)
{
    const am_catalogue *cat = feed->run->catalogue;
    if (feed->kind == AM_FEED_REGISTRY) {
        const int fact = am_catalogue_fact(cat, text, len);
        return fact < 0 ? -1 : (int)am_code_of_fact(cat, (unsigned)fact);
    }
    return am_catalogue_item(cat, text, len);
}

/* item_map / fact_map: "text:CODE | text:CODE".  The last ':' of an entry
 * splits it, so the text itself may contain colons.  '|' separates
 * entries because ';' and '#' start comments in the centre file. */
static am_status set_code_map(am_feed *feed, const char *key, const char *value)
{
    for (size_t i = 0; i < feed->ncode_map; i++)
        am_free(feed->code_map[i].text);
    am_free(feed->code_map);
    feed->code_map = NULL;
    feed->ncode_map = feed->capcode_map = 0;
    const char *p = value;
    while (*p) {
        const char *end = strchr(p, '|');
        if (!end)
            end = p + strlen(p);
        const char *colon = NULL;
        for (const char *q = p; q < end; q++)
            if (*q == ':')
                colon = q;
        const char *text = p, *code = colon ? colon + 1 : NULL;
        size_t text_len = colon ? (size_t)(colon - p) : 0, code_len = colon ? (size_t)(end - code) : 0;
        am_trim_cell(&text, &text_len); /* as the cells it is matched against */
        if (code)
            am_trim_blanks(&code, &code_len);
        const char *next = *end ? end + 1 : end;
        const char *blank = p;
        size_t blank_len = (size_t)(end - p);
        am_trim_blanks(&blank, &blank_len);
        if (blank_len == 0) { /* "a:X|" or a continuation line starting with '|' */
            p = next;
            continue;
        }
        const int c = colon ? lookup_code(feed, code, code_len) : -1;
        if (!colon || !text_len) {
            return bad_value(feed, key, "entries 'value in the feed:CODE' separated by '|'");
        }
        if (c < 0) {
            char what[160];
            snprintf(what, sizeof what, "%s code from the catalogue, got '%.*s'",
                     feed->kind == AM_FEED_REGISTRY ? "a fact" : "an item", (int)code_len, code);
            return bad_value(feed, key, what);
        }
        char *copy = am_strndup(text, text_len);
        if (!copy || !AM_PUSH(feed->code_map, feed->ncode_map, feed->capcode_map,
                              ((am_code_map_entry){.text = copy, .code = (uint16_t)c}))) {
            am_free(copy);
            return am_fail(feed->run->err, AM_ERR_NOMEM, "out of memory");
        }
        p = next;
    }
    return AM_OK;
}

static am_status set_path(am_feed *feed, const char *value)
{
    if (!*value) /* else the centre file's own directory */
        return bad_value(feed, "file", "the export's path (relative to the centre file)");
    const char *base = *feed->run->base_dir;
    if (value[0] == '/' || !base)
        return replace_string(feed, &feed->file, value);
    char *path = am_strdup_printf("%s/%s", base, value);
    if (!path)
        return am_fail(feed->run->err, AM_ERR_NOMEM, "out of memory");
    am_free(feed->file);
    feed->file = path;
    return AM_OK;
}

am_status am_feed_set(am_feed *feed, const char *key, const char *value)
{
    if (!feed)
        return AM_ERR_INVALID;
    if (!key || !value)
        return am_fail(feed->run->err, AM_ERR_INVALID, "am_feed_set: key or value is NULL");
    if (feed->ingested)
        return am_fail(feed->run->err, AM_ERR_INVALID, "feed %s: already ingested", feed->name);
    for (int c = 0; c < AM_COL__COUNT; c++)
        if (column_keys[c] && strcmp(key, column_keys[c]) == 0)
            return replace_string(feed, &feed->column[c], value);
    if (strcmp(key, "file") == 0)
        return set_path(feed, value);
    if (strcmp(key, "agency") == 0) {
        feed->agency = am_catalogue_agency(feed->run->catalogue, value, strlen(value));
        return feed->agency < 0 ? bad_value(feed, key, "an agency code from agencies.csv") : AM_OK;
    }
    if (strcmp(key, "kind") == 0) {
        if (strcmp(value, "payments") == 0)
            feed->kind = AM_FEED_PAYMENTS;
        else if (strcmp(value, "registry") == 0)
            feed->kind = AM_FEED_REGISTRY;
        else
            return bad_value(feed, key, "payments or registry");
        return AM_OK;
    }
    /* Codes are resolved in am_feed_validate(), once kind is known
     * whatever the order of the keys. */
    if (strcmp(key, "item") == 0 || strcmp(key, "fact") == 0) {
        feed->code_key_is_fact = key[0] == 'f';
        return replace_string(feed, &feed->code_text, value);
    }
    if (strcmp(key, "item_column") == 0 || strcmp(key, "fact_column") == 0) {
        feed->code_key_is_fact = key[0] == 'f';
        return replace_string(feed, &feed->column[AM_COL_CODE], value);
    }
    if (am_feed_key_is_code_map(key, strlen(key)))
        return replace_string(feed, &feed->code_map_text, value);
    if (strcmp(key, "ids") == 0) {
        if (strcmp(value, "raw") == 0)
            feed->ids_tokenised = 0;
        else if (strcmp(value, "token") == 0)
            feed->ids_tokenised = 1;
        else
            return bad_value(feed, key, "raw or token");
        return AM_OK;
    }
    if (strcmp(key, "key_fingerprint") == 0)
        return replace_string(feed, &feed->key_fingerprint, value);
    if (strcmp(key, "encoding") == 0)
        return am_encoding_parse(value, &feed->reader.encoding)
                   ? AM_OK
                   : bad_value(feed, key, "auto, utf-8 (utf8), gbk, gb2312, gb18030, utf-16 "
                                              "(utf-16le) or utf-16be");
    if (strcmp(key, "delimiter") == 0) {
        if (strcmp(value, "tab") == 0 || strcmp(value, "\\t") == 0)
            feed->reader.delimiter = '\t';
        else if (strlen(value) == 1 && value[0] != '"' && value[0] != '\n' && value[0] != '\r')
            feed->reader.delimiter = (unsigned char)value[0];
        else
            return bad_value(feed, key, "one character, or tab");
        return AM_OK;
    }
    if (strcmp(key, "date_format") == 0) {
        char why[160];
        if (!am_date_formats_parse(value, &feed->date_formats, why, sizeof why))
            return am_fail(feed->run->err, AM_ERR_FORMAT, "feed %s: date_format: %s", feed->name,
                           why);
        return AM_OK;
    }
    if (strcmp(key, "amount_unit") == 0) {
        if (strlen(value) >= sizeof feed->amount_unit || strpbrk(value, "0123456789.,+-"))
            return bad_value(feed, key, "the unit written after amounts, such as 元");
        strcpy(feed->amount_unit, value);
        return AM_OK;
    }
    if (strcmp(key, "thousands") == 0) {
        /* The marks that cannot be mistaken for the decimal point. */
        static const char *const marks[][2] = {
            {",", ","}, {"，", "，"}, {"space", " "}, {"'", "'"}, {"none", ""}};
        for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
            if (strcmp(value, marks[i][0]) == 0) {
                strcpy(feed->thousands, marks[i][1]);
                return AM_OK;
            }
        return bad_value(feed, key, ", (the default), ，, space, ' or none");
    }
    if (strcmp(key, "max_amount") == 0) {
        int64_t fen;
        if (am_money_parse(value, strlen(value), &fen) != AM_MONEY_OK || fen <= 0)
            return bad_value(feed, key, "a positive amount in yuan");
        feed->max_amount_fen = fen;
        return AM_OK;
    }
    uint64_t count;
    if (strcmp(key, "max_field") == 0 || strcmp(key, "max_line") == 0) {
        if (!parse_count(value, &count) || count < 16 || count > (1u << 30))
            return bad_value(feed, key, "a byte count from 16 to 1073741824");
        *(strcmp(key, "max_field") == 0 ? &feed->reader.max_field : &feed->reader.max_line) =
            (size_t)count;
        return AM_OK;
    }
    if (strcmp(key, "stale_days") == 0) {
        if (!parse_count(value, &count) || count > AM_STALE_DAYS_MAX)
            return bad_value(feed, key, "a number of days from 0 (never stale) to 3650");
        feed->stale_days = (int32_t)count;
        return AM_OK;
    }
    if (strcmp(key, "max_rejects") == 0) {
        if (!parse_count(value, &count) || count > UINT32_MAX)
            return bad_value(feed, key, "a row count from 0 to 4294967295");
        feed->max_rejects = count;
        return AM_OK;
    }
    if (strcmp(key, "split_above") == 0) {
        uint64_t bytes;
        if (!am_size_parse(value, &bytes))
            return bad_value(feed, key, "a size such as 64M, or 0 never to split");
        feed->split_above = bytes;
        return AM_OK;
    }
    if (strcmp(key, "max_gzip_ratio") == 0) {
        if (!parse_count(value, &count) || count < 2 || count > 100000)
            return bad_value(feed, key, "a ratio from 2 to 100000");
        feed->reader.max_inflate_ratio = (unsigned)count;
        return AM_OK;
    }
    if (strcmp(key, "max_rows") == 0) {
        if (!parse_count(value, &count) || count == 0 || count >= UINT32_MAX)
            return bad_value(feed, key, "a row count from 1 to 4294967294");
        feed->reader.max_rows = count + 1; /* the reader counts the header */
        return AM_OK;
    }
    return am_fail(feed->run->err, AM_ERR_FORMAT, "feed %s: unknown key '%s'", feed->name, key);
}

int32_t am_feed_stale_days(const am_feed *feed)
{
    if (feed->stale_days >= 0)
        return feed->stale_days;
    return feed->kind == AM_FEED_REGISTRY ? AM_STALE_DAYS_REGISTRY : AM_STALE_DAYS_PAYMENTS;
}

int am_feed_count_reject(am_feed *feed, am_reject reason)
{
    const int listed =
        feed->by_reason[reason] - feed->held_by_reason[reason] < feed->max_rejects;
    feed->rows_rejected++;
    feed->by_reason[reason]++;
    return listed;
}

/* Whether any fact this feed can deliver carries a value. */
static int needs_value(const am_feed *feed)
{
    const am_catalogue *cat = feed->run->catalogue;
    if (feed->code_constant >= 0)
        return !am_code_is_item(cat, (unsigned)feed->code_constant) &&
               cat->facts[feed->code_constant - (int)cat->nitems].value_max > 0;
    for (size_t i = 0; i < feed->ncode_map; i++)
        if (!am_code_is_item(cat, feed->code_map[i].code) &&
            cat->facts[feed->code_map[i].code - cat->nitems].value_max > 0)
            return 1;
    return 0;
}

int am_feed_key_is_code_map(const char *key, size_t len)
{
    return len == 8 && (memcmp(key, "item_map", 8) == 0 || memcmp(key, "fact_map", 8) == 0);
}

am_status am_feed_validate(am_feed *feed)
{
    am_err *err = feed->run->err;
    const char *name = feed->name;
    const char *code_key = feed->kind == AM_FEED_REGISTRY ? "fact" : "item";
    if ((feed->code_text || feed->column[AM_COL_CODE]) &&
        feed->code_key_is_fact != (feed->kind == AM_FEED_REGISTRY))
        return am_fail(err, AM_ERR_FORMAT,
                       "feed %s: a %s feed names its codes with %s or %s_column", name,
                       feed->kind == AM_FEED_REGISTRY ? "registry" : "payments", code_key,
                       code_key);
    feed->code_constant = -1;
    if (feed->code_text) {
        feed->code_constant = lookup_code(feed, feed->code_text, strlen(feed->code_text));
        if (feed->code_constant < 0)
            return am_fail(err, AM_ERR_FORMAT, "feed %s: %s: '%s' is not %s code in the catalogue",
                           name, code_key, feed->code_text,
                           feed->kind == AM_FEED_REGISTRY ? "a fact" : "an item");
    }
    if (feed->code_map_text) {
        am_status st = set_code_map(feed, feed->code_key_is_fact ? "fact_map" : "item_map",
                                    feed->code_map_text);
        if (st != AM_OK)
            return st;
    }
    if (feed->agency < 0)
        return am_fail(err, AM_ERR_FORMAT, "feed %s: agency is not set", name);
    if (!feed->column[AM_COL_PERSON])
        return am_fail(err, AM_ERR_FORMAT, "feed %s: person_id (the ID column) is not set", name);
    const int has_column = feed->column[AM_COL_CODE] != NULL;
    if ((feed->code_constant >= 0) == has_column)
        return am_fail(err, AM_ERR_FORMAT,
                       "feed %s: set exactly one of %s (a constant) or %s_column with %s_map", name,
                       code_key, code_key, code_key);
    if (has_column && feed->ncode_map == 0)
        return am_fail(err, AM_ERR_FORMAT, "feed %s: a code column needs its map", name);
    if (feed->kind == AM_FEED_REGISTRY && !feed->column[AM_COL_VALUE] && needs_value(feed))
        return am_fail(err, AM_ERR_FORMAT,
                       "feed %s: its facts carry a value (facts.csv value_min/value_max): set "
                       "value to the column that holds it", name);
    const int ranged = feed->column[AM_COL_START] != NULL;
    const int shapes = ranged + (feed->column[AM_COL_DATE] != NULL) +
                       (feed->column[AM_COL_MONTH] != NULL);
    if (shapes != 1)
        return am_fail(err, AM_ERR_FORMAT,
                       "feed %s: set exactly one of start (with end), date, or month", name);
    if (feed->column[AM_COL_END] && !ranged)
        return am_fail(err, AM_ERR_FORMAT, "feed %s: end needs start", name);
    if (feed->kind == AM_FEED_PAYMENTS) {
        if (!feed->column[AM_COL_AMOUNT])
            return am_fail(err, AM_ERR_FORMAT, "feed %s: a payments feed needs amount", name);
        if (ranged && !feed->column[AM_COL_END])
            return am_fail(err, AM_ERR_FORMAT, "feed %s: a payments feed with start needs end",
                           name);
    }
    if (feed->ids_tokenised) {
        const char *ours = feed->run->key->fingerprint;
        if (!feed->key_fingerprint)
            return am_fail(err, AM_ERR_KEY,
                           "feed %s: ids = token needs key_fingerprint, the fingerprint of the "
                           "key it was tokenised with", name);
        if (strcmp(feed->key_fingerprint, ours) != 0)
            return am_fail(err, AM_ERR_KEY,
                           "feed %s: key_fingerprint: tokenised under key %s, but the centre "
                           "key is %s; tokens "
                           "from different keys never match", name, feed->key_fingerprint, ours);
    }
    if (!feed->run->key->bytes)
        return am_fail(err, AM_ERR_KEY, "feed %s: no key loaded", name);
    return AM_OK;
}

void am_feed_release(am_feed *feed)
{
    am_free(feed->name);
    am_free(feed->file);
    am_free(feed->path_for_stats);
    am_free(feed->key_fingerprint);
    am_free(feed->code_text);
    am_free(feed->code_map_text);
    for (int c = 0; c < AM_COL__COUNT; c++)
        am_free(feed->column[c]);
    for (size_t i = 0; i < feed->ncode_map; i++)
        am_free(feed->code_map[i].text);
    am_free(feed->code_map);
}
