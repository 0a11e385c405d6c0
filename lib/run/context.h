/*
 * context.h — what one run owns: catalogue, key, feeds, records, rejects
 * and findings.  Every public function takes an am_ctx, so nothing lives in
 * globals and separate runs can proceed in separate threads.
 */
#ifndef AM_CONTEXT_H
#define AM_CONTEXT_H

#include "read/catalogue.h"
#include "common/diag.h"
#include "link/link.h"
#include "common/error.h"
#include "common/stage.h"
#include "read/feed.h"
#include "read/feed_run.h"
#include "read/link_input.h"
#include "match/finding.h"
#include "match/input.h"
#include "cycle/cycle.h"
#include "cycle/outcomes.h"
#include "cycle/previous.h"
#include "read/progress.h"
#include "read/reject.h"
#include "cycle/review.h"
#include "match/rules.h"
#include "match/run_window.h"
#include "store/spill.h"
#include "store/store.h"
#include "common/token.h"
#include "write/out_dir.h"

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
    size_t ndiags, capdiags;
    char *centre_name;
    int32_t death_lag_days;  /* registry lag within which a late death is low priority */
    am_rules rules;
    int csv_bom;             /* CSV outputs open with a UTF-8 BOM (csv_out.h) */
    unsigned threads;        /* for matching; results do not depend on it */
    am_run_window window;
    am_feed **feeds;
    size_t nfeeds, capfeeds;
    am_feed_run feed_run;    /* what its feeds see of it (feed_run.h), set by am_ctx_new */
    am_store store;
    /* A run larger than memory (partition.c): the limit and partition
     * count asked for (0: none), the directory for partition files, and,
     * once ingestion spills, where records go instead of store. */
    uint64_t memory_limit;
    unsigned partitions;
    char *temp_dir;
    am_record_spill spill;
    struct am_partitioner *partitioner;
    int partitions_used;     /* reconciled: the partition files are gone */
    /* A distributed run (dist.c): its id, in every file it shares. */
    unsigned char dist_run_id[16];
    int dist_prepared;
    am_reject_list rejects;
    am_link_input links;     /* gathered while reading, used up by linking (link/) */
    am_links linked;         /* what linking decided, for links.csv */
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
    /* The snapshot this run wrote (am_snapshot_write), which may be in the
     * output directory: it does not make a new one "not empty". */
    am_file_id snapshot_written;
    int snapshot_written_set;
    struct am_answer *answer;
};

/* What matching reads of ctx's run (input.h): pointers into ctx, valid
 * while ctx's catalogue, store, rules and feeds are unchanged. */
am_match_input am_ctx_match_input(const am_ctx *ctx);

/* What the nightly cycle and the writers read of ctx's run (cycle/cycle.h):
 * pointers into ctx, valid while ctx's findings, review, previous run and
 * outcomes are unchanged. */
am_cycle am_ctx_cycle(const am_ctx *ctx);

/* Reviews ctx's findings (cycle.c) unless they are reviewed already.
 * Returns AM_OK, AM_ERR_STATE when they are not current, or am_review's
 * failures, with ctx's message set. */
am_status am_review_ensure(am_ctx *ctx);

/* Frees the diagnostics of am_check_centre (check.c). */
void am_diags_free(am_ctx *ctx);

#endif
