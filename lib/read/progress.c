/*
 * progress.c — progress callbacks during ingestion (see progress.h).
 *
 * The expected text size gives the estimate of bytes read: for a plain
 * file it is the file's size (half that for UTF-16), for gzip the size
 * its trailer records (ISIZE, the uncompressed size modulo 2^32, read
 * from the last four bytes).  Nothing here costs anything when no
 * callback is set.
 */
#include "read/progress.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "read/feed_run.h"

static uint64_t le32(const unsigned char *b)
{
    return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24;
}

/* The text a stored feed decodes to, estimated from its first two and
 * last four bytes. */
static uint64_t expected_text(const am_feed *feed, uint64_t stored, const unsigned char head[2],
                              const unsigned char tail[4])
{
    if (stored >= 18 && head[0] == 0x1f && head[1] == 0x8b) {
        uint64_t isize = le32(tail);
        /* ISIZE wraps at 4 GiB; compressed text is rarely under a fifth. */
        while (isize < stored * 5 && stored * 5 - isize >= (1ull << 32))
            isize += 1ull << 32;
        return isize ? isize : stored;
    }
    const am_encoding enc = feed->reader.encoding;
    if (enc == AM_ENC_UTF16LE || enc == AM_ENC_UTF16BE)
        return stored / 2;
    return stored;
}

void am_progress_begin(am_feed *feed, const char *path, const void *data, size_t len)
{
    feed->progress_stored = feed->progress_text_total = feed->progress_text_done = 0;
    feed->progress_rows = 0;
    if (!feed->run->progress->fn)
        return;
    unsigned char head[2] = {0, 0}, tail[4] = {0, 0, 0, 0};
    if (path) {
        const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat sb;
        if (fd < 0)
            return;
        if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
            feed->progress_stored = (uint64_t)sb.st_size;
            if (pread(fd, head, 2, 0) != 2)
                head[0] = 0;
            if (sb.st_size >= 4 && pread(fd, tail, 4, sb.st_size - 4) != 4)
                head[0] = 0;
        }
        close(fd);
    } else {
        feed->progress_stored = len;
        if (len >= 4) {
            memcpy(head, data, 2);
            memcpy(tail, (const unsigned char *)data + len - 4, 4);
        }
    }
    feed->progress_text_total = expected_text(feed, feed->progress_stored, head, tail);
}

static int report(const am_feed *feed, int done)
{
    const am_progress_state *p = feed->run->progress;
    am_progress info = {
        .feed = feed->name,
        .feed_index = feed->index,
        .feed_count = *feed->run->nfeeds,
        .rows = done ? feed->rows_read : feed->progress_rows,
        .bytes_total = feed->progress_stored,
        .done = done,
    };
    if (done) {
        info.bytes_read = feed->bytes_read;
    } else if (feed->progress_text_total) {
        /* At most 99 % until the feed is done: the estimate may run ahead. */
        const uint64_t total = feed->progress_text_total, stored = feed->progress_stored;
        const uint64_t t = feed->progress_text_done < total ? feed->progress_text_done : total;
        info.bytes_read = (uint64_t)((double)stored * (double)t / (double)total);
        if (info.bytes_read > stored / 100 * 99)
            info.bytes_read = stored / 100 * 99;
    }
    return p->fn(p->user, &info);
}

int am_progress_due(const am_feed *feed)
{
    return feed->run->progress->fn && (feed->progress_rows + 1) % AM_PROGRESS_EVERY == 0;
}

int am_progress_row(am_feed *feed, const am_text_row *row)
{
    if (!feed->run->progress->fn)
        return 0;
    uint64_t bytes = row->nfields; /* delimiters and the line end */
    for (size_t i = 0; i < row->nfields; i++)
        bytes += row->len[i];
    feed->progress_text_done += bytes;
    const int due = am_progress_due(feed);
    feed->progress_rows++;
    return due ? report(feed, 0) : 0;
}

int am_progress_end(const am_feed *feed)
{
    if (!feed->run->progress->fn)
        return 0;
    return report(feed, 1);
}
