/*
 * links.c — writing what linking decided (see links.h, link/link.h).
 * Tokens and probabilities only: a held row's raw ID and name were never
 * kept, so they cannot be written.
 */
#include "write/links.h"

#include <inttypes.h>

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/atomic_file.h"
#include "common/csv_out.h"
#include "common/decimal.h"
#include "match/facts.h"
#include "read/catalogue.h"

/* The linked result of (feed, line), or NULL: results are in feed, line
 * order. */
static const am_link_result *linked_row(const am_links *links, uint16_t feed, uint32_t line)
{
    size_t lo = 0, hi = links->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const am_link_result *r = &links->v[mid];
        if (r->feed < feed || (r->feed == feed && r->line < line))
            lo = mid + 1;
        else
            hi = mid;
    }
    const am_link_result *r = lo < links->n ? &links->v[lo] : NULL;
    return r && r->feed == feed && r->line == line && r->status == AM_LINKED ? r : NULL;
}

static int by_person(const void *a, const void *b)
{
    const am_link_result *x = *(const am_link_result *const *)a,
                         *y = *(const am_link_result *const *)b;
    const int c = am_token_cmp(x->person, y->person);
    if (c)
        return c;
    if (x->feed != y->feed)
        return x->feed < y->feed ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

am_status am_review_rows_build(const am_links *links, am_review_rows *rows)
{
    rows->n = 0;
    rows->v = NULL;
    size_t n = 0;
    for (size_t i = 0; i < links->n; i++)
        n += links->v[i].status == AM_LINK_REVIEW;
    if (!n)
        return AM_OK;
    if (!(rows->v = am_malloc(n * sizeof *rows->v)))
        return AM_ERR_NOMEM;
    for (size_t i = 0; i < links->n; i++)
        if (links->v[i].status == AM_LINK_REVIEW)
            rows->v[rows->n++] = &links->v[i];
    qsort(rows->v, rows->n, sizeof *rows->v, by_person);
    return AM_OK;
}

void am_review_rows_free(am_review_rows *rows)
{
    am_free(rows->v);
    rows->v = NULL;
    rows->n = 0;
}

/* Whether code's name is one of items, a ';'-separated list. */
static int among(const char *items, const char *name)
{
    const size_t len = strlen(name);
    for (const char *p = items; *p;) {
        const char *end = strchr(p, ';');
        const size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, name, len) == 0)
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

void am_possible_id_error(const am_review_rows *rows, const am_match_input *in,
                          const am_finding *f, char *out, size_t cap)
{
    out[0] = '\0';
    unsigned char subject[AM_TOKEN_BYTES];
    if (f->kind != AM_KIND_MISSING || !rows->n ||
        !am_token_parse(f->subject, strlen(f->subject), subject))
        return;
    size_t lo = 0, hi = rows->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (am_token_cmp(rows->v[mid]->person, subject) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t used = 0;
    for (; lo < rows->n && am_token_eq(rows->v[lo]->person, subject); lo++) {
        const am_link_result *r = rows->v[lo];
        if (!among(f->items, am_code_name(in->catalogue, r->code)))
            continue;
        char entry[96];
        const int n = snprintf(entry, sizeof entry, "%s%s:%" PRIu32, used ? ";" : "",
                               in->feeds[r->feed]->name, r->line);
        if (n < 0 || used + (size_t)n + sizeof "…" > cap) {
            snprintf(out + used, cap - used, "%s", "…");
            return;
        }
        memcpy(out + used, entry, (size_t)n + 1);
        used += (size_t)n;
    }
}

/* uint16_t: "65.535" is the longest. */
static void probability_text(uint16_t thousandths, char out[8])
{
    am_decimal_text(thousandths, 3, out);
}

void am_links_row_text(const am_links *links, uint16_t feed, uint32_t line, char out[8])
{
    const am_link_result *r = linked_row(links, feed, line);
    if (r)
        probability_text(r->probability, out);
    else
        out[0] = '\0';
}

void am_links_of_evidence(const am_links *links, const am_match_input *in, const char *evidence,
                          char out[8])
{
    unsigned lowest = 1001;
    uint16_t feed;
    uint32_t line;
    for (const char *cursor = evidence; links->n && am_evidence_next(in, &cursor, &feed, &line);) {
        const am_link_result *r = linked_row(links, feed, line);
        if (r && r->probability < lowest)
            lowest = r->probability;
    }
    if (lowest > 1000)
        out[0] = '\0';
    else
        probability_text((uint16_t)lowest, out);
}

/* The names of the evidence in bits, ';'-separated: 52 bytes with all. */
#define AGREEING_MAX 64

static void agreeing_text(unsigned bits, char out[AGREEING_MAX])
{
    static const struct {
        unsigned bit;
        const char *name;
    } evidence[] = {{AM_AGREE_NAME, "name"},         {AM_AGREE_NAME_FUZZY, "name_fuzzy"},
                    {AM_AGREE_HOUSEHOLD, "household"}, {AM_AGREE_BIRTH_DATE, "birth_date"},
                    {AM_AGREE_SEX, "sex"},           {AM_AGREE_AREA, "area"}};
    size_t at = 0;
    for (size_t i = 0; i < sizeof evidence / sizeof *evidence; i++) {
        if (!(bits & evidence[i].bit))
            continue;
        if (at)
            out[at++] = ';';
        const size_t len = strlen(evidence[i].name);
        memcpy(out + at, evidence[i].name, len);
        at += len;
    }
    out[at] = '\0';
}

am_status am_links_write(const am_links *links, const am_feed *const *feeds, int bom,
                         const char *path, am_err *err)
{
    am_atomic_file f;
    am_status st = am_atomic_open(&f, path, err);
    if (st != AM_OK)
        return st;
    if (bom)
        fputs(AM_CSV_BOM, f.out);
    fputs("feed,line,reason,person,probability,agreeing,candidates,status\n", f.out);
    for (size_t i = 0; i < links->n; i++) {
        const am_link_result *r = &links->v[i];
        char line[16], person[AM_TOKEN_HEX + 1], probability[8], agreeing[AGREEING_MAX],
            candidates[16];
        am_decimal_text(r->line, 0, line);
        am_token_hex(r->person, person);
        probability_text(r->probability, probability);
        agreeing_text(r->agreeing, agreeing);
        am_decimal_text(r->candidates, 0, candidates);
        const char *fields[] = {feeds[r->feed]->name,
                                line,
                                am_reject_name((am_reject)r->reason),
                                person,
                                probability,
                                agreeing,
                                candidates,
                                am_link_status_name((am_link_status)r->status)};
        am_csv_row(f.out, fields, sizeof fields / sizeof *fields);
    }
    return am_atomic_commit(&f, err);
}

static void estimate_json(FILE *out, const char *name, const am_link_estimate *e, int last)
{
    fprintf(out,
            "\n      \"%s\": {\"m\": %.6f, \"u\": %.6f, \"m_agree\": %" PRIu64
            ", \"m_pairs\": %" PRIu64 ", \"u_agree\": %" PRIu64 ", \"u_pairs\": %" PRIu64 "}%s",
            name, e->m, e->u, e->m_agree, e->m_pairs, e->u_agree, e->u_pairs, last ? "" : ",");
}

void am_links_summary_json(const am_links *l, FILE *out)
{
    fprintf(out, ",\n  \"links\": {\n    \"link_threshold\": %u.%03u, \"review_threshold\": %u.%03u,",
            l->link_threshold / 1000, l->link_threshold % 1000, l->review_threshold / 1000,
            l->review_threshold % 1000);
    static const char *const unheld[] = {"no_candidate", "no_repair"};
    for (int s = 0; s < AM_LINK__COUNT + 2; s++) {
        const uint64_t *counts = s < AM_LINK__COUNT       ? l->count[s]
                                 : s == AM_LINK__COUNT ? l->no_candidate
                                                       : l->no_repair;
        uint64_t total = 0;
        for (int r = 0; r < AM_REJECT__COUNT; r++)
            total += counts[r];
        fprintf(out, "\n    \"%s\": {\"rows\": %" PRIu64 ", \"by_reason\": {",
                s < AM_LINK__COUNT ? am_link_status_name((am_link_status)s)
                                   : unheld[s - AM_LINK__COUNT],
                total);
        int first = 1;
        for (int r = 0; r < AM_REJECT__COUNT; r++) {
            if (!counts[r])
                continue;
            fprintf(out, "%s\"%s\": %" PRIu64, first ? "" : ", ", am_reject_name((am_reject)r),
                    counts[r]);
            first = 0;
        }
        fputs("}},", out);
    }
    fputs("\n    \"estimates\": {", out);
    estimate_json(out, "name", &l->name, 0);
    estimate_json(out, "name_fuzzy", &l->name_fuzzy, 0);
    estimate_json(out, "household", &l->household, 0);
    estimate_json(out, "birth_date", &l->birth_date, 0);
    estimate_json(out, "sex", &l->sex, 0);
    estimate_json(out, "area", &l->area, 1);
    fputs("\n    }\n  }", out);
}
