/*
 * delta.h — what changed since the previous run, finding by finding: new,
 * persisting or resolved, with the night each was first and last seen;
 * and delta.csv, which records it (and from which the next night carries
 * first_seen forward).
 */
#ifndef AM_DELTA_H
#define AM_DELTA_H

#include "aidmatch.h"

/* Classifies every reviewed finding against ctx->previous (all new when
 * there is none), sets first_seen, and lists the previous run's findings
 * that are gone.  Needs the review's records allocated.  Returns AM_OK or
 * AM_ERR_NOMEM. */
am_status am_delta_classify(am_ctx *ctx);

/* Writes delta.csv (finding_id,status,first_seen,last_seen) at path.
 * Returns AM_OK, AM_ERR_IO or AM_ERR_NOMEM. */
am_status am_delta_write(am_ctx *ctx, const char *path);

#endif
