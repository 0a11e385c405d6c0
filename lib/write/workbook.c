/*
 * workbook.c — findings.xlsx (see workbook.h), written with libxlsxwriter.
 *
 * The sheets repeat the CSV files cell for cell, so that a value read in
 * Excel is the value a script reads: the same text (with the same
 * apostrophe before a cell a spreadsheet would run as a formula,
 * common/csv_out.h) and the same numbers, held as numbers.  Rows are
 * written in order in libxlsxwriter's constant-memory mode, so a county's
 * million rejects cost a temporary file, not memory.  The workbook is
 * written over a temporary file beside path and renamed into place like
 * every other output (common/atomic_file.h).  It is dated by the run
 * date, so the same run gives the same bytes.
 */
#include "write/workbook.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

#include "common/alloc.h"
#include "common/atomic_file.h"
#include "common/csv_out.h"
#include "cycle/cycle.h"
#include "cycle/review.h"
#include "write/links.h"

typedef struct column {
    const char *zh, *en;
    double width;
} column;

typedef struct sheet {
    lxw_worksheet *ws;
    lxw_format *text, *money, *count;
    lxw_row_t row;
    lxw_col_t ncols;
    lxw_error error;
    const am_cycle *cycle;
    const am_reject_list *rejects;
    const am_links *links;
    am_review_rows review_rows;
    char *scratch; /* a cell's text with its apostrophe, or cut to Excel's limit */
    size_t scratch_size;
} sheet;

static void remember(sheet *s, lxw_error e)
{
    if (e != LXW_NO_ERROR && s->error == LXW_NO_ERROR)
        s->error = e;
}

/* The bytes of the first max characters of text, or its whole length
 * when it has no more; *cut says whether it had. */
static size_t cell_fit(const char *text, size_t len, size_t max, int *cut)
{
    size_t chars = 0;
    *cut = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)text[i] & 0xC0) == 0x80)
            continue;
        if (chars++ == max) {
            *cut = 1;
            return i;
        }
    }
    return len;
}

/* A text cell, as the CSV writes it: with a leading apostrophe when a
 * spreadsheet would read it as a formula.  A text longer than a cell
 * holds is cut, with an ellipsis; the CSV file has it whole. */
static void text_cell(sheet *s, lxw_col_t col, const char *text)
{
    const int formula = am_cell_is_formula(text);
    const size_t len = strlen(text);
    int cut;
    size_t keep = cell_fit(text, len, AM_WORKBOOK_CELL_MAX - (size_t)formula, &cut);
    if (!formula && !cut) {
        remember(s, worksheet_write_string(s->ws, s->row, col, text, s->text));
        return;
    }
    if (cut)
        keep = cell_fit(text, len, AM_WORKBOOK_CELL_MAX - (size_t)formula - 1, &cut);
    const size_t need = keep + 8;
    if (!AM_RESERVE(s->scratch, s->scratch_size, need)) {
        remember(s, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    char *o = s->scratch;
    if (formula)
        *o++ = '\'';
    memcpy(o, text, keep);
    o += keep;
    if (cut) {
        memcpy(o, "…", strlen("…"));
        o += strlen("…");
    }
    *o = '\0';
    remember(s, worksheet_write_string(s->ws, s->row, col, s->scratch, s->text));
}

static void number_cell(sheet *s, lxw_col_t col, double value, lxw_format *format)
{
    remember(s, worksheet_write_number(s->ws, s->row, col, value, format));
}

/* Money in fen as yuan: exact in a double up to 2^53 fen. */
static void money_cell(sheet *s, lxw_col_t col, int64_t fen)
{
    number_cell(s, col, (double)fen / 100.0, s->money);
}

/* Adds a sheet with its header row (Chinese title over the CSV column
 * name), frozen, and its columns' widths. */
static void open_sheet(sheet *s, lxw_workbook *wb, const char *name, const column *cols,
                       lxw_col_t n, lxw_format *header)
{
    s->ws = workbook_add_worksheet(wb, name);
    s->ncols = n;
    s->row = 0;
    if (!s->ws) {
        remember(s, LXW_ERROR_MEMORY_MALLOC_FAILED);
        return;
    }
    for (lxw_col_t c = 0; c < n; c++)
        remember(s, worksheet_set_column(s->ws, c, c, cols[c].width, NULL));
    remember(s, worksheet_set_row(s->ws, 0, 32, NULL));
    char title[128];
    for (lxw_col_t c = 0; c < n; c++) {
        snprintf(title, sizeof title, "%s\n%s", cols[c].zh, cols[c].en);
        remember(s, worksheet_write_string(s->ws, 0, c, title, header));
    }
    worksheet_freeze_panes(s->ws, 1, 0);
    s->row = 1;
}

/* The auto-filter over the header and every row written. */
static void close_sheet(sheet *s)
{
    if (s->ws)
        remember(s, worksheet_autofilter(s->ws, 0, 0, s->row > 1 ? s->row - 1 : 1,
                                         s->ncols - 1));
}

/* Whether one more data row fits; when only the last row is left and
 * more remain, it says how many more the CSV file holds. */
static int room(sheet *s, size_t left, const char *file)
{
    if (s->row < AM_WORKBOOK_ROWS_MAX - 1 || (s->row == AM_WORKBOOK_ROWS_MAX - 1 && left == 1))
        return 1;
    if (s->row == AM_WORKBOOK_ROWS_MAX - 1) {
        char note[96];
        snprintf(note, sizeof note, "… %zu more rows in %s", left, file);
        text_cell(s, 0, note);
        s->row++;
    }
    return 0;
}

static const column finding_columns[] = {
    {"线索编号", "finding_id", 34},     {"类型", "kind", 20},
    {"规则", "rule_id", 8},             {"对象", "unit", 10},
    {"对象令牌", "subject", 34},        {"救助项目", "items", 28},
    {"部门", "agencies", 14},           {"开始日期", "period_start", 12},
    {"结束日期", "period_end", 12},     {"天数", "overlap_days", 10},
    {"涉及金额（元）", "amount_at_stake", 16}, {"证据（数据源:行号）", "evidence", 40},
    {"政策依据", "policy_source", 40},  {"优先级", "priority", 9},
    {"事实指纹", "facts", 34},          {"关联概率", "linked", 10},
    {"可能的身份证号错误", "possible_id_error", 24},
};

static void write_findings(sheet *s)
{
    const am_cycle *cycle = s->cycle;
    size_t left = 0;
    for (size_t i = 0; i < cycle->findings->count; i++)
        left += !cycle->review->v[i].suppressed;
    for (size_t i = 0; i < cycle->findings->count && s->error == LXW_NO_ERROR; i++) {
        if (cycle->review->v[i].suppressed)
            continue;
        if (!room(s, left--, "findings.csv"))
            break;
        const am_finding *p = &cycle->findings->v[i].pub;
        const char *const texts[] = {p->id,       am_kind_name(p->kind), p->rule_id,
                                     p->unit,     p->subject,            p->items,
                                     p->agencies, p->period_start,       p->period_end};
        for (lxw_col_t c = 0; c < 9; c++)
            text_cell(s, c, texts[c]);
        number_cell(s, 9, (double)p->overlap_days, s->count);
        money_cell(s, 10, p->amount_fen);
        text_cell(s, 11, p->evidence);
        text_cell(s, 12, p->policy_source);
        text_cell(s, 13, p->priority);
        text_cell(s, 14, cycle->review->v[i].facts);
        char linked[8];
        am_links_of_evidence(s->links, &cycle->match, p->evidence, linked);
        text_cell(s, 15, linked);
        char id_error[AM_ID_ERROR_FIELD_MAX];
        am_possible_id_error(&s->review_rows, &cycle->match, p, id_error, sizeof id_error);
        text_cell(s, 16, id_error);
        s->row++;
    }
}

static const column reject_columns[] = {
    {"数据源", "feed", 20},
    {"行号", "line", 10},
    {"原因", "reason", 22},
    {"说明", "detail", 60},
};

static void write_rejects(sheet *s)
{
    const am_cycle *cycle = s->cycle;
    const am_reject_list *rejects = s->rejects;
    for (size_t i = 0; i < rejects->count && s->error == LXW_NO_ERROR; i++) {
        if (!room(s, rejects->count - i, "rejects.csv"))
            break;
        const am_reject_entry *r = &rejects->v[i];
        text_cell(s, 0, cycle->match.feeds[r->feed]->name);
        number_cell(s, 1, (double)r->line, s->count);
        text_cell(s, 2, am_reject_name((am_reject)r->reason));
        text_cell(s, 3, r->detail);
        s->row++;
    }
}

static const column feed_columns[] = {
    {"数据源", "name", 20},          {"部门", "agency", 10},
    {"编码", "encoding", 10},        {"字节数", "bytes", 14},
    {"读取行数", "rows_read", 12},   {"入库行数", "rows_ingested", 12},
    {"拒收行数", "rows_rejected", 12},
};

static void write_feeds(sheet *s)
{
    const am_cycle *cycle = s->cycle;
    for (size_t i = 0; i < cycle->match.nfeeds && s->error == LXW_NO_ERROR; i++) {
        const am_feed *feed = cycle->match.feeds[i];
        text_cell(s, 0, feed->name);
        text_cell(s, 1, feed->agency >= 0 ? cycle->match.catalogue->agencies[feed->agency].code : "");
        text_cell(s, 2, am_encoding_name(feed->encoding_used));
        number_cell(s, 3, (double)feed->bytes_read, s->count);
        number_cell(s, 4, (double)feed->rows_read, s->count);
        number_cell(s, 5, (double)feed->rows_ingested, s->count);
        number_cell(s, 6, (double)feed->rows_rejected, s->count);
        s->row++;
    }
}

#define NCOLS(a) ((lxw_col_t)(sizeof a / sizeof *a))

/* libxlsxwriter formats the document's date with gmtime(), whose result
 * lives in one buffer for the whole process, when it closes a workbook.
 * Contexts in separate threads may write their outputs at the same time,
 * so closing is done one workbook at a time.  The only state shared
 * between contexts; it orders the closes and holds nothing. */
static pthread_mutex_t workbook_close_lock = PTHREAD_MUTEX_INITIALIZER;

am_status am_workbook_write(const am_cycle *cycle, const am_reject_list *rejects,
                            const am_links *links, const char *path, am_err *err)
{
    am_atomic_file f;
    am_status st = am_atomic_open(&f, path, err);
    if (st != AM_OK)
        return st;
    /* libxlsxwriter writes the file by name: over the temporary file, which
     * the commit then syncs and renames. */
    char *tmpdir = am_strdup(f.temp_path);
    if (!tmpdir) {
        am_atomic_abort(&f);
        return am_fail(err, AM_ERR_NOMEM, "out of memory writing %s", path);
    }
    char *slash = strrchr(tmpdir, '/');
    if (slash)
        *(slash == tmpdir ? slash + 1 : slash) = '\0';
    lxw_workbook_options options = {.constant_memory = 1,
                                    .tmpdir = slash ? tmpdir : NULL};
    lxw_workbook *wb = workbook_new_opt(f.temp_path, &options);
    if (!wb) {
        am_free(tmpdir);
        am_atomic_abort(&f);
        return am_fail(err, AM_ERR_NOMEM, "%s: cannot start the workbook", path);
    }
    /* Dated by the run date (day numbers count from 1970-01-01), never
     * by the clock, so that the same run gives the same bytes. */
    lxw_doc_properties properties = {
        .title = "aidmatch findings",
        .created = cycle->run_date_set ? (time_t)cycle->run_date * 86400 : (time_t)315532800};
    workbook_set_properties(wb, &properties);
    lxw_format *header = workbook_add_format(wb);
    format_set_bold(header);
    format_set_text_wrap(header);
    format_set_bg_color(header, 0xDCE6F1);
    sheet s = {.cycle = cycle, .rejects = rejects, .links = links, .text = NULL};
    if (am_review_rows_build(links, &s.review_rows) != AM_OK)
        s.error = LXW_ERROR_MEMORY_MALLOC_FAILED;
    s.money = workbook_add_format(wb);
    format_set_num_format(s.money, "#,##0.00");
    s.count = workbook_add_format(wb);
    format_set_num_format(s.count, "0");

    open_sheet(&s, wb, "线索 findings", finding_columns, NCOLS(finding_columns), header);
    write_findings(&s);
    close_sheet(&s);
    open_sheet(&s, wb, "拒收 rejects", reject_columns, NCOLS(reject_columns), header);
    write_rejects(&s);
    close_sheet(&s);
    open_sheet(&s, wb, "数据源 feeds", feed_columns, NCOLS(feed_columns), header);
    write_feeds(&s);
    close_sheet(&s);

    errno = 0;
    pthread_mutex_lock(&workbook_close_lock);
    const lxw_error closed = workbook_close(wb);
    const int close_errno = errno;
    pthread_mutex_unlock(&workbook_close_lock);
    am_free(s.scratch);
    am_free(tmpdir);
    am_review_rows_free(&s.review_rows);
    if (s.error == LXW_NO_ERROR)
        s.error = closed;
    if (s.error != LXW_NO_ERROR) {
        am_atomic_abort(&f);
        if (s.error == LXW_ERROR_MEMORY_MALLOC_FAILED)
            return am_fail(err, AM_ERR_NOMEM, "out of memory writing %s", path);
        return am_fail(err, AM_ERR_IO, "%s: cannot write the workbook: %s", path,
                       close_errno ? strerror(close_errno) : lxw_strerror(s.error));
    }
    return am_atomic_commit(&f, err);
}
