/*
 * feed_split.h — cutting one large plain feed into parts that several
 * threads read at once.
 *
 * A county's hukou register can be nine tenths of the night's bytes; read
 * on one thread it sets the run's pace.  A line end is a record boundary
 * only outside quotes, so only a file without a single quote character is
 * cut, at line ends, and only where the reader's other rules still hold for
 * each part alone: not gzip, not UTF-16, no more lines than max_rows.
 */
#ifndef AM_FEED_SPLIT_H
#define AM_FEED_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "read/csv_reader.h"

#define AM_SPLIT_MAX_PARTS 16

typedef struct am_feed_plan {
    int fd;        /* open on the feed, for every part's pread; -1 when closed */
    size_t nparts; /* 0: read the feed whole */
    uint64_t offset[AM_SPLIT_MAX_PARTS + 1]; /* part k is [offset[k], offset[k + 1]) */
    uint64_t first_line[AM_SPLIT_MAX_PARTS];
    am_encoding encoding; /* what the whole file decodes as: the later parts' */
    uint64_t bytes;       /* the file's size */
    char xxh3[33];        /* XXH3-128 of the file, as the whole reader would give it */
} am_feed_plan;

/* How many parts a feed of size bytes is read in on threads threads when
 * feeds above split_above bytes are split (0: never): 4 per thread, so
 * that the thread with the last part does not read long alone, and at
 * most AM_SPLIT_MAX_PARTS (each then more than split_above / 16).  0:
 * whole. */
size_t am_feed_split_parts(uint64_t size, uint64_t split_above, unsigned threads);

/* Surveys the file at path in one pass (hashing it, counting its line ends
 * and finding a line end at or after each of nparts - 1 even cut points)
 * and returns 1 with *plan ready and plan->fd open; 0 when the file is to
 * be read whole: it cannot be opened or read (the whole reader then says
 * why), or it is gzip, UTF-16, holds a quote, has more lines than
 * opts->max_rows, or has too few line ends to cut; or -1 when memory ran
 * out (not read whole: a run out of memory fails, as everywhere else). */
int am_feed_plan_make(const char *path, const am_reader_opts *opts, size_t nparts,
                      am_feed_plan *plan);

/* Closes plan->fd. */
void am_feed_plan_close(am_feed_plan *plan);

#endif
