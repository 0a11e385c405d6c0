/*
 * check.c — one check at the window (see check.h): the person's token,
 * their neighbourhood with the journal's and the proposed grants added,
 * the matchers run over it twice (the menu on the check date, then the
 * findings), and the answer read back.  Also the grants recorded in the
 * journal, and the window's own feeds and menu rules.
 */
#include "window/check.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/alloc.h"
#include "common/day.h"
#include "read/resident_id.h"
#include "match/household.h"
#include "audit/neighbourhood.h"
#include "audit/record_row.h"

/* Items paid for a period that ended at most this long before the check
 * date are held: feeds pay monthly or quarterly, and a snapshot is a
 * night old. */
#define RECENT_DAYS 92

typedef struct menu_entry {
    const am_rule *rule;
    uint16_t item;
} menu_entry;

struct am_check {
    am_err err;
    /* &err: an accessor, given a const check, leaves its failure's
     * message through it, as am_ctx's errmsg_slot does. */
    am_err *errmsg_slot;
    const am_window *window;
    char person[AM_TOKEN_HEX + 1];
    uint64_t journal_ignored;
    am_record_row *rows;
    size_t nrows, caprows;
    am_finding_list findings;
    menu_entry *menu;
    size_t nmenu;
};

/* ------------------------------------------------------------------ */
/* Opening                                                              */

static int arrived_in(am_source *src, am_feed *const *feeds, const am_journal_entry *e)
{
    size_t begin, end;
    if (am_source_person(src, e->person, &begin, &end, NULL) != AM_OK)
        return 0;
    for (size_t i = begin; i < end; i++) {
        const am_record *r = &src->records[i];
        if (r->code == e->code && feeds[r->feed]->agency == (int)e->agency &&
            r->start <= e->end && e->start <= r->end)
            return 1;
    }
    return 0;
}

static int arrived(void *user, const am_journal_entry *e)
{
    const am_window *w = user;
    return arrived_in(w->env.src, w->feeds, e);
}

am_status am_window_init(am_window *w, am_feed *const *feeds, am_err *err)
{
    const am_window_env *env = &w->env;
    const size_t nagencies = env->cat->nagencies;
    w->nall = env->nfeeds + 2 * nagencies;
    if (w->nall > UINT16_MAX)
        return am_fail(err, AM_ERR_LIMIT, "too many feeds and agencies for a window");
    w->own_feeds = am_calloc(2 * nagencies + 1, sizeof *w->own_feeds);
    w->feeds = am_calloc(w->nall + 1, sizeof *w->feeds);
    size_t nentitles = 0;
    for (size_t i = 0; i < env->rules->n; i++)
        nentitles += env->rules->v[i].kind == AM_RULE_ENTITLES;
    w->menu_rules.v = am_calloc(nentitles + 1, sizeof *w->menu_rules.v);
    if (!w->own_feeds || !w->feeds || !w->menu_rules.v)
        return am_fail(err, AM_ERR_NOMEM, "out of memory opening the window");
    for (size_t i = 0; i < env->nfeeds; i++)
        w->feeds[i] = feeds[i];
    for (size_t k = 0; k < 2 * nagencies; k++) {
        am_feed *f = &w->own_feeds[k];
        const size_t agency = k % nagencies;
        char name[64];
        snprintf(name, sizeof name, "%s/%s", k < nagencies ? "proposal" : "journal",
                 env->cat->agencies[agency].code);
        if (!(f->name = am_strdup(name)))
            return am_fail(err, AM_ERR_NOMEM, "out of memory opening the window");
        f->index = (uint16_t)(env->nfeeds + k);
        f->agency = (int)agency;
        f->kind = AM_FEED_PAYMENTS;
        w->feeds[env->nfeeds + k] = f;
    }
    /* The menu asks of one day whether each entitlement is met: no
     * stretch is short enough to tolerate. */
    for (size_t i = 0; i < env->rules->n; i++)
        if (env->rules->v[i].kind == AM_RULE_ENTITLES) {
            am_rule *r = &w->menu_rules.v[w->menu_rules.n++];
            *r = env->rules->v[i];
            r->grace_days = 0;
        }
    if (pthread_mutex_init(&w->lock, NULL) != 0)
        return am_fail(err, AM_ERR_NOMEM, "cannot make the window's lock");
    am_status st = am_journal_take_in(w->journal.path, env->cat, env->fingerprint,
                                      env->snapshot_stamp, arrived, w, NULL, NULL, err);
    if (st == AM_OK)
        st = am_journal_refresh(&w->journal, env->cat, env->fingerprint, err);
    return st;
}

void am_window_free(am_window *w)
{
    if (w->own_feeds) {
        pthread_mutex_destroy(&w->lock);
        for (size_t k = 0; k < 2 * w->env.cat->nagencies; k++)
            am_free(w->own_feeds[k].name);
    }
    am_free(w->own_feeds);
    am_free(w->feeds);
    am_free(w->menu_rules.v); /* the rules' groups belong to the run */
    am_journal_free(&w->journal);
}

/* ------------------------------------------------------------------ */
/* Reading a request                                                    */

/* The token of a raw ID or of 32 hex digits.  A raw ID lives in a stack
 * buffer only while it is normalised and hashed, and is then wiped. */
static am_status token_of(const am_window_env *env, const char *text,
                          unsigned char token[AM_TOKEN_BYTES], am_err *err)
{
    const size_t len = strlen(text);
    if (len == AM_TOKEN_HEX && am_token_parse(text, len, token))
        return AM_OK;
    char id[AM_ID_LEN];
    am_reject why;
    if (!am_id_normalise(text, len, id, &why))
        return am_fail(err, AM_ERR_FORMAT,
                       "expected a resident ID or a token of 32 hex digits; as an ID it is "
                       "refused: %s", am_reject_name(why));
    am_status st = AM_OK;
    if (!env->key || !env->key->bytes)
        st = am_fail(err, AM_ERR_KEY,
                     "a raw resident ID needs the centre's key to become a token: load it");
    else if (*env->fingerprint && strcmp(env->fingerprint, env->key->fingerprint) != 0)
        st = am_fail(err, AM_ERR_KEY,
                     "the key loaded (%s) is not the one the snapshot's tokens were made with (%s)",
                     env->key->fingerprint, env->fingerprint);
    else
        am_token_person(env->key, id, token);
    sodium_memzero(id, sizeof id);
    return st;
}

static am_status parse_date(const char *text, const char *what, int32_t *day, am_err *err)
{
    if (!text || !am_day_parse(text, strlen(text), AM_DATE_AUTO, day))
        return am_fail(err, AM_ERR_FORMAT, "%s: expected a date YYYY-MM-DD", what);
    return AM_OK;
}

/* A grant as a record of the person (no household: the run gives a
 * household item its payee's household, as for a feed without one). */
static am_status grant_record(const am_window *w, const am_grant *g, size_t k,
                              const unsigned char token[AM_TOKEN_BYTES], am_record *r,
                              am_err *err)
{
    const am_catalogue *cat = w->env.cat;
    memset(r, 0, sizeof *r);
    if (!g->item)
        return am_fail(err, AM_ERR_FORMAT, "grant %zu: no item", k);
    const int item = am_catalogue_item(cat, g->item, strlen(g->item));
    if (item < 0)
        return am_fail(err, AM_ERR_FORMAT, "grant %zu: '%.40s' is not an item of the catalogue", k,
                       g->item);
    int agency = cat->items[item].agency;
    if (g->agency && *g->agency &&
        (agency = am_catalogue_agency(cat, g->agency, strlen(g->agency))) < 0)
        return am_fail(err, AM_ERR_FORMAT, "grant %zu: '%.40s' is not an agency of the catalogue",
                       k, g->agency);
    char what[32];
    snprintf(what, sizeof what, "grant %zu: start", k);
    am_status st = parse_date(g->start, what, &r->start, err);
    if (st != AM_OK)
        return st;
    if (g->end && *g->end) {
        snprintf(what, sizeof what, "grant %zu: end", k);
        if ((st = parse_date(g->end, what, &r->end, err)) != AM_OK)
            return st;
    } else if (cat->items[item].periodic) {
        int y, m, d, ok;
        am_day_to_ymd(r->start, &y, &m, &d);
        r->end = am_day_from_ymd(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1, &ok) - 1;
    } else {
        r->end = r->start;
    }
    if (r->end < r->start)
        return am_fail(err, AM_ERR_FORMAT, "grant %zu: the end is before the start", k);
    if (g->amount_fen < 0)
        return am_fail(err, AM_ERR_FORMAT, "grant %zu: a negative amount", k);
    memcpy(r->person, token, AM_TOKEN_BYTES);
    r->amount_fen = g->amount_fen;
    r->code = (uint16_t)item;
    r->feed = (uint16_t)(w->env.nfeeds + (size_t)agency);
    r->line = (uint32_t)k;
    return AM_OK;
}

/* ------------------------------------------------------------------ */
/* The neighbourhood and its records                                    */

static const am_record *person_in(const am_store *s, const unsigned char token[AM_TOKEN_BYTES],
                                  size_t *n)
{
    const am_record *begin, *end;
    am_person_records(s, token, &begin, &end);
    *n = (size_t)(end - begin);
    return begin;
}

/* The journal's grants to anyone whose records the neighbourhood holds,
 * or to the person, that the snapshot does not hold already. */
static am_status add_journal(am_window *w, am_check *c, am_hood *hood,
                             const unsigned char token[AM_TOKEN_BYTES], int32_t *lo, int32_t *hi)
{
    pthread_mutex_lock(&w->lock);
    am_status st = am_journal_refresh(&w->journal, w->env.cat, w->env.fingerprint, &c->err);
    c->journal_ignored = w->journal.ignored;
    const size_t base = w->env.nfeeds + w->env.cat->nagencies;
    am_record *add = NULL;
    size_t nadd = 0;
    if (st == AM_OK && w->journal.n && !(add = am_malloc(w->journal.n * sizeof *add)))
        st = am_fail(&c->err, AM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == AM_OK && i < w->journal.n; i++) {
        const am_journal_entry *e = &w->journal.v[i];
        size_t n;
        const am_record *own = person_in(&hood->store, e->person, &n);
        if (n == 0 && !am_token_eq(e->person, token))
            continue;
        int held = 0;
        for (size_t k = 0; k < n && !held; k++)
            held = own[k].code == e->code && w->feeds[own[k].feed]->agency == (int)e->agency &&
                   own[k].start <= e->end && e->start <= own[k].end;
        if (held)
            continue; /* arrived in the agency's feed */
        am_record *r = &add[nadd++];
        *r = (am_record){.amount_fen = e->amount_fen, .start = e->start, .end = e->end,
                         .line = e->line, .code = e->code, .feed = (uint16_t)(base + e->agency)};
        memcpy(r->person, e->person, AM_TOKEN_BYTES);
        if (w->env.cat->items[e->code].periodic) {
            *lo = e->start < *lo ? e->start : *lo;
            *hi = e->end > *hi ? e->end : *hi;
        }
    }
    pthread_mutex_unlock(&w->lock);
    if (st == AM_OK && nadd && am_store_append(&hood->store, add, nadd) != AM_OK)
        st = am_fail(&c->err, AM_ERR_NOMEM, "out of memory");
    am_free(add);
    return st;
}

/* The households of the person's records, as tokens of the hood's store. */
static int is_own_household(const am_store *s, const unsigned char token[AM_TOKEN_BYTES],
                            const unsigned char household[AM_TOKEN_BYTES])
{
    size_t n;
    const am_record *own = person_in(s, token, &n);
    for (size_t k = 0; k < n; k++)
        if (own[k].household &&
            am_token_eq(s->households[own[k].household - 1], household))
            return 1;
    return 0;
}

/* Whether evidence cites a record of one of feeds [first, first + n). */
static int cites_feeds(const am_window *w, const char *evidence, size_t first, size_t n)
{
    for (const char *p = evidence; *p;) {
        const size_t len = strcspn(p, ";");
        const char *colon = memchr(p, ':', len);
        for (size_t f = first; colon && f < first + n; f++) {
            const char *name = w->feeds[f]->name;
            if ((size_t)(colon - p) == strlen(name) && memcmp(p, name, strlen(name)) == 0)
                return 1;
        }
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

/* Keeps the findings for which keep() holds, in output order. */
static void keep_findings(am_finding_list *l, const uint8_t *keep)
{
    size_t k = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (!keep[i]) {
            am_free(l->v[i].items);
            am_free(l->v[i].agencies);
            am_free(l->v[i].evidence);
            continue;
        }
        l->v[k++] = l->v[i];
    }
    l->count = k;
    am_findings_sort(l); /* points the public views at their moved strings */
}

static const am_rule *rule_named(const am_rules *rules, const char *id)
{
    for (size_t i = 0; i < rules->n; i++)
        if (strcmp(rules->v[i].id, id) == 0)
            return &rules->v[i];
    return NULL;
}

static int compare_menu(const void *a, const void *b)
{
    const menu_entry *x = a, *y = b;
    return (x->item > y->item) - (x->item < y->item);
}

/* The menu: missing aid on the date alone, for the person or their
 * household, one entry per item. */
static am_status make_menu(am_window *w, am_check *c, am_hood *hood,
                           const unsigned char token[AM_TOKEN_BYTES], int32_t date)
{
    am_finding_list l;
    am_status st = am_hood_findings(&w->env.view, hood, &w->menu_rules, date, date, 1, &l);
    if (st != AM_OK)
        return am_fail(&c->err, st, "out of memory");
    c->menu = am_calloc(l.count + 1, sizeof *c->menu);
    for (size_t i = 0; c->menu && i < l.count; i++) {
        const am_finding *f = &l.v[i].pub;
        unsigned char subject[AM_TOKEN_BYTES];
        am_token_parse(f->subject, AM_TOKEN_HEX, subject);
        const int household = strcmp(f->unit, "household") == 0;
        if (f->kind != AM_KIND_MISSING ||
            !(household ? is_own_household(&hood->store, token, subject)
                        : am_token_eq(subject, token)))
            continue;
        const am_rule *rule = rule_named(&w->menu_rules, f->rule_id);
        if (!rule)
            continue;
        const uint16_t item = rule->second.refs[0].code;
        int seen = 0;
        for (size_t k = 0; k < c->nmenu && !seen; k++)
            seen = c->menu[k].item == item;
        if (!seen)
            c->menu[c->nmenu++] = (menu_entry){rule, item};
    }
    am_findings_free(&l);
    if (!c->menu)
        return am_fail(&c->err, AM_ERR_NOMEM, "out of memory");
    qsort(c->menu, c->nmenu, sizeof *c->menu, compare_menu);
    return AM_OK;
}

static am_status add_row(am_check *c, const am_window *w, const am_store *s, const am_record *r,
                         const char *relation)
{
    if (!AM_RESERVE(c->rows, c->caprows, c->nrows + 1))
        return am_fail(&c->err, AM_ERR_NOMEM, "out of memory");
    am_record_row_fill(&c->rows[c->nrows++], w->env.cat, w->feeds[r->feed], s, r, relation);
    return AM_OK;
}

static int current(const am_window *w, const am_record *r, int32_t date)
{
    if (r->feed >= w->env.nfeeds && r->feed < w->env.nfeeds + w->env.cat->nagencies)
        return 0; /* proposed, not held */
    if (am_code_is_item(w->env.cat, r->code))
        return (int64_t)r->end >= (int64_t)date - RECENT_DAYS;
    return r->start <= date && date <= r->end;
}

/* The person's records, then their housemates' items, current on date. */
static am_status holdings(am_check *c, const am_window *w, const am_hood *hood,
                          const unsigned char token[AM_TOKEN_BYTES], int32_t date)
{
    const am_store *s = &hood->store;
    size_t n;
    const am_record *own = person_in(s, token, &n);
    am_status st = AM_OK;
    for (size_t k = 0; st == AM_OK && k < n; k++)
        if (current(w, &own[k], date))
            st = add_row(c, w, s, &own[k], "self");
    for (size_t p = 0; st == AM_OK && p < hood->nnear; p++) {
        if (am_token_eq(hood->near[p].token, token))
            continue;
        const am_record *theirs = person_in(s, hood->near[p].token, &n);
        for (size_t k = 0; st == AM_OK && k < n; k++)
            if (am_code_is_item(w->env.cat, theirs[k].code) && current(w, &theirs[k], date))
                st = add_row(c, w, s, &theirs[k], "member");
    }
    return st;
}

static am_status run_check(am_window *w, am_check *c, const am_check_request *q)
{
    const am_window_env *env = &w->env;
    unsigned char token[AM_TOKEN_BYTES];
    int32_t date;
    am_status st = token_of(env, q->person, token, &c->err);
    if (st == AM_OK)
        st = parse_date(q->date, "check date", &date, &c->err);
    if (st != AM_OK)
        return st;
    if (q->ngrants && !q->grants)
        return am_fail(&c->err, AM_ERR_INVALID, "grants: NULL");
    am_token_hex(token, c->person);
    am_record *proposed = am_calloc(q->ngrants + 1, sizeof *proposed);
    if (!proposed)
        return am_fail(&c->err, AM_ERR_NOMEM, "out of memory");
    int32_t lo = env->window_start, hi = env->window_end;
    for (size_t k = 0; st == AM_OK && k < q->ngrants; k++) {
        st = grant_record(w, &q->grants[k], k + 1, token, &proposed[k], &c->err);
        if (st == AM_OK && env->cat->items[proposed[k].code].periodic) {
            lo = proposed[k].start < lo ? proposed[k].start : lo;
            hi = proposed[k].end > hi ? proposed[k].end : hi;
        }
    }
    am_hood hood;
    if (st == AM_OK)
        st = am_hood_gather(env->src, token, 0, &hood, &c->err);
    if (st != AM_OK) {
        am_free(proposed);
        return st;
    }
    /* Held: the snapshot's records and the journal's grants. */
    st = add_journal(w, c, &hood, token, &lo, &hi);
    if (st == AM_OK && am_store_sort(&hood.store, 1) == AM_OK)
        st = make_menu(w, c, &hood, token, date);
    if (st == AM_OK)
        st = holdings(c, w, &hood, token, date);
    /* Then what the grants proposed would raise. */
    if (st == AM_OK && q->ngrants) {
        if (am_store_append(&hood.store, proposed, q->ngrants) != AM_OK)
            st = am_fail(&c->err, AM_ERR_NOMEM, "out of memory");
        if (st == AM_OK)
            am_store_sort(&hood.store, 1);
        if (st == AM_OK &&
            (st = am_hood_findings(&env->view, &hood, env->rules, lo, hi, 1, &c->findings)) !=
                AM_OK)
            st = am_fail(&c->err, st, "out of memory");
        uint8_t *keep = st == AM_OK ? am_malloc(c->findings.count + 1) : NULL;
        if (st == AM_OK && !keep)
            st = am_fail(&c->err, AM_ERR_NOMEM, "out of memory");
        for (size_t i = 0; keep && i < c->findings.count; i++)
            keep[i] = (uint8_t)cites_feeds(w, c->findings.v[i].pub.evidence, env->nfeeds,
                                           env->cat->nagencies);
        if (keep)
            keep_findings(&c->findings, keep);
        am_free(keep);
    }
    am_hood_free(&hood);
    am_free(proposed);
    return st;
}

static am_check *new_check(const am_window *w)
{
    am_check *c = am_calloc(1, sizeof *c);
    if (c) {
        c->window = w;
        c->errmsg_slot = &c->err;
    }
    return c;
}

am_check *am_check_failed(const am_window *w, const am_err *err)
{
    am_check *c = new_check(w);
    if (c)
        c->err = *err;
    return c;
}

/* Drops every answer of a check that failed, keeping its message. */
static void clear_answer(am_check *c)
{
    am_findings_free(&c->findings);
    am_free(c->rows);
    am_free(c->menu);
    c->rows = NULL;
    c->menu = NULL;
    c->nrows = c->caprows = c->nmenu = 0;
}

am_status am_window_check(am_window *w, const am_check_request *q, am_check **out)
{
    if (!out)
        return AM_ERR_INVALID;
    *out = NULL;
    if (!w)
        return AM_ERR_INVALID;
    am_check *c = new_check(w);
    if (!c)
        return AM_ERR_NOMEM;
    *out = c;
    if (!q || !q->person)
        return am_fail(&c->err, AM_ERR_INVALID, "a check needs a request with a person");
    const am_status st = run_check(w, c, q);
    if (st != AM_OK)
        clear_answer(c);
    return st;
}

am_status am_window_grant(am_window *w, const char *person, const am_grant *g, char *errmsg,
                          size_t errmsg_len)
{
    am_err err = {{0}};
    am_status st = AM_OK;
    unsigned char token[AM_TOKEN_BYTES];
    am_record r;
    if (!w || !person || !g)
        st = am_fail(&err, AM_ERR_INVALID, "a grant needs a window, a person and the grant");
    if (st == AM_OK)
        st = token_of(&w->env, person, token, &err);
    if (st == AM_OK)
        st = grant_record(w, g, 1, token, &r, &err);
    if (st == AM_OK) {
        const am_journal_entry e = {.made = (int64_t)time(NULL), .amount_fen = r.amount_fen,
                                    .start = r.start, .end = r.end, .code = r.code,
                                    .agency = (uint16_t)(r.feed - w->env.nfeeds)};
        am_journal_entry copy = e;
        memcpy(copy.person, token, AM_TOKEN_BYTES);
        st = am_journal_append(w->journal.path, w->env.cat, w->env.fingerprint,
                               w->env.snapshot_stamp, &copy, &err);
    }
    if (st != AM_OK && errmsg && errmsg_len)
        snprintf(errmsg, errmsg_len, "%s", err.msg);
    return st;
}

/* ------------------------------------------------------------------ */
/* Reading the answer                                                   */

void am_check_free(am_check *c)
{
    if (!c)
        return;
    clear_answer(c);
    am_free(c);
}

const char *am_check_errmsg(const am_check *c) { return c ? c->err.msg : ""; }

const char *am_check_person(const am_check *c) { return c ? c->person : ""; }

uint64_t am_check_journal_ignored(const am_check *c) { return c ? c->journal_ignored : 0; }

size_t am_check_holding_count(const am_check *c) { return c ? c->nrows : 0; }

am_status am_check_holding_get(const am_check *c, size_t i, am_record_info *out)
{
    if (!c)
        return AM_ERR_INVALID;
    if (!out || i >= c->nrows)
        return am_fail_index(c->errmsg_slot, "am_check_holding_get", out, "holding", i, c->nrows);
    am_record_row_info(&c->rows[i], out);
    return AM_OK;
}

size_t am_check_finding_count(const am_check *c) { return c ? c->findings.count : 0; }

am_status am_check_finding_get(const am_check *c, size_t i, am_finding *out)
{
    if (!c)
        return AM_ERR_INVALID;
    if (!out || i >= c->findings.count)
        return am_fail_index(c->errmsg_slot, "am_check_finding_get", out, "finding", i,
                             c->findings.count);
    *out = c->findings.v[i].pub;
    return AM_OK;
}

size_t am_check_menu_count(const am_check *c) { return c ? c->nmenu : 0; }

am_status am_check_menu_get(const am_check *c, size_t i, am_menu_item *out)
{
    if (!c)
        return AM_ERR_INVALID;
    if (!out || i >= c->nmenu)
        return am_fail_index(c->errmsg_slot, "am_check_menu_get", out, "menu item", i, c->nmenu);
    const am_catalogue *cat = c->window->env.cat;
    const am_item *item = &cat->items[c->menu[i].item];
    *out = (am_menu_item){
        .item = item->code,
        .name_zh = item->name_zh,
        .name_en = item->name_en,
        .agency = cat->agencies[item->agency].code,
        .unit = item->unit == AM_UNIT_HOUSEHOLD ? "household" : "person",
        .rule_id = c->menu[i].rule->id,
        .policy_source = c->menu[i].rule->source ? c->menu[i].rule->source : "",
    };
    return AM_OK;
}
