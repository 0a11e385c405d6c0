/*
 * dist.c — a partitioned run whose partitions other processes match, on
 * other machines that share the run's directory (docs/dask.md): the run
 * state file workers start from, and am_dist_prepare, am_dist_match and
 * am_dist_merge.
 *
 * The run state file, "run.state" in the run's directory, is "AMRUN001",
 * the run's 16-byte random id, the key's fingerprint (16 hex digits), the
 * run window (two days, i64), the partition count n and each partition's
 * record count (u64), and an XXH3-64 of everything before it.  It names
 * no file outside the directory and holds no key material.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "aidmatch.h"
#include "common/alloc.h"
#include "common/atomic_file.h"
#include "common/text_file.h"
#include "match/finding_file.h"
#include "run/context.h"
#include "run/partition.h"
#include "run/reconcile.h"

static const char STATE_MAGIC[8] = {'A', 'M', 'R', 'U', 'N', '0', '0', '1'};
#define STATE_NAME "run.state"
#define STATE_FIXED (sizeof STATE_MAGIC + AM_RUN_ID_BYTES + AM_FINGERPRINT_HEX + 3 * 8)

typedef struct run_state {
    unsigned char id[AM_RUN_ID_BYTES];
    char fingerprint[AM_FINGERPRINT_HEX + 1];
    int32_t window_start, window_end;
    unsigned n;
    uint64_t *records; /* owned */
} run_state;

static void le64(unsigned char *p, uint64_t x)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(x >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x |= (uint64_t)p[i] << (8 * i);
    return x;
}

static am_status write_state(am_ctx *ctx, const am_partition_layout *layout)
{
    const size_t len = STATE_FIXED + 8 * (size_t)layout->n + 8;
    unsigned char *b = am_malloc(len);
    char *path = am_strdup_printf("%s/%s", layout->dir, STATE_NAME);
    if (!b || !path) {
        am_free(b);
        am_free(path);
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory writing the run state");
    }
    unsigned char *p = b;
    memcpy(p, STATE_MAGIC, sizeof STATE_MAGIC);
    p += sizeof STATE_MAGIC;
    memcpy(p, ctx->dist_run_id, AM_RUN_ID_BYTES);
    p += AM_RUN_ID_BYTES;
    memset(p, 0, AM_FINGERPRINT_HEX);
    memcpy(p, ctx->key.fingerprint, strnlen(ctx->key.fingerprint, AM_FINGERPRINT_HEX));
    p += AM_FINGERPRINT_HEX;
    le64(p, (uint64_t)(int64_t)layout->window_start);
    le64(p + 8, (uint64_t)(int64_t)layout->window_end);
    le64(p + 16, layout->n);
    p += 24;
    for (unsigned i = 0; i < layout->n; i++, p += 8)
        le64(p, layout->records[i]);
    le64(p, XXH3_64bits(b, (size_t)(p - b)));
    am_atomic_file f;
    am_status st = am_atomic_open(&f, path, &ctx->err);
    if (st == AM_OK) {
        if (fwrite(b, 1, len, f.out) != len) {
            am_atomic_abort(&f);
            st = am_fail(&ctx->err, AM_ERR_IO, "%s: cannot write the run state (disk full?)",
                         path);
        } else {
            st = am_atomic_commit(&f, &ctx->err);
        }
    }
    am_free(b);
    am_free(path);
    return st;
}

static am_status read_state(am_ctx *ctx, const char *run_dir, run_state *s)
{
    memset(s, 0, sizeof *s);
    char *path = am_strdup_printf("%s/%s", run_dir, STATE_NAME);
    if (!path)
        return am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory reading the run state");
    char *text;
    size_t len;
    am_status st = am_read_text_file(path, STATE_FIXED + 8 * 4096 + 8, "run state", &text, &len,
                                     &ctx->err);
    if (st != AM_OK) {
        am_free(path);
        return st;
    }
    const unsigned char *b = (const unsigned char *)text;
    const uint64_t n = len >= STATE_FIXED ? get64(b + STATE_FIXED - 8) : 0;
    if (len < STATE_FIXED + 8 || memcmp(b, STATE_MAGIC, sizeof STATE_MAGIC) != 0 || n < 1 ||
        n > 4096 || len != STATE_FIXED + 8 * n + 8 ||
        get64(b + len - 8) != XXH3_64bits(b, len - 8)) {
        st = am_fail(&ctx->err, AM_ERR_FORMAT, "%s: not a whole run state (cut short or corrupt)",
                     path);
    } else if (!(s->records = am_calloc((size_t)n, sizeof *s->records))) {
        st = am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory reading the run state");
    } else {
        const unsigned char *p = b + sizeof STATE_MAGIC;
        memcpy(s->id, p, AM_RUN_ID_BYTES);
        p += AM_RUN_ID_BYTES;
        memcpy(s->fingerprint, p, AM_FINGERPRINT_HEX);
        p += AM_FINGERPRINT_HEX;
        s->window_start = (int32_t)(int64_t)get64(p);
        s->window_end = (int32_t)(int64_t)get64(p + 8);
        s->n = (unsigned)n;
        p += 24;
        for (unsigned i = 0; i < s->n; i++, p += 8)
            s->records[i] = get64(p);
    }
    am_free(text);
    am_free(path);
    return st;
}

/* "dir/found-NNNN", allocated, or NULL. */
static char *found_name(const char *dir, unsigned i)
{
    return am_strdup_printf("%s/found-%04u", dir, i);
}

am_status am_dist_prepare(am_ctx *ctx, unsigned partitions, const char **run_dir,
                          unsigned *count)
{
    if (!ctx || !run_dir || !count)
        return AM_ERR_INVALID;
    *run_dir = NULL;
    *count = 0;
    if (!ctx->spill.put)
        return am_fail(&ctx->err, AM_ERR_INVALID,
                       "am_dist_prepare: the run is not partitioned: set partitions (or a memory "
                       "limit) before ingesting");
    am_status st = am_reconcile_begin(ctx, "am_dist_prepare");
    if (st != AM_OK)
        return st;
    if (!ctx->partitioner)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_dist_prepare: no record was ingested");
    ctx->partitions_used = 1;
    if ((st = am_partition_graph(ctx)) != AM_OK)
        return st;
    const unsigned wanted = am_partition_count(ctx);
    if ((st = am_partition_distribute(ctx, partitions > wanted ? partitions : wanted)) != AM_OK)
        return st;
    am_partition_layout layout;
    am_partition_layout_of(ctx, &layout);
    randombytes_buf(ctx->dist_run_id, sizeof ctx->dist_run_id);
    if ((st = write_state(ctx, &layout)) != AM_OK)
        return st;
    ctx->dist_prepared = 1;
    *run_dir = layout.dir;
    *count = layout.n;
    return AM_OK;
}

am_status am_dist_match(am_ctx *ctx, const char *run_dir, unsigned partition)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!run_dir || !*run_dir)
        return am_fail(&ctx->err, AM_ERR_INVALID, "am_dist_match: run_dir is NULL or empty");
    if (!ctx->have_catalogue)
        return am_fail(&ctx->err, AM_ERR_INVALID, "no catalogue loaded");
    run_state s;
    am_status st = read_state(ctx, run_dir, &s);
    if (st == AM_OK && strcmp(s.fingerprint, ctx->key.fingerprint) != 0)
        st = am_fail(&ctx->err, AM_ERR_KEY,
                     "%s: the run was partitioned under key %s, this centre's key is %s",
                     run_dir, s.fingerprint[0] ? s.fingerprint : "(none)",
                     ctx->key.fingerprint[0] ? ctx->key.fingerprint : "(none)");
    if (st == AM_OK && partition >= s.n)
        st = am_fail(&ctx->err, AM_ERR_INVALID, "am_dist_match: partition %u of a run of %u",
                     partition, s.n);
    char *part = st == AM_OK ? am_strdup_printf("%s/part-%04u", run_dir, partition) : NULL;
    char *found = st == AM_OK ? found_name(run_dir, partition) : NULL;
    if (st == AM_OK && (!part || !found))
        st = am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory naming partition files");
    am_finding_list list = {0};
    if (st == AM_OK)
        st = am_partition_match_file(ctx, part, s.records[partition], s.window_start,
                                     s.window_end, &list);
    if (st == AM_OK) {
        am_findings_sort(&list);
        st = am_finding_file_write(found, s.id, &list, &ctx->err);
    }
    am_findings_free(&list);
    am_free(part);
    am_free(found);
    am_free(s.records);
    return st;
}

am_status am_dist_merge(am_ctx *ctx)
{
    if (!ctx)
        return AM_ERR_INVALID;
    if (!ctx->dist_prepared || ctx->stage != AM_STAGE_INGESTED)
        return am_fail(&ctx->err, AM_ERR_STATE,
                       "am_dist_merge: call am_dist_prepare first, and merge once");
    am_partition_layout layout;
    am_partition_layout_of(ctx, &layout);
    am_status st = AM_OK;
    for (unsigned i = 0; st == AM_OK && i < layout.n; i++) {
        char *found = found_name(layout.dir, i);
        st = found ? am_finding_file_read(found, ctx->dist_run_id, &ctx->rules, &ctx->findings,
                                          &ctx->err)
                   : am_fail(&ctx->err, AM_ERR_NOMEM, "out of memory naming partition files");
        am_free(found);
    }
    if (st != AM_OK) {
        am_findings_free(&ctx->findings);
        return st;
    }
    am_findings_sort(&ctx->findings);
    ctx->stage = AM_STAGE_RECONCILED;
    return AM_OK;
}
