/*
 * partition.c — reconciling a run a partition at a time (see partition.h
 * and docs/partitions.md for why every rule sees what it would in memory).
 */
#include "run/partition.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/alloc.h"
#include "common/day.h"
#include "common/thread_pair.h"
#include "link/link.h"
#include "match/facts.h"
#include "match/household.h"
#include "match/match.h"
#include "audit/snapshot_spilled.h"
#include "run/partition_dir.h"
#include "store/components.h"
#include "store/extsort.h"
#include "store/spill.h"
#include "store/spilled_code.h"

/* Bucket files, by a person token's first byte: the labels of one bucket's
 * persons are what distribution holds in memory at once. */
#define BUCKETS 256
#define BUCKET_BUFFER (64u * 1024)
/* Linking's registry goes to buckets of its own, by the same byte, each
 * sorted alone when linking reads it: no merge. */
#define REGISTRY_BUFFER (32u * 1024)
#define WRITE_BUFFER (256u * 1024)
/* What a partition costs in memory for each of its records while it is
 * matched: the record, its share of the household table and index, the
 * evidence index and findings (measured in bench/RESULTS.md). */
#define LOADED_BYTES_PER_RECORD 160
/* The most partitions a run makes: each has a file open while records
 * are distributed. */
#define MAX_PARTITIONS 4096
/* A distributor's room for a partition, in records at their longest
 * encoding: it takes the partition files' lock to append them when the
 * room could not hold one more (some 500 records at 10M persons). */
#define GATHER 256

/* Partitions matched at once, on a run of two threads or more: loading a
 * partition (decoding, interning households) and gathering its facts are
 * one thread's work, so two partitions of half the size, each on a thread
 * of its own, keep both busy. */
#define MATCHERS 2

/* What one matcher keeps from one partition to the next: its store (the
 * memory reused), and the records its partitions' findings cite (a few a
 * finding, as the findings are held too), gathered while each partition
 * is in memory so that the report's need not be read back from every
 * partition. */
typedef struct partition_matcher {
    am_store loaded;
    am_spilled *evidence;
    size_t nevidence, evidence_cap;
} partition_matcher;

struct am_partitioner {
    am_partition_dir dir;
    am_spill_writer bucket[BUCKETS];
    am_spill_writer registry[BUCKETS]; /* linking's registry entries (link_input.h) */
    char *registry_name[BUCKETS];      /* of the files made */
    uint64_t registry_entries;
    int registry_open;                 /* its files are being written */
    int registry_lost;                 /* a file failed to finish */
    uint64_t records;
    int32_t window_start, window_end;
    uint64_t used;             /* resident bytes when the graph was made */
    unsigned passes;           /* of the components' propagation */
    unsigned n;                /* partitions distributed */
    uint64_t *part_records;    /* records of each */
    partition_matcher matcher[MATCHERS];
    int evidence_gathered;     /* every partition's, by the matchers (not by workers) */
};

static const char *temp_dir_of(const am_ctx *ctx)
{
    return ctx->temp_dir ? ctx->temp_dir : "/var/tmp";
}

/* The process's resident set in bytes, 0 if unknown. */
static uint64_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    unsigned long long size = 0, resident = 0;
    if (!f)
        return 0;
    const int got = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    return got == 2 ? (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

/* The run's file "stem" or "stem-NNNN" (i's digits when digits > 0). */
static char *file_name(const struct am_partitioner *p, const char *stem, int digits, unsigned i)
{
    char name[32];
    if (digits)
        snprintf(name, sizeof name, "%s-%0*u", stem, digits, i);
    else
        snprintf(name, sizeof name, "%s", stem);
    return am_partition_dir_file(&p->dir, name);
}

static am_status open_buckets(am_ctx *ctx, am_err *err)
{
    struct am_partitioner *p = am_calloc(1, sizeof *p);
    if (!p)
        return am_fail(err, AM_ERR_NOMEM, "out of memory starting partition files");
    for (unsigned b = 0; b < BUCKETS; b++)
        p->bucket[b].fd = p->registry[b].fd = -1;
    p->dir.lock_fd = -1;
    ctx->partitioner = p;
    am_status st = am_partition_dir_open(&p->dir, temp_dir_of(ctx), err);
    for (unsigned b = 0; st == AM_OK && b < BUCKETS; b++) {
        char *name = file_name(p, "bucket", 3, b);
        st = name ? am_spill_create_coded(&p->bucket[b], name, &am_spilled_codec, BUCKET_BUFFER,
                                          err)
                  : am_fail(err, AM_ERR_NOMEM, "out of memory starting partition files");
        am_free(name);
    }
    return st;
}

/* The run's partitioner into *p, its files opened by the first thing
 * spilled.  Returns AM_OK, AM_ERR_INVALID once the run is reconciled, or
 * open_buckets' failure. */
static am_status partitioner_to_fill(am_ctx *ctx, struct am_partitioner **p, am_err *err)
{
    *p = NULL;
    if (ctx->partitions_used)
        return am_fail(err, AM_ERR_INVALID, "a partitioned run takes no records after it is "
                       "reconciled: its partitions are gone");
    const am_status st = ctx->partitioner ? AM_OK : open_buckets(ctx, err);
    *p = ctx->partitioner;
    return st;
}

static am_status spill_put(void *user, const am_record *records, size_t n,
                           const unsigned char (*tokens)[AM_TOKEN_BYTES], am_err *err)
{
    struct am_partitioner *p;
    const am_status opened = partitioner_to_fill(user, &p, err);
    if (opened != AM_OK)
        return opened;
    for (size_t i = 0; i < n; i++) {
        am_spilled s;
        memset(&s, 0, sizeof s);
        s.rec = records[i];
        if (s.rec.household) {
            memcpy(s.household, tokens[s.rec.household - 1], AM_TOKEN_BYTES);
            s.rec.household = 1;
        }
        const am_status st = am_spill_write(&p->bucket[s.rec.person[0]], &s, 1, err);
        if (st != AM_OK)
            return st;
    }
    p->records += n;
    return AM_OK;
}

static void remove_registry(struct am_partitioner *p)
{
    for (unsigned b = 0; b < BUCKETS; b++) {
        am_spill_discard(&p->registry[b]);
        if (p->registry_name[b])
            unlink(p->registry_name[b]);
        am_free(p->registry_name[b]);
        p->registry_name[b] = NULL;
    }
}

static am_status open_registry(struct am_partitioner *p, size_t entry_size, am_err *err)
{
    am_status st = AM_OK;
    for (unsigned b = 0; st == AM_OK && b < BUCKETS; b++) {
        char *name = file_name(p, "registry", 3, b);
        st = name ? am_spill_create(&p->registry[b], name, entry_size, REGISTRY_BUFFER, err)
                  : am_fail(err, AM_ERR_NOMEM, "out of memory starting partition files");
        if (st == AM_OK)
            p->registry_name[b] = name; /* the run's own file, to remove */
        else
            am_free(name);
    }
    if (st != AM_OK)
        remove_registry(p);
    p->registry_open = st == AM_OK;
    return st;
}

static am_status spill_put_registry(void *user, const void *entries, size_t n, size_t entry_size,
                                    am_err *err)
{
    struct am_partitioner *p;
    const am_status opened = partitioner_to_fill(user, &p, err);
    if (opened != AM_OK)
        return opened;
    if (!p->registry_open) {
        if (p->registry_entries)
            return am_fail(err, AM_ERR_INVALID, "the registry's partition files are closed");
        const am_status st = open_registry(p, entry_size, err);
        if (st != AM_OK)
            return st;
    }
    const unsigned char *e = entries;
    for (size_t i = 0; i < n; i++, e += entry_size) {
        const unsigned bucket = (unsigned)(am_link_spilled_order.key(e) >> 56);
        const am_status st = am_spill_write(&p->registry[bucket], e, 1, err);
        if (st != AM_OK)
            return st;
    }
    p->registry_entries += n;
    return AM_OK;
}

am_status am_partition_enable(am_ctx *ctx)
{
    if (ctx->store.count || ctx->stage != AM_STAGE_SETUP)
        return am_fail(&ctx->err, AM_ERR_INVALID,
                       "a run is partitioned before any feed is ingested");
    ctx->spill = (am_record_spill){spill_put, spill_put_registry, ctx};
    return AM_OK;
}

/* The household graph's edges, read from the buckets (so grouped by the
 * person key's top byte, ascending) whenever the components ask, and the
 * run window reckoned on the way: a second reading gives the same.  On
 * two threads, the next bucket is read and decoded on a thread of its own
 * while the components join the households of this one. */
typedef struct edge_pass {
    const struct am_partitioner *p;
    const am_catalogue *cat;
    unsigned threads;
    int32_t start, end;
} edge_pass;

/* One bucket's edges and the window of its records. */
typedef struct bucket_edges {
    const edge_pass *pass;
    unsigned bucket;
    am_edge *v;
    size_t n, cap;
    int32_t start, end;
    am_status st;
    am_err err;
} bucket_edges;

static am_status collect_edges(void *user, const void *items, size_t n, am_err *err)
{
    const am_spilled *s = items;
    bucket_edges *b = user;
    for (size_t i = 0; i < n; i++) {
        am_run_window_add(b->pass->cat, &s[i].rec, &b->start, &b->end);
        if (!s[i].rec.household)
            continue;
        if (!AM_RESERVE(b->v, b->cap, b->n + 1))
            return am_fail(err, AM_ERR_NOMEM, "out of memory reading the household graph");
        b->v[b->n++] = (am_edge){.a = am_token_key(s[i].household),
                                 .b = am_token_key(s[i].rec.person)};
    }
    return AM_OK;
}

static void *read_bucket_edges(void *arg)
{
    bucket_edges *b = arg;
    b->n = 0;
    char *name = file_name(b->pass->p, "bucket", 3, b->bucket);
    b->st = name ? am_spill_each_coded(name, &am_spilled_codec, collect_edges, b, &b->err)
                 : am_fail(&b->err, AM_ERR_NOMEM, "out of memory naming partition files");
    am_free(name);
    return NULL;
}

static am_status each_edge(void *user, am_items_fn take, void *take_user, am_err *err)
{
    edge_pass *e = user;
    bucket_edges read[2];
    for (int k = 0; k < 2; k++)
        read[k] = (bucket_edges){.pass = e, .start = e->start, .end = e->end};
    read_bucket_edges(&read[0]);
    am_status st = AM_OK;
    for (unsigned b = 0; st == AM_OK && b < BUCKETS; b++) {
        bucket_edges *now = &read[b & 1], *next = &read[(b + 1) & 1];
        if (now->st != AM_OK) {
            st = now->st;
            *err = now->err;
            break;
        }
        pthread_t helper;
        int helped = 0;
        if (b + 1 < BUCKETS) {
            next->bucket = b + 1;
            helped = e->threads > 1 && am_thread_start(&helper, read_bucket_edges, next) == 0;
        }
        st = now->n ? take(take_user, now->v, now->n, err) : AM_OK;
        if (helped)
            pthread_join(helper, NULL);
        else if (b + 1 < BUCKETS && st == AM_OK)
            read_bucket_edges(next);
    }
    for (int k = 0; k < 2; k++) {
        if (read[k].start < e->start)
            e->start = read[k].start;
        if (read[k].end > e->end)
            e->end = read[k].end;
        am_free(read[k].v);
    }
    return st;
}

/* Memory a sort of the partition files may use.  The household graph
 * may take twice as much: nothing else is held while it is found. */
static size_t sort_memory(const am_ctx *ctx, const struct am_partitioner *p)
{
    uint64_t avail = 256u << 20;
    if (ctx->memory_limit)
        avail = ctx->memory_limit > p->used ? (ctx->memory_limit - p->used) / 4 : 0;
    return avail < (16u << 20) ? 16u << 20 : (size_t)avail;
}

int am_partition_has_registry(const am_ctx *ctx)
{
    return ctx->partitioner && ctx->partitioner->registry_entries > 0;
}

/* The registry's files, once: all finished, or the run's registry lost. */
static am_status finish_registry(struct am_partitioner *p, am_err *err)
{
    am_status st = AM_OK;
    for (unsigned b = 0; b < BUCKETS; b++) {
        const am_status finished = am_spill_end(&p->registry[b], st, err);
        if (st == AM_OK)
            st = finished;
    }
    p->registry_open = 0;
    p->registry_lost = st != AM_OK;
    return st;
}

am_status am_partition_link(am_ctx *ctx)
{
    struct am_partitioner *p = ctx->partitioner;
    am_err *err = &ctx->err;
    am_status st = p->registry_open ? finish_registry(p, err) : AM_OK;
    if (st == AM_OK && p->registry_lost)
        st = am_fail(err, AM_ERR_IO, "the registry's partition files were lost to an earlier "
                     "failure");
    if (st != AM_OK)
        return st;
    const am_link_registry_files files = {p->registry_name, BUCKETS, sort_memory(ctx, p)};
    /* A call that fails (out of memory while linking) leaves the files
     * for the next. */
    st = am_link_run_spilled(&ctx->links, &files, p->registry_entries, &ctx->store, &ctx->linked,
                             ctx->threads, err);
    if (st == AM_OK) {
        remove_registry(p);
        p->registry_entries = 0;
    }
    return st;
}

am_status am_partition_graph(am_ctx *ctx)
{
    struct am_partitioner *p = ctx->partitioner;
    am_err *err = &ctx->err;
    p->used = resident_bytes();
    am_status st = AM_OK;
    for (unsigned b = 0; b < BUCKETS; b++) {
        const am_status done = am_spill_finish(&p->bucket[b], err);
        if (st == AM_OK)
            st = done;
    }
    edge_pass e = {.p = p, .cat = &ctx->catalogue, .threads = ctx->threads,
                   .start = AM_DAY_OPEN, .end = AM_DAY_EVER};
    char *labels = file_name(p, "labels", 0, 0);
    if (st == AM_OK && !labels)
        st = am_fail(err, AM_ERR_NOMEM, "out of memory naming partition files");
    if (st == AM_OK) {
        const am_edge_source edges = {each_edge, &e};
        st = am_components(&edges, labels, 2 * sort_memory(ctx, p), &p->passes, err);
    }
    if (ctx->window.set) {
        p->window_start = ctx->window.start;
        p->window_end = ctx->window.end;
    } else {
        p->window_start = e.start;
        p->window_end = e.end;
    }
    am_free(labels);
    return st;
}

/* Partitions a run matches at once: the partition count and the matching
 * both ask here, so that the partitions are sized for what is in memory. */
static unsigned matchers_of(const am_ctx *ctx)
{
    return ctx->threads > 1 ? MATCHERS : 1;
}

/* How many partitions the limit calls for when at_once of them are in
 * memory together. */
static unsigned partition_count(const am_ctx *ctx, unsigned at_once)
{
    const struct am_partitioner *p = ctx->partitioner;
    uint64_t n = ctx->partitions ? ctx->partitions : 1;
    if (ctx->memory_limit && p) {
        /* Half of what the limit leaves for the partitions in memory, the
         * rest for the findings gathered and the allocator's slack. */
        const uint64_t avail =
            ctx->memory_limit > p->used ? (ctx->memory_limit - p->used) / 2 / at_once : 1;
        const uint64_t need = p->records * LOADED_BYTES_PER_RECORD;
        const uint64_t wanted = (need + avail - 1) / avail;
        if (wanted > n)
            n = wanted;
    }
    return n > MAX_PARTITIONS ? MAX_PARTITIONS : (unsigned)n;
}

unsigned am_partition_count(const am_ctx *ctx)
{
    return partition_count(ctx, 1);
}

/* Distribution: the labels of one bucket in memory, the bucket's records
 * sent to the partitions of their components, as they are encoded (a
 * decoding and encoding again cost a fifth of distribution).  Two
 * distributors take half of the buckets each, on two threads when the
 * run has them; they share the partition files, each copying records for
 * a partition into room for GATHER at their longest before it takes the
 * files' lock to append their bytes.  Records reach a partition in an
 * order that then depends on timing, as a run in memory's do when two
 * threads read its feeds: a partition is sorted on the records' total
 * order (am_record_compare) before it is matched. */
typedef struct partition_files {
    am_spill_writer *w;
    unsigned n;
    pthread_mutex_t lock;
    int failed; /* under lock: a distributor failed, the other may stop */
} partition_files;

typedef struct distributor {
    const struct am_partitioner *p;
    unsigned from, to;          /* the buckets it takes */
    am_spill_reader labels;
    const am_label *at, *end;   /* labels read but not yet taken */
    am_label *held;             /* this bucket's */
    size_t nheld, cap;
    uint32_t *first;            /* held's directory (index_held) */
    size_t first_cap;
    unsigned bits;
    partition_files *parts;
    uint64_t *counts;           /* records sent to each partition */
    unsigned char *encoded;     /* room bytes a partition, of records gathered */
    size_t *used;               /* bytes of each partition's */
    unsigned *ngathered;        /* records of each partition's */
    size_t room;
    am_status st;
    am_err err;
} distributor;

/* Takes the labels of persons whose key starts with byte b, passing over
 * those of earlier buckets (another distributor's). */
static am_status hold_labels(distributor *d, unsigned b, am_err *err)
{
    d->nheld = 0;
    for (;;) {
        if (d->at == d->end) {
            const void *items;
            size_t n;
            const am_status st = am_spill_next(&d->labels, &items, &n, err);
            if (st != AM_OK)
                return st;
            if (n == 0)
                return AM_OK;
            d->at = items;
            d->end = d->at + n;
        }
        const unsigned of = (unsigned)(d->at->person >> 56);
        if (of > b)
            return AM_OK;
        if (of < b) {
            d->at++;
            continue;
        }
        if (!am_reserve_array((void **)&d->held, &d->cap, d->nheld + 1, sizeof *d->held))
            return am_fail(err, AM_ERR_NOMEM, "out of memory distributing records");
        d->held[d->nheld++] = *d->at++;
    }
}

/* A directory of the held labels: first[s] is the first whose person key
 * has s in the bits below the bucket's byte.  Keys are keyed tokens,
 * spread evenly: a look-up reads the four or so labels of one slot, where
 * a binary search of a bucket's labels took most of distribution's time. */
static size_t held_slot(const distributor *d, uint64_t person)
{
    return d->bits ? (size_t)(person << 8 >> (64 - d->bits)) : 0;
}

static am_status index_held(distributor *d, am_err *err)
{
    if (d->nheld >= UINT32_MAX)
        return am_fail(err, AM_ERR_LIMIT, "more than %u persons in households in a bucket",
                       UINT32_MAX - 1);
    d->bits = 0;
    while (d->bits < 24 && (size_t)4 << (d->bits + 1) <= d->nheld)
        d->bits++;
    const size_t slots = (size_t)1 << d->bits;
    if (!AM_RESERVE(d->first, d->first_cap, slots + 1))
        return am_fail(err, AM_ERR_NOMEM, "out of memory distributing records");
    size_t slot = 0;
    for (size_t i = 0; i < d->nheld; i++)
        for (const size_t s = held_slot(d, d->held[i].person); slot <= s; slot++)
            d->first[slot] = (uint32_t)i;
    for (; slot <= slots; slot++)
        d->first[slot] = (uint32_t)d->nheld;
    return AM_OK;
}

static uint64_t label_of(const distributor *d, uint64_t person)
{
    const size_t slot = held_slot(d, person);
    for (size_t i = d->first[slot], end = d->first[slot + 1]; i < end; i++)
        if (d->held[i].person == person)
            return d->held[i].label;
    /* A person in no household is a component alone. */
    return person;
}

/* Writes what d gathered for partition part. */
static am_status write_gathered(distributor *d, unsigned part, am_err *err)
{
    partition_files *f = d->parts;
    const unsigned n = d->ngathered[part];
    if (!n)
        return AM_OK;
    pthread_mutex_lock(&f->lock);
    const am_status st = f->failed ? AM_ERR_ABORTED
                                   : am_spill_write_encoded(&f->w[part],
                                                            d->encoded + part * d->room,
                                                            d->used[part], n, err);
    pthread_mutex_unlock(&f->lock);
    d->ngathered[part] = 0;
    d->used[part] = 0;
    return st;
}

/* Look-ups ahead, as a bucket's labels are more than the cache holds:
 * the directory slot of the record 2 * AHEAD on, then the labels that
 * slot names for the record AHEAD on, so that their misses overlap.
 * Written in the loop, not in a function of their own: GCC finds a
 * function that only prefetches pure, and drops the calls. */
enum { AHEAD = 8 };

/* The bucket's records sent as they are encoded.  A label's partition
 * is taken from the top of its hash by multiplying, not by a division. */
static am_status send_records(void *user, const unsigned char *bytes, const uint32_t *ends,
                              size_t n, am_err *err)
{
    distributor *d = user;
    for (size_t k = 0, at = 0; k < n; at = ends[k++]) {
        if (k + 2 * AHEAD < n) {
            const uint64_t later = am_spilled_person_key(bytes + ends[k + 2 * AHEAD - 1]);
            __builtin_prefetch(&d->first[held_slot(d, later)]);
        }
        if (k + AHEAD < n && d->held) {
            const uint64_t next = am_spilled_person_key(bytes + ends[k + AHEAD - 1]);
            __builtin_prefetch(d->held + d->first[held_slot(d, next)]);
        }
        const size_t len = ends[k] - at;
        const uint64_t label = label_of(d, am_spilled_person_key(bytes + at));
        const unsigned part =
            (unsigned)((XXH3_64bits(&label, sizeof label) >> 32) * d->parts->n >> 32);
        memcpy(d->encoded + part * d->room + d->used[part], bytes + at, len);
        d->used[part] += len;
        d->ngathered[part]++;
        d->counts[part]++;
        if (d->room - d->used[part] < AM_SPILLED_CODE_MAX) {
            const am_status st = write_gathered(d, part, err);
            if (st != AM_OK)
                return st;
        }
    }
    return AM_OK;
}

/* One distributor's buckets, each removed once sent; d->st and d->err
 * tell how it went. */
static void *distribute_buckets(void *arg)
{
    distributor *d = arg;
    am_err *err = &d->err;
    am_status st = AM_OK;
    for (unsigned b = d->from; st == AM_OK && b < d->to; b++) {
        st = hold_labels(d, b, err);
        if (st == AM_OK)
            st = index_held(d, err);
        char *name = st == AM_OK ? file_name(d->p, "bucket", 3, b) : NULL;
        if (st == AM_OK && !name)
            st = am_fail(err, AM_ERR_NOMEM, "out of memory naming partition files");
        if (st == AM_OK)
            st = am_spill_each_encoded(name, &am_spilled_codec, send_records, d, err);
        if (name)
            unlink(name);
        am_free(name);
    }
    for (unsigned i = 0; st == AM_OK && i < d->parts->n; i++)
        st = write_gathered(d, i, err);
    if (st != AM_OK) {
        pthread_mutex_lock(&d->parts->lock);
        d->parts->failed = 1;
        pthread_mutex_unlock(&d->parts->lock);
    }
    d->st = st;
    return NULL;
}

/* Starts d on buckets [from, to): its own reading of the labels, and
 * gather records' room for each partition. */
static am_status distributor_start(distributor *d, const struct am_partitioner *p,
                                   partition_files *parts, unsigned from, unsigned to,
                                   size_t gather, const char *labels, am_err *err)
{
    *d = (distributor){.p = p, .from = from, .to = to, .parts = parts, .labels = {.fd = -1},
                       .room = gather * AM_SPILLED_CODE_MAX};
    d->counts = am_calloc(parts->n, sizeof *d->counts);
    d->ngathered = am_calloc(parts->n, sizeof *d->ngathered);
    d->used = am_calloc(parts->n, sizeof *d->used);
    d->encoded = am_malloc(parts->n * d->room);
    if (!d->counts || !d->ngathered || !d->used || !d->encoded)
        return am_fail(err, AM_ERR_NOMEM, "out of memory distributing records");
    return am_spill_open(&d->labels, labels, sizeof(am_label), err);
}

static void distributor_free(distributor *d)
{
    if (d->labels.buf)
        am_spill_close(&d->labels);
    am_free(d->held);
    am_free(d->first);
    am_free(d->counts);
    am_free(d->ngathered);
    am_free(d->used);
    am_free(d->encoded);
}

am_status am_partition_distribute(am_ctx *ctx, unsigned n)
{
    struct am_partitioner *p = ctx->partitioner;
    am_err *err = &ctx->err;
    partition_files parts = {.n = n ? n : 1};
    pthread_mutex_init(&parts.lock, NULL);
    parts.w = am_calloc(parts.n, sizeof *parts.w);
    char *labels = file_name(p, "labels", 0, 0);
    am_status st = parts.w && labels
                       ? AM_OK
                       : am_fail(err, AM_ERR_NOMEM, "out of memory distributing records");
    /* The partitions' buffers share what a quarter of the limit allows,
     * and the records gathered for them an eighth.  What one distributor
     * gathers for a partition fits the partition's buffer. */
    size_t buffer = WRITE_BUFFER;
    if (ctx->memory_limit && ctx->memory_limit / 4 / parts.n < buffer)
        buffer = (size_t)(ctx->memory_limit / 4 / parts.n);
    size_t gather = buffer / 4 / AM_SPILLED_CODE_MAX;
    gather = gather < 1 ? 1 : gather > GATHER ? GATHER : gather;
    unsigned made = 0;
    for (; st == AM_OK && made < parts.n; made++) {
        char *name = file_name(p, "part", 4, made);
        st = name ? am_spill_create_coded(&parts.w[made], name, &am_spilled_codec, buffer, err)
                  : am_fail(err, AM_ERR_NOMEM, "out of memory naming partition files");
        am_free(name);
        if (st != AM_OK)
            break;
    }
    distributor half[2] = {{.labels = {.fd = -1}}, {.labels = {.fd = -1}}};
    if (st == AM_OK)
        st = distributor_start(&half[0], p, &parts, 0, BUCKETS / 2, gather, labels, err);
    if (st == AM_OK)
        st = distributor_start(&half[1], p, &parts, BUCKETS / 2, BUCKETS, gather, labels, err);
    if (st == AM_OK) {
        am_run_pair(distribute_buckets, &half[0], &half[1], ctx->threads,
                    (size_t)(p->records > SIZE_MAX ? SIZE_MAX : p->records));
        /* AM_ERR_ABORTED: stopped by the other's failure, the one told. */
        for (int h = 0; h < 2 && st == AM_OK; h++)
            if (half[h].st != AM_OK && half[h].st != AM_ERR_ABORTED) {
                st = half[h].st;
                *err = half[h].err;
            }
    }
    for (unsigned i = 0; i < made; i++) {
        if (st == AM_OK)
            st = am_spill_finish(&parts.w[i], err);
        else
            am_spill_discard(&parts.w[i]);
    }
    uint64_t *counts = half[0].counts;
    for (unsigned i = 0; st == AM_OK && i < parts.n; i++)
        counts[i] += half[1].counts[i];
    if (st == AM_OK) {
        am_free(p->part_records);
        p->part_records = counts;
        p->n = parts.n;
        half[0].counts = NULL;
    }
    distributor_free(&half[0]);
    distributor_free(&half[1]);
    if (labels)
        unlink(labels);
    am_free(labels);
    am_free(parts.w);
    pthread_mutex_destroy(&parts.lock);
    return st;
}

/* Loading a partition: each record's household token interned into the
 * partition's own store, a batch at a time so that the table's cache
 * misses overlap (am_store_households). */
#define LOAD_BATCH 256

static am_status load_records(void *user, const void *items, size_t n, am_err *err)
{
    const am_spilled *s = items;
    am_store *store = user;
    if (am_store_reserve(store, n) != AM_OK)
        return am_fail(err, AM_ERR_NOMEM, "out of memory loading a partition");
    unsigned char tokens[LOAD_BATCH][AM_TOKEN_BYTES];
    uint32_t refs[LOAD_BATCH];
    for (size_t from = 0; from < n; from += LOAD_BATCH) {
        const size_t to = n - from < LOAD_BATCH ? n : from + LOAD_BATCH;
        size_t held = 0;
        for (size_t i = from; i < to; i++)
            if (s[i].rec.household)
                memcpy(tokens[held++], s[i].household, AM_TOKEN_BYTES);
        const am_status st = am_store_households(store, &tokens[0][0], held, refs);
        if (st != AM_OK)
            return am_fail(err, st, st == AM_ERR_LIMIT ? "more than %u households in a "
                                                         "partition"
                                                       : "out of memory loading a partition",
                           UINT32_MAX - 1);
        held = 0;
        for (size_t i = from; i < to; i++) {
            am_record r = s[i].rec;
            if (r.household)
                r.household = refs[held++];
            store->records[store->count++] = r;
        }
    }
    return AM_OK;
}

/* Record k of store as it is spilled: its household the token itself. */
static am_spilled spilled_of(const am_store *store, size_t k)
{
    am_spilled s;
    memset(&s, 0, sizeof s);
    s.rec = store->records[k];
    if (s.rec.household) {
        memcpy(s.household, store->households[s.rec.household - 1], AM_TOKEN_BYTES);
        s.rec.household = 1;
    }
    return s;
}

static int by_size(const void *pa, const void *pb)
{
    const size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

/* The records list's findings cite, each once, added to m's evidence. */
static am_status gather_evidence(partition_matcher *m, const am_match_input *in,
                                 const am_evidence_index *ix, const am_finding_list *list)
{
    size_t *at = NULL, n = 0, cap = 0;
    for (size_t i = 0; i < list->count; i++) {
        const char *cursor = list->v[i].pub.evidence;
        uint16_t feed;
        uint32_t line;
        while (am_evidence_next(in, &cursor, &feed, &line)) {
            const am_record *r = am_evidence_find(ix, feed, line);
            if (!r)
                continue;
            if (!AM_RESERVE(at, cap, n + 1)) {
                am_free(at);
                return AM_ERR_NOMEM;
            }
            at[n++] = (size_t)(r - in->store->records);
        }
    }
    if (n)
        qsort(at, n, sizeof *at, by_size);
    size_t unique = 0;
    for (size_t k = 0; k < n; k++)
        if (!unique || at[k] != at[unique - 1])
            at[unique++] = at[k];
    if (!AM_RESERVE(m->evidence, m->evidence_cap, m->nevidence + unique)) {
        am_free(at);
        return AM_ERR_NOMEM;
    }
    for (size_t k = 0; k < unique; k++)
        m->evidence[m->nevidence++] = spilled_of(in->store, at[k]);
    am_free(at);
    return AM_OK;
}

/* The facts of every finding of list, from store (facts.h); with m, the
 * records they cite gathered too (gather_evidence). */
static am_status add_facts(const am_match_input *in, am_finding_list *list,
                           partition_matcher *m)
{
    am_evidence_index ix;
    am_facts_scratch scratch = {0};
    am_findings_sort(list); /* points the public views at their strings */
    const am_status built = am_evidence_index_build(in, list, NULL, 0, &ix);
    am_status st = built;
    for (size_t i = 0; st == AM_OK && i < list->count; i++) {
        am_finding_rec *f = &list->v[i];
        st = am_facts_of(in, &ix, &f->pub, &scratch, f->facts, &f->area);
        f->facts_known = 1;
    }
    if (st == AM_OK && m)
        st = gather_evidence(m, in, &ix, list);
    am_facts_scratch_free(&scratch);
    if (built == AM_OK)
        am_evidence_index_free(&ix);
    return st;
}

/* The partition file at path, of records records, in store (emptied
 * first, its memory kept), sorted on threads, claim households assigned,
 * with the index rules read in *index.  On failure store and index hold
 * nothing, and err says why. */
static am_status load_partition(const am_ctx *ctx, const char *path, uint64_t records,
                                unsigned threads, am_store *store, am_household_index *index,
                                am_err *err)
{
    am_store_clear(store);
    am_status st = am_store_reserve(store, records);
    if (st == AM_OK && records) {
        /* Loaded a record at a time: its pages populated at once first. */
        am_prefault(store->records, (size_t)records * sizeof *store->records);
    }
    st = st == AM_OK ? am_spill_each_coded(path, &am_spilled_codec, load_records, store, err)
                     : am_fail(err, AM_ERR_NOMEM, "out of memory loading a partition");
    if (st == AM_OK && store->count != records)
        st = am_fail(err, AM_ERR_FORMAT, "%s: %zu records where the run counted %llu", path,
                     store->count, (unsigned long long)records);
    if (st == AM_OK)
        st = am_store_sort(store, threads);
    if (st == AM_OK) {
        st = am_households_build(store, &ctx->catalogue, &ctx->rules, index, threads);
        if (st != AM_OK)
            st = am_fail(err, st, "out of memory matching a partition");
    }
    if (st != AM_OK)
        am_store_free(store);
    return st;
}

/* The partition file at path matched in store on threads, its findings
 * with their facts appended to out; with m (whose store is store), the
 * records they cite kept in m.  Returns as am_partition_graph, the
 * message in err. */
static am_status match_partition(const am_ctx *ctx, const char *path, uint64_t records,
                                 int32_t window_start, int32_t window_end, unsigned threads,
                                 am_store *store, partition_matcher *m, am_finding_list *out,
                                 am_err *err)
{
    am_household_index index;
    am_status st = load_partition(ctx, path, records, threads, store, &index, err);
    if (st != AM_OK)
        return st;
    am_match_input in = am_ctx_match_input(ctx);
    in.store = store;
    in.threads = threads;
    am_finding_list found = {0};
    st = am_match_all(&in, &index, window_start, window_end, threads, &found);
    if (st == AM_OK)
        st = add_facts(&in, &found, m);
    if (st == AM_OK)
        st = am_findings_move(out, &found);
    am_findings_free(&found);
    am_households_free(&index);
    if (st != AM_OK)
        st = am_fail(err, st, "out of memory matching a partition");
    return st;
}

am_status am_partition_match_file(am_ctx *ctx, const char *path, uint64_t records,
                                  int32_t window_start, int32_t window_end, am_finding_list *out)
{
    am_store own = {0};
    const am_status st = match_partition(ctx, path, records, window_start, window_end,
                                         ctx->threads, &own, NULL, out, &ctx->err);
    am_store_free(&own);
    return st;
}

/* Matching the run's partitions: up to MATCHERS at once, each matcher
 * taking the next partition not yet taken. */
typedef struct matching {
    const am_ctx *ctx;
    struct am_partitioner *p;
    pthread_mutex_t lock;
    unsigned next; /* under lock: the next partition to take */
    int failed;    /* under lock: a matcher failed, the other stops */
} matching;

typedef struct match_worker {
    matching *shared;
    partition_matcher *m;
    unsigned threads; /* a partition's own: the run's when it is the only matcher */
    am_finding_list found;
    am_status st;
    am_err err;
} match_worker;

static void *match_partitions(void *arg)
{
    match_worker *w = arg;
    matching *g = w->shared;
    const struct am_partitioner *p = g->p;
    for (;;) {
        pthread_mutex_lock(&g->lock);
        const unsigned i = g->failed ? p->n : g->next++;
        pthread_mutex_unlock(&g->lock);
        if (i >= p->n)
            return NULL;
        char *name = file_name(p, "part", 4, i);
        w->st = name ? match_partition(g->ctx, name, p->part_records[i], p->window_start,
                                       p->window_end, w->threads, &w->m->loaded, w->m, &w->found,
                                       &w->err)
                     : am_fail(&w->err, AM_ERR_NOMEM, "out of memory naming partition files");
        am_free(name);
        if (w->st != AM_OK) {
            pthread_mutex_lock(&g->lock);
            g->failed = 1;
            pthread_mutex_unlock(&g->lock);
            return NULL;
        }
    }
}

/* Every partition matched, the findings joined in ctx->findings (in no
 * particular order: the run sorts them). */
static am_status match_every_partition(am_ctx *ctx)
{
    struct am_partitioner *p = ctx->partitioner;
    matching g = {.ctx = ctx, .p = p};
    pthread_mutex_init(&g.lock, NULL);
    const unsigned matchers = p->n > 1 ? matchers_of(ctx) : 1;
    match_worker w[MATCHERS];
    for (unsigned k = 0; k < MATCHERS; k++)
        w[k] = (match_worker){.shared = &g, .m = &p->matcher[k],
                              .threads = matchers > 1 ? 1 : ctx->threads};
    am_run_pair(match_partitions, &w[0], &w[1], matchers,
                (size_t)(p->records > SIZE_MAX ? SIZE_MAX : p->records));
    am_status st = AM_OK;
    for (unsigned k = 0; k < MATCHERS; k++) {
        if (st == AM_OK && w[k].st != AM_OK) {
            st = w[k].st;
            ctx->err = w[k].err;
        }
        if (st == AM_OK && am_findings_move(&ctx->findings, &w[k].found) != AM_OK)
            st = am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory matching a partition");
        am_findings_free(&w[k].found);
    }
    pthread_mutex_destroy(&g.lock);
    return st;
}

/* Partition i's records, sorted and with their claim households, into a
 * spill file of their own. */
static am_status write_sorted(am_ctx *ctx, unsigned i, const char *path)
{
    struct am_partitioner *p = ctx->partitioner;
    char *name = file_name(p, "part", 4, i);
    if (!name)
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory naming partition files");
    const am_store *store = &p->matcher[0].loaded;
    am_household_index index;
    am_status st = load_partition(ctx, name, p->part_records[i], ctx->threads,
                                  &p->matcher[0].loaded, &index, &ctx->err);
    am_free(name);
    if (st != AM_OK)
        return st;
    am_households_free(&index);
    am_spill_writer w;
    st = am_spill_create(&w, path, sizeof(am_spilled), WRITE_BUFFER, &ctx->err);
    for (size_t k = 0; st == AM_OK && k < store->count; k++) {
        const am_spilled s = spilled_of(store, k);
        st = am_spill_write(&w, &s, 1, &ctx->err);
    }
    if (st == AM_OK)
        st = am_spill_finish(&w, &ctx->err);
    else
        am_spill_discard(&w);
    return st;
}

am_status am_partition_snapshot(am_ctx *ctx, const char *path)
{
    struct am_partitioner *p = ctx->partitioner;
    am_err *err = &ctx->err;
    char **sorted = am_calloc(p->n ? p->n : 1, sizeof *sorted);
    char *records = file_name(p, "sorted", 0, 0), *scratch = file_name(p, "snapshot", 0, 0);
    am_status st = sorted && records && scratch
                       ? AM_OK
                       : am_fail(err, AM_ERR_NOMEM, "out of memory naming partition files");
    unsigned made = 0;
    for (; st == AM_OK && made < p->n; made++) {
        if (!(sorted[made] = file_name(p, "sorted", 4, made)))
            st = am_fail(err, AM_ERR_NOMEM, "out of memory naming partition files");
        else
            st = write_sorted(ctx, made, sorted[made]);
    }
    am_store_free(&p->matcher[0].loaded); /* the merge and the snapshot need its memory */
    if (st == AM_OK)
        st = am_extsort_merge((const char *const *)sorted, made, records, sizeof(am_spilled),
                              am_record_compare, err);
    else
        for (unsigned i = 0; i < made; i++)
            if (sorted[i])
                unlink(sorted[i]);
    if (st == AM_OK) {
        const am_snapshot_run run = {.match = am_ctx_match_input(ctx),
                                     .window = &ctx->window,
                                     .findings = &ctx->findings,
                                     .links = &ctx->linked,
                                     .key_fingerprint = ctx->key.bytes ? ctx->key.fingerprint : "",
                                     .centre_name = ctx->centre_name};
        const am_snapshot_spilled sp = {.records = records,
                                        .window_start = p->window_start,
                                        .window_end = p->window_end,
                                        .scratch = scratch,
                                        .memory = sort_memory(ctx, p)};
        st = am_snapshot_save_spilled(&run, &sp, path, err);
        unlink(records);
    }
    for (unsigned i = 0; sorted && i < made; i++)
        am_free(sorted[i]);
    am_free(sorted);
    am_free(records);
    am_free(scratch);
    return st;
}

am_status am_partition_reconcile(am_ctx *ctx)
{
    ctx->partitions_used = 1;
    if (!ctx->partitioner)
        return AM_OK; /* nothing was ingested */
    am_status st = am_partition_graph(ctx);
    struct am_partitioner *p = ctx->partitioner;
    if (st == AM_OK && ctx->memory_limit && ctx->memory_limit <= p->used + (p->used >> 1))
        st = am_fail(&ctx->err, AM_ERR_LIMIT,
                     "the run holds %llu MB before matching (catalogue, rejects, rows held "
                     "for linking, buffers): a memory limit of %llu MB leaves "
                     "too little for partitions",
                     (unsigned long long)(p->used >> 20),
                     (unsigned long long)(ctx->memory_limit >> 20));
    if (st == AM_OK)
        st = am_partition_distribute(ctx, partition_count(ctx, matchers_of(ctx)));
    if (st == AM_OK)
        st = match_every_partition(ctx);
    p->evidence_gathered = st == AM_OK;
    for (unsigned k = 0; k < MATCHERS; k++)
        am_store_free(&p->matcher[k].loaded); /* writing the outputs needs their memory */
    if (st == AM_OK)
        am_findings_sort(&ctx->findings);
    else
        am_findings_free(&ctx->findings);
    return st;
}

/* The (feed, line) pairs wanted, in an open-addressing set. */
typedef struct wanted {
    uint64_t *keys; /* feed << 32 | line, + 1; 0 = empty */
    size_t mask;
    am_store *store;
} wanted;

static size_t wanted_slot(const wanted *w, uint64_t key)
{
    size_t s = (size_t)XXH3_64bits(&key, sizeof key) & w->mask;
    while (w->keys[s] && w->keys[s] != key)
        s = (s + 1) & w->mask;
    return s;
}

static am_status load_wanted(void *user, const void *items, size_t n, am_err *err)
{
    const am_spilled *s = items;
    wanted *w = user;
    for (size_t i = 0; i < n; i++) {
        const uint64_t key = ((uint64_t)s[i].rec.feed << 32 | s[i].rec.line) + 1;
        if (w->keys[wanted_slot(w, key)] == key) {
            const am_status st = load_records(w->store, &s[i], 1, err);
            if (st != AM_OK)
                return st;
        }
    }
    return AM_OK;
}

am_status am_partition_evidence(am_ctx *ctx, const size_t *which, size_t n)
{
    struct am_partitioner *p = ctx->partitioner;
    if (!p || ctx->store.count)
        return AM_OK; /* nothing partitioned, or already loaded */
    const am_match_input in = am_ctx_match_input(ctx);
    size_t count = 0;
    for (size_t k = 0; k < n; k++)
        for (const char *c = ctx->findings.v[which[k]].pub.evidence; *c; c++)
            count += *c == ':';
    size_t slots = 16;
    while (slots < 2 * count)
        slots *= 2;
    wanted w = {.keys = am_calloc(slots, sizeof *w.keys), .mask = slots - 1,
                .store = &ctx->store};
    if (!w.keys)
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory finding evidence");
    for (size_t k = 0; k < n; k++) {
        const char *cursor = ctx->findings.v[which[k]].pub.evidence;
        uint16_t feed;
        uint32_t line;
        while (am_evidence_next(&in, &cursor, &feed, &line)) {
            const uint64_t key = ((uint64_t)feed << 32 | line) + 1;
            w.keys[wanted_slot(&w, key)] = key;
        }
    }
    am_status st = AM_OK;
    if (p->evidence_gathered)
        for (unsigned k = 0; st == AM_OK && k < MATCHERS; k++)
            st = load_wanted(&w, p->matcher[k].evidence, p->matcher[k].nevidence, &ctx->err);
    else
        for (unsigned i = 0; st == AM_OK && i < p->n; i++) {
            char *name = file_name(p, "part", 4, i);
            st = name ? am_spill_each_coded(name, &am_spilled_codec, load_wanted, &w, &ctx->err)
                      : am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory naming partition files");
            am_free(name);
        }
    am_free(w.keys);
    if (st == AM_OK)
        st = am_store_sort(&ctx->store, 1);
    if (st != AM_OK)
        am_store_free(&ctx->store);
    return st;
}

void am_partitioner_free(am_ctx *ctx)
{
    struct am_partitioner *p = ctx->partitioner;
    if (!p)
        return;
    for (unsigned b = 0; b < BUCKETS; b++)
        am_spill_discard(&p->bucket[b]);
    remove_registry(p);
    am_partition_dir_close(&p->dir);
    for (unsigned k = 0; k < MATCHERS; k++) {
        am_store_free(&p->matcher[k].loaded);
        am_free(p->matcher[k].evidence);
    }
    am_free(p->part_records);
    am_free(p);
    ctx->partitioner = NULL;
}

am_status am_set_memory_limit(am_ctx *ctx, uint64_t bytes)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (bytes < AM_MEMORY_LIMIT_MIN)
        return am_fail(&ctx->err, AM_ERR_INVALID, "memory limit: expected at least %lluM, got "
                       "%llu bytes", (unsigned long long)(AM_MEMORY_LIMIT_MIN >> 20),
                       (unsigned long long)bytes);
    const am_status st = am_partition_enable(ctx);
    if (st == AM_OK)
        ctx->memory_limit = bytes;
    return st;
}

am_status am_set_partitions(am_ctx *ctx, unsigned n)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (n < 1 || n > MAX_PARTITIONS)
        return am_fail(&ctx->err, AM_ERR_INVALID, "partitions: expected 1 to %u, got %u",
                       MAX_PARTITIONS, n);
    const am_status st = am_partition_enable(ctx);
    if (st == AM_OK)
        ctx->partitions = n;
    return st;
}

am_status am_set_temp_dir(am_ctx *ctx, const char *dir)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!dir || !*dir)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_set_temp_dir: dir is NULL or empty");
    if (ctx->partitioner)
        return am_fail(&ctx->err, AM_ERR_INVALID,
                       "the temporary directory is set before any feed is ingested");
    char *copy = am_strdup(dir);
    if (!copy)
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory");
    am_free(ctx->temp_dir);
    ctx->temp_dir = copy;
    return AM_OK;
}

am_status am_partition_layout_of(const am_ctx *ctx, am_partition_layout *out)
{
    const struct am_partitioner *p = ctx->partitioner;
    if (!p || !p->n)
        return AM_ERR_STATE;
    *out = (am_partition_layout){.dir = p->dir.path,
                                 .n = p->n,
                                 .records = p->part_records,
                                 .window_start = p->window_start,
                                 .window_end = p->window_end};
    return AM_OK;
}
