/*
 * spill.h — the run's own temporary files of fixed-size items, for a run
 * larger than memory (partition files, sorted runs, edges and labels).
 *
 * A file is a sequence of blocks, each a 16-byte header (magic, payload
 * length, XXH3-64 of the payload) and whole items, and ends with a trailer
 * block giving the number of items: a reader checks every block and
 * knows a file cut short.  Items hold tokens, never raw IDs or names.
 * A file may hold its items encoded by a codec (spilled_code.h: records
 * in about two thirds of their size); its reader hands them back decoded.
 */
#ifndef AM_SPILL_H
#define AM_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/token.h"
#include "store/store.h"

/* A record as it is spilled: its household is the token itself (a store's
 * household reference means nothing outside that store).  rec.household
 * is 1 when household holds a token, 0 when the record has none. */
typedef struct am_spilled {
    am_record rec;
    unsigned char household[AM_TOKEN_BYTES];
} am_spilled;

_Static_assert(sizeof(am_spilled) == 64, "a spilled record is 64 bytes");

/* Where ingestion sends records when the run is partitioned: put() takes
 * n records whose household refs (1-based) index tokens, and returns
 * AM_OK or a failure with its message in err. */
typedef struct am_record_spill {
    am_status (*put)(void *user, const am_record *records, size_t n,
                     const unsigned char (*tokens)[AM_TOKEN_BYTES], am_err *err);
    /* Takes n of the hukou registry's entries that linking damaged IDs
     * reads, each entry_size bytes (read/link_input.h), to hand back
     * sorted when linking begins; NULL: they stay in memory. */
    am_status (*put_registry)(void *user, const void *entries, size_t n, size_t entry_size,
                              am_err *err);
    void *user;
} am_record_spill;

/* How items of item_size bytes are stored: encode() writes at most
 * max_encoded bytes and returns how many; decode() reads one item from
 * avail bytes and returns how many it took, 0 if they are no encoding;
 * measure() returns what decode() would, decoding nothing. */
typedef struct am_spill_codec {
    size_t item_size, max_encoded;
    size_t (*encode)(const void *item, unsigned char *out);
    size_t (*decode)(const unsigned char *in, size_t avail, void *item);
    size_t (*measure)(const unsigned char *in, size_t avail);
} am_spill_codec;

typedef struct am_spill_writer {
    int fd;                /* -1 when closed */
    char *path;            /* owned */
    unsigned char *buf;    /* header room + payload */
    size_t item_size, payload_cap, used;
    uint64_t items;
    const am_spill_codec *codec; /* NULL: items as they are */
} am_spill_writer;

/* Creates path (which must not exist) for items of item_size bytes,
 * buffering about buffer_bytes.  Returns AM_OK, AM_ERR_NOMEM or AM_ERR_IO
 * with the reason in err; on failure w holds nothing to release. */
am_status am_spill_create(am_spill_writer *w, const char *path, size_t item_size,
                          size_t buffer_bytes, am_err *err);

/* As am_spill_create, for items of codec->item_size stored encoded; the
 * codec must outlive w. */
am_status am_spill_create_coded(am_spill_writer *w, const char *path,
                                const am_spill_codec *codec, size_t buffer_bytes, am_err *err);

/* Appends n items.  Returns AM_OK or AM_ERR_IO (a full disk named as such). */
am_status am_spill_write(am_spill_writer *w, const void *items, size_t n, am_err *err);

/* Appends n items that the writer's codec has already encoded, len bytes
 * of them, whole; len is at most the payload the writer was created for
 * (its buffer_bytes, or the codec's max_encoded if more): so that threads
 * sharing a file under a lock encode outside it.  Returns AM_OK, AM_ERR_IO,
 * or AM_ERR_INVALID for a writer without a codec or a len too long. */
am_status am_spill_write_encoded(am_spill_writer *w, const void *bytes, size_t len, size_t n,
                                 am_err *err);

/* Writes what is buffered and the trailer, and closes the file, which
 * stays.  Returns AM_OK or AM_ERR_IO; w is released either way. */
am_status am_spill_finish(am_spill_writer *w, am_err *err);

/* Closes and removes an unfinished file and releases w (idle w is fine). */
void am_spill_discard(am_spill_writer *w);

/* Finishes w when st, the status of writing it, is AM_OK, and discards it
 * otherwise; returns the first failure. */
am_status am_spill_end(am_spill_writer *w, am_status st, am_err *err);

typedef struct am_spill_reader {
    int fd;
    char *path;
    unsigned char *buf;
    size_t item_size, cap;
    uint64_t items; /* read so far */
    int ended;                       /* the trailer was read */
    const unsigned char *at, *end;   /* items of the block am_spill_next_item is in */
    const am_spill_codec *codec;     /* NULL: items as they are */
    unsigned char *decoded;          /* a batch of decoded items */
    size_t pos, len;                 /* of the encoded block in buf */
} am_spill_reader;

/* Opens a finished spill file of item_size items.  Returns AM_OK,
 * AM_ERR_NOMEM or AM_ERR_IO; on failure r holds nothing to release. */
am_status am_spill_open(am_spill_reader *r, const char *path, size_t item_size, am_err *err);

/* As am_spill_open, for a file written by am_spill_create_coded with the
 * same codec (which must outlive r); a block whose bytes do not decode is
 * damaged. */
am_status am_spill_open_coded(am_spill_reader *r, const char *path, const am_spill_codec *codec,
                              am_err *err);

/* The next items: *items points at *n of them (valid until the next
 * call), *n = 0 at the end.  Returns AM_OK, or AM_ERR_IO for a damaged or
 * truncated file (a checksum or count that does not match). */
am_status am_spill_next(am_spill_reader *r, const void **items, size_t *n, am_err *err);

/* The next item, one at a time: *item points at it (valid until the
 * next call), or is NULL at the end.  Returns as am_spill_next; a reader
 * is read with one of the two, not both. */
am_status am_spill_next_item(am_spill_reader *r, const void **item, am_err *err);

/* Closes r and frees what it holds; closing again, or a reader whose open
 * failed, does nothing. */
void am_spill_close(am_spill_reader *r);

/* Takes n items of a reading, in order; returns AM_OK to go on. */
typedef am_status (*am_items_fn)(void *user, const void *items, size_t n, am_err *err);

/* Reads the spill file path of item_size items whole, passing them to
 * take in batches (valid during the call).  Returns AM_OK, a reading's
 * failure (as am_spill_open and am_spill_next) or the first other status
 * take returned. */
am_status am_spill_each(const char *path, size_t item_size, am_items_fn take, void *user,
                        am_err *err);

/* As am_spill_each, for a file written with codec. */
am_status am_spill_each_coded(const char *path, const am_spill_codec *codec, am_items_fn take,
                              void *user, am_err *err);

/* Takes n items as the codec encoded them, item k's bytes from
 * ends[k - 1] (0 for the first) to ends[k]; returns AM_OK to go on. */
typedef am_status (*am_encoded_fn)(void *user, const unsigned char *bytes, const uint32_t *ends,
                                   size_t n, am_err *err);

/* As am_spill_each_coded, the items left encoded (each block's, measured
 * by the codec and checked as decoding would check them), so that they
 * can be written to another coded file without decoding and encoding
 * them again (am_spill_write_encoded). */
am_status am_spill_each_encoded(const char *path, const am_spill_codec *codec,
                                am_encoded_fn take, void *user, am_err *err);

/* The 64-bit key of a token that partitioning works with: its first eight
 * bytes, big-endian, so that keys sort as the tokens do.  Tokens are
 * keyed hashes; two tokens with one key only put two components in one
 * partition. */
static inline uint64_t am_token_key(const unsigned char t[AM_TOKEN_BYTES])
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | t[i];
    return k;
}

#endif
