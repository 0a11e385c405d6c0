/*
 * previous.c — reading back the run before this one (see previous.h).
 *
 * Everything is read into memory at once, so a run may write its outputs
 * into the very directory its previous run is read from.  The files are
 * aidmatch's own outputs, found by their header names so that columns
 * added later (or absent in older runs, like facts) do not break the read.
 */
#include "cycle/previous.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/text_file.h"
#include "read/csv_reader.h"
#include "common/day.h"
#include "common/json.h"
#include "common/money.h"

/* The columns one file is read for; -1 until found in its header. */
#define MAX_COLUMNS 16

typedef struct table {
    am_previous *prev;
    const char *path;
    am_err *err;
    const char *const *names; /* wanted column names, NULL-terminated */
    unsigned required;        /* bit i: names[i] must be in the header */
    int col[MAX_COLUMNS];
    size_t header_fields;
    int header_seen;
    am_status st;
    int (*row)(struct table *t, const am_text_row *row);
    int suppressed; /* reading suppressed.csv */
    uint64_t max_rows;
} table;

static int fail_row(table *t, const am_text_row *row, am_status st, const char *what)
{
    t->st = am_fail(t->err, st, "%s:%llu: %s", t->path, (unsigned long long)row->line, what);
    return 1;
}

static const char *field(const table *t, const am_text_row *row, int which, size_t *len)
{
    const int c = t->col[which];
    if (c < 0) {
        *len = 0;
        return "";
    }
    *len = row->len[c];
    return row->field[c];
}

/* Copies 32 hex digits, lower-cased, into out[33].  Returns 1 on success. */
static int copy_hex32(const char *s, size_t len, char out[33])
{
    if (len != 32)
        return 0;
    for (size_t i = 0; i < 32; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
        out[i] = c;
    }
    out[32] = '\0';
    return 1;
}

static int copy_date(const char *s, size_t len, char out[11])
{
    int32_t day;
    if (len == 0) {
        out[0] = '\0';
        return 1;
    }
    if (!am_day_parse(s, len, AM_DATE_AUTO, &day))
        return 0;
    am_day_format(day, out);
    return 1;
}

static int on_row(void *user, const am_text_row *row)
{
    table *t = user;
    if (!t->header_seen) {
        t->header_seen = 1;
        t->header_fields = row->nfields;
        for (int i = 0; t->names[i]; i++) {
            t->col[i] = -1;
            for (size_t f = 0; f < row->nfields; f++)
                if (strcmp(row->field[f], t->names[i]) == 0) {
                    t->col[i] = (int)f;
                    break;
                }
            if (t->col[i] < 0 && (t->required & (1u << i))) {
                char what[128];
                snprintf(what, sizeof what, "expected a column '%s' in the header", t->names[i]);
                return fail_row(t, row, AM_ERR_FORMAT, what);
            }
        }
        return 0;
    }
    if (row->nfields != t->header_fields || row->has_nul || row->bad_encoding)
        return fail_row(t, row, AM_ERR_FORMAT,
                        "expected a UTF-8 row with as many fields as the header");
    return t->row(t, row);
}

static am_status read_table(table *t, const char *dir, const char *file, int optional,
                            int *found)
{
    char *path = am_strdup_printf("%s/%s", dir, file);
    if (!path)
        return am_fail(t->err, AM_ERR_NOMEM, "out of memory");
    if (found)
        *found = 0;
    struct stat sb;
    if (optional && stat(path, &sb) != 0 && errno == ENOENT) {
        am_free(path);
        return AM_OK;
    }
    t->path = path;
    t->st = AM_OK;
    t->header_seen = 0;
    am_reader_opts opts = {.encoding = AM_ENC_UTF8,
                           .delimiter = ',',
                           .max_rows = t->max_rows + 1,
                           .max_rows_advice = "a previous run's file holds no more"};
    am_read_result result;
    am_status st = am_read_csv_file(path, &opts, on_row, t, &result, t->err);
    if (st == AM_ERR_ABORTED)
        st = t->st;
    else if (st == AM_OK && !t->header_seen)
        st = am_fail(t->err, AM_ERR_FORMAT, "%s:1: expected a header row", path);
    if (found)
        *found = st == AM_OK;
    t->path = NULL;
    am_free(path);
    return st;
}

static am_prev_finding *add_finding(am_previous *prev)
{
    if (!AM_RESERVE(prev->findings, prev->capacity, prev->count + 1))
        return NULL;
    am_prev_finding *f = &prev->findings[prev->count++];
    memset(f, 0, sizeof *f);
    f->kind = -1;
    return f;
}

/* findings.csv and suppressed.csv: finding_id, facts, kind,
 * amount_at_stake, outcome_date, reviewed_facts, then the details in
 * am_prev_detail order. */
enum { FIRST_DETAIL_COLUMN = 6 };
static const char *const finding_columns[] = {
    "finding_id", "facts",    "kind",     "amount_at_stake", "outcome_date", "reviewed_facts",
    "rule_id",    "unit",     "subject",  "items",           "agencies",     "period_start",
    "period_end", "priority", NULL};

/* Copies the detail columns of row into one block, NUL-separated. */
static char *copy_details(const table *t, const am_text_row *row)
{
    size_t total = 0, len;
    for (int d = 0; d < AM_PREV__DETAILS; d++) {
        field(t, row, FIRST_DETAIL_COLUMN + d, &len);
        total += len + 1;
    }
    char *block = am_malloc(total);
    if (!block)
        return NULL;
    char *p = block;
    for (int d = 0; d < AM_PREV__DETAILS; d++) {
        const char *s = field(t, row, FIRST_DETAIL_COLUMN + d, &len);
        memcpy(p, s, len);
        p[len] = '\0';
        p += len + 1;
    }
    return block;
}

const char *am_prev_finding_detail(const am_prev_finding *pf, am_prev_detail which)
{
    if (!pf->details || (unsigned)which >= AM_PREV__DETAILS)
        return "";
    const char *p = pf->details;
    for (int d = 0; d < (int)which; d++)
        p += strlen(p) + 1;
    return p;
}

static int finding_row(table *t, const am_text_row *row)
{
    size_t len;
    const char *s = field(t, row, 0, &len);
    char id[33];
    if (!copy_hex32(s, len, id))
        return fail_row(t, row, AM_ERR_FORMAT, "finding_id: expected 32 hex digits");
    am_prev_finding *f = add_finding(t->prev);
    if (!f || !(f->details = copy_details(t, row)))
        return fail_row(t, row, AM_ERR_NOMEM, "out of memory");
    memcpy(f->id, id, sizeof id);
    f->suppressed = t->suppressed;
    s = field(t, row, 1, &len);
    if (len && !copy_hex32(s, len, f->facts))
        return fail_row(t, row, AM_ERR_FORMAT, "facts: expected 32 hex digits or nothing");
    s = field(t, row, 2, &len);
    for (int k = 0; k < AM_KIND__COUNT; k++)
        if (strlen(am_kind_name((am_kind)k)) == len && memcmp(s, am_kind_name((am_kind)k), len) == 0)
            f->kind = k;
    s = field(t, row, 3, &len);
    if (len && am_money_parse(s, len, &f->amount_fen) != AM_MONEY_OK)
        f->amount_fen = 0;
    if (t->suppressed) {
        s = field(t, row, 4, &len);
        if (!copy_date(s, len, f->outcome_date))
            return fail_row(t, row, AM_ERR_FORMAT, "outcome_date: expected YYYY-MM-DD");
        s = field(t, row, 5, &len);
        if (len && !copy_hex32(s, len, f->reviewed))
            return fail_row(t, row, AM_ERR_FORMAT,
                            "reviewed_facts: expected 32 hex digits or nothing");
    }
    return 0;
}

static int compare_findings(const void *a, const void *b)
{
    return strcmp(((const am_prev_finding *)a)->id, ((const am_prev_finding *)b)->id);
}

static am_prev_finding *find(const am_previous *prev, const char *id)
{
    if (!prev || !prev->count)
        return NULL;
    am_prev_finding key;
    memcpy(key.id, id, 32);
    key.id[32] = '\0';
    return bsearch(&key, prev->findings, prev->count, sizeof key, compare_findings);
}

const am_prev_finding *am_previous_find(const am_previous *prev, const char *id)
{
    return find(prev, id);
}

/* delta.csv: finding_id, status, first_seen, last_seen. */
static const char *const delta_columns[] = {"finding_id", "status", "first_seen", "last_seen",
                                            NULL};

static int delta_row(table *t, const am_text_row *row)
{
    size_t len;
    const char *s = field(t, row, 0, &len);
    char id[33], first[11], last[11];
    if (!copy_hex32(s, len, id))
        return fail_row(t, row, AM_ERR_FORMAT, "finding_id: expected 32 hex digits");
    s = field(t, row, 1, &len);
    if (len == 8 && memcmp(s, "resolved", 8) == 0)
        return 0; /* not a finding of that run */
    s = field(t, row, 2, &len);
    if (!copy_date(s, len, first))
        return fail_row(t, row, AM_ERR_FORMAT, "first_seen: expected YYYY-MM-DD");
    s = field(t, row, 3, &len);
    if (!copy_date(s, len, last))
        return fail_row(t, row, AM_ERR_FORMAT, "last_seen: expected YYYY-MM-DD");
    am_prev_finding *f = find(t->prev, id);
    if (f) {
        memcpy(f->first_seen, first, sizeof first);
        memcpy(f->last_seen, last, sizeof last);
    }
    return 0;
}

static am_status read_summary(am_previous *prev, const char *dir, am_err *err)
{
    char *path = am_strdup_printf("%s/summary.json", dir);
    if (!path)
        return am_fail(err, AM_ERR_NOMEM, "out of memory");
    char *text = NULL;
    size_t len = 0;
    am_json *root = NULL;
    am_status st =
        am_read_text_file(path, (size_t)1 << 26, "the previous run's summary", &text, &len, err);
    if (st == AM_OK)
        st = am_json_parse(text, len, path, &root, err);
    am_free(text);
    if (st == AM_OK && root->type != AM_JSON_OBJECT)
        st = am_fail(err, AM_ERR_FORMAT, "%s:1: expected an object", path);
    const char *date = st == AM_OK ? am_json_string(root, "run_date") : NULL;
    if (date) {
        if (!am_day_parse(date, strlen(date), AM_DATE_AUTO, &prev->run_day))
            st = am_fail(err, AM_ERR_FORMAT, "%s: run_date: expected YYYY-MM-DD", path);
        else
            am_day_format(prev->run_day, prev->run_date);
    }
    const char *fingerprint = st == AM_OK ? am_json_string(root, "key_fingerprint") : NULL;
    if (fingerprint && strlen(fingerprint) < sizeof prev->key_fingerprint)
        memcpy(prev->key_fingerprint, fingerprint, strlen(fingerprint) + 1);
    const char *centre = st == AM_OK ? am_json_string(root, "centre") : NULL;
    if (centre && !(prev->centre = am_strdup(centre)))
        st = am_fail(err, AM_ERR_NOMEM, "out of memory");
    const am_json *feeds = st == AM_OK ? am_json_get(root, "feeds") : NULL;
    size_t nfeeds = 0;
    if (feeds && feeds->type == AM_JSON_ARRAY)
        for (const am_json *f = feeds->child; f; f = f->next)
            nfeeds++;
    if (nfeeds) {
        prev->feeds = am_calloc(nfeeds, sizeof *prev->feeds);
        if (!prev->feeds)
            st = am_fail(err, AM_ERR_NOMEM, "out of memory");
    }
    for (const am_json *f = nfeeds ? feeds->child : NULL; st == AM_OK && f; f = f->next) {
        const char *name = am_json_string(f, "name");
        const char *xxh3 = am_json_string(f, "file_xxh3");
        unsigned long long rows;
        if (!name || !am_json_uint(f, "rows_read", &rows)) {
            st = am_fail(err, AM_ERR_FORMAT,
                         "%s: feeds: expected every feed to have a name and rows_read", path);
            break;
        }
        am_prev_feed *pf = &prev->feeds[prev->nfeeds];
        if (!(pf->name = am_strdup(name))) {
            st = am_fail(err, AM_ERR_NOMEM, "out of memory");
            break;
        }
        prev->nfeeds++;
        pf->rows_read = rows;
        if (xxh3 && strlen(xxh3) == 32)
            memcpy(pf->xxh3, xxh3, 33);
        const char *since = am_json_string(f, "unchanged_since");
        if (since) {
            if (!am_day_parse(since, strlen(since), AM_DATE_AUTO, &pf->unchanged_since)) {
                st = am_fail(err, AM_ERR_FORMAT,
                             "%s: feeds: %s: unchanged_since: expected YYYY-MM-DD", path, name);
                break;
            }
            pf->unchanged_since_set = 1;
        }
    }
    am_json_free(root);
    am_free(path);
    return st;
}

am_status am_previous_load(am_previous *prev, const char *dir, am_err *err)
{
    return am_previous_load_max(prev, dir, AM_PREVIOUS_MAX_ROWS, err);
}

am_status am_previous_load_max(am_previous *prev, const char *dir, uint64_t max_rows,
                               am_err *err)
{
    memset(prev, 0, sizeof *prev);
    table t = {.prev = prev, .err = err, .names = finding_columns, .required = 1,
               .row = finding_row, .max_rows = max_rows};
    am_status st = read_table(&t, dir, "findings.csv", 0, NULL);
    if (st == AM_OK) {
        t.suppressed = 1;
        st = read_table(&t, dir, "suppressed.csv", 1, NULL);
    }
    if (st == AM_OK && prev->count > 1) {
        qsort(prev->findings, prev->count, sizeof *prev->findings, compare_findings);
        size_t kept = 1;
        for (size_t i = 1; i < prev->count; i++) {
            if (strcmp(prev->findings[i].id, prev->findings[kept - 1].id) != 0)
                prev->findings[kept++] = prev->findings[i];
            else
                am_free(prev->findings[i].details);
        }
        prev->count = kept;
    }
    if (st == AM_OK) {
        table d = {.prev = prev, .err = err, .names = delta_columns, .required = 0xF,
                   .row = delta_row, .max_rows = max_rows};
        st = read_table(&d, dir, "delta.csv", 1, NULL);
    }
    if (st == AM_OK)
        st = read_summary(prev, dir, err);
    if (st != AM_OK)
        am_previous_free(prev);
    return st;
}

const am_prev_feed *am_previous_feed(const am_previous *prev, const char *name)
{
    for (size_t i = 0; prev && i < prev->nfeeds; i++)
        if (strcmp(prev->feeds[i].name, name) == 0)
            return &prev->feeds[i];
    return NULL;
}

void am_previous_free(am_previous *prev)
{
    if (!prev)
        return;
    for (size_t i = 0; i < prev->count; i++)
        am_free(prev->findings[i].details);
    am_free(prev->findings);
    for (size_t i = 0; i < prev->nfeeds; i++)
        am_free(prev->feeds[i].name);
    am_free(prev->feeds);
    am_free(prev->centre);
    memset(prev, 0, sizeof *prev);
}
