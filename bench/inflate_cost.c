/*
 * inflate_cost.c — what reading a gzip feed costs in inflating alone:
 * the library's inflater (ISA-L where the build has it) against zlib's
 * inflate, on the same bytes, in the same process, alternating.
 *
 *   inflate_cost [-r ROUNDS] FILE.gz...
 *
 * Each file is read into memory once; each round inflates it with both,
 * discarding the output, and times the thread's CPU.  Prints, per engine,
 * the median CPU seconds and MB of output per CPU second, and the ratio.
 * Bench-only; links the static library to reach internal functions.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "read/inflater.h"

#define MAX_ROUNDS 64

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static am_status count_out(void *user, const unsigned char *out, size_t len)
{
    (void)out;
    *(size_t *)user += len;
    return AM_OK;
}

static size_t with_library(const unsigned char *p, size_t n)
{
    am_inflater *z;
    size_t out = 0;
    if (am_inflater_new(&z) != AM_OK) {
        fprintf(stderr, "inflate_cost: out of memory\n");
        exit(1);
    }
    for (size_t off = 0; off < n; off += 1u << 18) {
        size_t k = n - off < (1u << 18) ? n - off : (1u << 18);
        if (am_inflater_feed(z, p + off, k, count_out, &out) != AM_OK) {
            fprintf(stderr, "inflate_cost: %s: damaged gzip\n", am_inflater_engine());
            exit(1);
        }
    }
    if (!am_inflater_done(z)) {
        fprintf(stderr, "inflate_cost: truncated gzip\n");
        exit(1);
    }
    am_inflater_free(z);
    return out;
}

static size_t with_zlib(const unsigned char *p, size_t n)
{
    static unsigned char buf[1u << 18];
    z_stream zs;
    size_t out = 0;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK)
        exit(1);
    zs.next_in = (unsigned char *)(size_t)p;
    zs.avail_in = (uInt)n;
    for (;;) {
        zs.next_out = buf;
        zs.avail_out = sizeof buf;
        int rc = inflate(&zs, Z_NO_FLUSH);
        out += sizeof buf - zs.avail_out;
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0)
                break;
            inflateReset(&zs);
        } else if (rc != Z_OK) {
            fprintf(stderr, "inflate_cost: zlib: damaged gzip\n");
            exit(1);
        }
    }
    inflateEnd(&zs);
    return out;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int rounds = 5, first = 1;
    if (argc > 2 && strcmp(argv[1], "-r") == 0) {
        rounds = atoi(argv[2]);
        first = 3;
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || first >= argc) {
        fprintf(stderr, "usage: inflate_cost [-r ROUNDS(1-%d)] FILE.gz...\n", MAX_ROUNDS);
        return 2;
    }
    for (int f = first; f < argc; f++) {
        FILE *fp = fopen(argv[f], "rb");
        if (!fp) {
            perror(argv[f]);
            return 1;
        }
        fseek(fp, 0, SEEK_END);
        long size = ftell(fp);
        rewind(fp);
        unsigned char *p = malloc(size > 0 ? (size_t)size : 1);
        if (!p || fread(p, 1, (size_t)size, fp) != (size_t)size) {
            fprintf(stderr, "%s: cannot read\n", argv[f]);
            return 1;
        }
        fclose(fp);
        double lib[MAX_ROUNDS], zl[MAX_ROUNDS];
        size_t out_lib = 0, out_z = 0;
        for (int r = 0; r < rounds; r++) {
            double t0 = cpu_s();
            out_lib = with_library(p, (size_t)size);
            double t1 = cpu_s();
            out_z = with_zlib(p, (size_t)size);
            double t2 = cpu_s();
            lib[r] = t1 - t0;
            zl[r] = t2 - t1;
        }
        if (out_lib != out_z) {
            fprintf(stderr, "%s: %zu bytes out of %s, %zu out of zlib\n", argv[f], out_lib,
                    am_inflater_engine(), out_z);
            return 1;
        }
        double ml = median(lib, rounds), mz = median(zl, rounds);
        printf("%s: %.1f MB out, %d rounds, median CPU: %s %.3f s (%.0f MB/s), zlib %.3f s "
               "(%.0f MB/s), ratio %.2f\n",
               argv[f], (double)out_lib / 1e6, rounds, am_inflater_engine(), ml,
               (double)out_lib / 1e6 / ml, mz, (double)out_z / 1e6 / mz, ml / mz);
        free(p);
    }
    return 0;
}
