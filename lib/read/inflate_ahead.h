/*
 * inflate_ahead.h — a gzip file inflated on a thread of its own, ahead of
 * the thread that parses its text.
 *
 * A county's hukou register is often its one large gzip file: read on one
 * thread, inflating and parsing it one after the other set the run's pace
 * while the other reader had finished.  Here the reading, hashing and
 * inflating run on a second thread, a few megabytes ahead, and the parser
 * takes the text in order, so either core can do either job.  The text,
 * and the failures and where they fall, are those of inflating on the
 * reader's own thread: the thread changes who does the work, not what is
 * read.
 */
#ifndef AM_INFLATE_AHEAD_H
#define AM_INFLATE_AHEAD_H

#include <stddef.h>
#include <stdint.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "common/error.h"
#include "read/inflater.h"

typedef struct am_inflate_ahead am_inflate_ahead;

/* What the reading thread had done when it stopped; the reader's to
 * read once am_inflate_ahead_next has returned a failure or the end. */
typedef struct am_ahead_tally {
    uint64_t bytes; /* stored bytes read, the ones before the start included */
    int read_errno; /* the read's errno, for AM_ERR_IO */
} am_ahead_tally;

/* What the thread is given: the open file (read on from where it is, in
 * reads of read_size bytes, as the reader's own) and the reader's
 * inflater and hash, which only the thread touches until
 * am_inflate_ahead_stop.  The gzip ratio limit is the reader's
 * (am_inflate_ratio_exceeded with max_ratio). */
typedef struct am_ahead_source {
    int fd;
    size_t read_size;
    am_inflater *inflater;
    XXH3_state_t *hash;
    uint64_t bytes, inflated; /* so far, on the reader's thread */
    unsigned max_ratio;
} am_ahead_source;

/* Starts the thread over src and returns it; NULL when it could not be
 * started or its 4 MiB not allocated, and src untouched: the caller then
 * inflates on its own thread, as a thread costs speed, never results. */
am_inflate_ahead *am_inflate_ahead_start(const am_ahead_source *src);

/* The next piece of text, in order, in *p and *n, valid until the next
 * call, and in *bytes the stored bytes read when it was inflated (a
 * failure while parsing it is told with that count, as on one thread).
 * Returns AM_OK with *n > 0; AM_OK with *n == 0 at the end of the file;
 * or the failure that stopped the thread after the text before it:
 * AM_ERR_IO (a read failed: tally's read_errno), AM_ERR_FORMAT (damaged
 * gzip), AM_ERR_NOMEM, or AM_ERR_LIMIT (the ratio).  A truncated file ends
 * without failing here: am_inflater_done says so. */
am_status am_inflate_ahead_next(am_inflate_ahead *a, const unsigned char **p, size_t *n,
                                uint64_t *bytes);

/* Stops the thread if it is still reading, waits for it, fills *tally
 * (NULL: not wanted) and frees a.  NULL is allowed.  Cannot fail. */
void am_inflate_ahead_stop(am_inflate_ahead *a, am_ahead_tally *tally);

#endif
