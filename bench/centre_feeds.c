/*
 * centre_feeds.c — how reading a centre file scales with its feed count.
 *
 *   build/bench/centre_feeds DATA_DIR [FEEDS ...]
 *
 * For each FEEDS (default 5000 20000 65535, the most a centre may declare)
 * builds in memory a centre file of that many [feed NAME] sections, each
 * with the nine keys a payments feed needs, and times am_load_centre_mem
 * alone (the key is given through the API): the duplicate-key check and the feed lookup must stay linear, so
 * the seconds per thousand feeds should not grow with FEEDS.  DATA_DIR is
 * the repository's data/ (its catalogue and default rules).
 */
#include <aidmatch.h>

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

/* The centre text for `feeds` feeds; the caller frees it. */
static char *centre_text(unsigned long feeds, size_t *len)
{
    const size_t cap = 512 + feeds * 256;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    size_t n = (size_t)snprintf(text, cap, "[centre]\nname = bench\n");
    for (unsigned long i = 0; i < feeds; i++)
        n += (size_t)snprintf(text + n, cap - n,
                              "[feed f%05lu]\nfile = f.csv\nagency = MCA\nkind = payments\n"
                              "person_id = id\nname = name\nitem = DIBAO_URBAN\n"
                              "month = month\namount = amount\n",
                              i);
    *len = n;
    return text;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: centre_feeds DATA_DIR [FEEDS ...]\n");
        return 2;
    }
    static const unsigned long defaults[] = {5000, 20000, 65535};
    const int nsizes = argc > 2 ? argc - 2 : 3;
    printf("%8s %10s %14s\n", "feeds", "seconds", "us per feed");
    for (int s = 0; s < nsizes; s++) {
        const unsigned long feeds = argc > 2 ? strtoul(argv[2 + s], NULL, 10) : defaults[s];
        size_t len;
        char *text = centre_text(feeds, &len);
        am_ctx *ctx = NULL;
        static const unsigned char key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        if (!text || am_ctx_new(&ctx) != AM_OK || am_set_data_dir(ctx, argv[1]) != AM_OK ||
            am_load_key(ctx, key, sizeof key) != AM_OK) {
            fprintf(stderr, "centre_feeds: out of memory\n");
            return 1;
        }
        const double start = now();
        const am_status st = am_load_centre_mem(ctx, text, len, "bench.ini", ".");
        const double seconds = now() - start;
        if (st != AM_OK) {
            fprintf(stderr, "centre_feeds: %s\n", am_errmsg(ctx));
            return 1;
        }
        if (am_feed_count(ctx) != feeds) {
            fprintf(stderr, "centre_feeds: %zu feeds read, %lu declared\n", am_feed_count(ctx),
                    feeds);
            return 1;
        }
        printf("%8lu %10.3f %14.2f\n", feeds, seconds, seconds * 1e6 / (double)feeds);
        am_ctx_free(ctx);
        free(text);
    }
    return 0;
}
