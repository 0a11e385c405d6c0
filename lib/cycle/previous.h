/*
 * previous.h — what a run remembers of the run before it, read back from
 * that run's output directory: its findings (with their facts
 * fingerprints), those it suppressed, when each was first seen, its date,
 * and its feeds' row counts, file hashes and since when each file is the
 * same.
 */
#ifndef AM_PREVIOUS_H
#define AM_PREVIOUS_H

#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "common/error.h"

typedef struct am_prev_finding {
    char id[33];
    char facts[33];        /* "" when the run did not record them */
    char first_seen[11];   /* from its delta.csv, "" when unknown */
    char last_seen[11];
    char outcome_date[11]; /* suppressed: the no_issue outcome it was suppressed under */
    char reviewed[33];     /* suppressed: the facts that outcome was judged on */
    int suppressed;
    int kind;              /* am_kind, or -1 when unknown */
    int64_t amount_fen;
    char *details;         /* AM_PREV__DETAILS texts, each NUL-terminated, in
                              enum order ("" when the run had no such column) */
} am_prev_finding;

/* What a previous finding was about, kept so that delta.csv can still
 * describe it once it is resolved. */
typedef enum am_prev_detail {
    AM_PREV_RULE = 0,
    AM_PREV_UNIT,
    AM_PREV_SUBJECT,
    AM_PREV_ITEMS,
    AM_PREV_AGENCIES,
    AM_PREV_PERIOD_START,
    AM_PREV_PERIOD_END,
    AM_PREV_PRIORITY,
    AM_PREV__DETAILS
} am_prev_detail;

/* The text of one detail of pf, "" when unknown; valid while pf is. */
const char *am_prev_finding_detail(const am_prev_finding *pf, am_prev_detail which);

typedef struct am_prev_feed {
    char *name;
    uint64_t rows_read;
    char xxh3[33];
    int32_t unchanged_since; /* the first run that read this very file */
    int unchanged_since_set; /* 0 when the run recorded none */
} am_prev_feed;

typedef struct am_previous {
    char run_date[11];   /* "" when the run recorded none */
    char key_fingerprint[33]; /* "" when the run recorded none */
    char *centre;        /* the centre's name, NULL when the run recorded none */
    int32_t run_day;     /* valid when run_date is set */
    am_prev_finding *findings; /* sorted by id, unique */
    size_t count, capacity;
    am_prev_feed *feeds;
    size_t nfeeds;
} am_previous;

/* Most data rows of each of the previous run's CSV files: more fail the
 * load (AM_ERR_LIMIT). */
#define AM_PREVIOUS_MAX_ROWS 10000000

/* Reads dir/findings.csv and dir/summary.json (both required), and
 * dir/suppressed.csv and dir/delta.csv when present.  Returns AM_OK,
 * AM_ERR_IO, AM_ERR_FORMAT ("file:line: expected ..."), AM_ERR_LIMIT or
 * AM_ERR_NOMEM;
 * on failure *prev is left empty. */
am_status am_previous_load(am_previous *prev, const char *dir, am_err *err);
/* As am_previous_load, with at most max_rows data rows per file (tests). */
am_status am_previous_load_max(am_previous *prev, const char *dir, uint64_t max_rows,
                               am_err *err);

/* The previous run's finding with this id, or NULL. */
const am_prev_finding *am_previous_find(const am_previous *prev, const char *id);

/* The previous run's feed of this name, or NULL. */
const am_prev_feed *am_previous_feed(const am_previous *prev, const char *name);

void am_previous_free(am_previous *prev);

#endif
