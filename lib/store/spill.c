/*
 * spill.c — checksummed temporary files of fixed-size items (see spill.h).
 */
#include "store/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/alloc.h"
#include "common/text_file.h"

#define HEADER 16
#define BLOCK_MAGIC 0x50534d41u   /* "AMSP" */
#define TRAILER_MAGIC 0x45534d41u /* "AMSE" */
/* The largest payload a block holds: what a reader must have room for. */
#define MAX_PAYLOAD (256u * 1024)
/* Items a coded file's reader decodes at a time. */
#define DECODED_BATCH 1024
/* The most one write() passes, however large the block.  The size of a
 * write sets the size of the page-cache folios it fills; the files a
 * partitioned run makes reuse the memory the files it removes give back
 * when both were written in pieces of about one size (a bucket file's
 * blocks are 64 KiB and a 16-byte header), and otherwise may take memory
 * not touched for a while, which a virtual machine that returns free
 * memory to its host faults back in page by page: 2.5 s of a 10M run's
 * system time on the bench machine (bench/RESULTS.md). */
#define WRITE_PIECE (64u * 1024)

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static am_status write_failed(const char *path, int e, am_err *err)
{
    if (e == ENOSPC || e == EDQUOT)
        return am_fail(err, AM_ERR_IO,
                       "%s: the disk is full: partition files need free space about twice "
                       "the feeds' records (about 40 bytes a row); free some or set another "
                       "temporary directory (--temp-dir, temp_dir)",
                       path);
    return am_fail(err, AM_ERR_IO, "%s: cannot write: %s", path, strerror(e));
}

static am_status write_all(am_spill_writer *w, const unsigned char *p, size_t n, am_err *err)
{
    while (n) {
        const ssize_t k = write(w->fd, p, n < WRITE_PIECE ? n : WRITE_PIECE);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return write_failed(w->path, k < 0 ? errno : ENOSPC, err);
        p += k;
        n -= (size_t)k;
    }
    return AM_OK;
}

static am_status create(am_spill_writer *w, const char *path, size_t item_size,
                        const am_spill_codec *codec, size_t buffer_bytes, am_err *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    if (buffer_bytes > MAX_PAYLOAD)
        buffer_bytes = MAX_PAYLOAD;
    w->item_size = item_size;
    w->codec = codec;
    const size_t unit = codec ? 1 : item_size, least = codec ? codec->max_encoded : item_size;
    w->payload_cap = buffer_bytes / unit * unit;
    if (w->payload_cap < least)
        w->payload_cap = least;
    w->path = am_strdup(path);
    w->buf = am_malloc(HEADER + w->payload_cap);
    if (!w->path || !w->buf) {
        am_spill_discard(w);
        return am_fail(err, AM_ERR_NOMEM, "out of memory opening a partition file");
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (w->fd < 0) {
        /* Out of descriptors: a partitioned run keeps a file open for
         * each partition, and 512 more while it distributes. */
        const int error = errno;
        const am_status st = am_fail(
            err, AM_ERR_IO, "%s: cannot create: %s%s", path, strerror(error),
            error == EMFILE ? "; a run in partitions keeps a file open for each partition and "
                              "512 more: raise the limit (ulimit -n) or ask for fewer partitions"
                            : "");
        am_free(w->path);
        am_free(w->buf);
        memset(w, 0, sizeof *w);
        w->fd = -1;
        return st;
    }
    return AM_OK;
}

am_status am_spill_create(am_spill_writer *w, const char *path, size_t item_size,
                          size_t buffer_bytes, am_err *err)
{
    return create(w, path, item_size, NULL, buffer_bytes, err);
}

am_status am_spill_create_coded(am_spill_writer *w, const char *path,
                                const am_spill_codec *codec, size_t buffer_bytes, am_err *err)
{
    return create(w, path, codec->item_size, codec, buffer_bytes, err);
}

static am_status flush_block(am_spill_writer *w, am_err *err)
{
    if (!w->used)
        return AM_OK;
    put32(w->buf, BLOCK_MAGIC);
    put32(w->buf + 4, (uint32_t)w->used);
    put64(w->buf + 8, XXH3_64bits(w->buf + HEADER, w->used));
    const am_status st = write_all(w, w->buf, HEADER + w->used, err);
    w->used = 0;
    return st;
}

/* Room for bytes more in the block, the block written first if not. */
static am_status make_room(am_spill_writer *w, size_t bytes, am_err *err)
{
    return w->payload_cap - w->used < bytes ? flush_block(w, err) : AM_OK;
}

static am_status write_encoded(am_spill_writer *w, const unsigned char *p, size_t n,
                               am_err *err)
{
    const am_spill_codec *c = w->codec;
    for (size_t i = 0; i < n; i++, p += w->item_size) {
        const am_status st = make_room(w, c->max_encoded, err);
        if (st != AM_OK)
            return st;
        w->used += c->encode(p, w->buf + HEADER + w->used);
    }
    w->items += n;
    return AM_OK;
}

am_status am_spill_write(am_spill_writer *w, const void *items, size_t n, am_err *err)
{
    const unsigned char *p = items;
    if (w->codec)
        return write_encoded(w, p, n, err);
    size_t bytes = n * w->item_size;
    while (bytes) {
        size_t room = w->payload_cap - w->used;
        if (room == 0) {
            const am_status st = flush_block(w, err);
            if (st != AM_OK)
                return st;
            room = w->payload_cap;
        }
        const size_t take = bytes < room ? bytes : room;
        memcpy(w->buf + HEADER + w->used, p, take);
        w->used += take;
        p += take;
        bytes -= take;
    }
    w->items += n;
    return AM_OK;
}

am_status am_spill_write_encoded(am_spill_writer *w, const void *bytes, size_t len, size_t n,
                                 am_err *err)
{
    if (!w->codec || len > w->payload_cap)
        return am_fail(err, AM_ERR_INVALID, "%s: encoded items written to a file that cannot "
                       "take them", w->path);
    const am_status st = make_room(w, len, err);
    if (st != AM_OK)
        return st;
    memcpy(w->buf + HEADER + w->used, bytes, len);
    w->used += len;
    w->items += n;
    return AM_OK;
}

am_status am_spill_finish(am_spill_writer *w, am_err *err)
{
    am_status st = flush_block(w, err);
    if (st == AM_OK) {
        unsigned char trailer[HEADER];
        put32(trailer, TRAILER_MAGIC);
        put32(trailer + 4, 0);
        put64(trailer + 8, w->items);
        st = write_all(w, trailer, sizeof trailer, err);
    }
    if (st == AM_OK && close(w->fd) != 0)
        st = write_failed(w->path, errno, err);
    else if (st != AM_OK) {
        close(w->fd);
        unlink(w->path);
    }
    w->fd = -1;
    am_free(w->path);
    am_free(w->buf);
    memset(w, 0, sizeof *w);
    w->fd = -1;
    return st;
}

void am_spill_discard(am_spill_writer *w)
{
    if (w->fd >= 0) {
        close(w->fd);
        unlink(w->path);
    }
    am_free(w->path);
    am_free(w->buf);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

am_status am_spill_end(am_spill_writer *w, am_status st, am_err *err)
{
    if (st == AM_OK)
        return am_spill_finish(w, err);
    am_spill_discard(w);
    return st;
}

static am_status open_file(am_spill_reader *r, const char *path, size_t item_size,
                           const am_spill_codec *codec, am_err *err)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->item_size = item_size;
    r->codec = codec;
    r->cap = MAX_PAYLOAD;
    r->path = am_strdup(path);
    r->buf = am_malloc(r->cap);
    if (codec)
        r->decoded = am_malloc(DECODED_BATCH * item_size);
    if (!r->path || !r->buf || (codec && !r->decoded)) {
        am_spill_close(r);
        return am_fail(err, AM_ERR_NOMEM, "out of memory opening a partition file");
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (r->fd < 0) {
        const am_status st = am_fail(err, AM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        am_spill_close(r);
        return st;
    }
    return AM_OK;
}

am_status am_spill_open(am_spill_reader *r, const char *path, size_t item_size, am_err *err)
{
    return open_file(r, path, item_size, NULL, err);
}

am_status am_spill_open_coded(am_spill_reader *r, const char *path, const am_spill_codec *codec,
                              am_err *err)
{
    return open_file(r, path, codec->item_size, codec, err);
}

static am_status damaged(am_spill_reader *r, const char *what, am_err *err)
{
    return am_fail(err, AM_ERR_IO, "%s: partition file damaged (%s): the run cannot go on",
                   r->path, what);
}

/* Reads the next block's payload into r->buf, its length into *len; 0 at
 * the trailer, after checking the count of items read. */
static am_status read_block(am_spill_reader *r, size_t *len, am_err *err)
{
    *len = 0;
    if (r->ended)
        return AM_OK;
    unsigned char header[HEADER];
    const ssize_t got = am_read_full(r->fd, header, HEADER);
    if (got < 0)
        return am_fail(err, AM_ERR_IO, "%s: cannot read: %s", r->path, strerror(errno));
    if (got < HEADER)
        return damaged(r, "cut short", err);
    const uint32_t magic = get32(header), size = get32(header + 4);
    if (magic == TRAILER_MAGIC && size == 0) {
        if (get64(header + 8) != r->items)
            return damaged(r, "item count", err);
        r->ended = 1;
        return AM_OK;
    }
    if (magic != BLOCK_MAGIC || size == 0 || size > r->cap || (!r->codec && size % r->item_size))
        return damaged(r, "block header", err);
    const ssize_t body = am_read_full(r->fd, r->buf, size);
    if (body < 0)
        return am_fail(err, AM_ERR_IO, "%s: cannot read: %s", r->path, strerror(errno));
    if ((size_t)body < size)
        return damaged(r, "cut short", err);
    if (XXH3_64bits(r->buf, size) != get64(header + 8))
        return damaged(r, "checksum", err);
    *len = size;
    return AM_OK;
}

/* The next batch of a coded file's items, decoded from the block in buf. */
static am_status next_decoded(am_spill_reader *r, const void **items, size_t *n, am_err *err)
{
    while (r->pos == r->len) {
        r->pos = 0;
        const am_status st = read_block(r, &r->len, err);
        if (st != AM_OK || r->len == 0)
            return st;
    }
    size_t k = 0;
    for (; k < DECODED_BATCH && r->pos < r->len; k++) {
        const size_t took = r->codec->decode(r->buf + r->pos, r->len - r->pos,
                                             r->decoded + k * r->item_size);
        if (!took)
            return damaged(r, "encoding", err);
        r->pos += took;
    }
    *items = r->decoded;
    *n = k;
    r->items += k;
    return AM_OK;
}

am_status am_spill_next(am_spill_reader *r, const void **items, size_t *n, am_err *err)
{
    *items = NULL;
    *n = 0;
    if (r->codec)
        return next_decoded(r, items, n, err);
    size_t len;
    const am_status st = read_block(r, &len, err);
    if (st != AM_OK || len == 0)
        return st;
    *items = r->buf;
    *n = len / r->item_size;
    r->items += *n;
    return AM_OK;
}

am_status am_spill_next_item(am_spill_reader *r, const void **item, am_err *err)
{
    while (r->at == r->end) {
        const void *items;
        size_t n;
        const am_status st = am_spill_next(r, &items, &n, err);
        if (st != AM_OK || n == 0) {
            *item = NULL;
            return st;
        }
        r->at = items;
        r->end = r->at + n * r->item_size;
    }
    *item = r->at;
    r->at += r->item_size;
    return AM_OK;
}

void am_spill_close(am_spill_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    am_free(r->path);
    am_free(r->buf);
    am_free(r->decoded);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

static am_status each(am_spill_reader *r, am_status st, am_items_fn take, void *user,
                      am_err *err)
{
    while (st == AM_OK) {
        const void *items;
        size_t n;
        if ((st = am_spill_next(r, &items, &n, err)) != AM_OK || n == 0)
            break;
        st = take(user, items, n, err);
    }
    am_spill_close(r);
    return st;
}

am_status am_spill_each(const char *path, size_t item_size, am_items_fn take, void *user,
                        am_err *err)
{
    am_spill_reader r;
    return each(&r, am_spill_open(&r, path, item_size, err), take, user, err);
}

am_status am_spill_each_coded(const char *path, const am_spill_codec *codec, am_items_fn take,
                              void *user, am_err *err)
{
    am_spill_reader r;
    return each(&r, am_spill_open_coded(&r, path, codec, err), take, user, err);
}

am_status am_spill_each_encoded(const char *path, const am_spill_codec *codec,
                                am_encoded_fn take, void *user, am_err *err)
{
    am_spill_reader r;
    uint32_t *ends = NULL;
    size_t cap = 0;
    /* Opened as plain items of the codec's size, then told its codec
     * (which sets what a block's length may be): nothing is decoded, so
     * no room for decoded items. */
    am_status st = open_file(&r, path, codec->item_size, NULL, err);
    r.codec = codec;
    for (size_t len; st == AM_OK && (st = read_block(&r, &len, err)) == AM_OK && len;) {
        size_t n = 0;
        for (size_t at = 0, took; st == AM_OK && at < len; at += took, n++)
            if (!(took = codec->measure(r.buf + at, len - at)))
                st = damaged(&r, "encoding", err);
            else if (!AM_RESERVE(ends, cap, n + 1))
                st = am_fail(err, AM_ERR_NOMEM, "out of memory reading a partition file");
            else
                ends[n] = (uint32_t)(at + took);
        if (st == AM_OK) {
            r.items += n;
            st = take(user, r.buf, ends, n, err);
        }
    }
    am_free(ends);
    am_spill_close(&r);
    return st;
}
