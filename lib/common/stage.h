/*
 * stage.h — the stages of a run, and the one check every public entry
 * point makes against them.  The stage is the only record of how far a run
 * has gone: ingesting, reconciling and reviewing move it, and whatever
 * makes findings or their review out of date moves it back, so that no
 * call ever reads findings older than the records they were drawn from.
 * It sits in common/ because entry points of every later folder check it.
 *
 *   SETUP ──ingest──▶ INGESTED ──am_reconcile──▶ RECONCILED ──am_review──▶ REVIEWED
 *                        ▲  ▲                        │  ▲                     │
 *                        │  └──────ingest, rules, ───┘  └─run date, previous,─┘
 *                        │         window                  outcomes
 *                        └──────────────ingest, rules, window─────────────────┘
 *   SETUP ──am_snapshot_open──▶ SNAPSHOT (answers questions only)
 */
#ifndef AM_STAGE_H
#define AM_STAGE_H

#include "common/error.h"

typedef enum am_stage {
    AM_STAGE_SETUP = 0,  /* nothing ingested: catalogue, key, rules, feeds, settings */
    AM_STAGE_INGESTED,   /* records ingested since the last reconciliation (or none yet) */
    AM_STAGE_RECONCILED, /* findings drawn from every record ingested */
    AM_STAGE_REVIEWED,   /* and reviewed against the previous run and outcomes */
    AM_STAGE_SNAPSHOT,   /* a snapshot is open: the context answers questions only */
    AM_STAGE__COUNT
} am_stage;

/* A set of stages, for am_stage_check. */
#define AM_IN(stage) (1u << (stage))
#define AM_FINDINGS_CURRENT (AM_IN(AM_STAGE_RECONCILED) | AM_IN(AM_STAGE_REVIEWED))
#define AM_NOT_SNAPSHOT \
    (AM_IN(AM_STAGE_SETUP) | AM_IN(AM_STAGE_INGESTED) | AM_FINDINGS_CURRENT)

/* Returns the stage's name as messages show it ("reconciled"). */
const char *am_stage_name(am_stage stage);

/* Returns AM_OK when now is one of the stages in accepted; otherwise
 * AM_ERR_STATE with err's message naming call and the call to make first
 * ("am_write_outputs: the run is ingested, not reconciled: call
 * am_reconcile() first"). */
am_status am_stage_check(am_stage now, unsigned accepted, const char *call, am_err *err);

/* The stage after something that makes findings out of date (ingesting,
 * new rules, another window): INGESTED from a reconciled or reviewed run;
 * otherwise now unchanged. */
am_stage am_stage_findings_stale(am_stage now);

/* The stage after something that makes the review out of date (run date,
 * previous run, outcomes): RECONCILED from REVIEWED; otherwise now. */
am_stage am_stage_review_stale(am_stage now);

#endif
