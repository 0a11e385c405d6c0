/*
 * tokenise.c — the agency side: rewriting an export with tokens in place of
 * raw IDs, so that raw IDs never leave the agency.
 *
 * Rows are judged exactly as the centre will judge them (ingest.h): a row
 * whose ID the centre would reject is not written but rejected here, with
 * the same reason, so the agency sees its problems before sending.
 */
#include <sodium.h>
#include <string.h>

#include "aidmatch.h"
#include "common/alloc.h"
#include "common/atomic_file.h"
#include "run/context.h"
#include "read/ingest.h"

typedef struct tokeniser {
    am_row_mapper mapper;
    FILE *out;
    int keep_name;
} tokeniser;

static void write_field(FILE *out, const char *s, size_t len, int first)
{
    if (!first)
        fputc(',', out);
    int quote = 0;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        fwrite(s, 1, len, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

static int dropped(const tokeniser *t, size_t field)
{
    return !t->keep_name && t->mapper.column_index[AM_COL_NAME] == (int)field;
}

static int on_row(void *user, const am_text_row *row)
{
    tokeniser *t = user;
    am_row_mapper *m = &t->mapper;
    am_feed *feed = m->feed;
    if (!m->header_seen) {
        m->header_seen = 1;
        if ((m->status = am_mapper_header(m, row)) != AM_OK)
            return 1;
        int first = 1;
        for (size_t f = 0; f < row->nfields; f++) {
            if (dropped(t, f))
                continue;
            write_field(t->out, row->field[f], row->len[f], first);
            first = 0;
        }
        fputc('\n', t->out);
        return 0;
    }
    feed->rows_read++;
    am_record rec = {0};
    unsigned char household[AM_TOKEN_BYTES];
    int has_household = 0;
    row_outcome out;
    if (!am_mapper_shape(m, row, &out) || !am_mapper_person(m, row, &rec, &out) ||
        !am_mapper_household_token(m, row, household, &has_household, &out)) {
        m->status = am_reject_add(feed->run->rejects, feed, row->line, out.reason, out.detail);
        if (m->status != AM_OK)
            am_fail(feed->run->err, m->status, "out of memory recording rejects");
        return m->status != AM_OK;
    }
    char hex[AM_TOKEN_HEX + 1];
    int first = 1;
    for (size_t f = 0; f < row->nfields; f++) {
        if (dropped(t, f))
            continue;
        if ((int)f == m->column_index[AM_COL_PERSON]) {
            am_token_hex(rec.person, hex);
            write_field(t->out, hex, AM_TOKEN_HEX, first);
        } else if ((int)f == m->column_index[AM_COL_HOUSEHOLD] && has_household) {
            am_token_hex(household, hex);
            write_field(t->out, hex, AM_TOKEN_HEX, first);
        } else {
            write_field(t->out, row->field[f], row->len[f], first);
        }
        first = 0;
    }
    fputc('\n', t->out);
    feed->rows_ingested++;
    return 0;
}

am_status am_tokenise_feed(am_feed *feed, const char *out_path, int keep_name)
{
    if (!feed)
        return AM_ERR_INVALID;
    if (!out_path)
        return am_fail(feed->run->err, AM_ERR_INVALID, "am_tokenise_feed: out_path is NULL");
    am_err *err = feed->run->err;
    if (feed->ids_tokenised)
        return am_fail(err, AM_ERR_INVALID, "feed %s already holds tokens (ids = token)",
                       feed->name);
    if (!feed->file)
        return am_fail(err, AM_ERR_INVALID, "feed %s has no file", feed->name);
    am_status st = am_mapper_prepare(feed, feed->file);
    if (st != AM_OK)
        return st;
    am_atomic_file af;
    if ((st = am_atomic_open(&af, out_path, err)) != AM_OK)
        return st;
    tokeniser t = {.mapper = {.feed = feed, .err = err}, .out = af.out, .keep_name = keep_name};
    am_read_result result = {0};
    st = am_read_csv_file(feed->file, &feed->reader, on_row, &t, &result, err);
    am_mapper_wipe(&t.mapper);
    feed->ingested = 1;
    feed->encoding_used = result.encoding;
    feed->bytes_read = result.bytes_read;
    memcpy(feed->xxh3, result.xxh3, sizeof feed->xxh3);
    if (st == AM_ERR_ABORTED)
        st = t.mapper.status;
    if (st == AM_OK && !t.mapper.header_seen)
        st = am_fail(err, AM_ERR_FORMAT, "%s:1: empty file, expected a header", feed->file);
    if (st != AM_OK) {
        am_atomic_abort(&af);
        return st;
    }
    return am_atomic_commit(&af, err);
}
