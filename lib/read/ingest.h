/*
 * ingest.h — mapping a feed's rows onto records, shared by ingestion and
 * by the agency-side tokeniser so that both judge a row the same way.
 */
#ifndef AM_INGEST_H
#define AM_INGEST_H

#include "read/csv_reader.h"
#include "read/feed.h"
#include "store/store.h"

/* An ID as the last row wrote it, and its token: feeds list a person's
 * rows, and a household's, one after another, and a repeat is neither
 * normalised nor hashed again. */
typedef struct am_last_id {
    size_t len; /* 0: nothing kept */
    char *text; /* AM_HOUSEHOLD_ID_MAX bytes of secret memory (alloc.h), once used */
    unsigned char token[AM_TOKEN_BYTES];
} am_last_id;

typedef struct ingest_sink ingest_sink;

typedef struct am_row_mapper {
    am_feed *feed;     /* whose counts the rows go to: a part's own when read in parts */
    am_feed *progress_feed; /* the feed progress is told for; NULL: feed */
    am_err *err;       /* where this reading's failure message goes */
    ingest_sink *sink; /* where ingested rows go (ingest.c); unused by the tokeniser */
    int column_index[AM_COL__COUNT]; /* header position of each mapped column, or -1 */
    size_t header_fields;
    int header_seen;
    am_status status; /* a run-level failure met inside a row callback */
    /* Raw IDs, kept out of core dumps; am_mapper_wipe() frees them. */
    am_last_id last_person, last_household;
    uint32_t last_person_area; /* the area code of last_person */
    int link_role;  /* what this feed gives linking (link_input.h): AM_LINK_* */
    size_t sampled; /* valid rows with a name sampled so far */
} am_row_mapper;

/* A feed's part in linking damaged IDs: none (tokenised feeds), the hukou
 * registry's persons, or rows whose damaged IDs are held for linking. */
enum { AM_LINK_NONE = 0, AM_LINK_REGISTRY, AM_LINK_HOLD };

typedef struct row_outcome {
    am_reject reason;
    char detail[160]; /* names the column and what was expected, never the value */
} row_outcome;

/* Wipes and frees the raw IDs a mapper keeps: call once its reading is
 * over (the mapper may be reused: it keeps nothing then). */
void am_mapper_wipe(am_row_mapper *m);

/* Validates the feed and records path for statistics and messages. */
am_status am_mapper_prepare(am_feed *feed, const char *path);

/* Finds every mapped column in the header row.  Returns AM_OK or
 * AM_ERR_FORMAT naming the missing column. */
am_status am_mapper_header(am_row_mapper *m, const am_text_row *row);

/* Each returns 1 when the row passes, or 0 with *out saying why not. */
int am_mapper_shape(const am_row_mapper *m, const am_text_row *row, row_outcome *out);
int am_mapper_person(am_row_mapper *m, const am_text_row *row, am_record *rec, row_outcome *out);
int am_mapper_household_token(const am_row_mapper *m, const am_text_row *row,
                              unsigned char token[AM_TOKEN_BYTES], int *present, row_outcome *out);

#endif
