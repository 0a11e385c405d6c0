/*
 * outcomes.h — what caseworkers decided about findings: the outcomes file
 * (finding_id,outcome,date,note) and the lookup of a finding's latest
 * outcome as of a run's date.  Notes are free text that may name people:
 * they are checked for shape but never kept.
 */
#ifndef AM_OUTCOMES_H
#define AM_OUTCOMES_H

#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "common/error.h"
#include "cycle/previous.h"

typedef struct am_outcome_entry {
    char id[33];       /* lower-case hex */
    uint8_t outcome;   /* am_outcome, never AM_OUTCOME_NONE */
    int32_t day;       /* the date the outcome was recorded */
    uint32_t order;    /* position among all rows loaded: later rows win ties */
} am_outcome_entry;

/* A row that could not be read: skipped, and reported. */
typedef struct am_outcome_skip {
    char *file;        /* the file as named when loaded */
    uint64_t line;
    char reason[160];  /* what was expected; never the row's text */
} am_outcome_skip;

typedef struct am_outcomes {
    am_outcome_entry *v;
    size_t count, capacity;
    am_outcome_skip *skipped;
    size_t nskipped, skipped_capacity;
    size_t files;      /* files loaded */
    int sorted;
} am_outcomes;

/* Most data rows of one outcomes file: more fail its load (AM_ERR_LIMIT). */
#define AM_OUTCOMES_MAX_ROWS 10000000

/* Reads an outcomes file and adds its rows.  A row that cannot be read is
 * skipped and recorded in o->skipped (path, line, what was expected), so
 * one mistyped row never holds up a county's run.  Returns AM_OK, AM_ERR_IO,
 * AM_ERR_FORMAT (no header naming the columns: "path:1: ..."; no row of
 * the file is kept), AM_ERR_LIMIT (AM_OUTCOMES_MAX_ROWS; none kept) or
 * AM_ERR_NOMEM. */
am_status am_outcomes_load(am_outcomes *o, const char *path, am_err *err);
/* As am_outcomes_load, with at most max_rows data rows (tests). */
am_status am_outcomes_load_max(am_outcomes *o, const char *path, uint64_t max_rows, am_err *err);

/* Parses an outcome as caseworkers write it: the English name (trimmed,
 * any case, '_' or a space between words) or the report's Chinese label
 * (属实, 已纠正, 无问题 or 已核无问题).  Returns 1 on success. */
int am_outcome_parse(const char *s, size_t len, am_outcome *out);

/* Sorts the rows for lookup; needed after loading, before am_outcomes_latest. */
void am_outcomes_sort(am_outcomes *o);

/* The latest outcome recorded for id on or before day (the later row on
 * the same date), or NULL.  Needs am_outcomes_sort. */
const am_outcome_entry *am_outcomes_latest(const am_outcomes *o, const char *id, int32_t day);

/* The suppression rule.  A finding whose facts fingerprint is facts, seen
 * in the previous run as pf (NULL if it was not), is suppressed under its
 * latest outcome o when o is no_issue and facts equal the facts o was
 * judged on: the finding's facts in the previous run when that run is
 * dated on or before o; otherwise, when the previous run already
 * suppressed it under an outcome of the same date, the facts recorded
 * then (reviewed_facts).  Returns the judged facts (32 hex digits) when
 * the finding is suppressed, NULL when it is not. */
const char *am_outcome_suppresses(const am_outcome_entry *o, const char *facts,
                                  const am_previous *prev, const am_prev_finding *pf);

void am_outcomes_free(am_outcomes *o);

#endif
