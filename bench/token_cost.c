/*
 * token_cost.c — what keyed tokens cost: nanoseconds per ID on one core.
 *
 * Three figures over the same set of distinct, valid 18-character resident
 * IDs (mixed into a buffer larger than the CPU caches, so the loop reads
 * IDs the way ingestion does):
 *   siphashx24     libsodium crypto_shorthash_siphashx24 alone, 18 bytes
 *   am_token_person the library's internal token function (the same hash
 *                  behind the guarded key pointer)
 *   normalise+token am_id_normalise then am_token_person: what ingestion
 *                  pays per raw ID cell
 * Each is timed best of --reps runs.  Prints one "name ns/ID" line each.
 * Bench-only; links the static library to reach internal functions.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "read/resident_id.h"
#include "common/token.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A valid ID from an index: area, birth date, sequence, check char. */
static void make_id(uint64_t i, char out[18])
{
    static const char *const areas[] = {"320281", "320282", "320211", "320214", "320583"};
    const int year = 1930 + (int)(i % 90), month = 1 + (int)(i / 90 % 12), day = 1 + (int)(i / 1080 % 28);
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%s%04d%02d%02d%03u", areas[i % 5], year, month, day,
             (unsigned)(i / 30240 % 1000));
    memcpy(out, tmp, 17);
    out[17] = am_id_check_char(out);
}

int main(int argc, char **argv)
{
    size_t n = 4u << 20; /* 4 Mi IDs, 72 MiB of ID text */
    int reps = 5;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--ids") == 0 && a + 1 < argc)
            n = strtoul(argv[++a], NULL, 10);
        else if (strcmp(argv[a], "--reps") == 0 && a + 1 < argc)
            reps = atoi(argv[++a]);
        else {
            fprintf(stderr, "usage: token_cost [--ids N] [--reps R]\n");
            return 2;
        }
    }
    if (n < 1000 || reps < 1) {
        fprintf(stderr, "token_cost: --ids at least 1000, --reps at least 1\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    char *ids = malloc(n * 18);
    if (!ids)
        return 1;
    /* Shuffle the index order so that consecutive IDs share little. */
    for (size_t i = 0; i < n; i++)
        make_id((i * 2654435761u) % (n * 7 + 1), ids + i * 18);

    unsigned char raw_key[AM_KEY_BYTES];
    randombytes_buf(raw_key, sizeof raw_key);
    am_key key = {0};
    am_err err = {0};
    if (am_key_set(&key, raw_key, sizeof raw_key, &err) != AM_OK)
        return 1;

    unsigned char out[16], acc[16] = {0};
    double best[3] = {1e30, 1e30, 1e30};
    size_t rejected = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        for (size_t i = 0; i < n; i++) {
            crypto_shorthash_siphashx24(out, (const unsigned char *)ids + i * 18, 18, raw_key);
            acc[i & 15] ^= out[0];
        }
        double t = now_s() - t0;
        best[0] = t < best[0] ? t : best[0];

        t0 = now_s();
        for (size_t i = 0; i < n; i++) {
            am_token_person(&key, ids + i * 18, out);
            acc[i & 15] ^= out[1];
        }
        t = now_s() - t0;
        best[1] = t < best[1] ? t : best[1];

        t0 = now_s();
        rejected = 0;
        for (size_t i = 0; i < n; i++) {
            char id[18];
            am_reject why;
            if (!am_id_normalise(ids + i * 18, 18, id, &why)) {
                rejected++;
                continue;
            }
            am_token_person(&key, id, out);
            acc[i & 15] ^= out[2];
        }
        t = now_s() - t0;
        best[2] = t < best[2] ? t : best[2];
    }
    printf("siphashx24 %.1f\n", best[0] * 1e9 / (double)n);
    printf("am_token_person %.1f\n", best[1] * 1e9 / (double)n);
    printf("normalise+token %.1f\n", best[2] * 1e9 / (double)n);
    fprintf(stderr, "token_cost: %zu IDs, best of %d, %zu rejected, checksum %02x\n", n, reps,
            rejected, acc[0] ^ acc[7]);
    am_key_clear(&key);
    sodium_memzero(raw_key, sizeof raw_key);
    free(ids);
    return rejected != 0;
}
