/*
 * ingest.c — turning feed rows into records, or into rejects with a reason.
 *
 * Every data row ends in exactly one of two places: the store, or the
 * reject list with a reason, so that rows_read = rows_ingested +
 * rows_rejected for every feed.  A raw ID is never kept: it is hashed into
 * a token as its row is mapped, and the copies made on the way (the
 * normalised ID, and the last row's IDs that a repeat is compared with)
 * are wiped once done with.  Names are never read at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "read/ingest.h"

#include "common/alloc.h"
#include "common/blanks.h"
#include "common/thread_pair.h"
#include "common/fault.h"
#include "store/area.h"
#include "read/feed_run.h"
#include "read/feed_split.h"
#include "common/money.h"
#include "read/link_input.h"
#include "read/name.h"
#include "read/progress.h"
#include "read/resident_id.h"


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
            am_trim_cell(&name, &len);
            if (len == strlen(feed->column[c]) && memcmp(name, feed->column[c], len) == 0) {
                st->column_index[c] = (int)f;
                break;
            }
        }
        if (st->column_index[c] < 0)
            return am_fail(st->err, AM_ERR_FORMAT,
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
    am_trim_cell(text, &len);
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

static int repeats(const am_last_id *last, const char *text, size_t len)
{
    return len && len == last->len && memcmp(text, last->text, len) == 0;
}

static void remember(am_last_id *last, const char *text, size_t len,
                     const unsigned char token[AM_TOKEN_BYTES])
{
    /* Without memory for it, the next row only misses the shortcut. */
    if (!last->text && !(last->text = am_secret_malloc(AM_HOUSEHOLD_ID_MAX)))
        len = 0;
    last->len = len <= AM_HOUSEHOLD_ID_MAX ? len : 0;
    if (last->len)
        memcpy(last->text, text, last->len);
    memcpy(last->token, token, AM_TOKEN_BYTES);
}

int am_mapper_person(am_row_mapper *st, const am_text_row *row, am_record *rec, row_outcome *out)
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
    if (repeats(&st->last_person, text, len)) {
        memcpy(rec->person, st->last_person.token, AM_TOKEN_BYTES);
        am_area_put(rec, st->last_person_area);
        return 1;
    }
    char id[AM_ID_LEN];
    am_reject why;
    if (!am_id_normalise(text, len, id, &why))
        return reject(out, why, col, am_id_expected(why));
    am_token_person(feed->run->key, id, rec->person);
    am_area_set(rec, id); /* the six-digit area code only (area.h) */
    sodium_memzero(id, sizeof id);
    remember(&st->last_person, text, len, rec->person);
    st->last_person_area = am_area_of(rec);
    return 1;
}

void am_mapper_wipe(am_row_mapper *m)
{
    am_secret_free(m->last_person.text);
    am_secret_free(m->last_household.text);
    sodium_memzero(&m->last_person, sizeof m->last_person);
    sodium_memzero(&m->last_household, sizeof m->last_household);
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
                            : !am_token_household(feed->run->key, text, len, token))
        return reject(out, AM_REJECT_BAD_HOUSEHOLD, col,
                      feed->ids_tokenised ? "expected a 32-hex-digit token"
                                          : "longer than 64 bytes");
    return 1;
}

/* What readers reading at once share.  A move claims room at the ends of
 * the context's arrays under the mutex, then fills it outside: filling
 * (copying, and the first writes to fresh pages, dear in a virtual
 * machine) was most of the time the lock was held, and the other reader
 * waited for it.  So an array may grow, and move, only while no move is
 * filling, and the progress callback, which may call into the context,
 * is called only then too.  The test suite's build tells a hook of fills
 * opening, waits and growths (fault.h), so that a test can hold a fill
 * open while another reader's claim needs the arrays grown. */
typedef struct ingest_lock {
    pthread_mutex_t mutex;
    pthread_cond_t filled; /* broadcast when filling drops to 0 */
    size_t filling;        /* moves filling their room, under mutex */
} ingest_lock;

/* Where a reading's rows go: a batch of records and rejects of its own,
 * moved into the context every BATCH rows (its room claimed under the
 * lock when feeds are read in parallel), so that readers do not contend
 * row by row and no feed is ever held twice in memory.  A batch record's
 * household is an index into the batch's tokens, interned into the
 * context's table only when the batch moves: one table lookup per
 * household, not two. */
#ifdef AM_FAULT_INJECTION
/* A few rows, so that the allocation-failure tests fail a move in the
 * middle of a feed, and the move tried again when the reading ends. */
#define BATCH 16
#else
#define BATCH 65536
#endif

struct ingest_sink {
    const am_feed_run *run;
    ingest_lock *lock;      /* NULL when reading alone */
    am_record *records;     /* BATCH of them once allocated; household =
                             * index into tokens + 1 */
    size_t nrecords;
    unsigned char (*tokens)[AM_TOKEN_BYTES]; /* BATCH of them once allocated */
    size_t ntokens;
    uint32_t *refs;         /* the context's reference of each token, at a move */
    am_reject_list rejects;
    uint32_t last_index; /* the reading's last household's place in tokens + 1;
                          * 0 once its batch has moved */
    am_link_input links; /* moved with the batch (link_input.h) */
    am_name_chars *name_chars; /* allocated at the first name; NULL if that failed */
    int name_chars_tried;
    am_err err;
};

/* Appends a token to the batch's; 0 when out of memory. */
static uint32_t add_token(ingest_sink *sink, const unsigned char token[AM_TOKEN_BYTES])
{
    if (!sink->tokens && !(sink->tokens = am_malloc(BATCH * sizeof *sink->tokens)))
        return 0;
    memcpy(sink->tokens[sink->ntokens++], token, AM_TOKEN_BYTES);
    return (uint32_t)sink->ntokens;
}

static int parse_household(am_row_mapper *st, const am_text_row *row, am_record *rec,
                           row_outcome *out)
{
    ingest_sink *sink = st->sink;
    const char *text;
    const size_t len = column_text(st, row, AM_COL_HOUSEHOLD, &text);
    rec->household = 0;
    if (repeats(&st->last_household, text, len)) {
        if (!sink->last_index)
            sink->last_index = add_token(sink, st->last_household.token);
        rec->household = sink->last_index;
    } else {
        unsigned char token[AM_TOKEN_BYTES];
        int present;
        if (!am_mapper_household_token(st, row, token, &present, out))
            return 0;
        if (!present)
            return 1;
        remember(&st->last_household, text, len, token);
        rec->household = sink->last_index = add_token(sink, token);
    }
    if (!rec->household) {
        st->status = am_fail(st->err, AM_ERR_NOMEM, "out of memory interning households");
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

/* What a bad date was expected to look like: the feed's formats. */
static const char *expected_date(const am_feed *feed, char *buf, size_t size)
{
    const am_date_formats *f = &feed->date_formats;
    if (f->n == 0)
        return "expected a real date as YYYY-MM-DD, YYYYMMDD or YYYY/M/D";
    size_t used = (size_t)snprintf(buf, size, "expected a real date as ");
    for (unsigned i = 0; i < f->n && used < size; i++) {
        const char *what = f->f[i].kind == AM_DATE_EXCEL  ? "an Excel serial day number"
                           : f->f[i].kind == AM_DATE_AUTO ? "YYYY-MM-DD, YYYYMMDD or YYYY/M/D"
                                                          : f->f[i].pattern;
        used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                 i == 0 ? "" : i + 1 == f->n ? " or " : ", ", what);
    }
    return buf;
}

/* A day of a period: the first day a month pattern covers, or with last
 * (the end of a period) its last. */
static int parse_day(const am_row_mapper *st, const am_text_row *row, am_column c, int required,
                     int last, int32_t *day, int *present, row_outcome *out)
{
    const am_feed *feed = st->feed;
    const char *text;
    const size_t len = column_text(st, row, c, &text);
    *present = len > 0;
    if (len == 0)
        return required ? reject(out, AM_REJECT_MISSING_DATE, feed->column[c], "empty") : 1;
    int32_t first_day, last_day;
    if (!am_day_parse_formats(&feed->date_formats, text, len, &first_day, &last_day)) {
        char expected[AM_DATE_FORMATS_MAX * (AM_DATE_PATTERN_MAX + 4) + 64];
        return reject(out, AM_REJECT_BAD_DATE, feed->column[c],
                      expected_date(feed, expected, sizeof expected));
    }
    *day = last ? last_day : first_day;
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
        const char *text;
        const size_t len = column_text(st, row, AM_COL_DATE, &text);
        if (len == 0)
            return reject(out, AM_REJECT_MISSING_DATE, feed->column[AM_COL_DATE], "empty");
        /* A month pattern in a one-day column covers the whole month. */
        if (!am_day_parse_formats(&feed->date_formats, text, len, &rec->start, &rec->end)) {
            char expected[AM_DATE_FORMATS_MAX * (AM_DATE_PATTERN_MAX + 4) + 64];
            return reject(out, AM_REJECT_BAD_DATE, feed->column[AM_COL_DATE],
                          expected_date(feed, expected, sizeof expected));
        }
        return 1;
    }
    /* Registry facts may have been in force since before records began,
     * and may still be: an empty start or end is open. */
    if (!parse_day(st, row, AM_COL_START, payments, 0, &rec->start, &present, out))
        return 0;
    if (!present)
        rec->start = AM_DAY_EVER;
    if (!parse_day(st, row, AM_COL_END, payments, 1, &rec->end, &present, out))
        return 0;
    if (!present)
        rec->end = AM_DAY_OPEN;
    if (rec->end < rec->start)
        return reject(out, AM_REJECT_END_BEFORE_START, feed->column[AM_COL_END],
                      "the period ends before it starts");
    return 1;
}

/* The amount as am_money_parse reads it: the feed's unit dropped from
 * its end, its thousands mark written as ','.  Returns the length, or 0
 * when the text cannot be an amount of this feed (a ',' where the feed
 * declares another mark or none, or longer than out). */
static size_t normalise_amount(const am_feed *feed, const char *text, size_t len, char *out,
                               size_t size)
{
    const size_t unit = strlen(feed->amount_unit);
    if (unit && len > unit && memcmp(text + len - unit, feed->amount_unit, unit) == 0) {
        len -= unit;
        while (len && text[len - 1] == ' ')
            len--;
    }
    const size_t mark = strlen(feed->thousands);
    size_t n = 0;
    for (size_t i = 0; i < len; n++) {
        if (n + 1 >= size)
            return 0;
        if (mark && mark <= len - i && memcmp(text + i, feed->thousands, mark) == 0) {
            out[n] = ',';
            i += mark;
        } else if (text[i] == ',') {
            return 0;
        } else {
            out[n] = text[i++];
        }
    }
    return n;
}

static int parse_amount(const am_row_mapper *st, const am_text_row *row, am_record *rec,
                        row_outcome *out)
{
    const am_feed *feed = st->feed;
    if (feed->kind != AM_FEED_PAYMENTS)
        return 1;
    const char *col = feed->column[AM_COL_AMOUNT];
    const char *text;
    size_t len = column_text(st, row, AM_COL_AMOUNT, &text);
    if (len == 0)
        return reject(out, AM_REJECT_MISSING_AMOUNT, col, "empty");
    char plain[64];
    const int custom = feed->amount_unit[0] || strcmp(feed->thousands, ",") != 0;
    if (custom) {
        len = normalise_amount(feed, text, len, plain, sizeof plain);
        text = plain;
    }
    switch (len ? am_money_parse(text, len, &rec->amount_fen) : AM_MONEY_BAD) {
    case AM_MONEY_OK:
        break;
    case AM_MONEY_NEGATIVE:
        return reject(out, AM_REJECT_NEGATIVE_AMOUNT, col, "negative amount");
    case AM_MONEY_OVERFLOW:
        return reject(out, AM_REJECT_ABSURD_AMOUNT, col, "amount above the feed's max_amount");
    case AM_MONEY_BAD:
        return reject(out, AM_REJECT_BAD_AMOUNT, col,
                      feed->amount_unit[0] ? "expected yuan with at most two decimals, e.g. "
                                             "1234.50, with or without the feed's amount_unit"
                                           : "expected yuan with at most two decimals, e.g. "
                                             "1234.50 (set amount_unit = 元 for amounts "
                                             "written 1234.50元)");
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
    const am_catalogue *cat = feed->run->catalogue;
    rec->value = 0;
    if (am_code_is_item(cat, rec->code))
        return 1;
    const am_fact *fact = &cat->facts[rec->code - cat->nitems];
    if (fact->value_max == 0)
        return 1;
    const char *text;
    const size_t len = column_text(st, row, AM_COL_VALUE, &text);
    int grade;
    if (!parse_grade(text, len, &grade) || grade < fact->value_min || grade > fact->value_max) {
        char expected[80];
        snprintf(expected, sizeof expected, "expected a value from %d to %d", fact->value_min,
                 fact->value_max);
        return reject(out, AM_REJECT_BAD_GRADE, feed->column[AM_COL_VALUE], expected);
    }
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

static void lock(const ingest_sink *sink)
{
    if (sink->lock)
        pthread_mutex_lock(&sink->lock->mutex);
}

static void unlock(const ingest_sink *sink)
{
    if (sink->lock)
        pthread_mutex_unlock(&sink->lock->mutex);
}

#ifdef AM_FAULT_INJECTION
static am_fault_ingest_fn *test_hook;
static void *test_hook_user;

void am_fault_on_ingest(am_fault_ingest_fn *fn, void *user)
{
    test_hook = fn;
    test_hook_user = user;
}

/* Tells the test suite's hook of an event of readers reading at once. */
static void tell_test(const ingest_sink *sink, am_fault_ingest_event event, size_t filling)
{
    if (sink->lock && test_hook)
        test_hook(event, filling, test_hook_user);
}
#else
static void tell_test(const ingest_sink *sink, int event, size_t filling)
{
    (void)sink, (void)event, (void)filling;
}
#endif

/* Under the lock: waits until no move is filling room it claimed. */
static void wait_filled(const ingest_sink *sink)
{
    if (sink->lock && sink->lock->filling) {
        tell_test(sink, AM_FAULT_WAITS_FOR_FILLS, sink->lock->filling);
        while (sink->lock->filling)
            pthread_cond_wait(&sink->lock->filled, &sink->lock->mutex);
    }
}

/* Interns the batch's household tokens into the context's table, all in
 * one call, whose lookups overlap their cache misses; each token's
 * reference goes to sink->refs.  Returns AM_OK, AM_ERR_LIMIT or
 * AM_ERR_NOMEM. */
static am_status intern_households(ingest_sink *sink)
{
    if (!sink->ntokens)
        return AM_OK;
    if (!sink->refs && !(sink->refs = am_malloc(BATCH * sizeof *sink->refs)))
        return AM_ERR_NOMEM;
    return am_store_households(sink->run->store, sink->tokens[0], sink->ntokens, sink->refs);
}

/* A partitioned run's registry entries go to disk, their households as
 * tokens (link_input.h): linking reads them back sorted, so that a
 * province's registry is never held in memory. */
enum { REGISTRY_CHUNK = 256 };

static am_status spill_registry(ingest_sink *sink, const am_record_spill *spill)
{
    am_link_people *reg = &sink->links.registry;
    am_link_spilled_person chunk[REGISTRY_CHUNK];
    am_status st = AM_OK;
    for (size_t i = 0; st == AM_OK && i < reg->n;) {
        size_t k = 0;
        for (; k < REGISTRY_CHUNK && i < reg->n; k++, i++) {
            const am_link_person *p = &reg->v[i];
            am_link_person_spilled(p, p->household ? sink->tokens[p->household - 1] : NULL,
                                   &chunk[k]);
        }
        st = spill->put_registry(spill->user, chunk, k, sizeof *chunk, &sink->err);
    }
    sodium_memzero(chunk, sizeof chunk);
    sodium_memzero(reg->v, reg->n * sizeof *reg->v);
    reg->n = 0;
    return st;
}

/* Moves the batch into a partitioned run's files (store/spill.h), under
 * the lock. */
static am_status move_to_disk(ingest_sink *sink)
{
    /* The records go to disk with their tokens, and so do the registry's
     * entries when the run takes them.  Linking's other rows stay in
     * memory (link_input.h), their households numbered in the context's
     * table as in a run in memory. */
    const am_record_spill *spill = sink->run->spill;
    const am_link_input *l = &sink->links;
    am_status st = AM_OK;
    if (l->registry.n && spill->put_registry && (st = spill_registry(sink, spill)) != AM_OK)
        return st;
    int linking = l->held.n || l->registry.n || l->sample.n;
    for (size_t r = 0; r < AM_REJECT__COUNT; r++)
        linking |= l->no_repair[r] != 0;
    if (linking)
        st = intern_households(sink);
    if (st == AM_OK)
        st = spill->put(spill->user, sink->records, sink->nrecords,
                        (const unsigned char(*)[AM_TOKEN_BYTES])sink->tokens, &sink->err);
    if (st != AM_OK)
        return st;
    if (linking && am_link_input_move(sink->run->links, &sink->links, sink->refs) != AM_OK)
        return AM_ERR_NOMEM;
    sink->nrecords = 0;
    sink->ntokens = 0;
    sink->last_index = 0;
    return AM_OK;
}

/* Room claimed in the context for a batch (ingest_lock). */
typedef struct batch_claim {
    am_record *records;
    am_link_claim links;
} batch_claim;

/* Whether the context's arrays take the batch without growing. */
static int batch_fits(const ingest_sink *sink)
{
    const am_store *global = sink->run->store;
    return global->count + sink->nrecords <= global->capacity &&
           am_link_input_fits(sink->run->links, &sink->links);
}

/* The first half of a move into a run in memory, under the lock: the
 * batch's households interned and room claimed for its records and
 * linking's rows.  Returns AM_OK, AM_ERR_LIMIT or AM_ERR_NOMEM with
 * nothing claimed (the households may be interned, and the arrays grown,
 * which a retry finds as they are: growing waited for the fills). */
static am_status claim_room(ingest_sink *sink, batch_claim *claim)
{
    am_store *global = sink->run->store;
    const am_status st = intern_households(sink);
    if (st != AM_OK)
        return st;
    if (!batch_fits(sink)) {
        wait_filled(sink);
        tell_test(sink, AM_FAULT_ARRAYS_GROW, sink->lock ? sink->lock->filling : 0);
    }
    if (am_store_reserve(global, sink->nrecords) != AM_OK ||
        am_link_input_claim(sink->run->links, &sink->links, &claim->links) != AM_OK)
        return AM_ERR_NOMEM;
    claim->records = global->records ? global->records + global->count : NULL;
    global->count += sink->nrecords;
    return AM_OK;
}

/* The second half, outside the lock: the batch copied into its room,
 * households renumbered, and the batch emptied. */
static void fill_room(ingest_sink *sink, const batch_claim *claim)
{
    if (sink->nrecords)
        am_prefault(claim->records, sink->nrecords * sizeof *claim->records);
    for (size_t i = 0; i < sink->nrecords; i++) {
        am_record *r = &claim->records[i];
        *r = sink->records[i];
        if (r->household)
            r->household = sink->refs[r->household - 1];
    }
    am_link_input_fill(&sink->links, &claim->links, sink->refs);
    sink->nrecords = 0;
    sink->ntokens = 0;
    sink->last_index = 0;
}

/* Records in the store that the findings do not account for: the run is
 * ingested again, whatever it was (a snapshot's context ignores them).
 * Every reading ends with a move, so every feed read marks the run. */
static void mark_ingested(const am_feed_run *run)
{
    if (*run->stage != AM_STAGE_SNAPSHOT)
        *run->stage = AM_STAGE_INGESTED;
}

/* A move's status, with the sink's message set for a failure. */
static am_status flush_failed(ingest_sink *sink, am_status st)
{
    if (st == AM_ERR_LIMIT)
        return am_fail(&sink->err, st, "more than %u households", UINT32_MAX - 1);
    if (st == AM_ERR_IO)
        return st; /* a partition file's failure, told in sink->err */
    return st == AM_OK ? AM_OK : am_fail(&sink->err, st, "out of memory storing records");
}

/* Moves the batch into the context: its records, linking's rows and its
 * rejects.  The batch is left as it was until the move cannot fail: a
 * failed move is tried again, once, when the reading ends; a failed move
 * of the rejects alone leaves them for that retry. */
static am_status flush(ingest_sink *sink)
{
    const am_record_spill *spill = sink->run->spill;
    lock(sink);
    /* Before the store changes, so that nothing called meanwhile (a
     * progress callback) takes the findings, or the review's pointers
     * into the store, for current. */
    mark_ingested(sink->run);
    if (spill && spill->put) {
        am_status st = move_to_disk(sink);
        if (st == AM_OK)
            st = am_reject_list_move(sink->run->rejects, &sink->rejects);
        unlock(sink);
        return flush_failed(sink, st);
    }
    batch_claim claim;
    am_status st = claim_room(sink, &claim);
    if (st != AM_OK) {
        unlock(sink);
        return flush_failed(sink, st);
    }
    const size_t filling = sink->lock ? ++sink->lock->filling : 0;
    st = am_reject_list_move(sink->run->rejects, &sink->rejects);
    unlock(sink);
    tell_test(sink, AM_FAULT_FILL_OPENS, filling);
    fill_room(sink, &claim);
    if (sink->lock) {
        lock(sink);
        if (--sink->lock->filling == 0)
            pthread_cond_broadcast(&sink->lock->filled);
        unlock(sink);
    }
    return flush_failed(sink, st);
}

static am_status sink_reject(ingest_sink *sink, am_feed *feed, uint64_t line, am_reject reason,
                             const char *detail)
{
    if (am_reject_add(&sink->rejects, feed, line, reason, detail) != AM_OK)
        return am_fail(&sink->err, AM_ERR_NOMEM, "out of memory recording rejects");
    return AM_OK;
}

static void sink_release(ingest_sink *sink)
{
    am_reject_list_free(&sink->rejects);
    am_free(sink->tokens);
    am_free(sink->refs);
    am_free(sink->records);
    am_link_input_free(&sink->links);
    if (sink->name_chars)
        sodium_memzero(sink->name_chars, sizeof *sink->name_chars);
    am_free(sink->name_chars);
}

/* Calls the progress callback, one reader at a time. */
static int progress_row(ingest_sink *sink, am_feed *feed, const am_text_row *row)
{
    if (!sink->run->progress->fn)
        return 0;
    lock(sink);
    /* Most rows only count; the lock waits for fills only for a call. */
    if (am_progress_due(feed))
        wait_filled(sink);
    const int stop = am_progress_row(feed, row);
    unlock(sink);
    return stop;
}

/* Linking damaged IDs (link_input.h): what a row gives the linking stage.
 * Only rows whose ID failed with a repairable reason, the registry's rows
 * and a few sampled rows pay for it; a valid row of a payments feed past
 * the sample pays one comparison. */
static int link_may_repair(const am_row_mapper *st, am_reject why)
{
    return st->link_role == AM_LINK_HOLD &&
           (why == AM_REJECT_BAD_CHECK_DIGIT || why == AM_REJECT_BAD_BIRTH_DATE ||
            why == AM_REJECT_BAD_LENGTH || why == AM_REJECT_EXCEL_MANGLED);
}

static void name_evidence(const am_row_mapper *st, const am_text_row *row, am_name_evidence *ev)
{
    ingest_sink *sink = st->sink;
    if (!sink->name_chars_tried) {
        sink->name_chars_tried = 1;
        sink->name_chars = am_calloc(1, sizeof *sink->name_chars); /* NULL: each token computed */
    }
    const char *text;
    const size_t len = column_text(st, row, AM_COL_NAME, &text);
    am_name_evidence_make(st->feed->run->key, sink->name_chars, text, len, ev);
}

/* Whether the feed maps a column that states evidence for linking. */
static int maps_evidence(const am_row_mapper *st)
{
    return st->column_index[AM_COL_NAME] >= 0 || st->column_index[AM_COL_BIRTH_DATE] >= 0 ||
           st->column_index[AM_COL_SEX] >= 0 || st->column_index[AM_COL_AREA] >= 0;
}

/* What the row's birth_date, sex and area columns state (person_facts.h). */
static void stated_facts(const am_row_mapper *st, const am_text_row *row, am_person_facts *out)
{
    const am_feed *feed = st->feed;
    const char *text;
    size_t len = column_text(st, row, AM_COL_BIRTH_DATE, &text);
    out->birth = am_birth_token(feed->run->key, &feed->date_formats, text, len);
    len = column_text(st, row, AM_COL_SEX, &text);
    out->sex = (uint8_t)am_sex_parse(text, len);
    len = column_text(st, row, AM_COL_AREA, &text);
    out->area = am_area_parse(text, len);
}

/* What a sampled row's valid ID says of its person; read again, as only
 * the sample needs it. */
static void own_facts(const am_row_mapper *st, const am_text_row *row, am_person_facts *out)
{
    const char *text;
    const size_t len = column_text(st, row, AM_COL_PERSON, &text);
    char id[AM_ID_LEN];
    am_reject why;
    if (am_id_normalise(text, len, id, &why))
        am_person_facts_of_id(st->feed->run->key, id, out);
    sodium_memzero(id, sizeof id);
}

static void link_gather(am_row_mapper *st, const am_text_row *row, const am_record *rec)
{
    const int registry = st->link_role == AM_LINK_REGISTRY;
    if (!registry && (st->sampled >= AM_LINK_SAMPLE_PER_FEED || !maps_evidence(st)))
        return;
    am_link_person p = {.household = rec->household};
    memcpy(p.person, rec->person, AM_TOKEN_BYTES);
    name_evidence(st, row, &p.name);
    am_link_input *links = &st->sink->links;
    if (registry) {
        if (am_link_push_person(&links->registry, &p) != AM_OK)
            st->status = am_fail(st->err, AM_ERR_NOMEM, "out of memory gathering evidence");
        return;
    }
    am_link_sampled sampled = {.p = p, .line = rec->line, .feed = rec->feed};
    stated_facts(st, row, &sampled.stated);
    if (!p.name.nchars && !sampled.stated.birth && !sampled.stated.sex && !sampled.stated.area)
        return;
    own_facts(st, row, &sampled.own);
    st->sampled++;
    if (am_link_push_sampled(&links->sample, &sampled) != AM_OK)
        st->status = am_fail(st->err, AM_ERR_NOMEM, "out of memory gathering evidence");
}

/* Rejects a row whose ID is damaged, holding it for linking with the
 * tokens of its repairs when it has any: its reject is then listed
 * whatever max_rejects until linking settles the list (reject.h). */
static void link_hold(am_row_mapper *st, const am_text_row *row, const am_record *rec,
                      const row_outcome *out)
{
    const char *text;
    const size_t len = column_text(st, row, AM_COL_PERSON, &text);
    char ids[AM_ID_REPAIRS_MAX][AM_ID_LEN];
    const size_t n = am_id_repairs(text, len, out->reason, ids);
    if (!n) {
        st->sink->links.no_repair[out->reason]++;
        st->status = sink_reject(st->sink, st->feed, row->line, out->reason, out->detail);
        return;
    }
    am_link_candidate candidates[AM_ID_REPAIRS_MAX];
    for (size_t i = 0; i < n; i++) {
        am_token_person(st->feed->run->key, ids[i], candidates[i].person);
        am_person_facts_next(st->feed->run->key, ids[i], i ? ids[i - 1] : NULL,
                             i ? &candidates[i - 1].id : NULL, &candidates[i].id);
    }
    sodium_memzero(ids, n * AM_ID_LEN);
    am_link_input *links = &st->sink->links;
    am_link_row held = {.rec = *rec, .first = (uint32_t)links->ncandidates,
                        .ncandidates = (uint8_t)n, .reason = (uint8_t)out->reason};
    if (st->column_index[AM_COL_NAME] >= 0)
        name_evidence(st, row, &held.name);
    stated_facts(st, row, &held.stated);
    /* The reject first: a held row always has its entry to take back. */
    if (am_reject_add_held(&st->sink->rejects, st->feed, row->line, out->reason, out->detail) !=
            AM_OK ||
        am_link_push_candidates(links, candidates, n) != AM_OK ||
        am_link_push(&links->held, &held) != AM_OK)
        st->status = am_fail(st->err, AM_ERR_NOMEM, "out of memory holding rows for linking");
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
        st->status = am_fail(st->err, AM_ERR_LIMIT, "%s: more than %u lines",
                             feed->path_for_stats, UINT32_MAX);
        return 1;
    }
    feed->rows_read++;
    if (progress_row(st->sink, st->progress_feed ? st->progress_feed : feed, row)) {
        st->status = am_fail(st->err, AM_ERR_ABORTED, "stopped by the progress callback");
        return 1;
    }
    am_record rec = {.feed = feed->index};
    row_outcome out, rest;
    rec.line = (uint32_t)row->line;
    const int shaped = am_mapper_shape(st, row, &out);
    const int identified = shaped && am_mapper_person(st, row, &rec, &out);
    /* A damaged ID is still today's reject unless the rest of its row
     * passes and linking finds it a person (link_hold). */
    const int damaged = shaped && !identified && link_may_repair(st, out.reason);
    const int ok = (identified || damaged) && parse_code(st, row, &rec, &rest) &&
                   parse_period(st, row, &rec, &rest) && parse_amount(st, row, &rec, &rest) &&
                   parse_value(st, row, &rec, &rest) && parse_household(st, row, &rec, &rest);
    if (identified && !ok)
        out = rest;
    if (st->status != AM_OK)
        return 1;
    ingest_sink *sink = st->sink;
    if (ok && identified) {
        if (!sink->records && !(sink->records = am_malloc(BATCH * sizeof *sink->records))) {
            st->status = am_fail(st->err, AM_ERR_NOMEM, "out of memory storing records");
            return 1;
        }
        sink->records[sink->nrecords++] = rec;
        feed->rows_ingested++;
        if (st->link_role != AM_LINK_NONE)
            link_gather(st, row, &rec);
    } else {
        /* A row held for linking is a reject until linking finds its
         * person, so that the counts reconcile at every moment. */
        if (ok)
            link_hold(st, row, &rec, &out);
        else
            st->status = sink_reject(sink, feed, row->line, out.reason, out.detail);
    }
    if (st->status == AM_OK && sink->nrecords + sink->rejects.count + sink->links.held.n >= BATCH)
        st->status = flush(sink);
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
        return am_fail(st->err, AM_ERR_FORMAT, "%s:1: feed %s is empty: no header",
                       feed->path_for_stats, feed->name);
    return AM_OK;
}

am_status am_mapper_prepare(am_feed *feed, const char *path)
{
    if (feed->ingested)
        return am_fail(feed->run->err, AM_ERR_INVALID, "feed %s: already ingested", feed->name);
    const am_status st = am_feed_validate(feed);
    if (st != AM_OK)
        return st;
    char *copy = am_strdup(path);
    if (!copy)
        return am_fail(feed->run->err, AM_ERR_NOMEM, "out of memory");
    am_free(feed->path_for_stats);
    feed->path_for_stats = copy;
    return AM_OK;
}

/* Whether feed is the hukou registry, whose persons are linking's
 * candidates: a registry feed of the catalogue's HUKOU fact. */
static int is_hukou_registry(const am_feed *feed)
{
    const am_catalogue *cat = feed->run->catalogue;
    const int fact = am_catalogue_fact(cat, "HUKOU", 5);
    return feed->kind == AM_FEED_REGISTRY && fact >= 0 &&
           feed->code_constant == (int)am_code_of_fact(cat, (unsigned)fact);
}

/* What a feed's rows give linking (AM_LINK_*): none when its IDs are
 * tokens already. */
static int link_role_of(const am_feed *feed)
{
    if (feed->ids_tokenised)
        return AM_LINK_NONE;
    return is_hukou_registry(feed) ? AM_LINK_REGISTRY : AM_LINK_HOLD;
}

/* Ends a reading (a feed's or a part's): its raw IDs wiped, its counts
 * set, its last batch moved.  Even a reading that failed half-way keeps
 * the rows it counted, so that its statistics and the rejects agree. */
static am_status end_reading(am_row_mapper *state, am_status read_status,
                             const am_read_result *result, ingest_sink *sink)
{
    am_mapper_wipe(state);
    const am_status st = finish(state, read_status, result);
    const am_status flushed = flush(sink);
    return st == AM_OK ? flushed : st;
}

/* Tells the progress callback that feed is done. */
static am_status tell_done(const am_feed *feed, ingest_sink *sink)
{
    lock(sink);
    wait_filled(sink); /* the callback may call into the context (ingest_lock) */
    const int stop = sink->run->progress->fn && am_progress_end(feed);
    unlock(sink);
    return stop ? am_fail(&sink->err, AM_ERR_ABORTED, "stopped by the progress callback") : AM_OK;
}

/* Reads one prepared feed, from its file or from data, into sink. */
static am_status read_feed(am_feed *feed, ingest_sink *sink, const void *data, size_t len)
{
    am_row_mapper state = {.feed = feed, .err = &sink->err, .sink = sink,
                           .link_role = link_role_of(feed)};
    am_read_result result = {0};
    lock(sink);
    am_progress_begin(feed, data ? NULL : feed->file, data, len);
    unlock(sink);
    am_reader_opts opts = feed->reader;
    opts.inflate_ahead = *feed->run->threads > 1;
    am_status st = data || !feed->file
                       ? am_read_csv_buffer(data, len, feed->name, &opts, on_row, &state, &result,
                                            &sink->err)
                       : am_read_csv_file(feed->file, &opts, on_row, &state, &result, &sink->err);
    st = end_reading(&state, st, &result, sink);
    return st == AM_OK ? tell_done(feed, sink) : st;
}

am_status am_feed_ingest_buffer(am_feed *feed, const void *data, size_t len)
{
    if (!feed)
        return AM_ERR_INVALID;
    if ((!data && len))
        return am_fail(feed->run->err, AM_ERR_INVALID, "am_feed_ingest_buffer: data is NULL");
    am_status st = am_mapper_prepare(feed, feed->name);
    if (st != AM_OK)
        return st;
    ingest_sink sink = {.run = feed->run};
    st = read_feed(feed, &sink, data ? data : "", len);
    if (st != AM_OK)
        memcpy(feed->run->err, &sink.err, sizeof sink.err);
    sink_release(&sink);
    am_reject_list_sort(feed->run->rejects);
    return st;
}

/* How much text a file holds, as far as can be told before reading it.  A
 * gzip file ends with the size of its text (modulo 2^32, of its last
 * member only): a better guide to the reading order than its stored size,
 * which can be a tenth of it. */
static uint64_t text_size(const char *path, uint64_t stored)
{
    unsigned char head[2], tail[4];
    uint64_t size = stored;
    const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return size; /* the read itself will say why */
    if (stored >= 18 && pread(fd, head, 2, 0) == 2 && head[0] == 0x1f && head[1] == 0x8b &&
        pread(fd, tail, 4, (off_t)(stored - 4)) == 4) {
        const uint64_t isize = (uint64_t)tail[0] | (uint64_t)tail[1] << 8 |
                               (uint64_t)tail[2] << 16 | (uint64_t)tail[3] << 24;
        if (isize > size)
            size = isize;
    }
    close(fd);
    return size;
}

/* Checks up front that every feed can be read, so that a missing export
 * stops the night in a second, not after the other feeds were read. */
static am_status prepare_file(am_feed *feed)
{
    if (!feed->file)
        return am_fail(feed->run->err, AM_ERR_FORMAT,
                       "feed %s has no file: every declared feed must be read", feed->name);
    am_status st = am_mapper_prepare(feed, feed->file);
    if (st != AM_OK)
        return st;
    struct stat sb;
    const int e = stat(feed->file, &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : 0;
    if (e)
        return am_fail(feed->run->err, AM_ERR_IO, "%s: %s (feed %s)", feed->file, strerror(e),
                       feed->name);
    if (!S_ISREG(sb.st_mode))
        return am_fail(feed->run->err, AM_ERR_IO, "%s: not a regular file (feed %s)", feed->file,
                       feed->name);
    feed->text_size = text_size(feed->file, (uint64_t)sb.st_size);
    return AM_OK;
}

/* A feed read in parts (feed_split.h): the plan the parts share, the
 * header the later parts take from the first, and each part's own copy
 * of the feed, whose counts are added into the feed when the last part
 * ends, in file order. */
typedef struct split_part {
    am_feed counts;
    am_status status;
    am_err err;
} split_part;

typedef struct split_feed {
    am_feed_plan plan;
    int columns[AM_COL__COUNT];
    size_t header_fields;
    size_t remaining;   /* parts not yet read, under the pool's lock */
    size_t first_failed; /* the first part in file order that failed so far,
                          * SIZE_MAX for none, under the pool's lock */
    split_part part[AM_SPLIT_MAX_PARTS];
} split_feed;

typedef struct ingest_job {
    am_feed *feed;
    split_feed *split; /* NULL: the feed whole, or its parts not planned yet */
    size_t part;
} ingest_job;

typedef struct ingest_pool {
    const am_feed_run *run;
    ingest_lock lock; /* the pool's state and the context, for readers at once */
    ingest_job *queue; /* most text first, so the last feed read is a short one */
    size_t nqueue, next, capqueue;
    unsigned threads;
    /* Feeds being surveyed for parts: while any is, a worker with nothing
     * to take waits on planned for the parts instead of ending. */
    size_t planning;
    pthread_cond_t planned;
    /* The lowest declaration index that failed so far, SIZE_MAX for none.
     * Feeds declared after it are skipped; those declared before it are
     * still read, so that the error reported is the first declared feed's
     * whatever the reading order and thread count. */
    size_t first_failed;
} ingest_pool;

/* The header row of a feed about to be read in parts: its columns, and
 * nothing more read. */
static int take_header(void *user, const am_text_row *row)
{
    am_row_mapper *st = user;
    st->header_seen = 1;
    st->status = am_mapper_header(st, row);
    return 1;
}

typedef struct ingest_worker {
    ingest_pool *pool;
    ingest_sink sink;
    am_status status;
    size_t failed_feed; /* declaration index of the feed that failed */
    am_err error;       /* its message: the sink's is overwritten by later feeds */
} ingest_worker;

/* Reads the header of a feed about to be read in parts, for the parts
 * after the first: 1 with its columns in split, 0 to read it whole (the
 * whole read then says what is wrong with it), -1 out of memory. */
static int header_of(am_feed *feed, split_feed *split)
{
    am_err scratch;
    am_row_mapper header = {.feed = feed, .err = &scratch};
    am_reader_opts opts = feed->reader;
    opts.encoding = split->plan.encoding;
    const am_status st = am_read_csv_part(split->plan.fd, feed->file, 0, split->plan.offset[1], 1,
                                          &opts, take_header, &header, NULL, &scratch);
    am_mapper_wipe(&header);
    if (st == AM_ERR_NOMEM || header.status == AM_ERR_NOMEM)
        return -1;
    if (st != AM_ERR_ABORTED || header.status != AM_OK || !header.header_seen)
        return 0;
    memcpy(split->columns, header.column_index, sizeof split->columns);
    split->header_fields = header.header_fields;
    return 1;
}

/* Whether a feed taken whole is surveyed for parts first. */
static int may_split(const ingest_pool *pool, const am_feed *feed)
{
    return am_feed_split_parts(feed->text_size, feed->split_above, pool->threads) >= 2;
}

/* Plans job's feed in parts (may_split): the survey, the header, and the
 * later parts queued first for the other threads.  Leaves job whole when
 * the feed is not cut; returns AM_ERR_NOMEM, with sink's message, when
 * memory ran out.  Holds the pool's lock only to queue the parts. */
static am_status plan_parts(ingest_pool *pool, ingest_job *job, ingest_sink *sink)
{
    am_feed *feed = job->feed;
    const size_t want = am_feed_split_parts(feed->text_size, feed->split_above, pool->threads);
    split_feed *split = am_calloc(1, sizeof *split);
    int planned = split ? am_feed_plan_make(feed->file, &feed->reader, want, &split->plan) : -1;
    if (planned == 1)
        planned = header_of(feed, split);
    if (planned != 1) {
        if (split)
            am_feed_plan_close(&split->plan);
        am_free(split);
        return planned < 0 ? am_fail(&sink->err, AM_ERR_NOMEM, "out of memory planning %s in parts",
                                     feed->name)
                           : AM_OK;
    }
    const size_t later = split->plan.nparts - 1;
    pthread_mutex_lock(&pool->lock.mutex);
    /* Copied under the lock: other feeds' parts may be telling progress. */
    for (size_t k = 0; k <= later; k++) {
        am_feed *counts = &split->part[k].counts;
        *counts = *feed;
        counts->rows_read = counts->rows_ingested = counts->rows_rejected = 0;
        memset(counts->by_reason, 0, sizeof counts->by_reason);
        memset(counts->held_by_reason, 0, sizeof counts->held_by_reason);
    }
    if (!AM_RESERVE(pool->queue, pool->capqueue, pool->nqueue + later)) {
        pthread_mutex_unlock(&pool->lock.mutex);
        am_feed_plan_close(&split->plan);
        am_free(split);
        return am_fail(&sink->err, AM_ERR_NOMEM, "out of memory planning %s in parts",
                       feed->name);
    }
    memmove(pool->queue + pool->next + later, pool->queue + pool->next,
            (pool->nqueue - pool->next) * sizeof *pool->queue);
    for (size_t k = 1; k <= later; k++)
        pool->queue[pool->next + k - 1] = (ingest_job){.feed = feed, .split = split, .part = k};
    pool->nqueue += later;
    split->remaining = split->plan.nparts;
    split->first_failed = SIZE_MAX;
    am_progress_begin(feed, feed->file, NULL, 0);
    pthread_mutex_unlock(&pool->lock.mutex);
    job->split = split;
    job->part = 0;
    return AM_OK;
}

/* Adds a part's counts into its feed. */
static void add_counts(am_feed *feed, const am_feed *part)
{
    feed->rows_read += part->rows_read;
    feed->rows_ingested += part->rows_ingested;
    feed->rows_rejected += part->rows_rejected;
    for (size_t r = 0; r < AM_REJECT__COUNT; r++) {
        feed->by_reason[r] += part->by_reason[r];
        feed->held_by_reason[r] += part->held_by_reason[r];
    }
}

/* Ends a feed read in parts, once its last part is read: its counts, its
 * hash, and the first part's failure in file order, which is the failure
 * a whole read would have met first. */
static am_status merge_parts(am_feed *feed, split_feed *split, ingest_sink *sink)
{
    am_status st = AM_OK;
    for (size_t k = 0; k < split->plan.nparts; k++) {
        add_counts(feed, &split->part[k].counts);
        if (st == AM_OK && split->part[k].status != AM_OK) {
            st = split->part[k].status;
            memcpy(&sink->err, &split->part[k].err, sizeof sink->err);
        }
    }
    feed->ingested = 1;
    feed->encoding_used = split->plan.encoding;
    feed->bytes_read = split->plan.bytes;
    memcpy(feed->xxh3, st == AM_OK ? split->plan.xxh3 : "", st == AM_OK ? sizeof feed->xxh3 : 1);
    am_feed_plan_close(&split->plan);
    am_free(split);
    if (st != AM_OK)
        return st;
    return tell_done(feed, sink);
}

/* Reads one part of a feed into sink with a copy of the feed for its
 * counts.  Returns the feed's status once its last part is read, else
 * AM_OK: a part's failure is the feed's, told by the merge. */
static am_status read_part(ingest_pool *pool, const ingest_job *job, ingest_sink *sink)
{
    am_feed *feed = job->feed;
    split_feed *split = job->split;
    split_part *part = &split->part[job->part];
    am_feed *counts = &part->counts;
    am_row_mapper state = {.feed = counts, .progress_feed = feed, .err = &sink->err, .sink = sink,
                           .link_role = link_role_of(feed)};
    /* Every part in the encoding the survey decided on the whole text:
     * the first part alone might decide otherwise, on fewer bytes. */
    am_reader_opts opts = feed->reader;
    opts.encoding = split->plan.encoding;
    if (job->part > 0) {
        state.header_seen = 1;
        memcpy(state.column_index, split->columns, sizeof state.column_index);
        state.header_fields = split->header_fields;
    }
    /* After a part fails, the parts after it are not read (a whole read
     * would have stopped); those before it are, as a whole read would have
     * met their failures first. */
    pthread_mutex_lock(&pool->lock.mutex);
    const int skip = job->part > split->first_failed;
    pthread_mutex_unlock(&pool->lock.mutex);
    am_status st = AM_OK;
    if (!skip) {
        const am_feed_plan *plan = &split->plan;
        am_read_result result = {0};
        st = am_read_csv_part(plan->fd, feed->file, plan->offset[job->part],
                              plan->offset[job->part + 1] - plan->offset[job->part],
                              plan->first_line[job->part], &opts, on_row, &state, &result,
                              &sink->err);
        st = end_reading(&state, st, &result, sink);
    }
    part->status = st;
    if (st != AM_OK)
        memcpy(&part->err, &sink->err, sizeof part->err);
    pthread_mutex_lock(&pool->lock.mutex);
    if (st != AM_OK) {
        /* Feeds declared after this one are not started from now on. */
        if (job->part < split->first_failed)
            split->first_failed = job->part;
        if (feed->index < pool->first_failed)
            pool->first_failed = feed->index;
    }
    const int last = --split->remaining == 0;
    pthread_mutex_unlock(&pool->lock.mutex);
    return last ? merge_parts(feed, split, sink) : AM_OK;
}

static void *ingest_work(void *arg)
{
    ingest_worker *w = arg;
    ingest_pool *pool = w->pool;
    for (;;) {
        ingest_job job = {0};
        int planning = 0;
        pthread_mutex_lock(&pool->lock.mutex);
        for (;;) {
            while (!job.feed && pool->next < pool->nqueue) {
                job = pool->queue[pool->next++];
                /* A part is read whatever failed: its feed ends with its last. */
                if (!job.split && job.feed->index > pool->first_failed)
                    job.feed = NULL;
            }
            if (job.feed || !pool->planning)
                break;
            pthread_cond_wait(&pool->planned, &pool->lock.mutex);
        }
        if (job.feed && !job.split && may_split(pool, job.feed)) {
            planning = 1;
            pool->planning++;
        }
        pthread_mutex_unlock(&pool->lock.mutex);
        if (!job.feed)
            return NULL;
        am_status st = AM_OK;
        if (planning) {
            st = plan_parts(pool, &job, &w->sink);
            pthread_mutex_lock(&pool->lock.mutex);
            pool->planning--;
            pthread_cond_broadcast(&pool->planned);
            pthread_mutex_unlock(&pool->lock.mutex);
        }
        if (st == AM_OK)
            st = job.split ? read_part(pool, &job, &w->sink) : read_feed(job.feed, &w->sink, NULL, 0);
        if (st != AM_OK) {
            /* A worker keeps the error of its lowest failed feed. */
            if (w->status == AM_OK || job.feed->index < w->failed_feed) {
                w->status = st;
                w->failed_feed = job.feed->index;
                memcpy(&w->error, &w->sink.err, sizeof w->error);
            }
            pthread_mutex_lock(&pool->lock.mutex);
            if (job.feed->index < pool->first_failed)
                pool->first_failed = job.feed->index;
            pthread_mutex_unlock(&pool->lock.mutex);
        }
    }
}

/* The pool's lock and conditions: 1, or 0 with none of them left. */
static int pool_sync_init(ingest_pool *pool)
{
    if (pthread_mutex_init(&pool->lock.mutex, NULL) != 0)
        return 0;
    if (pthread_cond_init(&pool->planned, NULL) != 0) {
        pthread_mutex_destroy(&pool->lock.mutex);
        return 0;
    }
    if (pthread_cond_init(&pool->lock.filled, NULL) != 0) {
        pthread_cond_destroy(&pool->planned);
        pthread_mutex_destroy(&pool->lock.mutex);
        return 0;
    }
    return 1;
}

static void pool_sync_destroy(ingest_pool *pool)
{
    pthread_cond_destroy(&pool->lock.filled);
    pthread_cond_destroy(&pool->planned);
    pthread_mutex_destroy(&pool->lock.mutex);
}

static int more_text_first(const void *pa, const void *pb)
{
    const am_feed *a = ((const ingest_job *)pa)->feed, *b = ((const ingest_job *)pb)->feed;
    if (a->text_size != b->text_size)
        return a->text_size > b->text_size ? -1 : 1;
    return a->index < b->index ? -1 : 1;
}

am_status am_ingest_all(const am_feed_run *run)
{
    const size_t nfeeds = *run->nfeeds;
    am_feed *const *feeds = *run->feeds;
    if (nfeeds == 0)
        return am_fail(run->err, AM_ERR_INVALID, "no feeds declared");
    ingest_pool pool = {.run = run, .first_failed = SIZE_MAX, .capqueue = nfeeds};
    pool.queue = am_malloc(nfeeds * sizeof *pool.queue);
    if (!pool.queue)
        return am_fail(run->err, AM_ERR_NOMEM, "out of memory");
    int some_split = 0;
    for (size_t i = 0; i < nfeeds; i++) {
        if (feeds[i]->ingested)
            continue;
        const am_status st = prepare_file(feeds[i]);
        if (st != AM_OK) {
            am_free(pool.queue);
            return st;
        }
        pool.queue[pool.nqueue++] = (ingest_job){.feed = feeds[i]};
        some_split |= am_feed_split_parts(feeds[i]->text_size, feeds[i]->split_above,
                                         *run->threads) > 1;
    }
    qsort(pool.queue, pool.nqueue, sizeof *pool.queue, more_text_first);
    /* As many threads as feeds, unless a feed is read in parts. */
    unsigned threads = *run->threads < pool.nqueue || some_split ? *run->threads
                                                                : (unsigned)pool.nqueue;
    if (threads < 1)
        threads = 1;
    pool.threads = threads;
    ingest_worker *workers = am_calloc(threads, sizeof *workers);
    pthread_t *ids = am_calloc(threads, sizeof *ids);
    if (!workers || !ids || !pool_sync_init(&pool)) {
        am_free(workers);
        am_free(ids);
        am_free(pool.queue);
        return am_fail(run->err, AM_ERR_NOMEM, "out of memory");
    }
    for (unsigned t = 0; t < threads; t++)
        workers[t] = (ingest_worker){.pool = &pool, .status = AM_OK,
                                     .sink = {.run = run, .lock = threads > 1 ? &pool.lock : NULL}};
    /* Worker 0 reads on this thread; if a thread cannot start, the others
     * read its share. */
    unsigned started = 1;
    for (unsigned t = 1; t < threads; t++, started++)
        if (am_thread_start(&ids[t], ingest_work, &workers[t]) != 0)
            break;
    ingest_work(&workers[0]);
    for (unsigned t = 1; t < started; t++)
        pthread_join(ids[t], NULL);
    /* Of several failures, report the first feed's, as a single reader would. */
    am_status st = AM_OK;
    size_t failed = SIZE_MAX;
    for (unsigned t = 0; t < threads; t++) {
        if (workers[t].status != AM_OK && workers[t].failed_feed < failed) {
            failed = workers[t].failed_feed;
            st = workers[t].status;
            memcpy(run->err, &workers[t].error, sizeof *run->err);
        }
        sink_release(&workers[t].sink);
    }
    pool_sync_destroy(&pool);
    am_free(workers);
    am_free(ids);
    am_free(pool.queue);
    am_reject_list_sort(run->rejects);
    return st;
}
