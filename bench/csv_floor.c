/*
 * csv_floor.c — the speed floor for ingestion: libcsv parsing the same
 * files aidmatch reads, and nothing else (no decoding, no mapping, no
 * hashing, no storing).  gzip files are inflated, as aidmatch must too.
 * Prints rows, bytes and seconds; bench/run compares aidmatch against it.
 *
 *   csv_floor [-j THREADS] [-m] FILE...
 *
 * With -j, THREADS threads take whole files from one queue, most text
 * first, as aidmatch's readers take feeds: the floor on the same cores.
 * With -m, memchr counts the line ends instead of libcsv parsing: the
 * lower floor of reading the same bytes at all (rows are then LF bytes).
 */
#include <csv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

typedef struct job {
    const char *path;
    long long size;
} job;

typedef struct queue {
    pthread_mutex_t lock;
    job *jobs;
    int njobs, next, failed;
    int lines_only; /* -m: memchr over the bytes, no CSV parsing */
    unsigned long long rows, bytes;
} queue;

static void on_field(void *data, size_t len, void *user) { (void)data, (void)len, (void)user; }

static void on_row(int c, void *user)
{
    (void)c;
    (*(unsigned long long *)user)++;
}

static unsigned long long count_lf(const char *p, size_t n)
{
    unsigned long long k = 0;
    for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        k++;
    return k;
}

static int parse_file(const char *path, int lines_only, unsigned long long *rows,
                      unsigned long long *bytes)
{
    static _Thread_local char buf[1 << 18];
    gzFile f = gzopen(path, "rb"); /* reads plain files as they are */
    if (!f) {
        perror(path);
        return 1;
    }
    gzbuffer(f, 1 << 18);
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL);
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) {
        *bytes += (unsigned long long)n;
        if (lines_only) {
            *rows += count_lf(buf, (size_t)n);
            continue;
        }
        if (csv_parse(&p, buf, (size_t)n, on_field, on_row, rows) != (size_t)n) {
            fprintf(stderr, "%s: %s\n", path, csv_strerror(csv_error(&p)));
            return 1;
        }
    }
    csv_fini(&p, on_field, on_row, rows);
    csv_free(&p);
    gzclose(f);
    return 0;
}

static void *work(void *arg)
{
    queue *q = arg;
    unsigned long long rows = 0, bytes = 0;
    int failed = 0;
    for (;;) {
        pthread_mutex_lock(&q->lock);
        const char *path = !q->failed && q->next < q->njobs ? q->jobs[q->next++].path : NULL;
        pthread_mutex_unlock(&q->lock);
        if (!path)
            break;
        if ((failed = parse_file(path, q->lines_only, &rows, &bytes)) != 0)
            break;
    }
    pthread_mutex_lock(&q->lock);
    q->rows += rows;
    q->bytes += bytes;
    q->failed |= failed;
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* As aidmatch orders feeds (ingest.c): a gzip file by the size of its
 * text, which its last four bytes give. */
static long long text_size(const char *path, long long stored)
{
    unsigned char head[2], tail[4];
    long long size = stored;
    FILE *f = fopen(path, "rb");
    if (f && stored >= 18 && fread(head, 1, 2, f) == 2 && head[0] == 0x1f && head[1] == 0x8b &&
        fseek(f, -4, SEEK_END) == 0 && fread(tail, 1, 4, f) == 4) {
        const long long isize = (long long)tail[0] | (long long)tail[1] << 8 |
                                (long long)tail[2] << 16 | (long long)tail[3] << 24;
        if (isize > size)
            size = isize;
    }
    if (f)
        fclose(f);
    return size;
}

static int larger_first(const void *pa, const void *pb)
{
    const job *a = pa, *b = pb;
    return a->size != b->size ? (a->size > b->size ? -1 : 1) : 0;
}

int main(int argc, char **argv)
{
    int first = 1, threads = 1, lines_only = 0;
    for (;;) {
        if (argc > first + 1 && strcmp(argv[first], "-j") == 0) {
            threads = atoi(argv[first + 1]);
            first += 2;
        } else if (argc > first && strcmp(argv[first], "-m") == 0) {
            lines_only = 1;
            first++;
        } else {
            break;
        }
    }
    if (first >= argc || threads < 1) {
        fprintf(stderr, "usage: csv_floor [-j THREADS] [-m] FILE...\n");
        return 2;
    }
    queue q = {.njobs = argc - first, .lines_only = lines_only};
    pthread_mutex_init(&q.lock, NULL);
    q.jobs = calloc((size_t)q.njobs, sizeof *q.jobs);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (!q.jobs || !ids) {
        perror("csv_floor");
        return 1;
    }
    for (int i = 0; i < q.njobs; i++) {
        struct stat sb;
        q.jobs[i].path = argv[first + i];
        q.jobs[i].size = stat(argv[first + i], &sb) == 0
                             ? text_size(argv[first + i], (long long)sb.st_size)
                             : 0;
    }
    qsort(q.jobs, (size_t)q.njobs, sizeof *q.jobs, larger_first);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int started = 1;
    for (; started < threads; started++)
        if (pthread_create(&ids[started], NULL, work, &q) != 0)
            break;
    work(&q);
    for (int t = 1; t < started; t++)
        pthread_join(ids[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (q.failed)
        return 1;
    const double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("rows %llu bytes %llu seconds %.3f\n", q.rows, q.bytes, seconds);
    return 0;
}
