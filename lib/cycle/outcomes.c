/*
 * outcomes.c — reading caseworkers' outcomes files and finding a
 * finding's latest outcome (see outcomes.h).
 *
 * The file is typed by people, often through Excel: it is read in any
 * encoding a feed may have, a BOM is dropped, cells are trimmed, rows with
 * every cell empty are skipped, and dates take the feed date forms.
 * Headers and outcomes may be written in Chinese, as the report shows
 * them.  Any other row that cannot be read is skipped and recorded with
 * its line and what was expected, never with what the row held.
 */
#include "cycle/outcomes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/blanks.h"
#include "read/csv_reader.h"
#include "common/day.h"

enum { COL_ID = 0, COL_OUTCOME, COL_DATE, COL_NOTE, NCOLS };
static const char *const column_names[NCOLS] = {"finding_id", "outcome", "date", "note"};
/* Each column's names, English first; a header cell names a column when
 * one of its space-separated words is one of these ("处理结果 outcome"). */
static const char *const column_aliases[NCOLS][5] = {
    {"finding_id", "线索编号", "线索ID", "线索id", NULL},
    {"outcome", "处理结果", "结果", NULL},
    {"date", "日期", "处理日期", "结果日期", NULL},
    {"note", "备注", "说明", NULL},
};

/* The labels report.html gives outcomes, and one more a caseworker may
 * copy from its cards. */
static const struct {
    const char *label;
    am_outcome outcome;
} chinese_outcomes[] = {
    {"属实", AM_OUTCOME_CONFIRMED},
    {"已纠正", AM_OUTCOME_ERROR_CORRECTED},
    {"无问题", AM_OUTCOME_NO_ISSUE},
    {"已核无问题", AM_OUTCOME_NO_ISSUE},
};

typedef struct loader {
    am_outcomes *o;
    const char *path;
    am_err *err;
    int col[NCOLS];
    size_t header_fields;
    int header_seen;
    am_status st;
} loader;

static int fail_row(loader *l, uint64_t line, am_status st, const char *what)
{
    l->st = am_fail(l->err, st, "%s:%llu: %s", l->path, (unsigned long long)line, what);
    return 1;
}

/* Records a row that is skipped.  Returns 0 to read on, 1 when out of
 * memory. */
static int skip_row(loader *l, uint64_t line, const char *what)
{
    am_outcomes *o = l->o;
    if (!AM_RESERVE(o->skipped, o->skipped_capacity, o->nskipped + 1))
        return fail_row(l, line, AM_ERR_NOMEM, "out of memory");
    am_outcome_skip *k = &o->skipped[o->nskipped];
    if (!(k->file = am_strdup(l->path)))
        return fail_row(l, line, AM_ERR_NOMEM, "out of memory");
    k->line = line;
    snprintf(k->reason, sizeof k->reason, "%s", what);
    o->nskipped++;
    return 0;
}

int am_outcome_parse(const char *s, size_t len, am_outcome *out)
{
    am_trim_blanks(&s, &len);
    for (size_t c = 0; c < sizeof chinese_outcomes / sizeof *chinese_outcomes; c++)
        if (strlen(chinese_outcomes[c].label) == len &&
            memcmp(s, chinese_outcomes[c].label, len) == 0) {
            *out = chinese_outcomes[c].outcome;
            return 1;
        }
    for (int k = AM_OUTCOME_CONFIRMED; k < AM_OUTCOME__COUNT; k++) {
        const char *name = am_outcome_name((am_outcome)k);
        if (strlen(name) != len)
            continue;
        size_t i = 0;
        while (i < len) {
            char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
            if (c == ' ')
                c = '_';
            if (c != name[i])
                break;
            i++;
        }
        if (i == len) {
            *out = (am_outcome)k;
            return 1;
        }
    }
    return 0;
}

/* Whether a header cell names column c: one of its words is an alias. */
static int names_column(const char *s, size_t len, int c)
{
    am_trim_blanks(&s, &len);
    while (len) {
        size_t word = 0;
        while (word < len && s[word] != ' ')
            word++;
        for (int a = 0; column_aliases[c][a]; a++)
            if (strlen(column_aliases[c][a]) == word && memcmp(s, column_aliases[c][a], word) == 0)
                return 1;
        while (word < len && s[word] == ' ')
            word++;
        s += word;
        len -= word;
    }
    return 0;
}

static int header(loader *l, const am_text_row *row)
{
    l->header_seen = 1;
    l->header_fields = row->nfields;
    for (int c = 0; c < NCOLS; c++) {
        l->col[c] = -1;
        for (size_t f = 0; f < row->nfields && l->col[c] < 0; f++)
            if (names_column(row->field[f], row->len[f], c))
                l->col[c] = (int)f;
        if (l->col[c] < 0 && c != COL_NOTE) {
            char what[200];
            snprintf(what, sizeof what,
                     "expected a header with the columns finding_id, outcome, date "
                     "(and note), or 线索编号, 处理结果, 日期 (and 备注); '%s' is missing",
                     column_names[c]);
            return fail_row(l, row->line, AM_ERR_FORMAT, what);
        }
    }
    return 0;
}

static int on_row(void *user, const am_text_row *row)
{
    loader *l = user;
    if (!l->header_seen)
        return header(l, row);
    int empty = 1;
    for (size_t f = 0; f < row->nfields; f++) {
        const char *s = row->field[f];
        size_t len = row->len[f];
        am_trim_blanks(&s, &len);
        empty &= len == 0;
    }
    if (empty)
        return 0;
    if (row->has_nul || row->bad_encoding || row->field_too_long)
        return skip_row(l, row->line, "expected text in the file's encoding, without NUL bytes");
    if (row->nfields != l->header_fields) {
        char what[96];
        snprintf(what, sizeof what, "expected %zu fields like the header, got %zu",
                 l->header_fields, row->nfields);
        return skip_row(l, row->line, what);
    }
    am_outcome_entry e = {.order = (uint32_t)l->o->count};
    const char *s = row->field[l->col[COL_ID]];
    size_t len = row->len[l->col[COL_ID]];
    am_trim_blanks(&s, &len);
    int ok = len == 32;
    for (size_t i = 0; ok && i < 32; i++) {
        const char c = s[i] >= 'A' && s[i] <= 'F' ? (char)(s[i] - 'A' + 'a') : s[i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        e.id[i] = c;
    }
    if (!ok)
        return skip_row(l, row->line, "finding_id: expected the 32 hex digits of a finding id");
    am_outcome outcome;
    if (!am_outcome_parse(row->field[l->col[COL_OUTCOME]], row->len[l->col[COL_OUTCOME]],
                          &outcome))
        return skip_row(l, row->line,
                        "outcome: expected confirmed, error_corrected or no_issue (属实, 已纠正 "
                        "or 无问题)");
    e.outcome = (uint8_t)outcome;
    s = row->field[l->col[COL_DATE]];
    len = row->len[l->col[COL_DATE]];
    am_trim_blanks(&s, &len);
    if (!am_day_parse(s, len, AM_DATE_AUTO, &e.day))
        return skip_row(l, row->line, "date: expected the date of the outcome as YYYY-MM-DD");
    am_outcomes *o = l->o;
    if (!AM_PUSH(o->v, o->count, o->capacity, e))
        return fail_row(l, row->line, AM_ERR_NOMEM, "out of memory");
    return 0;
}

am_status am_outcomes_load(am_outcomes *o, const char *path, am_err *err)
{
    return am_outcomes_load_max(o, path, AM_OUTCOMES_MAX_ROWS, err);
}

am_status am_outcomes_load_max(am_outcomes *o, const char *path, uint64_t max_rows, am_err *err)
{
    const size_t before = o->count, skipped_before = o->nskipped;
    loader l = {.o = o, .path = path, .err = err, .st = AM_OK};
    am_reader_opts opts = {.encoding = AM_ENC_AUTO,
                           .delimiter = ',',
                           .max_rows = max_rows + 1,
                           .max_rows_advice = "an outcomes file holds no more"};
    am_read_result result;
    am_status st = am_read_csv_file(path, &opts, on_row, &l, &result, err);
    if (st == AM_ERR_ABORTED)
        st = l.st;
    else if (st == AM_OK && !l.header_seen)
        st = am_fail(err, AM_ERR_FORMAT,
                     "%s:1: expected a header with the columns finding_id, outcome, date "
                     "(and note)",
                     path);
    if (st != AM_OK) {
        o->count = before;
        while (o->nskipped > skipped_before)
            am_free(o->skipped[--o->nskipped].file);
        return st;
    }
    o->files++;
    o->sorted = 0;
    return AM_OK;
}

static int compare_entries(const void *pa, const void *pb)
{
    const am_outcome_entry *a = pa, *b = pb;
    const int c = memcmp(a->id, b->id, 32);
    if (c)
        return c;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

void am_outcomes_sort(am_outcomes *o)
{
    if (!o->sorted && o->count > 1)
        qsort(o->v, o->count, sizeof *o->v, compare_entries);
    o->sorted = 1;
}

const am_outcome_entry *am_outcomes_latest(const am_outcomes *o, const char *id, int32_t day)
{
    /* The first entry past every entry of id dated on or before day. */
    size_t lo = 0, hi = o->count;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = memcmp(o->v[mid].id, id, 32);
        if (c < 0 || (c == 0 && o->v[mid].day <= day))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || memcmp(o->v[lo - 1].id, id, 32) != 0)
        return NULL;
    return &o->v[lo - 1];
}

const char *am_outcome_suppresses(const am_outcome_entry *o, const char *facts,
                                  const am_previous *prev, const am_prev_finding *pf)
{
    if (!o || o->outcome != AM_OUTCOME_NO_ISSUE || !prev || !pf)
        return NULL;
    const char *judged = NULL;
    if (prev->run_date[0] && prev->run_day <= o->day && pf->facts[0]) {
        judged = pf->facts;
    } else if (pf->suppressed && pf->reviewed[0]) {
        char date[11];
        am_day_format(o->day, date);
        if (strcmp(pf->outcome_date, date) == 0)
            judged = pf->reviewed;
    }
    return judged && strcmp(judged, facts) == 0 ? judged : NULL;
}

void am_outcomes_free(am_outcomes *o)
{
    for (size_t i = 0; i < o->nskipped; i++)
        am_free(o->skipped[i].file);
    am_free(o->skipped);
    am_free(o->v);
    memset(o, 0, sizeof *o);
}
