/*
 * phases.c — where a reconciliation's time and memory go, phase by phase.
 *
 *   build/bench/phases CENTRE.ini OUTDIR [THREADS]
 *
 * Runs the same calls as `aidmatch reconcile` through the public API and
 * prints, per phase (load, ingest, reconcile, write), the wall seconds, the
 * CPU seconds of all threads (steadier than wall time on a shared
 * machine) and the peak RSS so far (VmHWM), so a profile can be read
 * against phases.
 */
#include <aidmatch.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static int check(am_ctx *ctx, am_status st, const char *what)
{
    if (st == AM_OK)
        return 0;
    fprintf(stderr, "phases: %s: %s: %s\n", what, am_strerror(st), am_errmsg(ctx));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: phases CENTRE.ini OUTDIR [THREADS]\n");
        return 2;
    }
    am_ctx *ctx;
    if (am_ctx_new(&ctx) != AM_OK)
        return 1;
    const unsigned threads = argc == 4 ? (unsigned)atoi(argv[3]) : 2;
    const double t0 = now();
    double mark = t0, cpu_mark = cpu_seconds();
    int failed = check(ctx, am_set_threads(ctx, threads), "threads")
              || check(ctx, am_load_centre(ctx, argv[1]), "load");
#define PHASE(name, call)                                                              \
    if (!failed) {                                                                     \
        failed = check(ctx, call, name);                                               \
        const double t = now(), cpu = cpu_seconds();                                   \
        printf("%-10s %8.3f s  cpu %8.3f s  peak RSS %8.1f MB\n", name, t - mark,     \
               cpu - cpu_mark, peak_rss_kb() / 1024.0);                                \
        mark = t;                                                                      \
        cpu_mark = cpu;                                                                \
    }
    PHASE("load", AM_OK)
    PHASE("ingest", am_ingest(ctx))
    PHASE("reconcile", am_reconcile(ctx, NULL, NULL))
    PHASE("write", am_write_outputs(ctx, argv[2], now() - t0))
    if (!failed)
        printf("%-10s %8.3f s  %zu findings\n", "total", now() - t0, am_finding_count(ctx));
    am_ctx_free(ctx);
    return failed;
}
