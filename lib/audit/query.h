/*
 * query.h — the auditor's questions between nightly runs, asked of a
 * snapshot or of the context's own reconciled run: ad-hoc rules over every
 * record (am_match_rules), everything about one person (am_person_lookup),
 * and why a finding was raised (am_explain).  The answer to the last
 * question is kept by the context until the next one.
 */
#ifndef AM_QUERY_H
#define AM_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "match/finding.h"
#include "match/rules.h"
#include "audit/record_row.h"
#include "audit/source.h"


/* What an answer adds to each of its findings. */
typedef struct am_answer_extra {
    char facts[33];
    char area[7];
    const char *concerns; /* static */
    size_t first_row, nrows; /* its evidence records among the rows */
} am_answer_extra;

typedef struct am_answer {
    am_rules rules;            /* ad-hoc rules, which the findings' rule ids point into */
    am_finding_list findings;
    am_answer_extra *extra;    /* one per finding */
    am_record_row *rows;       /* the person's records [0, nperson), then evidence */
    size_t nrows, caprows, nperson;
    char token[AM_TOKEN_HEX + 1]; /* the person looked up */
    am_source memory;          /* indexes of the context's own run, once built */
    int have_memory;
} am_answer;

/* Frees an answer and what it caches.  NULL is accepted. */
void am_answer_free(am_answer *answer);

/* Drops ctx's answer and cached indexes: the store they describe is about
 * to change (am_reconcile). */
void am_answer_forget(am_ctx *ctx);

#endif
