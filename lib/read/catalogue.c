/*
 * catalogue.c — loading and validating the catalogue (see catalogue.h).
 *
 * The files are read by header name, not column position, so that a
 * centre may reorder or add columns; every problem is reported with the
 * file and line an administrator has to edit.
 */
#include "read/catalogue.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/alloc.h"
#include "common/name_map.h"
#include "read/csv_reader.h"

enum { MAX_COLUMNS = 8 };

typedef struct table_reader table_reader;
typedef am_status (*row_loader)(table_reader *t, char *const *value, const size_t *len,
                                uint64_t line);

/* Maps a file's header to the columns a loader wants, then hands it rows. */
struct table_reader {
    am_catalogue *cat;
    const char *path;
    const char *const *wanted; /* NULL-terminated; a leading '?' marks optional */
    int index[MAX_COLUMNS];
    int header_seen;
    row_loader load;
    am_status status;
    am_err *err;
    /* Codes loaded so far, so that each row's checks take constant time:
     * every code (duplicates across tables), and agencies by code (value:
     * index + 1, for items' agency column). */
    am_name_map *codes, *agencies;
};

static int on_row(void *user, const am_text_row *row)
{
    table_reader *t = user;
    if (!t->header_seen) {
        t->header_seen = 1;
        for (int w = 0; t->wanted[w]; w++) {
            const char *name = t->wanted[w] + (t->wanted[w][0] == '?');
            t->index[w] = -1;
            for (size_t f = 0; f < row->nfields; f++)
                if (strcmp(row->field[f], name) == 0)
                    t->index[w] = (int)f;
            if (t->index[w] < 0 && t->wanted[w][0] != '?') {
                t->status = am_fail(t->err, AM_ERR_FORMAT, "%s:%llu: missing column '%s'",
                                    t->path, (unsigned long long)row->line, name);
                return 1;
            }
        }
        return 0;
    }
    if (row->bad_encoding || row->has_nul) {
        t->status = am_fail(t->err, AM_ERR_FORMAT, "%s:%llu: not valid UTF-8 text", t->path,
                            (unsigned long long)row->line);
        return 1;
    }
    char *value[MAX_COLUMNS];
    size_t len[MAX_COLUMNS];
    static char empty[] = "";
    for (int w = 0; t->wanted[w]; w++) {
        const int f = t->index[w];
        value[w] = f >= 0 && (size_t)f < row->nfields ? row->field[f] : empty;
        len[w] = f >= 0 && (size_t)f < row->nfields ? row->len[f] : 0;
    }
    t->status = t->load(t, value, len, row->line);
    return t->status != AM_OK;
}

static am_status read_table(table_reader *t, const char *dir, const char *file)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
        return am_fail(t->err, AM_ERR_IO, "%s: path too long", dir);
    t->path = path;
    /* As many rows as the catalogue can hold codes: a bound on what a file
     * named by mistake (a feed, a gzip bomb) costs before it is refused. */
    am_reader_opts opts = {.encoding = AM_ENC_UTF8,
                           .max_rows = AM_CATALOGUE_MAX_ROWS + 1,
                           .max_rows_advice = "a catalogue table holds no more"};
    am_read_result result;
    am_status st = am_read_csv_file(path, &opts, on_row, t, &result, t->err);
    if (st == AM_ERR_ABORTED)
        st = t->status;
    if (st == AM_OK && !t->header_seen)
        st = am_fail(t->err, AM_ERR_FORMAT, "%s:1: empty file, expected a header", path);
    return st;
}

static am_status fail_at(table_reader *t, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static am_status fail_at(table_reader *t, uint64_t line, const char *fmt, ...)
{
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return am_fail(t->err, AM_ERR_FORMAT, "%s:%llu: %s", t->path, (unsigned long long)line,
                   detail);
}

/* Copies the three naming columns shared by every table.  Checks the code
 * is a bare identifier (A-Z, 0-9, _) so that it is safe in rules and CSV. */
static am_status copy_names(table_reader *t, char *const *value, const size_t *len,
                            uint64_t line, char **code, char **zh, char **en)
{
    if (len[0] == 0)
        return fail_at(t, line, "empty code");
    for (size_t i = 0; i < len[0]; i++) {
        const char c = value[0][i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return fail_at(t, line, "code '%s' must use only A-Z, 0-9 and _", value[0]);
    }
    *code = am_strndup(value[0], len[0]);
    *zh = am_strndup(value[1], len[1]);
    *en = am_strndup(value[2], len[2]);
    if (!*code || !*zh || !*en) {
        am_free(*code);
        am_free(*zh);
        am_free(*en);
        return am_fail(t->err, AM_ERR_NOMEM, "%s: out of memory", t->path);
    }
    return AM_OK;
}

/* What map holds under the field value (len bytes), NULL if nothing; a
 * value with a NUL inside is no code. */
static void *lookup(const am_name_map *map, const char *value, size_t len)
{
    return strlen(value) == len ? am_name_map_get(map, value) : NULL;
}

/* Records a new code (and, for an agency, its index).  Returns AM_OK or
 * AM_ERR_NOMEM. */
static am_status remember(table_reader *t, const char *code, am_name_map *map, size_t index)
{
    if (am_name_map_add(t->codes, code, t->codes) < 0 ||
        (map && am_name_map_add(map, code, (void *)(uintptr_t)(index + 1)) < 0))
        return am_fail(t->err, AM_ERR_NOMEM, "%s: out of memory", t->path);
    return AM_OK;
}

static am_status load_agency(table_reader *t, char *const *value, const size_t *len,
                             uint64_t line)
{
    am_catalogue *cat = t->cat;
    if (lookup(t->codes, value[0], len[0]))
        return fail_at(t, line, "duplicate agency code '%s'", value[0]);
    if (!AM_RESERVE(cat->agencies, cat->capagencies, cat->nagencies + 1))
        return am_fail(t->err, AM_ERR_NOMEM, "%s: out of memory", t->path);
    am_agency *a = &cat->agencies[cat->nagencies++];
    am_status st = copy_names(t, value, len, line, &a->code, &a->name_zh, &a->name_en);
    if (st != AM_OK)
        cat->nagencies--;
    return st == AM_OK ? remember(t, a->code, t->agencies, cat->nagencies - 1) : st;
}

static int parse_small_int(const char *s, size_t len, int lo, int hi, int *out)
{
    if (len == 0 || len > 6)
        return 0;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static am_status load_item(table_reader *t, char *const *value, const size_t *len,
                           uint64_t line)
{
    am_catalogue *cat = t->cat;
    if (lookup(t->codes, value[0], len[0]))
        return fail_at(t, line, "duplicate code '%s'", value[0]);
    const int agency = (int)(uintptr_t)lookup(t->agencies, value[3], len[3]) - 1;
    if (agency < 0)
        return fail_at(t, line, "unknown agency '%s' (not in agencies.csv)", value[3]);
    am_unit unit;
    if (strcmp(value[4], "person") == 0)
        unit = AM_UNIT_PERSON;
    else if (strcmp(value[4], "household") == 0)
        unit = AM_UNIT_HOUSEHOLD;
    else
        return fail_at(t, line, "unit '%s' must be person or household", value[4]);
    int periodic;
    if (strcmp(value[5], "periodic") == 0)
        periodic = 1;
    else if (strcmp(value[5], "one-off") == 0)
        periodic = 0;
    else
        return fail_at(t, line, "periodicity '%s' must be periodic or one-off", value[5]);
    int window = 0;
    if (periodic) {
        if (len[6] != 0)
            return fail_at(t, line, "periodic items take no duplicate window (overlap decides)");
    } else if (strcmp(value[6], "none") != 0 && !parse_small_int(value[6], len[6], 1, 36600, &window)) {
        return fail_at(t, line,
                       "duplicate_window_days '%s' must be a number of days (1-36600) or none",
                       value[6]);
    }
    if (!AM_RESERVE(cat->items, cat->capitems, cat->nitems + 1))
        return am_fail(t->err, AM_ERR_NOMEM, "%s: out of memory", t->path);
    am_item *it = &cat->items[cat->nitems++];
    it->agency = (uint16_t)agency;
    it->unit = unit;
    it->periodic = periodic;
    it->duplicate_window_days = window;
    am_status st = copy_names(t, value, len, line, &it->code, &it->name_zh, &it->name_en);
    if (st != AM_OK)
        cat->nitems--;
    return st == AM_OK ? remember(t, it->code, NULL, 0) : st;
}

static am_status load_fact(table_reader *t, char *const *value, const size_t *len,
                           uint64_t line)
{
    am_catalogue *cat = t->cat;
    if (lookup(t->codes, value[0], len[0]))
        return fail_at(t, line, "duplicate code '%s'", value[0]);
    int lo = 0, hi = 0;
    if (len[3] || len[4]) {
        if (!parse_small_int(value[3], len[3], 1, 99, &lo) ||
            !parse_small_int(value[4], len[4], 1, 99, &hi) || lo > hi)
            return fail_at(t, line, "value_min and value_max must be 1-99 with min <= max");
    }
    if (!AM_RESERVE(cat->facts, cat->capfacts, cat->nfacts + 1))
        return am_fail(t->err, AM_ERR_NOMEM, "%s: out of memory", t->path);
    am_fact *f = &cat->facts[cat->nfacts++];
    f->value_min = lo;
    f->value_max = hi;
    am_status st = copy_names(t, value, len, line, &f->code, &f->name_zh, &f->name_en);
    if (st != AM_OK)
        cat->nfacts--;
    return st == AM_OK ? remember(t, f->code, NULL, 0) : st;
}

static am_status load_area(table_reader *t, char *const *value, const size_t *len,
                           uint64_t line)
{
    am_catalogue *cat = t->cat;
    uint32_t code = 0;
    int six_digits = len[0] == 6;
    for (size_t i = 0; six_digits && i < 6; i++) {
        six_digits = value[0][i] >= '0' && value[0][i] <= '9';
        code = code * 10 + (uint32_t)(value[0][i] - '0');
    }
    if (!six_digits)
        return fail_at(t, line, "area code '%s' must be six digits", value[0]);
    if (len[1] == 0)
        return fail_at(t, line, "area %s has no name", value[0]);
    if (!AM_RESERVE(cat->areas, cat->capareas, cat->nareas + 1))
        return am_fail(t->err, AM_ERR_NOMEM, "%s: out of memory", t->path);
    am_area_name *a = &cat->areas[cat->nareas++];
    a->code = code;
    a->name = am_strndup(value[1], len[1]);
    a->city = am_strndup(value[2], len[2]);
    a->status = am_strndup(value[3], len[3]);
    if (!a->name || !a->city || !a->status)
        return am_fail(t->err, AM_ERR_NOMEM, "%s: out of memory", t->path);
    return AM_OK;
}

static int compare_areas(const void *pa, const void *pb)
{
    const am_area_name *a = pa, *b = pb;
    return a->code < b->code ? -1 : a->code > b->code;
}

/* areas.csv is optional: without it, reports show bare codes. */
static am_status load_areas(am_catalogue *cat, const char *dir, am_err *err)
{
    static const char *const area_cols[] = {"code", "name", "?city", "?status", NULL};
    char path[4096];
    struct stat sb;
    if ((size_t)snprintf(path, sizeof path, "%s/areas.csv", dir) >= sizeof path)
        return am_fail(err, AM_ERR_IO, "%s: path too long", dir);
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return AM_OK;
    table_reader t = {.cat = cat, .err = err, .wanted = area_cols, .load = load_area};
    am_status st = read_table(&t, dir, "areas.csv");
    if (st != AM_OK)
        return st;
    /* An areas.csv of a header only leaves no array to hand qsort. */
    if (cat->nareas > 1)
        qsort(cat->areas, cat->nareas, sizeof *cat->areas, compare_areas);
    for (size_t i = 1; i < cat->nareas; i++)
        if (cat->areas[i].code == cat->areas[i - 1].code)
            return am_fail(err, AM_ERR_FORMAT, "%s: area code %06u is listed twice", path,
                           (unsigned)cat->areas[i].code);
    return AM_OK;
}

const am_area_name *am_catalogue_area(const am_catalogue *cat, uint32_t code)
{
    const am_area_name key = {.code = code};
    return cat->nareas ? bsearch(&key, cat->areas, cat->nareas, sizeof *cat->areas, compare_areas)
                       : NULL;
}

am_status am_catalogue_load(am_catalogue *cat, const char *dir, am_err *err)
{
    static const char *const agency_cols[] = {"code", "name_zh", "name_en", NULL};
    static const char *const item_cols[] = {"code", "name_zh", "name_en", "agency", "unit",
                                            "periodicity", "?duplicate_window_days", NULL};
    static const char *const fact_cols[] = {"code", "name_zh", "name_en", "?value_min",
                                            "?value_max", NULL};
    am_name_map codes = {0}, agencies = {0};
    table_reader t = {.cat = cat, .err = err, .wanted = agency_cols, .load = load_agency,
                      .codes = &codes, .agencies = &agencies};
    am_status st = read_table(&t, dir, "agencies.csv");
    if (st == AM_OK) {
        t = (table_reader){.cat = cat, .err = err, .wanted = item_cols, .load = load_item,
                           .codes = &codes, .agencies = &agencies};
        st = read_table(&t, dir, "items.csv");
    }
    if (st == AM_OK) {
        t = (table_reader){.cat = cat, .err = err, .wanted = fact_cols, .load = load_fact,
                           .codes = &codes, .agencies = &agencies};
        st = read_table(&t, dir, "facts.csv");
    }
    am_name_map_free(&codes);
    am_name_map_free(&agencies);
    if (st == AM_OK)
        st = load_areas(cat, dir, err);
    if (st == AM_OK && cat->nitems + cat->nfacts > UINT16_MAX)
        st = am_fail(err, AM_ERR_LIMIT, "%s: more than %d items and facts", dir, UINT16_MAX);
    if (st != AM_OK)
        am_catalogue_free(cat);
    return st;
}

void am_catalogue_free(am_catalogue *cat)
{
    for (size_t i = 0; i < cat->nagencies; i++) {
        am_free(cat->agencies[i].code);
        am_free(cat->agencies[i].name_zh);
        am_free(cat->agencies[i].name_en);
    }
    for (size_t i = 0; i < cat->nitems; i++) {
        am_free(cat->items[i].code);
        am_free(cat->items[i].name_zh);
        am_free(cat->items[i].name_en);
    }
    for (size_t i = 0; i < cat->nfacts; i++) {
        am_free(cat->facts[i].code);
        am_free(cat->facts[i].name_zh);
        am_free(cat->facts[i].name_en);
    }
    for (size_t i = 0; i < cat->nareas; i++) {
        am_free(cat->areas[i].name);
        am_free(cat->areas[i].city);
        am_free(cat->areas[i].status);
    }
    am_free(cat->agencies);
    am_free(cat->items);
    am_free(cat->facts);
    am_free(cat->areas);
    memset(cat, 0, sizeof *cat);
}

static int same_code(const char *code, const char *text, size_t len)
{
    return strncmp(code, text, len) == 0 && code[len] == '\0';
}

int am_catalogue_agency(const am_catalogue *cat, const char *code, size_t len)
{
    for (size_t i = 0; i < cat->nagencies; i++)
        if (same_code(cat->agencies[i].code, code, len))
            return (int)i;
    return -1;
}

int am_catalogue_item(const am_catalogue *cat, const char *code, size_t len)
{
    for (size_t i = 0; i < cat->nitems; i++)
        if (same_code(cat->items[i].code, code, len))
            return (int)i;
    return -1;
}

int am_catalogue_fact(const am_catalogue *cat, const char *code, size_t len)
{
    for (size_t i = 0; i < cat->nfacts; i++)
        if (same_code(cat->facts[i].code, code, len))
            return (int)i;
    return -1;
}

const char *am_code_name(const am_catalogue *cat, unsigned code)
{
    return am_code_is_item(cat, code) ? cat->items[code].code
                                      : cat->facts[code - cat->nitems].code;
}
