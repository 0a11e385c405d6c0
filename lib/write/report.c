/*
 * report.c — report.html (see report.h): totals and money at stake by
 * finding kind, by agency, by item and by area code; what changed since
 * the previous run; data quality per feed; case outcomes; and the top
 * findings by amount at stake with their evidence records.
 *
 * One file, no script, no external resource: inline CSS and inline SVG
 * bar charts, so it opens offline in any browser and can be mailed as is.
 * Every text that may come from configuration or input is escaped.  The
 * page carries no clock time: the same run gives the same bytes.  Tallies
 * count the findings of findings.csv; suppressed findings are counted
 * apart.  Everything the page needs is allocated before the file is
 * opened, so running out of memory never leaves half a report.
 */
#include "write/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "store/area.h"
#include "common/atomic_file.h"
#include "cycle/cycle.h"
#include "common/day.h"
#include "cycle/drift.h"
#include "match/duplicate.h"
#include "match/facts.h"
#include "read/catalogue.h"
#include "common/money.h"
#include "cycle/review.h"
#include "write/links.h"

/* ------------------------------------------------------------------ */
/* Text                                                                 */

static void esc(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

/* "1234567.89" -> "1,234,567.89"; out holds 48 bytes. */
static void money_text(int64_t fen, char out[48])
{
    char plain[32];
    am_money_format(fen, plain);
    const char *dot = strchr(plain, '.');
    const char *digits = plain[0] == '-' ? plain + 1 : plain;
    const size_t nint = (size_t)(dot - digits);
    char *o = out;
    if (digits != plain)
        *o++ = '-';
    for (size_t i = 0; i < nint; i++) {
        if (i && (nint - i) % 3 == 0)
            *o++ = ',';
        *o++ = digits[i];
    }
    strcpy(o, dot);
}

static void yuan(FILE *out, int64_t fen)
{
    char text[48];
    money_text(fen, text);
    fprintf(out, "¥%s", text);
}

/* 1234567 -> "1,234,567"; out holds 32 bytes. */
static void count_text(uint64_t n, char out[32])
{
    char plain[24];
    snprintf(plain, sizeof plain, "%" PRIu64, n);
    const size_t len = strlen(plain);
    char *o = out;
    for (size_t i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            *o++ = ',';
        *o++ = plain[i];
    }
    *o = '\0';
}

static void count(FILE *out, uint64_t n)
{
    char text[32];
    count_text(n, text);
    fputs(text, out);
}

/* part/whole as "12.3 %" (rounded half up); "—" when whole is 0. */
static void percent(FILE *out, uint64_t part, uint64_t whole)
{
    if (!whole) {
        fputs("—", out);
        return;
    }
    const uint64_t pm = (part * 1000 + whole / 2) / whole;
    fprintf(out, "%" PRIu64 ".%" PRIu64 "&#8239;%%", pm / 10, pm % 10);
}

/* ------------------------------------------------------------------ */
/* Labels                                                               */

static const char *const kind_zh[AM_KIND__COUNT] = {
    [AM_KIND_DUPLICATE] = "重复享受",
    [AM_KIND_HOUSEHOLD_DUPLICATE] = "家庭重复享受",
    [AM_KIND_CONFLICT] = "互斥项目同时享受",
    [AM_KIND_MISSING] = "应享未享",
    [AM_KIND_AFTER_DEATH] = "死亡后仍发放",
    [AM_KIND_DISQUALIFIED] = "不符合条件仍发放",
};
static const char *const kind_en[AM_KIND__COUNT] = {
    [AM_KIND_DUPLICATE] = "duplicate aid",
    [AM_KIND_HOUSEHOLD_DUPLICATE] = "household duplicate",
    [AM_KIND_CONFLICT] = "conflicting aid",
    [AM_KIND_MISSING] = "missing aid",
    [AM_KIND_AFTER_DEATH] = "paid after death",
    [AM_KIND_DISQUALIFIED] = "paid while disqualified",
};
static const char *const kind_colour[AM_KIND__COUNT] = {
    "#d9534f", "#e8833a", "#8e44ad", "#2e86c1", "#34495e", "#b7950b",
};
static const char *const change_zh[AM_CHANGE__COUNT] = {"新增", "持续", "已消除"};
static const char *const change_colour[AM_CHANGE__COUNT] = {"#d9534f", "#e8a33a", "#2e9d57"};
static const char *const outcome_zh[AM_OUTCOME__COUNT] = {"未处理", "属实", "已纠正", "无问题"};
static const char *const outcome_en[AM_OUTCOME__COUNT] = {"not handled yet", "confirmed",
                                                          "corrected", "no issue"};

/* Priorities in the order they are worked on. */
#define PRIORITIES 3
static const char *const priority_code[PRIORITIES] = {"high", "normal", "low"};
static const char *const priority_zh[PRIORITIES] = {"高", "普通", "低"};

static int priority_rank(const char *priority)
{
    for (int p = 0; p < PRIORITIES; p++)
        if (strcmp(priority, priority_code[p]) == 0)
            return p;
    return 1;
}

/* Why a row was not taken, in words (rejects.csv gives the reason's code). */
static const char *const reject_zh[AM_REJECT__COUNT] = {
    [AM_REJECT_MISSING_ID] = "身份证号为空",
    [AM_REJECT_BAD_LENGTH] = "身份证号位数不对",
    [AM_REJECT_BAD_CHAR] = "身份证号含非数字字符",
    [AM_REJECT_BAD_BIRTH_DATE] = "身份证号中的出生日期不存在",
    [AM_REJECT_BAD_CHECK_DIGIT] = "身份证号校验位不符（多为录入错误）",
    [AM_REJECT_EXCEL_MANGLED] = "身份证号被 Excel 改坏",
    [AM_REJECT_BAD_TOKEN] = "令牌格式不对",
    [AM_REJECT_BAD_HOUSEHOLD] = "户号无法使用",
    [AM_REJECT_MISSING_DATE] = "日期为空",
    [AM_REJECT_BAD_DATE] = "日期无法识别或不存在",
    [AM_REJECT_END_BEFORE_START] = "结束日期早于开始日期",
    [AM_REJECT_MISSING_AMOUNT] = "金额为空",
    [AM_REJECT_BAD_AMOUNT] = "金额无法识别",
    [AM_REJECT_NEGATIVE_AMOUNT] = "金额为负",
    [AM_REJECT_ABSURD_AMOUNT] = "金额超出合理上限",
    [AM_REJECT_UNKNOWN_ITEM] = "项目名称不在对照表中",
    [AM_REJECT_BAD_GRADE] = "等级超出范围",
    [AM_REJECT_TOO_FEW_FIELDS] = "列数不足",
    [AM_REJECT_TOO_MANY_FIELDS] = "列数过多",
    [AM_REJECT_BAD_ENCODING] = "乱码（文字编码不符）",
    [AM_REJECT_FIELD_TOO_LONG] = "单元格内容过长",
    [AM_REJECT_EMBEDDED_NUL] = "含不可见的空字符",
};
static const char *const reject_en[AM_REJECT__COUNT] = {
    [AM_REJECT_MISSING_ID] = "no ID number",
    [AM_REJECT_BAD_LENGTH] = "ID number of the wrong length",
    [AM_REJECT_BAD_CHAR] = "ID number with a letter or sign",
    [AM_REJECT_BAD_BIRTH_DATE] = "birth date in the ID does not exist",
    [AM_REJECT_BAD_CHECK_DIGIT] = "ID number fails its check digit (mistyped)",
    [AM_REJECT_EXCEL_MANGLED] = "ID number damaged by Excel",
    [AM_REJECT_BAD_TOKEN] = "token not in its form",
    [AM_REJECT_BAD_HOUSEHOLD] = "household number unusable",
    [AM_REJECT_MISSING_DATE] = "no date",
    [AM_REJECT_BAD_DATE] = "date unreadable or not a real day",
    [AM_REJECT_END_BEFORE_START] = "ends before it starts",
    [AM_REJECT_MISSING_AMOUNT] = "no amount",
    [AM_REJECT_BAD_AMOUNT] = "amount unreadable",
    [AM_REJECT_NEGATIVE_AMOUNT] = "negative amount",
    [AM_REJECT_ABSURD_AMOUNT] = "amount above the plausible maximum",
    [AM_REJECT_UNKNOWN_ITEM] = "item name not in the feed's list",
    [AM_REJECT_BAD_GRADE] = "grade out of range",
    [AM_REJECT_TOO_FEW_FIELDS] = "too few columns",
    [AM_REJECT_TOO_MANY_FIELDS] = "too many columns",
    [AM_REJECT_BAD_ENCODING] = "garbled text (wrong encoding)",
    [AM_REJECT_FIELD_TOO_LONG] = "a cell too long",
    [AM_REJECT_EMBEDDED_NUL] = "an invisible null character",
};

static const char style[] =
    ":root{--ink:#1d2733;--muted:#5b6b7c;--line:#d9e0e7;--bg:#f4f6f9}"
    "*{box-sizing:border-box}"
    "body{margin:0;font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\","
    "\"Hiragino Sans GB\",\"Microsoft YaHei\",\"WenQuanYi Micro Hei\",system-ui,"
    "-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;"
    "color:var(--ink);background:var(--bg);line-height:1.45;font-size:14px}"
    "header{background:#14365d;color:#fff;padding:18px 32px}"
    "header h1{font-size:22px;margin:0 0 4px}header p{margin:2px 0;color:#cfe0f3}"
    "main{max-width:1200px;margin:0 auto;padding:8px 24px 48px}"
    "section{background:#fff;border:1px solid var(--line);border-radius:8px;"
    "padding:14px 20px;margin:16px 0}"
    "h2{font-size:18px;margin:0 0 10px}h2 .en,h3 .en{font-weight:400}"
    "h3{font-size:15px;margin:14px 0 6px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}"
    ".card{flex:1 1 150px;background:#fff;border:1px solid var(--line);border-radius:8px;"
    "padding:10px 14px}"
    ".card .v{font-size:24px;font-weight:700;font-variant-numeric:tabular-nums}"
    ".card .l{color:var(--muted);font-size:13px}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;"
    "vertical-align:top}"
    "th{font-size:13px;color:var(--muted);font-weight:600}"
    ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    ".en{color:var(--muted);font-size:12px}"
    ".note{color:var(--muted);font-size:13px;margin:6px 0}"
    ".badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;"
    "font-weight:600;margin:1px 2px 1px 0;white-space:nowrap}"
    ".warn{background:#fde2e1;color:#9b1c1c}.ok{background:#e3f5e8;color:#1a6b34}"
    ".info{background:#e7effa;color:#1f4e8c}.grey{background:#eceff3;color:#44505c}"
    "code{font-family:\"DejaVu Sans Mono\",Menlo,Consolas,monospace;font-size:12px}"
    "svg text{font-family:inherit}"
    ".finding{border-top:1px solid var(--line);padding:10px 0}"
    ".finding h3{margin:0 0 4px}"
    ".finding table{font-size:12px;margin-top:6px}"
    ".legend span{display:inline-block;margin-right:16px}"
    ".sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}"
    "dl.terms{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}"
    "dl.terms dt{font-weight:600}dl.terms dd{margin:0}"
    /* Sorting without a script: the chosen radio button reorders the list. */
    ".sort{position:absolute;opacity:0}"
    ".sort+label{display:inline-block;padding:2px 12px;border:1px solid var(--line);"
    "border-radius:12px;margin:0 6px 8px 0;cursor:pointer;font-size:13px}"
    ".sort:checked+label{background:#14365d;color:#fff}.sort:checked+label .en{color:#cfe0f3}"
    ".sort:focus-visible+label{outline:2px solid #2e86c1}"
    ".list{display:flex;flex-direction:column}"
    "#sort-money:checked~.list>.finding{order:var(--by-money)}"
    "@media print{body{background:#fff}section{break-inside:avoid}.sort+label{display:none}}";

/* ------------------------------------------------------------------ */
/* Charts                                                               */

#define BAR_WIDTH 180

/* value * width / max, truncated, for 0 <= value <= max: the length of a
 * bar.  Amounts near INT64_MAX (saturated totals) would overflow the
 * product, so both are first divided down until it fits; below that the
 * result is exact. */
static int64_t bar_length(int64_t value, int64_t max, int width)
{
    if (max <= 0 || value <= 0)
        return 0;
    if (max > INT64_MAX / width) {
        const int64_t divisor = max / (INT64_MAX / width) + 1;
        value /= divisor;
        max /= divisor;
    }
    return value * width / max;
}

/* A bar of value/max in a table cell. */
static void bar(FILE *out, int64_t value, int64_t max, const char *colour)
{
    int64_t w = bar_length(value, max, BAR_WIDTH);
    if (value > 0 && w < 1)
        w = 1;
    fprintf(out,
            "<svg width=\"%d\" height=\"14\" viewBox=\"0 0 %d 14\" aria-hidden=\"true\">"
            "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"14\" fill=\"#eef1f5\"/>"
            "<rect x=\"0\" y=\"0\" width=\"%" PRId64 "\" height=\"14\" fill=\"%s\"/></svg>",
            BAR_WIDTH, BAR_WIDTH, BAR_WIDTH, w, colour);
}

/* One horizontal bar made of parts, with their colours; total width w. */
static void stacked_bar(FILE *out, const uint64_t *parts, const char *const *colours, int n,
                        int w, int h)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += parts[i];
    fprintf(out, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" aria-hidden=\"true\">",
            w, h, w, h);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#eef1f5\"/>", w, h);
    uint64_t before = 0;
    for (int i = 0; total && i < n; i++) {
        const uint64_t x0 = before * (uint64_t)w / total;
        before += parts[i];
        const uint64_t x1 = before * (uint64_t)w / total;
        if (x1 > x0)
            fprintf(out,
                    "<rect x=\"%" PRIu64 "\" y=\"0\" width=\"%" PRIu64 "\" height=\"%d\" "
                    "fill=\"%s\"/>",
                    x0, x1 - x0, h, colours[i]);
    }
    fputs("</svg>", out);
}

/* ------------------------------------------------------------------ */
/* Tallies                                                              */

typedef struct tally {
    const char *code, *zh, *en;
    const char *tag; /* a grey badge after the names, or NULL */
    char area[8];
    size_t count;
    int64_t amount;
} tally;

static int compare_tallies(const void *pa, const void *pb)
{
    const tally *a = pa, *b = pb;
    if (a->amount != b->amount)
        return a->amount > b->amount ? -1 : 1;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->code, b->code);
}

/* Adds a finding to the tally of each ';'-separated code in list that
 * lookup finds. */
static void tally_codes(tally *t, const char *list, int64_t amount, const am_catalogue *cat,
                        int agencies)
{
    while (*list) {
        const char *end = strchr(list, ';');
        const size_t len = end ? (size_t)(end - list) : strlen(list);
        int i = agencies ? am_catalogue_agency(cat, list, len) : am_catalogue_item(cat, list, len);
        if (!agencies && i < 0) {
            const int fact = am_catalogue_fact(cat, list, len);
            if (fact >= 0)
                i = (int)am_code_of_fact(cat, (unsigned)fact);
        }
        if (i >= 0) {
            t[i].count++;
            t[i].amount = am_money_add(t[i].amount, amount);
        }
        list += len + (end != NULL);
    }
}

static void tally_table(FILE *out, const tally *t, size_t n, const char *colour,
                        const char *what_zh, const char *what_en)
{
    size_t shown = 0, max_count = 0;
    int64_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].count) {
            shown++;
            if (t[i].amount > max)
                max = t[i].amount;
            if (t[i].count > max_count)
                max_count = t[i].count;
        }
    if (!shown) {
        fputs("<p class=\"note\">没有线索 No findings.</p>", out);
        return;
    }
    fprintf(out,
            "<table><thead><tr><th>%s <span class=\"en\">%s</span></th>"
            "<th class=\"n\">线索 <span class=\"en\">findings</span></th>"
            "<th class=\"n\">涉及金额 <span class=\"en\">at stake</span></th>"
            "<th>按金额 <span class=\"en\">by money</span></th>"
            "<th>按条数 <span class=\"en\">by count</span></th></tr></thead><tbody>",
            what_zh, what_en);
    for (size_t i = 0; i < n; i++) {
        if (!t[i].count)
            continue;
        /* The director reads the Chinese name; the code is for finding
         * the rows in findings.csv. */
        fputs("<tr><td>", out);
        esc(out, t[i].zh);
        fputs(t[i].zh[0] ? " <code>" : "<code>", out);
        esc(out, t[i].code);
        fputs("</code>", out);
        if (t[i].tag)
            fprintf(out, " <span class=\"badge grey\">%s</span>", t[i].tag);
        if (t[i].en[0]) {
            fputs(" <span class=\"en\">", out);
            esc(out, t[i].en);
            fputs("</span>", out);
        }
        fputs("</td><td class=\"n\">", out);
        count(out, t[i].count);
        fputs("</td><td class=\"n\">", out);
        yuan(out, t[i].amount);
        fputs("</td><td>", out);
        bar(out, t[i].amount, max, colour);
        /* Missing aid holds no money: its items show only by count. */
        fputs("</td><td>", out);
        bar(out, (int64_t)t[i].count, (int64_t)max_count, colour);
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table>", out);
}

/* ------------------------------------------------------------------ */
/* The page                                                             */

typedef struct page {
    const am_cycle *cycle;
    const am_links *links;
    am_review_rows review_rows;
    FILE *out;
    tally *agencies, *codes, *areas;
    size_t nareas;
    size_t *top; /* indexes of the findings shown in full */
    size_t ntop;
    const am_prev_finding **resolved; /* by amount */
    const am_evidence_index *evidence; /* the review's, or else ix */
    am_evidence_index ix;
    size_t findings;           /* in findings.csv */
    int64_t amount;
    size_t kind_count[AM_KIND__COUNT];
    int64_t kind_amount[AM_KIND__COUNT];
    size_t priority_count[PRIORITIES];
    int64_t priority_amount[PRIORITIES];
    size_t *by_money; /* top[k]'s place among the shown findings by money */
    uint64_t rows_read, rows_rejected;
    size_t flagged_feeds;
} page;

static int compare_area_keys(const void *pa, const void *pb)
{
    return strcmp(((const tally *)pa)->area, ((const tally *)pb)->area);
}

static int compare_area_tallies(const void *pa, const void *pb)
{
    const tally *a = pa, *b = pb;
    if (a->amount != b->amount)
        return a->amount > b->amount ? -1 : 1;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->area, b->area);
}

static int compare_resolved(const void *pa, const void *pb)
{
    const am_prev_finding *a = *(const am_prev_finding *const *)pa;
    const am_prev_finding *b = *(const am_prev_finding *const *)pb;
    if (a->amount_fen != b->amount_fen)
        return a->amount_fen > b->amount_fen ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* The name areas.csv gives a six-digit area code, or NULL. */
static const am_area_name *area_name(const am_catalogue *cat, const char *area)
{
    if (strlen(area) != 6)
        return NULL;
    return am_catalogue_area(cat, (uint32_t)strtoul(area, NULL, 10));
}

/* A code no longer in use (IDs keep the code they were issued under). */
static int historic(const am_area_name *a)
{
    return strncmp(a->status, "historic", 8) == 0;
}

size_t am_report_pick_top(const am_finding_list *findings, const am_review_state *rv,
                          size_t *top)
{
    /* Findings are in money order already. */
    size_t n = 0;
    for (int p = 0; p < PRIORITIES; p++)
        for (size_t i = 0; i < rv->n && n < AM_REPORT_TOP; i++)
            if (!rv->v[i].suppressed && priority_rank(findings->v[i].pub.priority) == p)
                top[n++] = i;
    return n;
}

static am_status gather(page *pg)
{
    const am_cycle *cycle = pg->cycle;
    const am_catalogue *cat = cycle->match.catalogue;
    const am_review_state *rv = cycle->review;
    const size_t ncodes = cat->nitems + cat->nfacts;
    pg->agencies = am_calloc(cat->nagencies ? cat->nagencies : 1, sizeof *pg->agencies);
    pg->codes = am_calloc(ncodes ? ncodes : 1, sizeof *pg->codes);
    pg->areas = am_calloc(rv->n ? rv->n : 1, sizeof *pg->areas);
    pg->top = am_malloc(AM_REPORT_TOP * sizeof *pg->top);
    pg->by_money = am_malloc(AM_REPORT_TOP * sizeof *pg->by_money);
    pg->resolved = am_malloc((rv->nresolved ? rv->nresolved : 1) * sizeof *pg->resolved);
    if (!pg->agencies || !pg->codes || !pg->areas || !pg->top || !pg->by_money || !pg->resolved)
        return AM_ERR_NOMEM;
    for (size_t i = 0; i < cat->nagencies; i++)
        pg->agencies[i] = (tally){.code = cat->agencies[i].code,
                                  .zh = cat->agencies[i].name_zh,
                                  .en = cat->agencies[i].name_en};
    for (size_t i = 0; i < ncodes; i++) {
        if (am_code_is_item(cat, (unsigned)i))
            pg->codes[i] = (tally){.code = cat->items[i].code, .zh = cat->items[i].name_zh,
                                   .en = cat->items[i].name_en};
        else
            pg->codes[i] = (tally){.code = cat->facts[i - cat->nitems].code,
                                   .zh = cat->facts[i - cat->nitems].name_zh,
                                   .en = cat->facts[i - cat->nitems].name_en};
    }
    for (size_t i = 0; i < rv->n; i++) {
        if (rv->v[i].suppressed)
            continue;
        const am_finding *f = &cycle->findings->v[i].pub;
        pg->findings++;
        pg->amount = am_money_add(pg->amount, f->amount_fen);
        pg->kind_count[f->kind]++;
        pg->kind_amount[f->kind] = am_money_add(pg->kind_amount[f->kind], f->amount_fen);
        tally_codes(pg->agencies, f->agencies, f->amount_fen, cat, 1);
        tally_codes(pg->codes, f->items, f->amount_fen, cat, 0);
        tally *a = &pg->areas[pg->nareas++];
        memcpy(a->area, rv->v[i].area, sizeof rv->v[i].area);
        a->count = 1;
        a->amount = f->amount_fen;
        const int p = priority_rank(f->priority);
        pg->priority_count[p]++;
        pg->priority_amount[p] = am_money_add(pg->priority_amount[p], f->amount_fen);
    }
    pg->ntop = am_report_pick_top(cycle->findings, rv, pg->top);
    for (size_t k = 0; k < pg->ntop; k++) {
        pg->by_money[k] = 0;
        for (size_t j = 0; j < pg->ntop; j++)
            pg->by_money[k] += pg->top[j] < pg->top[k];
    }
    /* Areas: merge the findings of each code. */
    qsort(pg->areas, pg->nareas, sizeof *pg->areas, compare_area_keys);
    size_t kept = 0;
    for (size_t i = 0; i < pg->nareas; i++) {
        if (kept && strcmp(pg->areas[kept - 1].area, pg->areas[i].area) == 0) {
            pg->areas[kept - 1].count++;
            pg->areas[kept - 1].amount =
                am_money_add(pg->areas[kept - 1].amount, pg->areas[i].amount);
        } else {
            pg->areas[kept++] = pg->areas[i];
        }
    }
    pg->nareas = kept;
    qsort(pg->agencies, cat->nagencies, sizeof *pg->agencies, compare_tallies);
    qsort(pg->codes, ncodes, sizeof *pg->codes, compare_tallies);
    qsort(pg->areas, pg->nareas, sizeof *pg->areas, compare_area_tallies);
    /* Only now that they stay put may the labels point into the tallies. */
    for (size_t i = 0; i < pg->nareas; i++) {
        tally *a = &pg->areas[i];
        const am_area_name *name = area_name(cat, a->area);
        a->code = a->area[0] ? a->area : "—";
        a->zh = name ? name->name : a->area[0] ? "" : "未知";
        a->en = name ? (historic(name) ? name->status : name->city)
                : a->area[0] ? "" : "unknown: feeds that arrive with tokens instead of ID "
                                    "numbers carry no area code";
        a->tag = name && historic(name) ? "旧代码 old code" : NULL;
    }
    if (rv->nresolved) {
        memcpy(pg->resolved, rv->resolved, rv->nresolved * sizeof *pg->resolved);
        qsort(pg->resolved, rv->nresolved, sizeof *pg->resolved, compare_resolved);
    }
    for (size_t i = 0; i < cycle->match.nfeeds; i++) {
        pg->rows_read += cycle->match.feeds[i]->rows_read;
        pg->rows_rejected += cycle->match.feeds[i]->rows_rejected;
        if (cycle->previous) {
            am_feed_drift d;
            am_drift_of(cycle, i, &d);
            pg->flagged_feeds += d.shrunk || d.grew || d.stale;
        }
    }
    if (rv->evidence.nslots) {
        pg->evidence = &rv->evidence;
        return AM_OK;
    }
    pg->evidence = &pg->ix;
    return am_evidence_index_build(&cycle->match, cycle->findings, pg->top, pg->ntop, &pg->ix);
}

static void release(page *pg)
{
    am_review_rows_free(&pg->review_rows);
    am_free(pg->agencies);
    am_free(pg->codes);
    am_free(pg->areas);
    am_free(pg->top);
    am_free(pg->by_money);
    am_free(pg->resolved);
    am_evidence_index_free(&pg->ix);
}

static void card(FILE *out, const char *id, const char *zh, const char *en)
{
    fprintf(out, "<div class=\"card\"><div class=\"l\">%s <span class=\"en\">%s</span></div>"
                 "<div class=\"v\" id=\"%s\">",
            zh, en, id);
}

static void write_head(page *pg)
{
    const am_cycle *cycle = pg->cycle;
    FILE *out = pg->out;
    const am_review_state *rv = cycle->review;
    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:\">\n<title>",
          out);
    esc(out, cycle->centre_name && *cycle->centre_name ? cycle->centre_name : "aidmatch");
    fputs(" — 比对报告 Reconciliation report", out);
    if (rv->run_date[0])
        fprintf(out, " %s", rv->run_date);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>", style);
    if (cycle->centre_name && *cycle->centre_name) {
        esc(out, cycle->centre_name);
        fputs(" · ", out);
    }
    fputs("社会救助比对报告 <span style=\"font-weight:400\">Reconciliation report</span></h1>\n",
          out);
    fprintf(out, "<p>运行日期 Run date: <b id=\"run-date\">%s</b>",
            rv->run_date[0] ? rv->run_date : "—");
    if (cycle->previous)
        fprintf(out, " · 对比上次运行 Compared with the run of <b>%s</b>",
                cycle->previous->run_date[0] ? cycle->previous->run_date : "—");
    else
        fputs(" · 无上次运行 No previous run given", out);
    fprintf(out, "</p>\n<p>aidmatch %s · 中心密钥指纹（核对用，不是密钥本身） Centre key "
                 "fingerprint (to check which key made the tokens; not the key itself) "
                 "<code>%s</code></p>\n"
                 "</header>\n<main>\n",
            AIDMATCH_VERSION_STRING, cycle->key_fingerprint[0] ? cycle->key_fingerprint : "—");

    fputs("<div class=\"cards\">", out);
    card(out, "total-findings", "线索", "findings");
    count(out, pg->findings);
    fputs("</div></div>", out);
    card(out, "total-amount", "涉及金额", "money at stake");
    yuan(out, pg->amount);
    fputs("</div></div>", out);
    card(out, "total-new", "新增", "new since last run");
    if (cycle->previous)
        count(out, rv->by_change[AM_CHANGE_NEW]);
    else
        fputs("—", out);
    fputs("</div></div>", out);
    card(out, "total-suppressed", "已核无问题", "judged no issue, set aside");
    count(out, rv->suppressed);
    fputs("</div></div>", out);
    card(out, "total-rows", "读取行数", "rows read");
    count(out, pg->rows_read);
    fputs("</div></div>", out);
    card(out, "total-rejected", "未采用行数", "rows not taken");
    count(out, pg->rows_rejected);
    fputs("</div></div>", out);
    if (cycle->previous) {
        card(out, "total-flagged", "需留意的数据源", "agency files to look at");
        count(out, pg->flagged_feeds);
        fputs("</div></div>", out);
    }
    fputs("</div>\n", out);
}

static void write_kinds(page *pg)
{
    FILE *out = pg->out;
    fputs("<section id=\"by-kind\"><h2>按线索类型 <span class=\"en\">By finding kind</span></h2>",
          out);
    /* A chart of the money at stake per kind, labels inside the SVG. */
    int64_t max = 0;
    for (int k = 0; k < AM_KIND__COUNT; k++)
        if (pg->kind_amount[k] > max)
            max = pg->kind_amount[k];
    const int row = 30, label = 300, bars = 500, width = 960;
    fprintf(out,
            "<svg width=\"100%%\" viewBox=\"0 0 %d %d\" role=\"img\" "
            "aria-label=\"money at stake by finding kind\" style=\"max-width:%dpx\">",
            width, row * AM_KIND__COUNT + 6, width);
    for (int k = 0; k < AM_KIND__COUNT; k++) {
        const int y = 3 + k * row;
        int64_t w = bar_length(pg->kind_amount[k], max, bars);
        if (pg->kind_amount[k] > 0 && w < 2)
            w = 2;
        char money[48];
        money_text(pg->kind_amount[k], money);
        fprintf(out,
                "<text x=\"0\" y=\"%d\" font-size=\"14\" fill=\"#1d2733\">%s %s</text>"
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"20\" fill=\"#eef1f5\"/>"
                "<rect x=\"%d\" y=\"%d\" width=\"%" PRId64 "\" height=\"20\" fill=\"%s\"/>"
                "<text x=\"%" PRId64 "\" y=\"%d\" font-size=\"13\" fill=\"#1d2733\">¥%s · %zu</text>",
                y + 15, kind_zh[k], kind_en[k], label, y, bars, label, y, w,
                kind_colour[k], label + w + 6, y + 15, money, pg->kind_count[k]);
    }
    fputs("</svg><table><thead><tr><th>类型 <span class=\"en\">kind</span></th>"
          "<th class=\"n\">线索 <span class=\"en\">findings</span></th>"
          "<th class=\"n\">涉及金额 <span class=\"en\">at stake</span></th>"
          "<th class=\"n\">占比 <span class=\"en\">share</span></th>"
          "<th>按条数 <span class=\"en\">by count</span></th></tr></thead><tbody>",
          out);
    size_t max_count = 0;
    for (int k = 0; k < AM_KIND__COUNT; k++)
        if (pg->kind_count[k] > max_count)
            max_count = pg->kind_count[k];
    for (int k = 0; k < AM_KIND__COUNT; k++) {
        fprintf(out,
                "<tr><td><span class=\"sw\" style=\"background:%s\"></span>%s "
                "<span class=\"en\">%s</span></td><td class=\"n\" id=\"kind-%s-count\">",
                kind_colour[k], kind_zh[k], kind_en[k], am_kind_name((am_kind)k));
        count(out, pg->kind_count[k]);
        fprintf(out, "</td><td class=\"n\" id=\"kind-%s-amount\">", am_kind_name((am_kind)k));
        yuan(out, pg->kind_amount[k]);
        fputs("</td><td class=\"n\">", out);
        percent(out, (uint64_t)pg->kind_amount[k], (uint64_t)pg->amount);
        /* Missing aid holds no money: only a count shows how much of it there is. */
        fputs("</td><td>", out);
        bar(out, (int64_t)pg->kind_count[k], (int64_t)max_count, kind_colour[k]);
        fputs("</td></tr>", out);
    }
    fputs("<tr><th>合计 <span class=\"en\">total</span></th><th class=\"n\">", out);
    count(out, pg->findings);
    fputs("</th><th class=\"n\">", out);
    yuan(out, pg->amount);
    fputs("</th><th></th><th></th></tr></tbody></table>", out);
    fputs("<h3>按优先级 <span class=\"en\">By priority</span></h3><p class=\"note\">死亡后仍发放"
          "且超过登记延迟的为高优先级，在登记延迟之内的为低优先级，其余为普通。 Payments after "
          "death beyond the registry's usual delay are high priority, those within it low; "
          "every other finding is normal.</p><table><thead><tr><th>优先级 <span class=\"en\">"
          "priority</span></th><th class=\"n\">线索 <span class=\"en\">findings</span></th>"
          "<th class=\"n\">涉及金额 <span class=\"en\">at stake</span></th>"
          "<th>按条数 <span class=\"en\">by count</span></th></tr></thead><tbody>",
          out);
    for (int p = 0; p < PRIORITIES; p++) {
        fprintf(out, "<tr><td>%s <span class=\"en\">%s</span></td><td class=\"n\" "
                     "id=\"priority-%s-count\">",
                priority_zh[p], priority_code[p], priority_code[p]);
        count(out, pg->priority_count[p]);
        fprintf(out, "</td><td class=\"n\" id=\"priority-%s-amount\">", priority_code[p]);
        yuan(out, pg->priority_amount[p]);
        fputs("</td><td>", out);
        bar(out, (int64_t)pg->priority_count[p], (int64_t)pg->findings,
            p == 0 ? "#d9534f" : "#8795a5");
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table></section>\n", out);
}

static void write_tallies(page *pg)
{
    FILE *out = pg->out;
    const am_catalogue *cat = pg->cycle->match.catalogue;
    fputs("<section id=\"by-agency\"><h2>按部门 <span class=\"en\">By agency</span></h2>"
          "<p class=\"note\">一条线索涉及几个部门就计入几个部门，各行之和可能大于合计。 "
          "A finding counts for every agency involved, so rows may add up to more than the "
          "total.</p>",
          out);
    tally_table(out, pg->agencies, cat->nagencies, "#2e86c1", "部门", "agency");
    fputs("</section>\n<section id=\"by-item\"><h2>按救助项目 <span class=\"en\">By item</span>"
          "</h2><p class=\"note\">一条线索涉及几个项目就计入几个项目。 A finding counts for "
          "every item (or registry fact) involved.</p>",
          out);
    tally_table(out, pg->codes, cat->nitems + cat->nfacts, "#16a085", "项目", "item");
    fputs("</section>\n<section id=\"by-area\"><h2>按地区 <span class=\"en\">By area"
          "</span></h2><p class=\"note\">地区取自身份证号前六位（发证地，县级），不是现居乡镇；"
          "已撤销的旧代码标为旧代码；地区表中没有的代码只显示代码；以令牌而非身份证号报送的数据"
          "没有地区。 The area is the first six digits of the resident ID: the county-level "
          "division where the ID was issued, not the town of residence. Codes no longer in use "
          "are marked old; a code the area list lacks shows as a code; files that arrive with "
          "tokens instead of ID numbers carry no area.</p>",
          out);
    tally_table(out, pg->areas, pg->nareas, "#8e44ad", "地区", "area");
    fputs("</section>\n", out);
}

static void write_changes(page *pg)
{
    const am_cycle *cycle = pg->cycle;
    FILE *out = pg->out;
    const am_review_state *rv = cycle->review;
    fputs("<section id=\"changes\"><h2>与上次运行相比 <span class=\"en\">Since the previous run"
          "</span></h2>",
          out);
    if (!cycle->previous) {
        fputs("<p class=\"note\">未指定上次运行（--previous），无法比较。 No previous run was "
              "given (--previous): nothing to compare with.</p></section>\n",
              out);
        return;
    }
    uint64_t parts[AM_CHANGE__COUNT];
    for (int c = 0; c < AM_CHANGE__COUNT; c++)
        parts[c] = rv->by_change[c];
    stacked_bar(out, parts, change_colour, AM_CHANGE__COUNT, 720, 24);
    fputs("<p class=\"legend\">", out);
    for (int c = 0; c < AM_CHANGE__COUNT; c++)
        fprintf(out, "<span><span class=\"sw\" style=\"background:%s\"></span>%s %s</span>",
                change_colour[c], change_zh[c], am_change_name((am_change)c));
    fputs("</p><table><thead><tr><th></th><th class=\"n\">线索 <span class=\"en\">findings</span>"
          "</th><th class=\"n\">涉及金额 <span class=\"en\">at stake</span></th></tr></thead>"
          "<tbody>",
          out);
    for (int c = 0; c < AM_CHANGE__COUNT; c++) {
        fprintf(out, "<tr><td>%s <span class=\"en\">%s</span></td><td class=\"n\" id=\"delta-%s\">",
                change_zh[c], am_change_name((am_change)c), am_change_name((am_change)c));
        count(out, rv->by_change[c]);
        fputs("</td><td class=\"n\">", out);
        yuan(out, rv->amount_by_change[c]);
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table><p class=\"note\">新增与持续含已核无问题而不再列出的线索；已消除的金额为上次运行的金额。 "
          "New and persisting include suppressed findings; resolved amounts are those of the "
          "previous run. Every finding is listed in delta.csv.</p>",
          out);
    if (rv->nresolved) {
        const size_t shown = rv->nresolved < 20 ? rv->nresolved : 20;
        fputs("<h3>已消除的线索（按金额） <span class=\"en\">Resolved findings, largest first"
              "</span></h3><table><thead><tr><th>线索编号 <span class=\"en\">finding id</span></th>"
              "<th>类型 <span class=\"en\">kind</span></th><th class=\"n\">上次金额 <span class=\"en\">at stake then</span>"
              "</th><th>首次发现 <span class=\"en\">first seen</span></th></tr></thead><tbody>",
              out);
        for (size_t i = 0; i < shown; i++) {
            const am_prev_finding *pf = pg->resolved[i];
            fprintf(out, "<tr><td><code>%s</code></td><td>%s <span class=\"en\">%s</span></td>"
                         "<td class=\"n\">",
                    pf->id, pf->kind >= 0 ? kind_zh[pf->kind] : "—",
                    pf->kind >= 0 ? kind_en[pf->kind] : "");
            yuan(out, pf->amount_fen);
            fprintf(out, "</td><td>%s</td></tr>",
                    pf->first_seen[0] ? pf->first_seen
                                      : (cycle->previous->run_date[0] ? cycle->previous->run_date
                                                                    : "—"));
        }
        fputs("</tbody></table>", out);
        if (shown < rv->nresolved) {
            fputs("<p class=\"note\">另有 ", out);
            count(out, rv->nresolved - shown);
            fputs(" 条，见 delta.csv。 And more in delta.csv.</p>", out);
        }
    }
    fputs("</section>\n", out);
}

static void write_quality(page *pg)
{
    const am_cycle *cycle = pg->cycle;
    FILE *out = pg->out;
    static const char *const parts_colour[] = {"#2e9d57", "#d9534f"};
    fputs("<section id=\"quality\"><h2>数据质量 <span class=\"en\">Data quality per feed</span>"
          "</h2>",
          out);
    if (cycle->previous) {
        char share[16];
        am_drift_share_format(cycle->drift_permille, share);
        /* In words, not setting names: the share as a percentage. */
        fprintf(out,
                "<p class=\"note\">读取行数与上次运行相比变化超过 %u.%u&#8239;%% 的数据源标记为骤增或"
                "骤减；文件连续多天逐字节不变的标记为陈旧（可能未更新导出）：支付数据默认 7 天，"
                "登记数据默认 30 天，中心可按数据源调整。 A feed is flagged when its rows moved by "
                "more than %u.%u&#8239;%% of the previous run's, and stale when its file has "
                "stayed byte for byte the same for too many days (the export may not have been "
                "refreshed): 7 days for payments and 30 for registries unless the centre sets "
                "otherwise for the feed.</p>",
                cycle->drift_permille / 10, cycle->drift_permille % 10, cycle->drift_permille / 10,
                cycle->drift_permille % 10);
    }
    fputs("<table><thead><tr><th>数据源 <span class=\"en\">feed</span></th>"
          "<th>部门 <span class=\"en\">agency</span></th>"
          "<th class=\"n\">读取 <span class=\"en\">read</span></th>"
          "<th class=\"n\">入库 <span class=\"en\">ingested</span></th>"
          "<th class=\"n\">未采用 <span class=\"en\">not taken</span></th><th></th>"
          "<th>未采用原因 <span class=\"en\">why not taken</span></th>"
          "<th>与上次相比 <span class=\"en\">since the previous run</span></th></tr></thead>"
          "<tbody>",
          out);
    for (size_t i = 0; i < cycle->match.nfeeds; i++) {
        const am_feed *feed = cycle->match.feeds[i];
        fputs("<tr><td><code>", out);
        esc(out, feed->name);
        fprintf(out, "</code><br><span class=\"en\">文字编码 text encoding %s · ",
                am_encoding_name(feed->encoding_used));
        count(out, feed->bytes_read);
        fputs(" 字节 bytes</span></td><td>", out);
        if (feed->agency >= 0) {
            const am_agency *a = &cycle->match.catalogue->agencies[feed->agency];
            fputs("<code>", out);
            esc(out, a->code);
            fputs("</code> ", out);
            esc(out, a->name_zh);
        }
        fputs("</td><td class=\"n\">", out);
        count(out, feed->rows_read);
        fputs("</td><td class=\"n\">", out);
        count(out, feed->rows_ingested);
        fputs("</td><td class=\"n\">", out);
        count(out, feed->rows_rejected);
        fputs(" <span class=\"en\">(", out);
        percent(out, feed->rows_rejected, feed->rows_read);
        fputs(")</span></td><td>", out);
        const uint64_t parts[2] = {feed->rows_ingested, feed->rows_rejected};
        stacked_bar(out, parts, parts_colour, 2, 120, 12);
        fputs("</td><td>", out);
        int any = 0;
        for (int r = 0; r < AM_REJECT__COUNT; r++) {
            if (!feed->by_reason[r])
                continue;
            fprintf(out, "<span class=\"badge grey\" title=\"rejects.csv: %s\">%s <span "
                         "class=\"en\">%s</span> ",
                    am_reject_name((am_reject)r), reject_zh[r], reject_en[r]);
            count(out, feed->by_reason[r]);
            fputs("</span>", out);
            any = 1;
        }
        if (!any)
            fputs("—", out);
        fputs("</td><td>", out);
        if (!cycle->previous) {
            fputs("—", out);
        } else {
            am_feed_drift d;
            am_drift_of(cycle, i, &d);
            if (!d.in_previous) {
                fputs("<span class=\"badge info\">新数据源 new feed</span>", out);
            } else {
                fputs("上次 <span class=\"en\">previous</span> ", out);
                count(out, d.previous_rows_read);
                if (d.previous_rows_read) {
                    const int64_t pm = d.change_permille;
                    fprintf(out, " (%s%" PRId64 ".%" PRId64 "&#8239;%%)", pm < 0 ? "−" : "+",
                            (pm < 0 ? -pm : pm) / 10, (pm < 0 ? -pm : pm) % 10);
                }
                if (d.shrunk)
                    fputs(" <span class=\"badge warn\">骤减 shrunk</span>", out);
                if (d.grew)
                    fputs(" <span class=\"badge warn\">骤增 grew</span>", out);
                am_feed_age age;
                am_feed_age_of(cycle, i, &age);
                if (d.stale)
                    fputs(" <span class=\"badge warn\">陈旧 stale</span>", out);
                if (!d.shrunk && !d.grew && !d.stale)
                    fputs(" <span class=\"badge ok\">正常 as usual</span>", out);
                if (age.unchanged_days > 0)
                    fprintf(out,
                            "<br><span class=\"en\">文件 %" PRId32 " 天未变（自 %s） file unchanged "
                            "for %" PRId32 " day%s, since %s</span>",
                            age.unchanged_days, age.unchanged_since, age.unchanged_days,
                            age.unchanged_days == 1 ? "" : "s", age.unchanged_since);
            }
        }
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table></section>\n", out);
}

static void write_outcomes(page *pg)
{
    const am_cycle *cycle = pg->cycle;
    FILE *out = pg->out;
    const am_review_state *rv = cycle->review;
    fputs("<section id=\"outcomes\"><h2>处理结果 <span class=\"en\">Case outcomes</span></h2>",
          out);
    uint64_t parts[AM_OUTCOME__COUNT];
    static const char *const colours[AM_OUTCOME__COUNT] = {"#b8c2cc", "#d9534f", "#2e86c1",
                                                           "#2e9d57"};
    for (int k = 0; k < AM_OUTCOME__COUNT; k++)
        parts[k] = rv->by_outcome[k];
    stacked_bar(out, parts, colours, AM_OUTCOME__COUNT, 720, 24);
    fputs("<table><thead><tr><th>结果 <span class=\"en\">outcome</span></th>"
          "<th class=\"n\">线索 <span class=\"en\">findings tonight</span></th></tr></thead>"
          "<tbody>",
          out);
    for (int k = 0; k < AM_OUTCOME__COUNT; k++) {
        fprintf(out,
                "<tr><td><span class=\"sw\" style=\"background:%s\"></span>%s <span "
                "class=\"en\">%s</span></td><td class=\"n\" id=\"outcome-%s\">",
                colours[k], outcome_zh[k], outcome_en[k], am_outcome_name((am_outcome)k));
        count(out, rv->by_outcome[k]);
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table><p class=\"note\">", out);
    count(out, rv->suppressed);
    fputs(" 条标记为无问题且事实未变的线索已移至 suppressed.csv（", out);
    yuan(out, rv->suppressed_amount);
    fputs("），事实变化时会重新列出。 findings judged no issue whose facts are unchanged were "
          "set aside in suppressed.csv; they come back when their facts change.",
          out);
    if (rv->outcomes_unmatched) {
        fputs(" ", out);
        count(out, rv->outcomes_unmatched);
        fputs(" 个有处理结果的线索编号今晚没有对应线索。 finding ids with an outcome match no "
              "finding tonight.",
              out);
    }
    fputs("</p></section>\n", out);
}

static void write_day(FILE *out, int32_t day)
{
    char text[11];
    if (day == AM_DAY_EVER || day == AM_DAY_OPEN) {
        fputs("…", out);
        return;
    }
    am_day_format(day, text);
    fputs(text, out);
}

static void write_evidence(page *pg, const am_finding *f)
{
    const am_cycle *cycle = pg->cycle;
    FILE *out = pg->out;
    const am_catalogue *cat = cycle->match.catalogue;
    fputs("<table><thead><tr><th>证据（数据源:行号） <span class=\"en\">evidence (feed:line)"
          "</span></th><th>人员令牌 <span class=\"en\">person token</span></th><th>项目 <span class=\"en\">item"
          "</span></th><th>期间 <span class=\"en\">period</span></th><th class=\"n\">金额 "
          "<span class=\"en\">amount / value</span></th></tr></thead><tbody>",
          out);
    const char *cursor = f->evidence;
    uint16_t feed;
    uint32_t line;
    size_t shown = 0, total = 0;
    while (am_evidence_next(&cycle->match, &cursor, &feed, &line)) {
        if (++total > AM_REPORT_EVIDENCE)
            continue;
        shown++;
        fputs("<tr><td><code>", out);
        esc(out, cycle->match.feeds[feed]->name);
        fprintf(out, ":%u</code></td>", (unsigned)line);
        const am_record *r = am_evidence_find(pg->evidence, feed, line);
        if (!r) {
            fputs("<td colspan=\"4\">—</td></tr>", out);
            continue;
        }
        char token[AM_TOKEN_HEX + 1];
        am_token_hex(r->person, token);
        token[12] = '\0';
        fprintf(out, "<td><code>%s…</code></td><td><code>", token);
        const int item = am_code_is_item(cat, r->code);
        esc(out, am_code_name(cat, r->code));
        fputs("</code> ", out);
        esc(out, item ? cat->items[r->code].name_zh : cat->facts[r->code - cat->nitems].name_zh);
        fputs("</td><td>", out);
        write_day(out, r->start);
        if (r->end != r->start) {
            fputs(" – ", out);
            write_day(out, r->end);
        }
        fputs("</td><td class=\"n\">", out);
        if (item)
            yuan(out, r->amount_fen);
        else if (r->value)
            fprintf(out, "%u", (unsigned)r->value);
        else
            fputs("—", out);
        fputs("</td></tr>", out);
    }
    fputs("</tbody></table>", out);
    if (shown < total)
        fprintf(out, "<p class=\"note\">… 另有 %zu 条，见 findings.csv。 %zu more in "
                     "findings.csv</p>",
                total - shown, total - shown);
}

/* What a caseworker checks before acting: a finding that rests on rows
 * whose damaged ID was linked, or a MISSING one while rows of its item,
 * left for review, point at the person. */
static void write_id_check(page *pg, const am_finding *f)
{
    char linked[8], rows[AM_ID_ERROR_FIELD_MAX];
    am_links_of_evidence(pg->links, &pg->cycle->match, f->evidence, linked);
    am_possible_id_error(&pg->review_rows, &pg->cycle->match, f, rows, sizeof rows);
    if (linked[0])
        fprintf(pg->out,
                "<div><span class=\"badge warn\">身份证号经关联 ID linked</span> 证据中有身份证号"
                "有误、经户籍关联的行（最低概率 %s），请先核对身份证号 <span class=\"en\">the "
                "evidence holds rows whose damaged ID was linked to the registry (lowest "
                "probability %s): check the ID first</span></div>",
                linked, linked);
    if (rows[0]) {
        fputs("<div><span class=\"badge warn\">可能是身份证号错误 possible ID error</span> "
              "该项目有待核对的行指向此人，可能只是身份证号填错 <span class=\"en\">rows of this "
              "item left for review point at this person: it may be paid under a mistyped "
              "ID</span> <code>",
              pg->out);
        esc(pg->out, rows);
        fputs("</code></div>", pg->out);
    }
}

/* The policy a finding cites in Chinese, when its rule gives it, or NULL. */
static const char *policy_zh(const am_cycle *cycle, const am_finding *f)
{
    if (strcmp(f->rule_id, AM_DUPLICATE_RULE_ID) == 0)
        return strcmp(f->policy_source, AM_SAME_DAY_SOURCE) == 0 ? AM_SAME_DAY_SOURCE_ZH
                                                                 : AM_DUPLICATE_SOURCE_ZH;
    for (size_t r = 0; r < cycle->match.rules->n; r++)
        if (strcmp(cycle->match.rules->v[r].id, f->rule_id) == 0)
            return cycle->match.rules->v[r].source_zh;
    return NULL;
}

/* A ';'-separated list of item, fact or agency codes as their Chinese
 * names, each followed by its code (the code findings.csv shows). */
static void named_codes(FILE *out, const am_catalogue *cat, const char *list, int agencies)
{
    for (int first = 1; *list; first = 0) {
        const char *end = strchr(list, ';');
        const size_t len = end ? (size_t)(end - list) : strlen(list);
        const char *zh = NULL;
        if (agencies) {
            const int a = am_catalogue_agency(cat, list, len);
            zh = a >= 0 ? cat->agencies[a].name_zh : NULL;
        } else {
            const int item = am_catalogue_item(cat, list, len);
            const int fact = item < 0 ? am_catalogue_fact(cat, list, len) : -1;
            zh = item >= 0 ? cat->items[item].name_zh : fact >= 0 ? cat->facts[fact].name_zh : NULL;
        }
        if (!first)
            fputs("、", out);
        if (zh && *zh) {
            esc(out, zh);
            fputs(" ", out);
        }
        fputs("<code>", out);
        for (size_t i = 0; i < len; i++) {
            const char one[2] = {list[i], '\0'};
            esc(out, one);
        }
        fputs("</code>", out);
        list += len + (end != NULL);
    }
}

static void write_top(page *pg)
{
    const am_cycle *cycle = pg->cycle;
    FILE *out = pg->out;
    fputs("<section id=\"top\"><h2>重点线索 <span class=\"en\">Key findings</span></h2>", out);
    if (!pg->ntop) {
        fputs("<p class=\"note\">没有线索 No findings.</p></section>\n", out);
        return;
    }
    fprintf(out, "<p class=\"note\">先按优先级（高、普通、低）、同级按涉及金额选出前 %zu 条，"
                 "完整列表见 findings.csv 和 findings.xlsx。 The first %zu by priority (high, "
                 "normal, low), and within a priority by money at stake; findings.csv and "
                 "findings.xlsx list them all.</p>",
            pg->ntop, pg->ntop);
    fputs("<input type=\"radio\" name=\"sort\" id=\"sort-priority\" class=\"sort\" checked>"
          "<label for=\"sort-priority\">按优先级排序 <span class=\"en\">by priority</span></label>"
          "<input type=\"radio\" name=\"sort\" id=\"sort-money\" class=\"sort\">"
          "<label for=\"sort-money\">按金额排序 <span class=\"en\">by money at stake</span></label>"
          "<div class=\"list\">",
          out);
    for (size_t k = 0; k < pg->ntop; k++) {
        const size_t i = pg->top[k];
        const am_finding *f = &cycle->findings->v[i].pub;
        const am_review_rec *r = &cycle->review->v[i];
        const int p = priority_rank(f->priority);
        fprintf(out, "<div class=\"finding\" id=\"f-%s\" style=\"--by-money:%zu\"><h3>", f->id,
                pg->by_money[k]);
        yuan(out, f->amount_fen);
        fprintf(out,
                " · <span class=\"badge\" style=\"background:%s;color:#fff\">%s</span> "
                "<span class=\"en\">%s</span>",
                kind_colour[f->kind], kind_zh[f->kind], kind_en[f->kind]);
        fprintf(out, " <span class=\"badge %s\" data-priority=\"%s\">优先级 %s priority %s</span>",
                p == 0 ? "warn" : "grey", priority_code[p], priority_zh[p], priority_code[p]);
        if (cycle->previous)
            fprintf(out, " <span class=\"badge %s\">%s %s</span>",
                    r->change == AM_CHANGE_NEW ? "warn" : "info", change_zh[r->change],
                    am_change_name((am_change)r->change));
        if (r->outcome)
            fprintf(out, " <span class=\"badge grey\">%s %s %s</span>", outcome_zh[r->outcome],
                    outcome_en[r->outcome], r->outcome_date);
        fputs("</h3><div>项目 <span class=\"en\">items</span> ", out);
        named_codes(out, cycle->match.catalogue, f->items, 0);
        fputs(" · 部门 <span class=\"en\">agencies</span> ", out);
        named_codes(out, cycle->match.catalogue, f->agencies, 1);
        fputs(" · 期间 <span class=\"en\">period</span> ", out);
        esc(out, f->period_start);
        fputs(" – ", out);
        esc(out, f->period_end);
        fprintf(out, " (%" PRId64 " 天 days)", f->overlap_days);
        if (r->area[0]) {
            const am_area_name *name = area_name(cycle->match.catalogue, r->area);
            fprintf(out, " · 地区 <span class=\"en\">area</span> <code>%s</code>", r->area);
            if (name) {
                fputc(' ', out);
                esc(out, name->name);
            }
        }
        if (r->first_seen[0])
            fprintf(out, " · 首次发现 <span class=\"en\">first seen</span> %s", r->first_seen);
        const int household = strcmp(f->unit, "household") == 0;
        fprintf(out, "</div><div>%s <span class=\"en\">%s</span> <code>", household ? "家庭令牌" : "人员令牌",
                household ? "household token" : "person token");
        esc(out, f->subject);
        fputs("</code> · 线索编号 <span class=\"en\">finding id</span> <code>", out);
        fputs(f->id, out);
        fputs("</code> · 规则 <span class=\"en\">rule</span> <code>", out);
        esc(out, f->rule_id);
        fputs("</code></div><div>依据 <span class=\"en\">policy</span> ", out);
        const char *zh = policy_zh(cycle, f);
        if (zh) {
            esc(out, zh);
            fputs("<br><span class=\"en\">", out);
            esc(out, f->policy_source);
            fputs("</span>", out);
        } else {
            esc(out, f->policy_source);
        }
        fputs("</div>", out);
        write_id_check(pg, f);
        write_evidence(pg, f);
        fputs("</div>", out);
    }
    fputs("</div></section>\n", out);
}

/* Every word of the page a reader may not know, in plain words. */
static void write_terms(FILE *out)
{
    static const char *const terms[][4] = {
        {"线索", "finding", "一组可能有问题的发放记录，需要工作人员核实。",
         "records that together may be wrong, for a caseworker to check."},
        {"涉及金额", "money at stake", "可能多发的金额；应享未享的线索没有金额，按条数看。",
         "the money that may have been paid wrongly; missing aid has none: look at its count."},
        {"优先级", "priority", "先处理高优先级：死亡后仍发放且超过登记延迟。",
         "work on high first: payments after death beyond the registry's usual delay."},
        {"数据源", "feed", "一个部门报送的一个数据文件，每晚读取。",
         "one file an agency sends, read every night."},
        {"未采用的行", "rows not taken", "无法使用的行（例如身份证号录错），逐行列在 rejects.csv。",
         "rows that could not be used (a mistyped ID number, say), each listed in rejects.csv."},
        {"令牌", "token", "由中心密钥从身份证号算出的代号，不能反推；报告中没有身份证号和姓名。",
         "a code computed from the ID number under the centre's key, not reversible; no ID "
         "number or name is in this report."},
        {"快照", "snapshot", "当晚全部记录的存档（只有令牌），供授权人员事后查询。",
         "the night's records kept (tokens only) for authorised staff to look up later."},
        {"新增、持续、已消除", "new, persisting, resolved",
         "与上次运行相比：新出现的、仍然存在的、已不再出现的线索。",
         "compared with the previous run: findings that appeared, remain, or went away."},
        {"骤增、骤减", "grew, shrank", "数据源的行数与上次相比变化过大，可能导出不完整。",
         "a feed's row count moved too far since the previous run: the export may be "
         "incomplete."},
        {"陈旧", "stale", "数据源文件多天没有任何变化，可能没有重新导出。",
         "a feed's file has not changed for days: it may not have been exported again."},
        {"规则", "rule", "规则文件中的一条政策规定；每条线索下引用其政策依据。",
         "one policy in the rules file; each finding quotes the policy behind it."},
    };
    fputs("<section id=\"terms\"><h2>名词解释 <span class=\"en\">Terms used</span></h2>"
          "<dl class=\"terms\">",
          out);
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++)
        fprintf(out, "<dt>%s <span class=\"en\">%s</span></dt><dd>%s <span class=\"en\">%s"
                     "</span></dd>",
                terms[i][0], terms[i][1], terms[i][2], terms[i][3]);
    fputs("</dl></section>\n", out);
}

am_status am_report_write(const am_cycle *cycle, const am_links *links, const char *path,
                          am_err *err)
{
    page pg = {.cycle = cycle, .links = links};
    if (am_review_rows_build(links, &pg.review_rows) != AM_OK || gather(&pg) != AM_OK) {
        release(&pg);
        return am_fail(err, AM_ERR_NOMEM, "out of memory writing the report");
    }
    am_atomic_file f;
    am_status st = am_atomic_open(&f, path, err);
    if (st == AM_OK) {
        pg.out = f.out;
        write_head(&pg);
        write_kinds(&pg);
        write_changes(&pg);
        write_tallies(&pg);
        write_quality(&pg);
        write_outcomes(&pg);
        write_top(&pg);
        fputs("<section id=\"token-to-person\"><h2>从令牌查到人员（限授权人员） <span class="
              "\"en\">From a token to a person (authorised staff)</span></h2><p>本报告中的人员只以"
              "令牌出现：令牌由中心密钥从身份证号算出，不能反推。经授权的工作人员在中心的计算机上用"
              "当晚的快照查出该令牌的全部记录（数据源和行号），再到该部门导出文件的对应行看到姓名和"
              "身份证号： People appear here only as tokens, computed from the resident ID under "
              "the centre's key and not reversible. Authorised staff, on the centre's computer, "
              "list every record of a token (feed and line) from the night's snapshot, and read "
              "the name and ID at that line of the agency's export:</p>"
              "<p><code>aidmatch person TOKEN --snapshot county.snap --centre centre.ini</code>"
              "</p><p class=\"note\">TOKEN：上面各线索的人员令牌，即 findings.csv 的 subject 列"
              "（32 个字符，数字 0–9 和字母 a–f）；快照由每晚的 <code>aidmatch reconcile … "
              "--snapshot county.snap</code> 写出。给出身份证号而非令牌时，--centre 指向的中心"
              "文件提供中心密钥。 TOKEN: a finding's person token above, findings.csv's subject "
              "column (32 characters, digits 0–9 and letters a–f); the snapshot is written by "
              "the nightly reconcile with --snapshot. Given a resident ID instead, the centre "
              "file named by --centre supplies the centre's key.</p></section>\n",
              f.out);
        write_terms(f.out);
        fputs("<p class=\"note\">由 aidmatch 生成。人员以密钥令牌表示，不含身份证号和姓名。 "
              "Made by aidmatch. People appear as keyed tokens only: no resident ID or name is "
              "in this report.</p>\n</main>\n</body>\n</html>\n",
              f.out);
        st = am_atomic_commit(&f, err);
    }
    release(&pg);
    return st;
}
