/*
 * read_cost.c — what the CSV reader costs per way of splitting lines:
 * libcsv for every line (the reference) against the separator scanner of
 * each kind this CPU has (plain C, SSE2, AVX2) for the lines without
 * quotes, on the same files, in the same process, alternating.
 *
 *   read_cost [-r ROUNDS] FILE...
 *
 * Each round reads every file once per way with am_read_csv_file (decoding,
 * gzip and line cutting included; the row callback only counts) and times
 * the thread's CPU.  Prints, per way, the median CPU seconds, MB of stored
 * bytes per CPU second, and the ratio to libcsv.  The ways must deliver
 * the same number of records.  Bench-only; links the static library to
 * reach internal functions.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "read/csv_reader.h"

#define MAX_ROUNDS 64

typedef struct way {
    const char *name;
    int libcsv_only;
    am_scan_kind kind;
    double cpu[MAX_ROUNDS];
    unsigned long long records, bytes;
} way;

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_row(void *user, const am_text_row *row)
{
    (void)row;
    ++*(unsigned long long *)user;
    return 0;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int rounds = 5, first = 1;
    if (argc > 2 && strcmp(argv[1], "-r") == 0) {
        rounds = atoi(argv[2]);
        first = 3;
    }
    if (first >= argc || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: read_cost [-r ROUNDS (1..%d)] FILE...\n", MAX_ROUNDS);
        return 2;
    }
    way ways[] = {
        {.name = "libcsv", .libcsv_only = 1},
        {.name = "scalar", .kind = AM_SCAN_SCALAR},
        {.name = "sse2", .kind = AM_SCAN_SSE2},
        {.name = "avx2", .kind = AM_SCAN_AVX2},
    };
    const int nways = (int)(sizeof ways / sizeof ways[0]);
    for (int round = 0; round < rounds; round++) {
        for (int w = 0; w < nways; w++) {
            if (!ways[w].libcsv_only && !am_separator_scanner(ways[w].kind))
                continue;
            am_reader_opts opts = {.libcsv_only = ways[w].libcsv_only, .scan = ways[w].kind};
            unsigned long long records = 0, bytes = 0;
            const double t0 = cpu_s();
            for (int f = first; f < argc; f++) {
                am_read_result res;
                am_err err;
                if (am_read_csv_file(argv[f], &opts, count_row, &records, &res, &err) != AM_OK) {
                    fprintf(stderr, "read_cost: %s\n", err.msg);
                    return 1;
                }
                bytes += res.bytes_read;
            }
            ways[w].cpu[round] = cpu_s() - t0;
            ways[w].records = records;
            ways[w].bytes = bytes;
        }
    }
    double base = 0;
    for (int w = 0; w < nways; w++) {
        if (!ways[w].libcsv_only && !am_separator_scanner(ways[w].kind)) {
            printf("%-7s (not on this CPU)\n", ways[w].name);
            continue;
        }
        if (ways[w].records != ways[0].records) {
            fprintf(stderr, "read_cost: %s delivered %llu records, libcsv %llu\n", ways[w].name,
                    ways[w].records, ways[0].records);
            return 1;
        }
        qsort(ways[w].cpu, (size_t)rounds, sizeof ways[w].cpu[0], by_value);
        const double med = ways[w].cpu[rounds / 2];
        if (w == 0)
            base = med;
        printf("%-7s median CPU %.3f s  %.0f MB/s  records %llu  time / libcsv %.2f\n",
               ways[w].name, med, (double)ways[w].bytes / 1e6 / med, ways[w].records,
               med / base);
    }
    return 0;
}
