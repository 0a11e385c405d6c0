/*
 * snapshot_spilled.c — a snapshot written from records sorted on disk, for
 * a run too large to hold them (see snapshot_spilled.h).
 *
 * The snapshot of a run in memory numbers households in the order the
 * sorted records first name them, and lists each household's records.
 * Here neither table fits in memory, so both come from sorts on disk of
 * small pairs:
 *   named     (household token, record index), one per record with a
 *             household, sorted by token then index;
 *   firsts    each token once with its first index, sorted by that index:
 *             household refs are handed out in this order;
 *   numbered  (token, ref), sorted by token again, joined with named to
 *             give each record its ref:
 *   refs      (index, ref) by index, read beside the records;
 *   members   (ref, index) by ref, the records by household.
 * The bytes are those the run in memory would write.
 */
#include "audit/snapshot_spilled.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "store/extsort.h"
#include "store/spill.h"

#define BUFFER (256u * 1024)

typedef struct token_pair {
    unsigned char token[AM_TOKEN_BYTES];
    uint32_t index; /* a record's */
    uint32_t ref;   /* the household's, once numbered */
} token_pair;

typedef struct ref_pair {
    uint32_t a, b;
} ref_pair;

static int by_token_then_index(const void *pa, const void *pb)
{
    const token_pair *a = pa, *b = pb;
    const int c = memcmp(a->token, b->token, AM_TOKEN_BYTES);
    if (c)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int by_index(const void *pa, const void *pb)
{
    const token_pair *a = pa, *b = pb;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int by_both(const void *pa, const void *pb)
{
    const ref_pair *a = pa, *b = pb;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

static uint64_t token_key(const void *p)
{
    return am_token_key(((const token_pair *)p)->token);
}

static uint64_t index_key(const void *p)
{
    return ((const token_pair *)p)->index;
}

static uint64_t both_key(const void *p)
{
    const ref_pair *r = p;
    return (uint64_t)r->a << 32 | r->b;
}

static const am_order token_order = {by_token_then_index, token_key};
static const am_order index_order = {by_index, index_key};
static const am_order ref_order = {by_both, both_key};

typedef struct writer {
    const am_snapshot_spilled *sp;
    am_err *err;
    char *named, *firsts, *numbered, *refs, *members, *households;
    uint64_t nrecords, nhouseholds, nentries;
    am_finding_key *keys;
    size_t nkeys;
    /* the fill functions' state */
    am_spill_reader records_in, refs_in, households_in, members_counted, members_in;
    uint32_t record_index; /* of the next record filled */
    uint64_t written;      /* hh_first entries so far */
    const ref_pair *next_member; /* read from members_counted, not yet counted */
    uint64_t members_seen;
} writer;

static am_status nomem(writer *w)
{
    return am_fail(w->err, AM_ERR_NOMEM, "out of memory writing a snapshot");
}

/* Sorts the spill file at path into order, under the same name. */
static am_status sort_file(writer *w, const char *path, size_t item_size, const am_order *order)
{
    char *sorted = am_strdup_printf("%s.sorted", path);
    if (!sorted)
        return nomem(w);
    am_status st = am_extsort(path, sorted, item_size, order, w->sp->memory, w->err);
    if (st == AM_OK && rename(sorted, path) != 0)
        st = am_fail(w->err, AM_ERR_IO, "%s: cannot rename a sorted file", path);
    if (st != AM_OK)
        unlink(sorted);
    am_free(sorted);
    return st;
}

/* named: a pair for every record that names a household. */
static am_status list_named(writer *w)
{
    am_spill_reader in = {.fd = -1};
    am_spill_writer out = {.fd = -1};
    am_status st = am_spill_open(&in, w->sp->records, sizeof(am_spilled), w->err);
    if (st == AM_OK)
        st = am_spill_create(&out, w->named, sizeof(token_pair), BUFFER, w->err);
    for (uint64_t i = 0; st == AM_OK; i++) {
        const void *item;
        if ((st = am_spill_next_item(&in, &item, w->err)) != AM_OK || !item)
            break;
        if (i >= UINT32_MAX) {
            st = am_fail(w->err, AM_ERR_LIMIT, "a snapshot holds fewer than 2^32 records");
            break;
        }
        const am_spilled *s = item;
        w->nrecords = i + 1;
        if (!s->rec.household)
            continue;
        token_pair p = {.index = (uint32_t)i};
        memcpy(p.token, s->household, AM_TOKEN_BYTES);
        st = am_spill_write(&out, &p, 1, w->err);
        w->nentries++;
    }
    am_spill_close(&in);
    return am_spill_end(&out, st, w->err);
}

/* firsts: each household's first record, in the order of those records. */
static am_status list_firsts(writer *w)
{
    am_status st = sort_file(w, w->named, sizeof(token_pair), &token_order);
    am_spill_reader in = {.fd = -1};
    am_spill_writer out = {.fd = -1};
    if (st == AM_OK)
        st = am_spill_open(&in, w->named, sizeof(token_pair), w->err);
    if (st == AM_OK)
        st = am_spill_create(&out, w->firsts, sizeof(token_pair), BUFFER, w->err);
    token_pair last;
    for (int any = 0; st == AM_OK; any = 1) {
        const void *item;
        if ((st = am_spill_next_item(&in, &item, w->err)) != AM_OK || !item)
            break;
        const token_pair *p = item;
        if (!any || memcmp(last.token, p->token, AM_TOKEN_BYTES) != 0) {
            last = *p;
            st = am_spill_write(&out, p, 1, w->err);
        }
    }
    am_spill_close(&in);
    st = am_spill_end(&out, st, w->err);
    return st == AM_OK ? sort_file(w, w->firsts, sizeof(token_pair), &index_order) : st;
}

static int compare_key_subjects(const void *a, const void *b)
{
    return memcmp((*(am_finding_key *const *)a)->subject, (*(am_finding_key *const *)b)->subject,
                  AM_TOKEN_BYTES);
}

/* numbered: refs handed out in firsts' order, the households section
 * written in the same order, then sorted by token; the household
 * findings take their subject's ref on the way. */
static am_status number_households(writer *w)
{
    am_spill_reader in = {.fd = -1};
    am_spill_writer out = {.fd = -1}, tokens = {.fd = -1};
    am_status st = am_spill_open(&in, w->firsts, sizeof(token_pair), w->err);
    if (st == AM_OK)
        st = am_spill_create(&out, w->numbered, sizeof(token_pair), BUFFER, w->err);
    if (st == AM_OK)
        st = am_spill_create(&tokens, w->households, AM_TOKEN_BYTES, BUFFER, w->err);
    while (st == AM_OK) {
        const void *item;
        if ((st = am_spill_next_item(&in, &item, w->err)) != AM_OK || !item)
            break;
        token_pair p = *(const token_pair *)item;
        p.ref = (uint32_t)++w->nhouseholds;
        st = am_spill_write(&out, &p, 1, w->err);
        if (st == AM_OK)
            st = am_spill_write(&tokens, p.token, 1, w->err);
    }
    am_spill_close(&in);
    unlink(w->firsts);
    st = am_spill_end(&tokens, st, w->err);
    st = am_spill_end(&out, st, w->err);
    return st == AM_OK ? sort_file(w, w->numbered, sizeof(token_pair), &token_order) : st;
}

/* refs and members from named joined with numbered, both by token; the
 * household findings' refs from the same walk. */
static am_status join_refs(writer *w)
{
    size_t nwanted = 0;
    for (size_t i = 0; i < w->nkeys; i++)
        nwanted += w->keys[i].unit == 1;
    am_finding_key **wanted = am_malloc((nwanted ? nwanted : 1) * sizeof *wanted);
    if (!wanted)
        return nomem(w);
    nwanted = 0;
    for (size_t i = 0; i < w->nkeys; i++)
        if (w->keys[i].unit == 1)
            wanted[nwanted++] = &w->keys[i];
    qsort(wanted, nwanted, sizeof *wanted, compare_key_subjects);
    size_t next_wanted = 0;

    am_spill_reader named, numbered = {.fd = -1};
    am_spill_writer refs = {.fd = -1}, members = {.fd = -1};
    am_status st = am_spill_open(&named, w->named, sizeof(token_pair), w->err);
    if (st == AM_OK)
        st = am_spill_open(&numbered, w->numbered, sizeof(token_pair), w->err);
    if (st == AM_OK)
        st = am_spill_create(&refs, w->refs, sizeof(ref_pair), BUFFER, w->err);
    if (st == AM_OK)
        st = am_spill_create(&members, w->members, sizeof(ref_pair), BUFFER, w->err);
    const token_pair *house = NULL;
    while (st == AM_OK) {
        const void *item;
        if ((st = am_spill_next_item(&named, &item, w->err)) != AM_OK || !item)
            break;
        const token_pair *p = item;
        /* Every named token is numbered, in the same order. */
        while (st == AM_OK && (!house || memcmp(house->token, p->token, AM_TOKEN_BYTES) != 0)) {
            const void *h;
            if ((st = am_spill_next_item(&numbered, &h, w->err)) != AM_OK)
                break;
            if (!h) {
                st = am_fail(w->err, AM_ERR_IO, "%s: a household missing from its numbering",
                             w->numbered);
                break;
            }
            house = h;
            for (; next_wanted < nwanted; next_wanted++) {
                const int c = memcmp(wanted[next_wanted]->subject, house->token, AM_TOKEN_BYTES);
                if (c > 0)
                    break;
                if (c == 0)
                    wanted[next_wanted]->household = house->ref;
            }
        }
        if (st != AM_OK)
            break;
        const ref_pair by_record = {p->index, house->ref}, by_household = {house->ref, p->index};
        st = am_spill_write(&refs, &by_record, 1, w->err);
        if (st == AM_OK)
            st = am_spill_write(&members, &by_household, 1, w->err);
    }
    /* Households named by no record in the run (none, today) leave their
     * findings with no ref, as in memory. */
    am_spill_close(&named);
    am_spill_close(&numbered);
    am_free(wanted);
    unlink(w->named);
    unlink(w->numbered);
    st = am_spill_end(&refs, st, w->err);
    st = am_spill_end(&members, st, w->err);
    if (st == AM_OK)
        st = sort_file(w, w->refs, sizeof(ref_pair), &ref_order);
    return st == AM_OK ? sort_file(w, w->members, sizeof(ref_pair), &ref_order) : st;
}

/* The records section: each record with its household's ref. */
static am_status fill_records(void *user, unsigned char *buf, size_t n, am_err *err)
{
    writer *w = user;
    am_record *out = (am_record *)buf;
    for (size_t i = 0; i < n / sizeof *out; i++) {
        const void *item;
        am_status st = am_spill_next_item(&w->records_in, &item, err);
        if (st != AM_OK)
            return st;
        if (!item)
            return am_fail(err, AM_ERR_IO, "%s: fewer records than counted", w->sp->records);
        const am_spilled *s = item;
        out[i] = s->rec;
        out[i].household = 0;
        const uint32_t index = w->record_index++;
        if (!s->rec.household)
            continue;
        const void *r;
        if ((st = am_spill_next_item(&w->refs_in, &r, err)) != AM_OK)
            return st;
        if (!r || ((const ref_pair *)r)->a != index)
            return am_fail(err, AM_ERR_IO, "%s: a record without its household ref", w->refs);
        out[i].household = ((const ref_pair *)r)->b;
    }
    return AM_OK;
}

static am_status fill_households(void *user, unsigned char *buf, size_t n, am_err *err)
{
    writer *w = user;
    for (size_t at = 0; at < n; at += AM_TOKEN_BYTES) {
        const void *item;
        const am_status st = am_spill_next_item(&w->households_in, &item, err);
        if (st != AM_OK)
            return st;
        if (!item)
            return am_fail(err, AM_ERR_IO, "%s: fewer households than counted", w->households);
        memcpy(buf + at, item, AM_TOKEN_BYTES);
    }
    return AM_OK;
}

/* hh_first[h]: how many records by household come before ref h's (ref 0
 * has none, so entries 0 and 1 are both 0). */
static am_status fill_hh_first(void *user, unsigned char *buf, size_t n, am_err *err)
{
    writer *w = user;
    for (size_t at = 0; at < n; at += sizeof(uint64_t), w->written++) {
        const uint64_t h = w->written;
        for (;;) {
            if (!w->next_member) {
                const void *m;
                const am_status st = am_spill_next_item(&w->members_counted, &m, err);
                if (st != AM_OK)
                    return st;
                if (!m)
                    break;
                w->next_member = m;
            }
            if (w->next_member->a >= h)
                break;
            w->members_seen++;
            w->next_member = NULL;
        }
        memcpy(buf + at, &w->members_seen, sizeof(uint64_t));
    }
    return AM_OK;
}

static am_status fill_hh_records(void *user, unsigned char *buf, size_t n, am_err *err)
{
    writer *w = user;
    for (size_t at = 0; at < n; at += sizeof(uint32_t)) {
        const void *item;
        const am_status st = am_spill_next_item(&w->members_in, &item, err);
        if (st != AM_OK)
            return st;
        if (!item)
            return am_fail(err, AM_ERR_IO, "%s: fewer records by household than counted",
                           w->members);
        memcpy(buf + at, &((const ref_pair *)item)->b, sizeof(uint32_t));
    }
    return AM_OK;
}

/* The sections are written in table order (snapshot.h); the offsets and
 * the records by household each read members from its start. */
static am_status write_sections(writer *w, const am_snapshot_run *run, const char *path)
{
    am_status st = am_spill_open(&w->records_in, w->sp->records, sizeof(am_spilled), w->err);
    if (st == AM_OK)
        st = am_spill_open(&w->refs_in, w->refs, sizeof(ref_pair), w->err);
    if (st == AM_OK)
        st = am_spill_open(&w->households_in, w->households, AM_TOKEN_BYTES, w->err);
    if (st == AM_OK)
        st = am_spill_open(&w->members_counted, w->members, sizeof(ref_pair), w->err);
    if (st == AM_OK)
        st = am_spill_open(&w->members_in, w->members, sizeof(ref_pair), w->err);
    if (st == AM_OK) {
        const am_snap_body body = {
            .window_start = w->sp->window_start,
            .window_end = w->sp->window_end,
            .nrecords = w->nrecords,
            .nhouseholds = w->nhouseholds,
            .nentries = w->nentries,
            .findings = w->keys,
            .nfindings = w->nkeys,
            .records = {.size = w->nrecords * sizeof(am_record), .fill = fill_records, .user = w},
            .households = {.size = w->nhouseholds * AM_TOKEN_BYTES, .fill = fill_households,
                           .user = w},
            .hh_first = {.size = (w->nhouseholds + 2) * sizeof(uint64_t), .fill = fill_hh_first,
                         .user = w},
            .hh_records = {.size = w->nentries * sizeof(uint32_t), .fill = fill_hh_records,
                           .user = w},
        };
        st = am_snapshot_write_body(run, &body, path, w->err);
    }
    return st;
}

am_status am_snapshot_save_spilled(const am_snapshot_run *run, const am_snapshot_spilled *sp,
                                   const char *path, am_err *err)
{
    writer w = {.sp = sp,
                .err = err,
                .records_in = {.fd = -1},
                .refs_in = {.fd = -1},
                .households_in = {.fd = -1},
                .members_counted = {.fd = -1},
                .members_in = {.fd = -1}};
    w.named = am_strdup_printf("%s.named", sp->scratch);
    w.firsts = am_strdup_printf("%s.firsts", sp->scratch);
    w.numbered = am_strdup_printf("%s.numbered", sp->scratch);
    w.refs = am_strdup_printf("%s.refs", sp->scratch);
    w.members = am_strdup_printf("%s.members", sp->scratch);
    w.households = am_strdup_printf("%s.households", sp->scratch);
    w.nkeys = run->findings->count;
    w.keys = am_calloc(w.nkeys ? w.nkeys : 1, sizeof *w.keys);
    am_status st = w.named && w.firsts && w.numbered && w.refs && w.members && w.households &&
                           w.keys
                       ? AM_OK
                       : nomem(&w);
    if (st == AM_OK) {
        am_finding_keys_fill(run->findings, w.keys);
        st = list_named(&w);
    }
    if (st == AM_OK)
        st = list_firsts(&w);
    if (st == AM_OK)
        st = number_households(&w);
    if (st == AM_OK)
        st = join_refs(&w);
    if (st == AM_OK) {
        am_finding_keys_sort(w.keys, w.nkeys);
        st = write_sections(&w, run, path);
    }
    am_spill_close(&w.records_in);
    am_spill_close(&w.refs_in);
    am_spill_close(&w.households_in);
    am_spill_close(&w.members_counted);
    am_spill_close(&w.members_in);
    char *files[] = {w.named, w.firsts, w.numbered, w.refs, w.members, w.households};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        if (files[i])
            unlink(files[i]);
        am_free(files[i]);
    }
    am_free(w.keys);
    return st;
}
