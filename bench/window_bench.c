/*
 * window_bench.c — the window check's speed on a snapshot (not part of the
 * unit tests): opens a window, then times am_window_check() per call, one
 * thread, then THREADS threads on the same window at once.
 *
 *   window_bench SNAPSHOT KEYFILE IDS [THREADS] [CHECKS]
 *
 * IDS holds one resident ID per line (raw: each check normalises and hashes
 * it, as the window does).  Each check proposes one grant, DIBAO_URBAN for
 * June 2025 at 800 yuan, judged on 2025-06-15.  Prints the open time, p50,
 * p99 and max per check on one thread, and checks per second with p50/p99
 * on THREADS threads (default 2; CHECKS per phase, default 20000).
 */
#define AM_EXPERIMENTAL /* the window API */
#include <aidmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct job {
    am_window *w;
    char (*ids)[20];
    size_t nids, first, step, count;
    double *ms; /* one per check */
    size_t findings;
    size_t failed;
} job;

static void *run(void *arg)
{
    job *j = arg;
    const am_grant g = {.item = "DIBAO_URBAN", .start = "2025-06-01", .end = "2025-06-30",
                        .amount_fen = 80000};
    for (size_t k = 0; k < j->count; k++) {
        const am_check_request q = {.person = j->ids[(j->first + k * j->step) % j->nids],
                                    .date = "2025-06-15", .grants = &g, .ngrants = 1};
        am_check *c;
        const double t0 = now();
        const am_status st = am_window_check(j->w, &q, &c);
        j->ms[k] = (now() - t0) * 1e3;
        if (st != AM_OK && j->failed++ == 0)
            fprintf(stderr, "check failed: %s\n", am_check_errmsg(c));
        j->findings += am_check_finding_count(c);
        am_check_free(c);
    }
    return NULL;
}

static int compare(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
    return v[(size_t)(p * (double)(n - 1))];
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: window_bench SNAPSHOT KEYFILE IDS [THREADS] [CHECKS]\n");
        return 2;
    }
    const int threads = argc > 4 ? atoi(argv[4]) : 2;
    const size_t checks = argc > 5 ? (size_t)atol(argv[5]) : 20000;
    if (threads < 1 || threads > 64 || checks < 100) {
        fprintf(stderr, "window_bench: THREADS 1-64, CHECKS at least 100\n");
        return 2;
    }
    FILE *f = fopen(argv[3], "r");
    if (!f) {
        perror(argv[3]);
        return 1;
    }
    size_t nids = 0, cap = 1024;
    char (*ids)[20] = malloc(cap * sizeof *ids);
    char line[256];
    while (ids && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (strlen(line) != 18)
            continue;
        if (nids == cap && !(ids = realloc(ids, (cap *= 2) * sizeof *ids)))
            break;
        memcpy(ids[nids++], line, 19);
    }
    fclose(f);
    if (!ids || nids == 0) {
        fprintf(stderr, "window_bench: no IDs in %s\n", argv[3]);
        return 1;
    }
    am_ctx *ctx;
    am_window *w;
    const double t0 = now();
    if (am_ctx_new(&ctx) != AM_OK || am_load_key_file(ctx, argv[2]) != AM_OK ||
        am_snapshot_open(ctx, argv[1]) != AM_OK || am_window_open(ctx, NULL, &w) != AM_OK) {
        fprintf(stderr, "window_bench: %s\n", am_errmsg(ctx));
        return 1;
    }
    printf("window open (snapshot verified whole): %.2f s\n", now() - t0);
    double *ms = malloc(checks * sizeof *ms);
    job one = {w, ids, nids, 0, 7919, checks, ms, 0, 0};
    run(&one); /* warm: the pages the checks touch */
    one.findings = 0;
    double t1 = now();
    run(&one);
    double wall = now() - t1;
    qsort(ms, checks, sizeof *ms, compare);
    printf("1 thread:  %zu checks, %.0f checks/s, p50 %.3f ms, p99 %.3f ms, max %.3f ms, "
           "%zu findings raised\n",
           checks, (double)checks / wall, pct(ms, checks, 0.50), pct(ms, checks, 0.99),
           ms[checks - 1], one.findings);
    pthread_t t[64];
    job jobs[64];
    double *all = malloc(checks * sizeof *all);
    const size_t per = checks / (size_t)threads;
    t1 = now();
    for (int i = 0; i < threads; i++) {
        jobs[i] = (job){w, ids, nids, (size_t)i * 104729, 7919, per, all + (size_t)i * per, 0, 0};
        pthread_create(&t[i], NULL, run, &jobs[i]);
    }
    size_t failed = one.failed;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        failed += jobs[i].failed;
    }
    wall = now() - t1;
    const size_t done = per * (size_t)threads;
    qsort(all, done, sizeof *all, compare);
    printf("%d threads: %zu checks, %.0f checks/s, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
           threads, done, (double)done / wall, pct(all, done, 0.50), pct(all, done, 0.99),
           all[done - 1]);
    free(all);
    free(ms);
    free(ids);
    am_window_close(w);
    am_ctx_free(ctx);
    if (failed)
        fprintf(stderr, "window_bench: %zu checks failed\n", failed);
    return failed ? 1 : 0;
}
