/*
 * review.h — the findings of a reconciliation seen across nights: each
 * finding's facts fingerprint, area, change against the previous run,
 * latest outcome and whether that outcome suppresses it; the findings
 * that are gone; and the counts summary.json and the report show.
 * Derived from the findings, so am_reconcile() discards it.
 */
#ifndef AM_REVIEW_H
#define AM_REVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aidmatch.h"
#include "common/error.h"
#include "cycle/cycle.h"
#include "cycle/previous.h"
#include "match/facts.h"

typedef struct am_review_rec {
    char facts[33];
    char reviewed[33];     /* suppressed: the facts the outcome was judged on */
    char first_seen[11];
    char outcome_date[11];
    char area[7];          /* "" when unknown */
    uint8_t change;        /* am_change */
    uint8_t outcome;       /* am_outcome */
    uint8_t suppressed;
} am_review_rec;

typedef struct am_review_state {
    am_review_rec *v;      /* one per finding, in output order */
    size_t n;
    const am_prev_finding **resolved; /* previous findings gone now, by id */
    size_t nresolved;
    char run_date[11];     /* "" when unset */
    size_t by_change[AM_CHANGE__COUNT];
    int64_t amount_by_change[AM_CHANGE__COUNT];
    size_t by_outcome[AM_OUTCOME__COUNT];
    size_t suppressed;
    int64_t suppressed_amount;
    size_t outcomes_unmatched; /* finding ids with an outcome but no finding tonight */
    const char **unmatched;    /* those ids (32 hex digits, not NUL-terminated), sorted */
    /* Every finding's evidence records in the store, found for the facts
     * and kept for the report, which would otherwise pass over the whole
     * store again.  Valid while the stage says the review is: ingestion
     * marks the findings stale before it moves rows into the store, and a
     * reconciliation frees the review before it sorts the store.  Empty
     * when the findings came with their facts: a partitioned run, whose
     * records are not in memory. */
    am_evidence_index evidence;
} am_review_state;

/* A previous run is of this centre under this key, as far as both
 * recorded them: ids and tokens of another key never compare, and another
 * centre's findings would all read as resolved.  Returns AM_OK, AM_ERR_KEY
 * or AM_ERR_FORMAT with err's message saying which. */
am_status am_previous_check_origin(const am_previous *prev, const char *centre_name,
                                   const char *key_fingerprint, am_err *err);

/* Reviews c's findings into *rv (freed first; c->review is not read):
 * facts, areas, changes against c->previous, latest outcomes as of the run
 * date, and suppression.  c->outcomes must be sorted.  Whether the run's
 * stage allows a review is the caller's check.  Returns AM_OK; AM_ERR_KEY
 * or AM_ERR_FORMAT (a previous run of another key or centre);
 * AM_ERR_INVALID (a previous run without a run date, or dated after it);
 * AM_ERR_NOMEM, leaving *rv empty.  err's message is set on failure. */
am_status am_review_run(const am_cycle *c, am_review_state *rv, am_err *err);

/* Discards the review (the findings it describes are going). */
void am_review_free(am_review_state *r);

/* Writes summary.json's members about the cycle, each preceded by ",\n":
 * run_date, previous_run_date, warnings, previous_run_missing, delta,
 * drift_share, drift, outcomes. */
void am_review_summary_json(const am_cycle *c, FILE *out);

#endif
