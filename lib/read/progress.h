/*
 * progress.h — telling an embedder how far ingestion has got: the
 * callback's state, and the three hooks ingestion calls (a feed begins, a
 * row was read, a feed ended).  The rows are counted exactly; the bytes
 * read while a feed is being read are estimated from the text handed over
 * (the reader does not expose its file position), and exact at the end.
 */
#ifndef AM_PROGRESS_H
#define AM_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "read/csv_reader.h"

#define AM_PROGRESS_EVERY 65536u

typedef struct am_progress_state {
    am_progress_fn fn;
    void *user;
} am_progress_state;

/* The hooks read the callback from the feed's run (feed_run.h).  A feed
 * starts: path is its file, or NULL with data, len its buffer. */
void am_progress_begin(am_feed *feed, const char *path, const void *data, size_t len);

/* Counts a row (header included); calls the callback every
 * AM_PROGRESS_EVERY data rows.  Returns non-zero when it asks to stop. */
int am_progress_row(am_feed *feed, const am_text_row *row);

/* Whether the next am_progress_row call for feed calls the callback. */
int am_progress_due(const am_feed *feed);

/* A feed ended (successfully or not).  Returns non-zero when the callback
 * asks to stop. */
int am_progress_end(const am_feed *feed);

#endif
