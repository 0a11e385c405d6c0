/*
 * query.c — the auditor's questions and their answers (see query.h):
 * ad-hoc rules over every record, one person's records and findings, and
 * one finding explained.
 *
 * Ad-hoc rules read the whole store (a snapshot is verified whole first)
 * with the reconciliation's own matchers.  A person or a finding needs
 * only the records around one subject: those are gathered into a small
 * store (neighbourhood.h) and the context's rules run there, so a person
 * is answered in milliseconds from a county's snapshot and always agrees
 * with the nightly run.
 */
#include "audit/query.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "store/area.h"
#include "common/day.h"
#include "match/duplicate.h"
#include "match/facts.h"
#include "match/household.h"
#include "match/match.h"
#include "audit/neighbourhood.h"
#include "read/resident_id.h"
#include "audit/snapshot.h"
#include "write/links.h"

/* ------------------------------------------------------------------ */
/* The answer                                                           */

static void clear_results(am_answer *a)
{
    am_findings_free(&a->findings);
    am_rules_free(&a->rules);
    am_free(a->extra);
    a->extra = NULL;
    am_free(a->rows);
    a->rows = NULL;
    a->nrows = a->caprows = a->nperson = 0;
    a->id_errors_len = 0;
    a->token[0] = '\0';
}

void am_answer_free(am_answer *answer)
{
    if (!answer)
        return;
    clear_results(answer);
    am_free(answer->id_errors);
    am_source_free(&answer->memory);
    am_free(answer);
}

void am_answer_forget(am_answer **answer)
{
    am_answer_free(*answer);
    *answer = NULL;
}

static am_answer *answer_of(const am_question *q)
{
    if (!*q->answer)
        *q->answer = am_calloc(1, sizeof **q->answer);
    return *q->answer;
}

/* Where questions read: the snapshot, or the indexes of the context's own
 * run, rebuilt whenever its store has changed. */
static am_status source_of(const am_question *q, const char *call, am_source **out)
{
    if (q->snapshot) {
        *out = &q->snapshot->src;
        return AM_OK;
    }
    if (!(AM_FINDINGS_CURRENT & AM_IN(q->stage)))
        return am_fail(q->err, AM_ERR_STATE,
                       "%s: the run is %s: open a snapshot (am_snapshot_open()), or call "
                       "am_reconcile(), before asking questions",
                       call, am_stage_name(q->stage));
    am_answer *a = answer_of(q);
    if (!a)
        return am_fail(q->err, AM_ERR_NOMEM, "out of memory");
    const am_store *store = q->match.store;
    if (a->have_memory &&
        (a->memory.records != store->records || a->memory.nrecords != store->count ||
         a->memory.nhouseholds != store->nhouseholds ||
         a->memory.nfindings != q->findings->count)) {
        am_source_free(&a->memory);
        a->have_memory = 0;
    }
    if (!a->have_memory) {
        int32_t start, end;
        am_run_window_of(q->window, q->match.catalogue, store, &start, &end);
        const am_status st =
            am_source_build(store, q->findings, start, end, NULL, 0, &a->memory, q->err);
        if (st != AM_OK)
            return st;
        a->have_memory = 1;
    }
    *out = &a->memory;
    return AM_OK;
}

/* ------------------------------------------------------------------ */
/* Filters                                                              */

typedef struct filter {
    unsigned kinds;
    uint8_t *codes;    /* per catalogue code, or NULL: any */
    uint8_t *agencies; /* per agency, or NULL: any */
    int64_t min_amount_fen;
    char town[7];
} filter;

static void filter_free(filter *f)
{
    am_free(f->codes);
    am_free(f->agencies);
    memset(f, 0, sizeof *f);
}

/* Reads a list of codes separated by ',', ';' or spaces into a flag per
 * code; lookup returns the code's index or -1. */
static am_status parse_codes(const am_question *q, const char *list, size_t n, const char *what,
                             int (*lookup)(const am_catalogue *, const char *, size_t),
                             uint8_t **out)
{
    *out = NULL;
    if (!list || !*list)
        return AM_OK;
    uint8_t *flags = am_calloc(n ? n : 1, 1);
    if (!flags)
        return am_fail(q->err, AM_ERR_NOMEM, "out of memory");
    int any = 0;
    for (const char *p = list; *p;) {
        const size_t len = strcspn(p, ",; ");
        if (len) {
            const int code = lookup(q->match.catalogue, p, len);
            if (code < 0) {
                am_free(flags);
                return am_fail(q->err, AM_ERR_FORMAT, "filter: '%.*s' is not %s of the catalogue",
                               (int)(len > 40 ? 40 : len), p, what);
            }
            flags[code] = 1;
            any = 1;
        }
        p += len;
        if (*p)
            p++;
    }
    if (!any) {
        am_free(flags);
        return AM_OK;
    }
    *out = flags;
    return AM_OK;
}

static int lookup_code(const am_catalogue *cat, const char *s, size_t len)
{
    const int item = am_catalogue_item(cat, s, len);
    if (item >= 0)
        return item;
    const int fact = am_catalogue_fact(cat, s, len);
    return fact >= 0 ? (int)am_code_of_fact(cat, (unsigned)fact) : -1;
}

static am_status parse_filter(const am_question *q, const am_filter *in, filter *f)
{
    memset(f, 0, sizeof *f);
    if (!in)
        return AM_OK;
    if (in->kinds & ~((1u << AM_KIND__COUNT) - 1))
        return am_fail(q->err, AM_ERR_FORMAT, "filter: a kind out of range");
    if (in->min_amount_fen < 0)
        return am_fail(q->err, AM_ERR_FORMAT, "filter: a negative amount");
    f->kinds = in->kinds;
    f->min_amount_fen = in->min_amount_fen;
    if (in->town && *in->town) {
        const size_t len = strlen(in->town);
        if (len > 6 || strspn(in->town, "0123456789") != len)
            return am_fail(q->err, AM_ERR_FORMAT,
                           "filter: a town is 1 to 6 leading digits of an area code");
        memcpy(f->town, in->town, len + 1);
    }
    const am_catalogue *cat = q->match.catalogue;
    am_status st = parse_codes(q, in->items, cat->nitems + cat->nfacts, "an item or fact code",
                               lookup_code, &f->codes);
    if (st == AM_OK)
        st = parse_codes(q, in->agencies, cat->nagencies, "an agency code",
                         am_catalogue_agency, &f->agencies);
    if (st != AM_OK)
        filter_free(f);
    return st;
}

/* Whether one of the ';'-separated names of list is flagged. */
static int names_match(const am_catalogue *cat, const char *list, const uint8_t *flags,
                       int (*lookup)(const am_catalogue *, const char *, size_t))
{
    for (const char *p = list; *p;) {
        const size_t len = strcspn(p, ";");
        const int code = lookup(cat, p, len);
        if (code >= 0 && flags[code])
            return 1;
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

/* Everything but the town, which needs the finding's area. */
static int finding_passes(const am_catalogue *cat, const filter *f, const am_finding *x)
{
    if (f->kinds && !(f->kinds & (1u << x->kind)))
        return 0;
    if (x->amount_fen < f->min_amount_fen)
        return 0;
    if (f->codes && !names_match(cat, x->items, f->codes, lookup_code))
        return 0;
    if (f->agencies && !names_match(cat, x->agencies, f->agencies, am_catalogue_agency))
        return 0;
    return 1;
}

static int town_passes(const filter *f, const char *area)
{
    return !f->town[0] || strncmp(area, f->town, strlen(f->town)) == 0;
}

/* ------------------------------------------------------------------ */
/* Building answers                                                     */

/* Keeps the findings flagged in keep (and their extras, if any), in
 * order; frees the rest. */
static void keep_findings(am_finding_list *l, am_answer_extra *extra, const uint8_t *keep)
{
    size_t k = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (!keep[i]) {
            am_free(l->v[i].items);
            am_free(l->v[i].agencies);
            am_free(l->v[i].evidence);
            continue;
        }
        if (k != i) {
            l->v[k] = l->v[i];
            if (extra)
                extra[k] = extra[i];
        }
        k++;
    }
    l->count = k;
    am_findings_sort(l); /* already in order; points the public views again */
}

static am_record_row *new_row(am_answer *a)
{
    return AM_RESERVE(a->rows, a->caprows, a->nrows + 1) ? &a->rows[a->nrows++] : NULL;
}

static int add_row(const am_question *q, const am_store *store, am_answer *a, const am_record *r,
                   const char *relation)
{
    am_record_row *row = new_row(a);
    if (row) {
        am_record_row_fill(row, q->match.catalogue, q->match.feeds[r->feed], store, r, relation);
        am_links_row_text(q->links, r->feed, r->line, row->linked);
    }
    return row != NULL;
}

/* What matching reads of the run, over another store (evidence, facts,
 * findings): nothing of the run is changed through it. */
static am_match_input input_over(const am_question *q, const am_store *store)
{
    am_match_input in = q->match;
    in.store = store;
    return in;
}

/* Keeps finding p's possible_id_error text in the answer, for x. */
static int keep_id_error(am_answer *a, am_answer_extra *x, const am_review_rows *rows,
                         const am_match_input *view, const am_finding *p)
{
    char text[AM_ID_ERROR_FIELD_MAX];
    am_possible_id_error(rows, view, p, text, sizeof text);
    const size_t len = strlen(text);
    if (!len)
        return 1;
    if (!AM_RESERVE(a->id_errors, a->id_errors_cap, a->id_errors_len + len + 1))
        return 0;
    memcpy(a->id_errors + a->id_errors_len, text, len + 1);
    x->id_error = a->id_errors_len + 1;
    a->id_errors_len += len + 1;
    return 1;
}

/* Fills the extras of every finding (facts, area, what linking says of
 * it, concerns[i] when given) and, with rows, lists its evidence records;
 * then drops those outside the town. */
static am_status finish(const am_question *q, const am_store *store, am_answer *a, const filter *f,
                        int with_rows, const char *const *concerns)
{
    const size_t n = a->findings.count;
    a->extra = am_calloc(n ? n : 1, sizeof *a->extra);
    if (!a->extra)
        return am_fail(q->err, AM_ERR_NOMEM, "out of memory");
    if (n == 0)
        return AM_OK;
    const am_match_input view = input_over(q, store);
    am_evidence_index ix;
    if (am_evidence_index_build(&view, &a->findings, NULL, 0, &ix) != AM_OK)
        return am_fail(q->err, AM_ERR_NOMEM, "out of memory");
    am_facts_scratch scratch = {0};
    am_review_rows review_rows = {0};
    uint8_t *keep = am_malloc(n);
    am_status st = keep ? am_review_rows_build(q->links, &review_rows) : AM_ERR_NOMEM;
    for (size_t i = 0; st == AM_OK && i < n; i++) {
        am_answer_extra *x = &a->extra[i];
        uint32_t area;
        const am_finding *p = &a->findings.v[i].pub;
        if ((st = am_facts_of(&view, &ix, p, &scratch, x->facts, &area)) != AM_OK)
            break;
        am_links_of_evidence(q->links, &view, p->evidence, x->linked);
        if (!keep_id_error(a, x, &review_rows, &view, p)) {
            st = AM_ERR_NOMEM;
            break;
        }
        if (area)
            snprintf(x->area, sizeof x->area, "%06u", (unsigned)(area % 1000000));
        x->concerns = concerns ? concerns[i] : "";
        keep[i] = (uint8_t)town_passes(f, x->area);
        if (!with_rows || !keep[i])
            continue;
        x->first_row = a->nrows;
        const char *cursor = p->evidence;
        uint16_t feed;
        uint32_t line;
        while (st == AM_OK && am_evidence_next(&view, &cursor, &feed, &line)) {
            const am_record *r = am_evidence_find(&ix, feed, line);
            if (r && !add_row(q, store, a, r, "evidence"))
                st = AM_ERR_NOMEM;
        }
        x->nrows = a->nrows - x->first_row;
    }
    am_review_rows_free(&review_rows);
    am_facts_scratch_free(&scratch);
    am_evidence_index_free(&ix);
    if (st == AM_OK)
        keep_findings(&a->findings, a->extra, keep);
    am_free(keep);
    return st == AM_OK ? AM_OK : am_fail(q->err, st, "out of memory");
}

/* Starts a question: a fresh answer. */
static am_status begin(const am_question *q, am_answer **out)
{
    am_answer *a = answer_of(q);
    if (!a)
        return am_fail(q->err, AM_ERR_NOMEM, "out of memory");
    clear_results(a);
    *out = a;
    return AM_OK;
}

/* ------------------------------------------------------------------ */
/* Ad-hoc rules                                                         */

/* Records per code over the whole source. */
static uint64_t group_count(const am_group *g, const uint64_t *per_code)
{
    uint64_t n = 0;
    for (size_t k = 0; k < g->n; k++)
        n += per_code[g->refs[k].code];
    return n;
}

/* The codes one of which a person must hold for any rule of rules to find
 * anything about them or their household.  Each rule needs every one of
 * some groups — both sides of an exclusive rule, every condition of an
 * entitlement, the fact and the items of disqualifies, the group of
 * household_unique, the fact of ends_at — and the rarest of those is
 * taken.  *codes is NULL when some rule needs every record (exclusive
 * with scope household, whose members' own items count through their
 * hukou). */
static am_status trigger_codes(const am_question *q, const am_source *src, const am_rules *rules,
                               uint8_t **codes)
{
    *codes = NULL;
    const am_catalogue *cat = q->match.catalogue;
    const size_t ncodes = cat->nitems + cat->nfacts;
    for (size_t i = 0; i < rules->n; i++)
        if (rules->v[i].kind == AM_RULE_EXCLUSIVE && rules->v[i].household_scope)
            return AM_OK;
    uint8_t *flags = am_calloc(ncodes + 1, 1);
    uint64_t *per_code = am_calloc(ncodes + 1, sizeof *per_code);
    if (!flags || !per_code) {
        am_free(flags);
        am_free(per_code);
        return am_fail(q->err, AM_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < src->nrecords; i++)
        per_code[src->records[i].code]++;
    for (size_t i = 0; i < rules->n; i++) {
        const am_rule *r = &rules->v[i];
        const am_group *best = &r->first;
        if (r->kind == AM_RULE_EXCLUSIVE || r->kind == AM_RULE_DISQUALIFIES) {
            if (group_count(&r->second, per_code) < group_count(best, per_code))
                best = &r->second;
        } else if (r->kind == AM_RULE_ENTITLES) {
            best = &r->terms[0];
            for (size_t t = 1; t < r->nterms; t++)
                if (group_count(&r->terms[t], per_code) < group_count(best, per_code))
                    best = &r->terms[t];
        }
        for (size_t k = 0; k < best->n; k++)
            flags[best->refs[k].code] = 1;
    }
    am_free(per_code);
    *codes = flags;
    return AM_OK;
}

am_status am_question_rules(const am_question *q, const char *text, size_t len, const char *name,
                            const am_filter *in, unsigned flags)
{
    if ((!text && len))
        return am_fail(q->err, AM_ERR_INVALID, "am_match_rules: text is NULL");
    if (!q->have_catalogue)
        return am_fail(q->err, AM_ERR_INVALID, "load a catalogue or open a snapshot first");
    am_answer *a;
    am_status st = begin(q, &a);
    if (st != AM_OK)
        return st;
    filter f;
    if ((st = parse_filter(q, in, &f)) != AM_OK)
        return st;
    am_rules rules = {0};
    am_source *src = NULL;
    st = am_rules_parse_ad_hoc(&rules, q->match.catalogue, text ? text : "", len,
                               name ? name : "rules", q->err);
    if (st == AM_OK)
        st = source_of(q, "am_match_rules", &src);
    if (st == AM_OK && src->snap)
        st = am_snapshot_verify_all(src->snap, q->match.catalogue, q->err);
    if (st != AM_OK) {
        am_rules_free(&rules);
        filter_free(&f);
        return st;
    }
    int32_t start, end;
    am_run_window_of(q->window, q->match.catalogue, q->match.store, &start, &end);
    /* Only the neighbourhood of those who hold what the rules need, unless
     * that is most of the county anyway. */
    uint8_t *codes = NULL;
    am_hood hood = {0};
    int pruned = 0, too_big = 1;
    if (!(flags & AM_MATCH_WITH_DUPLICATES) &&
        (st = trigger_codes(q, src, &rules, &codes)) == AM_OK && codes) {
        st = am_hood_gather_codes(src, q->match.catalogue, codes, src->nrecords / 2, &hood,
                                  &too_big, q->err);
        pruned = st == AM_OK && !too_big;
    }
    am_free(codes);
    if (st != AM_OK) {
        am_rules_free(&rules);
        filter_free(&f);
        return st;
    }
    /* Or the whole store, read in place: a snapshot's mapping is
     * read-only, and nothing below writes to it (its claims are assigned
     * already). */
    const am_store whole = {
        .records = (am_record *)(uintptr_t)src->records,
        .count = src->nrecords,
        .households = (unsigned char(*)[AM_TOKEN_BYTES])(uintptr_t)src->households,
        .nhouseholds = src->nhouseholds,
    };
    const am_store *store = pruned ? &hood.store : &whole;
    a->rules = rules;
    am_match_input matching = input_over(q, store);
    matching.rules = &a->rules;
    if (pruned) {
        st = am_hood_findings(&matching, &hood, &a->rules, start, end, q->match.threads,
                              &a->findings);
    } else {
        am_store unpruned = whole;
        am_household_index index;
        st = am_households_build(&unpruned, matching.catalogue, matching.rules, &index,
                                 q->match.threads);
        if (st == AM_OK) {
            st = am_match_all(&matching, &index, start, end, q->match.threads, &a->findings);
            am_households_free(&index);
        }
    }
    uint8_t *keep = st == AM_OK ? am_malloc(a->findings.count ? a->findings.count : 1) : NULL;
    if (!keep) {
        am_hood_free(&hood);
        filter_free(&f);
        if (st == AM_ERR_LIMIT)
            return am_fail(q->err, st, "more than %u records to match", UINT32_MAX - 1);
        return am_fail(q->err, AM_ERR_NOMEM, "out of memory matching");
    }
    for (size_t i = 0; i < a->findings.count; i++) {
        const am_finding_rec *x = &a->findings.v[i];
        unsigned char subject[AM_TOKEN_BYTES];
        am_token_parse(x->subject, AM_TOKEN_HEX, subject);
        /* In a neighbourhood, only the findings of its inner ring are whole. */
        const int whole_finding = !pruned || (strcmp(x->pub.unit, "household") == 0
                                                  ? am_hood_focus(&hood, subject)
                                                  : am_hood_near(&hood, subject));
        keep[i] = (uint8_t)(whole_finding &&
                            (flags & AM_MATCH_WITH_DUPLICATES ||
                             strcmp(x->pub.rule_id, AM_DUPLICATE_RULE_ID) != 0) &&
                            finding_passes(q->match.catalogue, &f, &x->pub));
    }
    keep_findings(&a->findings, NULL, keep);
    am_free(keep);
    st = finish(q, store, a, &f, 0, NULL);
    am_hood_free(&hood);
    filter_free(&f);
    return st;
}

/* ------------------------------------------------------------------ */
/* A person                                                             */

/* The token of a raw ID or of 32 hex digits.  A raw ID lives in a stack
 * buffer only while it is normalised and hashed, and is then wiped. */
static am_status token_of(const am_question *q, const char *text,
                          unsigned char token[AM_TOKEN_BYTES])
{
    const size_t len = strlen(text);
    if (len == AM_TOKEN_HEX && am_token_parse(text, len, token))
        return AM_OK;
    char id[AM_ID_LEN];
    am_reject why;
    if (!am_id_normalise(text, len, id, &why)) {
        return am_fail(q->err, AM_ERR_FORMAT,
                       "expected a resident ID or a token of 32 hex digits; as an ID it is "
                       "refused: %s", am_reject_name(why));
    }
    am_status st = AM_OK;
    if (!q->key->bytes)
        st = am_fail(q->err, AM_ERR_KEY,
                     "a raw resident ID needs the centre's key to become a token: load it");
    else if (q->snapshot && *q->snapshot->fingerprint &&
             strcmp(q->snapshot->fingerprint, q->key->fingerprint) != 0)
        st = am_fail(q->err, AM_ERR_KEY,
                     "the key loaded (%s) is not the one the snapshot's tokens were made with (%s)",
                     q->key->fingerprint, q->snapshot->fingerprint);
    else
        am_token_person(q->key, id, token);
    sodium_memzero(id, sizeof id);
    return st;
}

static int record_passes(const am_question *q, const filter *f, const am_record *r)
{
    if (f->codes && !f->codes[r->code])
        return 0;
    if (f->agencies) {
        const int agency = q->match.feeds[r->feed]->agency;
        if (agency < 0 || !f->agencies[agency])
            return 0;
    }
    return 1;
}

/* Whether evidence names one of records [begin, end) by feed and line. */
static int cites(const am_match_input *view, const char *evidence, const am_record *begin,
                 const am_record *end)
{
    const char *cursor = evidence;
    uint16_t feed;
    uint32_t line;
    while (am_evidence_next(view, &cursor, &feed, &line))
        for (const am_record *r = begin; r < end; r++)
            if (r->feed == feed && r->line == line)
                return 1;
    return 0;
}

am_status am_question_person(const am_question *q, const char *id_or_token, const am_filter *in)
{
    if (!id_or_token)
        return am_fail(q->err, AM_ERR_INVALID, "am_person_lookup: id_or_token is NULL");
    if (!q->have_catalogue)
        return am_fail(q->err, AM_ERR_INVALID, "load a catalogue or open a snapshot first");
    am_answer *a;
    am_status st = begin(q, &a);
    if (st != AM_OK)
        return st;
    unsigned char token[AM_TOKEN_BYTES];
    if ((st = token_of(q, id_or_token, token)) != AM_OK)
        return st;
    filter f;
    if ((st = parse_filter(q, in, &f)) != AM_OK)
        return st;
    am_source *src;
    am_hood hood;
    if ((st = source_of(q, "am_person_lookup", &src)) != AM_OK ||
        (st = am_hood_gather(src, token, 0, &hood, q->err)) != AM_OK) {
        filter_free(&f);
        return st;
    }
    am_token_hex(token, a->token);
    int32_t start, end;
    am_run_window_of(q->window, q->match.catalogue, q->match.store, &start, &end);
    st = am_hood_findings(&q->match, &hood, q->match.rules, start, end, 1, &a->findings);
    const am_record *self = NULL, *self_end = NULL;
    for (size_t p = 0; p < hood.nnear; p++)
        if (memcmp(hood.near[p].token, token, AM_TOKEN_BYTES) == 0) {
            self = hood.store.records + hood.near[p].begin;
            self_end = hood.store.records + hood.near[p].end;
        }
    /* The person's records, then their housemates' items. */
    for (const am_record *r = self; st == AM_OK && r && r < self_end; r++)
        if (record_passes(q, &f, r) && !add_row(q, &hood.store, a, r, "self"))
            st = AM_ERR_NOMEM;
    for (size_t p = 0; st == AM_OK && p < hood.nnear; p++) {
        if (memcmp(hood.near[p].token, token, AM_TOKEN_BYTES) == 0)
            continue;
        for (size_t i = hood.near[p].begin; st == AM_OK && i < hood.near[p].end; i++) {
            const am_record *r = &hood.store.records[i];
            if (am_code_is_item(q->match.catalogue, r->code) && record_passes(q, &f, r) &&
                !add_row(q, &hood.store, a, r, "member"))
                st = AM_ERR_NOMEM;
        }
    }
    a->nperson = a->nrows;
    /* The findings that concern the person. */
    uint8_t *keep = st == AM_OK ? am_malloc(a->findings.count ? a->findings.count : 1) : NULL;
    const char **concerns = keep ? am_malloc((a->findings.count ? a->findings.count : 1) *
                                             sizeof *concerns)
                                 : NULL;
    if (st == AM_OK && !concerns)
        st = AM_ERR_NOMEM;
    if (st == AM_OK) {
        const am_match_input view = input_over(q, &hood.store);
        for (size_t i = 0; i < a->findings.count; i++) {
            const am_finding *p = &a->findings.v[i].pub;
            const int household = strcmp(p->unit, "household") == 0;
            unsigned char subject[AM_TOKEN_BYTES];
            am_token_parse(p->subject, AM_TOKEN_HEX, subject);
            concerns[i] = NULL;
            if (!household && memcmp(subject, token, AM_TOKEN_BYTES) == 0)
                concerns[i] = "subject";
            else if (household && am_hood_focus(&hood, subject))
                concerns[i] = "household";
            if (!concerns[i] && self && cites(&view, p->evidence, self, self_end))
                concerns[i] = "evidence";
            keep[i] = concerns[i] && finding_passes(q->match.catalogue, &f, p);
        }
        /* Compact the concerns alongside the findings. */
        size_t k = 0;
        for (size_t i = 0; i < a->findings.count; i++)
            if (keep[i])
                concerns[k++] = concerns[i];
        keep_findings(&a->findings, NULL, keep);
        st = finish(q, &hood.store, a, &f, 1, concerns);
    }
    am_free(keep);
    am_free(concerns);
    am_hood_free(&hood);
    filter_free(&f);
    if (st == AM_ERR_NOMEM)
        return am_fail(q->err, st, "out of memory");
    return st;
}

/* ------------------------------------------------------------------ */
/* A finding explained                                                  */

am_status am_question_explain(const am_question *q, const char *finding_id)
{
    if (!finding_id)
        return am_fail(q->err, AM_ERR_INVALID, "am_explain: finding_id is NULL");
    am_answer *a;
    am_status st = begin(q, &a);
    if (st != AM_OK)
        return st;
    unsigned char id[16];
    if (strlen(finding_id) != 32 || !am_token_parse(finding_id, 32, id))
        return am_fail(q->err, AM_ERR_FORMAT, "expected a finding id of 32 hex digits");
    am_source *src;
    if ((st = source_of(q, "am_explain", &src)) != AM_OK)
        return st;
    const am_finding_key *key = am_source_finding(src, id);
    if (!key)
        return AM_OK; /* not a finding of this run: an empty answer */
    am_hood hood;
    if ((st = am_hood_gather(src, key->unit ? NULL : key->subject, key->unit ? key->household : 0,
                             &hood, q->err)) != AM_OK)
        return st;
    int32_t start, end;
    am_run_window_of(q->window, q->match.catalogue, q->match.store, &start, &end);
    st = am_hood_findings(&q->match, &hood, q->match.rules, start, end, 1, &a->findings);
    char hex[33];
    am_token_hex(id, hex); /* the same hex digits, in lower case */
    uint8_t *keep = st == AM_OK ? am_malloc(a->findings.count ? a->findings.count : 1) : NULL;
    if (st == AM_OK && !keep)
        st = AM_ERR_NOMEM;
    size_t found = 0;
    for (size_t i = 0; st == AM_OK && i < a->findings.count; i++)
        found += keep[i] = strcmp(a->findings.v[i].pub.id, hex) == 0;
    if (st == AM_OK) {
        keep_findings(&a->findings, NULL, keep);
        if (!found)
            st = am_fail(q->err, AM_ERR_FORMAT,
                         "%s: finding %s is listed, but its records do not give it",
                         q->snapshot ? q->snapshot->path : "the run", hex);
    }
    if (st == AM_OK) {
        const filter none = {0};
        st = finish(q, &hood.store, a, &none, 1, NULL);
    }
    am_free(keep);
    am_hood_free(&hood);
    if (st == AM_ERR_NOMEM)
        return am_fail(q->err, st, "out of memory");
    return st;
}
