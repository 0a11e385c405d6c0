/*
 * context.h — what one run owns: catalogue, key, feeds, records, rejects
 * and findings.  Every public function takes an am_ctx, so nothing lives in
 * globals and separate runs can proceed in separate threads.
 */
#ifndef AM_CONTEXT_H
#define AM_CONTEXT_H

#include "read/catalogue.h"
#include "common/error.h"
#include "common/stage.h"
#include "read/feed.h"
#include "match/finding.h"
#include "match/input.h"
#include "cycle/outcomes.h"
#include "cycle/previous.h"
#include "read/progress.h"
#include "cycle/review.h"
#include "match/rules.h"
#include "store/store.h"
#include "common/token.h"

typedef struct am_reject_entry {
    uint16_t feed;
    uint8_t reason;
    uint64_t line;
    char *detail;
} am_reject_entry;

/* A problem am_check_centre() found. */
typedef struct am_diag {
    am_severity severity;
    char *message;
} am_diag;

struct am_ctx {
    am_err err;
    /* &err, set by am_ctx_new: an accessor given a const context leaves
     * its failure's message through it, as the message is not the run's
     * state but the answer to "why did the last call fail". */
    am_err *errmsg_slot;
    am_catalogue catalogue;
    int have_catalogue;
    am_key key;
    char *base_dir;          /* directory of the centre file */
    char *data_dir;          /* am_set_data_dir: the default catalogue and rules, or NULL */
    am_diag *diags;          /* am_check_centre's findings about the set-up */
    size_t ndiags;
    char *centre_name;
    int32_t death_lag_days;  /* registry lag within which a late death is low priority */
    am_rules rules;
    int csv_bom;             /* CSV outputs open with a UTF-8 BOM (csv_out.h) */
    unsigned threads;        /* for matching; results do not depend on it */
    int window_set;
    int32_t window_start, window_end;
    am_feed **feeds;
    size_t nfeeds;
    am_store store;
    am_reject_entry *rejects;
    size_t nrejects, rejects_capacity;
    am_finding_list findings;
    am_stage stage;          /* stage.h: the one record of how far the run has gone */
    /* The nightly cycle (review.h): the run's date, the run before it,
     * caseworkers' outcomes, the drift share, and the review derived from
     * the findings. */
    int32_t run_date;
    int run_date_set;
    uint32_t drift_permille; /* drift.h */
    am_previous *previous;   /* NULL when none is loaded */
    char *previous_missing;  /* the --previous directory that did not exist yet */
    am_outcomes outcomes;
    am_review_state review;
    am_progress_state progress;
    /* The auditor's tools: the snapshot this context reads (snapshot.h;
     * NULL when it reads its own ingested run) and the last question's
     * answer with what it caches (query.h). */
    struct am_snapshot *snapshot;
    struct am_answer *answer;
};

/* Appends a reject already counted in its feed's statistics; takes
 * ownership of entry->detail on success. */
am_status am_ctx_reject_entry(am_ctx *ctx, const am_reject_entry *entry);

/* Puts the rejects in feed order, then line order, whichever order the
 * feeds were read in. */
void am_ctx_sort_rejects(am_ctx *ctx);

/* The reconciliation window: the one set, or else the days some periodic
 * item was paid for in ctx->store. */
void am_ctx_window(const am_ctx *ctx, int32_t *start, int32_t *end);

/* Records a reject for feed at line.  detail is copied. */
am_status am_ctx_reject(am_ctx *ctx, am_feed *feed, uint64_t line, am_reject reason,
                        const char *detail);

/* What matching reads of ctx's run (input.h): pointers into ctx, valid
 * while ctx's catalogue, store, rules and feeds are unchanged. */
am_match_input am_ctx_match_input(const am_ctx *ctx);

/* Frees the diagnostics of am_check_centre (check.c). */
void am_diags_free(am_ctx *ctx);

#endif
