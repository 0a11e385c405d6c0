/*
 * csv_floor.c — the speed floor for ingestion: libcsv parsing the same
 * files aidmatch reads, and nothing else (no decoding, no mapping, no
 * hashing, no storing).  gzip files are inflated, as aidmatch must too.
 * Prints rows, bytes and seconds; bench/run compares aidmatch against it.
 */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static void on_field(void *data, size_t len, void *user) { (void)data, (void)len, (void)user; }

static void on_row(int c, void *user)
{
    (void)c;
    (*(unsigned long long *)user)++;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: csv_floor FILE...\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long rows = 0, bytes = 0;
    static char buf[1 << 18];
    for (int i = 1; i < argc; i++) {
        gzFile f = gzopen(argv[i], "rb"); /* reads plain files as they are */
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        gzbuffer(f, 1 << 18);
        struct csv_parser p;
        csv_init(&p, CSV_APPEND_NULL);
        int n;
        while ((n = gzread(f, buf, sizeof buf)) > 0) {
            bytes += (unsigned long long)n;
            if (csv_parse(&p, buf, (size_t)n, on_field, on_row, &rows) != (size_t)n) {
                fprintf(stderr, "%s: %s\n", argv[i], csv_strerror(csv_error(&p)));
                return 1;
            }
        }
        csv_fini(&p, on_field, on_row, &rows);
        csv_free(&p);
        gzclose(f);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("rows %llu bytes %llu seconds %.3f\n", rows, bytes, seconds);
    return 0;
}
