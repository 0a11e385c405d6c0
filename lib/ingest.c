/*
 * ingest.c — turning feed rows into records, or into rejects with a reason.
 *
 * Every data row ends in exactly one of two places: the store, or the
 * reject list with a reason, so that rows_read = rows_ingested +
 * rows_rejected for every feed.  A raw ID lives only in a stack buffer
 * long enough to be hashed; names are never read at all.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "ingest.h"

#include "alloc.h"
#include "area.h"
#include "context.h"
#include "money.h"
#include "progress.h"
#include "resident_id.h"


static void trim(const char **s, size_t *len)
{
    for (;;) {
        if (*len && (**s == ' ' || **s == '\t')) {
            (*s)++;
            (*len)--;
        } else if (*len >= 3 && memcmp(*s, "\xE3\x80\x80", 3) == 0) { /* U+3000 */
            *s += 3;
            *len -= 3;
        } else {
            break;
        }
    }
    for (;;) {
        if (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
            (*len)--;
        else if (*len >= 3 && memcmp(*s + *len - 3, "\xE3\x80\x80", 3) == 0)
            *len -= 3;
        else
            break;
    }
}

am_status am_mapper_header(am_row_mapper *st, const am_text_row *row)
{
    am_feed *feed = st->feed;
    st->header_fields = row->nfields;
    for (int c = 0; c < AM_COL__COUNT; c++) {
        st->column_index[c] = -1;
        if (!feed->column[c])
            continue;
        for (size_t f = 0; f < row->nfields; f++) {
            const char *name = row->field[f];
            size_t len = row->len[f];
            trim(&name, &len);
            if (len == strlen(feed->column[c]) && memcmp(name, feed->column[c], len) == 0) {
                st->column_index[c] = (int)f;
                break;
            }
        }
        if (st->column_index[c] < 0)
            return am_fail(&feed->ctx->err, AM_ERR_FORMAT,
                           "%s:%llu: column '%s' named in feed %s is not in the header",
                           feed->path_for_stats, (unsigned long long)row->line, feed->column[c],
                           feed->name);
    }
    return AM_OK;
}

/* The trimmed text of a mapped column in this row ("" when not mapped). */
static size_t column_text(const am_row_mapper *st, const am_text_row *row, am_column c,
                          const char **text)
{
    const int f = st->column_index[c];
    if (f < 0) {
        *text = "";
        return 0;
    }
    size_t len = row->len[f];
    *text = row->field[f];
    trim(text, &len);
    return len;
}

static int reject(row_outcome *out, am_reject reason, const char *column, const char *expected)
{
    out->reason = reason;
    if (column)
        snprintf(out->detail, sizeof out->detail, "column '%s': %s", column, expected);
    else
        snprintf(out->detail, sizeof out->detail, "%s", expected);
    return 0;
}

int am_mapper_person(const am_row_mapper *st, const am_text_row *row, am_record *rec,
                     row_outcome *out)
{
    const am_feed *feed = st->feed;
    const char *col = feed->column[AM_COL_PERSON];
    const char *text;
    const size_t len = column_text(st, row, AM_COL_PERSON, &text);
    if (len == 0)
        return reject(out, AM_REJECT_MISSING_ID, col, "empty");
    if (feed->ids_tokenised)
        return am_token_parse(text, len, rec->person)
                   ? 1
                   : reject(out, AM_REJECT_BAD_TOKEN, col, "expected a 32-hex-digit token");
    char id[AM_ID_LEN];
    am_reject why;
    if (!am_id_normalise(text, len, id, &why))
        return reject(out, why, col, am_reject_name(why));
    am_token_person(&feed->ctx->key, id, rec->person);
    am_area_set(rec, id); /* the six-digit area code only (area.h) */
    sodium_memzero(id, sizeof id);
    return 1;
}

int am_mapper_household_token(const am_row_mapper *st, const am_text_row *row,
                              unsigned char token[AM_TOKEN_BYTES], int *present, row_outcome *out)
{
    const am_feed *feed = st->feed;
    const char *col = feed->column[AM_COL_HOUSEHOLD];
    const char *text;
    const size_t len = column_text(st, row, AM_COL_HOUSEHOLD, &text);
    *present = len > 0;
    if (len == 0)
        return 1;
    if (feed->ids_tokenised ? !am_token_parse(text, len, token)
                            : !am_token_household(&feed->ctx->key, text, len, token))
        return reject(out, AM_REJECT_BAD_HOUSEHOLD, col,
                      feed->ids_tokenised ? "expected a 32-hex-digit token"
                                          : "longer than 64 bytes");
    return 1;
}

static int parse_household(am_row_mapper *st, const am_text_row *row, am_record *rec,
                           row_outcome *out)
{
    am_feed *feed = st->feed;
    unsigned char token[AM_TOKEN_BYTES];
    int present;
    rec->household = 0;
    if (!am_mapper_household_token(st, row, token, &present, out))
        return 0;
    if (!present)
        return 1;
    const am_status s = am_store_household(&feed->ctx->store, token, &rec->household);
    if (s != AM_OK) {
        st->status = am_fail(&feed->ctx->err, s, "out of memory interning households");
        return 0;
    }
    return 1;
}

static int parse_code(const am_row_mapper *st, const am_text_row *row, am_record *rec,
                      row_outcome *out)
{
    const am_feed *feed = st->feed;
    if (feed->code_constant >= 0) {
        rec->code = (uint16_t)feed->code_constant;
        return 1;
    }
    const char *text;
    const size_t len = column_text(st, row, AM_COL_CODE, &text);
    for (size_t i = 0; i < feed->ncode_map; i++) {
        if (strlen(feed->code_map[i].text) == len && memcmp(feed->code_map[i].text, text, len) == 0) {
            rec->code = feed->code_map[i].code;
            return 1;
        }
    }
    return reject(out, AM_REJECT_UNKNOWN_ITEM, feed->column[AM_COL_CODE],
                  "value not in the feed's map");
}

static int parse_day(const am_row_mapper *st, const am_text_row *row, am_column c, int required,
                     int32_t *day, int *present, row_outcome *out)
{
    const am_feed *feed = st->feed;
    const char *text;
    const size_t len = column_text(st, row, c, &text);
    *present = len > 0;
    if (len == 0)
        return required ? reject(out, AM_REJECT_MISSING_DATE, feed->column[c], "empty") : 1;
    if (!am_day_parse(text, len, feed->date_format, day))
        return reject(out, AM_REJECT_BAD_DATE, feed->column[c],
                      feed->date_format == AM_DATE_EXCEL
                          ? "expected an Excel serial day number"
                          : "expected a real date as YYYY-MM-DD, YYYYMMDD or YYYY/M/D");
    return 1;
}

static int parse_period(const am_row_mapper *st, const am_text_row *row, am_record *rec,
                        row_outcome *out)
{
    const am_feed *feed = st->feed;
    const int payments = feed->kind == AM_FEED_PAYMENTS;
    int present;
    if (feed->column[AM_COL_MONTH]) {
        const char *text;
        const size_t len = column_text(st, row, AM_COL_MONTH, &text);
        if (len == 0)
            return reject(out, AM_REJECT_MISSING_DATE, feed->column[AM_COL_MONTH], "empty");
        return am_month_parse(text, len, &rec->start, &rec->end)
                   ? 1
                   : reject(out, AM_REJECT_BAD_DATE, feed->column[AM_COL_MONTH],
                            "expected a month as YYYYMM or YYYY-MM");
    }
    if (feed->column[AM_COL_DATE]) {
        if (!parse_day(st, row, AM_COL_DATE, 1, &rec->start, &present, out))
            return 0;
        rec->end = rec->start;
        return 1;
    }
    /* Registry facts may have been in force since before records began,
     * and may still be: an empty start or end is open. */
    if (!parse_day(st, row, AM_COL_START, payments, &rec->start, &present, out))
        return 0;
    if (!present)
        rec->start = AM_DAY_EVER;
    if (!parse_day(st, row, AM_COL_END, payments, &rec->end, &present, out))
        return 0;
    if (!present)
        rec->end = AM_DAY_OPEN;
    if (rec->end < rec->start)
        return reject(out, AM_REJECT_END_BEFORE_START, feed->column[AM_COL_END],
                      "the period ends before it starts");
    return 1;
}

static int parse_amount(const am_row_mapper *st, const am_text_row *row, am_record *rec,
                        row_outcome *out)
{
    const am_feed *feed = st->feed;
    if (feed->kind != AM_FEED_PAYMENTS)
        return 1;
    const char *col = feed->column[AM_COL_AMOUNT];
    const char *text;
    const size_t len = column_text(st, row, AM_COL_AMOUNT, &text);
    if (len == 0)
        return reject(out, AM_REJECT_MISSING_AMOUNT, col, "empty");
    switch (am_money_parse(text, len, &rec->amount_fen)) {
    case AM_MONEY_OK:
        break;
    case AM_MONEY_NEGATIVE:
        return reject(out, AM_REJECT_NEGATIVE_AMOUNT, col, "negative amount");
    case AM_MONEY_OVERFLOW:
        return reject(out, AM_REJECT_ABSURD_AMOUNT, col, "amount above the feed's max_amount");
    case AM_MONEY_BAD:
        return reject(out, AM_REJECT_BAD_AMOUNT, col,
                      "expected yuan with at most two decimals, e.g. 1234.50");
    }
    if (rec->amount_fen > feed->max_amount_fen)
        return reject(out, AM_REJECT_ABSURD_AMOUNT, col, "amount above the feed's max_amount");
    return 1;
}

/* Grades are written "1", "1级", "一级" or "一": all mean grade 1. */
static int parse_grade(const char *s, size_t len, int *grade)
{
    static const char *const numerals[] = {"一", "二", "三", "四", "五", "六", "七", "八", "九"};
    if (len >= 3 && memcmp(s + len - 3, "级", 3) == 0)
        len -= 3;
    if (len == 1 && s[0] >= '0' && s[0] <= '9') {
        *grade = s[0] - '0';
        return 1;
    }
    if (len == 2 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9') {
        *grade = (s[0] - '0') * 10 + (s[1] - '0');
        return 1;
    }
    for (int i = 0; i < 9; i++) {
        if (len == 3 && memcmp(s, numerals[i], 3) == 0) {
            *grade = i + 1;
            return 1;
        }
    }
    return 0;
}

static int parse_value(const am_row_mapper *st, const am_text_row *row, am_record *rec,
                       row_outcome *out)
{
    const am_feed *feed = st->feed;
    const am_catalogue *cat = &feed->ctx->catalogue;
    rec->value = 0;
    if (am_code_is_item(cat, rec->code))
        return 1;
    const am_fact *fact = &cat->facts[rec->code - cat->nitems];
    if (fact->value_max == 0)
        return 1;
    const char *col = feed->column[AM_COL_VALUE];
    char expected[80];
    snprintf(expected, sizeof expected, "expected a value from %d to %d", fact->value_min,
             fact->value_max);
    const char *text;
    const size_t len = column_text(st, row, AM_COL_VALUE, &text);
    int grade;
    if (!parse_grade(text, len, &grade) || grade < fact->value_min || grade > fact->value_max)
        return reject(out, AM_REJECT_BAD_GRADE, col, expected);
    rec->value = (uint8_t)grade;
    return 1;
}

int am_mapper_shape(const am_row_mapper *st, const am_text_row *row, row_outcome *out)
{
    if (row->has_nul)
        return reject(out, AM_REJECT_EMBEDDED_NUL, NULL, "a field holds a NUL byte");
    if (row->bad_encoding)
        return reject(out, AM_REJECT_BAD_ENCODING, NULL, "bytes invalid in the feed's encoding");
    if (row->field_too_long)
        return reject(out, AM_REJECT_FIELD_TOO_LONG, NULL, "a field is longer than max_field");
    char detail[64];
    if (row->nfields != st->header_fields) {
        snprintf(detail, sizeof detail, "%zu fields, the header has %zu", row->nfields,
                 st->header_fields);
        return reject(out, row->nfields < st->header_fields ? AM_REJECT_TOO_FEW_FIELDS
                                                            : AM_REJECT_TOO_MANY_FIELDS,
                      NULL, detail);
    }
    return 1;
}

static int on_row(void *user, const am_text_row *row)
{
    am_row_mapper *st = user;
    am_feed *feed = st->feed;
    if (!st->header_seen) {
        st->header_seen = 1;
        st->status = am_mapper_header(st, row);
        return st->status != AM_OK;
    }
    if (row->line > UINT32_MAX) {
        st->status = am_fail(&feed->ctx->err, AM_ERR_LIMIT, "%s: more than %u lines",
                             feed->path_for_stats, UINT32_MAX);
        return 1;
    }
    feed->rows_read++;
    if (feed->ctx->progress.fn && am_progress_row(feed->ctx, feed, row)) {
        st->status = am_fail(&feed->ctx->err, AM_ERR_ABORTED, "stopped by the progress callback");
        return 1;
    }
    am_record rec = {.feed = feed->index};
    row_outcome out;
    rec.line = (uint32_t)row->line;
    const int ok = am_mapper_shape(st, row, &out) && am_mapper_person(st, row, &rec, &out) &&
                   parse_code(st, row, &rec, &out) && parse_period(st, row, &rec, &out) &&
                   parse_amount(st, row, &rec, &out) && parse_value(st, row, &rec, &out) &&
                   parse_household(st, row, &rec, &out);
    if (st->status != AM_OK)
        return 1;
    if (ok) {
        if (am_store_add(&feed->ctx->store, &rec) != AM_OK) {
            st->status = am_fail(&feed->ctx->err, AM_ERR_NOMEM, "out of memory storing records");
            return 1;
        }
        feed->rows_ingested++;
        return 0;
    }
    st->status = am_ctx_reject(feed->ctx, feed, row->line, out.reason, out.detail);
    return st->status != AM_OK;
}

static am_status finish(am_row_mapper *st, am_status read_status, const am_read_result *result)
{
    am_feed *feed = st->feed;
    feed->ingested = 1;
    feed->encoding_used = result->encoding;
    feed->bytes_read = result->bytes_read;
    memcpy(feed->xxh3, result->xxh3, sizeof feed->xxh3);
    if (read_status == AM_ERR_ABORTED)
        return st->status;
    if (read_status != AM_OK)
        return read_status;
    if (!st->header_seen)
        return am_fail(&feed->ctx->err, AM_ERR_FORMAT, "%s:1: feed %s is empty: no header",
                       feed->path_for_stats, feed->name);
    return AM_OK;
}

/* Tells the progress callback that a feed read to its end. */
static am_status progress_end(am_feed *feed, am_status st)
{
    if (st == AM_OK && am_progress_end(feed->ctx, feed))
        return am_fail(&feed->ctx->err, AM_ERR_ABORTED, "stopped by the progress callback");
    return st;
}

am_status am_mapper_prepare(am_feed *feed, const char *path)
{
    if (feed->ingested)
        return am_fail(&feed->ctx->err, AM_ERR_INVALID, "feed %s: already ingested", feed->name);
    const am_status st = am_feed_validate(feed);
    if (st != AM_OK)
        return st;
    char *copy = am_strdup(path);
    if (!copy)
        return am_fail(&feed->ctx->err, AM_ERR_NOMEM, "out of memory");
    am_free(feed->path_for_stats);
    feed->path_for_stats = copy;
    return AM_OK;
}

am_status am_feed_ingest_buffer(am_feed *feed, const void *data, size_t len)
{
    if (!feed || (!data && len))
        return AM_ERR_INVALID;
    am_status st = am_mapper_prepare(feed, feed->name);
    if (st != AM_OK)
        return st;
    am_row_mapper state = {.feed = feed};
    am_read_result result = {0};
    am_progress_begin(feed->ctx, feed, NULL, data, len);
    st = am_read_csv_buffer(data, len, feed->name, &feed->reader, on_row, &state, &result,
                            &feed->ctx->err);
    return progress_end(feed, finish(&state, st, &result));
}

static am_status ingest_file(am_feed *feed)
{
    if (!feed->file)
        return am_fail(&feed->ctx->err, AM_ERR_FORMAT,
                       "feed %s has no file: every declared feed must be read", feed->name);
    am_status st = am_mapper_prepare(feed, feed->file);
    if (st != AM_OK)
        return st;
    am_row_mapper state = {.feed = feed};
    am_read_result result = {0};
    am_progress_begin(feed->ctx, feed, feed->file, NULL, 0);
    st = am_read_csv_file(feed->file, &feed->reader, on_row, &state, &result, &feed->ctx->err);
    return progress_end(feed, finish(&state, st, &result));
}

am_status am_ingest(am_ctx *ctx)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (ctx->nfeeds == 0)
        return am_fail(&ctx->err, AM_ERR_INVALID, "no feeds declared");
    for (size_t i = 0; i < ctx->nfeeds; i++) {
        if (ctx->feeds[i]->ingested)
            continue;
        const am_status st = ingest_file(ctx->feeds[i]);
        if (st != AM_OK)
            return st;
    }
    return AM_OK;
}
