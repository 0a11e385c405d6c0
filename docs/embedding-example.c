/*
 * embedding-example.c — reconciling one in-memory feed with libaidmatch.
 *
 * Build (installed library):
 *   cc -std=c11 -Wall -Wextra embedding-example.c $(pkg-config --cflags --libs aidmatch)
 * Run:
 *   ./a.out CATALOGUE_DIR KEY_FILE OUT_DIR
 *
 * One context per run (and per thread); everything the library hands out
 * is owned by the context and released by am_ctx_free().
 */
#include <aidmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A feed as an agency might export it: the same person paid 城市低保
 * (urban dibao) twice for March, once per row. */
static const char feed_csv[] =
    "身份证号,金额,开始日期,结束日期\n"
    "11010519491231002X,1200.00,2024-01-01,2024-03-31\n"
    "11010519491231002x,\"1,500\",2024-03-01,2024-05-31\n" /* x = X */
    "3.20281E+17,100,2024-01-01,2024-01-31\n"; /* Excel-damaged: rejected */

/* Called once per finding, in output order.  Return non-zero to stop. */
static int on_finding(void *user, const am_finding *f)
{
    size_t *seen = user;
    ++*seen;
    printf("%s %s %s %s..%s %" PRId64 " days, %" PRId64 ".%02d yuan at stake, evidence %s\n",
           f->id, am_kind_name(f->kind), f->items, f->period_start, f->period_end,
           f->overlap_days, f->amount_fen / 100, (int)(f->amount_fen % 100), f->evidence);
    return 0;
}

static int failed(am_ctx *ctx, am_status st, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", what, am_strerror(st), am_errmsg(ctx));
    am_ctx_free(ctx);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s CATALOGUE_DIR KEY_FILE OUT_DIR\n", argv[0]);
        return 2;
    }
    am_ctx *ctx = NULL;
    am_status st = am_ctx_new(&ctx);
    if (st != AM_OK) {
        fprintf(stderr, "am_ctx_new: %s\n", am_strerror(st));
        return 1;
    }

    /* The catalogue must be loaded before any feed is declared.  (Or call
     * am_load_centre(ctx, "centre.ini") to load catalogue, key and feeds
     * from a centre file.) */
    if ((st = am_load_catalogue(ctx, argv[1])) != AM_OK)
        return failed(ctx, st, "catalogue");
    if ((st = am_load_key_file(ctx, argv[2])) != AM_OK)
        return failed(ctx, st, "key");
    printf("key fingerprint %s\n", am_key_fingerprint(ctx));

    /* Declare the feed with the same keys as a [feed NAME] section. */
    static const char *const spec[][2] = {
        {"agency", "MCA"},        {"kind", "payments"},
        {"item", "DIBAO_URBAN"},  {"person_id", "身份证号"},
        {"amount", "金额"},       {"start", "开始日期"},
        {"end", "结束日期"},
    };
    am_feed *feed = NULL;
    if ((st = am_feed_new(ctx, "mca_dibao", &feed)) != AM_OK)
        return failed(ctx, st, "am_feed_new");
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++)
        if ((st = am_feed_set(feed, spec[i][0], spec[i][1])) != AM_OK)
            return failed(ctx, st, "am_feed_set");

    /* Ingest from memory (plain or gzip bytes).  Rejected rows do not fail
     * the call; a bad spec, header or encoding does. */
    if ((st = am_feed_ingest_buffer(feed, feed_csv, sizeof feed_csv - 1)) != AM_OK)
        return failed(ctx, st, "ingest");

    size_t seen = 0;
    if ((st = am_reconcile(ctx, on_finding, &seen)) != AM_OK)
        return failed(ctx, st, "reconcile");

    for (size_t i = 0; i < am_feed_count(ctx); i++) {
        am_feed_stats s;
        if (am_feed_stats_get(ctx, i, &s) != AM_OK)
            continue;
        /* Always true: rows_read == rows_ingested + rows_rejected. */
        printf("feed %s (%s, %s): read %" PRIu64 ", ingested %" PRIu64 ", rejected %" PRIu64
               "\n", s.name, s.agency, s.encoding, s.rows_read, s.rows_ingested, s.rows_rejected);
    }
    for (size_t i = 0; i < am_reject_count(ctx); i++) {
        am_reject_row r;
        if (am_reject_get(ctx, i, &r) == AM_OK)
            printf("reject %s:%" PRIu64 " %s (%s)\n", r.feed, r.line, am_reject_name(r.reason),
                   r.detail);
    }

    /* findings.csv, rejects.csv, summary.json, each written atomically. */
    if ((st = am_write_outputs(ctx, argv[3], -1.0)) != AM_OK)
        return failed(ctx, st, "outputs");
    printf("%zu finding(s)\n", seen);
    am_ctx_free(ctx); /* wipes the key */
    return 0;
}
