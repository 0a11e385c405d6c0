/*
 * query.h — the auditor's questions between nightly runs, asked of a
 * snapshot or of the context's own reconciled run: ad-hoc rules over every
 * record (am_match_rules), everything about one person (am_person_lookup),
 * and why a finding was raised (am_explain).  The answer to the last
 * question is kept by the run until the next one.  A question reads an
 * am_question, which the run builds (run/query.c), not the run's context.
 */
#ifndef AM_QUERY_H
#define AM_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "aidmatch.h"
#include "common/error.h"
#include "common/stage.h"
#include "common/token.h"
#include "match/finding.h"
#include "match/input.h"
#include "match/run_window.h"
#include "match/rules.h"
#include "audit/record_row.h"
#include "link/link.h"
#include "audit/source.h"


/* What an answer adds to each of its findings. */
typedef struct am_answer_extra {
    char facts[33];
    char area[7];
    char linked[8];          /* findings.csv's `linked` */
    size_t id_error;         /* its `possible_id_error` at id_errors + id_error - 1; 0: "" */
    const char *concerns; /* static */
    size_t first_row, nrows; /* its evidence records among the rows */
} am_answer_extra;

typedef struct am_answer {
    am_rules rules;            /* ad-hoc rules, which the findings' rule ids point into */
    am_finding_list findings;
    am_answer_extra *extra;    /* one per finding */
    am_record_row *rows;       /* the person's records [0, nperson), then evidence */
    size_t nrows, caprows, nperson;
    char *id_errors;           /* the findings' possible_id_error texts, each ended by NUL */
    size_t id_errors_len, id_errors_cap;
    char token[AM_TOKEN_HEX + 1]; /* the person looked up */
    am_source memory;          /* indexes of the context's own run, once built */
    int have_memory;
} am_answer;

/* Frees an answer and what it caches.  NULL is accepted. */
void am_answer_free(am_answer *answer);

/* Frees *answer and what it caches, and sets it to NULL: the store they
 * describe is about to change (am_reconcile, am_snapshot_open). */
void am_answer_forget(am_answer **answer);

/* What a question reads of a run, and where it leaves its answer. */
typedef struct am_question {
    am_match_input match;            /* catalogue, store, rules, feeds, threads */
    int have_catalogue;
    const am_run_window *window;
    const am_finding_list *findings; /* of the run's own reconciliation */
    const am_links *links;           /* what linking decided in the run asked */
    const am_key *key;               /* key->bytes NULL: no key loaded */
    struct am_snapshot *snapshot;    /* the snapshot asked, or NULL: the run's own records */
    am_stage stage;
    am_answer **answer;              /* the last answer, replaced by this question's */
    am_err *err;                     /* the run's message on failure */
} am_question;

/* The questions of aidmatch.h, asked of q: am_match_rules, am_person_lookup
 * and am_explain, with their arguments, returns and messages (the run's
 * public entry points check only that there is a run). */
am_status am_question_rules(const am_question *q, const char *text, size_t len, const char *name,
                            const am_filter *in, unsigned flags);
am_status am_question_person(const am_question *q, const char *id_or_token, const am_filter *in);
am_status am_question_explain(const am_question *q, const char *finding_id);

#endif
