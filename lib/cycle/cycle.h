/*
 * cycle.h — what the nightly cycle reads of a run: the findings of its
 * reconciliation and what they were drawn from, the run before it,
 * caseworkers' outcomes, the run date and drift share, and its review.  The review, delta, drift and the writers above them take this
 * rather than the run's context, as SQLite's pager takes a Pager and not
 * the connection; the run builds it (am_ctx_cycle) for one call.
 */
#ifndef AM_CYCLE_H
#define AM_CYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"
#include "cycle/outcomes.h"
#include "cycle/previous.h"
#include "match/finding.h"
#include "match/input.h"

typedef struct am_cycle {
    am_match_input match;            /* catalogue, store, rules, feeds */
    const am_finding_list *findings; /* of the last reconciliation, in output order */
    const struct am_review_state *review; /* review.h: NULL until reviewed */
    const am_previous *previous;     /* NULL when none is loaded */
    const char *previous_missing;    /* the --previous directory that did not exist, or NULL */
    const am_outcomes *outcomes;     /* sorted (am_outcomes_sort) before a review */
    const am_diag *diags;            /* am_check_centre's findings; warnings go to summary.json */
    size_t ndiags;
    const char *centre_name;         /* NULL when the centre has none */
    const char *key_fingerprint;     /* "" when no key is set */
    int32_t run_date;                /* a day (common/day.h), when run_date_set */
    int run_date_set;
    uint32_t drift_permille;         /* drift.h */
} am_cycle;

#endif
