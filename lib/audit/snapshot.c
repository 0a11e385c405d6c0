/*
 * snapshot.c — writing and opening snapshot files (see snapshot.h).
 *
 * Layout: a 128-byte header; the section table (one 32-byte entry per
 * section) followed by every section's chunk checksums; then the sections,
 * each at a 64-byte boundary.  Numbers are in the writing host's byte
 * order, which the header records (with the record size) so that another
 * host refuses the file instead of misreading it.  Records are the
 * store's 48-byte am_record array as is: sorted, with claim households
 * already assigned by the reconciliation, so opening reads them and never
 * writes to them.  Small sections use a plain encoding (u32 lengths before
 * strings) read with bounds checks; anything out of place is "corrupt
 * snapshot", never a crash.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "audit/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/alloc.h"
#include "common/atomic_file.h"
#include "common/text_file.h"
#include "common/day.h"
#include "match/household.h"
#include "audit/query.h"

#define MAGIC "AIDMSNAP"
#define BYTE_ORDER_MARK 0x01020304u
#define ALIGN 64u
#define NO_AGENCY 0xFFFFu /* a feed declared but never given an agency (nor records) */

/* The record layout a snapshot depends on: change it, bump the version. */
_Static_assert(sizeof(am_record) == 48, "snapshot records are 48 bytes");
_Static_assert(offsetof(am_record, amount_fen) == 16, "record layout");
_Static_assert(offsetof(am_record, start) == 24, "record layout");
_Static_assert(offsetof(am_record, household) == 32, "record layout");
_Static_assert(offsetof(am_record, line) == 36, "record layout");
_Static_assert(offsetof(am_record, code) == 40, "record layout");
_Static_assert(offsetof(am_record, feed) == 42, "record layout");
_Static_assert(offsetof(am_record, value) == 44, "record layout");
_Static_assert(AM_SNAPSHOT_CHUNK % sizeof(am_record) == 0, "chunks hold whole records");

typedef struct snap_header {
    char magic[8];
    uint32_t version;
    uint32_t byte_order;
    uint32_t record_size;
    uint32_t chunk_size;
    uint32_t nsections;
    uint32_t header_size;
    uint64_t file_size;
    uint64_t table_size;     /* entries and checksums, right after the header */
    uint64_t table_checksum; /* XXH3-64 of them */
    char library[16];
    uint64_t reserved[6];
    uint64_t header_checksum; /* XXH3-64 of the bytes above */
} snap_header;

_Static_assert(sizeof(snap_header) == 128, "the header is 128 bytes");

typedef struct snap_entry {
    uint32_t id;
    uint32_t reserved;
    uint64_t offset;
    uint64_t size;
    uint64_t first_sum; /* index of its first chunk checksum */
} snap_entry;

_Static_assert(sizeof(snap_entry) == 32, "a table entry is 32 bytes");

#define NSECTIONS (AM_SEC__END - 1)

static const char *const section_names[AM_SEC__END] = {
    [AM_SEC_META] = "meta",           [AM_SEC_CATALOGUE] = "catalogue",
    [AM_SEC_FEEDS] = "feeds",         [AM_SEC_RULES] = "rules",
    [AM_SEC_FINDINGS] = "findings",   [AM_SEC_RECORDS] = "records",
    [AM_SEC_HOUSEHOLDS] = "households", [AM_SEC_HH_FIRST] = "household offsets",
    [AM_SEC_HH_RECORDS] = "records by household", [AM_SEC_LINKS] = "links",
};

static size_t nchunks_of(uint64_t size)
{
    return (size_t)((size + AM_SNAPSHOT_CHUNK - 1) / AM_SNAPSHOT_CHUNK);
}

static uint64_t header_sum(const snap_header *h)
{
    return XXH3_64bits(h, offsetof(snap_header, header_checksum));
}

/* ------------------------------------------------------------------ */
/* Encoding the small sections                                          */

typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
    int failed;
} wbuf;

static void put(wbuf *b, const void *data, size_t len)
{
    if (b->failed)
        return;
    if (len > SIZE_MAX - b->n || !AM_RESERVE(b->p, b->cap, b->n + len)) {
        b->failed = 1;
        return;
    }
    if (len)
        memcpy(b->p + b->n, data, len);
    b->n += len;
}

static void put_u8(wbuf *b, uint8_t v) { put(b, &v, 1); }
static void put_u16(wbuf *b, uint16_t v) { put(b, &v, 2); }
static void put_u32(wbuf *b, uint32_t v) { put(b, &v, 4); }
static void put_u64(wbuf *b, uint64_t v) { put(b, &v, 8); }
static void put_i32(wbuf *b, int32_t v) { put(b, &v, 4); }

static void put_str(wbuf *b, const char *s)
{
    const size_t len = s ? strlen(s) : 0;
    put_u32(b, (uint32_t)len);
    put(b, s, len);
}

typedef struct rbuf {
    const unsigned char *p, *end;
    int bad;
} rbuf;

static int get(rbuf *b, void *out, size_t len)
{
    if (b->bad || (size_t)(b->end - b->p) < len) {
        b->bad = 1;
        memset(out, 0, len);
        return 0;
    }
    memcpy(out, b->p, len);
    b->p += len;
    return 1;
}

static uint8_t get_u8(rbuf *b) { uint8_t v; get(b, &v, 1); return v; }
static uint16_t get_u16(rbuf *b) { uint16_t v; get(b, &v, 2); return v; }
static uint32_t get_u32(rbuf *b) { uint32_t v; get(b, &v, 4); return v; }
static uint64_t get_u64(rbuf *b) { uint64_t v; get(b, &v, 8); return v; }
static int32_t get_i32(rbuf *b) { int32_t v; get(b, &v, 4); return v; }

/* A string: a new NUL-terminated copy, NULL when the buffer is short, the
 * text holds a NUL, or memory runs out (*nomem then set). */
static char *get_str(rbuf *b, int *nomem)
{
    const uint32_t len = get_u32(b);
    if (b->bad || (size_t)(b->end - b->p) < len || memchr(b->p, '\0', len)) {
        b->bad = 1;
        return NULL;
    }
    char *s = am_strndup((const char *)b->p, len);
    if (!s) {
        *nomem = 1;
        b->bad = 1;
        return NULL;
    }
    b->p += len;
    return s;
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */

static void encode_meta(const am_snapshot_run *run, const am_snap_body *body, wbuf *b)
{
    put_str(b, AIDMATCH_VERSION_STRING);
    put_str(b, run->key_fingerprint);
    put_str(b, run->centre_name ? run->centre_name : "");
    put_i32(b, run->match.death_lag_days);
    put_i32(b, body->window_start);
    put_i32(b, body->window_end);
    put_u64(b, body->nrecords);
    put_u64(b, body->nhouseholds);
    put_u64(b, body->nentries);
    put_u64(b, body->nfindings);
}

static void encode_catalogue(const am_catalogue *cat, wbuf *b)
{
    put_u32(b, (uint32_t)cat->nagencies);
    for (size_t i = 0; i < cat->nagencies; i++) {
        put_str(b, cat->agencies[i].code);
        put_str(b, cat->agencies[i].name_zh);
        put_str(b, cat->agencies[i].name_en);
    }
    put_u32(b, (uint32_t)cat->nitems);
    for (size_t i = 0; i < cat->nitems; i++) {
        const am_item *it = &cat->items[i];
        put_str(b, it->code);
        put_str(b, it->name_zh);
        put_str(b, it->name_en);
        put_u16(b, it->agency);
        put_u8(b, (uint8_t)it->unit);
        put_u8(b, (uint8_t)(it->periodic != 0));
        put_i32(b, it->duplicate_window_days);
    }
    put_u32(b, (uint32_t)cat->nfacts);
    for (size_t i = 0; i < cat->nfacts; i++) {
        const am_fact *f = &cat->facts[i];
        put_str(b, f->code);
        put_str(b, f->name_zh);
        put_str(b, f->name_en);
        put_i32(b, f->value_min);
        put_i32(b, f->value_max);
    }
}

/* A feed as am_feed_stats_get() shows it: its path only when given as a
 * path to read (not a buffer). */
static void encode_feeds(const am_match_input *in, wbuf *b)
{
    put_u32(b, (uint32_t)in->nfeeds);
    for (size_t i = 0; i < in->nfeeds; i++) {
        const am_feed *feed = in->feeds[i];
        put_str(b, feed->name);
        put_u16(b, feed->agency >= 0 ? (uint16_t)feed->agency : NO_AGENCY);
        put_u8(b, (uint8_t)feed->kind);
        put_str(b, feed->path_for_stats && feed->file ? feed->file : "");
        put_str(b, feed->xxh3);
        put_str(b, am_encoding_name(feed->encoding_used));
        put_u64(b, feed->rows_read);
        put_u64(b, feed->rows_ingested);
        put_u64(b, feed->rows_rejected);
        put_u64(b, feed->bytes_read);
        put_u32(b, AM_REJECT__COUNT);
        for (int r = 0; r < AM_REJECT__COUNT; r++)
            put_u64(b, feed->by_reason[r]);
    }
}

static void encode_rules(const am_rules *rules, wbuf *b)
{
    put_u32(b, (uint32_t)rules->n);
    for (size_t i = 0; i < rules->n; i++) {
        put_str(b, rules->v[i].origin);
        put_u64(b, rules->v[i].line);
        put_str(b, rules->v[i].text);
    }
}

/* The rows a question shows as linked or as a possible ID error: those
 * linked and those left for review, in feed, line order. */
static void encode_links(const am_links *links, wbuf *b)
{
    uint32_t n = 0;
    for (size_t i = 0; links && i < links->n; i++)
        n += links->v[i].status != AM_UNLINKED;
    put_u32(b, n);
    for (size_t i = 0; links && i < links->n; i++) {
        const am_link_result *r = &links->v[i];
        if (r->status == AM_UNLINKED)
            continue;
        put(b, r->person, AM_TOKEN_BYTES);
        put_u32(b, r->line);
        put_u16(b, r->feed);
        put_u16(b, r->code);
        put_u16(b, r->probability);
        put_u8(b, r->reason);
        put_u8(b, r->status);
    }
}

static int write_zeros(FILE *out, uint64_t n)
{
    static const unsigned char zeros[ALIGN];
    while (n) {
        const size_t k = n < ALIGN ? (size_t)n : ALIGN;
        if (fwrite(zeros, 1, k, out) != k)
            return 0;
        n -= k;
    }
    return 1;
}

/* Writes a section chunk by chunk, checksumming what is written; records
 * given whole are renumbered into buf on the way, and a section given by
 * a fill function is made in buf a chunk at a time. */
static am_status write_section(FILE *out, const am_snap_bytes *sec, unsigned char *sums,
                               unsigned char *buf, am_err *err)
{
    const unsigned char *data = sec->data;
    for (uint64_t at = 0; at < sec->size; at += AM_SNAPSHOT_CHUNK) {
        const uint64_t left = sec->size - at;
        const size_t n = left < AM_SNAPSHOT_CHUNK ? (size_t)left : AM_SNAPSHOT_CHUNK;
        const unsigned char *chunk = buf;
        if (sec->fill) {
            const am_status st = sec->fill(sec->user, buf, n, err);
            if (st != AM_OK)
                return st;
        } else if (sec->remap) {
            memcpy(buf, data + at, n);
            am_record *r = (am_record *)buf;
            for (size_t i = 0; i < n / sizeof *r; i++)
                r[i].household = sec->remap[r[i].household];
        } else {
            chunk = data + at;
        }
        const uint64_t sum = XXH3_64bits(chunk, n);
        memcpy(sums, &sum, sizeof sum);
        sums += sizeof sum;
        if (fwrite(chunk, 1, n, out) != n)
            return AM_ERR_IO;
    }
    return AM_OK;
}

/* The sections go first, each checksumming as it is written; the header
 * and the table of checksums are written last, at the start. */
static am_status write_file(const char *path, const am_snap_bytes *sec, am_err *err)
{
    size_t total_sums = 0;
    for (int s = 1; s < AM_SEC__END; s++)
        total_sums += nchunks_of(sec[s].size);
    const size_t table_size = NSECTIONS * sizeof(snap_entry) + total_sums * sizeof(uint64_t);
    unsigned char *table = am_calloc(1, table_size);
    unsigned char *buf = am_malloc(AM_SNAPSHOT_CHUNK);
    if (!table || !buf) {
        am_free(table);
        am_free(buf);
        return am_fail(err, AM_ERR_NOMEM, "out of memory writing %s", path);
    }
    snap_entry *entries = (snap_entry *)table;
    unsigned char *sums = table + NSECTIONS * sizeof(snap_entry);
    uint64_t offset = sizeof(snap_header) + table_size;
    size_t next_sum = 0;
    for (int s = 1; s < AM_SEC__END; s++) {
        offset = (offset + ALIGN - 1) / ALIGN * ALIGN;
        entries[s - 1] = (snap_entry){.id = (uint32_t)s, .offset = offset, .size = sec[s].size,
                                      .first_sum = next_sum};
        next_sum += nchunks_of(sec[s].size);
        offset += sec[s].size;
    }
    am_atomic_file f;
    am_status st = am_atomic_open(&f, path, err);
    if (st != AM_OK) {
        am_free(table);
        am_free(buf);
        return st;
    }
    st = write_zeros(f.out, sizeof(snap_header) + table_size) ? AM_OK : AM_ERR_IO;
    uint64_t at = sizeof(snap_header) + table_size;
    for (int s = 1; st == AM_OK && s < AM_SEC__END; s++) {
        st = write_zeros(f.out, entries[s - 1].offset - at) ? AM_OK : AM_ERR_IO;
        if (st == AM_OK)
            st = write_section(f.out, &sec[s], sums + entries[s - 1].first_sum * sizeof(uint64_t),
                               buf, err);
        at = entries[s - 1].offset + sec[s].size;
    }
    snap_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, 8);
    h.version = AM_SNAPSHOT_VERSION;
    h.byte_order = BYTE_ORDER_MARK;
    h.record_size = sizeof(am_record);
    h.chunk_size = AM_SNAPSHOT_CHUNK;
    h.nsections = NSECTIONS;
    h.header_size = sizeof h;
    h.file_size = offset;
    h.table_size = table_size;
    h.table_checksum = XXH3_64bits(table, table_size);
    snprintf(h.library, sizeof h.library, "%s", AIDMATCH_VERSION_STRING);
    h.header_checksum = header_sum(&h);
    if (st == AM_OK && (fseek(f.out, 0, SEEK_SET) != 0 || fwrite(&h, sizeof h, 1, f.out) != 1 ||
                        fwrite(table, table_size, 1, f.out) != 1))
        st = AM_ERR_IO;
    am_free(table);
    am_free(buf);
    if (st != AM_OK) {
        const int e = errno;
        am_atomic_abort(&f);
        /* A fill function's failure has its own message. */
        return st == AM_ERR_IO ? am_fail(err, AM_ERR_IO, "%s: write failed: %s", path, strerror(e))
                               : st;
    }
    return am_atomic_commit(&f, err);
}

am_status am_snapshot_write_body(const am_snapshot_run *run, const am_snap_body *body,
                                 const char *path, am_err *err)
{
    wbuf meta = {0}, cat = {0}, feeds = {0}, rules = {0}, links = {0};
    encode_meta(run, body, &meta);
    encode_catalogue(run->match.catalogue, &cat);
    encode_feeds(&run->match, &feeds);
    encode_rules(run->match.rules, &rules);
    encode_links(run->links, &links);
    am_status st;
    if (meta.failed || cat.failed || feeds.failed || rules.failed || links.failed) {
        st = am_fail(err, AM_ERR_NOMEM, "out of memory writing %s", path);
    } else {
        const am_snap_bytes sec[AM_SEC__END] = {
            [AM_SEC_META] = {.data = meta.p, .size = meta.n},
            [AM_SEC_CATALOGUE] = {.data = cat.p, .size = cat.n},
            [AM_SEC_FEEDS] = {.data = feeds.p, .size = feeds.n},
            [AM_SEC_RULES] = {.data = rules.p, .size = rules.n},
            [AM_SEC_FINDINGS] = {.data = body->findings,
                                 .size = body->nfindings * sizeof *body->findings},
            [AM_SEC_RECORDS] = body->records,
            [AM_SEC_HOUSEHOLDS] = body->households,
            [AM_SEC_HH_FIRST] = body->hh_first,
            [AM_SEC_HH_RECORDS] = body->hh_records,
            [AM_SEC_LINKS] = {.data = links.p, .size = links.n},
        };
        st = write_file(path, sec, err);
    }
    am_free(meta.p);
    am_free(cat.p);
    am_free(feeds.p);
    am_free(rules.p);
    am_free(links.p);
    return st;
}

/* Household refs are numbered in the order records first name them, not
 * the order ingestion met them (which threads make vary), so that one run
 * always gives the same bytes.  Households no record names are dropped. */
static am_status renumber_households(const am_store *store, uint32_t **remap, size_t *n,
                                     unsigned char **tokens)
{
    *remap = am_calloc(store->nhouseholds + 1, sizeof **remap);
    *tokens = am_malloc((store->nhouseholds ? store->nhouseholds : 1) * AM_TOKEN_BYTES);
    if (!*remap || !*tokens)
        return AM_ERR_NOMEM;
    uint32_t next = 0;
    for (size_t i = 0; i < store->count; i++) {
        const uint32_t h = store->records[i].household;
        if (h && !(*remap)[h]) {
            (*remap)[h] = ++next;
            memcpy(*tokens + (size_t)(next - 1) * AM_TOKEN_BYTES, store->households[h - 1],
                   AM_TOKEN_BYTES);
        }
    }
    *n = next;
    return AM_OK;
}

am_status am_snapshot_save(const am_snapshot_run *run, const char *path, am_err *err)
{
    const am_store *store = run->match.store;
    uint32_t *remap = NULL;
    unsigned char *tokens = NULL;
    size_t nh = 0;
    if (store->nhouseholds >= UINT32_MAX ||
        renumber_households(store, &remap, &nh, &tokens) != AM_OK) {
        am_free(remap);
        am_free(tokens);
        return am_fail(err, AM_ERR_NOMEM, "out of memory writing %s", path);
    }
    am_source src;
    int32_t start, end;
    am_run_window_of(run->window, run->match.catalogue, store, &start, &end);
    am_status st = am_source_build(store, run->findings, start, end, remap, nh, &src, err);
    if (st == AM_OK) {
        const am_snap_body body = {
            .window_start = start,
            .window_end = end,
            .nrecords = src.nrecords,
            .nhouseholds = nh,
            .nentries = src.nentries,
            .findings = src.findings,
            .nfindings = src.nfindings,
            .records = {.data = src.records, .size = src.nrecords * sizeof(am_record),
                        .remap = remap},
            .households = {.data = tokens, .size = nh * AM_TOKEN_BYTES},
            .hh_first = {.data = src.hh_first, .size = (nh + 2) * sizeof(uint64_t)},
            .hh_records = {.data = src.hh_records, .size = src.nentries * sizeof(uint32_t)},
        };
        st = am_snapshot_write_body(run, &body, path, err);
        am_source_free(&src);
    }
    am_free(remap);
    am_free(tokens);
    return st;
}

/* ------------------------------------------------------------------ */
/* Verifying                                                            */

/* Reads bytes [offset, offset + len) of the file into the same place of
 * the snapshot's own memory.  A file cut short since it was opened (copied
 * over in place, a partial rsync) gives an error here, where a mapping of
 * the file would have killed the process with SIGBUS on first touch. */
static am_status load(am_snapshot *snap, uint64_t offset, uint64_t len, am_err *err)
{
    if (len == 0)
        return AM_OK;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    unsigned char *at = snap->base + offset;
    unsigned char *lo = (unsigned char *)((uintptr_t)at & ~(page - 1));
    const size_t span = (size_t)(at + len - lo);
    /* Writable only while being filled: nothing else ever writes to it. */
    if (mprotect(lo, span, PROT_READ | PROT_WRITE) != 0)
        return am_fail(err, errno == ENOMEM ? AM_ERR_NOMEM : AM_ERR_IO, "%s: cannot read: %s",
                       snap->path, strerror(errno));
    am_status st = AM_OK;
    for (uint64_t done = 0; done < len && st == AM_OK;) {
        const ssize_t n = pread(snap->fd, at + done, (size_t)(len - done), (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            st = am_fail(err, AM_ERR_IO, "%s: cannot read: %s", snap->path, strerror(errno));
        else if (n == 0)
            st = am_fail(err, AM_ERR_IO,
                         "%s: the file was cut short while open (it ends before byte %llu of "
                         "%zu): replace a snapshot by renaming a new file over it, never by "
                         "copying over it in place",
                         snap->path, (unsigned long long)(offset + done + 1), snap->size);
        else
            done += (uint64_t)n;
    }
    mprotect(lo, span, PROT_READ);
    return st;
}

static am_status corrupt(am_err *err, const am_snapshot *snap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static am_status corrupt(am_err *err, const am_snapshot *snap, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return am_fail(err, AM_ERR_FORMAT, "%s: corrupt snapshot: %s", snap->path, what);
}

static int32_t last_day(void)
{
    int ok;
    return am_day_from_ymd(2200, 12, 31, &ok);
}

/* What a record may hold: indexes in range, a real period, no negative
 * amount.  Records are sorted by person within the chunk. */
static am_status check_records(am_snapshot *snap, const am_record *r, size_t n, size_t first,
                               am_err *err)
{
    const int32_t max_day = last_day();
    const size_t nh = snap->src.nhouseholds;
    for (size_t i = 0; i < n; i++) {
        const am_record *x = &r[i];
        const char *bad = NULL;
        if (x->feed >= snap->nfeeds || !snap->usable_feed[x->feed])
            bad = "a feed out of range";
        else if (x->code >= snap->ncodes)
            bad = "an item or fact code out of range";
        else if (x->household > nh)
            bad = "a household out of range";
        else if (x->start < AM_DAY_EVER || x->start > max_day)
            bad = "a start date out of range";
        else if (x->end != AM_DAY_OPEN && (x->end < x->start || x->end > max_day))
            bad = "an end date out of range";
        else if (x->amount_fen < 0)
            bad = "a negative amount";
        else if (x->value > 99)
            bad = "a fact value out of range";
        else if (i > 0 && memcmp(r[i - 1].person, x->person, AM_TOKEN_BYTES) > 0)
            bad = "records out of order";
        if (bad)
            return corrupt(err, snap, "record %zu: %s", first + i, bad);
    }
    return AM_OK;
}

static am_status check_chunk(am_snapshot *snap, int section, size_t chunk, am_err *err)
{
    const am_snap_section *sec = &snap->sec[section];
    const uint64_t at = (uint64_t)chunk * AM_SNAPSHOT_CHUNK;
    const uint64_t left = sec->size - at;
    const size_t len = left < AM_SNAPSHOT_CHUNK ? (size_t)left : AM_SNAPSHOT_CHUNK;
    if (section == AM_SEC_RECORDS)
        return check_records(snap, (const am_record *)(sec->data + at), len / sizeof(am_record),
                             (size_t)(at / sizeof(am_record)), err);
    if (section == AM_SEC_HH_RECORDS) {
        const uint32_t *idx = (const uint32_t *)(sec->data + at);
        for (size_t i = 0; i < len / sizeof *idx; i++)
            if (idx[i] >= snap->src.nrecords)
                return corrupt(err, snap, "a record index out of range");
    }
    return AM_OK;
}

am_status am_snapshot_need(am_snapshot *snap, int section, uint64_t offset, uint64_t len,
                           am_err *err)
{
    am_snap_section *sec = &snap->sec[section];
    if (offset > sec->size || len > sec->size - offset)
        return corrupt(err, snap, "%s: a read past the section's end", section_names[section]);
    if (!sec->verified || len == 0)
        return AM_OK;
    const size_t c0 = (size_t)(offset / AM_SNAPSHOT_CHUNK);
    const size_t c1 = (size_t)((offset + len - 1) / AM_SNAPSHOT_CHUNK);
    for (size_t c = c0; c <= c1; c++) {
        if (sec->verified[c])
            continue;
        const uint64_t at = (uint64_t)c * AM_SNAPSHOT_CHUNK;
        const uint64_t left = sec->size - at;
        const size_t n = left < AM_SNAPSHOT_CHUNK ? (size_t)left : AM_SNAPSHOT_CHUNK;
        const am_status got = load(snap, (uint64_t)(sec->data - snap->base) + at, n, err);
        if (got != AM_OK)
            return got;
        if (XXH3_64bits(sec->data + at, n) != sec->sums[c])
            return corrupt(err, snap, "section '%s', chunk %zu of %zu: checksum does not match",
                           section_names[section], c + 1, sec->nchunks);
        const am_status st = check_chunk(snap, section, c, err);
        if (st != AM_OK)
            return st;
        sec->verified[c] = 1;
    }
    return AM_OK;
}

/* A payment without a claim household whose payee's hukou record gives
 * one at its start would be assigned one by am_households_build() — a
 * write into the read-only memory.  A snapshot written from a reconciled
 * run has every such claim assigned already. */
static am_status check_claims(am_snapshot *snap, const am_catalogue *cat, am_err *err)
{
    const int hukou = snap->hukou;
    const am_record *r = snap->src.records;
    const size_t n = snap->src.nrecords;
    if (hukou < 0)
        return AM_OK;
    for (size_t i = 0; i < n;) {
        const size_t j = am_person_run_end(r, n, i);
        for (size_t a = i; a < j; a++)
            if (!r[a].household && am_code_is_item(cat, r[a].code) &&
                am_hukou_household_on(&r[i], &r[j], hukou, r[a].start))
                return corrupt(err, snap, "record %zu lacks the claim household of its "
                                          "payee's hukou: not written from a reconciled run",
                               a);
        i = j;
    }
    return AM_OK;
}

am_status am_snapshot_verify_all(am_snapshot *snap, const am_catalogue *cat, am_err *err)
{
    if (snap->all_verified)
        return AM_OK;
    for (int s = 1; s < AM_SEC__END; s++) {
        const am_status st = am_snapshot_need(snap, s, 0, snap->sec[s].size, err);
        if (st != AM_OK)
            return st;
    }
    const am_source *src = &snap->src;
    if (src->hh_first[0] != 0 || src->hh_first[1] != 0 ||
        src->hh_first[src->nhouseholds + 1] != src->nentries)
        return corrupt(err, snap, "records by household do not add up");
    for (size_t h = 1; h <= src->nhouseholds; h++)
        if (src->hh_first[h] > src->hh_first[h + 1])
            return corrupt(err, snap, "records by household out of order");
    for (size_t i = 1; i < src->nrecords; i++)
        if (memcmp(src->records[i - 1].person, src->records[i].person, AM_TOKEN_BYTES) > 0)
            return corrupt(err, snap, "record %zu: records out of order", i);
    const am_status st = check_claims(snap, cat, err);
    if (st != AM_OK)
        return st;
    for (int s = 1; s < AM_SEC__END; s++) {
        am_free(snap->sec[s].verified);
        snap->sec[s].verified = NULL;
    }
    snap->all_verified = 1;
    return AM_OK;
}

/* ------------------------------------------------------------------ */
/* Opening                                                              */

/* Checks the header and the table, and points the sections into the
 * snapshot's memory.  Nothing is allocated but the verified flags. */
static am_status read_layout(am_snapshot *snap, am_err *err)
{
    const char *path = snap->path;
    snap_header h;
    if (snap->size < sizeof h)
        return am_fail(err, AM_ERR_FORMAT, "%s: not an aidmatch snapshot (%zu bytes)", path,
                       snap->size);
    am_status st = load(snap, 0, sizeof h, err);
    if (st != AM_OK)
        return st;
    memcpy(&h, snap->base, sizeof h);
    if (memcmp(h.magic, MAGIC, 8) != 0)
        return am_fail(err, AM_ERR_FORMAT, "%s: not an aidmatch snapshot", path);
    if (h.byte_order != BYTE_ORDER_MARK)
        return am_fail(err, AM_ERR_FORMAT,
                       "%s: written on a host of the other byte order; open it on such a host "
                       "or write it again here", path);
    if (h.version != AM_SNAPSHOT_VERSION)
        return am_fail(err, AM_ERR_FORMAT,
                       "%s: snapshot format version %u, but this aidmatch reads version %d: "
                       "write the snapshot again with this version", path, (unsigned)h.version,
                       AM_SNAPSHOT_VERSION);
    if (h.header_checksum != header_sum(&h))
        return corrupt(err, snap, "the header's checksum does not match");
    if (h.record_size != sizeof(am_record) || h.chunk_size != AM_SNAPSHOT_CHUNK ||
        h.header_size != sizeof h || h.nsections != NSECTIONS)
        return am_fail(err, AM_ERR_FORMAT,
                       "%s: records of %u bytes in chunks of %u, %u sections: not the layout "
                       "of this build; write the snapshot again", path, (unsigned)h.record_size,
                       (unsigned)h.chunk_size, (unsigned)h.nsections);
    if (h.file_size != snap->size)
        return am_fail(err, AM_ERR_FORMAT, "%s: %s snapshot: %zu bytes, its header says %llu",
                       path, h.file_size > snap->size ? "truncated" : "overlong", snap->size,
                       (unsigned long long)h.file_size);
    const uint64_t entries_size = NSECTIONS * sizeof(snap_entry);
    if (h.table_size < entries_size || h.table_size > snap->size - sizeof h ||
        (h.table_size - entries_size) % sizeof(uint64_t))
        return corrupt(err, snap, "the section table does not fit");
    if ((st = load(snap, sizeof h, h.table_size, err)) != AM_OK)
        return st;
    if (XXH3_64bits(snap->base + sizeof h, (size_t)h.table_size) != h.table_checksum)
        return corrupt(err, snap, "the section table's checksum does not match");
    const snap_entry *entries = (const snap_entry *)(snap->base + sizeof h);
    const uint64_t *sums = (const uint64_t *)(snap->base + sizeof h + entries_size);
    const size_t nsums = (size_t)((h.table_size - entries_size) / sizeof(uint64_t));
    size_t used = 0;
    for (int i = 0; i < NSECTIONS; i++) {
        const snap_entry *e = &entries[i];
        if (e->id < 1 || e->id >= AM_SEC__END || snap->sec[e->id].data)
            return corrupt(err, snap, "section table entry %d names no section or one twice", i);
        const size_t nchunks = nchunks_of(e->size);
        if (e->offset % ALIGN || e->offset < sizeof h + h.table_size || e->offset > snap->size ||
            e->size > snap->size - e->offset || e->first_sum > nsums ||
            nchunks > nsums - e->first_sum)
            return corrupt(err, snap, "section '%s' does not fit in the file",
                           section_names[e->id]);
        am_snap_section *sec = &snap->sec[e->id];
        sec->data = snap->base + e->offset;
        sec->size = e->size;
        sec->sums = sums + e->first_sum;
        sec->nchunks = nchunks;
        sec->verified = am_calloc(nchunks ? nchunks : 1, 1);
        if (!sec->verified)
            return am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", path);
        used += nchunks;
    }
    if (used != nsums)
        return corrupt(err, snap, "the checksum table holds %zu checksums, the sections %zu",
                       nsums, used);
    return AM_OK;
}

static int valid_code(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int compare_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Codes are unique across agencies, items and facts, as the catalogue
 * loader requires. */
static int codes_unique(const am_catalogue *cat, int *nomem)
{
    const size_t n = cat->nagencies + cat->nitems + cat->nfacts;
    const char **codes = am_malloc((n ? n : 1) * sizeof *codes);
    if (!codes) {
        *nomem = 1;
        return 0;
    }
    size_t k = 0;
    for (size_t i = 0; i < cat->nagencies; i++)
        codes[k++] = cat->agencies[i].code;
    for (size_t i = 0; i < cat->nitems; i++)
        codes[k++] = cat->items[i].code;
    for (size_t i = 0; i < cat->nfacts; i++)
        codes[k++] = cat->facts[i].code;
    qsort(codes, n, sizeof *codes, compare_cstr);
    int unique = 1;
    for (size_t i = 1; i < n && unique; i++)
        unique = strcmp(codes[i - 1], codes[i]) != 0;
    am_free(codes);
    return unique;
}

static am_status read_catalogue(am_snapshot *snap, am_catalogue *cat, am_err *err)
{
    const am_snap_section *sec = &snap->sec[AM_SEC_CATALOGUE];
    rbuf b = {sec->data, sec->data + sec->size, 0};
    int nomem = 0;
    const char *bad = NULL;
    const uint32_t nagencies = get_u32(&b);
    if (b.bad || nagencies > UINT16_MAX || nagencies > sec->size / 12)
        return corrupt(err, snap, "catalogue: agencies");
    if (!(cat->agencies = am_calloc(nagencies ? nagencies : 1, sizeof *cat->agencies)))
        return am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
    cat->nagencies = nagencies;
    for (size_t i = 0; i < nagencies && !b.bad; i++) {
        am_agency *a = &cat->agencies[i];
        a->code = get_str(&b, &nomem);
        a->name_zh = get_str(&b, &nomem);
        a->name_en = get_str(&b, &nomem);
        if (!b.bad && !valid_code(a->code))
            bad = "an agency code";
    }
    const uint32_t nitems = b.bad || bad ? 0 : get_u32(&b);
    if (!b.bad && !bad && (nitems > UINT16_MAX || nitems > sec->size / 20))
        bad = "items";
    if (!b.bad && !bad) {
        if (!(cat->items = am_calloc(nitems ? nitems : 1, sizeof *cat->items)))
            return am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
        cat->nitems = nitems;
    }
    for (size_t i = 0; i < cat->nitems && !b.bad && !bad; i++) {
        am_item *it = &cat->items[i];
        it->code = get_str(&b, &nomem);
        it->name_zh = get_str(&b, &nomem);
        it->name_en = get_str(&b, &nomem);
        it->agency = get_u16(&b);
        const uint8_t unit = get_u8(&b), periodic = get_u8(&b);
        it->duplicate_window_days = get_i32(&b);
        it->unit = unit ? AM_UNIT_HOUSEHOLD : AM_UNIT_PERSON;
        it->periodic = periodic;
        if (!b.bad && (!valid_code(it->code) || it->agency >= nagencies || unit > 1 ||
                       periodic > 1 || it->duplicate_window_days < 0 ||
                       it->duplicate_window_days > 36600 ||
                       (periodic && it->duplicate_window_days)))
            bad = "an item";
    }
    const uint32_t nfacts = b.bad || bad ? 0 : get_u32(&b);
    if (!b.bad && !bad && (nfacts > sec->size / 20 || (size_t)nitems + nfacts > UINT16_MAX))
        bad = "facts";
    if (!b.bad && !bad) {
        if (!(cat->facts = am_calloc(nfacts ? nfacts : 1, sizeof *cat->facts)))
            return am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
        cat->nfacts = nfacts;
    }
    for (size_t i = 0; i < cat->nfacts && !b.bad && !bad; i++) {
        am_fact *f = &cat->facts[i];
        f->code = get_str(&b, &nomem);
        f->name_zh = get_str(&b, &nomem);
        f->name_en = get_str(&b, &nomem);
        f->value_min = get_i32(&b);
        f->value_max = get_i32(&b);
        if (!b.bad && (!valid_code(f->code) ||
                       !((f->value_min == 0 && f->value_max == 0) ||
                         (f->value_min >= 1 && f->value_min <= f->value_max && f->value_max <= 99))))
            bad = "a fact";
    }
    if (nomem)
        return am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
    if (!b.bad && !bad && b.p != b.end)
        bad = "bytes after its end";
    if (!b.bad && !bad && !codes_unique(cat, &nomem))
        bad = nomem ? NULL : "a code given twice";
    if (nomem)
        return am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
    if (b.bad || bad)
        return corrupt(err, snap, "catalogue: %s", bad ? bad : "truncated");
    return AM_OK;
}

static am_status read_feeds(am_snapshot *snap, const am_snapshot_into *into, am_err *err)
{
    const am_snap_section *sec = &snap->sec[AM_SEC_FEEDS];
    rbuf b = {sec->data, sec->data + sec->size, 0};
    const uint32_t n = get_u32(&b);
    if (b.bad || n > UINT16_MAX || n > sec->size / 40)
        return corrupt(err, snap, "feeds: their count");
    if (!(snap->usable_feed = am_calloc(n ? n : 1, 1)))
        return am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
    for (uint32_t i = 0; i < n; i++) {
        int nomem = 0;
        char *name = get_str(&b, &nomem);
        const uint16_t agency = get_u16(&b);
        const uint8_t kind = get_u8(&b);
        char *path = get_str(&b, &nomem), *xxh3 = get_str(&b, &nomem),
             *encoding = get_str(&b, &nomem);
        uint64_t counts[4];
        for (int k = 0; k < 4; k++)
            counts[k] = get_u64(&b);
        const uint32_t nreasons = get_u32(&b);
        am_encoding enc = AM_ENC_UTF8;
        const char *bad = NULL;
        if (b.bad)
            bad = nomem ? NULL : "truncated";
        else if ((agency >= into->catalogue->nagencies && agency != NO_AGENCY) || kind > 1 ||
                 strlen(xxh3) > 32 ||
                 nreasons != AM_REJECT__COUNT || !am_encoding_parse(encoding, &enc) || !*name)
            bad = "a feed";
        am_feed *feed = NULL;
        am_status st = AM_OK;
        if (!bad && !nomem) {
            st = into->add_feed(into->run, name, &feed);
            if (st == AM_ERR_INVALID)
                bad = "a feed named twice";
            else if (st != AM_OK)
                nomem = 1;
        }
        if (feed) {
            feed->agency = agency == NO_AGENCY ? -1 : agency;
            snap->usable_feed[feed->index] = agency != NO_AGENCY;
            feed->kind = kind ? AM_FEED_REGISTRY : AM_FEED_PAYMENTS;
            memcpy(feed->xxh3, xxh3, strlen(xxh3) + 1);
            feed->encoding_used = enc;
            feed->rows_read = counts[0];
            feed->rows_ingested = counts[1];
            feed->rows_rejected = counts[2];
            feed->bytes_read = counts[3];
            for (int r = 0; r < AM_REJECT__COUNT; r++)
                feed->by_reason[r] = get_u64(&b);
            feed->ingested = 1;
            if (*path && (!(feed->file = am_strdup(path)) ||
                          !(feed->path_for_stats = am_strdup(path))))
                nomem = 1;
            if (b.bad)
                bad = "truncated";
        }
        am_free(name);
        am_free(path);
        am_free(xxh3);
        am_free(encoding);
        if (nomem)
            return am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
        if (bad)
            return corrupt(err, snap, "feeds: %s", bad);
    }
    if (b.p != b.end)
        return corrupt(err, snap, "feeds: bytes after their end");
    snap->nfeeds = n;
    return AM_OK;
}

static am_status read_rules(am_snapshot *snap, const am_snapshot_into *into, am_err *err)
{
    const am_snap_section *sec = &snap->sec[AM_SEC_RULES];
    rbuf b = {sec->data, sec->data + sec->size, 0};
    const uint32_t n = get_u32(&b);
    if (b.bad || n > sec->size / 16)
        return corrupt(err, snap, "rules: their count");
    for (uint32_t i = 0; i < n; i++) {
        int nomem = 0;
        char *origin = get_str(&b, &nomem);
        const uint64_t line = get_u64(&b);
        char *text = get_str(&b, &nomem);
        am_status st = AM_OK;
        if (nomem) {
            st = am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
        } else if (b.bad) {
            st = corrupt(err, snap, "rules: truncated");
        } else {
            const size_t before = into->rules->n;
            am_err why;
            st = am_rules_parse(into->rules, into->catalogue, text, strlen(text), origin, &why);
            if (st == AM_OK && into->rules->n != before + 1)
                st = corrupt(err, snap, "rules: entry %u is not one rule", (unsigned)i + 1);
            else if (st == AM_ERR_NOMEM)
                st = am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
            else if (st != AM_OK)
                st = corrupt(err, snap, "rules: %s", why.msg);
            else
                into->rules->v[before].line = (unsigned long)line;
        }
        am_free(origin);
        am_free(text);
        if (st != AM_OK)
            return st;
    }
    if (b.p != b.end)
        return corrupt(err, snap, "rules: bytes after their end");
    return AM_OK;
}

/* After the catalogue and feeds, whose numbering the links use. */
static am_status read_links(am_snapshot *snap, am_err *err)
{
    enum { ENTRY = AM_TOKEN_BYTES + 12 };
    const am_snap_section *sec = &snap->sec[AM_SEC_LINKS];
    rbuf b = {sec->data, sec->data + sec->size, 0};
    const uint32_t n = get_u32(&b);
    if (b.bad || sec->size != 4 + (uint64_t)n * ENTRY)
        return corrupt(err, snap, "links: their count");
    if (n && !(snap->links.v = am_malloc((size_t)n * sizeof *snap->links.v)))
        return am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
    for (uint32_t i = 0; i < n; i++) {
        am_link_result *r = &snap->links.v[i];
        memset(r, 0, sizeof *r);
        get(&b, r->person, AM_TOKEN_BYTES);
        r->line = get_u32(&b);
        r->feed = get_u16(&b);
        r->code = get_u16(&b);
        r->probability = get_u16(&b);
        r->reason = get_u8(&b);
        r->status = get_u8(&b);
        snap->links.n = i + 1;
        if (r->feed >= snap->nfeeds || r->code >= snap->ncodes || r->probability > 1000 ||
            r->reason >= AM_REJECT__COUNT ||
            (r->status != AM_LINKED && r->status != AM_LINK_REVIEW))
            return corrupt(err, snap, "link %u: a value out of range", (unsigned)i);
        const am_link_result *prev = i ? r - 1 : NULL;
        if (prev && (prev->feed > r->feed || (prev->feed == r->feed && prev->line >= r->line)))
            return corrupt(err, snap, "links out of order");
    }
    return AM_OK;
}

static am_status read_meta(am_snapshot *snap, am_snapshot_meta *m, am_err *err)
{
    const am_snap_section *sec = &snap->sec[AM_SEC_META];
    rbuf b = {sec->data, sec->data + sec->size, 0};
    int nomem = 0;
    char *version = get_str(&b, &nomem);
    m->fingerprint = get_str(&b, &nomem);
    m->centre = get_str(&b, &nomem);
    m->death_lag = get_i32(&b);
    m->window_start = get_i32(&b);
    m->window_end = get_i32(&b);
    m->nrecords = get_u64(&b);
    m->nhouseholds = get_u64(&b);
    m->nentries = get_u64(&b);
    m->nfindings = get_u64(&b);
    am_free(version);
    if (nomem)
        return am_fail(err, AM_ERR_NOMEM, "out of memory opening %s", snap->path);
    if (b.bad || b.p != b.end)
        return corrupt(err, snap, "meta: %s", b.bad ? "truncated" : "bytes after its end");
    const size_t fp = strlen(m->fingerprint);
    if ((fp != 0 && fp != 16) || strspn(m->fingerprint, "0123456789abcdef") != fp ||
        m->death_lag < 0 || m->death_lag > 3650 || m->window_start < AM_DAY_EVER ||
        m->window_end < AM_DAY_EVER)
        return corrupt(err, snap, "meta: a value out of range");
    /* Each count times its element size below must not wrap: a count of
     * findings 2^61 too high would otherwise match the section's size. */
    if (m->nrecords > UINT32_MAX || m->nhouseholds >= UINT32_MAX || m->nentries > m->nrecords ||
        m->nfindings > UINT32_MAX)
        return corrupt(err, snap, "meta: counts out of range");
    const struct {
        int section;
        uint64_t count, size;
    } want[] = {
        {AM_SEC_RECORDS, m->nrecords, sizeof(am_record)},
        {AM_SEC_HOUSEHOLDS, m->nhouseholds, AM_TOKEN_BYTES},
        {AM_SEC_HH_FIRST, m->nhouseholds + 2, sizeof(uint64_t)},
        {AM_SEC_HH_RECORDS, m->nentries, sizeof(uint32_t)},
        {AM_SEC_FINDINGS, m->nfindings, sizeof(am_finding_key)},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (snap->sec[want[i].section].size != want[i].count * want[i].size)
            return corrupt(err, snap, "section '%s' is %llu bytes, its count needs %llu",
                           section_names[want[i].section],
                           (unsigned long long)snap->sec[want[i].section].size,
                           (unsigned long long)(want[i].count * want[i].size));
    return AM_OK;
}

static am_status check_findings(am_snapshot *snap, am_err *err)
{
    const am_source *src = &snap->src;
    for (size_t i = 0; i < src->nfindings; i++) {
        const am_finding_key *k = &src->findings[i];
        if (k->kind >= AM_KIND__COUNT || k->unit > 1 ||
            (k->unit ? k->household == 0 || k->household > src->nhouseholds : k->household != 0))
            return corrupt(err, snap, "finding %zu: a value out of range", i);
        if (i > 0 && memcmp(src->findings[i - 1].id, k->id, 16) >= 0)
            return corrupt(err, snap, "findings out of order");
    }
    return AM_OK;
}

void am_snapshot_release(am_snapshot *snap)
{
    if (!snap)
        return;
    if (snap->base)
        munmap(snap->base, snap->size);
    if (snap->fd >= 0)
        close(snap->fd);
    for (int s = 0; s < AM_SEC__END; s++)
        am_free(snap->sec[s].verified);
    am_free(snap->usable_feed);
    am_links_free(&snap->links);
    am_free(snap->path);
    am_free(snap);
}

/* Opens the file and reserves memory of its size; the bytes are read
 * into it as they are first needed (load()). */
static am_status open_file(am_snapshot *snap, am_err *err)
{
    struct stat sb;
    int e = 0;
    const int fd = am_open_regular(snap->path, &sb, &e);
    if (fd < 0 && e)
        return am_fail(err, AM_ERR_IO, "%s: cannot open: %s", snap->path, strerror(e));
    if (fd < 0)
        return am_fail(err, AM_ERR_IO, "%s: not a regular file", snap->path);
    snap->fd = fd;
    if (sb.st_size == 0)
        return am_fail(err, AM_ERR_FORMAT, "%s: not an aidmatch snapshot (empty)", snap->path);
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED)
        return am_fail(err, AM_ERR_NOMEM, "%s: cannot reserve %lld bytes: %s", snap->path,
                       (long long)sb.st_size, strerror(errno));
    snap->base = p;
    snap->size = (size_t)sb.st_size;
    return AM_OK;
}

am_status am_snapshot_load(am_snapshot *snap, const am_snapshot_into *into, am_snapshot_meta *m,
                           am_err *err)
{
    snap->fd = -1; /* until open_file opens it: release then closes nothing */
    am_status st = open_file(snap, err);
    if (st == AM_OK)
        st = read_layout(snap, err);
    /* The small sections are verified whole, now. */
    static const int eager[] = {AM_SEC_META, AM_SEC_CATALOGUE, AM_SEC_FEEDS, AM_SEC_RULES,
                                AM_SEC_FINDINGS, AM_SEC_LINKS};
    for (size_t i = 0; st == AM_OK && i < sizeof eager / sizeof *eager; i++)
        st = am_snapshot_need(snap, eager[i], 0, snap->sec[eager[i]].size, err);
    if (st == AM_OK)
        st = read_meta(snap, m, err);
    if (st == AM_OK)
        st = read_catalogue(snap, into->catalogue, err);
    if (st == AM_OK)
        st = read_feeds(snap, into, err);
    if (st == AM_OK)
        st = read_rules(snap, into, err);
    if (st != AM_OK)
        return st;
    am_source *src = &snap->src;
    src->records = (const am_record *)snap->sec[AM_SEC_RECORDS].data;
    src->nrecords = (size_t)m->nrecords;
    src->households = snap->sec[AM_SEC_HOUSEHOLDS].data;
    src->nhouseholds = (size_t)m->nhouseholds;
    src->hh_first = (const uint64_t *)snap->sec[AM_SEC_HH_FIRST].data;
    src->hh_records = (const uint32_t *)snap->sec[AM_SEC_HH_RECORDS].data;
    src->nentries = (size_t)m->nentries;
    src->findings = (const am_finding_key *)snap->sec[AM_SEC_FINDINGS].data;
    src->nfindings = (size_t)m->nfindings;
    src->window_start = m->window_start;
    src->window_end = m->window_end;
    src->snap = snap;
    snap->ncodes = into->catalogue->nitems + into->catalogue->nfacts;
    snap->hukou = am_hukou_code(into->catalogue);
    if ((st = read_links(snap, err)) != AM_OK)
        return st;
    memcpy(snap->fingerprint, m->fingerprint, strlen(m->fingerprint) + 1);
    if ((st = check_findings(snap, err)) != AM_OK)
        return st;
    const am_key *key = into->key;
    if (key && key->bytes && *snap->fingerprint && strcmp(key->fingerprint, snap->fingerprint))
        return am_fail(err, AM_ERR_KEY,
                       "%s: its tokens were made with key %s, but the key loaded is %s", snap->path,
                       snap->fingerprint, key->fingerprint);
    return AM_OK;
}

/* ------------------------------------------------------------------ */
/* Resealing (tests and fuzzing)                                        */

int am_snapshot_reseal(unsigned char *data, size_t len)
{
    snap_header h;
    if (len < sizeof h)
        return -1;
    memcpy(&h, data, sizeof h);
    const uint64_t entries_size = NSECTIONS * sizeof(snap_entry);
    if (h.nsections != NSECTIONS || h.table_size < entries_size ||
        h.table_size > len - sizeof h || (h.table_size - entries_size) % sizeof(uint64_t))
        return -1;
    snap_entry entries[NSECTIONS];
    memcpy(entries, data + sizeof h, sizeof entries);
    const size_t nsums = (size_t)((h.table_size - entries_size) / sizeof(uint64_t));
    unsigned char *sums = data + sizeof h + entries_size;
    for (int i = 0; i < NSECTIONS; i++) {
        const snap_entry *e = &entries[i];
        const size_t nchunks = nchunks_of(e->size);
        if (e->offset > len || e->size > len - e->offset || e->first_sum > nsums ||
            nchunks > nsums - e->first_sum)
            continue;
        for (size_t c = 0; c < nchunks; c++) {
            const uint64_t at = (uint64_t)c * AM_SNAPSHOT_CHUNK, left = e->size - at;
            const uint64_t sum = XXH3_64bits(data + e->offset + at,
                                             left < AM_SNAPSHOT_CHUNK ? (size_t)left
                                                                      : AM_SNAPSHOT_CHUNK);
            memcpy(sums + (e->first_sum + c) * sizeof sum, &sum, sizeof sum);
        }
    }
    h.table_checksum = XXH3_64bits(data + sizeof h, (size_t)h.table_size);
    h.header_checksum = header_sum(&h);
    memcpy(data, &h, sizeof h);
    return 0;
}
