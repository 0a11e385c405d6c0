/*
 * finding.c — building findings from matcher drafts (see finding.h).
 */
#include "match/finding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* for XXH3_state_t on the stack */
#include <xxhash.h>

#include "common/alloc.h"
#include "common/day.h"

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Joins names with ';' after sorting and dropping repeats. */
static char *join_sorted(const char **names, size_t n)
{
    qsort(names, n, sizeof *names, compare_strings);
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(names[i]) + 1;
    char *out = am_malloc(total), *p = out;
    if (!out)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
            continue;
        if (p != out)
            *p++ = ';';
        const size_t len = strlen(names[i]);
        memcpy(p, names[i], len + 1);
        p += len;
    }
    return out;
}

typedef struct evidence_ref {
    const char *feed;
    uint32_t line;
} evidence_ref;

static int compare_evidence(const void *pa, const void *pb)
{
    const evidence_ref *a = pa, *b = pb;
    const int c = strcmp(a->feed, b->feed);
    if (c)
        return c;
    return a->line < b->line ? -1 : a->line > b->line;
}

static char *join_evidence(const am_match_input *in, const am_record *const *records, size_t n)
{
    evidence_ref *refs = am_malloc(n * sizeof *refs);
    if (!refs)
        return NULL;
    size_t total = 1;
    for (size_t i = 0; i < n; i++) {
        refs[i].feed = in->feeds[records[i]->feed]->name;
        refs[i].line = records[i]->line;
        total += strlen(refs[i].feed) + 12;
    }
    qsort(refs, n, sizeof *refs, compare_evidence);
    char *out = am_malloc(total), *p = out;
    if (out) {
        *p = '\0';
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && compare_evidence(&refs[i], &refs[i - 1]) == 0)
                continue;
            p += sprintf(p, "%s%s:%u", p == out ? "" : ";", refs[i].feed, (unsigned)refs[i].line);
        }
    }
    am_free(refs);
    return out;
}

static am_status grow(am_finding_list *list)
{
    return AM_RESERVE(list->v, list->capacity, list->count + 1) ? AM_OK : AM_ERR_NOMEM;
}

static void make_id(am_finding_rec *f, const char *rule_id)
{
    XXH3_state_t state;
    XXH3_128bits_reset(&state);
    /* NUL separators keep "A"+"BC" distinct from "AB"+"C". */
    XXH3_128bits_update(&state, rule_id, strlen(rule_id) + 1);
    XXH3_128bits_update(&state, f->subject, sizeof f->subject);
    XXH3_128bits_update(&state, f->items, strlen(f->items) + 1);
    XXH3_128bits_update(&state, f->agencies, strlen(f->agencies) + 1);
    const XXH128_hash_t h = XXH3_128bits_digest(&state);
    snprintf(f->id, sizeof f->id, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
}

am_status am_findings_add(const am_match_input *in, am_finding_list *list,
                          const am_finding_draft *d)
{
    if (grow(list) != AM_OK)
        return AM_ERR_NOMEM;
    const am_catalogue *cat = in->catalogue;
    const size_t nnames = d->ncodes > d->nagencies ? d->ncodes : d->nagencies;
    const char **names = am_malloc((nnames ? nnames : 1) * sizeof *names);
    if (!names)
        return AM_ERR_NOMEM;
    am_finding_rec *f = &list->v[list->count];
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < d->ncodes; i++)
        names[i] = am_code_name(cat, d->codes[i]);
    f->items = join_sorted(names, d->ncodes);
    for (size_t i = 0; i < d->nagencies; i++)
        names[i] = cat->agencies[d->agencies[i]].code;
    f->agencies = join_sorted(names, d->nagencies);
    am_free(names);
    f->evidence = join_evidence(in, d->evidence, d->nevidence);
    if (!f->items || !f->agencies || !f->evidence) {
        am_free(f->items);
        am_free(f->agencies);
        am_free(f->evidence);
        return AM_ERR_NOMEM;
    }
    am_token_hex(d->subject, f->subject);
    am_day_format(d->start, f->period_start);
    am_day_format(d->end, f->period_end);
    make_id(f, d->rule_id);
    f->pub = (am_finding){
        .kind = d->kind,
        .rule_id = d->rule_id,
        .unit = d->household_subject ? "household" : "person",
        .overlap_days = d->days,
        .amount_fen = d->amount_fen,
        .policy_source = d->policy_source,
        .priority = d->priority,
    };
    list->count++;
    return AM_OK;
}

static int compare_findings(const void *pa, const void *pb)
{
    const am_finding_rec *a = pa, *b = pb;
    if (a->pub.amount_fen != b->pub.amount_fen)
        return a->pub.amount_fen > b->pub.amount_fen ? -1 : 1;
    return strcmp(a->id, b->id);
}

void am_findings_sort(am_finding_list *list)
{
    if (list->count > 1)
        qsort(list->v, list->count, sizeof *list->v, compare_findings);
    /* Only now: sorting moved the records, and with them the arrays the
     * public views must name. */
    am_findings_point_views(list);
}

void am_findings_point_views(am_finding_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        am_finding_rec *f = &list->v[i];
        f->pub.id = f->id;
        f->pub.subject = f->subject;
        f->pub.period_start = f->period_start;
        f->pub.period_end = f->period_end;
        f->pub.items = f->items;
        f->pub.agencies = f->agencies;
        f->pub.evidence = f->evidence;
    }
}

am_status am_findings_move(am_finding_list *into, am_finding_list *from)
{
    if (into->count + from->count > into->capacity) {
        const size_t cap = into->count + from->count;
        am_finding_rec *grown = am_realloc(into->v, (cap ? cap : 1) * sizeof *grown);
        if (!grown)
            return AM_ERR_NOMEM;
        into->v = grown;
        into->capacity = cap;
    }
    if (from->count)
        memcpy(into->v + into->count, from->v, from->count * sizeof *from->v);
    into->count += from->count;
    am_free(from->v);
    memset(from, 0, sizeof *from);
    return AM_OK;
}

void am_findings_free(am_finding_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        am_free(list->v[i].items);
        am_free(list->v[i].agencies);
        am_free(list->v[i].evidence);
    }
    am_free(list->v);
    memset(list, 0, sizeof *list);
}
