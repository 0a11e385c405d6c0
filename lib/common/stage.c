/*
 * stage.c — the stages of a run (stage.h): their names, the check entry
 * points make, and the two ways a run falls back.
 */
#include "common/stage.h"

const char *am_stage_name(am_stage stage)
{
    static const char *const names[AM_STAGE__COUNT] = {
        [AM_STAGE_SETUP] = "not yet ingested",
        [AM_STAGE_INGESTED] = "ingested, not reconciled",
        [AM_STAGE_RECONCILED] = "reconciled",
        [AM_STAGE_REVIEWED] = "reviewed",
        [AM_STAGE_SNAPSHOT] = "reading a snapshot",
    };
    return (unsigned)stage < AM_STAGE__COUNT ? names[stage] : "unknown";
}

/* The call that moves a run from now towards the first accepted stage. */
static const char *next_call(am_stage now, unsigned accepted)
{
    if (accepted & AM_IN(AM_STAGE_SNAPSHOT) && !(accepted & ~AM_IN(AM_STAGE_SNAPSHOT)))
        return "am_snapshot_open()";
    if (now == AM_STAGE_SETUP && accepted & AM_IN(AM_STAGE_INGESTED))
        return "am_ingest() or am_feed_ingest_buffer()";
    if (now == AM_STAGE_SETUP && accepted & AM_FINDINGS_CURRENT)
        return "am_ingest() or am_feed_ingest_buffer(), then am_reconcile(),";
    if (now == AM_STAGE_INGESTED && accepted & AM_FINDINGS_CURRENT)
        return "am_reconcile()";
    if (now == AM_STAGE_RECONCILED && accepted & AM_IN(AM_STAGE_REVIEWED))
        return "am_review()";
    return "am_ctx_new() for a new context";
}

am_status am_stage_check(am_stage now, unsigned accepted, const char *call, am_err *err)
{
    if (accepted & AM_IN(now))
        return AM_OK;
    /* Whoever calls into a snapshot's context can only mean to ask it. */
    if (now == AM_STAGE_SNAPSHOT)
        return am_fail(err, AM_ERR_STATE,
                       "%s: the run is reading a snapshot, which answers questions only: ask "
                       "it with am_match_rules(), am_person_lookup() or am_explain(), or call "
                       "am_ctx_new() for a new context",
                       call);
    return am_fail(err, AM_ERR_STATE, "%s: the run is %s: call %s first", call,
                   am_stage_name(now), next_call(now, accepted));
}

am_stage am_stage_findings_stale(am_stage now)
{
    return now == AM_STAGE_RECONCILED || now == AM_STAGE_REVIEWED ? AM_STAGE_INGESTED : now;
}

am_stage am_stage_review_stale(am_stage now)
{
    return now == AM_STAGE_REVIEWED ? AM_STAGE_RECONCILED : now;
}
