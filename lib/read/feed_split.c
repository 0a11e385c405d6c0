/*
 * feed_split.c — the survey that cuts a large plain feed into parts (see
 * feed_split.h).
 *
 * The survey reads the file once, before any part: the file's hash must
 * be over its bytes in order, and a part's first line number is the count
 * of line ends before it.  Line ends are counted as the reader cuts lines:
 * LF, CRLF or a lone CR.  Cuts are put just after an LF, where a line
 * ends whichever of those it is.
 */
#include "read/feed_split.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "common/alloc.h"
#include "common/text_file.h"
#include "read/text_decoder.h"

#define SURVEY_CHUNK ((size_t)1 << 20)

size_t am_feed_split_parts(uint64_t size, uint64_t split_above, unsigned threads)
{
    if (!split_above || threads < 2 || size <= split_above)
        return 0;
    return threads >= AM_SPLIT_MAX_PARTS / 4 ? AM_SPLIT_MAX_PARTS : 4 * (size_t)threads;
}

typedef struct survey {
    am_feed_plan *plan;
    size_t want;       /* parts asked for */
    size_t cuts;       /* cuts found: plan->offset[1..cuts] */
    uint64_t ends;     /* line ends before the current position */
    int cr_pending;    /* the last byte seen was a CR */
    am_text_decoder dec;
    int deciding;      /* AUTO: the decoder is still choosing */
} survey;

/* Counts the line ends in n bytes: each LF, and each CR not followed by
 * an LF (a CR at the end waits for the next bytes). */
static void count_ends(survey *s, const unsigned char *p, size_t n)
{
    if (!n)
        return;
    if (s->cr_pending && p[0] != '\n')
        s->ends++;
    s->cr_pending = 0;
    for (const unsigned char *q = p, *end = p + n; (q = memchr(q, '\n', (size_t)(end - q))); q++)
        s->ends++;
    for (const unsigned char *q = p, *end = p + n; (q = memchr(q, '\r', (size_t)(end - q))); q++) {
        if (q + 1 == end)
            s->cr_pending = 1;
        else if (q[1] != '\n')
            s->ends++;
    }
}

/* Takes the next n bytes at file offset at: counts them and puts each cut
 * whose target they reach just after the first LF at or past it. */
static void take(survey *s, const unsigned char *p, size_t n, uint64_t at)
{
    am_feed_plan *plan = s->plan;
    size_t done = 0;
    while (s->cuts + 1 < s->want) {
        const uint64_t target = plan->bytes / s->want * (s->cuts + 1);
        if (target >= at + n)
            break;
        const size_t from = target > at + done ? (size_t)(target - at) : done;
        const unsigned char *lf = memchr(p + from, '\n', n - from);
        if (!lf)
            break;
        const size_t cut = (size_t)(lf - p) + 1;
        count_ends(s, p + done, cut - done);
        done = cut;
        if (at + cut >= plan->bytes)
            break; /* the last line end: nothing after it to read apart */
        s->cuts++;
        plan->offset[s->cuts] = at + cut;
        plan->first_line[s->cuts] = s->ends + 1;
    }
    count_ends(s, p + done, n - done);
}

/* 1: cut; 0: read whole; -1: out of memory. */
static int survey_file(survey *s, const am_reader_opts *opts, unsigned char *buf,
                       XXH3_state_t *hash)
{
    am_feed_plan *plan = s->plan;
    uint64_t at = 0;
    while (at < plan->bytes) {
        const ssize_t n = pread(plan->fd, buf, SURVEY_CHUNK, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        if (at == 0 && n >= 2 &&
            ((buf[0] == 0x1f && buf[1] == 0x8b) || (buf[0] == 0xFF && buf[1] == 0xFE) ||
             (buf[0] == 0xFE && buf[1] == 0xFF)))
            return 0; /* gzip, or a UTF-16 BOM */
        if (memchr(buf, '"', (size_t)n))
            return 0;
        if (s->deciding) {
            const am_status st = am_text_decoder_feed(&s->dec, buf, (size_t)n, 0);
            if (st != AM_OK)
                return st == AM_ERR_NOMEM ? -1 : 0;
            s->deciding = s->dec.enc == AM_ENC_AUTO;
        }
        XXH3_128bits_update(hash, buf, (size_t)n);
        take(s, buf, (size_t)n, at);
        at += (uint64_t)n;
    }
    if (s->cr_pending)
        s->ends++;
    if (s->deciding) {
        const am_status st = am_text_decoder_feed(&s->dec, NULL, 0, 1);
        if (st != AM_OK)
            return st == AM_ERR_NOMEM ? -1 : 0;
    }
    /* Records (the header too) are at most the lines, which are the line
     * ends and perhaps a last line without one. */
    if (opts->max_rows && s->ends + 1 > opts->max_rows)
        return 0;
    return s->cuts > 0;
}

int am_feed_plan_make(const char *path, const am_reader_opts *opts, size_t nparts,
                      am_feed_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->fd = -1;
    if (nparts < 2 || opts->encoding == AM_ENC_UTF16LE || opts->encoding == AM_ENC_UTF16BE)
        return 0;
    struct stat sb;
    int e = 0;
    plan->fd = am_open_regular(path, &sb, &e);
    if (plan->fd < 0)
        return 0;
    plan->bytes = (uint64_t)sb.st_size;
    survey s = {.plan = plan,
                .want = nparts > AM_SPLIT_MAX_PARTS ? AM_SPLIT_MAX_PARTS : nparts,
                .deciding = opts->encoding == AM_ENC_AUTO};
    /* The bytes are raw IDs and names, and so is the hash's buffer: kept
     * out of core dumps as the reader keeps its own. */
    unsigned char *buf = am_secret_malloc(SURVEY_CHUNK);
    XXH3_state_t *hash = am_secret_malloc(sizeof *hash);
    int ok = buf && hash ? 1 : -1;
    const int dec_tried = ok == 1;
    if (dec_tried) {
        const am_status st = am_text_decoder_init(&s.dec, opts->encoding);
        ok = st == AM_OK ? 1 : st == AM_ERR_NOMEM ? -1 : 0;
    }
    if (ok == 1) {
        XXH3_INITSTATE(hash);
        XXH3_128bits_reset(hash);
        ok = survey_file(&s, opts, buf, hash);
        /* Undecided at the end: nothing but ASCII, which the reader calls UTF-8. */
        plan->encoding = s.dec.enc == AM_ENC_AUTO ? AM_ENC_UTF8 : s.dec.enc;
    }
    if (dec_tried)
        am_text_decoder_free(&s.dec);
    if (ok == 1) {
        const XXH128_hash_t h = XXH3_128bits_digest(hash);
        snprintf(plan->xxh3, sizeof plan->xxh3, "%016llx%016llx", (unsigned long long)h.high64,
                 (unsigned long long)h.low64);
        plan->nparts = s.cuts + 1;
        plan->offset[0] = 0;
        plan->first_line[0] = 1;
        plan->offset[plan->nparts] = plan->bytes;
    }
    am_secret_free(buf);
    am_secret_free(hash);
    if (ok != 1)
        am_feed_plan_close(plan);
    return ok;
}

void am_feed_plan_close(am_feed_plan *plan)
{
    if (plan->fd >= 0)
        close(plan->fd);
    plan->fd = -1;
    plan->nparts = 0;
}
